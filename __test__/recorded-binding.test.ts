// Recorded-read bindings, table-name schemas and revision tracking on both backends:
// `createSqlSchema` / `DEFAULT_SQL_SCHEMA` / `recordedRelation` and the `recordedRead` and `schema`
// store options (a store that reads recorded relations another writer captured, without capturing
// itself), `revisionTracking` / `store.revisionNow()` (a revision anchor advanced once per write
// transaction, without recorded rows), the refusals of recorded reads on an unbound store, and
// explicit `clearValidTo` on a backend whose capabilities refuse clearing.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  DEFAULT_SQL_SCHEMA,
  SqlSchema,
  asRecordedInstant,
  createSqlSchema,
  createStore,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  recordedInstantRevision,
  recordedRelation,
  type GraphBackend,
  type RecordedInstant,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Crate = defineNode("Crate", { schema: z.object({ label: z.string(), weight: z.number().optional() }) });
const stacks = defineEdge("stacks", { schema: z.object({ order: z.string() }) });

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

function codeOf(error: unknown): unknown {
  return (error as { details?: { code?: unknown } } | undefined)?.details?.code;
}

describe("table-name schemas", () => {
  it("resolves defaults, patches names and refuses unknown keys", () => {
    expect(DEFAULT_SQL_SCHEMA.tables.nodes).toBe("typegraph_nodes");
    expect(DEFAULT_SQL_SCHEMA.tables.recordedNodes).toBe("typegraph_recorded_nodes");
    const custom = createSqlSchema({ recordedNodes: "audit_nodes", recordedEdges: "audit_edges" });
    expect(custom.tables.recordedNodes).toBe("audit_nodes");
    expect(custom.tables.recordedEdges).toBe("audit_edges");
    expect(custom.tables.nodes).toBe("typegraph_nodes");
    expect(Object.isFrozen(custom)).toBe(true);
    expect(custom).toBeInstanceOf(SqlSchema);
    expect(() => createSqlSchema({ nodez: "x" } as never)).toThrow(ConfigurationError);
    expect(() => recordedRelation({ schema: { tables: DEFAULT_SQL_SCHEMA.tables } as never })).toThrow(ConfigurationError);
    expect(recordedRelation({ schema: custom }).source).toBe("external");
  });
});

