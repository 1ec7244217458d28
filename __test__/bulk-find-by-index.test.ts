// store.nodes.<Kind>.bulkFindByIndex on both backends: buckets per input in input order, ordered
// by node id; keys from the index's fields only; a missing field matching a stored NULL; the
// index's `where`; limitPerInput; soft-deleted nodes left out; every error before SQL; the
// dynamic collection, transactions and runtime (graph-extension) indexes.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  NodeIndexNotFoundError,
  ValidationError,
  createStoreWithSchema,
  defineGraph,
  defineGraphExtension,
  defineNode,
} from "../dist/index.js";
import { defineNodeIndex } from "../dist/indexes-entry.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", {
  schema: z.object({
    name: z.string(),
    tenant: z.string().optional(),
    age: z.number().optional(),
    active: z.boolean().optional(),
    born: z.date().optional(),
    tags: z.array(z.string()).optional(),
    info: z.object({ team: z.string() }).optional(),
  }),
});
const Company = defineNode("Company", { schema: z.object({ name: z.string() }) });

const byTenant = defineNodeIndex(Person, { fields: ["tenant"], name: "bfi_by_tenant" });
const byTenantName = defineNodeIndex(Person, { fields: ["tenant", "name"], coveringFields: ["age"], name: "bfi_by_tenant_name" });
const activeByName = defineNodeIndex(Person, { fields: ["name"], where: (w) => w.active.eq(true), name: "bfi_active_by_name" });
const byAgeActive = defineNodeIndex(Person, { fields: ["age", "active"], name: "bfi_by_age_active" });
const byTeam = defineNodeIndex(Person, { fields: ["/info/team"], name: "bfi_by_team" });
const systemOnly = defineNodeIndex(Person, { keySystemColumns: ["id"], coveringFields: ["name"], name: "bfi_system_only" });
const byBorn = defineNodeIndex(Person, { fields: ["born"], name: "bfi_by_born" });
const byTags = defineNodeIndex(Person, { fields: ["tags"], method: "gin", name: "bfi_by_tags" });
const companyByName = defineNodeIndex(Company, { fields: ["name"], name: "bfi_company_by_name" });

function graphFor(id: string) {
  return defineGraph({
    id,
    nodes: { Person: { type: Person }, Company: { type: Company } },
    edges: {},
    indexes: [byTenant, byTenantName, activeByName, byAgeActive, byTeam, systemOnly, byBorn, byTags, companyByName],
  });
}

const ids = (buckets: readonly { id: string }[][]) => buckets.map((b) => b.map((n) => n.id));

