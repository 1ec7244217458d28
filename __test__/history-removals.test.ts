// materializeRemovals() follows the schema history, not only the removal queue: a compile-time
// kind that a migration dropped (here after its rows were soft-deleted) has its leftover rows
// reclaimed by the next reconcile, once; a kind that is live again is left alone.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineGraph, defineNode, type GraphBackend } from "../dist/index.js";
import { migrateSchema } from "../dist/schema-entry.js";
import { backends, freshGraphId } from "./backends.js";

const Kiosk = defineNode("Kiosk", { schema: z.object({ name: z.string() }) });
const Stall = defineNode("Stall", { schema: z.object({ name: z.string() }) });

describe.each(backends)("removals derived from schema history on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  function market() {
    const id = freshGraphId(`hist_${bc.name}`);
    const full = defineGraph({ id, nodes: { Kiosk: { type: Kiosk }, Stall: { type: Stall } }, edges: {} });
    const slim = defineGraph({ id, nodes: { Kiosk: { type: Kiosk } }, edges: {} });
    const backend = bc.make(id);
    open.push(backend);
    return { full, slim, backend };
  }

  it("reclaims the tombstones of a kind a migration dropped, once", async () => {
    const { full, slim, backend } = market();
    const [store] = await createStoreWithSchema(full, backend);
    const stall = await store.nodes.Stall.create({ name: "fish" }, { id: "st-1" });
    await store.nodes.Kiosk.create({ name: "papers" }, { id: "k-1" });
    await store.nodes.Stall.delete(stall.id);
    expect(await migrateSchema(backend, slim, 1)).toBe(2);

    const [reopened] = await createStoreWithSchema(slim, backend);
    const first = await reopened.materializeRemovals();
    expect(first.results).toEqual([{ kind: "Stall", entity: "node", status: "removed" }]);
    expect((await reopened.materializeRemovals()).results).toEqual([]);
    expect(await backend.getPendingKindRemovals!(slim.id)).toEqual([]);

    // Bringing the kind back shows no leftover row; the surviving kind kept its rows.
    expect(await migrateSchema(backend, full, 2)).toBe(3);
    const [back] = await createStoreWithSchema(full, backend);
    expect(await back.nodes.Stall.getById("st-1", { temporalMode: "includeTombstones" })).toBeUndefined();
    expect((await back.nodes.Kiosk.getById("k-1"))?.name).toBe("papers");
    // Live again: a later reconcile leaves it alone.
    await back.nodes.Stall.create({ name: "bread" }, { id: "st-2" });
    expect((await back.materializeRemovals()).results).toEqual([]);
    expect((await back.nodes.Stall.getById("st-2"))?.name).toBe("bread");
  });
});
