// Type tests: bulkFindByIndex takes partial props of the kind and gives one array of typed
// nodes per input; materializeSystemIndexes reports "system" entries.
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { defineGraph, defineNode, type MaterializeIndexesResult, type NodeBulkFindByIndexOptions, type Node, type Store } from "../dist/index.js";

const Person = defineNode("Person", { schema: z.object({ name: z.string(), tenant: z.string().optional(), age: z.number().optional() }) });
const graph = defineGraph({ id: "t", nodes: { Person }, edges: {} });
declare const store: Store<typeof graph>;

describe("bulkFindByIndex types", () => {
  it("partial props in, readonly arrays of typed nodes out", async () => {
    const out = await store.nodes.Person.bulkFindByIndex("by_tenant", [{ props: { tenant: "t1" } }, { props: {} }], { limitPerInput: 2 });
    expectTypeOf(out).toEqualTypeOf<readonly Node<typeof Person>[][]>();
    expectTypeOf(out[0]![0]!.tenant).toEqualTypeOf<string | undefined>();
    expectTypeOf<NodeBulkFindByIndexOptions>().toEqualTypeOf<{ readonly limitPerInput?: number }>();
    // @ts-expect-error tenant is a string
    await store.nodes.Person.bulkFindByIndex("by_tenant", [{ props: { tenant: 1 } }]);
    // @ts-expect-error unknown prop
    await store.nodes.Person.bulkFindByIndex("by_tenant", [{ props: { nope: 1 } }]);
    // @ts-expect-error limitPerInput is a number
    await store.nodes.Person.bulkFindByIndex("by_tenant", [], { limitPerInput: "2" });
    const dyn = store.getNodeCollection("Person");
    if (dyn) expectTypeOf(await dyn.bulkFindByIndex("i", [{ props: {} }])).toEqualTypeOf<readonly Node[][]>();
  });

  it("materializeSystemIndexes returns materialization entries", async () => {
    const r = await store.materializeSystemIndexes({ stopOnError: true, refreshStatistics: false });
    expectTypeOf(r).toEqualTypeOf<MaterializeIndexesResult>();
    expectTypeOf(r.results[0]!.entity).toEqualTypeOf<"node" | "edge" | "vector" | "system">();
  });
});
