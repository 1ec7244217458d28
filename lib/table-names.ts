// Physical table names: the defaults, the keys `createSqliteTables` / `createPostgresTables`
// accept, and the map a backend hands the engine (`tables` option of the backend factories).
import { ConfigurationError } from "./errors.js";
import { SYSTEM_INDEX_DECLARATIONS, systemIndexName, type SystemIndexTable } from "./indexes.js";

/** Every TypeGraph relation by its logical key (the same keys on both dialects). */
export type TypeGraphTableNames = Readonly<{
  nodes: string;
  edges: string;
  recordedNodes: string;
  recordedEdges: string;
  recordedClock: string;
  revisionOrigins: string;
  identityAssertions: string;
  recordedIdentityAssertions: string;
  identityClosure: string;
  identitySeparation: string;
  uniques: string;
  edgeClaims: string;
  schemaVersions: string;
  fulltext: string;
  indexMaterializations: string;
  contributionMaterializations: string;
  kindRemovals: string;
  reconciliationMarkers: string;
}>;

export const DEFAULT_TABLE_NAMES: TypeGraphTableNames = Object.freeze({
  nodes: "typegraph_nodes",
  edges: "typegraph_edges",
  recordedNodes: "typegraph_recorded_nodes",
  recordedEdges: "typegraph_recorded_edges",
  recordedClock: "typegraph_recorded_clock",
  revisionOrigins: "typegraph_revision_origins",
  identityAssertions: "typegraph_identity_assertions",
  recordedIdentityAssertions: "typegraph_recorded_identity_assertions",
  identityClosure: "typegraph_identity_closure",
  identitySeparation: "typegraph_identity_separation",
  uniques: "typegraph_node_uniques",
  edgeClaims: "typegraph_edge_claims",
  schemaVersions: "typegraph_schema_versions",
  fulltext: "typegraph_node_fulltext",
  indexMaterializations: "typegraph_index_materializations",
  contributionMaterializations: "typegraph_contribution_materializations",
  kindRemovals: "typegraph_kind_removals",
  reconciliationMarkers: "typegraph_reconciliation_markers",
});

const KEYS = Object.keys(DEFAULT_TABLE_NAMES) as (keyof TypeGraphTableNames)[];

/** Defaults patched with `names` (keys checked, names non-empty strings). */
export function resolveTableNames(names: Partial<Record<string, string | undefined>> = {}): TypeGraphTableNames {
  if (names === null || typeof names !== "object") {
    throw new ConfigurationError("Table names must be an object of logical key → table name.", { code: "INVALID_TABLE_NAMES" });
  }
  const out: Record<string, string> = { ...DEFAULT_TABLE_NAMES };
  for (const [key, name] of Object.entries(names)) {
    if (name === undefined) continue;
    if (!(KEYS as string[]).includes(key)) {
      throw new ConfigurationError(`Unknown TypeGraph table key "${key}"; expected one of ${KEYS.join(", ")}.`, { code: "INVALID_TABLE_NAMES", key });
    }
    if (typeof name !== "string" || name.length === 0) {
      throw new ConfigurationError(`Table name for "${key}" must be a non-empty string.`, { code: "INVALID_TABLE_NAMES", key });
    }
    out[key] = name;
  }
  const seen = new Map<string, string>();
  for (const key of KEYS) {
    const other = seen.get(out[key]);
    if (other !== undefined) {
      throw new ConfigurationError(`Tables "${other}" and "${key}" are both named "${out[key]}".`, { code: "INVALID_TABLE_NAMES", key });
    }
    seen.set(out[key], key);
  }
  return Object.freeze(out) as TypeGraphTableNames;
}

const DRIZZLE_NAME = Symbol.for("drizzle:Name");

/**
 * The physical names of a `createSqliteTables()` / `createPostgresTables()` result (or any object
 * of Drizzle tables under the same keys, plus `fulltextTableName`). Keys it lacks keep their defaults.
 */
export function tableNamesOfTables(tables: unknown): TypeGraphTableNames {
  if (tables === null || typeof tables !== "object") {
    throw new ConfigurationError("The `tables` option takes the result of createSqliteTables() / createPostgresTables().", { code: "INVALID_TABLE_NAMES" });
  }
  const t = tables as Record<string, unknown>;
  const names: Record<string, string> = {};
  for (const key of KEYS) {
    const table = t[key];
    if (table === undefined) continue;
    const name = table !== null && typeof table === "object" ? (table as Record<symbol, unknown>)[DRIZZLE_NAME] : undefined;
    if (typeof name !== "string") {
      throw new ConfigurationError(`tables.${key} is not a Drizzle table definition.`, { code: "INVALID_TABLE_NAMES", key });
    }
    names[key] = name;
  }
  if (typeof t.fulltextTableName === "string") names.fulltext = t.fulltextTableName;
  return resolveTableNames(names);
}

/** The overrides the engine takes: only keys whose name differs from the default (undefined: none). */
export function engineTableNames(names: TypeGraphTableNames): string | undefined {
  const diff: Record<string, string> = {};
  for (const key of KEYS) if (names[key] !== DEFAULT_TABLE_NAMES[key]) diff[key] = names[key];
  return Object.keys(diff).length === 0 ? undefined : JSON.stringify(diff);
}

/** System index names for these table names (declared indexes may not take them). */
export function reservedIndexNames(names: TypeGraphTableNames): Set<string> {
  return new Set(SYSTEM_INDEX_DECLARATIONS.map((d) => systemIndexName(names[d.table as SystemIndexTable], d.suffix)));
}

/** Refuses declared indexes named like one of the system indexes of these tables. */
export function assertNoReservedIndexName(indexes: readonly { name: string }[], names: TypeGraphTableNames): void {
  if (indexes.length === 0) return;
  const reserved = reservedIndexNames(names);
  for (const index of indexes) {
    if (reserved.has(index.name)) {
      throw new ConfigurationError(
        `Index name "${index.name}" is the name of a TypeGraph system index on these tables; rename the declaration (CREATE INDEX IF NOT EXISTS would otherwise keep the system index and skip the declared one).`,
        { code: "INDEX_NAME_RESERVED", indexName: index.name },
      );
    }
  }
}

/** Where `createSqliteTables` / `createPostgresTables` keep the declared indexes they were given. */
export const DECLARED_INDEXES: unique symbol = Symbol("typegraph.declaredIndexes");

/** The declared indexes a tables object was created with (none for other objects). */
export function declaredIndexesOf(tables: unknown): readonly import("./indexes.js").IndexDeclaration[] {
  if (tables === null || typeof tables !== "object") return [];
  const v = (tables as Record<symbol, unknown>)[DECLARED_INDEXES];
  return Array.isArray(v) ? v : [];
}
