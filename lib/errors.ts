// TypeGraph's error hierarchy, rebuilt from the engine's machine-readable codes
// in one place (`convertError`). Users branch on classes and `code`, never on text.

export type ErrorCategory = "user" | "constraint" | "system";

export interface TypeGraphErrorOptions {
  category: ErrorCategory;
  details?: Record<string, unknown>;
  suggestion?: string;
  cause?: unknown;
}

export class TypeGraphError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly details: Readonly<Record<string, unknown>>;
  declare readonly suggestion?: string;

  constructor(message: string, code: string, options: TypeGraphErrorOptions) {
    super(message, options.cause ? { cause: options.cause } : undefined);
    this.name = "TypeGraphError";
    this.code = code;
    this.category = options.category;
    this.details = Object.freeze({ ...(options.details ?? {}) });
    if (options.suggestion !== undefined) {
      (this as { suggestion?: string }).suggestion = options.suggestion;
    }
  }

  toUserMessage(): string {
    return this.suggestion ? `${this.message}\n\nSuggestion: ${this.suggestion}` : this.message;
  }

  toLogString(): string {
    const lines = [`[${this.code}] ${this.message}`, `  Category: ${this.category}`];
    if (this.suggestion) lines.push(`  Suggestion: ${this.suggestion}`);
    if (Object.keys(this.details).length > 0) lines.push(`  Details: ${JSON.stringify(this.details)}`);
    const cause = (this as { cause?: unknown }).cause;
    if (cause) lines.push(`  Cause: ${describeCause(cause)}`);
    return lines.join("\n");
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.stack ?? cause.message;
  if (typeof cause === "string") return cause;
  if (typeof cause === "number" || typeof cause === "boolean" || typeof cause === "bigint") return String(cause);
  if (typeof cause === "symbol") return cause.description ?? "Symbol";
  try {
    return JSON.stringify(cause);
  } catch (error) {
    return `Unserializable cause: ${(error as Error).message}`;
  }
}

type Cause = { cause?: unknown };
type Details = Record<string, unknown>;

export interface ValidationIssue {
  path: string;
  message: string;
  code?: string;
}

export class ValidationError extends TypeGraphError {
  constructor(message: string, details: Details & { issues?: ValidationIssue[] }, options: Cause & { suggestion?: string } = {}) {
    const issues = (details.issues ?? []) as ValidationIssue[];
    const paths = issues.length === 0 ? "unknown" : issues.map((i) => (i.path === "" ? "(root)" : i.path)).join(", ");
    super(message, "VALIDATION_ERROR", {
      category: "user",
      details,
      suggestion: options.suggestion ?? `Check the following fields: ${paths}. See error.details.issues for each problem.`,
      cause: options.cause,
    });
    this.name = "ValidationError";
  }
}

export class NodeNotFoundError extends TypeGraphError {
  constructor(kind: string, id: string, options: Cause = {}) {
    super(`Node not found: ${kind}/${id}`, "NODE_NOT_FOUND", {
      category: "user",
      details: { kind, id },
      suggestion: `Check that a ${kind} with id "${id}" exists and has not been deleted.`,
      cause: options.cause,
    });
    this.name = "NodeNotFoundError";
  }
}

export class EdgeNotFoundError extends TypeGraphError {
  constructor(kind: string, id: string, options: Cause = {}) {
    super(`Edge not found: ${kind}/${id}`, "EDGE_NOT_FOUND", {
      category: "user",
      details: { kind, id },
      suggestion: `Check that a ${kind} edge with id "${id}" exists and has not been deleted.`,
      cause: options.cause,
    });
    this.name = "EdgeNotFoundError";
  }
}

export class KindNotFoundError extends TypeGraphError {
  readonly kindName: string;
  readonly entity: "node" | "edge";
  constructor(kindName: string, entity: "node" | "edge", options: Cause & { graphId?: string; suggestion?: string } = {}) {
    const label = entity === "node" ? "Node" : "Edge";
    const where = options.graphId === undefined ? "" : ` on graph "${options.graphId}"`;
    super(`${label} kind "${kindName}" is not registered${where}.`, "KIND_NOT_FOUND", {
      category: "user",
      details: options.graphId === undefined ? { kindName, entity } : { kindName, entity, graphId: options.graphId },
      suggestion: options.suggestion ?? `Register "${kindName}" in defineGraph (or through store.evolve) before using it.`,
      cause: options.cause,
    });
    this.name = "KindNotFoundError";
    this.kindName = kindName;
    this.entity = entity;
  }
}

function detailClass(name: string, code: string, category: ErrorCategory, message: (d: Details) => string, suggestion: string) {
  return class extends TypeGraphError {
    constructor(details: Details, options: Cause = {}) {
      super(message(details), code, { category, details, suggestion, cause: options.cause });
      this.name = name;
    }
  };
}

const list = (v: unknown) => (Array.isArray(v) ? v.join(" | ") : String(v));

export class EndpointError extends detailClass(
  "EndpointError",
  "ENDPOINT_ERROR",
  "constraint",
  (d) => `Invalid ${d.endpoint} endpoint for edge "${d.edgeKind}": got "${d.actualKind}", expected ${list(d.expectedKinds)}`,
  "Connect the edge only between the node kinds its registration allows.",
) {}

