// Query builder behaviours closed after the first pass (issue 3): dynamic aliases end to end,
// synchronous toSQL() on a store whose PostgreSQL handle is still pending, and `in()` on fields
// of unknown type. SQLite and PostgreSQL through the public API.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigurationError, EndpointError, KindNotFoundError, UnsupportedPredicateError, ValidationError, count, createStore, field, having, havingGt, max, createStoreWithSchema, defineEdge, defineGraph, defineNode, param, type Store } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Paper = defineNode("Paper", {
  schema: z.object({ title: z.string(), year: z.number(), published: z.string().optional(), code: z.union([z.number(), z.string()]).optional(), born: z.date().optional() }),
});
const Author = defineNode("Author", { schema: z.object({ name: z.string(), tags: z.array(z.string()).optional(), info: z.object({ orcid: z.string() }).optional() }) });
const authoredBy = defineEdge("authoredBy", { schema: z.object({ position: z.number(), role: z.string().optional() }) });

function makeGraph(id: string) {
  return defineGraph({ id, nodes: { Paper, Author }, edges: { authoredBy: { type: authoredBy, from: [Paper], to: [Author] } } });
}
type G = ReturnType<typeof makeGraph>;

describe.each(backends)("query gaps on $name", (bc) => {
  const open: Store<G>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function seed() {
    const graph = makeGraph(freshGraphId(`qg_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    const p1 = await store.nodes.Paper.create({ title: "Attention", year: 2017, published: "2017-06-12T00:00:00.000Z", code: 1e21 }, { id: "p1" });
    const p2 = await store.nodes.Paper.create({ title: "Lonely", year: 1999, code: "x7" }, { id: "p2" });
    const a1 = await store.nodes.Author.create({ name: "Vaswani", tags: ["nlp"], info: { orcid: "0000" } }, { id: "a1" });
    const a2 = await store.nodes.Author.create({ name: "Shazeer", tags: [] }, { id: "a2" });
    await store.edges.authoredBy.create(p1, a1, { position: 1, role: "lead" }, { id: "e1" });
    await store.edges.authoredBy.create(p1, a2, { position: 2 }, { id: "e2" });
    return { store, p1, p2, a1, a2 };
  }

  it("dynamic aliases: .field() predicates on nodes and edges, whole aliases in select", async () => {
    const { store, a1 } = await seed();
    const rows = await store
      .query()
      .fromDynamic("Paper", "p")
      .whereNode("p", (p) => p.field("year").number().gte(2000).and(p.field("title").eq("Attention")))
      .traverseDynamic("authoredBy", "e")
      .whereEdge("e", (e) => e.field("role").string().startsWith("le").and(e.fromId.eq("p1")))
      .toDynamic("Author", "u")
      .whereNode("u", (u) => u.field("tags").array().contains("nlp").and(u.field("info").object().hasKey("orcid")))
      .select((ctx) => ({ title: ctx.p.title, author: ctx.u, position: ctx.e.position, kind: ctx.u.kind }))
      .execute();
    expect(rows).toEqual([{ title: "Attention", author: a1, position: 1, kind: "Author" }]);
    // Base comparisons sit on field() directly; ordering by a dynamic alias's field.
    const ordered = await store.query().fromDynamic("Paper", "p").whereNode("p", (p) => p.field("year").in([1999, 2017])).orderBy("p", "year", "desc").select((c) => c.p.id).execute();
    expect(ordered).toEqual(["p1", "p2"]);
  });

  it("optionalTraverseDynamic keeps rows without a match, with the edge and target undefined", async () => {
    const { store } = await seed();
    const rows = await store
      .query()
      .fromDynamic("Paper", "p")
      .optionalTraverseDynamic("authoredBy", "a")
      .whereEdge("a", (a) => a.field("position").number().eq(1))
      .toDynamic("Author", "u")
      .orderBy("p", "title", "asc")
      .select((ctx) => ({ paper: ctx.p.title, author: ctx.u?.name, edge: ctx.a?.id }))
      .execute();
    expect(rows).toEqual([
      { paper: "Attention", author: "Vaswani", edge: "e1" },
      { paper: "Lonely", author: undefined, edge: undefined },
    ]);
  });

  it("dynamic aliases fail at build time as upstream: KindNotFoundError, EndpointError, TypeError", () => {
    const store = createStore(makeGraph(freshGraphId(`qg_${bc.name}`)), bc.make("unused"));
    open.push(store);
    const q = store.query();
    expect(() => q.fromDynamic("Nope", "p")).toThrow(KindNotFoundError);
    expect(() => q.fromDynamic("Paper", "p").traverseDynamic("nope", "e")).toThrow(KindNotFoundError);
    expect(() => q.fromDynamic("Paper", "p").optionalTraverseDynamic("nope", "e")).toThrow(KindNotFoundError);
    expect(() => q.fromDynamic("Paper", "p").traverseDynamic("authoredBy", "e").toDynamic("Nope", "u")).toThrow(KindNotFoundError);
    expect(() => q.fromDynamic("Paper", "p").traverseDynamic("authoredBy", "e").toDynamic("Paper", "u")).toThrow(EndpointError);
    expect(() => q.from("Paper", "p").traverse("authoredBy", "e").toDynamic("Paper", "u")).toThrow(EndpointError);
    // A discriminator asserts the registered type exactly: an ISO-string field is a string, not a date.
    expect(() => q.fromDynamic("Paper", "p").whereNode("p", (p) => p.field("published").date().gt("2000-01-01"))).toThrow(TypeError);
    expect(() => q.fromDynamic("Paper", "p").whereNode("p", (p) => p.field("title").number().gt(1))).toThrow(TypeError);
    expect(() => q.fromDynamic("Paper", "p").traverseDynamic("authoredBy", "e").whereEdge("e", (e) => e.field("position").string().eq("1"))).toThrow(TypeError);
    expect(() => q.fromDynamic("Paper", "p").whereNode("p", (p) => p.field("born").date().gt(new Date(0)))).not.toThrow();
    expect(() => q.fromDynamic("Paper", "p").whereNode("p", (p) => p.field("published").string().gt("2000"))).not.toThrow();
    expect(() => q.fromDynamic("Paper", "p").whereNode("p", (p) => p.field("missing").eq(1))).toThrow(/missing/);
  });

  it("toSQL() is synchronous on a store from createStore, before and after its handle is ready", async () => {
    const graph = makeGraph(freshGraphId(`qg_${bc.name}`));
    const [boot] = await createStoreWithSchema(graph, bc.make(graph.id));
    await boot.close();
    const store = createStore(graph, bc.make(graph.id));
    open.push(store);
    const build = () =>
      store
        .query()
        .from("Paper", "p")
        .whereNode("p", (p) => p.year.gte(param("y")).and(p.title.eq("Attention")))
        .traverse("authoredBy", "e")
        .to("Author", "a")
        .select((c) => ({ t: c.p.title, a: c.a.name }));
    // Straight after createStore: no await in between.
    const early = build().toSQL();
    expect(early.sql.match(/SELECT/g)!.length).toBeGreaterThanOrEqual(1);
    expect(early.sql).not.toContain("Attention");
    expect(early.params).toContain("Attention");
    expect(early.sql).toMatch(bc.name === "postgres" ? /\$1/ : /\?/);
    // Once the store has done real work, the same query compiles to the same SQL.
    expect(await store.query().from("Paper", "p").count()).toBe(0);
    expect(build().toSQL().sql).toBe(early.sql);
    expect(await build().prepare().execute({ y: 0 })).toEqual([]);
  });

  it("in() on a field of unknown type compares numbers as numbers", async () => {
    const { store } = await seed();
    const ids = (values: readonly (number | string)[]) =>
      store.query().from("Paper", "p").whereNode("p", (p) => p.code.in(values)).select((c) => c.p.id).execute();
    expect(await ids([1e21])).toEqual(["p1"]);
    expect(await ids(["x7"])).toEqual(["p2"]);
    const notIn = await store.query().from("Paper", "p").whereNode("p", (p) => p.code.notIn([1e21])).select((c) => c.p.id).execute();
    expect(notIn).toEqual(["p2"]);
    const sql = store.query().from("Paper", "p").whereNode("p", (p) => p.code.in([1, 2])).select((c) => c.p.id).toSQL().sql;
    if (bc.name === "postgres") expect(sql).toContain("numeric[]");
  });
  it("paginate() cursors and flags in both directions; stream() checks orderBy on the call", async () => {
    const { store } = await seed();
    const q = store.query().from("Author", "a").select((c) => c.a.name).orderBy("a", "name", "asc");
    const last = await q.paginate({ last: 1 });
    expect(last.data).toEqual(["Vaswani"]);
    expect([last.hasPrevPage, last.hasNextPage]).toEqual([true, false]);
    // A backward page always carries a forward cursor; the backward cursor exists since there is more before.
    expect(last.nextCursor).toBeDefined();
    expect(last.prevCursor).toBeDefined();
    const before = await q.paginate({ last: 1, before: last.prevCursor });
    expect(before.data).toEqual(["Shazeer"]);
    expect([before.hasPrevPage, before.hasNextPage]).toEqual([false, true]);
    expect(before.prevCursor).toBeDefined();
    const again = await q.paginate({ first: 5, after: before.nextCursor });
    expect(again.data).toEqual(["Vaswani"]);
    expect([again.hasPrevPage, again.hasNextPage, again.nextCursor]).toEqual([true, false, undefined]);
    await expect(q.paginate({ first: 1, after: "not-a-cursor" })).rejects.toBeInstanceOf(ValidationError);
    const other = await store.query().from("Author", "a").select((c) => c.a.name).orderBy("a", "id", "desc").paginate({ first: 1 });
    await expect(q.paginate({ first: 1, after: other.nextCursor })).rejects.toBeInstanceOf(ValidationError);
    // stream() without orderBy fails on the call itself, before iterating.
    expect(() => store.query().from("Author", "a").select((c) => c.a.name).stream()).toThrow(ValidationError);
    const seen: unknown[] = [];
    for await (const n of q.stream({ batchSize: 1 })) seen.push(n);
    expect(seen).toEqual(["Shazeer", "Vaswani"]);
  });

  it("a query with param() placeholders runs only through prepare()", async () => {
    const { store } = await seed();
    const q = store.query().from("Paper", "p").whereNode("p", (p) => p.year.gte(param("y"))).select((c) => c.p.id);
    await expect(q.execute()).rejects.toBeInstanceOf(ConfigurationError);
    await expect(q.execute()).rejects.toThrow(/prepare\(\)/);
    await expect(q.first()).rejects.toBeInstanceOf(ConfigurationError);
    await expect(q.count()).rejects.toBeInstanceOf(ConfigurationError);
    await expect(q.union(store.query().from("Paper", "p").select((c) => c.p.id)).execute()).rejects.toBeInstanceOf(ConfigurationError);
    await expect(
      store.query().from("Paper", "p").whereNode("p", (p) => p.year.gte(param("y"))).groupBy("p", "year").aggregate({ n: count("p") }).execute(),
    ).rejects.toBeInstanceOf(ConfigurationError);
    // Missing bindings on a prepared query name the parameter.
    await expect(q.prepare().execute()).rejects.toThrow(/Missing bindings for parameter: "y"/);
    expect(await q.prepare().execute({ y: 2000 })).toEqual(["p1"]);
    // toSQL() still shows the statement with the slot unbound.
    expect(q.toSQL().params).toContain(null);
  });
  it("having() compares aggregates with numbers, strings and booleans; bad operators and values fail early", async () => {
    const { store } = await seed();
    const base = () => store.query().from("Paper", "p").traverse("authoredBy", "e").to("Author", "a").groupBy("p", "title");
    const many = await base().having(havingGt(count("a"), 1)).aggregate({ title: field<string>("p", "title"), n: count("a") }).execute();
    expect(many).toEqual([{ title: "Attention", n: 2 }]);
    const byName = await base().having(having(max("a", "name"), "eq", "Vaswani")).aggregate({ title: field<string>("p", "title"), top: max<string>("a", "name") }).execute();
    expect(byName).toEqual([{ title: "Attention", top: "Vaswani" }]);
    const none = await base().having(having(max("a", "name"), "lt", "A")).aggregate({ title: field<string>("p", "title") }).execute();
    expect(none).toEqual([]);
    expect(() => having(count("a"), "like" as never, 1)).toThrow(UnsupportedPredicateError);
    expect(() => having(count("a"), "gt", Number.NaN)).toThrow(ValidationError);
  });
});
