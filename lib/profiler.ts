// The `./profiler` entry: `QueryProfiler` watches the queries a store runs and says which
// props they filter and sort on without an index to serve them.
//
// Nothing here reaches the engine. A profiled store is the store behind a Proxy whose query
// builders hand out wrapped queries; each run (execute / first / count / exists / paginate /
// stream / executeOn, a prepared query's execute, aggregates, set operations) first records the
// property paths of the query's builder state — read once per query object and kept in a
// WeakMap — and then runs the unwrapped query itself, so results and the engine's fast paths are
// those of the plain store. Recording is once per run, never per row.

import type { GraphDef } from "./core.js";
import type { FieldRefAst, PredicateAst } from "./predicates.js";
import type { Store } from "./store.js";
import type { JsonPointer } from "./indexes.js";
import {
  ExecutableAggregateQuery,
  ExecutableQuery,
  PreparedQuery,
  QueryBuilder,
  RecursiveTraversalBuilder,
  TraversalBuilder,
  UnionableQuery,
  type AggregateExpr,
  type FieldRefValue,
  type SelectItem,
  type State,
} from "./query/builder.js";

export type { ContributionDiagnostic, ContributionDiagnosticState, ContributionRepairEntry, ContributionRepairResult } from "./interchange.js";

// ---- public types ---------------------------------------------------------------

/** What a recorded path belongs to: a node kind or an edge kind. */
export type ProfileEntityType = "node" | "edge";

/** A prop (by JSON pointer into its props) or a system column (`id`, `kind`, `fromId`, `toId`). */
export type PropertyTarget = Readonly<{ __type: "prop"; pointer: JsonPointer }> | Readonly<{ __type: "system"; field: string }>;

/** One property of one kind, as the profiler keys its statistics. */
export type PropertyPath = Readonly<{
  entityType: ProfileEntityType;
  kind: string;
  target: PropertyTarget;
}>;

/** Where in a query a property was used. */
export type UsageContext = "filter" | "sort" | "select" | "groupBy";

/** What the profiler saw of one property path. */
export type PropertyAccessStats = Readonly<{
  count: number;
  contexts: ReadonlySet<UsageContext>;
  /** Operators applied to it in filters (`eq`, `startsWith`, `in_subquery`, `count_gt`, …). */
  predicateTypes: ReadonlySet<string>;
  firstSeen: Date;
  lastSeen: Date;
}>;

/** An index that already exists (or is declared), so its leading field is not recommended again. */
export type DeclaredIndex = Readonly<{
  entityType: ProfileEntityType;
  kind: string;
  /** JSON pointers into props in key order (a bare field name is read as `/<name>`). */
  fields: readonly JsonPointer[];
  unique: boolean;
  name: string;
}>;

export type RecommendationPriority = "high" | "medium" | "low";

export type IndexRecommendation = Readonly<{
  entityType: ProfileEntityType;
  kind: string;
  fields: readonly JsonPointer[];
  reason: string;
  frequency: number;
  priority: RecommendationPriority;
}>;

export type ProfileSummary = Readonly<{
  totalQueries: number;
  uniquePatterns: number;
  startedAt: Date;
  durationMs: number;
}>;

export type ProfileReport = Readonly<{
  /** Statistics by path key `"<entityType>:<kind>:<pointer>"` (system columns as `$<name>`). */
  patterns: ReadonlyMap<string, PropertyAccessStats>;
  /** Highest priority first, then most frequent. */
  recommendations: readonly IndexRecommendation[];
  summary: ProfileSummary;
  /** Props used in filters whose kind has no declared index leading with them. */
  unindexedFilters: readonly PropertyPath[];
}>;

export type ProfilerOptions = Readonly<{
  declaredIndexes?: readonly DeclaredIndex[];
  /** Fewer filter/sort uses than this give no recommendation (default 3). */
  minFrequencyForRecommendation?: number;
  /** Uses from which a recommendation is `medium` (default 5). */
  mediumFrequencyThreshold?: number;
  /** Uses from which a recommendation is `high` (default 10). */
  highFrequencyThreshold?: number;
}>;

/** A store whose queries the profiler records; otherwise the store itself. */
export type ProfiledStore<G extends GraphDef> = Store<G> & { readonly profiler: QueryProfiler };

