// The query builder contract on SQLite and PostgreSQL, through the public API.
// Many cases are the upstream docs' examples under queries/ (filter, traverse,
// shape, order, execute, recursive, aggregate, combine, temporal, advanced).
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  EndpointError,
  KindNotFoundError,
  MAX_EXPLICIT_RECURSIVE_DEPTH,
  MAX_RECURSIVE_DEPTH,
  UnsupportedPredicateError,
  ValidationError,
  avg,
  count,
  countDistinct,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  exists,
  field,
  fieldRef,
  havingGt,
  inSubquery,
  max,
  notExists,
  param,
  sum,
  type Store,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", {
  schema: z.object({
    name: z.string(),
    email: z.string().optional(),
    status: z.enum(["active", "inactive"]).optional(),
    age: z.number().optional(),
    isActive: z.boolean().optional(),
    tags: z.array(z.string()).optional(),
    scores: z.array(z.number()).optional(),
    settings: z.object({ theme: z.string(), notifications: z.object({ email: z.boolean() }).optional(), roles: z.array(z.string()).optional() }).optional(),
    birthday: z.string().optional(),
    nickname: z.string().nullable().optional(),
  }),
});
const Employee = defineNode("Employee", { schema: z.object({ name: z.string(), level: z.number().optional() }) });
const Company = defineNode("Company", { schema: z.object({ name: z.string(), industry: z.string().optional() }) });
const worksAt = defineEdge("worksAt", { schema: z.object({ role: z.string(), salary: z.number().optional() }) });
const knows = defineEdge("knows", { schema: z.object({ since: z.number().optional() }) });
const reportsTo = defineEdge("reportsTo");

function makeGraph(id: string) {
  return defineGraph({
    id,
    nodes: { Person, Employee, Company },
    edges: {
      worksAt: { type: worksAt, from: [Person, Employee], to: [Company] },
      knows: { type: knows, from: [Person], to: [Person] },
      reportsTo: { type: reportsTo, from: [Person], to: [Person] },
    },
    ontology: [{ metaEdge: "subClassOf", from: Employee, to: Person }],
  });
}
type G = ReturnType<typeof makeGraph>;

