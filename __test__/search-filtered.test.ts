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

  it("query builder similarTo with plain predicates: exact and approximate, minScore, temporal modes, deleted and ended rows", async () => {
    const Item = defineNode("Item", { schema: z.object({ group: z.number().int(), tag: z.string(), v: embedding(dims) }) });
    const graph = defineGraph({
      id: freshGraphId(`sfq_${bc.name}`),
      nodes: { Item },
      edges: {},
      indexes: [defineNodeIndex(Item, { fields: ["group"], name: "idx_sfq_group" })],
    });
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const unit = (v: number[]) => {
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    };
    const sample = () => unit(Array.from({ length: dims }, rnd));
    const items = Array.from({ length: 1500 }, (_, i) => ({ id: `q${i}`, props: { group: i % 5, tag: `t${i % 30}`, v: sample() } }));
    await store.nodes.Item.bulkInsert(items);
    const deleted = new Set(items.filter((_, i) => i % 50 === 1).map((it) => it.id));
    for (const id of deleted) await store.nodes.Item.delete(id);
    // Ended nodes: hidden from current reads, back under includeEnded; a future one only asOf later.
    const ended = Array.from({ length: 40 }, (_, i) => ({ id: `e${i}`, props: { group: i % 5, tag: `t${i % 30}`, v: sample() } }));
    for (const it of ended) await store.nodes.Item.create(it.props, { id: it.id, validTo: "2001-01-01T00:00:00.000Z" });
    items.push(...ended);
    const cos = (a: number[], b: number[]) => a.reduce((t, x, i) => t + x * b[i]!, 0);
    const endedIds = new Set(ended.map((it) => it.id));
    const truth = (q: number[], admit: (p: (typeof items)[number]["props"], id: string) => boolean, k: number, minScore = -2) =>
      items
        .filter((it) => !deleted.has(it.id) && admit(it.props, it.id))
        .map((it) => ({ id: it.id, s: cos(q, it.props.v) }))
        .filter((x) => x.s >= minScore)
        .sort((a, b) => b.s - a.s || (a.id < b.id ? -1 : 1))
        .slice(0, k)
        .map((x) => x.id);
    const run = (q: number[], where: (n: any) => any, opts: { approximate?: boolean; minScore?: number } = {}, temporal?: "includeEnded") => {
      let b = store.query().from("Item", "n");
      if (temporal) b = b.temporal(temporal);
      return b
        .whereNode("n", (n) => where(n).and(n.v.similarTo(q, 10, opts)))
        .select((c) => ({ id: c.n.id }))
        .execute()
        .then((rows) => rows.map((r) => r.id));
    };
    const filters = [
      { name: "indexed", where: (n: any) => n.group.eq(2), admit: (p: any) => p.group === 2 },
      { name: "indexed, many", where: (n: any) => n.group.neq(4), admit: (p: any) => p.group !== 4 },
      { name: "row-checked", where: (n: any) => n.tag.startsWith("t1"), admit: (p: any) => p.tag.startsWith("t1") },
      { name: "or / not", where: (n: any) => n.group.eq(1).or(n.tag.eq("t3")).and(n.tag.neq("t6").not().not()), admit: (p: any) => (p.group === 1 || p.tag === "t3") && p.tag !== "t6" },
    ];
    const queries = Array.from({ length: 4 }, sample);
    const current = (p: any, id: string) => !endedIds.has(id);
    for (const phase of ["before", "after"]) {
      if (phase === "after") await store.materializeIndexes();
      for (const f of filters) {
        for (const q of queries) {
          // Exact: the same rows, in the same order, as brute force over the live rows.
          expect(await run(q, f.where), `${phase} ${f.name}`).toEqual(truth(q, (p, id) => f.admit(p) && current(p, id), 10));
          expect(await run(q, f.where, {}, "includeEnded"), `${phase} ${f.name} includeEnded`).toEqual(truth(q, (p) => f.admit(p), 10));
          const want = truth(q, (p, id) => f.admit(p) && current(p, id), 10, 0.2);
          expect(await run(q, f.where, { minScore: 0.2 }), `${phase} ${f.name} minScore`).toEqual(want);
          // Approximate: every row admitted and live, nearly all of the exact answer.
          const approx = await run(q, f.where, { approximate: true });
          const exact = new Set(truth(q, (p, id) => f.admit(p) && current(p, id), 10));
          expect(approx.length, `${phase} ${f.name} approximate`).toBe(10);
          expect(approx.filter((id) => exact.has(id)).length).toBeGreaterThanOrEqual(8);
          const byId = new Map(items.map((it) => [it.id, it.props]));
          expect(approx.every((id) => f.admit(byId.get(id)) && !deleted.has(id) && !endedIds.has(id))).toBe(true);
        }
      }
    }
    // A write after the index build is found at once; a deleted row is gone at once.
    const q0 = queries[0]!;
    await store.nodes.Item.create({ group: 2, tag: "fresh", v: q0 }, { id: "fresh" });
    expect((await run(q0, (n) => n.group.eq(2), { approximate: true }))[0]).toBe("fresh");
    expect((await run(q0, (n) => n.tag.eq("fresh")))[0]).toBe("fresh");
    await store.nodes.Item.delete("fresh");
    expect(await run(q0, (n) => n.group.eq(2), { approximate: true })).not.toContain("fresh");
  }, 240_000);
});