/** What `recordQuery` takes: a fluent or aggregate query's `toAst()`. */
export type ProfilableQueryAst = Readonly<{ __query: Readonly<{ state: unknown; select: readonly unknown[]; env: unknown }> }>;

// ---- access extraction ------------------------------------------------------------

interface Access {
  key: string;
  path: PropertyPath;
  context: UsageContext;
  predicateType?: string;
}

type Scope = ReadonlyArray<{ state: State; graph: GraphDef }>;

function escapeSegment(s: string): string {
  return s.replace(/~/g, "~0").replace(/\//g, "~1");
}

function pointerOf(path: readonly string[]): JsonPointer {
  return path.map((s) => `/${escapeSegment(String(s))}`).join("");
}

function keyOf(path: PropertyPath): string {
  const t = path.target.__type === "prop" ? path.target.pointer : `$${path.target.field}`;
  return `${path.entityType}:${path.kind}:${t}`;
}

function shapeKeys(graph: GraphDef, entity: ProfileEntityType, kind: string): Record<string, unknown> {
  const reg = entity === "edge" ? graph.edges[kind] : graph.nodes[kind];
  return ((reg?.type.schema as { shape?: Record<string, unknown> } | undefined)?.shape ?? {}) as Record<string, unknown>;
}

/**
 * The paths one field reference of `alias` stands for. An alias covering several kinds (a
 * subclass closure, an expanded edge kind set) counts against each kind declaring the field,
 * or its first kind when none does.
 */
function pathsOf(scope: Scope, alias: string, ref: { system?: string; path: readonly string[] }): PropertyPath[] {
  for (let i = scope.length - 1; i >= 0; i--) {
    const { state, graph } = scope[i]!;
    const info = Object.prototype.hasOwnProperty.call(state.aliases, alias) ? state.aliases[alias] : undefined;
    if (!info) continue;
    if (info.entity !== "node" && info.entity !== "edge") return [];
    const entityType: ProfileEntityType = info.entity;
    if (info.kinds.length === 0) return [];
    if (ref.system !== undefined) {
      if (ref.system === "depth" || ref.system === "path") return [];
      return [{ entityType, kind: info.kinds[0]!, target: { __type: "system", field: ref.system } }];
    }
    if (ref.path.length === 0) return [];
    const target: PropertyTarget = { __type: "prop", pointer: pointerOf(ref.path) };
    const first = ref.path[0]!;
    const declaring = info.kinds.filter((k) => Object.prototype.hasOwnProperty.call(shapeKeys(graph, entityType, k), first));
    return (declaring.length > 0 ? declaring : [info.kinds[0]!]).map((kind) => ({ entityType, kind, target }));
  }
  return [];
}

function push(out: Access[], paths: PropertyPath[], context: UsageContext, predicateType?: string): void {
  for (const path of paths) out.push({ key: keyOf(path), path, context, ...(predicateType !== undefined ? { predicateType } : {}) });
}

type SubPred = { type: "exists"; state: State; select?: SelectItem[] } | { type: "inSubquery"; alias: string; field: FieldRefAst; state: State; select?: SelectItem[] };

function fromPredicate(out: Access[], scope: Scope, graph: GraphDef, alias: string, pred: PredicateAst | SubPred): void {
  switch (pred.type) {
    case "and":
    case "or":
      for (const p of pred.preds) fromPredicate(out, scope, graph, alias, p);
      return;
    case "not":
      fromPredicate(out, scope, graph, alias, pred.pred);
      return;
    case "cmp":
      push(out, pathsOf(scope, alias, pred.field), "filter", pred.op);
      return;
    case "similar":
      push(out, pathsOf(scope, alias, pred.field), "filter", "vector_similarity");
      return;
    case "fulltext":
      // A node's fulltext document: no single prop to index.
      return;
    case "exists":
      fromState(out, [...scope, { state: pred.state, graph }], graph, pred.select);
      return;
    case "inSubquery":
      push(out, pathsOf(scope, pred.alias, pred.field), "filter", "in_subquery");
      fromState(out, [...scope, { state: pred.state, graph }], graph, pred.select);
      return;
  }
}

function fromAgg(out: Access[], scope: Scope, a: AggregateExpr, context: UsageContext, predicateType?: string): void {
  let path = a.field ?? [];
  if (path[0] === "props" && path.length > 1) path = path.slice(1);
  if (path.length === 0) return;
  const ref = path.length === 1 && (path[0] === "id" || path[0] === "kind") ? { system: path[0], path: [] } : { path };
  push(out, pathsOf(scope, a.alias, ref), context, predicateType);
}

const SYSTEM_COLUMNS = new Set(["id", "kind", "fromId", "toId"]);

/** Filters, sorts, group keys and having of one state (its subqueries included); selects when given. */
function fromState(out: Access[], scope: Scope, graph: GraphDef, select: readonly SelectItem[] | undefined): void {
  const state = scope[scope.length - 1]!.state;
  for (const w of state.where) fromPredicate(out, scope, graph, w.alias, w.pred as PredicateAst | SubPred);
  for (const o of state.orderBy) push(out, pathsOf(scope, o.alias, o.field), "sort");
  if (select) {
    for (const item of select) {
      // Smart selection fetches the props a select callback reads; a whole alias is its system
      // columns plus the props document (no single prop).
      if (item.col === "prop" && item.path) push(out, pathsOf(scope, item.alias, { path: item.path }), "select");
      else if (SYSTEM_COLUMNS.has(item.col)) push(out, pathsOf(scope, item.alias, { system: item.col, path: [] }), "select");
    }
  }
  for (const g of state.groupBy) push(out, pathsOf(scope, g.alias, g.field), "groupBy");
  for (const h of state.having) fromAgg(out, scope, h.agg, "filter", `${h.agg.__agg}_${h.op}`);
}

function accessesOf(state: State, select: readonly SelectItem[] | undefined, graph: GraphDef): Access[] {
  const out: Access[] = [];
  fromState(out, [{ state, graph }], graph, select);
  return out;
}

function isProfilable(ast: unknown): ast is { __query: { state: State; select: SelectItem[]; env: { graph: GraphDef } } } {
  const q = (ast as { __query?: { state?: { aliases?: unknown; where?: unknown }; env?: { graph?: unknown } } } | null)?.__query;
  return typeof q === "object" && q !== null && typeof q.state === "object" && q.state !== null && typeof q.state.aliases === "object" && Array.isArray(q.state.where) && typeof q.env?.graph === "object";
}

// ---- statistics ------------------------------------------------------------------

interface Stats {
  path: PropertyPath;
  count: number;
  contexts: Set<UsageContext>;
  predicateTypes: Set<string>;
  firstSeen: number;
  lastSeen: number;
}

const PRIORITY_RANK: Record<RecommendationPriority, number> = { high: 0, medium: 1, low: 2 };

function positiveCount(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`QueryProfiler: ${name} must be a non-negative finite number, got ${String(value)}`);
  }
  return value;
}

