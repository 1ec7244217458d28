// Stores opened and closed in a loop: closing a store closes its backend and lets go of the
// graph definitions registered on it; the database stays usable from new backends, and a
// closed backend refuses further calls with BackendDisposedError.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BackendDisposedError, createStore, createStoreWithSchema, defineGraph, defineNode } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Ticket = defineNode("Ticket", { schema: z.object({ seat: z.string(), row: z.number().int() }) });

describe.each(backends)("store open/close cycles on $name", (bc) => {
  it("many stores opened and closed in turn keep working, and closed ones refuse calls", async () => {
    const db = freshGraphId(`cycle_${bc.name}`);
    const rounds = bc.name === "sqlite" ? 120 : 25;
    let readClosed: (() => Promise<unknown>) | undefined;
    for (let i = 0; i < rounds; i++) {
      // Every round registers a distinct definition (its own graph id) and the shared one.
      const own = defineGraph({ id: `${db}_r${i}`, nodes: { Ticket: { type: Ticket } }, edges: {} });
      const shared = defineGraph({ id: db, nodes: { Ticket: { type: Ticket } }, edges: {} });
      const backend = bc.make(db);
      const ownStore = createStore(own, backend);
      await ownStore.nodes.Ticket.create({ seat: `own-${i}`, row: i });
      const [store] = await createStoreWithSchema(shared, backend);
      await store.nodes.Ticket.create({ seat: `s-${i}`, row: i }, { id: `t-${i}` });
      expect(await store.nodes.Ticket.count()).toBe(i + 1);
      await store.close();
      readClosed = () => store.nodes.Ticket.getById("t-0");
    }
    await expect(readClosed!()).rejects.toBeInstanceOf(BackendDisposedError);
    const graph = defineGraph({ id: db, nodes: { Ticket: { type: Ticket } }, edges: {} });
    const backend = bc.make(db);
    try {
      const [store] = await createStoreWithSchema(graph, backend);
      expect(await store.nodes.Ticket.count()).toBe(rounds);
      const rows = await store.query().from("Ticket", "t").select((c) => c.t.row).execute();
      expect([...rows].sort((a, b) => a - b)).toEqual(Array.from({ length: rounds }, (_, i) => i));
      const own = createStore(defineGraph({ id: `${db}_r${rounds - 1}`, nodes: { Ticket: { type: Ticket } }, edges: {} }), backend);
      expect((await own.nodes.Ticket.find()).map((t) => t.seat)).toEqual([`own-${rounds - 1}`]);
    } finally {
      await backend.close();
    }
  }, 120_000);
});
