// Edge cardinality fences: every `one` / `unique` / `oneActive` edge write reserves its row in
// typegraph_edge_claims (upstream's axis and key format), stale claims are taken over, hard
// deletes drop them, and on PostgreSQL two concurrent transactions cannot both win the axis.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { CardinalityError, createStoreWithSchema, defineEdge, defineGraph, defineNode } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const User = defineNode("User", { schema: z.object({ name: z.string() }) });
const Org = defineNode("Org", { schema: z.object({ name: z.string() }) });
const owns = defineEdge("owns");
const follows = defineEdge("follows");
const leads = defineEdge("leads");

function claimGraph(id: string) {
  return defineGraph({
    id,
    nodes: { User, Org },
    edges: {
      owns: { type: owns, from: [User], to: [Org], cardinality: "one" },
      follows: { type: follows, from: [User], to: [Org], cardinality: "unique" },
      leads: { type: leads, from: [User], to: [Org], cardinality: "oneActive" },
    },
  });
}

const u = (id: string) => ({ kind: "User" as const, id });
const o = (id: string) => ({ kind: "Org" as const, id });

describe.each(backends)("edge claims on $name", (bc) => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (closers.length) await closers.pop()!();
  });

  async function setup() {
    const graph = claimGraph(freshGraphId(`claims_${bc.name}`));
    const backend = bc.make(graph.id);
    const [store] = await createStoreWithSchema(graph, backend);
    closers.push(() => store.close());
    await store.nodes.User.bulkInsert([{ id: "a", props: { name: "A" } }, { id: "b", props: { name: "B" } }]);
    await store.nodes.Org.bulkInsert([1, 2, 3].map((i) => ({ id: `o${i}`, props: { name: `O${i}` } })));
    const raw = backend as unknown as { query(sql: string, params?: unknown[]): unknown[][] | Promise<unknown[][]> };
    const claims = async () =>
      (await raw.query(
        bc.name === "sqlite"
          ? "SELECT axis, key, edge_id FROM typegraph_edge_claims WHERE graph_id = ? ORDER BY axis, key"
          : "SELECT axis, key, edge_id FROM typegraph_edge_claims WHERE graph_id = $1 ORDER BY axis, key",
        [graph.id],
      )) as [string, string, string][];
    return { store, graph, backend, claims };
  }

  it("writes one claim per constrained edge in upstream's axis/key format; many-edges claim nothing", async () => {
    const { store, claims } = await setup();
    const e1 = await store.edges.owns.create(u("a"), o("o1"));
    const e2 = await store.edges.follows.create(u("a"), o("o2"));
    const ended = await store.edges.leads.create(u("a"), o("o1"), {}, { validTo: "2020-01-01T00:00:00.000Z" });
    const e3 = await store.edges.leads.create(u("a"), o("o2"));
    expect(ended.id).toBeTruthy();
    expect(await claims()).toEqual([
      ["one:owns", '["User","a"]', e1.id],
      ["oneActive:leads", '["User","a"]', e3.id],
      ["unique:follows", '["User","a","Org","o2"]', e2.id],
    ]);
  });

  it("a claim whose holder was deleted is taken over; a live holder refuses; hard delete drops the row", async () => {
    const { store, claims } = await setup();
    const first = await store.edges.owns.create(u("a"), o("o1"));
    await expect(store.edges.owns.create(u("a"), o("o2"))).rejects.toBeInstanceOf(CardinalityError);
    await store.edges.owns.delete(first.id);
    const second = await store.edges.owns.create(u("a"), o("o2"));
    expect(await claims()).toEqual([["one:owns", '["User","a"]', second.id]]);
    await store.edges.owns.hardDelete(second.id);
    expect(await claims()).toEqual([]);
    const third = await store.edges.owns.create(u("a"), o("o3"));
    expect((await claims())[0]![2]).toBe(third.id);
  });

  it("bulk writes claim every item in one call; a repeated key in the batch is refused by index", async () => {
    const { store, claims } = await setup();
    await store.edges.follows.bulkInsert([
      { from: u("a"), to: o("o1"), props: {} },
      { from: u("a"), to: o("o2"), props: {} },
      { from: u("b"), to: o("o1"), props: {} },
    ]);
    expect((await claims()).map((c) => c[1])).toEqual(['["User","a","Org","o1"]', '["User","a","Org","o2"]', '["User","b","Org","o1"]']);
    const dup = await store.edges.owns
      .bulkInsert([
        { from: u("a"), to: o("o1"), props: {} },
        { from: u("b"), to: o("o1"), props: {} },
        { from: u("a"), to: o("o2"), props: {} },
      ])
      .catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(CardinalityError);
    expect((dup as CardinalityError).details).toMatchObject({ index: 2 });
    // Atomic: nothing of the failed batch was claimed.
    expect((await claims()).filter((c) => c[0] === "one:owns")).toEqual([]);
  });

  it("resurrecting a tombstoned edge through bulkUpsertById claims again, and refuses while another edge holds the axis", async () => {
    const { store, claims } = await setup();
    await store.edges.owns.bulkUpsertById([{ id: "x1", from: u("a"), to: o("o1"), props: {} }]);
    await store.edges.owns.delete("x1");
    await store.edges.owns.create(u("a"), o("o2"), {}, { id: "x2" });
    await expect(store.edges.owns.bulkUpsertById([{ id: "x1", from: u("a"), to: o("o1"), props: {} }])).rejects.toBeInstanceOf(CardinalityError);
    await store.edges.owns.delete("x2");
    await store.edges.owns.bulkUpsertById([{ id: "x1", from: u("a"), to: o("o1"), props: {} }]);
    expect(await claims()).toEqual([["one:owns", '["User","a"]', "x1"]]);
  });

  it("reopening an ended oneActive edge with clearValidTo is refused while another edge is active, and claims the axis when free", async () => {
    const { store, claims } = await setup();
    const ended = await store.edges.leads.create(u("a"), o("o1"), {}, { validTo: "2020-01-01T00:00:00.000Z" });
    const active = await store.edges.leads.create(u("a"), o("o2"));
    const refused = await store.edges.leads.update(ended.id, {}, { clearValidTo: true }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CardinalityError);
    expect((refused as CardinalityError).details).toMatchObject({ edgeKind: "leads", fromId: "a", cardinality: "oneActive" });
    // Nothing changed: the ended edge stays ended, the active one keeps the claim.
    expect((await store.edges.leads.getById(ended.id, "includeEnded"))?.meta.validTo).toBe("2020-01-01T00:00:00.000Z");
    expect(await claims()).toEqual([["oneActive:leads", '["User","a"]', active.id]]);
    // End the active edge: the old one may reopen, and takes the stale claim over.
    await store.edges.leads.update(active.id, {}, { validTo: new Date(Date.parse(active.meta.validFrom!) + 1) });
    const reopened = await store.edges.leads.update(ended.id, {}, { clearValidTo: true });
    expect(reopened.meta.validTo).toBeUndefined();
    expect(await claims()).toEqual([["oneActive:leads", '["User","a"]', ended.id]]);
    // Now the first one cannot reopen: the probe and the fence both see the live holder.
    await expect(store.edges.leads.update(active.id, {}, { clearValidTo: true })).rejects.toBeInstanceOf(CardinalityError);
    // Clearing validTo on an edge that is already active is a no-op for the fence.
    await store.edges.leads.update(ended.id, {}, { clearValidTo: true });
    expect(await claims()).toEqual([["oneActive:leads", '["User","a"]', ended.id]]);
  });

});


