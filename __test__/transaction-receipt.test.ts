// store.transactionWithReceipt(): completed write calls on the transaction's collections, by
// kind (bulk calls by input length, rejected calls not at all), no receipt for a rolled-back
// callback, and tx.measure() scopes (attribution by the context written through, nesting).
// Every case runs on each backend.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  ValidationError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  type GraphBackend,
  type MeasurableTransactionContext,
  type TransactionReceipt,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Lamp = defineNode("Lamp", { schema: z.object({ tag: z.string(), watts: z.number().optional() }) });
const Room = defineNode("Room", { schema: z.object({ label: z.string() }) });
// A kind named after an Object.prototype member still gets its own tally.
const Ctor = defineNode("constructor", { schema: z.object({ n: z.number() }) });
const litBy = defineEdge("litBy", { schema: z.object({ angle: z.number().optional() }) });

function lampGraph(id: string) {
  return defineGraph({
    id,
    nodes: {
      Lamp: { type: Lamp, unique: [{ name: "lamp_tag", fields: ["tag"] }], onDelete: "cascade" },
      Room: { type: Room },
      constructor: { type: Ctor },
    },
    edges: { litBy: { type: litBy, from: [Room], to: [Lamp] } },
  });
}

function writes(receipt: TransactionReceipt) {
  return { nodes: { ...receipt.writes.nodes }, edges: { ...receipt.writes.edges }, total: receipt.writes.total };
}

