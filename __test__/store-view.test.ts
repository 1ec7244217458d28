// Store views (`store.asOf(T)`, `store.view({ mode, asOf })`, `store.snapshot()`) on both
// backends: every read a view offers answers at its coordinate (collections, query, subgraph,
// algorithms, bulkFindEdgesFrom), writes and batch reads are refused at the call, lookups of the
// present only (constraints, indexes, search) work on "current" views alone, and the coordinate
// is checked when the view is made.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  KindNotFoundError,
  StoreView,
  ValidationError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  searchable,
  type GraphBackend,
} from "../dist/index.js";
import { defineNodeIndex } from "../dist/indexes-entry.js";
import { backends, freshGraphId } from "./backends.js";

const Station = defineNode("Station", { schema: z.object({ name: z.string(), zone: z.number() }) });
const Notice = defineNode("Notice", { schema: z.object({ text: searchable() }) });
const rail = defineEdge("rail", { schema: z.object({ minutes: z.number() }) });
const byZone = defineNodeIndex(Station, { fields: ["zone"], name: "sv_station_by_zone" });

// Three eras: the old network (OPENED..CLOSED), the pinned instant MID inside it, and today.
const OPENED = "2010-03-01T00:00:00.000Z";
const MID = "2015-06-15T12:00:00.000Z";
const CLOSED = "2018-09-30T00:00:00.000Z";

