// bulkLoad on PostgreSQL: in a fresh schema (empty tables) the secondary indexes are dropped and
// rebuilt inside the load's transaction — only that schema's: same-named tables further down the
// search path (here: public, shared by every other suite) keep every index they had.
import { describe, expect, it } from "vitest";
import { EndpointNotFoundError, createStoreWithSchema } from "../dist/index.js";
import { createPostgresBackend } from "../dist/postgres.js";
import { freshGraphId } from "./backends.js";
import { makeGraph } from "./fixtures.js";

const url = process.env.DATABASE_URL;
if (url) {
  describe("bulkLoad on postgres (fresh schema)", () => {
    it("defers and rebuilds the fresh schema's indexes only, then refreshes statistics", async () => {
      const schema = `tg_load_${process.pid}_${Date.now().toString(36)}`;
      const admin = createPostgresBackend(url);
      await admin.exec(`CREATE SCHEMA ${schema}`);
      const indexes = async (nsp: string) =>
        (await admin.query(
          "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename IN ('typegraph_nodes', 'typegraph_edges') ORDER BY 1",
          [nsp],
        )) as [string, string][];
      // Index identities: a dropped-and-recreated index comes back under a new oid.
      const oids = async (nsp: string) =>
        (await admin.query(
          "SELECT indexname, ((quote_ident(schemaname) || '.' || quote_ident(indexname))::regclass)::oid::text FROM pg_indexes WHERE schemaname = $1 AND tablename IN ('typegraph_nodes', 'typegraph_edges') ORDER BY 1",
          [nsp],
        )) as [string, string][];
      const scoped = createPostgresBackend(`${url}${url.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema},public`)}`);
      try {
        const graph = makeGraph(freshGraphId("pgload"));
        const [store] = await createStoreWithSchema(graph, scoped);
        const own = await indexes(schema);
        expect(own.length).toBeGreaterThan(2);
        const publicBefore = await oids("public");
        const n = await store.bulkLoad(async (tx) => {
          await tx.nodes.Person.bulkInsert(Array.from({ length: 50 }, (_, i) => ({ id: `p${i}`, props: { name: `P${i}`, age: i } })));
          await tx.edges.knows.bulkInsert(Array.from({ length: 49 }, (_, i) => ({ from: { kind: "Person", id: `p${i}` }, to: { kind: "Person", id: `p${i + 1}` } })));
          const missing = await tx.edges.knows.bulkInsert([{ from: { kind: "Person", id: "p1" }, to: { kind: "Person", id: "nope" } }]).catch((e: unknown) => e);
          expect(missing).toBeInstanceOf(EndpointNotFoundError);
          return 99;
        });
        expect(n).toBe(99);
        expect(await indexes(schema)).toEqual(own);
        expect(await oids("public")).toEqual(publicBefore);
        expect(await store.edges.knows.count()).toBe(49);
        expect((await store.nodes.Person.find({ where: (p) => p.age.gte(48) })).length).toBe(2);
        const analyzed = await scoped.query("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = 'typegraph_edges'");
        expect(analyzed[0]![0]).toBe(true);
        await store.close();
      } finally {
        await scoped.close();
        await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.close();
      }
    });
  });
}
