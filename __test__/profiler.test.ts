// QueryProfiler (`./profiler`): a profiled store records the props each query run filters,
// sorts, selects and groups on (traversals, edge aliases, subclass aliases, subqueries,
// aggregates, prepared and set-operation runs, batch members), matches them against declared
// indexes by leading field, and reports recommendations by frequency — while answering exactly
// what the plain store answers. On SQLite and PostgreSQL.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { count, createStore, field, defineEdge, defineGraph, defineNode, exists, fieldRef, havingGt, inSubquery, param, subClassOf, sum, type GraphBackend } from "../dist/index.js";
import { defineEdgeIndex, defineNodeIndex, toDeclaredIndexes } from "../dist/indexes-entry.js";
import { QueryProfiler, type DeclaredIndex, type ProfiledStore, type PropertyPath } from "../dist/profiler.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", { schema: z.object({ email: z.string(), name: z.string(), age: z.number().optional() }) });
const Company = defineNode("Company", { schema: z.object({ name: z.string(), sector: z.string() }) });
const Startup = defineNode("Startup", { schema: z.object({ name: z.string(), sector: z.string(), stage: z.string() }) });
const worksAt = defineEdge("worksAt", { schema: z.object({ role: z.string(), since: z.number() }) });

const personEmail = defineNodeIndex(Person, { fields: ["email", "name"] });
const worksAtRole = defineEdgeIndex(worksAt, { fields: ["role"] });

const keyOf = (p: PropertyPath) => `${p.entityType}:${p.kind}:${p.target.__type === "prop" ? p.target.pointer : `$${p.target.field}`}`;

