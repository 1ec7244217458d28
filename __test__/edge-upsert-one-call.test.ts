// Edge bulkUpsertById as one engine call on both backends: the engine reads the stored rows of
// the batch (on PostgreSQL under a row lock), calls the TypeScript merge + zod step back once,
// then writes — creates first, with endpoints, ids and cardinality checked in batch — and renders
// the rows it wrote. Pinned here: the rows returned are the rows stored; a failing item
// (validation, missing endpoint, cardinality, changed endpoints) writes nothing and is named by
// its position; repeated ids are folded in input order; tombstones are resurrected; the batch
// goes with a transaction's rollback; on PostgreSQL racing batches over the same ids both land.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  CardinalityError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  EndpointNotFoundError,
  ValidationError,
  type GraphBackend,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Station = defineNode("Station", { schema: z.object({ name: z.string() }) });
const line = defineEdge("line", {
  schema: z.object({ minutes: z.number().int().nonnegative().optional(), note: z.string().optional(), opened: z.date().optional() }),
});
const feeds = defineEdge("feeds", { schema: z.object({ share: z.number().optional() }) });

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

describe.each(backends)("edge bulkUpsertById in one call on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function setup(stations = 12, options: { coalesceUnchangedUpserts?: boolean } = {}) {
    const graph = defineGraph({
      id: freshGraphId("eup1"),
      nodes: { Station: { type: Station } },
      edges: {
        line: { type: line, from: [Station], to: [Station] },
        // At most one `feeds` edge leaves a station.
        feeds: { type: feeds, from: [Station], to: [Station], cardinality: "one" },
      },
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend, { autoRefreshStatistics: false, ...options });
    await store.nodes.Station.bulkInsert(Array.from({ length: stations }, (_, i) => ({ id: `s${i}`, props: { name: `S${i}` } })));
    const at = (i: number) => ({ kind: "Station" as const, id: `s${i}` });
    return { store, backend, at };
  }

  it("creates, merges, moves windows and resurrects in one engine call; the rows returned are the rows stored", async () => {
    const { store, backend, at } = await setup();
    const opened = new Date("2020-02-03T04:05:06.007Z");
    await store.edges.line.bulkInsert([
      { id: "l1", from: at(0), to: at(1), props: { minutes: 3, opened } },
      { id: "l2", from: at(1), to: at(2), props: { minutes: 4, note: "old" } },
      { id: "l3", from: at(2), to: at(3), props: { minutes: 5 } },
    ]);
    await store.edges.line.delete("l3");
    const before = (await store.edges.line.getById("l1"))!;

    // Count the backend's engine calls while the batch runs.
    const counted = backend as unknown as Record<string, (...args: unknown[]) => unknown>;
    const calls: string[] = [];
    const originals = new Map<string, (...args: unknown[]) => unknown>();
    for (const name of ["call", "upsertNodesWith"]) {
      const original = counted[name]!;
      originals.set(name, original);
      counted[name] = function (this: unknown, ...args: unknown[]) {
        calls.push(name);
        return original.apply(this, args);
      };
    }
    let out;
    try {
      out = await store.edges.line.bulkUpsertById([
        { id: "l4", from: at(3), to: at(4), props: { minutes: 6 } },
        { id: "l1", from: at(0), to: at(1), props: { minutes: 7 } },
        { id: "l2", from: at(1), to: at(2), props: { note: "new" }, validTo: "2030-01-01T00:00:00.000Z" },
        { id: "l3", from: at(2), to: at(3), props: { note: "back" } },
      ]);
    } finally {
      for (const [name, original] of originals) counted[name] = original;
    }
    expect(calls).toEqual(["upsertNodesWith"]);

    expect(out.map((e) => e.id)).toEqual(["l4", "l1", "l2", "l3"]);
    expect(out[0]).toMatchObject({ minutes: 6, fromId: "s3", toId: "s4" });
    // Stored props merged under the schema: the z.date() field read back as a Date validated and stayed.
    expect(out[1]).toMatchObject({ minutes: 7, opened: opened.toISOString() });
    expect(out[1]!.meta.createdAt).toBe(before.meta.createdAt);
    expect(out[1]!.meta.updatedAt >= before.meta.updatedAt).toBe(true);
    expect(out[2]).toMatchObject({ minutes: 4, note: "new" });
    expect(out[2]!.meta.validTo).toBe("2030-01-01T00:00:00.000Z");
    expect(out[3]).toMatchObject({ minutes: 5, note: "back" });
    expect(out[3]!.meta.deletedAt).toBeUndefined();
    for (const edge of out) expect(await store.edges.line.getById(edge.id)).toEqual(edge);
    expect(await store.edges.line.count()).toBe(4);
  });

  it("an item failing validation writes nothing and is named", async () => {
    const { store, at } = await setup(160);
    await store.edges.line.bulkInsert([{ id: "keep", from: at(0), to: at(1), props: { minutes: 1 } }]);
    const items = Array.from({ length: 150 }, (_, i) => ({
      id: i === 0 ? "keep" : `n${i}`,
      from: at(i),
      to: at(i + 1),
      props: { minutes: i === 117 ? -1 : i + 100 },
    }));
    const error = await failure(store.edges.line.bulkUpsertById(items));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details).toMatchObject({ index: 117 });
    expect(await store.edges.line.count()).toBe(1);
    expect((await store.edges.line.getById("keep"))?.minutes).toBe(1);
  });

  it("a missing endpoint writes nothing and names its item", async () => {
    const { store, at } = await setup();
    await store.edges.line.bulkInsert([{ id: "keep", from: at(0), to: at(1), props: { minutes: 1 } }]);
    await store.nodes.Station.delete("s5");
    const error = await failure(
      store.edges.line.bulkUpsertById([
        { id: "keep", from: at(0), to: at(1), props: { minutes: 2 } },
        { id: "a", from: at(2), to: at(3), props: {} },
        { id: "b", from: at(4), to: { kind: "Station", id: "nowhere" }, props: {} },
        { id: "c", from: at(5), to: at(6), props: {} },
      ]),
    );
    expect(error).toBeInstanceOf(EndpointNotFoundError);
    expect((error as EndpointNotFoundError).details).toMatchObject({ index: 2, nodeId: "nowhere" });
    expect(await store.edges.line.count()).toBe(1);
    expect((await store.edges.line.getById("keep"))?.minutes).toBe(1);
    // A soft-deleted endpoint is missing too.
    const dead = await failure(store.edges.line.bulkUpsertById([{ id: "c", from: at(5), to: at(6), props: {} }]));
    expect(dead).toBeInstanceOf(EndpointNotFoundError);
    expect(await store.edges.line.getById("c")).toBeUndefined();
  });

  it("a cardinality violation writes nothing and names its item", async () => {
    const { store, at } = await setup();
    await store.edges.feeds.bulkInsert([{ id: "f0", from: at(0), to: at(1), props: {} }]);
    const within = await failure(
      store.edges.feeds.bulkUpsertById([
        { id: "f0", from: at(0), to: at(1), props: { share: 0.5 } },
        { id: "f1", from: at(1), to: at(2), props: {} },
        { id: "f2", from: at(1), to: at(3), props: {} },
      ]),
    );
    expect(within).toBeInstanceOf(CardinalityError);
    expect((within as CardinalityError).details).toMatchObject({ index: 2 });
    const stored = await failure(
      store.edges.feeds.bulkUpsertById([
        { id: "f3", from: at(3), to: at(4), props: {} },
        { id: "f4", from: at(0), to: at(5), props: {} },
      ]),
    );
    expect(stored).toBeInstanceOf(CardinalityError);
    expect((stored as CardinalityError).details).toMatchObject({ index: 1 });
    expect(await store.edges.feeds.count()).toBe(1);
    expect((await store.edges.feeds.getById("f0"))?.share).toBeUndefined();
  });

  it("an existing id with other endpoints is refused and named", async () => {
    const { store, at } = await setup();
    await store.edges.line.bulkInsert([{ id: "x", from: at(0), to: at(1), props: { minutes: 1 } }]);
    const error = await failure(
      store.edges.line.bulkUpsertById([
        { id: "y", from: at(2), to: at(3), props: {} },
        { id: "x", from: at(0), to: at(2), props: { minutes: 2 } },
      ]),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details).toMatchObject({ index: 1 });
    expect(await store.edges.line.getById("y")).toBeUndefined();
    // An id held by an edge of another kind is refused the same way.
    await store.edges.feeds.bulkInsert([{ id: "z", from: at(4), to: at(5), props: {} }]);
    const other = await failure(store.edges.line.bulkUpsertById([{ id: "z", from: at(4), to: at(5), props: {} }]));
    expect(other).toBeInstanceOf(ValidationError);
    expect(await store.edges.line.getById("z")).toBeUndefined();
  });

  it("repeated ids are folded in input order, each position returning its own state", async () => {
    const { store, at } = await setup();
    await store.edges.line.bulkInsert([{ id: "r", from: at(0), to: at(1), props: { minutes: 1 } }]);
    const out = await store.edges.line.bulkUpsertById([
      { id: "r", from: at(0), to: at(1), props: { minutes: 2 } },
      { id: "fresh", from: at(1), to: at(2), props: { minutes: 9 } },
      { id: "r", from: at(0), to: at(1), props: { note: "second" } },
      { id: "fresh", from: at(1), to: at(2), props: { note: "again" } },
    ]);
    expect(out[0]).toMatchObject({ minutes: 2 });
    expect(out[0]!.note).toBeUndefined();
    expect(out[2]).toMatchObject({ minutes: 2, note: "second" });
    expect(out[1]).toMatchObject({ minutes: 9 });
    expect(out[3]).toMatchObject({ minutes: 9, note: "again" });
    expect(await store.edges.line.getById("r")).toEqual(out[2]);
    expect(await store.edges.line.getById("fresh")).toEqual(out[3]);
  });

  it("an unchanged item writes nothing under coalesceUnchangedUpserts", async () => {
    const { store, at } = await setup(12, { coalesceUnchangedUpserts: true });
    await store.edges.line.bulkInsert([{ id: "same", from: at(0), to: at(1), props: { minutes: 1 } }]);
    const stored = (await store.edges.line.getById("same"))!;
    const out = await store.edges.line.bulkUpsertById([
      { id: "same", from: at(0), to: at(1), props: { minutes: 1 } },
      { id: "new", from: at(1), to: at(2), props: { minutes: 2 } },
    ]);
    expect(out[0]).toEqual(stored);
    expect(await store.edges.line.getById("new")).toEqual(out[1]);
  });

  it("inside a transaction: merges over the transaction's rows and goes with its rollback", async () => {
    const { store, at } = await setup();
    await store.edges.line.bulkInsert([{ id: "t1", from: at(0), to: at(1), props: { minutes: 3 } }]);
    const rolledBack = await failure(
      store.transaction(async (tx) => {
        await tx.edges.line.update("t1", { note: "inside" });
        const out = await tx.edges.line.bulkUpsertById([
          { id: "t1", from: at(0), to: at(1), props: { minutes: 4 } },
          { id: "t2", from: at(1), to: at(2), props: {} },
        ]);
        expect(out[0]).toMatchObject({ minutes: 4, note: "inside" });
        throw new Error("undo");
      }),
    );
    expect((rolledBack as Error).message).toBe("undo");
    expect(await store.edges.line.getById("t2")).toBeUndefined();
    expect(await store.edges.line.getById("t1")).toMatchObject({ minutes: 3 });
    expect((await store.edges.line.getById("t1"))?.note).toBeUndefined();
  });

  if (bc.name !== "postgres") return;

  it("batches racing over the same ids, new and stored, both land", async () => {
    const { store, at } = await setup(41);
    await store.edges.line.bulkInsert(Array.from({ length: 20 }, (_, i) => ({ id: `old${i}`, from: at(i), to: at(i + 1), props: {} })));
    const ids = (i: number) => (i % 2 === 0 ? `old${i}` : `new${i}`);
    const first = store.edges.line
      .bulkUpsertById(Array.from({ length: 20 }, (_, i) => ({ id: ids(i), from: at(i), to: at(i + 1), props: { minutes: i } })))
      .then((v) => v, (e: unknown) => e);
    const second = store.edges.line
      .bulkUpsertById(Array.from({ length: 20 }, (_, k) => 19 - k).map((i) => ({ id: ids(i), from: at(i), to: at(i + 1), props: { note: "n" } })))
      .then((v) => v, (e: unknown) => e);
    const [a, b] = await Promise.all([first, second]);
    expect(a).toBeInstanceOf(Array);
    expect(b).toBeInstanceOf(Array);
    for (let i = 0; i < 20; i++) expect(await store.edges.line.getById(ids(i))).toMatchObject({ minutes: i, note: "n" });
  });
});
