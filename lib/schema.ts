// The persisted schema document and its hash, in the original's format so a
// database written by either implementation opens in the other.

import { createHash } from "node:crypto";
import { z } from "zod";
import { canonicalGraphExtension, type ExtendedGraphDef } from "./extension/compile.js";
import type { GraphExtension } from "./extension/types.js";
import { parsePointer, serializeIndexDeclaration } from "./indexes.js";
import { getEmbeddingInfo, getSearchableMetadata, unwrap, type GraphDef } from "./core.js";
import { closuresOf, namedRelations, serializedClosures, serializedMetaEdges, validateOntology } from "./ontology.js";

export interface SerializedSchema {
  graphId: string;
  version: number;
  generatedAt: string;
  nodes: Record<string, unknown>;
  edges: Record<string, unknown>;
  ontology: unknown;
  defaults: unknown;
  indexes?: unknown[];
  /** The graph extension (runtime kinds), without `version` when it is the legacy 1. */
  extension?: GraphExtension;
  /** Soft-deprecated kind names, sorted; absent when none. */
  deprecatedKinds?: string[];
  [key: string]: unknown;
}

function propsJsonSchema(schema: unknown): unknown {
  try {
    return z.toJSONSchema(schema as z.ZodType);
  } catch {
    // Unrepresentable fields (embeddings, dates, bigints) degrade the whole kind, as upstream does.
    return { type: "object" };
  }
}

/** Relations as the engine and the document carry them. */
export function ontologyRelations(graph: GraphDef): { metaEdge: string; from: string; to: string }[] {
  return namedRelations(graph.ontology);
}

