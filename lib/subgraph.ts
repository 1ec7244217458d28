// `store.subgraph(rootId, …)`: one engine call walks from the root (one statement per level)
// and returns the included nodes and the edges between them; projection and the adjacency
// indexes are built here.

import type { EdgeType, GraphDef, NodeType, TemporalMode } from "./core.js";
import { ConfigurationError } from "./errors.js";
import type { EdgeKinds, NodeKinds } from "./type-helpers.js";
import type { Edge, EdgeMeta, Node, NodeMeta } from "./store.js";

type NodeFieldKey<N extends NodeType> = Exclude<keyof Node<N>, "id" | "kind" | "meta"> & string;
/** One node type out of a subset of the graph's node kinds. */
export type SubsetNode<G extends GraphDef, K extends NodeKinds<G>> = { [Kind in K]: Node<G["nodes"][Kind]["type"]> }[K];
/** One edge type out of a subset of the graph's edge kinds. */
export type SubsetEdge<G extends GraphDef, K extends EdgeKinds<G>> = { [Kind in K]: Edge<G["edges"][Kind]["type"]> }[K];

type EdgeFieldKey<E extends EdgeType> = Exclude<keyof Edge<E>, "id" | "kind" | "fromKind" | "fromId" | "toKind" | "toId" | "meta"> & string;

/** Per-kind field lists of `subgraph({ project })`; `"meta"` keeps the metadata object. */
export type SubgraphProject<G extends GraphDef, NK extends NodeKinds<G> = NodeKinds<G>, EK extends EdgeKinds<G> = EdgeKinds<G>> = Readonly<{
  nodes?: Readonly<{ [K in NodeKinds<G>]?: K extends NK ? readonly (NodeFieldKey<G["nodes"][K]["type"]> | "meta")[] : never }>;
  edges?: Readonly<{ [K in EdgeKinds<G>]?: K extends EK ? readonly (EdgeFieldKey<G["edges"][K]["type"]> | "meta")[] : never }>;
}>;

/** Keeps a stored projection's field lists literal (`defineSubgraphProject(graph)({ … })`). */
export function defineSubgraphProject<G extends GraphDef>(_graph?: G): <const P extends SubgraphProject<G>>(project: P) => P {
  return <const P extends SubgraphProject<G>>(project: P): P => project;
}

type Selection<P, Key extends "nodes" | "edges", Kind extends string> = P extends Readonly<{ [K in Key]?: infer M }>
  ? M extends Readonly<Record<string, readonly string[] | undefined>>
    ? Kind extends keyof M
      ? M[Kind]
      : undefined
    : undefined
  : undefined;

type WithMeta<S, Meta> = S extends readonly string[] ? ("meta" extends S[number] ? Readonly<{ meta: Meta }> : unknown) : unknown;

type ProjectedNode<N extends NodeType, S> = S extends readonly string[]
  ? Readonly<Pick<Node<N>, "id" | "kind">> & Readonly<Pick<Node<N>, Extract<S[number], NodeFieldKey<N>>>> & WithMeta<S, NodeMeta>
  : Node<N>;
type ProjectedEdge<E extends EdgeType, S> = S extends readonly string[]
  ? Readonly<Pick<Edge<E>, "id" | "kind" | "fromKind" | "fromId" | "toKind" | "toId">> & Readonly<Pick<Edge<E>, Extract<S[number], EdgeFieldKey<E>>>> & WithMeta<S, EdgeMeta>
  : Edge<E>;

export type SubgraphNodeResult<G extends GraphDef, NK extends NodeKinds<G> = NodeKinds<G>, P = undefined> = {
  [K in NK]: ProjectedNode<G["nodes"][K]["type"], Selection<P, "nodes", K>>;
}[NK];
export type SubgraphEdgeResult<G extends GraphDef, EK extends EdgeKinds<G> = EdgeKinds<G>, P = undefined> = {
  [K in EK]: ProjectedEdge<G["edges"][K]["type"], Selection<P, "edges", K>>;
}[EK];

