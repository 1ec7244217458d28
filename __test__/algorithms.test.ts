// store.algorithms on both backends: fewest-hop paths with code-point tie-breaks, direction,
// cycles and self-loops, temporal windows and deleted nodes, degree, weighted paths and the
// weight audit, components, label propagation, PageRank, and typed errors for bad options.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  GraphAlgorithmConvergenceError,
  InvalidEdgeWeightError,
  ValidationError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  type GraphBackend,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const City = defineNode("City", { schema: z.object({ name: z.string() }) });
const Depot = defineNode("Depot", { schema: z.object({ name: z.string() }) });
const road = defineEdge("road", { schema: z.object({ km: z.unknown().optional() }) });
const rail = defineEdge("rail", { schema: z.object({}) });

function graphOf(id: string) {
  return defineGraph({
    id,
    nodes: { City: { type: City }, Depot: { type: Depot } },
    edges: {
      road: { type: road, from: [City], to: [City, Depot] },
      rail: { type: rail, from: [City, Depot], to: [City, Depot] },
    },
  });
}

const PAST = "2020-01-01T00:00:00.000Z";
const MID = "2021-06-01T00:00:00.000Z";
const ENDED = "2022-01-01T00:00:00.000Z";

describe.each(backends)("graph algorithms on $name", (bc) => {
  let backend: GraphBackend;
  beforeAll(() => {
    backend = bc.make("algorithms");
  });
  afterAll(async () => {
    await backend.close();
  });

  async function fresh() {
    const [store] = await createStoreWithSchema(graphOf(freshGraphId("algo")), backend);
    return store;
  }
  type S = Awaited<ReturnType<typeof fresh>>;
  async function cities(store: S, names: string[]) {
    for (const n of names) await store.nodes.City.create({ name: n }, { id: n });
  }
  async function roads(store: S, pairs: [string, string, unknown?][]) {
    for (const [a, b, km] of pairs) {
      await store.edges.road.create({ kind: "City", id: a }, { kind: "City", id: b }, km === undefined ? {} : { km });
    }
  }

  it("finds the fewest-hop path, reachable sets by depth, neighbors and canReach", async () => {
    const store = await fresh();
    // a → b → c → d, a → c, d → e
    await cities(store, ["a", "b", "c", "d", "e", "lonely"]);
    await roads(store, [["a", "b"], ["b", "c"], ["c", "d"], ["a", "c"], ["d", "e"]]);
    const al = store.algorithms;

    expect(await al.shortestPath("a", "d", { edges: ["road"] })).toEqual({
      nodes: [{ id: "a", kind: "City" }, { id: "c", kind: "City" }, { id: "d", kind: "City" }],
      depth: 2,
    });
    expect(await al.shortestPath("e", "a", { edges: ["road"] })).toBeUndefined();
    expect(await al.shortestPath("a", "e", { edges: ["road"], maxHops: 2 })).toBeUndefined();
    expect((await al.shortestPath("a", "e", { edges: ["road"], maxHops: 3 }))?.depth).toBe(3);
    expect(await al.shortestPath("a", "a", { edges: ["road"] })).toEqual({ nodes: [{ id: "a", kind: "City" }], depth: 0 });
    expect(await al.shortestPath("a", "missing", { edges: ["road"] })).toBeUndefined();

    expect(await al.reachable("a", { edges: ["road"] })).toEqual([
      { id: "a", kind: "City", depth: 0 },
      { id: "b", kind: "City", depth: 1 },
      { id: "c", kind: "City", depth: 1 },
      { id: "d", kind: "City", depth: 2 },
      { id: "e", kind: "City", depth: 3 },
    ]);
    expect((await al.reachable("a", { edges: ["road"], maxHops: 1, excludeSource: true })).map((r) => r.id)).toEqual(["b", "c"]);
    expect((await al.neighbors("c", { edges: ["road"] })).map((r) => r.id)).toEqual(["d"]);
    expect((await al.neighbors("c", { edges: ["road"], depth: 2, direction: "in" })).map((r) => [r.id, r.depth])).toEqual([
      ["a", 1],
      ["b", 1],
    ]);
    expect(await al.canReach("a", "e", { edges: ["road"] })).toBe(true);
    expect(await al.canReach("e", "a", { edges: ["road"] })).toBe(false);
    expect(await al.canReach("e", "a", { edges: ["road"], direction: "both" })).toBe(true);
    expect(await al.canReach("a", "lonely", { edges: ["road"], direction: "both" })).toBe(false);
    // Another edge kind is not followed.
    expect(await al.canReach("a", "b", { edges: ["rail"] })).toBe(false);
    // Node objects work as well as ids.
    const a = await store.nodes.City.getById("a");
    expect(await al.canReach(a!, { id: "e" }, { edges: ["road"] })).toBe(true);
  });

  it("breaks equal-length ties on the smallest predecessor in code-point order", async () => {
    const store = await fresh();
    const bmp = "via-\uE000";
    const astral = "via-\u{10000}";
    await cities(store, ["src", bmp, astral, "dst"]);
    await roads(store, [["src", astral], ["src", bmp], [astral, "dst"], [bmp, "dst"]]);
    const path = await store.algorithms.shortestPath("src", "dst", { edges: ["road"] });
    expect(path?.nodes.map((n) => n.id)).toEqual(["src", bmp, "dst"]);
    const back = await store.algorithms.shortestPath("dst", "src", { edges: ["road"], direction: "in" });
    expect(back?.nodes.map((n) => n.id)).toEqual(["dst", bmp, "src"]);
  });

  it("handles cycles, self-loops and same-id nodes of different kinds", async () => {
    const store = await fresh();
    await cities(store, ["x", "y", "self", "hub"]);
    await roads(store, [["x", "y"], ["y", "x"], ["self", "self"]]);
    expect((await store.algorithms.reachable("x", { edges: ["road"], maxHops: 50 })).map((r) => r.id)).toEqual(["x", "y"]);
    expect(await store.algorithms.reachable("self", { edges: ["road"], excludeSource: true })).toEqual([]);
    expect(await store.algorithms.degree("self", { edges: ["road"] })).toBe(1);
    expect(await store.algorithms.degree("self", { edges: ["road"], direction: "out" })).toBe(1);

    await store.nodes.Depot.create({ name: "depot twin" }, { id: "twin" });
    await store.nodes.City.create({ name: "city twin" }, { id: "twin" });
    await store.edges.road.create({ kind: "City", id: "hub" }, { kind: "Depot", id: "twin" }, {});
    await store.edges.rail.create({ kind: "City", id: "hub" }, { kind: "City", id: "twin" }, {});
    expect(await store.algorithms.reachable("hub", { edges: ["road", "rail"], excludeSource: true })).toEqual([
      { id: "twin", kind: "City", depth: 1 },
      { id: "twin", kind: "Depot", depth: 1 },
    ]);
  });

  it("counts degree per direction, over all kinds by default, and zero for no kinds", async () => {
    const store = await fresh();
    await cities(store, ["a", "b", "c"]);
    await roads(store, [["a", "b"], ["c", "a"]]);
    await store.edges.rail.create({ kind: "City", id: "a" }, { kind: "City", id: "c" }, {});
    const al = store.algorithms;
    expect(await al.degree("a", { edges: ["road"], direction: "out" })).toBe(1);
    expect(await al.degree("a", { edges: ["road"], direction: "in" })).toBe(1);
    expect(await al.degree("a", { edges: ["road"] })).toBe(2);
    expect(await al.degree("a")).toBe(3);
    expect(await al.degree({ id: "a" }, { edges: [] })).toBe(0);
    expect(await al.degree("nobody")).toBe(0);
  });

  it("honors temporal windows and deleted nodes on nodes and edges", async () => {
    const store = await fresh();
    await store.nodes.City.create({ name: "root" }, { id: "root", validFrom: PAST });
    await store.nodes.City.create({ name: "old" }, { id: "old", validFrom: PAST, validTo: ENDED });
    await store.nodes.City.create({ name: "live" }, { id: "live", validFrom: PAST });
    await store.nodes.City.create({ name: "gone" }, { id: "gone", validFrom: PAST });
    await store.nodes.City.create({ name: "after" }, { id: "after", validFrom: PAST });
    await store.edges.road.create({ kind: "City", id: "root" }, { kind: "City", id: "old" }, {}, { validFrom: PAST });
    await store.edges.road.create({ kind: "City", id: "root" }, { kind: "City", id: "live" }, {}, { validFrom: PAST, validTo: ENDED });
    const in1 = await store.edges.road.create({ kind: "City", id: "root" }, { kind: "City", id: "gone" }, {}, { validFrom: PAST });
    const out1 = await store.edges.road.create({ kind: "City", id: "gone" }, { kind: "City", id: "after" }, {}, { validFrom: PAST });
    // Soft-delete "gone" and its edges: only includeTombstones walks through them.
    await store.edges.road.delete(in1.id);
    await store.edges.road.delete(out1.id);
    await store.nodes.City.delete("gone");

    const ids = async (opts: Record<string, unknown>) =>
      (await store.algorithms.reachable("root", { edges: ["road"], excludeSource: true, ...opts })).map((r) => r.id);
    expect(await ids({})).toEqual([]);
    expect(await ids({ temporalMode: "asOf", asOf: MID })).toEqual(["live", "old"]);
    expect(await ids({ temporalMode: "includeEnded" })).toEqual(["live", "old"]);
    expect(await ids({ temporalMode: "includeTombstones" })).toEqual(["gone", "live", "old", "after"]);
    expect(await store.algorithms.canReach("old", "old", { edges: ["road"] })).toBe(false);
    expect(await store.algorithms.canReach("old", "old", { edges: ["road"], temporalMode: "includeEnded" })).toBe(true);
    expect(await store.algorithms.degree("root", { edges: ["road"], direction: "out" })).toBe(1);
    expect(await store.algorithms.degree("root", { edges: ["road"], direction: "out", temporalMode: "includeEnded" })).toBe(2);
    expect(await store.algorithms.degree("root", { edges: ["road"], direction: "out", temporalMode: "includeTombstones" })).toBe(3);

    await expect(store.algorithms.reachable("root", { edges: ["road"], temporalMode: "asOf" })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.algorithms.reachable("root", { edges: ["road"], asOf: MID })).rejects.toThrow(/asOf/);
  });

  it("rejects bad options with ConfigurationError before any work", async () => {
    const store = await fresh();
    const al = store.algorithms;
    for (const maxHops of [0, -1, 1.5, Number.NaN, 1001]) {
      await expect(al.reachable("a", { edges: ["road"], maxHops })).rejects.toMatchObject({ code: "CONFIGURATION_ERROR", details: { option: "maxHops" } });
    }
    await expect(al.neighbors("a", { edges: ["road"], depth: 0 })).rejects.toMatchObject({ details: { option: "depth" } });
    await expect(al.shortestPath("a", "b", { edges: [] })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(al.canReach("a", "b", { edges: ["road"], direction: "sideways" as never })).rejects.toBeInstanceOf(ConfigurationError);
    for (const workingMemory of ["64", "63kB", "1TB", "2147483648kB"]) {
      await expect(al.reachable("a", { edges: ["road"], workingMemory })).rejects.toMatchObject({ code: "CONFIGURATION_ERROR", details: { workingMemory } });
    }
    expect(await al.reachable("nobody", { edges: ["road"], workingMemory: "64MB" })).toEqual([]);
    await expect(al.weaklyConnectedComponents({ edges: ["road"], minComponentSize: 0 })).rejects.toMatchObject({ details: { minComponentSize: 0 } });
    await expect(al.pageRank({ edges: ["road"], topK: 1.5 })).rejects.toMatchObject({ details: { topK: 1.5 } });
    await expect(al.pageRank({ edges: ["road"], dampingFactor: 1 })).rejects.toMatchObject({ details: { dampingFactor: 1 } });
    await expect(al.pageRank({ edges: ["road"], tolerance: 0 })).rejects.toMatchObject({ details: { tolerance: 0 } });
    await expect(al.personalizedPageRank({ edges: ["road"], seeds: [] })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(al.personalizedPageRank({ edges: ["road"], seeds: [{ id: "a", kind: "City", weight: -1 }] })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(al.weightedShortestPath("a", "b", { edges: ["road"], weightProperty: "" })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(al.weightedShortestPath("a", "b", { edges: ["road"], weightProperty: "km", defaultWeight: -1 })).rejects.toBeInstanceOf(ConfigurationError);
  });

  it("weightedShortestPath takes the cheapest route and audits weights first", async () => {
    const store = await fresh();
    await cities(store, ["p", "q", "r", "s"]);
    await roads(store, [["p", "r", 5], ["p", "q", 1], ["q", "r", 1.5], ["r", "s", 0.1]]);
    const opts = { edges: ["road"], weightProperty: "km" } as const;
    expect(await store.algorithms.weightedShortestPath("p", "s", opts)).toEqual({
      nodes: [{ id: "p", kind: "City" }, { id: "q", kind: "City" }, { id: "r", kind: "City" }, { id: "s", kind: "City" }],
      depth: 3,
      totalWeight: 1 + 1.5 + 0.1,
    });
    expect((await store.algorithms.weightedShortestPath("s", "p", { ...opts, direction: "both" }))?.totalWeight).toBe(0.1 + 1.5 + 1);
    expect(await store.algorithms.weightedShortestPath("s", "p", opts)).toBeUndefined();
    expect(await store.algorithms.weightedShortestPath("p", "p", opts)).toEqual({ nodes: [{ id: "p", kind: "City" }], depth: 0, totalWeight: 0 });

    // Equal-cost routes: the smaller predecessor wins.
    await cities(store, ["t0", "t-b", "t-a", "t9"]);
    await roads(store, [["t0", "t-b", 1], ["t0", "t-a", 1], ["t-b", "t9", 1], ["t-a", "t9", 1]]);
    expect((await store.algorithms.weightedShortestPath("t0", "t9", opts))?.nodes.map((n) => n.id)).toEqual(["t0", "t-a", "t9"]);

    await cities(store, ["u"]);
    await roads(store, [["s", "u"]]);
    await expect(store.algorithms.weightedShortestPath("p", "s", opts)).rejects.toMatchObject({
      name: "InvalidEdgeWeightError",
      code: "INVALID_EDGE_WEIGHT",
      details: { reason: "missing", property: "km", edgeKind: "road" },
    });
    expect((await store.algorithms.weightedShortestPath("p", "u", { ...opts, defaultWeight: 10 }))?.totalWeight).toBe(1 + 1.5 + 0.1 + 10);

    await roads(store, [["u", "p", "12"]]);
    const err = await store.algorithms.weightedShortestPath("p", "u", { ...opts, defaultWeight: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidEdgeWeightError);
    expect((err as InvalidEdgeWeightError).details).toMatchObject({ reason: "non_numeric", value: "12" });
  });

  it("weightedShortestPath refuses negative weights and gives up after maxIterations rounds", async () => {
    const store = await fresh();
    await cities(store, ["a", "b", "c", "d"]);
    await roads(store, [["a", "b", 1], ["b", "c", 1], ["c", "d", 1]]);
    const opts = { edges: ["road"], weightProperty: "km" } as const;
    await expect(store.algorithms.weightedShortestPath("a", "d", { ...opts, maxIterations: 2 })).rejects.toBeInstanceOf(GraphAlgorithmConvergenceError);
    expect((await store.algorithms.weightedShortestPath("a", "d", { ...opts, maxIterations: 4 }))?.totalWeight).toBe(3);
    await roads(store, [["d", "a", -2]]);
    await expect(store.algorithms.weightedShortestPath("a", "d", opts)).rejects.toMatchObject({ details: { reason: "negative", value: "-2" } });
  });

  it("weaklyConnectedComponents partitions the visible induced graph", async () => {
    const store = await fresh();
    await cities(store, ["m", "B", "k", "solo"]);
    await store.nodes.Depot.create({ name: "depot" }, { id: "B" });
    await roads(store, [["m", "k"], ["k", "B"]]);
    await store.edges.road.create({ kind: "City", id: "solo" }, { kind: "Depot", id: "B" }, {});
    const all = await store.algorithms.weaklyConnectedComponents({ edges: ["road"] });
    expect(all).toEqual([
      { id: "B", kind: "City", componentId: "B", componentKind: "City", size: 3 },
      { id: "k", kind: "City", componentId: "B", componentKind: "City", size: 3 },
      { id: "m", kind: "City", componentId: "B", componentKind: "City", size: 3 },
      { id: "B", kind: "Depot", componentId: "B", componentKind: "Depot", size: 2 },
      { id: "solo", kind: "City", componentId: "B", componentKind: "Depot", size: 2 },
    ]);
    const cityOnly = await store.algorithms.weaklyConnectedComponents({ edges: ["road"], nodeKinds: ["City"], minComponentSize: 2 });
    expect(cityOnly.map((r) => r.id)).toEqual(["B", "k", "m"]);
    expect(await store.algorithms.weaklyConnectedComponents({ edges: ["road"], nodeKinds: [] })).toEqual([]);
    await expect(store.algorithms.weaklyConnectedComponents({ edges: ["road"], maxIterations: 1 })).rejects.toBeInstanceOf(GraphAlgorithmConvergenceError);
  });

  it("labelPropagation converges on odd cycles and reports two-node oscillation", async () => {
    const store = await fresh();
    await cities(store, ["t1", "t2", "t3", "p1", "p2"]);
    await roads(store, [["t1", "t2"], ["t2", "t3"], ["t3", "t1"], ["t1", "t2"]]);
    const triangle = await store.algorithms.labelPropagation({ edges: ["road"] });
    expect(triangle.filter((r) => r.id.startsWith("t")).map((r) => r.labelId)).toEqual(["t1", "t1", "t1"]);
    // Isolated nodes keep their own label.
    expect(triangle.find((r) => r.id === "p1")).toEqual({ id: "p1", kind: "City", labelId: "p1", labelKind: "City" });

    await roads(store, [["p1", "p2"]]);
    const err = await store.algorithms.labelPropagation({ edges: ["road"] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphAlgorithmConvergenceError);
    expect((err as GraphAlgorithmConvergenceError).details).toMatchObject({ algorithm: "labelPropagation", oscillating: true });
    const odd = await store.algorithms.labelPropagation({ edges: ["road"], onMaxIterations: "return", maxIterations: 3 });
    expect(odd.find((r) => r.id === "p1")?.labelId).toBe("p2");
    const even = await store.algorithms.labelPropagation({ edges: ["road"], onMaxIterations: "return", maxIterations: 4 });
    expect(even.find((r) => r.id === "p1")?.labelId).toBe("p1");
  });

  it("pageRank and personalizedPageRank match analytic scores", async () => {
    const store = await fresh();
    await cities(store, ["c1", "c2", "c3"]);
    await roads(store, [["c1", "c2"], ["c2", "c3"], ["c3", "c1"]]);
    const ring = await store.algorithms.pageRank({ edges: ["road"] });
    expect(ring.map((r) => r.id)).toEqual(["c1", "c2", "c3"]);
    for (const r of ring) expect(r.score).toBeCloseTo(1 / 3, 9);
    expect(await store.algorithms.pageRank({ edges: ["road"], topK: 1 })).toHaveLength(1);

    await cities(store, ["s", "t"]);
    await roads(store, [["s", "t"]]);
    const personal = await store.algorithms.personalizedPageRank({
      edges: ["road"],
      nodeKinds: ["City"],
      dampingFactor: 0.5,
      seeds: [{ id: "s", kind: "City", weight: 2 }],
      tolerance: 1e-12,
    });
    expect(personal[0]!.id).toBe("s");
    expect(personal[0]!.score).toBeCloseTo(2 / 3, 9);
    expect(personal[1]!.id).toBe("t");
    expect(personal[1]!.score).toBeCloseTo(1 / 3, 9);
    expect(personal.slice(2).every((r) => r.score === 0)).toBe(true);

    await expect(store.algorithms.personalizedPageRank({ edges: ["road"], seeds: [{ id: "s", kind: "Depot" }] })).rejects.toMatchObject({
      code: "CONFIGURATION_ERROR",
      details: { missingSeeds: [{ id: "s", kind: "Depot" }] },
    });
    await expect(store.algorithms.pageRank({ edges: ["road"], maxIterations: 1 })).rejects.toBeInstanceOf(GraphAlgorithmConvergenceError);
  });
});