export class EndpointNotFoundError extends detailClass(
  "EndpointNotFoundError",
  "ENDPOINT_NOT_FOUND",
  "constraint",
  (d) => `Endpoint node not found for edge "${d.edgeKind}": ${d.nodeKind}/${d.nodeId} (${d.endpoint})`,
  "Create the endpoint node first, or check that it has not been deleted.",
) {}

export class RestrictedDeleteError extends detailClass(
  "RestrictedDeleteError",
  "RESTRICTED_DELETE",
  "constraint",
  (d) =>
    `Cannot delete ${d.nodeKind}/${d.nodeId}: ${d.edgeCount} connected edge(s) exist (${(d.edgeKinds as string[] | undefined)?.join(", ") ?? ""})`,
  "Delete the connected edges first, or register the node kind with onDelete: \"cascade\" or \"disconnect\".",
) {}

export class UniquenessError extends detailClass(
  "UniquenessError",
  "UNIQUENESS_VIOLATION",
  "constraint",
  (d) =>
    `Uniqueness violation on "${d.kind}": constraint "${d.constraintName}" (fields: ${(d.fields as string[] | undefined)?.join(", ") ?? ""}) conflicts with existing node ${d.existingId}`,
  "Use a different value, or update the node that already holds it.",
) {}

export class CardinalityError extends detailClass(
  "CardinalityError",
  "CARDINALITY_ERROR",
  "constraint",
  (d) =>
    `Cardinality violation: "${d.edgeKind}" from ${d.fromKind}/${d.fromId} allows "${d.cardinality}" but ${d.existingCount} edge(s) already exist`,
  "Delete or end the existing edge before creating another one.",
) {}

export class DisjointError extends detailClass(
  "DisjointError",
  "DISJOINT_ERROR",
  "constraint",
  (d) => `Disjoint constraint violation: cannot create ${d.attemptedKind} with ID "${d.nodeId}" - conflicts with existing ${d.conflictingKind}`,
  "Use a different id: the two kinds are declared disjoint.",
) {}

export class ConfigurationError extends TypeGraphError {
  constructor(message: string, details: Details = {}, options: Cause & { suggestion?: string } = {}) {
    super(message, "CONFIGURATION_ERROR", {
      category: "user",
      details,
      suggestion: options.suggestion ?? "Review your graph definition for errors.",
      cause: options.cause,
    });
    this.name = "ConfigurationError";
  }
}

export class DatabaseOperationError extends TypeGraphError {
  constructor(message: string, details: Details, options: Cause = {}) {
    super(message, "DATABASE_OPERATION_ERROR", {
      category: "system",
      details,
      suggestion: "Check the database connection and the underlying error in `cause`.",
      cause: options.cause,
    });
    this.name = "DatabaseOperationError";
  }
}

export class BackendDisposedError extends TypeGraphError {
  constructor(options: Cause = {}) {
    super("The backend has been disposed: its connection is closed and no longer available.", "BACKEND_DISPOSED", {
      category: "system",
      suggestion: "Create a new backend (and store) instead of reusing a closed one.",
      cause: options.cause,
    });
    this.name = "BackendDisposedError";
  }
}

export class TransactionClosedError extends TypeGraphError {
  constructor(options: Cause = {}) {
    super(
      "A statement reached a transaction's connection after its transaction boundary returned; the connection was released and the statement was not run.",
      "TRANSACTION_CLOSED",
      {
        category: "user",
        suggestion:
          "Await every operation started inside the transaction callback before it returns (Promise.allSettled keeps siblings from being orphaned by one rejection), and don't keep `tx` after it returns.",
        cause: options.cause,
      },
    );
    this.name = "TransactionClosedError";
  }
}

/** `EmbeddingDimensionChangedError.details`: the field whose declared size no longer matches its stored vectors. */
export type EmbeddingDimensionChangedErrorDetails = Readonly<{
  kind: string;
  fieldPath: string;
  declaredDimensions?: number;
  storedDimensions?: number;
}>;

/** An embedding field declared with another dimension than the vectors already stored for it. */
export class EmbeddingDimensionChangedError extends TypeGraphError {
  declare readonly details: EmbeddingDimensionChangedErrorDetails;
  constructor(message: string, details: EmbeddingDimensionChangedErrorDetails, options: Cause = {}) {
    super(message, "EMBEDDING_DIMENSION_CHANGED", {
      category: "user",
      details,
      suggestion: `Recreate the storage of ${details.kind}.${details.fieldPath} at the new dimension and re-embed its rows (store.reembedVectorField("${details.kind}", "${details.fieldPath}", { embed })).`,
      cause: options.cause,
    });
    this.name = "EmbeddingDimensionChangedError";
  }
}

/** `ContributionUnavailableError.details` */
export type ContributionUnavailableErrorDetails = Readonly<{
  graphId: string;
  logicalName: "fulltext";
  physicalName: string;
  state: "physical-storage-missing";
}>;

/** The fulltext table a graph was initialized with is gone from the database. */
export class ContributionUnavailableError extends TypeGraphError {
  declare readonly details: ContributionUnavailableErrorDetails;
  constructor(graphId: string, physicalName: string, options: Cause = {}) {
    const fix = 'store.rebuildContribution("fulltext")';
    super(`The fulltext table "${physicalName}" of graph "${graphId}" disappeared after initialization; recreate and refill it with ${fix}.`, "CONTRIBUTION_UNAVAILABLE", {
      category: "user",
      details: { graphId, logicalName: "fulltext", physicalName, state: "physical-storage-missing" },
      suggestion: `Run ${fix}: it recreates the table and repopulates it from the graph's nodes.`,
      cause: options.cause,
    });
    this.name = "ContributionUnavailableError";
  }
}

