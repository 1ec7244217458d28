// The point-read path: `getById` in the current mode (on SQLite its kind and id cross as they
// are) answers what the same read with explicit temporal options and the equivalent query answer,
// for every kind of row (dates, nulls, missing optional props, deleted, outside its window); and
// compiled queries keep answering correctly when more distinct statements run than a connection
// keeps, when the schema changes between runs (an index is created) and after writes.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineEdge, defineGraph, defineNode, param, type Store } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Item = defineNode("Item", {
  schema: z.object({ name: z.string(), note: z.string().nullable(), tag: z.string().optional(), at: z.date().optional(), n: z.number() }),
});
const Other = defineNode("Other", { schema: z.object({ name: z.string() }) });
const Shape = defineNode("Shape", {
  schema: z.object({
    text: z.string(),
    nested: z.object({ deep: z.object({ list: z.array(z.union([z.number(), z.string(), z.null()])) }), empty: z.object({}) }).optional(),
    big: z.number(),
    tiny: z.number(),
    flag: z.boolean(),
    none: z.null(),
    when: z.date().optional(),
    maybe: z.string().optional(),
  }),
});
const link = defineEdge("link", { schema: z.object({}) });

function makeGraph(id: string) {
  return defineGraph({
    id,
    nodes: { Item: { type: Item }, Other: { type: Other }, Shape: { type: Shape } },
    edges: { link: { type: link, from: [Item], to: [Item] } },
  });
}

