// store.materializeSystemIndexes() on both backends: TypeGraph's own indexes on its base
// relations, settled against the live catalog and the materialization status rows. Each run
// owns its database (a fresh SQLite file; on PostgreSQL a private schema as the whole
// search_path), so dropping system indexes here never touches another test's tables.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigurationError, createStore, createStoreWithSchema, defineGraph, defineNode, type GraphBackend } from "../dist/index.js";
import { SYSTEM_INDEX_DECLARATIONS } from "../dist/indexes-entry.js";
import { createLocalSqliteBackend } from "../dist/sqlite-local.js";
import { createPostgresBackend } from "../dist/postgres.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshGraphId } from "./backends.js";

type Raw = { query(sql: string, params?: unknown[]): unknown[][] | Promise<unknown[][]> };

const Item = defineNode("Item", { schema: z.object({ name: z.string() }) });
const dir = mkdtempSync(join(tmpdir(), "tg-sysidx-"));
const url = process.env.DATABASE_URL;

interface Case {
  name: "sqlite" | "postgres";
  /** A backend on a database of its own; `cleanup` removes it. */
  open(tag: string): Promise<{ backend: GraphBackend; cleanup: () => Promise<void> }>;
}

const cases: Case[] = [
  {
    name: "sqlite",
    open: async (tag) => ({ backend: createLocalSqliteBackend({ path: join(dir, `${tag}.db`) }).backend, cleanup: async () => {} }),
  },
  ...(url
    ? [
        {
          name: "postgres" as const,
          open: async (tag: string) => {
            const schema = tag.toLowerCase().replace(/[^a-z0-9_]/g, "_");
            const admin = createPostgresBackend(url);
            await (admin as unknown as Raw).query(`CREATE SCHEMA "${schema}"`);
            const sep = url.includes("?") ? "&" : "?";
            const backend = createPostgresBackend(`${url}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`);
            return {
              backend,
              cleanup: async () => {
                await (admin as unknown as Raw).query(`DROP SCHEMA "${schema}" CASCADE`);
                await admin.close();
              },
            };
          },
        },
      ]
    : []),
];

