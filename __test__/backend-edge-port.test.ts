// The backend object's edge port members on both backends: `findEdgesByEndpointSet` and
// `findEdgesByHeterogeneousEndpointSet` (upstream's row shapes, by graph id), the store's bulk
// endpoint reads going through them (one read per endpoint kind, one coordinate for all; a backend
// without them refused with ConfigurationError), and the raw `deleteEdge` / `hardDeleteEdge`
// (no store path runs; a cardinality claim whose holder is gone is taken over).
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { ConfigurationError, createStore, createStoreWithSchema, defineEdge, defineGraph, defineNode, type GraphBackend } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Rider = defineNode("Rider", { schema: z.object({ name: z.string() }) });
const Depot = defineNode("Depot", { schema: z.object({ name: z.string() }) });
const Bike = defineNode("Bike", { schema: z.object({ serial: z.string() }) });
const rents = defineEdge("rents", { schema: z.object({ hours: z.number() }) });
const stores = defineEdge("stores", { schema: z.object({}) });
const assignedTo = defineEdge("assignedTo", { schema: z.object({}) });

function graphFor(id: string) {
  return defineGraph({
    id,
    nodes: { Rider: { type: Rider }, Depot: { type: Depot }, Bike: { type: Bike } },
    edges: {
      rents: { type: rents, from: [Rider, Depot], to: [Bike] },
      stores: { type: stores, from: [Depot], to: [Bike] },
      // At most one live assignment per rider.
      assignedTo: { type: assignedTo, from: [Rider], to: [Depot], cardinality: "one" },
    },
  });
}

