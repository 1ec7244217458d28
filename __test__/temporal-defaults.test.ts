// A graph's `defaults.temporalMode` is the mode of every collection read that states none
// (getById/getByIds, find, count, edge finds and endpoint-set reads), and of queries; a read's
// own temporalMode / asOf still wins.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStore, defineEdge, defineGraph, defineNode, type GraphBackend, type TemporalMode } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Lamp = defineNode("Lamp", { schema: z.object({ label: z.string() }) });
const wiredTo = defineEdge("wiredTo", { schema: z.object({ circuit: z.string() }) });

const PAST = "2001-02-03T04:05:06.000Z";

describe.each(backends)("graph temporal defaults on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function seeded(mode?: TemporalMode) {
    const graph = defineGraph({
      id: freshGraphId(`tdef_${bc.name}`),
      nodes: { Lamp: { type: Lamp } },
      edges: { wiredTo: { type: wiredTo, from: [Lamp], to: [Lamp] } },
      ...(mode ? { defaults: { temporalMode: mode } } : {}),
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    const store = createStore(graph, backend);
    const lit = await store.nodes.Lamp.create({ label: "lit" }, { id: "l-lit" });
    await store.nodes.Lamp.create({ label: "ended" }, { id: "l-ended", validFrom: "2000-01-01T00:00:00.000Z", validTo: PAST });
    await store.nodes.Lamp.create({ label: "gone" }, { id: "l-gone" });
    await store.nodes.Lamp.delete("l-gone");
    const other = await store.nodes.Lamp.create({ label: "other" }, { id: "l-other" });
    await store.edges.wiredTo.create(lit, other, { circuit: "live" }, { id: "w-live" });
    await store.edges.wiredTo.create(lit, other, { circuit: "old" }, { id: "w-old", validFrom: "2000-01-01T00:00:00.000Z", validTo: PAST });
    return store;
  }
  const labels = (rows: readonly ({ label: string } | undefined)[]) => rows.map((r) => r?.label ?? null).sort((a, b) => String(a).localeCompare(String(b)));

  it("includeEnded: reads without a mode see ended rows, not deleted ones", async () => {
    const store = await seeded("includeEnded");
    expect((await store.nodes.Lamp.getById("l-ended"))?.label).toBe("ended");
    expect(await store.nodes.Lamp.getById("l-gone")).toBeUndefined();
    expect(labels(await store.nodes.Lamp.getByIds(["l-ended", "l-lit", "l-gone"]))).toEqual(["ended", "lit", null]);
    expect(labels(await store.nodes.Lamp.find())).toEqual(["ended", "lit", "other"]);
    expect(labels(await store.nodes.Lamp.find({ where: (l) => l.label.neq("other") }))).toEqual(["ended", "lit"]);
    expect(await store.nodes.Lamp.count()).toBe(3);
    expect((await store.edges.wiredTo.getById("w-old"))?.circuit).toBe("old");
    expect((await store.edges.wiredTo.findFrom({ kind: "Lamp", id: "l-lit" })).map((e) => e.circuit).sort()).toEqual(["live", "old"]);
    expect(await store.edges.wiredTo.count()).toBe(2);
    const [bucket] = await store.edges.wiredTo.bulkFindFrom([{ kind: "Lamp", id: "l-lit" }]);
    expect(bucket!.map((e) => e.circuit).sort()).toEqual(["live", "old"]);
    const queried = await store.query().from("Lamp", "l").select((c) => c.l.label).execute();
    expect([...queried].sort()).toEqual(["ended", "lit", "other"]);
    // A read's own mode wins over the graph default.
    expect(await store.nodes.Lamp.getById("l-ended", { temporalMode: "current" })).toBeUndefined();
    expect(await store.nodes.Lamp.count({ temporalMode: "current" })).toBe(2);
    expect(await store.nodes.Lamp.count({ asOf: "2000-06-01T00:00:00.000Z" })).toBe(1);
    // Inside a transaction the same default applies.
    await store.transaction(async (tx) => {
      expect((await tx.nodes.Lamp.getById("l-ended"))?.label).toBe("ended");
      expect(await tx.nodes.Lamp.count()).toBe(3);
    });
  });

  it("includeTombstones: deleted rows are read too", async () => {
    const store = await seeded("includeTombstones");
    expect((await store.nodes.Lamp.getById("l-gone"))?.label).toBe("gone");
    expect(await store.nodes.Lamp.count()).toBe(4);
  });

  it("without defaults, reads are current", async () => {
    const store = await seeded();
    expect(await store.nodes.Lamp.getById("l-ended")).toBeUndefined();
    expect(await store.nodes.Lamp.count()).toBe(2);
    expect(await store.edges.wiredTo.count()).toBe(1);
  });
});
