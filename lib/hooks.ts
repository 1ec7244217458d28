// Store observability hooks: the query hooks see each SQL statement the query builder submits.

/** What every hook receives. */
export interface HookContext {
  /** Unique per statement. */
  readonly operationId: string;
  readonly graphId: string;
  readonly startedAt: Date;
}

/** A query-builder statement: its SQL and bound parameters, as `toSQL()` renders them. */
export interface QueryHookContext extends HookContext {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** A single-entity write: create, update (incl. upsert) or delete of one node or edge. */
export interface OperationHookContext extends HookContext {
  readonly operation: "create" | "update" | "delete";
  readonly entity: "node" | "edge";
  readonly kind: string;
  readonly id: string;
}

/** A set-based mutation (node `updateWhere`); the `bulk*` batch methods report no hook events. */
export interface BulkOperationHookContext extends HookContext {
  readonly operation: "updateWhere";
  readonly entity: "node";
  readonly kind: string;
}

/** `createStore(graph, backend, { hooks })`. */
export interface StoreHooks {
  onQueryStart?: (ctx: QueryHookContext) => void;
  onQueryEnd?: (ctx: QueryHookContext, result: { rowCount: number; durationMs: number }) => void;
  /** Before a single-entity write runs. */
  onOperationStart?: (ctx: OperationHookContext) => void;
  /**
   * After a single-entity write is committed: at once outside a transaction; inside
   * `store.transaction` only once the transaction commits (a failed commit reports `onError`).
   */
  onOperationEnd?: (ctx: OperationHookContext, result: { durationMs: number }) => void;
  onBulkOperationStart?: (ctx: BulkOperationHookContext) => void;
  onBulkOperationEnd?: (ctx: BulkOperationHookContext, result: { affectedCount: number; durationMs: number }) => void;
  /** A statement or operation that failed (the error is rethrown to the caller afterwards). */
  onError?: (ctx: HookContext, error: Error) => void;
}

let sequence = 0;

/** Runs one statement under the store's query hooks; `render` gives its SQL only when a hook wants it. */
export async function withQueryHooks<T>(
  hooks: StoreHooks,
  graphId: string,
  render: () => { sql: string; params: unknown[] },
  run: () => Promise<T>,
): Promise<T> {
  const { sql, params } = render();
  sequence += 1;
  const ctx: QueryHookContext = { operationId: `query-${Date.now().toString(36)}-${sequence}`, graphId, startedAt: new Date(), sql, params };
  hooks.onQueryStart?.(ctx);
  const started = performance.now();
  let result: T;
  try {
    result = await run();
  } catch (error) {
    hooks.onError?.(ctx, error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
  hooks.onQueryEnd?.(ctx, { rowCount: Array.isArray(result) ? result.length : 1, durationMs: performance.now() - started });
  return result;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

const ID_ALPHABET = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict";

/** A fresh entity id in the engine's format (21 symbols), for creates a hook must name up front. */
export function freshEntityId(): string {
  const bytes = new Uint8Array(21);
  crypto.getRandomValues(bytes);
  let id = "";
  for (const b of bytes) id += ID_ALPHABET[b & 63];
  return id;
}

/** A finished operation whose end event waits for its transaction's commit. */
type Pending =
  | { readonly ctx: OperationHookContext; readonly durationMs: number; readonly bulk?: undefined }
  | { readonly ctx: BulkOperationHookContext; readonly durationMs: number; readonly bulk: { affectedCount: number } };

/**
 * The operation hooks of one runner: immediate (autocommit writes) or, for the collections of a
 * `store.transaction`, holding each success back until `settle` learns how the transaction ended.
 */
export class OperationHooks {
  readonly #hooks: StoreHooks;
  readonly #graphId: string;
  readonly #pending: Pending[] | undefined;

  constructor(hooks: StoreHooks, graphId: string, buffered: boolean) {
    this.#hooks = hooks;
    this.#graphId = graphId;
    this.#pending = buffered ? [] : undefined;
  }

  /** Whether any operation hook is set (otherwise writes skip this wrapper entirely). */
  static wanted(hooks: StoreHooks | undefined): hooks is StoreHooks {
    return hooks !== undefined && (hooks.onOperationStart || hooks.onOperationEnd || hooks.onBulkOperationStart || hooks.onBulkOperationEnd || hooks.onError) !== undefined;
  }

  #base(): HookContext {
    return { operationId: freshEntityId(), graphId: this.#graphId, startedAt: new Date() };
  }

  async run<T>(operation: OperationHookContext["operation"], entity: OperationHookContext["entity"], kind: string, id: string, fn: () => Promise<T>): Promise<T> {
    const ctx: OperationHookContext = { ...this.#base(), operation, entity, kind, id };
    this.#hooks.onOperationStart?.(ctx);
    const started = performance.now();
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      this.#hooks.onError?.(ctx, asError(error));
      throw error;
    }
    const durationMs = performance.now() - started;
    if (this.#pending) this.#pending.push({ ctx, durationMs });
    else this.#hooks.onOperationEnd?.(ctx, { durationMs });
    return result;
  }

  async runBulk<T extends { affectedCount: number }>(kind: string, fn: () => Promise<T>): Promise<T> {
    const ctx: BulkOperationHookContext = { ...this.#base(), operation: "updateWhere", entity: "node", kind };
    this.#hooks.onBulkOperationStart?.(ctx);
    const started = performance.now();
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      this.#hooks.onError?.(ctx, asError(error));
      throw error;
    }
    const durationMs = performance.now() - started;
    const bulk = { affectedCount: result.affectedCount };
    if (this.#pending) this.#pending.push({ ctx, durationMs, bulk });
    else this.#hooks.onBulkOperationEnd?.(ctx, { affectedCount: bulk.affectedCount, durationMs });
    return result;
  }

  /** A buffered runner's transaction ended: end events after a commit, `onError` after a failure. */
  settle(failure?: unknown): void {
    const pending = this.#pending?.splice(0) ?? [];
    for (const p of pending) {
      if (failure !== undefined) this.#hooks.onError?.(p.ctx, asError(failure));
      else if (p.bulk) this.#hooks.onBulkOperationEnd?.(p.ctx, { affectedCount: p.bulk.affectedCount, durationMs: p.durationMs });
      else this.#hooks.onOperationEnd?.(p.ctx as OperationHookContext, { durationMs: p.durationMs });
    }
  }
}
