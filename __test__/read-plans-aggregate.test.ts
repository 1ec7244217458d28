// Aggregates over one kind whose fields a declared index holds: on SQLite the visibility filter
// is read through the system indexes (rows hidden at the read instant, skipped by rowid) so the
// aggregate scans the declared index alone. The answers must be those of the row-by-row filter:
// deleted, ended, not-yet-valid rows, other kinds and other graphs never count.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { avg, count, createStoreWithSchema, defineGraph, defineNode, defineNodeIndex, field, max, min, sum, type Store } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", { schema: z.object({ name: z.string(), city: z.string(), age: z.number().int(), nick: z.string() }) });
const Robot = defineNode("Robot", { schema: z.object({ city: z.string() }) });
const cityAge = defineNodeIndex(Person, { fields: ["city", "age"] });

function makeGraph(id: string) {
  return defineGraph({ id, nodes: { Person: { type: Person }, Robot: { type: Robot } }, edges: {}, indexes: [cityAge] });
}

const YEAR_2000 = "2000-06-01T00:00:00.000Z";
const YEAR_2010 = "2010-06-01T00:00:00.000Z";
const FUTURE = "2999-01-01T00:00:00.000Z";

type Row = { city: string; n: number };
const sorted = (rows: readonly Row[]) => [...rows].map((r) => `${r.city}:${r.n}`).sort();

describe.each(backends)("index-only aggregates on $name", (bc) => {
  const open: Store[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function setup(materialize: boolean) {
    const id = freshGraphId(`rpagg_${bc.name}`);
    const graph = makeGraph(id);
    const [store] = await createStoreWithSchema(graph, bc.make(id));
    open.push(store as unknown as Store);
    if (materialize) await store.materializeIndexes();
    const P = store.nodes.Person;
    // Live rows: Lisbon 3 (ages 20, 30, 40), Porto 2 (ages 50, 60).
    let i = 0;
    const person = (city: string, age: number, opts: Record<string, string> = {}) =>
      P.create({ name: `p${i}`, city, age, nick: `n${i}` }, { id: `p${i++}`, ...opts });
    await person("Lisbon", 20);
    await person("Lisbon", 30);
    await person("Lisbon", 40);
    await person("Porto", 50);
    await person("Porto", 60);
    // Hidden now: deleted (Lisbon), ended in 2001 (Porto, valid 2000-01-01 .. 2001-01-01),
    // valid only from 2999 (Berlin), and the only Rome row deleted.
    const gone = await person("Lisbon", 99);
    await P.delete(gone.id);
    await person("Porto", 70, { validFrom: "2000-01-01T00:00:00.000Z", validTo: "2001-01-01T00:00:00.000Z" });
    await person("Berlin", 80, { validFrom: FUTURE });
    const rome = await person("Rome", 10);
    await P.delete(rome.id);
    // Another kind with the same field, and another graph in the same database.
    await store.nodes.Robot.create({ city: "Lisbon" });
    const otherId = freshGraphId(`rpagg_other_${bc.name}`);
    const [other] = await createStoreWithSchema(makeGraph(otherId), bc.make(id));
    open.push(other as unknown as Store);
    await other.nodes.Person.create({ name: "x", city: "Lisbon", age: 1, nick: "x" });
    return store;
  }

  for (const materialize of [true, false]) {
    it(`grouped count and other aggregates see only visible rows (index ${materialize ? "built" : "declared only"})`, async () => {
      const store = await setup(materialize);
      const byCity = store.query().from("Person", "p").groupBy("p", "city").aggregate({ city: field("p", "city"), n: count("p") });
      expect(sorted((await byCity.execute()) as Row[])).toEqual(["Lisbon:3", "Porto:2"]);
      if (bc.name === "sqlite") expect(byCity.toSQL().sql).toContain("rowid NOT IN");

      const stats = await store
        .query()
        .from("Person", "p")
        .groupBy("p", "city")
        .aggregate({ city: field("p", "city"), n: count("p"), total: sum("p", "age"), mean: avg("p", "age"), lo: min("p", "age"), hi: max("p", "age") })
        .execute();
      const byName = Object.fromEntries(stats.map((r) => [r.city, [r.n, r.total, r.mean, r.lo, r.hi].map(Number)]));
      expect(byName).toEqual({ Lisbon: [3, 90, 30, 20, 40], Porto: [2, 110, 55, 50, 60] });

      // Ungrouped count of the kind.
      const all = await store.query().from("Person", "p").aggregate({ n: count("p") }).execute();
      expect(all.map((r) => Number(r.n))).toEqual([5]);

      // includeEnded keeps the ended and the not-yet-valid rows; deleted rows stay out.
      const ended = await store
        .query()
        .from("Person", "p")
        .temporal("includeEnded")
        .groupBy("p", "city")
        .aggregate({ city: field("p", "city"), n: count("p") })
        .execute();
      expect(sorted(ended as Row[])).toEqual(["Berlin:1", "Lisbon:3", "Porto:3"]);

      // asOf 2000-06: only the row valid in 2000 (the others were created now).
      const asOf2000 = await store
        .query()
        .from("Person", "p")
        .temporal("asOf", YEAR_2000)
        .groupBy("p", "city")
        .aggregate({ city: field("p", "city"), n: count("p") })
        .execute();
      expect(sorted(asOf2000 as Row[])).toEqual(["Porto:1"]);
      const asOf2010 = await store
        .query()
        .from("Person", "p")
        .temporal("asOf", YEAR_2010)
        .groupBy("p", "city")
        .aggregate({ city: field("p", "city"), n: count("p") })
        .execute();
      expect(asOf2010).toEqual([]);

      // includeTombstones counts every row of the kind in this graph.
      const everything = await store
        .query()
        .from("Person", "p")
        .temporal("includeTombstones")
        .groupBy("p", "city")
        .aggregate({ city: field("p", "city"), n: count("p") })
        .execute();
      expect(sorted(everything as Row[])).toEqual(["Berlin:1", "Lisbon:4", "Porto:3", "Rome:1"]);

      // A field outside the index keeps the row-by-row filter; the answer is the same kind of count.
      const byNick = store.query().from("Person", "p").groupBy("p", "nick").aggregate({ nick: field("p", "nick"), n: count("p") });
      if (bc.name === "sqlite") expect(byNick.toSQL().sql).not.toContain("rowid NOT IN");
      expect((await byNick.execute()).length).toBe(5);

      // A row deleted later leaves the counts.
      await store.nodes.Person.delete("p0");
      expect(sorted((await byCity.execute()) as Row[])).toEqual(["Lisbon:2", "Porto:2"]);
    });
  }

  it("the same counts when nothing is hidden (the statement's EXISTS short cut) and after a row is hidden", async () => {
    const id = freshGraphId(`rpagg_clean_${bc.name}`);
    const [store] = await createStoreWithSchema(makeGraph(id), bc.make(id));
    open.push(store as unknown as Store);
    await store.materializeIndexes();
    for (let k = 0; k < 30; k++) await store.nodes.Person.create({ name: `q${k}`, city: k % 3 === 0 ? "A" : "B", age: k, nick: "z" }, { id: `q${k}` });
    const q = store.query().from("Person", "p").groupBy("p", "city").aggregate({ city: field("p", "city"), n: count("p") });
    expect(sorted((await q.execute()) as Row[])).toEqual(["A:10", "B:20"]);
    await store.nodes.Person.delete("q3");
    await store.nodes.Person.delete("q4");
    expect(sorted((await q.execute()) as Row[])).toEqual(["A:9", "B:19"]);
  });
});
