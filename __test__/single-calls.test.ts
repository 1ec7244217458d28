// Per-call paths of single writes and point reads: `create` and `edges.create` return exactly
// the row a later read sees (SQLite renders it from the bound values), `update` reads, merges,
// validates and writes in one call (SQLite calls back into zod), and every refusal still names
// upstream's error and writes nothing. PostgreSQL reuses cleanly finished connections: a failed
// call, an aborted transaction and a committed one leave the next calls working.
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
  schema: z
    .object({ name: z.string().min(1), age: z.number().int().optional(), nick: z.string().default("none") })
    .refine((p) => p.age === undefined || p.age < 200, { message: "age out of range", path: ["age"] }),
});
const knows = defineEdge("knows", { schema: z.object({ since: z.number().int() }) });

function callsGraph(id: string) {
  return defineGraph({ id, nodes: { Person }, edges: { knows: { type: knows, from: [Person], to: [Person] } } });
}

describe.each(backends)("single calls on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function openStore(graph: ReturnType<typeof callsGraph>) {
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    return { store, backend };
  }

  it("create and edges.create return the row a read returns", async () => {
    const { store } = await openStore(callsGraph(freshGraphId(`calls_${bc.name}`)));
    const a = await store.nodes.Person.create({ name: "Ann \"quoted\" ü", age: 30 });
    expect(a).toMatchObject({ kind: "Person", name: "Ann \"quoted\" ü", age: 30, nick: "none" });
    expect(a.meta.version).toBe(1);
    expect(a.meta.createdAt).toBe(a.meta.updatedAt);
    expect(a.meta.validFrom).toBe(a.meta.createdAt);
    expect(a.meta.validTo).toBeUndefined();
    expect(a.meta.deletedAt).toBeUndefined();
    expect(await store.nodes.Person.getById(a.id)).toEqual(a);

    const ended = await store.nodes.Person.create({ name: "Ended" }, { id: "p-ended", validFrom: "2020-01-01T00:00:00.000Z", validTo: "2021-01-01T00:00:00.000Z" });
    expect(ended.meta.validFrom).toBe("2020-01-01T00:00:00.000Z");
    expect(ended.meta.validTo).toBe("2021-01-01T00:00:00.000Z");
    expect(await store.nodes.Person.getById("p-ended", "includeEnded")).toEqual(ended);

    const b = await store.nodes.Person.create({ name: "Bo" });
    const e = await store.edges.knows.create(a, b, { since: 2001 });
    expect(e).toMatchObject({ kind: "knows", fromKind: "Person", fromId: a.id, toKind: "Person", toId: b.id, since: 2001 });
    expect(e.meta.deletedAt).toBeUndefined();
    expect(await store.edges.knows.getById(e.id)).toEqual(e);

    // A taken id still refuses (the single statement falls through to the checked path).
    await expect(store.nodes.Person.create({ name: "Dup" }, { id: a.id })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.edges.knows.create(a, b, { since: 1 }, { id: e.id })).rejects.toBeInstanceOf(ValidationError);
    expect(await store.nodes.Person.count()).toBe(2);
  });

  it("update merges over the stored row, validates the merge and bumps the version", async () => {
    const { store } = await openStore(callsGraph(freshGraphId(`calls_${bc.name}`)));
    const a = await store.nodes.Person.create({ name: "Ann", age: 30, nick: "an" });
    const u = await store.nodes.Person.update(a.id, { age: 31 });
    expect(u).toMatchObject({ name: "Ann", age: 31, nick: "an" });
    expect(u.meta.version).toBe(2);
    expect(u.meta.createdAt).toBe(a.meta.createdAt);
    expect(await store.nodes.Person.getById(a.id)).toEqual(u);

    // An explicit undefined in the patch clears an optional field, as an object spread does.
    const cleared = await store.nodes.Person.update(a.id, { age: undefined });
    expect(cleared.age).toBeUndefined();
    expect(cleared.meta.version).toBe(3);

    // Field and object-level (refine) validation of the merged props; nothing is written.
    const bad = await store.nodes.Person.update(a.id, { name: "" }).catch((err: unknown) => err);
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).details).toMatchObject({ entityType: "node", kind: "Person", operation: "update", id: a.id });
    await expect(store.nodes.Person.update(a.id, { age: 500 })).rejects.toBeInstanceOf(ValidationError);
    expect((await store.nodes.Person.getById(a.id))!.meta.version).toBe(3);

    await expect(store.nodes.Person.update("missing", { age: 1 })).rejects.toBeInstanceOf(NodeNotFoundError);
    await store.nodes.Person.delete(a.id);
    await expect(store.nodes.Person.update(a.id, { age: 1 })).rejects.toBeInstanceOf(NodeNotFoundError);

    // validTo / clearValidTo go through the same call.
    const b = await store.nodes.Person.create({ name: "Bo" });
    const until = await store.nodes.Person.update(b.id, { age: 5 }, { validTo: "2999-01-01T00:00:00.000Z" });
    expect(until.meta.validTo).toBe("2999-01-01T00:00:00.000Z");
    const open2 = await store.nodes.Person.update(b.id, {}, { clearValidTo: true });
    expect(open2.meta.validTo).toBeUndefined();
    expect(open2.meta.version).toBe(3);
  });

  it("update inside a transaction commits or rolls back with it; upsertById goes through update", async () => {
    const { store } = await openStore(callsGraph(freshGraphId(`calls_${bc.name}`)));
    const a = await store.nodes.Person.create({ name: "Ann", age: 1 });
    await store.transaction(async (tx) => {
      await tx.nodes.Person.update(a.id, { age: 2 });
    });
    expect((await store.nodes.Person.getById(a.id))!.age).toBe(2);
    await expect(
      store.transaction(async (tx) => {
        await tx.nodes.Person.update(a.id, { age: 3 });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect((await store.nodes.Person.getById(a.id))!.age).toBe(2);
    const up = await store.nodes.Person.upsertById(a.id, { name: "Ann", age: 9 });
    expect(up.age).toBe(9);
    expect(up.meta.version).toBe(3);
  });

  it("a stale store's update is fenced after another writer's schema commit", async () => {
    const graph = callsGraph(freshGraphId(`calls_${bc.name}`));
    const { store } = await openStore(graph);
    const a = await store.nodes.Person.create({ name: "Ann" });
    const { store: other } = await openStore(graph);
    await other.evolve(defineGraphExtension({ nodes: { Tag: { properties: { label: { type: "string" } } } } }));
    await expect(store.nodes.Person.update(a.id, { age: 4 })).rejects.toBeInstanceOf(StaleVersionError);
    expect((await other.nodes.Person.getById(a.id))!.meta.version).toBe(1);
  });

  it("calls keep working after failures, aborted and committed transactions", async () => {
    const { store } = await openStore(callsGraph(freshGraphId(`calls_${bc.name}`)));
    const a = await store.nodes.Person.create({ name: "Ann" });
    for (let i = 0; i < 6; i++) {
      await expect(store.nodes.Person.create({ name: "Dup" }, { id: a.id })).rejects.toBeInstanceOf(ValidationError);
      await expect(store.edges.knows.create(a, { kind: "Person", id: "ghost" }, { since: 1 })).rejects.toThrow();
      await expect(store.transaction(async (tx) => {
        await tx.nodes.Person.create({ name: `T${i}` }, { id: `t${i}` });
        throw new Error("abort");
      })).rejects.toThrow("abort");
      await store.transaction(async (tx) => {
        await tx.nodes.Person.create({ name: `C${i}` }, { id: `c${i}` });
      });
      expect(await store.nodes.Person.getById(`t${i}`)).toBeUndefined();
      expect((await store.nodes.Person.getById(`c${i}`))!.name).toBe(`C${i}`);
    }
    // Concurrent calls get their own connections (PostgreSQL) and all land.
    const many = await Promise.all(Array.from({ length: 12 }, (_, i) => store.nodes.Person.create({ name: `N${i}` })));
    expect(new Set(many.map((n) => n.id)).size).toBe(12);
    expect(await store.nodes.Person.count()).toBe(1 + 6 + 12);
  });
});
