// Bulk paths on both backends: atomic, one crossing per call, failures name the item.
import { afterEach, describe, expect, it } from "vitest";
import {
  CardinalityError,
  EndpointError,
  EndpointNotFoundError,
  NodeConstraintNotFoundError,
  UniquenessError,
  ValidationError,
  createStoreWithSchema,
  type Store,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";
import { makeGraph } from "./fixtures.js";

describe.each(backends)("bulk on $name", (bc) => {
  const open: Store[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function setup() {
    const graph = makeGraph(freshGraphId(`bulk_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store as unknown as Store);
    return store;
  }

  it("bulkCreate returns nodes in input order; bulkInsert writes without results", async () => {
    const store = await setup();
    const made = await store.nodes.Person.bulkCreate([{ props: { name: "A" } }, { props: { name: "B", age: 2 }, id: "b" }]);
    expect(made.map((n) => n.name)).toEqual(["A", "B"]);
    expect(made[1]!.id).toBe("b");
    expect(made[0]!.meta.version).toBe(1);
    const items = Array.from({ length: 6000 }, (_, i) => ({ id: `p${i}`, props: { name: `P${i}`, age: i } }));
    await expect(store.nodes.Person.bulkInsert(items)).resolves.toBeUndefined();
    expect(await store.nodes.Person.count()).toBe(6002);
    expect((await store.nodes.Person.getById("p5999"))?.age).toBe(5999);
  });

  it("a failing item writes nothing and is named", async () => {
    const store = await setup();
    await store.nodes.Person.create({ name: "X", email: "x@x" }, { id: "x" });
    const bad = await store.nodes.Person.bulkInsert([{ props: { name: "ok" } }, { props: { name: "" } }]).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).details.index).toBe(1);
    const dup = await store.nodes.Person.bulkInsert([{ props: { name: "n1" }, id: "n1" }, { props: { name: "n2" }, id: "x" }]).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(ValidationError);
    expect((dup as ValidationError).details.index).toBe(1);
    const uniq = await store.nodes.Person.bulkInsert([{ props: { name: "u1" } }, { props: { name: "u2", email: "x@x" } }]).catch((e: unknown) => e);
    expect(uniq).toBeInstanceOf(UniquenessError);
    expect(await store.nodes.Person.count()).toBe(1);
  });

  it("bulkUpsertById creates, merges, applies repeats in order and resurrects", async () => {
    const store = await setup();
    await store.nodes.Person.create({ name: "Live", age: 1 }, { id: "live" });
    await store.nodes.Person.create({ name: "Gone", age: 5 }, { id: "gone" });
    await store.nodes.Person.delete("gone");
    const out = await store.nodes.Person.bulkUpsertById([
      { id: "live", props: { age: 2 } as never },
      { id: "new", props: { name: "New" } },
      { id: "gone", props: { name: "Back" } },
      { id: "new", props: { age: 9 } as never },
    ]);
    expect(out.map((n) => n.id)).toEqual(["live", "new", "gone", "new"]);
    expect(out[0]).toMatchObject({ name: "Live", age: 2, meta: { version: 2 } });
    // A repeated id: the first copy creates, the later one merges over it (as one-by-one upserts).
    expect(out[1]).toMatchObject({ name: "New", meta: { version: 1 } });
    expect(out[1]).not.toHaveProperty("age");
    expect(out[3]).toMatchObject({ name: "New", age: 9, meta: { version: 2 } });
    expect(out[2]).toMatchObject({ name: "Back", age: 5, meta: { version: 2, deletedAt: undefined } });
    expect(await store.nodes.Person.count()).toBe(3);
  });

  it("bulkDelete ignores missing ids and applies onDelete", async () => {
    const store = await setup();
    await store.nodes.Company.bulkInsert([{ id: "c1", props: { name: "C1" } }, { id: "c2", props: { name: "C2" } }]);
    const p = await store.nodes.Person.create({ name: "P" });
    await store.edges.worksAt.create(p, { kind: "Company", id: "c1" }, { role: "r" });
    await store.nodes.Company.bulkDelete(["c1", "c2", "nope"]);
    expect(await store.nodes.Company.count()).toBe(0);
    expect(await store.edges.worksAt.count()).toBe(0);
  });

  it("edges: bulk endpoint checks, cardinality, atomicity", async () => {
    const store = await setup();
    await store.nodes.Person.bulkInsert(Array.from({ length: 50 }, (_, i) => ({ id: `p${i}`, props: { name: `P${i}` } })));
    const edges = await store.edges.knows.bulkCreate(
      Array.from({ length: 49 }, (_, i) => ({ from: { kind: "Person", id: `p${i}` }, to: { kind: "Person", id: `p${i + 1}` } })),
    );
    expect(edges).toHaveLength(49);
    expect(edges[3]).toMatchObject({ fromId: "p3", toId: "p4" });
    const missing = await store.edges.knows
      .bulkInsert([{ from: { kind: "Person", id: "p1" }, to: { kind: "Person", id: "p2" } }, { from: { kind: "Person", id: "p1" }, to: { kind: "Person", id: "zz" } }])
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(EndpointNotFoundError);
    expect((missing as EndpointNotFoundError).details).toMatchObject({ index: 1, nodeId: "zz" });
    const wrongKind = await store.edges.knows.bulkInsert([{ from: { kind: "Company", id: "p1" }, to: { kind: "Person", id: "p2" } }]).catch((e: unknown) => e);
    expect(wrongKind).toBeInstanceOf(EndpointError);
    await store.nodes.Company.create({ name: "A" }, { id: "a" });
    await store.nodes.Company.create({ name: "B" }, { id: "b" });
    const card = await store.edges.manages
      .bulkInsert([{ from: { kind: "Person", id: "p1" }, to: { kind: "Company", id: "a" } }, { from: { kind: "Person", id: "p1" }, to: { kind: "Company", id: "b" } }])
      .catch((e: unknown) => e);
    expect(card).toBeInstanceOf(CardinalityError);
    expect(await store.edges.knows.count()).toBe(49);
    expect(await store.edges.manages.count()).toBe(0);
    await store.edges.knows.bulkDelete(edges.slice(0, 10).map((e) => e.id));
    expect(await store.edges.knows.count()).toBe(39);
  });

  it("bulk writes inside a transaction roll back with it", async () => {
    const store = await setup();
    await store
      .transaction(async (tx) => {
        await tx.nodes.Person.bulkInsert([{ props: { name: "A" } }, { props: { name: "B" } }]);
        throw new Error("stop");
      })
      .catch(() => undefined);
    expect(await store.nodes.Person.count()).toBe(0);
  });
});

describe.each(backends)("unique constraints on $name", (bc) => {
  it("finds and gets-or-creates by constraint", async () => {
    const graph = makeGraph(freshGraphId(`uniq_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    try {
      const a = await store.nodes.Person.getOrCreateByConstraint("person_email", { name: "A", email: "a@x" });
      expect(a.action).toBe("created");
      const b = await store.nodes.Person.getOrCreateByConstraint("person_email", { name: "Other", email: "a@x" });
      expect(b).toMatchObject({ action: "found", node: { id: a.node.id, name: "A" } });
      const c = await store.nodes.Person.getOrCreateByConstraint("person_email", { name: "A2", email: "a@x" }, { ifExists: "update" });
      expect(c).toMatchObject({ action: "updated", node: { id: a.node.id, name: "A2", meta: { version: 2 } } });
      expect((await store.nodes.Person.findByConstraint("person_email", { email: "a@x" }))?.id).toBe(a.node.id);
      expect(await store.nodes.Person.findByConstraint("person_email", { email: "none@x" })).toBeUndefined();
      await store.nodes.Person.delete(a.node.id);
      expect(await store.nodes.Person.findByConstraint("person_email", { email: "a@x" })).toBeUndefined();
      const d = await store.nodes.Person.getOrCreateByConstraint("person_email", { name: "Back", email: "a@x" });
      expect(d).toMatchObject({ action: "resurrected", node: { id: a.node.id, name: "Back" } });
      const many = await store.nodes.Person.bulkFindByConstraint("person_email", [{ props: { email: "zz" } }, { props: { email: "a@x" } }]);
      expect(many.map((n) => n?.id)).toEqual([undefined, a.node.id]);
      // Changing the unique field frees the old value.
      await store.nodes.Person.update(a.node.id, { email: "b@x" });
      expect((await store.nodes.Person.getOrCreateByConstraint("person_email", { name: "New", email: "a@x" })).action).toBe("created");
      await expect(store.nodes.Person.findByConstraint("nope", { email: "a@x" })).rejects.toBeInstanceOf(NodeConstraintNotFoundError);
    } finally {
      await store.close();
    }
  });
});

describe.each(backends)("edge identity by endpoints on $name", (bc) => {
  it("getOrCreateByEndpoints, findByEndpoints and bulkUpsertById", async () => {
    const graph = makeGraph(freshGraphId(`ends_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    try {
      const p = await store.nodes.Person.create({ name: "P" });
      const c = await store.nodes.Company.create({ name: "C" });
      const a = await store.edges.worksAt.getOrCreateByEndpoints(p, c, { role: "dev" }, { matchOn: ["role"] });
      expect(a.action).toBe("created");
      expect((await store.edges.worksAt.getOrCreateByEndpoints(p, c, { role: "dev" }, { matchOn: ["role"] })).action).toBe("found");
      const other = await store.edges.worksAt.getOrCreateByEndpoints(p, c, { role: "lead" }, { matchOn: ["role"] });
      expect(other.action).toBe("created");
      const anyRole = await store.edges.worksAt.getOrCreateByEndpoints(p, c, { role: "x" }, { ifExists: "update" });
      expect(anyRole).toMatchObject({ action: "updated", edge: { id: a.edge.id, role: "x" } });
      expect((await store.edges.worksAt.findByEndpoints(p, c, { matchOn: ["role"], props: { role: "lead" } }))?.id).toBe(other.edge.id);
      expect(await store.edges.worksAt.findByEndpoints(p, c, { matchOn: ["role"], props: { role: "none" } })).toBeUndefined();
      await store.edges.worksAt.delete(other.edge.id);
      const back = await store.edges.worksAt.getOrCreateByEndpoints(p, c, { role: "lead" }, { matchOn: ["role"] });
      expect(back).toMatchObject({ action: "resurrected", edge: { id: other.edge.id, meta: { validFrom: other.edge.meta.validFrom, deletedAt: undefined } } });

      const up = await store.edges.worksAt.bulkUpsertById([
        { id: a.edge.id, from: p, to: c, props: { role: "merged" } },
        { id: "w_new", from: p, to: c, props: { role: "new" } },
      ]);
      expect(up.map((e) => [e.id, e.role])).toEqual([[a.edge.id, "merged"], ["w_new", "new"]]);
      const q = await store.nodes.Person.create({ name: "Q" });
      const moved = await store.edges.worksAt.bulkUpsertById([{ id: "w_new", from: q, to: c, props: { role: "r" } }]).catch((e: unknown) => e);
      expect(moved).toBeInstanceOf(ValidationError);
      expect((moved as ValidationError).details.issues).toEqual([expect.objectContaining({ code: "EDGE_IDENTITY_MISMATCH" })]);
    } finally {
      await store.close();
    }
  });
});

describe("bulkLoad with deferred indexes", () => {
  it("loads a fresh SQLite database, rebuilds every secondary index, and rolls back whole on failure", async () => {
    const { createLocalSqliteBackend } = await import("../dist/sqlite-local.js");
    const graph = makeGraph(freshGraphId("load"));
    const { backend, db } = createLocalSqliteBackend();
    db.exec(`CREATE INDEX "idx_user_person_age" ON "typegraph_nodes" ("graph_id", "kind", (json_extract("props", '$."age"')))`);
    const [store] = await createStoreWithSchema(graph, backend);
    const indexes = () => db.query("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name");
    const before = indexes();
    const bad = await store
      .bulkLoad(async (tx) => {
        await tx.nodes.Person.bulkInsert([{ id: "a", props: { name: "A" } }]);
        expect(indexes().length).toBeLessThan(before.length);
        await tx.nodes.Person.bulkInsert([{ props: { name: "" } }]);
      })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect(indexes()).toEqual(before);
    expect(await store.nodes.Person.count()).toBe(0);
    const n = await store.bulkLoad(async (tx) => {
      await tx.nodes.Person.bulkInsert(Array.from({ length: 100 }, (_, i) => ({ id: `p${i}`, props: { name: `P${i}`, age: i } })));
      await tx.edges.knows.bulkInsert(Array.from({ length: 99 }, (_, i) => ({ from: { kind: "Person", id: `p${i}` }, to: { kind: "Person", id: `p${i + 1}` } })));
      const missing = await tx.edges.knows.bulkInsert([{ from: { kind: "Person", id: "p1" }, to: { kind: "Person", id: "nope" } }]).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(EndpointNotFoundError);
      return 199;
    });
    expect(n).toBe(199);
    expect(indexes()).toEqual(before);
    expect(await store.edges.knows.count()).toBe(99);
    expect((await store.nodes.Person.find({ where: (p) => p.age.gte(98) })).length).toBe(2);
    await store.close();
  });
});
