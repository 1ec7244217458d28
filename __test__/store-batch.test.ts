// store.batch(): deferred reads (fluent queries, set operations, aggregates, edge batchFind*)
// run one after another, results typed and in input order; executeOn(tx) on set operations and
// aggregates; findByEndpoints refuses a matchOn naming no field before it reads.
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { count, createStore, defineEdge, defineGraph, defineNode, field, ValidationError, type GraphBackend } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Orchard = defineNode("Orchard", { schema: z.object({ region: z.string(), hectares: z.number() }) });
const Tree = defineNode("Tree", { schema: z.object({ cultivar: z.string(), planted: z.number() }) });
const grows = defineEdge("grows", { schema: z.object({ row: z.number(), tag: z.string().optional() }) });
const pollinates = defineEdge("pollinates");

describe.each(backends)("store.batch on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function orchardStore() {
    const graph = defineGraph({
      id: freshGraphId(`batch_${bc.name}`),
      nodes: { Orchard: { type: Orchard }, Tree: { type: Tree } },
      edges: {
        grows: { type: grows, from: [Orchard], to: [Tree] },
        pollinates: { type: pollinates, from: [Tree], to: [Tree] },
      },
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    const store = createStore(graph, backend);
    const north = await store.nodes.Orchard.create({ region: "north", hectares: 12 }, { id: "o-north" });
    const south = await store.nodes.Orchard.create({ region: "south", hectares: 5 }, { id: "o-south" });
    const gala = await store.nodes.Tree.create({ cultivar: "gala", planted: 2011 }, { id: "t-gala" });
    const fuji = await store.nodes.Tree.create({ cultivar: "fuji", planted: 2015 }, { id: "t-fuji" });
    const bramley = await store.nodes.Tree.create({ cultivar: "bramley", planted: 1999 }, { id: "t-bramley" });
    await store.edges.grows.create(north, gala, { row: 1, tag: "east" });
    await store.edges.grows.create(north, fuji, { row: 2 });
    await store.edges.grows.create(south, bramley, { row: 7 });
    await store.edges.pollinates.create(gala, fuji);
    return { store, north, south, gala, fuji, bramley };
  }

  it("returns each member's own projection, order and page, in input order", async () => {
    const { store } = await orchardStore();
    const [trees, regions, oldest] = await store.batch(
      store.query().from("Tree", "t").orderBy("t", "cultivar", "asc").select((c) => ({ cultivar: c.t.cultivar, planted: c.t.planted })),
      store.query().from("Orchard", "o").orderBy("o", "hectares", "desc").select((c) => c.o.region),
      store.query().from("Tree", "t").orderBy("t", "planted", "asc").limit(1).offset(1).select((c) => c.t.id),
    );
    expectTypeOf(trees).toEqualTypeOf<readonly { cultivar: string; planted: number }[]>();
    expectTypeOf(regions).toEqualTypeOf<readonly string[]>();
    expect(trees).toEqual([
      { cultivar: "bramley", planted: 1999 },
      { cultivar: "fuji", planted: 2015 },
      { cultivar: "gala", planted: 2011 },
    ]);
    expect(regions).toEqual(["north", "south"]);
    expect(oldest).toEqual(["t-gala"]);
  });

  it("mixes traversals, set operations, aggregates and edge reads", async () => {
    const { store, north, south, gala, fuji, bramley } = await orchardStore();
    const older = store.query().from("Tree", "t").whereNode("t", (t) => t.planted.lt(2012)).select((c) => c.t.cultivar);
    const northern = store
      .query()
      .from("Orchard", "o")
      .whereNode("o", (o) => o.region.eq("north"))
      .traverse("grows", "g")
      .to("Tree", "t")
      .select((c) => c.t.cultivar);
    const [both, perOrchard, fromNorth, toBramley, pair, none, rowsNorth] = await store.batch(
      older.intersect(northern),
      store
        .query()
        .from("Orchard", "o")
        .traverse("grows", "g")
        .to("Tree", "t")
        .groupByNode("o")
        .aggregate({ region: field("o", "region"), trees: count("t") })
        .orderBy("region", "asc"),
      store.edges.grows.batchFindFrom(north),
      store.edges.grows.batchFindTo(bramley),
      store.edges.grows.batchFindByEndpoints(north, gala, { matchOn: ["tag"], props: { tag: "east" } }),
      store.edges.grows.batchFindByEndpoints(south, fuji),
      northern.orderBy("g", "row", "desc"),
    );
    expect(both).toEqual(["gala"]);
    expect(perOrchard).toEqual([
      { region: "north", trees: 2 },
      { region: "south", trees: 1 },
    ]);
    expect(fromNorth.map((e) => e.row).sort()).toEqual([1, 2]);
    expect(fromNorth.every((e) => e.kind === "grows" && e.fromId === "o-north")).toBe(true);
    expect(toBramley.map((e) => e.fromId)).toEqual(["o-south"]);
    expect(pair).toHaveLength(1);
    expect(pair[0]!.tag).toBe("east");
    expect(none).toEqual([]);
    expect(rowsNorth).toEqual(["fuji", "gala"]);
  });

  it("edge batch reads skip deleted edges and take a temporal mode", async () => {
    const { store, north, gala } = await orchardStore();
    const [first] = await store.edges.grows.findFrom(north).then((es) => es.filter((e) => e.toId === gala.id));
    await store.edges.grows.delete(first!.id);
    const [live, withDeleted] = await store.batch(store.edges.grows.batchFindFrom(north), store.edges.grows.batchFindFrom(north, { temporalMode: "includeTombstones" }));
    expect(live.map((e) => e.toId)).toEqual(["t-fuji"]);
    expect(withDeleted.map((e) => e.toId).sort()).toEqual(["t-fuji", "t-gala"]);
  });

  it("a failing member fails the batch; a non-query argument is a TypeError", async () => {
    const { store, north, gala } = await orchardStore();
    const bad = store.edges.grows.batchFindByEndpoints(north, gala, { matchOn: ["width" as never] });
    const outcome = await store.batch(store.query().from("Tree", "t").select((c) => c.t.id), bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(outcome).toBeInstanceOf(ValidationError);
    const notQuery = await store.batch(store.query().from("Tree", "t").select((c) => c.t.id), { run: () => [] } as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(notQuery).toBeInstanceOf(TypeError);
  });

  it("set operations and aggregates run inside a transaction through executeOn(tx)", async () => {
    const { store } = await orchardStore();
    const young = store.query().from("Tree", "t").whereNode("t", (t) => t.planted.gt(2010)).select((c) => c.t.cultivar);
    const all = store.query().from("Tree", "t").select((c) => c.t.cultivar);
    const perRegion = store.query().from("Orchard", "o").groupBy("o", "region").aggregate({ region: field("o", "region"), n: count("o") });
    const seen = await store.transaction(async (tx) => {
      await tx.nodes.Tree.create({ cultivar: "cox", planted: 2020 }, { id: "t-cox" });
      await tx.nodes.Orchard.create({ region: "west", hectares: 3 }, { id: "o-west" });
      const outside = await all.except(young).executeOn(tx);
      const inside = await young.union(all).executeOn(tx);
      const groups = await perRegion.executeOn(tx);
      const [edges] = await Promise.all([store.edges.grows.batchFindFrom({ kind: "Orchard", id: "o-west" }).executeOn(tx)]);
      return { outside, inside, groups, edges };
    });
    expect([...seen.outside].sort()).toEqual(["bramley"]);
    expect([...seen.inside].sort()).toEqual(["bramley", "cox", "fuji", "gala"]);
    expect([...seen.groups].map((g) => g.region).sort()).toEqual(["north", "south", "west"]);
    expect(seen.edges).toEqual([]);
  });

  it("findByEndpoints refuses a matchOn that names no field, even when nothing connects the pair", async () => {
    const { store, south, gala } = await orchardStore();
    const outcome = await store.edges.grows.findByEndpoints(south, gala, { matchOn: ["toString" as never] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(outcome).toBeInstanceOf(ValidationError);
    expect(await store.edges.grows.findByEndpoints(south, gala, { matchOn: ["row"], props: { row: 1 } })).toBeUndefined();
  });
});
