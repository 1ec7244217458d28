// `store.algorithms`: graph traversals and whole-graph analytics. Options are checked here
// (ConfigurationError, as upstream); each call is one engine crossing (`algorithm`), where the
// work runs set-based against the database inside one transaction.

import type { GraphBackend, TxToken } from "./backend.js";
import type { GraphDef, TemporalMode } from "./core.js";
import { ConfigurationError } from "./errors.js";
import type { EdgeKinds, NodeKinds } from "./type-helpers.js";

export type TraversalDirection = "out" | "in" | "both";
export type AlgorithmCyclePolicy = "prevent" | "allow";

/** Temporal coordinate of one algorithm call (defaults to the graph's `defaults.temporalMode`). */
export type TemporalAlgorithmOptions = Readonly<{
  temporalMode?: TemporalMode;
  asOf?: string;
  recordedAsOf?: never;
}>;

export type BaseTraversalOptions<G extends GraphDef> = TemporalAlgorithmOptions &
  Readonly<{
    edges: readonly EdgeKinds<G>[];
    maxHops?: number;
    direction?: TraversalDirection;
    cyclePolicy?: AlgorithmCyclePolicy;
    workingMemory?: string;
  }>;

export type ReachableNode = Readonly<{ id: string; kind: string; depth: number }>;
export type PathNode = Readonly<{ id: string; kind: string }>;
export type ShortestPathResult = Readonly<{ nodes: readonly PathNode[]; depth: number }>;
export type ShortestPathOptions<G extends GraphDef> = BaseTraversalOptions<G>;

export type WeightedShortestPathOptions<G extends GraphDef> = Omit<BaseTraversalOptions<G>, "maxHops" | "cyclePolicy"> &
  Readonly<{
    weightProperty: string;
    defaultWeight?: number;
    maxIterations?: number;
  }>;
export type WeightedShortestPathResult = Readonly<{ nodes: readonly PathNode[]; depth: number; totalWeight: number }>;

export type ReachableOptions<G extends GraphDef> = BaseTraversalOptions<G> & Readonly<{ excludeSource?: boolean }>;

export type NeighborsOptions<G extends GraphDef> = TemporalAlgorithmOptions &
  Readonly<{
    edges: readonly EdgeKinds<G>[];
    depth?: number;
    direction?: TraversalDirection;
    cyclePolicy?: AlgorithmCyclePolicy;
    workingMemory?: string;
  }>;

export type DegreeOptions<G extends GraphDef> = TemporalAlgorithmOptions &
  Readonly<{ edges?: readonly EdgeKinds<G>[]; direction?: TraversalDirection }>;

export type WeaklyConnectedComponentsOptions<G extends GraphDef> = TemporalAlgorithmOptions &
  Readonly<{
    edges: readonly EdgeKinds<G>[];
    nodeKinds?: readonly NodeKinds<G>[];
    minComponentSize?: number;
    maxIterations?: number;
    workingMemory?: string;
  }>;
export type WeaklyConnectedComponentMembership = Readonly<{
  id: string;
  kind: string;
  componentId: string;
  componentKind: string;
  size: number;
}>;

export type LabelPropagationOptions<G extends GraphDef> = TemporalAlgorithmOptions &
  Readonly<{
    edges: readonly EdgeKinds<G>[];
    nodeKinds?: readonly NodeKinds<G>[];
    maxIterations?: number;
    onMaxIterations?: "throw" | "return";
    workingMemory?: string;
  }>;
export type LabelPropagationMembership = Readonly<{ id: string; kind: string; labelId: string; labelKind: string }>;

export type PageRankOptions<G extends GraphDef> = TemporalAlgorithmOptions &
  Readonly<{
    edges: readonly EdgeKinds<G>[];
    nodeKinds?: readonly NodeKinds<G>[];
    direction?: TraversalDirection;
    dampingFactor?: number;
    tolerance?: number;
    maxIterations?: number;
    topK?: number;
    workingMemory?: string;
  }>;
