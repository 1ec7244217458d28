// Drizzle table definitions of TypeGraph's PostgreSQL relations (`createPostgresTables`, `tables`),
// column for column the tables the engine creates, so drizzle-kit can own the migrations.
// drizzle-orm is an optional peer: without it this module still loads, `tables` and the
// per-table constants are undefined and `createPostgresTables()` throws a ConfigurationError.
import { ConfigurationError } from "./errors.js";
import { relationalIndexKeys, SYSTEM_INDEX_DECLARATIONS, systemIndexName, type IndexDeclaration, type RelationalIndexDeclaration, type SystemIndexTable } from "./indexes.js";
import { assertNoReservedIndexName, DECLARED_INDEXES, resolveTableNames, type TypeGraphTableNames } from "./table-names.js";

type PgCore = typeof import("drizzle-orm/pg-core");
type DrizzleOrm = typeof import("drizzle-orm");

let core: PgCore | undefined;
let orm: DrizzleOrm | undefined;
try {
  core = await import("drizzle-orm/pg-core");
  orm = await import("drizzle-orm");
} catch (error) {
  // Only an absent drizzle-orm is tolerated; a broken install surfaces as it is.
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") throw error;
  core = undefined;
  orm = undefined;
}

/** Custom names for the PostgreSQL relations, by logical key. */
export type PostgresTableNames = TypeGraphTableNames;

export type CreatePostgresTablesOptions = Readonly<{
  /** Declared node/edge indexes to add to the tables (drizzle-kit migrations then create them). */
  indexes?: readonly IndexDeclaration[] | undefined;
}>;

function drizzle(): { c: PgCore; o: DrizzleOrm } {
  if (!core || !orm) {
    throw new ConfigurationError("createPostgresTables needs drizzle-orm, which is not installed (npm install drizzle-orm).", { code: "DRIZZLE_ORM_MISSING" });
  }
  return { c: core, o: orm };
}

/** Drizzle index builders for a table's system indexes and the declared indexes on it. */
function indexBuilders(
  c: PgCore,
  o: DrizzleOrm,
  cols: Record<string, import("drizzle-orm/pg-core").PgColumn>,
  table: SystemIndexTable,
  physical: string,
  declared: readonly IndexDeclaration[],
  entity: "node" | "edge" | undefined,
) {
  const byName = new Map(Object.values(cols).map((col) => [col.name, col]));
  const out = SYSTEM_INDEX_DECLARATIONS.filter((d) => d.table === table).map((d) => {
    const [first, ...rest] = d.columns.map((col) => byName.get(col) ?? o.sql.raw(`"${col}"`));
    return c.index(systemIndexName(physical, d.suffix)).on(first, ...rest);
  });
  if (entity === undefined) return out;
  for (const d of declared) {
    // GIN/trigram methods are built by materializeIndexes() only; vector indexes live in their own tables.
    if (d.entity !== entity || (d as RelationalIndexDeclaration).method !== undefined) continue;
    const { keys, where } = relationalIndexKeys(d as RelationalIndexDeclaration, "postgres");
    // System columns stay column references (drizzle-kit records them as columns); fields are expressions.
    const [first, ...rest] = keys.map((k) => byName.get(/^"([a-z_]+)"$/.exec(k)?.[1] ?? "") ?? o.sql.raw(k));
    const builder = (d.unique ? c.uniqueIndex(d.name) : c.index(d.name)).on(first, ...rest);
    if (where !== undefined) builder.where(o.sql.raw(where));
    out.push(builder);
  }
  return out;
}

/**
 * Drizzle definitions of every TypeGraph PostgreSQL table, names patched with `names` (index and
 * constraint names follow the table names). Pass the result to `createPostgresBackend(db, { tables })`.
 */
