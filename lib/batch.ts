// `store.batch(q1, q2, …)`: deferred reads run one after another, results in input order.
// Anything with `executeOn(target)` takes part: fluent queries, set operations, aggregate
// queries and the edge collections' `batchFind*` reads. Each still costs its own statement;
// the batch is neither a snapshot nor a round-trip saver.

import type { GraphBackend, TxToken } from "./backend.js";

/** A read that runs when handed a target: a backend, or a transaction context of the store. */
export type BatchableQuery<R = unknown> = Readonly<{
  executeOn: (target: GraphBackend | object) => Promise<readonly R[]>;
}>;

/** `[BatchableQuery<A>, BatchableQuery<B>]` → `[readonly A[], readonly B[]]`. */
export type BatchResults<Queries extends readonly BatchableQuery<unknown>[]> = {
  -readonly [K in keyof Queries]: Queries[K] extends BatchableQuery<infer R> ? readonly R[] : never;
};

/** Where a batch member runs: the engine graph handle, and the transaction when inside one. */
export interface BatchTarget {
  readonly backend: GraphBackend;
  readonly handle: number;
  readonly tx?: TxToken;
}

const TX_TARGET = Symbol.for("typegraph.txTarget");

/**
 * Resolves what `executeOn` was handed: a store transaction context (which carries its own
 * target), an explicit `{ backend, handle, tx? }`, or a bare backend (then `handle` is the
 * member's own graph handle on it).
 */
export function resolveBatchTarget(given: unknown, handle: number): BatchTarget {
  if (given === null || typeof given !== "object") throw new TypeError("executeOn() takes a backend or a transaction context of this store");
  const bound = (given as { [k: symbol]: unknown })[TX_TARGET] as BatchTarget | undefined;
  if (bound) return bound;
  if ("backend" in given && "handle" in given) return given as BatchTarget;
  if ("call" in given) return { backend: given as GraphBackend, handle };
  throw new TypeError("executeOn() takes a backend or a transaction context of this store");
}

/** A frozen batch member whose read runs against the resolved target. */
export function batchable<R>(handle: number, read: (target: BatchTarget) => Promise<readonly R[]>): BatchableQuery<R> {
  return Object.freeze({ executeOn: (target: GraphBackend | object) => read(resolveBatchTarget(target, handle)) });
}

/** Runs the members in order, at most one in flight; a failing member fails the whole batch. */
export async function runBatch(target: BatchTarget, queries: readonly unknown[]): Promise<unknown[]> {
  for (const [i, q] of queries.entries()) {
    if (q === null || typeof q !== "object" || typeof (q as { executeOn?: unknown }).executeOn !== "function") {
      throw new TypeError(`store.batch(): argument ${i} is not a batchable query (a query from .select(), a set operation, an aggregate, or an edge batchFind* read)`);
    }
  }
  const results: unknown[] = [];
  for (const q of queries) results.push(await (q as BatchableQuery).executeOn(target));
  return results;
}
