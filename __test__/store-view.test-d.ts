// Type tests: store views. The coordinate is a union (an instant only with "asOf"); view
// collections carry the kind's row types and no writes or batch reads; algorithm and subgraph
// options leave the temporal axis out; the view's query builder has no `.temporal()`.
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  StoreView,
  defineEdge,
  defineGraph,
  defineNode,
  type Edge,
  type Node,
  type ReachableNode,
  type Store,
  type StoreViewCoordinate,
  type StoreViewEdgeCollection,
  type StoreViewNodeCollection,
  type TemporalMode,
  type WeightedShortestPathResult,
} from "../dist/index.js";

const Pump = defineNode("Pump", { schema: z.object({ serial: z.string(), litres: z.number() }) });
const Tank = defineNode("Tank", { schema: z.object({ label: z.string() }) });
const feeds = defineEdge("feeds", { schema: z.object({ bore: z.number() }) });
const graph = defineGraph({
  id: "tv",
  nodes: { Pump: { type: Pump }, Tank: { type: Tank } },
  edges: { feeds: { type: feeds, from: [Pump], to: [Tank] } },
});
declare const store: Store<typeof graph>;

describe("store view types", () => {
  it("factories and the coordinate", () => {
    expectTypeOf(store.asOf("2020-01-01T00:00:00.000Z")).toEqualTypeOf<StoreView<typeof graph>>();
    expectTypeOf(store.snapshot()).toEqualTypeOf<StoreView<typeof graph>>();
    expectTypeOf(store.view({ mode: "includeEnded" })).toEqualTypeOf<StoreView<typeof graph>>();
    expectTypeOf(store.view({ mode: "asOf", asOf: "2020-01-01T00:00:00.000Z" }).mode).toEqualTypeOf<TemporalMode>();
    expectTypeOf(store.asOf("2020-01-01T00:00:00.000Z").asOf).toEqualTypeOf<string | undefined>();
    // @ts-expect-error "asOf" needs its instant
    void store.view({ mode: "asOf" });
    // @ts-expect-error the other modes take no instant
    void store.view({ mode: "current", asOf: "2020-01-01T00:00:00.000Z" });
    // @ts-expect-error unknown mode
    void store.view({ mode: "whenever" });
    expectTypeOf<{ mode: "includeTombstones" }>().toMatchTypeOf<StoreViewCoordinate>();
  });

  it("collections: typed reads, no writes", () => {
    const view = store.asOf("2020-01-01T00:00:00.000Z");
    expectTypeOf(view.nodes.Pump).toMatchTypeOf<StoreViewNodeCollection<typeof Pump>>();
    expectTypeOf(view.edges.feeds).toMatchTypeOf<StoreViewEdgeCollection<typeof feeds>>();
    expectTypeOf(view.nodes.Pump.getById("p")).resolves.toEqualTypeOf<Node<typeof Pump> | undefined>();
    expectTypeOf(view.nodes.Pump.find({ where: (p) => p.litres.gt(3), limit: 2 })).resolves.toEqualTypeOf<Node<typeof Pump>[]>();
    expectTypeOf(view.nodes.Tank.count()).resolves.toEqualTypeOf<number>();
    expectTypeOf(view.edges.feeds.findFrom({ kind: "Pump", id: "p" })).resolves.toEqualTypeOf<Edge<typeof feeds>[]>();
    expectTypeOf(view.edges.feeds.bulkFindTo([{ kind: "Tank", id: "t" }], { limitPerInput: 3 })).resolves.toEqualTypeOf<readonly Edge<typeof feeds>[][]>();
    expectTypeOf(view.nodes.Pump.findByConstraint).toBeFunction();
    // @ts-expect-error no writes on a view
    void view.nodes.Pump.create({ serial: "x", litres: 1 });
    // @ts-expect-error no writes on a view
    void view.edges.feeds.delete("e");
    // @ts-expect-error no batch reads on a view
    void view.edges.feeds.batchFindFrom({ kind: "Pump", id: "p" });
    // @ts-expect-error the view owns the coordinate
    void view.nodes.Pump.getById("p", { temporalMode: "current" });
    // @ts-expect-error unknown kind
    void view.nodes.Valve;
  });

  it("algorithms, subgraph and query", () => {
    const view = store.view({ mode: "includeEnded" });
    expectTypeOf(view.reachable("p", { edges: ["feeds"] })).resolves.toEqualTypeOf<readonly ReachableNode[]>();
    expectTypeOf(view.algorithms.weightedShortestPath("p", "t", { edges: ["feeds"], weightProperty: "bore" })).resolves.toEqualTypeOf<
      WeightedShortestPathResult | undefined
    >();
    // @ts-expect-error the view owns the coordinate
    void view.degree("p", { edges: ["feeds"], temporalMode: "current" });
    // @ts-expect-error the view owns the coordinate
    void view.algorithms.pageRank({ edges: ["feeds"], asOf: "2020-01-01T00:00:00.000Z" });
    // @ts-expect-error unknown edge kind
    void view.canReach("p", "t", { edges: ["drains"] });
    void view.subgraph("p", { edges: ["feeds"], includeKinds: ["Tank"] });
    // @ts-expect-error the view owns the coordinate
    void view.subgraph("p", { edges: ["feeds"], temporalMode: "current" });
    const rows = view
      .query()
      .from("Pump", "p")
      .select((ctx) => ({ serial: ctx.p.serial }))
      .execute();
    const live = store
      .query()
      .from("Pump", "p")
      .select((ctx) => ({ serial: ctx.p.serial }))
      .execute();
    expectTypeOf(rows).toEqualTypeOf(live);
    expectTypeOf(rows).resolves.items.toEqualTypeOf<{ serial: string }>();
    // @ts-expect-error sealed temporal axis
    void view.query().temporal("current");
    // @ts-expect-error no transaction on a view
    void view.transaction;
  });
});
