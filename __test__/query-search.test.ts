// Search predicates inside store.query(): similarTo() on embedding() fields,
// $fulltext.matches() on searchable() fields, their restrictions, relevance
// ordering and reciprocal rank fusion (.fuseWith) — on SQLite and PostgreSQL.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  UnsupportedPredicateError,
  ValidationError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  embedding,
  searchable,
  type Store,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Doc = defineNode("Doc", {
  schema: z.object({
    title: searchable(),
    body: searchable().optional(),
    tenant: z.string(),
    published: z.boolean().optional(),
    embedding: embedding(3).optional(),
  }),
});
const L2Doc = defineNode("L2Doc", { schema: z.object({ name: z.string(), vec: embedding(2, { metric: "l2" }) }) });
const User = defineNode("User", { schema: z.object({ name: z.string() }) });
const canRead = defineEdge("canRead");

function makeGraph(id: string) {
  return defineGraph({
    id,
    nodes: { Doc, L2Doc, User },
    edges: { canRead: { type: canRead, from: [User], to: [Doc] } },
  });
}

describe.each(backends)("query search predicates on $name", (bc) => {
  const open: Store<any>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function seeded() {
    const graph = makeGraph(freshGraphId(`qs_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    const D = store.nodes.Doc;
    await D.create({ title: "Climate change report", body: "warming oceans and climate", tenant: "a", published: true, embedding: [1, 0, 0] }, { id: "d1" });
    await D.create({ title: "Climate policy", body: "carbon tax", tenant: "a", published: false, embedding: [0.9, 0.1, 0] }, { id: "d2" });
    await D.create({ title: "Ocean life", body: "fish and coral", tenant: "b", published: true, embedding: [0, 1, 0] }, { id: "d3" });
    await D.create({ title: "Renewable energy", body: "solar and wind, climate friendly", tenant: "a", published: true, embedding: [0.7, 0.7, 0] }, { id: "d4" });
    await D.create({ title: "Cooking", body: "recipes", tenant: "b", embedding: [0, 0, 1] }, { id: "d5" });
    const u = await store.nodes.User.create({ name: "reader" }, { id: "u1" });
    await store.edges.canRead.create(u, { kind: "Doc", id: "d1" } as never, {});
    await store.edges.canRead.create(u, { kind: "Doc", id: "d3" } as never, {});
    await store.edges.canRead.create(u, { kind: "Doc", id: "d4" } as never, {});
    await store.nodes.L2Doc.create({ name: "origin", vec: [0, 0] }, { id: "l0" });
    await store.nodes.L2Doc.create({ name: "near", vec: [1, 0] }, { id: "l1" });
    await store.nodes.L2Doc.create({ name: "far", vec: [5, 5] }, { id: "l2" });
    return store;
  }
  const ids = (rows: readonly { id: string }[]) => rows.map((r) => r.id);

  it("similarTo: the k nearest, nearest first, composed with other predicates before the cut", async () => {
    const store = await seeded();
    const near = await store.query().from("Doc", "d").whereNode("d", (d) => d.embedding.similarTo([1, 0, 0], 3)).select((c) => ({ id: c.d.id })).execute();
    expect(ids(near)).toEqual(["d1", "d2", "d4"]);
    // The tenant filter applies before the top-k: three tenant-a docs, not the global top 3 filtered.
    const a = await store
      .query()
      .from("Doc", "d")
      .whereNode("d", (d) => d.embedding.similarTo([0, 1, 0], 2).and(d.tenant.eq("a")))
      .select((c) => ({ id: c.d.id }))
      .execute();
    expect(ids(a)).toEqual(["d4", "d2"]);
    // Several whereNode calls AND together with the search predicate.
    const pub = await store
      .query()
      .from("Doc", "d")
      .whereNode("d", (d) => d.embedding.similarTo([1, 0, 0], 5))
      .whereNode("d", (d) => d.published.eq(true))
      .select((c) => ({ id: c.d.id }))
      .execute();
    expect(ids(pub)).toEqual(["d1", "d4", "d3"]);
    // limit() caps the final rows; count() sees the same set.
    const first = await store.query().from("Doc", "d").whereNode("d", (d) => d.embedding.similarTo([1, 0, 0], 3)).select((c) => ({ id: c.d.id })).limit(1).execute();
    expect(ids(first)).toEqual(["d1"]);
    expect(await store.query().from("Doc", "d").whereNode("d", (d) => d.embedding.similarTo([1, 0, 0], 3)).count()).toBe(3);
  });

  it("similarTo: minScore, metric and dimension checks", async () => {
    const store = await seeded();
    const close = await store
      .query()
      .from("Doc", "d")
      .whereNode("d", (d) => d.embedding.similarTo([1, 0, 0], 10, { minScore: 0.9 }))
      .select((c) => ({ id: c.d.id }))
      .execute();
    expect(ids(close)).toEqual(["d1", "d2"]);
    const l2 = await store
      .query()
      .from("L2Doc", "l")
      .whereNode("l", (l) => l.vec.similarTo([0.2, 0], 2, { minScore: 1.5 }))
      .select((c) => ({ id: c.l.id }))
      .execute();
    expect(ids(l2)).toEqual(["l0", "l1"]);
    // An exact scan may override the metric; with approximate it is refused.
    const byL2 = await store.query().from("Doc", "d").whereNode("d", (d) => d.embedding.similarTo([0, 0, 2], 1, { metric: "l2" })).select((c) => ({ id: c.d.id })).execute();
    expect(ids(byL2)).toEqual(["d5"]);
    await expect(
      store.query().from("Doc", "d").whereNode("d", (d) => d.embedding.similarTo([1, 0, 0], 2, { metric: "l2", approximate: true })).select((c) => c.d.id).execute(),
    ).rejects.toBeInstanceOf(ConfigurationError);
    await expect(store.query().from("Doc", "d").whereNode("d", (d) => d.embedding.similarTo([1, 0], 2)).select((c) => c.d.id).execute()).rejects.toBeInstanceOf(ValidationError);
    expect(() => store.query().from("Doc", "d").whereNode("d", (d) => (d.title as never as { similarTo: (v: number[], k: number) => never }).similarTo([1], 1))).toThrow(UnsupportedPredicateError);
    expect(() => store.query().from("Doc", "d").whereNode("d", (d) => d.embedding.similarTo([1, 0, 0], 0))).toThrow(UnsupportedPredicateError);
  });

  it("$fulltext.matches with a per-query language: PostgreSQL honours it, SQLite's fts5 refuses the predicate", async () => {
    const store = await seeded();
    const q = store.query().from("Doc", "d").whereNode("d", (d) => d.$fulltext.matches("climate", 10, { language: "english" })).select((c) => c.d.id);
    if (bc.name === "sqlite") {
      const refused = await q.execute().then(() => undefined, (e: unknown) => e);
      expect(refused).toBeInstanceOf(UnsupportedPredicateError);
      expect((refused as Error).message).toMatch(/language/);
    } else {
      expect((await q.execute()).length).toBeGreaterThan(0);
    }
  });

  it("$fulltext.matches: best match first, filters compose, modes", async () => {
    const store = await seeded();
    const climate = await store.query().from("Doc", "d").whereNode("d", (d) => d.$fulltext.matches("climate")).select((c) => ({ id: c.d.id })).execute();
    expect(ids(climate).sort()).toEqual(["d1", "d2", "d4"]);
    expect(ids(climate)[0]).toBe("d1");
    const k1 = await store.query().from("Doc", "d").whereNode("d", (d) => d.$fulltext.matches("climate", 1)).select((c) => ({ id: c.d.id })).execute();
    expect(ids(k1)).toEqual(["d1"]);
    const filtered = await store
      .query()
      .from("Doc", "d")
      .whereNode("d", (d) => d.$fulltext.matches("climate", 20).and(d.published.eq(true)).and(d.tenant.eq("a")))
      .select((c) => ({ id: c.d.id }))
      .execute();
    expect(ids(filtered).sort()).toEqual(["d1", "d4"]);
    const phrase = await store.query().from("Doc", "d").whereNode("d", (d) => d.$fulltext.matches("climate policy", 10, { mode: "phrase" })).select((c) => ({ id: c.d.id })).execute();
    expect(ids(phrase)).toEqual(["d2"]);
    const web = await store.query().from("Doc", "d").whereNode("d", (d) => d.$fulltext.matches("climate -carbon", 10)).select((c) => ({ id: c.d.id })).execute();
    expect(ids(web).sort()).toEqual(["d1", "d4"]);
    const none = await store.query().from("Doc", "d").whereNode("d", (d) => d.$fulltext.matches("", 10)).select((c) => ({ id: c.d.id })).execute();
    expect(none).toEqual([]);
  });

  it("$fulltext.matches inside a traversal (authorised search)", async () => {
    const store = await seeded();
    const rows = await store
      .query()
      .from("User", "u")
      .whereNode("u", (u) => u.id.eq("u1"))
      .traverse("canRead", "e")
      .to("Doc", "d")
      .whereNode("d", (d) => d.$fulltext.matches("climate", 10))
      .select((c) => ({ id: c.d.id, reader: c.u.name }))
      .execute();
    expect(ids(rows).sort()).toEqual(["d1", "d4"]);
    expect(rows[0]!.reader).toBe("reader");
  });

  it("hybrid: both predicates fuse with RRF; fuseWith weights shift the ranking", async () => {
    const store = await seeded();
    const base = () =>
      store
        .query()
        .from("Doc", "d")
        .whereNode("d", (d) => d.$fulltext.matches("climate", 50).and(d.embedding.similarTo([0.7, 0.7, 0], 50)));
    // Upstream's hybrid candidates: the union of both sides (d3, d5 are found by the vector side only).
    const fused = await base().select((c) => ({ id: c.d.id })).execute();
    expect(ids(fused).sort()).toEqual(["d1", "d2", "d3", "d4", "d5"]);
    // Found by both sides ranks above found by one.
    expect(ids(fused).slice(0, 3).sort()).toEqual(["d1", "d2", "d4"]);
    // d4 is the vector side's best; d1 the fulltext side's best.
    const vectorHeavy = await base().fuseWith({ k: 1, weights: { vector: 10, fulltext: 0.1 } }).select((c) => ({ id: c.d.id })).execute();
    expect(ids(vectorHeavy)[0]).toBe("d4");
    const textHeavy = await base().fuseWith({ k: 1, weights: { vector: 0.1, fulltext: 10 } }).select((c) => ({ id: c.d.id })).execute();
    expect(ids(textHeavy)[0]).toBe("d1");
    expect(() => base().fuseWith({ k: -1 })).toThrow(ValidationError);
    await expect(store.query().from("Doc", "d").whereNode("d", (d) => d.$fulltext.matches("x")).fuseWith({}).select((c) => c.d.id).execute()).rejects.toBeInstanceOf(UnsupportedPredicateError);
  });

  it("upstream's restrictions: one fulltext per query, not under OR/NOT, searchable kinds only", async () => {
    const store = await seeded();
    const run = (q: { select: (f: (c: never) => unknown) => { execute: () => Promise<unknown> } }) => q.select((c: never) => c).execute();
    await expect(run(store.query().from("Doc", "d").whereNode("d", (d) => d.$fulltext.matches("climate", 10).and(d.$fulltext.matches("warming", 10))) as never)).rejects.toBeInstanceOf(UnsupportedPredicateError);
    await expect(run(store.query().from("Doc", "d").whereNode("d", (d) => d.$fulltext.matches("climate").or(d.tenant.eq("a"))) as never)).rejects.toThrow(/Fulltext match predicates \(\.matches\(\)\) cannot be nested under OR or NOT/);
    await expect(run(store.query().from("Doc", "d").whereNode("d", (d) => d.embedding.similarTo([1, 0, 0], 2).not()) as never)).rejects.toBeInstanceOf(ValidationError);
    // Refused when the predicate is built (as upstream), before anything runs.
    let err: unknown;
    try {
      store.query().from("User", "u").whereNode("u", (u) => u.$fulltext.matches("x"));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedPredicateError);
    expect((err as Error).message).toContain('Cannot call .$fulltext.matches() on alias "u"');
  });

  it("similarTo sees every committed write (engine vectors kept in step)", async () => {
    const store = await seeded();
    const q = () => store.query().from("Doc", "d").whereNode("d", (d) => d.embedding.similarTo([0, 0, -1], 1)).select((c) => ({ id: c.d.id })).execute();
    expect(ids(await q())).not.toEqual(["d6"]);
    await store.nodes.Doc.create({ title: "Fresh", tenant: "c", embedding: [0, 0, -1] }, { id: "d6" });
    expect(ids(await q())).toEqual(["d6"]);
    await store.nodes.Doc.update("d6", { embedding: [1, 0, 0] });
    expect(ids(await q())).not.toEqual(["d6"]);
    await store.nodes.Doc.delete("d2");
    const top = await store.query().from("Doc", "d").whereNode("d", (d) => d.embedding.similarTo([1, 0, 0], 2)).select((c) => ({ id: c.d.id })).execute();
    expect(ids(top).sort()).toEqual(["d1", "d6"]);
  });

  it("similarTo approximate: the field's ANN index answers (recall against exact), filters hold, indexType none stays exact", async () => {
    const dims = 8;
    const Item = defineNode("Item", { schema: z.object({ group: z.number().int(), v: embedding(dims), w: embedding(dims, { indexType: "none" }) }) });
    const graph = defineGraph({ id: freshGraphId(`qsa_${bc.name}`), nodes: { Item }, edges: {} });
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    let seed = 4242;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const unit = (v: number[]) => {
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    };
    const sample = () => unit(Array.from({ length: dims }, rnd));
    const items = Array.from({ length: 1500 }, (_, i) => {
      const v = sample();
      return { id: `i${i}`, props: { group: i % 4, v, w: v } };
    });
    await store.nodes.Item.bulkInsert(items);
    await store.materializeIndexes();
    const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
    let hit = 0;
    for (let qi = 0; qi < 10; qi++) {
      const q = sample();
      const truth = items.map((it) => ({ id: it.id, s: cos(q, it.props.v), g: it.props.group })).sort((a, b) => b.s - a.s);
      const approx = await store.query().from("Item", "n").whereNode("n", (n) => n.v.similarTo(q, 10, { approximate: true })).select((c) => ({ id: c.n.id })).execute();
      expect(approx.length).toBe(10);
      const top = new Set(truth.slice(0, 10).map((t) => t.id));
      hit += approx.filter((r) => top.has(r.id)).length;
      const filtered = await store
        .query()
        .from("Item", "n")
        .whereNode("n", (n) => n.v.similarTo(q, 5, { approximate: true }).and(n.group.eq(1)))
        .select((c) => ({ id: c.n.id, group: c.n.group }))
        .execute();
      expect(filtered.length).toBe(5);
      expect(filtered.every((r) => r.group === 1)).toBe(true);
      // indexType "none": approximate asks for nothing, the answer is the exact one.
      const none = await store.query().from("Item", "n").whereNode("n", (n) => n.w.similarTo(q, 10, { approximate: true })).select((c) => ({ id: c.n.id })).execute();
      expect(ids(none)).toEqual(truth.slice(0, 10).map((t) => t.id));
    }
    expect(hit / 100).toBeGreaterThanOrEqual(0.9);
    const err = await store.query().from("Item", "n").whereNode("n", (n) => n.v.similarTo(sample(), 3, { metric: "l2", approximate: true })).select((c) => c.n.id).execute().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).details).toMatchObject({ nodeKind: "Item", fieldPath: "v", requestedMetric: "l2", declaredMetric: "cosine", indexType: "hnsw" });
  }, 180_000);
});