function normalizeField(field: string): JsonPointer {
  return field.startsWith("/") ? field : `/${escapeSegment(field)}`;
}

// ---- the profiler -----------------------------------------------------------------

/** Collects property access patterns of a store's queries and recommends indexes for them. */
export class QueryProfiler {
  readonly #declared: readonly DeclaredIndex[];
  readonly #leading: Set<string>;
  readonly #minFrequency: number;
  readonly #medium: number;
  readonly #high: number;
  readonly #patterns = new Map<string, Stats>();
  #queries = 0;
  #startedAt = Date.now();
  /** The attachment whose wrappers record; a new object per attach, undefined when detached. */
  #attachment: object | undefined;

  constructor(options: ProfilerOptions = {}) {
    this.#declared = Object.freeze([...(options.declaredIndexes ?? [])]);
    this.#minFrequency = positiveCount(options.minFrequencyForRecommendation, "minFrequencyForRecommendation", 3);
    this.#medium = positiveCount(options.mediumFrequencyThreshold, "mediumFrequencyThreshold", 5);
    this.#high = positiveCount(options.highFrequencyThreshold, "highFrequencyThreshold", 10);
    // Prefix coverage: an index on (a, b) serves predicates on a alone, so its leading field counts.
    this.#leading = new Set<string>();
    for (const index of this.#declared) {
      const first = index.fields[0];
      if (first === undefined) continue;
      this.#leading.add(keyOf({ entityType: index.entityType, kind: index.kind, target: { __type: "prop", pointer: normalizeField(first) } }));
    }
  }

