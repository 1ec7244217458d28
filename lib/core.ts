// The definition DSL: node and edge kinds over zod schemas, graphs, and the
// branded field helpers (embedding, searchable, externalRef).

import { z } from "zod";
import { ConfigurationError, ValidationError } from "./errors.js";
import { deriveVectorIndexes, type IndexDeclaration } from "./indexes.js";
import { checkIdentityConfig, type GraphIdentityConfig } from "./identity.js";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type KindAnnotations = Record<string, JsonValue>;
export type AnyZodObject = z.ZodObject<z.ZodRawShape>;

export interface NodeType<K extends string = string, S extends AnyZodObject = AnyZodObject> {
  readonly __nodeType: true;
  readonly kind: K;
  readonly schema: S;
  readonly description: string | undefined;
  readonly annotations: KindAnnotations | undefined;
}

export interface EdgeType<K extends string = string, S extends AnyZodObject = AnyZodObject> {
  readonly __edgeType: true;
  readonly kind: K;
  readonly schema: S;
  readonly description: string | undefined;
  readonly annotations: KindAnnotations | undefined;
  readonly from: readonly NodeType[] | undefined;
  readonly to: readonly NodeType[] | undefined;
}

export type DeleteBehavior = "restrict" | "cascade" | "disconnect";
export type Cardinality = "many" | "one" | "unique" | "oneActive";
export type Collation = "binary" | "caseInsensitive";
export type UniquenessScope = "kind" | "kindWithSubClasses";
export type TemporalMode = "current" | "asOf" | "includeEnded" | "includeTombstones";

export interface UniqueWhereResult {
  readonly field: string;
  readonly op: "isNull" | "isNotNull";
}
type UniqueWhereBuilder<S extends AnyZodObject> = {
  [F in keyof z.output<S> & string]: { isNull(): UniqueWhereResult; isNotNull(): UniqueWhereResult };
};

export interface UniqueConstraint<S extends AnyZodObject = AnyZodObject> {
  name: string;
  fields: readonly (keyof z.output<S> & string)[];
  where?: (props: UniqueWhereBuilder<S>) => UniqueWhereResult;
  scope?: UniquenessScope;
  collation?: Collation;
}

export interface NodeRegistration<N extends NodeType = NodeType> {
  type: N;
  onDelete?: DeleteBehavior;
  unique?: readonly UniqueConstraint<N["schema"]>[];
}

export interface EdgeRegistration<E extends EdgeType = EdgeType> {
  type: E;
  from: readonly NodeType[];
  to: readonly NodeType[];
  cardinality?: Cardinality;
}

export interface OntologyRelation {
  metaEdge: { name: string } | string;
  from: NodeType | EdgeType | { readonly kind: string } | string;
  to: NodeType | EdgeType | { readonly kind: string } | string;
}

export interface GraphDefaults {
  onNodeDelete?: DeleteBehavior;
  temporalMode?: TemporalMode;
}

type NodeInput = NodeType | NodeRegistration;
type EdgeInput = EdgeType | EdgeRegistration;

export interface GraphConfig<
  Id extends string = string,
  N extends Record<string, NodeInput> = Record<string, NodeInput>,
  E extends Record<string, EdgeInput> = Record<string, EdgeInput>,
> {
  id: Id;
  nodes: N;
  edges?: E;
  ontology?: readonly OntologyRelation[];
  defaults?: GraphDefaults;
  /** Declared indexes (`defineNodeIndex`, `defineEdgeIndex`); vector indexes are derived from `embedding()` fields. */
  indexes?: readonly IndexDeclaration[];
  /** Enables the operational identity profile (`store.identity`). */
  identity?: GraphIdentityConfig;
}

type NormNode<T> = T extends NodeType ? NodeRegistration<T> : T extends NodeRegistration<infer X> ? NodeRegistration<X> & T : never;
type NormEdge<T> = T extends EdgeType ? EdgeRegistration<T> : T extends EdgeRegistration<infer X> ? EdgeRegistration<X> & T : never;

export interface GraphDef<
  Id extends string = string,
  N extends Record<string, NodeRegistration> = Record<string, NodeRegistration>,
  E extends Record<string, EdgeRegistration> = Record<string, EdgeRegistration>,
