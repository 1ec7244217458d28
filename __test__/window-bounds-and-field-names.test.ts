// Stated validity bounds are checked before a write picks its branch (a found edge does not hide
// a malformed bound; a batch item gets the single call's message), and collection predicates
// address a field literally named `field` both as a property and through `field(name)`.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ValidationError, createStore, defineEdge, defineGraph, defineNode, type GraphBackend } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Buoy = defineNode("Buoy", { schema: z.object({ field: z.string(), lit: z.boolean(), depth: z.number().optional() }) });
const chained = defineEdge("chained", { schema: z.object({ metres: z.number() }) });

describe.each(backends)("bounds and field names on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  function harbour() {
    const graph = defineGraph({
      id: freshGraphId(`wbf_${bc.name}`),
      nodes: { Buoy: { type: Buoy } },
      edges: { chained: { type: chained, from: [Buoy], to: [Buoy] } },
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    return createStore(graph, backend);
  }

  it("a malformed bound is refused even when the endpoints already hold an edge", async () => {
    const store = harbour();
    const a = await store.nodes.Buoy.create({ field: "north", lit: true });
    const b = await store.nodes.Buoy.create({ field: "south", lit: false });
    await store.edges.chained.getOrCreateByEndpoints(a, b, { metres: 4 });
    await expect(store.edges.chained.getOrCreateByEndpoints(a, b, { metres: 5 }, { validFrom: "yesterday" })).rejects.toThrow(
      /Invalid canonical ISO 8601 datetime for "validFrom"/,
    );
    await expect(store.edges.chained.getOrCreateByEndpoints(a, b, { metres: 5 }, { validTo: "2030-01-01" })).rejects.toThrow(
      /Invalid canonical ISO 8601 datetime for "validTo"/,
    );
    // A repeat inside one batch resolves to the first item's edge, yet its own bound is still checked.
    await expect(
      store.edges.chained.bulkGetOrCreateByEndpoints([
        { from: a, to: b, props: { metres: 4 } },
        { from: a, to: b, props: { metres: 4 }, validTo: "soon" },
      ]),
    ).rejects.toThrow(/Invalid canonical ISO 8601 datetime for "validTo"/);
    expect((await store.edges.chained.find()).map((e) => e.metres)).toEqual([4]);
  });

  it("a batch item's malformed bound reads exactly like the single call's", async () => {
    const store = harbour();
    await store.nodes.Buoy.create({ field: "east", lit: true }, { id: "b-east" });
    const single = await store.nodes.Buoy.upsertById("b-east", { field: "east", lit: false }, { validTo: "later" }).catch((e: unknown) => e);
    const batch = await store.nodes.Buoy.bulkUpsertById([{ id: "b-east", props: { field: "east", lit: false }, validTo: "later" }]).catch((e: unknown) => e);
    expect(single).toBeInstanceOf(ValidationError);
    expect(batch).toBeInstanceOf(ValidationError);
    expect((batch as Error).message).toBe((single as Error).message);
    expect((batch as ValidationError).details).toMatchObject({ index: 0 });
    expect((await store.nodes.Buoy.getById("b-east"))?.lit).toBe(true);
  });

  it("an inverted stated pair is refused with its code before any branch is taken", async () => {
    const store = harbour();
    const early = "2020-01-01T00:00:00.000Z";
    const late = "2024-01-01T00:00:00.000Z";
    const codes = async (call: Promise<unknown>) => {
      const e = await call.then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(e).toBeInstanceOf(ValidationError);
      return ((e as ValidationError).details as { issues: { code?: string }[] }).issues.map((i) => i.code);
    };
    const a = await store.nodes.Buoy.create({ field: "a", lit: true }, { id: "b-a", validFrom: early });
    const b = await store.nodes.Buoy.create({ field: "b", lit: true }, { id: "b-b" });
    const e = await store.edges.chained.create(a, b, { metres: 1 }, { id: "c-ab" });
    expect(await codes(store.nodes.Buoy.upsertById("b-a", { field: "a", lit: false }, { validFrom: late, validTo: early }))).toContain("INVERTED_VALIDITY_WINDOW");
    expect(await codes(store.nodes.Buoy.bulkUpsertById([{ id: "b-new", props: { field: "n", lit: true }, validFrom: late, validTo: early }]))).toContain("INVERTED_VALIDITY_WINDOW");
    expect(await codes(store.edges.chained.bulkUpsertById([{ id: e.id, from: a, to: b, props: { metres: 2 }, validFrom: new Date(late), validTo: new Date(early) }]))).toContain(
      "INVERTED_VALIDITY_WINDOW",
    );
    expect(await codes(store.edges.chained.getOrCreateByEndpoints(a, b, { metres: 1 }, { validFrom: late, validTo: early }))).toContain("INVERTED_VALIDITY_WINDOW");
    expect(await codes(store.edges.chained.bulkGetOrCreateByEndpoints([{ from: a, to: b, props: { metres: 1 }, validFrom: late, validTo: early }]))).toContain(
      "INVERTED_VALIDITY_WINDOW",
    );
    // A zero-width window is ordered.
    const zero = await store.nodes.Buoy.upsertById("b-zero", { field: "z", lit: true }, { validFrom: early, validTo: early });
    expect([zero.meta.validFrom, zero.meta.validTo]).toEqual([early, early]);
    expect(await store.nodes.Buoy.getById("b-new")).toBeUndefined();
    expect((await store.edges.chained.getById(e.id))?.metres).toBe(1);
  });

  it("updateWhere reads a field named field as a property and by name", async () => {
    const store = harbour();
    const west = await store.nodes.Buoy.create({ field: "west", lit: false });
    const east = await store.nodes.Buoy.create({ field: "east", lit: false, depth: 9 });
    expect(await store.nodes.Buoy.updateWhere({ patch: { lit: true }, where: (b) => b.field.eq("west") })).toEqual({ affectedCount: 1 });
    const dynamic = store.getNodeCollectionOrThrow("Buoy");
    expect(
      await dynamic.updateWhere({ patch: { lit: true }, where: (b: any) => b.field("field").string().eq("east") }),
    ).toEqual({ affectedCount: 1 });
    expect(await dynamic.updateWhere({ patch: { depth: 10 }, where: (b: any) => b.field("depth").number().gt(5) })).toEqual({ affectedCount: 1 });
    const after = await store.nodes.Buoy.getByIds([west.id, east.id]);
    expect(after.map((n) => [n?.lit, n?.depth])).toEqual([
      [true, undefined],
      [true, 10],
    ]);
  });
});
