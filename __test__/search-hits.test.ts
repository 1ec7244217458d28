// What a search hit carries, on SQLite and PostgreSQL: each hit's node is the node
// `getById` returns (embedding values exactly as stored, odd floats included), whether it
// comes from fulltext, vector or hybrid search, ranked or paged; hybrid fuses on ids and
// scores and still leaves out ended or deleted nodes and keeps every page full; and the
// option checks raise upstream's classes (RangeError for a query of the wrong dimension and a
// cosine minScore outside [-1, 1], ConfigurationError for a language override fts5 cannot
// honour).
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  createStoreWithSchema,
  defineGraph,
  defineNode,
  embedding,
  searchable,
  subClassOf,
  type Store,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Note = defineNode("Note", {
  schema: z.object({ title: searchable(), tag: z.string(), weight: z.number(), vec: embedding(4).optional(), alt: embedding(3, { metric: "l2" }).optional() }),
});
const Memo = defineNode("Memo", {
  schema: z.object({ title: searchable(), tag: z.string(), weight: z.number(), vec: embedding(4).optional(), alt: embedding(3, { metric: "l2" }).optional() }),
});

function graphOf(id: string) {
  return defineGraph({ id, nodes: { Note, Memo }, edges: {}, ontology: [subClassOf(Memo, Note)] });
}

// Values whose text form is easy to lose: a binary fraction, a tiny exponent, a negative
// zero, the float just above 1, long mantissas.
const ODD = [
  [0.1, 1e-7, -0, 1.0000000000000002],
  [0.30000000000000004, -1e-300, 5e-324, 0.7],
  [123456789.12345679, -2.5e-8, 0.1, 0.2],
];

