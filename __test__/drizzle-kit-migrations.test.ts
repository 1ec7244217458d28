// drizzle-kit managed migrations: the SQL drizzle-kit generates from our Drizzle table definitions
// (custom names, a declared index) creates the same tables, keys and indexes as the engine's own
// DDL, and a store then runs on the drizzle-kit-created database. SQLite always; PostgreSQL in a
// schema of its own when DATABASE_URL is set.
import Database from "better-sqlite3";
import { createRequire } from "node:module";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineGraph, defineNode, searchable } from "../dist/index.js";
import { defineNodeIndex } from "../dist/indexes-entry.js";
import { createSqliteBackend, createSqliteTables } from "../dist/sqlite.js";
import { createPostgresBackend, createPostgresTables } from "../dist/postgres.js";
import { freshGraphId } from "./backends.js";

const require = createRequire(import.meta.url);
const kit = require("drizzle-kit/api") as {
  generateSQLiteDrizzleJson(schema: Record<string, unknown>): Promise<unknown>;
  generateSQLiteMigration(prev: unknown, cur: unknown): Promise<string[]>;
  generateDrizzleJson(schema: Record<string, unknown>): unknown;
  generateMigration(prev: unknown, cur: unknown): Promise<string[]>;
};

const Person = defineNode("Person", { schema: z.object({ name: searchable(), email: z.string() }) });
const byEmail = defineNodeIndex(Person, { fields: ["email"] });
const graphOf = (id: string) => defineGraph({ id, nodes: { Person: { type: Person, unique: [{ name: "email", fields: ["email"] }] } }, indexes: [byEmail] });

/** Drizzle tables of a `create*Tables()` result (its `fulltextTableName` is a plain name). */
function drizzleTables(t: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(t).filter(([, v]) => typeof v !== "string"));
}

const dir = mkdtempSync(join(tmpdir(), "tg-drizzle-kit-"));

type Shape = Record<string, { cols: string[]; pk: string[]; indexes: string[] }>;

function sqliteShape(db: Database.Database, tables: string[]): Shape {
  const out: Shape = {};
  for (const t of tables) {
    const cols = db.prepare(`SELECT name, type, "notnull" AS nn, dflt_value IS NOT NULL AS d, pk FROM pragma_table_info(?) ORDER BY cid`).all(t) as {
      name: string;
      type: string;
      nn: number;
      d: number;
      pk: number;
    }[];
    const affinity = (type: string, name: string) => (name === "is_active" ? "bool" : /INT/i.test(type) ? "INTEGER" : "TEXT");
    const indexes = (db.prepare(`SELECT name, "unique" AS u, partial FROM pragma_index_list(?) WHERE origin = 'c' ORDER BY name`).all(t) as { name: string; u: number; partial: number }[]).map(
      (i) => `${i.name}${i.u ? " unique" : ""}${i.partial ? " partial" : ""} (${(db.prepare("SELECT coalesce(name, '<expr>') AS n FROM pragma_index_info(?) ORDER BY seqno").all(i.name) as { n: string }[]).map((c) => c.n).join(", ")})`,
    );
    out[t] = {
      cols: cols.map((c) => `${c.name} ${affinity(c.type, c.name)}${c.nn ? " not null" : ""}${c.d ? " default" : ""}`),
      pk: cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name),
      indexes,
    };
  }
  return out;
}

