// Contribution health on SQLite and PostgreSQL: `store.verifyContributions()`,
// `probeContributions()`, `repairContributions()`, `rebuildContribution()` and the backend's
// marker members, against upstream's troubleshooting page (the probe → repair → rebuild ladder).
// Every test runs on a database of its own, because these tests drop the fulltext table, which
// every graph shares: a fresh file on SQLite; on PostgreSQL a fresh schema first on the
// search_path and a fulltext table of its own name (an unqualified name would otherwise still
// find the default table in `public`, which the search_path keeps for pgvector).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ContributionRebuildUnsupportedError,
  ContributionUnavailableError,
  createStoreWithSchema,
  defineGraph,
  defineNode,
  embedding,
  resolveGraphVectorSlots,
  searchable,
  type GraphBackend,
  type Store,
} from "../dist/index.js";
import { createLocalSqliteBackend } from "../dist/sqlite-local.js";
import { createPostgresBackend, createPostgresTables } from "../dist/postgres.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshGraphId } from "./backends.js";

const Doc = defineNode("Doc", { schema: z.object({ title: searchable(), vec: embedding(3).optional() }) });
const Note = defineNode("Note", { schema: z.object({ body: searchable() }) });
const docGraph = (id: string) => defineGraph({ id, nodes: { Doc }, edges: {} });
const noteGraph = (id: string) => defineGraph({ id, nodes: { Note }, edges: {} });

const dir = mkdtempSync(join(tmpdir(), "tg-ctrb-"));
const url = process.env.DATABASE_URL;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStore = Store<any>;
type Raw = GraphBackend & { query(sql: string, params?: unknown[]): unknown[][] | Promise<unknown[][]> };

interface Lane {
  name: "sqlite" | "postgres";
  /** A fresh, empty database; every call of `open` reaches the same one. */
  fresh(): Promise<{ open(): GraphBackend }>;
}

let admin: GraphBackend | undefined;
const schemas: string[] = [];
let counter = 0;
const lanes: Lane[] = [
  {
    name: "sqlite",
    async fresh() {
      const path = join(dir, `db${++counter}.db`);
      return { open: () => createLocalSqliteBackend({ path }).backend };
    },
  },
  ...(url
    ? [
        {
          name: "postgres" as const,
          async fresh() {
            admin ??= createPostgresBackend(url);
            const schema = `tgctrb_${process.pid}_${Date.now().toString(36)}_${++counter}`;
            await admin.executeDdl!(`CREATE SCHEMA ${schema}`);
            schemas.push(schema);
            const u = new URL(url);
            u.searchParams.set("options", `-c search_path=${schema},public`);
            const scoped = u.toString();
            const tables = createPostgresTables({ fulltext: `${schema}_fulltext` });
            return { open: () => createPostgresBackend(scoped, { tables }) };
          },
        },
      ]
    : []),
];

afterAll(async () => {
  for (const s of schemas.splice(0)) await admin?.executeDdl!(`DROP SCHEMA ${s} CASCADE`);
  await admin?.close();
});

