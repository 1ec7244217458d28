// The backend object's uniqueness-claim members on both backends (upstream's port shapes, by
// graph id): insertUnique / checkUnique / deleteUnique / hardDeleteUniquesByNodeIds /
// hardDeleteUniquesByConcreteKind, claims owned by (concrete kind, node id) at any axis; and
// executeDdl / ensureKindRemovalsTable. Kind removal reaps the claims a kind owns (by owner, at
// any axis), and evolve creates a missing kind-removal queue before its preflight.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { UniquenessError, createStoreWithSchema, defineGraph, defineGraphExtension, defineNode } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", { schema: z.object({ name: z.string() }) });
const Company = defineNode("Company", { schema: z.object({ name: z.string() }) });

describe.each(backends)("backend uniqueness-claim members on $name", (bc) => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function setup() {
    const graph = defineGraph({ id: freshGraphId(`bup_${bc.name}`), nodes: { Person: { type: Person }, Company: { type: Company } }, edges: {} });
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    return { graphId: graph.id, backend, store };
  }

  it("insertUnique claims a key; another live owner is refused; the owner re-claims; a released claim is taken over", async () => {
    const { graphId, backend } = await setup();
    const claim = { graphId, nodeKind: "Person", constraintName: "email", key: "a@x.test" };
    await backend.insertUnique!({ ...claim, nodeId: "p1", concreteKind: "Person" });
    expect(await backend.checkUnique!({ ...claim })).toEqual({ graph_id: graphId, node_kind: "Person", constraint_name: "email", key: "a@x.test", node_id: "p1", concrete_kind: "Person", deleted_at: undefined });
    await expect(backend.insertUnique!({ ...claim, nodeId: "p2", concreteKind: "Person" })).rejects.toBeInstanceOf(UniquenessError);
    // The same id under another kind is another owner.
    await expect(backend.insertUnique!({ ...claim, nodeId: "p1", concreteKind: "Company" })).rejects.toBeInstanceOf(UniquenessError);
    await backend.insertUnique!({ ...claim, nodeId: "p1", concreteKind: "Person" });
    // A release by someone else's owner pair changes nothing; the owner's own release does.
    await backend.deleteUnique!({ ...claim, nodeId: "p2", concreteKind: "Person" });
    expect((await backend.checkUnique!({ ...claim }))?.node_id).toBe("p1");
    await backend.deleteUnique!({ graphId, constraintName: "email", key: "a@x.test", nodeId: "p1", concreteKind: "Person" });
    expect(await backend.checkUnique!({ ...claim })).toBeUndefined();
    expect((await backend.checkUnique!({ ...claim, includeDeleted: true }))?.deleted_at).toEqual(expect.any(String));
    await backend.insertUnique!({ ...claim, nodeId: "p2", concreteKind: "Person" });
    expect(await backend.checkUnique!({ ...claim })).toMatchObject({ node_id: "p2", deleted_at: undefined });
  });

  it("deleteUnique with an axis releases only the claim at that axis", async () => {
    const { graphId, backend } = await setup();
    const owner = { nodeId: "n1", concreteKind: "Person" };
    await backend.insertUnique!({ graphId, nodeKind: "Person", constraintName: "c", key: "k", ...owner });
    await backend.insertUnique!({ graphId, nodeKind: "Party", constraintName: "c", key: "k", ...owner });
    await backend.deleteUnique!({ graphId, nodeKind: "Party", constraintName: "c", key: "k", ...owner });
    expect(await backend.checkUnique!({ graphId, nodeKind: "Party", constraintName: "c", key: "k" })).toBeUndefined();
    expect(await backend.checkUnique!({ graphId, nodeKind: "Person", constraintName: "c", key: "k" })).toMatchObject({ node_id: "n1" });
  });

  it("hardDeleteUniquesByNodeIds / ByConcreteKind remove the owners' claims at every axis, no one else's", async () => {
    const { graphId, backend } = await setup();
    await backend.insertUnique!({ graphId, nodeKind: "Person", constraintName: "c", key: "a", nodeId: "a", concreteKind: "Person" });
    await backend.insertUnique!({ graphId, nodeKind: "Person", constraintName: "c", key: "b", nodeId: "b", concreteKind: "Person" });
    await backend.insertUnique!({ graphId, nodeKind: "disjoint(Company|Person)", constraintName: "d", key: "b", nodeId: "b", concreteKind: "Person" });
    await backend.insertUnique!({ graphId, nodeKind: "Person", constraintName: "c", key: "z", nodeId: "a", concreteKind: "Company" });
    await backend.hardDeleteUniquesByNodeIds!({ graphId, concreteKind: "Person", nodeIds: ["a", "a"] });
    expect(await backend.checkUnique!({ graphId, nodeKind: "Person", constraintName: "c", key: "a", includeDeleted: true })).toBeUndefined();
    expect(await backend.checkUnique!({ graphId, nodeKind: "Person", constraintName: "c", key: "b" })).toBeDefined();
    await expect(backend.hardDeleteUniquesByNodeIds!({ graphId, concreteKind: "Person", nodeIds: [] })).resolves.toBeUndefined();
    await backend.hardDeleteUniquesByConcreteKind!({ graphId, concreteKind: "Person" });
    expect(await backend.checkUnique!({ graphId, nodeKind: "Person", constraintName: "c", key: "b", includeDeleted: true })).toBeUndefined();
    expect(await backend.checkUnique!({ graphId, nodeKind: "disjoint(Company|Person)", constraintName: "d", key: "b", includeDeleted: true })).toBeUndefined();
    expect(await backend.checkUnique!({ graphId, nodeKind: "Person", constraintName: "c", key: "z" })).toMatchObject({ concrete_kind: "Company", node_id: "a" });
  });

  it("materializeRemovals reaps every claim the removed kind owns, and no sibling's", async () => {
    const { graphId, backend, store } = await setup();
    const evolved = await store.evolve(defineGraphExtension({ nodes: { Widget: { properties: { label: { type: "string" } } }, Gadget: { properties: { label: { type: "string" } } } } }));
    const widget = (await evolved.getNodeCollectionOrThrow("Widget").create({ label: "w" })) as { id: string };
    const gadget = (await evolved.getNodeCollectionOrThrow("Gadget").create({ label: "g" })) as { id: string };
    await backend.insertUnique!({ graphId, nodeKind: "Widget", constraintName: "label", key: "w", nodeId: widget.id, concreteKind: "Widget" });
    await backend.insertUnique!({ graphId, nodeKind: "disjoint(Gadget|Widget)", constraintName: "typegraph_disjoint", key: widget.id, nodeId: widget.id, concreteKind: "Widget" });
    await backend.insertUnique!({ graphId, nodeKind: "Widget", constraintName: "label", key: "g", nodeId: gadget.id, concreteKind: "Gadget" });
    const removed = await evolved.removeKinds(["Widget"]);
    const result = await removed.materializeRemovals();
    expect(result.results).toContainEqual({ entity: "node", kind: "Widget", status: "removed" });
    expect(await backend.checkUnique!({ graphId, nodeKind: "Widget", constraintName: "label", key: "w", includeDeleted: true })).toBeUndefined();
    expect(await backend.checkUnique!({ graphId, nodeKind: "disjoint(Gadget|Widget)", constraintName: "typegraph_disjoint", key: widget.id, includeDeleted: true })).toBeUndefined();
    expect(await backend.checkUnique!({ graphId, nodeKind: "Widget", constraintName: "label", key: "g" })).toMatchObject({ node_id: gadget.id, concrete_kind: "Gadget", deleted_at: undefined });
  });

  it("executeDdl runs a statement; ensureKindRemovalsTable is idempotent and concurrent-safe", async () => {
    const { graphId, backend } = await setup();
    const scratch = `tg_scratch_${graphId}`;
    await backend.executeDdl!(`CREATE TABLE "${scratch}" (x INTEGER)`);
    await backend.executeDdl!(`DROP TABLE "${scratch}"`);
    // The queue table of the shared PostgreSQL database is never dropped here; SQLite's file is ours.
    if (bc.name === "sqlite") await backend.executeDdl!('DROP TABLE IF EXISTS "typegraph_kind_removals"');
    await Promise.all([backend.ensureKindRemovalsTable!(), backend.ensureKindRemovalsTable!()]);
    expect(await backend.getPendingKindRemovals!(graphId)).toEqual([]);
  });
});

describe("evolve on a database without the kind-removal queue (sqlite)", () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  it("evolve creates a missing kind-removal queue before its preflight", async () => {
    const graph = defineGraph({ id: freshGraphId("bup_queue"), nodes: { Person: { type: Person } }, edges: {} });
    // SQLite only: the database file is this test's own (the shared PostgreSQL's queue table is never dropped).
    const backend = backends[0]!.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    const graphId = graph.id;
    await backend.executeDdl!('DROP TABLE IF EXISTS "typegraph_kind_removals"');
    const evolved = await store.evolve(defineGraphExtension({ nodes: { Widget: { properties: { label: { type: "string" } } } } }));
    expect(evolved.introspect().kinds.map((k: { name: string }) => k.name)).toContain("Widget");
    expect(await backend.getPendingKindRemovals!(graphId)).toEqual([]);
  });
});