/** Why `rebuildContribution()` refused. */
export type ContributionRebuildRefusalReason = "vector-source-unavailable" | "no-drop-ddl" | "no-schema-fence" | "shared-storage-in-use";

const REBUILD_REFUSALS: Readonly<Record<ContributionRebuildRefusalReason, readonly [string, string]>> = {
  "vector-source-unavailable": [
    "Vector storage cannot be rebuilt: TypeGraph keeps the embeddings it was given, not what produced them, so a drop would lose them for good.",
    "Use store.reembedVectorField(kind, fieldPath, { embed }): it recreates the field's table and calls embed to regenerate the vectors.",
  ],
  "no-drop-ddl": [
    "This contribution declares no teardown statements, so it cannot be dropped and recreated.",
    "Drop and recreate the table out of band, then run store.repairContributions() to re-stamp its marker.",
  ],
  "no-schema-fence": [
    "This backend cannot hold the rebuild in one transaction.",
    "Use a transactional backend, or recreate the table out of band in a maintenance window, then run store.repairContributions() and store.search.rebuildFulltext().",
  ],
  "shared-storage-in-use": [
    "The fulltext table has another shape than declared now and still holds other graphs' rows; only recreating it repairs the shape, and that would destroy them.",
    'In a maintenance window with every graph on this database offline, drop the table out of band, then run store.rebuildContribution("fulltext") for each graph.',
  ],
};

/** `store.rebuildContribution()` refused before changing anything (`reason` says why). */
export class ContributionRebuildUnsupportedError extends TypeGraphError {
  readonly reason: ContributionRebuildRefusalReason;
  constructor(reason: ContributionRebuildRefusalReason, details: Details = {}, options: Cause = {}) {
    const [message, suggestion] = REBUILD_REFUSALS[reason];
    super(message, "CONTRIBUTION_REBUILD_UNSUPPORTED", { category: "user", details: { ...details, reason }, suggestion, cause: options.cause });
    this.name = "ContributionRebuildUnsupportedError";
    this.reason = reason;
  }
}

export class NodeConstraintNotFoundError extends TypeGraphError {
  constructor(constraintName: string, kind: string, options: Cause = {}) {
    super(`Constraint not found: "${constraintName}" on node kind "${kind}"`, "CONSTRAINT_NOT_FOUND", {
      category: "user",
      details: { constraintName, kind },
      suggestion: `Declare the constraint in the ${kind} registration's unique list.`,
      cause: options.cause,
    });
    this.name = "NodeConstraintNotFoundError";
  }
}

export interface NodeIndexNotFoundErrorDetails {
  indexName: string;
  kind: string;
}

/** `bulkFindByIndex` named an index the kind does not declare. */
export class NodeIndexNotFoundError extends TypeGraphError {
  declare readonly details: Readonly<NodeIndexNotFoundErrorDetails>;
  constructor(indexName: string, kind: string, options: Cause = {}) {
    super(`Index not found: "${indexName}" on node kind "${kind}"`, "INDEX_NOT_FOUND", {
      category: "user",
      details: { indexName, kind },
      suggestion: `Declare "${indexName}" with defineNodeIndex for ${kind} and list it in defineGraph({ indexes }).`,
      cause: options.cause,
    });
    this.name = "NodeIndexNotFoundError";
  }
}

export class MigrationError extends TypeGraphError {
  constructor(message: string, details: Details, options: Cause = {}) {
    super(message, "MIGRATION_ERROR", {
      category: "system",
      details,
      suggestion: "Review the schema diff in error.details and migrate the data before changing the graph.",
      cause: options.cause,
    });
    this.name = "MigrationError";
  }
}

export class StaleVersionError extends detailClass(
  "StaleVersionError",
  "STALE_SCHEMA_VERSION",
  "system",
  (d) =>
    `Schema version was advanced by another writer for graph "${d.graphId}": expected active version ${d.expected ?? "none"}, actual is ${d.actual ?? "none"}`,
  "Reload the active schema and retry.",
) {}

export class SchemaContentConflictError extends detailClass(
  "SchemaContentConflictError",
  "SCHEMA_CONTENT_CONFLICT",
  "system",
  (d) =>
    `Schema content conflict for graph "${d.graphId}" at version ${d.version}: existing hash ${d.existingHash} differs from incoming hash ${d.incomingHash}`,
  "Another writer committed different content at this version; reconcile the definitions instead of retrying.",
) {}

export class SchemaMismatchError extends detailClass(
  "SchemaMismatchError",
  "SCHEMA_MISMATCH",
  "system",
  (d) => `Schema mismatch for graph "${d.graphId}": code schema differs from database schema`,
  "Run createStoreWithSchema to migrate, or align the graph definition with the database.",
) {}

export class VersionConflictError extends detailClass(
  "VersionConflictError",
  "VERSION_CONFLICT",
  "system",
  (d) => `Version conflict on ${d.kind}/${d.id}: expected version ${d.expectedVersion}, found ${d.actualVersion}`,
  "Re-read the entity and retry.",
) {}

export class UnsupportedPredicateError extends TypeGraphError {
  constructor(message: string, details: Details = {}, options: Cause & { suggestion?: string } = {}) {
    super(message, "UNSUPPORTED_PREDICATE", {
      category: "system",
      details,
      suggestion: options.suggestion ?? "Rewrite the predicate with supported operators.",
      cause: options.cause,
    });
    this.name = "UnsupportedPredicateError";
  }
}

