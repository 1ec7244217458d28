// similarTo() over an alias with includeSubClasses, on both backends: every kind of the alias
// that declares the embedding field is ranked (its own vector table and metric) and the top-k
// is merged by distance; kinds without the field are left out; nodes of different kinds that
// share an id stay apart (also under $fulltext.matches and fuseWith).
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigurationError, createStoreWithSchema, defineGraph, defineNode, embedding, searchable, subClassOf, type Store } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Doc = defineNode("Doc", { schema: z.object({ title: searchable(), tenant: z.string(), emb: embedding(3).optional() }) });
const Memo = defineNode("Memo", { schema: z.object({ title: searchable(), tenant: z.string(), emb: embedding(3).optional() }) });
const Tag = defineNode("Tag", { schema: z.object({ title: z.string(), tenant: z.string() }) });

function graphFor(id: string) {
  return defineGraph({
    id,
    nodes: { Doc, Memo, Tag },
    edges: {},
    ontology: [subClassOf(Memo, Doc), subClassOf(Tag, Doc)],
  });
}

/** Doc and Memo only: every kind of the polymorphic alias declares searchable() fields. */
function searchableGraphFor(id: string) {
  return defineGraph({ id, nodes: { Doc, Memo }, edges: {}, ontology: [subClassOf(Memo, Doc)] });
}

