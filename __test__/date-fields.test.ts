// Kinds with `z.date()` fields: props are stored as JSON (a Date as its ISO text), and every
// read-merge-write reads the stored text back as the Date it was written from, so updates and
// upserts of such kinds validate and keep the date.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ValidationError, createStore, defineEdge, defineGraph, defineNode, type GraphBackend } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Voyage = defineNode("Voyage", {
  schema: z.object({
    ship: z.string(),
    departs: z.date(),
    arrives: z.date().optional(),
    legs: z.array(z.object({ port: z.string(), at: z.date() })).optional(),
    dock: z.union([z.number(), z.date()]).optional(),
  }),
});
const Port = defineNode("Port", { schema: z.object({ name: z.string() }) });
const callsAt = defineEdge("callsAt", { schema: z.object({ berth: z.string(), booked: z.date() }) });

const T1 = new Date("2031-04-05T06:07:08.009Z");
const T2 = new Date("2031-05-06T07:08:09.010Z");

describe.each(backends)("date fields through merges on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  function storeFor(coalesce = false) {
    const graph = defineGraph({
      id: freshGraphId(`dates_${bc.name}`),
      nodes: { Voyage: { type: Voyage }, Port: { type: Port } },
      edges: { callsAt: { type: callsAt, from: [Voyage], to: [Port] } },
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    return createStore(graph, backend, coalesce ? { coalesceUnchangedUpserts: true } : {});
  }

  it("update keeps a stored date and takes a new one", async () => {
    const store = storeFor();
    const v = await store.nodes.Voyage.create({ ship: "Kestrel", departs: T1, legs: [{ port: "Oslo", at: T1 }], dock: T2 }, { id: "v1" });
    expect(v.departs).toBe(T1.toISOString());
    const renamed = await store.nodes.Voyage.update("v1", { ship: "Kestrel II" });
    expect(renamed.ship).toBe("Kestrel II");
    expect(renamed.departs).toBe(T1.toISOString());
    expect(renamed.legs).toEqual([{ port: "Oslo", at: T1.toISOString() }]);
    expect(renamed.dock).toBe(T2.toISOString());
    const moved = await store.nodes.Voyage.update("v1", { arrives: T2 });
    expect(moved.arrives).toBe(T2.toISOString());
    expect(moved.meta.version).toBe(3);
    // A caller's own text for a date field is still refused, as on create.
    await expect(store.nodes.Voyage.update("v1", { departs: "2031-01-01T00:00:00.000Z" as unknown as Date })).rejects.toBeInstanceOf(ValidationError);
    expect((await store.nodes.Voyage.getById("v1"))?.departs).toBe(T1.toISOString());
  });

  it("upsertById, bulkUpsertById and updateWhere merge over stored dates", async () => {
    const store = storeFor();
    await store.nodes.Voyage.create({ ship: "Heron", departs: T1 }, { id: "v2" });
    await store.nodes.Voyage.create({ ship: "Plover", departs: T2 }, { id: "v3" });
    const up = await store.nodes.Voyage.upsertById("v2", { ship: "Heron", departs: T1, arrives: T2 });
    expect(up.arrives).toBe(T2.toISOString());
    const bulk = await store.nodes.Voyage.bulkUpsertById([
      { id: "v2", props: { ship: "Heron B", departs: T1 } },
      { id: "v3", props: { ship: "Plover B", departs: T2 } },
      { id: "v4", props: { ship: "Tern", departs: T1 } },
    ]);
    expect(bulk.map((n) => [n.id, n.ship, n.departs])).toEqual([
      ["v2", "Heron B", T1.toISOString()],
      ["v3", "Plover B", T2.toISOString()],
      ["v4", "Tern", T1.toISOString()],
    ]);
    await store.nodes.Voyage.delete("v3");
    const back = await store.nodes.Voyage.upsertById("v3", { ship: "Plover C", departs: T2 });
    expect(back.departs).toBe(T2.toISOString());
    const result = await store.nodes.Voyage.updateWhere({ patch: { arrives: T1 }, where: (v) => v.ship.startsWith("Heron") });
    expect(result).toEqual({ affectedCount: 1 });
    const heron = await store.nodes.Voyage.getById("v2");
    expect([heron?.departs, heron?.arrives]).toEqual([T1.toISOString(), T1.toISOString()]);
  });

  it("an unchanged upsert of a dated row is coalesced", async () => {
    const store = storeFor(true);
    await store.nodes.Voyage.create({ ship: "Skua", departs: T1, legs: [{ port: "Bergen", at: T2 }] }, { id: "v5" });
    const same = await store.nodes.Voyage.upsertById("v5", { ship: "Skua", departs: T1 });
    expect(same.meta.version).toBe(1);
    const [again] = await store.nodes.Voyage.bulkUpsertById([{ id: "v5", props: { ship: "Skua", departs: T1 } }]);
    expect(again!.meta.version).toBe(1);
    const later = await store.nodes.Voyage.upsertById("v5", { ship: "Skua", departs: T2 });
    expect([later.meta.version, later.departs]).toEqual([2, T2.toISOString()]);
  });

  it("edge update, bulk upsert and get-or-update keep a stored date", async () => {
    const store = storeFor();
    const v = await store.nodes.Voyage.create({ ship: "Gannet", departs: T1 });
    const p = await store.nodes.Port.create({ name: "Tromsø" });
    const e = await store.edges.callsAt.create(v, p, { berth: "A", booked: T1 }, { id: "c1" });
    const moved = await store.edges.callsAt.update(e.id, { berth: "B" });
    expect([moved.berth, moved.booked]).toEqual(["B", T1.toISOString()]);
    const [bulk] = await store.edges.callsAt.bulkUpsertById([{ id: "c1", from: v, to: p, props: { berth: "D", booked: T2 } }]);
    expect([bulk!.berth, bulk!.booked]).toEqual(["D", T2.toISOString()]);
    const got = await store.edges.callsAt.getOrCreateByEndpoints(v, p, { berth: "E", booked: T2 }, { ifExists: "update" });
    expect(got.action).toBe("updated");
    expect([got.edge.berth, got.edge.booked]).toEqual(["E", T2.toISOString()]);
  });
});