export class UnsupportedBackendCapabilityError extends TypeGraphError {
  constructor(operation: string, capability: string, details: Details = {}, options: Cause & { suggestion?: string; message?: string } = {}) {
    super(options.message ?? `${operation} requires backend capability '${capability}'.`, "UNSUPPORTED_BACKEND_CAPABILITY", {
      category: "user",
      details: { operation, capability, ...details },
      suggestion: options.suggestion ?? "Use a backend that advertises this capability before invoking the operation.",
      cause: options.cause,
    });
    this.name = "UnsupportedBackendCapabilityError";
  }
}

export class CompilerInvariantError extends TypeGraphError {
  constructor(message: string, details: Details = {}, options: Cause = {}) {
    super(message, "COMPILER_INVARIANT_ERROR", {
      category: "system",
      details,
      suggestion: "This is a bug in typegraph-native; please report it with the details.",
      cause: options.cause,
    });
    this.name = "CompilerInvariantError";
  }
}

// ---- graph extensions ------------------------------------------------------

export type GraphExtensionIssueCode = (typeof GRAPH_EXTENSION_ISSUE_CODES)[number];

/** One problem found in a graph-extension document; `path` is a JSON pointer into it ("" = the document). */
export interface GraphExtensionIssue {
  readonly path: string;
  readonly message: string;
  readonly code: GraphExtensionIssueCode;
}

export const GRAPH_EXTENSION_ISSUE_CODES = [
  "UNSUPPORTED_PROPERTY_TYPE",
  "INVALID_PROPERTY_REFINEMENT",
  "NESTED_ARRAY",
  "NESTED_OBJECT_TOO_DEEP",
  "INVALID_MODIFIER_TARGET",
  "INVALID_ENUM_VALUES",
  "INVALID_NUMBER_BOUNDS",
  "INVALID_LENGTH_BOUNDS",
  "INVALID_PATTERN",
  "INVALID_EMBEDDING_DIMENSIONS",
  "INVALID_SEARCHABLE_LANGUAGE",
  "RESERVED_PROPERTY_NAME",
  "INVALID_KIND_NAME",
  "DUPLICATE_KIND_NAME",
  "EMPTY_PROPERTIES",
  "EMPTY_FROM_OR_TO",
  "DUPLICATE_UNIQUE_CONSTRAINT",
  "EMPTY_UNIQUE_FIELDS",
  "DUPLICATE_UNIQUE_FIELD",
  "UNKNOWN_UNIQUE_FIELD",
  "INVALID_UNIQUE_WHERE_OP",
  "UNKNOWN_UNIQUE_WHERE_FIELD",
  "INVALID_ANNOTATION",
  "UNKNOWN_META_EDGE",
  "ONTOLOGY_CYCLE",
  "ONTOLOGY_SELF_LOOP",
  "ONTOLOGY_DISJOINT_CONFLICT",
  "ONTOLOGY_INVERSE_MULTIPLE_PARTNERS",
  "DUPLICATE_ONTOLOGY_RELATION",
  "INVALID_DOCUMENT_SHAPE",
  "UNKNOWN_DOCUMENT_KEY",
  "UNSUPPORTED_STRING_FORMAT",
  "INVALID_INDEX_DECLARATION",
  "DUPLICATE_INDEX_NAME",
  "EMPTY_INDEX_FIELDS",
  "UNKNOWN_PROPERTY_KEY",
] as const;

export const INCOMPATIBLE_CHANGE_TYPES = [
  "REMOVE_PROPERTY",
  "ADD_REQUIRED_PROPERTY",
  "TIGHTEN_OPTIONALITY",
  "TIGHTEN_CONSTRAINT",
  "ADD_PATTERN",
  "CHANGE_PATTERN",
  "ADD_FORMAT",
  "CHANGE_FORMAT",
  "TIGHTEN_INT",
  "TIGHTEN_ENUM",
  "TYPE_CHANGE",
  "ADD_UNIQUE_ON_POPULATED",
  "TIGHTEN_EDGE_ENDPOINTS",
] as const;
export type IncompatibleChangeType = (typeof INCOMPATIBLE_CHANGE_TYPES)[number];
export interface IncompatibleChange {
  readonly kind: string;
  readonly field?: string;
  readonly type: IncompatibleChangeType;
  readonly detail?: string;
}
export interface KindReferent {
  readonly type: "compile-time-edge" | "compile-time-ontology";
  readonly name: string;
}

/** The family of every graph-extension error: one `instanceof` catches them all. */
export abstract class GraphExtensionError extends TypeGraphError {
  protected constructor(message: string, code: string, options: TypeGraphErrorOptions) {
    super(message, code, options);
    this.name = new.target.name;
  }
}

/** First three items and a "(+N more)" tail, for messages. */
function headOf<T>(items: readonly T[], show: (item: T) => string, none: string): string {
  if (items.length === 0) return none;
  const more = items.length > 3 ? ` (+${items.length - 3} more)` : "";
  return items.slice(0, 3).map(show).join("; ") + more;
}

