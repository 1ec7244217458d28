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
