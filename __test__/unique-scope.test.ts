// Unique constraints across a subclass hierarchy (`scope: "kindWithSubClasses"`), the per-item
// results of bulkGetOrCreateByConstraint / bulkGetOrCreateByEndpoints (repeated keys in one batch,
// atomicity), and the uniqueness fence between concurrent PostgreSQL writers.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { UniquenessError, ValidationError, createStoreWithSchema, defineEdge, defineGraph, defineNode } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", { schema: z.object({ name: z.string().min(1), email: z.string().optional() }) });
const Employee = defineNode("Employee", { schema: z.object({ name: z.string().min(1), email: z.string().optional() }) });
const Contractor = defineNode("Contractor", { schema: z.object({ name: z.string().min(1), email: z.string().optional() }) });
const Account = defineNode("Account", { schema: z.object({ handle: z.string().min(1), plan: z.string().optional() }) });
const likes = defineEdge("likes", { schema: z.object({ topic: z.string().optional(), weight: z.number().optional() }) });

const wide = { name: "email", fields: ["email"], scope: "kindWithSubClasses" as const, where: (p: { email: { isNotNull(): unknown } }) => p.email.isNotNull() };

function scopeGraph(id: string) {
  return defineGraph({
    id,
    nodes: {
      Person: { type: Person, unique: [wide] },
      Employee: { type: Employee, unique: [wide] },
      Contractor: { type: Contractor, unique: [{ name: "contractor_email", fields: ["email"], scope: "kind" as const }] },
      Account: { type: Account, unique: [{ name: "handle", fields: ["handle"] }] },
    },
    edges: { likes: { type: likes, from: [Person, Employee], to: [Account] } },
    ontology: [
      { metaEdge: "subClassOf", from: Employee, to: Person },
      { metaEdge: "subClassOf", from: Contractor, to: Person },
    ],
  } as never);
}

