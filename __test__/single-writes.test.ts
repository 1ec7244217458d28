// Single autocommit edge writes: a `many` edge goes in with one guarded statement, and every
// way that statement can refuse (missing or deleted endpoint, taken or tombstoned id, a schema
// moved on by another writer) still reports upstream's error and writes nothing.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  EndpointNotFoundError,
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

const Person = defineNode("Person", { schema: z.object({ name: z.string() }) });
const Team = defineNode("Team", { schema: z.object({ name: z.string() }) });
const memberOf = defineEdge("memberOf", { schema: z.object({ role: z.string() }) });

function writesGraph(id: string) {
  return defineGraph({ id, nodes: { Person, Team }, edges: { memberOf: { type: memberOf, from: [Person], to: [Team] } } });
}

describe.each(backends)("single edge writes on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function openStore(graph: ReturnType<typeof writesGraph>) {
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    return store;
  }

  it("creates a many-edge and returns its row; refuses missing, deleted and reused endpoints/ids", async () => {
    const graph = writesGraph(freshGraphId(`single_${bc.name}`));
    const store = await openStore(graph);
    const ann = await store.nodes.Person.create({ name: "Ann" });
    const red = await store.nodes.Team.create({ name: "Red" });
    const blue = await store.nodes.Team.create({ name: "Blue" });

    const e = await store.edges.memberOf.create(ann, red, { role: "lead" }, { id: "m1" });
    expect(e).toMatchObject({ id: "m1", kind: "memberOf", fromKind: "Person", fromId: ann.id, toKind: "Team", toId: red.id, role: "lead" });
    expect(e.meta.createdAt).toBe(e.meta.updatedAt);
    expect(e.meta.deletedAt).toBeUndefined();
    expect(await store.edges.memberOf.getById("m1")).toEqual(e);

    const missing = await store.edges.memberOf.create(ann, { kind: "Team", id: "nope" }, { role: "x" }).catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(EndpointNotFoundError);
    expect((missing as EndpointNotFoundError).details).toMatchObject({ endpoint: "to", nodeKind: "Team", nodeId: "nope" });
    const missingFrom = await store.edges.memberOf.create({ kind: "Person", id: "ghost" }, red, { role: "x" }).catch((err: unknown) => err);
    expect((missingFrom as EndpointNotFoundError).details).toMatchObject({ endpoint: "from", nodeId: "ghost" });

    await store.nodes.Team.delete(blue.id);
    await expect(store.edges.memberOf.create(ann, blue, { role: "x" })).rejects.toBeInstanceOf(EndpointNotFoundError);

    const dup = await store.edges.memberOf.create(ann, red, { role: "again" }, { id: "m1" }).catch((err: unknown) => err);
    expect(dup).toBeInstanceOf(ValidationError);
    expect((dup as ValidationError).details.issues).toEqual([expect.objectContaining({ code: "ENTITY_ALREADY_EXISTS" })]);
    // A tombstoned id is still taken.
    await store.edges.memberOf.delete("m1");
    const reused = await store.edges.memberOf.create(ann, red, { role: "again" }, { id: "m1" }).catch((err: unknown) => err);
    expect(reused).toBeInstanceOf(ValidationError);

    expect(await store.edges.memberOf.count()).toBe(0);
    expect(await store.edges.memberOf.count({}, "includeTombstones")).toBe(1);
    // Nothing was written by the refused calls: only m1 (now a tombstone) exists.
    const all = await store.edges.memberOf.find({}, "includeTombstones");
    expect(all.map((x) => x.id)).toEqual(["m1"]);
  });

  it("fences a stale store's edge create after another writer's schema commit", async () => {
    const graph = writesGraph(freshGraphId(`single_fence_${bc.name}`));
    const a = await openStore(graph);
    const ann = await a.nodes.Person.create({ name: "Ann" });
    const red = await a.nodes.Team.create({ name: "Red" });
    await a.edges.memberOf.create(ann, red, { role: "before" });
    const b = await openStore(graph);
    await b.evolve(defineGraphExtension({ nodes: { Venue: { properties: { name: { type: "string" } } } } }));
    const err = await a.edges.memberOf.create(ann, red, { role: "late" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StaleVersionError);
    expect((err as StaleVersionError).details).toMatchObject({ expected: 1, actual: 2 });
    expect(await a.edges.memberOf.count()).toBe(1);
  });
});
