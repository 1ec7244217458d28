// Transaction receipts: a tally of the write calls that completed on a transaction's collections.
//
// The tally lives entirely at the collection surface: a receipt-enabled transaction hands its
// callback the usual context whose `nodes` / `edges` maps are wrapped so each write method, once
// its promise resolves, adds its intent count under its kind. Nothing here reaches the engine.

import type { GraphDef } from "./core.js";
import { ConfigurationError } from "./errors.js";
import type { TransactionContext } from "./store.js";
import type { RecordedInstant } from "./recorded.js";

/** Identity assertion/retraction write intents made through `tx.identity` (bulk calls count their input length). */
export interface IdentityWriteSummary {
  readonly sameAssertions: number;
  readonly differentAssertions: number;
  readonly retractions: number;
  readonly total: number;
}

/**
 * What a receipt-enabled transaction (or a `tx.measure` scope) wrote: completed write calls on
 * the transaction's collections, by kind — not rows. A bulk call counts its input length, any
 * other write call counts 1 once it resolves (a delete of a missing id and a get-or-create that
 * found its row included), a call that rejects counts 0. Edges a node delete cascades through
 * are not counted, nor are writes made outside `tx.nodes` / `tx.edges`.
 *
 * `recorded` (stores with `history: true`): the recorded instant the transaction's writes were
 * captured at; absent when it captured nothing. Scoped (`tx.measure`) receipts never carry it.
 */
export type TransactionReceipt = Readonly<{
  writes: Readonly<{
    nodes: Readonly<Record<string, number>>;
    edges: Readonly<Record<string, number>>;
    identity: IdentityWriteSummary;
    total: number;
  }>;
  recorded?: RecordedInstant;
}>;

/** A callback's result with the receipt of its writes. */
export type TransactionOutcome<T> = Readonly<{ result: T; receipt: TransactionReceipt }>;

/**
 * `tx.measure(fn)`: runs `fn` with a second view of the same transaction and returns its result
 * with a receipt of the writes made through that view only. Those writes also count in every
 * enclosing scope and in the transaction's own receipt; writes through the outer `tx` meanwhile
 * do not count in the scope. The view is itself measurable, so scopes nest.
 */
export type ScopedMeasure<Context> = <T>(fn: (scoped: Context) => Promise<T>) => Promise<TransactionOutcome<T>>;

/** The context a receipt-enabled transaction hands its callback: a `TransactionContext` with `measure`. */
export type MeasurableTransactionContext<G extends GraphDef> = TransactionContext<G> &
  Readonly<{ measure: ScopedMeasure<MeasurableTransactionContext<G>> }>;

type Counter = (args: readonly unknown[]) => number;
const one: Counter = () => 1;
const lengthAt =
  (index: number): Counter =>
  (args) => {
    const input = args[index];
    return Array.isArray(input) ? input.length : 0;
  };

const NODE_WRITES: Readonly<Record<string, Counter>> = {
  create: one,
  createFromRecord: one,
  update: one,
  updateWhere: one,
  delete: one,
  hardDelete: one,
  upsertById: one,
  upsertByIdFromRecord: one,
  getOrCreateByConstraint: one,
  bulkCreate: lengthAt(0),
  bulkUpsertById: lengthAt(0),
  bulkInsert: lengthAt(0),
  bulkDelete: lengthAt(0),
  // The constraint name comes first; the items second.
  bulkGetOrCreateByConstraint: lengthAt(1),
};

const EDGE_WRITES: Readonly<Record<string, Counter>> = {
  create: one,
  update: one,
  delete: one,
  hardDelete: one,
  getOrCreateByEndpoints: one,
  bulkCreate: lengthAt(0),
  bulkUpsertById: lengthAt(0),
  bulkInsert: lengthAt(0),
  bulkDelete: lengthAt(0),
  bulkGetOrCreateByEndpoints: lengthAt(0),
};

/** @internal One receipt's running tally. */
export class ReceiptRecorder {
  // Kind names are arbitrary (`constructor`, `__proto__`…): tallies keyed without a prototype.
  readonly #nodes: Record<string, number> = Object.create(null) as Record<string, number>;
  readonly #edges: Record<string, number> = Object.create(null) as Record<string, number>;
  #total = 0;
  #sealed = false;
  readonly #identity = { sameAssertions: 0, differentAssertions: 0, retractions: 0 };

  addIdentity(key: "sameAssertions" | "differentAssertions" | "retractions", count: number): void {
    this.#identity[key] += count;
    this.#total += count;
  }

  add(entity: "node" | "edge", kind: string, count: number): void {
    if (count === 0) return;
    const bucket = entity === "node" ? this.#nodes : this.#edges;
    bucket[kind] = (bucket[kind] ?? 0) + count;
    this.#total += count;
  }

  /** After this, writes through collections wrapped with this recorder are refused. */
  seal(): void {
    this.#sealed = true;
  }