// Races need two connections at once: PostgreSQL only (SQLite serializes writers with BEGIN IMMEDIATE).
const pg = backends.find((b) => b.name === "postgres");
if (pg) {
  describe("edge claims under concurrency (postgres)", () => {
    const closers: (() => Promise<void>)[] = [];
    afterEach(async () => {
      while (closers.length) await closers.pop()!();
    });
    async function setup() {
      const graph = claimGraph(freshGraphId("claims_race"));
      const [store] = await createStoreWithSchema(graph, pg!.make(graph.id));
      closers.push(() => store.close());
      await store.nodes.User.bulkInsert([{ id: "a", props: { name: "A" } }]);
      await store.nodes.Org.bulkInsert([1, 2].map((i) => ({ id: `o${i}`, props: { name: `O${i}` } })));
      return { store };
    }

    it("two concurrent transactions cannot both create a `one` edge from the same source", async () => {
      const { store } = await setup();
      let created!: () => void;
      const firstCreated = new Promise<void>((r) => (created = r));
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const t1 = store.transaction(async (tx) => {
        await tx.edges.owns.create(u("a"), o("o1"));
        created();
        await gate;
      });
      await firstCreated;
      // The second writer's count probe sees no committed edge; only the claim row stops it.
      let secondSettled = false;
      const t2 = store
        .transaction(async (tx) => tx.edges.owns.create(u("a"), o("o2")))
        .finally(() => {
          secondSettled = true;
        });
      // Handled from the start: t2 may settle while this test still awaits t1.
      const t2Outcome = t2.then(
        () => undefined,
        (e: unknown) => e,
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(secondSettled).toBe(false); // waiting on the first writer's claim
      release();
      await t1;
      expect(await t2Outcome).toBeInstanceOf(CardinalityError);
      expect(await store.edges.owns.count()).toBe(1);
    });
  });
}
