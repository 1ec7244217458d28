// Raw row access on the backend object, by graph id: insertNode / getNode / insertEdge /
// getEdge in snake_case row shapes; what they write is what the store reads. Also: a prepared
// query missing several bindings names them all.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigurationError, createStore, defineEdge, defineGraph, defineNode, param, type GraphBackend } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Lake = defineNode("Lake", { schema: z.object({ name: z.string(), depth: z.number() }) });
const Village = defineNode("Village", { schema: z.object({ name: z.string() }) });
const shore = defineEdge("shore", { schema: z.object({ km: z.number() }) });

describe.each(backends)("backend raw rows on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  function lakes() {
    const graph = defineGraph({
      id: freshGraphId(`rows_${bc.name}`),
      nodes: { Lake: { type: Lake }, Village: { type: Village } },
      edges: { shore: { type: shore, from: [Village], to: [Lake] } },
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    return { graph, backend, store: createStore(graph, backend) };
  }

  it("rows inserted through the backend are what the store's queries and collections read", async () => {
    const { graph, backend, store } = lakes();
    const row = await backend.insertNode!({ graphId: graph.id, kind: "Lake", id: "l-tarn", props: { name: "Tarn", depth: 12 } });
    expect(row).toMatchObject({ graph_id: graph.id, kind: "Lake", id: "l-tarn", props: { name: "Tarn", depth: 12 }, version: 1, deleted_at: undefined });
    expect(typeof row.created_at).toBe("string");
    await backend.insertNode!({ graphId: graph.id, kind: "Village", id: "v-moss", props: { name: "Moss" } });
    const edge = await backend.insertEdge!({
      graphId: graph.id,
      id: "s-1",
      kind: "shore",
      fromKind: "Village",
      fromId: "v-moss",
      toKind: "Lake",
      toId: "l-tarn",
      props: { km: 2 },
    });
    expect(edge).toMatchObject({ graph_id: graph.id, id: "s-1", kind: "shore", from_kind: "Village", from_id: "v-moss", to_kind: "Lake", to_id: "l-tarn", props: { km: 2 } });

    const found = await store
      .query()
      .from("Village", "v")
      .traverse("shore", "s")
      .to("Lake", "l")
      .select((c) => ({ village: c.v.name, lake: c.l.name, km: c.s.km }))
      .execute();
    expect(found).toEqual([{ village: "Moss", lake: "Tarn", km: 2 }]);
    expect((await store.nodes.Lake.getById("l-tarn"))?.depth).toBe(12);
  });

  it("getNode / getEdge answer by id (the edge without its kind), tombstones included, undefined when absent", async () => {
    const { graph, backend, store } = lakes();
    const tarn = await store.nodes.Lake.create({ name: "Tarn", depth: 3 }, { id: "l-tarn" });
    const moss = await store.nodes.Village.create({ name: "Moss" }, { id: "v-moss" });
    const s = await store.edges.shore.create(moss, tarn, { km: 5 }, { id: "s-9" });
    // Detached members keep working.
    const { getNode, getEdge } = backend;
    expect((await getNode!(graph.id, "Lake", "l-tarn"))?.props).toEqual({ name: "Tarn", depth: 3 });
    expect((await getEdge!(graph.id, s.id))?.to_id).toBe("l-tarn");
    expect(await getNode!(graph.id, "Lake", "l-none")).toBeUndefined();
    expect(await getNode!(graph.id, "Village", "l-tarn")).toBeUndefined();
    expect(await getEdge!(graph.id, "s-none")).toBeUndefined();
    await store.edges.shore.delete(s.id);
    const gone = await getEdge!(graph.id, s.id);
    expect(typeof gone?.deleted_at).toBe("string");
  });

  it("a graph id with no store on the backend is a ConfigurationError", async () => {
    const { backend } = lakes();
    const outcome = await backend.getNode!("no_such_graph", "Lake", "x").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(outcome).toBeInstanceOf(ConfigurationError);
  });

  it("a prepared query missing several bindings names every one", async () => {
    const { store } = lakes();
    const prepared = store
      .query()
      .from("Lake", "l")
      .whereNode("l", (l) => l.depth.gte(param("min")).and(l.depth.lte(param("max"))))
      .select((c) => c.l.id)
      .prepare();
    await expect(prepared.execute()).rejects.toThrow('Missing bindings for parameters: "min", "max"');
    await expect(prepared.execute({ min: 1 })).rejects.toThrow('Missing bindings for parameter: "max"');
  });
});
