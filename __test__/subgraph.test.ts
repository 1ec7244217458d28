// store.subgraph on both backends: depth bounds, edge kinds, direction, cycles, includeKinds /
// excludeRoot, edges kept only between included nodes, temporal modes and deleted nodes, and
// per-kind projection (defineSubgraphProject).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  defineSubgraphProject,
  type GraphBackend,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Doc = defineNode("Doc", { schema: z.object({ title: z.string(), body: z.string().optional(), pages: z.number().optional() }) });
const Team = defineNode("Team", { schema: z.object({ name: z.string(), size: z.number().optional() }) });
const cites = defineEdge("cites", { schema: z.object({ note: z.string().optional() }) });
const ownedBy = defineEdge("ownedBy", { schema: z.object({ since: z.string().optional(), share: z.number().optional() }) });

function graphOf(id: string) {
  return defineGraph({
    id,
    nodes: { Doc: { type: Doc }, Team: { type: Team } },
    edges: {
      cites: { type: cites, from: [Doc], to: [Doc] },
      ownedBy: { type: ownedBy, from: [Doc], to: [Team] },
    },
  });
}

type EdgeLike = { id: string; kind: string; fromId: string; toId: string };
function allEdges(adj: ReadonlyMap<string, ReadonlyMap<string, readonly unknown[]>>): EdgeLike[] {
  return [...adj.values()].flatMap((m) => [...m.values()].flat()) as EdgeLike[];
}

