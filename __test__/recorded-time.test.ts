// Recorded (system) time on both backends: a store created with `history: true` captures every
// committed collection write into the recorded relations at one revision per transaction, and
// `store.asOfRecorded(R)` / `store.asOf(T).asOfRecorded(R)` read the graph as it was recorded at R
// (point reads and id-ordered scans; broad reads refused). Also the anchor helpers and guard codes.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  RECORDED_CAPTURE_GUARD_CODES,
  RecordedStoreView,
  ValidationError,
  asRecordedInstant,
  compareRecordedInstants,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  isRecordedCaptureGuardError,
  recordedInstantRevision,
  recordedInstantWallTime,
  type GraphBackend,
  type RecordedInstant,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Ledger = defineNode("Ledger", { schema: z.object({ title: z.string(), balance: z.number() }) });
const Clerk = defineNode("Clerk", { schema: z.object({ name: z.string() }) });
const audits = defineEdge("audits", { schema: z.object({ note: z.string() }) });

async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

function must(instant: RecordedInstant | undefined): RecordedInstant {
  if (instant === undefined) throw new Error("expected a recorded instant");
  return instant;
}

describe("recorded instants", () => {
  it("brands, splits and orders canonical anchors", () => {
    const early = asRecordedInstant("r1:0000000000000007:2023-04-05T06:07:08.009Z");
    const late = asRecordedInstant("r1:0000000000000012:2023-04-05T06:07:08.009Z");
    expect(recordedInstantRevision(early)).toBe(7);
    expect(recordedInstantWallTime(late)).toBe("2023-04-05T06:07:08.009Z");
    expect(compareRecordedInstants(early, late)).toBe(-1);
    expect(compareRecordedInstants(late, early)).toBe(1);
    expect(compareRecordedInstants(early, early)).toBe(0);
  });

  it("refuses malformed anchors with a ValidationError", () => {
    for (const bad of ["2023-04-05T06:07:08.009Z", "r1:7:2023-04-05T06:07:08.009Z", "r1:0000000000000000:2023-04-05T06:07:08.009Z", "r2:0000000000000001:2023-04-05T06:07:08.009Z", "r1:0000000000000001:2023-02-30T00:00:00.000Z"]) {
      expect(() => asRecordedInstant(bad)).toThrow(ValidationError);
    }
  });

  it("names the guard codes and recognises guard errors only", () => {
    expect(RECORDED_CAPTURE_GUARD_CODES).toContain("RECORDED_CAPTURE_RAW_SQL_DISABLED");
    const guard = new ConfigurationError("raw sql refused", { code: "RECORDED_CAPTURE_RAW_SQL_DISABLED" });
    expect(isRecordedCaptureGuardError(guard)).toBe(true);
    expect(isRecordedCaptureGuardError(guard, "RECORDED_CAPTURE_RAW_SQL_DISABLED")).toBe(true);
    expect(isRecordedCaptureGuardError(guard, "REVISION_TRACKING_RAW_SQL_DISABLED")).toBe(false);
    expect(isRecordedCaptureGuardError(new ConfigurationError("other", { code: "SOMETHING_ELSE" }))).toBe(false);
    expect(isRecordedCaptureGuardError(new Error("plain"))).toBe(false);
  });
});

