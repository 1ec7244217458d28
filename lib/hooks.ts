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

/** `createStore(graph, backend, { hooks })`. */
export interface StoreHooks {
  onQueryStart?: (ctx: QueryHookContext) => void;
  onQueryEnd?: (ctx: QueryHookContext, result: { rowCount: number; durationMs: number }) => void;
  /** A statement that failed (the error is rethrown to the caller afterwards). */
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
