// Zero-DDL verified attaches and reconciled snapshots: createVerifiedStore refuses a database that is
// uninitialized or behind the code graph, and a cached snapshot builds managed stores with no reads
// that still validate writes of runtime-committed kinds.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  MigrationError,
  ValidationError,
  createAdapterStore,
  createStore,
  createStoreWithSchema,
  createVerifiedAdapterStore,
  createVerifiedStore,
  defineGraph,
  defineGraphExtension,
  defineNode,
  getCommittedSchemaVersion,
  type GraphBackend,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Item = defineNode("Item", { schema: z.object({ label: z.string() }) });
const Extra = defineNode("Extra", { schema: z.object({ label: z.string(), weight: z.number().optional() }) });

describe.each(backends)("verified stores on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  function backendFor(id: string) {
    const b = bc.make(id);
    open.push(b);
    return b;
  }

  it("refuses an uninitialized database and a database behind the code graph, writing nothing", async () => {
    const id = freshGraphId(`verified_${bc.name}`);
    const backend = backendFor(id);
    const graph = defineGraph({ id, nodes: { Item: { type: Item } }, edges: {} });
    await expect(createVerifiedStore(graph, backend)).rejects.toBeInstanceOf(ConfigurationError);
    await createStoreWithSchema(graph, backend);
    const ahead = defineGraph({ id, nodes: { Item: { type: Item }, Extra: { type: Extra } }, edges: {} });
    await expect(createVerifiedStore(ahead, backend)).rejects.toBeInstanceOf(MigrationError);
    expect(await getCommittedSchemaVersion(backend, id)).toBe(1);
  });

  it("attaches a managed store on the reconciled graph and hands out a reusable snapshot", async () => {
    const id = freshGraphId(`verified2_${bc.name}`);
    const backend = backendFor(id);
    const graph = defineGraph({ id, nodes: { Item: { type: Item } }, edges: {} });
    const [admin] = await createStoreWithSchema(graph, backend);
    // A runtime kind committed by another process: the verified store knows it.
    const evolved = await admin.evolve(defineGraphExtension({ nodes: { Note: { properties: { text: { type: "string" } } } } }));
    expect(evolved.introspect().schemaVersion).toBe(2);

    const [store, result] = await createVerifiedAdapterStore(graph, backend);
    expect(result).toEqual({ status: "unchanged", version: 2 });
    expect(store.introspect().schemaVersion).toBe(2);
    const snapshot = store.reconciledSchema!;
    expect(snapshot.version).toBe(2);
    expect(snapshot.graph.id).toBe(id);
    expect(Object.keys(snapshot.graph.nodes).sort()).toEqual(["Item", "Note"]);

    // Per request: a managed store from the snapshot, validating runtime kinds.
    const perRequest = createAdapterStore(graph, backend, { reconciled: snapshot });
    expect(perRequest.introspect().schemaVersion).toBe(2);
    const notes = perRequest.getNodeCollectionOrThrow("Note");
    const note = await notes.create({ text: "hello" });
    expect((await notes.getById(note.id))?.text).toBe("hello");
    // Every write path of a store whose engine handle was still pending at creation.
    expect(((await notes.update(note.id, { text: "hi" })) as unknown as { text: string }).text).toBe("hi");
    const upserted = (await notes.bulkUpsertById([
      { id: note.id, props: { text: "hey" } },
      { id: "n-2", props: { text: "two" } },
    ])) as unknown as { text: string }[];
    expect(upserted.map((n) => n.text)).toEqual(["hey", "two"]);
    await expect(notes.create({ text: 7 })).rejects.toBeInstanceOf(ValidationError);
    await perRequest.nodes.Item.create({ label: "a" });

    // Another connection, same snapshot, no re-verify.
    const other = perRequest.withBackend(backendFor(id));
    expect(await other.nodes.Item.count()).toBe(1);
    expect(other.reconciledSchema?.version).toBe(2);

    // A raw store has no snapshot; a snapshot of another graph is refused.
    expect(createStore(graph, backend).reconciledSchema).toBeUndefined();
    const stranger = defineGraph({ id: `${id}_x`, nodes: { Item: { type: Item } }, edges: {} });
    expect(() => createStore(stranger, backend, { reconciled: snapshot })).toThrow(ConfigurationError);
    // The refusal names the graph the snapshot was built for and the one asked for.
    expect(() => createStore(stranger, backend, { reconciled: snapshot })).toThrow(`was built for graph "${id}", not "${id}_x"`);
  });
});