describe.each(backends)("point reads and kept statements on $name", (bc) => {
  const open: Store[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  let backend: ReturnType<typeof bc.make>;
  let graphId = "";
  async function setup() {
    const graph = makeGraph(freshGraphId(`point_${bc.name}`));
    graphId = graph.id;
    backend = bc.make(graph.id);
    const [store] = await createStoreWithSchema(graph, backend);
    open.push(store as unknown as Store);
    const I = store.nodes.Item;
    await I.create({ name: "a", note: null, tag: "t", at: new Date("2020-02-03T04:05:06.007Z"), n: 1 }, { id: "a" });
    await I.create({ name: "b", note: "x", n: 2.5 }, { id: "b" });
    await I.create({ name: "gone", note: null, n: 3 }, { id: "gone" });
    await I.delete("gone");
    await I.create({ name: "past", note: null, n: 4 }, { id: "past", validFrom: "2000-01-01T00:00:00.000Z", validTo: "2001-01-01T00:00:00.000Z" });
    await I.create({ name: "later", note: null, n: 5 }, { id: "later", validFrom: "2999-01-01T00:00:00.000Z" });
    await store.nodes.Other.create({ name: "o" }, { id: "o" });
    return store;
  }

  it("getById answers as the explicit current read and the id query do", async () => {
    const store = await setup();
    const I = store.nodes.Item;
    const byQuery = store.query().from("Item", "i").whereNode("i", (i) => i.id.eq(param("id"))).select((c) => c.i).prepare();
    for (const id of ["a", "b", "gone", "past", "later", "o", "missing", ""]) {
      const fast = await I.getById(id);
      const explicit = await I.getById(id, { temporalMode: "current" });
      expect(fast).toEqual(explicit);
      const rows = await byQuery.execute({ id });
      expect(fast).toEqual(rows[0]);
    }
    const a = await I.getById("a");
    expect(a).toMatchObject({ kind: "Item", id: "a", name: "a", note: null, tag: "t", n: 1 });
    expect(a?.at).toBe("2020-02-03T04:05:06.007Z");
    expect(a?.meta.version).toBe(1);
    expect(a?.meta.deletedAt).toBeUndefined();
    expect(a?.meta.validTo).toBeUndefined();
    const b = await I.getById("b");
    expect(b?.n).toBe(2.5);
    expect(b && "tag" in b).toBe(false);
    // A node of another kind is not an Item; a deleted one is gone; windows hold.
    expect(await I.getById("o")).toBeUndefined();
    expect(await I.getById("gone")).toBeUndefined();
    expect(await I.getById("gone", { temporalMode: "includeTombstones" })).toMatchObject({ id: "gone" });
    expect(await I.getById("past")).toBeUndefined();
    expect(await I.getById("past", { temporalMode: "asOf", asOf: "2000-06-01T00:00:00.000Z" })).toMatchObject({ id: "past" });
    expect(await I.getById("later")).toBeUndefined();
  });

  it("getById's node has one exact shape: key order, meta keys held as undefined, values as stored", async () => {
    const store = await setup();
    const S = store.nodes.Shape;
    const text = "naïve \u2028 \"quoted\" \\ emoji 😀 中文 tab\t";
    await S.create(
      { text, nested: { deep: { list: [1, -2.5, "x", null] }, empty: {} }, big: Number.MAX_SAFE_INTEGER, tiny: 1e-7, flag: false, none: null, when: new Date("1999-12-31T23:59:59.999Z") },
      { id: "full" },
    );
    await S.create({ text: "", big: -0, tiny: 1e21, flag: true, none: null }, { id: "sparse" });
    const byQuery = store.query().from("Shape", "s").whereNode("s", (s) => s.id.eq(param("id"))).select((c) => c.s).prepare();
    const full = await S.getById("full");
    // Props keep their stored order (PostgreSQL's jsonb stores its own key order).
    expect(Object.keys(full!).slice(0, 3)).toEqual(["kind", "id", "meta"]);
    expect(Object.keys(full!).slice(3).sort()).toEqual(["big", "flag", "nested", "none", "text", "tiny", "when"]);
    if (bc.name === "sqlite") expect(Object.keys(full!).slice(3)).toEqual(["text", "nested", "big", "tiny", "flag", "none", "when"]);
    expect(Object.keys(full!.meta)).toEqual(["version", "validFrom", "validTo", "createdAt", "updatedAt", "deletedAt"]);
    // A create without a window opens it at its creation instant and leaves it open.
    expect(full!.meta.validFrom).toBe(full!.meta.createdAt);
    expect(full!.meta.validTo).toBeUndefined();
    expect("validTo" in full!.meta).toBe(true);
    expect(full!.meta.deletedAt).toBeUndefined();
    expect(full!.meta.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(full!.meta.updatedAt).toBe(full!.meta.createdAt);
    expect(full!.text).toBe(text);
    expect(full!.nested).toStrictEqual({ deep: { list: [1, -2.5, "x", null] }, empty: {} });
    expect(full!.big).toBe(Number.MAX_SAFE_INTEGER);
    expect(full!.tiny).toBe(1e-7);
    expect(full!.flag).toBe(false);
    expect(full!.none).toBeNull();
    // A date prop reads back as its stored ISO text.
    expect(full!.when).toBe("1999-12-31T23:59:59.999Z");
    const sparse = await S.getById("sparse");
    expect(Object.keys(sparse!).slice(0, 3)).toEqual(["kind", "id", "meta"]);
    expect(Object.keys(sparse!).slice(3).sort()).toEqual(["big", "flag", "none", "text", "tiny"]);
    expect("maybe" in sparse!).toBe(false);
    expect(Object.is(sparse!.big, 0)).toBe(true);
    expect(sparse!.tiny).toBe(1e21);
    // The same read through the explicit temporal path and the prepared id query: deep-equal,
    // undefined-valued meta keys included.
    for (const id of ["full", "sparse"]) {
      const fast = await S.getById(id);
      expect(await S.getById(id, { temporalMode: "current" })).toStrictEqual(fast);
      expect((await byQuery.execute({ id }))[0]).toStrictEqual(fast);
    }
  });

  it("prepared runs answer as the unprepared query: no rows, whole aliases, edges, optional misses", async () => {
    const store = await setup();
    await store.edges.link.create({ kind: "Item", id: "a" }, { kind: "Item", id: "b" }, {});
    const build = (min: number | ReturnType<typeof param>) =>
      store
        .query()
        .from("Item", "i")
        .whereNode("i", (i) => i.n.gte(min as number))
        .optionalTraverse("link", "l")
        .to("Item", "j")
        .select((c) => ({ i: c.i, l: c.l, j: c.j?.name }))
        .orderBy("i", "n", "asc");
    const prepared = build(param("min")).prepare();
    for (const min of [100, 0, 2, 100]) {
      const want = await build(min).execute();
      for (let run = 0; run < 3; run++) expect(await prepared.execute({ min }), `min ${min} run ${run}`).toEqual(want);
    }
    const rows = await prepared.execute({ min: 0 });
    expect(rows.map((r) => [r.i.id, r.l?.toId, r.j])).toEqual([
      ["a", "b", "b"],
      ["b", undefined, undefined],
    ]);
  });

  it("an id that is not a string fails as the explicit read does", async () => {
    const store = await setup();
    const I = store.nodes.Item;
    for (const bad of [42, null, undefined, { id: "a" }]) {
      const fast = await I.getById(bad as never).then(
        (v) => ({ ok: v }),
        (e: unknown) => ({ err: (e as Error).constructor.name }),
      );
      const explicit = await I.getById(bad as never, { temporalMode: "current" }).then(
        (v) => ({ ok: v }),
        (e: unknown) => ({ err: (e as Error).constructor.name }),
      );
      expect(fast).toEqual(explicit);
    }
  });

  it("a read after a write sees it; inside a transaction the tx store reads its own writes", async () => {
    const store = await setup();
    const I = store.nodes.Item;
    expect((await I.getById("a"))?.name).toBe("a");
    await I.update("a", { name: "a2" });
    expect((await I.getById("a"))?.name).toBe("a2");
    expect((await I.getById("a"))?.meta.version).toBe(2);
    await store.transaction(async (tx) => {
      await tx.nodes.Item.create({ name: "t", note: null, n: 9 }, { id: "t" });
      expect((await tx.nodes.Item.getById("t"))?.name).toBe("t");
      await tx.nodes.Item.delete("t");
      expect(await tx.nodes.Item.getById("t")).toBeUndefined();
    });
    expect(await I.getById("t")).toBeUndefined();
    await I.delete("a");
    expect(await I.getById("a")).toBeUndefined();
  });

  it("more distinct queries than a connection keeps, across a schema change and writes, stay correct", async () => {
    const store = await setup();
    const I = store.nodes.Item;
    for (let k = 0; k < 40; k++) await I.create({ name: `n${k}`, note: null, n: k }, { id: `n${k}` });
    // 40 distinct statements (the limit differs per query), each run in turn several times.
    const queries = Array.from({ length: 40 }, (_, k) =>
      store
        .query()
        .from("Item", "i")
        .whereNode("i", (i) => i.n.gte(param("min")))
        .select((c) => ({ id: c.i.id, n: c.i.n }))
        .orderBy("i", "n", "asc")
        .limit(k + 1)
        .prepare(),
    );
    const check = async (round: number) => {
      for (let k = 0; k < queries.length; k++) {
        const rows = await queries[k]!.execute({ min: 10 });
        const want = Array.from({ length: Math.min(k + 1, 30) }, (_, j) => ({ id: `n${10 + j}`, n: 10 + j }));
        expect(rows, `query ${k} round ${round}`).toEqual(want);
      }
    };
    await check(0);
    await check(1);
    // A schema change between runs (a new index) and a write the next runs must see.
    const exec = (backend as unknown as { exec(sql: string): unknown }).exec.bind(backend);
    const index = `idx_point_${graphId.replace(/[^a-z0-9_]/gi, "_")}`.slice(0, 60);
    // (SQLite only: the PostgreSQL tables are shared by every suite running at the same time.)
    if (bc.name === "sqlite") await exec(`CREATE INDEX ${index} ON typegraph_nodes (graph_id, kind, created_at)`);
    await I.update("n10", { n: 1000 });
    for (let k = 0; k < queries.length; k++) {
      const rows = await queries[k]!.execute({ min: 10 });
      expect(rows[0], `query ${k} after the write`).toEqual({ id: "n11", n: 11 });
      expect(rows.some((r) => r.id === "n10")).toBe(k + 1 >= 30);
    }
    // getById interleaved with the queries keeps its own statement.
    for (let k = 0; k < 40; k++) {
      expect((await I.getById(`n${k}`))?.n).toBe(k === 10 ? 1000 : k);
      await queries[k]!.execute({ min: 0 });
    }
    if (bc.name === "sqlite") await exec(`DROP INDEX ${index}`);
    await I.update("n10", { n: 10 });
    await check(2);
  });
});
