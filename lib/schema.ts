// The persisted schema document and its hash, in the original's format so a
// database written by either implementation opens in the other.

import { createHash } from "node:crypto";
import { z } from "zod";
import { getEmbeddingInfo, getSearchableMetadata, unwrap, type GraphDef, type OntologyRelation } from "./core.js";
import { canonicalGraphExtension, type ExtendedGraphDef } from "./extension/compile.js";
import type { GraphExtension } from "./extension/types.js";
import { serializeIndexDeclaration } from "./indexes.js";

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

function nameOf(x: OntologyRelation["from"]): string {
  return typeof x === "string" ? x : x.kind;
}

// The core meta-edges' properties as the stored document records them (`ontology.metaEdges`);
// byte-for-byte what the original writes, since they are part of the hashed document.
const CORE_META_EDGES: Record<string, { transitive: boolean; symmetric: boolean; reflexive: boolean; inverse?: string; inference: string; description: string }> = {
  subClassOf: { transitive: true, symmetric: false, reflexive: false, inference: "subsumption", description: "Type inheritance (Podcast subClassOf Media)" },
  broader: { transitive: true, symmetric: false, reflexive: false, inverse: "narrower", inference: "hierarchy", description: "Broader concept (ML broader AI)" },
  narrower: { transitive: true, symmetric: false, reflexive: false, inverse: "broader", inference: "hierarchy", description: "Narrower concept (AI narrower ML)" },
  relatedTo: { transitive: false, symmetric: true, reflexive: false, inference: "association", description: "Non-hierarchical association" },
  equivalentTo: { transitive: true, symmetric: true, reflexive: false, inference: "substitution", description: "Same class, different representation" },
  sameAs: { transitive: true, symmetric: true, reflexive: false, inference: "substitution", description: "Deprecated type-level equivalence alias" },
  differentFrom: { transitive: false, symmetric: true, reflexive: false, inference: "constraint", description: "Deprecated decorative type-level non-identity relation" },
  disjointWith: { transitive: false, symmetric: true, reflexive: false, inference: "constraint", description: "Mutually exclusive types" },
  partOf: { transitive: true, symmetric: false, reflexive: false, inverse: "hasPart", inference: "composition", description: "X is part of Y" },
  hasPart: { transitive: true, symmetric: false, reflexive: false, inverse: "partOf", inference: "composition", description: "Y has part X" },
  inverseOf: { transitive: false, symmetric: true, reflexive: false, inference: "none", description: "Edge A is inverse of edge B" },
  implies: { transitive: true, symmetric: false, reflexive: false, inference: "none", description: "Edge A implies edge B exists" },
};

type Pairs = [string, string][];
type Closure = Map<string, Set<string>>;

// The closures below keep the original's iteration orders (first appearance, then reach order):
// their arrays are hashed as they are.

/** Everything each endpoint reaches through `pairs`; every endpoint gets a key. */
function transitiveClosure(pairs: Pairs): Closure {
  const closure: Closure = new Map();
  for (const [a, b] of pairs) {
    if (!closure.has(a)) closure.set(a, new Set());
    if (!closure.has(b)) closure.set(b, new Set());
  }
  for (const [a, b] of pairs) closure.get(a)!.add(b);
  const nodes = [...closure.keys()];
  for (const k of nodes) {
    const viaK = closure.get(k)!;
    for (const i of nodes) {
      const reach = closure.get(i)!;
      if (!reach.has(k)) continue;
      for (const x of viaK) reach.add(x);
    }
  }
  return closure;
}

function invert(closure: Closure): Closure {
  const out: Closure = new Map();
  for (const [from, tos] of closure) {
    for (const to of tos) {
      if (!out.has(to)) out.set(to, new Set());
      out.get(to)!.add(from);
    }
  }
  return out;
}

/** Each kind → the other members of its equivalence class (union by size, first root wins ties). */
function equivalenceSets(pairs: Pairs): Closure {
  const parent = new Map<string, string>();
  const size = new Map<string, number>();
  const find = (x: string): string => {
    if (!parent.has(x)) {
      parent.set(x, x);
      size.set(x, 1);
      return x;
    }
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root)!;
    return root;
  };
  for (const [a, b] of pairs) {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) continue;
    const [root, child] = size.get(ra)! >= size.get(rb)! ? [ra, rb] : [rb, ra];
    parent.set(child, root);
    size.set(root, size.get(ra)! + size.get(rb)!);
  }
  const classes = new Map<string, string[]>();
  for (const key of parent.keys()) {
    const root = find(key);
    if (!classes.has(root)) classes.set(root, []);
    classes.get(root)!.push(key);
  }
  const out: Closure = new Map();
  for (const members of classes.values()) for (const m of members) out.set(m, new Set(members.filter((x) => x !== m)));
  return out;
}

const isIri = (v: string) => v.startsWith("http://") || v.startsWith("https://");

function disjointLabel(a: string, b: string): string {
  const [first, second] = a < b ? [a, b] : [b, a];
  if (!first.includes("|") && !second.includes("|")) return `${first}|${second}`;
  return `\u001epair\u001e${first.length}:${first}${second.length}:${second}`;
}

