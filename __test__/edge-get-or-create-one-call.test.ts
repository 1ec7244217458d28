// Edge bulkGetOrCreateByEndpoints as one engine call on both backends: the engine reads the
// stored edges between every item's endpoints, the TypeScript step decides each item (found,
// updated, resurrected, created) and the engine writes the batch. Pinned here: each action in one
// batch, with the rows returned equal to the rows stored; a key repeated in the batch resolves to
// its first item's edge; matchOn separates edges between the same endpoints; a failing item writes
// nothing and is named; inside a transaction the batch goes with its rollback.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineEdge, defineGraph, defineNode, EndpointNotFoundError, ValidationError, type GraphBackend } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Desk = defineNode("Desk", { schema: z.object({ name: z.string() }) });
const route = defineEdge("route", { schema: z.object({ lane: z.string(), load: z.number().nonnegative().optional() }) });

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

describe.each(backends)("edge bulkGetOrCreateByEndpoints in one call on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function setup() {
    const graph = defineGraph({
      id: freshGraphId("egoc1"),
      nodes: { Desk: { type: Desk } },
      edges: { route: { type: route, from: [Desk], to: [Desk] } },
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend, { autoRefreshStatistics: false });
    await store.nodes.Desk.bulkInsert(Array.from({ length: 8 }, (_, i) => ({ id: `d${i}`, props: { name: `D${i}` } })));
    const at = (i: number) => ({ kind: "Desk" as const, id: `d${i}` });
    return { store, backend, at };
  }

  it("finds, updates, resurrects and creates in one engine call", async () => {
    const { store, backend, at } = await setup();
    await store.edges.route.bulkInsert([
      { id: "r-live", from: at(0), to: at(1), props: { lane: "a", load: 1 } },
      { id: "r-tomb", from: at(1), to: at(2), props: { lane: "a", load: 2 } },
      { id: "r-other", from: at(2), to: at(3), props: { lane: "b", load: 3 } },
    ]);
    await store.edges.route.delete("r-tomb");

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
      out = await store.edges.route.bulkGetOrCreateByEndpoints(
        [
          { from: at(0), to: at(1), props: { lane: "a", load: 5 } },
          { from: at(1), to: at(2), props: { lane: "a" } },
          { from: at(2), to: at(3), props: { lane: "c" } },
          { from: at(0), to: at(1), props: { lane: "a", load: 9 } },
          { from: at(4), to: at(5), props: { lane: "z" } },
        ],
        { matchOn: ["lane"], ifExists: "update" },
      );
    } finally {
      for (const [name, original] of originals) counted[name] = original;
    }
    expect(calls).toEqual(["upsertNodesWith"]);
    expect(out.map((o) => o.action)).toEqual(["updated", "resurrected", "created", "found", "created"]);
    expect(out[0]!.edge).toMatchObject({ id: "r-live", lane: "a", load: 5 });
    expect(out[3]!.edge).toBe(out[0]!.edge);
    expect(out[1]!.edge).toMatchObject({ id: "r-tomb", lane: "a", load: 2 });
    expect(out[1]!.edge.meta.deletedAt).toBeUndefined();
    // matchOn: lane "c" is not r-other's lane "b", so a new edge between the same endpoints.
    expect(out[2]!.edge.id).not.toBe("r-other");
    expect(out[2]!.edge).toMatchObject({ lane: "c", fromId: "d2", toId: "d3" });
    for (const o of out) expect(await store.edges.route.getById(o.edge.id)).toEqual(o.edge);
    expect(await store.edges.route.count()).toBe(5);

    // Without ifExists: "update" a live match is returned as it is.
    const again = await store.edges.route.bulkGetOrCreateByEndpoints([{ from: at(0), to: at(1), props: { lane: "a", load: 100 } }], { matchOn: ["lane"] });
    expect(again[0]!.action).toBe("found");
    expect(again[0]!.edge).toEqual(out[0]!.edge);
  });

  it("a failing item writes nothing and is named", async () => {
    const { store, at } = await setup();
    await store.edges.route.bulkInsert([{ id: "keep", from: at(0), to: at(1), props: { lane: "a", load: 1 } }]);
    const missing = await failure(
      store.edges.route.bulkGetOrCreateByEndpoints(
        [
          { from: at(0), to: at(1), props: { lane: "a", load: 2 } },
          { from: at(2), to: at(3), props: { lane: "a" } },
          { from: at(3), to: { kind: "Desk", id: "gone" }, props: { lane: "a" } },
        ],
        { ifExists: "update" },
      ),
    );
    expect(missing).toBeInstanceOf(EndpointNotFoundError);
    expect((missing as EndpointNotFoundError).details).toMatchObject({ index: 2 });
    const invalid = await failure(
      store.edges.route.bulkGetOrCreateByEndpoints(
        [
          { from: at(0), to: at(1), props: { lane: "a", load: 2 } },
          { from: at(4), to: at(5), props: { lane: "a", load: -1 } },
        ],
        { ifExists: "update" },
      ),
    );
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).details).toMatchObject({ index: 1 });
    expect(await store.edges.route.count()).toBe(1);
    expect((await store.edges.route.getById("keep"))?.load).toBe(1);
  });

  it("inside a transaction: goes with its rollback", async () => {
    const { store, at } = await setup();
    const undone = await failure(
      store.transaction(async (tx) => {
        const out = await tx.edges.route.bulkGetOrCreateByEndpoints([
          { from: at(0), to: at(1), props: { lane: "a" } },
          { from: at(0), to: at(1), props: { lane: "a" } },
        ]);
        expect(out.map((o) => o.action)).toEqual(["created", "found"]);
        expect(await tx.edges.route.getById(out[0]!.edge.id)).toEqual(out[0]!.edge);
        throw new Error("undo");
      }),
    );
    expect((undone as Error).message).toBe("undo");
    expect(await store.edges.route.count()).toBe(0);
  });
});
