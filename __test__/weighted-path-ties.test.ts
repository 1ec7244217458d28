// weightedShortestPath when the target id names nodes of two kinds reached at the same total
// weight: the kind first in code-point order is the one the path ends at (whatever the hop
// count), and a source-to-neighbour path ends its walk back at the source.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineEdge, defineGraph, defineNode, type GraphBackend } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Kiosk = defineNode("Kiosk", { schema: z.object({ label: z.string() }) });
const Bench = defineNode("Bench", { schema: z.object({ label: z.string() }) });
const path = defineEdge("path", { schema: z.object({ metres: z.number() }) });

describe.each(backends)("weighted path ties across kinds on $name", (bc) => {
  let backend: GraphBackend;
  beforeAll(() => {
    backend = bc.make("weighted_ties");
  });
  afterAll(async () => {
    await backend.close();
  });

  async function park() {
    const graph = defineGraph({
      id: freshGraphId("wties"),
      nodes: { Kiosk: { type: Kiosk }, Bench: { type: Bench } },
      edges: { path: { type: path, from: [Kiosk], to: [Kiosk, Bench] } },
    });
    const [store] = await createStoreWithSchema(graph, backend);
    return store;
  }

  it("ends at the code-point-first kind among equally cheap targets sharing the id", async () => {
    const store = await park();
    const gate = await store.nodes.Kiosk.create({ label: "gate" }, { id: "k-gate" });
    const pond = await store.nodes.Kiosk.create({ label: "pond" }, { id: "k-pond" });
    // "shared" is both a Kiosk (two hops, 3 + 4) and a Bench (one hop, 7).
    const kioskTarget = await store.nodes.Kiosk.create({ label: "far kiosk" }, { id: "shared" });
    const benchTarget = await store.nodes.Bench.create({ label: "near bench" }, { id: "shared" });
    await store.edges.path.create(gate, benchTarget, { metres: 7 });
    await store.edges.path.create(gate, pond, { metres: 3 });
    await store.edges.path.create(pond, kioskTarget, { metres: 4 });
    const found = await store.algorithms.weightedShortestPath(gate, "shared", { edges: ["path"], weightProperty: "metres" });
    expect(found).toEqual({ nodes: [{ id: "k-gate", kind: "Kiosk" }, { id: "shared", kind: "Bench" }], depth: 1, totalWeight: 7 });
    // Make the Kiosk route cheaper and it wins despite its kind.
    await store.edges.path.create(gate, kioskTarget, { metres: 6.5 });
    const cheaper = await store.algorithms.weightedShortestPath(gate, "shared", { edges: ["path"], weightProperty: "metres" });
    expect(cheaper).toEqual({ nodes: [{ id: "k-gate", kind: "Kiosk" }, { id: "shared", kind: "Kiosk" }], depth: 1, totalWeight: 6.5 });
  });

  it("a chain's path walks back to the source and stops there", async () => {
    const store = await park();
    const a = await store.nodes.Kiosk.create({ label: "a" }, { id: "c-a" });
    const b = await store.nodes.Kiosk.create({ label: "b" }, { id: "c-b" });
    const c = await store.nodes.Kiosk.create({ label: "c" }, { id: "c-c" });
    await store.edges.path.create(a, b, { metres: 1 });
    await store.edges.path.create(b, c, { metres: 1 });
    const found = await store.algorithms.weightedShortestPath(a, c, { edges: ["path"], weightProperty: "metres" });
    expect(found?.nodes).toEqual([
      { id: "c-a", kind: "Kiosk" },
      { id: "c-b", kind: "Kiosk" },
      { id: "c-c", kind: "Kiosk" },
    ]);
    expect(found?.depth).toBe(2);
    expect(found?.totalWeight).toBe(2);
  });
});