export class GraphExtensionValidationError extends GraphExtensionError {
  declare readonly code: "GRAPH_EXTENSION_INVALID";
  readonly issues: readonly GraphExtensionIssue[];
  constructor(issues: readonly GraphExtensionIssue[], cause?: unknown) {
    const frozen = Object.freeze(issues.map((i) => Object.freeze({ ...i })));
    super(
      `Graph extension document is invalid (${frozen.length} issue${frozen.length === 1 ? "" : "s"}): ${headOf(frozen, (i) => `${i.path || "(root)"} — ${i.message}`, "no specific issues recorded")}`,
      "GRAPH_EXTENSION_INVALID",
      {
        category: "user",
        details: { issues: frozen },
        suggestion: "See error.issues: each entry has a JSON-pointer `path` into the document and a stable `code`.",
        cause,
      },
    );
    this.issues = frozen;
  }
}

export class KindCollisionError extends GraphExtensionError {
  declare readonly code: "KIND_COLLISION";
  readonly kindName: string;
  readonly entity: "node" | "edge";
  constructor(kindName: string, entity: "node" | "edge", graphId: string) {
    super(
      `The graph extension declares ${entity} kind "${kindName}", but graph "${graphId}" already has a compile-time ${entity} kind of that name; extension kinds cannot replace compile-time kinds.`,
      "KIND_COLLISION",
      {
        category: "user",
        details: { kindName, entity, graphId },
        suggestion: "Rename the extension kind, or drop the compile-time declaration.",
      },
    );
    this.kindName = kindName;
    this.entity = entity;
  }
}

export class IncompatibleChangeError extends GraphExtensionError {
  declare readonly code: "INCOMPATIBLE_CHANGE";
  readonly changes: readonly IncompatibleChange[];
  constructor(changes: readonly IncompatibleChange[], graphId: string) {
    const frozen = Object.freeze(changes.map((c) => Object.freeze({ ...c })));
    super(
      `The graph extension makes ${frozen.length} incompatible change${frozen.length === 1 ? "" : "s"} to existing extension kinds of graph "${graphId}": ${headOf(
        frozen,
        (c) => `${c.kind}${c.field === undefined ? "" : `.${c.field}`}: ${c.type}${c.detail === undefined ? "" : ` (${c.detail})`}`,
        "(no specific changes recorded)",
      )}`,
      "INCOMPATIBLE_CHANGE",
      {
        category: "user",
        details: { graphId, changes: frozen },
        suggestion: "See error.changes. Make the change additive (for example `optional: true`), or apply it while the kind has no rows.",
      },
    );
    this.changes = frozen;
  }
}

export class GraphExtensionUnresolvedEndpointError extends GraphExtensionError {
  declare readonly code: "GRAPH_EXTENSION_UNRESOLVED_ENDPOINT";
  readonly edgeKind: string;
  readonly side: "from" | "to";
  readonly endpoint: string;
  constructor(edgeKind: string, side: "from" | "to", endpoint: string, graphId: string) {
    super(
      `The ${side} endpoint "${endpoint}" of extension edge "${edgeKind}" names no node kind of graph "${graphId}" (a compile-time kind may have been removed after the extension was committed).`,
      "GRAPH_EXTENSION_UNRESOLVED_ENDPOINT",
      {
        category: "user",
        details: { edgeKind, side, endpoint, graphId },
        suggestion: "Restore the node kind, or remove the extension edge with store.removeKinds before deploying without it.",
      },
    );
    this.edgeKind = edgeKind;
    this.side = side;
    this.endpoint = endpoint;
  }
}

export class GraphExtensionUnresolvedOntologyEndpointError extends GraphExtensionError {
  declare readonly code: "GRAPH_EXTENSION_UNRESOLVED_ONTOLOGY_ENDPOINT";
  readonly metaEdge: "inverseOf" | "implies";
  readonly endpoint: string;
  constructor(metaEdge: "inverseOf" | "implies", endpoint: string, graphId: string) {
    super(
      `The ${metaEdge} endpoint "${endpoint}" names no edge kind of graph "${graphId}".`,
      "GRAPH_EXTENSION_UNRESOLVED_ONTOLOGY_ENDPOINT",
      {
        category: "user",
        details: { metaEdge, endpoint, graphId },
        suggestion: "Use a registered edge kind name, or an absolute http(s) IRI for an external reference.",
      },
    );
    this.metaEdge = metaEdge;
    this.endpoint = endpoint;
  }
}

export class RemoveCompileTimeKindError extends GraphExtensionError {
  declare readonly code: "REMOVE_COMPILE_TIME_KIND";
  readonly kindName: string;
  readonly entity: "node" | "edge";
  constructor(kindName: string, entity: "node" | "edge", graphId: string) {
    super(
      `${entity === "node" ? "Node" : "Edge"} kind "${kindName}" of graph "${graphId}" is declared at compile time; store.removeKinds only removes graph-extension kinds.`,
      "REMOVE_COMPILE_TIME_KIND",
      {
        category: "user",
        details: { kindName, entity, graphId },
        suggestion: "Remove the kind from defineGraph and redeploy instead.",
      },
    );
    this.kindName = kindName;
    this.entity = entity;
  }
}

export class KindHasReferentsError extends GraphExtensionError {
  declare readonly code: "KIND_HAS_REFERENTS";
  readonly kindName: string;
  readonly referents: readonly KindReferent[];
  constructor(kindName: string, referents: readonly KindReferent[], graphId: string) {
    const frozen = Object.freeze(referents.map((r) => Object.freeze({ ...r })));
    super(
      `Extension kind "${kindName}" of graph "${graphId}" cannot be removed: compile-time declarations refer to it (${frozen.map((r) => `${r.type}:${r.name}`).join(", ")}).`,
      "KIND_HAS_REFERENTS",
      {
        category: "user",
        details: { kindName, graphId, referents: frozen },
        suggestion: "Drop those compile-time edges or ontology relations first.",
      },
    );
    this.kindName = kindName;
    this.referents = frozen;
  }
}

