// Type tests: recorded time. Anchors are branded (a plain string does not type-check where a
// RecordedInstant is asked for); a recorded view's collections carry the kind's row types and
// offer point reads and scans only; its query builder infers select rows and has no `.temporal()`.
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  RecordedStoreView,
  asRecordedInstant,
  compareRecordedInstants,
  defineEdge,
  defineGraph,
  defineNode,
  type Edge,
  type Node,
  type RecordedInstant,
  type RecordedScanPage,
  type Store,
} from "../dist/index.js";

const Valve = defineNode("Valve", { schema: z.object({ tag: z.string(), bar: z.number() }) });
const pipes = defineEdge("pipes", { schema: z.object({ metres: z.number() }) });
const graph = defineGraph({
  id: "rtv",
  nodes: { Valve: { type: Valve } },
  edges: { pipes: { type: pipes, from: [Valve], to: [Valve] } },
});
declare const store: Store<typeof graph>;
declare const anchor: RecordedInstant;

describe("recorded time types", () => {
  it("brands anchors", () => {
    expectTypeOf(store.recordedNow()).resolves.toEqualTypeOf<RecordedInstant | undefined>();
    expectTypeOf(asRecordedInstant("r1:0000000000000001:2024-01-01T00:00:00.000Z")).toEqualTypeOf<RecordedInstant>();
    expectTypeOf(compareRecordedInstants(anchor, anchor)).toEqualTypeOf<-1 | 0 | 1>();
    // @ts-expect-error a wall-clock string is not a recorded instant
    store.asOfRecorded("2024-01-01T00:00:00.000Z");
  });

  it("types the recorded view's reads", () => {
    const view = store.asOfRecorded(anchor);
    expectTypeOf(view).toEqualTypeOf<RecordedStoreView<typeof graph>>();
    expectTypeOf(view.nodes.Valve.getById("v")).resolves.toEqualTypeOf<Node<typeof Valve> | undefined>();
    expectTypeOf(view.edges.pipes.getByIds(["p"])).resolves.toEqualTypeOf<(Edge<typeof pipes> | undefined)[]>();
    expectTypeOf(view.nodes.Valve.scan({ limit: 10 })).resolves.toEqualTypeOf<RecordedScanPage<Node<typeof Valve>>>();
    // @ts-expect-error broad reads are not part of a recorded view
    void view.nodes.Valve.find;
    expectTypeOf(store.asOf("2024-01-01T00:00:00.000Z").asOfRecorded(anchor)).toEqualTypeOf<RecordedStoreView<typeof graph>>();
  });

  it("infers rows of the recorded query and seals its coordinate", () => {
    const q = store.asOfRecorded(anchor).query().from("Valve", "v").select((ctx) => ({ tag: ctx.v.tag, bar: ctx.v.bar }));
    expectTypeOf(q.execute()).resolves.items.toEqualTypeOf<{ tag: string; bar: number }>();
    // @ts-expect-error the recorded query's temporal axis is sealed
    void store.asOfRecorded(anchor).query().temporal;
  });
});
