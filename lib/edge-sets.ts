// Set-oriented endpoint reads: `edges.X.bulkFindFrom` / `bulkFindTo` and
// `store.bulkFindEdgesFrom`. The checks live here; the read itself is one engine call
// (`findEdgesByEndpointSet`) that answers one bucket per input position.

import type { GraphDef, NodeId, TemporalMode } from "./core.js";
import type { Edge } from "./store.js";
import { KindNotFoundError, ValidationError } from "./errors.js";
import type { EdgeKinds, NodeKinds } from "./type-helpers.js";

/** The per-endpoint fan-out cap of the bulk endpoint reads. */
export type EdgeBulkFindOptions = Readonly<{
  /** At most this many edges per input endpoint (a positive integer), the leading ones in `findFrom` / `findTo` order. */
  limitPerInput?: number;
}>;

/** Options of `bulkFindFrom` / `bulkFindTo` / `store.bulkFindEdgesFrom`: a temporal coordinate and the fan-out cap. */
export type EdgeBulkFindEndpointOptions = Readonly<{
  temporalMode?: TemporalMode;
  asOf?: string | Date;
}> &
  EdgeBulkFindOptions;

/** Source ids of one node kind, for `store.bulkFindEdgesFrom`. */
export type BulkEdgeSourceGroup<G extends GraphDef> = {
  [K in NodeKinds<G>]: Readonly<{ kind: K; ids: readonly NodeId<G["nodes"][K]["type"]>[] }>;
}[NodeKinds<G>];

/** A node reference whose kind and id stay paired. */
export type GraphNodeReference<G extends GraphDef> = {
  [K in NodeKinds<G>]: Readonly<{ kind: K; id: NodeId<G["nodes"][K]["type"]> }>;
}[NodeKinds<G>];

/** The edge union of the selected edge kinds. */
export type GraphEdgeForKinds<G extends GraphDef, K extends EdgeKinds<G>> = {
  [P in K]: Edge<G["edges"][P]["type"]>;
}[K];

/** What `store.bulkFindEdgesFrom` reads: source groups and edge kinds. */
export type BulkFindEdgesFromParams<G extends GraphDef, K extends EdgeKinds<G>> = Readonly<{
  sources: readonly BulkEdgeSourceGroup<G>[];
  edgeKinds: readonly K[];
}>;

/** One source of `store.bulkFindEdgesFrom`'s answer, with its edges. */
export type BulkFindEdgesFromResult<G extends GraphDef, K extends EdgeKinds<G>> = Readonly<{
  source: GraphNodeReference<G>;
  edges: readonly GraphEdgeForKinds<G, K>[];
}>;

/** Refuses a `limitPerInput` that is not a positive integer (as the engine would, but before any read). */
export function checkLimitPerInput(kind: string, limit: number | undefined): void {
  if (limit === undefined || (Number.isInteger(limit) && limit > 0)) return;
  const message = `Expected a positive integer, received ${String(limit)}`;
  throw new ValidationError(`limitPerInput must be a positive integer (${kind}): ${message}`, {
    entityType: "edge",
    kind,
    issues: [{ path: "limitPerInput", message, code: "invalid_value" }],
  });
}

/** The engine arguments of an endpoint-set read. */
export function endpointSetArgs(
  side: "from" | "to",
  edgeKinds: readonly string[],
  endpoints: readonly { kind: string; id: string }[],
  options: EdgeBulkFindEndpointOptions | undefined,
  fallback?: TemporalMode,
): Record<string, unknown> {
  const asOf = options?.asOf instanceof Date ? options.asOf.toISOString() : options?.asOf;
  return {
    side,
    edgeKinds,
    endpoints: endpoints.map((e) => [e.kind, e.id]),
    limitPerEndpoint: options?.limitPerInput,
    temporalMode: options?.temporalMode ?? (asOf !== undefined ? "asOf" : fallback === "current" ? undefined : fallback),
    asOf,
  };
}

/** Flattens source groups into references, checking every node and edge kind against the graph first. */
export function resolveSources(graph: GraphDef, sources: readonly { kind: string; ids: readonly string[] }[], edgeKinds: readonly string[]): { kind: string; id: string }[] {
  const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
  const refs: { kind: string; id: string }[] = [];
  for (const group of sources) {
    if (!own(graph.nodes, group.kind)) throw new KindNotFoundError(group.kind, "node", { graphId: graph.id });
    for (const id of group.ids) refs.push({ kind: group.kind, id });
  }
  for (const kind of edgeKinds) {
    if (!own(graph.edges, kind)) throw new KindNotFoundError(kind, "edge", { graphId: graph.id });
  }
  return refs;
}

