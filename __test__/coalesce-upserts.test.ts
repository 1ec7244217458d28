// The `coalesceUnchangedUpserts` store option on both backends: an upsert that would leave a live
// row as it is writes nothing and answers with the stored row (upsertById, upsertByIdFromRecord,
// node and edge bulkUpsertById per item, endpoint get-or-create under ifExists "update"); any
// changed prop, moved bound, tombstone or different endpoint still writes; with the option off
// every upsert writes. Also: a live row's lower bound is never silently dropped (a validFrom the
// row does not hold is refused, a restated one accepted), and only written rows count toward
// the statistics refresh.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { IMMUTABLE_VALIDITY_LOWER_BOUND_CODE, ValidationError, createStoreWithSchema, defineEdge, defineGraph, defineNode } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Sensor = defineNode("Sensor", {
  schema: z.object({ label: z.string(), reading: z.number().optional(), tags: z.array(z.string()).optional(), seen: z.date().optional(), info: z.object({ a: z.number(), b: z.string() }).optional() }),
});
const feeds = defineEdge("feeds", { schema: z.object({ rate: z.number(), unit: z.string().optional() }) });

function graphFor(id: string) {
  return defineGraph({ id, nodes: { Sensor: { type: Sensor } }, edges: { feeds: { type: feeds, from: [Sensor], to: [Sensor] } } });
}

const LATER = "2199-03-04T05:06:07.089Z";
const LATEST = "2199-09-04T05:06:07.089Z";
const pause = () => new Promise((r) => setTimeout(r, 4));

