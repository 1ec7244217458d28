// Edge members of a backend object in the shapes of upstream's `GraphBackend` port: the
// endpoint-set reads (`findEdgesByEndpointSet`, `findEdgesByHeterogeneousEndpointSet`) the
// store's bulk endpoint reads go through, and the raw edge deletes (`deleteEdge`,
// `hardDeleteEdge`). Each is one engine call on the graph registered under `graphId`; the
// members are closures, so each works detached from its object (`this: void`).

import { ConfigurationError, ValidationError } from "./errors.js";
import type { BackendEdgeRow } from "./backend-rows.js";

export type EdgeEndpointSide = "from" | "to";
type ReadMode = "current" | "asOf" | "includeEnded" | "includeTombstones";

/** The edges of a set of endpoints of one node kind, for one edge kind. */
export type FindEdgesByEndpointSetParams = Readonly<{
  graphId: string;
  kind: string;
  side: EdgeEndpointSide;
  endpointKind: string;
  /** Endpoint node ids (repeats are read once). */
  endpointIds: readonly string[];
  /** At most this many edges per endpoint, the leading ones in `findFrom` / `findTo` order. */
  limitPerEndpoint?: number;
  /** Leave out soft-deleted edges (default true). */
  excludeDeleted?: boolean;
  temporalMode?: ReadMode;
  /** The read instant of "current" and "asOf" reads (now when absent in "current"). */
  asOf?: string;
}>;

/** The edges of several edge kinds for endpoints of several node kinds. */
export type FindEdgesByHeterogeneousEndpointSetParams = Readonly<{
  graphId: string;
  side: EdgeEndpointSide;
  endpoints: readonly Readonly<{ kind: string; id: string }>[];
  edgeKinds: readonly string[];
  limitPerEndpoint?: number;
  excludeDeleted?: boolean;
  temporalMode?: ReadMode;
  asOf?: string;
}>;

export type DeleteEdgeParams = Readonly<{ graphId: string; id: string; kind?: string }>;

export interface BackendEdgeReads {
  readonly findEdgesByEndpointSet: (params: FindEdgesByEndpointSetParams) => Promise<readonly BackendEdgeRow[]>;
  readonly findEdgesByHeterogeneousEndpointSet: (params: FindEdgesByHeterogeneousEndpointSetParams) => Promise<readonly BackendEdgeRow[]>;
  /** Soft-deletes one edge by id (its kind checked when given); nothing else runs (no hooks, no claim release). */
  readonly deleteEdge: (params: DeleteEdgeParams) => Promise<void>;
  /** Removes one edge row by id, with its cardinality claim. */
  readonly hardDeleteEdge: (params: DeleteEdgeParams) => Promise<void>;
}

type EdgeTuple = [string, string, string, string, string, string, Record<string, unknown> | null, string | null, string | null, string, string, string | null];
const u = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

function edgeRow(graphId: string, r: EdgeTuple): BackendEdgeRow {
  return Object.freeze({
    graph_id: graphId,
    id: r[0],
    kind: r[1],
    from_kind: r[2],
    from_id: r[3],
    to_kind: r[4],
    to_id: r[5],
    props: r[6] ?? {},
    valid_from: u(r[7]),
    valid_to: u(r[8]),
    created_at: r[9],
    updated_at: r[10],
    deleted_at: u(r[11]),
  });
}

function text(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new ValidationError(`${field} must be a non-empty string`, { issues: [{ path: field, message: "expected a non-empty string" }] });
  }
  return value;
}

function checkSide(side: unknown): EdgeEndpointSide {
  if (side === "from" || side === "to") return side;
  throw new ValidationError(`side must be "from" or "to", received ${String(side)}`, { issues: [{ path: "side", message: 'expected "from" or "to"' }] });
}

function checkLimit(operation: string, graphId: string, limit: unknown): number | undefined {
  if (limit === undefined) return undefined;
  if (typeof limit === "number" && Number.isInteger(limit) && limit > 0) return limit;
  throw new ConfigurationError(`${operation}: limitPerEndpoint must be a positive integer, received ${String(limit)}`, {
    code: "EDGE_ENDPOINT_SET_INVALID",
    graphId,
    limitPerEndpoint: limit,
  });
}

/**
 * The engine's temporal arguments for a port read: "current" at a stated instant reads as
 * "asOf" that instant (one coordinate for every statement of a logical read); `excludeDeleted:
 * false` without a mode reads tombstones too.
 */
function temporalOf(p: { temporalMode?: ReadMode; asOf?: string; excludeDeleted?: boolean }): { temporalMode?: string; asOf?: string } {
  const mode = p.temporalMode ?? (p.excludeDeleted === false ? "includeTombstones" : p.asOf !== undefined ? "asOf" : "current");
  if ((mode === "current" || mode === "asOf") && p.asOf !== undefined) return { temporalMode: "asOf", asOf: p.asOf };
  return mode === "current" ? {} : { temporalMode: mode };
}

export function backendEdgeReads(
  handleOf: (graphId: string) => number | Promise<number>,
  call: (handle: number, op: string, args: unknown) => Promise<unknown>,
): BackendEdgeReads {
  const read = async (operation: string, graphId: string, side: EdgeEndpointSide, edgeKinds: readonly string[], endpoints: [string, string][], p: Parameters<typeof temporalOf>[0] & { limitPerEndpoint?: number }) => {
    const limitPerEndpoint = checkLimit(operation, graphId, p.limitPerEndpoint);
    if (endpoints.length === 0 || edgeKinds.length === 0) return [];
    const handle = await handleOf(text(graphId, "graphId"));
    const buckets = (await call(handle, "findEdgesByEndpointSet", { side, edgeKinds, endpoints, limitPerEndpoint, ...temporalOf(p) })) as EdgeTuple[][];
    const rows: BackendEdgeRow[] = [];
    for (const bucket of buckets) for (const r of bucket) rows.push(edgeRow(graphId, r));
    return rows;
  };
  const remove = async (p: DeleteEdgeParams, hard: boolean) => {
    const handle = await handleOf(text(p.graphId, "graphId"));
    // No kind: the edge of that id whatever its kind.
    await call(handle, hard ? "hardDeleteEdge" : "deleteEdge", { kind: p.kind === undefined ? "" : text(p.kind, "kind"), id: text(p.id, "id") });
  };
  return Object.freeze({
    findEdgesByEndpointSet: async (p: FindEdgesByEndpointSetParams) => {
      const kind = text(p.kind, "kind");
      const endpointKind = text(p.endpointKind, "endpointKind");
      const ids = [...new Set(p.endpointIds)].map((id): [string, string] => [endpointKind, id]);
      return read("findEdgesByEndpointSet", p.graphId, checkSide(p.side), [kind], ids, p);
    },
    findEdgesByHeterogeneousEndpointSet: async (p: FindEdgesByHeterogeneousEndpointSetParams) => {
      const seen = new Set<string>();
      const endpoints: [string, string][] = [];
      for (const e of p.endpoints) {
        const key = `${e.kind}\0${e.id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        endpoints.push([text(e.kind, "endpoints.kind"), e.id]);
      }
      return read("findEdgesByHeterogeneousEndpointSet", p.graphId, checkSide(p.side), p.edgeKinds, endpoints, p);
    },
    deleteEdge: (p: DeleteEdgeParams) => remove(p, false),
    hardDeleteEdge: (p: DeleteEdgeParams) => remove(p, true),
  });
}