export type PersonalizedPageRankSeed<G extends GraphDef> = Readonly<{ id: string; kind: NodeKinds<G>; weight?: number }>;
export type PersonalizedPageRankOptions<G extends GraphDef> = PageRankOptions<G> &
  Readonly<{ seeds: readonly PersonalizedPageRankSeed<G>[] }>;
export type PageRankScore = Readonly<{ id: string; kind: string; score: number }>;

/** A raw node id or anything carrying `id: string` (nodes, refs, algorithm results). */
export type NodeIdentifier = string | Readonly<{ id: string }>;

export type GraphAlgorithms<G extends GraphDef> = Readonly<{
  shortestPath(from: NodeIdentifier, to: NodeIdentifier, options: ShortestPathOptions<G>): Promise<ShortestPathResult | undefined>;
  weightedShortestPath(from: NodeIdentifier, to: NodeIdentifier, options: WeightedShortestPathOptions<G>): Promise<WeightedShortestPathResult | undefined>;
  reachable(from: NodeIdentifier, options: ReachableOptions<G>): Promise<readonly ReachableNode[]>;
  canReach(from: NodeIdentifier, to: NodeIdentifier, options: BaseTraversalOptions<G>): Promise<boolean>;
  neighbors(node: NodeIdentifier, options: NeighborsOptions<G>): Promise<readonly ReachableNode[]>;
  degree(node: NodeIdentifier, options?: DegreeOptions<G>): Promise<number>;
  labelPropagation(options: LabelPropagationOptions<G>): Promise<readonly LabelPropagationMembership[]>;
  weaklyConnectedComponents(options: WeaklyConnectedComponentsOptions<G>): Promise<readonly WeaklyConnectedComponentMembership[]>;
  pageRank(options: PageRankOptions<G>): Promise<readonly PageRankScore[]>;
  personalizedPageRank(options: PersonalizedPageRankOptions<G>): Promise<readonly PageRankScore[]>;
}>;

/** @internal How the facade reaches the engine. */
export type AlgorithmCall = (args: Record<string, unknown>) => Promise<unknown>;

const MAX_DEPTH = 1000;
const MAX_EDGE_WEIGHT = Number.MAX_VALUE / 2 ** 64;
const WORKING_MEMORY = /^(\d+)(kB|MB|GB)$/;
const KB_PER_UNIT: Readonly<Record<string, number>> = { kB: 1, MB: 1024, GB: 1024 * 1024 };

function nodeId(value: NodeIdentifier): string {
  return typeof value === "string" ? value : value.id;
}

function hops(raw: number | undefined, fallback: number, option: "maxHops" | "depth"): number {
  const value = raw ?? fallback;
  if (!Number.isFinite(value) || !Number.isInteger(value)) {
    throw new ConfigurationError(`Graph algorithm ${option} must be a finite integer, got ${String(value)}.`, { option, value });
  }
  if (value < 1) throw new ConfigurationError(`Graph algorithm ${option} must be at least 1, got ${value}.`, { option, value });
  if (value > MAX_DEPTH) {
    throw new ConfigurationError(`Graph algorithm ${option} (${value}) exceeds the maximum of ${MAX_DEPTH}.`, { option, value, limit: MAX_DEPTH });
  }
  return value;
}

function positiveInteger(value: number | undefined, algorithm: string, option: string): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConfigurationError(`${algorithm} ${option} must be a positive safe integer, got ${String(value)}.`, { [option]: value });
  }
}

function edgeKinds(edges: readonly string[] | undefined): void {
  if (!Array.isArray(edges) || edges.length === 0) {
    throw new ConfigurationError("Graph algorithms require at least one edge kind in 'edges'.", { edges });
  }
}

function direction(value: unknown, allowed: readonly string[] = ["out", "in", "both"]): void {
  if (value !== undefined && !allowed.includes(value as string)) {
    throw new ConfigurationError(`Graph algorithm direction must be one of ${allowed.map((d) => `"${d}"`).join(", ")}, got ${JSON.stringify(value)}.`, { direction: value });
  }
}