export type SubgraphOptions<G extends GraphDef, EK extends EdgeKinds<G>, NK extends NodeKinds<G>, P extends SubgraphProject<G, NK, EK> | undefined = undefined> = Readonly<{
  edges: readonly EK[];
  maxDepth?: number;
  includeKinds?: readonly NK[];
  excludeRoot?: boolean;
  direction?: "out" | "both";
  cyclePolicy?: "prevent" | "allow";
  temporalMode?: TemporalMode;
  asOf?: string;
  recordedAsOf?: never;
  project?: P;
}>;

export type SubgraphResult<G extends GraphDef, NK extends NodeKinds<G> = NodeKinds<G>, EK extends EdgeKinds<G> = EdgeKinds<G>, P extends SubgraphProject<G, NK, EK> | undefined = undefined> = Readonly<{
  root: SubgraphNodeResult<G, NK, P> | undefined;
  nodes: ReadonlyMap<string, SubgraphNodeResult<G, NK, P>>;
  adjacency: ReadonlyMap<string, ReadonlyMap<EK, readonly SubgraphEdgeResult<G, EK, P>[]>>;
  reverseAdjacency: ReadonlyMap<string, ReadonlyMap<EK, readonly SubgraphEdgeResult<G, EK, P>[]>>;
}>;

type NodeRow = [string, string, Record<string, unknown>, number, string | null, string | null, string, string, string | null];
type EdgeRow = [string, string, string, string, string, string, Record<string, unknown> | null, string | null, string | null, string, string, string | null];

const RESERVED_NODE = new Set(["id", "kind", "meta"]);
const RESERVED_EDGE = new Set(["id", "kind", "meta", "fromKind", "fromId", "toKind", "toId"]);
const POLLUTING = new Set(["__proto__", "constructor", "prototype"]);

type KindPlan = { meta: boolean; fields: string[] };

function plans(map: Readonly<Record<string, readonly string[] | undefined>> | undefined, entity: "node" | "edge"): Map<string, KindPlan> {
  const out = new Map<string, KindPlan>();
  if (map === undefined) return out;
  const reserved = entity === "node" ? RESERVED_NODE : RESERVED_EDGE;
  for (const kind of Object.keys(map)) {
    const selection = map[kind];
    if (selection === undefined) continue;
    const plan: KindPlan = { meta: false, fields: [] };
    for (const field of selection) {
      if (field === "meta") {
        plan.meta = true;
        continue;
      }
      if (reserved.has(field)) {
        throw new ConfigurationError(
          `Projection field "${field}" on ${entity} kind "${kind}" conflicts with a reserved structural key`,
          { field, kind, entityType: entity, reservedKeys: [...reserved] },
          { suggestion: `Remove "${field}" from the projection; structural fields (${[...reserved].join(", ")}) are always included.` },
        );
      }
      if (POLLUTING.has(field)) {
        throw new ConfigurationError(`Projection field "${field}" on ${entity} kind "${kind}" is not allowed`, { field, kind, entityType: entity }, { suggestion: `"${field}" cannot be a projection field name.` });
      }
      if (!plan.fields.includes(field)) plan.fields.push(field);
    }
    out.set(kind, plan);
  }
  return out;
}

const undef = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

function nodeMeta(r: NodeRow): NodeMeta {
  return { version: r[3], validFrom: undef(r[4]), validTo: undef(r[5]), createdAt: r[6], updatedAt: r[7], deletedAt: undef(r[8]) } as NodeMeta;
}
function edgeMeta(r: EdgeRow): EdgeMeta {
  return { validFrom: undef(r[7]), validTo: undef(r[8]), createdAt: r[9], updatedAt: r[10], deletedAt: undef(r[11]) } as EdgeMeta;
}

function pick(target: Record<string, unknown>, props: Record<string, unknown> | null, fields: readonly string[]): void {
  for (const f of fields) {
    const v = props !== null && Object.prototype.hasOwnProperty.call(props, f) ? props[f] : undefined;
    target[f] = v === null ? undefined : v;
  }
}