/** A disjointness side widened by equivalents and subclasses (external IRIs excluded). */
function expandSide(kind: string, descendants: Closure, equivalents: Closure): string[] {
  const expanded = new Set<string>();
  const consumed = new Set<string>();
  const pending = [kind];
  while (pending.length > 0) {
    const current = pending.pop()!;
    if (expanded.has(current) || isIri(current)) continue;
    expanded.add(current);
    if (!consumed.has(current)) {
      consumed.add(current);
      for (const e of equivalents.get(current) ?? []) {
        consumed.add(e);
        pending.push(e);
      }
    }
    for (const d of descendants.get(current) ?? []) pending.push(d);
  }
  return [...expanded];
}

const record = (m: Closure) => {
  const out: Record<string, string[]> = {};
  for (const [k, v] of m) Object.defineProperty(out, k, { value: [...v], enumerable: true, writable: true, configurable: true });
  return out;
};
const simpleRecord = (m: Map<string, string>) => {
  const out: Record<string, string> = {};
  for (const [k, v] of m) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
};

/** The `ontology` slice of the stored document: meta-edges used, relations, and their closures. */
function serializeOntology(relations: { metaEdge: string; from: string; to: string }[]) {
  const metaEdges: Record<string, unknown> = {};
  for (const r of relations) {
    if (Object.prototype.hasOwnProperty.call(metaEdges, r.metaEdge)) continue;
    const core = Object.prototype.hasOwnProperty.call(CORE_META_EDGES, r.metaEdge)
      ? CORE_META_EDGES[r.metaEdge]!
      : { transitive: false, symmetric: false, reflexive: false, inference: "none" };
    Object.defineProperty(metaEdges, r.metaEdge, { value: { name: r.metaEdge, ...core }, enumerable: true, writable: true, configurable: true });
  }
  const by = (names: string[], flip = false): Pairs =>
    relations.filter((r) => names.includes(r.metaEdge)).map((r) => (flip && r.metaEdge === names[1] ? [r.to, r.from] : [r.from, r.to]));
  const sub = by(["subClassOf"]);
  const broader = relations
    .filter((r) => r.metaEdge === "broader" || r.metaEdge === "narrower")
    .map((r): [string, string] => (r.metaEdge === "narrower" ? [r.to, r.from] : [r.from, r.to]));
  const equivalent = by(["equivalentTo", "sameAs"]);
  const partOf = relations
    .filter((r) => r.metaEdge === "partOf" || r.metaEdge === "hasPart")
    .map((r): [string, string] => (r.metaEdge === "hasPart" ? [r.to, r.from] : [r.from, r.to]));
  const ancestors = transitiveClosure(sub);
  const descendants = invert(ancestors);
  const broaderClosure = transitiveClosure(broader);
  const equivalents = equivalenceSets(equivalent);
  const iriToKind = new Map<string, string>();
  for (const [a, b] of equivalent) {
    if (isIri(a) && !isIri(b)) iriToKind.set(a, b);
    else if (isIri(b) && !isIri(a)) iriToKind.set(b, a);
  }
  const disjointPairs = new Set<string>();
  for (const [a, b] of by(["disjointWith"])) {
    const right = expandSide(b, descendants, equivalents);
    for (const l of expandSide(a, descendants, equivalents)) for (const r of right) if (l !== r) disjointPairs.add(disjointLabel(l, r));
  }
  const partOfClosure = transitiveClosure(partOf);
  const inverses = new Map<string, string>();
  for (const [a, b] of by(["inverseOf"])) {
    inverses.set(a, b);
    inverses.set(b, a);
  }
  const implications = transitiveClosure(by(["implies"]));
  return {
    metaEdges,
    relations,
    closures: {
      subClassAncestors: record(ancestors),
      subClassDescendants: record(descendants),
      broaderClosure: record(broaderClosure),
      narrowerClosure: record(invert(broaderClosure)),
      equivalenceSets: record(equivalents),
      disjointPairs: [...disjointPairs],
      partOfClosure: record(partOfClosure),
      hasPartClosure: record(invert(partOfClosure)),
      iriToKind: simpleRecord(iriToKind),
      edgeInverses: simpleRecord(inverses),
      edgeImplicationsClosure: record(implications),
      edgeImplyingClosure: record(invert(implications)),
    },
  };
}

/** Relations as the engine and the document carry them. */
export function ontologyRelations(graph: GraphDef): { metaEdge: string; from: string; to: string }[] {
  return graph.ontology.map((r) => ({
    metaEdge: typeof r.metaEdge === "string" ? r.metaEdge : r.metaEdge.name,
    from: nameOf(r.from),
    to: nameOf(r.to),
  }));
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
  const doc: SerializedSchema = {
    graphId: graph.id,
    version,
    generatedAt: new Date().toISOString(),
    nodes,
    edges,
    ontology: serializeOntology(ontologyRelations(graph)),
    defaults: { onNodeDelete: graph.defaults.onNodeDelete, temporalMode: graph.defaults.temporalMode },
  };
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
export function engineGraph(graph: GraphDef): string {
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
    };
  }
  const edges: Record<string, unknown> = {};
  for (const [kind, reg] of Object.entries(graph.edges)) {
    edges[kind] = { from: reg.from.map((n) => n.kind), to: reg.to.map((n) => n.kind), cardinality: reg.cardinality ?? "many" };
  }
  return JSON.stringify({ graphId: graph.id, nodes, edges, relations: ontologyRelations(graph), defaultOnDelete: "restrict" });
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
