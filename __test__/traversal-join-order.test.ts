// Multi-hop traversals from a filtered start keep their joins in the order written (on PostgreSQL
// the session's join_collapse_limit, set once for a run of such traversals instead of around each
// one). Pinned here: their rows on both backends, alone, interleaved with queries whose joins the
// planner orders itself, inside transactions (also after a rolled-back one), and on PostgreSQL
// that no other statement with joins, and no connection handed back to the pool, inherits the
// setting.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStoreWithSchema, param } from "../dist/index.js";
import { createPostgresBackend } from "../dist/postgres.js";
import { backends, freshGraphId } from "./backends.js";
import { makeGraph } from "./fixtures.js";

type Store = Awaited<ReturnType<typeof createStoreWithSchema<ReturnType<typeof makeGraph>>>>[0];

// p0 → p1, p2; p1 → p3, p4; p2 → p4, p5; p3 → p6; p4 → p6, p7.
const links: [number, number][] = [
  [0, 1], [0, 2], [1, 3], [1, 4], [2, 4], [2, 5], [3, 6], [4, 6], [4, 7],
];

async function seed(store: Store): Promise<void> {
  await store.nodes.Person.bulkInsert(Array.from({ length: 8 }, (_, i) => ({ id: `p${i}`, props: { name: `P${i}`, age: 20 + i } })));
  await store.edges.knows.bulkInsert(links.map(([a, b]) => ({ from: { kind: "Person" as const, id: `p${a}` }, to: { kind: "Person" as const, id: `p${b}` } })));
}

function reach(from: number, hops: number): string[] {
  let frontier = [from];
  for (let h = 0; h < hops; h++) frontier = frontier.flatMap((n) => links.filter(([a]) => a === n).map(([, b]) => b));
  return frontier.map((n) => `p${n}`).sort();
}

/** Two- and three-hop traversals from an id-anchored start (prepared), and from a start filtered by a property. */
function traversals(store: Store) {
  const anchored = (hops: number) => {
    let q = store.query().from("Person", "s").whereNode("s", (s) => s.id.eq(param("id")));
    q = q.traverse("knows", "k1").to("Person", "n1");
    q = q.traverse("knows", "k2").to("Person", "n2");
    if (hops === 3) q = q.traverse("knows", "k3").to("Person", "n3");
    const last = hops === 3 ? "n3" : "n2";
    return q.select((c) => ({ id: (c as Record<string, { id: string }>)[last]!.id })).prepare();
  };
  const filtered = store
    .query()
    .from("Person", "s")
    .whereNode("s", (s) => s.name.eq("P1"))
    .traverse("knows", "k1")
    .to("Person", "n1")
    .traverse("knows", "k2")
    .to("Person", "n2")
    .select((c) => ({ id: c.n2.id }));
  // Joins the planner orders itself: the filter sits on the far end.
  const free = store
    .query()
    .from("Person", "s")
    .traverse("knows", "k1")
    .to("Person", "n1")
    .whereNode("n1", (n) => n.name.eq("P4"))
    .select((c) => ({ id: c.s.id }));
  return { two: anchored(2), three: anchored(3), filtered, free };
}

const ids = (rows: readonly { id: string }[]) => rows.map((r) => r.id).sort();