export class GraphExtensionVersionUnsupportedError extends GraphExtensionError {
  declare readonly code: "GRAPH_EXTENSION_VERSION_UNSUPPORTED";
  readonly persistedVersion: number;
  readonly currentVersion: number;
  constructor(persistedVersion: number, currentVersion: number) {
    super(
      `The graph extension uses document format v${persistedVersion}; this library reads formats up to v${currentVersion}. Upgrade typegraph-native.`,
      "GRAPH_EXTENSION_VERSION_UNSUPPORTED",
      {
        category: "system",
        details: { persistedVersion, currentVersion },
        suggestion: `Upgrade to a release that reads graph-extension format v${persistedVersion}, or downgrade the writer.`,
      },
    );
    this.persistedVersion = persistedVersion;
    this.currentVersion = currentVersion;
  }
}

export const ENTITY_ALREADY_EXISTS_CODE = "ENTITY_ALREADY_EXISTS";
export const INVERTED_VALIDITY_WINDOW_CODE = "INVERTED_VALIDITY_WINDOW";
export const IMMUTABLE_VALIDITY_LOWER_BOUND_CODE = "IMMUTABLE_VALIDITY_LOWER_BOUND";
export const EDGE_IDENTITY_MISMATCH_CODE = "EDGE_IDENTITY_MISMATCH";
export const MIGRATION_FAILURE_REASONS = [
  "schema-behind",
  "breaking-change",
  "no-active-version",
  "version-not-found",
  "kind-removal",
] as const;

export function isTypeGraphError(error: unknown): error is TypeGraphError {
  return error instanceof TypeGraphError;
}
export function isUserRecoverable(error: unknown): boolean {
  return isTypeGraphError(error) && (error.category === "user" || error.category === "constraint");
}
export function isConstraintError(error: unknown): boolean {
  return isTypeGraphError(error) && error.category === "constraint";
}
export function isSystemError(error: unknown): boolean {
  return isTypeGraphError(error) && error.category === "system";
}
export function getErrorSuggestion(error: unknown): string | undefined {
  return isTypeGraphError(error) ? error.suggestion : undefined;
}

const PAYLOAD_MARK = "__typegraph__";

interface Payload {
  code: string;
  message: string;
  details: Details;
  cause: string | null;
}

