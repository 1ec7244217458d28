// How PostgreSQL statements run: every statement of the engine is a named prepared statement of its
// connection (parsed once, then one round trip per execution), and statements whose plan depends on
// their values (joins not anchored on a bound id, statements bound with long lists) are planned per
// execution with those values (`plan_cache_mode = force_custom_plan`), so the server never keeps a
// generic plan of them. These tests pin what that must keep: results stay right across repeated
// runs, table and index changes, schema evolution, transactions that roll back, and many calls over
// a small pool; a kept statement never answers with a stale result shape.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineEdge, defineGraph, defineGraphExtension, defineNode, param } from "../dist/index.js";
import { createPostgresBackend } from "../dist/postgres.js";
import { backends, freshGraphId } from "./backends.js";

const url = process.env.DATABASE_URL;

const Person = defineNode("Person", { schema: z.object({ name: z.string(), city: z.string(), age: z.number().int() }) });
const knows = defineEdge("knows", { schema: z.object({ since: z.number().int() }) });
const makeGraph = (id: string) =>
  defineGraph({ id, nodes: { Person: { type: Person } }, edges: { knows: { type: knows, from: [Person], to: [Person] } } });

type Store = Awaited<ReturnType<typeof createStoreWithSchema<ReturnType<typeof makeGraph>>>>[0];

const CITIES = ["Lisbon", "Porto", "Berlin"];

/** 30 people, each knowing the next three (ring). */
async function seed(store: Store): Promise<void> {
  await store.nodes.Person.bulkInsert(
    Array.from({ length: 30 }, (_, i) => ({ id: `p${i}`, props: { name: `P${i}`, city: CITIES[i % 3]!, age: 20 + i } })),
  );
  const edges = [];
  for (let i = 0; i < 30; i++) for (let k = 1; k <= 3; k++) edges.push({ from: { kind: "Person" as const, id: `p${i}` }, to: { kind: "Person" as const, id: `p${(i + k) % 30}` }, props: { since: 2000 + k } });
  await store.edges.knows.bulkInsert(edges);
}

/** An unanchored join: the people of a city, then whom they know since a year. */
function cityFriends(store: Store) {
  return store
    .query()
    .from("Person", "a")
    .whereNode("a", (p) => p.city.eq(param("city")))
    .traverse("knows", "k")
    .to("Person", "b")
    .whereEdge("k", (e) => e.since.gte(param("since")))
    .select((c) => ({ a: c.a.id, b: c.b.id }))
    .orderBy("a", "id")
    .orderBy("b", "id")
    .prepare();
}

/** What `cityFriends` must answer on the seeded ring (plus `extra` edges). */
function expected(city: string, since: number, extra: Array<[string, string, number]> = []): Array<{ a: string; b: string }> {
  const out: Array<{ a: string; b: string }> = [];
  for (let i = 0; i < 30; i++) {
    if (CITIES[i % 3] !== city) continue;
    for (let k = 1; k <= 3; k++) if (2000 + k >= since) out.push({ a: `p${i}`, b: `p${(i + k) % 30}` });
  }
  for (const [a, b, s] of extra) if (CITIES[Number(a.slice(1)) % 3] === city && s >= since) out.push({ a, b });
  return out.sort((x, y) => (x.a === y.a ? (x.b < y.b ? -1 : 1) : x.a < y.a ? -1 : 1));
}

