// `typegraph-native/indexes`: declared relational indexes over node and edge props
// (expression indexes on the JSON paths queries filter and order by), their DDL per
// dialect, the system index list, and the vector index declarations derived from
// `embedding()` fields. Names, keys and DDL follow the original's generator so a
// database indexed by either implementation carries the same physical indexes.

import { createHash } from "node:crypto";
import type { z } from "zod";
import { ConfigurationError } from "./errors.js";
import { getEmbeddingInfo, unwrap, type EdgeType, type NodeType } from "./core.js";

// ---- types -----------------------------------------------------------------

export type IndexScope = "graphAndKind" | "graph" | "none";
export type RelationalIndexMethod = "btree" | "gin" | "trigram";
export type IndexOrigin = "compile-time" | "runtime";
export type EdgeIndexDirection = "out" | "in" | "none";
export type ValueType = "string" | "number" | "boolean" | "date" | "array" | "object" | "embedding" | "unknown";
export type JsonPointer = string;
export type SystemColumnName =
  | "graph_id"
  | "kind"
  | "id"
  | "from_kind"
  | "from_id"
  | "to_kind"
  | "to_id"
  | "deleted_at"
  | "valid_from"
  | "valid_to"
  | "created_at"
  | "updated_at"
  | "version";

export type IndexWhereOp = "eq" | "neq" | "gt" | "gte" | "lt" | "lte" | "in" | "notIn";

export type IndexWhereOperand =
  | Readonly<{ __type: "index_operand_system"; column: SystemColumnName; valueType: ValueType | undefined }>
  | Readonly<{ __type: "index_operand_prop"; field: string; valueType: ValueType | undefined }>;

export type IndexWhereLiteral = Readonly<{ __type: "index_where_literal"; value: string | number | boolean; valueType: ValueType }>;

export type IndexWhereExpression =
  | Readonly<{ __type: "index_where_and"; predicates: readonly IndexWhereExpression[] }>
  | Readonly<{ __type: "index_where_or"; predicates: readonly IndexWhereExpression[] }>
  | Readonly<{ __type: "index_where_not"; predicate: IndexWhereExpression }>
  | Readonly<{
      __type: "index_where_comparison";
      left: IndexWhereOperand;
      op: IndexWhereOp;
      right: IndexWhereLiteral | readonly IndexWhereLiteral[];
    }>
  | Readonly<{ __type: "index_where_null_check"; operand: IndexWhereOperand; op: "isNull" | "isNotNull" }>;

type Comparable<T> = NonNullable<T> extends string
  ? string
  : NonNullable<T> extends number
    ? number
    : NonNullable<T> extends boolean
      ? boolean
      : NonNullable<T> extends Date
        ? Date | string
        : never;

export type IndexWhereFieldBuilder<T> = Readonly<{
  eq: (value: Comparable<T>) => IndexWhereExpression;
  neq: (value: Comparable<T>) => IndexWhereExpression;
  gt: (value: Comparable<T>) => IndexWhereExpression;
  gte: (value: Comparable<T>) => IndexWhereExpression;
  lt: (value: Comparable<T>) => IndexWhereExpression;
  lte: (value: Comparable<T>) => IndexWhereExpression;
  in: (values: readonly Comparable<T>[]) => IndexWhereExpression;
  notIn: (values: readonly Comparable<T>[]) => IndexWhereExpression;
  isNull: () => IndexWhereExpression;
  isNotNull: () => IndexWhereExpression;
}>;

type SystemWhere = {
  graphId: IndexWhereFieldBuilder<string>;
  kind: IndexWhereFieldBuilder<string>;
  id: IndexWhereFieldBuilder<string>;
  deletedAt: IndexWhereFieldBuilder<string | undefined>;
  validFrom: IndexWhereFieldBuilder<string | undefined>;
  validTo: IndexWhereFieldBuilder<string | undefined>;
  createdAt: IndexWhereFieldBuilder<string>;
  updatedAt: IndexWhereFieldBuilder<string>;
};

export type NodeIndexWhereBuilder<N extends NodeType> = Readonly<
  SystemWhere & { version: IndexWhereFieldBuilder<number> } & {
    [K in keyof z.infer<N["schema"]>]-?: IndexWhereFieldBuilder<z.infer<N["schema"]>[K]>;
  }
>;
export type EdgeIndexWhereBuilder<E extends EdgeType> = Readonly<
  SystemWhere & {
    fromKind: IndexWhereFieldBuilder<string>;
    fromId: IndexWhereFieldBuilder<string>;
    toKind: IndexWhereFieldBuilder<string>;
    toId: IndexWhereFieldBuilder<string>;
  } & { [K in keyof z.infer<E["schema"]>]-?: IndexWhereFieldBuilder<z.infer<E["schema"]>[K]> }
>;
export type IndexWhereInput<Builder> = IndexWhereExpression | ((where: Builder) => IndexWhereExpression);

type FieldInput<T> = (keyof T & string) | `/${string}` | readonly string[];

export type NodeIndexConfig<N extends NodeType> = Readonly<{
  fields?: readonly FieldInput<z.infer<N["schema"]>>[] | undefined;
  coveringFields?: readonly FieldInput<z.infer<N["schema"]>>[] | undefined;
  keySystemColumns?: readonly SystemColumnName[] | undefined;
  unique?: boolean | undefined;
  name?: string | undefined;
  scope?: IndexScope | undefined;
  where?: IndexWhereInput<NodeIndexWhereBuilder<N>> | undefined;
  method?: RelationalIndexMethod | undefined;
}>;

