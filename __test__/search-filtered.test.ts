// Filtered vector search against a brute-force answer: `store.search.vector({ where })` and
// `similarTo(…, { approximate: true })` next to other whereNode predicates, with filters a
// declared index answers (admitting few rows and many rows) and filters none does, before and
// after the ANN index is built; ended nodes never come back, pages are full.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineGraph, defineNode, defineNodeIndex, embedding } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const dims = 12;

describe.each(backends)("filtered vector search on $name", (bc) => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  it("index-answered and row-checked filters match the exact filtered answer", async () => {
    const Item = defineNode("Item", { schema: z.object({ group: z.number().int(), half: z.string(), tag: z.string(), v: embedding(dims) }) });
    const graph = defineGraph({
      id: freshGraphId(`sf_${bc.name}`),
      nodes: { Item },
      edges: {},
      indexes: [defineNodeIndex(Item, { fields: ["group"], name: "idx_sf_group" }), defineNodeIndex(Item, { fields: ["half"], name: "idx_sf_half" })],
    });
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    let seed = 99;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const unit = (v: number[]) => {
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    };
    const sample = () => unit(Array.from({ length: dims }, rnd));
    const items = Array.from({ length: 1600 }, (_, i) => ({
      id: `it${i}`,
      props: { group: i % 10, half: i % 2 === 0 ? "even" : "odd", tag: `t${i % 40}`, v: sample() },
    }));
    await store.nodes.Item.bulkInsert(items);
    // Ended nodes: deleted ones must never be returned, whichever path answers.
    const gone = new Set(items.filter((_, i) => i % 97 === 0).map((it) => it.id));
    for (const id of gone) await store.nodes.Item.delete(id);
    const live = items.filter((it) => !gone.has(it.id));
    const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
    const truth = (q: number[], admit: (p: (typeof items)[number]["props"]) => boolean, k: number) =>
      live
        .filter((it) => admit(it.props))
        .map((it) => ({ id: it.id, s: cos(q, it.props.v) }))
        .sort((a, b) => b.s - a.s)
        .slice(0, k)
        .map((x) => x.id);
    const filters = [
      { name: "index, few rows", where: (n: any) => n.group.eq(3), admit: (p: any) => p.group === 3 },
      { name: "index, many rows", where: (n: any) => n.half.eq("odd"), admit: (p: any) => p.half === "odd" },
      { name: "no index, few rows", where: (n: any) => n.tag.startsWith("t7"), admit: (p: any) => p.tag.startsWith("t7") },
      { name: "no index, many rows", where: (n: any) => n.group.gte(2), admit: (p: any) => p.group >= 2 },
    ];
    const queries = Array.from({ length: 8 }, sample);
    const search = (q: number[], where: unknown, limit = 10) =>
      store.search.vector("Item", { fieldPath: "v", queryEmbedding: q, limit, where } as never).then((r) => r.map((h) => h.node.id));
    // No ANN index yet: every answer is exact.
    for (const f of filters) {
      for (const q of queries.slice(0, 3)) {
        expect(await search(q, f.where), f.name).toEqual(truth(q, f.admit, 10));
      }
    }
    await store.materializeIndexes();
    for (const f of filters) {
      let hit = 0;
      for (const q of queries) {
        const got = await search(q, f.where);
        const want = truth(q, f.admit, 10);
        expect(got.length, f.name).toBe(10);
        expect(got.every((id) => !gone.has(id)), f.name).toBe(true);
        const byId = new Map(items.map((it) => [it.id, it.props]));
        expect(got.every((id) => f.admit(byId.get(id))), f.name).toBe(true);
        const set = new Set(want);
        hit += got.filter((id) => set.has(id)).length;
        // The query builder: similarTo approximate next to the same predicate.
        const viaQuery = await store
          .query()
          .from("Item", "n")
          .whereNode("n", (n) => n.v.similarTo(q, 10, { approximate: true }).and(f.where(n)))
          .select((c) => ({ id: c.n.id }))
          .execute();
        expect(viaQuery.length, f.name).toBe(10);
        expect(viaQuery.every((r) => f.admit(byId.get(r.id)) && !gone.has(r.id)), f.name).toBe(true);
        hit += viaQuery.filter((r) => set.has(r.id)).length;
      }
      expect(hit / (queries.length * 20), f.name).toBeGreaterThanOrEqual(0.9);
    }
    // A page past the admitted rows comes back short, not padded with other rows.
    const rare = await search(queries[0]!, (n: any) => n.tag.eq("t5"), 100);
    expect(rare.sort()).toEqual(truth(queries[0]!, (p) => p.tag === "t5", 100).sort());
    // minScore still bounds a filtered page.
    const bounded = await store.search.vector("Item", { fieldPath: "v", queryEmbedding: queries[1]!, limit: 50, minScore: 0.5, where: (n: any) => n.half.eq("even") } as never);
    const expected = live.filter((it) => it.props.half === "even" && cos(queries[1]!, it.props.v) >= 0.5 + 1e-6).length;
    expect(bounded.every((h) => h.score >= 0.5 - 1e-6)).toBe(true);
    expect(bounded.length).toBeGreaterThanOrEqual(Math.floor(Math.min(50, expected) * 0.9));
  }, 240_000);
});
