// The fluent query builder. Builder calls and predicate lambdas become a plain
// JSON AST whose values sit in parameter slots; the engine compiles the AST to
// one SQL statement (cached by shape), runs it and returns all rows in one
// crossing. The select callback runs once against a recording proxy (smart
// selection: only the touched columns are read) and then once per row.

import { requireRecursiveTraversal } from "../recursion-capability.js";
import type { GraphBackend, TxToken } from "../backend.js";
import type { GraphDef, TemporalMode } from "../core.js";
import { isSearchableSchema, unwrap } from "../core.js";
import { ConfigurationError, EndpointError, KindNotFoundError, UnsupportedPredicateError, ValidationError } from "../errors.js";
import { FieldAccessor, ParameterRef, Predicate, fulltextAccessor, type FieldRefAst, type PredicateAst } from "../predicates.js";
import { valueTypeOf } from "../schema.js";
import { closuresOf } from "../ontology.js";
import { withQueryHooks, type StoreHooks } from "../hooks.js";
import type {
  EdgeAccessor,
  EdgeAliasEntry,
  EdgeAliasMap,
  EdgeKinds,
  EdgeTypeOf,
  ExtraAliasMap,
  NodeAccessor,
  NodeAliasEntry,
  NodeAliasMap,
  NodeKinds,
  NodeTypeOf,
  OrderableField,
  PaginatedResult,
  PaginateOptions,
  RecursiveAliasName,
  RecursiveTraversalOptions,
  SelectContext,
  SortDirection,
  StreamOptions,
  TraversalDirection,
  TraversalExpansion,
  UniqueAlias,
  DynamicNodeType,
  DynamicEdgeType,
} from "./types.js";

export const MAX_RECURSIVE_DEPTH = 10;
export const MAX_EXPLICIT_RECURSIVE_DEPTH = 1000;

// ---- environment and state ------------------------------------------------

/** @internal What a store hands the builder. */
export interface QueryEnv {
  readonly graph: GraphDef;
  readonly backend: GraphBackend;
  readonly handle: number | Promise<number>;
  readonly tx?: TxToken;
  /** The store's `queryDefaults.traversalExpansion` (default `"inverse"`). */
  readonly traversalExpansion?: TraversalExpansion;
  /** The store's query hooks, when any is set. */
  readonly hooks?: StoreHooks;
  /** A store view's coordinate: the query reads there and `.temporal()` is refused. */
  readonly sealedTemporal?: Readonly<{ mode: TemporalMode; asOf?: string }>;
}

type Entity = "node" | "edge" | "depth" | "path";
interface AliasInfo {
  entity: Entity;
  kinds: string[];
  optional: boolean;
  /** Declared through fromDynamic/traverseDynamic/toDynamic: accessor is `.field(name)`. */
  dynamic?: boolean;
  /** Edges of a recursive hop are not projected. */
  hidden?: boolean;
}

interface HopState {
  edgeAlias: string;
  edgeKind: string;
  expand: TraversalExpansion;
  direction: TraversalDirection;
  optional: boolean;
  from?: string;
  nodeAlias: string;
  nodeKind: string;
  includeSubClasses: boolean;
  recursive?: { minHops: number; maxHops?: number; cyclePolicy?: string; depthAlias?: string; pathAlias?: string };
  /** `includeIdentityMembers`: the hop leaves from every member of the source's identity class. */
  identityMembers?: boolean;
}

interface OrderState {
  alias: string;
  field: FieldRefAst;
  desc: boolean;
}

/** @internal */
export interface State {
  start?: { alias: string; kind: string; includeSubClasses: boolean };
  hops: HopState[];
  where: { alias: string; pred: PredicateAst }[];
  orderBy: OrderState[];
  limit?: number;
  offset?: number;
  temporal?: { mode: TemporalMode; asOf?: string; recorded?: number };
  groupBy: { alias: string; field: FieldRefAst }[];
  having: HavingSpec[];
  aliases: Record<string, AliasInfo>;
  fusion?: FuseOptions;
}

/** `.fuseWith()`: reciprocal rank fusion of `similarTo()` and `$fulltext.matches()`. */
export interface FuseOptions {
  k?: number;
  weights?: { vector?: number; fulltext?: number };
}

const EMPTY: State = { hops: [], where: [], orderBy: [], groupBy: [], having: [], aliases: {} };

const ALIAS_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const RESERVED = new Set(
  "select from where and or not in is null true false as on join left right inner outer cross full group by order having limit offset union all intersect except distinct case when then else end exists between like create table drop insert update delete into values set index view with recursive".split(" "),
);

function checkAlias(alias: string, state: State): void {
  if (typeof alias !== "string" || !ALIAS_RE.test(alias)) {
    throw new ValidationError(
      `Invalid alias "${alias}": must start with a letter or underscore, contain only letters, digits, and underscores, and be at most 63 characters`,
      { issues: [{ path: "alias", message: `"${alias}" is not a valid SQL identifier` }] },
    );
  }
  if (alias.toLowerCase().startsWith("cte_")) {
    throw new ValidationError(`Invalid alias "${alias}": aliases starting with "cte_" are reserved for internal use`, {
      issues: [{ path: "alias", message: `"${alias}" conflicts with internal CTE naming` }],
    });
  }
  if (RESERVED.has(alias.toLowerCase())) {
    throw new ValidationError(`Invalid alias "${alias}": "${alias}" is a reserved SQL keyword`, {
      issues: [{ path: "alias", message: `"${alias}" is a reserved SQL keyword` }],
    });
  }
  if (Object.prototype.hasOwnProperty.call(state.aliases, alias)) {
    throw new ValidationError(`Alias "${alias}" is already in use`, { issues: [{ path: "alias", message: `"${alias}" is already in use` }] });
  }
}

function aliasOf(state: State, alias: string, entities: Entity[]): AliasInfo {
  const info = Object.prototype.hasOwnProperty.call(state.aliases, alias) ? state.aliases[alias] : undefined;
  if (!info || !entities.includes(info.entity)) {
    throw new ValidationError(`Unknown ${entities[0]} alias "${alias}"`, {
      issues: [{ path: "alias", message: `"${alias}" is not a ${entities.join("/")} alias of this query` }],
    });
  }
  return info;
}

function subKinds(graph: GraphDef, kind: string): string[] {
  // The subClassOf closure, computed once per graph definition.
  const below = closuresOf(graph).subClassDescendants.get(kind);
  return Object.keys(graph.nodes).filter((k) => k === kind || (below?.has(k) ?? false));
}

function shapeOf(env: QueryEnv, info: AliasInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of info.kinds) {
    const reg = info.entity === "edge" ? env.graph.edges[k] : env.graph.nodes[k];
    const shape = (reg?.type.schema as { shape?: Record<string, unknown> } | undefined)?.shape ?? {};
    for (const [f, s] of Object.entries(shape)) if (!(f in out)) out[f] = s;
  }
  return out;
}

// As upstream: a discriminator asserts the field's registered type exactly (an ISO-string
// datetime field is a string field; `.date()` is for `z.date()` fields).
const DISCRIMINATORS: Record<string, string[]> = {
  string: ["string"],
  number: ["number"],
  date: ["date"],
  array: ["array"],
  object: ["object"],
  embedding: ["embedding"],
};

/**
 * `$fulltext` of a node alias: `matches()` is refused when any kind the alias covers declares no
 * `searchable()` field (a polymorphic alias must be searchable throughout).
 */
function fulltextFor(env: QueryEnv, info: AliasInfo, alias: string): typeof fulltextAccessor {
  return {
    matches(...args: Parameters<typeof fulltextAccessor.matches>) {
      const bare = info.kinds.filter((k) => {
        const shape = (env.graph.nodes[k]?.type.schema as { shape?: Record<string, unknown> } | undefined)?.shape ?? {};
        return !Object.values(shape).some((f) => isSearchableSchema(f));
      });
      if (bare.length > 0) {
        throw new UnsupportedPredicateError(
          `Cannot call .$fulltext.matches() on alias "${alias}": node kind ${bare.map((k) => `"${k}"`).join(", ")} has no fields declared with searchable(). Declare one, e.g. \`title: searchable()\`.`,
          { alias, kinds: bare },
        );
      }
      return fulltextAccessor.matches(...args);
    },
  };
}

function dynamicAccessor(env: QueryEnv, info: AliasInfo, alias: string): Record<string, unknown> {
  const shape = shapeOf(env, info);
  const system = info.entity === "edge" ? ["id", "kind", "fromId", "toId"] : ["id", "kind"];
  const out: Record<string, unknown> = {};
  for (const s of system) out[s] = new FieldAccessor({ system: s, path: [], valueType: "string" }, undefined);
  if (info.entity === "node") out.$fulltext = fulltextFor(env, info, alias);
  out.field = (name: string) => {
    if (!Object.prototype.hasOwnProperty.call(shape, name)) {
      throw new ValidationError(`Property "${name}" is not declared on alias "${alias}" (${info.kinds.join(" | ")})`, {
        issues: [{ path: name, message: `"${name}" is not declared on ${info.kinds.join(" | ")}` }],
      });
    }
    const vt = valueTypeOf(shape[name]);
    const acc = new FieldAccessor({ path: [name], valueType: vt }, shape[name]);
    for (const [method, allowed] of Object.entries(DISCRIMINATORS)) {
      Object.defineProperty(acc, method, {
        value: () => {
          if (!allowed.includes(vt) && vt !== "unknown") {
            throw new TypeError(`Field "${name}" on "${alias}" is a ${vt} field, not ${method === "array" || method === "object" ? "an" : "a"} ${method}`);
          }
          return acc;
        },
      });
    }
    return acc;
  };
  return out;
}

function entityAccessorFor(env: QueryEnv, info: AliasInfo, alias: string): Record<string, FieldAccessor> {
  if (info.dynamic) return dynamicAccessor(env, info, alias) as Record<string, FieldAccessor>;
  const shape = shapeOf(env, info);
  const system = info.entity === "edge" ? ["id", "kind", "fromId", "toId"] : ["id", "kind"];
  return new Proxy({} as Record<string, FieldAccessor>, {
    get(_t, name) {
      if (typeof name !== "string") return undefined;
      if (system.includes(name)) return new FieldAccessor({ system: name, path: [], valueType: "string" }, undefined);
      if (name === "$fulltext" && info.entity === "node") return fulltextFor(env, info, alias);
      if (!Object.prototype.hasOwnProperty.call(shape, name)) {
        if (name === "then" || name === "toJSON") return undefined;
        throw new ValidationError(`Unknown field "${name}" on alias "${alias}"`, {
          issues: [{ path: name, message: `"${name}" is not declared on ${info.kinds.join(" | ")}` }],
        });
      }
      return new FieldAccessor({ path: [name], valueType: valueTypeOf(shape[name]) }, shape[name]);
    },
  });
}

function fieldRefFor(env: QueryEnv, info: AliasInfo, alias: string, field: string): FieldRefAst {
  const system = info.entity === "edge" ? ["id", "kind", "fromId", "toId", "from_id", "to_id"] : ["id", "kind"];
  if (system.includes(field)) return { system: field === "from_id" ? "fromId" : field === "to_id" ? "toId" : field, path: [], valueType: "string" };
  const shape = shapeOf(env, info);
  if (!Object.prototype.hasOwnProperty.call(shape, field)) {
    throw new ValidationError(`Unknown field "${field}" on alias "${alias}"`, {
      issues: [{ path: field, message: `"${field}" is not declared on ${info.kinds.join(" | ")}` }],
    });
  }
  return { path: [field], valueType: valueTypeOf(shape[field]) };
}

// ---- AST with parameter slots ----------------------------------------------

type Slot = { $: number };

class Slots {
  values: unknown[] = [];
  params = new Map<string, { indexes: number[]; list: boolean; elementType?: string; stringOp?: boolean }>();
  /** `params` as an array for binding (taken at the first bind, dropped when a parameter is added). */
  paramList?: [string, { indexes: number[]; list: boolean; elementType?: string; stringOp?: boolean }][];
  /** The parameter array's JSON text around its parameters (taken at the first bind, dropped on any add). */
  jsonTemplate?: JsonTemplate;
  /** `use`: what a bound value must be — the element type of an in()/notIn() list, or a string-operator pattern. */
  add(v: unknown, list = false, use?: { elementType?: string; stringOp?: boolean }): Slot {
    const i = this.values.length;
    this.jsonTemplate = undefined;
    if (v instanceof ParameterRef) {
      const p = this.params.get(v.name) ?? { indexes: [], list };
      if (use?.elementType !== undefined && p.elementType === undefined) p.elementType = use.elementType;
      if (use?.stringOp) p.stringOp = true;
      if (p.list !== list) {
        throw new ConfigurationError(`Parameter "${v.name}" used both as an in()/notIn() list and as a scalar value`, {
          conflictingParameters: [v.name],
        });
      }
      p.indexes.push(i);
      this.params.set(v.name, p);
      this.paramList = undefined;
      this.values.push(undefined);
    } else {
      this.values.push(v instanceof Date ? v.toISOString() : v);
    }
    return { $: i };
  }
}

