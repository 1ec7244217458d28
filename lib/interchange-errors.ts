// Errors of the interchange entry (`typegraph-native/interchange`): exported from the main
// entry like upstream's, kept apart from `errors.ts` so the interchange module owns them.

import { TypeGraphError } from "./errors.js";

/** Why a trusted import was refused (`TrustedImportError.details.reason`). */
export type TrustedImportErrorReason =
  | "backend_unsupported"
  | "database_not_empty"
  | "fulltext_unsupported"
  | "history_unsupported"
  | "identity_unsupported"
  | "invalid_stream"
  | "revision_tracking_unsupported"
  | "uniqueness_unsupported"
  | "vector_unsupported";

/** The trusted initial import's contract does not hold for this store, database or stream. */
export class TrustedImportError extends TypeGraphError {
  constructor(message: string, reason: TrustedImportErrorReason, details: Readonly<Record<string, unknown>> = {}, options: { cause?: unknown; suggestion?: string } = {}) {
    super(message, "TRUSTED_IMPORT_ERROR", {
      category: "user",
      details: { ...details, reason },
      suggestion: options.suggestion ?? "Load through importGraph / importGraphStream (or collection bulkInsert) when the target is not a fresh dedicated database or the graph uses unsupported features.",
      cause: options.cause,
    });
    this.name = "TrustedImportError";
  }
}

/** An export stream settled by its `AbortSignal` before it reached its end; `cause` is the signal's reason. */
export class ExportStreamCancelledError extends TypeGraphError {
  constructor(message: string, details: Readonly<Record<string, unknown>> = {}, options: { cause?: unknown; suggestion?: string } = {}) {
    super(message, "INTERCHANGE_EXPORT_STREAM_ABORTED", {
      category: "user",
      details: { ...details },
      suggestion: options.suggestion ?? "Start a new export: the cancelled one has already given back its snapshot transaction.",
      cause: options.cause,
    });
    this.name = "ExportStreamCancelledError";
  }
}

/** An export stream whose consumer left a delivered chunk unacknowledged past `idleTimeoutMs`. */
export class ExportStreamIdleTimeoutError extends TypeGraphError {
  constructor(graphId: string, idleTimeoutMs: number, transactional = true) {
    super(
      transactional
        ? `Export of graph "${graphId}" settled itself: no next chunk was requested within ${idleTimeoutMs}ms, so its snapshot transaction was rolled back.`
        : `Export of graph "${graphId}" settled itself: no next chunk was requested within ${idleTimeoutMs}ms; its remaining reads were abandoned.`,
      "INTERCHANGE_EXPORT_STREAM_IDLE_TIMEOUT",
      {
        category: "user",
        details: { graphId, idleTimeoutMs },
        suggestion: "Request each chunk within the idle timeout, raise idleTimeoutMs, or cancel the export with an AbortSignal.",
      },
    );
    this.name = "ExportStreamIdleTimeoutError";
  }
}
