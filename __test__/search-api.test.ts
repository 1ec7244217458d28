// The search surface option by option, on SQLite and PostgreSQL, against upstream's
// `fulltext-search` and `semantic-search` pages: pagination (`offset`), `minScore`,
// snippets, `includeSubClasses` on all three facade calls, `where` on both halves of a
// hybrid search, the option checks and their error classes, `rebuildFulltext` scoping and
// accounting, the query builder's restrictions, and embedding fields still being
// backfilled (nulls) under `similarTo`.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  KindNotFoundError,
  UnsupportedBackendCapabilityError,
  UnsupportedPredicateError,
  ValidationError,
  createStoreWithSchema,
  defineGraph,
  defineNode,
  embedding,
  searchable,
  subClassOf,
  type Store,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Article = defineNode("Article", {
  schema: z.object({ title: searchable(), body: searchable().optional(), tenant: z.string(), emb: embedding(3).optional() }),
});
// A subclass with the same fields: searched with its parent under includeSubClasses.
const Brief = defineNode("Brief", {
  schema: z.object({ title: searchable(), body: searchable().optional(), tenant: z.string(), emb: embedding(3).optional() }),
});
// A subclass whose embedding field is declared under another metric.
const Sketch = defineNode("Sketch", { schema: z.object({ title: searchable(), tenant: z.string(), emb: embedding(3, { metric: "l2" }).optional() }) });
const Plain = defineNode("Plain", { schema: z.object({ name: z.string(), v: embedding(3, { indexType: "none" }).optional() }) });

function graphOf(id: string, withSketch = false) {
  return defineGraph({
    id,
    nodes: { Article, Brief, Plain, ...(withSketch ? { Sketch } : {}) },
    edges: {},
    ontology: withSketch ? [subClassOf(Brief, Article), subClassOf(Sketch, Article)] : [subClassOf(Brief, Article)],
  });
}

