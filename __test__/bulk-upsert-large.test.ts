// bulkUpsertById over large batches on both backends: new, live and soft-deleted ids mixed in
// one call (versions, timestamps, merged props, resurrection, search mirrors), and refusals
// deep inside a batch (a taken unique key, a failing after-image) that name the item and leave
// every row, key and mirror as it was.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  UniquenessError,
  ValidationError,
  createStoreWithSchema,
  defineGraph,
  defineNode,
  searchable,
  type Store,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";
import { makeGraph } from "./fixtures.js";

const Note = defineNode("Note", { schema: z.object({ title: searchable(), shelf: z.string(), rank: z.number().int().optional() }) });

describe.each(backends)("large bulkUpsertById on $name", (bc) => {
  const open: Store<any>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function people() {
    const graph = makeGraph(freshGraphId(`bupl_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store as unknown as Store<any>);
    return store;
  }

  it("mixes new, live and soft-deleted ids in one batch", async () => {
    const store = await people();
    const P = store.nodes.Person;
    await P.bulkInsert(Array.from({ length: 900 }, (_, i) => ({ id: `p${i}`, props: { name: `P${i}`, age: i, tags: ["kept"] } })));
    // p600..p899 become tombstones.
    await P.bulkDelete(Array.from({ length: 300 }, (_, i) => `p${600 + i}`));
    const before = new Map((await P.getByIds(Array.from({ length: 600 }, (_, i) => `p${i}`))).map((n) => [n!.id, n!]));
    const items = [];
    for (let i = 0; i < 1500; i++) {
      if (i % 3 === 0 && i / 3 < 600) items.push({ id: `p${i / 3}`, props: { age: 1000 + i } as never });
      else if (i % 3 === 1 && (i - 1) / 3 < 300) items.push({ id: `p${600 + (i - 1) / 3}`, props: { name: `R${i}` } });
      else items.push({ id: `n${i}`, props: { name: `N${i}`, age: i } });
    }
    const out = await P.bulkUpsertById(items);
    expect(out.map((n) => n.id)).toEqual(items.map((i) => i.id));
    for (const [j, item] of items.entries()) {
      const n = out[j]!;
      if (item.id.startsWith("p") && Number(item.id.slice(1)) < 600) {
        const old = before.get(item.id)!;
        // Merged over the stored props: name and tags kept, age replaced.
        expect(n).toMatchObject({ name: old.name, tags: ["kept"], age: 1000 + j });
        expect(n.meta.version).toBe(old.meta.version + 1);
        expect(n.meta.createdAt).toBe(old.meta.createdAt);
        expect(n.meta.updatedAt >= old.meta.updatedAt).toBe(true);
      } else if (item.id.startsWith("p")) {
        // Resurrected: the stored props merged under the new ones, live again.
        expect(n.meta.deletedAt).toBeUndefined();
        expect(n).toMatchObject({ name: `R${j}`, tags: ["kept"] });
        expect(n.meta.version).toBeGreaterThan(1);
      } else {
        expect(n).toMatchObject({ name: `N${j}`, age: j });
        expect(n.meta.version).toBe(1);
      }
    }
    expect(await P.count()).toBe(600 + 300 + items.filter((i) => i.id.startsWith("n")).length);
    const again = await P.getById("p750");
    expect(again).toMatchObject({ name: expect.stringMatching(/^R/), tags: ["kept"] });
  });

  it("a taken unique key deep in the batch names its item and writes nothing", async () => {
    const store = await people();
    const P = store.nodes.Person;
    await P.bulkInsert(Array.from({ length: 1200 }, (_, i) => ({ id: `p${i}`, props: { name: `P${i}`, email: `p${i}@x` } })));
    const items = [];
    for (let i = 0; i < 1600; i++) {
      if (i < 800) items.push({ id: `p${i}`, props: { email: `moved${i}@x` } as never });
      else items.push({ id: `n${i}`, props: { name: `N${i}`, email: `n${i}@x` } });
    }
    // Item 1357 (a new node) asks for a key a stored node outside the batch holds.
    items[1357] = { id: "n1357", props: { name: "N", email: "p1100@x" } };
    const err = await P.bulkUpsertById(items).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UniquenessError);
    expect((err as UniquenessError).details).toMatchObject({ index: 1357, existingId: "p1100", newId: "n1357", constraintName: "person_email" });
    expect(await P.count()).toBe(1200);
    expect((await P.getById("p5"))!.meta.version).toBe(1);
    expect((await P.findByConstraint("person_email", { email: "p5@x" }))?.id).toBe("p5");
    expect(await P.findByConstraint("person_email", { email: "moved5@x" })).toBeUndefined();
    expect(await P.findByConstraint("person_email", { email: "n900@x" })).toBeUndefined();
    // An updated item taking a key another live node keeps is refused the same way.
    const clash = await P.bulkUpsertById([
      ...Array.from({ length: 700 }, (_, i) => ({ id: `q${i}`, props: { name: `Q${i}`, email: `q${i}@x` } })),
      { id: "p3", props: { email: "p4@x" } as never },
    ]).catch((e: unknown) => e);
    expect(clash).toBeInstanceOf(UniquenessError);
    expect((clash as UniquenessError).details).toMatchObject({ index: 700, existingId: "p4", newId: "p3" });
    expect(await P.count()).toBe(1200);
  });

  it("keys of soft-deleted nodes are reclaimed inside a large batch; a resurrection claims its key again", async () => {
    const store = await people();
    const P = store.nodes.Person;
    await P.bulkInsert(Array.from({ length: 1000 }, (_, i) => ({ id: `p${i}`, props: { name: `P${i}`, email: `p${i}@x` } })));
    await P.bulkDelete(["p10", "p20"]);
    const items = [
      ...Array.from({ length: 1000 }, (_, i) => ({ id: `n${i}`, props: { name: `N${i}`, email: i === 500 ? "p10@x" : `n${i}@x` } })),
      { id: "p20", props: { name: "back" } },
    ];
    const out = await P.bulkUpsertById(items);
    expect(out[500]!.email).toBe("p10@x");
    expect((await P.findByConstraint("person_email", { email: "p10@x" }))?.id).toBe("n500");
    expect((await P.findByConstraint("person_email", { email: "p20@x" }))?.id).toBe("p20");
    // The resurrected p20 holds p20@x again: a later claim of it is refused.
    const err = await P.bulkUpsertById([{ id: "z", props: { name: "Z", email: "p20@x" } }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UniquenessError);
  });

  it("a failing after-image deep in the batch names its item and writes nothing", async () => {
    const store = await people();
    const P = store.nodes.Person;
    await P.bulkInsert(Array.from({ length: 1000 }, (_, i) => ({ id: `p${i}`, props: { name: `P${i}` } })));
    const items = Array.from({ length: 1500 }, (_, i) =>
      i < 1000 ? { id: `p${i}`, props: { age: i } as never } : { id: `n${i}`, props: { name: `N${i}` } },
    );
    // Merged over p999's stored props, an empty name fails the schema.
    items[999] = { id: "p999", props: { name: "" } as never };
    const err = await P.bulkUpsertById(items).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).details).toMatchObject({ index: 999 });
    expect(await P.count()).toBe(1000);
    expect((await P.getById("p0"))!.meta.version).toBe(1);
    expect((await P.getById("p0"))!.age).toBeUndefined();
  });

  it("moves fulltext mirrors of updated, created and resurrected nodes, and none of a refused batch", async () => {
    const graph = defineGraph({ id: freshGraphId(`bupf_${bc.name}`), nodes: { Note }, edges: {} });
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    const N = store.nodes.Note;
    await N.bulkInsert(Array.from({ length: 600 }, (_, i) => ({ id: `t${i}`, props: { title: `alpha ${i}`, shelf: "s" } })));
    await N.bulkDelete(["t1"]);
    const out = await N.bulkUpsertById([
      ...Array.from({ length: 600 }, (_, i) => ({ id: `t${i}`, props: { title: i === 1 ? "gamma back" : `beta ${i}` } as never })),
      ...Array.from({ length: 400 }, (_, i) => ({ id: `u${i}`, props: { title: `gamma ${i}`, shelf: "s" } })),
    ]);
    expect(out).toHaveLength(1000);
    expect(await store.search.fulltext("Note", { query: "alpha", limit: 10 })).toHaveLength(0);
    expect((await store.search.fulltext("Note", { query: "beta", limit: 1000 })).length).toBe(599);
    const gammas = await store.search.fulltext("Note", { query: "gamma", limit: 1000 });
    expect(gammas.length).toBe(401);
    expect(gammas.some((h) => h.node.id === "t1")).toBe(true);
    // A refused batch (rank must be an integer) leaves the mirrors as they were.
    const err = await N.bulkUpsertById([
      ...Array.from({ length: 500 }, (_, i) => ({ id: `t${i}`, props: { title: `delta ${i}` } as never })),
      { id: "bad", props: { title: "delta", shelf: "s", rank: 1.5 } },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).details).toMatchObject({ index: 500 });
    expect(await store.search.fulltext("Note", { query: "delta", limit: 10 })).toHaveLength(0);
    expect((await store.search.fulltext("Note", { query: "beta", limit: 1000 })).length).toBe(599);
  });
});
