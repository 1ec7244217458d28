// Store views: `store.asOf(T)`, `store.view({ mode, asOf })` and `store.snapshot()`.
//
// A view fixes one temporal coordinate (a mode, plus an instant for "asOf") and answers the
// store's reads at it. It owns no engine state: every read is the live store's own call with the
// view's coordinate put in place of the caller's temporal options, so each read still costs one
// engine call. A view never writes: write methods of its collections throw a ConfigurationError
// at the call, as do reads that only know the present (constraint and index lookups, search) when
// the view is pinned anywhere but "current".

import type { IdentityReadFacade } from "./identity.js";
import type { EdgeRegistration, EdgeType, GraphDef, NodeType, TemporalMode } from "./core.js";
import { ConfigurationError, ValidationError } from "./errors.js";
import { QueryBuilder } from "./query/builder.js";
import { RecordedStoreView, type RecordedInstant } from "./recorded.js";
import type {
  BaseTraversalOptions,
  DegreeOptions,
  GraphAlgorithms,
  LabelPropagationMembership,
  LabelPropagationOptions,
  NeighborsOptions,
  NodeIdentifier,
  PageRankOptions,
  PageRankScore,
  PersonalizedPageRankOptions,
  ReachableNode,
  ReachableOptions,
  ShortestPathOptions,
  ShortestPathResult,
  TemporalAlgorithmOptions,
  WeaklyConnectedComponentMembership,
  WeaklyConnectedComponentsOptions,
  WeightedShortestPathOptions,
  WeightedShortestPathResult,
} from "./algorithms.js";
import type { BulkFindEdgesFromParams, BulkFindEdgesFromResult, EdgeBulkFindEndpointOptions, EdgeBulkFindOptions } from "./edge-sets.js";
import type { Edge, EdgeCollection, Node, NodeCollection, NodeRef, Store } from "./store.js";
import type { StoreSearch } from "./search.js";
import type { SubgraphOptions, SubgraphProject, SubgraphResult } from "./subgraph.js";
import type { EdgeKinds, NodeKinds } from "./type-helpers.js";
import type { EdgeFindByEndpointsOptions } from "./collection-types.js";
import type { FieldAccessor, Predicate } from "./predicates.js";
import type { z } from "zod";

// ---- the coordinate --------------------------------------------------------------------------

/**
 * What a view is pinned to: `{ mode: "asOf", asOf }` (the instant is required) or one of the other
 * modes without an instant.
 */
export type StoreViewCoordinate =
  | Readonly<{ mode: "asOf"; asOf: string }>
  | Readonly<{ mode: Exclude<TemporalMode, "asOf">; asOf?: never }>;

/** @internal The coordinate as a view keeps it (checked, `asOf` present only for "asOf"). */
export type PinnedCoordinate = Readonly<{ mode: TemporalMode; asOf?: string }>;

const MODES: readonly TemporalMode[] = ["current", "asOf", "includeEnded", "includeTombstones"];
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** `YYYY-MM-DDTHH:mm:ss.sssZ` naming a real instant (stored validity bounds compare as this text). */
function canonicalInstant(value: unknown): value is string {
  if (typeof value !== "string" || !INSTANT.test(value)) return false;
  const time = new Date(value);
  return !Number.isNaN(time.getTime()) && time.toISOString() === value;
}

