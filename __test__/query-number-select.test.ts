// Number fields picked out by a select (`{ v: c.r.value }`), with and without a declared
// index on them, read back exactly: integers, fractions, negatives, zero, a stored JSON
// null (kept apart from a missing key), on SQLite and PostgreSQL.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineGraph, defineNode, param, type Store } from "../dist/index.js";
import { defineNodeIndex } from "../dist/indexes-entry.js";
import { backends, freshGraphId } from "./backends.js";

const Reading = defineNode("Reading", {
  schema: z.object({ label: z.string(), value: z.number().nullable().optional(), n: z.number().int() }),
});
const byLabelValue = defineNodeIndex(Reading, { fields: ["label", "value"] });

function makeGraph(id: string, indexed: boolean) {
  return defineGraph({ id, nodes: { Reading }, edges: {}, ...(indexed ? { indexes: [byLabelValue] } : {}) });
}
type G = ReturnType<typeof makeGraph>;

const rows = [
  { id: "r1", label: "a", value: 3, n: 1 },
  { id: "r2", label: "a", value: 2.5, n: 2 },
  { id: "r3", label: "a", value: -7, n: 3 },
  { id: "r4", label: "a", value: 0, n: 4 },
  { id: "r5", label: "a", value: null, n: 5 },
  { id: "r6", label: "a", n: 6 },
  { id: "r7", label: "b", value: 1e-7, n: 7 },
  { id: "r8", label: "b", value: 123456789012, n: 8 },
];

describe.each(backends)("number fields in a select on $name", (bc) => {
  const open: Store<G>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  for (const indexed of [false, true]) {
    it(`reads the stored numbers, nulls and missing keys back as stored (${indexed ? "declared index" : "no index"})`, async () => {
      const graph = makeGraph(freshGraphId(`qnum_${bc.name}`), indexed);
      const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
      open.push(store);
      if (indexed) await store.materializeIndexes();
      for (const { id, ...props } of rows) await store.nodes.Reading.create(props, { id });

      const all = await store
        .query()
        .from("Reading", "r")
        .select((c) => ({ id: c.r.id, value: c.r.value, n: c.r.n }))
        .orderBy("r", "n")
        .execute();
      expect(all).toEqual(rows.map(({ id, value, n }) => ({ id, value, n })));
      // A JSON null and a missing key stay apart.
      expect(all[4]).toHaveProperty("value", null);
      expect(all[5]!.value).toBeUndefined();

      // The filter the index serves, prepared and run with two bindings.
      const filtered = store
        .query()
        .from("Reading", "r")
        .whereNode("r", (r) => r.label.eq(param("label")).and(r.value.gte(param("min"))))
        .select((c) => ({ id: c.r.id, value: c.r.value }))
        .orderBy("r", "n")
        .prepare();
      expect(await filtered.execute({ label: "a", min: 0 })).toEqual([
        { id: "r1", value: 3 },
        { id: "r2", value: 2.5 },
        { id: "r4", value: 0 },
      ]);
      expect(await filtered.execute({ label: "b", min: -1 })).toEqual([
        { id: "r7", value: 1e-7 },
        { id: "r8", value: 123456789012 },
      ]);

      // Whole nodes and the single-field select agree.
      const whole = await store.query().from("Reading", "r").whereNode("r", (r) => r.n.lte(6)).select((c) => c.r).orderBy("r", "n").execute();
      expect(whole.map((r) => r.value)).toEqual(all.slice(0, 6).map((r) => r.value));
    });
  }
});
