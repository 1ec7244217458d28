// `typegraph-native/schema`: schema documents, hashes, diffs and the active
// schema version of a graph.

import type { GraphBackend, TxToken } from "./backend.js";
import type { GraphDef } from "./core.js";
import { ConfigurationError, DatabaseOperationError, MIGRATION_FAILURE_REASONS, MigrationError, StaleVersionError } from "./errors.js";
import { withStoredExtension } from "./extension/compile.js";
import { computeSchemaHash as hashSync, engineGraph, serializeSchema, type SerializedSchema } from "./schema.js";
import { createStoreWithSchema, type MigrationHookContext, type SchemaValidationResult } from "./store.js";
import { computeSchemaDiff, getMigrationActions, type SchemaDiff } from "./schema-diff.js";

export { serializeSchema, type SerializedSchema } from "./schema.js";
export type {
  JsonSchema,
  SerializedUniqueConstraint,
  SerializedNodeDef,
  SerializedEdgeDef,
  SerializedMetaEdge,
  SerializedOntologyRelation,
  SerializedClosures,
  SerializedOntology,
} from "./schema-types.js";
export {
  computeSchemaDiff,
  classifySchemaChanges,
  isBackwardsCompatible,
  getMigrationActions,
  type ChangeType,
  type ChangeSeverity,
  type NodeChange,
  type EdgeChange,
  type OntologyChange,
  type IdentityChange,
  type IndexChange,
  type ExtensionChange,
  type DeprecatedKindsChange,
  type SchemaDiff,
  type SchemaChangeClassification,
} from "./schema-diff.js";
export type { SchemaValidationResult, MigrationHookContext } from "./store.js";
export { MIGRATION_FAILURE_REASONS };

export type SchemaHash = string;

/** SHA-256 (first 16 hex digits) of the key-sorted document without `version`/`generatedAt`. */
export async function computeSchemaHash(schema: SerializedSchema): Promise<SchemaHash> {
  return hashSync(schema);
}

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses a stored `schema_doc`; a document that is not JSON or lacks the required slices is a DatabaseOperationError. */
export function parseSerializedSchema(json: string): SerializedSchema {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new DatabaseOperationError("Stored schema document is not valid JSON", { operation: "select", entity: "schema" });
  }
  const problems: string[] = [];
  if (!isPlain(parsed)) problems.push("(root): expected an object");
  else {
    if (typeof parsed.graphId !== "string") problems.push("graphId: expected a string");
    if (typeof parsed.version !== "number") problems.push("version: expected a number");
    for (const k of ["nodes", "edges", "ontology", "defaults"]) if (!isPlain(parsed[k])) problems.push(`${k}: expected an object`);
    if (parsed.extension !== undefined && !isPlain(parsed.extension)) problems.push("extension: expected an object");
    if (parsed.deprecatedKinds !== undefined && !Array.isArray(parsed.deprecatedKinds)) problems.push("deprecatedKinds: expected an array");
  }
  if (problems.length > 0) {
    throw new DatabaseOperationError(`Stored schema document is malformed: ${problems.join("; ")}`, { operation: "select", entity: "schema" });
  }
  return parsed as SerializedSchema;
}

export interface DeserializedSchema {
  readonly graphId: string;
  readonly version: number;
  readonly generatedAt: string;
  getNode(name: string): Record<string, unknown> | undefined;
  getNodeNames(): readonly string[];
  getEdge(name: string): Record<string, unknown> | undefined;
  getEdgeNames(): readonly string[];
  getMetaEdge(name: string): Record<string, unknown> | undefined;
  getMetaEdgeNames(): readonly string[];
  getRelations(): readonly { metaEdge: string; from: string; to: string }[];
  getClosures(): Record<string, unknown>;
  getDefaults(): SerializedSchema["defaults"];
  getIdentity(): unknown;
  getRaw(): SerializedSchema;
}

/** Read accessors over a serialized schema (lookups by own key only). */
export function deserializeSchema(schema: SerializedSchema): DeserializedSchema {
  const own = (o: unknown, k: string) =>
    isPlain(o) && Object.prototype.hasOwnProperty.call(o, k) ? (o[k] as Record<string, unknown>) : undefined;
  const ontology = (schema.ontology ?? {}) as { metaEdges?: Record<string, unknown>; relations?: unknown[]; closures?: Record<string, unknown> };
  return {
    graphId: schema.graphId,
    version: schema.version,
    generatedAt: schema.generatedAt,
    getNode: (n) => own(schema.nodes, n),
    getNodeNames: () => Object.keys(schema.nodes),
    getEdge: (n) => own(schema.edges, n),
    getEdgeNames: () => Object.keys(schema.edges),
    getMetaEdge: (n) => own(ontology.metaEdges, n),
    getMetaEdgeNames: () => Object.keys(ontology.metaEdges ?? {}),
    getRelations: () => (ontology.relations ?? []) as { metaEdge: string; from: string; to: string }[],
    getClosures: () => ontology.closures ?? {},
    getDefaults: () => schema.defaults,
    getIdentity: () => schema.identity,
    getRaw: () => schema,
  };
}