export type EdgeIndexConfig<E extends EdgeType> = Readonly<{
  fields: readonly [FieldInput<z.infer<E["schema"]>>, ...FieldInput<z.infer<E["schema"]>>[]];
  coveringFields?: readonly FieldInput<z.infer<E["schema"]>>[] | undefined;
  unique?: boolean | undefined;
  name?: string | undefined;
  scope?: IndexScope | undefined;
  direction?: EdgeIndexDirection | undefined;
  where?: IndexWhereInput<EdgeIndexWhereBuilder<E>> | undefined;
  method?: RelationalIndexMethod | undefined;
}>;

export type IndexDeclarationBase = Readonly<{
  name: string;
  origin?: IndexOrigin;
  fields: readonly JsonPointer[];
  fieldValueTypes: readonly (ValueType | undefined)[];
  coveringFields: readonly JsonPointer[];
  coveringFieldValueTypes: readonly (ValueType | undefined)[];
  unique: boolean;
  scope: IndexScope;
  where: IndexWhereExpression | undefined;
  method?: Exclude<RelationalIndexMethod, "btree">;
}>;
export type NodeIndexDeclaration = IndexDeclarationBase &
  Readonly<{ entity: "node"; kind: string; keySystemColumns?: readonly SystemColumnName[] }>;
export type EdgeIndexDeclaration = IndexDeclarationBase & Readonly<{ entity: "edge"; kind: string; direction: EdgeIndexDirection }>;
export type VectorIndexMetric = "cosine" | "l2" | "inner_product";
export type VectorIndexImplementation = "hnsw" | "ivfflat" | "none";
export type VectorIndexParams = Readonly<{ m: number; efConstruction: number; lists: number | undefined }>;
export type VectorIndexDeclaration = Readonly<{
  entity: "vector";
  name: string;
  origin?: IndexOrigin;
  kind: string;
  fieldPath: string;
  dimensions: number;
  metric: VectorIndexMetric;
  indexType: VectorIndexImplementation;
  indexParams: VectorIndexParams;
}>;
export type RelationalIndexDeclaration = NodeIndexDeclaration | EdgeIndexDeclaration;
export type IndexDeclaration = RelationalIndexDeclaration | VectorIndexDeclaration;

export type GenerateIndexDdlOptions = Readonly<{
  nodesTableName?: string | undefined;
  edgesTableName?: string | undefined;
  ifNotExists?: boolean | undefined;
  /** `CREATE INDEX CONCURRENTLY` (PostgreSQL only; cannot run inside a transaction). */
  concurrent?: boolean | undefined;
}>;

/** The profiler's view of a declared index. */
export interface DeclaredIndex {
  entityType: "node" | "edge";
  kind: string;
  fields: string[];
  unique: boolean;
  name: string;
}

// ---- where composition -----------------------------------------------------

export function andWhere(...predicates: [IndexWhereExpression, ...IndexWhereExpression[]]): IndexWhereExpression {
  return predicates.length === 1 ? predicates[0] : { __type: "index_where_and", predicates };
}
export function orWhere(...predicates: [IndexWhereExpression, ...IndexWhereExpression[]]): IndexWhereExpression {
  return predicates.length === 1 ? predicates[0] : { __type: "index_where_or", predicates };
}
export function notWhere(predicate: IndexWhereExpression): IndexWhereExpression {
  return { __type: "index_where_not", predicate };
}

// ---- small helpers ---------------------------------------------------------

const fail = (message: string, details: Record<string, unknown> = {}): never => {
  throw new ConfigurationError(message, details, { suggestion: "Fix the index declaration." });
};