describe.each(backends)("recorded time on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function books(history = true) {
    const graph = defineGraph({
      id: freshGraphId(`rt_${bc.name}`),
      nodes: { Ledger: { type: Ledger }, Clerk: { type: Clerk, onDelete: "cascade" } },
      edges: { audits: { type: audits, from: [Clerk], to: [Ledger] } },
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend, { history });
    return store;
  }

  it("gives one strictly increasing revision per committed write and reads each state back", async () => {
    const store = await books();
    expect(store.historyEnabled).toBe(true);
    expect(await store.recordedNow()).toBeUndefined();
    const ledger = await store.nodes.Ledger.create({ title: "Petty cash", balance: 10 });
    const r1 = must(await store.recordedNow());
    await store.nodes.Ledger.update(ledger.id, { balance: 25 });
    const r2 = must(await store.recordedNow());
    await store.nodes.Ledger.delete(ledger.id);
    const r3 = must(await store.recordedNow());
    expect(recordedInstantRevision(r2)).toBe(recordedInstantRevision(r1) + 1);
    expect(recordedInstantRevision(r3)).toBe(recordedInstantRevision(r2) + 1);
    expect(recordedInstantWallTime(r3) >= recordedInstantWallTime(r1)).toBe(true);

    const at1 = store.asOfRecorded(r1);
    expect(at1).toBeInstanceOf(RecordedStoreView);
    expect((await at1.nodes.Ledger.getById(ledger.id))?.balance).toBe(10);
    expect((await store.asOfRecorded(r2).nodes.Ledger.getById(ledger.id))?.balance).toBe(25);
    expect(await store.asOfRecorded(r3).nodes.Ledger.getById(ledger.id)).toBeUndefined();
    // The soft-deleted row stays reconstructible as a tombstone.
    const tomb = await store.view({ mode: "includeTombstones" }).asOfRecorded(r3).nodes.Ledger.getById(ledger.id);
    expect(tomb?.meta.deletedAt).toBeDefined();
    expect(tomb?.balance).toBe(25);
  });

  it("records a transaction at one revision with its net transition", async () => {
    const store = await books();
    const before = await store.nodes.Ledger.create({ title: "Before", balance: 1 });
    const r0 = must(await store.recordedNow());
    let kept = "";
    let dropped = "";
    await store.transaction(async (tx) => {
      const a = await tx.nodes.Ledger.create({ title: "Kept", balance: 2 });
      await tx.nodes.Ledger.update(a.id, { balance: 3 });
      const b = await tx.nodes.Ledger.create({ title: "Dropped", balance: 4 });
      await tx.nodes.Ledger.hardDelete(b.id);
      await tx.nodes.Ledger.update(before.id, { balance: 5 });
      kept = a.id;
      dropped = b.id;
    });
    const r1 = must(await store.recordedNow());
    expect(recordedInstantRevision(r1)).toBe(recordedInstantRevision(r0) + 1);
    const view = store.asOfRecorded(r1);
    expect((await view.nodes.Ledger.getById(kept))?.balance).toBe(3);
    expect(await view.nodes.Ledger.getById(dropped)).toBeUndefined();
    expect((await view.nodes.Ledger.getById(before.id))?.balance).toBe(5);
    expect((await store.asOfRecorded(r0).nodes.Ledger.getById(before.id))?.balance).toBe(1);
    expect(await store.asOfRecorded(r0).nodes.Ledger.getById(kept)).toBeUndefined();
  });

  it("takes nothing from a rolled-back transaction", async () => {
    const store = await books();
    await store.nodes.Ledger.create({ title: "Base", balance: 0 });
    const r0 = must(await store.recordedNow());
    const outcome = await failure(() =>
      store.transaction(async (tx) => {
        await tx.nodes.Ledger.create({ title: "Ghost", balance: 9 });
        throw new Error("abandon");
      }),
    );
    expect((outcome as Error).message).toBe("abandon");
    expect(await store.recordedNow()).toBe(r0);
    await store.nodes.Ledger.create({ title: "Next", balance: 1 });
    expect(recordedInstantRevision(must(await store.recordedNow()))).toBe(recordedInstantRevision(r0) + 1);
  });

  it("captures edges, bulk writes and cascading deletes", async () => {
    const store = await books();
    const [ada, bo] = await store.nodes.Clerk.bulkCreate([{ props: { name: "Ada" } }, { props: { name: "Bo" } }]);
    const ledgers = await store.nodes.Ledger.bulkCreate([{ props: { title: "L1", balance: 1 } }, { props: { title: "L2", balance: 2 } }]);
    const e1 = await store.edges.audits.create({ kind: "Clerk", id: ada!.id }, { kind: "Ledger", id: ledgers[0]!.id }, { note: "q1" });
    const e2 = await store.edges.audits.create({ kind: "Clerk", id: bo!.id }, { kind: "Ledger", id: ledgers[1]!.id }, { note: "q2" });
    const withEdges = must(await store.recordedNow());
    await store.nodes.Clerk.delete(ada!.id);
    const afterCascade = must(await store.recordedNow());
    await store.edges.audits.hardDelete(e2.id);
    const afterHard = must(await store.recordedNow());

    const then = store.asOfRecorded(withEdges);
    expect((await then.edges.audits.getByIds([e1.id, e2.id])).map((e) => e?.note)).toEqual(["q1", "q2"]);
    expect((await then.nodes.Clerk.getByIds([ada!.id, bo!.id])).map((c) => c?.name)).toEqual(["Ada", "Bo"]);
    const cascaded = store.asOfRecorded(afterCascade);
    expect(await cascaded.nodes.Clerk.getById(ada!.id)).toBeUndefined();
    expect(await cascaded.edges.audits.getById(e1.id)).toBeUndefined();
    expect((await cascaded.edges.audits.getById(e2.id))?.note).toBe("q2");
    expect(await store.asOfRecorded(afterHard).edges.audits.getById(e2.id)).toBeUndefined();
    expect(compareRecordedInstants(withEdges, afterHard)).toBe(-1);
  });

  it("scans a recorded kind in id order, page by page, with cursors bound to the view", async () => {
    const store = await books();
    const ids = ["c-05", "c-01", "c-04", "c-02", "c-03"];
    await store.nodes.Clerk.bulkCreate(ids.map((id) => ({ id, props: { name: id.toUpperCase() } })));
    const r = must(await store.recordedNow());
    await store.nodes.Clerk.create({ name: "Late" }, { id: "c-00" });
    const view = store.asOfRecorded(r);
    const first = await view.nodes.Clerk.scan({ limit: 2 });
    expect(first.data.map((c) => c.id)).toEqual(["c-01", "c-02"]);
    expect(first.hasNextPage).toBe(true);
    const second = await view.nodes.Clerk.scan({ limit: 2, after: first.nextCursor });
    expect(second.data.map((c) => c.id)).toEqual(["c-03", "c-04"]);
    const third = await view.nodes.Clerk.scan({ limit: 2, after: second.nextCursor });
    expect(third.data.map((c) => c.id)).toEqual(["c-05"]);
    expect(third.hasNextPage).toBe(false);
    expect(third.nextCursor).toBeUndefined();
    expect(await failure(() => view.nodes.Ledger.scan({ after: first.nextCursor }))).toBeInstanceOf(ValidationError);
    expect(await failure(() => view.nodes.Clerk.scan({ limit: 1001 }))).toBeInstanceOf(ValidationError);
    expect(await failure(() => view.nodes.Clerk.scan({ limit: 0 }))).toBeInstanceOf(ValidationError);
    // The present sees the late clerk, the recorded instant does not.
    expect((await store.asOfRecorded(must(await store.recordedNow())).nodes.Clerk.scan()).data.map((c) => c.id)[0]).toBe("c-00");
  });

  it("reads valid time at its own coordinate when chained from a valid-time view", async () => {
    const store = await books();
    const ledger = await store.nodes.Ledger.create({ title: "Dated", balance: 7 }, { validFrom: "2020-01-01T00:00:00.000Z", validTo: "2021-01-01T00:00:00.000Z" });
    const r = must(await store.recordedNow());
    // Diagonal: valid time at the anchor's wall time, after the window ended.
    expect(await store.asOfRecorded(r).nodes.Ledger.getById(ledger.id)).toBeUndefined();
    expect((await store.asOf("2020-06-01T00:00:00.000Z").asOfRecorded(r).nodes.Ledger.getById(ledger.id))?.balance).toBe(7);
    expect(await store.asOf("2019-06-01T00:00:00.000Z").asOfRecorded(r).nodes.Ledger.getById(ledger.id)).toBeUndefined();
  });

  it("runs queries over the recorded relations at the view's instant", async () => {
    const store = await books();
    const ada = await store.nodes.Clerk.create({ name: "Ada" });
    const first = await store.nodes.Ledger.create({ title: "L1", balance: 5 });
    await store.edges.audits.create({ kind: "Clerk", id: ada.id }, { kind: "Ledger", id: first.id }, { note: "first" });
    const r1 = must(await store.recordedNow());
    await store.nodes.Ledger.update(first.id, { balance: 50 });
    const second = await store.nodes.Ledger.create({ title: "L2", balance: 6 });
    await store.edges.audits.create({ kind: "Clerk", id: ada.id }, { kind: "Ledger", id: second.id }, { note: "second" });
    const r2 = must(await store.recordedNow());
    const audited = (at: RecordedInstant) =>
      store
        .asOfRecorded(at)
        .query()
        .from("Clerk", "c")
        .traverse("audits", "a")
        .to("Ledger", "l")
        .select((ctx) => ({ title: ctx.l.title, balance: ctx.l.balance, note: ctx.a.note }))
        .execute();
    expect(await audited(r1)).toEqual([{ title: "L1", balance: 5, note: "first" }]);
    const later = [...(await audited(r2))].sort((a, b) => a.title.localeCompare(b.title));
    expect(later).toEqual([
      { title: "L1", balance: 50, note: "first" },
      { title: "L2", balance: 6, note: "second" },
    ]);
    const rich = (at: RecordedInstant) =>
      store
        .asOfRecorded(at)
        .query()
        .from("Ledger", "l")
        .whereNode("l", (l) => l.balance.gt(10))
        .select((ctx) => ctx.l.title)
        .execute();
    expect(await rich(r1)).toEqual([]);
    expect(await rich(r2)).toEqual(["L1"]);
    // The recorded query's coordinate is sealed.
    expect(() => (store.asOfRecorded(r1).query() as unknown as { temporal(mode: string): unknown }).temporal("current")).toThrow(ConfigurationError);
    // The live store is untouched by recorded reads.
    expect((await store.nodes.Ledger.getById(first.id))?.balance).toBe(50);
  });

  it("stores intervals and net operations in upstream's recorded layout", async () => {
    const store = await books();
    const raw = store.backend as unknown as { query(sql: string, params: unknown[]): unknown[][] | Promise<unknown[][]> };
    const ph = (i: number) => (bc.name === "postgres" ? `$${i}` : "?");
    const history = async (id: string) =>
      (await raw.query(
        `SELECT op, recorded_from, recorded_to FROM typegraph_recorded_nodes WHERE graph_id = ${ph(1)} AND id = ${ph(2)} ORDER BY recorded_from`,
        [store.graphId, id],
      )).map((r) => [r[0], Number(r[1]), Number(r[2])]);
    const ledger = await store.nodes.Ledger.create({ title: "Ops", balance: 1 });
    const r1 = recordedInstantRevision(must(await store.recordedNow()));
    await store.transaction(async (tx) => {
      await tx.nodes.Ledger.update(ledger.id, { balance: 2 });
      await tx.nodes.Ledger.update(ledger.id, { balance: 3 });
    });
    const r2 = recordedInstantRevision(must(await store.recordedNow()));
    await store.nodes.Ledger.delete(ledger.id);
    const r3 = recordedInstantRevision(must(await store.recordedNow()));
    const open = Number.MAX_SAFE_INTEGER;
    expect(await history(ledger.id)).toEqual([
      ["create", r1, r2],
      ["update", r2, r3],
      ["delete", r3, open],
    ]);
    const clock = await raw.query(`SELECT revision FROM typegraph_recorded_clock WHERE graph_id = ${ph(1)}`, [store.graphId]);
    expect(Number(clock[0]![0])).toBe(r3);
    // A write that failed leaves no history and takes no revision.
    expect(await failure(() => store.nodes.Ledger.update("no-such-ledger", { balance: 0 }))).toBeInstanceOf(Error);
    expect(recordedInstantRevision(must(await store.recordedNow()))).toBe(r3);
  });

  it("refuses raw SQL inside a history store's transaction with a guard error", async () => {
    const store = await books();
    let refused: unknown;
    let availability: unknown;
    await store.transaction(async (tx) => {
      refused = await failure(() => (tx as unknown as { sql: unknown }).sql);
      availability = (tx as unknown as { sqlAvailability?: unknown }).sqlAvailability;
      await tx.nodes.Ledger.create({ title: "Still written", balance: 1 });
    });
    expect(isRecordedCaptureGuardError(refused, "RECORDED_CAPTURE_RAW_SQL_DISABLED")).toBe(true);
    expect(availability).toBe("history");
    expect((await store.nodes.Ledger.find()).map((l) => l.title)).toEqual(["Still written"]);
  });

  it("refuses broad reads and search on a recorded view, and recorded reads without history", async () => {
    const store = await books();
    await store.nodes.Ledger.create({ title: "Any", balance: 0 });
    const view = store.asOfRecorded(must(await store.recordedNow())) as unknown as {
      nodes: { Ledger: { find(): Promise<unknown>; count(): Promise<unknown> } };
      search: unknown;
    };
    expect(() => view.nodes.Ledger.find()).toThrow(ConfigurationError);
    expect(() => view.nodes.Ledger.count()).toThrow(ConfigurationError);
    expect(() => view.search).toThrow(ConfigurationError);
    expect(() => store.asOfRecorded("2024-01-01T00:00:00.000Z" as RecordedInstant)).toThrow(ValidationError);

    const plain = await books(false);
    expect(plain.historyEnabled).toBe(false);
    expect(await failure(() => plain.recordedNow())).toBeInstanceOf(ConfigurationError);
    await plain.nodes.Ledger.create({ title: "Unrecorded", balance: 0 });
    expect(() => plain.asOfRecorded(asRecordedInstant("r1:0000000000000001:2024-01-01T00:00:00.000Z"))).toThrow(ConfigurationError);
  });
});

describe("recorded time over a database without the recorded relations (sqlite)", () => {
  it("names the missing relations in a ConfigurationError", async () => {
    const graph = defineGraph({ id: freshGraphId("rt_missing"), nodes: { Ledger: { type: Ledger } }, edges: {} });
    const backend = backends[0]!.make(graph.id);
    try {
      const [store] = await createStoreWithSchema(graph, backend, { history: true });
      (backend as unknown as { exec(sql: string): void }).exec(
        "DROP TABLE typegraph_recorded_edges; DROP TABLE typegraph_recorded_nodes; DROP TABLE typegraph_recorded_clock;",
      );
      const write = await failure(() => store.nodes.Ledger.create({ title: "Nowhere", balance: 0 }));
      expect(write).toBeInstanceOf(ConfigurationError);
      expect((write as Error).message).toContain("history: true requires the recorded-time relations to exist");
      // Nothing was written: the live row went with the failed capture.
      expect(await store.nodes.Ledger.count()).toBe(0);
      expect(await failure(() => store.recordedNow())).toBeInstanceOf(ConfigurationError);
    } finally {
      await backend.close();
    }
  });
});
