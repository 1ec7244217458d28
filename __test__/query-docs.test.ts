// The upstream documentation's query examples (apps/docs/.../queries/*.md),
// reproduced as our own tests with our own data: each `it` names the page and
// the example whose semantics it checks. Runs on SQLite and PostgreSQL.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ValidationError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  exists,
  fieldRef,
  inSubquery,
  notExists,
  notInSubquery,
  type Store,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

// ---- advanced.md (subqueries) ------------------------------------------------------

const Person = defineNode("Person", { schema: z.object({ name: z.string(), status: z.string().optional(), companyId: z.string().optional() }) });
const PullRequest = defineNode("PullRequest", { schema: z.object({ title: z.string() }) });
const Company = defineNode("Company", { schema: z.object({ name: z.string(), industry: z.string() }) });
const BlockedUser = defineNode("BlockedUser", { schema: z.object({ userId: z.string() }) });
const LoginEvent = defineNode("LoginEvent", { schema: z.object({ userId: z.string(), timestamp: z.string() }) });
const Product = defineNode("Product", { schema: z.object({ name: z.string() }) });
const CartItem = defineNode("CartItem", { schema: z.object({ productId: z.string(), qty: z.number() }) });
const TeamMembership = defineNode("TeamMembership", { schema: z.object({ teamId: z.string(), userId: z.string() }) });
const author = defineEdge("author");

function subqueryGraph(id: string) {
  return defineGraph({
    id,
    nodes: { Person, PullRequest, Company, BlockedUser, LoginEvent, Product, CartItem, TeamMembership },
    edges: { author: { type: author, from: [Person], to: [PullRequest] } },
  });
}

