// createPostgresBackend(drizzle(pool), { tables }) with custom table names, the Drizzle table
// definitions of `./postgres` against the engine's DDL, and the refusal of a Drizzle transaction.
import { count, eq, getTableName } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { getTableConfig } from "drizzle-orm/pg-core";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigurationError, createStoreWithSchema, defineEdge, defineGraph, defineNode, searchable } from "../dist/index.js";
import { defineNodeIndex } from "../dist/indexes-entry.js";
import * as pgEntry from "../dist/postgres.js";
import { createPostgresBackend, createPostgresTables, generatePostgresDDL, generatePostgresMigrationSQL, tables } from "../dist/postgres.js";
import { freshGraphId } from "./backends.js";

const url = process.env.DATABASE_URL;
if (process.env.CI && !url) throw new Error("CI requires DATABASE_URL");

const Person = defineNode("Person", { schema: z.object({ name: searchable(), email: z.string(), age: z.number().optional() }) });
const Company = defineNode("Company", { schema: z.object({ name: z.string() }) });
const worksAt = defineEdge("worksAt", { schema: z.object({ role: z.string() }) });
const personEmail = defineNodeIndex(Person, { fields: ["email"] });

function graphOf(id: string) {
  return defineGraph({
    id,
    nodes: { Person: { type: Person, unique: [{ name: "person_email", fields: ["email"] }] }, Company: { type: Company } },
    edges: { worksAt: { type: worksAt, from: [Person], to: [Company] } },
    indexes: [personEmail],
  });
}

describe("Drizzle PostgreSQL table definitions (no server needed)", () => {
  it("are exported under the default names", () => {
    expect(getTableName(pgEntry.nodes)).toBe("typegraph_nodes");
    expect(getTableName(pgEntry.edges)).toBe("typegraph_edges");
    expect(getTableName(pgEntry.uniques)).toBe("typegraph_node_uniques");
    expect(getTableName(pgEntry.edgeClaims)).toBe("typegraph_edge_claims");
    expect(getTableName(pgEntry.schemaVersions)).toBe("typegraph_schema_versions");
    expect(getTableName(pgEntry.recordedNodes)).toBe("typegraph_recorded_nodes");
    expect(getTableName(pgEntry.recordedEdges)).toBe("typegraph_recorded_edges");
    expect(getTableName(pgEntry.recordedClock)).toBe("typegraph_recorded_clock");
    expect(getTableName(pgEntry.fulltext)).toBe("typegraph_node_fulltext");
    expect(getTableName(tables.identityAssertions)).toBe("typegraph_identity_assertions");
  });

  it("derive index names from custom table names; the DDL names them too", () => {
    const custom = createPostgresTables({ nodes: "crm_nodes", fulltext: "crm_fulltext" }, { indexes: [personEmail] });
    const names = getTableConfig(custom.nodes).indexes.map((i) => i.config.name);
    expect(names).toContain("crm_nodes_kind_idx");
    expect(names).toContain(personEmail.name);
    expect(getTableConfig(custom.fulltext).indexes.map((i) => i.config.name).sort()).toEqual(["crm_fulltext_kind_idx", "crm_fulltext_tsv_idx"]);
    const ddl = generatePostgresDDL(custom);
    expect(ddl.some((s) => s.startsWith('CREATE TABLE IF NOT EXISTS "crm_nodes"'))).toBe(true);
    expect(ddl.some((s) => s.includes(`"${personEmail.name}" ON "crm_nodes"`))).toBe(true);
    expect(generatePostgresMigrationSQL(custom).startsWith(generatePostgresMigrationSQL().split("\n\n")[0]!)).toBe(true);
    expect(() => createPostgresTables({ nodes: "x", edges: "x" })).toThrow(ConfigurationError);
  });

  it("refuses a Drizzle transaction object", async () => {
    const pool = new pg.Pool({ connectionString: url ?? "postgres://nobody@127.0.0.1:1/none", max: 1 });
    try {
      // A transaction-shaped object as drizzle hands it to `db.transaction(cb)`.
      const db = drizzle(pool);
      const txLike = Object.assign(Object.create(Object.getPrototypeOf(db)), { rollback: () => undefined, nestedIndex: 0 });
      let error: unknown;
      try {
        createPostgresBackend(txLike);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).details).toMatchObject({ code: "DRIZZLE_TRANSACTION_UNSUPPORTED" });
    } finally {
      await pool.end();
    }
  });
});