function workingMemory(value: string | undefined): void {
  if (value === undefined) return;
  const match = WORKING_MEMORY.exec(value);
  if (match === null) {
    throw new ConfigurationError(`Iterative graph operation workingMemory must be digits followed by kB, MB, or GB (for example "64MB"), got ${JSON.stringify(value)}.`, { workingMemory: value });
  }
  const kilobytes = Number(match[1]) * (KB_PER_UNIT[match[2] ?? ""] ?? 0);
  if (kilobytes < 64 || kilobytes > 2_147_483_647) {
    throw new ConfigurationError(`Iterative graph operation workingMemory must be between 64kB and 2147483647kB, got ${JSON.stringify(value)}.`, { workingMemory: value, kilobytes });
  }
}

function recordedCoordinate(options: object | undefined, method: string): void {
  if (options !== undefined && options !== null && "recordedAsOf" in options && (options as { recordedAsOf?: unknown }).recordedAsOf !== undefined) {
    throw new ConfigurationError(`recordedAsOf is only available through store.asOfRecorded(...).${method}(...).`, { code: "ALGORITHM_RECORDED_ASOF_INTERNAL_ONLY", method });
  }
}

/** The temporal fields of a call: the caller's mode, else the graph default. */
function temporalOf(options: TemporalAlgorithmOptions | undefined, fallback: TemporalMode | undefined): Record<string, unknown> {
  const mode = options?.temporalMode ?? fallback;
  return { ...(mode === undefined ? {} : { temporalMode: mode }), ...(options?.asOf === undefined ? {} : { asOf: options.asOf }) };
}

function seedsOf(seeds: readonly { id: string; kind: string; weight?: number }[] | undefined): [string, string, number][] {
  if (!Array.isArray(seeds) || seeds.length === 0) throw new ConfigurationError("Personalized PageRank requires at least one seed.", { seeds });
  const combined = new Map<string, { id: string; kind: string; weight: number }>();
  for (const seed of seeds) {
    if (typeof seed.id !== "string" || seed.id.length === 0 || seed.id.includes("\u0000") || typeof seed.kind !== "string" || seed.kind.length === 0 || seed.kind.includes("\u0000")) {
      throw new ConfigurationError("Personalized PageRank seed id and kind must be non-empty strings without NUL characters.", { seed });
    }
    const weight = seed.weight ?? 1;
    if (!Number.isFinite(weight) || weight <= 0) {
      throw new ConfigurationError(`Personalized PageRank seed weight must be finite and greater than 0, got ${String(weight)}.`, { seed });
    }
    const key = `${seed.kind}\u0000${seed.id}`;
    const total = (combined.get(key)?.weight ?? 0) + weight;
    if (!Number.isFinite(total)) throw new ConfigurationError("Personalized PageRank seed weights overflowed while combining duplicate seeds.", { seed });
    combined.set(key, { id: seed.id, kind: seed.kind, weight: total });
  }
  const all = [...combined.values()];
  const max = all.reduce((m, s) => Math.max(m, s.weight), 0);
  const scaled = all.reduce((t, s) => t + s.weight / max, 0);
  return all.map((s) => {
    const weight = s.weight / max / scaled;
    if (weight === 0) throw new ConfigurationError("Personalized PageRank seed weights differ too much to normalize without underflow.", { seed: s });
    return [s.id, s.kind, weight];
  });
}

function pageRankArgs(options: PageRankOptions<GraphDef>, algorithm: string): Record<string, unknown> {
  edgeKinds(options.edges);
  direction(options.direction);
  const dampingFactor = options.dampingFactor ?? 0.85;
  if (!Number.isFinite(dampingFactor) || dampingFactor < 0 || dampingFactor >= 1) {
    throw new ConfigurationError(`PageRank dampingFactor must be finite and in [0, 1), got ${String(dampingFactor)}.`, { dampingFactor });
  }
  const tolerance = options.tolerance ?? 1e-8;
  if (!Number.isFinite(tolerance) || tolerance <= 0) {
    throw new ConfigurationError(`PageRank tolerance must be finite and greater than 0, got ${String(tolerance)}.`, { tolerance });
  }
  positiveInteger(options.topK, algorithm, "topK");
  positiveInteger(options.maxIterations, algorithm, "maxIterations");
  workingMemory(options.workingMemory);
  return {
    edges: options.edges,
    ...(options.nodeKinds === undefined ? {} : { nodeKinds: [...new Set(options.nodeKinds)] }),
    ...(options.direction === undefined ? {} : { direction: options.direction }),
    dampingFactor,
    tolerance,
    ...(options.maxIterations === undefined ? {} : { maxIterations: options.maxIterations }),
    ...(options.topK === undefined ? {} : { topK: options.topK }),
    ...(options.workingMemory === undefined ? {} : { workingMemory: options.workingMemory }),
  };
}