describe.each(backends)("recorded-read bindings and revision tracking on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function setup(options: Record<string, unknown> = {}) {
    const graph = defineGraph({
      id: freshGraphId(`rb_${bc.name}`),
      nodes: { Crate: { type: Crate } },
      edges: { stacks: { type: stacks, from: [Crate], to: [Crate] } },
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend, options);
    return { graph, backend, store };
  }

  it("reads recorded relations another store captured, without capturing its own writes", async () => {
    const { graph, backend, store: writer } = await setup({ history: true });
    const a = await writer.nodes.Crate.create({ label: "a1" });
    const b = await writer.nodes.Crate.create({ label: "b1" });
    const edge = await writer.edges.stacks.create(a, b, { order: "first" });
    const r1 = must(await writer.recordedNow());
    await writer.nodes.Crate.update(a.id, { label: "a2" });
    await writer.edges.stacks.update(edge.id, { order: "second" });
    const r2 = must(await writer.recordedNow());

    const reader = createStore(graph, backend, { recordedRead: recordedRelation({ schema: createSqlSchema(backend.tableNames ?? {}) }) });
    expect(reader.historyEnabled).toBe(false);
    expect(reader.recordedReadBound).toBe(true);
    const noClock = await failure(() => reader.recordedNow());
    expect(noClock).toBeInstanceOf(ConfigurationError);
    expect(codeOf(noClock)).toBe("RECORDED_NOW_REQUIRES_HISTORY");
    expect((noClock as Error).message.startsWith("recordedNow() requires a store created with { history: true }")).toBe(true);

    expect((await reader.asOfRecorded(r1).nodes.Crate.getById(a.id))?.label).toBe("a1");
    expect((await reader.asOfRecorded(r2).nodes.Crate.getById(a.id))?.label).toBe("a2");
    expect((await reader.asOfRecorded(r1).edges.stacks.getById(edge.id))?.order).toBe("first");
    const both = await reader.asOfRecorded(r2).edges.stacks.getByIds([edge.id, "nope", edge.id]);
    expect(both.map((e) => e?.order)).toEqual(["second", undefined, "second"]);
    const page = await reader.asOfRecorded(r1).nodes.Crate.scan({ limit: 10 });
    expect(page.data.map((n) => n.label).sort()).toEqual(["a1", "b1"]);
    const rows = await reader
      .asOfRecorded(r1)
      .query()
      .from("Crate", "c")
      .whereNode("c", (c) => c.label.eq("a1"))
      .select((ctx) => ctx.c.label)
      .execute();
    expect(rows).toEqual(["a1"]);

    // The reader's own writes reach the live tables only: the clock and the relation stay put.
    await reader.nodes.Crate.update(a.id, { label: "live only" });
    expect(await writer.recordedNow()).toBe(r2);
    expect((await reader.nodes.Crate.getById(a.id))?.label).toBe("live only");
    expect((await reader.asOfRecorded(r2).nodes.Crate.getById(a.id))?.label).toBe("a2");
  });

  it("refuses recorded reads on a store without a binding, and malformed bindings", async () => {
    const { graph, backend, store } = await setup();
    expect(store.recordedReadBound).toBe(false);
    const at = asRecordedInstant("r1:0000000000000001:2026-01-01T00:00:00.000Z");
    for (const read of [() => store.asOfRecorded(at), () => store.asOf("2026-01-01T00:00:00.000Z").asOfRecorded(at)]) {
      const error = await failure(read);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(codeOf(error)).toBe("ASOF_RECORDED_REQUIRES_BINDING");
      expect((error as Error).message.startsWith("asOfRecorded() requires a recorded read relation")).toBe(true);
    }
    const noClock = await failure(() => store.recordedNow());
    expect(codeOf(noClock)).toBe("RECORDED_NOW_REQUIRES_HISTORY");

    const plain = await failure(() => createStore(graph, backend, { recordedRead: { source: "external", schema: DEFAULT_SQL_SCHEMA } as never }));
    expect(codeOf(plain)).toBe("INVALID_RECORDED_READ_SOURCE");
    const both = await failure(() => createStore(graph, backend, { history: true, recordedRead: recordedRelation({ schema: DEFAULT_SQL_SCHEMA }) }));
    expect(codeOf(both)).toBe("RECORDED_READ_WITH_HISTORY");
    // A divergent recorded relation is refused at the read (this package reads the backend's own).
    const elsewhere = createStore(graph, backend, { recordedRead: recordedRelation({ schema: createSqlSchema({ recordedNodes: "audit_nodes" }) }) });
    expect(codeOf(await failure(() => elsewhere.asOfRecorded(at)))).toBe("RECORDED_READ_TABLES_UNSUPPORTED");
  });

  it("checks a store's schema option against its backend's table names", async () => {
    const { graph, backend } = await setup();
    const same = createStore(graph, backend, { schema: createSqlSchema(backend.tableNames ?? {}) });
    const crate = await same.nodes.Crate.create({ label: "ok" });
    expect((await same.nodes.Crate.getById(crate.id))?.label).toBe("ok");
    expect(codeOf(await failure(() => createStore(graph, backend, { schema: createSqlSchema({ nodes: "other_nodes" }) })))).toBe("SQL_SCHEMA_MISMATCH");
    expect(codeOf(await failure(() => createStore(graph, backend, { schema: { tables: DEFAULT_SQL_SCHEMA.tables } as never })))).toBe("INVALID_SQL_SCHEMA");
  });

  it("advances the revision anchor once per write transaction, not for coalesced replays", async () => {
    const { graph, backend, store } = await setup({ revisionTracking: true, coalesceUnchangedUpserts: true });
    expect(store.revisionTrackingEnabled).toBe(true);
    expect(store.historyEnabled).toBe(false);
    expect(await store.revisionNow()).toBeUndefined();

    await store.nodes.Crate.upsertById("c1", { label: "one" });
    const r1 = must(await store.revisionNow());
    // A byte-identical replay writes nothing and leaves the anchor.
    await store.nodes.Crate.upsertById("c1", { label: "one" });
    expect(await store.revisionNow()).toBe(r1);
    await store.nodes.Crate.bulkUpsertById([{ id: "c1", props: { label: "one" } }]);
    expect(await store.revisionNow()).toBe(r1);

    await store.nodes.Crate.upsertById("c1", { label: "two" });
    const r2a = must(await store.revisionNow());
    expect(recordedInstantRevision(r2a)).toBe(recordedInstantRevision(r1) + 1);

    // Edge upserts: a change advances the anchor, a replay does not.
    await store.nodes.Crate.upsertById("c2", { label: "other" });
    const from = { kind: "Crate" as const, id: "c1" };
    const to = { kind: "Crate" as const, id: "c2" };
    await store.edges.stacks.bulkUpsertById([{ id: "s1", from, to, props: { order: "a" } }]);
    const e1 = must(await store.revisionNow());
    expect(recordedInstantRevision(e1)).toBe(recordedInstantRevision(r2a) + 2);
    await store.edges.stacks.bulkUpsertById([{ id: "s1", from, to, props: { order: "a" } }]);
    expect(await store.revisionNow()).toBe(e1);
    await store.edges.stacks.bulkUpsertById([{ id: "s1", from, to, props: { order: "b" } }]);
    const r2 = must(await store.revisionNow());
    expect(recordedInstantRevision(r2)).toBe(recordedInstantRevision(e1) + 1);

    // Several writes in one transaction: one revision.
    await store.transaction(async (tx) => {
      expect((tx as unknown as { sqlAvailability?: string }).sqlAvailability).toBe("revisionTracking");
      const x = await tx.nodes.Crate.create({ label: "x" });
      const y = await tx.nodes.Crate.create({ label: "y" });
      await tx.edges.stacks.create(x, y, { order: "z" });
    });
    const r3 = must(await store.revisionNow());
    expect(recordedInstantRevision(r3)).toBe(recordedInstantRevision(r2) + 1);

    // A rolled-back transaction takes nothing.
    await failure(() =>
      store.transaction(async (tx) => {
        await tx.nodes.Crate.create({ label: "gone" });
        throw new Error("abort");
      }),
    );
    expect(await store.revisionNow()).toBe(r3);

    // No recorded rows: the anchor is not a recorded relation, and an untracked store sees no anchor.
    const plain = createStore(graph, backend);
    expect(plain.revisionTrackingEnabled).toBe(false);
    expect(await plain.revisionNow()).toBeUndefined();
    await plain.nodes.Crate.create({ label: "untracked" });
    expect(await store.revisionNow()).toBe(r3);
    const reader = createStore(graph, backend, { recordedRead: recordedRelation({ schema: DEFAULT_SQL_SCHEMA }) });
    if (backend.tableNames?.recordedNodes === DEFAULT_SQL_SCHEMA.tables.recordedNodes) {
      expect(await reader.asOfRecorded(r3).nodes.Crate.getById("c1")).toBeUndefined();
    }
  });

  it("a history store's revision anchor is its recorded clock", async () => {
    const { store } = await setup({ history: true });
    expect(store.revisionTrackingEnabled).toBe(true);
    await store.nodes.Crate.create({ label: "h" });
    expect(await store.revisionNow()).toBe(await store.recordedNow());
  });

  it("refuses an explicit clearValidTo on a backend whose capabilities do not promise clearing", async () => {
    const { graph, backend } = await setup();
    const end = "2999-01-01T00:00:00.000Z";
    const refusing = new Proxy(backend, {
      get: (target, key) => {
        if (key === "capabilities") return { ...target.capabilities, clearValidTo: false };
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    expect(backend.capabilities.clearValidTo).toBe(true);
    const store = createStore(graph, refusing, { coalesceUnchangedUpserts: true });
    const ended = await store.nodes.Crate.create({ label: "e" }, { validTo: end });
    const refused = await failure(() => store.nodes.Crate.update(ended.id, {}, { clearValidTo: true }));
    expect(refused).toBeInstanceOf(ConfigurationError);
    expect(codeOf(refused)).toBe("CLEAR_VALID_TO_UNSUPPORTED");
    expect((await store.nodes.Crate.getById(ended.id, { temporalMode: "includeEnded" }))?.meta.validTo).toBe(end);
    const openNode = await store.nodes.Crate.create({ label: "o" });
    expect(codeOf(await failure(() => store.nodes.Crate.upsertById(openNode.id, { label: "o" }, { clearValidTo: true })))).toBe("CLEAR_VALID_TO_UNSUPPORTED");
    expect(codeOf(await failure(() => store.nodes.Crate.bulkUpsertById([{ id: openNode.id, props: { label: "o" }, clearValidTo: true }])))).toBe("CLEAR_VALID_TO_UNSUPPORTED");
    const a = await store.nodes.Crate.create({ label: "a" });
    const edge = await store.edges.stacks.create(a, openNode, { order: "1" }, { validTo: end });
    expect(codeOf(await failure(() => store.edges.stacks.update(edge.id, {}, { clearValidTo: true })))).toBe("CLEAR_VALID_TO_UNSUPPORTED");
    // Writes without the option go through, and the package's own backend clears.
    await store.nodes.Crate.update(ended.id, { label: "e2" });
    const own = createStore(graph, backend);
    const cleared = await own.nodes.Crate.update(ended.id, {}, { clearValidTo: true });
    expect(cleared.meta.validTo).toBeUndefined();
  });
});
