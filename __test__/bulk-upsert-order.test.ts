// bulkUpsertById states rows, not steps: its creates are checked before its updates apply, so a
// batch whose update frees what its create needs is refused whole (nodes and edges alike);
// applied as two batches (or one call at a time) the same handoff succeeds.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { CardinalityError, createStore, defineEdge, defineGraph, defineNode, UniquenessError, type GraphBackend } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Pilot = defineNode("Pilot", { schema: z.object({ callsign: z.string(), badge: z.string() }) });
const Aircraft = defineNode("Aircraft", { schema: z.object({ tail: z.string() }) });
const flies = defineEdge("flies", { schema: z.object({ seat: z.string() }) });

const ENDED = "2003-04-05T00:00:00.000Z";

describe.each(backends)("bulkUpsertById batch order on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function hangar() {
    const graph = defineGraph({
      id: freshGraphId(`ord_${bc.name}`),
      nodes: {
        Pilot: { type: Pilot, unique: [{ name: "pilot_badge", fields: ["badge"], scope: "kind", collation: "binary" }] },
        Aircraft: { type: Aircraft },
      },
      edges: { flies: { type: flies, from: [Pilot], to: [Aircraft], cardinality: "oneActive" } },
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    const store = createStore(graph, backend);
    const pilot = await store.nodes.Pilot.create({ callsign: "kite", badge: "B-1" }, { id: "p-kite" });
    const first = await store.nodes.Aircraft.create({ tail: "G-AAAA" }, { id: "a-first" });
    const second = await store.nodes.Aircraft.create({ tail: "G-BBBB" }, { id: "a-second" });
    const current = await store.edges.flies.create(pilot, first, { seat: "left" }, { id: "f-current", validFrom: "2001-01-01T00:00:00.000Z" });
    return { store, pilot, first, second, current };
  }

  it("an edge batch ending the one active edge a new edge needs is refused and writes nothing", async () => {
    const { store, pilot, first, second } = await hangar();
    const refused = await store.edges.flies
      .bulkUpsertById([
        { id: "f-current", from: pilot, to: first, props: { seat: "left" }, validTo: ENDED },
        { id: "f-next", from: pilot, to: second, props: { seat: "right" } },
      ])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(refused).toBeInstanceOf(CardinalityError);
    expect((refused as CardinalityError).details).toMatchObject({ edgeKind: "flies", cardinality: "oneActive" });
    expect(await store.edges.flies.getById("f-next")).toBeUndefined();
    const kept = await store.edges.flies.getById("f-current");
    expect(kept?.meta.validTo).toBeUndefined();

    // Two batches: end, then start.
    await store.edges.flies.bulkUpsertById([{ id: "f-current", from: pilot, to: first, props: { seat: "left" }, validTo: ENDED }]);
    const [next] = await store.edges.flies.bulkUpsertById([{ id: "f-next", from: pilot, to: second, props: { seat: "right" } }]);
    expect(next!.seat).toBe("right");
    expect(await store.edges.flies.count()).toBe(1);
  });

  it("a node batch handing a unique value from an update to a create is refused the same way", async () => {
    const { store } = await hangar();
    const refused = await store.nodes.Pilot.bulkUpsertById([
      { id: "p-kite", props: { callsign: "kite", badge: "B-9" } },
      { id: "p-wren", props: { callsign: "wren", badge: "B-1" } },
    ]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(UniquenessError);
    expect((await store.nodes.Pilot.getById("p-kite"))?.badge).toBe("B-1");
    expect(await store.nodes.Pilot.getById("p-wren")).toBeUndefined();
  });
});
