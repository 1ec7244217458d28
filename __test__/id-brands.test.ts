// Id brands refuse the empty id; an edge collection refuses to write an edge of another kind
// and names the kind the edge belongs to.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ValidationError, asEdgeId, asNodeId, createStore, defineEdge, defineGraph, defineNode, type GraphBackend } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

describe("id brands", () => {
  it("refuse an empty id and pass any other string through", () => {
    expect(() => asNodeId("")).toThrow(ValidationError);
    expect(() => asEdgeId("")).toThrow("asEdgeId must be a non-empty string.");
    expect(asNodeId(" ")).toBe(" ");
    expect(asEdgeId("e-1")).toBe("e-1");
  });
});

const Bird = defineNode("Bird", { schema: z.object({ species: z.string() }) });
const follows = defineEdge("follows");
const nests = defineEdge("nests", { schema: z.object({ season: z.string().optional() }) });

describe.each(backends)("cross-collection edge writes on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  it("delete, hardDelete and update through another kind's collection are refused and change nothing", async () => {
    const graph = defineGraph({
      id: freshGraphId(`xkind_${bc.name}`),
      nodes: { Bird: { type: Bird } },
      edges: { follows: { type: follows, from: [Bird], to: [Bird] }, nests: { type: nests, from: [Bird], to: [Bird] } },
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    const store = createStore(graph, backend);
    const wren = await store.nodes.Bird.create({ species: "wren" });
    const robin = await store.nodes.Bird.create({ species: "robin" });
    const edge = await store.edges.follows.create(wren, robin);
    const other = asEdgeId<typeof nests>(edge.id);
    for (const attempt of [() => store.edges.nests.delete(other), () => store.edges.nests.hardDelete(other), () => store.edges.nests.update(other, { season: "spring" })]) {
      const outcome = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(outcome).toBeInstanceOf(ValidationError);
      expect((outcome as Error).message).toMatch(/belongs to follows/);
    }
    expect(await store.edges.follows.getById(edge.id)).toBeDefined();
  });
});
