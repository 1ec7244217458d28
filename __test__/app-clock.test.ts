// The engine stamps writes with the application's clock: when JavaScript's `Date` is pinned (fake
// timers), created/updated instants, default lower bounds and the recorded clock's wall time are
// that pinned time; with the real clock back, writes are stamped with the real time again.
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineGraph, defineNode, recordedInstantRevision, recordedInstantWallTime, type GraphBackend } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Tick = defineNode("Tick", { schema: z.object({ label: z.string() }) });

describe.each(backends)("application clock on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    while (open.length) await open.pop()!.close();
  });

  async function setup(options: Record<string, unknown> = {}) {
    const graph = defineGraph({ id: freshGraphId(`clk_${bc.name}`), nodes: { Tick: { type: Tick } }, edges: {} });
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend, options);
    return store;
  }

  it("stamps writes and recorded instants with a pinned Date, and with the real clock after", async () => {
    const store = await setup({ history: true });
    const pinned = "2026-06-01T12:00:00.000Z";
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(pinned));
    const first = await store.nodes.Tick.create({ label: "first" }, { id: "first" });
    const r1 = await store.recordedNow();
    const second = await store.nodes.Tick.create({ label: "second" }, { id: "second" });
    const r2 = await store.recordedNow();
    expect(first.meta.createdAt).toBe(pinned);
    expect(first.meta.validFrom).toBe(pinned);
    expect(second.meta.updatedAt).toBe(pinned);
    expect(r1).toBe(`r1:0000000000000001:${pinned}`);
    expect(r2).toBe(`r1:0000000000000002:${pinned}`);
    // The diagonal view at each instant sees exactly what was committed by then.
    expect((await store.asOfRecorded(r1!).nodes.Tick.getById("first"))?.label).toBe("first");
    expect(await store.asOfRecorded(r1!).nodes.Tick.getById("second")).toBeUndefined();
    expect((await store.asOfRecorded(r2!).nodes.Tick.getById("second"))?.label).toBe("second");
    // A repeated bulk upsert naming the lower bound the create was stamped with is accepted.
    const batch = await store.nodes.Tick.bulkUpsertById([
      { id: "stamped", props: { label: "s" } },
      { id: "stamped", props: { label: "s" }, validFrom: pinned },
    ]);
    expect(batch[1]?.meta.validFrom).toBe(pinned);

    vi.useRealTimers();
    const before = Date.now();
    const later = await store.nodes.Tick.create({ label: "later" });
    const stamped = Date.parse(later.meta.createdAt);
    expect(stamped).toBeGreaterThanOrEqual(before - 5);
    expect(stamped).toBeLessThanOrEqual(Date.now() + 5);
    const r3 = await store.recordedNow();
    expect(recordedInstantRevision(r3!)).toBe(4);
    expect(Date.parse(recordedInstantWallTime(r3!))).toBeGreaterThanOrEqual(before - 5);
  });

  it("a repeated new id whose later copy states the stamped lower bound is written, not coalesced", async () => {
    const store = await setup({ coalesceUnchangedUpserts: true });
    const pinned = "2020-05-05T00:00:00.000Z";
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(pinned));
    const batch = await store.nodes.Tick.bulkUpsertById([
      { id: "n1", props: { label: "same" } },
      { id: "n1", props: { label: "same" }, validFrom: pinned },
    ]);
    vi.useRealTimers();
    expect(batch[0]?.meta.version).toBe(1);
    expect(batch[1]?.meta.version).toBe(2);
    expect(batch[1]?.meta.validFrom).toBe(pinned);
    // One by one, the second call compares against the bound on the row and coalesces.
    const created = await store.nodes.Tick.upsertById("n2", { label: "same" });
    const again = await store.nodes.Tick.upsertById("n2", { label: "same" }, { validFrom: created.meta.validFrom });
    expect(again.meta.version).toBe(created.meta.version);
    // A later copy without a stated lower bound still coalesces inside a batch.
    const plain = await store.nodes.Tick.bulkUpsertById([
      { id: "n3", props: { label: "same" } },
      { id: "n3", props: { label: "same" } },
    ]);
    expect(plain[1]?.meta.version).toBe(1);
  });
});
