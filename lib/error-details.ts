// The `details` each error class carries (upstream's type names). The keys are what the engine
// and `errors.ts` put there; `__test__/exports.test.ts` provokes each error on every backend and
// compares `error.details` with these shapes.
import type { ValidationIssue } from "./errors.js";
import type { KindEntity } from "./type-helpers.js";

/** `NodeNotFoundError.details` */
export type NodeNotFoundErrorDetails = Readonly<{ kind: string; id: string }>;
/** `EdgeNotFoundError.details` */
export type EdgeNotFoundErrorDetails = Readonly<{ kind: string; id: string }>;
/** `KindNotFoundError.details` */
export type KindNotFoundErrorDetails = Readonly<{ kindName: string; entity: KindEntity; graphId?: string }>;
/** `EndpointError.details`: an edge endpoint of a kind the edge does not allow. */
export type EndpointErrorDetails = Readonly<{ edgeKind: string; endpoint: "from" | "to"; actualKind: string; expectedKinds: readonly string[] }>;
/** `EndpointNotFoundError.details`: an edge endpoint that does not exist (or is deleted). */
export type EndpointNotFoundErrorDetails = Readonly<{ edgeKind: string; endpoint: "from" | "to"; nodeKind: string; nodeId: string }>;
/** `RestrictedDeleteError.details`: a node with live edges under `onDelete: "restrict"`. */
export type RestrictedDeleteErrorDetails = Readonly<{ nodeKind: string; nodeId: string; edgeCount: number; edgeKinds: readonly string[] }>;
/** `UniquenessError.details`: the constraint, its fields, the holder and the refused id. */
export type UniquenessErrorDetails = Readonly<{ constraintName: string; kind: string; existingId: string; newId: string; fields: readonly string[] }>;
/** `CardinalityError.details` */
export type CardinalityErrorDetails = Readonly<{ edgeKind: string; fromKind: string; fromId: string; cardinality: string; existingCount: number }>;
/** `DisjointError.details` */
export type DisjointErrorDetails = Readonly<{ nodeId: string; attemptedKind: string; conflictingKind: string }>;
/** `NodeConstraintNotFoundError.details` */
export type NodeConstraintNotFoundErrorDetails = Readonly<{ constraintName: string; kind: string }>;
/**
 * `ValidationError.details` for props validation: what was validated and each issue. Bulk
 * writes add the failing item's position as `index`.
 */
export type ValidationErrorDetails = Readonly<{
  entityType?: KindEntity;
  kind?: string;
  operation?: "create" | "update" | "delete" | "hardDelete";
  id?: string;
  index?: number;
  issues: readonly ValidationIssue[];
}>;
