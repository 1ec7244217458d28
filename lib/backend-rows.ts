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

/** The caller's view of the active version: none yet, or version N (compare-and-swap guard). */
export type CommitSchemaVersionExpected = Readonly<{ kind: "initial" }> | Readonly<{ kind: "active"; version: number }>;

export type CommitSchemaVersionParams = Readonly<{
  graphId: string;
  expected: CommitSchemaVersionExpected;
  version: number;
  schemaHash: string;
  /** The serialized schema document (`serializeSchema`). */
  schemaDoc: unknown;
}>;

export type SetActiveVersionParams = Readonly<{ graphId: string; expected: CommitSchemaVersionExpected; version: number }>;

export type CommitSchemaVersionIfKindsEmptyResult =
  | Readonly<{ status: "committed"; row: SchemaVersionRow }>
  | Readonly<{ status: "populated"; kinds: readonly Readonly<{ entity: "node" | "edge"; kind: string; count: number }>[] }>;

/** Schema-version access by graph id, in upstream's backend-port shapes. */
export interface BackendSchemaReads {
  readonly getActiveSchema: (graphId: string) => Promise<SchemaVersionRow | undefined>;
  /** One committed version of the graph's schema, active or not. */
  readonly getSchemaVersion: (graphId: string, version: number) => Promise<SchemaVersionRow | undefined>;
  readonly getPendingKindRemovals: (graphId: string) => Promise<readonly KindRemovalRow[]>;
  /**
   * Inserts and activates `version` in one transaction, guarded by `expected` (StaleVersionError
   * when another version is active; SchemaContentConflictError when `version` exists with
   * another hash; the same hash already active is returned as is; an inactive row of the same
   * hash is reactivated).
   */
  readonly commitSchemaVersion: (params: CommitSchemaVersionParams) => Promise<SchemaVersionRow>;
  /** As `commitSchemaVersion`, but commits nothing while any of `kinds` holds rows. */
  readonly commitSchemaVersionIfKindsEmpty: (
    params: CommitSchemaVersionParams,
    kinds: readonly Readonly<{ entity: "node" | "edge"; kind: string }>[],
  ) => Promise<CommitSchemaVersionIfKindsEmptyResult>;
  /** Makes a committed version the active one, guarded by `expected` (MigrationError when it does not exist). */
  readonly setActiveVersion: (params: SetActiveVersionParams) => Promise<void>;
}

/**
 * The schema-side reads over a backend's engine calls: `handleOf(graphId)` names any engine
 * registration carrying that graph id (these reads go by graph id only).
 */
