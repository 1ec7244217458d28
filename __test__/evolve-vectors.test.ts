// materializeRemovals reclaims per-field vector tables (tg_vec_…): those of removed kinds go with
// their rows; those of embedding fields dropped from a surviving kind are reported in
// reclaimedVectorFields. SQLite and PostgreSQL through the public API.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigurationError, createStore, createStoreWithSchema, defineGraph, defineGraphExtension, defineNode, embedding, type GraphBackend } from "../dist/index.js";
import { migrateSchema } from "../dist/schema-entry.js";
import { backends, freshGraphId } from "./backends.js";

type Raw = { query(sql: string, params?: unknown[]): unknown[][] | Promise<unknown[][]> };

async function rows(backend: GraphBackend, sql: string, params: unknown[]): Promise<unknown[][]> {
  return await (backend as unknown as Raw).query(sql, params);
}

/** The vector table the contribution marker records for `kind.field` (undefined once reclaimed). */
async function markerTable(backend: GraphBackend, graphId: string, kind: string, field: string): Promise<string | undefined> {
  const pg = backend.dialect === "postgres";
  const m = await rows(
    backend,
    `SELECT table_name FROM typegraph_contribution_materializations WHERE graph_id = ${pg ? "$1" : "?"} AND logical_name = ${pg ? "$2" : "?"}`,
    [graphId, `vector:${kind}.${field}`],
  );
  return m[0]?.[0] as string | undefined;
}

async function tableExists(backend: GraphBackend, name: string): Promise<boolean> {
  const found =
    backend.dialect === "postgres"
      ? await rows(backend, "SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = $1", [name])
      : await rows(backend, "SELECT 1 FROM sqlite_master WHERE name = ?", [name]);
  return found.length > 0;
}

