// store.clear(): everything one graph stores goes in one transaction — rows, unique claims,
// fulltext documents, embeddings, schema versions — while another graph in the same tables keeps
// all of its data; the cleared store stays usable as a raw (unversioned) store.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  UniquenessError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  embedding,
  searchable,
  type GraphBackend,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Note = defineNode("Note", {
  schema: z.object({ slug: z.string(), text: searchable(), vec: embedding(3).optional() }),
});
const Tag = defineNode("Tag", { schema: z.object({ label: z.string() }) });
const tagged = defineEdge("tagged", { schema: z.object({ weight: z.number() }) });

function clearGraph(id: string) {
  return defineGraph({
    id,
    nodes: { Note: { type: Note, unique: [{ name: "note_slug", fields: ["slug"] }] }, Tag: { type: Tag } },
    edges: { tagged: { type: tagged, from: [Note], to: [Tag] } },
  });
}

describe.each(backends)("store.clear() on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function seed(graph: ReturnType<typeof clearGraph>, backend: GraphBackend, word: string) {
    const [store] = await createStoreWithSchema(graph, backend);
    const n1 = await store.nodes.Note.create({ slug: "alpha", text: `${word} river stones`, vec: [1, 0, 0] }, { id: "n1" });
    const n2 = await store.nodes.Note.create({ slug: "beta", text: `${word} mountain air`, vec: [0, 1, 0] }, { id: "n2" });
    const t = await store.nodes.Tag.create({ label: "nature" }, { id: "t1" });
    await store.edges.tagged.create(n1, t, { weight: 1 }, { id: "e1" });
    await store.edges.tagged.create(n2, t, { weight: 2 }, { id: "e2" });
    return store;
  }

  it("deletes every row of the graph and keeps another graph's rows", async () => {
    const dbName = freshGraphId(`clear_${bc.name}`);
    const backend = bc.make(dbName);
    open.push(backend);
    const graph = clearGraph(dbName);
    const other = clearGraph(`${dbName}_other`);
    const store = await seed(graph, backend, "quartz");
    const otherStore = await seed(other, backend, "quartz");
    expect(store.introspect().schemaVersion).toBe(1);

    await store.clear();

    expect(await store.nodes.Note.getById("n1")).toBeUndefined();
    expect(await store.nodes.Tag.getById("t1")).toBeUndefined();
    expect(await store.edges.tagged.getById("e1")).toBeUndefined();
    expect(await store.nodes.Note.count()).toBe(0);
    expect(await store.edges.tagged.count()).toBe(0);
    const rows = await store.query().from("Note", "n").select((c) => c.n.slug).execute();
    expect(rows).toEqual([]);
    expect(await store.search.fulltext("Note", { query: "quartz", limit: 10 })).toEqual([]);
    expect(await store.search.vector("Note", { fieldPath: "vec", queryEmbedding: [1, 0, 0], limit: 10 })).toEqual([]);
    expect(await store.getActiveSchema()).toBeUndefined();
    // As upstream: the store now has raw, unversioned semantics.
    expect(store.introspect().schemaVersion).toBeUndefined();

    // The other graph in the same tables keeps everything.
    expect(await otherStore.nodes.Note.count()).toBe(2);
    expect(await otherStore.edges.tagged.count()).toBe(2);
    expect((await otherStore.search.fulltext("Note", { query: "quartz", limit: 10 })).map((h) => h.node.id).sort()).toEqual(["n1", "n2"]);
    const near = await otherStore.search.vector("Note", { fieldPath: "vec", queryEmbedding: [1, 0, 0], limit: 1 });
    expect(near.map((h) => h.node.id)).toEqual(["n1"]);
    expect((await otherStore.getActiveSchema())?.version).toBe(1);
  });

  it("leaves the store usable: ids, unique keys, search and the schema start afresh", async () => {
    const dbName = freshGraphId(`clear2_${bc.name}`);
    const backend = bc.make(dbName);
    open.push(backend);
    const graph = clearGraph(dbName);
    const store = await seed(graph, backend, "basalt");
    await store.clear();

    // Same id and same unique key as before the clear: both free again.
    const again = await store.nodes.Note.create({ slug: "alpha", text: "granite ridge", vec: [0, 0, 1] }, { id: "n1" });
    expect(again.meta.version).toBe(1);
    await expect(store.nodes.Note.create({ slug: "alpha", text: "copy" })).rejects.toBeInstanceOf(UniquenessError);
    expect((await store.search.fulltext("Note", { query: "granite", limit: 5 })).map((h) => h.node.id)).toEqual(["n1"]);
    expect(await store.search.fulltext("Note", { query: "basalt", limit: 5 })).toEqual([]);
    const hits = await store.search.vector("Note", { fieldPath: "vec", queryEmbedding: [0, 0, 1], limit: 5 });
    expect(hits.map((h) => h.node.id)).toEqual(["n1"]);
    expect(hits[0]!.node.vec).toEqual([0, 0, 1]);

    // Reopening through the managed factory records the schema again, as for a new graph.
    const [, result] = await createStoreWithSchema(graph, backend);
    expect(result.status).toBe("initialized");
  });
});