describe.each(backends)("similarTo over includeSubClasses on $name", (bc) => {
  const open: Store<any>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function seeded(withTag = true) {
    const graph = (withTag ? graphFor : searchableGraphFor)(freshGraphId(`simsub_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    await store.nodes.Doc.create({ title: "x-axis", tenant: "b", emb: [1, 0, 0] }, { id: "d1" });
    await store.nodes.Doc.create({ title: "y-axis", tenant: "a", emb: [0, 1, 0] }, { id: "d2" });
    await store.nodes.Doc.create({ title: "diagonal", tenant: "a", emb: [0.6, 0.8, 0] }, { id: "d3" });
    // Same id as a Doc, another kind: ranked on its own vector.
    await store.nodes.Memo.create({ title: "memo x", tenant: "a", emb: [1, 0, 0] }, { id: "d2" });
    await store.nodes.Memo.create({ title: "memo near x", tenant: "a", emb: [0.9, 0.1, 0] }, { id: "m1" });
    await store.nodes.Memo.create({ title: "memo z", tenant: "a", emb: [0, 0, 1] }, { id: "m2" });
    await store.nodes.Memo.create({ title: "memo without vector", tenant: "a" }, { id: "m3" });
    if (withTag) await store.getNodeCollection("Tag")!.create({ title: "tag", tenant: "a" }, { id: "t1" });
    return store;
  }

  const pairs = (rows: readonly { id: string; kind: string }[]) => rows.map((r) => `${r.kind}/${r.id}`);

  it("ranks every declaring kind and merges the k nearest by distance", async () => {
    const store = await seeded();
    const all = await store
      .query()
      .from("Doc", "d", { includeSubClasses: true })
      .whereNode("d", (d) => d.emb.similarTo([1, 0, 0], 3))
      .select((c) => ({ id: c.d.id, kind: c.d.kind }))
      .execute();
    expect(pairs(all)).toEqual(["Doc/d1", "Memo/d2", "Memo/m1"]);

    const wide = await store
      .query()
      .from("Doc", "d", { includeSubClasses: true })
      .whereNode("d", (d) => d.emb.similarTo([1, 0, 0], 10))
      .select((c) => ({ id: c.d.id, kind: c.d.kind }))
      .execute();
    // Nodes without a vector and kinds without the field never appear.
    expect(pairs(wide)).toEqual(["Doc/d1", "Memo/d2", "Memo/m1", "Doc/d3", "Doc/d2", "Memo/m2"]);

    // Without includeSubClasses: the kind alone, as before.
    const own = await store
      .query()
      .from("Doc", "d")
      .whereNode("d", (d) => d.emb.similarTo([1, 0, 0], 3))
      .select((c) => ({ id: c.d.id, kind: c.d.kind }))
      .execute();
    expect(pairs(own)).toEqual(["Doc/d1", "Doc/d3", "Doc/d2"]);
  });

  it("applies the alias's other predicates before the cut, and minScore per kind", async () => {
    const store = await seeded();
    const filtered = await store
      .query()
      .from("Doc", "d", { includeSubClasses: true })
      .whereNode("d", (d) => d.emb.similarTo([1, 0, 0], 3).and(d.tenant.eq("a")))
      .select((c) => ({ id: c.d.id, kind: c.d.kind, title: c.d.title }))
      .execute();
    expect(pairs(filtered)).toEqual(["Memo/d2", "Memo/m1", "Doc/d3"]);
    expect(filtered[0]!.title).toBe("memo x");

    const close = await store
      .query()
      .from("Doc", "d", { includeSubClasses: true })
      .whereNode("d", (d) => d.emb.similarTo([1, 0, 0], 10, { minScore: 0.9 }))
      .select((c) => ({ id: c.d.id, kind: c.d.kind }))
      .execute();
    expect(pairs(close)).toEqual(["Doc/d1", "Memo/d2", "Memo/m1"]);

    const n = await store
      .query()
      .from("Doc", "d", { includeSubClasses: true })
      .whereNode("d", (d) => d.emb.similarTo([0, 0, 1], 2))
      .count();
    expect(n).toBe(2);
  });

  it("fuses with $fulltext.matches over the same kinds, keeping same-id nodes of different kinds apart", async () => {
    // A subclass without searchable() fields (Tag) makes the alias unsearchable (as upstream).
    const mixed = await seeded();
    expect(() => mixed.query().from("Doc", "d", { includeSubClasses: true }).whereNode("d", (d) => d.$fulltext.matches("memo", 10))).toThrow(/"Tag"/);
    const store = await seeded(false);
    const text = await store
      .query()
      .from("Doc", "d", { includeSubClasses: true })
      .whereNode("d", (d) => d.$fulltext.matches("memo", 10))
      .select((c) => ({ id: c.d.id, kind: c.d.kind }))
      .execute();
    // The Doc "d2" does not mention memo: only the Memo "d2" matches.
    expect(pairs(text).sort()).toEqual(["Memo/d2", "Memo/m1", "Memo/m2", "Memo/m3"]);
    const fused = await store
      .query()
      .from("Doc", "d", { includeSubClasses: true })
      .whereNode("d", (d) => d.$fulltext.matches("memo", 10).and(d.emb.similarTo([1, 0, 0], 10)))
      .fuseWith({ k: 1, weights: { vector: 10, fulltext: 0.1 } })
      .select((c) => ({ id: c.d.id, kind: c.d.kind }))
      .execute();
    // Upstream's hybrid candidates are the union of both sides; the vector-heavy weights order
    // them by vector rank, text-only Memo/m3 last. Doc/d2 and Memo/d2 stay two rows.
    expect(pairs(fused)).toEqual(["Doc/d1", "Memo/d2", "Memo/m1", "Doc/d3", "Doc/d2", "Memo/m2", "Memo/m3"]);
  });

  it("keeps upstream's refusal of approximate retrieval under another metric, per kind", async () => {
    const store = await seeded();
    const err = await store
      .query()
      .from("Doc", "d", { includeSubClasses: true })
      .whereNode("d", (d) => d.emb.similarTo([1, 0, 0], 3, { metric: "l2", approximate: true }))
      .select((c) => ({ id: c.d.id }))
      .execute()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    // An explicit metric without approximate ranks every kind under it.
    const l2 = await store
      .query()
      .from("Doc", "d", { includeSubClasses: true })
      .whereNode("d", (d) => d.emb.similarTo([1, 0, 0], 3, { metric: "l2" }))
      .select((c) => ({ id: c.d.id, kind: c.d.kind }))
      .execute();
    expect(pairs(l2)).toEqual(["Doc/d1", "Memo/d2", "Memo/m1"]);
  });
});
