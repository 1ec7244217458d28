// store.transaction(fn, { isolationLevel, accessMode }) on both backends: options are checked
// before anything opens; every level commits; a read-only transaction reads, refuses writes
// (rolled back, nothing stored) and leaves the store writable afterwards; a repeatable-read or
// read-only transaction keeps one snapshot while another connection commits.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigurationError, createStoreWithSchema, defineGraph, defineNode, type GraphBackend, type TransactionOptions } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Parcel = defineNode("Parcel", { schema: z.object({ code: z.string(), grams: z.number() }) });

describe.each(backends)("transaction options on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function depot() {
    const graph = defineGraph({ id: freshGraphId(`txo_${bc.name}`), nodes: { Parcel: { type: Parcel } }, edges: {} });
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    await store.nodes.Parcel.bulkCreate([
      { id: "p1", props: { code: "A-1", grams: 250 } },
      { id: "p2", props: { code: "B-7", grams: 1200 } },
    ]);
    // A second connection to the same database.
    const otherBackend = bc.make(graph.id);
    open.push(otherBackend);
    const [other] = await createStoreWithSchema(graph, otherBackend);
    return { store, other };
  }

  it("checks the options before opening anything", async () => {
    const { store } = await depot();
    let ran = false;
    const body = async () => {
      ran = true;
    };
    for (const bad of [{ isolationLevel: "snapshot" }, { accessMode: "READ ONLY" }, { isolationLevel: "serializable", accessMode: "write" }]) {
      const error = await store.transaction(body, bad as unknown as TransactionOptions).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(bad)).toBeInstanceOf(ConfigurationError);
    }
    expect(ran).toBe(false);
    // The store is not left inside a transaction.
    await store.nodes.Parcel.create({ code: "C-3", grams: 10 }, { id: "p3" });
    expect(await store.nodes.Parcel.count()).toBe(3);
  });

  it("commits at every level and mode that allows writes", async () => {
    const { store } = await depot();
    const levels = ["read_uncommitted", "read_committed", "repeatable_read", "serializable"] as const;
    for (const [i, isolationLevel] of levels.entries()) {
      const made = await store.transaction(
        async (tx) => {
          const p = await tx.nodes.Parcel.create({ code: `L-${i}`, grams: i }, { id: `lvl-${i}` });
          return p.id;
        },
        { isolationLevel, accessMode: i % 2 === 0 ? "read_write" : undefined },
      );
      expect(made).toBe(`lvl-${i}`);
    }
    expect(await store.nodes.Parcel.count()).toBe(6);
    const receipt = await store.transactionWithReceipt(async (tx) => tx.nodes.Parcel.update("p1", { grams: 260 }), { isolationLevel: "serializable" });
    expect(receipt.result.grams).toBe(260);
    expect(receipt.receipt.writes.nodes).toEqual({ Parcel: 1 });
  });

  it("a read-only transaction reads, refuses writes, and leaves the store writable", async () => {
    const { store } = await depot();
    const seen = await store.transaction(
      async (tx) => {
        const heavy = await tx.nodes.Parcel.find({ where: (p) => p.grams.gt(1000) });
        const rows = await tx.query().from("Parcel", "p").select((ctx) => ctx.p.code).execute();
        return [heavy.map((p) => p.id), [...rows].sort()];
      },
      { accessMode: "read_only" },
    );
    expect(seen).toEqual([["p2"], ["A-1", "B-7"]]);

    const refused = await store
      .transaction(
        async (tx) => {
          await tx.nodes.Parcel.create({ code: "X-0", grams: 1 }, { id: "px" });
        },
        { accessMode: "read_only", isolationLevel: "repeatable_read" },
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(refused).toMatchObject({ name: "DatabaseOperationError", code: "DATABASE_OPERATION_ERROR" });
    expect(await store.nodes.Parcel.getById("px")).toBeUndefined();
    // Writable again, in and out of transactions.
    await store.nodes.Parcel.update("p1", { grams: 300 });
    await store.transaction(async (tx) => {
      await tx.nodes.Parcel.create({ code: "D-4", grams: 40 }, { id: "p4" });
    });
    expect((await store.nodes.Parcel.getById("p1"))?.grams).toBe(300);
    expect(await store.nodes.Parcel.count()).toBe(3);
  });

  it("keeps one snapshot while another connection commits", async () => {
    const { store, other } = await depot();
    // SQLite: a read-only transaction holds no write lock, so the other connection can commit.
    // PostgreSQL: repeatable read keeps the first snapshot.
    const options: TransactionOptions = bc.name === "sqlite" ? { accessMode: "read_only" } : { isolationLevel: "repeatable_read" };
    const [before, after] = await store.transaction(async (tx) => {
      const first = await tx.nodes.Parcel.count();
      await other.nodes.Parcel.create({ code: "Z-9", grams: 5 }, { id: "p-late" });
      const second = await tx.nodes.Parcel.count();
      return [first, second];
    }, options);
    expect([before, after]).toEqual([2, 2]);
    expect(await store.nodes.Parcel.count()).toBe(3);
    if (bc.name === "postgres") {
      // At read committed (the default) the same reads see the other connection's commit.
      const [x, y] = await store.transaction(
        async (tx) => {
          const first = await tx.nodes.Parcel.count();
          await other.nodes.Parcel.create({ code: "Z-10", grams: 6 }, { id: "p-later" });
          return [first, await tx.nodes.Parcel.count()];
        },
        { isolationLevel: "read_committed" },
      );
      expect([x, y]).toEqual([3, 4]);
    }
  });
});