function jsType(v: unknown): string {
  return typeof v === "number" ? "number" : typeof v === "boolean" ? "boolean" : "string";
}

function isFieldRefValue(v: unknown): v is FieldRefValue {
  return typeof v === "object" && v !== null && (v as { __type?: unknown }).__type === "field_ref";
}

/** A `fieldRef(alias, path)` resolved against the aliases in scope (innermost first). */
function resolveFieldRef(env: QueryEnv, scopes: readonly State[], ref: FieldRefValue): { alias: string; field: FieldRefAst } | undefined {
  const state = scopes.find((s) => Object.prototype.hasOwnProperty.call(s.aliases, ref.alias));
  if (!state) return undefined;
  const info = state.aliases[ref.alias]!;
  let path = [...ref.path];
  if (path[0] === "props" && path.length > 1) path = path.slice(1);
  if (path.length === 0) throw new ValidationError(`fieldRef("${ref.alias}") needs a field path`, { issues: [{ path: "fieldRef", message: "empty path" }] });
  if (path.length === 1) {
    const f = fieldRefFor(env, info, ref.alias, path[0]!);
    return { alias: ref.alias, field: f.system === undefined && ref.valueType && f.valueType === "unknown" ? { ...f, valueType: ref.valueType } : f };
  }
  return { alias: ref.alias, field: { path, valueType: ref.valueType ?? "unknown" } };
}

function unresolvedFieldRef(ref: FieldRefValue): { alias: string; field: FieldRefAst } {
  let path = [...ref.path];
  if (path[0] === "props" && path.length > 1) path = path.slice(1);
  if (path.length === 1 && (path[0] === "id" || path[0] === "kind")) return { alias: ref.alias, field: { system: path[0], path: [], valueType: "string" } };
  return { alias: ref.alias, field: { path, valueType: ref.valueType ?? "unknown" } };
}

function predAst(p: PredicateAst | SubqueryPredicateAst, slots: Slots, env: QueryEnv, scopes: readonly State[] = []): unknown {
  switch (p.type) {
    case "and":
    case "or":
      return { type: p.type, preds: p.preds.map((q) => predAst(q, slots, env, scopes)) };
    case "not":
      return { type: "not", pred: predAst(p.pred, slots, env, scopes) };
    case "exists":
      return { type: "exists", negated: p.negated, query: queryAst(env, p.state, slots, p.select, {}, scopes) };
    case "inSubquery": {
      const resolved = resolveFieldRef(env, scopes, { __type: "field_ref", alias: p.alias, path: p.rawPath ?? [], ...(p.field.valueType ? { valueType: p.field.valueType } : {}) });
      return {
        type: "inSubquery",
        alias: p.alias,
        field: p.rawPath && resolved ? resolved.field : p.field,
        negated: p.negated,
        query: queryAst(env, p.state, slots, p.select, {}, scopes),
      };
    }
    case "similar":
      return {
        type: "similar",
        field: p.field,
        embedding: slots.add(p.embedding),
        k: slots.add(p.k),
        ...(p.metric !== undefined ? { metric: p.metric } : {}),
        ...(p.minScore !== undefined ? { minScore: slots.add(p.minScore) } : {}),
        ...(p.approximate ? { approximate: true } : {}),
      };
    case "fulltext":
      return {
        type: "fulltext",
        query: slots.add(p.query),
        ...(p.k !== undefined ? { k: slots.add(p.k) } : {}),
        ...(p.mode !== undefined ? { mode: p.mode } : {}),
        ...(p.language !== undefined ? { language: p.language } : {}),
        ...(p.minScore !== undefined ? { minScore: slots.add(p.minScore) } : {}),
      };
    case "cmp": {
      const field = { ...p.field };
      const value = p.value;
      if (isFieldRefValue(value)) {
        if (!["eq", "neq", "gt", "gte", "lt", "lte"].includes(p.op)) {
          throw new UnsupportedPredicateError(`fieldRef() is not supported with "${p.op}"`, { operator: p.op });
        }
        // An alias of an enclosing query not known here (a subquery's own toAst()) is resolved by the engine.
        const ref = resolveFieldRef(env, scopes, value) ?? unresolvedFieldRef(value);
        return { type: "cmp", field, op: p.op, ref };
      }
      if (field.valueType === "unknown" && value !== undefined && !(value instanceof ParameterRef) && !Array.isArray(value)) {
        if (typeof value === "number") field.valueType = "number";
        else if (typeof value === "boolean") field.valueType = "boolean";
      }
      const out: Record<string, unknown> = { type: "cmp", field, op: p.op };
      if (p.op === "in" || p.op === "notIn") {
        if (value instanceof ParameterRef) {
          out.value = slots.add(value, true, { elementType: field.valueType });
          out.listType = field.valueType;
        } else {
          const list = value as unknown[];
          if (list.some((x) => x instanceof ParameterRef)) {
            throw new UnsupportedPredicateError("param() cannot be an element of a literal list; bind the whole list with in(param(name))", {});
          }
          const types = new Set(list.map(jsType));
          if (types.size > 1) throw new UnsupportedPredicateError("Mixed literal value types are not supported in predicates", { operator: p.op, valueTypes: [...types] });
          out.listType = types.size === 1 ? [...types][0] : field.valueType;
          out.value = slots.add(list);
        }
        return out;
      }
      if (value !== undefined) out.value = slots.add(value, false, STRING_OPS.has(p.op) ? { stringOp: true } : undefined);
      if (p.value2 !== undefined) out.value2 = slots.add(p.value2);
      return out;
    }
  }
}

/** The JSON AST of a query (values in `slots`). */
function queryAst(env: QueryEnv, state: State, slots: Slots, select: SelectItem[], extra: Record<string, unknown> = {}, outer: readonly State[] = []): Record<string, unknown> {
  if (!state.start) throw new ValidationError("A query needs from() before anything else", { issues: [{ path: "from", message: "missing" }] });
  const hops = state.hops.map((h) => ({
    edgeAlias: h.edgeAlias,
    edgeKind: h.edgeKind,
    expand: h.expand,
    direction: h.direction,
    optional: h.optional,
    ...(h.from ? { from: h.from } : {}),
    nodeAlias: h.nodeAlias,
    nodeKind: { kind: h.nodeKind, includeSubClasses: h.includeSubClasses },
    ...(h.recursive ? { recursive: h.recursive } : {}),
    ...(h.identityMembers ? { includeIdentityMembers: true } : {}),
  }));
  const inScope = [state, ...outer];
  const where = state.where.map((w) => ({ alias: w.alias, pred: predAst(w.pred, slots, env, inScope) }));
  const ast: Record<string, unknown> = {
    start: { alias: state.start.alias, kind: { kind: state.start.kind, includeSubClasses: state.start.includeSubClasses } },
    hops,
    where,
    select: select.map((s) => ({ alias: s.alias, col: s.col, ...(s.path ? { path: s.path } : {}), ...(s.valueType ? { valueType: s.valueType } : {}), ...(s.agg ? { agg: s.agg } : {}) })),
  };
  if (state.groupBy.length > 0) ast.groupBy = state.groupBy;
  if (state.fusion) ast.fusion = state.fusion;
  const mode = state.temporal?.mode ?? env.graph.defaults.temporalMode ?? "current";
  if (state.hops.some((h) => h.recursive)) requireRecursiveTraversal(env.backend, "variable-length traversal");
  if (mode !== "current" && state.hops.some((h) => h.identityMembers)) requireRecursiveTraversal(env.backend, "historical identity expansion");
  ast.temporal = {
    mode,
    ...(state.temporal?.asOf !== undefined ? { asOf: slots.add(state.temporal.asOf) } : {}),
    // A recorded view's query (lib/recorded.ts): the revision it reads the recorded relations at.
    ...(state.temporal?.recorded !== undefined ? { recorded: slots.add(state.temporal.recorded) } : {}),
  };
  return Object.assign(ast, extra);
}

// ---- smart selection -------------------------------------------------------

/** @internal One output column. */
export interface SelectItem {
  alias: string;
  col: string;
  path?: string[];
  valueType?: string;
  agg?: string;
}

const NODE_META = ["version", "validFrom", "validTo", "createdAt", "updatedAt", "deletedAt"] as const;
const EDGE_META = ["validFrom", "validTo", "createdAt", "updatedAt", "deletedAt"] as const;

interface AliasNeed {
  full: boolean;
  system: Set<string>;
  meta: Set<string>;
  props: Set<string>;
}

const PROXY_ALIAS = Symbol("tg.alias");

function placeholder(valueType: string): unknown {
  switch (valueType) {
    case "number":
      return 0;
    case "boolean":
      return false;
    case "array":
    case "embedding":
      return [];
    case "object":
      return {};
    default:
      return "";
  }
}

/** Runs the select callback against recording proxies; returns what each alias needs. */
function trackSelect(env: QueryEnv, state: State, fn: (ctx: never) => unknown): Map<string, AliasNeed> | undefined {
  const needs = new Map<string, AliasNeed>();
  const need = (alias: string) => {
    let n = needs.get(alias);
    if (!n) needs.set(alias, (n = { full: false, system: new Set(), meta: new Set(), props: new Set() }));
    return n;
  };
  const proxies = new Map<object, string>();
  const ctx: Record<string, unknown> = {};
  for (const [alias, info] of Object.entries(state.aliases)) {
    if (info.hidden) continue;
    if (info.entity === "depth" || info.entity === "path") {
      Object.defineProperty(ctx, alias, {
        enumerable: true,
        get: () => {
          need(alias).full = true;
          return info.entity === "depth" ? 0 : [];
        },
      });
      continue;
    }
    const shape = shapeOf(env, info);
    const system = info.entity === "edge" ? ["id", "kind", "fromId", "toId"] : ["id", "kind"];
    const metaKeys: readonly string[] = info.entity === "edge" ? EDGE_META : NODE_META;
    const metaProxy = new Proxy(
      {},
      {
        get(_t, k) {
          if (typeof k !== "string") return undefined;
          if (metaKeys.includes(k)) need(alias).meta.add(k);
          return k === "version" ? 0 : "";
        },
        ownKeys() {
          for (const k of metaKeys) need(alias).meta.add(k);
          return [...metaKeys];
        },
        getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true }),
      },
    );
    proxies.set(metaProxy, `${alias}.meta`);
    const proxy = new Proxy(
      {},
      {
        get(_t, k) {
          if (k === PROXY_ALIAS) return alias;
          if (typeof k !== "string") return undefined;
          const n = need(alias);
          if (system.includes(k)) {
            n.system.add(k);
            return "";
          }
          if (k === "meta") return metaProxy;
          if (Object.prototype.hasOwnProperty.call(shape, k)) {
            n.props.add(k);
            return placeholder(valueTypeOf(shape[k]));
          }
          return undefined;
        },
        has: (_t, k) => typeof k === "string" && (system.includes(k) || k === "meta" || k in shape),
        ownKeys() {
          need(alias).full = true;
          return [];
        },
      },
    );
    proxies.set(proxy, alias);
    Object.defineProperty(ctx, alias, { enumerable: true, value: proxy });
  }
  let result: unknown;
  try {
    result = fn(ctx as never);
  } catch {
    return undefined;
  }
  // Whole aliases (or whole meta objects) returned as values need every column.
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number) => {
    if (v === null || typeof v !== "object" || seen.has(v) || depth > 8) return;
    const tag = proxies.get(v);
    if (tag !== undefined) {
      if (tag.endsWith(".meta")) {
        const alias = tag.slice(0, -5);
        const info = state.aliases[alias]!;
        for (const k of info.entity === "edge" ? EDGE_META : NODE_META) need(alias).meta.add(k);
      } else need(tag).full = true;
      return;
    }
    seen.add(v);
    if (Array.isArray(v)) v.forEach((x) => walk(x, depth + 1));
    else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(result, 0);
  return needs;
}