/** @internal Checks a coordinate handed to `store.view` / `store.asOf` (ValidationError when wrong). */
export function pinCoordinate(coordinate: unknown): PinnedCoordinate {
  if (coordinate === null || typeof coordinate !== "object") {
    throw new ValidationError("A store view needs a coordinate object { mode, asOf? }.", {
      issues: [{ path: "", message: `expected an object, got ${coordinate === null ? "null" : typeof coordinate}` }],
    });
  }
  const { mode, asOf } = coordinate as { mode?: unknown; asOf?: unknown };
  if (typeof mode !== "string" || !MODES.includes(mode as TemporalMode)) {
    throw new ValidationError(`A store view's mode must be one of ${MODES.map((m) => `"${m}"`).join(", ")}; got ${JSON.stringify(mode) ?? "undefined"}.`, {
      issues: [{ path: "mode", message: "unknown temporal mode" }],
    });
  }
  if (mode !== "asOf") {
    if (asOf !== undefined) {
      throw new ValidationError(
        `A store view in mode "${mode}" is not pinned to an instant; asOf belongs to mode "asOf" only.`,
        { issues: [{ path: "asOf", message: `not accepted with mode "${mode}"` }] },
        { suggestion: 'Drop asOf, or pin the instant with store.asOf(instant) / store.view({ mode: "asOf", asOf: instant }).' },
      );
    }
    return Object.freeze({ mode: mode as TemporalMode });
  }
  if (asOf === undefined) {
    throw new ValidationError(
      'A store view in mode "asOf" needs the instant it reads at.',
      { issues: [{ path: "asOf", message: "required with mode \"asOf\"" }] },
      { suggestion: 'Pass it: store.asOf("2024-06-30T00:00:00.000Z") or store.view({ mode: "asOf", asOf: "2024-06-30T00:00:00.000Z" }).' },
    );
  }
  if (!canonicalInstant(asOf)) {
    throw new ValidationError(
      `A store view's asOf must be a fixed-width UTC instant (YYYY-MM-DDTHH:mm:ss.sssZ); got ${JSON.stringify(asOf)}.`,
      { issues: [{ path: "asOf", message: "not a canonical UTC ISO 8601 instant" }] },
      { suggestion: "Pass new Date(value).toISOString()." },
    );
  }
  return Object.freeze({ mode: "asOf", asOf });
}

function describe(coordinate: PinnedCoordinate): string {
  return coordinate.asOf === undefined ? `mode "${coordinate.mode}"` : `asOf ${coordinate.asOf}`;
}

function context(coordinate: PinnedCoordinate): Record<string, unknown> {
  return { temporalMode: coordinate.mode, ...(coordinate.asOf === undefined ? {} : { asOf: coordinate.asOf }) };
}

// ---- typed surfaces --------------------------------------------------------------------------

type Without<T, K extends PropertyKey> = Omit<T, K>;
type TemporalKeys = keyof TemporalAlgorithmOptions;

export type StoreViewReachableOptions<G extends GraphDef> = Without<ReachableOptions<G>, TemporalKeys>;
export type StoreViewShortestPathOptions<G extends GraphDef> = Without<ShortestPathOptions<G>, TemporalKeys>;
export type StoreViewWeightedShortestPathOptions<G extends GraphDef> = Without<WeightedShortestPathOptions<G>, TemporalKeys>;
export type StoreViewCanReachOptions<G extends GraphDef> = Without<BaseTraversalOptions<G>, TemporalKeys>;
export type StoreViewNeighborsOptions<G extends GraphDef> = Without<NeighborsOptions<G>, TemporalKeys>;
export type StoreViewDegreeOptions<G extends GraphDef> = Without<DegreeOptions<G>, TemporalKeys>;
export type StoreViewWeaklyConnectedComponentsOptions<G extends GraphDef> = Without<WeaklyConnectedComponentsOptions<G>, TemporalKeys>;
export type StoreViewLabelPropagationOptions<G extends GraphDef> = Without<LabelPropagationOptions<G>, TemporalKeys>;
export type StoreViewPageRankOptions<G extends GraphDef> = Without<PageRankOptions<G>, TemporalKeys>;
export type StoreViewPersonalizedPageRankOptions<G extends GraphDef> = Without<PersonalizedPageRankOptions<G>, TemporalKeys>;
export type StoreViewSubgraphOptions<
  G extends GraphDef,
  EK extends EdgeKinds<G>,
  NK extends NodeKinds<G>,
  P extends SubgraphProject<G, NK, EK> | undefined = undefined,
> = Without<SubgraphOptions<G, EK, NK, P>, TemporalKeys>;