for (const backend of backends) {
  describe(`traversals in written join order (${backend.name})`, () => {
    let store: Store;
    beforeAll(async () => {
      [store] = await createStoreWithSchema(makeGraph(freshGraphId("joinorder")), backend.make("joinorder"), { autoRefreshStatistics: false });
      await seed(store);
    });
    afterAll(async () => {
      await store.close();
    });

    it("returns the reachable rows, repeated and interleaved with queries the planner orders", async () => {
      const q = traversals(store);
      for (let round = 0; round < 7; round++) {
        expect(ids(await q.two.execute({ id: "p0" }))).toEqual(reach(0, 2));
        expect(ids(await q.three.execute({ id: "p0" }))).toEqual(reach(0, 3));
        expect(ids(await q.two.execute({ id: "p1" }))).toEqual(reach(1, 2));
        if (round % 2 === 0) expect(ids(await q.free.execute())).toEqual(["p1", "p2"]);
        expect(ids(await q.filtered.execute())).toEqual(reach(1, 2));
        expect(ids(await q.free.execute())).toEqual(["p1", "p2"]);
      }
    });

    it("returns the same rows inside a transaction, and after one that rolled back", async () => {
      const q = traversals(store);
      expect(ids(await q.three.execute({ id: "p0" }))).toEqual(reach(0, 3));
      await expect(
        store.transaction(async (tx) => {
          await tx.nodes.Person.create({ name: "Tmp" }, { id: "tmp" });
          await tx.edges.knows.create({ kind: "Person", id: "p6" }, { kind: "Person", id: "tmp" });
          const inside = await tx
            .query()
            .from("Person", "s")
            .whereNode("s", (s) => s.id.eq("p3"))
            .traverse("knows", "k1")
            .to("Person", "n1")
            .traverse("knows", "k2")
            .to("Person", "n2")
            .select((c) => ({ id: c.n2.id }))
            .execute();
          expect(ids(inside)).toEqual(["tmp"]);
          throw new Error("roll back");
        }),
      ).rejects.toThrow("roll back");
      expect(ids(await q.two.execute({ id: "p3" }))).toEqual([]);
      expect(ids(await q.free.execute())).toEqual(["p1", "p2"]);
      await store.transaction(async (tx) => {
        const rows = await tx
          .query()
          .from("Person", "s")
          .whereNode("s", (s) => s.id.eq("p0"))
          .traverse("knows", "k1")
          .to("Person", "n1")
          .traverse("knows", "k2")
          .to("Person", "n2")
          .select((c) => ({ id: c.n2.id }))
          .execute();
        expect(ids(rows)).toEqual(reach(0, 2));
      });
      expect(ids(await q.three.execute({ id: "p1" }))).toEqual(reach(1, 3));
    });
  });
}

const url = process.env.DATABASE_URL;

describe.runIf(url)("written join order stays with the traversals (postgres)", () => {
  const joinedSetting = "SELECT current_setting('join_collapse_limit') FROM (SELECT 1) a JOIN (SELECT 1) b ON true";

  it("statements with joins of their own plan under the default, after a run of traversals", async () => {
    // One connection: a connection dropped by the pool's user is the one the pool hands out next.
    const backend = createPostgresBackend(url!, { maxConnections: 1 });
    const [store] = await createStoreWithSchema(makeGraph(freshGraphId("joinset")), backend, { autoRefreshStatistics: false });
    try {
      const [baseline] = await backend.query(joinedSetting);
      await seed(store);
      const q = traversals(store);
      for (let i = 0; i < 3; i++) expect(ids(await q.two.execute({ id: "p0" }))).toEqual(reach(0, 2));
      // One call at a time: each reuses the connection the previous one finished with.
      expect(await backend.query(joinedSetting)).toEqual([baseline]);
      expect(ids(await q.three.execute({ id: "p0" }))).toEqual(reach(0, 3));
      // A failed statement drops its connection: one left with the setting is closed, so the
      // pool never hands it out again as if it had the defaults.
      await expect(backend.query("SELECT 1 / 0")).rejects.toThrow();
      expect(await backend.query(joinedSetting)).toEqual([baseline]);
      expect(ids(await q.filtered.execute())).toEqual(reach(1, 2));
      await store.transaction(async (tx) => {
        const free = await tx
          .query()
          .from("Person", "s")
          .traverse("knows", "k1")
          .to("Person", "n1")
          .whereNode("n1", (n) => n.name.eq("P6"))
          .select((c) => ({ id: c.s.id }))
          .execute();
        expect(ids(free)).toEqual(["p3", "p4"]);
      });
      expect(await backend.query(joinedSetting)).toEqual([baseline]);
    } finally {
      await store.close();
    }
  });
});