/** Reads one row's columns from `row` starting at `base` (0 for a row array; a flat result's row offset). */
type Decoder = (row: unknown[], ctx: Record<string, unknown>, base: number) => void;

interface Projection {
  items: SelectItem[];
  decode: Decoder[];
}

const u = (v: unknown) => (v === null ? undefined : v);

/** A single extracted prop: SQL NULL = key absent; a stored JSON null arrives as `{"$null":1}`. */
function fromProp(v: unknown): unknown {
  if (v === null) return undefined;
  if (typeof v === "object" && (v as { $null?: unknown }).$null === 1 && Object.keys(v as object).length === 1) return null;
  return v;
}

/** Thrown (internally) when a select callback reads a column its partial projection did not fetch. */
class ProjectionMiss extends Error {}
const MISS = new ProjectionMiss("select() read a column its traced projection did not fetch");

/** A prototype whose listed keys throw MISS when read (own properties of a row object shadow it). */
function missingColumns(keys: readonly string[]): object {
  const proto: Record<string, unknown> = {};
  for (const k of keys) {
    Object.defineProperty(proto, k, {
      enumerable: false,
      get() {
        throw MISS;
      },
    });
  }
  return proto;
}

function project(env: QueryEnv, state: State, needs: Map<string, AliasNeed> | undefined): Projection {
  const items: SelectItem[] = [];
  const decode: Decoder[] = [];
  for (const [alias, info] of Object.entries(state.aliases)) {
    if (info.hidden) continue;
    const n = needs === undefined ? { full: true, system: new Set<string>(), meta: new Set<string>(), props: new Set<string>() } : needs.get(alias);
    if (!n) continue;
    const at = items.length;
    if (info.entity === "depth" || info.entity === "path") {
      items.push({ alias, col: info.entity });
      decode.push((row, ctx, base) => {
        const v = row[base + at];
        ctx[alias] = info.entity === "depth" ? v ?? undefined : v === null || v === undefined ? undefined : String(v).split("|").filter((s) => s !== "");
      });
      continue;
    }
    const edge = info.entity === "edge";
    if (n.full) {
      const cols = edge ? ["id", "kind", "fromId", "toId", "props", ...EDGE_META] : ["id", "kind", "props", ...NODE_META];
      for (const c of cols) items.push({ alias, col: c });
      // Meta as one object literal per row (one shape, no per-row closure).
      decode.push(
        edge
          ? (row, ctx, base) => {
              const a = base + at;
              const id = row[a];
              if (id === null) return void (ctx[alias] = undefined);
              const b = a + 5;
              const meta = { validFrom: u(row[b]), validTo: u(row[b + 1]), createdAt: u(row[b + 2]), updatedAt: u(row[b + 3]), deletedAt: u(row[b + 4]) };
              ctx[alias] = { id, kind: row[a + 1], fromId: row[a + 2], toId: row[a + 3], meta, ...(row[a + 4] as Record<string, unknown> | null) };
            }
          : (row, ctx, base) => {
              const a = base + at;
              const id = row[a];
              if (id === null) return void (ctx[alias] = undefined);
              const b = a + 3;
              const meta = { version: u(row[b]), validFrom: u(row[b + 1]), validTo: u(row[b + 2]), createdAt: u(row[b + 3]), updatedAt: u(row[b + 4]), deletedAt: u(row[b + 5]) };
              ctx[alias] = { kind: row[a + 1], id, meta, ...(row[a + 2] as Record<string, unknown> | null) };
            },
      );
      continue;
    }
    // Partial: id always (it tells a missed optional join from a hit).
    const system = ["id", ...[...n.system].filter((s) => s !== "id")];
    const meta = [...n.meta];
    const props = [...n.props];
    const shape = shapeOf(env, info);
    for (const s of system) items.push({ alias, col: s });
    for (const m of meta) items.push({ alias, col: m });
    // A number field says so: the engine can then read it from a matching expression index.
    for (const p of props) items.push({ alias, col: "prop", path: [p], ...(valueTypeOf(shape[p]) === "number" ? { valueType: "number" } : {}) });
    // Reading a column the trace did not see (a branch the select took only for some rows)
    // hits a getter on the prototype, and the query runs again with whole aliases.
    const allSystem = edge ? ["id", "kind", "fromId", "toId"] : ["id", "kind"];
    const allMeta: readonly string[] = edge ? EDGE_META : NODE_META;
    const proto = missingColumns([...Object.keys(shape), ...allSystem, ...(meta.length > 0 ? [] : ["meta"])].filter((k) => !system.includes(k) && !props.includes(k)));
    const metaProto = missingColumns(allMeta.filter((k) => !meta.includes(k)));
    decode.push((row, ctx, base) => {
      const id = row[base + at];
      if (id === null) return void (ctx[alias] = undefined);
      const o: Record<string, unknown> = Object.create(proto);
      let i = base + at;
      for (const s of system) o[s] = row[i++];
      if (meta.length > 0) {
        const m: Record<string, unknown> = Object.create(metaProto);
        for (const k of meta) m[k] = u(row[i++]);
        o.meta = m;
      }
      for (const p of props) {
        const v = row[i++];
        o[p] = fromProp(v);
      }
      ctx[alias] = o;
    });
  }
  return { items, decode };
}

// ---- running ---------------------------------------------------------------

async function handleOf(env: QueryEnv): Promise<number> {
  return await env.handle;
}

// Plan ids the engine handed out, per backend and graph handle, by shape.
const planIds = new WeakMap<GraphBackend, Map<string, number>>();

/** The engine's plan id for one compiled shape on one backend and graph handle (the last one used). */
interface PlanMemo {
  backend: GraphBackend;
  handle: number;
  plan: number;
}

async function runQuery(env: QueryEnv, shape: string, params: unknown[], memo?: { plan?: PlanMemo }): Promise<unknown> {
  if (env.hooks !== undefined) {
    const hooks = env.hooks;
    return withQueryHooks(hooks, env.graph.id, () => compileSync(env, shape, params), () => runStatement(env, shape, params, memo));
  }
  return runStatement(env, shape, params, memo);
}

async function runStatement(env: QueryEnv, shape: string, params: unknown[], memo?: { plan?: PlanMemo }): Promise<unknown> {
  const handle = typeof env.handle === "number" ? env.handle : await handleOf(env);
  const m = memo?.plan;
  if (m !== undefined && m.backend === env.backend && m.handle === handle) {
    // Repeated runs of one compiled query skip the by-shape lookup (a hash of the whole shape text).
    return env.backend.call(handle, "query", { plan: m.plan, params }, env.tx);
  }
  let ids = planIds.get(env.backend);
  if (!ids) planIds.set(env.backend, (ids = new Map()));
  const key = `${handle}\u0000${shape}`;
  let plan = ids.get(key);
  if (plan === undefined) {
    // Compiles once (validation errors surface here, before any SQL runs); later calls send only the id.
    plan = (await env.backend.call(handle, "prepareQuery", { shape }, env.tx)) as number;
    if (ids.size > 4096) ids.clear();
    ids.set(key, plan);
  }
  if (memo) memo.plan = { backend: env.backend, handle, plan };
  return env.backend.call(handle, "query", { plan, params }, env.tx);
}

function compileSync(env: QueryEnv, shape: string, params: unknown[]): { sql: string; params: unknown[] } {
  // A store whose handle is still pending (raw createStore on PostgreSQL) passes the promise:
  // the backend compiles from the registered definition without waiting for a connection.
  const backend = env.backend as GraphBackend & { compileQuery?: (h: number | Promise<number>, args: string) => string };
  if (typeof backend.compileQuery !== "function") {
    throw new ConfigurationError("Cannot convert to SQL: the backend does not support compiling queries", {});
  }
  return JSON.parse(backend.compileQuery(env.handle, JSON.stringify({ shape, params }))) as { sql: string; params: unknown[] };
}

const STRING_OPS = new Set(["contains", "startsWith", "endsWith", "like", "ilike"]);

/** What a bound value's type reads as in an error message. */
function bindingTypeName(v: unknown): string {
  return v instanceof Date ? "date" : typeof v;
}

/** One scalar binding (or one element of a list binding): no null, no NaN/Infinity, only the types a comparison can bind. */
function checkBindingValue(name: string, v: unknown, stringOp: boolean): void {
  if (v === null) throw new ConfigurationError("Parameter value must not be null (use undefined-based patterns instead)", { parameterName: name, valueType: "null" });
  if (stringOp) {
    if (typeof v !== "string") throw new ConfigurationError(`Parameter "${name}" must be a string for string operations`, { parameterName: name, actualType: typeof v });
    return;
  }
  if (typeof v === "number") {
    // JSON would carry NaN/±Infinity as null, which binds SQL NULL and silently matches nothing.
    if (!Number.isFinite(v)) throw new ConfigurationError(`Parameter "${name}" must be a finite number, got ${String(v)}`, { parameterName: name, actualType: "number" });
    return;
  }
  if (v instanceof Date || typeof v === "string" || typeof v === "boolean") return;
  throw new ConfigurationError(`Unsupported parameter value type: ${typeof v}`, { parameterName: name, actualType: typeof v });
}

/** Whether a list element fits the field it is compared with (dates may come as Date or stored ISO text). */
function fitsElementType(v: unknown, type: string | undefined): boolean {
  switch (type) {
    case "string":
    case "number":
    case "boolean":
      return typeof v === type;
    case "date":
      return v instanceof Date || typeof v === "string";
    default:
      return true;
  }
}

type ParamInfo = { indexes: number[]; list: boolean; elementType?: string; stringOp?: boolean };

/** Refuses bindings that name no parameter (the common case, every key a parameter, allocates nothing). */
function checkStrayBindings(template: Slots, given: Record<string, unknown>): void {
  let stray = false;
  for (const k in given) {
    if (Object.prototype.hasOwnProperty.call(given, k) && !template.params.has(k)) {
      stray = true;
      break;
    }
  }
  if (!stray) return;
  const unexpected = Object.keys(given).filter((k) => !template.params.has(k));
  if (unexpected.length > 0) {
    throw new ConfigurationError(`Unexpected bindings provided: ${unexpected.map((n) => `"${n}"`).join(", ")}`, { unexpectedBindings: unexpected });
  }
}

/** One parameter's checked value as it is bound (dates as ISO text); `list` is the template's parameter list. */
function boundValue(list: [string, ParamInfo][], name: string, p: ParamInfo, given: Record<string, unknown>): unknown {
  const v = Object.prototype.hasOwnProperty.call(given, name) ? given[name] : undefined;
  if (v === undefined) {
    // Every missing name at once, like the unexpected ones.
    const missing = list.map(([n]) => n).filter((n) => !Object.prototype.hasOwnProperty.call(given, n) || given[n] === undefined);
    throw new ConfigurationError(`Missing bindings for parameter${missing.length > 1 ? "s" : ""}: ${missing.map((n) => `"${n}"`).join(", ")}`, { parameterName: name, missingBindings: missing });
  }
  if (v === null) throw new ConfigurationError("Parameter value must not be null (use undefined-based patterns instead)", { parameterName: name, valueType: "null" });
  if (typeof v === "string" && !p.list) return v;
  if (p.list && !Array.isArray(v)) throw new ConfigurationError(`Parameter "${name}" must be an array for in()/notIn()`, { parameterName: name, actualType: typeof v });
  if (p.list) {
    for (const x of v as unknown[]) {
      checkBindingValue(name, x, false);
      if (!fitsElementType(x, p.elementType)) {
        throw new ConfigurationError(`Parameter "${name}" is compared with a ${p.elementType} field, so every element must be a ${p.elementType}; got ${bindingTypeName(x)}`, {
          parameterName: name,
          valueType: p.elementType,
        });
      }
    }
  } else checkBindingValue(name, v, p.stringOp === true);
  const bound = Array.isArray(v) ? v.map((x) => (x instanceof Date ? x.toISOString() : x)) : v instanceof Date ? v.toISOString() : v;
  if (!p.list && typeof bound === "object") throw new ConfigurationError(`Unsupported parameter value type: object`, { parameterName: name, actualType: "object" });
  return bound;
}

function bindParams(template: Slots, bindings: Record<string, unknown> | undefined): unknown[] {
  const values = template.values.slice();
  const given = bindings ?? {};
  checkStrayBindings(template, given);
  const list = (template.paramList ??= [...template.params]);
  for (let k = 0; k < list.length; k++) {
    const [name, p] = list[k]!;
    const bound = boundValue(list, name, p, given);
    for (let j = 0; j < p.indexes.length; j++) values[p.indexes[j]!] = bound;
  }
  return values;
}