/** `store.algorithms` at a view's coordinate: the same calls without temporal options. */
export type StoreViewGraphAlgorithms<G extends GraphDef> = Readonly<{
  shortestPath(from: NodeIdentifier, to: NodeIdentifier, options: StoreViewShortestPathOptions<G>): Promise<ShortestPathResult | undefined>;
  weightedShortestPath(from: NodeIdentifier, to: NodeIdentifier, options: StoreViewWeightedShortestPathOptions<G>): Promise<WeightedShortestPathResult | undefined>;
  reachable(from: NodeIdentifier, options: StoreViewReachableOptions<G>): Promise<readonly ReachableNode[]>;
  canReach(from: NodeIdentifier, to: NodeIdentifier, options: StoreViewCanReachOptions<G>): Promise<boolean>;
  neighbors(node: NodeIdentifier, options: StoreViewNeighborsOptions<G>): Promise<readonly ReachableNode[]>;
  degree(node: NodeIdentifier, options?: StoreViewDegreeOptions<G>): Promise<number>;
  labelPropagation(options: StoreViewLabelPropagationOptions<G>): Promise<readonly LabelPropagationMembership[]>;
  weaklyConnectedComponents(options: StoreViewWeaklyConnectedComponentsOptions<G>): Promise<readonly WeaklyConnectedComponentMembership[]>;
  pageRank(options: StoreViewPageRankOptions<G>): Promise<readonly PageRankScore[]>;
  personalizedPageRank(options: StoreViewPersonalizedPageRankOptions<G>): Promise<readonly PageRankScore[]>;
}>;

/** The node reads that take a temporal coordinate (a view pins it). */
export type NodeTemporalReads<N extends NodeType> = Pick<NodeCollection<N>, "getById" | "getByIds" | "find" | "count">;
/** Node reads of the present only (constraint and index lookups). */
export type NodeCurrentReads<N extends NodeType> = Pick<NodeCollection<N>, "findByConstraint" | "bulkFindByConstraint" | "bulkFindByIndex">;
/** Node writes: refused on every view. */
export type NodeWrites<N extends NodeType> = Pick<
  NodeCollection<N>,
  | "create"
  | "createFromRecord"
  | "update"
  | "updateWhere"
  | "delete"
  | "hardDelete"
  | "upsertById"
  | "upsertByIdFromRecord"
  | "bulkCreate"
  | "bulkUpsertById"
  | "bulkInsert"
  | "bulkDelete"
  | "getOrCreateByConstraint"
  | "bulkGetOrCreateByConstraint"
>;
/** The edge reads that take a temporal coordinate (a view pins it). */
export type EdgeTemporalReads<E extends EdgeType> = Pick<
  EdgeCollection<E>,
  "getById" | "getByIds" | "find" | "count" | "findFrom" | "findTo" | "bulkFindFrom" | "bulkFindTo" | "findByEndpoints"
>;
/** Deferred edge reads for `store.batch()`: a view has no batch, so they are refused there. */
export type EdgeBatchReads<E extends EdgeType> = Pick<EdgeCollection<E>, "batchFindFrom" | "batchFindTo" | "batchFindByEndpoints">;
/** Edge writes: refused on every view. */
export type EdgeWrites<E extends EdgeType> = Pick<
  EdgeCollection<E>,
  "create" | "update" | "delete" | "hardDelete" | "bulkCreate" | "bulkUpsertById" | "bulkInsert" | "bulkDelete" | "getOrCreateByEndpoints" | "bulkGetOrCreateByEndpoints"
>;

type NodeFindFilter<N extends NodeType> = Readonly<{
  where?: (n: Record<keyof z.output<N["schema"]> | "id" | "kind", FieldAccessor>) => Predicate;
  limit?: number;
  offset?: number;
}>;

