// Type tests for the ontology surface, traversal expansion, fieldRef and the
// search predicates of the query builder.
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  computeTransitiveClosure,
  createStore,
  defineEdge,
  defineGraph,
  defineNode,
  disjointWith,
  embedding,
  exists,
  fieldRef,
  implies,
  inverseOf,
  invertClosure,
  isMetaEdge,
  isReachable,
  metaEdge,
  searchable,
  subClassOf,
  type GraphBackend,
  type MetaEdge,
  type Predicate,
  type Store,
} from "../dist/index.js";
import { metaEdge as coreMetaEdge } from "../dist/core-entry.js";

const Media = defineNode("Media", { schema: z.object({ title: searchable(), vec: embedding(3), tags: z.array(z.string()) }) });
const Podcast = defineNode("Podcast", { schema: z.object({ title: searchable(), vec: embedding(3), tags: z.array(z.string()) }) });
const Org = defineNode("Org", { schema: z.object({ name: z.string() }) });
const knows = defineEdge("knows");
const marriedTo = defineEdge("marriedTo", { schema: z.object({ year: z.number() }) });
const graph = defineGraph({
  id: "types",
  nodes: { Media, Podcast, Org },
  edges: { knows: { type: knows, from: [Media], to: [Media] }, marriedTo: { type: marriedTo, from: [Media], to: [Media] } },
  ontology: [subClassOf(Podcast, Media), disjointWith(Media, Org), implies(marriedTo, knows), inverseOf(knows, knows), { metaEdge: metaEdge("custom"), from: Media, to: Org }],
});
declare const store: Store<typeof graph>;
declare const backend: GraphBackend;

describe("ontology types", () => {
  it("factories, meta-edges and closures", () => {
    expectTypeOf(subClassOf(Podcast, Media).metaEdge).toEqualTypeOf<MetaEdge>();
    expectTypeOf(metaEdge("regulatedBy").name).toEqualTypeOf<"regulatedBy">();
    expectTypeOf(coreMetaEdge("x", { transitive: true })).toEqualTypeOf<MetaEdge<"x">>();
    const v: unknown = null;
    if (isMetaEdge(v)) expectTypeOf(v).toEqualTypeOf<MetaEdge>();
    const c = computeTransitiveClosure([["a", "b"]]);
    expectTypeOf(c).toEqualTypeOf<ReadonlyMap<string, ReadonlySet<string>>>();
    expectTypeOf(invertClosure(c)).toEqualTypeOf<ReadonlyMap<string, ReadonlySet<string>>>();
    expectTypeOf(isReachable(c, "a", "b")).toEqualTypeOf<boolean>();
    createStore(graph, backend, { queryDefaults: { traversalExpansion: "none" } });
    // @ts-expect-error unknown expansion default
    createStore(graph, backend, { queryDefaults: { traversalExpansion: "sideways" } });
  });

  it("traverse expand options", () => {
    const q = store.query().from("Media", "m");
    q.traverse("knows", "e", { expand: "implying" });
    q.traverse("knows", "e", { expand: "all", direction: "in" });
    q.optionalTraverse("knows", "e", { expand: "none" });
    // @ts-expect-error unknown expansion mode
    q.traverse("knows", "e", { expand: "sideways" });
  });
});

describe("search predicate and fieldRef types", () => {
  it("similarTo on number arrays, $fulltext on nodes, fuseWith on the builder", () => {
    const q = store.query().from("Media", "m");
    q.whereNode("m", (m) => {
      expectTypeOf(m.vec.similarTo([1, 2, 3], 5, { metric: "cosine", minScore: 0.5, approximate: true })).toEqualTypeOf<Predicate>();
      expectTypeOf(m.$fulltext.matches("x", 10, { mode: "phrase", minScore: 1 })).toEqualTypeOf<Predicate>();
      // @ts-expect-error string arrays have no similarTo
      m.tags.similarTo([1], 1);
      // @ts-expect-error unknown fulltext mode
      m.$fulltext.matches("x", 10, { mode: "fuzzy" });
      // @ts-expect-error unknown metric
      m.vec.similarTo([1, 2, 3], 5, { metric: "manhattan" });
      return m.$fulltext.matches("x").and(m.vec.similarTo([1, 2, 3], 5));
    });
    q.fuseWith({ k: 60, weights: { vector: 1, fulltext: 1.5 } });
    // @ts-expect-error weights are numbers
    q.fuseWith({ weights: { vector: "1" } });
  });

  it("fieldRef is accepted wherever a comparison value is", () => {
    store
      .query()
      .from("Media", "m")
      .whereNode("m", () => exists(store.query().from("Org", "o").whereNode("o", (o) => o.name.eq(fieldRef("m", ["title"]))).select((c) => ({ id: c.o.id })).toAst()));
    const agg = store.query().from("Org", "o").aggregate({ id: fieldRef("o", ["id"], { valueType: "string" }) });
    expectTypeOf(agg.execute()).toEqualTypeOf<Promise<readonly { id: unknown }[]>>();
  });
});