  assertWritable(): void {
    if (!this.#sealed) return;
    throw new ConfigurationError(
      "This transaction context has been closed: its receipt was already taken when the callback settled, so it accepts no further writes.",
      {},
      { suggestion: "Make every write inside the transactionWithReceipt callback; do not keep its context for later." },
    );
  }

  snapshot(recorded?: RecordedInstant): TransactionReceipt {
    // Spread into ordinary objects: a `__proto__` kind stays an own key (spread defines, not sets).
    return Object.freeze({
      ...(recorded === undefined ? {} : { recorded }),
      writes: Object.freeze({
        nodes: Object.freeze({ ...this.#nodes }),
        edges: Object.freeze({ ...this.#edges }),
        identity: Object.freeze({ ...this.#identity, total: this.#identity.sameAssertions + this.#identity.differentAssertions + this.#identity.retractions }),
        total: this.#total,
      }),
    });
  }
}

type AnyFn = (...args: unknown[]) => unknown;

function countingCollection<C extends object>(
  collection: C,
  entity: "node" | "edge",
  kind: string,
  recorder: ReceiptRecorder,
): C {
  const table = entity === "node" ? NODE_WRITES : EDGE_WRITES;
  const wrapped = new Map<string, unknown>();
  return new Proxy(collection, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== "string" || typeof value !== "function") return value;
      const counter = Object.prototype.hasOwnProperty.call(table, property) ? table[property] : undefined;
      if (!counter) return value;
      let method = wrapped.get(property);
      if (!method) {
        const original = value as AnyFn;
        method = async (...args: unknown[]): Promise<unknown> => {
          recorder.assertWritable();
          // The count is taken at call time: the caller may change a bulk input while it runs.
          const count = counter(args);
          const result = await original.apply(target, args);
          recorder.add(entity, kind, count);
          return result;
        };
        wrapped.set(property, method);
      }
      return method;
    },
  });
}

function countingMap<M extends object>(map: M, entity: "node" | "edge", recorder: ReceiptRecorder): M {
  const wrapped = new Map<string, unknown>();
  return new Proxy(map, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== "string" || typeof value !== "object" || value === null) return value;
      let collection = wrapped.get(property);
      if (!collection) {
        collection = countingCollection(value, entity, property, recorder);
        wrapped.set(property, collection);
      }
      return collection;
    },
  });
}

interface CountableContext {
  readonly nodes: object;
  readonly edges: object;
  getNodeCollection(kind: string): unknown;
  getEdgeCollection(kind: string): unknown;
}

/** A copy of `context` (symbol-keyed properties included) with some properties replaced. */
function overlay<C extends object>(context: C, replaced: Record<string, unknown>): C {
  const descriptors: PropertyDescriptorMap = Object.getOwnPropertyDescriptors(context);
  for (const [key, value] of Object.entries(replaced)) {
    descriptors[key] = { value, enumerable: true, configurable: true, writable: false };
  }
  return Object.defineProperties(Object.create(Object.getPrototypeOf(context) as object | null) as C, descriptors);
}

/**
 * @internal `context` with collections counting into `recorder` (on top of whatever `context`'s
 * own collections already count into) and a `measure` method.
 */
export function countingContext<C extends CountableContext>(context: C, recorder: ReceiptRecorder): C & { readonly measure: ScopedMeasure<unknown> } {
  const nodes = countingMap(context.nodes, "node", recorder);
  const edges = countingMap(context.edges, "edge", recorder);
  const counted = overlay(context, {
    nodes,
    edges,
    getNodeCollection: (kind: string) => (context.getNodeCollection(kind) === undefined ? undefined : (nodes as Record<string, unknown>)[kind]),
    getEdgeCollection: (kind: string) => (context.getEdgeCollection(kind) === undefined ? undefined : (edges as Record<string, unknown>)[kind]),
  });
  // Identity graphs: `tx.identity` writes count too (the property is an enumerable getter there).
  if (Object.getOwnPropertyDescriptor(context, "identity")?.enumerable === true) {
    let facade: object | undefined;
    Object.defineProperty(counted, "identity", {
      get: () => (facade ??= countingIdentity((context as unknown as { identity: object }).identity, recorder)),
      enumerable: true,
      configurable: true,
    });
  }
  const measure = async <T>(fn: (scoped: unknown) => Promise<T>): Promise<TransactionOutcome<T>> => {
    recorder.assertWritable();
    const scope = new ReceiptRecorder();
    const result = await fn(countingContext(counted, scope));
    return { result, receipt: scope.snapshot() };
  };
  return overlay(counted, { measure }) as C & { readonly measure: ScopedMeasure<unknown> };
}

const IDENTITY_WRITES: Readonly<Record<string, readonly ["sameAssertions" | "differentAssertions" | "retractions", Counter]>> = {
  assertSame: ["sameAssertions", one],
  assertDifferent: ["differentAssertions", one],
  bulkAssertSame: ["sameAssertions", lengthAt(0)],
  bulkAssertDifferent: ["differentAssertions", lengthAt(0)],
  retractAssertion: ["retractions", one],
  retractSameAssertion: ["retractions", one],
  retractDifferentAssertion: ["retractions", one],
  bulkRetractAssertions: ["retractions", lengthAt(0)],
};

function countingIdentity<F extends object>(facade: F, recorder: ReceiptRecorder): F {
  const out: Record<string, unknown> = { ...(facade as Record<string, unknown>) };
  for (const [name, [key, counter]] of Object.entries(IDENTITY_WRITES)) {
    const original = (facade as Record<string, unknown>)[name];
    if (typeof original !== "function") continue;
    out[name] = async (...args: unknown[]): Promise<unknown> => {
      recorder.assertWritable();
      const count = counter(args);
      const result = await (original as AnyFn).apply(facade, args);
      recorder.addIdentity(key, count);
      return result;
    };
  }
  return Object.freeze(out) as F;
}
