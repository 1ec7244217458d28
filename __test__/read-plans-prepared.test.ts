// Statement shapes chosen for speed must not change answers:
// - prepared traversals that start from a bound id are kept as named statements on PostgreSQL
//   (after five runs PostgreSQL may switch to a plan made without the values), so they are run
//   well past that point, from changing ids, through deleted and ended rows, temporal modes,
//   optional hops and LIMIT;
// - number comparisons against a declared index compare as `numeric` on PostgreSQL (bound
//   values cast in the statement), for integers, fractions and large values;
// - on SQLite, aggregates over a small kind in a larger graph read visibility per row instead of
//   collecting the graph's hidden rows; both forms give the same counts.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { count, createStoreWithSchema, defineEdge, defineGraph, defineNode, defineNodeIndex, field, param, type Store } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", { schema: z.object({ name: z.string(), city: z.string(), age: z.number() }) });
const Tag = defineNode("Tag", { schema: z.object({ label: z.string() }) });
const knows = defineEdge("knows", { schema: z.object({ since: z.number() }) });
const cityAge = defineNodeIndex(Person, { fields: ["city", "age"] });
const tagLabel = defineNodeIndex(Tag, { fields: ["label"] });

function makeGraph(id: string) {
  return defineGraph({
    id,
    // A person with edges can be deleted (onDelete "disconnect"); tombstone reads still see both.
    nodes: { Person: { type: Person, onDelete: "disconnect" as const }, Tag: { type: Tag } },
    edges: { knows: { type: knows, from: [Person], to: [Person] } },
    indexes: [cityAge, tagLabel],
  });
}

const PAST = { validFrom: "2000-01-01T00:00:00.000Z", validTo: "2001-01-01T00:00:00.000Z" };
const IN_PAST = "2000-06-01T00:00:00.000Z";