export function backendSchemaReads(
  handleOf: (graphId: string) => number | Promise<number>,
  call: (handle: number, op: string, args: unknown) => Promise<unknown>,
  bootstrap: () => Promise<void>,
): BackendSchemaReads {
  const expectedOf = (e: CommitSchemaVersionExpected): number | null => {
    if (e?.kind === "initial") return null;
    if (e?.kind === "active" && Number.isSafeInteger(e.version) && e.version > 0) return e.version;
    throw new ValidationError('expected must be { kind: "initial" } or { kind: "active", version: <positive integer> }', {
      issues: [{ path: "expected", message: "not a commit guard" }],
    });
  };
  const commit = async (p: CommitSchemaVersionParams, kinds: readonly Readonly<{ entity: "node" | "edge"; kind: string }>[]) => {
    if (!Number.isSafeInteger(p.version) || p.version < 1) {
      throw new ValidationError("version must be a positive integer", { issues: [{ path: "version", message: "expected a positive integer" }] });
    }
    const expected = expectedOf(p.expected);
    await bootstrap();
    const handle = await handleOf(checkId(p.graphId, "graphId"));
    const doc = typeof p.schemaDoc === "string" ? p.schemaDoc : JSON.stringify(p.schemaDoc);
    const out = (await call(handle, "commitSchema", {
      graphId: p.graphId,
      expected,
      version: p.version,
      hash: checkId(p.schemaHash, "schemaHash"),
      doc,
      requireEmpty: kinds.map((k) => ({ entity: k.entity, kind: k.kind })),
    })) as { version: number; createdAt: string } | { status: "populated"; kinds: { entity: "node" | "edge"; kind: string; count: number }[] };
    if ("status" in out) return out;
    // An idempotent re-commit answers the row already stored.
    const row = await readActive(p.graphId);
    return row?.version === p.version
      ? row
      : Object.freeze<SchemaVersionRow>({ graph_id: p.graphId, version: p.version, schema_hash: p.schemaHash, schema_doc: doc, created_at: out.createdAt, is_active: true });
  };
  const readActive = async (graphId: string): Promise<SchemaVersionRow | undefined> => {
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
  };
  const readVersion = async (graphId: string, version: number): Promise<SchemaVersionRow | undefined> => {
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new ValidationError("version must be a positive integer", { issues: [{ path: "version", message: "expected a positive integer" }] });
    }
    const handle = await handleOf(checkId(graphId, "graphId"));
    const row = (await call(handle, "getSchemaVersion", { version })) as { version: number; hash: string; doc: unknown; createdAt: string; isActive: boolean } | null;
    if (row === null) return undefined;
    return Object.freeze<SchemaVersionRow>({
      graph_id: graphId,
      version: row.version,
      schema_hash: row.hash,
      schema_doc: JSON.stringify(row.doc),
      created_at: row.createdAt,
      is_active: row.isActive,
    });
  };
  return Object.freeze({
    getSchemaVersion: readVersion,
    commitSchemaVersion: async (p: CommitSchemaVersionParams) => {
      const out = await commit(p, []);
      return out as SchemaVersionRow;
    },
    commitSchemaVersionIfKindsEmpty: async (p: CommitSchemaVersionParams, kinds: readonly Readonly<{ entity: "node" | "edge"; kind: string }>[]) => {
      const out = await commit(p, kinds);
      if ("status" in out) return Object.freeze({ status: "populated" as const, kinds: out.kinds });
      return Object.freeze({ status: "committed" as const, row: out });
    },
    setActiveVersion: async (p: SetActiveVersionParams) => {
      const expected = expectedOf(p.expected) ?? 0;
      if (!Number.isSafeInteger(p.version) || p.version < 1) {
        throw new ValidationError("version must be a positive integer", { issues: [{ path: "version", message: "expected a positive integer" }] });
      }
      await bootstrap();
      const handle = await handleOf(checkId(p.graphId, "graphId"));
      await call(handle, "setActiveSchema", { graphId: p.graphId, expected, version: p.version });
    },
    getActiveSchema: readActive,
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

export type CountNodesByKindParams = Readonly<{
  graphId: string;
  kind: string;
  /** Leave out soft-deleted rows (default true). */
  excludeDeleted?: boolean;
  temporalMode?: "current" | "asOf" | "includeEnded" | "includeTombstones";
  asOf?: string;
}>;

export type CountEdgesByKindParams = CountNodesByKindParams &
  Readonly<{ fromKind?: string; fromId?: string; toKind?: string; toId?: string }>;

/** Row counts of one kind by graph id, declared or not (upstream's port shapes). */
export interface BackendKindCounts {
  readonly countNodesByKind: (params: CountNodesByKindParams) => Promise<number>;
  readonly countEdgesByKind: (params: CountEdgesByKindParams) => Promise<number>;
}

export function backendKindCounts(
  handleOf: (graphId: string) => number | Promise<number>,
  call: (handle: number, op: string, args: unknown) => Promise<unknown>,
): BackendKindCounts {
  const count = async (entity: "node" | "edge", p: CountEdgesByKindParams): Promise<number> => {
    const handle = await handleOf(checkId(p.graphId, "graphId"));
    const { graphId: _graph, ...rest } = p;
    return Number(await call(handle, "countKindRows", { ...rest, entity, kind: checkId(p.kind, "kind") }));
  };
  return Object.freeze({
    countNodesByKind: (p: CountNodesByKindParams) => count("node", p),
    countEdgesByKind: (p: CountEdgesByKindParams) => count("edge", p),
  });
}