> {
  readonly __graphDef: true;
  readonly id: Id;
  readonly nodes: N;
  readonly edges: E;
  readonly ontology: readonly OntologyRelation[];
  readonly defaults: Required<GraphDefaults>;
  /** Declared indexes plus the vector indexes derived from `embedding()` fields (explicit ones win). */
  readonly indexes: readonly IndexDeclaration[] | undefined;
  /** The identity profile, when the graph declared one. */
  readonly identity?: GraphIdentityConfig;
}

const RESERVED_NODE_KEYS = ["id", "kind", "meta"] as const;
const RESERVED_EDGE_KEYS = ["id", "kind", "meta", "fromKind", "fromId", "toKind", "toId"] as const;

function shapeOf(schema: unknown): Record<string, unknown> {
  // A non-object schema has no shape; like upstream, that surfaces as a TypeError.
  return (schema as { shape: Record<string, unknown> }).shape;
}

function checkSchema(label: "Node" | "Edge", name: string, schema: unknown, reserved: readonly string[]): void {
  const shape = shapeOf(schema);
  const keys = Object.keys(shape);
  const detailKey = label === "Node" ? "nodeType" : "edgeType";
  const protoPaths = findProtoKeys(shape, "");
  if (protoPaths.length > 0) {
    throw new ConfigurationError(
      `${label} "${name}" schema declares a property named "__proto__", which schema validation cannot carry: ${protoPaths.join(", ")}`,
      { [detailKey]: name, conflicts: protoPaths },
    );
  }
  const conflicts = keys.filter((k) => reserved.includes(k));
  if (conflicts.length > 0) {
    throw new ConfigurationError(`${label} "${name}" schema contains reserved property names: ${conflicts.join(", ")}`, {
      [detailKey]: name,
      conflicts,
      reservedKeys: [...reserved],
    });
  }
  const dollar = keys.filter((k) => k.startsWith("$"));
  if (dollar.length > 0) {
    throw new ConfigurationError(`${label} "${name}" schema uses the reserved "$" prefix on: ${dollar.join(", ")}`, {
      [detailKey]: name,
      conflicts: dollar,
      reservedPrefix: "$",
    });
  }
}

function findProtoKeys(shape: Record<string, unknown>, prefix: string): string[] {
  const out: string[] = [];
  for (const key of Object.getOwnPropertyNames(shape)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (key === "__proto__") out.push(path);
    const inner = unwrap(shape[key]);
    const innerShape = (inner as { shape?: unknown } | undefined)?.shape;
    if (innerShape && typeof innerShape === "object") out.push(...findProtoKeys(innerShape as Record<string, unknown>, path));
  }
  return out;
}

/** Strips optional/nullable/default wrappers off a zod schema. */
export function unwrap(schema: unknown): unknown {
  let s = schema as { def?: { type?: string; innerType?: unknown } } | undefined;
  for (let i = 0; i < 16 && s?.def; i++) {
    const t = s.def.type;
    if ((t === "optional" || t === "nullable" || t === "default" || t === "prefault" || t === "readonly" || t === "catch") && s.def.innerType) {
      s = s.def.innerType as typeof s;
    } else break;
  }
  return s;
}

function checkAnnotations(label: string, name: string, value: unknown, path = "annotations"): void {
  if (value === undefined && path === "annotations") return;
  const bad = (kind: string) => {
    throw new ConfigurationError(`${label} "${name}" ${path} contains a non-JSON value (${kind}). Annotations must be JSON.`, {
      path,
      valueKind: kind,
    });
  };
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) bad(String(value));
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkAnnotations(label, name, v, `${path}[${i}]`));
    return;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) bad(value.constructor?.name ?? "object");
    for (const [k, v] of Object.entries(value)) checkAnnotations(label, name, v, `${path}.${k}`);
    return;
  }
  bad(typeof value);
}

function checkKindName(label: string, name: string): void {
  if (name.includes("\u001e")) {
    throw new ConfigurationError(
      `${label} kind name ${JSON.stringify(name)} contains U+001E, which TypeGraph reserves for claim axes.`,
      { name },
    );
  }
}

export function defineNode<K extends string, S extends AnyZodObject>(
  name: K,
  options: { schema: S; description?: string; annotations?: KindAnnotations },
): NodeType<K, S> {
  checkKindName("Node", name);
  checkSchema("Node", name, options.schema, RESERVED_NODE_KEYS);
  checkAnnotations("Node", name, options.annotations);
  return Object.freeze({
    __nodeType: true as const,
    kind: name,
    schema: options.schema,
    description: options.description,
    annotations: options.annotations,
  });
}