interface ActiveRow {
  version: number;
  hash: string;
  doc: SerializedSchema;
}

// One engine registration per backend and graph id, reused by the read helpers below.
const handles = new WeakMap<GraphBackend, Map<string, Promise<number>>>();

async function activeRow(backend: GraphBackend, graphId: string): Promise<ActiveRow | undefined> {
  let perBackend = handles.get(backend);
  if (!perBackend) handles.set(backend, (perBackend = new Map()));
  let handle = perBackend.get(graphId);
  if (!handle) {
    handle = Promise.resolve(backend.register(JSON.stringify({ graphId, nodes: {}, edges: {} })));
    perBackend.set(graphId, handle);
  }
  const row = (await backend.call(await handle, "getActiveSchema", {})) as ActiveRow | null;
  return row ?? undefined;
}

/** @internal The active schema row (version, hash, document), or undefined before the first commit. */
export function readActiveSchemaRow(backend: GraphBackend, graphId: string): Promise<ActiveRow | undefined> {
  return activeRow(backend, graphId);
}

/** The active schema document of a graph, or undefined before its first commit. */
export async function getActiveSchema(backend: GraphBackend, graphId: string): Promise<SerializedSchema | undefined> {
  return (await activeRow(backend, graphId))?.doc;
}

export async function isSchemaInitialized(backend: GraphBackend, graphId: string): Promise<boolean> {
  return (await activeRow(backend, graphId)) !== undefined;
}

/** The active schema version number of a graph, or undefined. */
export async function getCommittedSchemaVersion(backend: GraphBackend, graphId: string): Promise<number | undefined> {
  return (await activeRow(backend, graphId))?.version;
}

/**
 * What committing `graph` would change relative to the active schema (with the stored graph
 * extension folded in first, so runtime kinds don't read as removals); undefined before the
 * first commit.
 */
export async function getSchemaChanges<G extends GraphDef>(backend: GraphBackend, graph: G): Promise<SchemaDiff | undefined> {
  const row = await activeRow(backend, graph.id);
  if (row === undefined) return undefined;
  const merged = withStoredExtension(graph, row.doc);
  return computeSchemaDiff(row.doc, serializeSchema(merged, row.version + 1));
}

/** True when the graph has no committed schema yet or differs from the active one. */
export async function requiresMigration<G extends GraphDef>(backend: GraphBackend, graph: G): Promise<boolean> {
  const diff = await getSchemaChanges(backend, graph);
  return diff === undefined ? true : diff.hasChanges;
}

export interface SchemaManagerOptions {
  /** Commit additive changes automatically (default true); otherwise report `pending`. */
  readonly autoMigrate?: boolean;
  /** Throw MigrationError on breaking changes (default true); otherwise report `breaking`. */
  readonly throwOnBreaking?: boolean;
  /** Awaited before an additive change is committed; a throw stops the migration. */
  readonly onBeforeMigrate?: (context: MigrationHookContext) => void | Promise<void>;
  /** Awaited after an additive change was committed. */
  readonly onAfterMigrate?: (context: MigrationHookContext) => void | Promise<void>;
}

/**
 * Creates missing tables and brings the graph's schema version up to date: the same decision
 * createStoreWithSchema makes (initialized / unchanged / migrated / pending / breaking).
 */
export async function ensureSchema<G extends GraphDef>(backend: GraphBackend, graph: G, options: SchemaManagerOptions = {}): Promise<SchemaValidationResult> {
  const [, result] = await createStoreWithSchema(graph, backend, { ...options });
  return result;
}

export interface SchemaVersionRow {
  graph_id: string;
  version: number;
  schema_hash: string;
  schema_doc: string;
  created_at: string;
  is_active: boolean;
}

async function commitVersion(
  backend: GraphBackend,
  handle: number,
  graph: GraphDef,
  expected: number | null,
  before?: (tx: TxToken) => Promise<void>,
): Promise<SchemaVersionRow> {
  const version = (expected ?? 0) + 1;
  const doc = serializeSchema(graph, version);
  const hash = hashSync(doc);
  const text = JSON.stringify(doc);
  const args = { graphId: graph.id, expected, version, hash, doc: text };
  let createdAt: string;
  if (before === undefined) {
    createdAt = ((await backend.call(handle, "commitSchema", args)) as { createdAt: string }).createdAt;
  } else {
    // The guard and the commit see one snapshot: nothing lands between the check and the new version.
    const tx = await backend.begin();
    let ok = false;
    try {
      await before(tx);
      createdAt = ((await backend.call(handle, "commitSchema", args, tx)) as { createdAt: string }).createdAt;
      ok = true;
    } finally {
      await backend.end(tx, ok);
    }
  }
  return { graph_id: graph.id, version, schema_hash: hash, schema_doc: text, created_at: createdAt, is_active: true };
}

