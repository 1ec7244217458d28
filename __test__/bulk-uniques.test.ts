// Unique-constraint claims of whole batches (bulkInsert, bulkCreate, bulkUpsertById) on both
// backends: keys claimed, moved and freed as node-by-node writes would, refusals name the item
// and leave nothing written.
import { afterEach, describe, expect, it } from "vitest";
import { UniquenessError, createStoreWithSchema, type Store } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";
import { makeGraph } from "./fixtures.js";

describe.each(backends)("batch unique claims on $name", (bc) => {
  const open: Store[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function setup() {
    const graph = makeGraph(freshGraphId(`buniq_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store as unknown as Store);
    return store;
  }
  const email = async (store: Awaited<ReturnType<typeof setup>>, e: string) =>
    (await store.nodes.Person.findByConstraint("person_email", { email: e }))?.id;

  it("bulkInsert claims every key; a key repeated in the batch or held by a stored node is refused by item", async () => {
    const store = await setup();
    await store.nodes.Person.bulkInsert(Array.from({ length: 300 }, (_, i) => ({ id: `p${i}`, props: { name: `P${i}`, email: `p${i}@x` } })));
    expect(await email(store, "p299@x")).toBe("p299");
    const twice = await store.nodes.Person.bulkInsert([
      { id: "a", props: { name: "A", email: "new@x" } },
      { id: "b", props: { name: "B" } },
      { id: "c", props: { name: "C", email: "new@x" } },
    ]).catch((e: unknown) => e);
    expect(twice).toBeInstanceOf(UniquenessError);
    expect((twice as UniquenessError).details).toMatchObject({ index: 2, constraintName: "person_email", existingId: "a", newId: "c" });
    const stored = await store.nodes.Person.bulkCreate([
      { id: "d", props: { name: "D", email: "d@x" } },
      { id: "e", props: { name: "E", email: "p7@x" } },
      { id: "f", props: { name: "F", email: "p8@x" } },
    ]).catch((e: unknown) => e);
    expect(stored).toBeInstanceOf(UniquenessError);
    expect((stored as UniquenessError).details).toMatchObject({ index: 1, existingId: "p7", newId: "e" });
    expect(await store.nodes.Person.count()).toBe(300);
    expect(await email(store, "new@x")).toBeUndefined();
    expect(await email(store, "d@x")).toBeUndefined();
  });

  it("bulkUpsertById moves keys and frees the old ones, in the order of a node-by-node claim", async () => {
    const store = await setup();
    await store.nodes.Person.bulkInsert([
      { id: "a", props: { name: "A", email: "a@x" } },
      { id: "b", props: { name: "B", email: "b@x" } },
      { id: "c", props: { name: "C", email: "c@x" } },
      { id: "gone", props: { name: "G", email: "g@x" } },
    ]);
    await store.nodes.Person.delete("gone");
    // Updates claim in id order: a gives up a@x before b takes it, b gives up b@x before c.
    const out = await store.nodes.Person.bulkUpsertById([
      { id: "c", props: { email: "b@x" } as never },
      { id: "b", props: { email: "a@x" } as never },
      { id: "a", props: { email: "a2@x" } as never },
      { id: "n", props: { name: "N", email: "n@x" } },
      { id: "gone", props: { name: "G2", email: "g@x" } },
    ]);
    expect(out.map((n) => [n.id, n.email])).toEqual([["c", "b@x"], ["b", "a@x"], ["a", "a2@x"], ["n", "n@x"], ["gone", "g@x"]]);
    expect(await email(store, "a2@x")).toBe("a");
    expect(await email(store, "a@x")).toBe("b");
    expect(await email(store, "b@x")).toBe("c");
    expect(await email(store, "c@x")).toBeUndefined();
    expect(await email(store, "g@x")).toBe("gone");
    // Leaving the constraint's `where` (email absent) frees the key.
    await store.nodes.Person.bulkUpsertById([{ id: "a", props: { name: "A", email: undefined } as never }]);
    expect(await email(store, "a2@x")).toBeUndefined();
    await store.nodes.Person.bulkUpsertById([{ id: "z", props: { name: "Z", email: "a2@x" } }]);
    expect(await email(store, "a2@x")).toBe("z");

    // a comes before c, which still holds b@x when a claims it.
    const early = await store.nodes.Person.bulkUpsertById([
      { id: "a", props: { email: "b@x" } as never },
      { id: "c", props: { email: "c9@x" } as never },
    ]).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(UniquenessError);
    expect((early as UniquenessError).details).toMatchObject({ index: 0, existingId: "c", newId: "a" });
    const taken = await store.nodes.Person.bulkUpsertById([
      { id: "b", props: { email: "b9@x" } as never },
      { id: "m", props: { name: "M", email: "a2@x" } },
    ]).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(UniquenessError);
    expect((taken as UniquenessError).details).toMatchObject({ index: 1, existingId: "z", newId: "m" });
    // Nothing of the refused calls was written.
    expect(await email(store, "b@x")).toBe("c");
    expect(await email(store, "b9@x")).toBeUndefined();
    expect((await store.nodes.Person.getById("b"))?.email).toBe("a@x");
    expect(await store.nodes.Person.getById("m")).toBeUndefined();

    const twice = await store.nodes.Person.bulkUpsertById([
      { id: "b", props: { email: "same@x" } as never },
      { id: "q", props: { name: "Q", email: "same@x" } },
    ]).catch((e: unknown) => e);
    expect(twice).toBeInstanceOf(UniquenessError);
    expect(await email(store, "same@x")).toBeUndefined();
    expect(await store.nodes.Person.count()).toBe(6);
  });
});
