// The nodes single and bulk writes return are the rows as stored: bulkUpsertById's results
// and update's result read the same as getById afterwards (props as their JSON text reads back:
// dates as ISO text, undefined keys absent, -0 as 0, nested values copied, not shared with
// the input), on both backends.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineGraph, defineNode, type Store } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Doc = defineNode("Doc", {
  schema: z.object({
    title: z.string(),
    at: z.date().optional(),
    score: z.number().optional(),
    note: z.string().optional(),
    tags: z.array(z.string()).default([]),
    extra: z.record(z.string(), z.any()).optional(),
  }),
});

describe.each(backends)("write results read as stored on $name", (bc) => {
  const open: Store<any>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function store() {
    const graph = defineGraph({ id: freshGraphId(`wres_${bc.name}`), nodes: { Doc }, edges: {} });
    const [s] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(s as unknown as Store<any>);
    return s;
  }
  const plain = (n: unknown) => JSON.parse(JSON.stringify(n)) as unknown;

  it("bulkUpsertById returns what getById reads back, for new, live and revived ids", async () => {
    const s = await store();
    const D = s.nodes.Doc;
    const at = new Date("2024-05-06T07:08:09.010Z");
    await D.bulkInsert([
      { id: "live", props: { title: "L", tags: ["a"], extra: { deep: { x: [1, 2] } } } },
      { id: "gone", props: { title: "G", note: "kept" } },
    ]);
    await D.delete("gone");
    const extra: any = { deep: { x: [3, { y: "z" }] }, when: at, nothing: undefined, list: [1, undefined, 2] };
    const items: any[] = [
      { id: "live", props: { title: "L2", score: -0, extra } },
      { id: "new", props: { title: "N", at, note: undefined, tags: ["b", "c"] } },
      { id: "gone", props: { title: "G2", score: 1.5 } },
      // Plain data only (copied directly, no text round trip).
      { id: "plain", props: { title: "P", score: -0, note: undefined, extra: { a: [1, undefined, { b: null }], c: undefined, "0": "z" } } },
    ];
    const out = await D.bulkUpsertById(items);
    // The input is not shared with the results: changing it afterwards changes nothing.
    extra.deep.x[1].y = "changed";
    items[1].props.tags.push("d");
    items[3].props.extra.a[2].b = "changed";
    const again = await D.getByIds(["live", "new", "gone", "plain"]);
    expect(out).toEqual(again);
    expect(plain(out)).toEqual(plain(again));
    const [live, fresh, revived, direct] = out;
    expect(Object.is(direct!.score, 0)).toBe(true);
    expect("note" in direct!).toBe(false);
    expect(direct!.extra).toEqual({ "0": "z", a: [1, null, { b: null }] });
    expect(Object.keys(direct!.extra as object)).toEqual(Object.keys(again[3]!.extra as object));
    expect("c" in (direct!.extra as object)).toBe(false);
    expect(Object.is(live!.score, 0)).toBe(true);
    expect(live!.extra).toEqual({ deep: { x: [3, { y: "z" }] }, when: at.toISOString(), list: [1, null, 2] });
    expect("nothing" in (live!.extra as object)).toBe(false);
    expect(live!.tags).toEqual(["a"]);
    expect(fresh!.at).toBe(at.toISOString());
    expect("note" in fresh!).toBe(false);
    expect(fresh!.tags).toEqual(["b", "c"]);
    expect(revived).toMatchObject({ title: "G2", note: "kept", score: 1.5 });
    expect(revived!.meta.deletedAt).toBeUndefined();
    expect(live!.meta.version).toBe(2);
  });

  it("repeated ids return each position's row as stored", async () => {
    const s = await store();
    const D = s.nodes.Doc;
    const out = await D.bulkUpsertById([
      { id: "r", props: { title: "one", tags: ["x"] } },
      { id: "r", props: { title: "two", score: 2 } },
    ] as never);
    expect(out.map((n) => [n.title, n.tags, n.score, n.meta.version])).toEqual([
      ["one", ["x"], undefined, 1],
      ["two", ["x"], 2, 2],
    ]);
    expect(out[1]).toEqual(await D.getById("r"));
  });

  it("update returns what getById reads back (window, created stamp, version)", async () => {
    const s = await store();
    const D = s.nodes.Doc;
    const created = await D.create({ title: "t", tags: [] }, { id: "u", validFrom: "2020-01-01T00:00:00.000Z", validTo: "2999-01-01T00:00:00.000Z" });
    const up = await D.update("u", { note: "n", at: new Date("2024-01-01T00:00:00.000Z") });
    expect(up).toEqual(await D.getById("u"));
    expect(up.meta).toMatchObject({ version: created.meta.version + 1, createdAt: created.meta.createdAt, validFrom: created.meta.validFrom, validTo: created.meta.validTo });
    expect(up.at).toBe("2024-01-01T00:00:00.000Z");
    const twice = await D.update("u", { score: 3 });
    expect(twice).toEqual(await D.getById("u"));
    expect(twice.meta.version).toBe(up.meta.version + 1);
  });

  it("update of a node deleted and created again under its id writes over the new row", async () => {
    const s = await store();
    const D = s.nodes.Doc;
    await D.create({ title: "first", tags: [] }, { id: "h", validFrom: "2020-01-01T00:00:00.000Z" });
    await D.hardDelete("h");
    await D.create({ title: "second", tags: [] }, { id: "h", validFrom: "2021-01-01T00:00:00.000Z" });
    const up = await D.update("h", { note: "x" });
    expect(up).toEqual(await D.getById("h"));
    expect(up).toMatchObject({ title: "second", note: "x" });
    expect(up.meta.validFrom).toBe("2021-01-01T00:00:00.000Z");
  });
});