describe.each(url ? [url] : [])("custom table names end to end on PostgreSQL (%s)", (url) => {
  const prefix = `tgdrz_${process.pid}_${Date.now().toString(36)}`;
  const custom = createPostgresTables(
    {
      nodes: `${prefix}_nodes`,
      edges: `${prefix}_edges`,
      uniques: `${prefix}_uniques`,
      edgeClaims: `${prefix}_edge_claims`,
      schemaVersions: `${prefix}_schema_versions`,
      fulltext: `${prefix}_fulltext`,
      indexMaterializations: `${prefix}_index_mat`,
    },
    { indexes: [personEmail] },
  );
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const db = drizzle(pool);

  afterAll(async () => {
    for (const key of ["nodes", "edges", "uniques", "edgeClaims", "schemaVersions", "fulltext", "indexMaterializations"] as const) {
      await pool.query(`DROP TABLE IF EXISTS "${getTableName(custom[key])}" CASCADE`);
    }
    await pool.end();
  });

  it("creates, queries, searches and materializes indexes on the named tables", async () => {
    const backend = createPostgresBackend(db, { tables: custom });
    try {
      expect(backend.tableNames.nodes).toBe(`${prefix}_nodes`);
      const graphId = freshGraphId("drz_pg_custom");
      const [store] = await createStoreWithSchema(graphOf(graphId), backend);
      const alice = await store.nodes.Person.create({ name: "Alice Liddell", email: "alice@example.com", age: 30 });
      const bob = await store.nodes.Person.create({ name: "Bob Builder", email: "bob@example.com", age: 40 });
      const acme = await store.nodes.Company.create({ name: "Acme" });
      await store.edges.worksAt.create(alice, acme, { role: "Engineer" });
      await store.edges.worksAt.create(bob, acme, { role: "Builder" });
      await expect(store.nodes.Person.create({ name: "Alice Again", email: "alice@example.com" })).rejects.toThrow();

      const older = await store
        .query()
        .from("Person", "p")
        .whereNode("p", (p) => p.age.gt(35))
        .traverse("worksAt", "w")
        .to("Company", "c")
        .select((ctx) => ({ name: ctx.p.name, company: ctx.c.name }))
        .execute();
      expect(older).toEqual([{ name: "Bob Builder", company: "Acme" }]);
      const hits = await store.search.fulltext("Person", { query: "liddell", limit: 5 });
      expect(hits.map((h) => h.node.id)).toEqual([alice.id]);

      const materialized = await store.materializeIndexes();
      expect(materialized.results.find((r) => r.indexName === personEmail.name)?.status).toBe("created");

      // The application reads the rows through the same Drizzle definitions.
      const rows = await db.select({ kind: custom.nodes.kind }).from(custom.nodes).where(eq(custom.nodes.graphId, graphId));
      expect(rows.map((r) => r.kind).sort()).toEqual(["Company", "Person", "Person"]);
      const [edgeCount] = await db.select({ n: count() }).from(custom.edges).where(eq(custom.edges.graphId, graphId));
      expect(edgeCount!.n).toBe(2);
      const [uniqueCount] = await db.select({ n: count() }).from(custom.uniques).where(eq(custom.uniques.graphId, graphId));
      expect(uniqueCount!.n).toBe(2);
      const versions = await db.select({ v: custom.schemaVersions.version, active: custom.schemaVersions.isActive }).from(custom.schemaVersions).where(eq(custom.schemaVersions.graphId, graphId));
      expect(versions).toEqual([{ v: 1, active: true }]);
      const idx = await pool.query("SELECT indexname FROM pg_indexes WHERE tablename = $1", [`${prefix}_nodes`]);
      expect(idx.rows.map((r: { indexname: string }) => r.indexname)).toContain(personEmail.name);
      // Nothing of this graph reached the default-named tables.
      const stray = await pool.query("SELECT count(*)::int AS n FROM typegraph_nodes WHERE graph_id = $1", [graphId]).catch(() => ({ rows: [{ n: 0 }] }));
      expect(stray.rows[0].n).toBe(0);
      expect((await store.nodes.Person.getById(bob.id))?.email).toBe("bob@example.com");
    } finally {
      await backend.close();
    }
  });

  it("refuses the transaction object of db.transaction() and leaves the transaction usable", async () => {
    const outcome = await db.transaction(async (tx) => {
      let error: unknown;
      try {
        createPostgresBackend(tx);
      } catch (e) {
        error = e;
      }
      const [row] = await tx.select({ n: count() }).from(custom.nodes);
      return { error, n: row!.n };
    });
    expect(outcome.error).toBeInstanceOf(ConfigurationError);
    expect((outcome.error as ConfigurationError).details).toMatchObject({ code: "DRIZZLE_TRANSACTION_UNSUPPORTED" });
    expect(typeof outcome.n).toBe("number");
  });

  it("the Drizzle definitions match the engine's tables column for column", async () => {
    const backend = createPostgresBackend(db, { tables: custom });
    try {
      await createStoreWithSchema(graphOf(freshGraphId("drz_pg_cols")), backend);
    } finally {
      await backend.close();
    }
    for (const key of ["nodes", "edges", "uniques", "edgeClaims", "schemaVersions", "fulltext", "indexMaterializations"] as const) {
      const config = getTableConfig(custom[key]);
      const live = await pool.query(
        `SELECT column_name, is_nullable, column_default, format_type(a.atttypid, a.atttypmod) AS type
           FROM information_schema.columns c JOIN pg_attribute a ON a.attrelid = (quote_ident(c.table_name))::regclass AND a.attname = c.column_name
          WHERE c.table_name = $1 AND c.table_schema = current_schema() ORDER BY c.ordinal_position`,
        [config.name],
      );
      const cols = live.rows as { column_name: string; is_nullable: string; column_default: string | null; type: string }[];
      expect(cols.map((c) => c.column_name), key).toEqual(config.columns.map((c) => c.name));
      for (const col of config.columns) {
        const row = cols.find((c) => c.column_name === col.name)!;
        expect(row.is_nullable === "NO", `${key}.${col.name} not null`).toBe(col.notNull);
        expect(row.type, `${key}.${col.name} type`).toBe(col.getSQLType());
        expect(row.column_default !== null, `${key}.${col.name} default`).toBe(col.hasDefault);
      }
      const pk = await pool.query(
        `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = (quote_ident($1))::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
        [config.name],
      );
      expect(pk.rows.map((r: { attname: string }) => r.attname), `${key} pk`).toEqual(config.primaryKeys[0]!.columns.map((c) => c.name));
      const idx = await pool.query("SELECT indexname FROM pg_indexes WHERE tablename = $1 AND indexname NOT LIKE '%_pkey'", [config.name]);
      const liveNames = idx.rows.map((r: { indexname: string }) => r.indexname);
      // Declared indexes appear once materializeIndexes() ran (the test above); system ones always.
      const expected = config.indexes.map((i) => i.config.name!).filter((n) => n !== personEmail.name || liveNames.includes(n));
      expect(liveNames.sort(), `${key} indexes`).toEqual(expected.sort());
    }
  });
});