describe.each(backends)("search hits on $name", (bc) => {
  const open: Store<any>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function seeded() {
    const graph = graphOf(freshGraphId(`shits_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    for (let i = 0; i < 12; i++) {
      const odd = ODD[i % ODD.length]!;
      const vec = odd.map((x, j) => (j === i % 4 ? x + 1 : x));
      await store.nodes.Note.create(
        { title: `sun ${i % 2 ? "moon" : "star"} ${"sun ".repeat(i % 3)}`.trim(), tag: `t${i % 3}`, weight: 0.1 * i, vec, alt: [0.1, -0, 1e-7 * i] },
        { id: `n${i}` },
      );
    }
    await store.nodes.Memo.create({ title: "sun memo", tag: "t0", weight: 1e-7, vec: [1.1, 1e-7, -0, 0.1] }, { id: "m0" });
    // No vector: found by fulltext only.
    await store.nodes.Note.create({ title: "sun without vector", tag: "t1", weight: -0 }, { id: "plain" });
    return store;
  }

  async function expectSameAsStored(store: Store<any>, hits: { node: { id: string; kind: string } }[]) {
    expect(hits.length).toBeGreaterThan(0);
    for (const h of hits) {
      const stored = await (store.nodes as any)[h.node.kind].getById(h.node.id);
      expect(h.node).toEqual(stored);
      // Bit-exact numbers, -0 included (toEqual tells -0 from 0 through Object.is).
      for (const f of ["vec", "alt"]) {
        const a = (h.node as any)[f] as number[] | undefined;
        const b = (stored as any)[f] as number[] | undefined;
        expect(a === undefined).toBe(b === undefined);
        if (a && b) a.forEach((x, i) => expect(Object.is(x, b[i])).toBe(true));
      }
      expect(JSON.stringify(h.node)).toBe(JSON.stringify(stored));
      expect(Object.keys(h.node)).toEqual(Object.keys(stored));
    }
  }

  it("fulltext, vector and hybrid hits carry the node exactly as getById returns it", async () => {
    const store = await seeded();
    const s = store.search;
    const ft = await s.fulltext("Note", { query: "sun", limit: 20 });
    expect(ft.length).toBe(13);
    await expectSameAsStored(store, ft);
    const v = await s.vector("Note", { fieldPath: "vec", queryEmbedding: [1, 0, 0, 0], limit: 5 });
    expect(v.length).toBe(5);
    await expectSameAsStored(store, v);
    const l2 = await s.vector("Note", { fieldPath: "alt", queryEmbedding: [0, 0, 0], limit: 4, offset: 2 });
    expect(l2.length).toBe(4);
    await expectSameAsStored(store, l2);
    const wide = await s.vector("Note", { fieldPath: "vec", queryEmbedding: [1, 0, 0, 0], limit: 20, includeSubClasses: true });
    expect(wide.map((h) => h.node.id)).toContain("m0");
    await expectSameAsStored(store, wide);
    const hy = await s.hybrid("Note", { limit: 8, vector: { fieldPath: "vec", queryEmbedding: [0, 1, 0, 0] }, fulltext: { query: "moon" } });
    expect(hy.length).toBe(8);
    await expectSameAsStored(store, hy);
    for (const h of hy) {
      if (h.vector) expect(h.vector.node).toBe(h.node);
      if (h.fulltext) expect(h.fulltext.node).toBe(h.node);
    }
    // A hit's node behaves as a plain object: assignment replaces a value, spreading copies it.
    const first = v[0]!.node as any;
    const copy = { ...first };
    expect(copy).toEqual(await store.nodes.Note.getById(first.id));
    first.vec = [9, 9, 9, 9];
    expect(first.vec).toEqual([9, 9, 9, 9]);
  });

  it("hybrid ranks on ids and scores first: RRF order, offset, sub-hits, ended and deleted nodes left out", async () => {
    const store = await seeded();
    const s = store.search;
    const opts = { vector: { fieldPath: "vec", queryEmbedding: [1, 0.2, 0, 0] }, fulltext: { query: "sun" } };
    const all = await s.hybrid("Note", { limit: 50, ...opts });
    // Every node with a vector or a matching title, once each, in fused order.
    expect(new Set(all.map((h) => h.node.id)).size).toBe(all.length);
    expect(all.length).toBe(13);
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.score).toBeGreaterThanOrEqual(all[i]!.score);
    expect(all.map((h) => h.rank)).toEqual(all.map((_, i) => i + 1));
    const v = await s.vector("Note", { fieldPath: "vec", queryEmbedding: [1, 0.2, 0, 0], limit: 50 });
    const f = await s.fulltext("Note", { query: "sun", limit: 50 });
    const vr = new Map(v.map((h) => [h.node.id, h]));
    const fr = new Map(f.map((h) => [h.node.id, h]));
    for (const h of all) {
      const a = vr.get(h.node.id);
      const b = fr.get(h.node.id);
      expect(h.vector?.rank).toBe(a?.rank);
      expect(h.vector?.score).toBe(a?.score);
      expect(h.fulltext?.rank).toBe(b?.rank);
      expect(h.fulltext?.score).toBe(b?.score);
      expect(h.score).toBeCloseTo((a ? 1 / (60 + a.rank) : 0) + (b ? 1 / (60 + b.rank) : 0), 12);
    }
    // Pages of the fused ranking.
    const page = await s.hybrid("Note", { limit: 3, offset: 4, ...opts });
    expect(page.map((h) => h.node.id)).toEqual(all.slice(4, 7).map((h) => h.node.id));
    expect(page.map((h) => h.rank)).toEqual([1, 2, 3]);
    // The best fused hits go away: deleted, and ended by a validity window in the past.
    const [top0, top1] = [all[0]!.node.id, all[1]!.node.id];
    await store.nodes.Note.delete(top0);
    const ended = (await store.nodes.Note.getById(top1))!;
    await store.nodes.Note.delete(top1);
    await store.nodes.Note.create(
      { title: ended.title, tag: ended.tag, weight: ended.weight, vec: ended.vec, alt: ended.alt },
      { id: `${top1}_old`, validTo: "2001-01-01T00:00:00.000Z" },
    );
    const after = await s.hybrid("Note", { limit: 5, ...opts });
    expect(after.length).toBe(5);
    const afterIds = after.map((h) => h.node.id);
    expect(afterIds).not.toContain(top0);
    expect(afterIds).not.toContain(top1);
    expect(afterIds).not.toContain(`${top1}_old`);
    const rest = await s.hybrid("Note", { limit: 50, ...opts });
    expect(rest.length).toBe(11);
    expect(afterIds).toEqual(rest.slice(0, 5).map((h) => h.node.id));
    await expectSameAsStored(store, after);
    // `where` on both halves; minScore on each half.
    const scoped = await s.hybrid("Note", { limit: 50, ...opts, where: (n) => n.tag.eq("t1") });
    expect(scoped.length).toBeGreaterThan(0);
    expect(scoped.every((h) => h.node.tag === "t1")).toBe(true);
    const strict = await s.hybrid("Note", { limit: 50, vector: { ...opts.vector, minScore: 0.99 }, fulltext: { query: "moon" } });
    for (const h of strict) if (h.vector) expect(h.vector.score).toBeGreaterThanOrEqual(0.99);
    // Sub-hits are the halves' own ranks within this call (k per half).
    const narrow = await s.hybrid("Note", { limit: 2, vector: { ...opts.vector, k: 1 }, fulltext: { ...opts.fulltext, k: 1 } });
    expect(narrow.length).toBeLessThanOrEqual(2);
    for (const h of narrow) expect((h.vector?.rank ?? 1) + (h.fulltext?.rank ?? 1)).toBeLessThanOrEqual(2);
    // Subclasses join the fused ranking.
    const sub = await s.hybrid("Note", { limit: 50, ...opts, includeSubClasses: true });
    expect(sub.map((h) => h.node.id)).toContain("m0");
    await expectSameAsStored(store, sub);
  });

  it("fulltext order: score, then node id across ties; pages, minScore; other graphs' documents in the same table stay out", async () => {
    const db = freshGraphId(`shits_db_${bc.name}`);
    const open2 = async (tag: string) => {
      const graph = graphOf(freshGraphId(`shits_${tag}_${bc.name}`));
      const [store] = await createStoreWithSchema(graph, bc.make(db));
      open.push(store);
      return store;
    };
    const a = await open2("a");
    const b = await open2("b");
    // Graph b's documents score best (more occurrences), and there are more of them.
    for (let i = 0; i < 30; i++) await b.nodes.Note.create({ title: "sun sun sun sun", tag: "b", weight: i }, { id: `b${i}` });
    // Graph a: three score groups, ids created out of order so ties need the id order.
    const ids = ["q7", "a2", "z1", "m5", "b9", "k3", "c4", "x0", "d8", "n6"];
    for (const [i, id] of ids.entries()) {
      await a.nodes.Note.create({ title: i % 3 === 0 ? "sun sun other" : "sun other words", tag: "a", weight: i }, { id });
    }
    await a.nodes.Memo.create({ title: "sun other words", tag: "a", weight: 0 }, { id: "memo1" });
    const all = await a.search.fulltext("Note", { query: "sun", limit: 50 });
    expect(all.every((h) => h.node.tag === "a" && h.node.kind === "Note")).toBe(true);
    expect(all.length).toBe(ids.length);
    for (let i = 1; i < all.length; i++) {
      const [p, h] = [all[i - 1]!, all[i]!];
      expect(p.score >= h.score).toBe(true);
      if (p.score === h.score) expect(p.node.id < h.node.id).toBe(true);
    }
    const strong = ids.filter((_, i) => i % 3 === 0).sort();
    const weak = ids.filter((_, i) => i % 3 !== 0).sort();
    expect(all.map((h) => h.node.id)).toEqual([...strong, ...weak]);
    // Pages cut through a tie group.
    for (const [offset, limit] of [[0, 1], [0, 3], [2, 3], [3, 4], [5, 2], [9, 5]] as const) {
      const page = await a.search.fulltext("Note", { query: "sun", limit, offset });
      expect(page.map((h) => h.node.id)).toEqual(all.slice(offset, offset + limit).map((h) => h.node.id));
    }
    // minScore keeps the strong group only.
    const cut = (all[0]!.score + all[all.length - 1]!.score) / 2;
    const floor = await a.search.fulltext("Note", { query: "sun", limit: 50, minScore: cut });
    expect(floor.map((h) => h.node.id)).toEqual(strong);
    // A deleted node in the first group: the page stays full and ordered.
    await a.nodes.Note.delete(strong[0]!);
    const after = await a.search.fulltext("Note", { query: "sun", limit: 4 });
    expect(after.map((h) => h.node.id)).toEqual([...strong.slice(1), ...weak].slice(0, 4));
    // Subclasses: the Memo joins the weak group by id.
    const wide = await a.search.fulltext("Note", { query: "sun", limit: 50, includeSubClasses: true });
    expect(wide.map((h) => h.node.id)).toContain("memo1");
    // Snippets take the other statement: the same order.
    const snip = await a.search.fulltext("Note", { query: "sun", limit: 50, includeSnippets: true });
    expect(snip.map((h) => h.node.id)).toEqual([...strong.slice(1), ...weak]);
    expect(snip.every((h) => typeof h.snippet === "string")).toBe(true);
    // Graph b sees only its own.
    const bb = await b.search.fulltext("Note", { query: "sun", limit: 5 });
    expect(bb.map((h) => h.node.id)).toEqual(["b0", "b1", "b10", "b11", "b12"]);
  });

  it("option checks raise upstream's classes", async () => {
    const store = await seeded();
    const s = store.search;
    const dim = await s.vector("Note", { fieldPath: "vec", queryEmbedding: [1, 0, 0], limit: 1 }).catch((e: unknown) => e);
    expect(dim).toBeInstanceOf(RangeError);
    expect((dim as Error).message).toMatch(/^vectorSearch: queryEmbedding has 3 dimensions/);
    const hdim = await s
      .hybrid("Note", { limit: 1, vector: { fieldPath: "vec", queryEmbedding: [1, 0] }, fulltext: { query: "sun" } })
      .catch((e: unknown) => e);
    expect(hdim).toBeInstanceOf(RangeError);
    expect((hdim as Error).message).toMatch(/^hybridSearch\.vector: queryEmbedding has 2 dimensions/);
    for (const minScore of [1.5, -1.01]) {
      const e = await s.vector("Note", { fieldPath: "vec", queryEmbedding: [1, 0, 0, 0], limit: 1, minScore }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(RangeError);
      expect((e as Error).message).toMatch(/vectorSearch\.minScore .*between -1 and 1/);
      const h = await s
        .hybrid("Note", { limit: 1, vector: { fieldPath: "vec", queryEmbedding: [1, 0, 0, 0], minScore }, fulltext: { query: "sun" } })
        .catch((x: unknown) => x);
      expect(h).toBeInstanceOf(RangeError);
      expect((h as Error).message).toMatch(/hybridSearch\.vector\.minScore/);
    }
    // In range: accepted (cosine bounds inclusive); an l2 field takes any finite floor.
    expect((await s.vector("Note", { fieldPath: "vec", queryEmbedding: [1, 0, 0, 0], limit: 1, minScore: -1 })).length).toBe(1);
    // (l2: minScore is the largest admitted distance; every alt vector is about 0.1 away.)
    expect((await s.vector("Note", { fieldPath: "alt", queryEmbedding: [0, 0, 0], limit: 1, minScore: 7 })).length).toBe(1);
    expect((await s.vector("Note", { fieldPath: "alt", queryEmbedding: [0, 0, 0], limit: 1, minScore: 0.01 })).length).toBe(0);
    const ft = () => s.fulltext("Note", { query: "sun", limit: 1, language: "german" });
    const hy = () => s.hybrid("Note", { limit: 1, vector: { fieldPath: "vec", queryEmbedding: [1, 0, 0, 0] }, fulltext: { query: "sun", language: "german" } });
    if (bc.name === "sqlite") {
      const e = await ft().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ConfigurationError);
      expect((e as ConfigurationError).details).toMatchObject({ backend: "sqlite", capability: "fulltext.languageOverride" });
      await expect(hy()).rejects.toBeInstanceOf(ConfigurationError);
    } else {
      expect((await ft()).length).toBe(1);
      expect((await hy()).length).toBe(1);
    }
  });
});
