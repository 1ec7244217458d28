// `StoreNotInitializedError` (upstream's class and code). Upstream throws it when `createStore()`
// attaches to a database whose fulltext / vector storage no `createStoreWithSchema()` boot has
// provisioned. No code path of typegraph-native throws it: a `createStore()` over a database no
// boot has touched reads and writes searchable props and embeddings (`__test__/exports.test.ts`).
// It is exported so code written against upstream (`instanceof` checks, `code` switches)
// compiles and runs unchanged.
import { TypeGraphError } from "./errors.js";

/** Why storage counts as not initialized: never provisioned, provisioned at another shape, or a failed boot. */
export type StoreNotInitializedReason = "missing" | "stale" | "failed";

/** `StoreNotInitializedError.details`: always `graphId` and `reason`, plus any context given. */
export type StoreNotInitializedErrorDetails = Readonly<{ graphId: string; reason: StoreNotInitializedReason }> & Readonly<Record<string, unknown>>;

const STATE: Record<StoreNotInitializedReason, string> = {
  missing: "has not been initialized",
  stale: "was provisioned for a different declaration",
  failed: "failed to initialize",
};

export class StoreNotInitializedError extends TypeGraphError {
  declare readonly details: StoreNotInitializedErrorDetails;

  constructor(
    graphId: string,
    reason: StoreNotInitializedReason,
    options: { cause?: unknown; details?: Readonly<Record<string, unknown>> } = {},
  ) {
    super(`Storage for graph "${graphId}" ${STATE[reason]}.`, "STORE_NOT_INITIALIZED", {
      category: "user",
      details: { ...options.details, graphId, reason },
      suggestion: "Open the store once with createStoreWithSchema(graph, backend) before attaching with createStore().",
      cause: options.cause,
    });
    this.name = "StoreNotInitializedError";
  }
}