describe.each(backends)("bulkFindByIndex on $name", (bc) => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function setup() {
    const graph = graphFor(freshGraphId(`bfi_${bc.name}`));
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    const people = store.nodes.Person;
    await people.bulkCreate([
      { id: "p3", props: { name: "Cy", tenant: "t1", age: 30, active: true } },
      { id: "p1", props: { name: "Ana", tenant: "t1", age: 41, active: false } },
      { id: "p2", props: { name: "Bo", tenant: "t1", age: 30, active: true, info: { team: "red" } } },
      { id: "q1", props: { name: "Ana", tenant: "t2", age: 30, active: true, info: { team: "blue" } } },
      { id: "n1", props: { name: "Ana", active: true } },
      { id: "n2", props: { name: "Dee" } },
    ]);
    return { graph, store, people };
  }

  it("returns one bucket per input, in input order, each ordered by node id", async () => {
    const { people } = await setup();
    const out = await people.bulkFindByIndex("bfi_by_tenant", [
      { props: { tenant: "t1" } },
      { props: { tenant: "t2" } },
      { props: { tenant: "nobody" } },
      { props: { tenant: "t1" } },
    ]);
    expect(ids(out as never)).toEqual([["p1", "p2", "p3"], ["q1"], [], ["p1", "p2", "p3"]]);
    const first = out[0]![0]!;
    expect(first.kind).toBe("Person");
    expect(first.name).toBe("Ana");
    expect(first.meta.version).toBe(1);
    // Repeated inputs get their own arrays.
    expect(out[0]).not.toBe(out[3]);
    expect(await people.bulkFindByIndex("bfi_by_tenant", [])).toEqual([]);
  });

  it("keys on the index's fields only; a missing field matches a stored NULL", async () => {
    const { people } = await setup();
    const out = await people.bulkFindByIndex("bfi_by_tenant_name", [
      { props: { tenant: "t1", name: "Ana" } },
      // age is a covering field, not part of the key: it does not filter.
      { props: { tenant: "t2", name: "Ana", age: 99 } },
      // no tenant: only the tenantless Ana.
      { props: { name: "Ana" } },
      { props: { tenant: undefined, name: "Dee" } },
      { props: {} },
    ]);
    expect(ids(out as never)).toEqual([["p1"], ["q1"], ["n1"], ["n2"], []]);
    // Nested pointers; a node without the object holds NULL there.
    const teams = await people.bulkFindByIndex("bfi_by_team", [{ props: { info: { team: "red" } } }, { props: {} }, { props: { info: { team: "green" } } }]);
    expect(ids(teams as never)).toEqual([["p2"], ["n1", "n2", "p1", "p3"], []]);
  });

  it("matches number and boolean keys by value", async () => {
    const { people } = await setup();
    const out = await people.bulkFindByIndex("bfi_by_age_active", [
      { props: { age: 30, active: true } },
      { props: { age: 30.0, active: false } },
      { props: { age: 41, active: false } },
      { props: { active: true } },
      { props: {} },
    ]);
    expect(ids(out as never)).toEqual([["p2", "p3", "q1"], [], ["p1"], ["n1"], ["n2"]]);
  });

  it("applies the index's where clause to stored rows", async () => {
    const { people } = await setup();
    const out = await people.bulkFindByIndex("bfi_active_by_name", [
      { props: { name: "Ana" } },
      { props: { name: "Dee" } },
      { props: { name: "Bo", active: false } },
    ]);
    // p1 (Ana, inactive) and n2 (no active flag) fall outside the partial index.
    expect(ids(out as never)).toEqual([["n1", "q1"], [], ["p2"]]);
  });

  it("caps each bucket at limitPerInput, keeping the lowest ids", async () => {
    const { people } = await setup();
    const out = await people.bulkFindByIndex(
      "bfi_by_tenant",
      [{ props: { tenant: "t1" } }, { props: { tenant: "t2" } }, { props: { tenant: "t1" } }, { props: {} }],
      { limitPerInput: 2 },
    );
    expect(ids(out as never)).toEqual([["p1", "p2"], ["q1"], ["p1", "p2"], ["n1", "n2"]]);
    const one = await people.bulkFindByIndex("bfi_by_tenant", [{ props: { tenant: "t1" } }], { limitPerInput: 1 });
    expect(ids(one as never)).toEqual([["p1"]]);
  });

  it("leaves soft-deleted nodes out and sees writes made in the same transaction", async () => {
    const { store, people } = await setup();
    await people.delete("p2");
    await people.bulkDelete(["q1"]);
    let out = await people.bulkFindByIndex("bfi_by_tenant", [{ props: { tenant: "t1" } }, { props: { tenant: "t2" } }]);
    expect(ids(out as never)).toEqual([["p1", "p3"], []]);
    // A resurrected node is found again.
    await people.upsertById("p2", { name: "Bo", tenant: "t1" });
    out = await people.bulkFindByIndex("bfi_by_tenant", [{ props: { tenant: "t1" } }]);
    expect(ids(out as never)).toEqual([["p1", "p2", "p3"]]);
    // As upstream: live means not soft-deleted; an ended validity window does not hide a node.
    await people.create({ name: "Old", tenant: "t9" }, { id: "e1", validFrom: "2020-01-01T00:00:00.000Z", validTo: "2021-01-01T00:00:00.000Z" });
    out = await people.bulkFindByIndex("bfi_by_tenant", [{ props: { tenant: "t9" } }]);
    expect(ids(out as never)).toEqual([["e1"]]);

    const seen = await store.transaction(async (tx) => {
      await tx.nodes.Person.create({ name: "Tx", tenant: "t7" }, { id: "x1" });
      return tx.nodes.Person.bulkFindByIndex("bfi_by_tenant", [{ props: { tenant: "t7" } }]);
    });
    expect(ids(seen as never)).toEqual([["x1"]]);
  });

  it("works on the dynamic collection and with the index of another collection kind", async () => {
    const { store } = await setup();
    await store.nodes.Company.create({ name: "Ana" }, { id: "c1" });
    const dyn = store.getNodeCollection("Person")!;
    const out = await dyn.bulkFindByIndex("bfi_by_tenant", [{ props: { tenant: "t2" } }]);
    expect(ids(out as never)).toEqual([["q1"]]);
    const companies = await store.getNodeCollectionOrThrow("Company").bulkFindByIndex("bfi_company_by_name", [{ props: { name: "Ana" } }]);
    expect(ids(companies as never)).toEqual([["c1"]]);
  });

  it("throws upstream's errors before any SQL", async () => {
    const { store, people } = await setup();
    const notFound = await people.bulkFindByIndex("nope", [{ props: { tenant: "t1" } }]).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(NodeIndexNotFoundError);
    expect((notFound as NodeIndexNotFoundError).code).toBe("INDEX_NOT_FOUND");
    expect((notFound as NodeIndexNotFoundError).details).toEqual({ indexName: "nope", kind: "Person" });
    expect((notFound as Error).message).toBe('Index not found: "nope" on node kind "Person"');
    // An index declared on another kind is not this kind's index.
    await expect(people.bulkFindByIndex("bfi_company_by_name", [{ props: { name: "Ana" } }])).rejects.toBeInstanceOf(NodeIndexNotFoundError);
    await expect(store.nodes.Company.bulkFindByIndex("bfi_by_tenant", [{ props: {} }])).rejects.toBeInstanceOf(NodeIndexNotFoundError);

    const noFields = await people.bulkFindByIndex("bfi_system_only", [{ props: { name: "Ana" } }]).catch((e: unknown) => e);
    expect(noFields).toBeInstanceOf(ConfigurationError);
    expect((noFields as Error).message).toContain("at least one prop-based field");
    const date = await people.bulkFindByIndex("bfi_by_born", [{ props: { born: new Date() } }]).catch((e: unknown) => e);
    expect(date).toBeInstanceOf(ConfigurationError);
    expect((date as Error).message).toContain("date-typed key fields");
    const gin = await people.bulkFindByIndex("bfi_by_tags", [{ props: { tags: ["a"] } }]).catch((e: unknown) => e);
    expect(gin).toBeInstanceOf(ConfigurationError);
    expect((gin as ConfigurationError).details).toMatchObject({ indexName: "bfi_by_tags", method: "gin" });

    for (const limitPerInput of [0, -1, 1.5, Number.NaN]) {
      const e = await people.bulkFindByIndex("bfi_by_tenant", [{ props: { tenant: "t1" } }], { limitPerInput }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).details).toMatchObject({ issues: [{ path: "limitPerInput" }] });
    }
    const nonScalar = await people.bulkFindByIndex("bfi_by_tenant", [{ props: { tenant: "t1" } }, { props: { tenant: ["t1"] as never } }]).catch((e: unknown) => e);
    expect(nonScalar).toBeInstanceOf(ValidationError);
    expect((nonScalar as ValidationError).details).toMatchObject({ kind: "Person", issues: [{ path: "/tenant", code: "invalid_type" }] });
    await expect(people.bulkFindByIndex("bfi_by_tenant", [{ props: { tenant: { a: 1 } as never } }])).rejects.toBeInstanceOf(ValidationError);
    await expect(people.bulkFindByIndex("bfi_by_age_active", [{ props: { age: "30" as never } }])).rejects.toBeInstanceOf(ValidationError);
    await expect(people.bulkFindByIndex("bfi_by_age_active", [{ props: { active: 1 as never } }])).rejects.toBeInstanceOf(ValidationError);
    // Empty input returns [] before the index is looked up (as upstream).
    expect(await people.bulkFindByIndex("nope", [])).toEqual([]);
  });

  it("gives the same answers once the index is materialized", async () => {
    // Physical index names are per database: unique to this graph, dropped afterwards.
    const id = freshGraphId(`bfi_mat_${bc.name}`);
    const suffix = id.slice(-14).toLowerCase().replace(/[^a-z0-9]/g, "_");
    const pair = defineNodeIndex(Person, { fields: ["tenant", "name"], name: `bfi_pair_${suffix}` });
    const active = defineNodeIndex(Person, { fields: ["name"], where: (w) => w.active.eq(true), name: `bfi_act_${suffix}` });
    const graph = defineGraph({ id, nodes: { Person: { type: Person } }, edges: {}, indexes: [pair, active] });
    const backend = bc.make(id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    await store.nodes.Person.bulkCreate([
      { id: "m2", props: { name: "Bo", tenant: "t1", active: true } },
      { id: "m1", props: { name: "Ana", active: true } },
      { id: "m3", props: { name: "Ana", tenant: "t1" } },
      { id: "m0", props: { name: "Ana", active: true } },
    ]);
    const materialized = await store.materializeIndexes();
    expect(materialized.results.map((r) => r.status)).toEqual(["created", "created"]);
    const raw = store.backend as unknown as { query(sql: string, p?: unknown[]): unknown };
    try {
      const out = await store.nodes.Person.bulkFindByIndex(pair.name, [{ props: { tenant: "t1", name: "Bo" } }, { props: { name: "Ana" } }, { props: { tenant: "t1", name: "Ana" } }]);
      expect(ids(out as never)).toEqual([["m2"], ["m0", "m1"], ["m3"]]);
      const act = await store.nodes.Person.bulkFindByIndex(active.name, [{ props: { name: "Ana" } }, { props: { name: "Bo" } }], { limitPerInput: 1 });
      expect(ids(act as never)).toEqual([["m0"], ["m2"]]);
    } finally {
      await raw.query(`DROP INDEX IF EXISTS "${pair.name}"`, []);
      await raw.query(`DROP INDEX IF EXISTS "${active.name}"`, []);
    }
  }, 180_000);

  it("looks up by a runtime index a graph extension declares", async () => {
    const { store } = await setup();
    const evolved = await store.evolve(
      defineGraphExtension({
        nodes: { Paper: { properties: { doi: { type: "string" }, venue: { type: "string", optional: true } } } },
        indexes: [{ entity: "node", kind: "Paper", name: "bfi_paper_by_venue", fields: ["venue"] }],
      }),
    );
    const papers = evolved.getNodeCollectionOrThrow("Paper");
    await papers.create({ doi: "10.1/b", venue: "ACL" }, { id: "b" });
    await papers.create({ doi: "10.1/a", venue: "ACL" }, { id: "a" });
    await papers.create({ doi: "10.1/c" }, { id: "c" });
    const out = await papers.bulkFindByIndex("bfi_paper_by_venue", [{ props: { venue: "ACL" } }, { props: {} }, { props: { venue: "NeurIPS" } }]);
    expect(ids(out as never)).toEqual([["a", "b"], ["c"], []]);
    await expect(evolved.nodes.Person.bulkFindByIndex("bfi_paper_by_venue", [{ props: {} }])).rejects.toBeInstanceOf(NodeIndexNotFoundError);
  });
});
