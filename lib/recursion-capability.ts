// The `recursiveTraversal` backend capability: a backend declaring `{ supported: false, reason }`
// refuses the operations that need a transitive closure computed in one round trip (variable-length
// traversals, `store.subgraph`, historical identity class reads, identity-expanded historical
// queries, the identity window-ledger read). An absent declaration means supported.

import { ConfigurationError } from "./errors.js";

/** `capabilities.recursiveTraversal`: whether the engine computes bounded transitive closures. */
export type RecursiveTraversalCapability = Readonly<{ supported: boolean; reason?: string }>;

/** The refusing operations, as `details.operation` names them. */
export type RecursionDependentOperation =
  | "variable-length traversal"
  | "subgraph"
  | "historical identity class read"
  | "historical identity expansion"
  | "identity window ledger read";

/** Throws `ConfigurationError` (`RECURSIVE_TRAVERSAL_UNSUPPORTED`) when `backend` declares no recursive traversal. */
export function requireRecursiveTraversal(backend: { readonly capabilities?: { readonly recursiveTraversal?: RecursiveTraversalCapability } } | undefined, operation: RecursionDependentOperation): void {
  const declared = backend?.capabilities?.recursiveTraversal;
  if (declared === undefined || declared.supported !== false) return;
  throw new ConfigurationError(`${operation} needs recursive traversal, which this backend does not support: ${declared.reason ?? "no reason given"}`, {
    code: "RECURSIVE_TRAVERSAL_UNSUPPORTED",
    operation,
    reason: declared.reason,
  });
}

/**
 * Checks one identity engine call against the declaration: a class read at another coordinate
 * than now rebuilds classes from the ledger, and an assertion with an explicit window reads the
 * window ledger; both need recursive traversal.
 */
export function checkIdentityCall(backend: Parameters<typeof requireRecursiveTraversal>[0], args: Record<string, unknown>): void {
  if (args.action === "read" && (args.at !== undefined || (args.mode !== undefined && args.mode !== "current"))) {
    requireRecursiveTraversal(backend, "historical identity class read");
  } else if (args.action === "assert" && Array.isArray(args.pairs) && (args.pairs as { validFrom?: unknown; validTo?: unknown }[]).some((p) => p.validFrom !== undefined || p.validTo !== undefined)) {
    requireRecursiveTraversal(backend, "identity window ledger read");
  }
}