/** Names in code-point order, misses (null) last. */
const names = (rows: readonly ({ name: string } | undefined)[]) => [...rows.filter((r) => r !== undefined).map((r) => r.name).sort(), ...rows.filter((r) => r === undefined).map(() => null)];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a rejected or thrown call failed with (never leaves a rejection unhandled). */
async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe.each(backends)("store views on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function network() {
    const graph = defineGraph({
      id: freshGraphId(`sv_${bc.name}`),
      nodes: { Station: { type: Station, unique: [{ name: "station_name", fields: ["name"] }] }, Notice: { type: Notice } },
      edges: { rail: { type: rail, from: [Station], to: [Station] } },
      indexes: [byZone],
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    const S = store.nodes.Station;
    // Harbor stays; Mill and Quarry closed; Airport opened when they closed.
    const harbor = await S.create({ name: "Harbor", zone: 1 }, { id: "st-harbor", validFrom: OPENED });
    const mill = await S.create({ name: "Mill", zone: 2 }, { id: "st-mill", validFrom: OPENED, validTo: CLOSED });
    const quarry = await S.create({ name: "Quarry", zone: 3 }, { id: "st-quarry", validFrom: OPENED, validTo: CLOSED });
    const airport = await S.create({ name: "Airport", zone: 4 }, { id: "st-airport", validFrom: CLOSED });
    const R = store.edges.rail;
    await R.create(harbor, mill, { minutes: 4 }, { id: "r-harbor-mill", validFrom: OPENED, validTo: CLOSED });
    await R.create(mill, quarry, { minutes: 6 }, { id: "r-mill-quarry", validFrom: OPENED, validTo: CLOSED });
    await R.create(harbor, quarry, { minutes: 30 }, { id: "r-harbor-quarry", validFrom: OPENED, validTo: CLOSED });
    await R.create(harbor, airport, { minutes: 20 }, { id: "r-harbor-airport", validFrom: CLOSED });
    return { store, harbor, mill, quarry, airport };
  }
  const ref = (id: string) => ({ kind: "Station", id });

  it("makes views from a checked coordinate and reports it", async () => {
    const { store } = await network();
    const past = store.asOf(MID);
    expect(past).toBeInstanceOf(StoreView);
    expect([past.mode, past.asOf]).toEqual(["asOf", MID]);
    const ended = store.view({ mode: "includeEnded" });
    expect([ended.mode, ended.asOf]).toEqual(["includeEnded", undefined]);
    expect(store.view({ mode: "asOf", asOf: CLOSED }).asOf).toBe(CLOSED);

    const before = Date.now();
    const snap = store.snapshot();
    expect(snap.mode).toBe("asOf");
    const at = Date.parse(snap.asOf!);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());

    for (const bad of ["2015-06-15", "2015-06-15T12:00:00Z", "2015-06-15T12:00:00.5Z", "2015-06-15T14:00:00.000+02:00", "mid-2015", "2015-02-30T00:00:00.000Z"]) {
      expect(() => store.asOf(bad), bad).toThrow(ValidationError);
    }
    const loose = store as unknown as { view(c: unknown): unknown };
    expect(() => loose.view({ mode: "asOf" })).toThrow(ValidationError);
    expect(() => loose.view({ mode: "current", asOf: MID })).toThrow(ValidationError);
    expect(() => loose.view({ mode: "includeTombstones", asOf: MID })).toThrow(ValidationError);
    expect(() => loose.view({ mode: "sometime" })).toThrow(ValidationError);
    expect(() => loose.view(undefined)).toThrow(ValidationError);
  });

  it("node reads answer at the view's coordinate", async () => {
    const { store } = await network();
    const past = store.asOf(MID);
    const S = past.nodes.Station;
    expect(S.kind).toBe("Station");
    expect((await S.getById("st-mill"))?.name).toBe("Mill");
    expect(await S.getById("st-airport")).toBeUndefined();
    expect(names(await S.getByIds(["st-airport", "st-quarry", "st-harbor"]))).toEqual(["Harbor", "Quarry", null]);
    expect((await S.getByIds(["st-airport", "st-quarry"])).map((n) => n?.id)).toEqual([undefined, "st-quarry"]);
    expect(names(await S.find())).toEqual(["Harbor", "Mill", "Quarry"]);
    expect(names(await S.find({ where: (s) => s.zone.gte(2) }))).toEqual(["Mill", "Quarry"]);
    expect(await S.find({ limit: 1 })).toHaveLength(1);
    expect(await S.count()).toBe(3);
    // The store itself still reads the present.
    expect(names(await store.nodes.Station.find())).toEqual(["Airport", "Harbor"]);
    expect(await store.nodes.Station.count()).toBe(2);
    // After the closure: the present network.
    const later = store.asOf("2020-01-01T00:00:00.000Z");
    expect(names(await later.nodes.Station.find())).toEqual(["Airport", "Harbor"]);
  });

  it("edge reads answer at the view's coordinate", async () => {
    const { store } = await network();
    const R = store.asOf(MID).edges.rail;
    expect(R.kind).toBe("rail");
    expect((await R.getById("r-mill-quarry"))?.minutes).toBe(6);
    expect(await R.getById("r-harbor-airport")).toBeUndefined();
    expect((await R.getByIds(["r-harbor-airport", "r-harbor-mill"])).map((e) => e?.minutes)).toEqual([undefined, 4]);
    expect((await R.find()).map((e) => e.id).sort()).toEqual(["r-harbor-mill", "r-harbor-quarry", "r-mill-quarry"]);
    expect(await R.find({ from: ref("st-harbor"), limit: 1 })).toHaveLength(1);
    expect(await R.count()).toBe(3);
    expect(await R.count({ from: ref("st-harbor") })).toBe(2);
    expect((await R.findFrom(ref("st-harbor"))).map((e) => e.toId).sort()).toEqual(["st-mill", "st-quarry"]);
    expect((await R.findTo(ref("st-quarry"))).map((e) => e.fromId).sort()).toEqual(["st-harbor", "st-mill"]);
    const buckets = await R.bulkFindFrom([ref("st-harbor"), ref("st-airport"), ref("st-mill")]);
    expect(buckets.map((b) => b.map((e) => e.id).sort())).toEqual([["r-harbor-mill", "r-harbor-quarry"], [], ["r-mill-quarry"]]);
    const capped = await R.bulkFindFrom([ref("st-harbor")], { limitPerInput: 1 });
    expect(capped[0]).toHaveLength(1);
    expect((await R.bulkFindTo([ref("st-quarry")]))[0]!.map((e) => e.fromId).sort()).toEqual(["st-harbor", "st-mill"]);
    expect((await R.findByEndpoints(ref("st-harbor"), ref("st-mill")))?.id).toBe("r-harbor-mill");
    expect(await R.findByEndpoints(ref("st-harbor"), ref("st-airport"))).toBeUndefined();
    expect((await R.findByEndpoints(ref("st-harbor"), ref("st-quarry"), { matchOn: ["minutes"], props: { minutes: 30 } }))?.id).toBe("r-harbor-quarry");
    // The live collection reads the present.
    expect((await store.edges.rail.findFrom(ref("st-harbor"))).map((e) => e.toId)).toEqual(["st-airport"]);
    expect(await store.edges.rail.findByEndpoints(ref("st-harbor"), ref("st-mill"))).toBeUndefined();
  });

  it("includeEnded and includeTombstones views", async () => {
    const { store } = await network();
    await store.nodes.Station.create({ name: "Depot", zone: 9 }, { id: "st-depot" });
    await store.nodes.Station.delete("st-depot");
    await store.edges.rail.delete("r-harbor-quarry");
    const ended = store.view({ mode: "includeEnded" });
    expect(names(await ended.nodes.Station.find())).toEqual(["Airport", "Harbor", "Mill", "Quarry"]);
    expect(await ended.nodes.Station.getById("st-depot")).toBeUndefined();
    expect((await ended.edges.rail.findFrom(ref("st-harbor"))).map((e) => e.toId).sort()).toEqual(["st-airport", "st-mill"]);
    const tombs = store.view({ mode: "includeTombstones" });
    expect((await tombs.nodes.Station.getById("st-depot"))?.name).toBe("Depot");
    expect(await tombs.nodes.Station.count()).toBe(5);
    expect((await tombs.edges.rail.findFrom(ref("st-harbor"))).map((e) => e.toId).sort()).toEqual(["st-airport", "st-mill", "st-quarry"]);
    expect(await store.nodes.Station.getById("st-depot")).toBeUndefined();
  });

  it("query() reads at the coordinate and its temporal axis is sealed", async () => {
    const { store } = await network();
    const past = store.asOf(MID);
    const rows = await past
      .query()
      .from("Station", "a")
      .traverse("rail", "r")
      .to("Station", "b")
      .select((ctx) => ({ from: ctx.a.name, to: ctx.b.name, minutes: ctx.r.minutes }))
      .execute();
    expect(rows.map((r) => `${r.from}>${r.to}:${r.minutes}`).sort()).toEqual(["Harbor>Mill:4", "Harbor>Quarry:30", "Mill>Quarry:6"]);
    const live = await store.query().from("Station", "s").select((ctx) => ctx.s.name).execute();
    expect([...live].sort()).toEqual(["Airport", "Harbor"]);
    // The coordinate survives prepare / count / first.
    const prepared = past
      .query()
      .from("Station", "s")
      .whereNode("s", (s) => s.zone.gte(2))
      .select((ctx) => ctx.s.name)
      .prepare();
    expect([...(await prepared.execute({}))].sort()).toEqual(["Mill", "Quarry"]);
    expect(await past.query().from("Station", "s").select((ctx) => ctx.s.id).count()).toBe(3);

    const sealed = (q: unknown) => () => (q as { temporal(mode: string, asOf?: string): unknown }).temporal("current");
    for (const q of [past.query(), past.query().from("Station", "s"), store.view({ mode: "current" }).query().from("Station", "s")]) {
      const error = await failure(sealed(q));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).details.code).toBe("STORE_VIEW_QUERY_SEALED");
    }
    // The store's own builder is not sealed.
    expect(() => store.query().temporal("asOf", MID)).not.toThrow();
  });

  it("subgraph and bulkFindEdgesFrom answer at the coordinate", async () => {
    const { store } = await network();
    const past = store.asOf(MID);
    const sub = await past.subgraph("st-harbor", { edges: ["rail"], maxDepth: 2 });
    expect([...sub.nodes.keys()].sort()).toEqual(["st-harbor", "st-mill", "st-quarry"]);
    const now = await store.subgraph("st-harbor", { edges: ["rail"], maxDepth: 2 });
    expect([...now.nodes.keys()].sort()).toEqual(["st-airport", "st-harbor"]);
    const groups = await past.bulkFindEdgesFrom({ sources: [{ kind: "Station", ids: ["st-harbor", "st-airport"] }], edgeKinds: ["rail"] });
    expect(groups.map((g) => [g.source.id, g.edges.map((e) => e.id).sort()])).toEqual([
      ["st-harbor", ["r-harbor-mill", "r-harbor-quarry"]],
      ["st-airport", []],
    ]);
    const liveGroups = await store.bulkFindEdgesFrom({ sources: [{ kind: "Station", ids: ["st-harbor"] }], edgeKinds: ["rail"] });
    expect(liveGroups[0]!.edges.map((e) => e.id)).toEqual(["r-harbor-airport"]);
  });

  it("graph algorithms answer at the coordinate, on the view and on view.algorithms", async () => {
    const { store } = await network();
    const past = store.asOf(MID);
    const edges = ["rail"] as const;
    for (const a of [past, past.algorithms]) {
      expect((await a.reachable("st-harbor", { edges })).map((n) => n.id).sort()).toEqual(["st-harbor", "st-mill", "st-quarry"]);
      expect(await a.canReach("st-harbor", "st-quarry", { edges })).toBe(true);
      expect(await a.canReach("st-harbor", "st-airport", { edges })).toBe(false);
      expect((await a.shortestPath("st-harbor", "st-quarry", { edges }))?.depth).toBe(1);
      const cheapest = await a.weightedShortestPath("st-harbor", "st-quarry", { edges, weightProperty: "minutes" });
      expect([cheapest?.totalWeight, cheapest?.nodes.map((n) => n.id)]).toEqual([10, ["st-harbor", "st-mill", "st-quarry"]]);
      expect((await a.neighbors("st-mill", { edges, direction: "both" })).map((n) => n.id).sort()).toEqual(["st-harbor", "st-quarry"]);
      expect(await a.degree("st-harbor", { edges: ["rail"], direction: "out" })).toBe(2);
      const wcc = await a.weaklyConnectedComponents({ edges });
      expect(wcc.map((m) => [m.id, m.size]).sort()).toEqual([["st-harbor", 3], ["st-mill", 3], ["st-quarry", 3]]);
      const labels = await a.labelPropagation({ edges, nodeKinds: ["Station"] });
      expect(labels.map((m) => m.id).sort()).toEqual(["st-harbor", "st-mill", "st-quarry"]);
      const ranks = await a.pageRank({ edges });
      expect(ranks.map((r) => r.id).sort()).toEqual(["st-harbor", "st-mill", "st-quarry"]);
      const personal = await a.personalizedPageRank({ edges, seeds: [{ id: "st-harbor", kind: "Station" }] });
      expect(personal.reduce((t, r) => t + r.score, 0)).toBeCloseTo(1, 9);
    }
    // The store reads the present.
    expect(await store.algorithms.canReach("st-harbor", "st-quarry", { edges })).toBe(false);
    expect(await store.algorithms.weightedShortestPath("st-harbor", "st-quarry", { edges, weightProperty: "minutes" })).toBeUndefined();
    expect(await store.algorithms.degree("st-harbor", { edges: ["rail"], direction: "out" })).toBe(1);
    // A temporal option a JS caller slips past the types does not move the view.
    const loose = past as unknown as { degree(n: string, o: object): Promise<number> };
    expect(await loose.degree("st-harbor", { edges: ["rail"], direction: "out", temporalMode: "current" })).toBe(2);
    expect(await loose.degree("st-harbor", { edges: ["rail"], direction: "out", temporalMode: "asOf", asOf: "2020-01-01T00:00:00.000Z" })).toBe(2);
    // Options are checked as on the store.
    expect(await failure(() => past.reachable("st-harbor", { edges: [] }))).toBeInstanceOf(ConfigurationError);
    expect(await failure(() => past.algorithms.pageRank({ edges, dampingFactor: 1 }))).toBeInstanceOf(ConfigurationError);
  });

  it("a snapshot keeps the instant it was taken at", async () => {
    const { store } = await network();
    const snap = store.snapshot();
    await sleep(5);
    await store.nodes.Station.create({ name: "Ferry", zone: 5 }, { id: "st-ferry" });
    await store.edges.rail.create(ref("st-harbor"), ref("st-ferry"), { minutes: 12 }, { id: "r-harbor-ferry" });
    expect(names(await snap.nodes.Station.find())).toEqual(["Airport", "Harbor"]);
    expect(await snap.degree("st-harbor", { edges: ["rail"] })).toBe(1);
    expect(await snap.query().from("Station", "s").select((ctx) => ctx.s.id).count()).toBe(2);
    expect(names(await store.nodes.Station.find())).toEqual(["Airport", "Ferry", "Harbor"]);
    // A "current" view follows the present.
    expect(await store.view({ mode: "current" }).nodes.Station.count()).toBe(3);
  });

  it("refuses writes at the call and writes nothing", async () => {
    const { store } = await network();
    const past = store.asOf(MID);
    const S = past.nodes.Station as unknown as Record<string, (...a: unknown[]) => unknown>;
    const R = past.edges.rail as unknown as Record<string, (...a: unknown[]) => unknown>;
    const attempts: [string, () => unknown][] = [
      ["create", () => S.create!({ name: "Ghost", zone: 0 })],
      ["update", () => S.update!("st-harbor", { zone: 7 })],
      ["delete", () => S.delete!("st-harbor")],
      ["hardDelete", () => S.hardDelete!("st-harbor")],
      ["upsertById", () => S.upsertById!("st-x", { name: "X", zone: 1 })],
      ["bulkCreate", () => S.bulkCreate!([{ props: { name: "Y", zone: 1 } }])],
      ["bulkInsert", () => S.bulkInsert!([{ props: { name: "Y", zone: 1 } }])],
      ["bulkDelete", () => S.bulkDelete!(["st-harbor"])],
      ["updateWhere", () => S.updateWhere!({ all: true, set: { zone: 1 } })],
      ["getOrCreateByConstraint", () => S.getOrCreateByConstraint!("station_name", { name: "Z", zone: 1 })],
      ["edge create", () => R.create!(ref("st-harbor"), ref("st-airport"), { minutes: 1 })],
      ["edge delete", () => R.delete!("r-harbor-airport")],
      ["edge bulkUpsertById", () => R.bulkUpsertById!([])],
      ["edge getOrCreateByEndpoints", () => R.getOrCreateByEndpoints!(ref("st-harbor"), ref("st-airport"), { minutes: 1 })],
    ];
    for (const [name, attempt] of attempts) {
      let thrown: unknown;
      try {
        attempt();
      } catch (error) {
        thrown = error;
      }
      expect(thrown, name).toBeInstanceOf(ConfigurationError);
      expect((thrown as ConfigurationError).details.code, name).toBe("STORE_VIEW_READ_ONLY");
    }
    expect(await store.nodes.Station.count()).toBe(2);
    expect(await store.edges.rail.count()).toBe(1);
    expect((await store.nodes.Station.getById("st-harbor"))?.zone).toBe(1);
    // Batch reads are reads: refused as such, at the call.
    let batch: unknown;
    try {
      R.batchFindFrom!(ref("st-harbor"));
    } catch (error) {
      batch = error;
    }
    expect(batch).toBeInstanceOf(ConfigurationError);
    expect((batch as ConfigurationError).details.code).toBe("STORE_VIEW_BATCH_UNAVAILABLE");
    expect((batch as Error).message).toContain("store.batch");
    // No transaction on a view.
    expect((past as unknown as { transaction?: unknown }).transaction).toBeUndefined();
  });

  it("view collections are sealed objects that answer `in` like property access", async () => {
    const { store } = await network();
    const past = store.asOf(MID);
    const S = past.nodes.Station as unknown as Record<string, unknown>;
    expect("getById" in S && "create" in S && "findByConstraint" in S && "toString" in S).toBe(true);
    expect("noSuchMethod" in S).toBe(false);
    expect(() => {
      S.getById = () => undefined;
    }).toThrow(TypeError);
    expect(() => {
      delete S.find;
    }).toThrow(TypeError);
    expect(() => Object.defineProperty(S, "extra", { value: 1 })).toThrow(TypeError);
    expect(() => String(S)).not.toThrow();
    expect(() => String(past.search)).not.toThrow();
    // Namespaces: declared kinds, a typed error for the rest, nothing for JS probes.
    expect(Object.keys(past.nodes).sort()).toEqual(["Notice", "Station"]);
    expect("Station" in past.nodes).toBe(true);
    expect(() => (past.nodes as Record<string, unknown>).Tram).toThrow(KindNotFoundError);
    expect(() => (past.edges as Record<string, unknown>).tram).toThrow(KindNotFoundError);
    expect((past.nodes as Record<string, unknown>).then).toBeUndefined();
    expect((past.edges as Record<string, unknown>).toJSON).toBeUndefined();
    expect(past.nodes.Station).toBe(past.nodes.Station);
  });

  it("lookups of the present: delegated on current views, refused on the others", async () => {
    const { store } = await network();
    const current = store.view({ mode: "current" });
    expect((await current.nodes.Station.findByConstraint("station_name", { name: "Harbor" }))?.id).toBe("st-harbor");
    expect((await current.nodes.Station.bulkFindByConstraint("station_name", [{ props: { name: "Airport" } }, { props: { name: "Nowhere" } }])).map((n) => n?.id)).toEqual([
      "st-airport",
      undefined,
    ]);
    expect((await current.nodes.Station.bulkFindByIndex("sv_station_by_zone", [{ props: { zone: 4 } }]))[0]!.map((n) => n.id)).toEqual(["st-airport"]);
    for (const view of [store.asOf(MID), store.view({ mode: "includeEnded" })]) {
      for (const call of [
        () => view.nodes.Station.findByConstraint("station_name", { name: "Harbor" }),
        () => view.nodes.Station.bulkFindByConstraint("station_name", [{ props: { name: "Harbor" } }]),
        () => view.nodes.Station.bulkFindByIndex("sv_station_by_zone", [{ props: { zone: 1 } }]),
      ]) {
        const outcome = call().then(
          () => undefined,
          (e: unknown) => e,
        );
        const error = await outcome;
        expect(error).toBeInstanceOf(ConfigurationError);
        expect((error as ConfigurationError).details.code).toBe("STORE_VIEW_CURRENT_ONLY");
      }
    }
  });

  it("search: reads on a current view, refused elsewhere; rebuilding is refused everywhere", async () => {
    const { store } = await network();
    const notice = await store.nodes.Notice.create({ text: "weekend engineering works on the harbor line" });
    const current = store.view({ mode: "current" });
    const viaView = await current.search.fulltext("Notice", { query: "harbor", limit: 5 });
    const viaStore = await store.search.fulltext("Notice", { query: "harbor", limit: 5 });
    expect(viaView.map((h) => h.node.id)).toEqual([notice.id]);
    expect(viaView.map((h) => h.node.id)).toEqual(viaStore.map((h) => h.node.id));
    const rebuild = await failure(() => current.search.rebuildFulltext());
    expect((rebuild as ConfigurationError).details.code).toBe("STORE_VIEW_READ_ONLY");
    for (const view of [store.asOf(MID), store.view({ mode: "includeTombstones" })]) {
      const refused = await failure(() => view.search.fulltext("Notice", { query: "harbor", limit: 5 }));
      expect(refused).toBeInstanceOf(ConfigurationError);
      expect((refused as ConfigurationError).details.code).toBe("STORE_VIEW_SEARCH_UNSUPPORTED");
      expect(await failure(() => view.search.rebuildFulltext())).toBeInstanceOf(ConfigurationError);
    }
    expect("fulltext" in current.search && "rebuildFulltext" in current.search).toBe(true);
    expect("then" in store.asOf(MID).search).toBe(false);
  });
});