describe.each(backends)("coalesceUnchangedUpserts on $name", (bc) => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function setup(options: Record<string, unknown> = { coalesceUnchangedUpserts: true }) {
    const graph = graphFor(freshGraphId(`coal_${bc.name}`));
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend, options);
    return store;
  }

  it("an unchanged upsertById writes nothing and returns the stored node", async () => {
    const store = await setup();
    const seen = new Date("2024-02-03T04:05:06.007Z");
    const first = await store.nodes.Sensor.upsertById("s-1", { label: "north", reading: 3, tags: ["x", "y"], seen, info: { a: 1, b: "z" } });
    await pause();
    const again = await store.nodes.Sensor.upsertById("s-1", { info: { b: "z", a: 1 }, seen: new Date(seen), tags: ["x", "y"], reading: 3, label: "north" });
    expect(again.meta.version).toBe(1);
    expect(again.meta.updatedAt).toBe(first.meta.updatedAt);
    expect(again).toMatchObject({ label: "north", reading: 3 });
    expect((await store.nodes.Sensor.getById("s-1"))!.meta.version).toBe(1);
    const plain = await store.nodes.Sensor.upsertById("s-1b", { label: "north", reading: 3, info: { a: 1, b: "z" } });
    await pause();
    // A subset of the props merges into the stored ones: still nothing to write.
    const partial = await store.nodes.Sensor.upsertById("s-1b", { label: "north" });
    expect(partial.meta.version).toBe(1);
    // Untyped data, keys in another order.
    const fromRecord = await store.nodes.Sensor.upsertByIdFromRecord("s-1b", { info: { b: "z", a: 1 }, reading: 3, label: "north" });
    expect(fromRecord.meta.version).toBe(1);
    expect(fromRecord.meta.updatedAt).toBe(plain.meta.updatedAt);
  });

  it("writes when a prop changes, a bound moves, or the row is a tombstone", async () => {
    const store = await setup();
    await store.nodes.Sensor.upsertById("s-2", { label: "east", reading: 1 });
    await pause();
    const changed = await store.nodes.Sensor.upsertByIdFromRecord("s-2", { label: "east", reading: 2 });
    expect(changed.meta.version).toBe(2);
    const ended = await store.nodes.Sensor.upsertById("s-2", { label: "east", reading: 2 }, { validTo: LATER });
    expect(ended.meta.version).toBe(3);
    // Restating the end it holds (as a Date, too) is unchanged.
    expect((await store.nodes.Sensor.upsertById("s-2", { label: "east" }, { validTo: new Date(LATER) })).meta.version).toBe(3);
    expect((await store.nodes.Sensor.upsertById("s-2", { label: "east" }, { validTo: LATEST })).meta.version).toBe(4);
    await store.nodes.Sensor.delete("s-2");
    const back = await store.nodes.Sensor.upsertById("s-2", { label: "east", reading: 2 });
    expect(back.meta.deletedAt).toBeUndefined();
    expect(back.meta.version).toBeGreaterThan(4);
    // An unreadable bound is reported, never judged "unchanged".
    await expect(store.nodes.Sensor.upsertById("s-2", { label: "east", reading: 2 }, { validTo: "someday" })).rejects.toThrow(/validTo/);
  });

  it("with the option off every upsert writes", async () => {
    const store = await setup({});
    await store.nodes.Sensor.upsertById("s-3", { label: "west" });
    expect((await store.nodes.Sensor.upsertById("s-3", { label: "west" })).meta.version).toBe(2);
    const [row] = await store.nodes.Sensor.bulkUpsertById([{ id: "s-3", props: { label: "west" } }]);
    expect(row!.meta.version).toBe(3);
  });

  it("a live row's validFrom is refused unless restated, with the option on or off", async () => {
    for (const options of [{ coalesceUnchangedUpserts: true }, {}]) {
      const store = await setup(options);
      const made = await store.nodes.Sensor.upsertById("s-4", { label: "south", reading: 5 });
      const error = await store.nodes.Sensor.upsertById("s-4", { label: "south", reading: 6 }, { validFrom: "2001-01-01T00:00:00.000Z" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(((error as ValidationError).details.issues as { code?: string }[]).map((i) => i.code)).toContain(IMMUTABLE_VALIDITY_LOWER_BOUND_CODE);
      const stored = await store.nodes.Sensor.getById("s-4");
      expect(stored!.meta.version).toBe(1);
      expect(stored!.reading).toBe(5);
      const restated = await store.nodes.Sensor.upsertById("s-4", { label: "south", reading: 6 }, { validFrom: made.meta.validFrom! });
      expect(restated.meta.version).toBe(2);
      expect(restated.meta.validFrom).toBe(made.meta.validFrom);
    }
  });

  it("bulkUpsertById coalesces per item and keeps input order", async () => {
    const store = await setup();
    await store.nodes.Sensor.bulkUpsertById([
      { id: "k-same", props: { label: "same", reading: 1 } },
      { id: "k-diff", props: { label: "diff", reading: 1 } },
    ]);
    await pause();
    const out = await store.nodes.Sensor.bulkUpsertById([
      { id: "k-new", props: { label: "new" } },
      { id: "k-same", props: { reading: 1, label: "same" } },
      { id: "k-diff", props: { label: "diff", reading: 2 } },
    ]);
    expect(out.map((n) => [n.id, n.meta.version])).toEqual([
      ["k-new", 1],
      ["k-same", 1],
      ["k-diff", 2],
    ]);
    const all = await store.nodes.Sensor.bulkUpsertById([
      { id: "k-same", props: { label: "same" } },
      { id: "k-new", props: { label: "new" } },
    ]);
    expect(all.map((n) => n.meta.version)).toEqual([1, 1]);
  });

  it("only written rows count toward the statistics refresh", async () => {
    const store = await setup({ coalesceUnchangedUpserts: true, autoRefreshStatistics: 2 });
    await store.nodes.Sensor.bulkUpsertById([
      { id: "r-1", props: { label: "one" } },
      { id: "r-2", props: { label: "two" } },
    ]);
    let refreshes = 0;
    const refresh = store.refreshStatistics.bind(store);
    (store as { refreshStatistics: () => Promise<void> }).refreshStatistics = async () => {
      refreshes += 1;
      await refresh();
    };
    await store.nodes.Sensor.bulkUpsertById([
      { id: "r-1", props: { label: "one" } },
      { id: "r-2", props: { label: "two" } },
    ]);
    expect(refreshes).toBe(0);
    await store.nodes.Sensor.bulkUpsertById([
      { id: "r-1", props: { label: "one" } },
      { id: "r-2", props: { label: "TWO" } },
      { id: "r-3", props: { label: "three" } },
    ]);
    expect(refreshes).toBe(1);
  });

  it("edge bulkUpsertById coalesces an edge restated with its endpoints, props and window", async () => {
    const store = await setup();
    const [a, b, c] = await store.nodes.Sensor.bulkCreate([{ props: { label: "a" } }, { props: { label: "b" } }, { props: { label: "c" } }]);
    const [first] = await store.edges.feeds.bulkUpsertById([{ id: "f-1", from: a!, to: b!, props: { rate: 2, unit: "Hz" }, validTo: LATER }]);
    await pause();
    const out = await store.edges.feeds.bulkUpsertById([
      { id: "f-2", from: b!, to: c!, props: { rate: 1 } },
      { id: "f-1", from: a!, to: b!, props: { unit: "Hz", rate: 2 }, validTo: LATER },
    ]);
    expect(out.map((e) => e.id)).toEqual(["f-2", "f-1"]);
    expect(out[1]!.meta.updatedAt).toBe(first!.meta.updatedAt);
    // A different window is not "unchanged": the item is written.
    const moved = await store.edges.feeds.bulkUpsertById([{ id: "f-1", from: a!, to: b!, props: { rate: 2, unit: "Hz" }, validTo: LATEST }]);
    expect(moved[0]!.meta.updatedAt).not.toBe(first!.meta.updatedAt);
    await pause();
    const changed = await store.edges.feeds.bulkUpsertById([{ id: "f-1", from: a!, to: b!, props: { rate: 3 } }]);
    expect(changed[0]!.rate).toBe(3);
    expect((await store.edges.feeds.getById("f-1"))!.rate).toBe(3);
  });

  it("endpoint get-or-create reports an unchanged update as found and writes a changed one", async () => {
    const store = await setup();
    const [a, b] = await store.nodes.Sensor.bulkCreate([{ props: { label: "a" } }, { props: { label: "b" } }]);
    const made = await store.edges.feeds.getOrCreateByEndpoints(a!, b!, { rate: 7 }, { validTo: LATER });
    expect(made.action).toBe("created");
    expect(made.edge.meta.validTo).toBe(LATER);
    await pause();
    const same = await store.edges.feeds.getOrCreateByEndpoints(a!, b!, { rate: 7 }, { ifExists: "update", validFrom: made.edge.meta.validFrom!, validTo: LATER });
    expect(same.action).toBe("found");
    expect(same.edge.meta.updatedAt).toBe(made.edge.meta.updatedAt);
    const later = await store.edges.feeds.getOrCreateByEndpoints(a!, b!, { rate: 7 }, { ifExists: "update", validTo: LATEST });
    expect(later.action).toBe("updated");
    expect(later.edge.meta.validTo).toBe(LATEST);
    const bulk = await store.edges.feeds.bulkGetOrCreateByEndpoints(
      [
        { from: a!, to: b!, props: { rate: 7 } },
        { from: b!, to: a!, props: { rate: 1 } },
      ],
      { ifExists: "update" },
    );
    expect(bulk.map((r) => r.action)).toEqual(["found", "created"]);
    const error = await store.edges.feeds
      .getOrCreateByEndpoints(a!, b!, { rate: 7 }, { ifExists: "update", validFrom: "2002-02-02T00:00:00.000Z" })
      .catch((e: unknown) => e);
    expect(((error as ValidationError).details.issues as { code?: string }[]).map((i) => i.code)).toContain(IMMUTABLE_VALIDITY_LOWER_BOUND_CODE);
    await store.edges.feeds.delete(made.edge.id);
    const revived = await store.edges.feeds.getOrCreateByEndpoints(a!, b!, { rate: 7 }, { ifExists: "update" });
    expect(revived.action).toBe("resurrected");
  });

  it("coalesces inside a transaction too", async () => {
    const store = await setup();
    await store.nodes.Sensor.upsertById("t-1", { label: "tx" });
    await store.transaction(async (tx) => {
      expect((await tx.nodes.Sensor.upsertById("t-1", { label: "tx" })).meta.version).toBe(1);
      expect((await tx.nodes.Sensor.upsertById("t-1", { label: "tx2" })).meta.version).toBe(2);
    });
  });
});
