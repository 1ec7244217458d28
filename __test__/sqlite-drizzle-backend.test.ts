// createSqliteBackend over an application's own better-sqlite3 / Drizzle database, the Drizzle
// table definitions (`tables`, `createSqliteTables`) and custom table names end to end.
import Database from "better-sqlite3";
import { count, eq, getTableName, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { getTableConfig, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigurationError, createStoreWithSchema, defineEdge, defineGraph, defineNode, searchable } from "../dist/index.js";
import { defineNodeIndex } from "../dist/indexes-entry.js";
import { createLocalSqliteBackend } from "../dist/sqlite-local.js";
import * as sqliteEntry from "../dist/sqlite.js";
import { createSqliteBackend, createSqliteTables, generateSqliteDDL, generateSqliteMigrationSQL, tables } from "../dist/sqlite.js";
import * as adapterEntry from "typegraph-native/adapters/drizzle/sqlite";
import { freshGraphId } from "./backends.js";

const dir = mkdtempSync(join(tmpdir(), "tg-drizzle-sqlite-"));
let fileCounter = 0;
const freshFile = () => join(dir, `app-${++fileCounter}.db`);

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

// The application's own table, next to TypeGraph's.
const auditLog = sqliteTable("app_audit_log", { id: integer("id").primaryKey(), action: text("action").notNull() });

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});
function track<T extends { close(): unknown }>(c: T): T {
  open.push(c);
  return c;
}

