// A plain update that waits on another transaction's row lock merges over what that transaction
// committed, never over the row it read before the wait (no lost update). On SQLite the one
// connection serialises writers, so the race only exists on PostgreSQL.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineEdge, defineGraph, defineNode } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Lamp = defineNode("Lamp", { schema: z.object({ room: z.string(), watts: z.number().optional(), serial: z.string().optional() }) });
const wiredTo = defineEdge("wiredTo", { schema: z.object({ circuit: z.string(), amps: z.number().optional() }) });

function lampGraph(id: string) {
  return defineGraph({
    id,
    // A unique constraint sends node updates through the read-check-write path.
    nodes: { Lamp: { type: Lamp, unique: [{ name: "lamp_serial", fields: ["serial"], where: (l) => l.serial.isNotNull() }] } },
    edges: { wiredTo: { type: wiredTo, from: [Lamp], to: [Lamp] } },
  });
}

describe.each(backends)("updates racing a transaction on $name", (bc) => {
  if (bc.name !== "postgres") {
    it("SQLite refuses the root store while a transaction is open (writers never interleave)", async () => {
      const graph = lampGraph(freshGraphId("race_sqlite"));
      const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
      try {
        await store.nodes.Lamp.create({ room: "hall" }, { id: "l1" });
        const inside = await store
          .transaction(async () => store.nodes.Lamp.update("l1", { watts: 5 }))
          .then(() => undefined, (e: unknown) => e);
        expect(inside).toBeInstanceOf(Error);
        expect((await store.nodes.Lamp.getById("l1"))?.watts).toBeUndefined();
      } finally {
        await store.close();
      }
    });
    return;
  }

  async function race(write: (store: Awaited<ReturnType<typeof setup>>) => Promise<unknown>, inTx: (tx: any) => Promise<unknown>, store: Awaited<ReturnType<typeof setup>>) {
    let locked!: () => void;
    const holding = new Promise<void>((r) => (locked = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const tx = store
      .transaction(async (t) => {
        await inTx(t);
        locked();
        await gate;
      })
      .then(() => undefined, (e: unknown) => e);
    await holding;
    const waiting = write(store).then(
      (v) => ({ v }),
      (e: unknown) => ({ e }),
    );
    await new Promise((r) => setTimeout(r, 150));
    release();
    expect(await tx).toBeUndefined();
    const out = await waiting;
    if ("e" in out) throw out.e;
    return out.v;
  }

  async function setup() {
    const graph = lampGraph(freshGraphId("race_pg"));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id), { autoRefreshStatistics: false });
    return store;
  }

  it("node update keeps the transaction's committed props", async () => {
    const store = await setup();
    try {
      await store.nodes.Lamp.create({ room: "hall" }, { id: "l1" });
      const after = await race(
        (s) => s.nodes.Lamp.update("l1", { watts: 40 }),
        (t) => t.nodes.Lamp.update("l1", { room: "attic", serial: "S-1" }),
        store,
      );
      expect(after).toMatchObject({ id: "l1", room: "attic", serial: "S-1", watts: 40 });
      const stored = await store.nodes.Lamp.getById("l1");
      expect(stored).toMatchObject({ room: "attic", serial: "S-1", watts: 40 });
      expect(stored?.meta.version).toBe(3);
    } finally {
      await store.close();
    }
  });

  it("edge update keeps the transaction's committed props", async () => {
    const store = await setup();
    try {
      const a = await store.nodes.Lamp.create({ room: "a" }, { id: "la" });
      const b = await store.nodes.Lamp.create({ room: "b" }, { id: "lb" });
      const e = await store.edges.wiredTo.create(a, b, { circuit: "c1" });
      await race(
        (s) => s.edges.wiredTo.update(e.id, { amps: 10 }),
        (t) => t.edges.wiredTo.update(e.id, { circuit: "c2" }),
        store,
      );
      const stored = await store.edges.wiredTo.getById(e.id);
      expect(stored).toMatchObject({ circuit: "c2", amps: 10 });
    } finally {
      await store.close();
    }
  });
});
