// Raw row access on a backend object, in the shapes of upstream's `GraphBackend` port:
// `insertNode` / `getNode` / `insertEdge` / `getEdge` take a graph id and answer snake_case rows.
// They forward to the engine's node and edge operations of the graph registered under that id
// (a store of it must have been created on the backend). No schema validation runs here: that
// is the store collections' job, as upstream's backends leave it to the store.

import { ValidationError } from "./errors.js";
import type { SchemaVersionRow } from "./schema-entry.js";

/** A stored node row as upstream's backend port returns it. */
export type BackendNodeRow = Readonly<{
  graph_id: string;
  kind: string;
  id: string;
  props: Readonly<Record<string, unknown>>;
  version: number;
  valid_from: string | undefined;
  valid_to: string | undefined;
  created_at: string;
  updated_at: string;
  deleted_at: string | undefined;
}>;

/** A stored edge row as upstream's backend port returns it. */
export type BackendEdgeRow = Readonly<{
  graph_id: string;
  id: string;
  kind: string;
  from_kind: string;
  from_id: string;
  to_kind: string;
  to_id: string;
  props: Readonly<Record<string, unknown>>;
  valid_from: string | undefined;
  valid_to: string | undefined;
  created_at: string;
  updated_at: string;
  deleted_at: string | undefined;
}>;

export type InsertNodeParams = Readonly<{
  graphId: string;
  kind: string;
  id: string;
  props: Readonly<Record<string, unknown>>;
  validFrom?: string | null;
  validTo?: string;
}>;

export type InsertEdgeParams = Readonly<{
  graphId: string;
  id: string;
  kind: string;
  fromKind: string;
  fromId: string;
  toKind: string;
  toId: string;
  props: Readonly<Record<string, unknown>>;
  validFrom?: string | null;
  validTo?: string;
}>;

/** The four raw row members, bound to one backend (each works detached from its object). */
export interface BackendRowAccess {
  readonly insertNode: (params: InsertNodeParams) => Promise<BackendNodeRow>;
  readonly getNode: (graphId: string, kind: string, id: string) => Promise<BackendNodeRow | undefined>;
  readonly insertEdge: (params: InsertEdgeParams) => Promise<BackendEdgeRow>;
  readonly getEdge: (graphId: string, id: string) => Promise<BackendEdgeRow | undefined>;
}

type NodeTuple = [string, string, Record<string, unknown>, number, string | null, string | null, string, string, string | null];
type EdgeTuple = [string, string, string, string, string, string, Record<string, unknown> | null, string | null, string | null, string, string, string | null];

const u = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

function nodeRow(graphId: string, r: NodeTuple): BackendNodeRow {
  return Object.freeze({
    graph_id: graphId,
    kind: r[0],
    id: r[1],
    props: r[2],
    version: r[3],
    valid_from: u(r[4]),
    valid_to: u(r[5]),
    created_at: r[6],
    updated_at: r[7],
    deleted_at: u(r[8]),
  });
}

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

function checkId(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new ValidationError(`${field} must be a non-empty string`, { issues: [{ path: field, message: "expected a non-empty string" }] });
  }
  return value;
}

/** `validFrom: null` (an open lower bound) is stored as no stated bound. */
const bound = (v: string | null | undefined): string | undefined => (typeof v === "string" ? v : undefined);

/**
 * The raw row members over a backend's engine calls: `handleOf(graphId)` names the engine graph
 * of a registered store, `call` runs one engine operation on it.
 */