describe.each(cases)("materializeSystemIndexes on $name", (bc) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  it("settles every system index, rebuilds a dropped one, reports drift, foreign rows and missing relations", async () => {
    const id = freshGraphId(`sysidx_${bc.name}`);
    const { backend, cleanup } = await bc.open(id);
    cleanups.push(cleanup, () => backend.close());
    const graph = defineGraph({ id, nodes: { Item: { type: Item } }, edges: {} });
    const [store] = await createStoreWithSchema(graph, backend);
    const raw = backend as unknown as Raw;
    const q = async (sql: string, params: unknown[] = []) => {
      let i = 0;
      return raw.query(bc.name === "postgres" ? sql.replaceAll("?", () => `$${++i}`) : sql, params);
    };
    const indexExists = async (name: string) =>
      (
        await q(
          bc.name === "sqlite"
            ? "SELECT name FROM sqlite_master WHERE type = 'index' AND name = ?"
            : "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = ? AND i.indrelid = to_regclass('typegraph_nodes')",
          [name],
        )
      ).length === 1;

    // Bootstrap created them all (without status rows): nothing to do, nothing recorded.
    const first = await store.materializeSystemIndexes();
    expect(first.results).toHaveLength(SYSTEM_INDEX_DECLARATIONS.length);
    expect(new Set(first.results.map((r) => r.status))).toEqual(new Set(["alreadyMaterialized"]));
    expect(first.results.every((r) => r.entity === "system")).toBe(true);
    expect(first.results[0]).toMatchObject({ indexName: "typegraph_nodes_kind_idx", kind: "nodes" });
    expect(first.results.map((r) => r.indexName)).toContain("typegraph_recorded_edges_to_idx");
    expect((await q("SELECT index_name FROM typegraph_index_materializations WHERE entity = 'system'")).length).toBe(0);

    // A dropped system index is rebuilt and recorded; the rest stay as they are.
    await q('DROP INDEX "typegraph_nodes_kind_idx"');
    expect(await indexExists("typegraph_nodes_kind_idx")).toBe(false);
    const second = await store.materializeSystemIndexes({ refreshStatistics: false });
    const byName = new Map(second.results.map((r) => [r.indexName, r]));
    expect(byName.get("typegraph_nodes_kind_idx")?.status).toBe("created");
    expect(second.results.filter((r) => r.status === "created")).toHaveLength(1);
    expect(await indexExists("typegraph_nodes_kind_idx")).toBe(true);
    const rows = await q("SELECT index_name, entity, kind, graph_id FROM typegraph_index_materializations WHERE entity = 'system'");
    expect(rows.map((r) => [...r])).toEqual([["typegraph_nodes_kind_idx", "system", "nodes", id]]);

    // Idempotent.
    const third = await store.materializeSystemIndexes();
    expect(new Set(third.results.map((r) => r.status))).toEqual(new Set(["alreadyMaterialized"]));

    // Physically absent under a recorded success: rebuilt again.
    await q('DROP INDEX "typegraph_nodes_kind_idx"');
    const rebuilt = await store.materializeSystemIndexes();
    expect(rebuilt.results.find((r) => r.indexName === "typegraph_nodes_kind_idx")?.status).toBe("created");

    // A recorded signature that differs is drift: failed, nothing rebuilt.
    await q("UPDATE typegraph_index_materializations SET signature = 'other' WHERE index_name = 'typegraph_nodes_kind_idx'");
    const drift = await store.materializeSystemIndexes();
    const drifted = drift.results.find((r) => r.indexName === "typegraph_nodes_kind_idx")!;
    expect(drifted.status).toBe("failed");
    expect(drifted.error?.message).toContain('System index "typegraph_nodes_kind_idx" already materialized with a different signature');

    // A declared index recorded under a system name is refused, and its row left alone.
    const now = new Date().toISOString();
    await q(
      bc.name === "postgres"
        ? "INSERT INTO typegraph_index_materializations (index_name, graph_id, entity, kind, signature, schema_version, materialized_at, last_attempted_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz, NULL)"
        : "INSERT INTO typegraph_index_materializations (index_name, graph_id, entity, kind, signature, schema_version, materialized_at, last_attempted_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
      ["typegraph_edges_kind_idx", "other_graph", "node", "Item", "sig", 1, now, now],
    );
    const foreign = await store.materializeSystemIndexes();
    const refused = foreign.results.find((r) => r.indexName === "typegraph_edges_kind_idx")!;
    expect(refused.status).toBe("failed");
    expect(refused.error?.message).toContain('is already recorded by a node index declaration (graph "other_graph")');
    expect((await q("SELECT entity, signature FROM typegraph_index_materializations WHERE index_name = 'typegraph_edges_kind_idx'")).map((r) => [...r])).toEqual([["node", "sig"]]);

    // A relation missing from the database: its indexes are skipped, not failed.
    await q("DROP TABLE typegraph_recorded_edges");
    const missing = await store.materializeSystemIndexes();
    const skipped = missing.results.filter((r) => r.kind === "recordedEdges");
    expect(skipped).toHaveLength(SYSTEM_INDEX_DECLARATIONS.filter((d) => d.table === "recordedEdges").length);
    for (const r of skipped) {
      expect(r.status).toBe("skipped");
      expect(r.reason).toBe('Relation "typegraph_recorded_edges" does not exist in this database');
    }
  }, 120_000);

  it("refuses before any schema is initialized", async () => {
    const id = freshGraphId(`sysidx_none_${bc.name}`);
    const { backend, cleanup } = await bc.open(id);
    cleanups.push(cleanup, () => backend.close());
    const store = createStore(defineGraph({ id, nodes: { Item: { type: Item } }, edges: {} }), backend);
    await expect(store.materializeSystemIndexes()).rejects.toBeInstanceOf(ConfigurationError);
  });
});