  /** Whether the profiler is attached to a store (its profiled store records). */
  get isAttached(): boolean {
    return this.#attachment !== undefined;
  }

  /**
   * Records one query from its `toAst()` (a fluent query's or an aggregate's) without running
   * it. Attached profilers call this for every run of the profiled store's queries.
   */
  recordQuery(ast: ProfilableQueryAst): void {
    if (!isProfilable(ast)) throw new TypeError("QueryProfiler.recordQuery() takes a query's toAst()");
    const q = ast.__query;
    this.#record(accessesOf(q.state, q.select, q.env.graph));
  }

  #record(accesses: readonly Access[]): void {
    this.#queries++;
    if (accesses.length === 0) return;
    const now = Date.now();
    for (const a of accesses) {
      let s = this.#patterns.get(a.key);
      if (s === undefined) {
        s = { path: a.path, count: 0, contexts: new Set(), predicateTypes: new Set(), firstSeen: now, lastSeen: now };
        this.#patterns.set(a.key, s);
      }
      s.count++;
      s.contexts.add(a.context);
      if (a.predicateType !== undefined) s.predicateTypes.add(a.predicateType);
      s.lastSeen = now;
    }
  }

  /**
   * Wraps `store` so that every query run through it is recorded. The wrapper is the store in
   * every other respect and exposes this profiler as `profiledStore.profiler`. A profiler
   * attaches to one store at a time.
   */
  attachToStore<G extends GraphDef>(store: Store<G>): ProfiledStore<G> {
    if (this.#attachment !== undefined) {
      throw new Error("QueryProfiler is already attached to a store; call detach() before attaching it again (or use another profiler)");
    }
    if (store === null || typeof store !== "object" || typeof (store as { query?: unknown }).query !== "function") {
      throw new TypeError("QueryProfiler.attachToStore() takes a store");
    }
    const attachment = {};
    this.#attachment = attachment;
    const sink: Sink = (accesses) => {
      if (this.#attachment === attachment) this.#record(accesses);
    };
    return profiledStore(store, this, sink);
  }

  /** Stops recording from the profiled store; the profiler may then attach again. */
  detach(): void {
    this.#attachment = undefined;
  }

  /** Forgets what was recorded (counts, patterns, start time); options and attachment stay. */
  reset(): void {
    this.#patterns.clear();
    this.#queries = 0;
    this.#startedAt = Date.now();
  }

  getReport(): ProfileReport {
    const patterns = new Map<string, PropertyAccessStats>();
    const recommendations: IndexRecommendation[] = [];
    const unindexedFilters: PropertyPath[] = [];
    for (const [key, s] of this.#patterns) {
      patterns.set(key, {
        count: s.count,
        contexts: new Set(s.contexts),
        predicateTypes: new Set(s.predicateTypes),
        firstSeen: new Date(s.firstSeen),
        lastSeen: new Date(s.lastSeen),
      });
      // System columns are TypeGraph's own (indexed by its system indexes), never recommended.
      if (s.path.target.__type !== "prop" || this.#leading.has(key)) continue;
      if (s.contexts.has("filter")) unindexedFilters.push(s.path);
      if ((s.contexts.has("filter") || s.contexts.has("sort")) && s.count >= this.#minFrequency) {
        const predicates = [...s.predicateTypes];
        recommendations.push({
          entityType: s.path.entityType,
          kind: s.path.kind,
          fields: [s.path.target.pointer],
          reason: `Used in ${[...s.contexts].join(", ")}${predicates.length > 0 ? ` with ${predicates.join(", ")}` : ""} (${s.count} ${s.count === 1 ? "time" : "times"})`,
          frequency: s.count,
          priority: s.count >= this.#high ? "high" : s.count >= this.#medium ? "medium" : "low",
        });
      }
    }
    recommendations.sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || b.frequency - a.frequency);
    return {
      patterns,
      recommendations,
      summary: { totalQueries: this.#queries, uniquePatterns: this.#patterns.size, startedAt: new Date(this.#startedAt), durationMs: Date.now() - this.#startedAt },
      unindexedFilters,
    };
  }

  /**
   * Throws when any prop used in a filter has no declared index leading with it; the message
   * lists them as `<entityType>:<kind>:<pointer>`.
   */
  assertIndexCoverage(): void {
    const missing = this.getReport().unindexedFilters;
    if (missing.length > 0) {
      throw new Error(`Unindexed filter properties: ${missing.map(keyOf).join(", ")}`);
    }
  }
}

// ---- wrappers ---------------------------------------------------------------------

type Sink = (accesses: readonly Access[]) => void;

/** Wrapped object → the object it wraps (so wrapped queries handed back to the library unwrap). */
const targets = new WeakMap<object, object>();
/** Accesses of one query object (its builder state is immutable; its select traced once). */
const accessCache = new WeakMap<object, Access[]>();

function unwrapArg(v: unknown): unknown {
  return v !== null && typeof v === "object" ? (targets.get(v) ?? v) : v;
}

function graphOfEnv(env: unknown): GraphDef {
  return (env as { graph: GraphDef }).graph;
}

function accessesOfQuery(q: ExecutableQuery<unknown>): Access[] {
  let a = accessCache.get(q);
  if (a === undefined) {
    let select: readonly SelectItem[] | undefined;
    try {
      select = q.projection().items;
    } catch {
      select = undefined;
    }
    a = accessesOf(q.state, select, graphOfEnv(q.env));
    accessCache.set(q, a);
  }
  return a;
}

function accessesOfAggregate(q: ExecutableAggregateQuery<unknown>): Access[] {
  let a = accessCache.get(q);
  if (a === undefined) {
    const ast = q.toAst().__query;
    a = accessesOf(ast.state, ast.select, graphOfEnv(ast.env));
    accessCache.set(q, a);
  }
  return a;
}

function accessesOfBuilder(b: QueryBuilder): Access[] {
  let a = accessCache.get(b);
  if (a === undefined) {
    a = accessesOf(b.toState(), undefined, b.env.graph);
    accessCache.set(b, a);
  }
  return a;
}

/** `args` with wrapped objects replaced by what they wrap (the same array when none is wrapped). */
function unwrapArgs(args: unknown[]): unknown[] {
  for (let i = 0; i < args.length; i++) {
    const v = args[i];
    if (v !== null && typeof v === "object" && targets.has(v)) return args.map(unwrapArg);
  }
  return args;
}

/**
 * A Proxy whose methods run on the target (its private fields), with wrapped arguments
 * unwrapped and builder / query results wrapped; `onCall` runs before each method call.
 * `handed` registers the proxy so that it unwraps when handed back to the library.
 */
function wrap<T extends object>(target: T, sink: Sink, onCall: ((name: string | symbol) => void) | undefined, extra?: (name: string | symbol, result: unknown, args: unknown[]) => unknown, handed = true): T {
  const proxy = new Proxy(target, {
    get(t, name) {
      const value: unknown = Reflect.get(t, name, t);
      if (typeof value !== "function") return value;
      const fn = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]): unknown => {
        if (onCall !== undefined) {
          // Profiling never changes what a query does: a path it cannot read is left unrecorded,
          // and the query's own errors come from the query's run.
          try {
            onCall(name);
          } catch {
            // nothing recorded for this run
          }
        }
        const result = fn.apply(t, unwrapArgs(args));
        if (extra !== undefined) {
          const out = extra(name, result, args);
          if (out !== undefined) return out;
        }
        return wrapResult(result, sink);
      };
    },
  });
  if (handed) targets.set(proxy, target);
  return proxy;
}