describe.each(backends)("prepared and indexed read shapes on $name", (bc) => {
  const open: Store[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function setup() {
    const graph = makeGraph(freshGraphId(`rpprep_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store as unknown as Store);
    await store.materializeIndexes();
    return store;
  }

  it("prepared traversals from a bound id give the same rows on every run", async () => {
    const store = await setup();
    const P = store.nodes.Person;
    // a -> b, a -> c (deleted edge), a -> e (ended node), b -> c, b -> d (deleted node), c -> a;
    // old -> a only in 2000 (edge valid in the past).
    for (const id of ["a", "b", "c", "d", "old"]) await P.create({ name: id.toUpperCase(), city: "X", age: 1 }, { id });
    await P.create({ name: "E", city: "X", age: 1 }, { id: "e", ...PAST });
    const link = (from: string, to: string, since: number, opts: Record<string, string> = {}) =>
      store.edges.knows.create({ kind: "Person", id: from }, { kind: "Person", id: to }, { since }, opts);
    await link("a", "b", 1);
    const ac = await link("a", "c", 2);
    await store.edges.knows.delete(ac.id);
    await link("a", "e", 3);
    await link("b", "c", 4);
    await link("b", "d", 5);
    await P.delete("d");
    await link("c", "a", 6);
    await link("old", "a", 7, PAST);

    const oneHop = store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.id.eq(param("id")))
      .traverse("knows", "k")
      .to("Person", "f")
      .select((c) => ({ f: c.f.id, since: c.k.since }))
      .orderBy("f", "id")
      .prepare();
    const twoHop = store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.id.eq(param("id")))
      .traverse("knows", "k1")
      .to("Person", "m")
      .traverse("knows", "k2")
      .to("Person", "f")
      .select((c) => ({ m: c.m.id, f: c.f.id }))
      .orderBy("f", "id")
      .limit(10)
      .prepare();
    const optional = store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.id.eq(param("id")))
      .optionalTraverse("knows", "k")
      .to("Person", "f")
      .select((c) => ({ p: c.p.id, f: c.f?.id }))
      .orderBy("f", "id")
      .prepare();
    const limited = store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.id.eq(param("id")))
      .traverse("knows", "k")
      .to("Person", "f")
      .select((c) => c.f.id)
      .orderBy("f", "id")
      .limit(1)
      .prepare();
    const expected: Record<string, { one: unknown[]; two: unknown[]; opt: unknown[]; lim: unknown[] }> = {
      a: { one: [{ f: "b", since: 1 }], two: [{ m: "b", f: "c" }], opt: [{ p: "a", f: "b" }], lim: ["b"] },
      b: { one: [{ f: "c", since: 4 }], two: [{ m: "c", f: "a" }], opt: [{ p: "b", f: "c" }], lim: ["c"] },
      c: { one: [{ f: "a", since: 6 }], two: [{ m: "a", f: "b" }], opt: [{ p: "c", f: "a" }], lim: ["a"] },
      d: { one: [], two: [], opt: [], lim: [] },
      e: { one: [], two: [], opt: [], lim: [] },
      old: { one: [], two: [], opt: [{ p: "old", f: undefined }], lim: [] },
      nobody: { one: [], two: [], opt: [], lim: [] },
    };
    // Twelve rounds: well past the runs after which PostgreSQL may keep a generic plan.
    for (let round = 0; round < 12; round++) {
      for (const [id, want] of Object.entries(expected)) {
        expect(await oneHop.execute({ id })).toEqual(want.one);
        expect(await twoHop.execute({ id })).toEqual(want.two);
        expect(await optional.execute({ id })).toEqual(want.opt);
        expect(await limited.execute({ id })).toEqual(want.lim);
      }
    }
    // The same answers without param(): the value is bound the same way.
    const direct = await store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.id.eq("a"))
      .traverse("knows", "k")
      .to("Person", "f")
      .select((c) => ({ f: c.f.id, since: c.k.since }))
      .orderBy("f", "id")
      .execute();
    expect(direct).toEqual(expected.a!.one);

    // Temporal modes on a prepared, id-anchored traversal.
    const at = (mode: "asOf" | "includeEnded" | "includeTombstones") => {
      const q = store.query().from("Person", "p").whereNode("p", (p) => p.id.eq(param("id")));
      const t = mode === "asOf" ? q.temporal("asOf", IN_PAST) : q.temporal(mode);
      return t
        .traverse("knows", "k")
        .to("Person", "f")
        .select((c) => c.f.id)
        .orderBy("f", "id")
        .prepare();
    };
    const asOf = at("asOf");
    const ended = at("includeEnded");
    const tombs = at("includeTombstones");
    for (let round = 0; round < 8; round++) {
      // In 2000 only "old" existed as a valid node; "a" was created now.
      expect(await asOf.execute({ id: "old" })).toEqual([]);
      expect(await ended.execute({ id: "a" })).toEqual(["b", "e"]);
      expect(await ended.execute({ id: "old" })).toEqual(["a"]);
      expect(await tombs.execute({ id: "a" })).toEqual(["b", "c", "e"]);
      expect(await tombs.execute({ id: "b" })).toEqual(["c", "d"]);
    }
  });

  it("number comparisons on an indexed field match integers, fractions and large values", async () => {
    const store = await setup();
    const ages = [0, 0.5, 1, 1.0000000000000002, 2.25, 17, 18, 18.000001, 40, 1e6, 9007199254740991];
    let i = 0;
    for (const age of ages) await store.nodes.Person.create({ name: `n${i}`, city: "Lisbon", age }, { id: `n${i++}` });
    await store.nodes.Person.create({ name: "porto", city: "Porto", age: 30 }, { id: "porto" });
    const gone = await store.nodes.Person.create({ name: "gone", city: "Lisbon", age: 50 }, { id: "gone" });
    await store.nodes.Person.delete(gone.id);
    const ageOf = (rows: readonly { age: number }[]) => rows.map((r) => r.age).sort((a, b) => a - b);
    const prepared = store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.city.eq(param("city")).and(p.age.gte(param("age"))))
      .select((c) => ({ id: c.p.id, age: c.p.age }))
      .limit(50)
      .prepare();
    for (let round = 0; round < 8; round++) {
      expect(ageOf(await prepared.execute({ city: "Lisbon", age: 18 }))).toEqual([18, 18.000001, 40, 1e6, 9007199254740991]);
      expect(ageOf(await prepared.execute({ city: "Lisbon", age: 0.5 }))).toEqual(ages.slice(1));
      expect(ageOf(await prepared.execute({ city: "Lisbon", age: 9007199254740991 }))).toEqual([9007199254740991]);
      expect(ageOf(await prepared.execute({ city: "Porto", age: 30.5 }))).toEqual([]);
      // Seventeen significant digits tell 1 and the next double apart.
      expect(ageOf(await prepared.execute({ city: "Lisbon", age: 1.0000000000000002 }))).toEqual(ages.slice(3));
    }
    const run = async (pred: (p: { age: { gt(v: number): unknown; lt(v: number): unknown; lte(v: number): unknown; between(a: number, b: number): unknown } }) => unknown) =>
      ageOf(
        await store
          .query()
          .from("Person", "p")
          .whereNode("p", (p) => p.city.eq("Lisbon").and(pred(p as never) as never))
          .select((c) => ({ age: c.p.age }))
          .execute(),
      );
    expect(await run((p) => p.age.gt(18))).toEqual([18.000001, 40, 1e6, 9007199254740991]);
    expect(await run((p) => p.age.lt(1))).toEqual([0, 0.5]);
    expect(await run((p) => p.age.lte(2.25))).toEqual([0, 0.5, 1, 1.0000000000000002, 2.25]);
    expect(await run((p) => p.age.between(0.5, 18))).toEqual([0.5, 1, 1.0000000000000002, 2.25, 17, 18]);
    expect(await run((p) => p.age.gt(1))).toEqual(ages.slice(3));
  });

  it("a grouped count over a small kind in a larger graph counts only visible rows", async () => {
    const store = await setup();
    // 3 visible tags (two "red"), one deleted, one ended, one valid only in the future;
    // 200 people make the tags a small part of the graph (the per-row form on SQLite).
    const T = store.nodes.Tag;
    await T.create({ label: "red" }, { id: "t1" });
    await T.create({ label: "red" }, { id: "t2" });
    await T.create({ label: "blue" }, { id: "t3" });
    await T.create({ label: "red" }, { id: "t4" });
    await T.delete("t4");
    await T.create({ label: "blue" }, { id: "t5", ...PAST });
    await T.create({ label: "green" }, { id: "t6", validFrom: "2999-01-01T00:00:00.000Z" });
    const byLabel = (mode?: "includeEnded" | "asOf") => {
      const from = store.query().from("Tag", "t");
      const q = mode === undefined ? from : mode === "asOf" ? from.temporal("asOf", IN_PAST) : from.temporal(mode);
      return q.groupBy("t", "label").aggregate({ label: field("t", "label"), n: count("t") });
    };
    const sorted = (rows: readonly { label: unknown; n: number }[]) => rows.map((r) => `${String(r.label)}:${Number(r.n)}`).sort();
    // While tags are most of the graph, and again once they are a small part of it.
    expect(sorted(await byLabel().execute())).toEqual(["blue:1", "red:2"]);
    await store.nodes.Person.bulkInsert(Array.from({ length: 200 }, (_, i) => ({ id: `p${i}`, props: { name: `p${i}`, city: "X", age: i } })));
    expect(sorted(await byLabel().execute())).toEqual(["blue:1", "red:2"]);
    expect(sorted(await byLabel("includeEnded").execute())).toEqual(["blue:2", "green:1", "red:2"]);
    expect(sorted(await byLabel("asOf").execute())).toEqual(["blue:1"]);
    // The larger kind in the same graph still counts right.
    const people = await store.query().from("Person", "p").groupBy("p", "city").aggregate({ city: field("p", "city"), n: count("p") }).execute();
    expect(people.map((r) => [r.city, Number(r.n)])).toEqual([["X", 200]]);
  });
});
