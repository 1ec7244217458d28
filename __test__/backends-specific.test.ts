// Behaviour that belongs to one backend: pg Pool input, SQLite's single connection.
import { describe, expect, it } from "vitest";
import pg from "pg";
import { ConfigurationError, TransactionClosedError, createStore, createStoreWithSchema, type TransactionContext } from "../dist/index.js";
import { createLocalSqliteBackend, createLocalSqliteStore } from "../dist/sqlite-local.js";
import { createPostgresBackend, generatePostgresMigrationSQL } from "../dist/postgres.js";
import { freshGraphId } from "./backends.js";
import { makeGraph } from "./fixtures.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

describe("sqlite specifics", () => {
  it("refuses root-store use inside a transaction instead of joining it", async () => {
    const graph = makeGraph(freshGraphId("sqlite_tx"));
    const { backend } = createLocalSqliteBackend();
    const [store] = await createStoreWithSchema(graph, backend);
    const err = await store
      .transaction(async (tx) => {
        await tx.nodes.Person.create({ name: "In tx" });
        await store.nodes.Person.create({ name: "Root" });
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).details).toMatchObject({ backend: "sqlite", capability: "concurrentRootAccess" });
    expect(await store.nodes.Person.count()).toBe(0);
    await store.close();
  });

  it("createLocalSqliteStore owns a WAL file database and reopens it", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tg-local-")), "g.db");
    const graph = makeGraph("local_store");
    const store = await createLocalSqliteStore(graph, { path });
    await store.nodes.Person.create({ name: "Persisted" }, { id: "p" });
    await store.close();
    const { backend, db } = createLocalSqliteBackend({ path });
    expect(db.query("PRAGMA journal_mode")).toEqual([["wal"]]);
    const again = createStore(graph, backend);
    expect((await again.nodes.Person.getById("p"))?.name).toBe("Persisted");
    await again.close();
  });
});

describe.runIf(Boolean(process.env.DATABASE_URL))("postgres specifics", () => {
  it("accepts a pg Pool and works beside the application's own queries", async () => {
    const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    try {
      await pool.query(generatePostgresMigrationSQL());
      const graph = makeGraph(freshGraphId("pool"));
      const store = createStore(graph, createPostgresBackend(pool));
      const p = await store.nodes.Person.create({ name: "Via pool", age: 3 });
      const { rows } = await pool.query("SELECT props->>'name' AS name, version FROM typegraph_nodes WHERE graph_id = $1 AND id = $2", [graph.id, p.id]);
      expect(rows).toEqual([{ name: "Via pool", version: 1 }]);
      await store.close();
    } finally {
      await pool.end();
    }
  });

  it("fails a leaked transaction handle with TransactionClosedError", async () => {
    const graph = makeGraph(freshGraphId("leak"));
    const [store] = await createStoreWithSchema(graph, createPostgresBackend(process.env.DATABASE_URL!));
    let leaked: TransactionContext<typeof graph> | undefined;
    await store.transaction(async (tx) => {
      leaked = tx;
      await tx.nodes.Person.create({ name: "ok" });
    });
    await expect(leaked!.nodes.Person.create({ name: "late" })).rejects.toBeInstanceOf(TransactionClosedError);
    expect(await store.nodes.Person.count()).toBe(1);
    await store.close();
  });
});
