// Type tests for the query builder: select-result inference and alias typing.
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { count, defineEdge, defineGraph, defineNode, field, param, type NodeMeta, type Store } from "../dist/index.js";

const Person = defineNode("Person", {
  schema: z.object({ name: z.string(), age: z.number().optional(), tags: z.array(z.string()), settings: z.object({ theme: z.string() }) }),
});
const Company = defineNode("Company", { schema: z.object({ name: z.string() }) });
const worksAt = defineEdge("worksAt", { schema: z.object({ role: z.string() }) });
const graph = defineGraph({ id: "t", nodes: { Person, Company }, edges: { worksAt: { type: worksAt, from: [Person], to: [Company] } } });
declare const store: Store<typeof graph>;

describe("query types", () => {
  it("infers select results from the context", async () => {
    const rows = await store
      .query()
      .from("Person", "p")
      .traverse("worksAt", "e")
      .to("Company", "c")
      .select((ctx) => ({ name: ctx.p.name, age: ctx.p.age, role: ctx.e.role, company: ctx.c.name, created: ctx.p.meta.createdAt }))
      .execute();
    expectTypeOf(rows).toEqualTypeOf<readonly { name: string; age: number | undefined; role: string; company: string; created: string }[]>();
    const whole = await store.query().from("Person", "p").select((ctx) => ctx.p).first();
    expectTypeOf(whole!.kind).toEqualTypeOf<"Person">();
    expectTypeOf(whole!.meta).toEqualTypeOf<NodeMeta>();
    expectTypeOf(whole!.tags).toEqualTypeOf<string[]>();
    const edge = await store.query().from("Person", "p").traverse("worksAt", "e").to("Company", "c").select((ctx) => ctx.e).execute();
    expectTypeOf(edge[0]!.fromId).toEqualTypeOf<string>();
    expectTypeOf(await store.query().from("Person", "p").count()).toEqualTypeOf<number>();
    expectTypeOf(await store.query().from("Person", "p").exists()).toEqualTypeOf<boolean>();
  });

  it("makes optional aliases possibly undefined", async () => {
    const rows = await store.query().from("Person", "p").optionalTraverse("worksAt", "e").to("Company", "c").select((ctx) => ({ c: ctx.c, e: ctx.e })).execute();
    expectTypeOf(rows[0]!.c).toEqualTypeOf<({ id: string; kind: "Company"; meta: NodeMeta } & { name: string }) | undefined>();
    expectTypeOf(rows[0]!.e?.role).toEqualTypeOf<string | undefined>();
  });

  it("types aliases, accessors and recursive extras", () => {
    const q = store.query().from("Person", "p");
    // @ts-expect-error alias already in use
    q.traverse("worksAt", "p");
    // @ts-expect-error unknown alias
    q.whereNode("x", (x) => x.id.eq("1"));
    // @ts-expect-error unknown kind
    store.query().from("Nope", "p");
    // @ts-expect-error number field has no startsWith
    q.whereNode("p", (p) => p.age.startsWith("x"));
    // @ts-expect-error unknown field
    q.orderBy("p", "nope");
    q.whereNode("p", (p) => p.name.startsWith("A").and(p.age.between(1, 2)).or(p.tags.contains("x").not()));
    q.whereNode("p", (p) => p.settings.get("theme").eq("dark").and(p.settings.hasKey("theme")));
    q.whereNode("p", (p) => p.id.in(param<string[]>("ids")));
    const rec = q.traverse("worksAt", "e").recursive({ depth: true, path: "trail" }).to("Company", "c").select((ctx) => ({ d: ctx.c_depth, t: ctx.trail }));
    expectTypeOf(rec).toMatchTypeOf<{ execute(): Promise<readonly { d: number; t: string[] }[]> }>();
    const agg = q.traverse("worksAt", "e").to("Company", "c").groupBy("c", "name").aggregate({ name: field<string>("c", "name"), n: count("p") });
    expectTypeOf(agg.execute()).resolves.toEqualTypeOf<readonly { name: string; n: number }[]>();
  });
});