function wrapResult(result: unknown, sink: Sink): unknown {
  if (result === null || typeof result !== "object") return result;
  if (result instanceof ExecutableQuery) return wrapQuery(result, sink);
  if (result instanceof ExecutableAggregateQuery) return wrapAggregate(result, sink);
  if (result instanceof QueryBuilder || result instanceof TraversalBuilder || result instanceof RecursiveTraversalBuilder) return wrapBuilder(result, sink);
  return result;
}

const RUNS = new Set<string | symbol>(["execute", "first", "count", "exists", "paginate", "stream", "executeOn"]);

function wrapBuilder<T extends object>(builder: T, sink: Sink): T {
  const counts = builder instanceof QueryBuilder;
  return wrap(
    builder,
    sink,
    counts
      ? (name) => {
          if (name === "count" || name === "exists") sink(accessesOfBuilder(builder as unknown as QueryBuilder));
        }
      : undefined,
    undefined,
    false,
  );
}

function wrapQuery<R>(q: ExecutableQuery<R>, sink: Sink): ExecutableQuery<R> {
  return wrap(
    q,
    sink,
    (name) => {
      if (RUNS.has(name)) sink(accessesOfQuery(q as ExecutableQuery<unknown>));
    },
    (name, result, args) => {
      if (result instanceof PreparedQuery) return wrapPrepared(result, q as ExecutableQuery<unknown>, sink);
      if (result instanceof UnionableQuery) {
        const members = [q as ExecutableQuery<unknown>, ...args.map(unwrapArg).filter((a): a is ExecutableQuery<unknown> => a instanceof ExecutableQuery)];
        return wrapUnion(result, members, sink);
      }
      return undefined;
    },
  );
}