describe("createSqliteBackend over the application's better-sqlite3 database", () => {
  it("shares the file with the application's own Drizzle queries, both ways", async () => {
    const file = freshFile();
    const sqlite = track(new Database(file));
    const db = drizzle(sqlite);
    sqlite.exec("CREATE TABLE app_audit_log (id INTEGER PRIMARY KEY, action TEXT NOT NULL)");

    const backend = track(createSqliteBackend(db, { tables }));
    const graphId = freshGraphId("drz_share");
    const [store] = await createStoreWithSchema(graphOf(graphId), backend);

    // TypeGraph writes nodes; the app reads them through the Drizzle table definitions.
    const alice = await store.nodes.Person.create({ name: "Alice", email: "alice@example.com" });
    const acme = await store.nodes.Company.create({ name: "Acme" });
    await store.edges.worksAt.create(alice, acme, { role: "Engineer" });
    const seen = db.select({ id: tables.nodes.id, kind: tables.nodes.kind, props: tables.nodes.props }).from(tables.nodes).where(eq(tables.nodes.graphId, graphId)).all();
    expect(seen.map((r) => r.kind).sort()).toEqual(["Company", "Person"]);
    expect(JSON.parse(seen.find((r) => r.kind === "Person")!.props)).toMatchObject({ name: "Alice" });
    const edgeRows = db.select().from(tables.edges).where(eq(tables.edges.graphId, graphId)).all();
    expect(edgeRows).toHaveLength(1);
    expect(edgeRows[0]).toMatchObject({ fromId: alice.id, toId: acme.id, kind: "worksAt" });

    // The app writes its own table; TypeGraph's connection sees the committed row.
    db.insert(auditLog).values({ action: "user_created" }).run();
    expect(backend.query("SELECT action FROM app_audit_log")).toEqual([["user_created"]]);

    // A TypeGraph transaction is invisible to the app until it commits.
    const people = () => db.select({ n: count() }).from(tables.nodes).where(eq(tables.nodes.graphId, graphId)).get()!.n;
    await store.transaction(async (tx) => {
      await tx.nodes.Person.create({ name: "Bob", email: "bob@example.com" });
      expect(people()).toBe(2);
    });
    expect(people()).toBe(3);

    // And TypeGraph queries see what the app wrote into TypeGraph's tables through the store itself.
    const names = await store
      .query()
      .from("Person", "p")
      .traverse("worksAt", "w")
      .to("Company", "c")
      .select((ctx) => ({ person: ctx.p.name, company: ctx.c.name, role: ctx.w.role }))
      .execute();
    expect(names).toEqual([{ person: "Alice", company: "Acme", role: "Engineer" }]);
    expect(sqlite.pragma("journal_mode", { simple: true })).toBe("wal");
  });

  it("takes a better-sqlite3 Database or a file path as well", async () => {
    const file = freshFile();
    const sqlite = track(new Database(file));
    const fromClient = track(createSqliteBackend(sqlite));
    const fromPath = track(createSqliteBackend(file));
    const graphId = freshGraphId("drz_inputs");
    const [a] = await createStoreWithSchema(graphOf(graphId), fromClient);
    const created = await a.nodes.Company.create({ name: "Initech" });
    const [b] = await createStoreWithSchema(graphOf(graphId), fromPath);
    expect((await b.nodes.Company.getById(created.id))?.name).toBe("Initech");
    expect(sqlite.prepare("SELECT count(*) AS n FROM typegraph_nodes WHERE graph_id = ?").get(graphId)).toEqual({ n: 1 });
  });

  it("gives an in-memory client a private in-memory engine database", async () => {
    const sqlite = track(new Database(":memory:"));
    const backend = track(createSqliteBackend(drizzle(sqlite)));
    const [store] = await createStoreWithSchema(graphOf(freshGraphId("drz_mem")), backend);
    const c = await store.nodes.Company.create({ name: "Hooli" });
    expect((await store.nodes.Company.getById(c.id))?.name).toBe("Hooli");
    // The application's connection has its own (empty) in-memory database.
    expect(sqlite.prepare("SELECT name FROM sqlite_master WHERE name = 'typegraph_nodes'").all()).toEqual([]);
    // A second backend from the same client reaches the same engine database; another client does not.
    const again = track(createSqliteBackend(drizzle(sqlite)));
    const [store2] = await createStoreWithSchema(graphOf(store.graphId), again);
    expect((await store2.nodes.Company.getById(c.id))?.name).toBe("Hooli");
    const other = track(createSqliteBackend(drizzle(track(new Database(":memory:")))));
    const [store3] = await createStoreWithSchema(graphOf(store.graphId), other);
    expect(await store3.nodes.Company.getById(c.id)).toBeUndefined();
  });

  it("refuses what it cannot serve, with ConfigurationError", async () => {
    const closed = new Database(freshFile());
    closed.close();
    const expectRefusal = (fn: () => unknown, code: string) => {
      let error: unknown;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).details).toMatchObject({ code });
    };
    expectRefusal(() => createSqliteBackend(drizzle(closed)), "SQLITE_DATABASE_CLOSED");
    expectRefusal(() => createSqliteBackend(closed), "SQLITE_DATABASE_CLOSED");

    const file = freshFile();
    track(new Database(file)).exec("CREATE TABLE t (x)");
    const ro = track(new Database(file, { readonly: true }));
    expectRefusal(() => createSqliteBackend(drizzle(ro)), "SQLITE_DATABASE_READONLY");

    // A Drizzle transaction: the engine cannot join it, so it refuses instead of losing atomicity.
    const db = drizzle(track(new Database(freshFile())));
    db.transaction((tx) => {
      expectRefusal(() => createSqliteBackend(tx), "DRIZZLE_TRANSACTION_UNSUPPORTED");
    });

    // Drivers without a file this process can open: a libSQL client, a D1 binding.
    const libsqlLike = { $client: { execute: async () => ({ rows: [] }), batch: async () => [], protocol: "http", closed: false } };
    expectRefusal(() => createSqliteBackend(libsqlLike), "UNSUPPORTED_SQLITE_DRIVER");
    const d1Like = { $client: { prepare: () => ({}), batch: async () => [], exec: async () => ({}) } };
    expectRefusal(() => createSqliteBackend(d1Like), "UNSUPPORTED_SQLITE_DRIVER");
    expectRefusal(() => createSqliteBackend(42 as unknown as string), "INVALID_SQLITE_INPUT");
    expectRefusal(() => createSqliteBackend(drizzle(track(new Database(freshFile()))), { fulltext: {} } as never), "UNSUPPORTED_SQLITE_OPTION");
    expectRefusal(
      () => createSqliteBackend(freshFile(), { executionProfile: { transactionMode: "bogus" as never } }),
      "INVALID_SQLITE_OPTIONS",
    );
    expectRefusal(() => createSqliteBackend(freshFile(), { tables: { nodes: {} } as never }), "INVALID_TABLE_NAMES");
  });

  it("a transactionMode hint still gives atomic store.transaction()", async () => {
    const backend = track(createSqliteBackend(drizzle(track(new Database(freshFile()))), { executionProfile: { transactionMode: "none" } }));
    const [store] = await createStoreWithSchema(graphOf(freshGraphId("drz_txmode")), backend);
    await expect(
      store.transaction(async (tx) => {
        await tx.nodes.Company.create({ name: "Gone" });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(await store.nodes.Company.find()).toEqual([]);
  });
});

describe("Drizzle table definitions", () => {
  it("are exported from ./sqlite and ./adapters/drizzle/sqlite", () => {
    for (const entry of [sqliteEntry, adapterEntry]) {
      expect(typeof entry.createSqliteBackend).toBe("function");
      expect(getTableName(entry.tables.nodes)).toBe("typegraph_nodes");
      expect(getTableName(entry.nodes)).toBe("typegraph_nodes");
      expect(getTableName(entry.edges)).toBe("typegraph_edges");
      expect(getTableName(entry.uniques)).toBe("typegraph_node_uniques");
      expect(getTableName(entry.edgeClaims)).toBe("typegraph_edge_claims");
      expect(getTableName(entry.schemaVersions)).toBe("typegraph_schema_versions");
      expect(getTableName(entry.recordedNodes)).toBe("typegraph_recorded_nodes");
      expect(getTableName(entry.recordedEdges)).toBe("typegraph_recorded_edges");
      expect(getTableName(entry.recordedClock)).toBe("typegraph_recorded_clock");
      expect(entry.tables.fulltextTableName).toBe("typegraph_node_fulltext");
    }
  });

  it("match the engine's tables column for column, keys and index names included (default and custom names)", () => {
    const custom = createSqliteTables(
      { nodes: "myapp_graph_nodes", edges: "myapp_graph_edges", uniques: "myapp_graph_uniques", schemaVersions: "myapp_graph_schema_versions", fulltext: "myapp_graph_fulltext" },
      { indexes: [personEmail] },
    );
    for (const defs of [tables, custom]) {
      const sqlite = track(new Database(":memory:"));
      sqlite.exec(generateSqliteMigrationSQL(defs));
      for (const [key, table] of Object.entries(defs)) {
        if (typeof table === "string") continue;
        const config = getTableConfig(table as Parameters<typeof getTableConfig>[0]);
        const info = sqlite.prepare(`SELECT name, type, "notnull" AS nn, dflt_value AS dflt, pk FROM pragma_table_info(?) ORDER BY cid`).all(config.name) as {
          name: string;
          type: string;
          nn: number;
          dflt: string | null;
          pk: number;
        }[];
        expect(info.length, `${key} exists`).toBeGreaterThan(0);
        // Columns: names in order, nullability, defaults, type affinity.
        expect(info.map((c) => c.name), key).toEqual(config.columns.map((c) => c.name));
        for (const col of config.columns) {
          const live = info.find((c) => c.name === col.name)!;
          expect(live.nn === 1, `${key}.${col.name} not null`).toBe(col.notNull);
          const affinity = col.getSQLType() === "integer" ? "INTEGER" : "TEXT";
          // is_active: upstream's own DDL generator writes it TEXT; both store 0/1 and compare = 1.
          if (col.name !== "is_active") expect(live.type, `${key}.${col.name} type`).toBe(affinity);
          expect(live.dflt === null, `${key}.${col.name} default`).toBe(!col.hasDefault);
        }
        // Primary key columns in order.
        const pk = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
        expect(pk, `${key} primary key`).toEqual(config.primaryKeys[0]!.columns.map((c) => c.name));
        // Every Drizzle index exists under its name on this table, with its columns and uniqueness.
        const live = sqlite.prepare(`SELECT name, "unique" AS u, partial FROM pragma_index_list(?) WHERE origin = 'c'`).all(config.name) as { name: string; u: number; partial: number }[];
        expect(live.map((i) => i.name).sort(), `${key} indexes`).toEqual(config.indexes.map((i) => i.config.name).sort());
        for (const ix of config.indexes) {
          const row = live.find((i) => i.name === ix.config.name)!;
          expect(row.u === 1, `${ix.config.name} unique`).toBe(ix.config.unique);
          expect(row.partial === 1, `${ix.config.name} partial`).toBe(ix.config.where !== undefined);
          const cols = (sqlite.prepare("SELECT name FROM pragma_index_info(?) ORDER BY seqno").all(ix.config.name) as { name: string | null }[]).map((c) => c.name);
          const expected = ix.config.columns.map((c) => ("name" in c && typeof c.name === "string" ? c.name : null));
          expect(cols, `${ix.config.name} columns`).toEqual(expected);
        }
        expect(config.checks.map((c) => c.name).sort()).toEqual(
          (sqlite.prepare("SELECT sql FROM sqlite_master WHERE name = ?").get(config.name) as { sql: string }).sql.match(/CONSTRAINT "([^"]+)" CHECK/g)?.map((m) => m.slice(12, -7)).sort() ?? [],
        );
      }
      // The FTS5 table is named by the definitions too.
      expect(sqlite.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = ?").get(defs.fulltextTableName)).toEqual({ n: 1 });
    }
    expect(generateSqliteDDL(custom).some((s) => s.includes(`"${personEmail.name}" ON "myapp_graph_nodes"`))).toBe(true);
    expect(generateSqliteDDL().join("\n")).not.toContain("myapp_");
  });

  it("refuse unknown keys and declared indexes named like a system index", () => {
    expect(() => createSqliteTables({ vertices: "v" } as never)).toThrow(ConfigurationError);
    expect(() => createSqliteTables({ nodes: "a", edges: "a" })).toThrow(/both named/);
    const clash = { ...personEmail, name: "myapp_nodes_kind_idx" };
    expect(() => createSqliteTables({ nodes: "myapp_nodes" }, { indexes: [clash] })).toThrow(/system index/);
  });
});

describe("custom table names end to end on SQLite", () => {
  it("creates, queries, searches and materializes indexes on the named tables only", async () => {
    const custom = createSqliteTables(
      {
        nodes: "myapp_graph_nodes",
        edges: "myapp_graph_edges",
        uniques: "myapp_graph_uniques",
        edgeClaims: "myapp_graph_edge_claims",
        schemaVersions: "myapp_graph_schema_versions",
        fulltext: "myapp_graph_fulltext",
        indexMaterializations: "myapp_graph_index_materializations",
      },
      { indexes: [personEmail] },
    );
    const file = freshFile();
    const sqlite = track(new Database(file));
    const db = drizzle(sqlite);
    const backend = track(createSqliteBackend(db, { tables: custom }));
    expect(backend.tableNames.nodes).toBe("myapp_graph_nodes");
    const graphId = freshGraphId("drz_custom");
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
    const systemIdx = await store.materializeSystemIndexes();
    expect(systemIdx.results.map((r) => r.indexName)).toContain("myapp_graph_nodes_kind_idx");

    // Rows live in the named tables, read back through the custom Drizzle definitions.
    const rows = db.select({ kind: custom.nodes.kind }).from(custom.nodes).where(eq(custom.nodes.graphId, graphId)).all();
    expect(rows.map((r) => r.kind).sort()).toEqual(["Company", "Person", "Person"]);
    expect(db.select({ n: count() }).from(custom.edges).where(eq(custom.edges.graphId, graphId)).get()!.n).toBe(2);
    expect(db.select({ n: count() }).from(custom.uniques).where(eq(custom.uniques.graphId, graphId)).get()!.n).toBe(2);
    expect(db.select({ v: custom.schemaVersions.version }).from(custom.schemaVersions).where(eq(custom.schemaVersions.graphId, graphId)).all()).toEqual([{ v: 1 }]);
    const onNodes = sqlite.prepare("SELECT name FROM pragma_index_list('myapp_graph_nodes')").all() as { name: string }[];
    expect(onNodes.map((r) => r.name)).toContain(personEmail.name);
    expect(sqlite.prepare("SELECT count(*) AS n FROM myapp_graph_fulltext WHERE graph_id = ?").get(graphId)).toEqual({ n: 2 });
    // Nothing of this graph reached the default-named tables (the ones not renamed are still created).
    const defaults = (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('typegraph_nodes', 'typegraph_edges', 'typegraph_node_uniques', 'typegraph_schema_versions')").all() as { name: string }[]).map((r) => r.name);
    expect(defaults).toEqual([]);
    const viaSql = db.all<{ n: number }>(sql`SELECT count(*) AS n FROM ${custom.nodes}`);
    expect(viaSql[0]!.n).toBe(3);

    // createLocalSqliteBackend takes the same definitions.
    const local = track(createLocalSqliteBackend({ path: file, tables: custom }).backend);
    const [store3] = await createStoreWithSchema(graphOf(graphId), local);
    expect((await store3.nodes.Person.getById(alice.id))?.name).toBe("Alice Liddell");

    // A second backend on the same file under the same names sees the same graph.
    const again = track(createSqliteBackend(file, { tables: custom }));
    const [store2] = await createStoreWithSchema(graphOf(graphId), again);
    expect((await store2.nodes.Person.getById(bob.id))?.email).toBe("bob@example.com");
  });
});