describe.each(backends)("vector table reclaim on $name", (bc) => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  it("a removed kind's vector tables are dropped with its rows", async () => {
    const Doc = defineNode("Doc", { schema: z.object({ title: z.string() }) });
    const graph = defineGraph({ id: freshGraphId(`vr_${bc.name}`), nodes: { Doc: { type: Doc } }, edges: {} });
    const backend = bc.make(graph.id);
    const [store] = await createStoreWithSchema(graph, backend);
    open.push(store);
    const evolved = await store.evolve(
      defineGraphExtension({ nodes: { Chunk: { properties: { text: { type: "string" }, vec: { type: "array", items: { type: "number" }, embedding: { dimensions: 3 } } } } } }),
    );
    await evolved.getNodeCollectionOrThrow("Chunk").create({ text: "a", vec: [1, 0, 0] });
    const table = (await markerTable(backend, graph.id, "Chunk", "vec"))!;
    expect(table).toMatch(/^tg_vec_/);
    expect(await tableExists(backend, table)).toBe(true);

    const removed = await evolved.removeKinds(["Chunk"]);
    // Pending: the table stays until the removal is materialized.
    expect(await tableExists(backend, table)).toBe(true);
    const result = await removed.materializeRemovals();
    expect(result.results).toEqual([{ kind: "Chunk", entity: "node", status: "removed" }]);
    // A whole kind's tables are part of its removal, not of reclaimedVectorFields (as upstream).
    expect(result.reclaimedVectorFields).toEqual([]);
    expect(await markerTable(backend, graph.id, "Chunk", "vec")).toBeUndefined();
    expect(await tableExists(backend, table)).toBe(false);

    // Re-added, the kind provisions its vector table afresh and vector search works again.
    const readded = await removed.evolve(
      defineGraphExtension({ nodes: { Chunk: { properties: { text: { type: "string" }, vec: { type: "array", items: { type: "number" }, embedding: { dimensions: 3 } } } } } }),
    );
    const c = await readded.getNodeCollectionOrThrow("Chunk").create({ text: "b", vec: [0, 1, 0] });
    expect(await tableExists(backend, table)).toBe(true);
    const hits = await readded.search.vector("Chunk" as "Doc", { fieldPath: "vec", queryEmbedding: [0, 1, 0], limit: 1 });
    expect(hits.map((h) => h.node.id)).toEqual([c.id]);
  });

  it("an embedding field dropped from a surviving kind is reclaimed and reported", async () => {
    const id = freshGraphId(`vr_${bc.name}`);
    const WithVec = defineNode("Note", { schema: z.object({ title: z.string(), vec: embedding(3).optional() }) });
    const g1 = defineGraph({ id, nodes: { Note: { type: WithVec } }, edges: {} });
    const backend = bc.make(id);
    const [s1] = await createStoreWithSchema(g1, backend);
    open.push(s1);
    await s1.nodes.Note.create({ title: "n", vec: [1, 0, 0] });
    const table = (await markerTable(backend, id, "Note", "vec"))!;
    expect(await tableExists(backend, table)).toBe(true);
    // Nothing to reclaim while the field is declared.
    expect((await s1.materializeRemovals()).reclaimedVectorFields).toEqual([]);

    // The application drops the field: a new schema version without it.
    const NoVec = defineNode("Note", { schema: z.object({ title: z.string() }) });
    const g2 = defineGraph({ id, nodes: { Note: { type: NoVec } }, edges: {} });
    const backend2 = bc.make(id);
    // Removing a property is breaking: forced through migrateSchema, as upstream documents.
    const [old, status] = await createStoreWithSchema(g2, backend2, { throwOnBreaking: false });
    open.push(old);
    expect(status.status).toBe("breaking");
    await migrateSchema(backend2, g2, 1);
    const [s2] = await createStoreWithSchema(g2, bc.make(id));
    open.push(s2);
    expect((await s2.getActiveSchema())!.version).toBe(2);
    const result = await s2.materializeRemovals();
    expect(result.reclaimedVectorFields).toEqual([{ kind: "Note", fieldPath: "vec", status: "reclaimed" }]);
    expect(await markerTable(backend2, id, "Note", "vec")).toBeUndefined();
    expect(await tableExists(backend2, table)).toBe(false);
    // The rows themselves are untouched.
    expect(await s2.nodes.Note.count()).toBe(1);
    // Idempotent: nothing left to drop.
    expect((await s2.materializeRemovals()).reclaimedVectorFields).toEqual([]);
  });
  it("materializeIndexes catches up to the persisted schema first and refuses before any schema exists", async () => {
    const Doc = defineNode("Doc", { schema: z.object({ title: z.string() }) });
    const graph = defineGraph({ id: freshGraphId(`vr_${bc.name}`), nodes: { Doc: { type: Doc } }, edges: {} });
    const suffix = graph.id.slice(-12).toLowerCase().replace(/[^a-z0-9]/g, "_");
    const byYear = `cu_by_year_${suffix}`;
    const backend = bc.make(graph.id);
    // Before createStoreWithSchema: nothing to catch up to.
    const raw = createStore(graph, backend);
    open.push(raw);
    const refused = await raw.materializeIndexes().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConfigurationError);
    expect((refused as ConfigurationError).details.code).toBe("MATERIALIZE_BEFORE_INITIALIZE");
    const [stale] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(stale);
    const [writer] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(writer);
    try {
      // Another process adds a runtime kind with an index; this store was built before it.
      await writer.evolve(
        defineGraphExtension({
          nodes: { Work: { properties: { year: { type: "number", int: true }, vec: { type: "array", items: { type: "number" }, embedding: { dimensions: 3 } } } } },
          indexes: [{ entity: "node", kind: "Work", name: byYear, fields: ["year"] }],
        }),
      );
      expect(stale.graph.nodes).not.toHaveProperty("Work");
      const result = await stale.materializeIndexes({ kinds: ["Work"] });
      const byName = new Map(result.results.map((r) => [r.indexName, r]));
      expect(byName.get(byYear)?.status).toBe("created");
      // The runtime kind's vector index is built too (its embedding field comes from the stored schema).
      const vector = result.results.find((r) => r.entity === "vector" && r.kind === "Work");
      expect(vector?.status).toBe("created");
      expect((await stale.materializeIndexes({ kinds: ["Work"] })).results.every((r) => r.status === "alreadyMaterialized")).toBe(true);
    } finally {
      const exec = (backend as unknown as { exec(sql: string): unknown }).exec.bind(backend);
      await exec(`DROP INDEX IF EXISTS "${byYear}";`);
    }
  });
});
