// Single props picked out by a select — through traversals, from node and edge aliases —
// read back exactly as stored: strings with quotes, backslashes and non-ASCII text, objects,
// arrays, numbers, booleans, a stored JSON null kept apart from a missing key, odd key names,
// optional traversals that miss; set operations still compare the selected values.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineEdge, defineGraph, defineNode, param, type Store } from "../dist/index.js";
import { defineNodeIndex } from "../dist/indexes-entry.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", {
  schema: z.object({
    name: z.string(),
    nick: z.string().nullable().optional(),
    score: z.number().nullable().optional(),
    tags: z.array(z.string()).optional(),
    address: z.object({ city: z.string(), geo: z.object({ lat: z.number() }).optional() }).optional(),
    active: z.boolean().optional(),
    'odd "key\\': z.string().optional(),
  }),
});
const knows = defineEdge("knows", {
  schema: z.object({ since: z.number().nullable().optional(), note: z.string().optional() }),
});
const byScore = defineNodeIndex(Person, { fields: ["score"] });

function makeGraph(id: string, indexed: boolean) {
  return defineGraph({
    id,
    nodes: { Person },
    edges: { knows: { type: knows, from: [Person], to: [Person] } },
    ...(indexed ? { indexes: [byScore] } : {}),
  });
}
type G = ReturnType<typeof makeGraph>;

const people = [
  { id: "a", name: 'Ann "the \\ first"', nick: null, score: 1.5, tags: ["x", "}", "]"], address: { city: "Zürich", geo: { lat: -47.25 } }, active: true, 'odd "key\\': "odd" },
  { id: "b", name: "Bö 😀 \u0001 tab\tline\nend", score: null, tags: [], address: { city: "Porto" }, active: false },
  { id: "c", name: "Cy", nick: "cee", score: 123456789012, tags: ["[{"] },
  { id: "d", name: "Cy", score: -0.001 },
];
const edges = [
  { from: "a", to: "b", props: { since: 2001, note: 'n "1"' } },
  { from: "a", to: "c", props: { since: null } },
  { from: "b", to: "c", props: {} },
  { from: "b", to: "d", props: { since: 0, note: "" } },
];

describe.each(backends)("selected props through traversals on $name", (bc) => {
  const open: Store<G>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  for (const indexed of [false, true]) {
    it(`reads every kind of value back as stored (${indexed ? "declared index" : "no index"})`, async () => {
      const graph = makeGraph(freshGraphId(`qprops_${bc.name}`), indexed);
      const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
      open.push(store);
      if (indexed) await store.materializeIndexes();
      for (const { id, ...props } of people) await store.nodes.Person.create(props, { id });
      for (const e of edges) await store.edges.knows.create({ kind: "Person", id: e.from }, { kind: "Person", id: e.to }, e.props);
      const byId = Object.fromEntries(people.map((p) => [p.id, p]));

      // Two hops from a bound start: the last node's and the last edge's props.
      const twoHop = store
        .query()
        .from("Person", "p0")
        .whereNode("p0", (p) => p.id.eq(param("id")))
        .traverse("knows", "k1")
        .to("Person", "p1")
        .traverse("knows", "k2")
        .to("Person", "p2")
        .select((c) => ({
          mid: c.p1.name,
          id: c.p2.id,
          name: c.p2.name,
          nick: c.p2.nick,
          score: c.p2.score,
          tags: c.p2.tags,
          address: c.p2.address,
          active: c.p2.active,
          since: c.k2.since,
          note: c.k2.note,
        }))
        .orderBy("p2", "id")
        .prepare();
      for (const run of [1, 2]) {
        const rows = await twoHop.execute({ id: "a" });
        expect(rows.map((r) => r.id), `run ${run}`).toEqual(["c", "d"]);
        for (const r of rows) {
          const p = byId[r.id]! as Record<string, unknown>;
          const e = edges.find((x) => x.from === "b" && x.to === r.id)!.props as Record<string, unknown>;
          expect(r).toEqual({
            mid: byId.b!.name,
            id: r.id,
            name: p.name,
            nick: p.nick,
            score: p.score,
            tags: p.tags,
            address: p.address,
            active: p.active,
            since: e.since,
            note: e.note,
          });
        }
        // Missing keys stay undefined; a stored null stays null.
        const d = rows.find((r) => r.id === "d")!;
        expect(d.nick).toBeUndefined();
        expect(d.tags).toBeUndefined();
        expect(rows.find((r) => r.id === "c")!.since).toBeUndefined();
      }

      // One hop: stored JSON nulls on both sides, objects and arrays with brackets in strings.
      const oneHop = await store
        .query()
        .from("Person", "p")
        .whereNode("p", (p) => p.id.eq("a"))
        .traverse("knows", "k")
        .to("Person", "q")
        .select((c) => ({ id: c.q.id, name: c.q.name, score: c.q.score, tags: c.q.tags, since: c.k.since, note: c.k.note, start: c.p.name, odd: c.p['odd "key\\'], addr: c.p.address }))
        .orderBy("q", "id")
        .execute();
      expect(oneHop).toEqual([
        { id: "b", name: byId.b!.name, score: null, tags: [], since: 2001, note: 'n "1"', start: byId.a!.name, odd: "odd", addr: byId.a!.address },
        { id: "c", name: "Cy", score: 123456789012, tags: ["[{"], since: null, note: undefined, start: byId.a!.name, odd: "odd", addr: byId.a!.address },
      ]);
      expect(oneHop[0]).toHaveProperty("score", null);
      expect(oneHop[1]).toHaveProperty("since", null);

      // An optional traversal that misses: the far side's props are undefined.
      const optional = await store
        .query()
        .from("Person", "p")
        .optionalTraverse("knows", "k")
        .to("Person", "q")
        .select((c) => ({ id: c.p.id, to: c.q?.id, name: c.q?.name, since: c.k?.since }))
        .orderBy("p", "id")
        .orderBy("q", "id")
        .execute();
      expect(optional).toEqual([
        { id: "a", to: "b", name: byId.b!.name, since: 2001 },
        { id: "a", to: "c", name: "Cy", since: null },
        { id: "b", to: "c", name: "Cy", since: undefined },
        { id: "b", to: "d", name: "Cy", since: 0 },
        { id: "c", to: undefined, name: undefined, since: undefined },
        { id: "d", to: undefined, name: undefined, since: undefined },
      ]);

      // Set operations compare the selected values.
      const named = (id: string) => store.query().from("Person", "p").whereNode("p", (p) => p.id.eq(id)).select((c) => ({ name: c.p.name }));
      expect(await named("a").union(named("a")).execute()).toEqual([{ name: byId.a!.name }]);
      expect(await named("a").unionAll(named("a")).execute()).toEqual([{ name: byId.a!.name }, { name: byId.a!.name }]);
      expect(await named("a").intersect(named("a")).execute()).toEqual([{ name: byId.a!.name }]);
      expect(await named("a").except(named("a")).execute()).toEqual([]);

      // Ordered by the selected number, with a limit.
      const top = await store
        .query()
        .from("Person", "p")
        .whereNode("p", (p) => p.score.isNotNull())
        .select((c) => ({ id: c.p.id, score: c.p.score }))
        .orderBy("p", "score", "desc")
        .limit(2)
        .execute();
      expect(top).toEqual([
        { id: "c", score: 123456789012 },
        { id: "a", score: 1.5 },
      ]);
    });
  }
});
