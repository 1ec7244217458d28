// `typegraph-native/schema`: schema documents, hashes, diffs and the active
// schema version of a graph.

import type { GraphBackend } from "./backend.js";
import type { GraphDef } from "./core.js";
import { DatabaseOperationError, MIGRATION_FAILURE_REASONS } from "./errors.js";
import { withStoredExtension } from "./extension/compile.js";
import { computeSchemaHash as hashSync, serializeSchema, type SerializedSchema } from "./schema.js";
import { computeSchemaDiff, type SchemaDiff } from "./schema-diff.js";

export { serializeSchema, type SerializedSchema } from "./schema.js";
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
export type { SchemaValidationResult } from "./store.js";
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