/** The one choke point: turns an error thrown by the native core into TypeGraph's class. */
export function convertError(error: unknown): unknown {
  if (!(error instanceof Error) || !error.message.startsWith(PAYLOAD_MARK)) return error;
  let p: Payload;
  try {
    p = JSON.parse(error.message.slice(PAYLOAD_MARK.length)) as Payload;
  } catch {
    return error;
  }
  const cause = p.cause ? new Error(p.cause) : undefined;
  const d = p.details ?? {};
  switch (p.code) {
    case "VALIDATION_ERROR":
      return new ValidationError(p.message, d, { cause });
    case "NODE_NOT_FOUND":
      return new NodeNotFoundError(String(d.kind), String(d.id), { cause });
    case "EDGE_NOT_FOUND":
      return new EdgeNotFoundError(String(d.kind), String(d.id), { cause });
    case "KIND_NOT_FOUND":
      return new KindNotFoundError(String(d.kindName), d.entity as "node" | "edge", { graphId: d.graphId as string, cause });
    case "ENDPOINT_ERROR":
      return new EndpointError(d, { cause });
    case "ENDPOINT_NOT_FOUND":
      return new EndpointNotFoundError(d, { cause });
    case "RESTRICTED_DELETE":
      return new RestrictedDeleteError(d, { cause });
    case "UNIQUENESS_VIOLATION":
      return new UniquenessError(d, { cause });
    case "CARDINALITY_ERROR":
      return new CardinalityError(d, { cause });
    case "DISJOINT_ERROR":
      return new DisjointError(d, { cause });
    case "CONFIGURATION_ERROR":
      return new ConfigurationError(p.message, d, { cause });
    case "BACKEND_DISPOSED":
      return new BackendDisposedError({ cause });
    case "TRANSACTION_CLOSED":
      return new TransactionClosedError({ cause });
    case "CONSTRAINT_NOT_FOUND":
      return new NodeConstraintNotFoundError(String(d.constraintName), String(d.kind), { cause });
    case "INDEX_NOT_FOUND":
      return new NodeIndexNotFoundError(String(d.indexName), String(d.kind), { cause });
    case "MIGRATION_ERROR":
      return new MigrationError(p.message, d, { cause });
    case "STALE_SCHEMA_VERSION":
      return new StaleVersionError(d, { cause });
    case "SCHEMA_CONTENT_CONFLICT":
      return new SchemaContentConflictError(d, { cause });
    case "UNSUPPORTED_PREDICATE":
      return new UnsupportedPredicateError(p.message, d, { cause });
    case "UNSUPPORTED_BACKEND_CAPABILITY":
      return new UnsupportedBackendCapabilityError(String(d.operation), String(d.capability), d, { cause, message: p.message });
    case "DATABASE_OPERATION_ERROR":
      return new DatabaseOperationError(p.message, d, { cause });
    case "INVALID_EDGE_WEIGHT":
      return new InvalidEdgeWeightError(d as unknown as InvalidEdgeWeightErrorDetails);
    case "GRAPH_ALGORITHM_CONVERGENCE_ERROR":
      return new GraphAlgorithmConvergenceError(String(d.algorithm), Number(d.maxIterations), { oscillating: d.oscillating === true });
    case "RANGE_ERROR":
      return new RangeError(p.message, { cause });
    case "IDENTITY_CONTRADICTION":
      return new IdentityContradictionError(d as unknown as IdentityContradictionErrorDetails, { cause });
    case "IDENTITY_VALIDITY_FUTURE_START":
    case "IDENTITY_VALIDITY_FUTURE_END":
    case "IDENTITY_VALIDITY_INVERTED":
    case "IDENTITY_VALIDITY_OPEN_WINDOW_CONFLICT":
      return new IdentityValidityWindowError(d as unknown as IdentityValidityWindowErrorDetails);
    case "IDENTITY_ENDPOINT_VALIDITY":
      return new IdentityEndpointValidityError(d as unknown as IdentityEndpointValidityErrorDetails);
    case "IDENTITY_SEPARATION_VIOLATION":
      return new IdentitySeparationViolationError(d as unknown as IdentitySeparationViolationErrorDetails, { cause });
    case "GRAPH_EXTENSION_INVALID":
      return new GraphExtensionValidationError((d.issues as GraphExtensionIssue[] | undefined) ?? [], cause);
    case "KIND_COLLISION":
      return new KindCollisionError(String(d.kindName), d.entity as "node" | "edge", String(d.graphId));
    case "INCOMPATIBLE_CHANGE":
      return new IncompatibleChangeError((d.changes as IncompatibleChange[] | undefined) ?? [], String(d.graphId));
    case "GRAPH_EXTENSION_UNRESOLVED_ENDPOINT":
      return new GraphExtensionUnresolvedEndpointError(String(d.edgeKind), d.side as "from" | "to", String(d.endpoint), String(d.graphId));
    case "GRAPH_EXTENSION_UNRESOLVED_ONTOLOGY_ENDPOINT":
      return new GraphExtensionUnresolvedOntologyEndpointError(d.metaEdge as "inverseOf" | "implies", String(d.endpoint), String(d.graphId));
    case "REMOVE_COMPILE_TIME_KIND":
      return new RemoveCompileTimeKindError(String(d.kindName), d.entity as "node" | "edge", String(d.graphId));
    case "KIND_HAS_REFERENTS":
      return new KindHasReferentsError(String(d.kindName), (d.referents as KindReferent[] | undefined) ?? [], String(d.graphId));
    case "CONTRIBUTION_UNAVAILABLE":
      return new ContributionUnavailableError(String(d.graphId), String(d.physicalName), { cause });
    case "CONTRIBUTION_REBUILD_UNSUPPORTED":
      return new ContributionRebuildUnsupportedError(d.reason as ContributionRebuildRefusalReason, d, { cause });
    case "GRAPH_EXTENSION_VERSION_UNSUPPORTED":
      return new GraphExtensionVersionUnsupportedError(Number(d.persistedVersion), Number(d.currentVersion));
    default:
      return new CompilerInvariantError(p.message, d, { cause });
  }
}

/** Thrown when an iterative graph algorithm runs out of rounds (or oscillates and can never converge). */
export class GraphAlgorithmConvergenceError extends TypeGraphError {
  constructor(algorithm: string, maxIterations: number, options: Readonly<{ oscillating?: boolean }> = {}) {
    const oscillating = options.oscillating === true;
    super(oscillating ? `${algorithm} entered a periodic label oscillation and can never converge.` : `${algorithm} did not converge within ${maxIterations} iterations.`, "GRAPH_ALGORITHM_CONVERGENCE_ERROR", {
      category: "user",
      details: { algorithm, maxIterations, ...(oscillating ? { oscillating } : {}) },
      suggestion: oscillating
        ? 'Pass onMaxIterations: "return" to take the fixed-round labeling, or leave the oscillating component out of the selection.'
        : "Raise maxIterations or narrow the selected graph, then retry.",
    });
    this.name = "GraphAlgorithmConvergenceError";
  }
}

/** Why a weighted traversal refused an edge's weight. */
export type InvalidEdgeWeightReason = "missing" | "negative" | "non_numeric" | "out_of_range";

/** Details of InvalidEdgeWeightError. */
export type InvalidEdgeWeightErrorDetails = Readonly<{
  edgeId: string;
  edgeKind: string;
  property: string;
  reason: InvalidEdgeWeightReason;
  value?: string;
}>;

const WEIGHT_REASONS: Readonly<Record<InvalidEdgeWeightReason, readonly [string, string]>> = {
  missing: ["has no value for weight property", "Store the property on every selected edge, or pass defaultWeight for edges without it."],
  negative: ["has a negative value for weight property", "Weights must be zero or positive; fix the edge or leave its kind out of the selection."],
  non_numeric: ["has a non-numeric value for weight property", "Store the weight as a JSON number (not a string)."],
  out_of_range: ["has an out-of-range value for weight property", "Keep weights between the smallest positive double and about 9.7e288 (or exactly zero)."],
};

