// Collection find({ where }) runs through the query compiler, as upstream routes
// it: same predicates, temporal options, limit/offset, inside transactions too.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { UnsupportedPredicateError, createStoreWithSchema, defineGraph, defineNode, type Store } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Item = defineNode("Item", { schema: z.object({ name: z.string(), n: z.number(), tags: z.array(z.string()) }) });

describe.each(backends)("find({ where }) on $name", (bc) => {
  const open: Store<any>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  it("filters like a query, honours temporal options, limit and offset", async () => {
    const graph = defineGraph({ id: freshGraphId(`find_${bc.name}`), nodes: { Item } });
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    for (let i = 0; i < 6; i++) await store.nodes.Item.create({ name: `i${i}`, n: i, tags: i % 2 ? ["odd"] : [] }, { id: `i${i}` });
    await store.nodes.Item.create({ name: "later", n: 100, tags: [] }, { id: "later", validFrom: new Date(Date.now() + 3600_000).toISOString() });
    await store.nodes.Item.delete("i5");
    const odd = await store.nodes.Item.find({ where: (p) => p.tags.contains("odd") });
    expect(odd.map((x) => x.id).sort()).toEqual(["i1", "i3"]);
    expect(odd[0]).toEqual(await store.nodes.Item.getById(odd[0]!.id));
    expect(await store.nodes.Item.find({ where: (p) => p.n.gte(2), limit: 2 })).toHaveLength(2);
    const all = await store.nodes.Item.find({ where: (p) => p.n.gte(0) });
    expect(all).toHaveLength(5);
    expect(await store.nodes.Item.find({ where: (p) => p.n.gte(0), offset: 3 })).toHaveLength(2);
    const future = await store.nodes.Item.find({ where: (p) => p.n.gte(50) }, { temporalMode: "asOf", asOf: new Date(Date.now() + 7200_000).toISOString() });
    expect(future.map((x) => x.id)).toEqual(["later"]);
    const tomb = await store.nodes.Item.find({ where: (p) => p.n.eq(5) }, "includeTombstones");
    expect(tomb.map((x) => x.id)).toEqual(["i5"]);
    await expect(store.nodes.Item.find({ where: (p) => (p as never as Record<string, { eq(v: unknown): never }>).nope.eq(1) })).rejects.toBeInstanceOf(UnsupportedPredicateError);
    await store.transaction(async (tx) => {
      await tx.nodes.Item.create({ name: "tx", n: 7, tags: [] }, { id: "tx" });
      const seen = await tx.nodes.Item.find({ where: (p) => p.n.eq(7) });
      expect(seen.map((x) => x.id)).toEqual(["tx"]);
    });
  });
});