/** The JSON text of a template's parameter array with the parameters left out: `chunks[i]` comes
 *  before the slot of parameter `order[i]` (an index into the parameter list), the last chunk closes. */
interface JsonTemplate {
  chunks: string[];
  order: number[];
}

function jsonTemplateOf(template: Slots, list: [string, ParamInfo][]): JsonTemplate {
  const paramAt = new Map<number, number>();
  list.forEach(([, p], k) => {
    for (const i of p.indexes) paramAt.set(i, k);
  });
  const chunks: string[] = [];
  const order: number[] = [];
  let cur = "[";
  template.values.forEach((v, i) => {
    if (i > 0) cur += ",";
    const k = paramAt.get(i);
    if (k === undefined) {
      // As the value reads inside JSON.stringify(array) (undefined → null).
      cur += JSON.stringify([v]).slice(1, -1);
      return;
    }
    chunks.push(cur);
    order.push(k);
    cur = "";
  });
  chunks.push(cur + "]");
  return { chunks, order };
}

/** {@link bindParams} answered as the JSON text of the parameter array (what the engine reads): the
 *  constants' text is taken once per template, each call adds only its bound values. Same checks,
 *  same errors, same text as `JSON.stringify(bindParams(…))`. */
function bindParamsJson(template: Slots, bindings: Record<string, unknown> | undefined): string {
  const given = bindings ?? {};
  checkStrayBindings(template, given);
  const list = (template.paramList ??= [...template.params]);
  const t = (template.jsonTemplate ??= jsonTemplateOf(template, list));
  if (list.length === 1) {
    // The common case: one parameter (one or more slots).
    const [name, p] = list[0]!;
    const text = JSON.stringify(boundValue(list, name, p, given));
    const { chunks } = t;
    if (chunks.length === 2) return chunks[0]! + text + chunks[1]!;
    let out = chunks[0]!;
    for (let i = 1; i < chunks.length; i++) out += text + chunks[i]!;
    return out;
  }
  const texts = new Array<string>(list.length);
  for (let k = 0; k < list.length; k++) {
    const [name, p] = list[k]!;
    texts[k] = JSON.stringify(boundValue(list, name, p, given));
  }
  let out = t.chunks[0]!;
  for (let i = 0; i < t.order.length; i++) out += texts[t.order[i]!]! + t.chunks[i + 1]!;
  return out;
}

// ---- cursors ---------------------------------------------------------------

interface CursorData {
  v: 1;
  d: "f" | "b";
  vals: unknown[];
  cols: string[];
}
function encodeCursor(c: CursorData): string {
  return Buffer.from(JSON.stringify(c), "utf8").toString("base64url");
}
function decodeCursor(s: string, cols: string[]): CursorData {
  let c: CursorData;
  try {
    c = JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as CursorData;
  } catch {
    throw new ValidationError("Invalid cursor", { issues: [{ path: "cursor", message: "not a cursor produced by paginate()" }] });
  }
  if (c?.v !== 1 || !Array.isArray(c.vals) || JSON.stringify(c.cols) !== JSON.stringify(cols)) {
    throw new ValidationError("Cursor does not match this query's orderBy", { issues: [{ path: "cursor", message: "orderBy columns differ" }] });
  }
  return c;
}

// ---- builders --------------------------------------------------------------

type AnyFn = (ctx: never) => unknown;

function withState(state: State, patch: Partial<State>): State {
  return { ...state, ...patch };
}

function temporalState(mode: TemporalMode, asOf?: string | Date): State["temporal"] {
  const modes: TemporalMode[] = ["current", "asOf", "includeEnded", "includeTombstones"];
  if (!modes.includes(mode)) throw new ValidationError(`Unknown temporal mode "${mode}"`, { issues: [{ path: "mode", message: "unknown" }] });
  const at = asOf instanceof Date ? asOf.toISOString() : asOf;
  if (mode === "asOf" && at === undefined) {
    throw new ValidationError('temporal("asOf") requires a timestamp', { issues: [{ path: "asOf", message: "required" }] }, {
      suggestion: 'Use .temporal("asOf", "2024-01-15T10:00:00.000Z") or .temporal("current") for current time.',
    });
  }
  if (mode !== "asOf" && at !== undefined) {
    throw new ValidationError(`temporal("${mode}") does not take an asOf timestamp`, { issues: [{ path: "asOf", message: "only valid with asOf" }] });
  }
  if (at !== undefined && !isCanonicalInstant(at)) {
    throw new ValidationError(
      `Invalid canonical ISO 8601 datetime for "asOf": "${at}". Expected fixed-width UTC: YYYY-MM-DDTHH:mm:ss.sssZ`,
      { issues: [{ path: "asOf", message: `Expected canonical UTC ISO 8601 (YYYY-MM-DDTHH:mm:ss.sssZ), got: "${at}"` }] },
      { suggestion: 'Use a fixed-width UTC datetime like "2024-01-15T10:30:00.000Z" (e.g. new Date(value).toISOString()).' },
    );
  }
  return { mode, ...(at !== undefined ? { asOf: at } : {}) };
}

/** `YYYY-MM-DDTHH:mm:ss.sssZ` that round-trips through Date: the only instants stored bounds compare with as text. */
function isCanonicalInstant(value: unknown): boolean {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value)) return false;
  const d = new Date(value);
  return !Number.isNaN(d.getTime()) && d.toISOString() === value;
}

function nonNegInt(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0) throw new ValidationError(`${what} must be a non-negative integer`, { issues: [{ path: what, message: "invalid" }] });
  return n;
}

export class QueryBuilder<
  G extends GraphDef = GraphDef,
  NA extends NodeAliasMap = {},
  EA extends EdgeAliasMap = {},
  XA extends ExtraAliasMap = {},
> {
  /** @internal */ readonly env: QueryEnv;
  /** @internal */ readonly state: State;

  /** @internal */
  constructor(env: QueryEnv, state: State = EMPTY) {
    this.env = env;
    this.state = state;
  }

  from<K extends NodeKinds<G>, A extends string>(
    kind: K,
    alias: UniqueAlias<A, NA & EA & XA>,
    options: { includeSubClasses?: boolean } = {},
  ): QueryBuilder<G, NA & { [P in A]: NodeAliasEntry<NodeTypeOf<G, K>, false> }, EA, XA> {
    if (this.state.start) throw new ValidationError("from() may be called only once per query", { issues: [{ path: "from", message: "repeated" }] });
    checkAlias(alias, this.state);
    if (!Object.prototype.hasOwnProperty.call(this.env.graph.nodes, kind)) throw new KindNotFoundError(kind, "node", { graphId: this.env.graph.id });
    const inc = options.includeSubClasses ?? false;
    const kinds = inc ? subKinds(this.env.graph, kind) : [kind];
    return new QueryBuilder(this.env, {
      ...this.state,
      start: { alias, kind, includeSubClasses: inc },
      aliases: { ...this.state.aliases, [alias]: { entity: "node", kinds, optional: false } },
    });
  }

  /** `from` for a kind known only at run time. */
  fromDynamic<A extends string>(
    kind: string,
    alias: UniqueAlias<A, NA & EA & XA>,
    options: { includeSubClasses?: boolean } = {},
  ): QueryBuilder<G, NA & { [P in A]: NodeAliasEntry<DynamicNodeType, false> }, EA, XA> {
    const q = (this as unknown as QueryBuilder<G>).from(kind as never, alias as never, options);
    return markDynamic(q as unknown as QueryBuilder, alias) as never;
  }

  whereNode<A extends keyof NA & string>(alias: A, fn: (n: NodeAccessor<NA[A]["type"]>) => Predicate): QueryBuilder<G, NA, EA, XA> {
    const info = aliasOf(this.state, alias, ["node"]);
    const pred = fn(entityAccessorFor(this.env, info, alias) as never);
    return new QueryBuilder(this.env, withState(this.state, { where: [...this.state.where, { alias, pred: predOf(pred) }] }));
  }

  whereEdge<A extends keyof EA & string>(alias: A, fn: (e: EdgeAccessor<EA[A]["type"]>) => Predicate): QueryBuilder<G, NA, EA, XA> {
    const info = aliasOf(this.state, alias, ["edge"]);
    const pred = fn(entityAccessorFor(this.env, info, alias) as never);
    return new QueryBuilder(this.env, withState(this.state, { where: [...this.state.where, { alias, pred: predOf(pred) }] }));
  }

  traverse<K extends EdgeKinds<G>, A extends string>(
    edgeKind: K,
    alias: UniqueAlias<A, NA & EA & XA>,
    options: { direction?: TraversalDirection; expand?: TraversalExpansion; from?: keyof NA & string; includeIdentityMembers?: boolean } = {},
  ): TraversalBuilder<G, NA, EA & { [P in A]: EdgeAliasEntry<EdgeTypeOf<G, K>, false> }, XA, false> {
    return this.#traverse(edgeKind, alias, options, false) as never;
  }

  optionalTraverse<K extends EdgeKinds<G>, A extends string>(
    edgeKind: K,
    alias: UniqueAlias<A, NA & EA & XA>,
    options: { direction?: TraversalDirection; expand?: TraversalExpansion; from?: keyof NA & string; includeIdentityMembers?: boolean } = {},
  ): TraversalBuilder<G, NA, EA & { [P in A]: EdgeAliasEntry<EdgeTypeOf<G, K>, true> }, XA, true> {
    return this.#traverse(edgeKind, alias, options, true) as never;
  }

  traverseDynamic<A extends string>(
    edgeKind: string,
    alias: UniqueAlias<A, NA & EA & XA>,
    options: { direction?: TraversalDirection; expand?: TraversalExpansion; from?: keyof NA & string; includeIdentityMembers?: boolean } = {},
  ): TraversalBuilder<G, NA, EA & { [P in A]: EdgeAliasEntry<DynamicEdgeType, false> }, XA, false> {
    return this.#traverse(edgeKind, alias, options, false, true) as never;
  }

  optionalTraverseDynamic<A extends string>(
    edgeKind: string,
    alias: UniqueAlias<A, NA & EA & XA>,
    options: { direction?: TraversalDirection; expand?: TraversalExpansion; from?: keyof NA & string; includeIdentityMembers?: boolean } = {},
  ): TraversalBuilder<G, NA, EA & { [P in A]: EdgeAliasEntry<DynamicEdgeType, true> }, XA, true> {
    return this.#traverse(edgeKind, alias, options, true, true) as never;
  }

  #traverse(edgeKind: string, alias: string, options: { direction?: TraversalDirection; expand?: TraversalExpansion; from?: string; includeIdentityMembers?: boolean }, optional: boolean, dynamic = false): TraversalBuilder {
    if (!this.state.start) throw new ValidationError("traverse() needs from() first", { issues: [{ path: "from", message: "missing" }] });
    checkAlias(alias, this.state);
    if (!Object.prototype.hasOwnProperty.call(this.env.graph.edges, edgeKind)) throw new KindNotFoundError(edgeKind, "edge", { graphId: this.env.graph.id });
    const direction = options.direction ?? "out";
    if (direction !== "out" && direction !== "in") throw new ValidationError(`Unknown direction "${String(direction)}"`, { issues: [{ path: "direction", message: "out | in" }] });
    const from = options.from ?? (this.state.hops.length > 0 ? this.state.hops[this.state.hops.length - 1]!.nodeAlias : this.state.start.alias);
    aliasOf(this.state, from, ["node"]);
    const expand = options.expand ?? this.env.traversalExpansion ?? "inverse";
    const kinds = expandedEdgeKinds(this.env.graph, edgeKind, expand);
    const state: State = {
      ...this.state,
      aliases: { ...this.state.aliases, [alias]: { entity: "edge", kinds, optional, ...(dynamic ? { dynamic } : {}) } },
    };
    const identityMembers = options.includeIdentityMembers;
    if (identityMembers !== undefined && typeof identityMembers !== "boolean") {
      throw new ValidationError("includeIdentityMembers must be a boolean", { issues: [{ path: "includeIdentityMembers", message: "Expected a boolean" }] });
    }
    if (identityMembers === true && (this.env.graph as { identity?: unknown }).identity === undefined) {
      throw new ConfigurationError("Identity is not enabled for this graph.", { code: "IDENTITY_NOT_ENABLED", graphId: this.env.graph.id }, { suggestion: 'Add identity: { sameIdAcrossKinds: "fold" } to defineGraph(...).' });
    }
    return new TraversalBuilder(this.env, state, { edgeAlias: alias, edgeKind, expand, direction, optional, from: options.from, ...(identityMembers ? { identityMembers } : {}) });
  }

  orderBy<A extends (keyof NA | keyof EA | keyof XA) & string>(
    alias: A,
    field: A extends keyof NA ? OrderableField<NA[A]["type"]> : A extends keyof EA ? OrderableField<EA[A]["type"]> | "fromId" | "toId" : string,
    direction: SortDirection = "asc",
  ): QueryBuilder<G, NA, EA, XA> {
    return new QueryBuilder(this.env, withState(this.state, { orderBy: [...this.state.orderBy, orderSpec(this.env, this.state, alias, field, direction)] }));
  }

  limit(n: number): QueryBuilder<G, NA, EA, XA> {
    return new QueryBuilder(this.env, withState(this.state, { limit: nonNegInt(n, "limit") }));
  }
  offset(n: number): QueryBuilder<G, NA, EA, XA> {
    return new QueryBuilder(this.env, withState(this.state, { offset: nonNegInt(n, "offset") }));
  }

  temporal(mode: TemporalMode, asOf?: string | Date): QueryBuilder<G, NA, EA, XA> {
    const sealed = this.env.sealedTemporal;
    if (sealed !== undefined) {
      throw new ConfigurationError(
        `This query comes from a StoreView and reads at its coordinate (${sealed.asOf === undefined ? `mode "${sealed.mode}"` : `asOf ${sealed.asOf}`}); .temporal() cannot move it.`,
        { code: "STORE_VIEW_QUERY_SEALED", temporalMode: sealed.mode, ...(sealed.asOf === undefined ? {} : { asOf: sealed.asOf }), requested: mode },
        { suggestion: "Build the query from another view (store.asOf / store.view) or from store.query()." },
      );
    }
    return new QueryBuilder(this.env, withState(this.state, { temporal: temporalState(mode, asOf) }));
  }

  pipe<R>(fn: (q: this) => R): R {
    return fn(this);
  }

  /** Tunes the reciprocal rank fusion of a query with both `similarTo()` and `$fulltext.matches()`. */
  fuseWith(options: FuseOptions = {}): QueryBuilder<G, NA, EA, XA> {
    const bad = (v: unknown) => v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v < 0);
    if (bad(options.k) || bad(options.weights?.vector) || bad(options.weights?.fulltext)) {
      throw new ValidationError("fuseWith(): k and weights must be finite, non-negative numbers", { issues: [{ path: "fuseWith", message: "invalid" }] });
    }
    return new QueryBuilder(this.env, withState(this.state, { fusion: { ...(options.k !== undefined ? { k: options.k } : {}), ...(options.weights ? { weights: { ...options.weights } } : {}) } }));
  }

  groupBy<A extends (keyof NA | keyof EA) & string>(alias: A, field: string): QueryBuilder<G, NA, EA, XA> {
    const info = aliasOf(this.state, alias, ["node", "edge"]);
    return new QueryBuilder(this.env, withState(this.state, { groupBy: [...this.state.groupBy, { alias, field: fieldRefFor(this.env, info, alias, field) }] }));
  }

  groupByNode<A extends keyof NA & string>(alias: A): QueryBuilder<G, NA, EA, XA> {
    aliasOf(this.state, alias, ["node"]);
    return new QueryBuilder(this.env, withState(this.state, { groupBy: [...this.state.groupBy, { alias, field: { system: "$node", path: [], valueType: "string" } }] }));
  }

  having(h: HavingSpec): QueryBuilder<G, NA, EA, XA> {
    return new QueryBuilder(this.env, withState(this.state, { having: [...this.state.having, h] }));
  }

  aggregate<F extends Record<string, AggregateExpr | FieldRefValue>>(fields: F): ExecutableAggregateQuery<{ [K in keyof F]: AggregateResult<F[K]> }> {
    return new ExecutableAggregateQuery(this.env, this.state, fields, [], undefined, undefined);
  }

  select<R>(fn: (ctx: SelectContext<NA, EA, XA>) => R): ExecutableQuery<R> {
    if (!this.state.start) throw new ValidationError("select() needs from() first", { issues: [{ path: "from", message: "missing" }] });
    return new ExecutableQuery<R>(this.env, this.state, fn as AnyFn);
  }

  /** Number of matching rows (ignores any select). */
  count(): Promise<number> {
    return this.select(() => null).count();
  }
  /** Whether any row matches. */
  exists(): Promise<boolean> {
    return this.select(() => null).exists();
  }

  /** @internal */
  toState(): State {
    return this.state;
  }
}