describe.each(backends)("QueryProfiler on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function seeded() {
    const graph = defineGraph({
      id: freshGraphId(`prof_${bc.name}`),
      nodes: { Person: { type: Person }, Company: { type: Company }, Startup: { type: Startup } },
      edges: { worksAt: { type: worksAt, from: [Person], to: [Company, Startup] } },
      ontology: [subClassOf(Startup, Company)],
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    const store = createStore(graph, backend);
    const acme = await store.nodes.Company.create({ name: "Acme", sector: "tools" }, { id: "c-acme" });
    const zap = await store.nodes.Startup.create({ name: "Zap", sector: "energy", stage: "seed" }, { id: "c-zap" });
    const ann = await store.nodes.Person.create({ email: "ann@x.io", name: "Ann", age: 41 }, { id: "p-ann" });
    const bob = await store.nodes.Person.create({ email: "bob@x.io", name: "Bob", age: 29 }, { id: "p-bob" });
    const cy = await store.nodes.Person.create({ email: "cy@x.io", name: "Cy" }, { id: "p-cy" });
    await store.edges.worksAt.create(ann, acme, { role: "engineer", since: 2015 });
    await store.edges.worksAt.create(bob, zap, { role: "founder", since: 2021 });
    await store.edges.worksAt.create(cy, acme, { role: "engineer", since: 2019 });
    return { store, graph };
  }

  it("attaches, exposes itself on the store, records runs and detaches", async () => {
    const { store } = await seeded();
    const profiler = new QueryProfiler();
    expect(profiler.isAttached).toBe(false);
    const profiled: ProfiledStore<typeof store.graph> = profiler.attachToStore(store);
    expect(profiler.isAttached).toBe(true);
    expect(profiled.profiler).toBe(profiler);
    expect(() => profiler.attachToStore(store)).toThrow(/already attached/);
    // The rest of the store is the store: writes, reads, graph.
    expect(profiled.graph).toBe(store.graph);
    const dee = await profiled.nodes.Person.create({ email: "dee@x.io", name: "Dee" });
    expect((await store.nodes.Person.getById(dee.id))?.name).toBe("Dee");

    await profiled.query().from("Person", "p").whereNode("p", (p) => p.email.eq("ann@x.io")).select((c) => c.p.name).execute();
    let report = profiler.getReport();
    expect(report.summary.totalQueries).toBe(1);
    expect(report.patterns.get("node:Person:/email")?.count).toBe(1);
    expect([...report.patterns.get("node:Person:/email")!.predicateTypes]).toEqual(["eq"]);
    expect([...report.patterns.get("node:Person:/name")!.contexts]).toEqual(["select"]);

    profiler.detach();
    expect(profiler.isAttached).toBe(false);
    // A detached profiler's store still answers, but no longer records.
    expect(await profiled.query().from("Person", "p").whereNode("p", (p) => p.email.eq("bob@x.io")).select((c) => c.p.name).execute()).toEqual(["Bob"]);
    report = profiler.getReport();
    expect(report.summary.totalQueries).toBe(1);
    // It may attach again.
    const again = profiler.attachToStore(store);
    await again.query().from("Person", "p").whereNode("p", (p) => p.email.eq("bob@x.io")).select((c) => c.p.name).execute();
    expect(profiler.getReport().patterns.get("node:Person:/email")?.count).toBe(2);
  });

  it("answers what the plain store answers, run by run", async () => {
    const { store } = await seeded();
    const profiler = new QueryProfiler();
    const profiled = profiler.attachToStore(store);
    const build = (s: typeof store) =>
      s
        .query()
        .from("Person", "p")
        .traverse("worksAt", "w")
        .to("Company", "c", { includeSubClasses: true })
        .whereEdge("w", (w) => w.since.gte(2016))
        .orderBy("p", "name", "asc")
        .select((c) => ({ name: c.p.name, role: c.w.role, company: c.c.name }));
    expect(await build(profiled).execute()).toEqual(await build(store).execute());
    expect(await build(profiled).first()).toEqual(await build(store).first());
    expect(await build(profiled).count()).toBe(await build(store).count());
    expect(await build(profiled).exists()).toBe(await build(store).exists());
    expect(await build(profiled).paginate({ first: 1 })).toEqual(await build(store).paginate({ first: 1 }));
    const streamed: unknown[] = [];
    for await (const row of build(profiled).stream({ batchSize: 1 })) streamed.push(row);
    expect(streamed).toEqual(await build(store).execute());
    const prepared = (s: typeof store) =>
      s
        .query()
        .from("Person", "p")
        .whereNode("p", (p) => p.email.eq(param("email")))
        .select((c) => c.p)
        .prepare();
    const pp = prepared(profiled);
    const plain = prepared(store);
    for (const email of ["ann@x.io", "bob@x.io", "nobody@x.io", "ann@x.io"]) {
      expect(await pp.execute({ email })).toEqual(await plain.execute({ email }));
    }
    const agg = (s: typeof store) =>
      s
        .query()
        .from("Person", "p")
        .traverse("worksAt", "w")
        .to("Company", "c", { includeSubClasses: true })
        .groupBy("c", "sector")
        .aggregate({ sector: field("c", "sector"), people: count("p"), years: sum("w", "since") });
    expect(await agg(profiled).execute()).toEqual(await agg(store).execute());
    expect(await profiled.query().from("Person", "p").count()).toBe(4 - 1);
    // Errors are the store's own.
    const unordered = (s: typeof store) => s.query().from("Person", "p").select((c) => c.p.name);
    const plainError = await unordered(store).paginate({ first: 1 }).then(() => undefined, (e: unknown) => e);
    const profiledError = await unordered(profiled).paginate({ first: 1 }).then(() => undefined, (e: unknown) => e);
    expect(plainError).toBeInstanceOf(Error);
    expect((profiledError as Error).constructor).toBe((plainError as Error).constructor);
    expect((profiledError as Error).message).toBe((plainError as Error).message);
    // execute, first, count, exists, paginate, stream (one call), 4 prepared runs, aggregate, builder count, failed paginate.
    expect(profiler.getReport().summary.totalQueries).toBe(6 + 4 + 1 + 1 + 1);
  });

  it("records where / orderBy / select / groupBy paths across traversals, edge aliases and subclasses", async () => {
    const { store } = await seeded();
    const profiler = new QueryProfiler();
    const profiled = profiler.attachToStore(store);
    await profiled
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.name.startsWith("A").or(p.age.gt(30)))
      .traverse("worksAt", "w")
      .to("Company", "c", { includeSubClasses: true })
      .whereEdge("w", (w) => w.role.in(["engineer", "founder"]))
      .whereNode("c", (c) => c.sector.neq("mining"))
      .orderBy("w", "since", "desc")
      .select((ctx) => ({ who: ctx.p.email, where: ctx.c.name }))
      .execute();
    const report = profiler.getReport();
    const seen = Object.fromEntries([...report.patterns].map(([k, s]) => [k, { count: s.count, contexts: [...s.contexts].sort(), ops: [...s.predicateTypes].sort() }]));
    expect(seen["node:Person:/name"]).toEqual({ count: 1, contexts: ["filter"], ops: ["startsWith"] });
    expect(seen["node:Person:/age"]).toEqual({ count: 1, contexts: ["filter"], ops: ["gt"] });
    expect(seen["edge:worksAt:/role"]).toEqual({ count: 1, contexts: ["filter"], ops: ["in"] });
    expect(seen["edge:worksAt:/since"]).toEqual({ count: 1, contexts: ["sort"], ops: [] });
    expect(seen["node:Person:/email"]).toEqual({ count: 1, contexts: ["select"], ops: [] });
    // A subclass alias counts against every kind declaring the field.
    expect(seen["node:Company:/sector"]).toEqual({ count: 1, contexts: ["filter"], ops: ["neq"] });
    expect(seen["node:Startup:/sector"]).toEqual({ count: 1, contexts: ["filter"], ops: ["neq"] });
    expect(seen["node:Company:/name"]?.contexts).toEqual(["select"]);
    expect(seen["node:Startup:/name"]?.contexts).toEqual(["select"]);
    // A field only the subclass declares counts against the subclass alone.
    await profiled
      .query()
      .from("Company", "c", { includeSubClasses: true })
      .orderBy("c", "name", "asc")
      .select((ctx) => ctx.c)
      .execute();
    const after = profiler.getReport().patterns;
    expect(after.get("node:Company:/name")?.count).toBe(2);
    expect([...after.get("node:Company:$kind")!.contexts]).toEqual(["select"]);
    expect([...after.get("node:Company:/name")!.contexts].sort()).toEqual(["select", "sort"]);

    // groupBy and having (aggregates), system fields and subqueries.
    profiler.reset();
    await profiled
      .query()
      .from("Person", "p")
      .traverse("worksAt", "w")
      .to("Company", "c")
      .groupBy("w", "role")
      .aggregate({ people: count("p") })
      .execute();
    await profiled
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.id.eq("p-ann"))
      .whereNode("p", () => exists(store.query().from("Company", "c2").whereNode("c2", (c) => c.sector.eq("tools")).select((x) => x.c2.id).toAst()))
      .select((c) => c.p.id)
      .execute();
    const r = profiler.getReport();
    expect([...r.patterns.get("edge:worksAt:/role")!.contexts]).toEqual(["groupBy"]);
    // System columns: the aggregate's count("p") and the selected id, and the id filter.
    expect(r.patterns.get("node:Person:$id")?.count).toBe(3);
    expect([...r.patterns.get("node:Person:$id")!.contexts].sort()).toEqual(["filter", "select"]);
    expect([...r.patterns.get("node:Person:$id")!.predicateTypes]).toEqual(["eq"]);
    expect([...r.patterns.get("node:Company:/sector")!.predicateTypes]).toEqual(["eq"]);
    // System columns are TypeGraph's: recorded, never reported as unindexed.
    expect(r.unindexedFilters.map(keyOf)).toEqual(["node:Company:/sector"]);
    expect(r.summary.totalQueries).toBe(2);

    // IN subqueries (the outer field and the subquery's own paths) and HAVING over an aggregated field.
    profiler.reset();
    const inner = store.query().from("Person", "q").whereNode("q", (q) => q.age.lt(40)).aggregate({ email: fieldRef("q", ["email"]) }).toAst();
    const matched = await profiled.query().from("Person", "p").whereNode("p", () => inSubquery(fieldRef("p", ["email"]), inner)).select((c) => c.p.id).execute();
    expect([...matched].sort()).toEqual(["p-bob"]);
    const busy = await profiled
      .query()
      .from("Person", "p")
      .traverse("worksAt", "w")
      .to("Company", "c")
      .groupBy("c", "name")
      .having(havingGt(sum("w", "since"), 4000))
      .aggregate({ company: field("c", "name"), people: count("p") })
      .execute();
    expect(busy).toEqual([{ company: "Acme", people: 2 }]);
    const h = profiler.getReport().patterns;
    expect([...h.get("node:Person:/email")!.contexts].sort()).toEqual(["filter", "select"]);
    expect([...h.get("node:Person:/email")!.predicateTypes]).toEqual(["in_subquery"]);
    expect([...h.get("node:Person:/age")!.predicateTypes]).toEqual(["lt"]);
    expect([...h.get("edge:worksAt:/since")!.predicateTypes]).toEqual(["sum_gt"]);
    expect([...h.get("node:Company:/name")!.contexts].sort()).toEqual(["groupBy", "select"]);
  });

  it("counts declared indexes by leading field (composite prefix) and toDeclaredIndexes", async () => {
    const { store } = await seeded();
    const profiler = new QueryProfiler({ declaredIndexes: toDeclaredIndexes([personEmail, worksAtRole]), minFrequencyForRecommendation: 1 });
    const profiled = profiler.attachToStore(store);
    await profiled.query().from("Person", "p").whereNode("p", (p) => p.email.eq("ann@x.io")).select((c) => c.p.id).execute();
    await profiled.query().from("Person", "p").whereNode("p", (p) => p.name.eq("Ann")).select((c) => c.p.id).execute();
    await profiled
      .query()
      .from("Person", "p")
      .traverse("worksAt", "w")
      .to("Company", "c")
      .whereEdge("w", (w) => w.role.eq("engineer").and(w.since.lt(2020)))
      .select((c) => c.c.id)
      .execute();
    const report = profiler.getReport();
    // email leads (email, name): covered; name is its second field: not covered; role leads its own index.
    expect(report.unindexedFilters.map(keyOf).sort()).toEqual(["edge:worksAt:/since", "node:Person:/name"]);
    expect(report.recommendations.map((r) => `${r.entityType}:${r.kind}:${r.fields.join(",")}`).sort()).toEqual(["edge:worksAt:/since", "node:Person:/name"]);
    expect(() => profiler.assertIndexCoverage()).toThrow("Unindexed filter properties: ");
    expect(() => profiler.assertIndexCoverage()).toThrow(/node:Person:\/name/);

    // Hand-written declarations, bare field names read as pointers.
    const declared: DeclaredIndex[] = [
      { entityType: "node", kind: "Person", fields: ["/name"], unique: false, name: "idx_name" },
      { entityType: "edge", kind: "worksAt", fields: ["since"], unique: false, name: "idx_since" },
      { entityType: "node", kind: "Person", fields: ["/email"], unique: true, name: "idx_email" },
      { entityType: "edge", kind: "worksAt", fields: ["/role"], unique: false, name: "idx_role" },
    ];
    const covered = new QueryProfiler({ declaredIndexes: declared });
    const coveredStore = covered.attachToStore(store);
    await coveredStore.query().from("Person", "p").whereNode("p", (p) => p.name.eq("Ann").and(p.email.eq("ann@x.io"))).select((c) => c.p.id).execute();
    await coveredStore
      .query()
      .from("Person", "p")
      .traverse("worksAt", "w")
      .to("Company", "c")
      .whereEdge("w", (w) => w.since.gt(2000).and(w.role.eq("engineer")))
      .select((c) => c.c.id)
      .execute();
    expect(covered.getReport().unindexedFilters).toEqual([]);
    expect(() => covered.assertIndexCoverage()).not.toThrow();
    expect(covered.getReport().recommendations).toEqual([]);
  });

  it("ranks recommendations by the frequency thresholds", async () => {
    const { store } = await seeded();
    const run = async (s: ProfiledStore<typeof store.graph>, times: number, q: (s: ProfiledStore<typeof store.graph>) => Promise<unknown>) => {
      for (let i = 0; i < times; i++) await q(s);
    };
    const byName = (s: ProfiledStore<typeof store.graph>) => s.query().from("Person", "p").whereNode("p", (p) => p.name.eq("Ann")).select((c) => c.p.id).execute();
    const byAge = (s: ProfiledStore<typeof store.graph>) => s.query().from("Person", "p").orderBy("p", "age", "desc").select((c) => c.p.id).execute();
    const bySector = (s: ProfiledStore<typeof store.graph>) => s.query().from("Company", "c").whereNode("c", (c) => c.sector.eq("tools")).select((c) => c.c.id).execute();
    const byEmailSelect = (s: ProfiledStore<typeof store.graph>) => s.query().from("Person", "p").select((c) => c.p.email).execute();

    const defaults = new QueryProfiler();
    const d = defaults.attachToStore(store);
    await run(d, 10, byName);
    await run(d, 5, byAge);
    await run(d, 3, bySector);
    await run(d, 12, byEmailSelect);
    const sector2 = defaults.getReport();
    expect(sector2.recommendations.map((r) => [r.kind, r.fields[0], r.priority, r.frequency])).toEqual([
      ["Person", "/name", "high", 10],
      ["Person", "/age", "medium", 5],
      ["Company", "/sector", "low", 3],
    ]);
    expect(sector2.recommendations[0]!.reason).toBe("Used in filter with eq (10 times)");
    expect(sector2.recommendations[1]!.reason).toBe("Used in sort (5 times)");
    // Select-only props are patterns, never recommendations.
    expect(sector2.patterns.get("node:Person:/email")?.count).toBe(12);
    expect(sector2.summary.uniquePatterns).toBe(sector2.patterns.size);
    defaults.detach();

    const tuned = new QueryProfiler({ minFrequencyForRecommendation: 4, mediumFrequencyThreshold: 4, highFrequencyThreshold: 6 });
    const t = tuned.attachToStore(store);
    await run(t, 6, byName);
    await run(t, 4, byAge);
    await run(t, 3, bySector);
    expect(tuned.getReport().recommendations.map((r) => [r.fields[0], r.priority])).toEqual([
      ["/name", "high"],
      ["/age", "medium"],
    ]);
    // Below the minimum a filter is still unindexed.
    expect(tuned.getReport().unindexedFilters.map(keyOf).sort()).toEqual(["node:Company:/sector", "node:Person:/name"]);

    tuned.reset();
    const empty = tuned.getReport();
    expect(empty.summary.totalQueries).toBe(0);
    expect(empty.patterns.size).toBe(0);
    expect(empty.recommendations).toEqual([]);
    expect(() => tuned.assertIndexCoverage()).not.toThrow();
    expect(tuned.isAttached).toBe(true);
  });

  it("records prepared runs, set operations, batch members and recordQuery(toAst())", async () => {
    const { store } = await seeded();
    const profiler = new QueryProfiler();
    const profiled = profiler.attachToStore(store);
    const prepared = profiled
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.email.eq(param("e")))
      .select((c) => c.p.name)
      .prepare();
    for (const e of ["ann@x.io", "bob@x.io", "cy@x.io"]) await prepared.execute({ e });
    expect(profiler.getReport().patterns.get("node:Person:/email")?.count).toBe(3);

    const left = profiled.query().from("Person", "p").whereNode("p", (p) => p.age.gt(30)).select((c) => c.p.id);
    const right = profiled.query().from("Person", "p").whereNode("p", (p) => p.name.eq("Cy")).select((c) => c.p.id);
    const union = await left.union(right).execute();
    expect([...union].sort()).toEqual(["p-ann", "p-cy"]);
    const [names, sectors] = await profiled.batch(
      profiled.query().from("Person", "p").orderBy("p", "name", "asc").select((c) => c.p.name),
      profiled.query().from("Company", "c").whereNode("c", (c) => c.sector.eq("tools")).select((c) => c.c.name),
    );
    expect(names).toEqual(["Ann", "Bob", "Cy"]);
    expect(sectors).toEqual(["Acme"]);
    let report = profiler.getReport();
    expect(report.patterns.get("node:Person:/age")?.count).toBe(1);
    expect(report.patterns.get("node:Person:/name")?.contexts.has("sort")).toBe(true);
    expect(report.patterns.get("node:Company:/sector")?.count).toBe(1);
    // 3 prepared runs, the set operation, the two batch members.
    expect(report.summary.totalQueries).toBe(6);

    // Queries of a transaction record too (and still run inside it).
    const inside = await profiled.transaction(async (tx) => {
      await tx.nodes.Person.create({ email: "eve@x.io", name: "Eve", age: 33 }, { id: "p-eve" });
      return tx.query().from("Person", "p").whereNode("p", (p) => p.age.gte(33)).orderBy("p", "name", "asc").select((c) => c.p.name).execute();
    });
    expect(inside).toEqual(["Ann", "Eve"]);
    report = profiler.getReport();
    expect(report.summary.totalQueries).toBe(7);
    expect(report.patterns.get("node:Person:/age")?.count).toBe(2);
    expect([...report.patterns.get("node:Person:/age")!.predicateTypes].sort()).toEqual(["gt", "gte"]);

    // So do queries of a store view.
    const view = profiled.snapshot();
    expect(await view.query().from("Person", "p").whereNode("p", (p) => p.email.startsWith("e")).select((c) => c.p.name).execute()).toEqual(["Eve"]);
    report = profiler.getReport();
    expect(report.summary.totalQueries).toBe(8);
    expect([...report.patterns.get("node:Person:/email")!.predicateTypes].sort()).toEqual(["eq", "startsWith"]);

    // Manual recording, without running, by a profiler attached to no store.
    const manual = new QueryProfiler();
    const q = store.query().from("Person", "p").whereNode("p", (p) => p.email.eq("x")).orderBy("p", "name", "asc").select((c) => c.p);
    manual.recordQuery(q.toAst());
    manual.recordQuery(store.query().from("Company", "c").groupBy("c", "sector").aggregate({ n: count("c") }).toAst());
    report = manual.getReport();
    expect(report.summary.totalQueries).toBe(2);
    expect([...report.patterns.keys()].filter((k) => !k.includes(":$")).sort()).toEqual(["node:Company:/sector", "node:Person:/email", "node:Person:/name"]);
    // A whole alias selects its system columns; count("c") counts ids.
    expect([...report.patterns.keys()].filter((k) => k.includes(":$")).sort()).toEqual(["node:Company:$id", "node:Person:$id", "node:Person:$kind"]);
    expect(() => manual.recordQuery({} as never)).toThrow(TypeError);
  });
});