describe("drizzle-kit migrations of the Drizzle table definitions", () => {
  it("SQLite: drizzle-kit's SQL builds the engine's tables, and a store runs on them", async () => {
    const custom = createSqliteTables(
      { nodes: "kit_nodes", edges: "kit_edges", uniques: "kit_uniques", schemaVersions: "kit_schema_versions", fulltext: "kit_fulltext", identityAssertions: "kit_identity" },
      // No declared indexes here: drizzle-kit's SQLite generator splits index keys on commas, so an
      // expression key (json_extract("props", '$.x')) does not survive it; materializeIndexes() builds them.
    );
    const defs = drizzleTables(custom);
    const statements = await kit.generateSQLiteMigration(await kit.generateSQLiteDrizzleJson({}), await kit.generateSQLiteDrizzleJson(defs));
    expect(statements.length).toBeGreaterThan(17);

    // A: drizzle-kit's migration, applied by the application.
    const kitFile = join(dir, "kit.db");
    const kitDb = new Database(kitFile);
    for (const s of statements) kitDb.exec(s);
    // B: the engine's own DDL for the same names.
    const engineFile = join(dir, "engine.db");
    await createSqliteBackend(engineFile, { tables: custom }).close();
    const engineDb = new Database(engineFile);
    try {
      const names = Object.values(defs).map((t) => (t as { [k: symbol]: string })[Symbol.for("drizzle:Name")]!);
      expect(sqliteShape(kitDb, names)).toEqual(sqliteShape(engineDb, names));

      // The engine runs on the drizzle-kit-created database (it adds only the FTS5 table).
      const backend = createSqliteBackend(drizzleSqlite(kitDb), { tables: custom });
      try {
        const [store] = await createStoreWithSchema(graphOf(freshGraphId("kit_sqlite")), backend);
        const a = await store.nodes.Person.create({ name: "Ada Lovelace", email: "ada@example.com" });
        await expect(store.nodes.Person.create({ name: "Other", email: "ada@example.com" })).rejects.toThrow();
        expect((await store.search.fulltext("Person", { query: "lovelace", limit: 3 })).map((h) => h.node.id)).toEqual([a.id]);
        const m = await store.materializeIndexes();
        expect(m.results.find((r) => r.indexName === byEmail.name)?.status).toBe("created");
        expect(kitDb.prepare("SELECT count(*) AS n FROM kit_nodes").get()).toEqual({ n: 1 });
      } finally {
        await backend.close();
      }
    } finally {
      kitDb.close();
      engineDb.close();
    }
  });

  const url = process.env.DATABASE_URL;
  it.each(url ? [url] : [])("PostgreSQL: drizzle-kit's SQL builds the engine's tables, and a store runs on them (%s)", async (url) => {
    const custom = createPostgresTables({ nodes: "kit_nodes", uniques: "kit_uniques", schemaVersions: "kit_schema_versions", fulltext: "kit_fulltext" }, { indexes: [byEmail] });
    const defs = drizzleTables(custom);
    const statements = await kit.generateMigration(kit.generateDrizzleJson({}), kit.generateDrizzleJson(defs));
    const kitSchema = `kit_${process.pid}_${Date.now().toString(36)}`;
    const engineSchema = `${kitSchema}_engine`;
    const inSchema = (schema: string) => {
      const u = new URL(url);
      u.searchParams.set("options", `-c search_path=${schema},public`);
      return u.toString();
    };
    const admin = new pg.Pool({ connectionString: url, max: 1 });
    const kitPool = new pg.Pool({ connectionString: inSchema(kitSchema), max: 2 });
    try {
      await admin.query(`CREATE SCHEMA "${kitSchema}"; CREATE SCHEMA "${engineSchema}"`);
      for (const s of statements) await kitPool.query(s);
      const engine = createPostgresBackend(inSchema(engineSchema), { tables: custom });
      await engine.bootstrap();
      await engine.close();

      const shape = async (schema: string) => {
        const cols = await admin.query(
          `SELECT c.table_name, c.column_name, format_type(a.atttypid, a.atttypmod) AS type, c.is_nullable, c.column_default IS NOT NULL AS d, c.is_generated
             FROM information_schema.columns c
             JOIN pg_attribute a ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass AND a.attname = c.column_name
            WHERE c.table_schema = $1 ORDER BY c.table_name, c.ordinal_position`,
          [schema],
        );
        const idx = await admin.query(
          `SELECT t.relname AS tablename, c.relname AS indexname, regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '') AS def
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
            WHERE t.relnamespace = $1::regnamespace AND NOT i.indisprimary ORDER BY 1, 2`,
          [schema],
        );
        const pk = await admin.query(
          `SELECT tc.table_name, string_agg(k.column_name, ',' ORDER BY k.ordinal_position) AS cols
             FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)
            WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = $1 GROUP BY 1 ORDER BY 1`,
          [schema],
        );
        const checks = await admin.query(
          `SELECT conname FROM pg_constraint WHERE contype = 'c' AND connamespace = $1::regnamespace ORDER BY 1`,
          [schema],
        );
        return { cols: cols.rows, idx: idx.rows.map((r) => `${r.tablename} ${r.indexname} ${String(r.def).replaceAll(`${schema}.`, "")}`), pk: pk.rows, checks: checks.rows };
      };
      const [fromKit, fromEngine] = [await shape(kitSchema), await shape(engineSchema)];
      expect(fromKit.cols).toEqual(fromEngine.cols);
      expect(fromKit.pk).toEqual(fromEngine.pk);
      expect(fromKit.checks).toEqual(fromEngine.checks);
      // The engine creates the declared index when materializeIndexes() runs; drizzle-kit up front.
      expect(fromKit.idx.filter((i) => !i.includes(byEmail.name))).toEqual(fromEngine.idx);
      expect(fromKit.idx.some((i) => i.includes(byEmail.name))).toBe(true);

      const backend = createPostgresBackend(drizzlePg(kitPool), { tables: custom });
      try {
        const [store] = await createStoreWithSchema(graphOf(freshGraphId("kit_pg")), backend);
        const a = await store.nodes.Person.create({ name: "Ada Lovelace", email: "ada@example.com" });
        await expect(store.nodes.Person.create({ name: "Other", email: "ada@example.com" })).rejects.toThrow();
        expect((await store.search.fulltext("Person", { query: "lovelace", limit: 3 })).map((h) => h.node.id)).toEqual([a.id]);
        expect((await kitPool.query("SELECT count(*)::int AS n FROM kit_nodes")).rows[0].n).toBe(1);
      } finally {
        await backend.close();
      }
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${kitSchema}" CASCADE; DROP SCHEMA IF EXISTS "${engineSchema}" CASCADE`);
      await kitPool.end();
      await admin.end();
    }
  });
});
