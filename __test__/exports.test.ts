// Exports added to match upstream's names: the JSON-pointer helpers work as documented (alone
// and through the query builder on every backend), and every value export exists at run time.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import * as root from "../dist/index.js";
import {
  MAX_JSON_POINTER_DEPTH,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  joinJsonPointers,
  jsonPointer,
  normalizeJsonPointer,
  parseJsonPointer,
  type JsonPointer,
  type Store,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

describe("value exports", () => {
  it("the JSON-pointer helpers are functions on the root entry", () => {
    for (const name of ["jsonPointer", "parseJsonPointer", "normalizeJsonPointer", "joinJsonPointers"] as const) {
      expect(typeof root[name], name).toBe("function");
    }
    expect(MAX_JSON_POINTER_DEPTH).toBe(5);
  });
});

describe("JSON pointers", () => {
  it("builds, escapes and parses (RFC 6901)", () => {
    expect(jsonPointer([])).toBe("");
    expect(jsonPointer(["a", 0, "b"])).toBe("/a/0/b");
    expect(jsonPointer(["a/b", "x~y", "~1"])).toBe("/a~1b/x~0y/~01");
    expect(parseJsonPointer("" as JsonPointer)).toEqual([]);
    expect(parseJsonPointer("/a~1b/x~0y/~01" as JsonPointer)).toEqual(["a/b", "x~y", "~1"]);
    expect(parseJsonPointer("/a/0" as JsonPointer)).toEqual(["a", "0"]);
    expect(parseJsonPointer("/" as JsonPointer)).toEqual([""]);
    for (const steps of [["a"], ["a/b", "c"], ["~", "/", "~0~1"], ["", "x"]]) {
      expect(parseJsonPointer(jsonPointer(steps))).toEqual(steps);
    }
  });

  it("refuses what cannot address a stored value", () => {
    expect(() => jsonPointer(["a", "b", "c", "d", "e", "f"])).toThrow(/at most 5/);
    expect(jsonPointer(["a", "b", "c", "d", "e"])).toBe("/a/b/c/d/e");
    expect(() => jsonPointer(["items", "-"])).toThrow(/"-"/);
    expect(() => jsonPointer(["items", -1])).toThrow(/non-negative integer/);
    expect(() => jsonPointer(["items", 1.5])).toThrow(/non-negative integer/);
  });

  it("normalizes strings and segment lists", () => {
    expect(normalizeJsonPointer<{ "a/b": number[] }>(["a/b", 2])).toBe("/a~1b/2");
    expect(normalizeJsonPointer("/a~1b/2")).toBe("/a~1b/2");
    expect(normalizeJsonPointer("")).toBe("");
    expect(() => normalizeJsonPointer("a/b")).toThrow(/start with "\/"/);
    expect(() => normalizeJsonPointer("/a~2")).toThrow(/"~"/);
    expect(() => normalizeJsonPointer("/a~")).toThrow(/"~"/);
    expect(() => normalizeJsonPointer("/a/-")).toThrow(/"-"/);
    expect(() => normalizeJsonPointer("/1/2/3/4/5/6")).toThrow(/at most 5/);
  });

  it("joins a relative pointer below a base", () => {
    const base = jsonPointer(["settings"]);
    expect(joinJsonPointers(base, jsonPointer(["a/b", 0]))).toBe("/settings/a~1b/0");
    expect(joinJsonPointers(undefined, base)).toBe(base);
    expect(joinJsonPointers("" as JsonPointer, base)).toBe(base);
    expect(joinJsonPointers(base, "" as JsonPointer)).toBe(base);
    expect(() => joinJsonPointers(jsonPointer(["a", "b", "c"]), jsonPointer(["d", "e", "f"]))).toThrow(/at most 5/);
  });
});

const Doc = defineNode("Doc", {
  schema: z.object({
    title: z.string(),
    attrs: z.object({ "a/b": z.object({ "x~y": z.number() }).optional(), plain: z.string().optional() }).optional(),
  }),
});
const cites = defineEdge("cites");
const graphOf = (id: string) => defineGraph({ id, nodes: { Doc }, edges: { cites: { type: cites, from: [Doc], to: [Doc] } } });

describe.each(backends)("JSON pointers through the query builder on $name", (bc) => {
  const open: Store<ReturnType<typeof graphOf>>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  it("a built pointer with escaped keys addresses the stored path", async () => {
    const graph = graphOf(freshGraphId(`exp_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    await store.nodes.Doc.create({ title: "one", attrs: { "a/b": { "x~y": 1 } } });
    await store.nodes.Doc.create({ title: "two", attrs: { "a/b": { "x~y": 2 }, plain: "p" } });
    await store.nodes.Doc.create({ title: "three" });
    const titles = (pointer: JsonPointer, value: string | number) =>
      store
        .query()
        .from("Doc", "d")
        .whereNode("d", (d) => d.attrs.pathEquals(pointer, value))
        .select((c) => c.d.title)
        .orderBy("d", "title")
        .execute();
    const deep = joinJsonPointers(jsonPointer(["a/b"]), jsonPointer(["x~y"]));
    expect(deep).toBe("/a~1b/x~0y");
    expect(await titles(deep, 2)).toEqual(["two"]);
    expect(await titles(normalizeJsonPointer<{ "a/b": { "x~y": number } }>(["a/b", "x~y"]), 1)).toEqual(["one"]);
    expect(await titles(jsonPointer(["plain"]), "p")).toEqual(["two"]);
  });
});
