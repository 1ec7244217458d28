// A tombstoned id brought back by an upsert is an id arriving under its kind: a live node of a
// kind declared disjointWith that kind holds the id, so the upsert is refused (DisjointError)
// and nothing is written, in the batch and the single form alike.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineGraph, defineNode, disjointWith, DisjointError, type GraphBackend } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Ferry = defineNode("Ferry", { schema: z.object({ hull: z.string() }) });
const Kite = defineNode("Kite", { schema: z.object({ span: z.number() }) });

describe.each(backends)("disjoint kinds and resurrecting upserts on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function harbour() {
    const graph = defineGraph({
      id: freshGraphId(`disj_${bc.name}`),
      nodes: { Ferry: { type: Ferry }, Kite: { type: Kite } },
      edges: {},
      ontology: [disjointWith(Ferry, Kite)],
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    // "shared" was a Ferry, was deleted, and is now a live Kite.
    await store.nodes.Ferry.create({ hull: "oak" }, { id: "shared" });
    await store.nodes.Ferry.delete("shared");
    await store.nodes.Kite.create({ span: 3 }, { id: "shared" });
    return store;
  }

  it("bulkUpsertById refuses to resurrect a tombstone whose id a disjoint kind holds, and writes none of the batch", async () => {
    const store = await harbour();
    const err = await store.nodes.Ferry.bulkUpsertById([
      { id: "fresh-one", props: { hull: "steel" } },
      { id: "shared", props: { hull: "pine" } },
    ]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DisjointError);
    expect((err as DisjointError).details).toMatchObject({ nodeId: "shared", attemptedKind: "Ferry", conflictingKind: "Kite" });
    expect(await store.nodes.Ferry.getById("shared")).toBeUndefined();
    expect(await store.nodes.Ferry.getById("fresh-one")).toBeUndefined();
    expect((await store.nodes.Kite.getById("shared"))?.span).toBe(3);
  });

  it("upsertById refuses the same resurrection", async () => {
    const store = await harbour();
    await expect(store.nodes.Ferry.upsertById("shared", { hull: "pine" })).rejects.toBeInstanceOf(DisjointError);
    expect(await store.nodes.Ferry.getById("shared")).toBeUndefined();
  });

  it("a tombstone whose id no disjoint kind holds is resurrected as before", async () => {
    const store = await harbour();
    await store.nodes.Kite.delete("shared");
    const [back] = await store.nodes.Ferry.bulkUpsertById([{ id: "shared", props: { hull: "pine" } }]);
    expect(back?.hull).toBe("pine");
    expect((await store.nodes.Ferry.getById("shared"))?.hull).toBe("pine");
  });
});
