// Type tests: store.algorithms takes the graph's edge / node kinds; store.subgraph narrows node and
// edge results to the selected kinds and, with a projection, to the projected fields.
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  defineEdge,
  defineGraph,
  defineNode,
  defineSubgraphProject,
  type NodeMeta,
  type PageRankScore,
  type ReachableNode,
  type ShortestPathResult,
  type Store,
  type WeightedShortestPathResult,
} from "../dist/index.js";

const Doc = defineNode("Doc", { schema: z.object({ title: z.string(), pages: z.number() }) });
const Team = defineNode("Team", { schema: z.object({ name: z.string() }) });
const cites = defineEdge("cites", { schema: z.object({ note: z.string() }) });
const owns = defineEdge("owns", { schema: z.object({ share: z.number() }) });
const graph = defineGraph({
  id: "t",
  nodes: { Doc: { type: Doc }, Team: { type: Team } },
  edges: { cites: { type: cites, from: [Doc], to: [Doc] }, owns: { type: owns, from: [Team], to: [Doc] } },
});
declare const store: Store<typeof graph>;

describe("graph algorithm types", () => {
  it("results and options", () => {
    expectTypeOf(store.algorithms.reachable("a", { edges: ["cites"] })).resolves.toEqualTypeOf<readonly ReachableNode[]>();
    expectTypeOf(store.algorithms.shortestPath("a", { id: "b" }, { edges: ["cites", "owns"] })).resolves.toEqualTypeOf<ShortestPathResult | undefined>();
    expectTypeOf(store.algorithms.weightedShortestPath("a", "b", { edges: ["owns"], weightProperty: "share" })).resolves.toEqualTypeOf<WeightedShortestPathResult | undefined>();
    expectTypeOf(store.algorithms.canReach("a", "b", { edges: ["cites"] })).resolves.toEqualTypeOf<boolean>();
    expectTypeOf(store.algorithms.degree("a")).resolves.toEqualTypeOf<number>();
    expectTypeOf(store.algorithms.pageRank({ edges: ["cites"], nodeKinds: ["Doc"] })).resolves.toEqualTypeOf<readonly PageRankScore[]>();
    // @ts-expect-error unknown edge kind
    void store.algorithms.reachable("a", { edges: ["likes"] });
    // @ts-expect-error unknown node kind
    void store.algorithms.weaklyConnectedComponents({ edges: ["cites"], nodeKinds: ["Ghost"] });
  });

  it("subgraph narrows kinds and projections", async () => {
    const whole = await store.subgraph("d1", { edges: ["cites"], includeKinds: ["Doc"] });
    for (const node of whole.nodes.values()) {
      expectTypeOf(node.kind).toEqualTypeOf<"Doc">();
      expectTypeOf(node.pages).toEqualTypeOf<number>();
    }
    const project = defineSubgraphProject(graph)({ nodes: { Doc: ["title", "meta"] }, edges: { owns: ["share"] } });
    const sg = await store.subgraph("d1", { edges: ["owns"], project });
    for (const node of sg.nodes.values()) {
      if (node.kind === "Doc") {
        expectTypeOf(node.title).toEqualTypeOf<string>();
        expectTypeOf(node.meta).toEqualTypeOf<NodeMeta>();
        // @ts-expect-error pages was not projected
        void node.pages;
      } else {
        expectTypeOf(node.name).toEqualTypeOf<string>();
      }
    }
    for (const byKind of sg.adjacency.values()) {
      for (const edge of byKind.get("owns") ?? []) {
        expectTypeOf(edge.share).toEqualTypeOf<number>();
        expectTypeOf(edge.fromId).toEqualTypeOf<string>();
      }
    }
  });
});
