// store.search on both backends: fulltext, vector and hybrid, side tables kept in step
// with every write path, errors as upstream names them.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  KindNotFoundError,
  ValidationError,
  createStoreWithSchema,
  defineGraph,
  defineNode,
  defineNodeIndex,
  embedding,
  searchable,
  type Store,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Doc = defineNode("Doc", {
  schema: z.object({
    title: searchable(),
    body: searchable().optional(),
    category: z.string(),
    embedding: embedding(3).optional(),
  }),
});
const Plain = defineNode("Plain", { schema: z.object({ name: z.string() }) });

function makeGraph(id: string) {
  return defineGraph({ id, nodes: { Doc: { type: Doc }, Plain: { type: Plain } }, edges: {} });
}

// CREATE INDEX CONCURRENTLY waits for every older transaction on the table: on a shared
// PostgreSQL server that can take a while.
const MATERIALIZE_TIMEOUT = 180_000;

describe.each(backends)("search on $name", (bc) => {
  const open: Store[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function setup() {
    const graph = makeGraph(freshGraphId(`search_${bc.name}`));
    const backend = bc.make(graph.id);
    const [store] = await createStoreWithSchema(graph, backend);
    open.push(store as unknown as Store);
    return { store, graph, backend };
  }

  it("provisions the vector table and upstream's marker rows", async () => {
    const { store, graph } = await setup();
    const q = store.backend as unknown as { query?: (sql: string, params?: unknown[]) => Promise<unknown[][]> };
    if (bc.name !== "sqlite" || !q.query) return;
    const rows = (await q.query(
      "SELECT logical_name, owner, table_name, signature FROM typegraph_contribution_materializations WHERE graph_id = ? ORDER BY logical_name",
      [graph.id],
    )) as string[][];
    expect(rows.map((r) => [r[0], r[1]])).toEqual([
      ["fulltext", "fts5"],
      ["vector:Doc.embedding", "sqlite-vec"],
    ]);
    expect(rows[0]![3]).toBe("98fcbf03ae80b355e3c3d3931ca487bb");
    expect(rows[1]![2]).toMatch(/^tg_vec_search_sqlite_.*_doc_embedding_[0-9a-f]{8}$/);
  });

  it("fulltext: one document per node, ranked, snippets, kept in step with writes", async () => {
    const { store } = await setup();
    const a = await store.nodes.Doc.create({ title: "Graph databases", body: "Typed knowledge graphs in SQL", category: "db" });
    await store.nodes.Doc.create({ title: "Cooking", body: "Pasta and graphs of flavour", category: "food" });
    await store.nodes.Doc.create({ title: "Gardening", category: "home" });

    let hits = await store.search.fulltext("Doc", { query: "graph", limit: 10 });
    expect(hits.map((h) => h.node.title).sort()).toEqual(["Cooking", "Graph databases"]);
    expect(hits[0]!.rank).toBe(1);
    expect(hits[0]!.score).toBeGreaterThanOrEqual(hits[1]!.score);

    // Terms spanning two searchable fields match the one document.
    hits = await store.search.fulltext("Doc", { query: "databases knowledge", limit: 10, includeSnippets: true });
    expect(hits.map((h) => h.node.id)).toEqual([a.id]);
    expect(hits[0]!.snippet).toContain("<mark>");

    // where + offset
    hits = await store.search.fulltext("Doc", { query: "graph", limit: 10, where: (d) => d.category.eq("food") });
    expect(hits.map((h) => h.node.title)).toEqual(["Cooking"]);
    expect(await store.search.fulltext("Doc", { query: "graph", limit: 10, offset: 5 })).toEqual([]);

    // update replaces the document; soft delete removes it; resurrect brings it back
    await store.nodes.Doc.update(a.id, { title: "Relational theory", body: "tables" });
    expect((await store.search.fulltext("Doc", { query: "databases", limit: 5 })).length).toBe(0);
    expect((await store.search.fulltext("Doc", { query: "relational", limit: 5 }))[0]!.node.id).toBe(a.id);
    await store.nodes.Doc.delete(a.id);
    expect((await store.search.fulltext("Doc", { query: "relational", limit: 5 })).length).toBe(0);
    await store.nodes.Doc.create({ title: "Relational again", category: "db" }, { id: a.id });
    expect((await store.search.fulltext("Doc", { query: "relational", limit: 5 }))[0]!.node.title).toBe("Relational again");
    await store.nodes.Doc.hardDelete(a.id);
    expect((await store.search.fulltext("Doc", { query: "relational", limit: 5 })).length).toBe(0);
  });

  it("bulk paths and rebuildFulltext", async () => {
    const { store } = await setup();
    const items = Array.from({ length: 300 }, (_, i) => ({
      id: `d${i}`,
      props: { title: i % 2 ? `alpha ${i}` : `beta ${i}`, category: "x", embedding: [1, i, 0] },
    }));
    await store.nodes.Doc.bulkInsert(items);
    expect((await store.search.fulltext("Doc", { query: "alpha", limit: 500 })).length).toBe(150);
    await store.nodes.Doc.bulkUpsertById(items.slice(0, 10).map((it) => ({ ...it, props: { ...it.props, title: "gamma" } })));
    expect((await store.search.fulltext("Doc", { query: "gamma", limit: 500 })).length).toBe(10);
    expect((await store.search.fulltext("Doc", { query: "alpha", limit: 500 })).length).toBe(145);
    await store.nodes.Doc.bulkDelete(["d0", "d1"]);
    expect((await store.search.fulltext("Doc", { query: "gamma", limit: 500 })).length).toBe(8);
    const r = await store.search.rebuildFulltext();
    expect(r.kinds).toEqual(["Doc"]);
    // Upstream's accounting: soft-deleted rows are processed and counted as cleared.
    expect(r.processed).toBe(300);
    expect(r.cleared).toBe(2);
    expect(r.upserted).toBe(298);
    expect((await store.search.fulltext("Doc", { query: "gamma", limit: 500 })).length).toBe(8);
    const v = await store.search.vector("Doc", { fieldPath: "embedding", queryEmbedding: [1, 5, 0], limit: 3 });
    expect(v[0]!.node.id).toBe("d5");
  });

  it("vector: exact top-k, metric scores, where, kept in step with writes and transactions", async () => {
    const { store } = await setup();
    await store.nodes.Doc.create({ title: "x", category: "a", embedding: [1, 0, 0] }, { id: "x" });
    await store.nodes.Doc.create({ title: "y", category: "b", embedding: [0, 1, 0] }, { id: "y" });
    await store.nodes.Doc.create({ title: "z", category: "a", embedding: [0.9, 0.1, 0] }, { id: "z" });
    await store.nodes.Doc.create({ title: "no vector yet", category: "a" }, { id: "n" });

    let hits = await store.search.vector("Doc", { fieldPath: "embedding", queryEmbedding: [1, 0, 0], limit: 2 });
    expect(hits.map((h) => h.node.id)).toEqual(["x", "z"]);
    expect(hits[0]!.score).toBeCloseTo(1, 5);
    expect(hits.map((h) => h.rank)).toEqual([1, 2]);

    hits = await store.search.vector("Doc", { fieldPath: "embedding", queryEmbedding: [1, 0, 0], limit: 5, where: (d) => d.category.eq("b") });
    expect(hits.map((h) => h.node.id)).toEqual(["y"]);
    hits = await store.search.vector("Doc", { fieldPath: "embedding", queryEmbedding: [1, 0, 0], limit: 5, minScore: 0.5 });
    expect(hits.map((h) => h.node.id)).toEqual(["x", "z"]);

    // Backfill with update (the embedding-worker pattern), then delete.
    await store.nodes.Doc.update("n", { embedding: [0.99, 0.01, 0] });
    hits = await store.search.vector("Doc", { fieldPath: "embedding", queryEmbedding: [1, 0, 0], limit: 2 });
    expect(hits.map((h) => h.node.id)).toEqual(["x", "n"]);
    await store.nodes.Doc.delete("x");
    hits = await store.search.vector("Doc", { fieldPath: "embedding", queryEmbedding: [1, 0, 0], limit: 2 });
    expect(hits.map((h) => h.node.id)).toEqual(["n", "z"]);

    // A rolled-back write leaves no trace; inside the transaction it is visible.
    await expect(
      store.transaction(async (tx) => {
        await tx.nodes.Doc.update("y", { embedding: [1, 0, 0] });
        const inside = await tx.search.vector("Doc", { fieldPath: "embedding", queryEmbedding: [1, 0, 0], limit: 1 });
        expect(inside[0]!.node.id).toBe("y");
        throw new Error("rollback");
      }),
    ).rejects.toThrow("rollback");
    hits = await store.search.vector("Doc", { fieldPath: "embedding", queryEmbedding: [1, 0, 0], limit: 1 });
    expect(hits[0]!.node.id).toBe("n");
    await store.transaction(async (tx) => {
      await tx.nodes.Doc.update("y", { embedding: [1, 0, 0] });
    });
    hits = await store.search.vector("Doc", { fieldPath: "embedding", queryEmbedding: [1, 0, 0], limit: 1 });
    expect(hits[0]!.node.id).toBe("y");
  });

  it("hybrid: RRF over both sources with sub-hits", async () => {
    const { store } = await setup();
    await store.nodes.Doc.create({ title: "graph search", category: "a", embedding: [0, 1, 0] }, { id: "both" });
    await store.nodes.Doc.create({ title: "graph only", category: "a", embedding: [0, 0, 1] }, { id: "ft" });
    await store.nodes.Doc.create({ title: "vector only", category: "a", embedding: [0.1, 1, 0] }, { id: "vec" });
    const hits = await store.search.hybrid("Doc", {
      limit: 3,
      vector: { fieldPath: "embedding", queryEmbedding: [0, 1, 0] },
      fulltext: { query: "graph" },
      fusion: { method: "rrf", k: 60 },
    });
    expect(hits[0]!.node.id).toBe("both");
    expect(hits[0]!.vector?.rank).toBe(1);
    expect(hits[0]!.fulltext?.rank).toBeGreaterThanOrEqual(1);
    expect(hits[0]!.score).toBeCloseTo(1 / 61 + 1 / (60 + hits[0]!.fulltext!.rank), 10);
    expect(hits.map((h) => h.rank)).toEqual([1, 2, 3]);
  });

  it("errors: unknown kind, dimension mismatch, unsupported capabilities", async () => {
    const { store } = await setup();
    await expect(store.search.fulltext("Nope" as never, { query: "x", limit: 1 })).rejects.toBeInstanceOf(KindNotFoundError);
    await expect(store.nodes.Doc.create({ title: "t", category: "a", embedding: [1, 2] as never })).rejects.toBeInstanceOf(ValidationError);
    // Upstream raises a plain RangeError for a query of the wrong dimension.
    await expect(
      store.search.vector("Doc", { fieldPath: "embedding", queryEmbedding: [1, 2], limit: 1 }),
    ).rejects.toBeInstanceOf(RangeError);
    await expect(store.search.vector("Doc", { fieldPath: "embedding", queryEmbedding: [1, 2, 3], limit: 0 })).rejects.toBeInstanceOf(RangeError);
    if (bc.name === "sqlite") {
      // fts5 cannot honour a per-query language: upstream's ConfigurationError.
      await expect(store.search.fulltext("Doc", { query: "x", limit: 1, language: "german" })).rejects.toBeInstanceOf(ConfigurationError);
      // The field declares HNSW (the default): the engine's ANN frontier takes efSearch.
      await store.nodes.Doc.create({ title: "t", category: "a", embedding: [1, 2, 3] });
      const ef = await store.search.vector("Doc", { fieldPath: "embedding", queryEmbedding: [1, 2, 3], limit: 1, efSearch: 40 });
      expect(ef.length).toBe(1);
    } else {
      await store.nodes.Doc.create({ title: "hallo welt", category: "a", embedding: [1, 2, 3] });
      const de = await store.search.fulltext("Doc", { query: "welt", limit: 1, language: "german" });
      expect(de.length).toBe(1);
      const ef = await store.search.vector("Doc", { fieldPath: "embedding", queryEmbedding: [1, 2, 3], limit: 1, efSearch: 40 });
      expect(ef.length).toBe(1);
    }
  });

  it("a null embedding keeps the stored vector, an absent one deletes it (upstream's rule)", async () => {
    const Card = defineNode("Card", { schema: z.object({ name: z.string(), v: embedding(3).nullable().optional() }) });
    const graph = defineGraph({ id: freshGraphId(`nullvec_${bc.name}`), nodes: { Card }, edges: {} });
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store as unknown as Store);
    await store.nodes.Card.create({ name: "a", v: [1, 0, 0] }, { id: "a" });
    await store.nodes.Card.create({ name: "b", v: [0, 1, 0] }, { id: "b" });
    const near = async () => (await store.search.vector("Card", { fieldPath: "v", queryEmbedding: [1, 0, 0], limit: 5 })).map((h) => h.node.id);
    expect(await near()).toEqual(["a", "b"]);
    // Hit nodes carry the same props, in the same order, as a point read (vectors included).
    const [hit] = await store.search.vector("Card", { fieldPath: "v", queryEmbedding: [1, 0, 0], limit: 1 });
    const read = await store.nodes.Card.getById("a");
    expect(hit!.node).toEqual(read);
    expect(Object.keys(hit!.node)).toEqual(Object.keys(read!));
    expect(JSON.stringify(hit!.node)).toBe(JSON.stringify(read));
    expect({ ...hit!.node }.v).toEqual([1, 0, 0]);
    hit!.node.v = [0, 0, 1];
    expect(hit!.node.v).toEqual([0, 0, 1]);
    await store.nodes.Card.update("a", { v: null });
    expect((await store.nodes.Card.getById("a"))!.v).toBeNull();
    expect(await near()).toEqual(["a", "b"]);
    await store.nodes.Card.update("a", { v: undefined });
    expect(await near()).toEqual(["b"]);
    await store.nodes.Card.create({ name: "c", v: null }, { id: "c" });
    expect(await near()).toEqual(["b"]);
    // An ended node keeps its vector but is never a hit, filtered or not.
    await store.nodes.Card.create({ name: "old", v: [1, 0, 0] }, { id: "old", validTo: "2000-01-01T00:00:00.000Z" });
    expect(await near()).toEqual(["b"]);
    const filtered = await store.search.vector("Card", { fieldPath: "v", queryEmbedding: [1, 0, 0], limit: 5, where: (c) => c.name.neq("zzz") });
    expect(filtered.map((h) => h.node.id)).toEqual(["b"]);
  });

  it("HNSW after materializeIndexes: recall against exact, filtered search stays correct", async () => {
    const dims = 16;
    const Item = defineNode("Item", { schema: z.object({ group: z.number().int(), v: embedding(dims) }) });
    const graph = defineGraph({ id: freshGraphId(`ann_${bc.name}`), nodes: { Item }, edges: {} });
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store as unknown as Store);
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const centroids = Array.from({ length: 12 }, () => Array.from({ length: dims }, rnd));
    const unit = (v: number[]) => {
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    };
    const sample = () => unit(centroids[Math.floor(((rnd() + 1) / 2) * 12) % 12]!.map((x) => x + rnd() * 0.6));
    const items = Array.from({ length: 3000 }, (_, i) => ({ id: `i${i}`, props: { group: i % 5, v: sample() } }));
    await store.nodes.Item.bulkInsert(items);
    const res = await store.materializeIndexes();
    expect(res.results.find((r) => r.entity === "vector")!.status).toBe("created");
    const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
    let hit = 0;
    let total = 0;
    for (let qi = 0; qi < 20; qi++) {
      const q = sample();
      const exact = items
        .map((it) => ({ id: it.id, s: cos(q, it.props.v), g: it.props.group }))
        .sort((a, b) => b.s - a.s);
      const got = await store.search.vector("Item", { fieldPath: "v", queryEmbedding: q, limit: 10, efSearch: 200 });
      const truth = new Set(exact.slice(0, 10).map((x) => x.id));
      hit += got.filter((h) => truth.has(h.node.id)).length;
      total += 10;
      // Filtered: every hit satisfies the filter, and the page is full.
      const filtered = await store.search.vector("Item", { fieldPath: "v", queryEmbedding: q, limit: 10, where: (n) => n.group.eq(2) });
      expect(filtered.length).toBe(10);
      expect(filtered.every((h) => h.node.group === 2)).toBe(true);
      const ftruth = new Set(exact.filter((x) => x.g === 2).slice(0, 10).map((x) => x.id));
      expect(filtered.filter((h) => ftruth.has(h.node.id)).length).toBeGreaterThanOrEqual(8);
    }
    expect(hit / total).toBeGreaterThanOrEqual(0.95);
    // Writes after the build stay visible: a new exact duplicate of a query is found first.
    const q = sample();
    await store.nodes.Item.create({ group: 9, v: q }, { id: "fresh" });
    const top = await store.search.vector("Item", { fieldPath: "v", queryEmbedding: q, limit: 1 });
    expect(top[0]!.node.id).toBe("fresh");
    await store.nodes.Item.delete("fresh");
    const after = await store.search.vector("Item", { fieldPath: "v", queryEmbedding: q, limit: 1 });
    expect(after[0]!.node.id).not.toBe("fresh");
  }, MATERIALIZE_TIMEOUT);

  it("HNSW across connections and reopen: other connections' writes are seen, the graph is reused", async () => {
    const dims = 8;
    const Item = defineNode("Item", { schema: z.object({ group: z.number().int(), v: embedding(dims) }) });
    const graph = defineGraph({
      id: freshGraphId(`annx_${bc.name}`),
      nodes: { Item },
      edges: {},
      // A declared index on the filtered prop (materialized with the vector index).
      indexes: [defineNodeIndex(Item, { fields: ["group"], name: `idx_annx_group_${bc.name}` })],
    });
    const db = `annx_${graph.id}`;
    const backendA = bc.make(db);
    const [a] = await createStoreWithSchema(graph, backendA);
    open.push(a as unknown as Store);
    let seed = 777;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const unit = (v: number[]) => {
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    };
    const sample = () => unit(Array.from({ length: dims }, rnd));
    const items = Array.from({ length: 1500 }, (_, i) => ({ id: `i${i}`, props: { group: i % 3, v: sample() } }));
    await a.nodes.Item.bulkInsert(items);
    await a.materializeIndexes();
    const near = async (s: typeof a, q: number[], where?: boolean) =>
      (
        await s.search.vector("Item", {
          fieldPath: "v",
          queryEmbedding: q,
          limit: 3,
          efSearch: 200,
          ...(where ? { where: (n: { group: { eq(x: number): never } }) => n.group.eq(2) } : {}),
        } as never)
      ).map((h) => h.node.id);
    const q1 = sample();
    const q2 = sample();
    await near(a, q1); // loads A's graph
    if (bc.name === "sqlite") {
      const saved = (await (backendA as unknown as { query(s: string, p: unknown[]): unknown }).query(
        "SELECT count(*) FROM typegraph_hnsw_graphs WHERE graph_id = ?",
        [graph.id],
      )) as unknown[][];
      expect(Number(saved[0]![0])).toBe(1);
    }
    // Another connection writes: a new exact match for q1, i5 moved onto q2, i7 deleted.
    const [b] = await createStoreWithSchema(graph, bc.make(db));
    open.push(b as unknown as Store);
    await b.nodes.Item.create({ group: 2, v: q1 }, { id: "fresh" });
    await b.nodes.Item.update("i5", { v: q2 });
    const i7 = items[7]!.props.v;
    await b.nodes.Item.delete("i7");
    expect((await near(a, q1))[0]).toBe("fresh");
    expect((await near(a, q1, true))[0]).toBe("fresh");
    const current = [...items.filter((it) => it.id !== "i7").map((it) => (it.id === "i5" ? { ...it, props: { ...it.props, v: q2 } } : it)), { id: "fresh", props: { group: 2, v: q1 } }];
    const exactFiltered = current
      .filter((it) => it.props.group === 2)
      .map((it) => ({ id: it.id, s: it.props.v.reduce((t, x, k) => t + x * q2[k]!, 0) }))
      .sort((x, y) => y.s - x.s);
    expect(await near(a, q2, true)).toEqual(exactFiltered.slice(0, 3).map((x) => x.id));
    expect((await near(a, q2))[0]).toBe("i5");
    expect(await near(a, i7)).not.toContain("i7");
    // A connection opened afterwards answers the same (from the saved graph on SQLite).
    const [c] = await createStoreWithSchema(graph, bc.make(db));
    open.push(c as unknown as Store);
    expect((await near(c, q1))[0]).toBe("fresh");
    expect((await near(c, q2))[0]).toBe("i5");
    expect(await near(c, i7)).not.toContain("i7");
    // The old vector of i5 is no longer where i5 is found.
    expect(await near(c, items[5]!.props.v)).not.toContain("i5");
  }, MATERIALIZE_TIMEOUT);
});