const EXPANSIONS: readonly TraversalExpansion[] = ["none", "implying", "inverse", "all"];

/** Every edge kind a traversal follows under an expansion mode (forwards, then backwards). */
function expandedEdgeKinds(graph: GraphDef, edgeKind: string, expand: TraversalExpansion): string[] {
  if (!EXPANSIONS.includes(expand)) {
    throw new ValidationError(`Unknown traversal expansion "${String(expand)}"`, { issues: [{ path: "expand", message: "none | implying | inverse | all" }] });
  }
  const c = closuresOf(graph);
  const implying = expand === "implying" || expand === "all";
  const widen = (k: string) => (implying ? [k, ...(c.edgeImplyingClosure.get(k) ?? [])] : [k]);
  const out = widen(edgeKind);
  if (expand === "inverse" || expand === "all") {
    for (const k of [...out]) {
      const inv = c.edgeInverses.get(k);
      if (inv !== undefined) for (const w of widen(inv)) if (!out.includes(w)) out.push(w);
    }
  }
  return [...new Set(out)];
}

function markDynamic(q: QueryBuilder, alias: string): QueryBuilder {
  const info = q.state.aliases[alias]!;
  return new QueryBuilder(q.env, { ...q.state, aliases: { ...q.state.aliases, [alias]: { ...info, dynamic: true } } });
}

function orderSpec(env: QueryEnv, state: State, alias: string, field: string, direction: SortDirection): OrderState {
  if (direction !== "asc" && direction !== "desc") throw new ValidationError(`Unknown sort direction "${String(direction)}"`, { issues: [{ path: "direction", message: "asc | desc" }] });
  const info = aliasOf(state, alias, ["node", "edge", "depth", "path"]);
  if (info.entity === "depth" || info.entity === "path") return { alias, field: { system: info.entity, path: [], valueType: info.entity === "depth" ? "number" : "string" }, desc: direction === "desc" };
  const ref = fieldRefFor(env, info, alias, field);
  if (ref.valueType === "array" || ref.valueType === "object" || ref.valueType === "embedding") {
    throw new UnsupportedPredicateError("Ordering by JSON arrays or objects is not supported", { alias, field });
  }
  return { alias, field: ref, desc: direction === "desc" };
}

function predOf(p: unknown): PredicateAst {
  if (p instanceof Predicate) return p.ast;
  if (p && typeof p === "object" && "ast" in p) return (p as { ast: PredicateAst }).ast;
  throw new UnsupportedPredicateError("A where callback must return a predicate", {});
}

export class TraversalBuilder<
  G extends GraphDef = GraphDef,
  NA extends NodeAliasMap = {},
  EA extends EdgeAliasMap = {},
  XA extends ExtraAliasMap = {},
  Optional extends boolean = false,
