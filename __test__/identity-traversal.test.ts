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
