// Schema-side reads on the backend object, by graph id, in upstream's port shapes:
// - getActiveSchema(graphId): the active schema version row (snake_case, the document as JSON
//   text), undefined for a graph with no committed version — also for a graph no store was ever
//   created for on this backend — and after store.clear();
// - getPendingKindRemovals(graphId): removed runtime kinds whose data cleanup has not run yet.
// - getSchemaVersion(graphId, version): any committed version row, active or not;
// - commitSchemaVersion / commitSchemaVersionIfKindsEmpty / setActiveVersion: the guarded
//   schema-version writes (compare-and-swap on the active version).
// Also the store's read-only pre-flight: schemaChanges() / requiresMigration().
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createStore,
  createStoreWithSchema,
  defineGraph,
  defineGraphExtension,
  defineNode,
  MigrationError,
  SchemaContentConflictError,
  StaleVersionError,
  type GraphBackend,
} from "../dist/index.js";
import { computeSchemaHash, serializeSchema } from "../dist/schema-entry.js";
import { backends, freshGraphId } from "./backends.js";

const Beacon = defineNode("Beacon", { schema: z.object({ lumen: z.number() }) });

describe.each(backends)("backend.getActiveSchema on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  function coast() {
    const graph = defineGraph({ id: freshGraphId(`act_${bc.name}`), nodes: { Beacon: { type: Beacon } }, edges: {} });
    const backend = bc.make(graph.id);
    open.push(backend);
    return { graph, backend };
  }

  it("is undefined before the first commit, then names the committed version", async () => {
    const { graph, backend } = coast();
    expect(await backend.getActiveSchema!(graph.id)).toBeUndefined();
    const [store] = await createStoreWithSchema(graph, backend);
    const row = await backend.getActiveSchema!(graph.id);
    expect(row).toMatchObject({ graph_id: graph.id, version: 1, is_active: true });
    expect(typeof row!.schema_hash).toBe("string");
    expect(row!.schema_hash.length).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(row!.created_at))).toBe(false);
    const doc = JSON.parse(row!.schema_doc) as { graphId: string; nodes: Record<string, unknown> };
    expect(doc.graphId).toBe(graph.id);
    expect(Object.keys(doc.nodes)).toContain("Beacon");

    await store.evolve(defineGraphExtension({ nodes: { Buoy: { properties: { tag: { type: "string" } } } } }));
    const next = await backend.getActiveSchema!(graph.id);
    expect(next?.version).toBe(2);
    expect(Object.keys((JSON.parse(next!.schema_doc) as { nodes: Record<string, unknown> }).nodes)).toEqual(expect.arrayContaining(["Beacon", "Buoy"]));
  });

  it("answers for a graph id no store was created for", async () => {
    const { graph, backend } = coast();
    await createStoreWithSchema(graph, backend);
    expect(await backend.getActiveSchema!(freshGraphId("never_seen"))).toBeUndefined();
    expect((await backend.getActiveSchema!(graph.id))?.version).toBe(1);
  });

  it("is undefined again after store.clear()", async () => {
    const { graph, backend } = coast();
    const [store] = await createStoreWithSchema(graph, backend);
    await store.nodes.Beacon.create({ lumen: 4 });
    await store.clear();
    expect(await backend.getActiveSchema!(graph.id)).toBeUndefined();
  });

  it("getPendingKindRemovals lists a removed runtime kind until its rows are cleaned up", async () => {
    const { graph, backend } = coast();
    const [store] = await createStoreWithSchema(graph, backend);
    expect(await backend.getPendingKindRemovals!(graph.id)).toEqual([]);
    const evolved = await store.evolve(defineGraphExtension({ nodes: { Buoy: { properties: { tag: { type: "string" } } } } }));
    await evolved.getNodeCollectionOrThrow("Buoy").create({ tag: "red" });
    const removed = await evolved.removeKinds(["Buoy"]);
    const pending = await backend.getPendingKindRemovals!(graph.id);
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ graphId: graph.id, kindName: "Buoy", entity: "node", schemaVersion: 3, removedAt: undefined, lastError: undefined });
    expect(Number.isNaN(Date.parse(pending[0]!.lastAttemptedAt))).toBe(false);
    await removed.materializeRemovals();
    expect(await backend.getPendingKindRemovals!(graph.id)).toEqual([]);
  });

  it("store.schemaChanges() / requiresMigration() pre-flight without committing", async () => {
    const { graph, backend } = coast();
    const raw = createStore(graph, backend);
    expect(await raw.schemaChanges()).toBeUndefined();
    expect(await raw.requiresMigration()).toBe(true);

    const [store] = await createStoreWithSchema(graph, backend);
    expect(await store.requiresMigration()).toBe(false);
    expect((await store.schemaChanges())?.hasChanges).toBe(false);

    // A runtime kind committed by evolve is not a pending removal for a store of the compile-time graph.
    await store.evolve(defineGraphExtension({ nodes: { Buoy: { properties: { tag: { type: "string" } } } } }));
    const plain = createStore(graph, backend);
    expect(await plain.requiresMigration()).toBe(false);

    // A graph ahead of the database needs a migration; nothing is committed by asking.
    const Wider = defineNode("Beacon", { schema: z.object({ lumen: z.number(), colour: z.string() }) });
    const ahead = createStore(defineGraph({ id: graph.id, nodes: { Beacon: { type: Wider } }, edges: {} }), backend);
    expect(await ahead.requiresMigration()).toBe(true);
    expect((await ahead.schemaChanges())?.hasChanges).toBe(true);
    expect((await backend.getActiveSchema!(graph.id))?.version).toBe(2);
  });

  it("commitSchemaVersion / setActiveVersion guard the active version", async () => {
    const { graph, backend } = coast();
    const Lamp = defineNode("Lamp", { schema: z.object({ watts: z.number() }) });
    const wider = defineGraph({ id: graph.id, nodes: { Beacon: { type: Beacon }, Lamp: { type: Lamp } }, edges: {} });
    const args = async (g: typeof graph | typeof wider, version: number) => {
      const schemaDoc = serializeSchema(g, version);
      return { schemaDoc, schemaHash: await computeSchemaHash(schemaDoc) };
    };
    const v1 = await args(graph, 1);
    const row = await backend.commitSchemaVersion!({ graphId: graph.id, expected: { kind: "initial" }, version: 1, ...v1 });
    expect(row).toMatchObject({ graph_id: graph.id, version: 1, schema_hash: v1.schemaHash, is_active: true });
    // The same commit again is answered with the stored row.
    const again = await backend.commitSchemaVersion!({ graphId: graph.id, expected: { kind: "initial" }, version: 1, ...v1 });
    expect(again).toMatchObject({ version: 1, schema_hash: v1.schemaHash, created_at: row.created_at });
    // Another document at a taken version is a content conflict.
    const other1 = await args(wider, 1);
    await expect(backend.commitSchemaVersion!({ graphId: graph.id, expected: { kind: "initial" }, version: 1, ...other1 })).rejects.toBeInstanceOf(SchemaContentConflictError);
    // "initial" while version 1 is active is stale: expected 0, actual 1.
    const v2 = await args(wider, 2);
    const stale = await backend.commitSchemaVersion!({ graphId: graph.id, expected: { kind: "initial" }, version: 2, ...v2 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(stale).toBeInstanceOf(StaleVersionError);
    expect((stale as StaleVersionError).details).toMatchObject({ expected: 0, actual: 1 });

    // The empty-kind form commits nothing while a named kind holds rows.
    const [store] = await createStoreWithSchema(graph, backend);
    await store.nodes.Beacon.create({ lumen: 9 });
    const refused = await backend.commitSchemaVersionIfKindsEmpty!({ graphId: graph.id, expected: { kind: "active", version: 1 }, version: 2, ...v2 }, [{ entity: "node", kind: "Beacon" }]);
    expect(refused).toEqual({ status: "populated", kinds: [{ entity: "node", kind: "Beacon", count: 1 }] });
    expect((await backend.getActiveSchema!(graph.id))?.version).toBe(1);
    const landed = await backend.commitSchemaVersionIfKindsEmpty!({ graphId: graph.id, expected: { kind: "active", version: 1 }, version: 2, ...v2 }, [{ entity: "node", kind: "Lamp" }]);
    expect(landed).toMatchObject({ status: "committed", row: { version: 2, is_active: true } });

    // Roll back to 1 by compare-and-swap; a stale guard and a missing target are refused.
    await expect(backend.setActiveVersion!({ graphId: graph.id, expected: { kind: "active", version: 1 }, version: 1 })).rejects.toBeInstanceOf(StaleVersionError);
    await expect(backend.setActiveVersion!({ graphId: graph.id, expected: { kind: "active", version: 2 }, version: 7 })).rejects.toBeInstanceOf(MigrationError);
    await backend.setActiveVersion!({ graphId: graph.id, expected: { kind: "active", version: 2 }, version: 1 });
    expect((await backend.getActiveSchema!(graph.id))?.version).toBe(1);
    // getSchemaVersion reads any committed version, active or not.
    expect(await backend.getSchemaVersion!(graph.id, 2)).toMatchObject({ graph_id: graph.id, version: 2, schema_hash: v2.schemaHash, is_active: false });
    expect(await backend.getSchemaVersion!(graph.id, 1)).toMatchObject({ version: 1, schema_hash: v1.schemaHash, is_active: true });
    expect(await backend.getSchemaVersion!(graph.id, 9)).toBeUndefined();
  });
});
