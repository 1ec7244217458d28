// Compiled statements bind each distinct value once: placeholders are numbered (`?N` on SQLite,
// `$N` on PostgreSQL) and a value the statement repeats — the read instant and graph id in every
// alias's current-read filter, a param() used in several places, a cursor value the keyset
// comparison reads twice — shares one number.
// - toSQL() lists one parameter per number, every number used, none repeated;
// - traversals, repeated param() slots, paginate() cursors in both directions, count/exists and
//   set operations answer as before, on both backends, prepared runs included.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineEdge, defineGraph, defineNode, param, type Store } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", { schema: z.object({ name: z.string(), age: z.number(), city: z.string() }) });
const knows = defineEdge("knows", { schema: z.object({ since: z.number() }) });

function makeGraph(id: string) {
  return defineGraph({ id, nodes: { Person: { type: Person } }, edges: { knows: { type: knows, from: [Person], to: [Person] } } });
}

const INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** The placeholder numbers of a statement, outside quoted text and identifiers. */
function numbers(sql: string, dialect: "sqlite" | "postgres"): number[] {
  const bare = sql.replace(/'(?:[^']|'')*'/g, "''").replace(/"(?:[^"]|"")*"/g, '""');
  const re = dialect === "sqlite" ? /\?(\d*)/g : /\$(\d*)/g;
  return [...bare.matchAll(re)].map((m) => (m[1] === "" ? Number.NaN : Number(m[1])));
}

describe.each(backends)("numbered statement parameters on $name", (bc) => {
  const open: Store[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function setup() {
    const graph = makeGraph(freshGraphId(`qnp_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store as unknown as Store);
    const P = store.nodes.Person;
    const people = [
      ["a", "Ann", 31, "Lisbon"],
      ["b", "Bob", 45, "Porto"],
      ["c", "Cy", 45, "Lisbon"],
      ["d", "Di", 28, "Lisbon"],
      ["e", "Ed", 60, "Porto"],
    ] as const;
    for (const [id, name, age, city] of people) await P.create({ name, age, city }, { id });
    const K = store.edges.knows;
    for (const [from, to, since] of [["a", "b", 2001], ["a", "c", 2005], ["b", "c", 2010], ["c", "d", 2015], ["a", "e", 1999]] as const) {
      await K.create({ kind: "Person", id: from }, { kind: "Person", id: to }, { since });
    }
    return { store, graphId: graph.id };
  }

  it("toSQL() numbers its placeholders and lists each repeated value once", async () => {
    const { store, graphId } = await setup();
    const { sql, params } = store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.id.eq(param("id")))
      .traverse("knows", "k")
      .to("Person", "q")
      .select((c) => ({ id: c.q.id, since: c.k.since }))
      .toSQL();
    const used = numbers(sql, bc.name);
    // Every placeholder is numbered, within the list, and every listed parameter is used.
    expect(used.every((n) => Number.isInteger(n) && n >= 1 && n <= params.length)).toBe(true);
    expect(new Set(used).size).toBe(params.length);
    // Three aliases each read at the current instant and in the graph: one binding of each.
    expect(used.length).toBeGreaterThan(params.length);
    expect(params.filter((v) => typeof v === "string" && INSTANT.test(v))).toHaveLength(1);
    expect(params.filter((v) => v === graphId)).toHaveLength(1);
    expect(params.filter((v) => v === null)).toHaveLength(1); // the unbound param("id")
    // No two listed parameters are the same value.
    expect(new Set(params.map((v) => JSON.stringify(v))).size).toBe(params.length);
  });

  it("traversals and a param() used in several places answer as with the values written in", async () => {
    const { store } = await setup();
    const hop = store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.id.eq(param("id")))
      .traverse("knows", "k")
      .to("Person", "q")
      .select((c) => ({ id: c.q.id, since: c.k.since }))
      .orderBy("q", "id")
      .prepare();
    expect(await hop.execute({ id: "a" })).toEqual([
      { id: "b", since: 2001 },
      { id: "c", since: 2005 },
      { id: "e", since: 1999 },
    ]);
    expect(await hop.execute({ id: "c" })).toEqual([{ id: "d", since: 2015 }]);
    expect(await hop.execute({ id: "nobody" })).toEqual([]);

    // One slot read three times (two comparisons and an equality), next to a second slot.
    const build = (age: unknown, city: unknown) =>
      store
        .query()
        .from("Person", "p")
        .whereNode("p", (p) =>
          p.age
            .gte(age as number)
            .and(p.age.lte(age as number).or(p.city.eq(city as string)))
            .or(p.age.eq(age as number)),
        )
        .select((c) => c.p.id)
        .orderBy("p", "id");
    const prepared = build(param("age"), param("city")).prepare();
    for (const [age, city] of [[45, "Lisbon"], [28, "Porto"], [60, "Nowhere"]] as const) {
      const written = await build(age, city).execute();
      expect(await prepared.execute({ age, city })).toEqual(written);
    }
    expect(await prepared.execute({ age: 45, city: "Lisbon" })).toEqual(["b", "c"]);
    expect(await prepared.execute({ age: 28, city: "Porto" })).toEqual(["b", "d", "e"]);

    // Two hops, the same value as a param() and as a constant elsewhere in the statement.
    const two = store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.city.eq(param("city")))
      .traverse("knows", "k1")
      .to("Person", "q")
      .whereNode("q", (q) => q.city.eq("Lisbon"))
      .traverse("knows", "k2")
      .to("Person", "r")
      .select((c) => ({ from: c.p.id, to: c.r.id }))
      .orderBy("p", "id")
      .orderBy("r", "id")
      .prepare();
    expect(await two.execute({ city: "Lisbon" })).toEqual([{ from: "a", to: "d" }]);
    expect(await two.execute({ city: "Porto" })).toEqual([{ from: "b", to: "d" }]);
  });

  it("paginate() cursors (each value compared twice) walk forward and back; count and set operations answer", async () => {
    const { store } = await setup();
    const q = store.query().from("Person", "p").select((c) => c.p.id).orderBy("p", "age", "desc").orderBy("p", "id", "asc");
    const seen: string[] = [];
    let page = await q.paginate({ first: 2 });
    seen.push(...(page.data as string[]));
    while (page.hasNextPage) {
      page = await q.paginate({ first: 2, after: page.nextCursor });
      seen.push(...(page.data as string[]));
    }
    expect(seen).toEqual(["e", "b", "c", "a", "d"]);
    const back = await q.paginate({ last: 2, before: (await q.paginate({ first: 3 })).nextCursor });
    expect(back.data).toEqual(["e", "b"]);

    const inLisbon = () => store.query().from("Person", "p").whereNode("p", (p) => p.city.eq("Lisbon"));
    expect(await inLisbon().count()).toBe(3);
    expect(await inLisbon().exists()).toBe(true);
    const lisbon = inLisbon().select((c) => c.p.id);
    const older = store.query().from("Person", "p").whereNode("p", (p) => p.age.gte(45)).select((c) => c.p.id);
    expect([...(await lisbon.union(older).execute())].sort()).toEqual(["a", "b", "c", "d", "e"]);
    expect([...(await lisbon.intersect(older).execute())].sort()).toEqual(["c"]);
    expect([...(await lisbon.except(older).execute())].sort()).toEqual(["a", "d"]);
  });
});
