// traverse(…, { includeIdentityMembers: true }) at the current coordinate on both backends: the
// hop leaves from every visible member of the source's identity class (explicit same assertions
// and same-id folds), through the maintained closure, in one statement.
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigurationError, createStoreWithSchema, defineEdge, defineGraph, defineNode, inverseOf } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", { schema: z.object({ name: z.string() }) });
const Company = defineNode("Company", { schema: z.object({ name: z.string() }) });
const link = defineEdge("link", { schema: z.object({ since: z.number().optional() }) });
const bridge = defineEdge("bridge", { schema: z.object({}) });

function graph(id: string, identity = true) {
  return defineGraph({
    id,
    nodes: { Person: { type: Person }, Company: { type: Company } },
    edges: {
      link: { type: link, from: [Person, Company], to: [Person, Company] },
      bridge: { type: bridge, from: [Person, Company], to: [Person, Company] },
    },
    ontology: [inverseOf(bridge, bridge)],
    ...(identity ? { identity: { sameIdAcrossKinds: "fold" as const } } : {}),
  });
}

describe.each(backends)("identity-expanded traversal on $name", (bc) => {
  const backend = bc.make(freshGraphId(`identity_trav_${bc.name}`));
  afterAll(() => backend.close());

  async function open() {
    const [store] = await createStoreWithSchema(graph(freshGraphId("itrav")), backend);
    return store;
  }

  it("expands a hop through an asserted-same member and leaves ordinary hops alone", async () => {
    const store = await open();
    const alice = await store.nodes.Person.create({ name: "Alice" }, { id: "alice" });
    const alias = await store.nodes.Person.create({ name: "Alias" }, { id: "alias" });
    const bob = await store.nodes.Person.create({ name: "Bob" }, { id: "bob" });
    await store.identity.assertSame(alice, alias);
    await store.edges.link.create(alias, bob, { since: 2020 }, { id: "alias-bob" });
    await store.edges.link.create(alice, alias, {}, { id: "alice-alias" });

    const run = (includeIdentityMembers: boolean) =>
      store
        .query()
        .from("Person", "person")
        .whereNode("person", (n) => n.name.eq("Alice"))
        .traverse("link", "edge", { expand: "none", includeIdentityMembers })
        .to("Person", "friend")
        .select((ctx) => ({ edge: ctx.edge.id, friend: ctx.friend.id, since: ctx.edge.since }))
        .execute();
    expect(await run(false)).toEqual([{ edge: "alice-alias", friend: "alias", since: undefined }]);
    const expanded = [...(await run(true))].sort((a, b) => (a.edge < b.edge ? -1 : 1));
    expect(expanded).toEqual([
      { edge: "alias-bob", friend: "bob", since: 2020 },
      { edge: "alice-alias", friend: "alias", since: undefined },
    ]);

    // Retracting the assertion takes the member out again.
    await store.identity.retractSameAssertion(alice, alias);
    expect(await run(true)).toEqual([{ edge: "alice-alias", friend: "alias", since: undefined }]);
  });

  it("follows same-id folds, including peers created after the assertion, and skips deleted members", async () => {
    const store = await open();
    const person = await store.nodes.Person.create({ name: "P" }, { id: "acme" });
    const target = await store.nodes.Person.create({ name: "T" }, { id: "target" });
    const other = await store.nodes.Person.create({ name: "O" }, { id: "other" });
    const company = await store.nodes.Company.create({ name: "Acme Inc" }, { id: "acme" });
    await store.edges.link.create(company, target, {}, { id: "c-t" });

    const reach = () =>
      store
        .query()
        .from("Person", "p")
        .whereNode("p", (n) => n.name.eq("P"))
        .traverse("link", "e", { expand: "none", includeIdentityMembers: true })
        .to("Person", "t")
        .select((ctx) => ctx.t.id)
        .execute();
    expect(await reach()).toEqual(["target"]);

    // An explicit assertion joins a third node into the folded class.
    await store.identity.assertSame(company, other);
    await store.edges.link.create(other, person, {}, { id: "o-p" });
    expect([...(await reach())].sort()).toEqual(["acme", "target"]);
    expect(await store.identity.membersOf(target)).toEqual([{ kind: "Person", id: "target" }]);

    // Deleting the company ends its assertion and its fold: P's class is P alone again.
    await store.edges.link.delete("c-t");
    await store.nodes.Company.delete(company.id);
    expect(await reach()).toEqual([]);
    expect(await store.identity.membersOf(person)).toEqual([{ kind: "Person", id: "acme" }]);
    expect(await store.identity.assertionsOf(other)).toEqual([]);
  });

  it("runs inside a transaction against its uncommitted closure", async () => {
    const store = await open();
    const [a, b, c] = await store.nodes.Person.bulkCreate(["xa", "xb", "xc"].map((id) => ({ id, props: { name: id } })));
    await store.edges.link.create(b!, c!, {});
    const ids = await store.transaction(async (tx) => {
      await tx.identity.assertSame(a!, b!);
      return tx
        .query()
        .from("Person", "p")
        .whereNode("p", (n) => n.id.eq("xa"))
        .traverse("link", "e", { includeIdentityMembers: true })
        .to("Person", "q")
        .select((ctx) => ctx.q.id)
        .execute();
    });
    expect(ids).toEqual(["xc"]);
  });

  it("expands at past valid-time coordinates from the ledger, not the current closure", async () => {
    const store = await open();
    const origin = "2019-01-01T00:00:00.000Z";
    const [alice, alias, bob] = await store.nodes.Person.bulkCreate(["ha", "hb", "hc"].map((id) => ({ id, props: { name: id }, validFrom: origin })));
    await store.edges.link.create(alias!, bob!, {}, { id: "hb-hc", validFrom: origin });
    // Same only during 2020, then different from 2021.
    await store.identity.assertSame(alice!, alias!, { validFrom: "2020-01-01T00:00:00.000Z", validTo: "2021-01-01T00:00:00.000Z" });
    await store.identity.assertDifferent(alice!, alias!, { validFrom: "2021-01-01T00:00:00.000Z" });
    const at = (instant: string) =>
      store
        .asOf(instant)
        .query()
        .from("Person", "p")
        .whereNode("p", (n) => n.id.eq("ha"))
        .traverse("link", "e", { expand: "none", includeIdentityMembers: true })
        .to("Person", "q")
        .select((ctx) => ctx.q.id)
        .execute();
    expect(await at("2020-06-01T00:00:00.000Z")).toEqual(["hc"]);
    expect(await at("2019-06-01T00:00:00.000Z")).toEqual([]);
    expect(await at("2022-06-01T00:00:00.000Z")).toEqual([]);
    expect(await at(new Date().toISOString())).toEqual([]);
    // The same hop recursively, past and present.
    const recursive = (instant: string) =>
      store
        .asOf(instant)
        .query()
        .from("Person", "p")
        .whereNode("p", (n) => n.id.eq("ha"))
        .traverse("link", "e", { expand: "none", includeIdentityMembers: true })
        .recursive()
        .to("Person", "q")
        .select((ctx) => ctx.q.id)
        .execute();
    expect(await recursive("2020-06-01T00:00:00.000Z")).toEqual(["hc"]);
    expect(await recursive("2022-06-01T00:00:00.000Z")).toEqual([]);
  });

  it("does not conduct a same-id fold before both nodes were written", async () => {
    const store = await open();
    const person = await store.nodes.Person.create({ name: "P" }, { id: "late-fold", validFrom: "2020-01-01T00:00:00.000Z" });
    const company = await store.nodes.Company.create({ name: "C" }, { id: "late-fold", validFrom: "2020-01-01T00:00:00.000Z" });
    const target = await store.nodes.Person.create({ name: "T" }, { id: "late-target", validFrom: "2020-01-01T00:00:00.000Z" });
    await store.edges.link.create(company, target, {}, { validFrom: "2020-01-01T00:00:00.000Z" });
    const hop = (view: { query(): unknown }) =>
      (view.query() as ReturnType<typeof store.query>)
        .from("Person", "p")
        .whereNode("p", (n) => n.id.eq("late-fold"))
        .traverse("link", "e", { expand: "none", includeIdentityMembers: true })
        .to("Person", "q")
        .select((ctx) => ctx.q.id)
        .execute();
    expect(await hop(store.asOf("2021-01-01T00:00:00.000Z"))).toEqual([]);
    expect(await hop(store)).toEqual(["late-target"]);
    expect(await store.asOf("2021-01-01T00:00:00.000Z").identity.membersOf(person)).toEqual([{ kind: "Person", id: "late-fold" }]);
    expect(await store.identity.membersOf(person)).toEqual([
      { kind: "Company", id: "late-fold" },
      { kind: "Person", id: "late-fold" },
    ]);
    expect(await store.asOf(new Date().toISOString()).identity.membersOf(company)).toHaveLength(2);
  });

  it("recursive identity hops reach a folded peer of a visited id; paths stay bare ids", async () => {
    const store = await open();
    const start = await store.nodes.Person.create({ name: "Start" }, { id: "rshared" });
    await store.nodes.Company.create({ name: "Mid" }, { id: "rmid" });
    await store.nodes.Company.create({ name: "Peer" }, { id: "rshared" });
    await store.edges.link.create(start, { kind: "Company", id: "rmid" }, {});
    await store.edges.link.create({ kind: "Company", id: "rmid" }, { kind: "Company", id: "rshared" }, {});
    const paths = await store
      .query()
      .from("Person", "p")
      .whereNode("p", (n) => n.name.eq("Start"))
      .traverse("link", "e", { expand: "none", includeIdentityMembers: true })
      .recursive({ path: "hops" })
      .to("Company", "c")
      .select((ctx) => ctx.hops)
      .execute();
    expect(paths.map((p) => p.join("/")).sort()).toEqual(["rshared/rmid", "rshared/rmid/rshared"]);
  });

  it("is refused on graphs without the profile", async () => {
    const [store] = await createStoreWithSchema(graph(freshGraphId("itrav_off"), false), backend);
    expect(() =>
      store
        .query()
        .from("Person", "p")
        .traverse("link", "e", { includeIdentityMembers: true })
        .to("Person", "q"),
    ).toThrow(ConfigurationError);
  });
});
