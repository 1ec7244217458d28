// Set-oriented endpoint reads: `edges.X.bulkFindFrom` / `bulkFindTo` and
// `store.bulkFindEdgesFrom`. The checks live here; the read itself is one engine call
// (`findEdgesByEndpointSet`) that answers one bucket per input position.

import type { GraphDef, NodeId, TemporalMode } from "./core.js";
import type { Edge } from "./store.js";
import { ConfigurationError, KindNotFoundError, ValidationError } from "./errors.js";
import type { BackendEdgeRow } from "./backend-rows.js";
import type { FindEdgesByEndpointSetParams, FindEdgesByHeterogeneousEndpointSetParams } from "./backend-edge-reads.js";
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


/** A backend as the bulk endpoint reads see it: the port members (absent on a backend without the capability). */
type EndpointSetPort = {
  readonly findEdgesByEndpointSet?: (params: FindEdgesByEndpointSetParams) => Promise<readonly BackendEdgeRow[]>;
  readonly findEdgesByHeterogeneousEndpointSet?: (params: FindEdgesByHeterogeneousEndpointSetParams) => Promise<readonly BackendEdgeRow[]>;
};

/** The refusal of a bulk endpoint read on a backend without the port member it reads through. */
export function endpointSetUnsupported(member: string, operation: string, graphId: string | undefined): ConfigurationError {
  return new ConfigurationError(`${operation} needs a backend implementing ${member}; this backend does not`, {
    code: "BACKEND_CAPABILITY_MISSING",
    capability: member,
    operation,
    ...(graphId === undefined ? {} : { graphId }),
  });
}

/** The port's temporal coordinate of a store-level read: "current" resolves its instant once, here. */
export function portCoordinate(options: EdgeBulkFindEndpointOptions | undefined, fallback: TemporalMode | undefined): { temporalMode: TemporalMode; asOf?: string } {
  const asOf = options?.asOf instanceof Date ? options.asOf.toISOString() : options?.asOf;
  const mode = options?.temporalMode ?? (asOf !== undefined ? "asOf" : (fallback ?? "current"));
  if (mode === "current") return { temporalMode: mode, asOf: new Date().toISOString() };
  if (mode === "asOf") return { temporalMode: mode, asOf };
  return { temporalMode: mode };
}

/** A port row as the store's edge object. */
export function edgeOfRow(r: BackendEdgeRow): Record<string, unknown> {
  return {
    id: r.id,
    kind: r.kind,
    fromKind: r.from_kind,
    fromId: r.from_id,
    toKind: r.to_kind,
    toId: r.to_id,
    meta: { validFrom: r.valid_from, validTo: r.valid_to, createdAt: r.created_at, updatedAt: r.updated_at, deletedAt: r.deleted_at },
    ...r.props,
  };
}

/**
 * `bulkFindFrom` / `bulkFindTo` through the backend's `findEdgesByEndpointSet`: one read per
 * distinct endpoint kind, all at one coordinate; answers one bucket per input position.
 */
export async function readEndpointSets(
  backend: EndpointSetPort,
  graphId: string,
  edgeKind: string,
  side: "from" | "to",
  refs: readonly { kind: string; id: string }[],
  options: EdgeBulkFindEndpointOptions | undefined,
  fallback: TemporalMode | undefined,
): Promise<Record<string, unknown>[][]> {
  const read = backend.findEdgesByEndpointSet;
  if (typeof read !== "function") throw endpointSetUnsupported("findEdgesByEndpointSet", side === "from" ? "bulkFindFrom" : "bulkFindTo", graphId);
  const coordinate = portCoordinate(options, fallback);
  const idsByKind = new Map<string, string[]>();
  for (const ref of refs) {
    let ids = idsByKind.get(ref.kind);
    if (!ids) idsByKind.set(ref.kind, (ids = []));
    ids.push(ref.id);
  }
  const byEndpoint = new Map<string, BackendEdgeRow[]>();
  for (const [endpointKind, endpointIds] of idsByKind) {
    const rows = await read.call(backend, { graphId, kind: edgeKind, side, endpointKind, endpointIds, limitPerEndpoint: options?.limitPerInput, ...coordinate });
    collect(byEndpoint, rows, side);
  }
  return bucketsOf(byEndpoint, refs, options?.limitPerInput);
}

/** `store.bulkFindEdgesFrom` through the backend's `findEdgesByHeterogeneousEndpointSet` (one read). */
export async function readHeterogeneousEndpointSet(
  backend: EndpointSetPort,
  graphId: string,
  edgeKinds: readonly string[],
  refs: readonly { kind: string; id: string }[],
  options: EdgeBulkFindEndpointOptions | undefined,
  fallback: TemporalMode | undefined,
): Promise<Record<string, unknown>[][]> {
  const read = backend.findEdgesByHeterogeneousEndpointSet;
  if (typeof read !== "function") throw endpointSetUnsupported("findEdgesByHeterogeneousEndpointSet", "bulkFindEdgesFrom", graphId);
  const rows = await read.call(backend, { graphId, side: "from", endpoints: refs, edgeKinds, limitPerEndpoint: options?.limitPerInput, ...portCoordinate(options, fallback) });
  const byEndpoint = new Map<string, BackendEdgeRow[]>();
  collect(byEndpoint, rows, "from");
  return bucketsOf(byEndpoint, refs, options?.limitPerInput);
}

function collect(into: Map<string, BackendEdgeRow[]>, rows: readonly BackendEdgeRow[], side: "from" | "to"): void {
  for (const row of rows) {
    const key = side === "from" ? `${row.from_kind}\0${row.from_id}` : `${row.to_kind}\0${row.to_id}`;
    const bucket = into.get(key);
    if (bucket) bucket.push(row);
    else into.set(key, [row]);
  }
}

/** One fresh bucket per input (a repeated input gets its own copies), capped client-side too. */
function bucketsOf(byEndpoint: Map<string, BackendEdgeRow[]>, refs: readonly { kind: string; id: string }[], limit: number | undefined): Record<string, unknown>[][] {
  return refs.map((ref) => {
    const rows = byEndpoint.get(`${ref.kind}\0${ref.id}`);
    if (!rows) return [];
    return (limit === undefined ? rows : rows.slice(0, limit)).map(edgeOfRow);
  });
}
