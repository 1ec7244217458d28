// bulkCreate / bulkInsert over a soft-deleted id bring the node back with a fresh validity window,
// as a single create does (a live id is still refused), on both backends: plain kinds, uniquely
// keyed kinds, and identity graphs (the recreated node carries none of its old assertions).
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ValidationError, createStoreWithSchema, defineGraph, defineNode } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Tool = defineNode("Tool", { schema: z.object({ name: z.string() }) });
const Badge = defineNode("Badge", { schema: z.object({ code: z.string() }) });
const Crew = defineNode("Crew", { schema: z.object({ name: z.string() }) });

function graphFor(id: string, identity: boolean) {
  return defineGraph({
    id,
    nodes: {
      Tool: { type: Tool },
      Badge: { type: Badge, unique: [{ name: "badge_code", fields: ["code"] }] },
      Crew: { type: Crew },
    },
    edges: {},
    ...(identity ? { identity: { sameIdAcrossKinds: "fold" as const } } : {}),
  });
}

const FROM = "2021-01-01T00:00:00.000Z";
const TO = "2030-01-01T00:00:00.000Z";

describe.each(backends)("bulk create over tombstones on $name", (bc) => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function setup(identity = false) {
    const graph = graphFor(freshGraphId(`bct_${bc.name}`), identity);
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    return store;
  }

  it("bulkCreate resurrects a tombstoned id with the stated window and creates the rest", async () => {
    const store = await setup();
    const old = await store.nodes.Tool.create({ name: "old" }, { id: "t1", validFrom: "2020-01-01T00:00:00.000Z" });
    await store.nodes.Tool.delete(old.id);
    const out = await store.nodes.Tool.bulkCreate([
      { id: "t1", props: { name: "again" }, validFrom: FROM, validTo: TO },
      { id: "t2", props: { name: "fresh" } },
      { props: { name: "generated" } },
    ]);
    expect(out.map((n) => n.name)).toEqual(["again", "fresh", "generated"]);
    expect(out[0]!.id).toBe("t1");
    expect(out[0]!.meta).toMatchObject({ validFrom: FROM, validTo: TO, deletedAt: undefined });
    expect(out[0]!.meta.version).toBeGreaterThan(old.meta.version);
    expect(await store.nodes.Tool.getById("t1", { temporalMode: "asOf", asOf: "2022-01-01T00:00:00.000Z" })).toMatchObject({ name: "again" });
    expect(await store.nodes.Tool.count()).toBe(3);
    // A live id stays refused, and the batch writes nothing.
    const caught = await store.nodes.Tool.bulkCreate([
      { id: "t3", props: { name: "new" } },
      { id: "t2", props: { name: "dup" } },
    ]).catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as Error).message).toContain("Node already exists: Tool/t2");
    expect(await store.nodes.Tool.getById("t3")).toBeUndefined();
  });

  it("bulkInsert resurrects too, and a refused live id in the same batch still rolls it back", async () => {
    const store = await setup();
    await store.nodes.Tool.create({ name: "a" }, { id: "a" });
    await store.nodes.Tool.create({ name: "b" }, { id: "b" });
    await store.nodes.Tool.delete("a");
    await expect(store.nodes.Tool.bulkInsert([{ id: "a", props: { name: "a2" } }, { id: "b", props: { name: "b2" } }])).rejects.toThrow(/already exists: Tool\/b/);
    expect(await store.nodes.Tool.getById("a")).toBeUndefined();
    await store.nodes.Tool.bulkInsert([{ id: "a", props: { name: "a3" } }]);
    expect(await store.nodes.Tool.getById("a")).toMatchObject({ name: "a3" });
  });

  it("a uniquely keyed kind: the resurrected node claims its key again", async () => {
    const store = await setup();
    await store.nodes.Badge.create({ code: "K1" }, { id: "b1" });
    await store.nodes.Badge.delete("b1");
    await store.nodes.Badge.bulkCreate([{ id: "b1", props: { code: "K1" } }]);
    expect(await store.nodes.Badge.findByConstraint("badge_code", { code: "K1" })).toMatchObject({ id: "b1" });
    await expect(store.nodes.Badge.create({ code: "K1" }, { id: "b2" })).rejects.toThrow();
  });

  it("an identity graph: the recreated node starts with no assertions", async () => {
    const store = await setup(true);
    const tool = await store.nodes.Tool.create({ name: "tool" }, { id: "x1" });
    const crew = await store.nodes.Crew.create({ name: "crew" }, { id: "c1" });
    await store.identity.assertSame(tool, crew);
    await store.nodes.Tool.delete(tool.id);
    const [again] = await store.nodes.Tool.bulkCreate([{ id: "x1", props: { name: "tool again" } }]);
    expect(again!.name).toBe("tool again");
    expect(await store.identity.assertionsOf(again!)).toEqual([]);
    expect(await store.identity.areSame(again!, crew)).toBe(false);
  });
});