describe.each(lanes)("contribution health on $name", (lane) => {
  const opened: GraphBackend[] = [];
  afterEach(async () => {
    for (const b of opened.splice(0)) await b.close();
  });

  async function setup() {
    const db = await lane.fresh();
    const backend = db.open();
    opened.push(backend);
    const graph = docGraph(freshGraphId(`ctrb_${lane.name}`));
    const [store] = await createStoreWithSchema(graph, backend);
    const fulltext = backend.fulltextStrategy!.ownedTables(backend.tableNames!.fulltext)[0]!;
    const slot = resolveGraphVectorSlots(graph).find((s) => s.nodeKind === "Doc" && s.fieldPath === "vec")!;
    const vector = backend.vectorStrategy!.ownedTables(slot)[0]!;
    const countRows = async (graphId: string = graph.id) => {
      const rows = await (backend as Raw).query(`SELECT COUNT(*) FROM ${fulltext.tableName} WHERE graph_id = ${lane.name === "sqlite" ? "?" : "$1"}`, [graphId]);
      return Number(rows[0]![0]);
    };
    const marker = (c: { logicalName: string; owner: string; tableName: string }) =>
      backend.getContributionMaterialization!({ graphId: graph.id, logicalName: c.logicalName, owner: c.owner, tableName: c.tableName });
    return { db, backend, graph, store: store as AnyStore, fulltext, vector, slot, countRows, marker };
  }
  const hitIds = async (store: AnyStore, kind: string, query: string) => (await store.search.fulltext(kind, { query, limit: 10 })).map((h: { node: { id: string } }) => h.node.id).sort();

  it("a freshly initialized store is healthy on every rung: nothing to report, both projections ready, nothing to repair", async () => {
    const { store, backend, fulltext, vector, marker } = await setup();
    expect(backend.capabilities.contributions).toEqual({ supported: true, probe: true, rebuild: true });
    expect(fulltext).toMatchObject({ logicalName: "fulltext", owner: lane.name === "sqlite" ? "fts5" : "tsvector", tableName: backend.tableNames!.fulltext });
    expect(fulltext.dropDdl?.length).toBeGreaterThan(0);
    expect(vector.logicalName).toBe("vector:Doc.vec");
    expect(vector.tableName).toBe(backend.vectorStrategy!.tableName(store.graphId, "Doc", "vec"));
    // Boot stamped both markers at the signatures the strategies' DDL hashes to.
    expect((await marker(fulltext))?.materializedAt).toBeDefined();
    expect((await marker(vector))?.lastError).toBeUndefined();
    expect(await store.verifyContributions()).toEqual([]);
    expect(await store.probeContributions()).toEqual({
      entries: [
        { contribution: "fulltext", state: "ready" },
        { contribution: "vector", state: "ready" },
      ],
    });
    expect(await store.repairContributions()).toEqual({ results: [], remaining: [] });
  });

  it("a dropped fulltext table is orphaned-marker: writes and searches refuse typed, repair defers, rebuild restores the content", async () => {
    const { store, backend, fulltext, countRows } = await setup();
    const kept = await store.nodes.Doc.create({ title: "ladder survivor" });
    await backend.executeDdl!(`DROP TABLE ${fulltext.tableName}`);

    const diagnostics = await store.verifyContributions();
    expect(diagnostics).toEqual([{ owner: fulltext.owner, logicalName: "fulltext", physicalName: fulltext.tableName, state: "orphaned-marker" }]);
    // Read-only: asking twice gives the same answer.
    expect(await store.verifyContributions()).toEqual(diagnostics);

    const write = await store.nodes.Doc.create({ title: "refused" }, { id: "refused-doc" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(write).toBeInstanceOf(ContributionUnavailableError);
    expect(write).toMatchObject({
      code: "CONTRIBUTION_UNAVAILABLE",
      details: { graphId: store.graphId, logicalName: "fulltext", physicalName: fulltext.tableName, state: "physical-storage-missing" },
    });
    expect((write as Error).cause).toBeDefined();
    // The node insert rolled back with the refused document.
    expect(await store.nodes.Doc.getById("refused-doc")).toBeUndefined();
    await expect(store.search.fulltext("Doc", { query: "ladder", limit: 5 })).rejects.toBeInstanceOf(ContributionUnavailableError);

    const probe = await store.probeContributions();
    expect(probe.entries[0]).toMatchObject({ contribution: "fulltext", state: "degraded" });
    expect(probe.entries[0]!.detail).toContain(fulltext.tableName);
    expect(probe.entries[0]!.detail).toContain("orphaned-marker");
    expect(probe.entries[1]).toEqual({ contribution: "vector", state: "ready" });

    const repair = await store.repairContributions();
    expect(repair.results).toEqual([{ diagnostic: diagnostics[0], status: "requires-rebuild" }]);
    expect(repair.remaining).toEqual(diagnostics);

    const rebuilt = await store.rebuildContribution("fulltext");
    expect(rebuilt).toEqual({ rebuilt: [fulltext.tableName], processed: 1, repopulated: 1, skipped: 0 });
    expect(await countRows()).toBe(1);
    expect(await store.verifyContributions()).toEqual([]);
    expect((await store.probeContributions()).entries[0]).toEqual({ contribution: "fulltext", state: "ready" });
    expect(await hitIds(store, "Doc", "survivor")).toEqual([kept.id]);
    // And the table takes writes again.
    const later = await store.nodes.Doc.create({ title: "after the rebuild" });
    expect(await hitIds(store, "Doc", "rebuild")).toEqual([later.id]);
  });

  it("a marker recording a failed attempt over an intact table is missing-marker, and repair re-stamps it without touching the rows", async () => {
    const { store, backend, fulltext, countRows, marker } = await setup();
    await store.nodes.Doc.create({ title: "bookkeeping only" });
    const before = (await marker(fulltext))!;
    await backend.recordContributionMaterialization!({
      graphId: store.graphId,
      logicalName: fulltext.logicalName,
      owner: fulltext.owner,
      tableName: fulltext.tableName,
      signature: before.signature,
      attemptedAt: new Date().toISOString(),
      error: "simulated failure",
    });
    // Without `materializedAt` the earlier success's instant is kept; the error makes it non-attesting.
    expect(await marker(fulltext)).toMatchObject({ materializedAt: before.materializedAt, lastError: "simulated failure" });
    expect(await store.verifyContributions()).toEqual([
      { owner: fulltext.owner, logicalName: "fulltext", physicalName: fulltext.tableName, state: "missing-marker", lastError: "simulated failure" },
    ]);
    expect((await store.probeContributions()).entries[0]!.detail).toContain("missing-marker");

    const repair = await store.repairContributions();
    expect(repair).toMatchObject({ results: [{ status: "repaired", diagnostic: { state: "missing-marker" } }], remaining: [] });
    expect(await countRows()).toBe(1);
    const after = (await marker(fulltext))!;
    expect(after.lastError).toBeUndefined();
    expect(after.signature).toBe(before.signature);
    expect(await store.repairContributions()).toEqual({ results: [], remaining: [] });
    expect(await hitIds(store, "Doc", "bookkeeping")).toHaveLength(1);
  });

  it("a deleted vector marker is missing-marker with the slot's coordinates; with its table gone and a recorded error it is failed-materialization; repair settles both", async () => {
    const { store, backend, vector, slot, marker } = await setup();
    await store.nodes.Doc.create({ title: "vector doc", vec: [1, 0, 0] }, { id: "v1" });
    await backend.deleteVectorSlotContribution!(slot);
    expect(await marker(vector)).toBeUndefined();
    expect(await store.verifyContributions()).toEqual([
      { owner: vector.owner, logicalName: vector.logicalName, physicalName: vector.tableName, kind: "Doc", fieldPath: "vec", state: "missing-marker" },
    ]);
    const probe = await store.probeContributions();
    expect(probe.entries[1]).toMatchObject({ contribution: "vector", state: "degraded" });
    expect(probe.entries[1]!.detail).toContain("Doc.vec");
    expect(probe.entries[0]).toEqual({ contribution: "fulltext", state: "ready" });

    expect((await store.repairContributions()).remaining).toEqual([]);
    expect((await marker(vector))?.materializedAt).toBeDefined();
    const hits = await store.search.vector("Doc", { fieldPath: "vec", queryEmbedding: [1, 0, 0], limit: 5 });
    expect(hits.map((h: { node: { id: string } }) => h.node.id)).toEqual(["v1"]);

    // A first attempt that failed and left nothing behind.
    await backend.deleteVectorSlotContribution!(slot);
    await backend.executeDdl!(`DROP TABLE ${vector.tableName}`);
    await backend.recordContributionMaterialization!({
      graphId: store.graphId,
      logicalName: vector.logicalName,
      owner: vector.owner,
      tableName: vector.tableName,
      signature: "0000",
      attemptedAt: new Date().toISOString(),
      error: "extension missing",
    });
    expect(await store.verifyContributions()).toEqual([
      { owner: vector.owner, logicalName: vector.logicalName, physicalName: vector.tableName, kind: "Doc", fieldPath: "vec", state: "failed-materialization", lastError: "extension missing" },
    ]);
    const repaired = await store.repairContributions();
    expect(repaired.results.map((r) => r.status)).toEqual(["repaired"]);
    expect(repaired.remaining).toEqual([]);
    // The recreated table is empty (its vectors went with the drop) and takes new ones.
    await store.nodes.Doc.create({ title: "second vector doc", vec: [0, 1, 0] }, { id: "v2" });
    const after = await store.search.vector("Doc", { fieldPath: "vec", queryEmbedding: [0, 1, 0], limit: 5 });
    expect(after.map((h: { node: { id: string } }) => h.node.id)).toEqual(["v2"]);
  });

  it("a signature drift is stale: repair leaves it (and the rows) alone, rebuild recreates the table and stamps the marker outright", async () => {
    const { store, backend, fulltext, countRows, marker } = await setup();
    const doc = await store.nodes.Doc.create({ title: "reconstructed from nodes" });
    await backend.recordContributionMaterialization!({
      graphId: store.graphId,
      logicalName: fulltext.logicalName,
      owner: fulltext.owner,
      tableName: fulltext.tableName,
      signature: "0000000000000000",
      attemptedAt: new Date().toISOString(),
      materializedAt: "2020-01-02T03:04:05.000Z",
    });
    expect((await store.verifyContributions()).map((d) => d.state)).toEqual(["stale"]);
    const repair = await store.repairContributions();
    expect(repair.results).toMatchObject([{ status: "requires-rebuild", diagnostic: { state: "stale" } }]);
    expect(await countRows()).toBe(1);
    expect((await marker(fulltext))?.signature).toBe("0000000000000000");

    const result = await store.rebuildContribution("fulltext", { pageSize: 1 });
    expect(result).toEqual({ rebuilt: [fulltext.tableName], processed: 1, repopulated: 1, skipped: 0 });
    const stamped = (await marker(fulltext))!;
    expect(stamped.signature).not.toBe("0000000000000000");
    expect(stamped.materializedAt).not.toBe("2020-01-02T03:04:05.000Z");
    expect(stamped.lastError).toBeUndefined();
    expect(await store.verifyContributions()).toEqual([]);
    expect(await hitIds(store, "Doc", "reconstructed")).toEqual([doc.id]);
  });

  it("vector storage is never rebuilt, and a failing refill rolls the whole rebuild back", async () => {
    const { store, backend, fulltext, countRows, marker } = await setup();
    const doc = await store.nodes.Doc.create({ title: "atomic rebuild" });
    const before = await store.probeContributions();
    const refused = await store.rebuildContribution("vector").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ContributionRebuildUnsupportedError);
    expect(refused).toMatchObject({ code: "CONTRIBUTION_REBUILD_UNSUPPORTED", reason: "vector-source-unavailable" });
    expect((refused as { suggestion?: string }).suggestion).toContain("reembedVectorField");
    expect(await store.probeContributions()).toEqual(before);

    const rows = await countRows();
    const markerBefore = await marker(fulltext);
    await expect(
      backend.rebuildContribution!(store.graphId, "fulltext", () => {
        throw new Error("refill failed part-way");
      }),
    ).rejects.toThrow(/refill failed part-way/);
    expect(await countRows()).toBe(rows);
    expect(await marker(fulltext)).toEqual(markerBefore);
    expect(await hitIds(store, "Doc", "atomic")).toEqual([doc.id]);
    // The rollback leaves nothing in the way of a retry.
    await expect(store.rebuildContribution("fulltext")).resolves.toMatchObject({ rebuilt: [fulltext.tableName], repopulated: 1 });
  });

  it("another graph on the same database keeps its rows: a rebuild deletes only this graph's, and a stale rebuild that would need a drop refuses", async () => {
    const { db, store, fulltext, countRows } = await setup();
    const other = db.open();
    opened.push(other);
    const [neighbor] = await createStoreWithSchema(noteGraph(freshGraphId(`ctrb_nb_${lane.name}`)), other);
    const note = await neighbor.nodes.Note.create({ body: "neighbourly unshareable words" });
    const doc = await store.nodes.Doc.create({ title: "shared table rebuild" });

    const result = await store.rebuildContribution("fulltext");
    expect(result.repopulated).toBe(1);
    expect(await hitIds(neighbor as AnyStore, "Note", "unshareable")).toEqual([note.id]);
    expect(await hitIds(store, "Doc", "shared")).toEqual([doc.id]);
    expect(await neighbor.verifyContributions()).toEqual([]);
    expect((await neighbor.probeContributions()).entries).toEqual([{ contribution: "fulltext", state: "ready" }]);

    await store.backend.recordContributionMaterialization!({
      graphId: store.graphId,
      logicalName: fulltext.logicalName,
      owner: fulltext.owner,
      tableName: fulltext.tableName,
      signature: "0000000000000000",
      attemptedAt: new Date().toISOString(),
      materializedAt: new Date().toISOString(),
    });
    const refused = await store.rebuildContribution("fulltext").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ContributionRebuildUnsupportedError);
    expect(refused).toMatchObject({
      reason: "shared-storage-in-use",
      details: { physicalName: fulltext.tableName, otherGraphIds: [neighbor.graphId] },
    });
    expect(await countRows()).toBe(1);
    expect(await hitIds(neighbor as AnyStore, "Note", "unshareable")).toEqual([note.id]);
    expect((await store.verifyContributions()).map((d) => d.state)).toEqual(["stale"]);
    // The neighbour's own diagnosis is unaffected by this graph's marker.
    expect(await neighbor.verifyContributions()).toEqual([]);
  });
});

describe("contribution health arguments", () => {
  let backend: GraphBackend;
  beforeAll(() => {
    backend = createLocalSqliteBackend().backend;
  });
  afterAll(async () => {
    await backend.close();
  });
  it("rebuildContribution takes a known scope and a positive page size", async () => {
    const [store] = await createStoreWithSchema(docGraph(freshGraphId("ctrb_args")), backend);
    await expect(store.rebuildContribution("nope" as never)).rejects.toMatchObject({ code: "CONFIGURATION_ERROR" });
    await expect(store.rebuildContribution("fulltext", { pageSize: 0 })).rejects.toMatchObject({ code: "CONFIGURATION_ERROR" });
  });
});