const EMPTY_EDGE_SCHEMA = z.object({});

export function defineEdge<K extends string, S extends AnyZodObject = z.ZodObject<{}>>(
  name: K,
  options: { schema?: S; from?: readonly NodeType[]; to?: readonly NodeType[]; description?: string; annotations?: KindAnnotations } = {},
): EdgeType<K, S> {
  const schema = (options.schema ?? EMPTY_EDGE_SCHEMA) as S;
  checkSchema("Edge", name, schema, RESERVED_EDGE_KEYS);
  checkAnnotations("Edge", name, options.annotations);
  return Object.freeze({
    __edgeType: true as const,
    kind: name,
    schema,
    description: options.description,
    annotations: options.annotations,
    from: options.from,
    to: options.to,
  });
}

export function isNodeType(value: unknown): value is NodeType {
  return typeof value === "object" && value !== null && (value as { __nodeType?: unknown }).__nodeType === true;
}
export function isEdgeType(value: unknown): value is EdgeType {
  return typeof value === "object" && value !== null && (value as { __edgeType?: unknown }).__edgeType === true;
}
export function isEdgeTypeWithEndpoints(value: unknown): value is EdgeType & { from: readonly NodeType[]; to: readonly NodeType[] } {
  return isEdgeType(value) && Array.isArray(value.from) && value.from.length > 0 && Array.isArray(value.to) && value.to.length > 0;
}
export function isGraphDef(value: unknown): value is GraphDef {
  return typeof value === "object" && value !== null && (value as { __graphDef?: unknown }).__graphDef === true;
}

export function defineGraph<
  const Id extends string,
  const N extends Record<string, NodeInput>,
  const E extends Record<string, EdgeInput> = {},
>(config: GraphConfig<Id, N, E>): GraphDef<Id, { [K in keyof N]: NormNode<N[K]> }, { [K in keyof E]: NormEdge<E[K]> }> {
  const nodes: Record<string, NodeRegistration> = {};
  for (const [key, value] of Object.entries(config.nodes)) {
    checkKindName("Node", key);
    const reg: NodeRegistration = isNodeType(value) ? { type: value } : (value as NodeRegistration);
    for (const u of reg.unique ?? []) {
      checkKindName("Unique constraint", u.name);
      if (u.where) {
        const shape = shapeOf(reg.type.schema);
        if (shape === null || typeof shape !== "object") {
          throw new ConfigurationError(`Unique constraint "${u.name}" on "${key}" has a where clause, but the kind's schema is not an object schema`, {
            kind: key,
            constraintName: u.name,
          });
        }
        const w = u.where(whereBuilder(shape) as never) as Partial<UniqueWhereResult> | null | undefined;
        if (w === null || typeof w !== "object" || typeof w.field !== "string" || (w.op !== "isNull" && w.op !== "isNotNull")) {
          throw new ConfigurationError(`Unique constraint "${u.name}" on "${key}": its where clause does not return a predicate (isNull() / isNotNull() of a field)`, {
            kind: key,
            constraintName: u.name,
          });
        }
        if (!Object.prototype.hasOwnProperty.call(shape, w.field)) {
          throw new ConfigurationError(`Unique constraint "${u.name}" on "${key}" filters on undeclared field "${w.field}"`, {
            kind: key,
            constraintName: u.name,
          });
        }
      }
    }
    nodes[key] = reg;
  }
  const allNodeTypes = Object.values(nodes).map((n) => n.type);
  const edges: Record<string, EdgeRegistration> = {};
  for (const [key, value] of Object.entries(config.edges ?? {})) {
    if (isEdgeType(value)) {
      edges[key] = isEdgeTypeWithEndpoints(value)
        ? { type: value, from: value.from, to: value.to }
        : { type: value, from: allNodeTypes, to: allNodeTypes };
      continue;
    }
    const reg = value as EdgeRegistration;
    if (isEdgeTypeWithEndpoints(reg.type)) {
      for (const side of ["from", "to"] as const) {
        const allowed = reg.type[side].map((n) => n.kind);
        for (const n of reg[side]) {
          if (!allowed.includes(n.kind)) {
            const label = side === "from" ? "domain" : "range";
            throw new ConfigurationError(
              `Edge "${key}" registration has '${side}' kind "${n.kind}" not in edge's built-in ${label}: [${allowed.join(", ")}]`,
              side === "from" ? { edgeName: key, invalidFrom: n.kind, allowedFrom: allowed } : { edgeName: key, invalidTo: n.kind, allowedTo: allowed },
              { suggestion: "A registration may only narrow the endpoints an edge type declares." },
            );
          }
        }
      }
    }
    edges[key] = reg;
  }
  const indexes = graphIndexes(config.indexes, nodes, edges);
  const identity = checkIdentityConfig(config.identity);
  return Object.freeze({
    __graphDef: true as const,
    id: config.id,
    nodes,
    edges,
    indexes,
    ontology: config.ontology ?? [],
    defaults: { onNodeDelete: config.defaults?.onNodeDelete ?? "restrict", temporalMode: config.defaults?.temporalMode ?? "current" },
    ...(identity === undefined ? {} : { identity }),
  }) as never;
}

