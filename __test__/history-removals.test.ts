// materializeRemovals() follows the schema history, not only the removal queue: a compile-time
// kind that a migration dropped (here after its rows were soft-deleted) has its leftover rows
// reclaimed by the next reconcile, once; a kind that is live again is left alone.
// Also backend.countNodesByKind / countEdgesByKind: row counts by graph id, declared kind or not.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineEdge, defineGraph, defineGraphExtension, defineNode, type GraphBackend } from "../dist/index.js";
import { computeSchemaHash, migrateSchema, serializeSchema } from "../dist/schema-entry.js";
import { backends, freshGraphId } from "./backends.js";

const Kiosk = defineNode("Kiosk", { schema: z.object({ name: z.string() }) });
const Stall = defineNode("Stall", { schema: z.object({ name: z.string() }) });
const near = defineEdge("near", { schema: z.object({}) });

describe.each(backends)("removals derived from schema history on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  function market() {
    const id = freshGraphId(`hist_${bc.name}`);
    const edges = { near: { type: near, from: [Kiosk], to: [Kiosk] } };
    const full = defineGraph({ id, nodes: { Kiosk: { type: Kiosk }, Stall: { type: Stall } }, edges });
    const slim = defineGraph({ id, nodes: { Kiosk: { type: Kiosk } }, edges });
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
    // The dropped kind's tombstone is still stored; the port counts it by graph id.
    expect(await backend.countNodesByKind!({ graphId: slim.id, kind: "Stall", excludeDeleted: false })).toBe(1);
    expect(await backend.countNodesByKind!({ graphId: slim.id, kind: "Stall" })).toBe(0);
    const first = await reopened.materializeRemovals();
    expect(await backend.countNodesByKind!({ graphId: slim.id, kind: "Stall", excludeDeleted: false })).toBe(0);
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

  it("countNodesByKind / countEdgesByKind honour deletion and the temporal modes", async () => {
    const { full, backend } = market();
    const [store] = await createStoreWithSchema(full, backend);
    await store.nodes.Kiosk.create({ name: "now" }, { id: "k-now" });
    await store.nodes.Kiosk.create({ name: "then" }, { id: "k-then", validFrom: "2001-01-01T00:00:00.000Z", validTo: "2002-01-01T00:00:00.000Z" });
    await store.nodes.Kiosk.create({ name: "gone" }, { id: "k-gone" });
    await store.nodes.Kiosk.delete("k-gone");
    const count = (extra: Record<string, unknown>) => backend.countNodesByKind!({ graphId: full.id, kind: "Kiosk", ...extra });
    // k-two (below) is created after these counts.
    expect(await count({})).toBe(2);
    expect(await count({ excludeDeleted: false })).toBe(3);
    expect(await count({ temporalMode: "includeTombstones" })).toBe(3);
    expect(await count({ temporalMode: "includeEnded" })).toBe(2);
    expect(await count({ temporalMode: "current" })).toBe(1);
    expect(await count({ temporalMode: "asOf", asOf: "2001-06-01T00:00:00.000Z" })).toBe(1);
    expect(await backend.countNodesByKind!({ graphId: freshGraphId("nobody"), kind: "Kiosk" })).toBe(0);
    expect(await backend.countEdgesByKind!({ graphId: full.id, kind: "anything" })).toBe(0);
    const now = { kind: "Kiosk", id: "k-now" } as const;
    const then = await store.nodes.Kiosk.create({ name: "two" }, { id: "k-two" });
    await store.edges.near.create(now, then, {});
    const back = await store.edges.near.create(then, now, {});
    await store.edges.near.delete(back.id);
    expect(await backend.countEdgesByKind!({ graphId: full.id, kind: "near" })).toBe(1);
    expect(await backend.countEdgesByKind!({ graphId: full.id, kind: "near", excludeDeleted: false })).toBe(2);
    expect(await backend.countEdgesByKind!({ graphId: full.id, kind: "near", excludeDeleted: false, fromId: "k-two" })).toBe(1);
    expect(await backend.countEdgesByKind!({ graphId: full.id, kind: "near", toKind: "Kiosk", toId: "k-two" })).toBe(1);
  });

  it("declines, as skipped, a history-derived drop of a kind that is live again", async () => {
    const { slim, backend } = market();
    const crates = defineGraphExtension({ nodes: { Crate: { properties: { tag: { type: "string" } } } } });
    const [store] = await createStoreWithSchema(slim, backend);
    const evolved = await store.evolve(crates);
    await evolved.getNodeCollectionOrThrow("Crate").create({ tag: "first life" });
    // A version without Crate committed through the port: no removal row is queued for it.
    const active = (await backend.getActiveSchema!(slim.id))!.version;
    const schemaDoc = serializeSchema(slim, active + 1);
    await backend.commitSchemaVersion!({ graphId: slim.id, expected: { kind: "active", version: active }, version: active + 1, schemaDoc, schemaHash: await computeSchemaHash(schemaDoc) });
    const [reopened] = await createStoreWithSchema(slim, backend);
    const readded = await reopened.evolve(crates);
    await readded.getNodeCollectionOrThrow("Crate").create({ tag: "second life" });

    const result = await readded.materializeRemovals();
    expect(result.results).toEqual([{ kind: "Crate", entity: "node", status: "skipped", reason: "kind-is-live" }]);
    expect(await backend.countNodesByKind!({ graphId: slim.id, kind: "Crate" })).toBe(2);
    expect(await backend.getPendingKindRemovals!(slim.id)).toEqual([]);
  });
});
