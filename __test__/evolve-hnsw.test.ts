// Reclaiming a vector table also reclaims its approximate index: on SQLite the HNSW graph the
// engine saves beside the table (our own `typegraph_hnsw_graphs`, one row per table and graph),
// on PostgreSQL the pgvector index that goes with the dropped table. Both through the public API:
// removeKinds + materializeRemovals, and an embedding field dropped from a surviving kind.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineGraph, defineGraphExtension, defineNode, embedding, type GraphBackend } from "../dist/index.js";
import { migrateSchema } from "../dist/schema-entry.js";
import { backends, freshGraphId } from "./backends.js";

type Raw = { query(sql: string, params?: unknown[]): unknown[][] | Promise<unknown[][]> };

async function rows(backend: GraphBackend, sql: string, params: unknown[]): Promise<unknown[][]> {
  return await (backend as unknown as Raw).query(sql, params);
}

async function vectorTable(backend: GraphBackend, graphId: string, kind: string, field: string): Promise<string | undefined> {
  const pg = backend.dialect === "postgres";
  const m = await rows(
    backend,
    `SELECT table_name FROM typegraph_contribution_materializations WHERE graph_id = ${pg ? "$1" : "?"} AND logical_name = ${pg ? "$2" : "?"}`,
    [graphId, `vector:${kind}.${field}`],
  );
  return m[0]?.[0] as string | undefined;
}

/** How many approximate indexes exist for `table`: saved HNSW graphs on SQLite, pgvector indexes on PostgreSQL. */
async function annIndexes(backend: GraphBackend, graphId: string, table: string): Promise<number> {
  if (backend.dialect === "postgres") {
    const r = await rows(backend, "SELECT count(*) FROM pg_catalog.pg_indexes WHERE tablename = $1 AND indexdef ILIKE '%hnsw%'", [table]);
    return Number(r[0]![0]);
  }
  const exists = await rows(backend, "SELECT 1 FROM sqlite_master WHERE name = 'typegraph_hnsw_graphs'", []);
  if (exists.length === 0) return 0;
  const r = await rows(backend, "SELECT count(*) FROM typegraph_hnsw_graphs WHERE vector_table = ? AND graph_id = ?", [table, graphId]);
  return Number(r[0]![0]);
}

const unit = (i: number, dims: number) => {
  const v = Array.from({ length: dims }, (_, j) => Math.sin(i * 7.1 + j * 1.3) + (j === i % dims ? 2 : 0));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

describe.each(backends)("approximate index reclaim on $name", (bc) => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  it("removeKinds + materializeRemovals deletes the removed kind's approximate index", async () => {
    const Doc = defineNode("Doc", { schema: z.object({ title: z.string(), vec: embedding(4) }) });
    const graph = defineGraph({ id: freshGraphId(`vh_${bc.name}`), nodes: { Doc: { type: Doc } }, edges: {} });
    const backend = bc.make(graph.id);
    const [store] = await createStoreWithSchema(graph, backend);
    open.push(store);
    const chunkExt = defineGraphExtension({
      nodes: { Chunk: { properties: { text: { type: "string" }, vec: { type: "array", items: { type: "number" }, embedding: { dimensions: 4 } } } } },
    });
    const evolved = await store.evolve(chunkExt);
    const chunks = evolved.getNodeCollectionOrThrow("Chunk");
    for (let i = 0; i < 40; i++) await chunks.create({ text: `c${i}`, vec: unit(i, 4) });
    for (let i = 0; i < 40; i++) await evolved.nodes.Doc.create({ title: `d${i}`, vec: unit(i + 3, 4) });
    await evolved.materializeIndexes();
    const chunkTable = (await vectorTable(backend, graph.id, "Chunk", "vec"))!;
    const docTable = (await vectorTable(backend, graph.id, "Doc", "vec"))!;
    // A search loads (and on SQLite keeps using) the graphs.
    const before = await evolved.search.vector("Chunk" as "Doc", { fieldPath: "vec", queryEmbedding: unit(5, 4), limit: 3 });
    expect(before.length).toBe(3);
    expect(await annIndexes(backend, graph.id, chunkTable)).toBe(1);
    expect(await annIndexes(backend, graph.id, docTable)).toBe(1);

    const removed = await evolved.removeKinds(["Chunk"]);
    // Pending removal: nothing is dropped yet.
    expect(await annIndexes(backend, graph.id, chunkTable)).toBe(1);
    const result = await removed.materializeRemovals();
    expect(result.results).toEqual([{ kind: "Chunk", entity: "node", status: "removed" }]);
    expect(await annIndexes(backend, graph.id, chunkTable)).toBe(0);
    // The surviving kind keeps its index and still answers.
    expect(await annIndexes(backend, graph.id, docTable)).toBe(1);
    const docs = await removed.search.vector("Doc", { fieldPath: "vec", queryEmbedding: unit(8, 4), limit: 1 });
    expect(docs.map((h) => h.node.title)).toEqual(["d5"]);

    // Re-added, the kind starts from an empty table: no stale graph answers for old rows.
    const readded = await removed.evolve(chunkExt);
    const fresh = await readded.getNodeCollectionOrThrow("Chunk").create({ text: "new", vec: unit(5, 4) });
    const after = await readded.search.vector("Chunk" as "Doc", { fieldPath: "vec", queryEmbedding: unit(5, 4), limit: 3 });
    expect(after.map((h) => h.node.id)).toEqual([fresh.id]);
  });

  it("an embedding field dropped from a surviving kind loses its approximate index with its table", async () => {
    const id = freshGraphId(`vh_${bc.name}`);
    const WithVec = defineNode("Note", { schema: z.object({ title: z.string(), vec: embedding(3).optional() }) });
    const g1 = defineGraph({ id, nodes: { Note: { type: WithVec } }, edges: {} });
    const backend = bc.make(id);
    const [s1] = await createStoreWithSchema(g1, backend);
    open.push(s1);
    for (let i = 0; i < 30; i++) await s1.nodes.Note.create({ title: `n${i}`, vec: unit(i, 3) });
    await s1.materializeIndexes();
    await s1.search.vector("Note", { fieldPath: "vec", queryEmbedding: unit(2, 3), limit: 2 });
    const table = (await vectorTable(backend, id, "Note", "vec"))!;
    expect(await annIndexes(backend, id, table)).toBe(1);

    const NoVec = defineNode("Note", { schema: z.object({ title: z.string() }) });
    const g2 = defineGraph({ id, nodes: { Note: { type: NoVec } }, edges: {} });
    const backend2 = bc.make(id);
    const [old] = await createStoreWithSchema(g2, backend2, { throwOnBreaking: false });
    open.push(old);
    await migrateSchema(backend2, g2, 1);
    const [s2] = await createStoreWithSchema(g2, bc.make(id));
    open.push(s2);
    const result = await s2.materializeRemovals();
    expect(result.reclaimedVectorFields).toEqual([{ kind: "Note", fieldPath: "vec", status: "reclaimed" }]);
    expect(await annIndexes(backend2, id, table)).toBe(0);
    expect(await s2.nodes.Note.count()).toBe(30);
  });
});
