// countEdges / countDistinctEdges count live edges whatever their target's validity;
// count(target) counts only targets live under the query's temporal mode. A filter on the
// target constrains every aggregate.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { count, countDistinctEdges, countEdges, createStore, defineEdge, defineGraph, defineNode, field, type GraphBackend } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Station = defineNode("Station", { schema: z.object({ code: z.string(), zone: z.number() }) });
const link = defineEdge("link", { schema: z.object({ minutes: z.number() }) });

describe.each(backends)("edge counts against target validity on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function network() {
    const graph = defineGraph({
      id: freshGraphId(`cnt_${bc.name}`),
      nodes: { Station: { type: Station } },
      edges: { link: { type: link, from: [Station], to: [Station], cardinality: "many" } },
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    const store = createStore(graph, backend);
    const hub = await store.nodes.Station.create({ code: "HUB", zone: 1 }, { id: "hub" });
    const east = await store.nodes.Station.create({ code: "EST", zone: 2 }, { id: "east" });
    const west = await store.nodes.Station.create({ code: "WST", zone: 3 }, { id: "west" });
    // Closed long ago: its validity window has ended, its incoming links have not.
    const old = await store.nodes.Station.create({ code: "OLD", zone: 2 }, { id: "old", validTo: "2001-02-03T00:00:00.000Z" });
    const lonely = await store.nodes.Station.create({ code: "LON", zone: 9 }, { id: "lonely" });
    await store.edges.link.create(hub, east, { minutes: 4 });
    await store.edges.link.create(hub, west, { minutes: 6 });
    await store.edges.link.create(hub, old, { minutes: 9 });
    await store.edges.link.create(lonely, old, { minutes: 30 });
    return store;
  }

  it("an optional hop: edges to an ended target count as edges, not as targets", async () => {
    const store = await network();
    const rows = await store
      .query()
      .from("Station", "s")
      .optionalTraverse("link", "l", { expand: "none" })
      .to("Station", "t")
      .groupByNode("s")
      .aggregate({ code: field("s", "code"), stations: count("t"), links: countEdges("l"), distinctLinks: countDistinctEdges("l") })
      .orderBy("code", "asc")
      .execute();
    expect(rows).toEqual([
      { code: "EST", stations: 0, links: 0, distinctLinks: 0 },
      { code: "HUB", stations: 2, links: 3, distinctLinks: 3 },
      { code: "LON", stations: 0, links: 1, distinctLinks: 1 },
      { code: "WST", stations: 0, links: 0, distinctLinks: 0 },
    ]);
  });

  it("a required hop keeps a start whose only edges lead to ended targets", async () => {
    const store = await network();
    const rows = await store
      .query()
      .from("Station", "s")
      .traverse("link", "l", { expand: "none" })
      .to("Station", "t")
      .groupByNode("s")
      .aggregate({ code: field("s", "code"), stations: count("t"), links: countEdges("l") })
      .orderBy("code", "asc")
      .execute();
    expect(rows).toEqual([
      { code: "HUB", stations: 2, links: 3 },
      { code: "LON", stations: 0, links: 1 },
    ]);
  });

  it("a filter on the target constrains the edge count too", async () => {
    const store = await network();
    const rows = await store
      .query()
      .from("Station", "s")
      .whereNode("s", (s) => s.code.eq("HUB"))
      .optionalTraverse("link", "l", { expand: "none" })
      .to("Station", "t")
      .whereNode("t", (t) => t.zone.eq(2))
      .groupByNode("s")
      .aggregate({ code: field("s", "code"), stations: count("t"), links: countEdges("l") })
      .execute();
    expect(rows).toEqual([{ code: "HUB", stations: 1, links: 1 }]);
  });

  it("with ended rows included, the ended target counts as a target again", async () => {
    const store = await network();
    const rows = await store
      .query()
      .from("Station", "s")
      .whereNode("s", (s) => s.code.eq("HUB"))
      .optionalTraverse("link", "l", { expand: "none" })
      .to("Station", "t")
      .temporal("includeEnded")
      .groupByNode("s")
      .aggregate({ stations: count("t"), links: countEdges("l") })
      .execute();
    expect(rows).toEqual([{ stations: 3, links: 3 }]);
  });

  it("a plain select still pairs each edge with its live target", async () => {
    const store = await network();
    const rows = await store
      .query()
      .from("Station", "s")
      .whereNode("s", (s) => s.code.eq("LON"))
      .optionalTraverse("link", "l", { expand: "none" })
      .to("Station", "t")
      .select((c) => ({ from: c.s.code, to: c.t?.code }))
      .execute();
    expect(rows).toEqual([{ from: "LON", to: undefined }]);
  });
});
