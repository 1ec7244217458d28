// Bulk creates cross the boundary as columns and the engine reports taken ids from the insert
// itself (SQLite) or a batch lookup (PostgreSQL): every failure still names its item, writes
// nothing, and the optional per-item fields (id, validFrom, validTo) arrive where they were given.
import { afterEach, describe, expect, it } from "vitest";
import { EndpointNotFoundError, ValidationError, createStoreWithSchema, type Store } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";
import { makeGraph } from "./fixtures.js";

describe.each(backends)("bulk batch errors on $name", (bc) => {
  const open: Store[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function setup() {
    const graph = makeGraph(freshGraphId(`bulkerr_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id), { autoRefreshStatistics: false });
    open.push(store as unknown as Store);
    return store;
  }
  const people = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `p${i}`, props: { name: `P${i}` } }));
  const ring = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => ({ id: `k${from + i}`, from: { kind: "Person", id: `p${(from + i) % 100}` }, to: { kind: "Person", id: `p${(from + i + 1) % 100}` } }));

  it("an edge id already stored (live or deleted) deep in a large batch is named, nothing written", async () => {
    const store = await setup();
    await store.nodes.Person.bulkInsert(people(100));
    await store.edges.knows.bulkInsert(ring(10));
    await store.edges.knows.delete("k3");
    for (const taken of ["k7", "k3"]) {
      const batch = ring(6000, 10);
      batch[4321] = { ...batch[4321]!, id: taken };
      const err = await store.edges.knows.bulkInsert(batch).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      // As upstream, a refusal of a multi-row edge batch names the item by index, not a stored row id.
      expect((err as ValidationError).details).toMatchObject({ index: 4321, kind: "knows" });
      expect((err as ValidationError).details).not.toHaveProperty("id");
      expect((err as ValidationError).message).toContain("one of the 6000 knows ids");
      expect((err as ValidationError).message).toContain("(item 4321)");
    }
    expect(await store.edges.knows.count()).toBe(9);
    expect(await store.edges.knows.getById("k10")).toBeUndefined();
    // The same batch without the taken id goes through whole.
    await store.edges.knows.bulkInsert(ring(6000, 10));
    expect(await store.edges.knows.count()).toBe(6009);
  });

  it("inside a transaction a refused batch leaves the transaction's earlier writes usable", async () => {
    const store = await setup();
    await store.nodes.Person.bulkInsert(people(100));
    await store.edges.knows.bulkInsert(ring(5));
    await store.transaction(async (tx) => {
      await tx.edges.knows.bulkInsert(ring(5, 5));
      const batch = ring(10, 10);
      batch[6] = { ...batch[6]!, id: "k2" };
      const err = await tx.edges.knows.bulkInsert(batch).catch((e: unknown) => e);
      expect((err as ValidationError).details).toMatchObject({ index: 6, kind: "knows" });
      await tx.edges.knows.bulkInsert(ring(10, 10));
    });
    expect(await store.edges.knows.count()).toBe(20);
  });

  it("a live node id already stored is named on a kind without unique constraints; a soft-deleted one comes back", async () => {
    const store = await setup();
    await store.nodes.Company.bulkInsert([
      { id: "c1", props: { name: "C1" } },
      { id: "c2", props: { name: "C2" } },
    ]);
    await store.nodes.Company.delete("c2");
    for (const taken of ["c1"]) {
      const batch = Array.from({ length: 3000 }, (_, i) => ({ id: `n${i}`, props: { name: `N${i}` } }));
      batch[2999] = { id: taken, props: { name: "again" } };
      const err = await store.nodes.Company.bulkInsert(batch).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).details).toMatchObject({ index: 2999, id: taken });
      const created = await store.nodes.Company.bulkCreate([{ props: { name: "fresh" } }, { id: taken, props: { name: "again" } }]).catch((e: unknown) => e);
      expect((created as ValidationError).details).toMatchObject({ index: 1, id: taken });
    }
    expect(await store.nodes.Company.count()).toBe(1);
    expect(await store.nodes.Company.getById("n0")).toBeUndefined();
    // A tombstoned id is recreated, as a single create does.
    const batch = Array.from({ length: 3000 }, (_, i) => ({ id: `n${i}`, props: { name: `N${i}` } }));
    batch[2999] = { id: "c2", props: { name: "again" } };
    await store.nodes.Company.bulkInsert(batch);
    expect(await store.nodes.Company.getById("c2")).toMatchObject({ name: "again" });
    expect(await store.nodes.Company.count()).toBe(3001);
  });

  it("the first item with a missing or deleted endpoint is named, with the failing end", async () => {
    const store = await setup();
    await store.nodes.Person.bulkInsert(people(100));
    await store.nodes.Person.delete("p50");
    const batch = ring(5000, 0).map((e) => (e.to.id === "p50" ? { ...e, to: { kind: "Person", id: "p51" } } : e));
    batch[3333] = { ...batch[3333]!, from: { kind: "Person", id: "ghost" } };
    batch[4444] = { ...batch[4444]!, to: { kind: "Person", id: "p50" } };
    // p50 is also a `from` of items 50, 150, …: the earliest of all failing items is named.
    const first = await store.edges.knows.bulkInsert(batch).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(EndpointNotFoundError);
    expect((first as EndpointNotFoundError).details).toMatchObject({ index: 50, endpoint: "from", nodeId: "p50" });
    const later = batch.filter((e) => e.from.id !== "p50");
    const ghost = later.findIndex((e) => e.from.id === "ghost");
    const second = await store.edges.knows.bulkInsert(later).catch((e: unknown) => e);
    expect((second as EndpointNotFoundError).details).toMatchObject({ index: ghost, endpoint: "from", nodeId: "ghost" });
    const onlyTo = later.filter((e) => e.from.id !== "ghost");
    const dead = onlyTo.findIndex((e) => e.to.id === "p50");
    const third = await store.edges.knows.bulkInsert(onlyTo).catch((e: unknown) => e);
    expect((third as EndpointNotFoundError).details).toMatchObject({ index: dead, endpoint: "to", nodeId: "p50" });
    expect(await store.edges.knows.count()).toBe(0);
  });

  it("per-item ids and validity windows arrive where they were given; generated ids are unique", async () => {
    const store = await setup();
    const made = await store.nodes.Person.bulkCreate([
      { props: { name: "gen" } },
      { id: "given", props: { name: "given" }, validFrom: "2020-01-01T00:00:00.000Z" },
      { props: { name: "ends" }, validTo: new Date("2999-01-01T00:00:00.000Z") },
    ]);
    expect(made[0]!.meta.validTo).toBeUndefined();
    expect(made[1]).toMatchObject({ id: "given", meta: { validFrom: "2020-01-01T00:00:00.000Z", validTo: undefined } });
    expect(made[2]!.meta.validTo).toBe("2999-01-01T00:00:00.000Z");
    const many = await store.nodes.Person.bulkCreate(Array.from({ length: 1000 }, (_, i) => ({ props: { name: `g${i}` } })));
    const ids = new Set(many.map((n) => n.id));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{21}$/);
    const edges = await store.edges.knows.bulkCreate([
      { from: made[0]!, to: made[1]! },
      { id: "e-given", from: { kind: "Person", id: "given" }, to: made[2]!, validFrom: "2021-06-01T00:00:00.000Z" },
    ]);
    expect(edges[0]).toMatchObject({ fromId: made[0]!.id, toId: "given" });
    expect(edges[0]!.id).toMatch(/^[A-Za-z0-9_-]{21}$/);
    expect(edges[1]).toMatchObject({ id: "e-given", toId: made[2]!.id, meta: { validFrom: "2021-06-01T00:00:00.000Z" } });
  });
});