function wrapPrepared<R>(p: PreparedQuery<R>, q: ExecutableQuery<unknown>, sink: Sink): PreparedQuery<R> {
  return wrap(p, sink, (name) => {
    if (name === "execute") sink(accessesOfQuery(q));
  });
}

function wrapAggregate<R>(q: ExecutableAggregateQuery<R>, sink: Sink): ExecutableAggregateQuery<R> {
  return wrap(q, sink, (name) => {
    if (name === "execute" || name === "executeOn") sink(accessesOfAggregate(q as ExecutableAggregateQuery<unknown>));
  });
}

/** A set operation: one run records each member query. */
function wrapUnion<R>(u: UnionableQuery<R>, members: readonly ExecutableQuery<unknown>[], sink: Sink): UnionableQuery<R> {
  return wrap(
    u,
    sink,
    (name) => {
      if (name === "execute" || name === "executeOn") sink(members.flatMap(accessesOfQuery));
    },
    (_name, result, args) => {
      if (result instanceof UnionableQuery) {
        const more = args.map(unwrapArg).filter((a): a is ExecutableQuery<unknown> => a instanceof ExecutableQuery);
        return wrapUnion(result, [...members, ...more], sink);
      }
      return undefined;
    },
  );
}

/** A transaction context or store view whose `query()` hands out recording builders; everything else is its own. */
function wrapContext(tx: object, sink: Sink): object {
  if (tx === null || typeof tx !== "object" || typeof (tx as { query?: unknown }).query !== "function") return tx;
  const proxy = new Proxy(tx, {
    get(t, name) {
      const value: unknown = Reflect.get(t, name, t);
      if (name === "query" && typeof value === "function") return () => wrapBuilder((value as () => object).call(t), sink);
      return typeof value === "function" ? (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(t, args) : value;
    },
  });
  targets.set(proxy, tx);
  return proxy;
}

const VIEWS = new Set<string | symbol>(["asOf", "view", "snapshot", "asOfRecorded"]);

function profiledStore<G extends GraphDef>(store: Store<G>, profiler: QueryProfiler, sink: Sink): ProfiledStore<G> {
  const proxy = new Proxy(store, {
    get(t, name) {
      if (name === "profiler") return profiler;
      const value: unknown = Reflect.get(t, name, t);
      if (typeof value !== "function") return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (name === "query") return () => wrapBuilder(fn.call(t) as QueryBuilder<G>, sink);
      // A view's `query()` (store.asOf / view / snapshot / asOfRecorded) records too.
      if (VIEWS.has(name)) return (...args: unknown[]) => wrapContext(fn.apply(t, args) as object, sink);
      // A transaction's `tx.query()` records too.
      if (name === "transaction" || name === "transactionWithReceipt") {
        return (body: unknown, ...rest: unknown[]) =>
          fn.call(t, typeof body === "function" ? (tx: object, ...more: unknown[]) => (body as (...a: unknown[]) => unknown)(wrapContext(tx, sink), ...more) : body, ...rest);
      }
      // Other members run on the store itself (its private state); wrapped queries passed in
      // (store.batch) keep recording through their own executeOn.
      return (...args: unknown[]) => fn.apply(t, args);
    },
    has(t, name) {
      return name === "profiler" || Reflect.has(t, name);
    },
  });
  targets.set(proxy, store);
  return proxy as ProfiledStore<G>;
}