describe.each(backends)("unique scope and bulk get-or-create on $name", (bc) => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (closers.length) await closers.pop()!();
  });

  async function setup() {
    const graph = scopeGraph(freshGraphId(`uscope_${bc.name}`));
    const backend = bc.make(graph.id);
    const [store] = await createStoreWithSchema(graph, backend);
    closers.push(() => store.close());
    const raw = backend as unknown as { query(sql: string, params?: unknown[]): unknown[][] | Promise<unknown[][]> };
    const uniques = async () =>
      (await raw.query(
        bc.name === "sqlite"
          ? "SELECT node_kind, concrete_kind, node_id FROM typegraph_node_uniques WHERE graph_id = ? AND deleted_at IS NULL ORDER BY node_id"
          : "SELECT node_kind, concrete_kind, node_id FROM typegraph_node_uniques WHERE graph_id = $1 AND deleted_at IS NULL ORDER BY node_id",
        [graph.id],
      )) as [string, string, string][];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { store: store as any, uniques };
  }

  it("kindWithSubClasses: one key across the hierarchy, claimed at the component's code-point minimum", async () => {
    const { store, uniques } = await setup();
    const p = await store.nodes.Person.create({ name: "P", email: "a@x" }, { id: "p1" });
    const err = await store.nodes.Employee.create({ name: "E", email: "a@x" }, { id: "e1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UniquenessError);
    expect((err as UniquenessError).details).toMatchObject({ constraintName: "email", existingId: "p1", kind: "Person", newId: "e1" });
    // Contractor's own constraint is scoped to its kind: no conflict with Person's key.
    await store.nodes.Contractor.create({ name: "C", email: "a@x" }, { id: "c1" });
    const e = await store.nodes.Employee.create({ name: "E", email: "b@x" }, { id: "e2" });
    expect(await uniques()).toEqual([
      ["Contractor", "Contractor", "c1"],
      ["Contractor", "Employee", "e2"],
      ["Contractor", "Person", "p1"],
    ]);
    // A lookup from any member of the hierarchy finds the holder, whatever its kind.
    expect((await store.nodes.Employee.findByConstraint("email", { name: "?", email: "a@x" }))?.id).toBe(p.id);
    expect((await store.nodes.Person.findByConstraint("email", { name: "?", email: "b@x" }))?.id).toBe(e.id);
    // Released on delete: the key is reclaimable by a sibling kind.
    await store.nodes.Person.delete("p1");
    await expect(store.nodes.Employee.create({ name: "E3", email: "a@x" }, { id: "e3" })).resolves.toMatchObject({ id: "e3" });
    const hard = await store.nodes.Employee.hardDelete("e3");
    expect(hard).toBeUndefined();
    expect((await uniques()).map((u) => u[2])).toEqual(["c1", "e2"]);
  });

  it("bulkGetOrCreateByConstraint: per-item actions, repeated keys resolve to the first occurrence", async () => {
    const { store } = await setup();
    await store.nodes.Account.create({ handle: "old", plan: "free" }, { id: "old" });
    await store.nodes.Account.create({ handle: "gone" }, { id: "gone" });
    await store.nodes.Account.delete("gone");
    const out = await store.nodes.Account.bulkGetOrCreateByConstraint(
      "handle",
      [{ props: { handle: "new" } }, { props: { handle: "old", plan: "pro" } }, { props: { handle: "new", plan: "x" } }, { props: { handle: "gone" } }],
      { ifExists: "update" },
    );
    expect(out.map((r: { action: string }) => r.action)).toEqual(["created", "updated", "found", "resurrected"]);
    expect(out[2].node.id).toBe(out[0].node.id);
    expect(out[2].node.plan).toBeUndefined();
    expect(out[1].node.plan).toBe("pro");
    expect(out[3].node.id).toBe("gone");
    expect(await store.nodes.Account.count()).toBe(3);
  });

  it("bulkGetOrCreateByConstraint is atomic: an invalid item writes nothing", async () => {
    const { store } = await setup();
    const bad = await store.nodes.Account.bulkGetOrCreateByConstraint("handle", [{ props: { handle: "a" } }, { props: { handle: "" } }]).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).details.index).toBe(1);
    expect(await store.nodes.Account.count()).toBe(0);
  });

  it("bulkGetOrCreateByEndpoints: repeated endpoints (and matchOn values) resolve to one edge; atomic", async () => {
    const { store } = await setup();
    await store.nodes.Person.create({ name: "P" }, { id: "p" });
    await store.nodes.Account.bulkInsert([{ id: "a1", props: { handle: "a1" } }, { id: "a2", props: { handle: "a2" } }]);
    const P = { kind: "Person", id: "p" };
    const out = await store.edges.likes.bulkGetOrCreateByEndpoints(
      [
        { from: P, to: { kind: "Account", id: "a1" }, props: { topic: "t", weight: 1 } },
        { from: P, to: { kind: "Account", id: "a1" }, props: { topic: "t", weight: 2 } },
        { from: P, to: { kind: "Account", id: "a1" }, props: { topic: "u" } },
        { from: P, to: { kind: "Account", id: "a2" }, props: {} },
      ],
      { matchOn: ["topic"] },
    );
    expect(out.map((r: { action: string }) => r.action)).toEqual(["created", "found", "created", "created"]);
    expect(out[1].edge.id).toBe(out[0].edge.id);
    expect(out[1].edge.weight).toBe(1);
    const again = await store.edges.likes.bulkGetOrCreateByEndpoints([{ from: P, to: { kind: "Account", id: "a1" }, props: { topic: "t" } }], { matchOn: ["topic"] });
    expect(again[0].action).toBe("found");
    const failed = await store.edges.likes
      .bulkGetOrCreateByEndpoints([
        { from: P, to: { kind: "Account", id: "a2" }, props: { topic: "new" } },
        { from: P, to: { kind: "Account", id: "missing" }, props: {} },
      ], { matchOn: ["topic"] })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect(await store.edges.likes.count()).toBe(3);
  });
});

const pg = backends.find((b) => b.name === "postgres");
if (pg) {
  describe("uniqueness under concurrency (postgres)", () => {
    it("two concurrent transactions cannot both claim one key", async () => {
      const graph = scopeGraph(freshGraphId("uscope_race"));
      const [s] = await createStoreWithSchema(graph, pg.make(graph.id));
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const store = s as any;
      try {
        let created!: () => void;
        const firstCreated = new Promise<void>((r) => (created = r));
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const t1 = store.transaction(async (tx: any) => {
          await tx.nodes.Account.create({ handle: "same" }, { id: "first" });
          created();
          await gate;
        });
        await firstCreated;
        const t2 = store.transaction(async (tx: any) => tx.nodes.Account.create({ handle: "same" }, { id: "second" }));
        // Handled from the start: t2 may settle while this test still awaits t1.
        const t2Outcome = t2.then(
          () => undefined,
          (e: unknown) => e,
        );
        await new Promise((r) => setTimeout(r, 300));
        release();
        await t1;
        expect(await t2Outcome).toBeInstanceOf(UniquenessError);
        expect((await store.nodes.Account.findByConstraint("handle", { handle: "same" }))?.id).toBe("first");
        expect(await store.nodes.Account.count()).toBe(1);
      } finally {
        await store.close();
      }
    });
  });
}