describe.each(backends)("repeated and concurrent queries stay right ($name)", ({ name, make }) => {
  it("an unanchored join answers right on every run, between writes and after evolve", async () => {
    const [store] = await createStoreWithSchema(makeGraph(freshGraphId("plans")), make("plans1"), { autoRefreshStatistics: false });
    try {
      await seed(store);
      const q = cityFriends(store);
      // Well past the five runs after which a server may keep a generic plan.
      for (let r = 0; r < 12; r++) {
        const city = CITIES[r % 3]!;
        const since = 2001 + (r % 3);
        expect(await q.execute({ city, since })).toEqual(expected(city, since));
      }
      await store.edges.knows.create({ kind: "Person", id: "p0" }, { kind: "Person", id: "p20" }, { since: 2010 });
      expect(await q.execute({ city: "Lisbon", since: 2003 })).toEqual(expected("Lisbon", 2003, [["p0", "p20", 2010]]));
      const evolved = await store.evolve(defineGraphExtension({ nodes: { Buoy: { properties: { tag: { type: "string" } } } } }));
      await evolved.getNodeCollectionOrThrow("Buoy").create({ tag: "red" });
      const again = cityFriends(evolved as unknown as Store);
      for (let r = 0; r < 7; r++) expect(await again.execute({ city: "Porto", since: 2002 })).toEqual(expected("Porto", 2002));
      expect(await q.execute({ city: "Lisbon", since: 2003 })).toEqual(expected("Lisbon", 2003, [["p0", "p20", 2010]]));
    } finally {
      await store.close();
    }
  });

  it("queries inside transactions that commit or roll back, then outside, stay right", async () => {
    const [store] = await createStoreWithSchema(makeGraph(freshGraphId("planstx")), make("plans2"), { autoRefreshStatistics: false });
    try {
      await seed(store);
      const q = cityFriends(store);
      const failed = await store
        .transaction(async (tx) => {
          await tx.edges.knows.create({ kind: "Person", id: "p1" }, { kind: "Person", id: "p25" }, { since: 2020 });
          const inside = await tx
            .query()
            .from("Person", "a")
            .whereNode("a", (p) => p.city.eq("Porto"))
            .traverse("knows", "k")
            .to("Person", "b")
            .whereEdge("k", (e) => e.since.gte(2003))
            .select((c) => ({ a: c.a.id, b: c.b.id }))
            .orderBy("a", "id")
            .orderBy("b", "id")
            .execute();
          expect(inside).toEqual(expected("Porto", 2003, [["p1", "p25", 2020]]));
          throw new Error("undo");
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect((failed as Error).message).toBe("undo");
      for (let r = 0; r < 8; r++) expect(await q.execute({ city: "Porto", since: 2003 })).toEqual(expected("Porto", 2003));
      await store.transaction(async (tx) => {
        await tx.edges.knows.create({ kind: "Person", id: "p1" }, { kind: "Person", id: "p26" }, { since: 2021 });
        expect((await tx.nodes.Person.getById("p1"))?.name).toBe("P1");
      });
      for (let r = 0; r < 3; r++) expect(await q.execute({ city: "Porto", since: 2003 })).toEqual(expected("Porto", 2003, [["p1", "p26", 2021]]));
    } finally {
      await store.close();
    }
  });

  it("many mixed calls at once over a small pool each get their own answer", async () => {
    // PostgreSQL: two connections for sixty calls, most of them waiting for one.
    const backend = name === "postgres" ? createPostgresBackend(url!, { maxConnections: 2 }) : make("plans3");
    const [store] = await createStoreWithSchema(makeGraph(freshGraphId("planspool")), backend, { autoRefreshStatistics: false });
    try {
      await seed(store);
      const q = cityFriends(store);
      const byId = store
        .query()
        .from("Person", "a")
        .whereNode("a", (p) => p.id.eq(param("id")))
        .traverse("knows", "k")
        .to("Person", "b")
        .select((c) => ({ b: c.b.id }))
        .orderBy("b", "id")
        .prepare();
      const calls = Array.from({ length: 60 }, (_, i) => {
        const kind = i % 4;
        if (kind === 0) {
          const city = CITIES[i % 3]!;
          return q.execute({ city, since: 2002 }).then((rows) => expect(rows).toEqual(expected(city, 2002)));
        }
        if (kind === 1) {
          const n = i % 30;
          return byId.execute({ id: `p${n}` }).then((rows) => expect(rows.map((r) => r.b).sort()).toEqual([1, 2, 3].map((k) => `p${(n + k) % 30}`).sort()));
        }
        if (kind === 2) return store.nodes.Person.getById(`p${i % 30}`).then((n) => expect(n?.name).toBe(`P${i % 30}`));
        return store.nodes.Person.update(`p${i % 30}`, { age: 100 + i }).then((n) => expect(n.age).toBe(100 + i));
      }).map((p) => p.then(() => undefined, (e: unknown) => e));
      expect((await Promise.all(calls)).filter((e) => e !== undefined)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe.runIf(url)("postgres statements: named, and planned per execution where values matter", () => {
  let schema = "";
  let admin: ReturnType<typeof createPostgresBackend>;
  const scoped = (options: Parameters<typeof createPostgresBackend>[1] = {}) =>
    createPostgresBackend(`${url}${url!.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema},public`)}`, options);

  beforeAll(async () => {
    schema = `tg_plans_${process.pid}_${Date.now().toString(36)}`;
    admin = createPostgresBackend(url!);
    await admin.exec(`CREATE SCHEMA ${schema}`);
  });
  afterAll(async () => {
    await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
  });

  /** The connection's prepared statements (one connection: the backend's only). */
  const prepared = async (backend: ReturnType<typeof createPostgresBackend>) =>
    (await backend.query("SELECT statement, generic_plans::int, custom_plans::int FROM pg_prepared_statements")) as Array<[string, number, number]>;

  it("an unanchored join is kept by name and never planned generically; an anchored one may be", async () => {
    const backend = scoped({ maxConnections: 1 });
    const [store] = await createStoreWithSchema(makeGraph(freshGraphId("plansnamed")), backend, { autoRefreshStatistics: false });
    try {
      await seed(store);
      await backend.exec("ANALYZE");
      const q = cityFriends(store);
      for (let r = 0; r < 10; r++) expect(await q.execute({ city: "Berlin", since: 2002 })).toEqual(expected("Berlin", 2002));
      const anchored = store
        .query()
        .from("Person", "a")
        .whereNode("a", (p) => p.id.eq(param("id")))
        .traverse("knows", "k")
        .to("Person", "b")
        .select((c) => ({ b: c.b.id }))
        .prepare();
      for (let r = 0; r < 10; r++) expect(await anchored.execute({ id: `p${r}` })).toHaveLength(3);
      const sqlOf = (s: string) => (s.endsWith(";") ? s.slice(0, -1) : s).trim();
      const rows = await prepared(backend);
      const join = rows.find(([s]) => sqlOf(s) === sqlOf(cityFriendsSql(store)));
      expect(join, "the unanchored join is a named statement of the connection").toBeDefined();
      expect(join![1]).toBe(0);
      expect(join![2]).toBeGreaterThanOrEqual(10);
      const anchoredSql = store
        .query()
        .from("Person", "a")
        .whereNode("a", (p) => p.id.eq(param("id")))
        .traverse("knows", "k")
        .to("Person", "b")
        .select((c) => ({ b: c.b.id }))
        .toSQL().sql;
      const kept = rows.find(([s]) => sqlOf(s) === sqlOf(anchoredSql));
      expect(kept, "the anchored join is a named statement of the connection").toBeDefined();
      expect(kept![1] + kept![2]).toBeGreaterThanOrEqual(10);
      // The anchored run after the unanchored one put the session back to the server's default.
      expect(kept![1]).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it("under pool pressure, connections go back to the pool with their settings put back, not closed", async () => {
    const app = `tg_plans_pool_${process.pid}`;
    const backend = createPostgresBackend(
      `${url}${url!.includes("?") ? "&" : "?"}application_name=${app}&options=${encodeURIComponent(`-c search_path=${schema},public`)}`,
      { maxConnections: 2 },
    );
    const [store] = await createStoreWithSchema(makeGraph(freshGraphId("planspressure")), backend, { autoRefreshStatistics: false });
    try {
      await seed(store);
      const q = cityFriends(store);
      // Both connections open, then the server's clock as the burst starts.
      await Promise.all([q.execute({ city: "Porto", since: 2001 }), q.execute({ city: "Berlin", since: 2001 })]);
      const [[t0]] = (await backend.query("SELECT now()::text")) as [[string]];
      const calls = Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0
          ? q.execute({ city: CITIES[i % 3]!, since: 2002 }).then((rows) => expect(rows).toEqual(expected(CITIES[i % 3]!, 2002)))
          : store.nodes.Person.getById(`p${i % 30}`).then((n) => expect(n?.name).toBe(`P${i % 30}`))
        ).then(
          () => undefined,
          (e: unknown) => e,
        ),
      );
      expect((await Promise.all(calls)).filter((e) => e !== undefined)).toEqual([]);
      const opened = (await admin.query("SELECT count(*)::int FROM pg_stat_activity WHERE application_name = $1 AND backend_start > $2::timestamptz", [app, t0])) as [[number]];
      expect(opened[0][0], "no connection was closed and opened again during the burst").toBe(0);
    } finally {
      await store.close();
    }
  });

  it("more distinct statements than a connection keeps: evicted ones run again, right", async () => {
    const backend = scoped({ maxConnections: 1 });
    try {
      // 300 distinct texts on one connection (it keeps 256), joined ones among them, twice over.
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 300; i++) {
          const sql = i % 2 === 0 ? `SELECT $1::int + ${i}` : `SELECT a.x + ${i} FROM (SELECT $1::int AS x) a JOIN (SELECT 1 AS y) b ON true`;
          expect(await backend.query(sql, [round])).toEqual([[round + i]]);
        }
      }
      const kept = (await backend.query("SELECT count(*)::int FROM pg_prepared_statements")) as Array<[number]>;
      expect(kept[0]![0]).toBeLessThanOrEqual(257);
    } finally {
      await backend.close();
    }
  });

  it("a kept statement follows table and index changes and never answers with a stale shape", async () => {
    const backend = scoped({ maxConnections: 1 });
    const [store] = await createStoreWithSchema(makeGraph(freshGraphId("plansddl")), backend, { autoRefreshStatistics: false });
    try {
      await seed(store);
      const q = cityFriends(store);
      for (let r = 0; r < 7; r++) expect(await q.execute({ city: "Lisbon", since: 2001 })).toEqual(expected("Lisbon", 2001));
      // Index changes under the kept statement (this schema's own tables: no other suite uses them).
      await backend.exec("DROP INDEX typegraph_edges_from_idx");
      expect(await q.execute({ city: "Lisbon", since: 2002 })).toEqual(expected("Lisbon", 2002));
      await backend.exec("CREATE INDEX typegraph_edges_from_idx ON typegraph_edges (graph_id, from_kind, from_id)");
      expect(await q.execute({ city: "Porto", since: 2002 })).toEqual(expected("Porto", 2002));
      // A raw query's result shape changes with its table.
      await backend.exec("CREATE TABLE plans_raw (a int)");
      await backend.exec("INSERT INTO plans_raw VALUES (1)");
      for (let r = 0; r < 3; r++) expect(await backend.query("SELECT * FROM plans_raw")).toEqual([[1]]);
      await backend.exec("ALTER TABLE plans_raw ADD COLUMN b text DEFAULT 'x'");
      expect(await backend.query("SELECT * FROM plans_raw")).toEqual([[1, "x"]]);
      await backend.exec("ALTER TABLE plans_raw DROP COLUMN a");
      expect(await backend.query("SELECT * FROM plans_raw")).toEqual([["x"]]);
      // The same for a join, and the engine's own statements still run after it.
      await backend.exec("CREATE TABLE plans_raw2 (k text, v int)");
      await backend.exec("INSERT INTO plans_raw2 VALUES ('x', 7)");
      const joinSql = "SELECT * FROM plans_raw r JOIN plans_raw2 s ON s.k = r.b WHERE s.v > $1";
      for (let r = 0; r < 3; r++) expect(await backend.query(joinSql, [0])).toEqual([["x", "x", 7]]);
      await backend.exec("ALTER TABLE plans_raw2 ADD COLUMN w boolean DEFAULT true");
      expect(await backend.query(joinSql, [0])).toEqual([["x", "x", 7, true]]);
      expect(await q.execute({ city: "Berlin", since: 2003 })).toEqual(expected("Berlin", 2003));
    } finally {
      await store.close();
    }
  });
});

function cityFriendsSql(store: Store): string {
  return store
    .query()
    .from("Person", "a")
    .whereNode("a", (p) => p.city.eq(param("city")))
    .traverse("knows", "k")
    .to("Person", "b")
    .whereEdge("k", (e) => e.since.gte(param("since")))
    .select((c) => ({ a: c.a.id, b: c.b.id }))
    .orderBy("a", "id")
    .orderBy("b", "id")
    .toSQL().sql;
}
