// Query and search behaviours aligned with upstream's shared integration suite (issues 3 and 5):
// aggregates over no rows, list-parameter bindings, backslash escapes in raw like/ilike, nested
// set-operation operands, and the search capabilities and fulltext upkeep a backend declares.
// SQLite and PostgreSQL through the public API.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  UnsupportedPredicateError,
  avg,
  count,
  createStoreWithSchema,
  defineGraph,
  defineNode,
  field,
  havingGt,
  max,
  min,
  param,
  searchable,
  sum,
  type Store,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Gauge = defineNode("Gauge", {
  schema: z.object({ label: z.string(), site: z.string(), reading: z.number().optional(), spare: z.boolean().optional() }),
});
const Memo = defineNode("Memo", {
  schema: z.object({ heading: searchable({ language: "english" }), text: searchable({ language: "english" }), shelf: z.string() }),
});

function makeGraph(id: string) {
  return defineGraph({ id, nodes: { Gauge, Memo }, edges: {} });
}
type G = ReturnType<typeof makeGraph>;

describe.each(backends)("query conformance on $name", (bc) => {
  const open: Store<G>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function fresh() {
    const graph = makeGraph(freshGraphId(`cq_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    return store;
  }

  async function gauges(store: Store<G>) {
    await store.nodes.Gauge.create({ label: "north-1", site: "north", reading: 4 });
    await store.nodes.Gauge.create({ label: "north-2", site: "north", reading: 10 });
    await store.nodes.Gauge.create({ label: "south-1", site: "south" });
    await store.nodes.Gauge.create({ label: "east_1", site: "east", reading: 7, spare: true });
  }

  describe("aggregates over no rows", () => {
    it("sum/avg/min/max read null and count reads 0 when nothing matches", async () => {
      const store = await fresh();
      await gauges(store);
      const [row] = await store
        .query()
        .from("Gauge", "g")
        .whereNode("g", (g) => g.site.eq("west"))
        .aggregate({ n: count("g"), total: sum("g", "reading"), mean: avg("g", "reading"), low: min("g", "reading"), high: max("g", "reading") })
        .execute();
      expect(row).toEqual({ n: 0, total: null, mean: null, low: null, high: null });
    });

    it("a group whose values are all missing aggregates to null; its missing key field stays undefined", async () => {
      const store = await fresh();
      await gauges(store);
      const rows = await store
        .query()
        .from("Gauge", "g")
        .groupBy("g", "site")
        .aggregate({ site: field("g", "site"), total: sum("g", "reading"), spare: field("g", "spare") })
        .orderBy("site")
        .execute();
      const south = rows.find((r) => r.site === "south")!;
      expect(south.total).toBeNull();
      expect(south.spare).toBeUndefined();
      const north = rows.find((r) => r.site === "north")!;
      expect(north.total).toBe(14);
    });

    it("a having clause keeps null aggregates of the groups it admits", async () => {
      const store = await fresh();
      await gauges(store);
      const rows = await store
        .query()
        .from("Gauge", "g")
        .groupBy("g", "site")
        .having(havingGt(count("g"), 0))
        .aggregate({ site: field("g", "site"), high: max("g", "reading") })
        .orderBy("site")
        .execute();
      expect(rows).toEqual([
        { site: "east", high: 7 },
        { site: "north", high: 10 },
        { site: "south", high: null },
      ]);
    });
  });

  describe("list-valued and scalar parameter bindings", () => {
    it("refuses a param() inside a literal in()/notIn() list when the predicate is built", async () => {
      const store = await fresh();
      expect(() => store.query().from("Gauge", "g").whereNode("g", (g) => g.label.in(["north-1", param("x")] as never))).toThrow(UnsupportedPredicateError);
      expect(() => store.query().from("Gauge", "g").whereNode("g", (g) => g.label.notIn([param("y")] as never))).toThrow(/param\("y"\) is not supported as an element of the notIn\(\) list/);
    });

    it("checks a list binding before any SQL runs: an array, no null, the field's type, finite numbers", async () => {
      const store = await fresh();
      await gauges(store);
      const byLabel = store.query().from("Gauge", "g").whereNode("g", (g) => g.label.in(param("labels"))).select((c) => c.g.label).prepare();
      await expect(byLabel.execute({ labels: "north-1" })).rejects.toThrow(/must be an array for in\(\)\/notIn\(\)/);
      await expect(byLabel.execute({ labels: ["north-1", null] })).rejects.toThrow(ConfigurationError);
      await expect(byLabel.execute({ labels: ["north-1", 3] })).rejects.toThrow(/every element must be a string/);
      expect(await byLabel.execute({ labels: ["north-2", "nowhere"] })).toEqual(["north-2"]);

      const byReading = store.query().from("Gauge", "g").whereNode("g", (g) => g.reading.notIn(param("values"))).select((c) => c.g.label).prepare();
      await expect(byReading.execute({ values: [4, "10"] })).rejects.toThrow(/every element must be a number; got string/);
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        await expect(byReading.execute({ values: [4, bad] })).rejects.toThrow(/must be a finite number/);
      }
      expect([...(await byReading.execute({ values: [4] }))].sort()).toEqual(["east_1", "north-2"]);

      // The same laundering on a scalar binding, and a string operator bound to a non-string.
      const eq = store.query().from("Gauge", "g").whereNode("g", (g) => g.reading.gte(param("at"))).select((c) => c.g.label).prepare();
      await expect(eq.execute({ at: Number.NaN })).rejects.toThrow(/"at" must be a finite number/);
      const prefix = store.query().from("Gauge", "g").whereNode("g", (g) => g.label.startsWith(param("p"))).select((c) => c.g.label).prepare();
      await expect(prefix.execute({ p: 5 })).rejects.toThrow(/must be a string for string operations/);
    });

    it("a literal list mixing types is refused as upstream words it", async () => {
      const store = await fresh();
      await expect(
        store
          .query()
          .from("Gauge", "g")
          .whereNode("g", (g) => g.reading.in([4, "x"] as never))
          .select((c) => c.g.label)
          .execute(),
      ).rejects.toThrow(/Mixed literal value types are not supported in predicates/);
    });
  });

  it("raw like/ilike patterns take backslash escapes, the same direct and prepared", async () => {
    const store = await fresh();
    await gauges(store);
    const direct = await store.query().from("Gauge", "g").whereNode("g", (g) => g.label.like(String.raw`east\_%`)).select((c) => c.g.label).execute();
    expect(direct).toEqual(["east_1"]);
    const prepared = store.query().from("Gauge", "g").whereNode("g", (g) => g.label.like(param("pat"))).select((c) => c.g.label).prepare();
    expect(await prepared.execute({ pat: String.raw`east\_%` })).toEqual(["east_1"]);
    // `\_` no longer matches the hyphen a bare `_` would.
    expect(await prepared.execute({ pat: String.raw`north\_1` })).toEqual([]);
    expect(await prepared.execute({ pat: "north_1" })).toEqual(["north-1"]);
    const folded = await store.query().from("Gauge", "g").whereNode("g", (g) => g.label.ilike(String.raw`EAST\_1`)).select((c) => c.g.label).execute();
    expect(folded).toEqual(["east_1"]);
  });

  describe("set operations chain left to right", () => {
    const site = (store: Store<G>, s: string) => store.query().from("Gauge", "g").whereNode("g", (g) => g.site.eq(s)).select((c) => c.g.label);

    it("a nested operand's limit/offset applies to that operand only", async () => {
      const store = await fresh();
      await gauges(store);
      // {north-1, north-2, south-1} offset 3 is empty; then ∪ {east_1}.
      const rows = await site(store, "north").union(site(store, "south")).limit(5).offset(3).union(site(store, "east")).execute();
      expect(rows).toEqual(["east_1"]);
      // The same operand with limit 0, then the outer limit over the whole chain.
      const capped = await site(store, "north").union(site(store, "south")).limit(0).unionAll(site(store, "east")).limit(3).execute();
      expect(capped).toEqual(["east_1"]);
      // Four rows in all; the outer offset leaves one of them.
      const outer = await site(store, "north").union(site(store, "south")).unionAll(site(store, "east")).limit(2).offset(3).execute();
      expect(outer).toHaveLength(1);
    });

    it("mixed operators group as written: (a ∪ b) ∩ c, not a ∪ (b ∩ c)", async () => {
      const store = await fresh();
      await gauges(store);
      const rows = await site(store, "north").union(site(store, "south")).intersect(site(store, "south")).execute();
      expect(rows).toEqual(["south-1"]);
      const minus = await site(store, "north").unionAll(site(store, "east")).except(site(store, "north")).execute();
      expect(minus).toEqual(["east_1"]);
    });
  });

  describe("select callbacks that branch on row values", () => {
    // The trace takes one branch; rows taking the other read a column the traced projection lacks.
    const pick = (c: { g: { label: string; site: string; reading?: number } }) => (c.g.label === "east_1" ? c.g.reading : c.g.site);

    it("every way of running the query answers with the column the branch needs", async () => {
      const store = await fresh();
      await gauges(store);
      const q = () => store.query().from("Gauge", "g").orderBy("g", "label", "asc").select(pick);
      const expected = [7, "north", "north", "south"];
      expect(await q().execute()).toEqual(expected);
      expect(await q().limit(1).first()).toBe(7);
      expect((await q().paginate({ first: 3 })).data).toEqual(expected.slice(0, 3));
      const streamed: unknown[] = [];
      for await (const v of q().stream({ batchSize: 2 })) streamed.push(v);
      expect(streamed).toEqual(expected);
      const prepared = store.query().from("Gauge", "g").whereNode("g", (g) => g.label.in(param("labels"))).orderBy("g", "label", "asc").select(pick).prepare();
      expect(await prepared.execute({ labels: ["east_1", "south-1"] })).toEqual([7, "south"]);
      expect(await prepared.execute({ labels: ["north-1", "east_1"] })).toEqual([7, "north"]);
      const union = await store
        .query()
        .from("Gauge", "g")
        .whereNode("g", (g) => g.site.eq("east"))
        .select(pick)
        .union(store.query().from("Gauge", "g").whereNode("g", (g) => g.site.eq("south")).select(pick))
        .execute();
      expect([...union].map(String).sort()).toEqual(["7", "south"]);
    });

    it("query hooks see each submitted statement, the retry with whole aliases included", async () => {
      const graph = makeGraph(freshGraphId(`cqh_${bc.name}`));
      const starts: { operationId: string; sql: string; params: readonly unknown[]; graphId: string }[] = [];
      const ends: { operationId: string; rowCount: number; durationMs: number }[] = [];
      const [store] = await createStoreWithSchema(graph, bc.make(graph.id), {
        hooks: {
          onQueryStart: (ctx) => void starts.push(ctx),
          onQueryEnd: (ctx, r) => void ends.push({ operationId: ctx.operationId, ...r }),
        },
      });
      open.push(store);
      await gauges(store);
      expect(starts).toHaveLength(0); // writes are not query-builder statements
      const sites = await store.query().from("Gauge", "g").whereNode("g", (g) => g.site.eq("north")).select((c) => c.g.label).execute();
      expect(sites).toHaveLength(2);
      expect(starts).toHaveLength(1);
      expect(starts[0]!.sql).toMatch(/SELECT/i);
      expect(starts[0]!.params).toContain("north");
      expect(starts[0]!.graphId).toBe(graph.id);
      expect(ends).toEqual([{ operationId: starts[0]!.operationId, rowCount: 2, durationMs: expect.any(Number) }]);

      await store.query().from("Gauge", "g").orderBy("g", "label", "asc").select(pick).execute();
      expect(starts).toHaveLength(3);
      expect(starts[1]!.operationId).not.toBe(starts[2]!.operationId);
      expect(starts[1]!.sql).not.toBe(starts[2]!.sql);
      expect(ends.slice(1).map((e) => e.rowCount)).toEqual([4, 4]);
      expect(await store.query().from("Gauge", "g").count()).toBe(4);
      expect(ends[3]!.rowCount).toBe(1);
    });

    it("onError sees a statement the database refuses, and the caller still gets the error", async () => {
      const graph = makeGraph(freshGraphId(`cqe_${bc.name}`));
      const failed: { sql: string; message: string }[] = [];
      const ended: number[] = [];
      const [store] = await createStoreWithSchema(graph, bc.make(graph.id), {
        hooks: {
          onQueryEnd: (_ctx, r) => void ended.push(r.rowCount),
          onError: (ctx, error) => void failed.push({ sql: "sql" in ctx ? String(ctx.sql) : "", message: error.message }),
        },
      });
      open.push(store);
      await gauges(store);
      // A LIKE pattern ending in its escape character: PostgreSQL refuses it when the statement
      // runs; SQLite's LIKE matches nothing.
      const run = store.query().from("Gauge", "g").whereNode("g", (g) => g.label.like("north\\")).select((c) => c.g.label).execute();
      if (bc.name === "postgres") {
        await expect(run).rejects.toThrow();
        expect(failed).toHaveLength(1);
        expect(failed[0]!.sql).toMatch(/LIKE/);
        expect(ended).toEqual([]);
      } else {
        expect(await run).toEqual([]);
        expect(failed).toEqual([]);
        expect(ended).toEqual([0]);
      }
    });
  });

  describe("search capabilities and fulltext upkeep", () => {
    it("declares what the backend's search side tables do", async () => {
      const store = await fresh();
      const caps = store.backend.capabilities;
      expect(caps.fulltext).toMatchObject({ supported: true, phraseQueries: true, prefixQueries: true, highlighting: true });
      expect(caps.fulltext!.languages.length).toBeGreaterThan(0);
      expect(caps.vector?.supported).toBe(true);
      expect(caps.vector!.metrics).toEqual(bc.name === "sqlite" ? ["cosine", "l2"] : ["cosine", "l2", "inner_product"]);
      expect(caps.vector!.indexTypes).toContain("hnsw");
      expect(caps.vector!.maxDimensions).toBeGreaterThan(1000);
      expect(typeof caps.vector!.filteredApproximateSearch.guaranteesFullPage).toBe("boolean");
      expect(caps.vector!.searchFrontierTuning.tunable).toBe(true);
      expect(store.capabilities).toBe(caps);
    });

    it("deleteFulltext drops a node's document, leaves the node, and rebuildFulltext restores it", async () => {
      const store = await fresh();
      const a = await store.nodes.Memo.create({ heading: "Harbour tides", text: "Spring tides flood the quay.", shelf: "coast" });
      const b = await store.nodes.Memo.create({ heading: "Orchard notes", text: "Pruning the pear trees.", shelf: "farm" });
      expect((await store.search.fulltext("Memo", { query: "tides", limit: 5 })).map((h) => h.node.id)).toEqual([a.id]);
      await store.backend.deleteFulltext!({ graphId: store.graphId, nodeKind: "Memo", nodeId: a.id });
      expect(await store.search.fulltext("Memo", { query: "tides", limit: 5 })).toEqual([]);
      expect((await store.nodes.Memo.getById(a.id))?.heading).toBe("Harbour tides");
      expect((await store.search.fulltext("Memo", { query: "pear", limit: 5 })).map((h) => h.node.id)).toEqual([b.id]);
      const stats = await store.search.rebuildFulltext("Memo");
      expect(stats).toMatchObject({ kinds: ["Memo"], upserted: 2, skipped: 0 });
      expect((await store.search.fulltext("Memo", { query: "tides", limit: 5 })).map((h) => h.node.id)).toEqual([a.id]);
      // A graph no store of this backend serves is named in the refusal.
      await expect(store.backend.deleteFulltext!({ graphId: "no_such_graph", nodeKind: "Memo", nodeId: a.id })).rejects.toThrow(ConfigurationError);
    });
  });
});