/** One node kind's reads on a view: pinned temporal reads, plus the present-only lookups. */
export type StoreViewNodeCollection<N extends NodeType = NodeType> = Readonly<{
  readonly kind: N["kind"];
  getById(id: string): Promise<Node<N> | undefined>;
  getByIds(ids: readonly string[]): Promise<(Node<N> | undefined)[]>;
  find(filter?: NodeFindFilter<N>): Promise<Node<N>[]>;
  count(): Promise<number>;
}> &
  NodeCurrentReads<N>;

/** One edge kind's reads on a view, every one of them at the view's coordinate. */
export type StoreViewEdgeCollection<E extends EdgeType = EdgeType> = Readonly<{
  readonly kind: E["kind"];
  getById(id: string): Promise<Edge<E> | undefined>;
  getByIds(ids: readonly string[]): Promise<(Edge<E> | undefined)[]>;
  find(filter?: Readonly<{ from?: NodeRef; to?: NodeRef; limit?: number; offset?: number }>): Promise<Edge<E>[]>;
  count(filter?: Readonly<{ from?: NodeRef; to?: NodeRef }>): Promise<number>;
  findFrom(from: NodeRef): Promise<Edge<E>[]>;
  findTo(to: NodeRef): Promise<Edge<E>[]>;
  bulkFindFrom(froms: readonly NodeRef[], options?: EdgeBulkFindOptions): Promise<readonly Edge<E>[][]>;
  bulkFindTo(tos: readonly NodeRef[], options?: EdgeBulkFindOptions): Promise<readonly Edge<E>[][]>;
  findByEndpoints(from: NodeRef, to: NodeRef, options?: EdgeFindByEndpointsOptions<E>): Promise<Edge<E> | undefined>;
}>;

/** The view collection of an edge registration (`graph.edges.X`). */
export type TypedStoreViewEdgeCollection<R extends EdgeRegistration> = StoreViewEdgeCollection<R["type"]>;
export type StoreViewNodeCollections<G extends GraphDef> = { readonly [K in NodeKinds<G>]-?: StoreViewNodeCollection<G["nodes"][K]["type"]> };
export type StoreViewEdgeCollections<G extends GraphDef> = { readonly [K in EdgeKinds<G>]-?: TypedStoreViewEdgeCollection<G["edges"][K]> };

/** A view's query builder: the coordinate is the view's; `.temporal()` throws. */
export type SealedQueryBuilder<G extends GraphDef> = Omit<ReturnType<Store<G>["query"]>, "temporal">;

// ---- refusals --------------------------------------------------------------------------------

const CURRENT_ONLY_NODE_READS: ReadonlySet<string> = new Set(["findByConstraint", "bulkFindByConstraint", "bulkFindByIndex"]);
const BATCH_EDGE_READS: ReadonlySet<string> = new Set(["batchFindFrom", "batchFindTo", "batchFindByEndpoints"]);
/** Names that JS machinery probes for (awaiting, JSON): never taken for kinds that do not exist. */
const PROBES: ReadonlySet<string> = new Set(["then", "catch", "finally", "toJSON"]);

function writeRefused(entity: "node" | "edge", kind: string, method: string, at: PinnedCoordinate): () => never {
  return () => {
    throw new ConfigurationError(
      `${entity === "node" ? "nodes" : "edges"}.${kind}.${method}() changes the graph, and a StoreView (${describe(at)}) only reads. Call it on the store.`,
      { code: "STORE_VIEW_READ_ONLY", entity, kind, method, ...context(at) },
      { suggestion: `Use store.${entity === "node" ? "nodes" : "edges"}.${kind}.${method}(...) instead of the view.` },
    );
  };
}

function presentOnlyRefused(kind: string, method: string, at: PinnedCoordinate): () => Promise<never> {
  return () =>
    Promise.reject(
      new ConfigurationError(
        `nodes.${kind}.${method}() looks up the graph as it is now; a StoreView pinned to ${describe(at)} cannot answer it at that coordinate.`,
        { code: "STORE_VIEW_CURRENT_ONLY", entity: "node", kind, method, ...context(at) },
        { suggestion: 'Run the lookup on the store, or on store.view({ mode: "current" }).' },
      ),
    );
}

