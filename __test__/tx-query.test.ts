// tx.query(): a query builder bound to the transaction, reading its uncommitted writes; what it
// saw is gone after a rollback and visible to everyone after a commit.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStore, defineEdge, defineGraph, defineNode, type GraphBackend } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Shelf = defineNode("Shelf", { schema: z.object({ aisle: z.string() }) });
const Jar = defineNode("Jar", { schema: z.object({ spice: z.string(), grams: z.number() }) });
const holds = defineEdge("holds", { schema: z.object({ slot: z.number() }) });

describe.each(backends)("tx.query on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  function pantry() {
    const graph = defineGraph({
      id: freshGraphId(`txq_${bc.name}`),
      nodes: { Shelf: { type: Shelf }, Jar: { type: Jar } },
      edges: { holds: { type: holds, from: [Shelf], to: [Jar] } },
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    return createStore(graph, backend);
  }

  it("sees the transaction's own writes, traversals and aggregates included", async () => {
    const store = pantry();
    const top = await store.nodes.Shelf.create({ aisle: "top" }, { id: "s-top" });
    await store.transaction(async (tx) => {
      const cumin = await tx.nodes.Jar.create({ spice: "cumin", grams: 80 }, { id: "j-cumin" });
      const mace = await tx.nodes.Jar.create({ spice: "mace", grams: 25 }, { id: "j-mace" });
      await tx.edges.holds.create(top, cumin, { slot: 1 });
      await tx.edges.holds.create(top, mace, { slot: 2 });
      await tx.nodes.Jar.update("j-mace", { grams: 30 });
      const held = await tx
        .query()
        .from("Shelf", "s")
        .whereNode("s", (s) => s.aisle.eq("top"))
        .traverse("holds", "h")
        .to("Jar", "j")
        .orderBy("h", "slot", "asc")
        .select((c) => ({ spice: c.j.spice, grams: c.j.grams, slot: c.h.slot }))
        .execute();
      expect(held).toEqual([
        { spice: "cumin", grams: 80, slot: 1 },
        { spice: "mace", grams: 30, slot: 2 },
      ]);
      const light = await tx.query().from("Jar", "j").whereNode("j", (j) => j.grams.lt(50)).select((c) => c.j.id).execute();
      expect(light).toEqual(["j-mace"]);
    });
    const after = await store.query().from("Jar", "j").orderBy("j", "spice", "asc").select((c) => c.j.spice).execute();
    expect(after).toEqual(["cumin", "mace"]);
  });

  it("what it read is gone after a rollback", async () => {
    const store = pantry();
    const outcome = await store
      .transaction(async (tx) => {
        await tx.nodes.Jar.create({ spice: "saffron", grams: 1 });
        const seen = await tx.query().from("Jar", "j").select((c) => c.j.spice).execute();
        expect(seen).toEqual(["saffron"]);
        throw new Error("spilled");
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((outcome as Error).message).toBe("spilled");
    expect(await store.query().from("Jar", "j").select((c) => c.j.spice).execute()).toEqual([]);
  });
});

describe.each(backends)("query.executeOn(tx) on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  it("runs a query built on the store inside the transaction context it is given", async () => {
    const graph = defineGraph({ id: freshGraphId(`txon_${bc.name}`), nodes: { Jar: { type: Jar } }, edges: {} });
    const backend = bc.make(graph.id);
    open.push(backend);
    const store = createStore(graph, backend);
    await store.nodes.Jar.create({ spice: "anise", grams: 10 }, { id: "j-anise" });
    const heavy = store.query().from("Jar", "j").whereNode("j", (j) => j.grams.gte(40)).orderBy("j", "spice", "asc").select((c) => c.j.spice);
    expect(await heavy.execute()).toEqual([]);
    await store.transaction(async (tx) => {
      await tx.nodes.Jar.create({ spice: "sumac", grams: 60 }, { id: "j-sumac" });
      expect(await heavy.executeOn(tx)).toEqual(["sumac"]);
    });
    expect(await heavy.execute()).toEqual(["sumac"]);
    await expect(heavy.executeOn({} as never)).rejects.toBeInstanceOf(TypeError);
  });
});
