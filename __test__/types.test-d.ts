// Type tests: inference from zod through definitions to collections.
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { defineEdge, defineGraph, defineNode, type Node, type Store } from "../dist/index.js";

const Person = defineNode("Person", { schema: z.object({ name: z.string(), age: z.number().optional() }) });
const Company = defineNode("Company", { schema: z.object({ name: z.string() }) });
const worksAt = defineEdge("worksAt", { schema: z.object({ role: z.string() }) });
const graph = defineGraph({ id: "t", nodes: { Person, Company }, edges: { worksAt: { type: worksAt, from: [Person], to: [Company] } } });
declare const store: Store<typeof graph>;

describe("types", () => {
  it("infers create input and node output from zod", async () => {
    const p = await store.nodes.Person.create({ name: "A" });
    expectTypeOf(p.name).toEqualTypeOf<string>();
    expectTypeOf(p.age).toEqualTypeOf<number | undefined>();
    expectTypeOf(p.kind).toEqualTypeOf<"Person">();
    expectTypeOf(p.meta.version).toEqualTypeOf<number>();
    expectTypeOf(p).toMatchTypeOf<Node<typeof Person>>();
    // @ts-expect-error name must be a string
    await store.nodes.Person.create({ name: 1 });
    // @ts-expect-error unknown kind
    store.nodes.Nope;
    const e = await store.edges.worksAt.create(p, { kind: "Company", id: "c" }, { role: "r" });
    expectTypeOf(e.role).toEqualTypeOf<string>();
    // @ts-expect-error role is required
    await store.edges.worksAt.create(p, p, {});
  });
});