> {
  readonly #env: QueryEnv;
  readonly #state: State;
  readonly #hop: Omit<HopState, "nodeAlias" | "nodeKind" | "includeSubClasses">;

  /** @internal */
  constructor(env: QueryEnv, state: State, hop: Omit<HopState, "nodeAlias" | "nodeKind" | "includeSubClasses">) {
    this.#env = env;
    this.#state = state;
    this.#hop = hop;
  }

  whereEdge<A extends keyof EA & string>(alias: A, fn: (e: EdgeAccessor<EA[A]["type"]>) => Predicate): TraversalBuilder<G, NA, EA, XA, Optional> {
    const info = aliasOf(this.#state, alias, ["edge"]);
    const pred = fn(entityAccessorFor(this.#env, info, alias) as never);
    return new TraversalBuilder(this.#env, withState(this.#state, { where: [...this.#state.where, { alias, pred: predOf(pred) }] }), this.#hop);
  }

  recursive<const O extends RecursiveTraversalOptions = {}>(options?: O): RecursiveTraversalBuilder<G, NA, EA, XA, Optional, O> {
    const o: RecursiveTraversalOptions = options ?? {};
    const minHops = o.minHops ?? 1;
    if (!Number.isInteger(minHops)) throw new TypeError("minHops must be a finite integer");
    if (minHops < 0) throw new ValidationError("minHops must be >= 0", { issues: [{ path: "minHops", message: ">= 0" }] });
    if (o.maxHops !== undefined) {
      if (!Number.isInteger(o.maxHops)) throw new TypeError("maxHops must be a finite integer");
      if (o.maxHops < 1) throw new ValidationError("maxHops must be >= 1", { issues: [{ path: "maxHops", message: ">= 1" }] });
      if (o.maxHops > MAX_EXPLICIT_RECURSIVE_DEPTH) {
        throw new UnsupportedPredicateError(`maxHops must be <= ${MAX_EXPLICIT_RECURSIVE_DEPTH}. Use a smaller bound to prevent runaway recursive queries.`, {
          maxHops: o.maxHops,
          limit: MAX_EXPLICIT_RECURSIVE_DEPTH,
        });
      }
      if (minHops > o.maxHops) throw new ValidationError("minHops must be <= maxHops", { issues: [{ path: "minHops", message: "<= maxHops" }] });
    }
    if (o.cyclePolicy !== undefined && o.cyclePolicy !== "prevent" && o.cyclePolicy !== "allow") {
      throw new ValidationError(`Unknown cyclePolicy "${String(o.cyclePolicy)}"`, { issues: [{ path: "cyclePolicy", message: "prevent | allow" }] });
    }
    if (this.#state.hops.some((h) => h.recursive)) throw new UnsupportedPredicateError("Only one recursive traversal is supported per query", {});
    return new RecursiveTraversalBuilder(this.#env, this.#state, this.#hop, {
      minHops,
      ...(o.maxHops !== undefined ? { maxHops: o.maxHops } : {}),
      cyclePolicy: o.cyclePolicy ?? "prevent",
      depth: o.depth,
      path: o.path,
    }) as never;
  }

  to<K extends NodeKinds<G>, A extends string>(
    kind: K,
    alias: UniqueAlias<A, NA & EA & XA>,
    options: { includeSubClasses?: boolean } = {},
  ): QueryBuilder<G, NA & { [P in A]: NodeAliasEntry<NodeTypeOf<G, K>, Optional> }, EA, XA> {
    return finishHop(this.#env, this.#state, this.#hop, kind, alias, options, undefined) as never;
  }

  toDynamic<A extends string>(
    kind: string,
    alias: UniqueAlias<A, NA & EA & XA>,
    options: { includeSubClasses?: boolean } = {},
  ): QueryBuilder<G, NA & { [P in A]: NodeAliasEntry<DynamicNodeType, Optional> }, EA, XA> {
    return markDynamic(finishHop(this.#env, this.#state, this.#hop, kind, alias, options, undefined), alias) as never;
  }
}

interface RecursiveSpec {
  minHops: number;
  maxHops?: number;
  cyclePolicy: string;
  depth?: boolean | string;
  path?: boolean | string;
}

export class RecursiveTraversalBuilder<
  G extends GraphDef = GraphDef,
  NA extends NodeAliasMap = {},
  EA extends EdgeAliasMap = {},
  XA extends ExtraAliasMap = {},
  Optional extends boolean = false,
  O = {},
> {
  readonly #env: QueryEnv;
  readonly #state: State;
  readonly #hop: Omit<HopState, "nodeAlias" | "nodeKind" | "includeSubClasses">;
  readonly #rec: RecursiveSpec;

  /** @internal */
  constructor(env: QueryEnv, state: State, hop: Omit<HopState, "nodeAlias" | "nodeKind" | "includeSubClasses">, rec: RecursiveSpec) {
    this.#env = env;
    this.#state = state;
    this.#hop = hop;
    this.#rec = rec;
  }

  whereEdge<A extends keyof EA & string>(alias: A, fn: (e: EdgeAccessor<EA[A]["type"]>) => Predicate): RecursiveTraversalBuilder<G, NA, EA, XA, Optional, O> {
    const info = aliasOf(this.#state, alias, ["edge"]);
    const pred = fn(entityAccessorFor(this.#env, info, alias) as never);
    return new RecursiveTraversalBuilder(this.#env, withState(this.#state, { where: [...this.#state.where, { alias, pred: predOf(pred) }] }), this.#hop, this.#rec);
  }

  to<K extends NodeKinds<G>, A extends string>(
    kind: K,
    alias: UniqueAlias<A, NA & EA & XA>,
    options: { includeSubClasses?: boolean } = {},
  ): QueryBuilder<
    G,
    NA & { [P in A]: NodeAliasEntry<NodeTypeOf<G, K>, Optional> },
    EA,
    XA & { [P in RecursiveAliasName<O, "depth", A>]: number } & { [P in RecursiveAliasName<O, "path", A>]: string[] }
  > {
    return finishHop(this.#env, this.#state, this.#hop, kind, alias, options, this.#rec) as never;
  }
}

function finishHop(
  env: QueryEnv,
  state0: State,
  hop: Omit<HopState, "nodeAlias" | "nodeKind" | "includeSubClasses">,
  kind: string,
  alias: string,
  options: { includeSubClasses?: boolean },
  rec: RecursiveSpec | undefined,
): QueryBuilder {
  checkAlias(alias, state0);
  if (!Object.prototype.hasOwnProperty.call(env.graph.nodes, kind)) throw new KindNotFoundError(kind, "node", { graphId: env.graph.id });
  // The target must be able to stand at the far end of the edge.
  const reg = env.graph.edges[hop.edgeKind]!;
  const far = hop.direction === "out" ? reg.to : reg.from;
  const expected = far.map((n) => n.kind);
  const inc = options.includeSubClasses ?? false;
  const kinds = inc ? subKinds(env.graph, kind) : [kind];
  if (expected.length > 0 && !expected.some((e) => subKinds(env.graph, e).includes(kind) || kinds.includes(e))) {
    throw new EndpointError({ edgeKind: hop.edgeKind, endpoint: hop.direction === "out" ? "to" : "from", actualKind: kind, expectedKinds: expected });
  }
  const aliases: Record<string, AliasInfo> = { ...state0.aliases, [alias]: { entity: "node", kinds, optional: hop.optional } };
  let recursive: HopState["recursive"];
  if (rec) {
    aliases[hop.edgeAlias] = { ...aliases[hop.edgeAlias]!, hidden: true };
    const name = (v: boolean | string | undefined, key: string) => (v === true ? `${alias}_${key}` : typeof v === "string" ? v : undefined);
    const depthAlias = name(rec.depth, "depth");
    const pathAlias = name(rec.path, "path");
    const tmp: State = { ...state0, aliases };
    if (depthAlias) {
      checkAlias(depthAlias, tmp);
      aliases[depthAlias] = { entity: "depth", kinds: [], optional: hop.optional };
    }
    if (pathAlias) {
      checkAlias(pathAlias, { ...tmp, aliases });
      aliases[pathAlias] = { entity: "path", kinds: [], optional: hop.optional };
    }
    recursive = {
      minHops: rec.minHops,
      ...(rec.maxHops !== undefined ? { maxHops: rec.maxHops } : {}),
      cyclePolicy: rec.cyclePolicy,
      ...(depthAlias ? { depthAlias } : {}),
      ...(pathAlias ? { pathAlias } : {}),
    };
  }
  return new QueryBuilder(env, {
    ...state0,
    hops: [...state0.hops, { ...hop, nodeAlias: alias, nodeKind: kind, includeSubClasses: inc, ...(recursive ? { recursive } : {}) }],
    aliases,
  });
}

// ---- executable query ------------------------------------------------------

type SyncCall = (graph: number, op: string, args: unknown, tx?: TxToken) => unknown;

interface Compiled {
  shape: string;
  slots: Slots;
  proj: Projection;
  /** The engine's plan id, memoized after the first run. */
  plan?: PlanMemo;
}

/** The env of a query run elsewhere: a backend, `{ backend, handle, tx? }`, or a store transaction context. */
function retarget(env: QueryEnv, given: unknown): QueryEnv {
  if (given === null || typeof given !== "object") throw new TypeError("executeOn() takes a backend or a transaction context of this store");
  const bound = (given as { [k: symbol]: unknown })[Symbol.for("typegraph.txTarget")] as { backend: GraphBackend; handle: number; tx: TxToken } | undefined;
  const target = (bound ?? given) as GraphBackend | { backend: GraphBackend; handle: number; tx?: TxToken };
  if (!("call" in target) && !("backend" in target)) throw new TypeError("executeOn() takes a backend or a transaction context of this store");
  return "call" in target ? { ...env, backend: target } : { ...env, backend: target.backend, handle: target.handle, tx: target.tx };
}

export class ExecutableQuery<R = unknown> {
  readonly #env: QueryEnv;
  readonly #state: State;
  readonly #fn: AnyFn;
  #proj: Projection | undefined;
  readonly #compiled = new Map<string, Compiled>();

  /** @internal */
  constructor(env: QueryEnv, state: State, fn: AnyFn) {
    this.#env = env;
    this.#state = state;
    this.#fn = fn;
  }

  /** @internal */ get state(): State {
    return this.#state;
  }
  /** @internal */ get env(): QueryEnv {
    return this.#env;
  }

  #with(patch: Partial<State>): ExecutableQuery<R> {
    return new ExecutableQuery<R>(this.#env, withState(this.#state, patch), this.#fn);
  }

  orderBy(alias: string, field: string, direction: SortDirection = "asc"): ExecutableQuery<R> {
    return this.#with({ orderBy: [...this.#state.orderBy, orderSpec(this.#env, this.#state, alias, field, direction)] });
  }
  limit(n: number): ExecutableQuery<R> {
    return this.#with({ limit: nonNegInt(n, "limit") });
  }
  offset(n: number): ExecutableQuery<R> {
    return this.#with({ offset: nonNegInt(n, "offset") });
  }
  pipe<T>(fn: (q: this) => T): T {
    return fn(this);
  }

  /** @internal Columns and decoders of this query's select. */
  projection(): Projection {
    return (this.#proj ??= project(this.#env, this.#state, trackSelect(this.#env, this.#state, this.#fn)));
  }

  /** @internal */
  compile(variant: "rows" | "count" | "exists" | "first" = "rows", extraItems: SelectItem[] = [], keyset = false, orderBy = this.#state.orderBy, limit = this.#state.limit): Compiled {
    const key = `${variant}|${keyset}|${JSON.stringify(extraItems)}|${JSON.stringify(orderBy)}|${limit}`;
    let c = this.#compiled.get(key);
    if (c) return c;
    const proj = variant === "count" || variant === "exists" ? { items: [], decode: [] } : this.projection();
    const slots = new Slots();
    const items = [...proj.items, ...extraItems];
    const extra: Record<string, unknown> = {};
    const ast = queryAst(this.#env, this.#state, slots, items, extra);
    if (variant === "count" || variant === "exists") ast.mode = variant;
    if (orderBy.length > 0) ast.orderBy = orderBy.map((o) => ({ alias: o.alias, field: o.field, desc: o.desc }));
    if (keyset) ast.keyset = { values: orderBy.map(() => slots.add(new ParameterRef(`$cursor${slots.values.length}`))) };
    const lim = variant === "first" ? Math.min(limit ?? 1, 1) : limit;
    if (lim !== undefined) ast.limit = slots.add(lim);
    if (this.#state.offset !== undefined) ast.offset = slots.add(this.#state.offset);
    c = { shape: JSON.stringify(ast), slots, proj };
    this.#compiled.set(key, c);
    return c;
  }

  /** @internal From now on, fetch whole aliases (the traced projection missed a column some row needed). */
  widenProjection(): void {
    this.#proj = project(this.#env, this.#state, undefined);
    this.#compiled.clear();
  }

  /** @internal rows → results; throws MISS (after widening) when the select reads an unfetched column. */
  materialize(rows: unknown[][], proj: Projection): R[] {
    const fn = this.#fn as (ctx: Record<string, unknown>) => R;
    const out = new Array<R>(rows.length);
    // An alias named "__proto__" must stay an own key of the row context, never its prototype.
    const nullProto = Object.prototype.hasOwnProperty.call(this.#state.aliases, "__proto__");
    for (let i = 0; i < rows.length; i++) {
      const ctx: Record<string, unknown> = nullProto ? Object.create(null) : {};
      for (const d of proj.decode) d(rows[i]!, ctx, 0);
      try {
        out[i] = fn(ctx);
      } catch (error) {
        if (error === MISS) this.widenProjection();
        throw error;
      }
    }
    return out;
  }

  /** @internal A flat result (`[columns, values…]`, rows one after another) → results, as {@link materialize}. */
  materializeFlat(flat: unknown[], proj: Projection): R[] {
    const fn = this.#fn as (ctx: Record<string, unknown>) => R;
    const n = flat[0] as number;
    const count = n === 0 ? 0 : (flat.length - 1) / n;
    const out = new Array<R>(count);
    const nullProto = Object.prototype.hasOwnProperty.call(this.#state.aliases, "__proto__");
    const decode = proj.decode;
    for (let i = 0, base = 1; i < count; i++, base += n) {
      const ctx: Record<string, unknown> = nullProto ? Object.create(null) : {};
      for (let d = 0; d < decode.length; d++) decode[d]!(flat, ctx, base);
      try {
        out[i] = fn(ctx);
      } catch (error) {
        if (error === MISS) this.widenProjection();
        throw error;
      }
    }
    return out;
  }

  async #run(c: Compiled, bindings?: Record<string, unknown>): Promise<unknown> {
    if (bindings === undefined && c.slots.params.size > 0) {
      // As upstream: a query with param() placeholders runs only through prepare().
      throw new ConfigurationError("Query contains param() references. Use .prepare().execute({...}) instead of .execute().", {
        parameterNames: [...c.slots.params.keys()],
      });
    }
    return runQuery(this.#env, c.shape, bindParams(c.slots, bindings), c);
  }

  /** @internal Runs an already compiled rows query (prepared queries keep theirs). */
  executeCompiled(c: Compiled, bindings: Record<string, unknown> | undefined): Promise<readonly R[]> {
    // A repeated run on a synchronous backend (SQLite) with its plan id known: one native call,
    // no promise chain in between (errors still reject the returned promise).
    if (this.canRunSync(c, bindings)) {
      try {
        return Promise.resolve(this.runSync(c, bindings!));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#run(c, bindings).then((rows) => this.materialize(rows as unknown[][], c.proj));
  }

  /** @internal Whether `runSync` can serve `c` (SQLite, plan id known, no query hooks). */
  canRunSync(c: Compiled, bindings: Record<string, unknown> | undefined): boolean {
    const m = c.plan;
    const env = this.#env;
    return m !== undefined && bindings !== undefined && m.backend === env.backend && m.handle === env.handle && env.hooks === undefined && (env.backend as { callSync?: SyncCall }).callSync !== undefined;
  }

  /** @internal One synchronous run of a compiled query whose plan id is known (throws, MISS included). */
  runSync(c: Compiled, bindings: Record<string, unknown>): R[] {
    const env = this.#env;
    const backend = env.backend as GraphBackend & { callSync: SyncCall; queryPlanSync?: (graph: number, plan: number, params: unknown[] | string, tx?: TxToken) => unknown };
    const tx = env.tx && env.tx.open ? env.tx : undefined;
    if (backend.queryPlanSync !== undefined) {
      // A plan's run answers its rows flat (`[columns, values…]`): one array, not one per row.
      // The parameters cross as the JSON text the engine reads, built around the constants' text.
      const rows = backend.queryPlanSync(c.plan!.handle, c.plan!.plan, bindParamsJson(c.slots, bindings), tx) as unknown[];
      return typeof rows[0] === "number" ? this.materializeFlat(rows, c.proj) : this.materialize(rows as unknown[][], c.proj);
    }
    const rows = backend.callSync(c.plan!.handle, "query", { plan: c.plan!.plan, params: bindParams(c.slots, bindings) }, tx);
    return this.materialize(rows as unknown[][], c.proj);
  }


  async execute(): Promise<readonly R[]> {
    try {
      const c = this.compile();
      return this.materialize((await this.#run(c)) as unknown[][], c.proj);
    } catch (error) {
      if (error !== MISS) throw error;
      const c = this.compile();
      return this.materialize((await this.#run(c)) as unknown[][], c.proj);
    }
  }

  /** @internal */
  async executeWith(bindings: Record<string, unknown> | undefined): Promise<readonly R[]> {
    try {
      const c = this.compile();
      return this.materialize((await this.#run(c, bindings ?? {})) as unknown[][], c.proj);
    } catch (error) {
      if (error !== MISS) throw error;
      const c = this.compile();
      return this.materialize((await this.#run(c, bindings ?? {})) as unknown[][], c.proj);
    }
  }

  async first(): Promise<R | undefined> {
    for (let attempt = 0; ; attempt++) {
      const c = this.compile("first");
      const rows = (await this.#run(c)) as unknown[][];
      try {
        return rows.length === 0 ? undefined : this.materialize(rows, c.proj)[0];
      } catch (error) {
        if (error !== MISS || attempt > 0) throw error;
      }
    }
  }

  async count(): Promise<number> {
    return (await this.#run(this.compile("count"))) as number;
  }

  async exists(): Promise<boolean> {
    return (await this.#run(this.compile("exists"))) as boolean;
  }

  /** Runs on another backend or inside a transaction (`executeOn(tx)` where tx came from this store). */
  async executeOn(given: GraphBackend | { backend: GraphBackend; handle: number; tx?: TxToken } | object): Promise<readonly R[]> {
    // A store transaction context carries its own target (backend, handle and transaction).
    return new ExecutableQuery<R>(retarget(this.#env, given), this.#state, this.#fn).execute();
  }

  prepare(): PreparedQuery<R> {
    return new PreparedQuery<R>(this);
  }

  /** The AST as sent to the engine (values in `params`). */
  toAst(): { shape: unknown; params: unknown[]; __query: { state: State; select: SelectItem[]; env: QueryEnv } } {
    const c = this.compile();
    return { shape: JSON.parse(c.shape), params: c.slots.values, __query: { state: this.#state, select: c.proj.items, env: this.#env } };
  }

  /** `{ sql, params }` for this dialect; `param()` slots show as null. */
  toSQL(): { sql: string; params: readonly unknown[] } {
    const c = this.compile();
    return compileSync(this.#env, c.shape, c.slots.values.map((v) => (v === undefined ? null : v)));
  }

  union(other: ExecutableQuery<R>): UnionableQuery<R> {
    return new UnionableQuery<R>(this, [{ op: "union", query: other }]);
  }
  unionAll(other: ExecutableQuery<R>): UnionableQuery<R> {
    return new UnionableQuery<R>(this, [{ op: "unionAll", query: other }]);
  }
  intersect(other: ExecutableQuery<R>): UnionableQuery<R> {
    return new UnionableQuery<R>(this, [{ op: "intersect", query: other }]);
  }
  except(other: ExecutableQuery<R>): UnionableQuery<R> {
    return new UnionableQuery<R>(this, [{ op: "except", query: other }]);
  }

  #cursorCols(orderBy: OrderState[]): string[] {
    return orderBy.map((o) => `${o.alias}.${o.field.system ?? o.field.path.join(".")}:${o.desc ? "d" : "a"}`);
  }

  /** Order plus the start alias id as a tie-breaker, so keyset pages never split a tie. */
  #totalOrder(): OrderState[] {
    const s = this.#state;
    if (s.orderBy.length === 0) {
      throw new ValidationError("paginate() and stream() require orderBy()", { issues: [{ path: "orderBy", message: "required for cursor pagination" }] });
    }
    const startId = s.orderBy.some((o) => o.alias === s.start!.alias && o.field.system === "id");
    return startId ? s.orderBy : [...s.orderBy, { alias: s.start!.alias, field: { system: "id", path: [], valueType: "string" }, desc: false }];
  }

  async paginate(options: PaginateOptions): Promise<PaginatedResult<R>> {
    try {
      return await this.#paginate(options);
    } catch (error) {
      if (error !== MISS) throw error;
      return this.#paginate(options);
    }
  }

  async #paginate(options: PaginateOptions): Promise<PaginatedResult<R>> {
    const order = this.#totalOrder();
    const backward = options.last !== undefined || options.before !== undefined;
    if (backward && (options.first !== undefined || options.after !== undefined)) {
      throw new ValidationError("paginate() takes first/after or last/before, not both", { issues: [{ path: "paginate", message: "mixed directions" }] });
    }
    const size = nonNegInt((backward ? options.last : options.first) ?? 20, backward ? "last" : "first");
    const cursorStr = backward ? options.before : options.after;
    const cols = this.#cursorCols(order);
    const runOrder = backward ? order.map((o) => ({ ...o, desc: !o.desc })) : order;
    const keyItems: SelectItem[] = order.map((o) =>
      o.field.system === "depth" || o.field.system === "path"
        ? { alias: o.alias, col: o.field.system }
        : o.field.system
          ? { alias: o.alias, col: o.field.system }
          : { alias: o.alias, col: "prop", path: o.field.path },
    );
    const c = this.compile("rows", keyItems, cursorStr !== undefined, runOrder, size + 1);
    const bindings: Record<string, unknown> = {};
    if (cursorStr !== undefined) {
      const cur = decodeCursor(cursorStr, cols);
      let k = 0;
      for (const [name] of c.slots.params) if (name.startsWith("$cursor")) bindings[name] = cur.vals[k++];
    }
    // Cursor values may be null (NULL sort keys): bind them around the strict check.
    const values = c.slots.values.slice();
    for (const [name, p] of c.slots.params) for (const i of p.indexes) values[i] = bindings[name] ?? null;
    const rows = (await runQuery(this.#env, c.shape, values)) as unknown[][];
    const more = rows.length > size;
    const page = more ? rows.slice(0, size) : rows;
    if (backward) page.reverse();
    const n = c.proj.items.length;
    const cursorOf = (row: unknown[], d: "f" | "b") => encodeCursor({ v: 1, d, vals: row.slice(n, n + order.length), cols });
    const data = this.materialize(page, c.proj);
    const firstRow = page[0];
    const lastRow = page[page.length - 1];
    return {
      data,
      hasNextPage: backward ? cursorStr !== undefined : more,
      hasPrevPage: backward ? more : cursorStr !== undefined,
      // As upstream: a backward page always offers a forward cursor; any page reached by a cursor offers a backward one.
      nextCursor: lastRow && (backward || more) ? cursorOf(lastRow, "f") : undefined,
      prevCursor: firstRow && (cursorStr !== undefined || (backward && more)) ? cursorOf(firstRow, "b") : undefined,
    };
  }

  /** Rows in batches of `batchSize` (default 1000) by keyset pagination; needs orderBy() (checked on the call, as upstream). */
  stream(options: StreamOptions = {}): AsyncIterableIterator<R> {
    if (this.#state.orderBy.length === 0) {
      throw new ValidationError("Streaming requires ORDER BY. Add .orderBy() before .stream()", { issues: [{ path: "orderBy", message: "ORDER BY is required for streaming" }] });
    }
    const batchSize = options.batchSize ?? 1000;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ValidationError("batchSize must be a positive integer", { issues: [{ path: "batchSize", message: "invalid" }] });
    return this.#stream(batchSize);
  }

  async *#stream(batchSize: number): AsyncIterableIterator<R> {
    let after: string | undefined;
    for (;;) {
      const page = await this.paginate({ first: batchSize, ...(after ? { after } : {}) });
      for (const r of page.data) yield r;
      if (!page.hasNextPage || !page.nextCursor) return;
      after = page.nextCursor;
    }
  }
}

export class PreparedQuery<R = unknown> {
  readonly #q: ExecutableQuery<R>;
  #c: Compiled;
  readonly parameterNames: readonly string[];

  /** @internal */
  constructor(q: ExecutableQuery<R>) {
    this.#q = q;
    const c = q.compile();
    this.#c = c;
    this.parameterNames = Object.freeze([...c.slots.params.keys()]);
  }

  execute(bindings: Record<string, unknown> = {}): Promise<readonly R[]> {
    const q = this.#q;
    if (q.canRunSync(this.#c, bindings)) {
      // SQLite with the plan id known: the whole run is synchronous, one settled promise.
      try {
        return Promise.resolve(q.runSync(this.#c, bindings));
      } catch (error) {
        if (error !== MISS) return Promise.reject(error);
      }
      this.#c = q.compile();
    }
    return this.#executeAsync(bindings);
  }

  async #executeAsync(bindings: Record<string, unknown>): Promise<readonly R[]> {
    try {
      return await this.#q.executeCompiled(this.#c, bindings);
    } catch (error) {
      if (error !== MISS) throw error;
      // The query now fetches whole aliases; later executions keep that plan.
      this.#c = this.#q.compile();
      return this.#q.executeCompiled(this.#c, bindings);
    }
  }
}

// ---- set operations ---------------------------------------------------------

export class UnionableQuery<R = unknown> {
  readonly #left: ExecutableQuery<R>;
  /** Each link of the left-deep chain; `limit`/`offset` bound that link's result when a later link follows. */
  readonly #ops: { op: string; query: ExecutableQuery<R>; limit?: number; offset?: number }[];
  readonly #limit: number | undefined;
  readonly #offset: number | undefined;

  /** @internal */
  constructor(left: ExecutableQuery<R>, ops: { op: string; query: ExecutableQuery<R>; limit?: number; offset?: number }[], limit?: number, offset?: number) {
    this.#left = left;
    this.#ops = ops;
    this.#limit = limit;
    this.#offset = offset;
  }

  union(q: ExecutableQuery<R>): UnionableQuery<R> {
    return new UnionableQuery(this.#left, [...this.#chain(), { op: "union", query: q }]);
  }
  unionAll(q: ExecutableQuery<R>): UnionableQuery<R> {
    return new UnionableQuery(this.#left, [...this.#chain(), { op: "unionAll", query: q }]);
  }
  intersect(q: ExecutableQuery<R>): UnionableQuery<R> {
    return new UnionableQuery(this.#left, [...this.#chain(), { op: "intersect", query: q }]);
  }
  except(q: ExecutableQuery<R>): UnionableQuery<R> {
    return new UnionableQuery(this.#left, [...this.#chain(), { op: "except", query: q }]);
  }
  /** The links so far, this query's own limit/offset kept on its last link (it becomes a nested operand). */
  #chain(): { op: string; query: ExecutableQuery<R>; limit?: number; offset?: number }[] {
    if (this.#limit === undefined && this.#offset === undefined) return this.#ops;
    const last = this.#ops[this.#ops.length - 1]!;
    return [...this.#ops.slice(0, -1), { ...last, ...(this.#limit !== undefined ? { limit: this.#limit } : {}), ...(this.#offset !== undefined ? { offset: this.#offset } : {}) }];
  }
  limit(n: number): UnionableQuery<R> {
    return new UnionableQuery(this.#left, this.#ops, nonNegInt(n, "limit"), this.#offset);
  }
  offset(n: number): UnionableQuery<R> {
    return new UnionableQuery(this.#left, this.#ops, this.#limit, nonNegInt(n, "offset"));
  }

  #compile(): { shape: string; values: unknown[]; proj: Projection; params: string[] } {
    const env = this.#left.env;
    const slots = new Slots();
    const proj = this.#left.projection();
    const build = (q: ExecutableQuery<R>, items: SelectItem[]) => {
      const ast = queryAst(env, q.state, slots, items);
      if (q.state.orderBy.length > 0) ast.orderBy = q.state.orderBy.map((o) => ({ alias: o.alias, field: o.field, desc: o.desc }));
      if (q.state.limit !== undefined) ast.limit = slots.add(q.state.limit);
      if (q.state.offset !== undefined) ast.offset = slots.add(q.state.offset);
      return ast;
    };
    const root = build(this.#left, proj.items);
    root.setOps = this.#ops.map(({ op, query, limit, offset }) => {
      const p = query.projection();
      if (p.items.length !== proj.items.length || p.items.some((it, i) => it.col !== proj.items[i]!.col)) {
        throw new ValidationError("Set operation operands must select the same shape", { issues: [{ path: "select", message: "shapes differ" }] });
      }
      return { op, query: build(query, p.items), ...(limit !== undefined ? { limit: slots.add(limit) } : {}), ...(offset !== undefined ? { offset: slots.add(offset) } : {}) };
    });
    if (this.#limit !== undefined) root.setLimit = slots.add(this.#limit);
    if (this.#offset !== undefined) root.setOffset = slots.add(this.#offset);
    return { shape: JSON.stringify(root), values: slots.values.map((v) => (v === undefined ? null : v)), proj, params: [...slots.params.keys()] };
  }

  async execute(): Promise<readonly R[]> {
    return this.#executeIn(this.#left.env);
  }

  /** Runs on another backend or inside a transaction (`executeOn(tx)` where tx came from this store). */
  async executeOn(given: GraphBackend | { backend: GraphBackend; handle: number; tx?: TxToken } | object): Promise<readonly R[]> {
    return this.#executeIn(retarget(this.#left.env, given));
  }

  async #executeIn(env: QueryEnv): Promise<readonly R[]> {
    for (let attempt = 0; ; attempt++) {
      const c = this.#compile();
      if (c.params.length > 0) {
        throw new ConfigurationError("Query contains param() references. Use .prepare().execute({...}) instead of .execute().", { parameterNames: c.params });
      }
      const rows = (await runQuery(env, c.shape, c.values)) as unknown[][];
      try {
        return this.#left.materialize(rows, c.proj);
      } catch (error) {
        if (error !== MISS || attempt > 0) throw error;
        // Every operand selects the same shape: widen them all.
        for (const { query } of this.#ops) query.widenProjection();
      }
    }
  }

  toSQL(): { sql: string; params: readonly unknown[] } {
    const c = this.#compile();
    return compileSync(this.#left.env, c.shape, c.values);
  }
}

// ---- aggregation --------------------------------------------------------------

export interface AggregateExpr<T = unknown> {
  readonly __agg: "count" | "countDistinct" | "sum" | "avg" | "min" | "max" | "field";
  readonly alias: string;
  readonly field?: string[];
  /** @internal phantom */ readonly __t?: T;
}
export type AggregateResult<A> = A extends AggregateExpr<infer T> ? T : A extends FieldRefValue ? unknown : never;

function aggExpr<T>(fn: AggregateExpr["__agg"], alias: string, field?: string | string[]): AggregateExpr<T> {
  return Object.freeze({ __agg: fn, alias, ...(field === undefined ? {} : { field: Array.isArray(field) ? field : [field] }) });
}
export const count = (alias: string, field?: string): AggregateExpr<number> => aggExpr("count", alias, field);
export const countDistinct = (alias: string, field?: string): AggregateExpr<number> => aggExpr("countDistinct", alias, field);
export const sum = (alias: string, field: string): AggregateExpr<number> => aggExpr("sum", alias, field);
export const avg = (alias: string, field: string): AggregateExpr<number> => aggExpr("avg", alias, field);
export const min = <T = number>(alias: string, field: string): AggregateExpr<T> => aggExpr("min", alias, field);
export const max = <T = number>(alias: string, field: string): AggregateExpr<T> => aggExpr("max", alias, field);
export const field = <T = unknown>(alias: string, ...path: string[]): AggregateExpr<T> => aggExpr("field", alias, path);
export const countEdges = (edgeAlias: string): AggregateExpr<number> => aggExpr("count", edgeAlias);
export const countDistinctEdges = (edgeAlias: string): AggregateExpr<number> => aggExpr("countDistinct", edgeAlias);

export type HavingOp = "gt" | "gte" | "lt" | "lte" | "eq" | "neq";
export interface HavingSpec {
  readonly agg: AggregateExpr;
  readonly op: HavingOp;
  readonly value: number | string | boolean;
}
export const having = (agg: AggregateExpr, op: HavingOp, value: number | string | boolean): HavingSpec => {
  if (!["gt", "gte", "lt", "lte", "eq", "neq"].includes(op)) {
    throw new UnsupportedPredicateError(`Unsupported HAVING operator "${String(op)}"`, { operator: op });
  }
  if (!["number", "string", "boolean"].includes(typeof value) || (typeof value === "number" && !Number.isFinite(value))) {
    throw new ValidationError("A HAVING value must be a finite number, a string or a boolean", { issues: [{ path: "having.value", message: "invalid" }] });
  }
  return { agg, op, value };
};
export const havingGt = (agg: AggregateExpr, value: number) => having(agg, "gt", value);
export const havingGte = (agg: AggregateExpr, value: number) => having(agg, "gte", value);
export const havingLt = (agg: AggregateExpr, value: number) => having(agg, "lt", value);
export const havingLte = (agg: AggregateExpr, value: number) => having(agg, "lte", value);
export const havingEq = (agg: AggregateExpr, value: number) => having(agg, "eq", value);

function aggItem(env: QueryEnv, state: State, a0: AggregateExpr | FieldRefValue): SelectItem {
  const a: AggregateExpr = isFieldRefValue(a0) ? aggExpr("field", a0.alias, [...a0.path]) : a0;
  const info = aliasOf(state, a.alias, ["node", "edge"]);
  let path = a.field ?? [];
  if (path[0] === "props" && path.length > 1) path = path.slice(1);
  const fn = a.__agg === "field" ? undefined : a.__agg;
  if (path.length === 0) return { alias: a.alias, col: "id", ...(fn ? { agg: fn } : {}) };
  if (path.length === 1 && (path[0] === "id" || path[0] === "kind")) return { alias: a.alias, col: path[0], ...(fn ? { agg: fn } : {}) };
  const ref = path.length === 1 ? fieldRefFor(env, info, a.alias, path[0]!) : { path, valueType: "unknown" };
  return { alias: a.alias, col: "prop", path, valueType: ref.valueType, ...(fn ? { agg: fn } : {}) };
}

function isAggregateOutput(a: AggregateExpr | FieldRefValue): boolean {
  return !isFieldRefValue(a) && a.__agg !== "field";
}

export class ExecutableAggregateQuery<R = Record<string, unknown>> {
  readonly #env: QueryEnv;
  readonly #state: State;
  readonly #fields: Record<string, AggregateExpr | FieldRefValue>;
  readonly #order: { key: string; desc: boolean }[];
  readonly #limit: number | undefined;
  readonly #offset: number | undefined;

  /** @internal */
  constructor(env: QueryEnv, state: State, fields: Record<string, AggregateExpr | FieldRefValue>, order: { key: string; desc: boolean }[], limit: number | undefined, offset: number | undefined) {
    this.#env = env;
    this.#state = state;
    this.#fields = fields;
    this.#order = order;
    this.#limit = limit ?? state.limit;
    this.#offset = offset ?? state.offset;
    for (const a of Object.values(fields)) aggItem(env, state, a);
  }

  orderBy(key: keyof R & string, direction: SortDirection = "asc"): ExecutableAggregateQuery<R> {
    if (!(key in this.#fields)) throw new ValidationError(`Unknown aggregate output "${key}"`, { issues: [{ path: "orderBy", message: "not an output of aggregate()" }] });
    return new ExecutableAggregateQuery<R>(this.#env, this.#state, this.#fields, [...this.#order, { key, desc: direction === "desc" }], this.#limit, this.#offset);
  }
  limit(n: number): ExecutableAggregateQuery<R> {
    return new ExecutableAggregateQuery<R>(this.#env, this.#state, this.#fields, this.#order, nonNegInt(n, "limit"), this.#offset);
  }
  offset(n: number): ExecutableAggregateQuery<R> {
    return new ExecutableAggregateQuery<R>(this.#env, this.#state, this.#fields, this.#order, this.#limit, nonNegInt(n, "offset"));
  }

  #compile(): { shape: string; values: unknown[]; keys: string[]; params: string[] } {
    const keys = Object.keys(this.#fields);
    const items = keys.map((k) => aggItem(this.#env, this.#state, this.#fields[k]!));
    const having = this.#state.having.map((h) => {
      const it = aggItem(this.#env, this.#state, h.agg);
      let idx = items.findIndex((x) => JSON.stringify(x) === JSON.stringify(it));
      if (idx < 0) {
        items.push(it);
        idx = items.length - 1;
      }
      return { output: idx, op: h.op, value: h.value };
    });
    const slots = new Slots();
    const ast = queryAst(this.#env, { ...this.#state, orderBy: [] }, slots, items);
    if (having.length > 0) ast.having = having.map((h) => ({ output: h.output, op: h.op, value: slots.add(h.value), valueType: typeof h.value }));
    const order = [
      ...this.#order.map((o) => ({ output: keys.indexOf(o.key), desc: o.desc })),
      ...this.#state.orderBy.map((o) => ({ alias: o.alias, field: o.field, desc: o.desc })),
    ];
    if (order.length > 0) ast.orderBy = order;
    if (this.#limit !== undefined) ast.limit = slots.add(this.#limit);
    if (this.#offset !== undefined) ast.offset = slots.add(this.#offset);
    return { shape: JSON.stringify(ast), values: slots.values.map((v) => (v === undefined ? null : v)), keys, params: [...slots.params.keys()] };
  }

  async execute(): Promise<readonly R[]> {
    return this.#executeIn(this.#env);
  }

  /** Runs on another backend or inside a transaction (`executeOn(tx)` where tx came from this store). */
  async executeOn(given: GraphBackend | { backend: GraphBackend; handle: number; tx?: TxToken } | object): Promise<readonly R[]> {
    return this.#executeIn(retarget(this.#env, given));
  }

  async #executeIn(env: QueryEnv): Promise<readonly R[]> {
    const c = this.#compile();
    if (c.params.length > 0) {
      throw new ConfigurationError("Query contains param() references; aggregate queries take literal values", { parameterNames: c.params });
    }
    const rows = (await runQuery(env, c.shape, c.values)) as unknown[][];
    return rows.map((r) => {
      const o: Record<string, unknown> = {};
      // An aggregate over no rows (sum/avg/min/max) is SQL NULL and reads as null; a group key reads like a prop.
      c.keys.forEach((k, i) => (o[k] = r[i] === null && isAggregateOutput(this.#fields[k]!) ? null : fromProp(r[i])));
      return o as R;
    });
  }

  toSQL(): { sql: string; params: readonly unknown[] } {
    const c = this.#compile();
    return compileSync(this.#env, c.shape, c.values);
  }

  /** @internal for subqueries */
  toAst(): { __query: { state: State; select: SelectItem[]; env: QueryEnv } } {
    const keys = Object.keys(this.#fields);
    return { __query: { state: this.#state, select: keys.map((k) => aggItem(this.#env, this.#state, this.#fields[k]!)), env: this.#env } };
  }
}

// ---- subqueries -------------------------------------------------------------------

type SubqueryPredicateAst =
  | { type: "exists"; negated: boolean; state: State; select: SelectItem[] }
  | { type: "inSubquery"; negated: boolean; alias: string; field: FieldRefAst; rawPath?: string[]; state: State; select: SelectItem[] };

type SubqueryAst = { __query: { state: State; select: SelectItem[] } };

function subOf(ast: SubqueryAst): { state: State; select: SelectItem[] } {
  if (!ast || typeof ast !== "object" || !("__query" in ast)) throw new UnsupportedPredicateError("exists()/inSubquery() take a query's toAst()", {});
  return ast.__query;
}

/** A reference to a field of an alias: `fieldRef("p", ["id"])`, `fieldRef("p", ["props", "email"])`. */
export interface FieldRefValue {
  readonly __type: "field_ref";
  readonly alias: string;
  readonly path: readonly string[];
  readonly valueType?: string;
}
export function fieldRef(alias: string, path: readonly string[], options: { valueType?: string; jsonPointer?: string; elementType?: string } = {}): FieldRefValue {
  return Object.freeze({ __type: "field_ref" as const, alias, path: [...path], ...(options.valueType ? { valueType: options.valueType } : {}) });
}

export function exists(ast: SubqueryAst): Predicate {
  const q = subOf(ast);
  return new Predicate({ type: "exists", negated: false, state: q.state, select: q.select } as unknown as PredicateAst);
}
export function notExists(ast: SubqueryAst): Predicate {
  const q = subOf(ast);
  return new Predicate({ type: "exists", negated: true, state: q.state, select: q.select } as unknown as PredicateAst);
}
function inSub(ref: FieldRefValue, ast: SubqueryAst, negated: boolean): Predicate {
  const q = subOf(ast);
  if (q.select.length !== 1) throw new UnsupportedPredicateError("An IN subquery must project exactly 1 column", { columns: q.select.length });
  let path = [...ref.path];
  if (path[0] === "props") path = path.slice(1);
  const field: FieldRefAst =
    path.length === 1 && (path[0] === "id" || path[0] === "kind") ? { system: path[0], path: [], valueType: "string" } : { path, valueType: ref.valueType ?? "string" };
  return new Predicate({ type: "inSubquery", negated, alias: ref.alias, field, rawPath: [...ref.path], state: q.state, select: q.select } as unknown as PredicateAst);
}
export const inSubquery = (ref: FieldRefValue, ast: SubqueryAst): Predicate => inSub(ref, ast, false);
export const notInSubquery = (ref: FieldRefValue, ast: SubqueryAst): Predicate => inSub(ref, ast, true);

/** @internal */
export function createQueryBuilder<G extends GraphDef>(env: QueryEnv): QueryBuilder<G> {
  return new QueryBuilder<G>(env);
}

export { unwrap as _unwrap };
