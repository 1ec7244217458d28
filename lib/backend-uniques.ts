// Uniqueness claim rows on a backend object, in the shapes of upstream's `GraphBackend` port:
// `insertUnique`, `checkUnique`, `deleteUnique`, `hardDeleteUniquesByNodeIds`,
// `hardDeleteUniquesByConcreteKind`. Each is one engine call (`uniqueRows`) on the graph
// registered under `graphId`; rows are read and written as given (no key is computed here).
// The members are closures, so each works detached from its object.

import { ValidationError } from "./errors.js";

/** A claim row (upstream's `UniqueRow`): axis, constraint and key, owned by (concrete_kind, node_id). */
export type BackendUniqueRow = Readonly<{
  graph_id: string;
  node_kind: string;
  constraint_name: string;
  key: string;
  node_id: string;
  concrete_kind: string;
  deleted_at: string | undefined;
}>;

export type InsertUniqueParams = Readonly<{ graphId: string; nodeKind: string; constraintName: string; key: string; nodeId: string; concreteKind: string }>;
export type CheckUniqueParams = Readonly<{ graphId: string; nodeKind: string; constraintName: string; key: string; includeDeleted?: boolean }>;
/** Without `nodeKind`, the owner's claim of that constraint and key is released at every axis. */
export type DeleteUniqueParams = Readonly<{ graphId: string; nodeKind?: string; constraintName: string; key: string; concreteKind: string; nodeId: string }>;
export type HardDeleteUniquesByNodeIdsParams = Readonly<{ graphId: string; concreteKind: string; nodeIds: readonly string[] }>;
export type HardDeleteUniquesByConcreteKindParams = Readonly<{ graphId: string; concreteKind: string }>;

export interface BackendUniques {
  /** Claims the key for the owner (UniquenessError while another live owner holds it; a released claim is taken over). */
  readonly insertUnique: (params: InsertUniqueParams) => Promise<void>;
  readonly checkUnique: (params: CheckUniqueParams) => Promise<BackendUniqueRow | undefined>;
  /** Releases (soft-deletes) the owner's claim. */
  readonly deleteUnique: (params: DeleteUniqueParams) => Promise<void>;
  /** Removes every claim the given nodes own, at any axis. */
  readonly hardDeleteUniquesByNodeIds: (params: HardDeleteUniquesByNodeIdsParams) => Promise<void>;
  /** Removes every claim owned by nodes of one concrete kind, at any axis. */
  readonly hardDeleteUniquesByConcreteKind: (params: HardDeleteUniquesByConcreteKindParams) => Promise<void>;
}

function text(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new ValidationError(`${field} must be a non-empty string`, { issues: [{ path: field, message: "expected a non-empty string" }] });
  }
  return value;
}

/** `key` may be any string (an empty key is a key). */
function keyText(value: unknown): string {
  if (typeof value !== "string") throw new ValidationError("key must be a string", { issues: [{ path: "key", message: "expected a string" }] });
  return value;
}

export function backendUniques(
  handleOf: (graphId: string) => number | Promise<number>,
  call: (handle: number, op: string, args: unknown) => Promise<unknown>,
): BackendUniques {
  const run = async (graphId: string, args: Record<string, unknown>) => call(await handleOf(text(graphId, "graphId")), "uniqueRows", args);
  return Object.freeze({
    insertUnique: async (p: InsertUniqueParams) => {
      await run(p.graphId, {
        action: "insert",
        nodeKind: text(p.nodeKind, "nodeKind"),
        constraintName: text(p.constraintName, "constraintName"),
        key: keyText(p.key),
        nodeId: text(p.nodeId, "nodeId"),
        concreteKind: text(p.concreteKind, "concreteKind"),
      });
    },
    checkUnique: async (p: CheckUniqueParams) => {
      const row = (await run(p.graphId, {
        action: "check",
        nodeKind: text(p.nodeKind, "nodeKind"),
        constraintName: text(p.constraintName, "constraintName"),
        key: keyText(p.key),
        includeDeleted: p.includeDeleted === true,
      })) as (Omit<BackendUniqueRow, "deleted_at"> & { deleted_at: string | null }) | null;
      return row === null ? undefined : Object.freeze({ ...row, deleted_at: row.deleted_at ?? undefined });
    },
    deleteUnique: async (p: DeleteUniqueParams) => {
      await run(p.graphId, {
        action: "release",
        ...(p.nodeKind === undefined ? {} : { nodeKind: text(p.nodeKind, "nodeKind") }),
        constraintName: text(p.constraintName, "constraintName"),
        key: keyText(p.key),
        nodeId: text(p.nodeId, "nodeId"),
        concreteKind: text(p.concreteKind, "concreteKind"),
      });
    },
    hardDeleteUniquesByNodeIds: async (p: HardDeleteUniquesByNodeIdsParams) => {
      if (!Array.isArray(p.nodeIds)) throw new ValidationError("nodeIds must be an array", { issues: [{ path: "nodeIds", message: "expected an array" }] });
      if (p.nodeIds.length === 0) return;
      await run(p.graphId, { action: "dropByNodeIds", concreteKind: text(p.concreteKind, "concreteKind"), nodeIds: p.nodeIds.map((id, i) => text(id, `nodeIds[${i}]`)) });
    },
    hardDeleteUniquesByConcreteKind: async (p: HardDeleteUniquesByConcreteKindParams) => {
      await run(p.graphId, { action: "dropByConcreteKind", concreteKind: text(p.concreteKind, "concreteKind") });
    },
  });
}