describe.each(backends)("store.subgraph on $name", (bc) => {
  let backend: GraphBackend;
  beforeAll(() => {
    backend = bc.make("subgraph");
  });
  afterAll(async () => {
    await backend.close();
  });

  // d1 → d2 → d3 → d4 (cites), d1 → team, d2 → team (ownedBy)
  async function seeded() {
    const [store] = await createStoreWithSchema(graphOf(freshGraphId("subgraph")), backend);
    for (const [i, pages] of [[1, 10], [2, 20], [3, 30], [4, 40]] as const) {
      await store.nodes.Doc.create({ title: `doc ${i}`, body: `body ${i}`, pages }, { id: `d${i}` });
    }
    await store.nodes.Team.create({ name: "core", size: 5 }, { id: "team" });
    const ref = (id: string) => ({ kind: "Doc" as const, id });
    await store.edges.cites.create(ref("d1"), ref("d2"), { note: "a" });
    await store.edges.cites.create(ref("d2"), ref("d3"), { note: "b" });
    await store.edges.cites.create(ref("d3"), ref("d4"), { note: "c" });
    await store.edges.ownedBy.create(ref("d1"), { kind: "Team", id: "team" }, { since: "2020", share: 1 });
    await store.edges.ownedBy.create(ref("d2"), { kind: "Team", id: "team" }, { since: "2021", share: 2 });
    return store;
  }

  it("walks the selected edge kinds breadth-first up to maxDepth and indexes edges both ways", async () => {
    const store = await seeded();
    const one = await store.subgraph("d1", { edges: ["cites"], maxDepth: 1 });
    expect([...one.nodes.keys()].sort()).toEqual(["d1", "d2"]);
    expect(one.root).toMatchObject({ kind: "Doc", id: "d1", title: "doc 1", meta: { version: 1 } });
    const sg = await store.subgraph("d1", { edges: ["cites", "ownedBy"], maxDepth: 2 });
    expect([...sg.nodes.keys()].sort()).toEqual(["d1", "d2", "d3", "team"]);
    expect(allEdges(sg.adjacency).map((e) => `${e.kind}:${e.fromId}>${e.toId}`).sort()).toEqual([
      "cites:d1>d2",
      "cites:d2>d3",
      "ownedBy:d1>team",
      "ownedBy:d2>team",
    ]);
    expect(sg.adjacency.get("d1")?.get("ownedBy")).toHaveLength(1);
    expect(sg.reverseAdjacency.get("team")?.get("ownedBy")?.map((e) => (e as EdgeLike).fromId).sort()).toEqual(["d1", "d2"]);
    expect((sg.adjacency.get("d1")?.get("ownedBy")?.[0] as { since?: string }).since).toBe("2020");
    // Default depth (10) reaches the end of the chain.
    expect((await store.subgraph("d1", { edges: ["cites"] })).nodes.size).toBe(4);
  });

  it("follows both directions, survives cycles and keeps edges only between included nodes", async () => {
    const store = await seeded();
    const both = await store.subgraph("d3", { edges: ["cites"], maxDepth: 1, direction: "both" });
    expect([...both.nodes.keys()].sort()).toEqual(["d2", "d3", "d4"]);
    await store.edges.cites.create({ kind: "Doc", id: "d4" }, { kind: "Doc", id: "d1" }, {});
    const loop = await store.subgraph("d2", { edges: ["cites"], maxDepth: 1000 });
    expect([...loop.nodes.keys()].sort()).toEqual(["d1", "d2", "d3", "d4"]);

    const docs = await store.subgraph("d1", { edges: ["cites", "ownedBy"], maxDepth: 2, includeKinds: ["Doc"] });
    expect([...docs.nodes.values()].every((n) => n.kind === "Doc")).toBe(true);
    const kinds = new Set(allEdges(docs.adjacency).map((e) => e.kind));
    expect(kinds).toEqual(new Set(["cites"]));
    for (const e of allEdges(docs.adjacency)) {
      expect(docs.nodes.has(e.fromId) && docs.nodes.has(e.toId)).toBe(true);
    }
    const teams = await store.subgraph("d1", { edges: ["cites", "ownedBy"], maxDepth: 2, includeKinds: ["Team"] });
    expect([...teams.nodes.keys()]).toEqual(["team"]);
    expect(teams.root).toBeUndefined();
    expect(teams.adjacency.size).toBe(0);

    const noRoot = await store.subgraph("d1", { edges: ["cites"], maxDepth: 1, excludeRoot: true });
    expect([...noRoot.nodes.keys()]).toEqual(["d2"]);
    expect(noRoot.root).toBeUndefined();
  });

  it("returns the root alone for no edge kinds and nothing for an unknown root", async () => {
    const store = await seeded();
    const alone = await store.subgraph("d1", { edges: [] });
    expect([...alone.nodes.keys()]).toEqual(["d1"]);
    expect(alone.adjacency.size).toBe(0);
    const none = await store.subgraph("nope", { edges: ["cites"] });
    expect(none.root).toBeUndefined();
    expect(none.nodes.size).toBe(0);
    expect(none.reverseAdjacency.size).toBe(0);
  });

  it("filters nodes and edges by the temporal mode; deleted nodes cut the walk", async () => {
    const [store] = await createStoreWithSchema(graphOf(freshGraphId("subgraph_t")), backend);
    const past = "2020-01-01T00:00:00.000Z";
    const ended = "2022-01-01T00:00:00.000Z";
    await store.nodes.Doc.create({ title: "root" }, { id: "r", validFrom: past });
    await store.nodes.Doc.create({ title: "old" }, { id: "o", validFrom: past, validTo: ended });
    await store.nodes.Doc.create({ title: "mid" }, { id: "m", validFrom: past });
    await store.nodes.Doc.create({ title: "far" }, { id: "f", validFrom: past });
    await store.edges.cites.create({ kind: "Doc", id: "r" }, { kind: "Doc", id: "o" }, {}, { validFrom: past });
    const rm = await store.edges.cites.create({ kind: "Doc", id: "r" }, { kind: "Doc", id: "m" }, {}, { validFrom: past });
    const mf = await store.edges.cites.create({ kind: "Doc", id: "m" }, { kind: "Doc", id: "f" }, {}, { validFrom: past });

    expect([...(await store.subgraph("r", { edges: ["cites"] })).nodes.keys()].sort()).toEqual(["f", "m", "r"]);
    const historic = await store.subgraph("r", { edges: ["cites"], temporalMode: "asOf", asOf: "2021-01-01T00:00:00.000Z" });
    expect([...historic.nodes.keys()].sort()).toEqual(["f", "m", "o", "r"]);
    expect(allEdges(historic.adjacency)).toHaveLength(3);
    expect([...(await store.subgraph("r", { edges: ["cites"], temporalMode: "includeEnded" })).nodes.keys()].sort()).toEqual(["f", "m", "o", "r"]);

    await store.edges.cites.delete(rm.id);
    await store.edges.cites.delete(mf.id);
    await store.nodes.Doc.delete("m");
    expect([...(await store.subgraph("r", { edges: ["cites"] })).nodes.keys()]).toEqual(["r"]);
    const tomb = await store.subgraph("r", { edges: ["cites"], temporalMode: "includeTombstones" });
    expect([...tomb.nodes.keys()].sort()).toEqual(["f", "m", "o", "r"]);
    expect(tomb.nodes.get("m")?.meta.deletedAt).toBeDefined();
  });

  it("projects per kind: listed fields, meta on request, other kinds whole", async () => {
    const store = await seeded();
    const project = defineSubgraphProject(graphOf("unused"))({
      nodes: { Doc: ["title"], Team: ["name", "meta"] },
      edges: { ownedBy: ["share"], cites: [] },
    });
    const sg = await store.subgraph("d1", { edges: ["cites", "ownedBy"], maxDepth: 1, project });
    const d1 = sg.nodes.get("d1") as Record<string, unknown>;
    expect(d1).toEqual({ kind: "Doc", id: "d1", title: "doc 1" });
    const team = sg.nodes.get("team") as Record<string, unknown>;
    expect(team).toMatchObject({ kind: "Team", id: "team", name: "core", meta: { version: 1 } });
    expect(team).not.toHaveProperty("size");
    const owned = sg.adjacency.get("d1")?.get("ownedBy")?.[0] as Record<string, unknown>;
    expect(owned).toEqual({ id: owned.id, kind: "ownedBy", fromKind: "Doc", fromId: "d1", toKind: "Team", toId: "team", share: 1 });
    const cite = sg.adjacency.get("d1")?.get("cites")?.[0] as Record<string, unknown>;
    expect(Object.keys(cite).sort()).toEqual(["fromId", "fromKind", "id", "kind", "toId", "toKind"]);

    // Kinds left out of the projection stay whole.
    const partial = await store.subgraph("d1", { edges: ["ownedBy"], maxDepth: 1, project: { nodes: { Team: ["name"] } } });
    expect(partial.nodes.get("d1")).toMatchObject({ title: "doc 1", body: "body 1", pages: 10, meta: { version: 1 } });

    await expect(store.subgraph("d1", { edges: ["cites"], project: { nodes: { Doc: ["id" as never] } } })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(store.subgraph("d1", { edges: ["cites"], project: { edges: { cites: ["fromId" as never] } } })).rejects.toBeInstanceOf(ConfigurationError);
  });
});