describe.each(backends)("search options on $name", (bc) => {
  const open: Store<any>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function seeded(withSketch = false) {
    const graph = graphOf(freshGraphId(`sapi_${bc.name}`), withSketch);
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    const A = store.nodes.Article;
    await A.create({ title: "solar power", body: "solar panels and solar farms, solar everywhere", tenant: "a", emb: [1, 0, 0] }, { id: "a1" });
    await A.create({ title: "solar", body: "a short note", tenant: "b", emb: [0.9, 0.1, 0] }, { id: "a2" });
    await A.create({ title: "wind power", body: "turbines, and one solar mention", tenant: "a", emb: [0.6, 0.8, 0] }, { id: "a3" });
    await A.create({ title: "hydro", body: "dams", tenant: "b", emb: [0, 1, 0] }, { id: "a4" });
    await A.create({ title: "solar storage", body: "batteries", tenant: "a" }, { id: "a5" });
    await store.nodes.Brief.create({ title: "solar brief", body: "solar in brief", tenant: "a", emb: [0.95, 0.05, 0] }, { id: "b1" });
    await store.nodes.Brief.create({ title: "tidal brief", tenant: "b", emb: [0, 0, 1] }, { id: "b2" });
    return store;
  }
  const ids = (hits: readonly { node: { id: string } }[]) => hits.map((h) => h.node.id);
  const keyed = (hits: readonly { node: { id: string; kind: string } }[]) => hits.map((h) => `${h.node.kind}/${h.node.id}`);

  it("fulltext: offset pages through one ranking, minScore cuts it, snippets only when asked", async () => {
    const store = await seeded();
    const all = await store.search.fulltext("Article", { query: "solar", limit: 10 });
    expect(ids(all).sort()).toEqual(["a1", "a2", "a3", "a5"]);
    expect(all.map((h) => h.rank)).toEqual([1, 2, 3, 4]);
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.score).toBeGreaterThanOrEqual(all[i]!.score);
    expect(all.every((h) => !("snippet" in h))).toBe(true);
    const page2 = await store.search.fulltext("Article", { query: "solar", limit: 2, offset: 2 });
    expect(ids(page2)).toEqual(ids(all).slice(2, 4));
    // Ranks stay rank-relative to the page, as upstream numbers them (1-based per result list).
    expect(page2.map((h) => h.rank)).toEqual([1, 2]);
    // minScore: a threshold between the second and third score keeps exactly the first two.
    const cut = (all[1]!.score + all[2]!.score) / 2;
    if (all[1]!.score > all[2]!.score) {
      const strong = await store.search.fulltext("Article", { query: "solar", limit: 10, minScore: cut });
      expect(ids(strong)).toEqual(ids(all).slice(0, 2));
    }
    const none = await store.search.fulltext("Article", { query: "solar", limit: 10, minScore: all[0]!.score + 1000 });
    expect(none).toEqual([]);
    const snip = await store.search.fulltext("Article", { query: "batteries", limit: 1, includeSnippets: true });
    expect(snip[0]!.snippet).toContain("<mark>");
    // where + offset + limit together.
    const scoped = await store.search.fulltext("Article", { query: "solar", limit: 10, where: (a) => a.tenant.eq("a") });
    expect(ids(scoped).sort()).toEqual(["a1", "a3", "a5"]);
    const scopedPage = await store.search.fulltext("Article", { query: "solar", limit: 1, offset: 1, where: (a) => a.tenant.eq("a") });
    expect(ids(scopedPage)).toEqual(ids(scoped).slice(1, 2));
    // Modes.
    expect(ids(await store.search.fulltext("Article", { query: "solar power", limit: 10, mode: "phrase" }))).toEqual(["a1"]);
    expect(ids(await store.search.fulltext("Article", { query: "solar -power", limit: 10 })).sort()).toEqual(["a2", "a5"]);
    expect(ids(await store.search.fulltext("Article", { query: "solar batteries", limit: 10, mode: "plain" }))).toEqual(["a5"]);
  });

  it("fulltext and vector: includeSubClasses merges the subclass kinds into one ranking", async () => {
    const store = await seeded();
    const own = await store.search.fulltext("Article", { query: "solar", limit: 10 });
    expect(own.every((h) => h.node.kind === "Article")).toBe(true);
    const wide = await store.search.fulltext("Article", { query: "solar", limit: 10, includeSubClasses: true });
    expect(keyed(wide).sort()).toEqual(["Article/a1", "Article/a2", "Article/a3", "Article/a5", "Brief/b1"]);
    for (let i = 1; i < wide.length; i++) expect(wide[i - 1]!.score).toBeGreaterThanOrEqual(wide[i]!.score);
    const vec = await store.search.vector("Article", { fieldPath: "emb", queryEmbedding: [1, 0, 0], limit: 3, includeSubClasses: true });
    expect(keyed(vec)).toEqual(["Article/a1", "Brief/b1", "Article/a2"]);
    expect(vec.map((h) => h.rank)).toEqual([1, 2, 3]);
    // Searching the subclass alone sees only its own rows.
    const sub = await store.search.vector("Brief", { fieldPath: "emb", queryEmbedding: [1, 0, 0], limit: 5, includeSubClasses: true });
    expect(keyed(sub)).toEqual(["Brief/b1", "Brief/b2"]);
  });

  it("vector: offset, minScore, where; option checks and their error classes", async () => {
    const store = await seeded();
    const all = await store.search.vector("Article", { fieldPath: "emb", queryEmbedding: [1, 0, 0], limit: 10 });
    // a5 has no vector yet: it is simply absent.
    expect(ids(all)).toEqual(["a1", "a2", "a3", "a4"]);
    expect(ids(await store.search.vector("Article", { fieldPath: "emb", queryEmbedding: [1, 0, 0], limit: 2, offset: 1 }))).toEqual(["a2", "a3"]);
    expect(await store.search.vector("Article", { fieldPath: "emb", queryEmbedding: [1, 0, 0], limit: 2, offset: 4 })).toEqual([]);
    const close = await store.search.vector("Article", { fieldPath: "emb", queryEmbedding: [1, 0, 0], limit: 10, minScore: 0.7 });
    expect(ids(close)).toEqual(["a1", "a2"]);
    for (const h of close) expect(h.score).toBeGreaterThanOrEqual(0.7);
    const scoped = await store.search.vector("Article", { fieldPath: "emb", queryEmbedding: [1, 0, 0], limit: 10, offset: 1, where: (a) => a.tenant.eq("a") });
    expect(ids(scoped)).toEqual(["a3"]);

    const vec = (extra: Record<string, unknown>) => store.search.vector("Article", { fieldPath: "emb", queryEmbedding: [1, 0, 0], limit: 1, ...extra } as never);
    // A metric other than the declared one: the storage is built for the declared metric.
    await expect(vec({ metric: "l2" })).rejects.toBeInstanceOf(ConfigurationError);
    expect((await vec({ metric: "cosine" })).length).toBe(1);
    await expect(vec({ minScore: 2 })).rejects.toBeInstanceOf(RangeError);
    await expect(vec({ minScore: Number.NaN })).rejects.toThrow();
    await expect(vec({ efSearch: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(vec({ efSearch: 1001 })).rejects.toThrow(/efSearch/);
    await expect(vec({ offset: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(vec({ fieldPath: "title" })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(store.search.vector("Nope" as never, { fieldPath: "emb", queryEmbedding: [1, 0, 0], limit: 1 })).rejects.toBeInstanceOf(KindNotFoundError);
    // indexType "none": no frontier to tune on SQLite; PostgreSQL scans exactly and has no HNSW
    // index to apply it to either.
    await store.nodes.Plain.create({ name: "p", v: [1, 0, 0] });
    const plainEf = store.search.vector("Plain", { fieldPath: "v", queryEmbedding: [1, 0, 0], limit: 1, efSearch: 40 });
    if (bc.name === "sqlite") await expect(plainEf).rejects.toBeInstanceOf(UnsupportedBackendCapabilityError);
    else expect((await plainEf).length).toBe(1);
    expect((await store.search.vector("Plain", { fieldPath: "v", queryEmbedding: [1, 0, 0], limit: 1 })).length).toBe(1);
  });

  it("vector under includeSubClasses refuses kinds declaring different metrics", async () => {
    const store = await seeded(true);
    await store.nodes.Sketch!.create({ title: "sketch", tenant: "a", emb: [1, 0, 0] }, { id: "s1" });
    const err = await store.search
      .vector("Article", { fieldPath: "emb", queryEmbedding: [1, 0, 0], limit: 3, includeSubClasses: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(/metric/);
    const herr = await store.search
      .hybrid("Article", { limit: 3, includeSubClasses: true, vector: { fieldPath: "emb", queryEmbedding: [1, 0, 0] }, fulltext: { query: "sketch" } })
      .catch((e: unknown) => e);
    expect(herr).toBeInstanceOf(ConfigurationError);
    // Each kind on its own still searches.
    expect(ids(await store.search.vector("Sketch", { fieldPath: "emb", queryEmbedding: [1, 0, 0], limit: 3 }))).toEqual(["s1"]);
  });

  it("hybrid: where and includeSubClasses apply to both halves, offset pages the fused ranking", async () => {
    const store = await seeded();
    const base = { limit: 10, vector: { fieldPath: "emb", queryEmbedding: [1, 0, 0] }, fulltext: { query: "solar" } };
    const all = await store.search.hybrid("Article", base);
    expect(all.map((h) => h.rank)).toEqual(all.map((_, i) => i + 1));
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.score).toBeGreaterThanOrEqual(all[i]!.score);
    // a4 (vector only), a5 (fulltext only): each carries the one sub-hit it has.
    const a4 = all.find((h) => h.node.id === "a4")!;
    expect(a4.vector?.rank).toBe(4);
    expect(a4.fulltext).toBeUndefined();
    const a5 = all.find((h) => h.node.id === "a5")!;
    expect(a5.vector).toBeUndefined();
    expect(a5.fulltext?.rank).toBeGreaterThanOrEqual(1);
    const page = await store.search.hybrid("Article", { ...base, limit: 2, offset: 1 });
    expect(ids(page)).toEqual(ids(all).slice(1, 3));
    const scoped = await store.search.hybrid("Article", { ...base, where: (a) => a.tenant.eq("b") });
    expect(ids(scoped).sort()).toEqual(["a2", "a4"]);
    // Inside the filter, a2 is first on both sides.
    const a2 = scoped.find((h) => h.node.id === "a2")!;
    expect(a2.vector?.rank).toBe(1);
    expect(a2.fulltext?.rank).toBe(1);
    const wide = await store.search.hybrid("Article", { ...base, includeSubClasses: true });
    expect(keyed(wide)).toContain("Brief/b1");
    expect(keyed(wide)).toContain("Brief/b2");
    const snip = await store.search.hybrid("Article", { ...base, fulltext: { query: "solar", includeSnippets: true } });
    expect(snip.find((h) => h.fulltext)!.fulltext!.snippet).toContain("<mark>");
    // Per-side k bounds each side's candidates.
    const narrow = await store.search.hybrid("Article", { ...base, vector: { ...base.vector, k: 1 }, fulltext: { query: "solar", k: 1 } });
    expect(narrow.length).toBeLessThanOrEqual(2);
    expect(narrow.every((h) => (h.vector?.rank ?? 1) === 1 && (h.fulltext?.rank ?? 1) === 1)).toBe(true);
    // Fusion checks.
    await expect(store.search.hybrid("Article", { ...base, fusion: { k: -1 } })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.search.hybrid("Article", { ...base, fusion: { weights: { vector: -1 } } })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.search.hybrid("Article", { ...base, fusion: { method: "linear" as "rrf" } })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.search.hybrid("Nope" as never, base)).rejects.toBeInstanceOf(KindNotFoundError);
    await expect(store.search.hybrid("Article", { ...base, vector: { ...base.vector, metric: "l2" } })).rejects.toBeInstanceOf(ConfigurationError);
    // RRF with weights: a fulltext-only weight ranks by the fulltext side alone.
    const textOnly = await store.search.hybrid("Article", { ...base, fusion: { method: "rrf", k: 60, weights: { vector: 0, fulltext: 1 } } });
    const ft = await store.search.fulltext("Article", { query: "solar", limit: 40 });
    expect(ids(textOnly).slice(0, ft.length)).toEqual(ids(ft));
  });

  it("rebuildFulltext: scoped to a kind, paged, counts soft-deleted rows as cleared, checks its options", async () => {
    const store = await seeded();
    await store.nodes.Article.delete("a4");
    // Another kind's documents are left alone by a scoped rebuild.
    const scoped = await store.search.rebuildFulltext("Brief", { pageSize: 1 });
    expect(scoped.kinds).toEqual(["Brief"]);
    expect(scoped.processed).toBe(2);
    expect(scoped.upserted).toBe(2);
    expect(scoped).toMatchObject({ cleared: 0, skipped: 0, skippedIds: [], skippedTruncated: false });
    expect(ids(await store.search.fulltext("Article", { query: "solar", limit: 10 })).sort()).toEqual(["a1", "a2", "a3", "a5"]);
    const all = await store.search.rebuildFulltext(undefined, { pageSize: 2, maxSkippedIds: 5 });
    expect([...all.kinds].sort()).toEqual(["Article", "Brief"]);
    // Upstream's accounting: every row of the kind is processed; the soft-deleted one is cleared.
    expect(all.processed).toBe(7);
    expect(all.upserted).toBe(6);
    expect(all.cleared).toBe(1);
    expect(ids(await store.search.fulltext("Article", { query: "solar OR dams", limit: 10 })).sort()).toEqual(["a1", "a2", "a3", "a5"]);
    expect(keyed(await store.search.fulltext("Article", { query: "brief", limit: 10, includeSubClasses: true })).sort()).toEqual(["Brief/b1", "Brief/b2"]);
    await expect(store.search.rebuildFulltext("Nope" as never)).rejects.toBeInstanceOf(KindNotFoundError);
    await expect(store.search.rebuildFulltext(undefined, { pageSize: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.search.rebuildFulltext(undefined, { maxSkippedIds: -1 })).rejects.toBeInstanceOf(ValidationError);
    // A kind without searchable fields is not rebuilt.
    expect((await store.search.rebuildFulltext("Plain")).kinds).toEqual([]);
  });

  it("query builder: similarTo and $fulltext.matches are refused under OR and NOT (ValidationError, as upstream), one of each per query", async () => {
    const store = await seeded();
    const run = (f: (a: any) => any) => store.query().from("Article", "a").whereNode("a", f).select((c) => ({ id: c.a.id })).execute();
    await expect(run((a) => a.emb.similarTo([1, 0, 0], 2).or(a.tenant.eq("a")))).rejects.toBeInstanceOf(ValidationError);
    await expect(run((a) => a.tenant.eq("a").or(a.emb.similarTo([1, 0, 0], 2)))).rejects.toBeInstanceOf(ValidationError);
    await expect(run((a) => a.$fulltext.matches("solar").not())).rejects.toBeInstanceOf(ValidationError);
    await expect(run((a) => a.tenant.eq("a").and(a.$fulltext.matches("solar").or(a.tenant.eq("b"))))).rejects.toBeInstanceOf(ValidationError);
    await expect(run((a) => a.emb.similarTo([1, 0, 0], 2).and(a.emb.similarTo([0, 1, 0], 2)))).rejects.toBeInstanceOf(UnsupportedPredicateError);
    // Inside AND groups both are fine, and fuse over the union of both sides (upstream's
    // hybrid candidates): a5 has no vector but matches the text.
    const fused = await run((a) => a.tenant.eq("a").and(a.$fulltext.matches("solar", 10).and(a.emb.similarTo([1, 0, 0], 10))));
    expect(fused.map((r: { id: string }) => r.id).sort()).toEqual(["a1", "a3", "a5"]);
  });

  it("embedding fields during backfill: nulls are not ranked, isNull finds the pending rows, search follows each update", async () => {
    const store = await seeded();
    const near = () =>
      store
        .query()
        .from("Article", "a")
        .whereNode("a", (a) => a.emb.similarTo([0, 0.6, 0.8], 10))
        .select((c) => ({ id: c.a.id }))
        .execute();
    expect((await near()).map((r) => r.id)).toEqual(["a4", "a3", "a2", "a1"]);
    const pending = await store
      .query()
      .from("Article", "a")
      .whereNode("a", (a) => a.emb.isNull())
      .select((c) => ({ id: c.a.id }))
      .execute();
    expect(pending.map((r) => r.id)).toEqual(["a5"]);
    const guarded = await store
      .query()
      .from("Article", "a")
      .whereNode("a", (a) => a.emb.isNotNull().and(a.emb.similarTo([0, 0.6, 0.8], 10)))
      .select((c) => ({ id: c.a.id }))
      .execute();
    expect(guarded.map((r) => r.id)).toEqual(["a4", "a3", "a2", "a1"]);
    await store.nodes.Article.update("a5", { emb: [0, 0.6, 0.8] });
    expect((await near())[0]!.id).toBe("a5");
    const hits = await store.search.vector("Article", { fieldPath: "emb", queryEmbedding: [0, 0.6, 0.8], limit: 1 });
    expect(ids(hits)).toEqual(["a5"]);
  });
});