function batchRefused(kind: string, method: string, at: PinnedCoordinate): () => never {
  return () => {
    throw new ConfigurationError(
      `edges.${kind}.${method}() is a deferred read for store.batch(...), which a StoreView (${describe(at)}) does not have.`,
      { code: "STORE_VIEW_BATCH_UNAVAILABLE", entity: "edge", kind, method, ...context(at) },
      { suggestion: `Read edges.${kind}.findFrom / findTo / findByEndpoints on the view, or batch on the store.` },
    );
  };
}

/** Every method a live collection has (its bound own members and its prototype's). */
function methodNames(live: object): string[] {
  const names = new Set<string>();
  for (const name of Object.getOwnPropertyNames(live)) if (typeof (live as Record<string, unknown>)[name] === "function") names.add(name);
  const proto = Object.getPrototypeOf(live) as object | null;
  if (proto !== null && proto !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor") continue;
      const d = Object.getOwnPropertyDescriptor(proto, name);
      if (d !== undefined && typeof d.value === "function") names.add(name);
    }
  }
  return [...names];
}

/**
 * A frozen object holding the pinned reads and, for every other method of the live collection,
 * its refusal (so `"create" in view.nodes.X` holds and the call explains itself).
 */
function sealCollection(
  live: object,
  kind: string,
  reads: Record<string, unknown>,
  refusal: (method: string) => unknown,
): object {
  const out: Record<string, unknown> = { kind };
  for (const name of methodNames(live)) if (!(name in reads)) out[name] = refusal(name);
  Object.assign(out, reads);
  return Object.freeze(out);
}

