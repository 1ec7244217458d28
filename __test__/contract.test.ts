// The backend-parameterized contract suite: the same behaviour on SQLite and PostgreSQL.
import { afterEach, describe, expect, it } from "vitest";
import {
  BackendDisposedError,
  CardinalityError,
  EdgeNotFoundError,
  EndpointError,
  EndpointNotFoundError,
  KindNotFoundError,
  NodeNotFoundError,
  RestrictedDeleteError,
  UniquenessError,
  UnsupportedPredicateError,
  ValidationError,
  createStore,
  createStoreWithSchema,
  type Store,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";
import { makeGraph } from "./fixtures.js";

describe.each(backends)("contract on $name", (bc) => {
  const open: Store[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function setup() {
    const graph = makeGraph(freshGraphId(bc.name));
    const [store, result] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store as unknown as Store);
    return { graph, store, result };
  }

  it("initializes the schema once, then reports it unchanged", async () => {
    const { graph, store, result } = await setup();
    expect(result.status).toBe("initialized");
    expect(result.status === "initialized" && result.committedRow.schema_hash).toMatch(/^[0-9a-f]{16}$/);
    const [again, second] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(again as unknown as Store);
    expect(second).toEqual({ status: "unchanged", version: 1 });
    const active = await store.getActiveSchema();
    expect(active?.version).toBe(1);
    expect(active?.doc.graphId).toBe(graph.id);
  });

  it("creates and reads nodes with props at top level and system fields under meta", async () => {
    const { store } = await setup();
    const alice = await store.nodes.Person.create({ name: "Alice", age: 30, tags: ["a"] }, { id: "alice" });
    expect(alice.id).toBe("alice");
    expect(alice.kind).toBe("Person");
    expect(alice.name).toBe("Alice");
    expect(alice.meta.version).toBe(1);
    expect(alice.meta.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(alice.meta.validFrom).toBe(alice.meta.createdAt);
    expect(alice.meta.validTo).toBeUndefined();
    expect(alice.meta.deletedAt).toBeUndefined();
    expect(Object.keys(alice).slice(0, 3)).toEqual(["kind", "id", "meta"]);
    const bob = await store.nodes.Person.create({ name: "Bob" });
    expect(bob.id).toMatch(/^[A-Za-z0-9_-]{21}$/);
    expect(await store.nodes.Person.getById("alice")).toEqual(alice);
    expect(await store.nodes.Person.getById("nobody")).toBeUndefined();
    const many = await store.nodes.Person.getByIds(["nobody", bob.id, "alice"]);
    expect(many.map((n) => n?.id)).toEqual([undefined, bob.id, "alice"]);
    expect(await store.nodes.Person.count()).toBe(2);
  });

  it("refuses invalid props with ValidationError and writes nothing", async () => {
    const { store } = await setup();
    const err = await store.nodes.Person.create({ name: "" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).code).toBe("VALIDATION_ERROR");
    expect((err as ValidationError).details.issues).toEqual([expect.objectContaining({ path: "name" })]);
    expect(await store.nodes.Person.count()).toBe(0);
    await store.nodes.Person.create({ name: "A" }, { id: "x" });
    const dup = await store.nodes.Person.create({ name: "B" }, { id: "x" }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(ValidationError);
    expect((dup as ValidationError).details.issues).toEqual([expect.objectContaining({ code: "ENTITY_ALREADY_EXISTS" })]);
    expect((await store.nodes.Person.getById("x"))?.name).toBe("A");
  });

  it("updates with a shallow merge, full validation and a version bump", async () => {
    const { store } = await setup();
    const a = await store.nodes.Person.create({ name: "Alice", age: 30, tags: ["x"] });
    const b = await store.nodes.Person.update(a.id, { age: 31, tags: undefined });
    expect(b.name).toBe("Alice");
    expect(b.age).toBe(31);
    expect("tags" in b).toBe(false);
    expect(b.meta.version).toBe(2);
    expect(b.meta.createdAt).toBe(a.meta.createdAt);
    await expect(store.nodes.Person.update(a.id, { age: 1.5 })).rejects.toBeInstanceOf(ValidationError);
    expect((await store.nodes.Person.getById(a.id))?.age).toBe(31);
    await expect(store.nodes.Person.update("missing", { age: 1 })).rejects.toBeInstanceOf(NodeNotFoundError);
  });

  it("soft-deletes, hard-deletes and resurrects through upsertById", async () => {
    const { store } = await setup();
    const a = await store.nodes.Person.create({ name: "Alice", age: 30 }, { id: "a" });
    await store.nodes.Person.delete("a");
    expect(await store.nodes.Person.getById("a")).toBeUndefined();
    const tomb = await store.nodes.Person.getById("a", { temporalMode: "includeTombstones" });
    expect(tomb?.meta.deletedAt).toBeDefined();
    expect(tomb?.meta.version).toBe(1);
    await expect(store.nodes.Person.update("a", { age: 2 })).rejects.toBeInstanceOf(NodeNotFoundError);
    await store.nodes.Person.delete("a");
    const back = await store.nodes.Person.upsertById("a", { name: "Alice II" });
    expect(back.meta.deletedAt).toBeUndefined();
    expect(back.meta.version).toBe(2);
    expect(back.meta.createdAt).toBe(a.meta.createdAt);
    expect(back.name).toBe("Alice II");
    const up = await store.nodes.Person.upsertById("a", { name: "Alice III" });
    expect(up.meta.version).toBe(3);
    const created = await store.nodes.Person.upsertById("new", { name: "New" });
    expect(created.meta.version).toBe(1);
    await store.nodes.Person.hardDelete("a");
    expect(await store.nodes.Person.getById("a", "includeTombstones")).toBeUndefined();
    await store.nodes.Person.hardDelete("a");
  });

  it("finds with where, limit and offset", async () => {
    const { store } = await setup();
    for (const [name, age] of [["A", 20], ["B", 30], ["C", 40], ["D", 50]] as const) {
      await store.nodes.Person.create({ name, age, tags: [name] });
    }
    const older = await store.nodes.Person.find({ where: (p) => p.age.gte(30) });
    expect(older.map((p) => p.name).sort()).toEqual(["B", "C", "D"]);
    const either = await store.nodes.Person.find({ where: (p) => p.name.eq("A").or(p.age.between(45, 55)) });
    expect(either.map((p) => p.name).sort()).toEqual(["A", "D"]);
    const notIn = await store.nodes.Person.find({ where: (p) => p.name.notIn(["A", "B"]).and(p.age.lt(100)) });
    expect(notIn.map((p) => p.name).sort()).toEqual(["C", "D"]);
    const starts = await store.nodes.Person.find({ where: (p) => p.name.startsWith("c") });
    expect(starts.map((p) => p.name)).toEqual(["C"]);
    expect(await store.nodes.Person.find({ where: (p) => p.email.isNull(), limit: 2 })).toHaveLength(2);
    const page = await store.nodes.Person.find({ limit: 2, offset: 1 });
    expect(page).toHaveLength(2);
    const all = await store.nodes.Person.find();
    expect(page.map((p) => p.id)).toEqual(all.slice(1, 3).map((p) => p.id));
    await expect(store.nodes.Person.find({ where: (p) => (p as never as Record<string, { eq(v: unknown): never }>).nope.eq(1) })).rejects.toBeInstanceOf(
      UnsupportedPredicateError,
    );
  });

  it("queries externalRef fields by path", async () => {
    const { store } = await setup();
    await store.nodes.Doc.create({ source: { table: "documents", id: "doc_1" }, title: "One" });
    await store.nodes.Doc.create({ source: { table: "documents", id: "doc_2" } });
    const hit = await store.nodes.Doc.find({ where: (d) => d.source.get("id").eq("doc_2") });
    expect(hit.map((d) => d.source.id)).toEqual(["doc_2"]);
    await expect(store.nodes.Doc.create({ source: { table: "users" as "documents", id: "u" } })).rejects.toBeInstanceOf(ValidationError);
  });

  it("creates edges between nodes or refs and reads them back", async () => {
    const { store } = await setup();
    const alice = await store.nodes.Person.create({ name: "Alice" });
    const bob = await store.nodes.Person.create({ name: "Bob" });
    const acme = await store.nodes.Company.create({ name: "Acme" });
    const e = await store.edges.worksAt.create(alice, { kind: "Company", id: acme.id }, { role: "Engineer" });
    expect(e).toMatchObject({ kind: "worksAt", fromKind: "Person", fromId: alice.id, toKind: "Company", toId: acme.id, role: "Engineer" });
    expect(Object.keys(e).slice(0, 7)).toEqual(["id", "kind", "fromKind", "fromId", "toKind", "toId", "meta"]);
    expect("version" in e.meta).toBe(false);
    const k = await store.edges.knows.create(alice, bob);
    expect(await store.edges.worksAt.getById(e.id)).toEqual(e);
    expect(await store.edges.knows.getById(e.id)).toBeUndefined();
    expect((await store.edges.knows.findFrom(alice)).map((x) => x.id)).toEqual([k.id]);
    expect((await store.edges.knows.findTo(bob)).map((x) => x.id)).toEqual([k.id]);
    expect(await store.edges.knows.find({ from: bob })).toEqual([]);
    expect(await store.edges.worksAt.count()).toBe(1);
    const u = await store.edges.worksAt.update(e.id, { role: "Lead" });
    expect(u.role).toBe("Lead");
    await expect(store.edges.worksAt.update(e.id, { role: 5 as never })).rejects.toBeInstanceOf(ValidationError);
    await store.edges.knows.delete(k.id);
    expect(await store.edges.knows.getById(k.id)).toBeUndefined();
    await expect(store.edges.knows.update(k.id, {})).rejects.toBeInstanceOf(EdgeNotFoundError);
    await store.edges.knows.hardDelete(k.id);
    expect(await store.edges.knows.getById(k.id, "includeTombstones")).toBeUndefined();
  });

  it("checks edge endpoints: kinds (EndpointError) and existence (EndpointNotFoundError)", async () => {
    const { store } = await setup();
    const alice = await store.nodes.Person.create({ name: "Alice" });
    const acme = await store.nodes.Company.create({ name: "Acme" });
    const bad = await store.edges.worksAt.create(acme as never, alice as never, { role: "x" }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(EndpointError);
    expect((bad as EndpointError).details).toMatchObject({ edgeKind: "worksAt", endpoint: "from", actualKind: "Company" });
    const missing = await store.edges.worksAt.create(alice, { kind: "Company", id: "nope" }, { role: "x" }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(EndpointNotFoundError);
    expect((missing as EndpointNotFoundError).details).toMatchObject({ endpoint: "to", nodeId: "nope" });
    await store.nodes.Company.delete(acme.id);
    await expect(store.edges.worksAt.create(alice, acme, { role: "x" })).rejects.toBeInstanceOf(EndpointNotFoundError);
    expect(await store.edges.worksAt.count()).toBe(0);
  });

  it("enforces cardinality one", async () => {
    const { store } = await setup();
    const alice = await store.nodes.Person.create({ name: "Alice" });
    const a = await store.nodes.Company.create({ name: "A" });
    const b = await store.nodes.Company.create({ name: "B" });
    await store.edges.manages.create(alice, a);
    await expect(store.edges.manages.create(alice, b)).rejects.toBeInstanceOf(CardinalityError);
  });

  it("follows onDelete: restrict, cascade and disconnect", async () => {
    const { store } = await setup();
    const alice = await store.nodes.Person.create({ name: "Alice" });
    const bob = await store.nodes.Person.create({ name: "Bob" });
    const acme = await store.nodes.Company.create({ name: "Acme" });
    const team = await store.nodes.Team.create({ name: "T" });
    const w = await store.edges.worksAt.create(alice, acme, { role: "r" });
    await store.edges.knows.create(alice, bob);
    const m = await store.edges.memberOf.create(bob, team);
    const err = await store.nodes.Person.delete(alice.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestrictedDeleteError);
    expect((err as RestrictedDeleteError).details).toMatchObject({ edgeCount: 2, edgeKinds: ["knows", "worksAt"] });
    expect(await store.nodes.Person.getById(alice.id)).toBeDefined();
    await store.nodes.Company.delete(acme.id);
    expect(await store.edges.worksAt.getById(w.id)).toBeUndefined();
    expect((await store.edges.worksAt.getById(w.id, "includeTombstones"))?.meta.deletedAt).toBeDefined();
    await store.nodes.Team.hardDelete(team.id);
    expect(await store.edges.memberOf.getById(m.id, "includeTombstones")).toBeUndefined();
  });

  it("keeps unique constraints, reclaimable after soft delete", async () => {
    const { store } = await setup();
    const a = await store.nodes.Person.create({ name: "A", email: "a@x.io" });
    const err = await store.nodes.Person.create({ name: "B", email: "a@x.io" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UniquenessError);
    expect((err as UniquenessError).details).toMatchObject({ constraintName: "person_email", existingId: a.id });
    await store.nodes.Person.create({ name: "C" });
    await store.nodes.Person.create({ name: "D" });
    await store.nodes.Person.delete(a.id);
    const b = await store.nodes.Person.create({ name: "B", email: "a@x.io" });
    expect(b.email).toBe("a@x.io");
  });

  it("commits transactions, passes the result through, and rolls back on throw", async () => {
    const { store } = await setup();
    const out = await store.transaction(async (tx) => {
      const person = await tx.nodes.Person.create({ name: "Alice" });
      const company = await tx.nodes.Company.create({ name: "Acme" });
      await tx.edges.worksAt.create(person, company, { role: "Engineer" });
      return person.id;
    });
    expect((await store.nodes.Person.getById(out))?.name).toBe("Alice");
    expect(await store.edges.worksAt.count()).toBe(1);
    const boom = await store
      .transaction(async (tx) => {
        await tx.nodes.Person.create({ name: "Ghost" }, { id: "ghost" });
        await tx.nodes.Company.create({ name: "Ghost Inc" });
        throw new Error("boom");
      })
      .catch((e: unknown) => e);
    expect((boom as Error).message).toBe("boom");
    expect(await store.nodes.Person.getById("ghost")).toBeUndefined();
    expect(await store.nodes.Company.count()).toBe(1);
    const failed = await store
      .transaction(async (tx) => {
        await tx.nodes.Person.create({ name: "Kept?" }, { id: "k" });
        await tx.nodes.Person.create({ name: "" });
      })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ValidationError);
    expect(await store.nodes.Person.getById("k")).toBeUndefined();
  });

  it("throws KindNotFoundError for unknown kinds", async () => {
    const { store } = await setup();
    expect(() => (store.nodes as Record<string, unknown>).Nope).toThrow(KindNotFoundError);
    expect(store.getNodeCollection("Nope")).toBeUndefined();
    expect(() => store.getEdgeCollectionOrThrow("nope")).toThrow(KindNotFoundError);
  });

  it("fails with BackendDisposedError after close", async () => {
    const { store } = await setup();
    await store.nodes.Person.create({ name: "A" });
    await store.close();
    open.length = 0;
    await expect(store.nodes.Person.count()).rejects.toBeInstanceOf(BackendDisposedError);
  });

  it("refreshes planner statistics without changing results", async () => {
    const { store } = await setup();
    await store.nodes.Person.bulkInsert(Array.from({ length: 50 }, (_, i) => ({ id: `s${i}`, props: { name: `S${i}`, age: i } })));
    const before = await store.nodes.Person.getByIds(["s3", "nope", "s49"]);
    await store.refreshStatistics();
    expect(await store.nodes.Person.getByIds(["s3", "nope", "s49"])).toEqual(before);
    expect((await store.nodes.Person.find({ where: (p) => p.age.lt(5) })).length).toBe(5);
  });

  it("works as a raw createStore over existing tables", async () => {
    const { graph, store } = await setup();
    await store.nodes.Person.create({ name: "Seen" }, { id: "seen" });
    const raw = createStore(graph, bc.make(graph.id));
    open.push(raw as unknown as Store);
    expect((await raw.nodes.Person.getById("seen"))?.name).toBe("Seen");
  });
});
