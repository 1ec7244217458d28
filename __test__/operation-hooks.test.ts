// Store operation hooks: onOperationStart / onOperationEnd around each single-entity write (end
// only once the write is committed; inside store.transaction after the commit), onError for a
// failed one (and for every write of a transaction that rolled back), bulk hooks for updateWhere.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ValidationError, createStore, defineEdge, defineGraph, defineNode, type GraphBackend, type StoreHooks } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Kite = defineNode("Kite", { schema: z.object({ colour: z.string(), span: z.number().positive() }) });
const tethered = defineEdge("tethered", { schema: z.object({ line: z.number() }) });

describe.each(backends)("operation hooks on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  function hookedStore() {
    const events: string[] = [];
    const ids: { start: string[]; end: string[] } = { start: [], end: [] };
    const hooks: StoreHooks = {
      onOperationStart: (ctx) => {
        events.push(`start ${ctx.operation} ${ctx.entity} ${ctx.kind}`);
        ids.start.push(ctx.id);
        expect(ctx.graphId).toBe(graph.id);
        expect(ctx.startedAt).toBeInstanceOf(Date);
        expect(typeof ctx.operationId).toBe("string");
      },
      onOperationEnd: (ctx, result) => {
        events.push(`end ${ctx.operation} ${ctx.entity} ${ctx.kind}`);
        ids.end.push(ctx.id);
        expect(result.durationMs).toBeGreaterThanOrEqual(0);
      },
      onBulkOperationStart: (ctx) => events.push(`bulk-start ${ctx.operation} ${ctx.kind}`),
      onBulkOperationEnd: (ctx, result) => events.push(`bulk-end ${ctx.operation} ${ctx.kind} ${result.affectedCount}`),
      onError: (ctx, error) => events.push(`error ${(ctx as { operation?: string }).operation ?? "?"} ${error.name}`),
    };
    const graph = defineGraph({
      id: freshGraphId(`ophooks_${bc.name}`),
      nodes: { Kite: { type: Kite } },
      edges: { tethered: { type: tethered, from: [Kite], to: [Kite] } },
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    return { store: createStore(graph, backend, { hooks }), events, ids };
  }

  it("reports each node and edge write, with the written id", async () => {
    const { store, events, ids } = hookedStore();
    const red = await store.nodes.Kite.create({ colour: "red", span: 2 });
    const blue = await store.nodes.Kite.create({ colour: "blue", span: 3 }, { id: "k-blue" });
    expect(ids.start).toEqual([red.id, "k-blue"]);
    expect(ids.end).toEqual([red.id, "k-blue"]);
    await store.nodes.Kite.update(red.id, { span: 4 });
    const line = await store.edges.tethered.create(red, blue, { line: 10 });
    await store.edges.tethered.update(line.id, { line: 12 });
    await store.edges.tethered.delete(line.id);
    await store.nodes.Kite.upsertById("k-green", { colour: "green", span: 1 });
    await store.nodes.Kite.upsertById("k-green", { colour: "green", span: 5 });
    await store.nodes.Kite.delete("k-green");
    await store.nodes.Kite.delete("k-green"); // already deleted: nothing happens, nothing reported
    await store.nodes.Kite.delete("k-none");
    await store.nodes.Kite.hardDelete("k-green");
    expect(events).toEqual([
      "start create node Kite",
      "end create node Kite",
      "start create node Kite",
      "end create node Kite",
      "start update node Kite",
      "end update node Kite",
      "start create edge tethered",
      "end create edge tethered",
      "start update edge tethered",
      "end update edge tethered",
      "start delete edge tethered",
      "end delete edge tethered",
      "start create node Kite",
      "end create node Kite",
      "start update node Kite",
      "end update node Kite",
      "start delete node Kite",
      "end delete node Kite",
      "start delete node Kite",
      "end delete node Kite",
    ]);
    expect(ids.end.slice(2)).toEqual([red.id, line.id, line.id, line.id, "k-green", "k-green", "k-green", "k-green"]);
  });

  it("a failed write reports onError and no end; batches report nothing; updateWhere reports a bulk pair", async () => {
    const { store, events } = hookedStore();
    await expect(store.nodes.Kite.create({ colour: "grey", span: -1 })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.nodes.Kite.update("k-missing", { span: 2 })).rejects.toThrow();
    expect(events).toEqual(["start create node Kite", "error create ValidationError", "start update node Kite", `error update NodeNotFoundError`]);
    events.length = 0;
    await store.nodes.Kite.bulkCreate([{ props: { colour: "a", span: 1 } }, { props: { colour: "b", span: 9 } }]);
    expect(events).toEqual([]);
    const result = await store.nodes.Kite.updateWhere({ patch: { colour: "wide" }, where: (k) => k.span.gt(5) });
    expect(result.affectedCount).toBe(1);
    expect(events).toEqual(["bulk-start updateWhere Kite", "bulk-end updateWhere Kite 1"]);
  });

  it("refused options and refused props of a coalescing upsert are reported as failed operations", async () => {
    const seen: string[] = [];
    const graph = defineGraph({ id: freshGraphId(`ophooks2_${bc.name}`), nodes: { Kite: { type: Kite } }, edges: { tethered: { type: tethered, from: [Kite], to: [Kite] } } });
    const backend = bc.make(graph.id);
    open.push(backend);
    const store = createStore(graph, backend, {
      coalesceUnchangedUpserts: true,
      hooks: {
        onOperationStart: (ctx) => seen.push(`start ${ctx.operationId}`),
        onError: (ctx, error) => seen.push(`error ${ctx.operationId} ${error.name}`),
      },
    });
    const a = await store.nodes.Kite.create({ colour: "gold", span: 1 }, { id: "k-gold" });
    const b = await store.nodes.Kite.create({ colour: "jade", span: 1 });
    const e = await store.edges.tethered.create(a, b, { line: 3 });
    for (const attempt of [
      () => store.nodes.Kite.update("k-gold", {}, { validTo: "2040-01-01T00:00:00.000Z", clearValidTo: true }),
      () => store.edges.tethered.update(e.id, {}, { validTo: "2040-01-01T00:00:00.000Z", clearValidTo: true }),
      () => store.nodes.Kite.upsertByIdFromRecord("k-gold", { colour: 7 }),
    ]) {
      seen.length = 0;
      await expect(attempt()).rejects.toBeInstanceOf(ValidationError);
      expect(seen).toHaveLength(2);
      const id = seen[0]!.slice("start ".length);
      expect(seen[1]).toBe(`error ${id} ValidationError`);
    }
  });

  it("inside a transaction, ends wait for the commit; a rollback turns them into errors", async () => {
    const { store, events } = hookedStore();
    await store.transaction(async (tx) => {
      await tx.nodes.Kite.create({ colour: "teal", span: 1 }, { id: "k-teal" });
      await tx.nodes.Kite.update("k-teal", { span: 2 });
      // Batch forms report nothing, inside a transaction as outside.
      const [x, y] = await tx.nodes.Kite.bulkCreate([{ props: { colour: "x", span: 1 } }, { props: { colour: "y", span: 1 } }]);
      await tx.edges.tethered.bulkGetOrCreateByEndpoints([{ from: x!, to: y!, props: { line: 1 } }]);
      await tx.nodes.Kite.bulkUpsertById([{ id: "k-teal", props: { colour: "teal", span: 3 } }]);
      expect(events).toEqual(["start create node Kite", "start update node Kite"]);
    });
    expect(events).toEqual(["start create node Kite", "start update node Kite", "end create node Kite", "end update node Kite"]);
    events.length = 0;
    const failed = await store
      .transaction(async (tx) => {
        await tx.nodes.Kite.create({ colour: "plum", span: 1 }, { id: "k-plum" });
        throw new Error("changed my mind");
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((failed as Error).message).toBe("changed my mind");
    expect(events).toEqual(["start create node Kite", "error create Error"]);
    expect(await store.nodes.Kite.getById("k-plum")).toBeUndefined();
  });
});