describe.each(backends)("transaction receipts on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function setup(options: { coalesceUnchangedUpserts?: boolean } = {}) {
    const graph = lampGraph(freshGraphId(`rcpt_${bc.name}`));
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend, options);
    return store;
  }

  it("counts each node write call once and bulk calls by input length", async () => {
    const store = await setup();
    const outcome = await store.transactionWithReceipt(async (tx) => {
      const lamps = tx.nodes.Lamp;
      const a = await lamps.create({ tag: "a" }); // 1
      await lamps.createFromRecord({ tag: "b" }, { id: "b" }); // 1
      await lamps.update(a.id, { watts: 40 }); // 1
      await lamps.upsertById("u1", { tag: "u1" }); // 1
      await lamps.upsertByIdFromRecord("u2", { tag: "u2" }); // 1
      await lamps.bulkCreate([{ props: { tag: "c" } }, { props: { tag: "d" } }, { props: { tag: "e" } }]); // 3
      await lamps.bulkUpsertById([
        { id: "u1", props: { tag: "u1", watts: 5 } },
        { id: "u3", props: { tag: "u3" } },
      ]); // 2
      await lamps.bulkInsert([{ id: "i1", props: { tag: "i1" } }]); // 1
      await lamps.getOrCreateByConstraint("lamp_tag", { tag: "a" }); // found: still 1
      await lamps.bulkGetOrCreateByConstraint("lamp_tag", [{ props: { tag: "g1" } }, { props: { tag: "b" } }]); // 2
      await lamps.updateWhere({ patch: { watts: 60 }, where: (l) => l.tag.eq("c") }); // 1
      await lamps.delete("u2" as never); // 1
      await lamps.delete("never-there" as never); // a delete of a missing id still counts 1
      await lamps.hardDelete("u3" as never); // 1
      await lamps.bulkDelete(["i1" as never, "b" as never]); // 2
      await lamps.bulkCreate([]); // 0
      await tx.nodes.constructor.create({ n: 1 });
      return a.id;
    });
    expect(typeof outcome.result).toBe("string");
    expect(writes(outcome.receipt)).toEqual({ nodes: { Lamp: 20, constructor: 1 }, edges: {}, total: 21 });
    expect(outcome.receipt.writes.identity).toEqual({ sameAssertions: 0, differentAssertions: 0, retractions: 0, total: 0 });
    expect("recorded" in outcome.receipt).toBe(false);
    expect(Object.isFrozen(outcome.receipt.writes.nodes)).toBe(true);
    // The writes are committed.
    expect(await store.nodes.Lamp.count()).toBe(6); // a, c, d, e, u1, g1
  });

  it("counts edge write calls and leaves edges removed by a node delete's cascade out", async () => {
    const store = await setup();
    const [hall, den] = await store.nodes.Room.bulkCreate([{ props: { label: "hall" } }, { props: { label: "den" } }]);
    const [l1, l2, l3] = await store.nodes.Lamp.bulkCreate([{ props: { tag: "l1" } }, { props: { tag: "l2" } }, { props: { tag: "l3" } }]);
    const outcome = await store.transactionWithReceipt(async (tx) => {
      const e = tx.edges.litBy;
      const first = await e.create(hall!, l1!, { angle: 10 }); // 1
      await e.update(first.id, { angle: 20 }); // 1
      await e.getOrCreateByEndpoints(hall!, l1!, {}); // found: 1
      const made = await e.bulkCreate([
        { from: den!, to: l1!, props: {} },
        { from: den!, to: l2!, props: {} },
      ]); // 2
      await e.bulkUpsertById([{ id: "bu1", from: hall!, to: l2!, props: {} }]); // 1
      await e.bulkInsert([{ from: hall!, to: l3!, props: {} }]); // 1
      await e.bulkGetOrCreateByEndpoints([
        { from: den!, to: l3!, props: {} },
        { from: den!, to: l1!, props: {} },
      ]); // 2
      await e.delete(made[0]!.id); // 1
      await e.hardDelete(made[1]!.id); // 1
      await e.bulkDelete(["bu1" as never]); // 1
      // Removes l3's edges through the cascade: only the node call counts.
      await tx.nodes.Lamp.delete(l3!.id);
    });
    expect(writes(outcome.receipt)).toEqual({ nodes: { Lamp: 1 }, edges: { litBy: 12 }, total: 13 });
    expect(await store.edges.litBy.findTo(l3!)).toEqual([]);
  });

  it("counts writes through getNodeCollection / getEdgeCollection, and not reads", async () => {
    const store = await setup();
    const outcome = await store.transactionWithReceipt(async (tx) => {
      const rooms = tx.getNodeCollection("Room");
      const lamps = tx.getNodeCollection("Lamp");
      expect(tx.getNodeCollection("Nope")).toBeUndefined();
      const r = await rooms!.createFromRecord({ label: "attic" });
      const l = await lamps!.createFromRecord({ tag: "z" });
      await tx.getEdgeCollection("litBy")!.create(r, l, {});
      await tx.nodes.Room.getById(r.id);
      await tx.nodes.Lamp.find();
      await tx.query().from("Lamp", "l").select((c) => c.l.tag).execute();
      // A query built on the store runs inside this transaction (and a scope's view) by executeOn.
      const tags = store.query().from("Lamp", "l").select((c) => c.l.tag);
      expect(await tags.executeOn(tx)).toEqual(["z"]);
      const scoped = await tx.measure(async (view) => tags.executeOn(view));
      expect(scoped.result).toEqual(["z"]);
      expect(scoped.receipt.writes.total).toBe(0);
      return r.id;
    });
    expect(writes(outcome.receipt)).toEqual({ nodes: { Room: 1, Lamp: 1 }, edges: { litBy: 1 }, total: 3 });
  });

  it("counts an upsert that coalesces into the stored row as one write call", async () => {
    const store = await setup({ coalesceUnchangedUpserts: true });
    const first = await store.nodes.Lamp.upsertById("same", { tag: "same", watts: 9 });
    const outcome = await store.transactionWithReceipt(async (tx) => {
      await tx.nodes.Lamp.upsertById("same", { tag: "same", watts: 9 });
      await tx.nodes.Lamp.bulkUpsertById([{ id: "same", props: { tag: "same", watts: 9 } }]);
    });
    expect(writes(outcome.receipt)).toEqual({ nodes: { Lamp: 2 }, edges: {}, total: 2 });
    // Nothing was rewritten.
    expect((await store.nodes.Lamp.getById("same" as never))?.meta.version).toBe(first.meta.version);
  });

  it("does not count a call that rejects", async () => {
    const store = await setup();
    const outcome = await store.transactionWithReceipt(async (tx) => {
      await tx.nodes.Lamp.create({ tag: "dup" }, { id: "dup" });
      const err = await tx.nodes.Lamp.update("missing" as never, { watts: 1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeDefined();
      const bad = await tx.nodes.Lamp.bulkCreate([{ props: { tag: 7 as never } }]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(bad).toBeInstanceOf(ValidationError);
    });
    expect(writes(outcome.receipt)).toEqual({ nodes: { Lamp: 1 }, edges: {}, total: 1 });
  });

  it("rolls back and rethrows the callback's own error, with no receipt", async () => {
    const store = await setup();
    const sentinel = new Error("stop here");
    const rejection = await store
      .transactionWithReceipt(async (tx) => {
        await tx.nodes.Lamp.create({ tag: "gone" }, { id: "gone" });
        throw sentinel;
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(rejection).toBe(sentinel);
    expect(await store.nodes.Lamp.getById("gone" as never)).toBeUndefined();

    // A write failure that escapes surfaces unchanged too.
    let inner: unknown;
    const escaped = await store
      .transactionWithReceipt(async (tx) => {
        await tx.nodes.Lamp.create({ tag: "x1" }, { id: "x1" });
        try {
          await tx.nodes.Lamp.create({ tag: "x2" }, { id: "x1" });
        } catch (e) {
          inner = e;
          throw e;
        }
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(inner).toBeInstanceOf(ValidationError);
    expect(escaped).toBe(inner);
    expect(await store.nodes.Lamp.count()).toBe(0);
  });

  it("refuses writes through a context kept past its callback", async () => {
    const store = await setup();
    let kept: MeasurableTransactionContext<ReturnType<typeof lampGraph>> | undefined;
    await store.transactionWithReceipt(async (tx) => {
      kept = tx;
      await tx.nodes.Room.create({ label: "ok" });
    });
    const late = await kept!.nodes.Room.create({ label: "late" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(late).toBeInstanceOf(ConfigurationError);
    expect(await store.nodes.Room.count()).toBe(1);
  });

  it("tx.measure counts the writes made through its scoped view, in the scope and outside it", async () => {
    const store = await setup();
    const outcome = await store.transactionWithReceipt(async (tx) => {
      const scope = await tx.measure(async (scoped) => {
        await scoped.nodes.Room.create({ label: "in-scope" });
        await scoped.nodes.Lamp.bulkCreate([{ props: { tag: "s1" } }, { props: { tag: "s2" } }]);
        // Through the outer context during the scope: outer receipt only.
        await tx.nodes.Room.create({ label: "outer-during" });
        const r = await scoped.getNodeCollection("Room")!.createFromRecord({ label: "dyn" });
        return r.id;
      });
      await tx.nodes.Room.create({ label: "after" });
      return scope;
    });
    const scope = outcome.result;
    expect(typeof scope.result).toBe("string");
    expect(writes(scope.receipt)).toEqual({ nodes: { Room: 2, Lamp: 2 }, edges: {}, total: 4 });
    expect("recorded" in scope.receipt).toBe(false);
    expect(writes(outcome.receipt)).toEqual({ nodes: { Room: 4, Lamp: 2 }, edges: {}, total: 6 });
  });

  it("nested and overlapping scopes each count only their own view's writes", async () => {
    const store = await setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let inner: TransactionReceipt | undefined;
    const outcome = await store.transactionWithReceipt(async (tx) => {
      const idle = tx.measure(async () => {
        await gate;
      });
      const outer = await tx.measure(async (a) => {
        await a.nodes.Room.create({ label: "a1" });
        inner = (
          await a.measure(async (b) => {
            await b.nodes.Room.create({ label: "b1" });
            await b.nodes.Lamp.create({ tag: "b2" });
          })
        ).receipt;
        await a.nodes.Room.create({ label: "a2" });
      });
      release();
      return { outer: outer.receipt, idle: (await idle).receipt };
    });
    expect(writes(inner!)).toEqual({ nodes: { Room: 1, Lamp: 1 }, edges: {}, total: 2 });
    expect(writes(outcome.result.outer)).toEqual({ nodes: { Room: 3, Lamp: 1 }, edges: {}, total: 4 });
    expect(outcome.result.idle.writes.total).toBe(0);
    expect(outcome.receipt.writes.total).toBe(4);
  });

  it("a measured callback that throws rejects the measure, and the outer receipt keeps its writes", async () => {
    const store = await setup();
    const outcome = await store.transactionWithReceipt(async (tx) => {
      await tx.nodes.Room.create({ label: "before" });
      const err = await tx
        .measure(async (scoped) => {
          await scoped.nodes.Room.create({ label: "measured" });
          throw new Error("scope failed");
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect((err as Error).message).toBe("scope failed");
      await tx.nodes.Room.create({ label: "after" });
    });
    expect(writes(outcome.receipt)).toEqual({ nodes: { Room: 3 }, edges: {}, total: 3 });
    expect(await store.nodes.Room.count()).toBe(3);
  });
});