/** FNV-1a (32-bit) over code points, base 36. */
function fnv1aBase36(input: string): string {
  let hash = 0x811c9dc5;
  for (const ch of input) {
    hash ^= ch.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

/** The 8-hex-digit identifier hash vector table names and long system names use. */
export function shortIdentifierHash(input: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (const ch of input) {
    const c = ch.codePointAt(0)!;
    h1 = Math.imul(h1 ^ c, 0x9e3779b1);
    h2 = Math.imul(h2 ^ c, 0x5f356495);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b) ^ Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b) ^ Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  return (h2 >>> 0).toString(16).padStart(8, "0");
}

function sanitizeComponent(value: string): string {
  return value
    .toLowerCase()
    .replaceAll(/[^a-z0-9_]+/g, "_")
    .replaceAll(/^_+|_+$/g, "")
    .slice(0, 20);
}

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const sqlString = (value: string): string => `'${value.replaceAll("'", "''")}'`;

function escapeSegment(s: string): string {
  return s.replaceAll("~", "~0").replaceAll("/", "~1");
}
function pointerOf(segments: readonly string[]): JsonPointer {
  return segments.map((s) => `/${escapeSegment(String(s))}`).join("");
}
export function parsePointer(pointer: JsonPointer): string[] {
  if (pointer === "" || pointer === "/") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

function normalizeFieldInput(input: unknown): JsonPointer {
  if (Array.isArray(input)) {
    if (input.length === 0) fail("Index field JSON pointer must not be empty");
    return pointerOf(input as string[]);
  }
  if (typeof input === "string") {
    if (input.startsWith("/")) {
      // "~" escapes only "~0" and "~1"; anything else is not a pointer (RFC 6901).
      const bad = input.slice(1).split("/").find((segment) => /~(?![01])/.test(segment));
      if (bad !== undefined) fail(`Invalid JSON Pointer escape sequence in segment: ${bad}`, { field: input });
      const p = pointerOf(parsePointer(input));
      if (p === "") fail("Index field JSON pointer must not be empty");
      return p;
    }
    return pointerOf([input]);
  }
  return fail(`Unsupported index field input: ${String(input)}`);
}

function defOf(schema: unknown): { type?: string; shape?: Record<string, unknown>; element?: unknown; innerType?: unknown } | undefined {
  return (schema as { def?: never } | undefined)?.def;
}

/** The value family of a zod field, as the query compiler and the index keys see it. */
function valueTypeOfSchema(schema: unknown): ValueType {
  if (getEmbeddingInfo(schema)) return "embedding";
  const inner = unwrap(schema);
  switch (defOf(inner)?.type) {
    case "string":
    case "enum":
    case "literal":
      return "string";
    case "number":
    case "int":
    case "bigint":
      return "number";
    case "boolean":
      return "boolean";
    case "date":
      return "date";
    case "array":
    case "tuple":
      return "array";
    case "object":
    case "record":
      return "object";
    default:
      return "unknown";
  }
}

function shapeOf(schema: unknown): Record<string, unknown> {
  const d = defOf(schema);
  if (d?.type !== "object" || !d.shape) fail("Index definitions require an object schema");
  return d!.shape!;
}

function resolveFieldType(shape: Record<string, unknown>, owner: string, pointer: JsonPointer): ValueType {
  const [first, ...rest] = parsePointer(pointer);
  if (first === undefined) return fail("Index field JSON pointer must not be empty");
  if (!Object.hasOwn(shape, first)) return fail(`Unknown field "${first}" for ${owner} in index definition`, { field: first });
  let schema: unknown = shape[first];
  for (const seg of rest) {
    const inner = unwrap(schema);
    const d = defOf(inner);
    if (d?.type === "object" && d.shape && Object.hasOwn(d.shape, seg)) schema = d.shape[seg];
    else if (d?.type === "record") schema = (d as { valueType?: unknown }).valueType;
    else if (d?.type === "array" && /^\d+$/.test(seg)) schema = d.element;
    else return fail(`Unknown JSON pointer "${pointer}" for ${owner} in index definition`, { pointer });
  }
  return valueTypeOfSchema(schema);
}

function normalizeFields(
  shape: Record<string, unknown>,
  owner: string,
  inputs: readonly unknown[],
  label: string,
  allowJson: boolean,
): { pointers: JsonPointer[]; valueTypes: ValueType[] } {
  const pointers: JsonPointer[] = [];
  const valueTypes: ValueType[] = [];
  for (const input of inputs) {
    const pointer = normalizeFieldInput(input);
    const vt = resolveFieldType(shape, owner, pointer);
    if (vt === "embedding") {
      fail(
        `Cannot create props index for embedding field (${owner} ${pointer}); embedding() fields are indexed in their own vector storage`,
        { field: pointer },
      );
    }
    if ((vt === "array" || vt === "object") && !allowJson) {
      fail(`Cannot create btree props index for ${vt} field (${owner} ${pointer}); use method: "gin" instead`, { field: pointer });
    }
    if (pointers.includes(pointer)) fail(`Index ${label} contains duplicate value: ${pointer}`);
    pointers.push(pointer);
    valueTypes.push(vt);
  }
  return { pointers, valueTypes };
}

function assertNoOverlap(a: readonly string[], b: readonly string[]): void {
  for (const v of b) if (a.includes(v)) fail(`Index coveringFields must not overlap fields: ${v}`);
}

function resolveMethod(
  method: RelationalIndexMethod | undefined,
  d: { fieldCount: number; fieldType: ValueType | undefined; covering: number; systemKeys: number; unique: boolean; hasWhere: boolean },
): "gin" | "trigram" | undefined {
  const m = method ?? "btree";
  if (m === "btree") return undefined;
  if (m !== "gin" && m !== "trigram") return fail(`Unknown index method "${String(m)}"`);
  if (d.fieldCount !== 1) fail(`Index method "${m}" requires exactly one field (a GIN indexes one expression), got ${d.fieldCount}`);
  if (m === "gin" && d.fieldType !== "array") {
    fail(
      d.fieldType === "string"
        ? 'Index method "gin" serves array containment; for substring or case-insensitive matching on a string field use method: "trigram"'
        : `Index method "gin" requires an array field (it serves the array containment predicates), got field type "${d.fieldType ?? "unresolved"}"`,
    );
  }
  if (m === "trigram" && d.fieldType !== "string") {
    fail(
      d.fieldType === "array"
        ? 'Index method "trigram" serves substring matching on string fields; for array containment use method: "gin"'
        : `Index method "trigram" requires a string field (it serves substring and case-insensitive matches), got field type "${d.fieldType ?? "unresolved"}"`,
    );
  }
  if (d.covering > 0) fail(`Index method "${m}" does not support coveringFields (GIN indexes cannot serve index-only scans over extra columns)`);
  if (d.systemKeys > 0) fail(`Index method "${m}" does not support keySystemColumns (GIN indexes cannot serve index-only scans over extra columns)`);
  if (d.unique) fail(`Index method "${m}" does not support unique (GIN indexes cannot enforce uniqueness)`);
  if (d.hasWhere) fail(`Index method "${m}" does not support a partial where clause`);
  return m;
}

function defaultName(p: {
  entity: "node" | "edge";
  kindName: string;
  unique: boolean;
  scope: IndexScope;
  direction: EdgeIndexDirection;
  fields: readonly string[];
  covering: readonly string[];
  keySystemColumns?: readonly string[];
}): string {
  const sys = p.keySystemColumns ?? [];
  const hash = fnv1aBase36(
    JSON.stringify({
      kind: p.entity,
      kindName: p.kindName,
      unique: p.unique,
      scope: p.scope,
      direction: p.direction,
      fields: p.fields,
      covering: p.covering,
      ...(sys.length > 0 ? { keySystemColumns: sys } : {}),
    }),
  );
  const parts = [
    "idx",
    "tg",
    p.entity,
    sanitizeComponent(p.kindName),
    p.fields.length > 0 ? sanitizeComponent(p.fields.join("_")) : undefined,
    p.covering.length > 0 ? `cov_${sanitizeComponent(p.covering.join("_"))}` : undefined,
    sys.length > 0 ? `sys_${sanitizeComponent(sys.join("_"))}` : undefined,
    p.direction === "none" ? undefined : p.direction,
    p.unique ? "uniq" : undefined,
    p.scope === "graphAndKind" ? undefined : sanitizeComponent(p.scope),
    hash,
  ].filter((x) => x !== undefined);
  const joined = parts.join("_");
  return joined.length <= 63 ? joined : `${joined.slice(0, 54)}_${hash}`;
}

function checkScope(scope: unknown): IndexScope {
  if (scope !== "graphAndKind" && scope !== "graph" && scope !== "none") return fail(`Unknown index scope "${String(scope)}"`);
  return scope;
}

// ---- where builders ----------------------------------------------------------

const NODE_SYSTEM: Record<string, [SystemColumnName, ValueType]> = {
  graphId: ["graph_id", "string"],
  kind: ["kind", "string"],
  id: ["id", "string"],
  version: ["version", "number"],
  validFrom: ["valid_from", "date"],
  validTo: ["valid_to", "date"],
  createdAt: ["created_at", "date"],
  updatedAt: ["updated_at", "date"],
  deletedAt: ["deleted_at", "date"],
};
const EDGE_SYSTEM: Record<string, [SystemColumnName, ValueType]> = {
  graphId: ["graph_id", "string"],
  kind: ["kind", "string"],
  id: ["id", "string"],
  fromKind: ["from_kind", "string"],
  fromId: ["from_id", "string"],
  toKind: ["to_kind", "string"],
  toId: ["to_id", "string"],
  validFrom: ["valid_from", "date"],
  validTo: ["valid_to", "date"],
  createdAt: ["created_at", "date"],
  updatedAt: ["updated_at", "date"],
  deletedAt: ["deleted_at", "date"],
};

function literal(value: unknown, preferred: ValueType | undefined): IndexWhereLiteral {
  if (value instanceof Date) return { __type: "index_where_literal", value: value.toISOString(), valueType: "date" };
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    if (typeof value === "number" && !Number.isFinite(value)) fail(`Unsupported literal value in index WHERE clause: ${value}`);
    let vt: ValueType = typeof value === "string" ? "string" : typeof value === "number" ? "number" : "boolean";
    if (typeof value === "string" && (preferred === "date" || preferred === "number" || preferred === "boolean")) vt = preferred;
    return { __type: "index_where_literal", value, valueType: vt };
  }
  return fail(`Unsupported literal value type in index WHERE clause: ${String(value)}`);
}

function fieldBuilder(operand: IndexWhereOperand): IndexWhereFieldBuilder<unknown> {
  const cmp = (op: IndexWhereOp) => (value: unknown) =>
    ({ __type: "index_where_comparison", left: operand, op, right: literal(value, operand.valueType) }) as IndexWhereExpression;
  const list = (op: IndexWhereOp) => (values: readonly unknown[]) =>
    ({ __type: "index_where_comparison", left: operand, op, right: values.map((v) => literal(v, operand.valueType)) }) as IndexWhereExpression;
  return {
    eq: cmp("eq"),
    neq: cmp("neq"),
    gt: cmp("gt"),
    gte: cmp("gte"),
    lt: cmp("lt"),
    lte: cmp("lte"),
    in: list("in"),
    notIn: list("notIn"),
    isNull: () => ({ __type: "index_where_null_check", operand, op: "isNull" }),
    isNotNull: () => ({ __type: "index_where_null_check", operand, op: "isNotNull" }),
  } as IndexWhereFieldBuilder<unknown>;
}

function whereBuilder(system: Record<string, [SystemColumnName, ValueType]>, shape: Record<string, unknown>, owner: string): unknown {
  return new Proxy(
    {},
    {
      get: (_t, key) => {
        if (typeof key !== "string") return undefined;
        const declared = Object.hasOwn(system, key) || Object.hasOwn(shape, key);
        // Interop probes (await, JSON) on undeclared names resolve to undefined.
        if (!declared && (key === "then" || key === "toJSON" || key === "constructor" || key === "asymmetricMatch")) return undefined;
        if (Object.hasOwn(system, key)) {
          const [column, valueType] = system[key]!;
          return fieldBuilder({ __type: "index_operand_system", column, valueType });
        }
        if (!Object.hasOwn(shape, key)) return fail(`Unknown field "${key}" in ${owner} index WHERE clause`, { field: key });
        return fieldBuilder({ __type: "index_operand_prop", field: key, valueType: valueTypeOfSchema(shape[key]) });
      },
    },
  );
}

function resolveWhere(input: unknown, builder: () => unknown): IndexWhereExpression | undefined {
  if (input === undefined) return undefined;
  const expr = typeof input === "function" ? (input as (b: unknown) => IndexWhereExpression)(builder()) : input;
  if (!expr || typeof expr !== "object" || typeof (expr as { __type?: unknown }).__type !== "string") {
    return fail("Index where must return an index WHERE expression (use the builder, andWhere, orWhere, notWhere)");
  }
  return expr as IndexWhereExpression;
}

// ---- declarations ------------------------------------------------------------

const NODE_KEY_SYSTEM_COLUMNS = new Set<SystemColumnName>(Object.values(NODE_SYSTEM).map((x) => x[0]));

function scopeColumns(scope: IndexScope): SystemColumnName[] {
  return scope === "graphAndKind" ? ["graph_id", "kind"] : scope === "graph" ? ["graph_id"] : [];
}

/** A relational index over a node kind's props (and optionally its system columns). */
export function defineNodeIndex<N extends NodeType>(node: N, config: NodeIndexConfig<N>): NodeIndexDeclaration {
  const scope = checkScope(config.scope ?? "graphAndKind");
  const unique = config.unique ?? false;
  const keySystemColumns = [...(config.keySystemColumns ?? [])];
  for (const c of keySystemColumns) {
    if (!NODE_KEY_SYSTEM_COLUMNS.has(c)) fail(`Node index keySystemColumns does not support "${c}" (edge-only system column)`);
  }
  if (new Set(keySystemColumns).size !== keySystemColumns.length) fail("Index keySystemColumns contains duplicate value");
  for (const c of keySystemColumns) {
    if (scopeColumns(scope).includes(c)) fail(`Node index keySystemColumns must not repeat a column already implied by scope "${scope}": "${c}"`);
  }
  if (unique && keySystemColumns.includes("id")) {
    fail('unique node indexes cannot include keySystemColumns: ["id"]; id is already unique per node, so including it defeats uniqueness across the prop fields');
  }
  const shape = shapeOf(node.schema);
  const owner = `node "${node.kind}"`;
  const f = normalizeFields(shape, owner, config.fields ?? [], "fields", config.method === "gin");
  const c = normalizeFields(shape, owner, config.coveringFields ?? [], "coveringFields", false);
  assertNoOverlap(f.pointers, c.pointers);
  if (f.pointers.length === 0 && c.pointers.length === 0 && keySystemColumns.length === 0) {
    fail("Index must declare at least one of fields, coveringFields, or keySystemColumns");
  }
  const where = resolveWhere(config.where, () => whereBuilder(NODE_SYSTEM, shape, "node"));
  const method = resolveMethod(config.method, {
    fieldCount: f.pointers.length,
    fieldType: f.valueTypes[0],
    covering: c.pointers.length,
    systemKeys: keySystemColumns.length,
    unique,
    hasWhere: where !== undefined,
  });
  const auto = defaultName({
    entity: "node",
    kindName: node.kind,
    unique,
    scope,
    direction: "none",
    fields: f.pointers,
    covering: c.pointers,
    keySystemColumns,
  });
  return {
    entity: "node",
    kind: node.kind,
    name: config.name ?? (method === undefined ? auto : `${auto}_${method}`),
    fields: f.pointers,
    fieldValueTypes: f.valueTypes,
    coveringFields: c.pointers,
    coveringFieldValueTypes: c.valueTypes,
    unique,
    scope,
    where,
    ...(method === undefined ? {} : { method }),
    ...(keySystemColumns.length === 0 ? {} : { keySystemColumns }),
  };
}

/** A relational index over an edge kind's props, optionally keyed by the traversal join column. */
export function defineEdgeIndex<E extends EdgeType>(edge: E, config: EdgeIndexConfig<E>): EdgeIndexDeclaration {
  const scope = checkScope(config.scope ?? "graphAndKind");
  const unique = config.unique ?? false;
  const direction = config.direction ?? "none";
  if (direction !== "out" && direction !== "in" && direction !== "none") fail(`Unknown edge index direction "${String(direction)}"`);
  const shape = shapeOf(edge.schema);
  const owner = `edge "${edge.kind}"`;
  if (!config.fields || config.fields.length === 0) fail("Index fields must not be empty");
  const f = normalizeFields(shape, owner, config.fields, "fields", config.method === "gin");
  const c = normalizeFields(shape, owner, config.coveringFields ?? [], "coveringFields", false);
  assertNoOverlap(f.pointers, c.pointers);
  const where = resolveWhere(config.where, () => whereBuilder(EDGE_SYSTEM, shape, "edge"));
  const method = resolveMethod(config.method, {
    fieldCount: f.pointers.length,
    fieldType: f.valueTypes[0],
    covering: c.pointers.length,
    systemKeys: 0,
    unique,
    hasWhere: where !== undefined,
  });
  const auto = defaultName({ entity: "edge", kindName: edge.kind, unique, scope, direction, fields: f.pointers, covering: c.pointers });
  return {
    entity: "edge",
    kind: edge.kind,
    name: config.name ?? (method === undefined ? auto : `${auto}_${method}`),
    fields: f.pointers,
    fieldValueTypes: f.valueTypes,
    coveringFields: c.pointers,
    coveringFieldValueTypes: c.valueTypes,
    unique,
    scope,
    direction,
    where,
    ...(method === undefined ? {} : { method }),
  };
}

/** The vector index declarations of a graph's top-level `embedding()` fields. */
export function deriveVectorIndexes(nodes: Record<string, { type: NodeType }>): VectorIndexDeclaration[] {
  const out: VectorIndexDeclaration[] = [];
  const clean = (v: string) => v.replaceAll(/[^a-zA-Z0-9]/g, "_").toLowerCase();
  for (const reg of Object.values(nodes)) {
    const shape = (reg.type.schema as { shape?: Record<string, unknown> }).shape ?? {};
    for (const [field, schema] of Object.entries(shape)) {
      const info = getEmbeddingInfo(schema);
      if (!info) continue;
      out.push(
        Object.freeze({
          entity: "vector" as const,
          name: `tg_vec_${clean(reg.type.kind)}_${clean(field)}_${info.metric}`,
          kind: reg.type.kind,
          fieldPath: field,
          dimensions: info.dimensions,
          metric: info.metric,
          indexType: info.indexType,
          indexParams: Object.freeze({ m: info.m, efConstruction: info.efConstruction, lists: info.lists }),
        }),
      );
    }
  }
  return out;
}

/** The canonical (stored and hashed) form of a declaration: defaults omitted. */
export function serializeIndexDeclaration(d: IndexDeclaration): Record<string, unknown> {
  const runtime = d.origin === "runtime" ? { origin: "runtime" } : {};
  if (d.entity === "vector") {
    return {
      entity: "vector",
      kind: d.kind,
      name: d.name,
      fieldPath: d.fieldPath,
      dimensions: d.dimensions,
      metric: d.metric,
      indexType: d.indexType,
      indexParams: d.indexParams,
      ...runtime,
    };
  }
  const base = {
    entity: d.entity,
    kind: d.kind,
    name: d.name,
    ...(d.entity === "edge" ? { direction: d.direction } : {}),
    fields: d.fields,
    fieldValueTypes: d.fieldValueTypes,
    coveringFields: d.coveringFields,
    coveringFieldValueTypes: d.coveringFieldValueTypes,
    unique: d.unique,
    scope: d.scope,
    where: d.where,
    ...(d.method === undefined ? {} : { method: d.method }),
  };
  const sys = d.entity === "node" && d.keySystemColumns && d.keySystemColumns.length > 0 ? { keySystemColumns: d.keySystemColumns } : {};
  return { ...base, ...sys, ...runtime };
}

// ---- DDL -----------------------------------------------------------------------

type Dialect = "sqlite" | "postgres";

function extract(dialect: Dialect, pointer: JsonPointer, vt: ValueType | undefined, jsonb = false): string {
  const segs = parsePointer(pointer);
  if (dialect === "sqlite") {
    const path = "$" + segs.map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${JSON.stringify(s)}`)).join("");
    return `json_extract("props", ${sqlString(path)})`;
  }
  const lit = (s: string) => (s.includes("\\") ? `E'${s.replaceAll("\\", "\\\\").replaceAll("'", "''")}'` : sqlString(s));
  const path = segs.length === 0 ? "ARRAY[]::text[]" : `ARRAY[${segs.map(lit).join(", ")}]`;
  if (jsonb || vt === "array" || vt === "object" || vt === "embedding") return `"props" #> ${path}`;
  switch (vt) {
    case "number":
      return `("props" #>> ${path})::numeric`;
    case "boolean":
      return `("props" #>> ${path})::boolean`;
    case "date":
      return `("props" #>> ${path})::timestamptz`;
    default:
      return `"props" #>> ${path}`;
  }
}

function whereSql(dialect: Dialect, e: IndexWhereExpression): string {
  switch (e.__type) {
    case "index_where_and":
      return `(${e.predicates.map((p) => whereSql(dialect, p)).join(" AND ")})`;
    case "index_where_or":
      return `(${e.predicates.map((p) => whereSql(dialect, p)).join(" OR ")})`;
    case "index_where_not":
      return `(NOT ${whereSql(dialect, e.predicate)})`;
    case "index_where_null_check":
      return `${operandSql(dialect, e.operand)} ${e.op === "isNull" ? "IS NULL" : "IS NOT NULL"}`;
    case "index_where_comparison": {
      const left = operandSql(dialect, e.left);
      if (Array.isArray(e.right)) {
        if (e.op !== "in" && e.op !== "notIn") fail(`Operator "${e.op}" does not support list comparison in index WHERE clause`);
        const values = (e.right as readonly IndexWhereLiteral[]).map((l) => literalSql(dialect, l)).join(", ");
        return `${left} ${e.op === "in" ? "IN" : "NOT IN"} (${values})`;
      }
      if (e.op === "in" || e.op === "notIn") fail(`Operator "${e.op}" requires a list of values in index WHERE clause`);
      const ops: Record<string, string> = { eq: "=", neq: "<>", gt: ">", gte: ">=", lt: "<", lte: "<=" };
      const op = ops[e.op] ?? fail(`Unknown index WHERE operator "${String(e.op)}"`);
      return `${left} ${op} ${literalSql(dialect, e.right as IndexWhereLiteral)}`;
    }
    default:
      return fail(`Unknown index WHERE expression "${String((e as { __type?: unknown }).__type)}"`);
  }
}

const SYSTEM_COLUMNS = new Set<string>([
  "graph_id",
  "kind",
  "id",
  "from_kind",
  "from_id",
  "to_kind",
  "to_id",
  "deleted_at",
  "valid_from",
  "valid_to",
  "created_at",
  "updated_at",
  "version",
]);

function operandSql(dialect: Dialect, o: IndexWhereOperand): string {
  if (o.__type === "index_operand_system") {
    if (!SYSTEM_COLUMNS.has(o.column)) fail(`Unknown system column "${String(o.column)}" in index WHERE clause`);
    return quoteIdent(o.column);
  }
  return extract(dialect, pointerOf([o.field]), o.valueType);
}

function literalSql(dialect: Dialect, l: IndexWhereLiteral): string {
  switch (l.valueType) {
    case "number": {
      const n = Number(l.value);
      if (!Number.isFinite(n)) fail(`Invalid numeric literal in index WHERE clause: ${String(l.value)}`);
      return String(n);
    }
    case "boolean": {
      const b = l.value === true || l.value === "true";
      return dialect === "postgres" ? (b ? "TRUE" : "FALSE") : b ? "1" : "0";
    }
    default:
      return sqlString(String(l.value));
  }
}

function checkDialect(dialect: string): Dialect {
  if (dialect !== "sqlite" && dialect !== "postgres") return fail(`Unknown SQL dialect "${dialect}" (expected "sqlite" or "postgres")`);
  return dialect;
}

/** `CREATE INDEX` for one node or edge index declaration. */
export function generateIndexDDL(index: RelationalIndexDeclaration, dialect: "sqlite" | "postgres", options: GenerateIndexDdlOptions = {}): string {
  if (index.entity === "node") return generateNodeIndexDDL(index, dialect, options);
  if (index.entity === "edge") return generateEdgeIndexDDL(index, dialect, options);
  return fail(`generateIndexDDL takes node and edge index declarations, got entity "${String((index as { entity?: unknown }).entity)}"`);
}

export function generateNodeIndexDDL(index: NodeIndexDeclaration, dialect: "sqlite" | "postgres", options: GenerateIndexDdlOptions = {}): string {
  return tableIndexDdl(index, checkDialect(dialect), options.nodesTableName ?? "typegraph_nodes", options);
}

export function generateEdgeIndexDDL(index: EdgeIndexDeclaration, dialect: "sqlite" | "postgres", options: GenerateIndexDdlOptions = {}): string {
  return tableIndexDdl(index, checkDialect(dialect), options.edgesTableName ?? "typegraph_edges", options);
}

function tableIndexDdl(index: RelationalIndexDeclaration, dialect: Dialect, table: string, options: GenerateIndexDdlOptions): string {
  const ifNotExists = options.ifNotExists ?? true ? "IF NOT EXISTS " : "";
  const concurrent = options.concurrent === true && dialect === "postgres" ? "CONCURRENTLY " : "";
  if (index.method !== undefined) {
    if (dialect !== "postgres") {
      fail(`Index "${index.name}" declares method "${index.method}", which requires PostgreSQL. materializeIndexes() reports it as skipped on SQLite.`);
    }
    const pointer = index.fields[0] ?? fail(`Index "${index.name}" has no field`);
    const expr = extract(dialect, pointer, index.method === "gin" ? "array" : "string", index.method === "gin");
    const opclass = index.method === "gin" ? "jsonb_path_ops" : "gin_trgm_ops";
    return `CREATE INDEX ${concurrent}${ifNotExists}${quoteIdent(index.name)} ON ${quoteIdent(table)} USING GIN ((${expr}) ${opclass});`;
  }
  const { keys, where: w } = relationalIndexKeys(index, dialect);
  const where = w === undefined ? "" : ` WHERE ${w}`;
  const unique = index.unique ? "UNIQUE " : "";
  return `CREATE ${unique}INDEX ${concurrent}${ifNotExists}${quoteIdent(index.name)} ON ${quoteIdent(table)} (${keys.join(", ")})${where};`;
}

/** @internal The key expressions (SQL text) and partial-index predicate of a btree declaration. */
export function relationalIndexKeys(index: RelationalIndexDeclaration, dialect: Dialect): { keys: string[]; where: string | undefined } {
  const keys: string[] = [];
  const sys: SystemColumnName[] =
    index.entity === "node"
      ? [...scopeColumns(index.scope), ...(index.keySystemColumns ?? [])]
      : [...scopeColumns(index.scope), ...(index.direction === "out" ? ["from_id" as const] : index.direction === "in" ? ["to_id" as const] : [])];
  for (const c of sys) {
    if (!SYSTEM_COLUMNS.has(c)) fail(`Unknown system column "${String(c)}" in index "${index.name}"`);
    keys.push(quoteIdent(c));
  }
  const pointers = [...index.fields, ...index.coveringFields];
  const types = [...index.fieldValueTypes, ...index.coveringFieldValueTypes];
  pointers.forEach((p, i) => keys.push(`(${extract(dialect, p, types[i])})`));
  return { keys, where: index.where ? whereSql(dialect, index.where) : undefined };
}

// ---- system indexes ------------------------------------------------------------

export type SystemIndexTable = "nodes" | "edges" | "recordedNodes" | "recordedEdges";
export type SystemIndexDeclaration = Readonly<{ table: SystemIndexTable; suffix: string; columns: readonly [string, ...string[]] }>;

const sysIdx = (table: SystemIndexTable, suffix: string, columns: [string, ...string[]]): SystemIndexDeclaration =>
  Object.freeze({ table, suffix, columns: Object.freeze(columns) as unknown as [string, ...string[]] });

/** The plain btree indexes TypeGraph keeps on its own relations (same list on both dialects). */
export const SYSTEM_INDEX_DECLARATIONS: readonly SystemIndexDeclaration[] = Object.freeze([
  sysIdx("nodes", "kind_idx", ["graph_id", "kind"]),
  sysIdx("nodes", "kind_created_idx", ["graph_id", "kind", "deleted_at", "created_at"]),
  sysIdx("nodes", "deleted_idx", ["graph_id", "deleted_at"]),
  sysIdx("nodes", "valid_idx", ["graph_id", "valid_from", "valid_to"]),
  sysIdx("nodes", "id_idx", ["graph_id", "id"]),
  sysIdx("edges", "kind_idx", ["graph_id", "kind"]),
  sysIdx("edges", "from_idx", ["graph_id", "from_kind", "from_id", "kind", "to_kind", "deleted_at", "valid_from", "valid_to", "to_id"]),
  sysIdx("edges", "to_idx", ["graph_id", "to_kind", "to_id", "kind", "from_kind", "deleted_at", "valid_from", "valid_to", "from_id"]),
  sysIdx("edges", "kind_created_idx", ["graph_id", "kind", "deleted_at", "created_at"]),
  sysIdx("edges", "deleted_idx", ["graph_id", "deleted_at"]),
  sysIdx("edges", "valid_idx", ["graph_id", "valid_from", "valid_to"]),
  sysIdx("edges", "cardinality_idx", ["graph_id", "kind", "from_kind", "from_id", "valid_to"]),
  sysIdx("recordedNodes", "entity_idx", ["graph_id", "kind", "id", "recorded_from", "recorded_to"]),
  sysIdx("recordedNodes", "open_idx", ["graph_id", "recorded_to"]),
  sysIdx("recordedNodes", "valid_idx", ["graph_id", "valid_from", "valid_to"]),
  sysIdx("recordedNodes", "id_idx", ["graph_id", "id"]),
  sysIdx("recordedEdges", "entity_idx", ["graph_id", "kind", "id", "recorded_from", "recorded_to"]),
  sysIdx("recordedEdges", "open_idx", ["graph_id", "recorded_to"]),
  sysIdx("recordedEdges", "from_idx", ["graph_id", "from_kind", "from_id", "kind", "to_kind", "recorded_from", "recorded_to"]),
  sysIdx("recordedEdges", "to_idx", ["graph_id", "to_kind", "to_id", "kind", "from_kind", "recorded_from", "recorded_to"]),
  sysIdx("recordedEdges", "valid_idx", ["graph_id", "valid_from", "valid_to"]),
]);

const SYSTEM_TABLE_DEFAULTS: Record<SystemIndexTable, string> = {
  nodes: "typegraph_nodes",
  edges: "typegraph_edges",
  recordedNodes: "typegraph_recorded_nodes",
  recordedEdges: "typegraph_recorded_edges",
};

/** `<table>_<suffix>`, truncated with a hash past 63 characters. */
export function systemIndexName(physicalTable: string, suffix: string): string {
  const full = `${physicalTable}_${suffix}`;
  if (full.length <= 63) return full;
  const hash = shortIdentifierHash(JSON.stringify([physicalTable, suffix]));
  return `${full.slice(0, 63 - 1 - hash.length)}_${hash}`;
}

/** Every system index name for the default table names. */
export function systemIndexNames(): Set<string> {
  return new Set(SYSTEM_INDEX_DECLARATIONS.map((d) => systemIndexName(SYSTEM_TABLE_DEFAULTS[d.table], d.suffix)));
}

export function generateSystemIndexDDL(declaration: SystemIndexDeclaration, physicalTableName?: string, options: { concurrent?: boolean } = {}): string {
  const table = physicalTableName ?? SYSTEM_TABLE_DEFAULTS[declaration.table];
  const cols = declaration.columns.map(quoteIdent).join(", ");
  return `CREATE INDEX ${options.concurrent ? "CONCURRENTLY " : ""}IF NOT EXISTS ${quoteIdent(systemIndexName(table, declaration.suffix))} ON ${quoteIdent(table)} (${cols});`;
}

// ---- profiler form -----------------------------------------------------------------

export function toDeclaredIndex(index: RelationalIndexDeclaration): DeclaredIndex {
  return { entityType: index.entity, kind: index.kind, fields: [...index.fields], unique: index.unique, name: index.name };
}
export function toDeclaredIndexes(indexes: readonly IndexDeclaration[]): DeclaredIndex[] {
  return indexes.filter((i): i is RelationalIndexDeclaration => i.entity === "node" || i.entity === "edge").map(toDeclaredIndex);
}

// ---- signatures (materialization status) -------------------------------------------

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = Object.create(null);
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** SHA-256 (32 hex digits) of `{ dialect, targetTableName, declaration }` in canonical form. */
export function indexSignature(dialect: Dialect, targetTableName: string, declaration: IndexDeclaration): string {
  const json = JSON.stringify(sortKeys(JSON.parse(JSON.stringify({ dialect, targetTableName, declaration: serializeIndexDeclaration(declaration) }))));
  return createHash("sha256").update(json, "utf8").digest("hex").slice(0, 32);
}

/** `tg_vec_<graph>_<kind>_<field>_<hash>`-style physical name (63 characters at most). */
export function vectorPhysicalName(prefix: string, graphId: string, kind: string, field: string): string {
  const clean = (s: string) => {
    let out = "";
    for (const ch of s.toLowerCase()) out += /[a-z0-9_]/.test(ch) ? ch : "_".repeat(ch.length);
    return out;
  };
  const readable = `${prefix}_${clean(graphId)}_${clean(kind)}_${clean(field)}`;
  const hash = shortIdentifierHash(JSON.stringify([graphId, kind, field]));
  const full = `${readable}_${hash}`;
  return full.length <= 63 ? full : `${readable.slice(0, 63 - 1 - hash.length)}_${hash}`;
}