export function serializeSchema(graph: GraphDef, version: number): SerializedSchema {
  const extension = canonicalGraphExtension((graph as ExtendedGraphDef).extension);
  const deprecated = (graph as ExtendedGraphDef).deprecatedKinds;
  const nodes: Record<string, unknown> = {};
  for (const [kind, reg] of Object.entries(graph.nodes)) {
    nodes[kind] = {
      kind,
      properties: propsJsonSchema(reg.type.schema),
      uniqueConstraints: (reg.unique ?? []).map((u) => {
        const where = u.where ? u.where(uniqueWhereProxy() as never) : undefined;
        return {
          name: u.name,
          fields: [...u.fields],
          where: where ? JSON.stringify({ field: where.field, op: where.op }) : undefined,
          scope: u.scope,
          collation: u.collation,
        };
      }),
      onDelete: reg.onDelete ?? "restrict",
      description: reg.type.description,
      annotations: reg.type.annotations && Object.keys(reg.type.annotations).length > 0 ? reg.type.annotations : undefined,
    };
  }
  const edges: Record<string, unknown> = {};
  for (const [kind, reg] of Object.entries(graph.edges)) {
    edges[kind] = {
      kind,
      fromKinds: reg.from.map((n) => n.kind),
      toKinds: reg.to.map((n) => n.kind),
      properties: propsJsonSchema(reg.type.schema),
      cardinality: reg.cardinality ?? "many",
      endpointExistence: "notDeleted",
      description: reg.type.description,
      annotations: reg.type.annotations && Object.keys(reg.type.annotations).length > 0 ? reg.type.annotations : undefined,
    };
  }
  const relations = ontologyRelations(graph);
  const doc: SerializedSchema = {
    graphId: graph.id,
    version,
    generatedAt: new Date().toISOString(),
    nodes,
    edges,
    ontology: {
      metaEdges: serializedMetaEdges(graph.ontology),
      relations,
      closures: serializedClosures(closuresOf(graph)),
    },
    defaults: { onNodeDelete: graph.defaults.onNodeDelete, temporalMode: graph.defaults.temporalMode },
  };
  const identity = (graph as { identity?: { sameIdAcrossKinds: string } }).identity;
  if (identity !== undefined) doc.identity = { sameIdAcrossKinds: identity.sameIdAcrossKinds };
  const indexes = [...(graph.indexes ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (indexes.length > 0) doc.indexes = indexes.map(serializeIndexDeclaration);
  // The extension document is the durable source for rebuilding runtime kinds on restart.
  if (extension !== undefined) doc.extension = extension;
  if (deprecated !== undefined && deprecated.size > 0) doc.deprecatedKinds = [...deprecated].sort();
  // Round-trip once so undefined keys disappear exactly as they do in the stored text.
  return JSON.parse(JSON.stringify(doc)) as SerializedSchema;
}

function uniqueWhereProxy() {
  return new Proxy(
    {},
    {
      get: (_t, field) => ({
        isNull: () => ({ field: String(field), op: "isNull" }),
        isNotNull: () => ({ field: String(field), op: "isNotNull" }),
      }),
    },
  );
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeysDeep((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** SHA-256 over the key-sorted document without `version`/`generatedAt`; first 16 hex chars. */
export function computeSchemaHash(doc: SerializedSchema): string {
  const { version: _v, generatedAt: _g, ...rest } = doc;
  const text = JSON.stringify(sortKeysDeep(rest));
  return createHash("sha256").update(text, "utf8").digest("hex").slice(0, 16);
}

/** What the engine needs of a graph: kinds, endpoints, delete rules, unique constraints, relations. */
export function engineGraph(graph: GraphDef, options: { traversalExpansion?: string } = {}): string {
  const nodes: Record<string, unknown> = {};
  for (const [kind, reg] of Object.entries(graph.nodes)) {
    nodes[kind] = {
      onDelete: reg.onDelete ?? "restrict",
      unique: (reg.unique ?? []).map((u) => ({
        name: u.name,
        fields: [...u.fields],
        where: u.where ? u.where(uniqueWhereProxy() as never) : null,
        scope: u.scope ?? "kind",
        collation: u.collation ?? "binary",
      })),
      ...searchSpec(reg.type.schema),
      ...indexPathsSpec(graph, kind),
    };
  }
  const edges: Record<string, unknown> = {};
  for (const [kind, reg] of Object.entries(graph.edges)) {
    edges[kind] = { from: reg.from.map((n) => n.kind), to: reg.to.map((n) => n.kind), cardinality: reg.cardinality ?? "many" };
  }
  validateOntology(graph);
  const c = closuresOf(graph);
  const closures = {
    edgeImplying: Object.fromEntries([...c.edgeImplyingClosure].map(([k, v]) => [k, [...v]])),
    edgeInverses: Object.fromEntries(c.edgeInverses),
    disjointPairs: c.disjointKindPairs,
  };
  return JSON.stringify({
    graphId: graph.id,
    nodes,
    edges,
    relations: ontologyRelations(graph),
    closures,
    ...(options.traversalExpansion ? { traversalExpansion: options.traversalExpansion } : {}),
    ...((graph as { identity?: { sameIdAcrossKinds: string } }).identity ? { identity: { fold: (graph as { identity: { sameIdAcrossKinds: string } }).identity.sameIdAcrossKinds === "fold" } } : {}),
    defaultOnDelete: "restrict",
  });
}

/** Prop paths of the kind's declared plain indexes (scope graphAndKind, no where, btree), for index-only aggregates. */
function indexPathsSpec(graph: GraphDef, kind: string): { indexPaths?: string[][][] } {
  const paths: string[][][] = [];
  for (const ix of graph.indexes ?? []) {
    if (ix.entity !== "node" || ix.kind !== kind || ix.scope !== "graphAndKind" || ix.where !== undefined || ix.method !== undefined) continue;
    paths.push([...ix.fields, ...ix.coveringFields].map((p) => parsePointer(p)));
  }
  return paths.length > 0 ? { indexPaths: paths } : {};
}

/** Per-kind `searchable()` and `embedding()` fields, as the engine keeps them in step. */
function searchSpec(schema: unknown): { searchable?: unknown[]; embeddings?: unknown[] } {
  const shape = (schema as { shape?: Record<string, unknown> }).shape ?? {};
  const searchable: unknown[] = [];
  const embeddings: unknown[] = [];
  for (const [field, fieldSchema] of Object.entries(shape)) {
    const s = getSearchableMetadata(fieldSchema);
    if (s) searchable.push({ field, language: s.language });
    const e = getEmbeddingInfo(fieldSchema);
    if (e) {
      embeddings.push({
        field,
        dimensions: e.dimensions,
        metric: e.metric,
        indexType: e.indexType,
        m: e.m,
        efConstruction: e.efConstruction,
        ...(e.lists === undefined ? {} : { lists: e.lists }),
      });
    }
  }
  return {
    ...(searchable.length > 0 ? { searchable } : {}),
    ...(embeddings.length > 0 ? { embeddings } : {}),
  };
}

/** The zod type family of a field, for predicate compilation. */
export function valueTypeOf(schema: unknown): string {
  if (getEmbeddingInfo(schema)) return "embedding";
  const inner = unwrap(schema) as { def?: { type?: string } } | undefined;
  switch (inner?.def?.type) {
    case "string":
    case "enum":
      return "string";
    case "number":
    case "int":
      return "number";
    case "boolean":
      return "boolean";
    case "date":
      return "date";
    case "array":
      return "array";
    case "object":
    case "record":
      return "object";
    default:
      return "unknown";
  }
}