describe.each(backends)("queries/advanced.md on $name", (bc) => {
  const open: Store<any>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function seeded() {
    const graph = subqueryGraph(freshGraphId(`docs_adv_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    const P = store.nodes.Person;
    const alice = await P.create({ name: "Alice", status: "active", companyId: "acme" }, { id: "alice" });
    const bob = await P.create({ name: "Bob", status: "active", companyId: "shop" }, { id: "bob" });
    await P.create({ name: "Carol", companyId: "acme" }, { id: "carol" });
    await P.create({ name: "Dan" }, { id: "dan" });
    await store.nodes.Company.create({ name: "Acme", industry: "Technology" }, { id: "acme" });
    await store.nodes.Company.create({ name: "Shop", industry: "Retail" }, { id: "shop" });
    const pr1 = await store.nodes.PullRequest.create({ title: "Fix" });
    const pr2 = await store.nodes.PullRequest.create({ title: "Feature" });
    await store.edges.author.create(alice, pr1, {});
    await store.edges.author.create(alice, pr2, {});
    await store.edges.author.create(bob, pr2, {});
    await store.nodes.BlockedUser.create({ userId: "bob" });
    await store.nodes.LoginEvent.create({ userId: "alice", timestamp: "2026-01-10T00:00:00.000Z" });
    await store.nodes.LoginEvent.create({ userId: "carol", timestamp: "2025-01-01T00:00:00.000Z" });
    await store.nodes.Product.create({ name: "Pen" }, { id: "pen" });
    await store.nodes.Product.create({ name: "Ink" }, { id: "ink" });
    await store.nodes.CartItem.create({ productId: "pen", qty: 2 });
    await store.nodes.TeamMembership.create({ teamId: "team-eng", userId: "carol" });
    await store.nodes.TeamMembership.create({ teamId: "team-design", userId: "dan" });
    await store.nodes.TeamMembership.create({ teamId: "team-sales", userId: "bob" });
    return store;
  }
  const names = (rows: readonly { name: string }[]) => rows.map((r) => r.name).sort();

  it("EXISTS: people who authored at least one PR (correlated through fieldRef)", async () => {
    const store = await seeded();
    const authors = await store
      .query()
      .from("Person", "p")
      .whereNode("p", () =>
        exists(
          store
            .query()
            .from("PullRequest", "pr")
            .traverse("author", "e", { direction: "in" })
            .to("Person", "author")
            .whereNode("author", (a) => a.id.eq(fieldRef("p", ["id"])))
            .select((ctx) => ({ id: ctx.pr.id }))
            .toAst(),
        ),
      )
      .select((ctx) => ctx.p)
      .execute();
    expect(names(authors)).toEqual(["Alice", "Bob"]);
  });

  it("NOT EXISTS: people with no pull requests", async () => {
    const store = await seeded();
    const rows = await store
      .query()
      .from("Person", "p")
      .whereNode("p", () =>
        notExists(
          store
            .query()
            .from("PullRequest", "pr")
            .traverse("author", "e", { direction: "in" })
            .to("Person", "author")
            .whereNode("author", (a) => a.id.eq(fieldRef("p", ["id"])))
            .select((ctx) => ({ id: ctx.pr.id }))
            .toAst(),
        ),
      )
      .select((ctx) => ctx.p)
      .execute();
    expect(names(rows)).toEqual(["Carol", "Dan"]);
  });

  it("IN: people who work at tech companies (aggregate with a fieldRef column)", async () => {
    const store = await seeded();
    const rows = await store
      .query()
      .from("Person", "p")
      .whereNode("p", () =>
        inSubquery(
          fieldRef("p", ["companyId"]),
          store
            .query()
            .from("Company", "c")
            .whereNode("c", (c) => c.industry.eq("Technology"))
            .aggregate({ id: fieldRef("c", ["id"], { valueType: "string" }) })
            .toAst(),
        ),
      )
      .select((ctx) => ctx.p)
      .execute();
    expect(names(rows)).toEqual(["Alice", "Carol"]);
  });

  it("NOT IN: people not in the blocklist (props path in fieldRef)", async () => {
    const store = await seeded();
    const rows = await store
      .query()
      .from("Person", "p")
      .whereNode("p", () =>
        notInSubquery(
          fieldRef("p", ["id"]),
          store
            .query()
            .from("BlockedUser", "b")
            .aggregate({ userId: fieldRef("b", ["props", "userId"], { valueType: "string" }) })
            .toAst(),
        ),
      )
      .select((ctx) => ctx.p)
      .execute();
    expect(names(rows)).toEqual(["Alice", "Carol", "Dan"]);
  });

  it("users with recent activity: a fieldRef comparison and a value in one predicate", async () => {
    const store = await seeded();
    const sevenDaysAgo = "2026-01-01T00:00:00.000Z";
    const rows = await store
      .query()
      .from("Person", "u")
      .whereNode("u", () =>
        exists(
          store
            .query()
            .from("LoginEvent", "e")
            .whereNode("e", (e) => e.userId.eq(fieldRef("u", ["id"])).and(e.timestamp.gte(sevenDaysAgo)))
            .select((ctx) => ({ id: ctx.e.id }))
            .toAst(),
        ),
      )
      .select((ctx) => ({ name: ctx.u.name }))
      .execute();
    expect(names(rows)).toEqual(["Alice"]);
  });

  it("products not in any cart; users in specific teams", async () => {
    const store = await seeded();
    const unpopular = await store
      .query()
      .from("Product", "p")
      .whereNode("p", () =>
        notExists(
          store
            .query()
            .from("CartItem", "ci")
            .whereNode("ci", (ci) => ci.productId.eq(fieldRef("p", ["id"])))
            .select((ctx) => ({ id: ctx.ci.id }))
            .toAst(),
        ),
      )
      .select((ctx) => ctx.p)
      .execute();
    expect(names(unpopular)).toEqual(["Ink"]);
    const targetTeamIds = ["team-eng", "team-design"];
    const members = await store
      .query()
      .from("Person", "u")
      .whereNode("u", () =>
        inSubquery(
          fieldRef("u", ["id"]),
          store
            .query()
            .from("TeamMembership", "tm")
            .whereNode("tm", (tm) => tm.teamId.in(targetTeamIds))
            .aggregate({ userId: fieldRef("tm", ["props", "userId"], { valueType: "string" }) })
            .toAst(),
        ),
      )
      .select((ctx) => ctx.u)
      .execute();
    expect(names(members)).toEqual(["Carol", "Dan"]);
  });

  it("a fieldRef to an alias in no enclosing query fails before any SQL runs", async () => {
    const store = await seeded();
    const q = store
      .query()
      .from("Person", "p")
      .whereNode("p", () =>
        exists(
          store
            .query()
            .from("CartItem", "ci")
            .whereNode("ci", (ci) => ci.productId.eq(fieldRef("nope", ["id"])))
            .select((ctx) => ({ id: ctx.ci.id }))
            .toAst(),
        ),
      )
      .select((ctx) => ctx.p);
    await expect(q.execute()).rejects.toBeInstanceOf(ValidationError);
  });

  it("view the AST and the SQL (query debugging)", async () => {
    const store = await seeded();
    const query = store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.status.eq("active"))
      .select((ctx) => ctx.p);
    const ast = query.toAst();
    expect(JSON.stringify(ast.shape)).toContain("Person");
    const { sql, params } = query.toSQL();
    expect(sql).toMatch(/SELECT/i);
    expect(params).toContain("active");
    expect(sql).not.toContain("active");
  });
});

// ---- the other pages: one shared company dataset -------------------------------------

import {
  avg,
  composeFragments,
  count,
  countDistinct,
  createFragment,
  field,
  havingGt,
  limitFragment,
  max,
  min,
  offsetFragment,
  orderByFragment,
  param,
  subClassOf,
  sum,
} from "../dist/index.js";

const Emp = defineNode("Emp", {
  schema: z.object({
    name: z.string(),
    email: z.string().optional(),
    status: z.string(),
    role: z.string(),
    age: z.number().optional(),
    tags: z.array(z.string()),
    department: z.string().optional(),
    level: z.string().optional(),
    salary: z.number().optional(),
    score: z.number().optional(),
    suspended: z.boolean().optional(),
  }),
});
const Firm = defineNode("Firm", { schema: z.object({ name: z.string(), industry: z.string() }) });
const Media = defineNode("Media", { schema: z.object({ title: z.string() }) });
const Podcast = defineNode("Podcast", { schema: z.object({ title: z.string() }) });
const Article = defineNode("Article", { schema: z.object({ title: z.string() }) });
const Category = defineNode("Category", { schema: z.object({ name: z.string() }) });
const worksAt = defineEdge("worksAt", { schema: z.object({ role: z.string(), salary: z.number().optional(), startDate: z.string().optional() }) });
const knows = defineEdge("knows");
const reportsTo = defineEdge("reportsTo");
const manages = defineEdge("manages");
const parentCategory = defineEdge("parentCategory");

function companyGraph(id: string) {
  return defineGraph({
    id,
    nodes: { Emp, Firm, Media, Podcast, Article, Category },
    edges: {
      worksAt: { type: worksAt, from: [Emp], to: [Firm] },
      knows: { type: knows, from: [Emp], to: [Emp] },
      reportsTo: { type: reportsTo, from: [Emp], to: [Emp] },
      manages: { type: manages, from: [Emp], to: [Emp] },
      parentCategory: { type: parentCategory, from: [Category], to: [Category] },
    },
    ontology: [subClassOf(Podcast, Media), subClassOf(Article, Media)],
  });
}

describe.each(backends)("queries/*.md examples on $name", (bc) => {
  const open: Store<any>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function seeded() {
    const graph = companyGraph(freshGraphId(`docs_q_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    const E = store.nodes.Emp;
    const alice = await E.create({ name: "Alice", email: "alice@example.com", status: "active", role: "admin", age: 30, tags: ["typescript", "nodejs"], department: "Engineering", level: "Senior", salary: 150000, score: 90 }, { id: "alice" });
    const bob = await E.create({ name: "Bob", status: "active", role: "Engineer", age: 25, tags: ["rust"], department: "Engineering", level: "Junior", salary: 80000, score: 70, suspended: true }, { id: "bob" });
    const carol = await E.create({ name: "Carol", email: "carol@example.com", status: "inactive", role: "moderator", age: 41, tags: [], department: "Sales", level: "Senior", salary: 120000, score: 85 }, { id: "carol" });
    const dave = await E.create({ name: "Dave", status: "active", role: "Manager", age: 52, tags: ["go", "typescript"], department: "Sales", level: "Junior", salary: 60000 }, { id: "dave" });
    await E.create({ name: "Eve", status: "deleted", role: "Engineer", age: 19, tags: [], department: "Engineering", level: "Senior", salary: 160000 }, { id: "eve" });
    const zed = await E.create({ name: "Zed", status: "active", role: "CEO", tags: [] }, { id: "zed" });
    const acme = await store.nodes.Firm.create({ name: "Acme", industry: "Technology" }, { id: "acme" });
    const globex = await store.nodes.Firm.create({ name: "Globex", industry: "Retail" }, { id: "globex" });
    await store.nodes.Firm.create({ name: "Initech", industry: "Technology" }, { id: "initech" });
    await store.edges.worksAt.create(alice, acme, { role: "Engineer", salary: 150000, startDate: "2020-01-01" });
    await store.edges.worksAt.create(bob, acme, { role: "Engineer", salary: 90000, startDate: "2022-05-01" });
    await store.edges.worksAt.create(carol, globex, { role: "Designer", salary: 95000, startDate: "2019-03-01" });
    await store.edges.worksAt.create(dave, globex, { role: "Manager", salary: 200000, startDate: "2021-07-01" });
    await store.edges.reportsTo.create(alice, dave, {});
    await store.edges.reportsTo.create(dave, zed, {});
    await store.edges.reportsTo.create(bob, alice, {});
    await store.edges.manages.create(zed, dave, {});
    await store.edges.manages.create(dave, alice, {});
    await store.edges.manages.create(alice, bob, {});
    await store.edges.knows.create(alice, bob, {});
    await store.edges.knows.create(bob, carol, {});
    await store.edges.knows.create(carol, dave, {});
    await store.nodes.Media.create({ title: "Generic" });
    await store.nodes.Podcast.create({ title: "Pod" });
    await store.nodes.Article.create({ title: "Post" });
    const root = await store.nodes.Category.create({ name: "Root" }, { id: "root" });
    const products = await store.nodes.Category.create({ name: "Products" }, { id: "products" });
    const electronics = await store.nodes.Category.create({ name: "Electronics" }, { id: "electronics" });
    await store.edges.parentCategory.create(electronics, products, {});
    await store.edges.parentCategory.create(products, root, {});
    return store;
  }
  const sorted = <T>(xs: readonly T[]) => [...xs].sort();

  it("overview.md: source → filter → traverse → filter → shape → order → execute", async () => {
    const store = await seeded();
    const results = await store
      .query()
      .from("Emp", "p")
      .whereNode("p", (p) => p.status.eq("active"))
      .traverse("worksAt", "e")
      .to("Firm", "c")
      .whereNode("c", (c) => c.industry.eq("Technology"))
      .select((ctx) => ({ person: ctx.p.name, company: ctx.c.name, role: ctx.e.role }))
      .orderBy("p", "name", "asc")
      .limit(50)
      .execute();
    expect(results).toEqual([
      { person: "Alice", company: "Acme", role: "Engineer" },
      { person: "Bob", company: "Acme", role: "Engineer" },
    ]);
  });

  it("source.md: alias references, subclasses, runtime kinds", async () => {
    const store = await seeded();
    const active = await store
      .query()
      .from("Emp", "person")
      .whereNode("person", (p) => p.status.eq("active"))
      .orderBy("person", "name", "asc")
      .select((ctx) => ({ name: ctx.person.name, email: ctx.person.email }))
      .execute();
    expect(active).toEqual([
      { name: "Alice", email: "alice@example.com" },
      { name: "Bob", email: undefined },
      { name: "Dave", email: undefined },
      { name: "Zed", email: undefined },
    ]);
    const exact = await store.query().from("Media", "m").select((ctx) => ctx.m.kind).execute();
    expect(exact).toEqual(["Media"]);
    const all = await store.query().from("Media", "m", { includeSubClasses: true }).select((ctx) => ({ kind: ctx.m.kind, title: ctx.m.title })).execute();
    expect(sorted(all.map((r) => `${r.kind}:${r.title}`))).toEqual(["Article:Post", "Media:Generic", "Podcast:Pod"]);
    const older = await store.query().fromDynamic("Emp", "p").whereNode("p", (p) => p.field("age").number().gte(40)).select((ctx) => ctx.p.name).execute();
    expect(sorted(older)).toEqual(["Carol", "Dave"]);
  });

  it("filter.md: whereNode, whereEdge, and/or/not, chained filters, operators, count/exists/first", async () => {
    const store = await seeded();
    const names = async (pred: Parameters<ReturnType<typeof store.query>["from"]> extends never ? never : (p: any) => any) =>
      sorted(await store.query().from("Emp", "p").whereNode("p", pred).select((c) => c.p.name).execute());
    expect(await names((p) => p.role.eq("Engineer"))).toEqual(["Bob", "Eve"]);
    const highPaying = await store
      .query()
      .from("Emp", "p")
      .traverse("worksAt", "e")
      .whereEdge("e", (e) => e.salary.gte(100000))
      .to("Firm", "c")
      .select((ctx) => ({ person: ctx.p.name, company: ctx.c.name, salary: ctx.e.salary }))
      .execute();
    expect(sorted(highPaying.map((r) => `${r.person}@${r.company}:${r.salary}`))).toEqual(["Alice@Acme:150000", "Dave@Globex:200000"]);
    expect(await names((p) => p.status.eq("active").and(p.role.eq("admin")))).toEqual(["Alice"]);
    expect(await names((p) => p.role.eq("admin").or(p.role.eq("moderator")))).toEqual(["Alice", "Carol"]);
    expect(await names((p) => p.status.eq("deleted").not())).toEqual(["Alice", "Bob", "Carol", "Dave", "Zed"]);
    expect(await names((p) => p.status.eq("active").and(p.role.eq("admin").or(p.role.eq("moderator"))))).toEqual(["Alice"]);
    const managers = await store.query().from("Emp", "p").whereNode("p", (p) => p.status.eq("active")).whereNode("p", (p) => p.role.eq("Manager")).select((c) => c.p.name).execute();
    expect(managers).toEqual(["Dave"]);
    const techEngineers = await store
      .query()
      .from("Emp", "p")
      .whereNode("p", (p) => p.role.eq("Engineer"))
      .traverse("worksAt", "e")
      .to("Firm", "c")
      .whereNode("c", (c) => c.industry.eq("Technology"))
      .select((ctx) => ({ person: ctx.p.name, company: ctx.c.name }))
      .execute();
    expect(techEngineers).toEqual([{ person: "Bob", company: "Acme" }]);
    expect(await names((p) => p.name.neq("Bob").and(p.name.eq("Alice")))).toEqual(["Alice"]);
    expect(await names((p) => p.age.between(18, 30))).toEqual(["Alice", "Bob", "Eve"]);
    expect(await names((p) => p.age.gt(30).and(p.age.lte(52)))).toEqual(["Carol", "Dave"]);
    expect(await names((p) => p.name.contains("ali"))).toEqual(["Alice"]);
    expect(await names((p) => p.name.startsWith("A"))).toEqual(["Alice"]);
    expect(await names((p) => p.name.endsWith("ice"))).toEqual(["Alice"]);
    expect(await names((p) => p.email.like("%@example.com"))).toEqual(["Alice", "Carol"]);
    expect(await names((p) => p.name.ilike("alice"))).toEqual(["Alice"]);
    expect(await names((p) => p.email.isNull())).toEqual(["Bob", "Dave", "Eve", "Zed"]);
    expect(await names((p) => p.email.isNotNull())).toEqual(["Alice", "Carol"]);
    expect(await names((p) => p.status.in(["inactive", "deleted"]))).toEqual(["Carol", "Eve"]);
    expect(await names((p) => p.status.notIn(["active", "deleted"]))).toEqual(["Carol"]);
    expect(await names((p) => p.tags.contains("typescript"))).toEqual(["Alice", "Dave"]);
    expect(await names((p) => p.tags.containsAll(["typescript", "nodejs"]))).toEqual(["Alice"]);
    expect(await names((p) => p.tags.containsAny(["typescript", "rust", "go"]))).toEqual(["Alice", "Bob", "Dave"]);
    expect(await names((p) => p.tags.isEmpty())).toEqual(["Carol", "Eve", "Zed"]);
    expect(await names((p) => p.tags.isNotEmpty())).toEqual(["Alice", "Bob", "Dave"]);
    expect(await store.query().from("Emp", "p").whereNode("p", (p) => p.status.eq("active")).count()).toBe(4);
    expect(await store.query().from("Emp", "p").whereNode("p", (p) => p.email.eq("alice@example.com")).exists()).toBe(true);
    const alice = await store.query().from("Emp", "p").whereNode("p", (p) => p.email.eq("alice@example.com")).select((ctx) => ctx.p).first();
    expect(alice?.name).toBe("Alice");
  });

  it("shape.md: whole nodes, picked fields, nested and renamed shapes, optional matches", async () => {
    const store = await seeded();
    const whole = await store.query().from("Emp", "p").whereNode("p", (p) => p.name.eq("Alice")).select((ctx) => ctx.p).execute();
    expect(whole[0]).toMatchObject({ id: "alice", kind: "Emp", name: "Alice", meta: { version: 1 } });
    const nested = await store
      .query()
      .from("Emp", "p")
      .traverse("worksAt", "e")
      .to("Firm", "c")
      .whereNode("p", (p) => p.name.eq("Carol"))
      .select((ctx) => ({
        employee: { id: ctx.p.id, name: ctx.p.name },
        company: { id: ctx.c.id, name: ctx.c.name },
        employment: { role: ctx.e.role, startDate: ctx.e.startDate },
      }))
      .execute();
    expect(nested).toEqual([{ employee: { id: "carol", name: "Carol" }, company: { id: "globex", name: "Globex" }, employment: { role: "Designer", startDate: "2019-03-01" } }]);
    const renamed = await store
      .query()
      .from("Emp", "p")
      .traverse("worksAt", "e")
      .to("Firm", "c")
      .whereNode("p", (p) => p.name.eq("Dave"))
      .select((ctx) => ({ personName: ctx.p.name, companyName: ctx.c.name, jobTitle: ctx.e.role }))
      .execute();
    expect(renamed).toEqual([{ personName: "Dave", companyName: "Globex", jobTitle: "Manager" }]);
    const optional = await store
      .query()
      .from("Emp", "p")
      .optionalTraverse("worksAt", "e")
      .to("Firm", "c")
      .orderBy("p", "name", "asc")
      .select((ctx) => ({ person: ctx.p.name, company: ctx.c?.name, role: ctx.e?.role }))
      .execute();
    expect(optional.map((r) => `${r.person}:${r.company ?? "-"}:${r.role ?? "-"}`)).toEqual(["Alice:Acme:Engineer", "Bob:Acme:Engineer", "Carol:Globex:Designer", "Dave:Globex:Manager", "Eve:-:-", "Zed:-:-"]);
  });

  it("order.md: multi-key order, edge-field order, limit/offset pages, aggregate order", async () => {
    const store = await seeded();
    const byScore = await store.query().from("Emp", "p").select((c) => c.p.name).orderBy("p", "score", "desc").orderBy("p", "name", "asc").execute();
    // NULLs last ascending, first descending (upstream's NULL ordering).
    expect(byScore).toEqual(["Dave", "Eve", "Zed", "Alice", "Carol", "Bob"]);
    const hires = await store
      .query()
      .from("Firm", "c")
      .traverse("worksAt", "e", { direction: "in" })
      .to("Emp", "p")
      .select((ctx) => ({ name: ctx.p.name, startDate: ctx.e.startDate }))
      .orderBy("e", "startDate", "desc")
      .execute();
    expect(hires.map((h) => h.name)).toEqual(["Bob", "Dave", "Alice", "Carol"]);
    const getPage = (n: number, size: number) => store.query().from("Emp", "p").select((c) => c.p.name).orderBy("p", "name", "asc").limit(size).offset((n - 1) * size).execute();
    expect(await getPage(1, 4)).toEqual(["Alice", "Bob", "Carol", "Dave"]);
    expect(await getPage(2, 4)).toEqual(["Eve", "Zed"]);
    const top = await store
      .query()
      .from("Emp", "e")
      .whereNode("e", (e) => e.department.isNotNull())
      .groupBy("e", "department")
      .aggregate({ department: field("e", "department"), headcount: count("e") })
      .orderBy("headcount", "desc")
      .execute();
    expect(top).toEqual([
      { department: "Engineering", headcount: 3 },
      { department: "Sales", headcount: 2 },
    ]);
    const page = await store.query().from("Emp", "p").select((c) => c.p.name).orderBy("p", "name", "asc").paginate({ first: 4 });
    expect(page.data).toEqual(["Alice", "Bob", "Carol", "Dave"]);
    expect(page.hasNextPage).toBe(true);
    const rest: string[] = [];
    for await (const n of store.query().from("Emp", "p").select((c) => c.p.name).orderBy("p", "name", "desc").stream({ batchSize: 4 })) rest.push(n);
    expect(rest).toEqual(["Zed", "Eve", "Dave", "Carol", "Bob", "Alice"]);
  });

  it("aggregate.md: groupBy with every aggregate, two keys, groupByNode, having", async () => {
    const store = await seeded();
    const sizes = await store
      .query()
      .from("Emp", "p")
      .traverse("worksAt", "e")
      .to("Firm", "c")
      .groupBy("c", "name")
      .aggregate({ companyName: field("c", "name"), employeeCount: count("p"), totalSalary: sum("e", "salary"), avgSalary: avg("e", "salary") })
      .orderBy("companyName", "asc")
      .execute();
    expect(sizes).toEqual([
      { companyName: "Acme", employeeCount: 2, totalSalary: 240000, avgSalary: 120000 },
      { companyName: "Globex", employeeCount: 2, totalSalary: 295000, avgSalary: 147500 },
    ]);
    const stats = await store
      .query()
      .from("Emp", "e")
      .whereNode("e", (e) => e.department.eq("Engineering"))
      .groupBy("e", "department")
      .aggregate({
        department: field("e", "department"),
        headcount: count("e"),
        uniqueRoles: countDistinct("e", "role"),
        avgSalary: avg("e", "salary"),
        minSalary: min("e", "salary"),
        maxSalary: max("e", "salary"),
        totalPayroll: sum("e", "salary"),
      })
      .execute();
    expect(stats).toEqual([{ department: "Engineering", headcount: 3, uniqueRoles: 2, avgSalary: 130000, minSalary: 80000, maxSalary: 160000, totalPayroll: 390000 }]);
    const breakdown = await store
      .query()
      .from("Emp", "e")
      .whereNode("e", (e) => e.department.isNotNull())
      .groupBy("e", "department")
      .groupBy("e", "level")
      .aggregate({ department: field("e", "department"), level: field("e", "level"), count: count("e"), avgSalary: avg("e", "salary") })
      .orderBy("department", "asc")
      .orderBy("level", "desc")
      .execute();
    expect(breakdown).toEqual([
      { department: "Engineering", level: "Senior", count: 2, avgSalary: 155000 },
      { department: "Engineering", level: "Junior", count: 1, avgSalary: 80000 },
      { department: "Sales", level: "Senior", count: 1, avgSalary: 120000 },
      { department: "Sales", level: "Junior", count: 1, avgSalary: 60000 },
    ]);
    const perFirm = await store
      .query()
      .from("Emp", "p")
      .traverse("worksAt", "e")
      .to("Firm", "c")
      .groupByNode("c")
      .aggregate({ id: field("c", "id"), name: field("c", "name"), n: count("p") })
      .orderBy("name", "asc")
      .execute();
    expect(perFirm).toEqual([
      { id: "acme", name: "Acme", n: 2 },
      { id: "globex", name: "Globex", n: 2 },
    ]);
    const large = await store
      .query()
      .from("Emp", "e")
      .whereNode("e", (e) => e.department.isNotNull())
      .groupBy("e", "department")
      .having(havingGt(count("e"), 2))
      .aggregate({ department: field("e", "department"), headcount: count("e") })
      .execute();
    expect(large).toEqual([{ department: "Engineering", headcount: 3 }]);
  });

  it("combine.md: union, intersect, except and a chained set expression", async () => {
    const store = await seeded();
    const q = (pred: (p: any) => any) => store.query().from("Emp", "p").whereNode("p", pred).select((ctx) => ({ id: ctx.p.id }));
    const ids = (rows: readonly { id: string }[]) => sorted(rows.map((r) => r.id));
    expect(ids(await q((p) => p.status.eq("active")).union(q((p) => p.role.eq("moderator"))).execute())).toEqual(["alice", "bob", "carol", "dave", "zed"]);
    expect((await q((p) => p.status.eq("active")).unionAll(q((p) => p.role.eq("admin"))).execute()).length).toBe(5);
    expect(ids(await q((p) => p.status.eq("active")).intersect(q((p) => p.role.eq("admin"))).execute())).toEqual(["alice"]);
    expect(ids(await q((p) => p.status.eq("active")).except(q((p) => p.role.eq("admin"))).execute())).toEqual(["bob", "dave", "zed"]);
    const complex = await q((p) => p.status.eq("active"))
      .union(q((p) => p.role.eq("moderator")))
      .except(q((p) => p.suspended.eq(true)))
      .execute();
    expect(ids(complex)).toEqual(["alice", "carol", "dave", "zed"]);
    const limited = await q((p) => p.status.eq("active")).union(q((p) => p.role.eq("moderator"))).limit(2).execute();
    expect(limited).toHaveLength(2);
  });

  it("compose.md: pipe, createFragment, composeFragments and the pre-built fragments", async () => {
    const store = await seeded();
    const activeOnly = (q: any) => q.whereNode("u", ({ status }: any) => status.eq("active"));
    const byName = (q: any) => q.orderBy("u", "name", "desc");
    const first2 = (q: any) => q.limit(2);
    const piped = await store.query().from("Emp", "u").pipe(activeOnly).pipe(byName).pipe(first2).select((ctx: any) => ctx.u.name).execute();
    expect(piped).toEqual(["Zed", "Dave"]);
    const fragment = createFragment<ReturnType<typeof companyGraph>>();
    const atTech = fragment((q: any) => q.traverse("worksAt", "w").to("Firm", "f").whereNode("f", ({ industry }: any) => industry.eq("Technology")));
    const techFolks = await store.query().from("Emp", "u").pipe(activeOnly).pipe(atTech).select((ctx: any) => ({ user: ctx.u.name, firm: ctx.f.name })).execute();
    expect(sorted(techFolks.map((r: any) => r.user))).toEqual(["Alice", "Bob"]);
    const paginated = composeFragments(activeOnly, orderByFragment("u", "name", "asc"), limitFragment(2), offsetFragment(1));
    const page = await store.query().from("Emp", "u").pipe(paginated as (q: any) => any).select((ctx: any) => ctx.u.name).execute();
    expect(page).toEqual(["Bob", "Dave"]);
  });

  it("recursive.md: unbounded, maxHops, minHops, depth and path", async () => {
    const store = await seeded();
    const managers = await store
      .query()
      .from("Emp", "p")
      .whereNode("p", (p) => p.name.eq("Alice"))
      .traverse("reportsTo", "e")
      .recursive()
      .to("Emp", "manager")
      .select((ctx) => ({ employee: ctx.p.name, manager: ctx.manager.name }))
      .execute();
    expect(sorted(managers.map((m) => m.manager))).toEqual(["Dave", "Zed"]);
    const near = await store
      .query()
      .from("Emp", "p")
      .whereNode("p", (p) => p.name.eq("Bob"))
      .traverse("reportsTo", "e")
      .recursive({ maxHops: 2 })
      .to("Emp", "manager")
      .select((ctx) => ctx.manager.name)
      .execute();
    expect(sorted(near)).toEqual(["Alice", "Dave"]);
    const distant = await store
      .query()
      .from("Emp", "p")
      .whereNode("p", (p) => p.name.eq("Alice"))
      .traverse("knows", "e")
      .recursive({ minHops: 2 })
      .to("Emp", "friend")
      .select((ctx) => ctx.friend.name)
      .execute();
    expect(sorted(distant)).toEqual(["Carol", "Dave"]);
    const orgChart = await store
      .query()
      .from("Emp", "ceo")
      .whereNode("ceo", (p) => p.role.eq("CEO"))
      .traverse("manages", "e")
      .recursive({ depth: "level" })
      .to("Emp", "employee")
      .select((ctx) => ({ employee: ctx.employee.name, level: ctx.level }))
      .execute();
    expect(sorted(orgChart.map((r) => `${r.level}:${r.employee}`))).toEqual(["1:Dave", "2:Alice", "3:Bob"]);
    const trail = await store
      .query()
      .from("Category", "cat")
      .whereNode("cat", (c) => c.name.eq("Electronics"))
      .traverse("parentCategory", "e")
      .recursive({ path: "trail" })
      .to("Category", "ancestor")
      .select((ctx) => ({ ancestor: ctx.ancestor.name, trail: ctx.trail }))
      .execute();
    expect(trail.find((t) => t.ancestor === "Root")!.trail).toEqual(["electronics", "products", "root"]);
    expect(trail.find((t) => t.ancestor === "Products")!.trail).toEqual(["electronics", "products"]);
  });

  it("temporal.md: current by default, asOf an instant, ended and deleted rows on request", async () => {
    const store = await seeded();
    const later = new Date(Date.now() + 24 * 3600 * 1000).toISOString();
    const soon = new Date(Date.now() + 3600 * 1000).toISOString();
    await store.nodes.Emp.create({ name: "Future", status: "active", role: "intern", tags: [] }, { id: "future", validFrom: soon });
    await store.nodes.Emp.create({ name: "Past", status: "active", role: "intern", tags: [] }, { id: "past", validFrom: "2000-01-01T00:00:00.000Z", validTo: "2001-01-01T00:00:00.000Z" });
    await store.nodes.Emp.delete("eve");
    const names = async (q: any) => sorted(await q.select((c: any) => c.p.name).execute());
    const base = () => store.query().from("Emp", "p").whereNode("p", (p) => p.role.in(["intern", "Engineer"]));
    expect(await names(base())).toEqual(["Bob"]);
    expect(await names(base().temporal("asOf", later))).toEqual(["Bob", "Future"]);
    expect(await names(base().temporal("asOf", "2000-06-01T00:00:00.000Z"))).toEqual(["Past"]);
    expect(await names(base().temporal("includeEnded"))).toEqual(["Bob", "Future", "Past"]);
    expect(await names(base().temporal("includeTombstones"))).toEqual(["Bob", "Eve", "Future", "Past"]);
    const first = await store.query().from("Emp", "p").temporal("asOf", later).whereNode("p", (p) => p.id.eq("future")).select((c) => c.p).first();
    expect(first?.name).toBe("Future");
  });

  it("traverse.md / execute.md: direction, from, multi-hop, prepared queries with param()", async () => {
    const store = await seeded();
    const colleagues = await store
      .query()
      .from("Emp", "p")
      .whereNode("p", (p) => p.name.eq("Alice"))
      .traverse("worksAt", "e1")
      .to("Firm", "c")
      .traverse("worksAt", "e2", { direction: "in" })
      .to("Emp", "colleague")
      .whereNode("colleague", (p) => p.name.neq("Alice"))
      .select((ctx) => ctx.colleague.name)
      .execute();
    expect(colleagues).toEqual(["Bob"]);
    const fanOut = await store
      .query()
      .from("Emp", "p")
      .whereNode("p", (p) => p.name.eq("Alice"))
      .traverse("worksAt", "w")
      .to("Firm", "c")
      .traverse("reportsTo", "r", { from: "p" })
      .to("Emp", "boss")
      .select((ctx) => ({ firm: ctx.c.name, boss: ctx.boss.name }))
      .execute();
    expect(fanOut).toEqual([{ firm: "Acme", boss: "Dave" }]);
    const prepared = store
      .query()
      .from("Emp", "p")
      .whereNode("p", (p) => p.department.eq(param("dept")).and(p.salary.gte(param("minSalary"))))
      .select((ctx) => ctx.p.name)
      .prepare();
    expect(sorted(await prepared.execute({ dept: "Engineering", minSalary: 100000 }))).toEqual(["Alice", "Eve"]);
    expect(sorted(await prepared.execute({ dept: "Sales", minSalary: 0 }))).toEqual(["Carol", "Dave"]);
    await expect(prepared.execute({ dept: "Sales" })).rejects.toThrow(/Missing binding/);
  });
});