describe.each(backends)("query on $name", (bc) => {
  const open: Store<G>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function setup() {
    const graph = makeGraph(freshGraphId(`q_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    return store;
  }

  async function seed() {
    const store = await setup();
    const P = store.nodes.Person;
    const alice = await P.create(
      { name: "Alice", email: "alice@example.com", status: "active", age: 30, isActive: true, tags: ["admin", "dev"], scores: [90, 80], settings: { theme: "dark", notifications: { email: true }, roles: ["owner"] }, birthday: "1994-03-01T00:00:00.000Z", nickname: null },
      { id: "alice" },
    );
    const bob = await P.create({ name: "Bob", status: "active", age: 25, isActive: false, tags: ["dev"], settings: { theme: "light" } }, { id: "bob" });
    const carol = await P.create({ name: "Carol", status: "inactive", age: 41, tags: [] }, { id: "carol" });
    const dana = await P.create({ name: "dana_x%", age: 35 }, { id: "dana" });
    const acme = await store.nodes.Company.create({ name: "Acme", industry: "Technology" }, { id: "acme" });
    const beta = await store.nodes.Company.create({ name: "Beta", industry: "Retail" }, { id: "beta" });
    const emp = await store.nodes.Employee.create({ name: "Eve", level: 3 }, { id: "eve" });
    await store.edges.worksAt.create(alice, acme, { role: "Engineer", salary: 150000 }, { id: "w1" });
    await store.edges.worksAt.create(bob, acme, { role: "Designer", salary: 90000 }, { id: "w2" });
    await store.edges.worksAt.create(carol, beta, { role: "Engineer", salary: 120000 }, { id: "w3" });
    await store.edges.worksAt.create(emp, beta, { role: "Manager" }, { id: "w4" });
    await store.edges.knows.create(alice, bob, { since: 2020 }, { id: "k1" });
    await store.edges.knows.create(bob, carol, { since: 2021 }, { id: "k2" });
    await store.edges.knows.create(carol, alice, {}, { id: "k3" });
    await store.edges.reportsTo.create(alice, bob, {}, { id: "r1" });
    await store.edges.reportsTo.create(bob, carol, {}, { id: "r2" });
    await store.edges.reportsTo.create(carol, dana, {}, { id: "r3" });
    return { store, alice, bob, carol, dana, acme, beta, emp };
  }

  it("selects whole nodes with props at top level and metadata under meta, equal to collection reads", async () => {
    const { store, alice } = await seed();
    const rows = await store.query().from("Person", "p").whereNode("p", (p) => p.name.eq("Alice")).select((ctx) => ctx.p).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toEqual(alice);
    expect(rows[0]!.meta.validTo).toBeUndefined();
    expect(rows[0]!.meta.version).toBe(1);
  });

  it("smart selection reads only touched fields and maps missing props to undefined", async () => {
    const { store } = await seed();
    const rows = await store
      .query()
      .from("Person", "p")
      .select((ctx) => ({ name: ctx.p.name, email: ctx.p.email, created: ctx.p.meta.createdAt, nick: ctx.p.nickname }))
      .orderBy("p", "name", "asc")
      .execute();
    expect(rows.map((r) => r.name)).toEqual(["Alice", "Bob", "Carol", "dana_x%"]);
    expect(rows[0]!.email).toBe("alice@example.com");
    expect(rows[0]!.nick).toBeNull();
    expect(rows[1]!.email).toBeUndefined();
    expect(rows[1]!.nick).toBeUndefined();
    expect(rows[0]!.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const sql = store.query().from("Person", "p").select((ctx) => ({ n: ctx.p.name })).toSQL().sql;
    if (bc.name === "postgres") {
      expect(sql.split(" FROM ")[0]).not.toMatch(/\.props(,|$)/);
    } else {
      // SQLite hands the props text to the engine, which picks the touched field out of it
      // while rendering the row: only that field crosses to JavaScript.
      expect(sql.split(" FROM ")[0]).not.toMatch(/->/);
    }
    const only = await store.query().from("Person", "p").whereNode("p", (p) => p.name.eq("Alice")).select((ctx) => ({ n: ctx.p.name })).execute();
    expect(only).toEqual([{ n: "Alice" }]);
    expect(Object.keys(only[0]!)).toEqual(["n"]);
  });

  it("traverses one hop with edge props (traverse.md) in one statement", async () => {
    const { store } = await seed();
    const q = store
      .query()
      .from("Person", "p")
      .traverse("worksAt", "e")
      .to("Company", "c")
      .select((ctx) => ({ person: ctx.p.name, company: ctx.c.name, role: ctx.e.role, edge: ctx.e }))
      .orderBy("p", "name");
    const rows = await q.execute();
    expect(rows.map((r) => [r.person, r.company, r.role])).toEqual([
      ["Alice", "Acme", "Engineer"],
      ["Bob", "Acme", "Designer"],
      ["Carol", "Beta", "Engineer"],
    ]);
    expect(rows[0]!.edge).toMatchObject({ id: "w1", kind: "worksAt", fromId: "alice", toId: "acme", role: "Engineer", salary: 150000 });
    expect(rows[0]!.edge.meta.deletedAt).toBeUndefined();
    expect(q.toSQL().sql.match(/SELECT/g)).toHaveLength(1);
  });

  it("traverses inbound, multiple hops, from an earlier alias, and whereEdge (filter.md)", async () => {
    const { store } = await seed();
    const employees = await store
      .query()
      .from("Company", "c")
      .whereNode("c", (c) => c.name.eq("Acme"))
      .traverse("worksAt", "e", { direction: "in" })
      .to("Person", "p")
      .select((ctx) => ({ id: ctx.p.id, name: ctx.p.name, role: ctx.e.role }))
      .orderBy("p", "name", "asc")
      .execute();
    expect(employees).toEqual([
      { id: "alice", name: "Alice", role: "Engineer" },
      { id: "bob", name: "Bob", role: "Designer" },
    ]);
    const fof = await store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.name.eq("Alice"))
      .traverse("knows", "k1")
      .to("Person", "friend")
      .traverse("knows", "k2")
      .to("Person", "fof")
      .traverse("worksAt", "w", { from: "friend" })
      .to("Company", "c")
      .select((ctx) => ({ friend: ctx.friend.name, fof: ctx.fof.name, company: ctx.c.name }))
      .execute();
    expect(fof).toEqual([{ friend: "Bob", fof: "Carol", company: "Acme" }]);
    const highPaying = await store
      .query()
      .from("Person", "p")
      .traverse("worksAt", "e")
      .whereEdge("e", (e) => e.salary.gte(100000))
      .to("Company", "c")
      .select((ctx) => ({ person: ctx.p.name, company: ctx.c.name, salary: ctx.e.salary }))
      .orderBy("e", "salary", "desc")
      .execute();
    expect(highPaying).toEqual([
      { person: "Alice", company: "Acme", salary: 150000 },
      { person: "Carol", company: "Beta", salary: 120000 },
    ]);
    const byEndpoint = await store
      .query()
      .from("Person", "p")
      .traverse("worksAt", "e")
      .to("Company", "c")
      .whereEdge("e", (e) => e.toId.eq("beta").and(e.fromId.neq("x")))
      .select((ctx) => ctx.p.id)
      .execute();
    expect(byEndpoint).toEqual(["carol"]);
  });

  it("optionalTraverse keeps rows without a match and shows undefined", async () => {
    const { store } = await seed();
    const rows = await store
      .query()
      .from("Person", "p")
      .optionalTraverse("worksAt", "e")
      .to("Company", "c")
      .select((ctx) => ({ name: ctx.p.name, company: ctx.c?.name, role: ctx.e?.role, c: ctx.c }))
      .orderBy("p", "name")
      .execute();
    expect(rows.map((r) => [r.name, r.company, r.role])).toEqual([
      ["Alice", "Acme", "Engineer"],
      ["Bob", "Acme", "Designer"],
      ["Carol", "Beta", "Engineer"],
      ["dana_x%", undefined, undefined],
    ]);
    expect(rows[3]!.c).toBeUndefined();
    // A filter on the optional side keeps the row, with the optional side empty.
    const filtered = await store
      .query()
      .from("Person", "p")
      .optionalTraverse("worksAt", "e")
      .whereEdge("e", (e) => e.role.eq("Designer"))
      .to("Company", "c")
      .select((ctx) => ({ name: ctx.p.name, c: ctx.c?.id }))
      .orderBy("p", "name")
      .execute();
    expect(filtered.map((r) => r.c)).toEqual([undefined, "acme", undefined, undefined]);
  });

  it("string, number, boolean, date operators and and/or/not (predicates)", async () => {
    const { store } = await seed();
    const names = async (fn: (p: any) => any) =>
      (await store.query().from("Person", "p").whereNode("p", fn).select((c) => c.p.name).orderBy("p", "name").execute()) as string[];
    expect(await names((p) => p.name.contains("LI"))).toEqual(["Alice"]);
    expect(await names((p) => p.name.startsWith("b"))).toEqual(["Bob"]);
    expect(await names((p) => p.name.endsWith("OL"))).toEqual(["Carol"]);
    expect(await names((p) => p.name.contains("_x%"))).toEqual(["dana_x%"]);
    expect(await names((p) => p.name.contains("a_"))).toEqual(["dana_x%"]);
    expect(await names((p) => p.name.like("A%"))).toEqual(["Alice"]);
    expect(await names((p) => p.name.ilike("a%"))).toEqual(["Alice"]);
    expect(await names((p) => p.name.in(["Bob", "Carol", "Zed"]))).toEqual(["Bob", "Carol"]);
    expect(await names((p) => p.name.notIn(["Bob", "Carol"]))).toEqual(["Alice", "dana_x%"]);
    expect(await names((p) => p.name.in([]))).toEqual([]);
    expect(await names((p) => p.name.neq("Bob"))).toEqual(["Alice", "Carol", "dana_x%"]);
    expect(await names((p) => p.email.isNull())).toEqual(["Bob", "Carol", "dana_x%"]);
    expect(await names((p) => p.email.isNotNull())).toEqual(["Alice"]);
    expect(await names((p) => p.name.gt("Bob"))).toEqual(["Carol", "dana_x%"]);
    expect(await names((p) => p.age.gt(30))).toEqual(["Carol", "dana_x%"]);
    expect(await names((p) => p.age.between(25, 30))).toEqual(["Alice", "Bob"]);
    expect(await names((p) => p.age.in([25, 41]))).toEqual(["Bob", "Carol"]);
    expect(await names((p) => p.age.lte(25.5))).toEqual(["Bob"]);
    expect(await names((p) => p.isActive.eq(true))).toEqual(["Alice"]);
    expect(await names((p) => p.isActive.eq(false))).toEqual(["Bob"]);
    expect(await names((p) => p.birthday.gte(new Date("1990-01-01T00:00:00Z")))).toEqual(["Alice"]);
    expect(await names((p) => p.status.eq("active").and(p.age.gte(30)))).toEqual(["Alice"]);
    expect(await names((p) => p.name.eq("Bob").or(p.age.gt(40)))).toEqual(["Bob", "Carol"]);
    expect(await names((p) => p.status.eq("active").not())).toEqual(["Carol"]);
    expect(await names((p) => p.id.in(["alice", "dana"]))).toEqual(["Alice", "dana_x%"]);
    expect(await names((p) => p.kind.eq("Person").and(p.id.neq("alice")))).toEqual(["Bob", "Carol", "dana_x%"]);
    // chained whereNode calls AND together
    const chained = await store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.status.eq("active"))
      .whereNode("p", (p) => p.age.lt(28))
      .select((c) => c.p.name)
      .execute();
    expect(chained).toEqual(["Bob"]);
  });

  it("array and object operators", async () => {
    const { store } = await seed();
    const names = async (fn: (p: any) => any) =>
      (await store.query().from("Person", "p").whereNode("p", fn).select((c) => c.p.name).orderBy("p", "name").execute()) as string[];
    expect(await names((p) => p.tags.contains("dev"))).toEqual(["Alice", "Bob"]);
    expect(await names((p) => p.tags.containsAll(["dev", "admin"]))).toEqual(["Alice"]);
    expect(await names((p) => p.tags.containsAny(["admin", "x"]))).toEqual(["Alice"]);
    expect(await names((p) => p.scores.contains(80))).toEqual(["Alice"]);
    expect(await names((p) => p.tags.isEmpty())).toEqual(["Carol", "dana_x%"]);
    expect(await names((p) => p.tags.isNotEmpty())).toEqual(["Alice", "Bob"]);
    expect(await names((p) => p.tags.lengthGte(2))).toEqual(["Alice"]);
    expect(await names((p) => p.tags.length.eq(1))).toEqual(["Bob"]);
    expect(await names((p) => p.settings.get("theme").eq("dark"))).toEqual(["Alice"]);
    expect(await names((p) => p.settings.get("notifications").get("email").eq(true))).toEqual(["Alice"]);
    expect(await names((p) => p.settings.hasKey("notifications"))).toEqual(["Alice"]);
    expect(await names((p) => p.settings.hasPath("/notifications/email"))).toEqual(["Alice"]);
    expect(await names((p) => p.settings.pathEquals("/theme", "light"))).toEqual(["Bob"]);
    expect(await names((p) => p.settings.pathEquals(["notifications", "email"], true))).toEqual(["Alice"]);
    expect(await names((p) => p.settings.pathContains("/roles", "owner"))).toEqual(["Alice"]);
    expect(await names((p) => p.settings.pathIsNull("/notifications"))).toEqual(["Bob", "Carol", "dana_x%"]);
    expect(await names((p) => p.settings.pathIsNotNull("/notifications"))).toEqual(["Alice"]);
  });

  it("first(), count(), exists() (execute.md)", async () => {
    const { store, alice } = await seed();
    const first = await store.query().from("Person", "p").whereNode("p", (p) => p.email.eq("alice@example.com")).select((ctx) => ctx.p).first();
    expect(first).toEqual(alice);
    expect(await store.query().from("Person", "p").whereNode("p", (p) => p.name.eq("nobody")).select((c) => c.p).first()).toBeUndefined();
    expect(await store.query().from("Person", "p").whereNode("p", (p) => p.status.eq("active")).count()).toBe(2);
    expect(await store.query().from("Person", "p").whereNode("p", (p) => p.status.eq("active")).exists()).toBe(true);
    expect(await store.query().from("Person", "p").whereNode("p", (p) => p.age.gt(100)).exists()).toBe(false);
    expect(await store.query().from("Person", "p").traverse("worksAt", "e").to("Company", "c").select((c) => c.p.id).count()).toBe(3);
  });

  it("orderBy puts NULLs last ascending and first descending; limit and offset (order.md)", async () => {
    const { store } = await seed();
    const asc = await store.query().from("Person", "p").select((c) => c.p.email ?? null).orderBy("p", "email", "asc").orderBy("p", "name").execute();
    expect(asc).toEqual(["alice@example.com", null, null, null]);
    const desc = await store.query().from("Person", "p").select((c) => c.p.status ?? "-").orderBy("p", "status", "desc").orderBy("p", "name").execute();
    expect(desc).toEqual(["-", "inactive", "active", "active"]);
    const byAge = await store.query().from("Person", "p").select((c) => c.p.age).orderBy("p", "age", "desc").limit(2).offset(1).execute();
    expect(byAge).toEqual([35, 30]);
    expect(() => store.query().from("Person", "p").select((c) => c.p).orderBy("p", "tags")).toThrow(UnsupportedPredicateError);
  });

  it("includeSubClasses expands to subclass kinds", async () => {
    const { store } = await seed();
    const all = await store.query().from("Person", "p", { includeSubClasses: true }).select((c) => ({ kind: c.p.kind, name: c.p.name })).orderBy("p", "name").execute();
    expect(all.map((r) => r.kind)).toEqual(["Person", "Person", "Person", "Employee", "Person"]);
    const only = await store.query().from("Person", "p").count();
    expect(only).toBe(4);
  });

  it("prepared queries bind strictly; in(param) binds a whole list (execute.md)", async () => {
    const { store } = await seed();
    const q = store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.status.eq(param("status")).and(p.age.gte(param("minAge"))))
      .select((c) => c.p.name)
      .orderBy("p", "name")
      .prepare();
    expect([...q.parameterNames].sort()).toEqual(["minAge", "status"]);
    expect(await q.execute({ status: "active", minAge: 26 })).toEqual(["Alice"]);
    expect(await q.execute({ status: "active", minAge: 0 })).toEqual(["Alice", "Bob"]);
    await expect(q.execute({ status: "active" })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(q.execute({ status: "active", minAge: 1, extra: 1 })).rejects.toBeInstanceOf(ConfigurationError);
    const byIds = store.query().from("Person", "p").whereNode("p", (p) => p.id.in(param("ids"))).select((c) => c.p.id).orderBy("p", "id").prepare();
    expect(await byIds.execute({ ids: ["bob", "dana", "zz"] })).toEqual(["bob", "dana"]);
    expect(await byIds.execute({ ids: [] })).toEqual([]);
    const like = store.query().from("Person", "p").whereNode("p", (p) => p.name.startsWith(param("prefix"))).select((c) => c.p.id).prepare();
    expect(await like.execute({ prefix: "car" })).toEqual(["carol"]);
    const hop = store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.id.eq(param("id")))
      .traverse("worksAt", "e")
      .to("Company", "c")
      .select((c) => ({ company: c.c.name, role: c.e.role }))
      .prepare();
    expect(await hop.execute({ id: "bob" })).toEqual([{ company: "Acme", role: "Designer" }]);
  });

  it("toSQL shows parameters only, never values", async () => {
    const { store } = await seed();
    const { sql, params } = store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.name.eq("Robert'); DROP TABLE x; --"))
      .select((c) => c.p.name)
      .toSQL();
    expect(sql).not.toContain("DROP");
    expect(params).toContain("Robert'); DROP TABLE x; --");
  });

  it("malformed queries fail with upstream's error classes before any SQL runs", async () => {
    const { store } = await seed();
    const q = store.query();
    expect(() => q.from("Nope" as never, "p")).toThrow(KindNotFoundError);
    expect(() => q.from("Person", "p").traverse("nope" as never, "e")).toThrow(KindNotFoundError);
    expect(() => q.from("Person", "p").traverse("worksAt", "p" as never)).toThrow(ValidationError);
    expect(() => q.from("Person", "select")).toThrow(ValidationError);
    expect(() => q.from("Person", "p").whereNode("x" as never, () => null as never)).toThrow(ValidationError);
    expect(() => q.from("Person", "p").whereNode("p", (p) => (p as any).nope.eq(1))).toThrow(ValidationError);
    expect(() => q.from("Person", "p").orderBy("p", "nope" as never)).toThrow(ValidationError);
    expect(() => q.from("Person", "p").traverse("worksAt", "e").to("Person", "x")).toThrow(EndpointError);
    await expect(
      q.from("Person", "p").whereNode("p", (p) => (p.age as any).startsWith("x")).select((c) => c.p).execute(),
    ).rejects.toBeInstanceOf(UnsupportedPredicateError);
    expect(() => q.from("Person", "p").temporal("asOf")).toThrow(ValidationError);
  });

  it("recursive traversals: caps, depth, path, minHops, cycles (recursive.md)", async () => {
    const { store } = await seed();
    expect(MAX_RECURSIVE_DEPTH).toBe(10);
    expect(MAX_EXPLICIT_RECURSIVE_DEPTH).toBe(1000);
    const managers = await store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.name.eq("Alice"))
      .traverse("reportsTo", "e")
      .recursive({ depth: "level", path: true })
      .to("Person", "manager")
      .select((ctx) => ({ employee: ctx.p.name, manager: ctx.manager.name, level: ctx.level, path: ctx.manager_path }))
      .orderBy("level", "level")
      .execute();
    expect(managers).toEqual([
      { employee: "Alice", manager: "Bob", level: 1, path: ["alice", "bob"] },
      { employee: "Alice", manager: "Carol", level: 2, path: ["alice", "bob", "carol"] },
      { employee: "Alice", manager: "dana_x%", level: 3, path: ["alice", "bob", "carol", "dana"] },
    ]);
    const near = await store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.id.eq("alice"))
      .traverse("reportsTo", "e")
      .recursive({ maxHops: 2, minHops: 2 })
      .to("Person", "m")
      .select((c) => c.m.id)
      .execute();
    expect(near).toEqual(["carol"]);
    // knows has a cycle alice → bob → carol → alice; prevention stops at the revisit.
    const reach = await store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.id.eq("alice"))
      .traverse("knows", "k")
      .recursive({ depth: true })
      .to("Person", "f")
      .select((c) => [c.f.id, c.f_depth] as const)
      .orderBy("f_depth", "f_depth")
      .execute();
    expect(reach).toEqual([["bob", 1], ["carol", 2]]);
    const allowed = await store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.id.eq("alice"))
      .traverse("knows", "k")
      .recursive({ cyclePolicy: "allow", maxHops: 4 })
      .to("Person", "f")
      .select((c) => c.f.id)
      .execute();
    expect(allowed).toHaveLength(4);
    expect(() => store.query().from("Person", "p").traverse("knows", "k").recursive({ maxHops: 1001 })).toThrow(UnsupportedPredicateError);
    expect(() => store.query().from("Person", "p").traverse("knows", "k").recursive({ minHops: 3, maxHops: 2 })).toThrow(ValidationError);
  });

  it("paginate with opaque cursors forward and backward; stream in batches (execute.md)", async () => {
    const { store } = await seed();
    const q = store.query().from("Person", "p").select((c) => ({ id: c.p.id, name: c.p.name })).orderBy("p", "name", "asc");
    const p1 = await q.paginate({ first: 2 });
    expect(p1.data.map((r) => r.id)).toEqual(["alice", "bob"]);
    expect(p1.hasNextPage).toBe(true);
    expect(p1.hasPrevPage).toBe(false);
    const p2 = await q.paginate({ first: 2, after: p1.nextCursor });
    expect(p2.data.map((r) => r.id)).toEqual(["carol", "dana"]);
    expect(p2.hasNextPage).toBe(false);
    expect(p2.hasPrevPage).toBe(true);
    const back = await q.paginate({ last: 2, before: p2.prevCursor });
    expect(back.data.map((r) => r.id)).toEqual(["alice", "bob"]);
    const last = await q.paginate({ last: 3 });
    expect(last.data.map((r) => r.id)).toEqual(["bob", "carol", "dana"]);
    expect(last.hasPrevPage).toBe(true);
    // NULL sort keys page correctly.
    const byEmail = store.query().from("Person", "p").select((c) => c.p.id).orderBy("p", "email");
    const e1 = await byEmail.paginate({ first: 2 });
    const e2 = await byEmail.paginate({ first: 2, after: e1.nextCursor });
    expect([...e1.data, ...e2.data]).toEqual(["alice", "bob", "carol", "dana"]);
    const seen: string[] = [];
    for await (const r of q.stream({ batchSize: 3 })) seen.push(r.id);
    expect(seen).toEqual(["alice", "bob", "carol", "dana"]);
    await expect(store.query().from("Person", "p").select((c) => c.p).paginate({ first: 1 })).rejects.toBeInstanceOf(ValidationError);
  });

  it("aggregates with groupBy, having and ordering (aggregate.md)", async () => {
    const { store } = await seed();
    const sizes = await store
      .query()
      .from("Person", "p")
      .traverse("worksAt", "e")
      .to("Company", "c")
      .groupBy("c", "name")
      .aggregate({ companyName: field("c", "name"), employeeCount: count("p"), payroll: sum("e", "salary"), top: max("e", "salary") })
      .orderBy("companyName", "asc")
      .execute();
    expect(sizes).toEqual([
      { companyName: "Acme", employeeCount: 2, payroll: 240000, top: 150000 },
      { companyName: "Beta", employeeCount: 1, payroll: 120000, top: 120000 },
    ]);
    const big = await store
      .query()
      .from("Person", "p")
      .traverse("worksAt", "e")
      .to("Company", "c")
      .groupByNode("c")
      .having(havingGt(count("p"), 1))
      .aggregate({ company: field("c", "name"), n: countDistinct("p"), avgAge: avg("p", "age") })
      .execute();
    expect(big).toEqual([{ company: "Acme", n: 2, avgAge: 27.5 }]);
    const byStatus = await store.query().from("Person", "p").groupBy("p", "status").aggregate({ status: field("p", "status"), n: count("p") }).orderBy("n", "desc").limit(1).execute();
    expect(byStatus).toEqual([{ status: "active", n: 2 }]);
  });

  it("set operations: union, unionAll, intersect, except (combine.md)", async () => {
    const { store } = await seed();
    const active = store.query().from("Person", "p").whereNode("p", (p) => p.status.eq("active")).select((c) => ({ id: c.p.id }));
    const old = store.query().from("Person", "p").whereNode("p", (p) => p.age.gte(30)).select((c) => ({ id: c.p.id }));
    const ids = (rs: readonly { id: string }[]) => rs.map((r) => r.id).sort();
    expect(ids(await active.union(old).execute())).toEqual(["alice", "bob", "carol", "dana"]);
    expect(ids(await active.unionAll(old).execute())).toEqual(["alice", "alice", "bob", "carol", "dana"]);
    expect(ids(await active.intersect(old).execute())).toEqual(["alice"]);
    expect(ids(await active.except(old).execute())).toEqual(["bob"]);
    expect(await active.union(old).limit(2).execute()).toHaveLength(2);
  });

  it("subqueries: exists, notExists, inSubquery (advanced.md)", async () => {
    const { store } = await seed();
    const employed = await store
      .query()
      .from("Person", "p")
      .whereNode("p", () =>
        inSubquery(fieldRef("p", ["id"]), store.query().from("Person", "x").traverse("worksAt", "e").to("Company", "c").whereNode("c", (c) => c.industry.eq("Technology")).aggregate({ id: field("x", "id") }).toAst()),
      )
      .select((c) => c.p.id)
      .orderBy("p", "id")
      .execute();
    expect(employed).toEqual(["alice", "bob"]);
    const any = await store
      .query()
      .from("Company", "c")
      .whereNode("c", () => exists(store.query().from("Person", "x").whereNode("x", (x) => x.age.gt(40)).select((c) => ({ id: c.x.id })).toAst()))
      .count();
    expect(any).toBe(2);
    const none = await store
      .query()
      .from("Company", "c")
      .whereNode("c", () => notExists(store.query().from("Person", "x").whereNode("x", (x) => x.age.gt(400)).select((c) => ({ id: c.x.id })).toAst()))
      .count();
    expect(none).toBe(2);
  });

  it("temporal modes: current hides ended and deleted rows; asOf, includeEnded, includeTombstones (temporal.md)", async () => {
    const store = await setup();
    const past = "2020-01-01T00:00:00.000Z";
    await store.nodes.Person.create({ name: "Old" }, { id: "old", validFrom: "2019-01-01T00:00:00.000Z", validTo: "2021-01-01T00:00:00.000Z" });
    await store.nodes.Person.create({ name: "Now" }, { id: "now" });
    await store.nodes.Person.create({ name: "Gone" }, { id: "gone" });
    await store.nodes.Person.delete("gone");
    const ids = async (q: any) => ((await q.select((c: any) => c.p.id).orderBy("p", "id").execute()) as string[]);
    expect(await ids(store.query().from("Person", "p"))).toEqual(["now"]);
    expect(await ids(store.query().from("Person", "p").temporal("asOf", past))).toEqual(["old"]);
    expect(await ids(store.query().from("Person", "p").temporal("asOf", new Date(past)))).toEqual(["old"]);
    expect(await ids(store.query().from("Person", "p").temporal("includeEnded"))).toEqual(["now", "old"]);
    expect(await ids(store.query().from("Person", "p").temporal("includeTombstones"))).toEqual(["gone", "now", "old"]);
    const tomb = await store.query().from("Person", "p").temporal("includeTombstones").whereNode("p", (p) => p.id.eq("gone")).select((c) => c.p).first();
    expect(tomb?.meta.deletedAt).toBeDefined();
  });

  it("dynamic kinds: fromDynamic / traverseDynamic / toDynamic validate against the registry", async () => {
    const { store } = await seed();
    const rows = await store
      .query()
      .fromDynamic("Person", "p")
      .whereNode("p", (p) => p.field("name").string().eq("Alice").and(p.field("age").number().gte(1)))
      .traverseDynamic("worksAt", "e")
      .toDynamic("Company", "c")
      .select((c) => c.c.name)
      .execute();
    expect(rows).toEqual(["Acme"]);
    expect(() => store.query().fromDynamic("Nope", "p")).toThrow(KindNotFoundError);
    expect(() => store.query().fromDynamic("Person", "p").whereNode("p", (p) => p.field("age").string().eq("x"))).toThrow(TypeError);
    expect(() => store.query().fromDynamic("Person", "p").whereNode("p", (p) => p.field("nope").eq(1))).toThrow(ValidationError);
    expect(() => store.query().fromDynamic("Person", "p").traverseDynamic("worksAt", "e").toDynamic("Person", "x")).toThrow(EndpointError);
  });

  it("runs many queries of one shape with one compiled plan and no per-row crossings", async () => {
    const { store } = await seed();
    const q = store.query().from("Person", "p").whereNode("p", (p) => p.id.eq(param("id"))).select((c) => c.p.name).prepare();
    const out = [];
    for (const id of ["alice", "bob", "carol", "dana"]) out.push(...(await q.execute({ id })));
    expect(out).toEqual(["Alice", "Bob", "Carol", "dana_x%"]);
  });
});