export function createPostgresTables(names: Partial<PostgresTableNames> = {}, options: CreatePostgresTablesOptions = {}) {
  const { c, o } = drizzle();
  const n = resolveTableNames(names);
  const declared = options.indexes ?? [];
  assertNoReservedIndexName(
    declared.filter((d) => d.entity !== "vector"),
    n,
  );
  const { pgTable, text, integer, bigint, boolean, jsonb, timestamp, primaryKey, index, uniqueIndex, check, customType } = c;
  const sql = o.sql;

  const nodes = pgTable(
    n.nodes,
    {
      graphId: text("graph_id").notNull(),
      kind: text("kind").notNull(),
      id: text("id").notNull(),
      props: jsonb("props").notNull(),
      version: integer("version").notNull().default(1),
      validFrom: timestamp("valid_from", { withTimezone: true }),
      validTo: timestamp("valid_to", { withTimezone: true }),
      createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
      updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
      deletedAt: timestamp("deleted_at", { withTimezone: true }),
    },
    (t) => [primaryKey({ columns: [t.graphId, t.kind, t.id] }), ...indexBuilders(c, o, t, "nodes", n.nodes, declared, "node")],
  );

  const edges = pgTable(
    n.edges,
    {
      graphId: text("graph_id").notNull(),
      id: text("id").notNull(),
      kind: text("kind").notNull(),
      fromKind: text("from_kind").notNull(),
      fromId: text("from_id").notNull(),
      toKind: text("to_kind").notNull(),
      toId: text("to_id").notNull(),
      props: jsonb("props").notNull(),
      validFrom: timestamp("valid_from", { withTimezone: true }),
      validTo: timestamp("valid_to", { withTimezone: true }),
      createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
      updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
      deletedAt: timestamp("deleted_at", { withTimezone: true }),
    },
    (t) => [primaryKey({ columns: [t.graphId, t.id] }), ...indexBuilders(c, o, t, "edges", n.edges, declared, "edge")],
  );

  const recordedNodes = pgTable(
    n.recordedNodes,
    {
      historyId: text("history_id").notNull(),
      graphId: text("graph_id").notNull(),
      kind: text("kind").notNull(),
      id: text("id").notNull(),
      props: jsonb("props").notNull(),
      version: integer("version").notNull(),
      validFrom: timestamp("valid_from", { withTimezone: true }),
      validTo: timestamp("valid_to", { withTimezone: true }),
      createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
      updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
      deletedAt: timestamp("deleted_at", { withTimezone: true }),
      recordedFrom: bigint("recorded_from", { mode: "number" }).notNull(),
      recordedTo: bigint("recorded_to", { mode: "number" }).notNull(),
      op: text("op").notNull(),
      schemaVersion: integer("schema_version"),
      txId: text("tx_id"),
      meta: jsonb("meta"),
    },
    (t) => [primaryKey({ columns: [t.historyId] }), ...indexBuilders(c, o, t, "recordedNodes", n.recordedNodes, declared, undefined)],
  );

  const recordedEdges = pgTable(
    n.recordedEdges,
    {
      historyId: text("history_id").notNull(),
      graphId: text("graph_id").notNull(),
      id: text("id").notNull(),
      kind: text("kind").notNull(),
      fromKind: text("from_kind").notNull(),
      fromId: text("from_id").notNull(),
      toKind: text("to_kind").notNull(),
      toId: text("to_id").notNull(),
      props: jsonb("props").notNull(),
      validFrom: timestamp("valid_from", { withTimezone: true }),
      validTo: timestamp("valid_to", { withTimezone: true }),
      createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
      updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
      deletedAt: timestamp("deleted_at", { withTimezone: true }),
      recordedFrom: bigint("recorded_from", { mode: "number" }).notNull(),
      recordedTo: bigint("recorded_to", { mode: "number" }).notNull(),
      op: text("op").notNull(),
      schemaVersion: integer("schema_version"),
      txId: text("tx_id"),
      meta: jsonb("meta"),
    },
    (t) => [primaryKey({ columns: [t.historyId] }), ...indexBuilders(c, o, t, "recordedEdges", n.recordedEdges, declared, undefined)],
  );

  const recordedClock = pgTable(
    n.recordedClock,
    { graphId: text("graph_id").notNull(), revision: bigint("revision", { mode: "number" }).notNull(), recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull() },
    (t) => [primaryKey({ columns: [t.graphId] })],
  );

  const revisionOrigins = pgTable(n.revisionOrigins, { graphId: text("graph_id").notNull(), origin: text("origin").notNull() }, (t) => [
    primaryKey({ columns: [t.graphId] }),
  ]);

  const identityColumns = () => ({
    graphId: text("graph_id").notNull(),
    id: text("id").notNull(),
    relation: text("rel").notNull(),
    aKind: text("a_kind").notNull(),
    aId: text("a_id").notNull(),
    bKind: text("b_kind").notNull(),
    bId: text("b_id").notNull(),
    validFrom: timestamp("valid_from", { withTimezone: true }).notNull(),
    validTo: timestamp("valid_to", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
    endedByKind: text("ended_by_kind"),
    endedById: text("ended_by_id"),
  });

  // An ended assertion may name the endpoint whose deletion ended it; the pair is set together.
  const identityAssertions = pgTable(n.identityAssertions, identityColumns(), (t) => [
    primaryKey({ columns: [t.graphId, t.id] }),
    index(`${n.identityAssertions}_a_idx`).on(t.graphId, t.aKind, t.aId, t.validTo),
    index(`${n.identityAssertions}_b_idx`).on(t.graphId, t.bKind, t.bId, t.validTo),
    uniqueIndex(`${n.identityAssertions}_current_pair_idx`)
      .on(t.graphId, t.relation, t.aKind, t.aId, t.bKind, t.bId)
      .where(sql.raw(`"valid_to" IS NULL`)),
    check(
      `${n.identityAssertions}_ended_by_check`,
      sql.raw(
        "(ended_by_kind IS NULL) = (ended_by_id IS NULL) AND (ended_by_kind IS NULL OR (valid_to IS NOT NULL AND ((ended_by_kind = a_kind AND ended_by_id = a_id) OR (ended_by_kind = b_kind AND ended_by_id = b_id))))",
      ),
    ),
  ]);

  const recordedIdentityAssertions = pgTable(
    n.recordedIdentityAssertions,
    {
      historyId: text("history_id").notNull(),
      ...identityColumns(),
      recordedFrom: bigint("recorded_from", { mode: "number" }).notNull(),
      recordedTo: bigint("recorded_to", { mode: "number" }).notNull(),
      op: text("op").notNull(),
      schemaVersion: integer("schema_version"),
      txId: text("tx_id"),
      meta: jsonb("meta"),
    },
    (t) => [
      primaryKey({ columns: [t.historyId] }),
      index(`${n.recordedIdentityAssertions}_entity_idx`).on(t.graphId, t.id, t.recordedFrom, t.recordedTo),
      index(`${n.recordedIdentityAssertions}_a_idx`).on(t.graphId, t.aKind, t.aId, t.recordedFrom, t.recordedTo),
      index(`${n.recordedIdentityAssertions}_b_idx`).on(t.graphId, t.bKind, t.bId, t.recordedFrom, t.recordedTo),
    ],
  );

  const identityClosure = pgTable(
    n.identityClosure,
    {
      graphId: text("graph_id").notNull(),
      memberKind: text("member_kind").notNull(),
      memberId: text("member_id").notNull(),
      classKind: text("class_kind").notNull(),
      classId: text("class_id").notNull(),
    },
    (t) => [primaryKey({ columns: [t.graphId, t.memberKind, t.memberId] }), index(`${n.identityClosure}_class_idx`).on(t.graphId, t.classKind, t.classId)],
  );

  const identitySeparation = pgTable(
    n.identitySeparation,
    { graphId: text("graph_id").notNull(), classKeyLow: text("class_key_low").notNull(), classKeyHigh: text("class_key_high").notNull() },
    (t) => [
      primaryKey({ columns: [t.graphId, t.classKeyLow, t.classKeyHigh] }),
      index(`${n.identitySeparation}_high_idx`).on(t.graphId, t.classKeyHigh),
      check(`${n.identitySeparation}_ordered_pair_check`, sql.raw('class_key_low COLLATE "C" < class_key_high COLLATE "C"')),
    ],
  );

  const uniques = pgTable(
    n.uniques,
    {
      graphId: text("graph_id").notNull(),
      nodeKind: text("node_kind").notNull(),
      constraintName: text("constraint_name").notNull(),
      key: text("key").notNull(),
      nodeId: text("node_id").notNull(),
      concreteKind: text("concrete_kind").notNull(),
      deletedAt: timestamp("deleted_at", { withTimezone: true }),
    },
    (t) => [primaryKey({ columns: [t.graphId, t.nodeKind, t.constraintName, t.key] }), index(`${n.uniques}_node_idx`).on(t.graphId, t.concreteKind, t.nodeId)],
  );

  const edgeClaims = pgTable(
    n.edgeClaims,
    {
      graphId: text("graph_id").notNull(),
      axis: text("axis").notNull(),
      key: text("key").notNull(),
      edgeId: text("edge_id").notNull(),
      updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
    },
    (t) => [primaryKey({ columns: [t.graphId, t.axis, t.key] }), index(`${n.edgeClaims}_edge_idx`).on(t.graphId, t.edgeId)],
  );

  const schemaVersions = pgTable(
    n.schemaVersions,
    {
      graphId: text("graph_id").notNull(),
      version: integer("version").notNull(),
      schemaHash: text("schema_hash").notNull(),
      schemaDoc: jsonb("schema_doc").notNull(),
      createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
      isActive: boolean("is_active").notNull().default(false),
    },
    (t) => [
      primaryKey({ columns: [t.graphId, t.version] }),
      index(`${n.schemaVersions}_active_idx`).on(t.graphId, t.isActive),
      // At most one active version per graph, held by the storage itself.
      uniqueIndex(`${n.schemaVersions}_one_active_per_graph_idx`).on(t.graphId).where(sql.raw(`"is_active" = TRUE`)),
    ],
  );

  const indexMaterializations = pgTable(
    n.indexMaterializations,
    {
      indexName: text("index_name").notNull(),
      graphId: text("graph_id").notNull(),
      entity: text("entity").notNull(),
      kind: text("kind").notNull(),
      signature: text("signature").notNull(),
      schemaVersion: integer("schema_version").notNull(),
      materializedAt: timestamp("materialized_at", { withTimezone: true }),
      lastAttemptedAt: timestamp("last_attempted_at", { withTimezone: true }).notNull(),
      lastError: text("last_error"),
      buildingSince: timestamp("building_since", { withTimezone: true }),
      claimToken: text("claim_token"),
    },
    (t) => [primaryKey({ columns: [t.indexName] })],
  );

  const contributionMaterializations = pgTable(
    n.contributionMaterializations,
    {
      graphId: text("graph_id").notNull(),
      logicalName: text("logical_name").notNull(),
      owner: text("owner").notNull(),
      tableName: text("table_name").notNull(),
      signature: text("signature").notNull(),
      materializedAt: timestamp("materialized_at", { withTimezone: true }),
      lastAttemptedAt: timestamp("last_attempted_at", { withTimezone: true }).notNull(),
      lastError: text("last_error"),
    },
    (t) => [primaryKey({ columns: [t.graphId, t.logicalName, t.owner, t.tableName] })],
  );

  const kindRemovals = pgTable(
    n.kindRemovals,
    {
      graphId: text("graph_id").notNull(),
      kindName: text("kind_name").notNull(),
      entity: text("entity").notNull(),
      schemaVersion: integer("schema_version").notNull(),
      removedAt: timestamp("removed_at", { withTimezone: true }),
      lastAttemptedAt: timestamp("last_attempted_at", { withTimezone: true }).notNull(),
      lastError: text("last_error"),
    },
    (t) => [primaryKey({ columns: [t.graphId, t.kindName, t.entity, t.schemaVersion] })],
  );

  const reconciliationMarkers = pgTable(
    n.reconciliationMarkers,
    { graphId: text("graph_id").notNull(), reconciledToVersion: integer("reconciled_to_version").notNull() },
    (t) => [primaryKey({ columns: [t.graphId] })],
  );

  const regconfig = customType<{ data: string; driverData: string }>({ dataType: () => "regconfig" });
  const tsvector = customType<{ data: string; driverData: string }>({ dataType: () => "tsvector" });
  const fulltext = pgTable(
    n.fulltext,
    {
      graphId: text("graph_id").notNull(),
      nodeKind: text("node_kind").notNull(),
      nodeId: text("node_id").notNull(),
      content: text("content").notNull(),
      language: regconfig("language").notNull(),
      tsv: tsvector("tsv")
        .notNull()
        .generatedAlwaysAs(sql.raw(`to_tsvector("language", "content")`)),
      updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
    },
    (t) => [
      primaryKey({ columns: [t.graphId, t.nodeKind, t.nodeId] }),
      index(`${n.fulltext}_tsv_idx`).using("gin", t.tsv),
      index(`${n.fulltext}_kind_idx`).on(t.graphId, t.nodeKind),
    ],
  );

  const result = {
    nodes,
    edges,
    recordedNodes,
    recordedEdges,
    recordedClock,
    revisionOrigins,
    identityAssertions,
    recordedIdentityAssertions,
    identityClosure,
    identitySeparation,
    uniques,
    edgeClaims,
    schemaVersions,
    indexMaterializations,
    contributionMaterializations,
    kindRemovals,
    reconciliationMarkers,
    fulltext,
    fulltextTableName: n.fulltext,
  } as const;
  Object.defineProperty(result, DECLARED_INDEXES, { value: Object.freeze([...declared]) });
  return result;
}

export type PostgresTables = ReturnType<typeof createPostgresTables>;

/** The tables under their default names (undefined when drizzle-orm is not installed). */
export const tables: PostgresTables = (core ? createPostgresTables() : undefined) as PostgresTables;
export const nodes = tables?.nodes;
export const edges = tables?.edges;
export const recordedNodes = tables?.recordedNodes;
export const recordedEdges = tables?.recordedEdges;
export const recordedClock = tables?.recordedClock;
export const uniques = tables?.uniques;
export const edgeClaims = tables?.edgeClaims;
export const schemaVersions = tables?.schemaVersions;
export const fulltext = tables?.fulltext;