/**
 * @internal Builds the facade over one engine call; `fallback` is the graph's default temporal
 * mode. A `pinned` coordinate (a store view's) replaces whatever temporal options a call names.
 */
export function createGraphAlgorithms<G extends GraphDef>(
  call: AlgorithmCall,
  fallback: TemporalMode | undefined,
  pinned?: Readonly<{ temporalMode: TemporalMode; asOf?: string }>,
): GraphAlgorithms<G> {
  const temporal = (options: TemporalAlgorithmOptions | undefined, fb: TemporalMode | undefined): Record<string, unknown> =>
    pinned === undefined ? temporalOf(options, fb) : { temporalMode: pinned.temporalMode, ...(pinned.asOf === undefined ? {} : { asOf: pinned.asOf }) };
  const traversal = (options: BaseTraversalOptions<G> | NeighborsOptions<G>, max: number): Record<string, unknown> => {
    edgeKinds(options.edges as readonly string[]);
    direction(options.direction);
    workingMemory(options.workingMemory);
    return {
      edges: options.edges,
      maxHops: max,
      ...(options.direction === undefined ? {} : { direction: options.direction }),
      ...(options.workingMemory === undefined ? {} : { workingMemory: options.workingMemory }),
      ...temporal(options, fallback),
    };
  };
  const facade: GraphAlgorithms<G> = {
    async shortestPath(from, to, options) {
      recordedCoordinate(options, "shortestPath");
      const args = traversal(options, hops(options.maxHops, 10, "maxHops"));
      const out = (await call({ algorithm: "shortestPath", source: nodeId(from), target: nodeId(to), ...args })) as ShortestPathResult | null;
      return out ?? undefined;
    },
    async weightedShortestPath(from, to, options) {
      recordedCoordinate(options, "weightedShortestPath");
      edgeKinds(options.edges as readonly string[]);
      direction(options.direction);
      workingMemory(options.workingMemory);
      if (typeof options.weightProperty !== "string" || options.weightProperty.length === 0) {
        throw new ConfigurationError("weightedShortestPath weightProperty must be a non-empty string.", { weightProperty: options.weightProperty });
      }
      const d = options.defaultWeight;
      if (d !== undefined && (!Number.isFinite(d) || d < 0 || d > MAX_EDGE_WEIGHT)) {
        throw new ConfigurationError(`weightedShortestPath defaultWeight must be a non-negative number no greater than ${MAX_EDGE_WEIGHT}, got ${String(d)}.`, { defaultWeight: d, maximum: MAX_EDGE_WEIGHT });
      }
      positiveInteger(options.maxIterations, "weightedShortestPath", "maxIterations");
      const out = (await call({
        algorithm: "weightedShortestPath",
        source: nodeId(from),
        target: nodeId(to),
        edges: options.edges,
        weightProperty: options.weightProperty,
        ...(d === undefined ? {} : { defaultWeight: d }),
        ...(options.maxIterations === undefined ? {} : { maxIterations: options.maxIterations }),
        ...(options.direction === undefined ? {} : { direction: options.direction }),
        ...(options.workingMemory === undefined ? {} : { workingMemory: options.workingMemory }),
        ...temporal(options, fallback),
      })) as WeightedShortestPathResult | null;
      return out ?? undefined;
    },
    async reachable(from, options) {
      recordedCoordinate(options, "reachable");
      const args = traversal(options, hops(options.maxHops, 10, "maxHops"));
      return (await call({ algorithm: "reachable", source: nodeId(from), excludeRoot: options.excludeSource === true, ...args })) as ReachableNode[];
    },
    async canReach(from, to, options) {
      recordedCoordinate(options, "canReach");
      const args = traversal(options, hops(options.maxHops, 10, "maxHops"));
      return (await call({ algorithm: "canReach", source: nodeId(from), target: nodeId(to), ...args })) as boolean;
    },
    async neighbors(node, options) {
      recordedCoordinate(options, "neighbors");
      const depth = hops(options.depth, 1, "depth");
      const args = traversal(options, depth);
      return (await call({ algorithm: "reachable", source: nodeId(node), excludeRoot: true, ...args })) as ReachableNode[];
    },
    async degree(node, options = {}) {
      recordedCoordinate(options, "degree");
      direction(options.direction);
      return (await call({
        algorithm: "degree",
        source: nodeId(node),
        ...(options.edges === undefined ? {} : { edges: options.edges }),
        ...(options.direction === undefined ? {} : { direction: options.direction }),
        ...temporal(options, fallback),
      })) as number;
    },
    async weaklyConnectedComponents(options) {
      recordedCoordinate(options, "weaklyConnectedComponents");
      edgeKinds(options.edges as readonly string[]);
      positiveInteger(options.maxIterations, "weaklyConnectedComponents", "maxIterations");
      positiveInteger(options.minComponentSize, "weaklyConnectedComponents", "minComponentSize");
      workingMemory(options.workingMemory);
      return (await call({
        algorithm: "weaklyConnectedComponents",
        edges: options.edges,
        ...(options.nodeKinds === undefined ? {} : { nodeKinds: [...new Set(options.nodeKinds)] }),
        ...(options.minComponentSize === undefined ? {} : { minComponentSize: options.minComponentSize }),
        ...(options.maxIterations === undefined ? {} : { maxIterations: options.maxIterations }),
        ...(options.workingMemory === undefined ? {} : { workingMemory: options.workingMemory }),
        ...temporal(options, fallback),
      })) as WeaklyConnectedComponentMembership[];
    },
    async labelPropagation(options) {
      recordedCoordinate(options, "labelPropagation");
      edgeKinds(options.edges as readonly string[]);
      positiveInteger(options.maxIterations, "labelPropagation", "maxIterations");
      workingMemory(options.workingMemory);
      const onMax = options.onMaxIterations;
      if (onMax !== undefined && onMax !== "throw" && onMax !== "return") {
        throw new ConfigurationError(`labelPropagation onMaxIterations must be "throw" or "return", got ${JSON.stringify(onMax)}.`, { onMaxIterations: onMax });
      }
      return (await call({
        algorithm: "labelPropagation",
        edges: options.edges,
        ...(options.nodeKinds === undefined ? {} : { nodeKinds: [...new Set(options.nodeKinds)] }),
        ...(options.maxIterations === undefined ? {} : { maxIterations: options.maxIterations }),
        ...(onMax === undefined ? {} : { onMaxIterations: onMax }),
        ...(options.workingMemory === undefined ? {} : { workingMemory: options.workingMemory }),
        ...temporal(options, fallback),
      })) as LabelPropagationMembership[];
    },
    async pageRank(options) {
      recordedCoordinate(options, "pageRank");
      const args = pageRankArgs(options as PageRankOptions<GraphDef>, "pageRank");
      return (await call({ algorithm: "pageRank", ...args, ...temporal(options, fallback) })) as PageRankScore[];
    },
    async personalizedPageRank(options) {
      recordedCoordinate(options, "personalizedPageRank");
      const args = pageRankArgs(options as PageRankOptions<GraphDef>, "personalizedPageRank");
      const seeds = seedsOf(options.seeds);
      return (await call({ algorithm: "personalizedPageRank", ...args, seeds, ...temporal(options, fallback) })) as PageRankScore[];
    },
  };
  return Object.freeze(facade);
}

/** @internal */
export function algorithmCall(backend: GraphBackend, handle: () => Promise<number> | number, tx?: TxToken): AlgorithmCall {
  return async (args) => backend.call(await handle(), "algorithm", args, tx);
}