function toNode(r: NodeRow, plan: KindPlan | undefined): Record<string, unknown> {
  if (plan === undefined) return { kind: r[0], id: r[1], meta: nodeMeta(r), ...r[2] };
  const node: Record<string, unknown> = { kind: r[0], id: r[1] };
  if (plan.meta) node.meta = nodeMeta(r);
  pick(node, r[2], plan.fields);
  return node;
}

function toEdge(r: EdgeRow, plan: KindPlan | undefined): Record<string, unknown> {
  const base = { id: r[0], kind: r[1], fromKind: r[2], fromId: r[3], toKind: r[4], toId: r[5] };
  if (plan === undefined) return { ...base, meta: edgeMeta(r), ...(r[6] ?? {}) };
  const edge: Record<string, unknown> = { ...base };
  if (plan.meta) edge.meta = edgeMeta(r);
  pick(edge, r[6], plan.fields);
  return edge;
}

function index(map: Map<string, Map<string, unknown[]>>, id: string, kind: string, edge: unknown): void {
  let byKind = map.get(id);
  if (byKind === undefined) map.set(id, (byKind = new Map()));
  const list = byKind.get(kind);
  if (list === undefined) byKind.set(kind, [edge]);
  else list.push(edge);
}

/** @internal Runs `store.subgraph` through one engine call. */
export async function runSubgraph(
  call: (args: Record<string, unknown>) => Promise<unknown>,
  rootId: string,
  options: SubgraphOptions<GraphDef, string, string, SubgraphProject<GraphDef> | undefined>,
  fallback: TemporalMode | undefined,
): Promise<SubgraphResult<GraphDef, string, string, undefined>> {
  if (options.recordedAsOf !== undefined) {
    throw new ConfigurationError("recordedAsOf is only available through store.asOfRecorded(...).subgraph(...).", { code: "SUBGRAPH_RECORDED_ASOF_INTERNAL_ONLY" });
  }
  const direction = options.direction;
  if (direction !== undefined && direction !== "out" && direction !== "both") {
    throw new ConfigurationError(`subgraph direction must be "out" or "both", got ${JSON.stringify(direction)}.`, { direction });
  }
  const nodePlans = plans(options.project?.nodes as Readonly<Record<string, readonly string[] | undefined>> | undefined, "node");
  const edgePlans = plans(options.project?.edges as Readonly<Record<string, readonly string[] | undefined>> | undefined, "edge");
  const mode = options.temporalMode ?? fallback;
  const maxDepth = options.maxDepth;
  const out = (await call({
    algorithm: "subgraph",
    source: String(rootId),
    edges: [...options.edges],
    ...(maxDepth === undefined ? {} : { maxDepth: Math.max(0, Math.min(Math.floor(maxDepth), 1000)) }),
    ...(options.includeKinds === undefined ? {} : { includeKinds: [...options.includeKinds] }),
    excludeRoot: options.excludeRoot === true,
    ...(direction === undefined ? {} : { direction }),
    ...(mode === undefined ? {} : { temporalMode: mode }),
    ...(options.asOf === undefined ? {} : { asOf: options.asOf }),
  })) as { nodes: NodeRow[]; edges: EdgeRow[] };
  const nodes = new Map<string, unknown>();
  for (const row of out.nodes) nodes.set(row[1], toNode(row, nodePlans.get(row[0])));
  const adjacency = new Map<string, Map<string, unknown[]>>();
  const reverseAdjacency = new Map<string, Map<string, unknown[]>>();
  for (const row of out.edges) {
    const edge = toEdge(row, edgePlans.get(row[1]));
    index(adjacency, row[3], row[1], edge);
    index(reverseAdjacency, row[5], row[1], edge);
  }
  return { root: nodes.get(String(rootId)), nodes, adjacency, reverseAdjacency } as unknown as SubgraphResult<GraphDef, string, string, undefined>;
}