/** `base` with `hidden` members absent (a custom backend that does not offer them). */
function without(base: GraphBackend, hidden: readonly string[]): GraphBackend {
  return new Proxy(base, {
    get(target, key) {
      if (typeof key === "string" && hidden.includes(key)) return undefined;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
    has: (target, key) => !(typeof key === "string" && hidden.includes(key)) && Reflect.has(target, key),
  });
}

describe.each(backends)("backend edge port members on $name", (bc) => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    while (open.length) await open.pop()!.close();
  });

  async function setup() {
    const graph = graphFor(freshGraphId(`bep_${bc.name}`));
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    const ann = await store.nodes.Rider.create({ name: "Ann" }, { id: "ann" });
    const ben = await store.nodes.Rider.create({ name: "Ben" }, { id: "ben" });
    const north = await store.nodes.Depot.create({ name: "North" }, { id: "north" });
    const b1 = await store.nodes.Bike.create({ serial: "B1" }, { id: "b1" });
    const b2 = await store.nodes.Bike.create({ serial: "B2" }, { id: "b2" });
    const r1 = await store.edges.rents.create(ann, b1, { hours: 1 }, { id: "r1" });
    await new Promise((r) => setTimeout(r, 3));
    const r2 = await store.edges.rents.create(ann, b2, { hours: 2 }, { id: "r2" });
    const r3 = await store.edges.rents.create(north, b1, { hours: 3 }, { id: "r3" });
    const s1 = await store.edges.stores.create(north, b2, {}, { id: "s1" });
    return { graph, backend, store, ann, ben, north, b1, b2, r1, r2, r3, s1 };
  }

  it("findEdgesByEndpointSet answers upstream's edge rows of the set, detached from its object", async () => {
    const { graph, backend } = await setup();
    const read = backend.findEdgesByEndpointSet!;
    const rows = await read({ graphId: graph.id, kind: "rents", side: "from", endpointKind: "Rider", endpointIds: ["ann", "ben", "ann"] });
    // Repeats read once; each endpoint's rows newest first.
    expect(rows.map((r) => r.id)).toEqual(["r2", "r1"]);
    expect(rows[0]).toMatchObject({ graph_id: graph.id, kind: "rents", from_kind: "Rider", from_id: "ann", to_kind: "Bike", to_id: "b2", props: { hours: 2 }, deleted_at: undefined });
    expect(typeof rows[0]!.created_at).toBe("string");
    const capped = await read({ graphId: graph.id, kind: "rents", side: "to", endpointKind: "Bike", endpointIds: ["b1"], limitPerEndpoint: 1 });
    expect(capped.map((r) => r.id)).toEqual(["r3"]);
    await expect(read({ graphId: graph.id, kind: "rents", side: "from", endpointKind: "Rider", endpointIds: [] })).resolves.toEqual([]);
    for (const limitPerEndpoint of [0, -1, 1.5]) {
      const caught = await read({ graphId: graph.id, kind: "rents", side: "from", endpointKind: "Rider", endpointIds: ["ann"], limitPerEndpoint }).catch((e: unknown) => e);
      expect(caught).toBeInstanceOf(ConfigurationError);
      expect((caught as ConfigurationError).details.code).toBe("EDGE_ENDPOINT_SET_INVALID");
    }
  });

  it("findEdgesByEndpointSet reads at the stated coordinate: current at an instant, tombstones", async () => {
    const { graph, backend, store, ann } = await setup();
    await store.edges.rents.delete("r1");
    const read = backend.findEdgesByEndpointSet!;
    const live = await read({ graphId: graph.id, kind: "rents", side: "from", endpointKind: "Rider", endpointIds: [ann.id], temporalMode: "current", asOf: new Date().toISOString() });
    expect(live.map((r) => r.id)).toEqual(["r2"]);
    const before = await read({ graphId: graph.id, kind: "rents", side: "from", endpointKind: "Rider", endpointIds: [ann.id], temporalMode: "asOf", asOf: "2000-01-01T00:00:00.000Z" });
    expect(before).toEqual([]);
    const all = await read({ graphId: graph.id, kind: "rents", side: "from", endpointKind: "Rider", endpointIds: [ann.id], temporalMode: "includeTombstones" });
    expect(all.map((r) => r.id).sort()).toEqual(["r1", "r2"]);
    expect(all.find((r) => r.id === "r1")!.deleted_at).toEqual(expect.any(String));
  });

  it("findEdgesByHeterogeneousEndpointSet reads several edge and endpoint kinds at once", async () => {
    const { graph, backend } = await setup();
    const rows = await backend.findEdgesByHeterogeneousEndpointSet!({
      graphId: graph.id,
      side: "from",
      endpoints: [
        { kind: "Rider", id: "ann" },
        { kind: "Depot", id: "north" },
        { kind: "Rider", id: "ann" },
      ],
      edgeKinds: ["rents", "stores"],
    });
    expect(rows.map((r) => r.id).sort()).toEqual(["r1", "r2", "r3", "s1"]);
    const capped = await backend.findEdgesByHeterogeneousEndpointSet!({ graphId: graph.id, side: "from", endpoints: [{ kind: "Depot", id: "north" }], edgeKinds: ["rents", "stores"], limitPerEndpoint: 1 });
    expect(capped).toHaveLength(1);
    await expect(backend.findEdgesByHeterogeneousEndpointSet!({ graphId: graph.id, side: "from", endpoints: [], edgeKinds: ["rents"] })).resolves.toEqual([]);
  });

  it("bulkFindFrom reads through the port: one read per endpoint kind, all at one instant", async () => {
    const { backend, store, ann, ben, north } = await setup();
    const spy = vi.spyOn(backend, "findEdgesByEndpointSet");
    try {
      const one = await store.edges.rents.bulkFindFrom([ann, ben, ann]);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(one.map((b) => b.map((e) => e.id))).toEqual([["r2", "r1"], [], ["r2", "r1"]]);
      expect(one[0]).not.toBe(one[2]);
      expect(one[0]![0]).toMatchObject({ kind: "rents", fromKind: "Rider", fromId: "ann", toId: "b2", hours: 2 });
      spy.mockClear();
      const mixed = await store.edges.rents.bulkFindFrom([north, ann]);
      expect(mixed.map((b) => b.map((e) => e.id))).toEqual([["r3"], ["r2", "r1"]]);
      expect(spy).toHaveBeenCalledTimes(2);
      const instants = new Set(spy.mock.calls.map(([p]) => p.asOf));
      expect(instants.size).toBe(1);
      expect([...instants][0]).toEqual(expect.any(String));
      spy.mockClear();
      expect(await store.edges.rents.bulkFindTo([])).toEqual([]);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it("bulkFindEdgesFrom reads through the heterogeneous port member once", async () => {
    const { backend, store, ann, north } = await setup();
    const spy = vi.spyOn(backend, "findEdgesByHeterogeneousEndpointSet");
    try {
      const out = await store.bulkFindEdgesFrom({ sources: [{ kind: "Rider", ids: [ann.id] }, { kind: "Depot", ids: [north.id] }], edgeKinds: ["rents", "stores"] });
      expect(spy).toHaveBeenCalledTimes(1);
      expect(out.map((o) => [o.source.id, o.edges.map((e) => e.id).sort()])).toEqual([
        ["ann", ["r1", "r2"]],
        ["north", ["r3", "s1"]],
      ]);
    } finally {
      spy.mockRestore();
    }
  });

  it("a backend without the endpoint-set members refuses the bulk reads with ConfigurationError", async () => {
    const { graph, backend, ann } = await setup();
    const blind = createStore(graph, without(backend, ["findEdgesByEndpointSet", "findEdgesByHeterogeneousEndpointSet"]));
    await expect(blind.edges.rents.bulkFindFrom([ann])).rejects.toBeInstanceOf(ConfigurationError);
    await expect(blind.edges.rents.bulkFindTo([ann])).rejects.toBeInstanceOf(ConfigurationError);
    await expect(blind.bulkFindEdgesFrom({ sources: [{ kind: "Rider", ids: [ann.id] }], edgeKinds: ["rents"] })).rejects.toBeInstanceOf(ConfigurationError);
    // Nothing to read: no capability needed.
    expect(await blind.edges.rents.bulkFindFrom([])).toEqual([]);
  });

  it("deleteEdge / hardDeleteEdge work on the rows directly, kind checked when given", async () => {
    const { graph, backend, store } = await setup();
    await backend.deleteEdge!({ graphId: graph.id, id: "r1", kind: "rents" });
    expect((await backend.getEdge!(graph.id, "r1"))!.deleted_at).toEqual(expect.any(String));
    expect(await store.edges.rents.getById("r1")).toBeUndefined();
    // Without a kind: the edge of that id, whatever its kind.
    await backend.hardDeleteEdge!({ graphId: graph.id, id: "s1" });
    expect(await backend.getEdge!(graph.id, "s1")).toBeUndefined();
    await expect(backend.deleteEdge!({ graphId: graph.id, id: "r2", kind: "stores" })).rejects.toThrow(/belongs to rents/);
    expect(await store.edges.rents.getById("r2")).toBeDefined();
    // An id that is not there: nothing happens.
    await expect(backend.hardDeleteEdge!({ graphId: graph.id, id: "missing", kind: "rents" })).resolves.toBeUndefined();
  });

  it("a cardinality claim whose holder was retired past the store is taken over", async () => {
    const { graph, backend, store, ann, ben, north } = await setup();
    const south = await store.nodes.Depot.create({ name: "South" }, { id: "south" });
    const first = await store.edges.assignedTo.create(ann, north, {});
    await backend.deleteEdge!({ graphId: graph.id, id: first.id, kind: "assignedTo" });
    const replacement = await store.edges.assignedTo.create(ann, south, {});
    expect(replacement.toId).toBe("south");
    await expect(store.edges.assignedTo.create(ann, north, {})).rejects.toThrow(/[Cc]ardinality/);
    // A hard-deleted holder whose id now names an unrelated edge does not block the axis.
    await store.edges.assignedTo.create(ben, north, {}, { id: "reused" });
    await backend.hardDeleteEdge!({ graphId: graph.id, id: "reused", kind: "assignedTo" });
    await backend.insertEdge!({ graphId: graph.id, id: "reused", kind: "stores", fromKind: "Depot", fromId: "south", toKind: "Bike", toId: "b1", props: {} });
    expect((await store.edges.assignedTo.create(ben, south, {})).fromId).toBe("ben");
  });
});
