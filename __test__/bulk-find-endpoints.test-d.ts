// Type tests: bulkFindFrom / bulkFindTo give one array of typed edges per input;
// store.bulkFindEdgesFrom narrows its sources to node kinds and its edges to the selected kinds.
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  defineEdge,
  defineGraph,
  defineNode,
  type BulkEdgeSourceGroup,
  type BulkFindEdgesFromParams,
  type BulkFindEdgesFromResult,
  type Edge,
  type EdgeBulkFindEndpointOptions,
  type EdgeBulkFindOptions,
  type Store,
} from "../dist/index.js";

const Ship = defineNode("Ship", { schema: z.object({ name: z.string() }) });
const Port = defineNode("Port", { schema: z.object({ code: z.string() }) });
const docked = defineEdge("docked", { schema: z.object({ berth: z.number() }) });
const route = defineEdge("route", { schema: z.object({ miles: z.number() }) });
const graph = defineGraph({
  id: "t",
  nodes: { Ship: { type: Ship }, Port: { type: Port } },
  edges: { docked: { type: docked, from: [Ship], to: [Port] }, route: { type: route, from: [Ship, Port], to: [Port] } },
});
type G = typeof graph;
declare const store: Store<G>;

describe("set-oriented endpoint read types", () => {
  it("bulkFindFrom / bulkFindTo: one readonly array of typed edges per input", async () => {
    const out = await store.edges.docked.bulkFindFrom([{ kind: "Ship", id: "s1" }], { limitPerInput: 3, temporalMode: "includeEnded" });
    expectTypeOf(out).toEqualTypeOf<readonly Edge<typeof docked>[][]>();
    expectTypeOf(out[0]![0]!.berth).toEqualTypeOf<number>();
    expectTypeOf(await store.edges.route.bulkFindTo([], { asOf: new Date() })).toEqualTypeOf<readonly Edge<typeof route>[][]>();
    // @ts-expect-error limitPerInput is a number
    await store.edges.docked.bulkFindFrom([], { limitPerInput: "3" });
    expectTypeOf<EdgeBulkFindOptions>().toEqualTypeOf<{ readonly limitPerInput?: number }>();
    expectTypeOf<EdgeBulkFindEndpointOptions["limitPerInput"]>().toEqualTypeOf<number | undefined>();
  });

  it("store.bulkFindEdgesFrom: kinds checked, edges narrowed to the selected kinds", async () => {
    const out = await store.bulkFindEdgesFrom({ sources: [{ kind: "Ship", ids: ["s1"] }, { kind: "Port", ids: [] }], edgeKinds: ["route"] }, { limitPerInput: 1 });
    expectTypeOf(out).toEqualTypeOf<readonly BulkFindEdgesFromResult<G, "route">[]>();
    expectTypeOf(out[0]!.source.kind).toEqualTypeOf<"Ship" | "Port">();
    expectTypeOf(out[0]!.edges[0]!.miles).toEqualTypeOf<number>();
    // @ts-expect-error an unknown node kind
    await store.bulkFindEdgesFrom({ sources: [{ kind: "Dock", ids: [] }], edgeKinds: ["route"] });
    // @ts-expect-error an unknown edge kind
    await store.bulkFindEdgesFrom({ sources: [], edgeKinds: ["sailed"] });
    expectTypeOf<BulkEdgeSourceGroup<G>["kind"]>().toEqualTypeOf<"Ship" | "Port">();
    expectTypeOf<BulkFindEdgesFromParams<G, "docked">["edgeKinds"]>().toEqualTypeOf<readonly "docked"[]>();
  });
});
