// `store.materializeSystemIndexes()`: TypeGraph's own btree indexes on its base relations
// (`SYSTEM_INDEX_DECLARATIONS`) as entries of the engine's `materializeIndexes` operation, so
// they share its status rows, drift signatures and PostgreSQL build protocol.

import { createHash } from "node:crypto";
import { SYSTEM_INDEX_DECLARATIONS, generateSystemIndexDDL, systemIndexName, type SystemIndexDeclaration, type SystemIndexTable } from "./indexes.js";

export interface MaterializeSystemIndexesOptions {
  /** Stop at the first failure (default: best effort over every index). */
  stopOnError?: boolean;
  /** Refresh planner statistics after an index was created (default true). */
  refreshStatistics?: boolean;
}

const DEFAULT_TABLES: Record<SystemIndexTable, string> = {
  nodes: "typegraph_nodes",
  edges: "typegraph_edges",
  recordedNodes: "typegraph_recorded_nodes",
  recordedEdges: "typegraph_recorded_edges",
};

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (32 hex digits) of `{ dialect, targetTableName, declaration }` with sorted keys. */
export function systemIndexSignature(dialect: "sqlite" | "postgres", targetTableName: string, declaration: SystemIndexDeclaration): string {
  const json = canonical({ dialect, targetTableName, declaration: { table: declaration.table, suffix: declaration.suffix, columns: [...declaration.columns] } });
  return createHash("sha256").update(json, "utf8").digest("hex").slice(0, 32);
}

/** One engine entry per system index, in declaration order. */
export function systemIndexEntries(dialect: "sqlite" | "postgres", tableNames: Partial<Record<SystemIndexTable, string>> = {}) {
  return SYSTEM_INDEX_DECLARATIONS.map((d) => {
    const table = tableNames[d.table] ?? DEFAULT_TABLES[d.table];
    const name = systemIndexName(table, d.suffix);
    return {
      name,
      statusKey: name,
      entity: "system",
      kind: d.table,
      signature: systemIndexSignature(dialect, table, d),
      action: { type: "system", table, sql: generateSystemIndexDDL(d, table, { concurrent: dialect === "postgres" }) },
    };
  });
}