function graphIndexes(
  explicit: readonly IndexDeclaration[] | undefined,
  nodes: Record<string, NodeRegistration>,
  edges: Record<string, EdgeRegistration>,
): readonly IndexDeclaration[] | undefined {
  const derived = deriveVectorIndexes(nodes);
  const given = explicit ?? [];
  const taken = new Set(given.filter((d) => d.entity === "vector").map((d) => `${d.kind}|${(d as { fieldPath: string }).fieldPath}`));
  const merged = [...given, ...derived.filter((d) => !taken.has(`${d.kind}|${d.fieldPath}`))];
  if (explicit === undefined && merged.length === 0) return undefined;
  const nodeKinds = new Set(Object.values(nodes).map((n) => n.type.kind));
  const edgeKinds = new Set(Object.values(edges).map((e) => e.type.kind));
  const seen = new Set<string>();
  for (const d of merged) {
    const entity = d.entity === "edge" ? "edge" : "node";
    const kinds = entity === "edge" ? edgeKinds : nodeKinds;
    if (!kinds.has(d.kind)) {
      throw new ConfigurationError(
        `Index "${d.name}" references ${entity} kind "${d.kind}" which is not registered in this graph's "${entity}s".`,
        { indexName: d.name, referencedKind: d.kind, availableKinds: [...kinds] },
        { suggestion: entity === "node" ? `Add ${d.kind} to defineGraph({ nodes }) or remove the index from "indexes".` : `Register the edge in defineGraph({ edges }) or remove the index from "indexes".` },
      );
    }
    if (seen.has(d.name)) {
      throw new ConfigurationError(
        `Duplicate index name "${d.name}" in defineGraph({ indexes }). Index names must be unique within a graph.`,
        { indexName: d.name },
        { suggestion: `Pass an explicit { name: "..." } to disambiguate.` },
      );
    }
    seen.add(d.name);
  }
  return Object.freeze(merged);
}

function whereBuilder(shape: Record<string, unknown>) {
  return new Proxy(
    {},
    {
      get: (_t, field) => ({
        isNull: () => ({ field: String(field), op: "isNull" as const }),
        isNotNull: () => ({ field: String(field), op: "isNotNull" as const }),
      }),
      has: (_t, field) => Object.prototype.hasOwnProperty.call(shape, field),
    },
  );
}

export function getNodeKinds<G extends GraphDef>(graph: G): (keyof G["nodes"] & string)[] {
  return Object.keys(graph.nodes) as (keyof G["nodes"] & string)[];
}
export function getEdgeKinds<G extends GraphDef>(graph: G): (keyof G["edges"] & string)[] {
  return Object.keys(graph.edges) as (keyof G["edges"] & string)[];
}

// ---- branded fields ------------------------------------------------------

export type EmbeddingMetric = "cosine" | "l2" | "inner_product";
export interface EmbeddingOptions {
  metric?: EmbeddingMetric;
  indexType?: "hnsw" | "ivfflat" | "none";
  m?: number;
  efConstruction?: number;
  lists?: number;
}
export interface EmbeddingInfo extends Required<Pick<EmbeddingOptions, "metric" | "indexType">> {
  dimensions: number;
  m: number;
  efConstruction: number;
  lists?: number;
}

const embeddingInfo = new WeakMap<object, EmbeddingInfo>();
export type EmbeddingValue = number[];
export type EmbeddingSchema = z.ZodType<number[]>;

