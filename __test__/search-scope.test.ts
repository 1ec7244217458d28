// Search predicates on an alias reached by traversal rank within what the traversal reaches:
// the top-k is taken among reachable nodes, so a weaker match the user can reach is not crowded
// out by stronger ones elsewhere. $fulltext.matches() on an alias whose kinds declare no
// searchable() field is refused when the predicate is built.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  UnsupportedPredicateError,
  ValidationError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  embedding,
  searchable,
  subClassOf,
  type Store,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Recipe = defineNode("Recipe", { schema: z.object({ title: searchable(), taste: embedding(2).optional() }) });
const Cook = defineNode("Cook", { schema: z.object({ name: z.string() }) });
const owns = defineEdge("owns");

describe.each(backends)("search scoped by traversal on $name", (bc) => {
  const open: Store<any>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function kitchen() {
    const graph = defineGraph({
      id: freshGraphId(`scope_${bc.name}`),
      nodes: { Recipe: { type: Recipe }, Cook: { type: Cook } },
      edges: { owns: { type: owns, from: [Cook], to: [Recipe] } },
    });
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    const ana = await store.nodes.Cook.create({ name: "Ana" }, { id: "c-ana" });
    const ben = await store.nodes.Cook.create({ name: "Ben" }, { id: "c-ben" });
    const mine = await store.nodes.Recipe.create({ title: "lentil soup with lemon", taste: [0.2, 1] }, { id: "r-ana" });
    await store.edges.owns.create(ana, mine);
    // Ben's recipes match better, on both signals.
    for (let i = 0; i < 4; i++) {
      const r = await store.nodes.Recipe.create({ title: `lentil lentil lentil stew ${i}`, taste: [1, 0.01 * i] }, { id: `r-ben-${i}` });
      await store.edges.owns.create(ben, r);
    }
    return store;
  }

  it("$fulltext.matches() top-k counts only reachable nodes", async () => {
    const store = await kitchen();
    const found = await store
      .query()
      .from("Cook", "c")
      .whereNode("c", (c) => c.name.eq("Ana"))
      .traverse("owns", "o")
      .to("Recipe", "r")
      .whereNode("r", (r) => r.$fulltext.matches("lentil", 1))
      .select((x) => x.r.id)
      .execute();
    expect(found).toEqual(["r-ana"]);
    // From the start alias the top-k stays global.
    const global = await store
      .query()
      .from("Recipe", "r")
      .whereNode("r", (r) => r.$fulltext.matches("lentil", 2))
      .select((x) => x.r.id)
      .execute();
    expect(global.every((id) => id.startsWith("r-ben-"))).toBe(true);
  });

  it("similarTo() top-k counts only reachable nodes", async () => {
    const store = await kitchen();
    const found = await store
      .query()
      .from("Cook", "c")
      .whereNode("c", (c) => c.name.eq("Ana"))
      .traverse("owns", "o")
      .to("Recipe", "r")
      .whereNode("r", (r) => r.taste.similarTo([1, 0], 1))
      .select((x) => x.r.id)
      .execute();
    expect(found).toEqual(["r-ana"]);
    const bens = await store
      .query()
      .from("Cook", "c")
      .whereNode("c", (c) => c.name.eq("Ben"))
      .traverse("owns", "o")
      .to("Recipe", "r")
      .whereNode("r", (r) => r.taste.similarTo([1, 0], 2))
      .select((x) => x.r.id)
      .execute();
    expect([...bens].sort()).toEqual(["r-ben-0", "r-ben-1"]);
  });

  it("$fulltext.matches() on kinds without searchable() fields is refused when built", async () => {
    const store = await kitchen();
    const asText = (a: unknown) => (a as { $fulltext: { matches(q: string, k?: number): never } }).$fulltext;
    expect(() => store.query().from("Cook", "c").whereNode("c", (c) => asText(c).matches("ana", 3))).toThrow(UnsupportedPredicateError);
    expect(() => store.query().from("Cook", "c").whereNode("c", (c) => asText(c).matches("ana", 3))).toThrow(/alias "c".*searchable\(\)/);
    expect(() => store.query().from("Recipe", "r").whereNode("r", (r) => r.$fulltext.matches("lentil", 0))).toThrow(/positive finite number/);
  });
});

describe("polymorphic and dynamic aliases", () => {
  it("a subclass without searchable() fields makes the polymorphic alias unsearchable", async () => {
    const Note = defineNode("Note", { schema: z.object({ text: z.string() }) });
    const Memo = defineNode("Memo", { schema: z.object({ text: searchable() }) });
    const Sketch = defineNode("Sketch", { schema: z.object({ text: z.string() }) });
    const graph = defineGraph({
      id: freshGraphId("poly_ft"),
      nodes: { Note: { type: Note }, Memo: { type: Memo }, Sketch: { type: Sketch } },
      edges: {},
      ontology: [subClassOf(Memo, Note), subClassOf(Sketch, Note)],
    });
    const [store] = await createStoreWithSchema(graph, backends[0]!.make(graph.id));
    try {
      const asText = (a: unknown) => (a as { $fulltext: { matches(q: string, k?: number): never } }).$fulltext;
      expect(() => store.query().from("Note", "n", { includeSubClasses: true }).whereNode("n", (n) => asText(n).matches("x", 5))).toThrow(/"Note".*"Sketch"|"Sketch"/);
      expect(() => store.query().from("Memo", "m").whereNode("m", (m) => m.$fulltext.matches("x", 5))).not.toThrow();
      // A dynamic alias names an undeclared property in its error.
      expect(() => store.query().fromDynamic("Memo", "m").whereNode("m", (m) => m.field("txet").string().eq("x"))).toThrow(ValidationError);
      expect(() => store.query().fromDynamic("Memo", "m").whereNode("m", (m) => m.field("txet").string().eq("x"))).toThrow(/Property "txet" is not declared/);
    } finally {
      await store.close();
    }
  });
});