/** Thrown by weightedShortestPath when a visible edge of the selected kinds has an unusable weight. */
export class InvalidEdgeWeightError extends TypeGraphError {
  declare readonly details: InvalidEdgeWeightErrorDetails;
  constructor(details: InvalidEdgeWeightErrorDetails) {
    const [what, suggestion] = WEIGHT_REASONS[details.reason] ?? WEIGHT_REASONS.non_numeric;
    super(`Edge '${details.edgeId}' (kind '${details.edgeKind}') ${what} '${details.property}'${details.value === undefined ? "" : ` (value: ${details.value})`}.`, "INVALID_EDGE_WEIGHT", {
      category: "user",
      details: { ...details },
      suggestion,
    });
    this.name = "InvalidEdgeWeightError";
  }
}

type IdentityRef = Readonly<{ kind: string; id: string }>;

/** Details of IdentityContradictionError. */
export type IdentityContradictionErrorDetails = Readonly<{
  operation: "assertSame" | "assertDifferent" | "fold" | "import" | "merge";
  a: IdentityRef;
  b: IdentityRef;
  reason: "different-assertion" | "same-class" | "disjoint-kinds";
  conflictingAssertionId?: string;
  conflictingKinds?: readonly [string, string];
}>;

/** An identity write that would leave the ledger contradictory. */
export class IdentityContradictionError extends TypeGraphError {
  declare readonly details: IdentityContradictionErrorDetails;
  constructor(details: IdentityContradictionErrorDetails, options: Cause = {}) {
    super(`Identity contradiction: ${details.a.kind}/${details.a.id} and ${details.b.kind}/${details.b.id} cannot satisfy ${details.operation}.`, "IDENTITY_CONTRADICTION", {
      category: "constraint",
      details,
      suggestion: "Retract the assertion it conflicts with (or change the ontology) and retry.",
      cause: options.cause,
    });
    this.name = "IdentityContradictionError";
  }
}

/** Details of IdentityValidityWindowError. */
export type IdentityValidityWindowErrorDetails = Readonly<{
  reason: "future-valid-from" | "future-valid-to" | "inverted" | "overlapping-open-window";
  validFrom: string;
  validTo?: string;
  operationInstant: string;
}>;

const WINDOW_CODES = {
  "future-valid-from": "IDENTITY_VALIDITY_FUTURE_START",
  "future-valid-to": "IDENTITY_VALIDITY_FUTURE_END",
  inverted: "IDENTITY_VALIDITY_INVERTED",
  "overlapping-open-window": "IDENTITY_VALIDITY_OPEN_WINDOW_CONFLICT",
} as const;

/** An identity assertion window that cannot be stored. */
export class IdentityValidityWindowError extends TypeGraphError {
  declare readonly details: IdentityValidityWindowErrorDetails;
  constructor(details: IdentityValidityWindowErrorDetails) {
    const conflict = details.reason === "overlapping-open-window";
    super(`Identity assertion validity window cannot be applied: ${details.reason}.`, WINDOW_CODES[details.reason] ?? "IDENTITY_VALIDITY_INVERTED", {
      category: conflict ? "constraint" : "user",
      details,
      suggestion:
        details.reason === "inverted"
          ? "Give a validFrom at or before validTo."
          : conflict
            ? "Retract the open assertion of this pair before opening it again from another instant."
            : "Bounds may not lie after the operation's clock: identity changes cannot be scheduled.",
    });
    this.name = "IdentityValidityWindowError";
  }
}

/** Details of IdentityEndpointValidityError. */
export type IdentityEndpointValidityErrorDetails = Readonly<{
  endpoint: IdentityRef;
  assertionWindow: Readonly<{ validFrom: string; validTo?: string }>;
  endpointWindow: Readonly<{ validFrom?: string; validTo?: string; deletedAt?: string }>;
}>;

/** An assertion endpoint that does not exist throughout the assertion's window. */
export class IdentityEndpointValidityError extends TypeGraphError {
  declare readonly details: IdentityEndpointValidityErrorDetails;
  constructor(details: IdentityEndpointValidityErrorDetails) {
    super(`Identity endpoint ${details.endpoint.kind}/${details.endpoint.id} does not exist throughout the requested assertion validity window.`, "IDENTITY_ENDPOINT_VALIDITY", {
      category: "constraint",
      details,
      suggestion: "Pick a window both endpoints' validity windows contain.",
    });
    this.name = "IdentityEndpointValidityError";
  }
}

/** Details of IdentitySeparationViolationError. */
export type IdentitySeparationViolationErrorDetails = Readonly<{
  graphId: string;
  enforcedBy: "database" | "writer";
  classKey: string;
  assertionId: string;
  a: IdentityRef;
  b: IdentityRef;
}>;

/** The separation relation refused a write that fuses two classes a `different` assertion keeps apart. */
export class IdentitySeparationViolationError extends TypeGraphError {
  declare readonly details: IdentitySeparationViolationErrorDetails;
  constructor(details: IdentitySeparationViolationErrorDetails, options: Cause = {}) {
    super(
      `Identity separation violated: ${details.a.kind}/${details.a.id} and ${details.b.kind}/${details.b.id} are kept apart by assertion ${details.assertionId}, but this write would put both in class ${details.classKey}.`,
      "IDENTITY_SEPARATION_VIOLATION",
      {
        category: "constraint",
        details,
        suggestion: "Retract the different assertion before joining these classes.",
        cause: options.cause,
      },
    );
    this.name = "IdentitySeparationViolationError";
  }
}