/** Commits version 1 of a graph's schema; StaleVersionError when one already exists. */
export async function initializeSchema<G extends GraphDef>(backend: GraphBackend, graph: G): Promise<SchemaVersionRow> {
  await backend.bootstrap();
  const handle = await backend.register(engineGraph(graph));
  return commitVersion(backend, handle, graph, null);
}

export interface MigrateSchemaOptions {
  /** Commit even when a dropped kind still holds rows (they become unreachable). */
  readonly discardDroppedKindRows?: boolean;
}

/**
 * Commits `graph` (with the stored graph extension folded in) as the version after
 * `currentVersion`, breaking changes included. StaleVersionError when `currentVersion` is not the
 * active version; MigrationError (`kind-removal`) when a kind it drops still holds rows.
 */
export async function migrateSchema<G extends GraphDef>(
  backend: GraphBackend,
  graph: G,
  currentVersion: number,
  options: MigrateSchemaOptions = {},
): Promise<number> {
  await backend.bootstrap();
  const row = await activeRow(backend, graph.id);
  if (row !== undefined && row.version !== currentVersion) {
    throw new StaleVersionError({ graphId: graph.id, expected: currentVersion, actual: row.version });
  }
  const target = row === undefined ? graph : withStoredExtension(graph, row.doc);
  const handle = await backend.register(engineGraph(target));
  const dropped = {
    nodes: row === undefined ? [] : Object.keys(row.doc.nodes ?? {}).filter((k) => !Object.prototype.hasOwnProperty.call(target.nodes, k)),
    edges: row === undefined ? [] : Object.keys(row.doc.edges ?? {}).filter((k) => !Object.prototype.hasOwnProperty.call(target.edges, k)),
  };
  const guard =
    options.discardDroppedKindRows === true || dropped.nodes.length + dropped.edges.length === 0
      ? undefined
      : async (tx: TxToken) => {
          // A registration that knows only the dropped kinds, to count what they still hold.
          const probe = await backend.register(
            JSON.stringify({
              graphId: graph.id,
              nodes: Object.fromEntries(dropped.nodes.map((k) => [k, {}])),
              edges: Object.fromEntries(dropped.edges.map((k) => [k, {}])),
            }),
          );
          const populated: { entity: "node" | "edge"; kind: string; count: number }[] = [];
          for (const [entity, op, kinds] of [["node", "countNodes", dropped.nodes], ["edge", "countEdges", dropped.edges]] as const) {
            for (const kind of kinds) {
              const count = (await backend.call(probe, op, { kind, temporalMode: "includeEnded" }, tx)) as number;
              if (count > 0) populated.push({ entity, kind, count });
            }
          }
          if (populated.length === 0) return;
          throw new MigrationError(
            `Refusing to commit a schema for graph "${graph.id}" that drops kinds still holding rows: ${populated
              .map((p) => `${p.entity} "${p.kind}" (${p.count})`)
              .join(", ")}. Export or delete those rows first, or pass { discardDroppedKindRows: true } to drop them.`,
            {
              graphId: graph.id,
              fromVersion: currentVersion,
              toVersion: currentVersion + 1,
              reason: "kind-removal",
              droppedKinds: {
                nodes: populated.filter((p) => p.entity === "node").map((p) => p.kind),
                edges: populated.filter((p) => p.entity === "edge").map((p) => p.kind),
              },
            },
          );
        };
  const committed = await commitVersion(backend, handle, target, row === undefined ? null : currentVersion, guard);
  return committed.version;
}

export {
  validateProps,
  validateNodeProps,
  validateEdgeProps,
  wrapZodError,
  createValidationError,
  type ValidationContext,
} from "./validation.js";

/** The graph with its soft-deprecation set replaced by `names` (the same graph when nothing changes). */
export function applyDeprecatedKinds<G extends GraphDef>(graph: G, names: Iterable<string> | undefined): G {
  const next = new Set(names ?? []);
  const current = (graph as { deprecatedKinds?: ReadonlySet<string> }).deprecatedKinds ?? new Set<string>();
  if (next.size === current.size && [...next].every((n) => current.has(n))) return graph;
  const { deprecatedKinds: _d, ...rest } = graph as G & { deprecatedKinds?: ReadonlySet<string> };
  return Object.freeze(next.size === 0 ? rest : { ...rest, deprecatedKinds: next }) as unknown as G;
}

