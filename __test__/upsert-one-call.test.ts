// bulkUpsertById as one engine call on both backends: the engine reads the stored rows (on
// PostgreSQL under a row lock), calls the TypeScript merge + zod step back once and writes. Pinned
// here: a failing item writes nothing and is named by its position; inside a transaction the batch
// sees the transaction's rows and goes with its rollback; on PostgreSQL a batch that waits on
// another transaction's row lock merges over what that transaction committed (no lost update), and
// batches racing each other on the same rows both land.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineGraph, defineNode, ValidationError } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Meter = defineNode("Meter", {
  schema: z.object({ site: z.string().min(1), reading: z.number().int().nonnegative().optional(), note: z.string().optional(), seen: z.date().optional() }),
});

function meterGraph(id: string) {
  return defineGraph({ id, nodes: { Meter: { type: Meter } }, edges: {} });
}

describe.each(backends)("bulkUpsertById in one call on $name", (bc) => {
  async function setup() {
    const graph = meterGraph(freshGraphId("upsert1"));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id), { autoRefreshStatistics: false });
    return store;
  }

  it("creates, merges into stored rows and resurrects, returning each row in input order", async () => {
    const store = await setup();
    try {
      const seen = new Date("2024-05-06T07:08:09.010Z");
      await store.nodes.Meter.bulkInsert([
        { id: "m1", props: { site: "north", reading: 1, seen } },
        { id: "m2", props: { site: "south", reading: 2 } },
      ]);
      await store.nodes.Meter.delete("m2");
      const out = await store.nodes.Meter.bulkUpsertById([
        { id: "m3", props: { site: "east" } },
        { id: "m1", props: { site: "north", reading: 5 } },
        { id: "m2", props: { site: "south", note: "back" } },
      ]);
      expect(out.map((n) => n.id)).toEqual(["m3", "m1", "m2"]);
      expect(out[1]).toMatchObject({ site: "north", reading: 5 });
      // Stored as its ISO text; the merge read it back as a Date, so it validated and stayed.
      expect(out[1]!.seen).toBe(seen.toISOString());
      expect(out[1]!.meta.version).toBe(2);
      expect(out[2]).toMatchObject({ site: "south", reading: 2, note: "back" });
      expect(out[0]!.meta.version).toBe(1);
      const again = await store.nodes.Meter.getById("m1");
      expect(again).toMatchObject({ site: "north", reading: 5 });
      expect(again!.meta.updatedAt).toBe(out[1]!.meta.updatedAt);
      expect((await store.nodes.Meter.getById("m2"))?.note).toBe("back");
    } finally {
      await store.close();
    }
  });

  it("writes nothing when an item fails validation, and names the item", async () => {
    const store = await setup();
    try {
      await store.nodes.Meter.bulkInsert([{ id: "a", props: { site: "x", reading: 1 } }]);
      const items = Array.from({ length: 150 }, (_, i) => ({ id: i === 0 ? "a" : `n${i}`, props: { site: `s${i}`, reading: i === 117 ? -1 : i } }));
      const error = await store.nodes.Meter.bulkUpsertById(items).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details).toMatchObject({ index: 117 });
      expect(await store.nodes.Meter.count()).toBe(1);
      expect((await store.nodes.Meter.getById("a"))?.site).toBe("x");
      expect(await store.nodes.Meter.getById("n5")).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it("inside a transaction: merges over the transaction's rows and goes with its rollback", async () => {
    const store = await setup();
    try {
      await store.nodes.Meter.bulkInsert([{ id: "t1", props: { site: "hill", reading: 3 } }]);
      const rolledBack = await store
        .transaction(async (tx) => {
          await tx.nodes.Meter.update("t1", { note: "inside" });
          const out = await tx.nodes.Meter.bulkUpsertById([
            { id: "t1", props: { site: "hill", reading: 4 } },
            { id: "t2", props: { site: "dale" } },
          ]);
          expect(out[0]).toMatchObject({ reading: 4, note: "inside" });
          throw new Error("undo");
        })
        .then(() => undefined, (e: unknown) => e);
      expect((rolledBack as Error).message).toBe("undo");
      expect(await store.nodes.Meter.getById("t2")).toBeUndefined();
      expect(await store.nodes.Meter.getById("t1")).toMatchObject({ reading: 3 });
      await store.transaction(async (tx) => {
        await tx.nodes.Meter.bulkUpsertById([{ id: "t1", props: { site: "hill", reading: 9 } }]);
      });
      expect(await store.nodes.Meter.getById("t1")).toMatchObject({ reading: 9 });
    } finally {
      await store.close();
    }
  });

  if (bc.name !== "postgres") return;

  it("a batch waiting on another transaction's row lock merges over what it committed", async () => {
    const store = await setup();
    try {
      await store.nodes.Meter.bulkInsert([
        { id: "r1", props: { site: "mill", reading: 1 } },
        { id: "r2", props: { site: "weir", reading: 2 } },
      ]);
      let locked!: () => void;
      const holding = new Promise<void>((r) => (locked = r));
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const tx = store
        .transaction(async (t) => {
          await t.nodes.Meter.update("r1", { note: "from the transaction" });
          locked();
          await gate;
        })
        .then(() => undefined, (e: unknown) => e);
      await holding;
      const waiting = store.nodes.Meter.bulkUpsertById([
        { id: "r1", props: { site: "mill", reading: 10 } },
        { id: "r2", props: { site: "weir", reading: 20 } },
        { id: "r3", props: { site: "ford" } },
      ]).then(
        (v) => ({ v }),
        (e: unknown) => ({ e }),
      );
      await new Promise((r) => setTimeout(r, 150));
      release();
      expect(await tx).toBeUndefined();
      const out = await waiting;
      if ("e" in out) throw out.e;
      expect(out.v[0]).toMatchObject({ id: "r1", reading: 10, note: "from the transaction" });
      expect(out.v[0]!.meta.version).toBe(3);
      expect(await store.nodes.Meter.getById("r1")).toMatchObject({ reading: 10, note: "from the transaction" });
    } finally {
      await store.close();
    }
  });

  it("batches racing on the same rows both land (each merges over the other's write)", async () => {
    const store = await setup();
    try {
      await store.nodes.Meter.bulkInsert(Array.from({ length: 20 }, (_, i) => ({ id: `q${i}`, props: { site: `s${i}` } })));
      const first = store.nodes.Meter.bulkUpsertById(Array.from({ length: 20 }, (_, i) => ({ id: `q${i}`, props: { site: `s${i}`, reading: i } })));
      const second = store.nodes.Meter.bulkUpsertById(Array.from({ length: 20 }, (_, i) => ({ id: `q${19 - i}`, props: { site: `s${19 - i}`, note: "n" } })));
      const [a, b] = await Promise.all([first.then((v) => v, (e: unknown) => e), second.then((v) => v, (e: unknown) => e)]);
      expect(a).toBeInstanceOf(Array);
      expect(b).toBeInstanceOf(Array);
      for (let i = 0; i < 20; i++) {
        const n = await store.nodes.Meter.getById(`q${i}`);
        expect(n).toMatchObject({ reading: i, note: "n" });
        expect(n!.meta.version).toBe(3);
      }
    } finally {
      await store.close();
    }
  });
});
