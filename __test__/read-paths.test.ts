// The read paths return the stored values exactly: getById / getByIds, a query selecting the
// whole node or edge, a prepared query, and a partial select over a traversal agree with what
// was written — strings needing JSON escapes, non-ASCII text, fractions and large integers,
// nested objects, JSON nulls, meta fields, and the temporal modes — on SQLite and PostgreSQL.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineEdge, defineGraph, defineNode, param, type Store } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Doc = defineNode("Doc", {
  schema: z.object({
    title: z.string(),
    score: z.number().optional(),
    count: z.number().int().optional(),
    note: z.string().nullable().optional(),
    tags: z.array(z.string()).optional(),
    extra: z.object({ a: z.number(), b: z.array(z.object({ c: z.string() })) }).optional(),
  }),
});
const cites = defineEdge("cites", { schema: z.object({ weight: z.number(), label: z.string().optional() }) });

function makeGraph(id: string) {
  return defineGraph({ id, nodes: { Doc }, edges: { cites: { type: cites, from: [Doc], to: [Doc] } } });
}
type G = ReturnType<typeof makeGraph>;

const awkward = 'quote " backslash \\ slash / tab \t newline \n cr \r nul-ish \u0001 bell \u0007 end';
const docs = [
  { id: "d1", props: { title: awkward, score: 2.5, count: 3, note: null, tags: ["x", "ÿ", "日本語", "😀"], extra: { a: -0.125, b: [{ c: "é" }] } } },
  { id: "d2", props: { title: "plain", score: 1e-7, count: 123456789012 } },
  { id: "d3", props: { title: "ünïcödé 😀 \u2028 \u2029", score: -7, note: "n" } },
  { id: "d4", props: { title: "ended" } },
];

describe.each(backends)("read paths on $name", (bc) => {
  const open: Store<G>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function seeded() {
    const graph = makeGraph(freshGraphId(`rp_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    for (const d of docs.slice(0, 3)) await store.nodes.Doc.create(d.props, { id: d.id });
    // d4's validity ended in the past.
    await store.nodes.Doc.create(docs[3]!.props, { id: "d4", validFrom: "2020-01-01T00:00:00.000Z", validTo: "2021-01-01T00:00:00.000Z" });
    await store.edges.cites.create({ kind: "Doc", id: "d1" }, { kind: "Doc", id: "d2" }, { weight: 0.5, label: awkward }, { id: "c12" });
    await store.edges.cites.create({ kind: "Doc", id: "d1" }, { kind: "Doc", id: "d3" }, { weight: 2 }, { id: "c13" });
    await store.edges.cites.create({ kind: "Doc", id: "d1" }, { kind: "Doc", id: "d4" }, { weight: 3 }, { id: "c14" });
    return store;
  }

  it("getById, getByIds, a whole-node select and a prepared query return the same stored node", async () => {
    const store = await seeded();
    for (const d of docs.slice(0, 3)) {
      const n = await store.nodes.Doc.getById(d.id);
      expect(n).toBeDefined();
      expect(n!.id).toBe(d.id);
      expect(n!.kind).toBe("Doc");
      for (const [k, v] of Object.entries(d.props)) expect((n as Record<string, unknown>)[k]).toEqual(v);
      // A key never written stays absent; a written JSON null stays null.
      expect(Object.keys(n!).sort()).toEqual(["id", "kind", "meta", ...Object.keys(d.props)].sort());
      expect(n!.meta.version).toBe(1);
      expect(typeof n!.meta.createdAt).toBe("string");
      expect(n!.meta.deletedAt).toBeUndefined();
      expect(n!.meta.validTo).toBeUndefined();

      const [viaQuery] = await store.query().from("Doc", "d").whereNode("d", (x) => x.id.eq(d.id)).select((c) => c.d).execute();
      expect(viaQuery).toEqual(n);
      const prepared = store.query().from("Doc", "d").whereNode("d", (x) => x.id.eq(param("id"))).select((c) => c.d).prepare();
      expect(await prepared.execute({ id: d.id })).toEqual([n]);
      expect(await store.query().from("Doc", "d").whereNode("d", (x) => x.id.eq(d.id)).select((c) => c.d).first()).toEqual(n);
    }
    const many = await store.nodes.Doc.getByIds(["d3", "missing", "d1"]);
    expect(many.map((n) => n?.id)).toEqual(["d3", undefined, "d1"]);
    expect(many[2]).toEqual(await store.nodes.Doc.getById("d1"));
    expect(await store.nodes.Doc.getById("missing")).toBeUndefined();
  });

  it("an ended node reads as absent currently and present with includeEnded / includeTombstones / asOf inside its validity", async () => {
    const store = await seeded();
    expect(await store.nodes.Doc.getById("d4")).toBeUndefined();
    const wide = (await store.nodes.Doc.getById("d4", "includeTombstones"))!;
    expect(wide.title).toBe("ended");
    expect(wide.meta.validTo).toBe("2021-01-01T00:00:00.000Z");
    expect((await store.nodes.Doc.getById("d4", "includeEnded"))!.title).toBe("ended");
    expect((await store.nodes.Doc.getById("d4", { asOf: "2020-06-01T00:00:00.000Z" }))!.title).toBe("ended");
    const [row] = await store.query().from("Doc", "d").temporal("includeTombstones").whereNode("d", (x) => x.id.eq("d4")).select((c) => c.d).execute();
    expect(row).toEqual(wide);
  });

  it("a prepared 1-hop traversal returns the edge props and target fields as stored, ended targets left out", async () => {
    const store = await seeded();
    const hop = store
      .query()
      .from("Doc", "a")
      .whereNode("a", (x) => x.id.eq(param("id")))
      .traverse("cites", "e")
      .to("Doc", "b")
      .select((c) => ({ id: c.b.id, title: c.b.title, note: c.b.note, score: c.b.score, weight: c.e.weight, label: c.e.label }))
      .orderBy("b", "id")
      .prepare();
    const rows = await hop.execute({ id: "d1" });
    expect(rows).toEqual([
      { id: "d2", title: "plain", note: undefined, score: 1e-7, weight: 0.5, label: awkward },
      { id: "d3", title: "ünïcödé 😀 \u2028 \u2029", note: "n", score: -7, weight: 2, label: undefined },
    ]);
    expect(await hop.execute({ id: "d2" })).toEqual([]);
    expect(await hop.execute({ id: "missing" })).toEqual([]);
    // A whole edge through the query path equals the edge read by id.
    const [edgeRow] = await store.query().from("Doc", "a").whereNode("a", (x) => x.id.eq("d1")).traverse("cites", "e").to("Doc", "b").whereNode("b", (x) => x.id.eq("d2")).select((c) => c.e).execute();
    const edge = await store.edges.cites.getById("c12");
    expect(edgeRow).toMatchObject({ id: "c12", kind: "cites", fromId: "d1", toId: "d2", weight: 0.5, label: awkward, meta: edge!.meta });
    // A stored JSON null selected on its own stays null; an absent key reads as undefined.
    const notes = await store.query().from("Doc", "d").select((c) => ({ id: c.d.id, note: c.d.note })).orderBy("d", "id").execute();
    expect(notes).toEqual([
      { id: "d1", note: null },
      { id: "d2", note: undefined },
      { id: "d3", note: "n" },
    ]);
  });
});