export function backendRowAccess(
  handleOf: (graphId: string) => number | Promise<number>,
  call: (handle: number, op: string, args: unknown) => Promise<unknown>,
): BackendRowAccess {
  return Object.freeze({
    insertNode: async (p: InsertNodeParams) => {
      const handle = await handleOf(checkId(p.graphId, "graphId"));
      const row = (await call(handle, "createNode", {
        kind: checkId(p.kind, "kind"),
        id: checkId(p.id, "id"),
        props: p.props ?? {},
        validFrom: bound(p.validFrom),
        validTo: bound(p.validTo),
      })) as NodeTuple;
      return nodeRow(p.graphId, row);
    },
    getNode: async (graphId: string, kind: string, id: string) => {
      const handle = await handleOf(checkId(graphId, "graphId"));
      const row = (await call(handle, "getNode", { kind: checkId(kind, "kind"), id: checkId(id, "id"), temporalMode: "includeTombstones" })) as NodeTuple | null;
      return row === null ? undefined : nodeRow(graphId, row);
    },
    insertEdge: async (p: InsertEdgeParams) => {
      const handle = await handleOf(checkId(p.graphId, "graphId"));
      const row = (await call(handle, "createEdge", {
        kind: checkId(p.kind, "kind"),
        id: checkId(p.id, "id"),
        from: { kind: checkId(p.fromKind, "fromKind"), id: checkId(p.fromId, "fromId") },
        to: { kind: checkId(p.toKind, "toKind"), id: checkId(p.toId, "toId") },
        props: p.props ?? {},
        validFrom: bound(p.validFrom),
        validTo: bound(p.validTo),
      })) as EdgeTuple;
      return edgeRow(p.graphId, row);
    },
    getEdge: async (graphId: string, id: string) => {
      const handle = await handleOf(checkId(graphId, "graphId"));
      // An empty kind: the edge of that id whatever its kind.
      const row = (await call(handle, "getEdge", { kind: "", id: checkId(id, "id"), temporalMode: "includeTombstones" })) as EdgeTuple | null;
      return row === null ? undefined : edgeRow(graphId, row);
    },
  });
}

/** A graph-extension kind removal whose data cleanup has not succeeded yet (upstream's port shape). */
export type KindRemovalRow = Readonly<{
  graphId: string;
  kindName: string;
  entity: "node" | "edge";
  schemaVersion: number;
  removedAt: string | undefined;
  lastAttemptedAt: string;
  lastError: string | undefined;
}>;

/** Schema-side reads by graph id, in upstream's backend-port shapes. */
export interface BackendSchemaReads {
  readonly getActiveSchema: (graphId: string) => Promise<SchemaVersionRow | undefined>;
  readonly getPendingKindRemovals: (graphId: string) => Promise<readonly KindRemovalRow[]>;
}

/**
 * The schema-side reads over a backend's engine calls: `handleOf(graphId)` names any engine
 * registration carrying that graph id (these reads go by graph id only).
 */
export function backendSchemaReads(
  handleOf: (graphId: string) => number | Promise<number>,
  call: (handle: number, op: string, args: unknown) => Promise<unknown>,
): BackendSchemaReads {
  return Object.freeze({
    getActiveSchema: async (graphId: string) => {
      const handle = await handleOf(checkId(graphId, "graphId"));
      const row = (await call(handle, "getActiveSchema", {})) as { version: number; hash: string; doc: unknown; createdAt: string } | null;
      if (row === null) return undefined;
      return Object.freeze<SchemaVersionRow>({
        graph_id: graphId,
        version: row.version,
        schema_hash: row.hash,
        schema_doc: JSON.stringify(row.doc),
        created_at: row.createdAt,
        is_active: true,
      });
    },
    getPendingKindRemovals: async (graphId: string) => {
      const handle = await handleOf(checkId(graphId, "graphId"));
      const rows = (await call(handle, "getPendingKindRemovals", {})) as { kind: string; entity: "node" | "edge"; schemaVersion: number; lastAttemptedAt: string; lastError: string | null }[];
      return rows.map((r) =>
        Object.freeze<KindRemovalRow>({
          graphId,
          kindName: r.kind,
          entity: r.entity,
          schemaVersion: r.schemaVersion,
          removedAt: undefined,
          lastAttemptedAt: r.lastAttemptedAt,
          lastError: r.lastError ?? undefined,
        }),
      );
    },
  });
}