/** The active schema row (creating the tables first when missing), or undefined. */
export async function loadActiveSchemaWithBootstrap(
  backend: GraphBackend,
  graphId: string,
): Promise<{ graph_id: string; version: number; schema_hash: string; schema_doc: string; is_active: true } | undefined> {
  await backend.bootstrap();
  const row = await activeRow(backend, graphId);
  return row && { graph_id: graphId, version: row.version, schema_hash: row.hash, schema_doc: JSON.stringify(row.doc), is_active: true };
}

/** The graph with the stored graph extension and deprecations folded in, with the row it came from. */
export async function loadAndMergeGraphExtensionDocument<G extends GraphDef>(
  backend: GraphBackend,
  graph: G,
): Promise<{ graph: G; activeRow: Awaited<ReturnType<typeof loadActiveSchemaWithBootstrap>>; storedSchema: SerializedSchema | undefined }> {
  const row = await loadActiveSchemaWithBootstrap(backend, graph.id);
  if (row === undefined) return { graph, activeRow: undefined, storedSchema: undefined };
  const storedSchema = parseSerializedSchema(row.schema_doc);
  return { graph: withStoredExtension(graph, storedSchema) as unknown as G, activeRow: row, storedSchema };
}

/**
 * Checks without writing anything that the database's active schema matches `graph`
 * (for least-privilege runtimes): ConfigurationError before the first commit,
 * MigrationError (`schema-behind`) when the graph has changes the database lacks.
 */
export async function assertSchemaCurrent<G extends GraphDef>(backend: GraphBackend, graph: G): Promise<SchemaValidationResult> {
  const row = await activeRow(backend, graph.id);
  if (row === undefined) {
    throw new ConfigurationError(
      `Cannot verify graph "${graph.id}": no schema has been initialized. Run createStoreWithSchema(graph, backend) once with a role that may write the schema.`,
      { graphId: graph.id },
    );
  }
  const merged = withStoredExtension(graph, row.doc);
  const current = serializeSchema(merged, row.version + 1);
  if (hashSync(current) !== row.hash) {
    const diff = computeSchemaDiff(row.doc, current);
    if (diff.hasChanges) {
      const actions = getMigrationActions(diff);
      throw new MigrationError(
        `Schema verification failed for graph "${graph.id}": ${diff.summary} (${diff.hasBreakingChanges ? "breaking change" : "safe auto-migration"}). ${actions.length} migration action(s) needed; run createStoreWithSchema with a privileged role first.`,
        { graphId: graph.id, fromVersion: row.version, toVersion: row.version + 1, reason: "schema-behind", diff },
      );
    }
  }
  return { status: "unchanged", version: row.version };
}

/** A stored unique-constraint `where` (`{"field","op"}` JSON) as the callback a registration takes. */
export function deserializeWherePredicate(
  serialized: string,
): (builder: Record<string, { isNull(): { field: string; op: string }; isNotNull(): { field: string; op: string } }>) => { field: string; op: "isNull" | "isNotNull" } {
  const parsed = JSON.parse(serialized) as { field: string; op: "isNull" | "isNotNull" };
  return (builder) => {
    const field = Object.prototype.hasOwnProperty.call(builder, parsed.field) || parsed.field in builder ? builder[parsed.field] : undefined;
    if (!field) throw new ConfigurationError(`Unknown field in where predicate: ${parsed.field}`, { field: parsed.field });
    const result = parsed.op === "isNull" ? field.isNull() : field.isNotNull();
    return { field: result.field, op: result.op as "isNull" | "isNotNull" };
  };
}

/**
 * Makes `targetVersion` (an already committed version) the active schema version again.
 * MigrationError `no-active-version` before the first commit, `version-not-found` for a version
 * never committed; StaleVersionError when another writer moved the active version meanwhile.
 * Rows are untouched: a rollback only changes which document is active.
 */
export async function rollbackSchema(backend: GraphBackend, graphId: string, targetVersion: number): Promise<void> {
  const row = await activeRow(backend, graphId);
  if (row === undefined) {
    throw new MigrationError(`Cannot roll back graph "${graphId}": it has no active schema version.`, {
      graphId,
      fromVersion: 0,
      toVersion: targetVersion,
      reason: "no-active-version",
    });
  }
  const handle = await backend.register(JSON.stringify({ graphId, nodes: {}, edges: {} }));
  await backend.call(handle, "setActiveSchema", { graphId, expected: row.version, version: targetVersion });
}
export type { ContributionDiagnostic, ContributionDiagnosticState, ContributionRepairEntry, ContributionRepairResult } from "./contributions.js";