/** A vector field of `dims` finite numbers; also mirrored into the vector index tables. */
export function embedding(dimensions: number, options: EmbeddingOptions = {}): EmbeddingSchema {
  if (!Number.isInteger(dimensions) || dimensions <= 0) {
    throw new ConfigurationError(`Embedding dimensions must be a positive integer, got ${dimensions}`, { dimensions });
  }
  const schema = z.custom<number[]>(
    (v) => Array.isArray(v) && v.length === dimensions && v.every((x) => typeof x === "number" && Number.isFinite(x)),
    { message: `Expected an embedding of ${dimensions} finite numbers` },
  );
  embeddingInfo.set(schema, {
    dimensions,
    metric: options.metric ?? "cosine",
    indexType: options.indexType ?? "hnsw",
    m: options.m ?? 16,
    efConstruction: options.efConstruction ?? 64,
    ...(options.lists === undefined ? {} : { lists: options.lists }),
  });
  return schema;
}

export function isEmbeddingSchema(schema: unknown): boolean {
  return typeof schema === "object" && schema !== null && embeddingInfo.has(unwrap(schema) as object);
}
export function getEmbeddingInfo(schema: unknown): EmbeddingInfo | undefined {
  const inner = unwrap(schema);
  return typeof inner === "object" && inner !== null ? embeddingInfo.get(inner) : undefined;
}
export function getEmbeddingDimensions(schema: unknown): number | undefined {
  return getEmbeddingInfo(schema)?.dimensions;
}

export const DEFAULT_SEARCHABLE_LANGUAGE = "english";
export interface SearchableOptions {
  language?: string;
}
export interface SearchableMetadata {
  language: string;
}
export type SearchableSchema = z.ZodString;

/** A string field indexed for fulltext search (one document per node). */
export function searchable(options: SearchableOptions = {}): SearchableSchema {
  return z.string().meta({ _searchableField: { language: options.language ?? DEFAULT_SEARCHABLE_LANGUAGE } });
}
export function getSearchableMetadata(schema: unknown): SearchableMetadata | undefined {
  const inner = unwrap(schema) as { meta?: () => Record<string, unknown> | undefined } | undefined;
  const meta = typeof inner?.meta === "function" ? inner.meta() : undefined;
  const s = meta?._searchableField as SearchableMetadata | undefined;
  return s ? { language: s.language } : undefined;
}
export function isSearchableSchema(schema: unknown): boolean {
  return getSearchableMetadata(schema) !== undefined;
}

export interface ExternalRefValue<T extends string = string> {
  table: T;
  id: string;
}
export type ExternalRefSchema<T extends string = string> = z.ZodObject<{ table: z.ZodLiteral<T>; id: z.ZodString }>;
const externalRefTables = new WeakMap<object, string>();

/** A typed reference to a row of an application table: `{ table, id }`. */
export function externalRef<T extends string>(table: T): ExternalRefSchema<T> {
  if (typeof table !== "string" || table.length === 0) {
    throw new ConfigurationError("External reference table must be a non-empty string", { table });
  }
  const schema = z.object({ table: z.literal(table), id: z.string().min(1) });
  externalRefTables.set(schema, table);
  return schema;
}
export function createExternalRef<T extends string>(table: T): (id: string) => ExternalRefValue<T> {
  return (id: string) => ({ table, id });
}
export function isExternalRefSchema(schema: unknown): boolean {
  const inner = unwrap(schema);
  return typeof inner === "object" && inner !== null && externalRefTables.has(inner);
}
export function getExternalRefTable(schema: unknown): string | undefined {
  const inner = unwrap(schema);
  return typeof inner === "object" && inner !== null ? externalRefTables.get(inner) : undefined;
}

// ---- id brands (compile-time only) ----------------------------------------

declare const nodeIdBrand: unique symbol;
declare const edgeIdBrand: unique symbol;
export type NodeId<N extends NodeType = NodeType> = string & { readonly [nodeIdBrand]?: N["kind"] };
export type EdgeId<E extends EdgeType = EdgeType> = string & { readonly [edgeIdBrand]?: E["kind"] };
/** An id brand accepts any non-empty string (an empty id names no row). */
function brandId(id: unknown, name: string): string {
  if (typeof id !== "string" || id.length === 0) {
    throw new ValidationError(`${name} must be a non-empty string.`, { issues: [{ path: "id", message: "expected a non-empty string" }] });
  }
  return id;
}
export function asNodeId<N extends NodeType = NodeType>(id: string): NodeId<N> {
  return brandId(id, "asNodeId") as NodeId<N>;
}
export function asEdgeId<E extends EdgeType = EdgeType>(id: string): EdgeId<E> {
  return brandId(id, "asEdgeId") as EdgeId<E>;
}
