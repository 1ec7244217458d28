// Single autocommit node writes (create, update): results read as stored, a refused call writes
// nothing and leaves the connection usable (on SQLite an autocommit update reads, merges and
// writes inside one write transaction), updates inside a transaction roll back with it, and a
// stale store's writes are fenced after another writer's schema commit.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  NodeNotFoundError,
  StaleVersionError,
  ValidationError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineGraphExtension,
  defineNode,
  type GraphBackend,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", {
  schema: z.object({ name: z.string(), age: z.number().int().min(0), note: z.string().optional() }),
});
const knows = defineEdge("knows", { schema: z.object({ since: z.number().int() }) });

function nodesGraph(id: string) {
  return defineGraph({ id, nodes: { Person }, edges: { knows: { type: knows, from: [Person], to: [Person] } } });
}

describe.each(backends)("single node writes on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function openStore(graph: ReturnType<typeof nodesGraph>) {
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    return store;
  }

  it("create, edges.create and update return the rows getById reads back", async () => {
    const store = await openStore(nodesGraph(freshGraphId(`snw_rows_${bc.name}`)));
    const P = store.nodes.Person;
    const ann = await P.create({ name: "Ann", age: 30 }, { id: "ann" });
    expect(ann).toMatchObject({ kind: "Person", id: "ann", name: "Ann", age: 30 });
    expect(ann.meta.version).toBe(1);
    expect(ann.meta.createdAt).toBe(ann.meta.updatedAt);
    expect(await P.getById("ann")).toEqual(ann);
    const bob = await P.create({ name: "Bob", age: 40 });
    const e = await store.edges.knows.create(ann, bob, { since: 2020 });
    expect(await store.edges.knows.getById(e.id)).toEqual(e);

    const up = await P.update("ann", { age: 31, note: "moved" });
    expect(up).toMatchObject({ id: "ann", name: "Ann", age: 31, note: "moved" });
    expect(up.meta.version).toBe(2);
    expect(up.meta.createdAt).toBe(ann.meta.createdAt);
    expect(await P.getById("ann")).toEqual(up);
    // Repeated updates keep counting versions and merging over the latest row.
    for (let i = 0; i < 5; i++) await P.update("ann", { age: 32 + i });
    const last = await P.getById("ann");
    expect(last).toMatchObject({ name: "Ann", age: 36, note: "moved" });
    expect(last!.meta.version).toBe(7);
  });

  it("a refused update writes nothing and the store goes on working", async () => {
    const store = await openStore(nodesGraph(freshGraphId(`snw_refused_${bc.name}`)));
    const P = store.nodes.Person;
    const ann = await P.create({ name: "Ann", age: 30 }, { id: "ann" });

    // The merged props fail validation: nothing is written.
    const bad = await P.update("ann", { age: -1 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect(await P.getById("ann")).toEqual(ann);

    // A missing id and a deleted one are not found; nothing is written.
    await expect(P.update("nobody", { age: 1 })).rejects.toBeInstanceOf(NodeNotFoundError);
    await P.create({ name: "Gone", age: 5 }, { id: "gone" });
    await P.delete("gone");
    const tomb = (await P.getById("gone", "includeTombstones"))!;
    await expect(P.update("gone", { age: 6 })).rejects.toBeInstanceOf(NodeNotFoundError);
    expect(await P.getById("gone", "includeTombstones")).toEqual(tomb);
    expect(tomb.age).toBe(5);
    expect(await P.count()).toBe(1);

    // Nothing was left open: the next update, a transaction and a create all go through.
    const up = await P.update("ann", { age: 31 });
    expect(up.meta.version).toBe(2);
    await store.transaction(async (tx) => {
      await tx.nodes.Person.update("ann", { age: 32 });
    });
    expect((await P.getById("ann"))!.age).toBe(32);
    await P.create({ name: "Cy", age: 20 }, { id: "cy" });
    expect(await P.count()).toBe(2);
  });

  it("an update inside a transaction rolls back with it", async () => {
    const store = await openStore(nodesGraph(freshGraphId(`snw_tx_${bc.name}`)));
    const P = store.nodes.Person;
    const ann = await P.create({ name: "Ann", age: 30 }, { id: "ann" });
    const failed = await store
      .transaction(async (tx) => {
        const inside = await tx.nodes.Person.update("ann", { age: 31 });
        expect(inside.meta.version).toBe(2);
        // A second update in the same transaction merges over the first.
        const again = await tx.nodes.Person.update("ann", { note: "x" });
        expect(again).toMatchObject({ age: 31, note: "x" });
        expect(again.meta.version).toBe(3);
        throw new Error("abort");
      })
      .catch((e: unknown) => e);
    expect((failed as Error).message).toBe("abort");
    expect(await P.getById("ann")).toEqual(ann);
  });

  it("fences a stale store's node create and update after another writer's schema commit", async () => {
    const graph = nodesGraph(freshGraphId(`snw_fence_${bc.name}`));
    const a = await openStore(graph);
    await a.nodes.Person.create({ name: "Ann", age: 30 }, { id: "ann" });
    const b = await openStore(graph);
    await b.evolve(defineGraphExtension({ nodes: { Venue: { properties: { name: { type: "string" } } } } }));
    const up = await a.nodes.Person.update("ann", { age: 31 }).catch((e: unknown) => e);
    expect(up).toBeInstanceOf(StaleVersionError);
    expect((up as StaleVersionError).details).toMatchObject({ expected: 1, actual: 2 });
    const made = await a.nodes.Person.create({ name: "Late", age: 1 }).catch((e: unknown) => e);
    expect(made).toBeInstanceOf(StaleVersionError);
    const fresh = await b.nodes.Person.getById("ann");
    expect(fresh).toMatchObject({ age: 30 });
    expect(fresh!.meta.version).toBe(1);
    expect(await b.nodes.Person.count()).toBe(1);
  });
});