function viewNodeCollection(live: NodeCollection, kind: string, at: PinnedCoordinate, graphDefault: TemporalMode | undefined): StoreViewNodeCollection {
  const t = { temporalMode: at.mode, ...(at.asOf === undefined ? {} : { asOf: at.asOf }) };
  // A "current" view of a graph read "current" by default is the store's own point read (its
  // SQLite fast path takes no temporal options).
  const plain = at.mode === "current" && (graphDefault === undefined || graphDefault === "current");
  const reads: Record<string, unknown> = {
    getById: plain ? (id: string) => live.getById(id) : (id: string) => live.getById(id, t),
    getByIds: (ids: readonly string[]) => live.getByIds(ids, t),
    find: (filter?: Parameters<NodeCollection["find"]>[0]) => live.find(filter ?? {}, t),
    count: () => live.count(t),
  };
  return sealCollection(live, kind, reads, (method) => {
    if (CURRENT_ONLY_NODE_READS.has(method)) {
      if (at.mode === "current") {
        const fn = (live as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!;
        return (...args: unknown[]) => fn.apply(live, args);
      }
      return presentOnlyRefused(kind, method, at);
    }
    return writeRefused("node", kind, method, at);
  }) as StoreViewNodeCollection;
}

function viewEdgeCollection(live: EdgeCollection, kind: string, at: PinnedCoordinate): StoreViewEdgeCollection {
  const t = { temporalMode: at.mode, ...(at.asOf === undefined ? {} : { asOf: at.asOf }) };
  const reads: Record<string, unknown> = {
    getById: (id: string) => live.getById(id, t),
    getByIds: (ids: readonly string[]) => live.getByIds(ids, t),
    find: (filter?: Parameters<EdgeCollection["find"]>[0]) => live.find(filter ?? {}, t),
    count: (filter?: Parameters<EdgeCollection["count"]>[0]) => live.count(filter ?? {}, t),
    findFrom: (from: NodeRef) => live.findFrom(from, t),
    findTo: (to: NodeRef) => live.findTo(to, t),
    bulkFindFrom: (froms: readonly NodeRef[], options?: EdgeBulkFindOptions) => live.bulkFindFrom(froms, { ...options, ...t }),
    bulkFindTo: (tos: readonly NodeRef[], options?: EdgeBulkFindOptions) => live.bulkFindTo(tos, { ...options, ...t }),
    findByEndpoints: (from: NodeRef, to: NodeRef, options?: Parameters<EdgeCollection["findByEndpoints"]>[2]) => live.findByEndpoints(from, to, options ?? {}, t),
  };
  return sealCollection(live, kind, reads, (method) =>
    BATCH_EDGE_READS.has(method) ? batchRefused(kind, method, at) : writeRefused("edge", kind, method, at),
  ) as StoreViewEdgeCollection;
}

/**
 * The `view.nodes` / `view.edges` namespace: a kind's view collection, built once; an unknown
 * kind throws like the store's (`KindNotFoundError`), except JS probes (`then`, …) and
 * `Object.prototype` members, which answer as on a plain object.
 */
function namespace<W>(declared: Readonly<Record<string, unknown>>, live: () => Record<string, unknown>, wrap: (kind: string, collection: never) => W): Record<string, W> {
  const cache = new Map<string, W>();
  const own = (kind: string) => Object.prototype.hasOwnProperty.call(declared, kind);
  return new Proxy(Object.create(null) as Record<string, W>, {
    get(_target, key) {
      if (typeof key !== "string") return undefined;
      if (!own(key)) {
        if (PROBES.has(key)) return undefined;
        if (key in Object.prototype) return (Object.prototype as Record<string, unknown>)[key];
      }
      let hit = cache.get(key);
      if (hit === undefined) {
        hit = wrap(key, live()[key] as never);
        cache.set(key, hit);
      }
      return hit;
    },
    has: (_target, key) => typeof key === "string" && own(key),
    ownKeys: () => Object.keys(declared),
    getOwnPropertyDescriptor: (_target, key) => (typeof key === "string" && own(key) ? { enumerable: true, configurable: true } : undefined),
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}

const SEARCH_READS: ReadonlySet<string> = new Set(["fulltext", "vector", "hybrid"]);

/** A view's `search`: reads delegate on a "current" view; everything else rejects. */
function viewSearch<G extends GraphDef>(live: StoreSearch<G>, at: PinnedCoordinate): StoreSearch<G> {
  const out: Record<string, unknown> = {};
  for (const method of methodNames(live)) {
    if (at.mode === "current" && SEARCH_READS.has(method)) {
      const fn = (live as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!;
      out[method] = (...args: unknown[]) => fn.apply(live, args);
    } else if (SEARCH_READS.has(method)) {
      out[method] = () =>
        Promise.reject(
          new ConfigurationError(
            `search.${method}() ranks the graph as it is now; a StoreView pinned to ${describe(at)} cannot search at that coordinate.`,
            { code: "STORE_VIEW_SEARCH_UNSUPPORTED", method, ...context(at) },
            { suggestion: 'Search on the store, or on store.view({ mode: "current" }).' },
          ),
        );
    } else {
      out[method] = () =>
        Promise.reject(
          new ConfigurationError(
            `search.${method}() maintains the search index, and a StoreView (${describe(at)}) only reads. Call it on the store.`,
            { code: "STORE_VIEW_READ_ONLY", method, ...context(at) },
            { suggestion: `Use store.search.${method}(...).` },
          ),
        );
    }
  }
  return Object.freeze(out) as unknown as StoreSearch<G>;
}

// ---- the view --------------------------------------------------------------------------------

/**
 * A read-only view of a store at one temporal coordinate (`store.asOf(T)`, `store.view(...)`,
 * `store.snapshot()`). Every read it offers is the store's own, answered at the view's coordinate.
 */
export class StoreView<G extends GraphDef = GraphDef> {
  /** @internal The store the view reads through. */
  protected readonly store: Store<G>;
  /** @internal The pinned coordinate. */
  protected readonly coordinate: PinnedCoordinate;
  #nodes: StoreViewNodeCollections<G> | undefined;
  #edges: StoreViewEdgeCollections<G> | undefined;
  #search: StoreSearch<G> | undefined;
  #algorithms: StoreViewGraphAlgorithms<G> | undefined;

  /** @internal Use `store.asOf(T)`, `store.view({ mode, asOf })` or `store.snapshot()`. */
  constructor(store: Store<G>, coordinate: StoreViewCoordinate | PinnedCoordinate) {
    this.store = store;
    this.coordinate = pinCoordinate(coordinate);
  }

  /** This view's valid-time coordinate read as TypeGraph recorded the graph at `instant` (history stores). */
  asOfRecorded(instant: RecordedInstant): RecordedStoreView<G> {
    return new RecordedStoreView<G>(this.store.recordedHost(), instant, this.coordinate);
  }

  /** The temporal mode every read of this view uses. */
  get mode(): TemporalMode {
    return this.coordinate.mode;
  }

  /** The instant of an "asOf" view (undefined for the other modes). */
  get asOf(): string | undefined {
    return this.coordinate.asOf;
  }

  /** @internal The view's coordinate as the temporal options of a store call. */
  protected temporalOptions(): { temporalMode: TemporalMode; asOf: string | undefined } {
    // `asOf` is always named, so an instant a JS caller slipped into the options cannot survive.
    return { temporalMode: this.coordinate.mode, asOf: this.coordinate.asOf };
  }

  /** Identity reads at the view's coordinate (graphs with `identity` only). */
  get identity(): IdentityReadFacade<G> {
    return this.store.identityAt(this.coordinate.mode === "asOf" ? this.coordinate.asOf : undefined, this.coordinate.mode);
  }

  /** Node reads at the view's coordinate, by kind. */
  get nodes(): StoreViewNodeCollections<G> {
    const at = this.coordinate;
    return (this.#nodes ??= namespace(this.store.graph.nodes, () => this.store.nodes as Record<string, unknown>, (kind, live: NodeCollection) =>
      viewNodeCollection(live, kind, at, this.store.graph.defaults?.temporalMode),
    ) as unknown as StoreViewNodeCollections<G>);
  }

  /** Edge reads at the view's coordinate, by kind. */
  get edges(): StoreViewEdgeCollections<G> {
    const at = this.coordinate;
    return (this.#edges ??= namespace(this.store.graph.edges, () => this.store.edges as Record<string, unknown>, (kind, live: EdgeCollection) =>
      viewEdgeCollection(live, kind, at),
    ) as unknown as StoreViewEdgeCollections<G>);
  }

  /**
   * A query builder reading at the view's coordinate. Its temporal axis is sealed: `.temporal()`
   * on it, or on anything built from it, throws a ConfigurationError.
   */
  query(): SealedQueryBuilder<G> {
    const base = this.store.query();
    const at = this.coordinate;
    return new QueryBuilder(
      { ...base.env, sealedTemporal: { mode: at.mode, ...(at.asOf === undefined ? {} : { asOf: at.asOf }) } },
      { ...base.state, temporal: { mode: at.mode, ...(at.asOf === undefined ? {} : { asOf: at.asOf }) } },
    ) as unknown as SealedQueryBuilder<G>;
  }

  /** `store.subgraph` at the view's coordinate. */
  subgraph<EK extends EdgeKinds<G>, NK extends NodeKinds<G> = NodeKinds<G>, const P extends SubgraphProject<G, NK, EK> | undefined = undefined>(
    rootId: string,
    options: StoreViewSubgraphOptions<G, EK, NK, P>,
  ): Promise<SubgraphResult<G, NK, EK, P>> {
    return this.store.subgraph<EK, NK, P>(rootId, { ...options, ...this.temporalOptions() } as SubgraphOptions<G, EK, NK, P>);
  }

  /** `store.bulkFindEdgesFrom` at the view's coordinate. */
  bulkFindEdgesFrom<const K extends EdgeKinds<G>>(
    params: BulkFindEdgesFromParams<G, K>,
    options?: Omit<EdgeBulkFindEndpointOptions, "temporalMode" | "asOf">,
  ): Promise<readonly BulkFindEdgesFromResult<G, K>[]> {
    return this.store.bulkFindEdgesFrom(params, { ...options, ...this.temporalOptions() });
  }

  /** Search: the store's reads on a "current" view; refused at any other coordinate. */
  get search(): StoreSearch<G> {
    return (this.#search ??= viewSearch(this.store.search, this.coordinate));
  }

  /** The graph algorithms at the view's coordinate (also callable on the view itself). */
  get algorithms(): StoreViewGraphAlgorithms<G> {
    return (this.#algorithms ??= Object.freeze({
      shortestPath: (from, to, options) => this.shortestPath(from, to, options),
      weightedShortestPath: (from, to, options) => this.weightedShortestPath(from, to, options),
      reachable: (from, options) => this.reachable(from, options),
      canReach: (from, to, options) => this.canReach(from, to, options),
      neighbors: (node, options) => this.neighbors(node, options),
      degree: (node, options) => this.degree(node, options),
      labelPropagation: (options) => this.labelPropagation(options),
      weaklyConnectedComponents: (options) => this.weaklyConnectedComponents(options),
      pageRank: (options) => this.pageRank(options),
      personalizedPageRank: (options) => this.personalizedPageRank(options),
    } satisfies StoreViewGraphAlgorithms<G>));
  }

  /** @internal The store's algorithms; each call gets the view's coordinate. */
  protected liveAlgorithms(): GraphAlgorithms<G> {
    return this.store.algorithms;
  }

  shortestPath(from: NodeIdentifier, to: NodeIdentifier, options: StoreViewShortestPathOptions<G>): Promise<ShortestPathResult | undefined> {
    return this.liveAlgorithms().shortestPath(from, to, { ...options, ...this.temporalOptions() });
  }
  weightedShortestPath(from: NodeIdentifier, to: NodeIdentifier, options: StoreViewWeightedShortestPathOptions<G>): Promise<WeightedShortestPathResult | undefined> {
    return this.liveAlgorithms().weightedShortestPath(from, to, { ...options, ...this.temporalOptions() });
  }
  reachable(from: NodeIdentifier, options: StoreViewReachableOptions<G>): Promise<readonly ReachableNode[]> {
    return this.liveAlgorithms().reachable(from, { ...options, ...this.temporalOptions() });
  }
  canReach(from: NodeIdentifier, to: NodeIdentifier, options: StoreViewCanReachOptions<G>): Promise<boolean> {
    return this.liveAlgorithms().canReach(from, to, { ...options, ...this.temporalOptions() });
  }
  neighbors(node: NodeIdentifier, options: StoreViewNeighborsOptions<G>): Promise<readonly ReachableNode[]> {
    return this.liveAlgorithms().neighbors(node, { ...options, ...this.temporalOptions() });
  }
  degree(node: NodeIdentifier, options?: StoreViewDegreeOptions<G>): Promise<number> {
    return this.liveAlgorithms().degree(node, { ...options, ...this.temporalOptions() });
  }
  labelPropagation(options: StoreViewLabelPropagationOptions<G>): Promise<readonly LabelPropagationMembership[]> {
    return this.liveAlgorithms().labelPropagation({ ...options, ...this.temporalOptions() });
  }
  weaklyConnectedComponents(options: StoreViewWeaklyConnectedComponentsOptions<G>): Promise<readonly WeaklyConnectedComponentMembership[]> {
    return this.liveAlgorithms().weaklyConnectedComponents({ ...options, ...this.temporalOptions() });
  }
  pageRank(options: StoreViewPageRankOptions<G>): Promise<readonly PageRankScore[]> {
    return this.liveAlgorithms().pageRank({ ...options, ...this.temporalOptions() });
  }
  personalizedPageRank(options: StoreViewPersonalizedPageRankOptions<G>): Promise<readonly PageRankScore[]> {
    return this.liveAlgorithms().personalizedPageRank({ ...options, ...this.temporalOptions() });
  }
}
