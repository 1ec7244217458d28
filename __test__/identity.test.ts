// Operational identity on both backends: assert / retract / read round trips, transitive classes
// and their representative, same-id folding, separation refusals, validity windows, bulk
// atomicity, rollback inside store.transaction, the derived closure and separation tables.
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  IdentityContradictionError,
  IdentityEndpointValidityError,
  IdentityValidityWindowError,
  KindNotFoundError,
  NodeNotFoundError,
  ValidationError,
  asIdentityAssertionId,
  computeSchemaHash,
  createStoreWithSchema,
  defineGraph,
  defineNode,
  disjointWith,
  rebuildIdentityClosure,
  serializeSchema,
  type GraphBackend,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", { schema: z.object({ name: z.string() }) });
const Company = defineNode("Company", { schema: z.object({ name: z.string() }) });
const Robot = defineNode("Robot", { schema: z.object({ name: z.string() }) });

function identityGraph(id: string, mode: "fold" | "ignore" = "fold") {
  return defineGraph({
    id,
    nodes: { Person: { type: Person }, Company: { type: Company }, Robot: { type: Robot } },
    edges: {},
    ontology: [disjointWith(Person, Robot)],
    identity: { sameIdAcrossKinds: mode },
  });
}

async function rawRows(backend: GraphBackend, sql: string, params: unknown[]): Promise<unknown[][]> {
  const b = backend as unknown as { query(sql: string, params: unknown[]): unknown[][] | Promise<unknown[][]> };
  const pg = backend.dialect === "postgres";
  let i = 0;
  return await b.query(pg ? sql.replace(/\?/g, () => `$${++i}`) : sql, params);
}

describe("identity configuration", () => {
  it("keeps the profile on the graph and in the schema document and hash", () => {
    const fold = identityGraph("ident_cfg");
    const plain = defineGraph({ id: "ident_cfg", nodes: { Person: { type: Person }, Company: { type: Company }, Robot: { type: Robot } }, ontology: [disjointWith(Person, Robot)] });
    expect(fold.identity).toEqual({ sameIdAcrossKinds: "fold" });
    const doc = serializeSchema(fold, 1);
    expect(doc.identity).toEqual({ sameIdAcrossKinds: "fold" });
    expect(serializeSchema(plain, 1).identity).toBeUndefined();
    expect(computeSchemaHash(doc)).not.toBe(computeSchemaHash(serializeSchema(plain, 1)));
    expect(computeSchemaHash(doc)).not.toBe(computeSchemaHash(serializeSchema(identityGraph("ident_cfg", "ignore"), 1)));
  });

  it("refuses a malformed identity option", () => {
    expect(() => defineGraph({ id: "bad", nodes: { Person: { type: Person } }, identity: { sameIdAcrossKinds: "merge" as never } })).toThrow(ConfigurationError);
    expect(() => defineGraph({ id: "bad", nodes: { Person: { type: Person } }, identity: null as never })).toThrow(ConfigurationError);
  });

  it("brands assertion ids and refuses empty ones", () => {
    expect(asIdentityAssertionId("abc")).toBe("abc");
    expect(() => asIdentityAssertionId("")).toThrow(ValidationError);
  });
});

describe.each(backends)("store.identity on $name", (bc) => {
  const backend = bc.make(freshGraphId(`identity_${bc.name}`));
  afterAll(() => backend.close());

  async function open(mode: "fold" | "ignore" = "fold") {
    const graph = identityGraph(freshGraphId("ident"), mode);
    const [store] = await createStoreWithSchema(graph, backend);
    return store;
  }

  it("is refused on a graph without the profile", async () => {
    const graph = defineGraph({ id: freshGraphId("noident"), nodes: { Person: { type: Person } } });
    const [store] = await createStoreWithSchema(graph, backend);
    expect(() => (store as unknown as { identity: unknown }).identity).toThrow(expect.objectContaining({ code: "CONFIGURATION_ERROR", details: expect.objectContaining({ code: "IDENTITY_NOT_ENABLED" }) }));
    await expect(rebuildIdentityClosure(store)).rejects.toBeInstanceOf(ConfigurationError);
  });

  it("asserts, reads, retracts and folds same-id nodes", async () => {
    const store = await open();
    const person = await store.nodes.Person.create({ name: "Alice" }, { id: "shared" });
    const company = await store.nodes.Company.create({ name: "Alice LLC" }, { id: "shared" });
    const robot = await store.nodes.Robot.create({ name: "R" }, { id: "robot-1" });
    const other = await store.nodes.Company.create({ name: "Other" }, { id: "other" });

    expect(await store.identity.membersOf(person)).toEqual([
      { kind: "Company", id: "shared" },
      { kind: "Person", id: "shared" },
    ]);
    expect(await store.identity.areSame(person, company)).toBe(true);
    expect(await store.identity.membersOf(robot)).toEqual([{ kind: "Robot", id: "robot-1" }]);
    expect(await store.identity.representativeOf(robot)).toEqual({ kind: "Robot", id: "robot-1" });
    expect(await store.identity.areSame(robot, robot)).toBe(true);

    const created = await store.identity.assertSame(person, other);
    expect(created.action).toBe("created");
    expect(created.assertion).toMatchObject({ relation: "same", a: { kind: "Company", id: "other" }, b: { kind: "Person", id: "shared" } });
    expect(created.assertion.validTo).toBeUndefined();
    const again = await store.identity.assertSame(other, person);
    expect(again).toMatchObject({ action: "existing", assertion: { id: created.assertion.id } });

    expect(await store.identity.membersOf(company)).toEqual([
      { kind: "Company", id: "other" },
      { kind: "Company", id: "shared" },
      { kind: "Person", id: "shared" },
    ]);
    expect(await store.identity.representativeOf(person)).toEqual({ kind: "Company", id: "other" });
    expect(await store.identity.assertionsOf(person)).toEqual([created.assertion]);
    expect(await store.identity.assertionsOf(company)).toEqual([]);
    const nodes = await store.identity.nodesOf(person);
    expect(nodes.map((n) => [n.kind, n.id, (n as { name?: string }).name])).toEqual([
      ["Company", "other", "Other"],
      ["Company", "shared", "Alice LLC"],
      ["Person", "shared", "Alice"],
    ]);

    const ended = await store.identity.retractAssertion(created.assertion.id);
    expect(ended?.id).toBe(created.assertion.id);
    expect(typeof ended?.validTo).toBe("string");
    expect(await store.identity.areSame(person, other)).toBe(false);
    expect(await store.identity.retractAssertion(created.assertion.id)).toBeUndefined();
    expect(await store.identity.assertionsOf(person)).toEqual([]);
  });

  it("keeps the ledger without folding under sameIdAcrossKinds: ignore", async () => {
    const store = await open("ignore");
    const person = await store.nodes.Person.create({ name: "A" }, { id: "same-id" });
    const company = await store.nodes.Company.create({ name: "B" }, { id: "same-id" });
    expect(await store.identity.areSame(person, company)).toBe(false);
    expect(await store.identity.membersOf(person)).toEqual([{ kind: "Person", id: "same-id" }]);
    await store.identity.assertSame(person, company);
    expect(await store.identity.areSame(person, company)).toBe(true);
  });

  it("joins classes transitively with a code-point-least representative and keeps the closure table", async () => {
    const store = await open();
    const ids = ["b", "Z", "a", "\u{1F600}", "é"];
    const people = await store.nodes.Person.bulkCreate(ids.map((id) => ({ id, props: { name: id } })));
    const [b, Z, a, emoji, e] = people;
    await store.identity.assertSame(b!, Z!);
    await store.identity.assertSame(a!, emoji!);
    expect(await store.identity.areSame(b!, a!)).toBe(false);
    await store.identity.assertSame(Z!, a!);
    await store.identity.assertSame(emoji!, e!);
    const members = await store.identity.membersOf(e!);
    expect(members.map((m) => m.id)).toEqual(["Z", "a", "b", "é", "\u{1F600}"]);
    for (const p of people) expect(await store.identity.representativeOf(p)).toEqual({ kind: "Person", id: "Z" });

    const closure = await rawRows(backend, "SELECT member_kind, member_id, class_kind, class_id FROM typegraph_identity_closure WHERE graph_id = ? ORDER BY member_id", [store.graphId]);
    expect(closure.map((r) => r[1]).sort()).toEqual([...ids].sort());
    expect(new Set(closure.map((r) => `${r[2]}/${r[3]}`))).toEqual(new Set(["Person/Z"]));

    // Retracting the bridge splits the class in two; each half keeps its least member.
    const bridge = (await store.identity.assertionsOf(Z!)).find((x) => x.a.id === "Z" && x.b.id === "a" || x.a.id === "a" && x.b.id === "Z")!;
    await store.identity.retractSameAssertion(a!, Z!);
    expect(bridge).toBeDefined();
    expect(await store.identity.representativeOf(b!)).toEqual({ kind: "Person", id: "Z" });
    expect(await store.identity.representativeOf(emoji!)).toEqual({ kind: "Person", id: "a" });
    const after = await rawRows(backend, "SELECT member_id, class_id FROM typegraph_identity_closure WHERE graph_id = ?", [store.graphId]);
    const byMember = Object.fromEntries(after.map((r) => [r[0], r[1]]));
    expect(byMember).toEqual({ b: "Z", Z: "Z", a: "a", "\u{1F600}": "a", é: "a" });

    // A rebuild from the ledger reproduces the same rows.
    await rawRows(backend, "DELETE FROM typegraph_identity_closure WHERE graph_id = ?", [store.graphId]);
    await rebuildIdentityClosure(store);
    const rebuilt = await rawRows(backend, "SELECT member_id, class_id FROM typegraph_identity_closure WHERE graph_id = ?", [store.graphId]);
    expect(Object.fromEntries(rebuilt.map((r) => [r[0], r[1]]))).toEqual(byMember);
  });

  it("lifts different assertions to whole classes and refuses contradictions", async () => {
    const store = await open();
    const [p1, p2, p3, p4] = await store.nodes.Person.bulkCreate(["p1", "p2", "p3", "p4"].map((id) => ({ id, props: { name: id } })));
    await store.identity.assertSame(p1!, p2!);
    const diff = await store.identity.assertDifferent(p2!, p3!);
    expect(await store.identity.areDifferent(p1!, p3!)).toBe(true);
    expect(await store.identity.areDifferent(p1!, p4!)).toBe(false);
    const sep = await rawRows(backend, "SELECT class_key_low, class_key_high FROM typegraph_identity_separation WHERE graph_id = ?", [store.graphId]);
    expect(sep).toEqual([['["Person","p1"]', '["Person","p3"]']]);

    await expect(store.identity.assertSame(p1!, p3!)).rejects.toMatchObject({
      code: "IDENTITY_CONTRADICTION",
      details: { operation: "assertSame", reason: "different-assertion", conflictingAssertionId: diff.assertion.id },
    });
    await store.identity.assertSame(p3!, p4!);
    await expect(store.identity.assertSame(p4!, p2!)).rejects.toBeInstanceOf(IdentityContradictionError);
    await expect(store.identity.assertDifferent(p1!, p2!)).rejects.toMatchObject({ details: { reason: "same-class" } });
    // The separation row follows p3's class after it grew.
    const sep2 = await rawRows(backend, "SELECT class_key_low, class_key_high FROM typegraph_identity_separation WHERE graph_id = ?", [store.graphId]);
    expect(sep2).toEqual([['["Person","p1"]', '["Person","p3"]']]);

    // Once the different assertion is retracted the classes may join.
    await store.identity.retractDifferentAssertion(p3!, p2!);
    expect(await store.identity.areDifferent(p1!, p3!)).toBe(false);
    await store.identity.assertSame(p4!, p2!);
    expect(await store.identity.areSame(p1!, p4!)).toBe(true);
    expect(await rawRows(backend, "SELECT class_key_low FROM typegraph_identity_separation WHERE graph_id = ?", [store.graphId])).toEqual([]);
  });

  it("refuses ontology-disjoint kinds in one class and reports them as different", async () => {
    const store = await open();
    const person = await store.nodes.Person.create({ name: "P" }, { id: "dp" });
    const company = await store.nodes.Company.create({ name: "C" }, { id: "dc" });
    const robot = await store.nodes.Robot.create({ name: "R" }, { id: "dr" });
    await store.identity.assertSame(person, company);
    expect(await store.identity.areDifferent(company, robot)).toBe(true);
    await expect(store.identity.assertSame(company, robot)).rejects.toMatchObject({ code: "IDENTITY_CONTRADICTION", details: { reason: "disjoint-kinds" } });
  });

  it("checks references, endpoints and self-assertions", async () => {
    const store = await open();
    const person = await store.nodes.Person.create({ name: "P" }, { id: "ref-p" });
    await expect(store.identity.assertSame(person, person)).rejects.toMatchObject({ code: "VALIDATION_ERROR", details: { issues: [expect.objectContaining({ code: "IDENTITY_SELF_ASSERTION" })] } });
    await expect(store.identity.assertSame(person, { kind: "Ghost", id: "x" } as never)).rejects.toBeInstanceOf(KindNotFoundError);
    await expect(store.identity.assertSame(person, { kind: "Company", id: "missing" })).rejects.toBeInstanceOf(NodeNotFoundError);
    const deleted = await store.nodes.Company.create({ name: "D" }, { id: "gone" });
    await store.nodes.Company.delete(deleted.id);
    await expect(store.identity.assertSame(person, deleted)).rejects.toBeInstanceOf(NodeNotFoundError);
    expect(await store.identity.membersOf({ kind: "Company", id: "gone" })).toEqual([]);
    expect(await store.identity.representativeOf({ kind: "Company", id: "gone" })).toBeUndefined();
    expect(await store.identity.areSame(person, deleted)).toBe(false);
  });

  it("applies validity windows: historical, current, refused and contradictory ones", async () => {
    const store = await open();
    const start = "2019-01-01T00:00:00.000Z";
    const [a, b, c] = await store.nodes.Person.bulkCreate(["wa", "wb", "wc"].map((id) => ({ id, props: { name: id }, validFrom: start })));
    const late = await store.nodes.Company.create({ name: "late" }, { id: "late", validFrom: "2021-01-01T00:00:00.000Z" });

    const historical = await store.identity.assertSame(a!, b!, { validFrom: "2020-01-01T00:00:00.000Z", validTo: "2022-01-01T00:00:00.000Z" });
    expect(historical.assertion).toMatchObject({ validFrom: "2020-01-01T00:00:00.000Z", validTo: "2022-01-01T00:00:00.000Z" });
    expect(await store.identity.areSame(a!, b!)).toBe(false);
    expect(await store.asOf("2021-01-01T00:00:00.000Z").identity.areSame(a!, b!)).toBe(true);
    expect(await store.asOf("2022-01-01T00:00:00.000Z").identity.areSame(a!, b!)).toBe(false);
    expect(await store.identity.assertSame(a!, b!, { validFrom: "2020-01-01T00:00:00.000Z", validTo: "2022-01-01T00:00:00.000Z" })).toMatchObject({ action: "existing" });

    // A different assertion overlapping the historical same window contradicts it there.
    await expect(store.identity.assertDifferent(a!, b!, { validFrom: "2021-06-01T00:00:00.000Z", validTo: "2023-01-01T00:00:00.000Z" })).rejects.toBeInstanceOf(IdentityContradictionError);
    // Adjacent half-open windows do not overlap.
    await expect(store.identity.assertDifferent(a!, b!, { validFrom: "2022-01-01T00:00:00.000Z", validTo: "2023-01-01T00:00:00.000Z" })).resolves.toMatchObject({ action: "created" });

    const open1 = await store.identity.assertSame(b!, c!, { validFrom: "2024-01-01T00:00:00.000Z" });
    expect(await store.identity.areSame(b!, c!)).toBe(true);
    await expect(store.identity.assertSame(b!, c!, { validFrom: "2023-06-01T00:00:00.000Z" })).rejects.toMatchObject({
      code: "IDENTITY_VALIDITY_OPEN_WINDOW_CONFLICT",
      category: "constraint",
      details: { reason: "overlapping-open-window" },
    });
    expect(await store.identity.assertSame(b!, c!, {})).toMatchObject({ action: "existing", assertion: { id: open1.assertion.id } });

    await expect(store.identity.assertSame(a!, c!, { validFrom: "2099-01-01T00:00:00.000Z" })).rejects.toMatchObject({ code: "IDENTITY_VALIDITY_FUTURE_START", category: "user", details: { reason: "future-valid-from" } });
    await expect(store.identity.assertSame(a!, c!, { validFrom: "2020-01-01T00:00:00.000Z", validTo: "2099-01-01T00:00:00.000Z" })).rejects.toMatchObject({ code: "IDENTITY_VALIDITY_FUTURE_END" });
    await expect(store.identity.assertSame(a!, c!, { validFrom: "2024-01-01T00:00:00.000Z", validTo: "2023-01-01T00:00:00.000Z" })).rejects.toBeInstanceOf(IdentityValidityWindowError);
    await expect(store.identity.assertSame(a!, late, { validFrom: "2020-01-01T00:00:00.000Z", validTo: "2022-01-01T00:00:00.000Z" })).rejects.toBeInstanceOf(IdentityEndpointValidityError);
  });

  it("bulk assertions keep input order, see each other, and write nothing when one fails", async () => {
    const store = await open();
    const [a, b, c, d] = await store.nodes.Person.bulkCreate(["ba", "bb", "bc", "bd"].map((id) => ({ id, props: { name: id }, validFrom: "2019-01-01T00:00:00.000Z" })));
    const results = await store.identity.bulkAssertSame([
      { a: a!, b: b! },
      { a: b!, b: a! },
      { a: c!, b: d!, validFrom: "2020-01-01T00:00:00.000Z", validTo: "2020-06-01T00:00:00.000Z" },
    ]);
    expect(results.map((r) => r.action)).toEqual(["created", "existing", "created"]);
    expect(results[1]!.assertion.id).toBe(results[0]!.assertion.id);
    expect(results[2]!.assertion.validTo).toBe("2020-06-01T00:00:00.000Z");

    await expect(
      store.identity.bulkAssertDifferent([
        { a: c!, b: d! },
        { a: a!, b: b! },
      ]),
    ).rejects.toBeInstanceOf(IdentityContradictionError);
    expect(await store.identity.areDifferent(c!, d!)).toBe(false);
    expect(await store.identity.assertionsOf(c!)).toEqual([]);

    const ended = await store.identity.bulkRetractAssertions([results[0]!.assertion.id, asIdentityAssertionId("nope"), results[0]!.assertion.id, results[2]!.assertion.id]);
    expect(ended.map((x) => x.id)).toEqual([results[0]!.assertion.id]);
    expect(await store.identity.areSame(a!, b!)).toBe(false);
  });

  it("tx.identity writes roll back with the transaction and commit with it", async () => {
    const store = await open();
    const [a, b, c] = await store.nodes.Person.bulkCreate(["ta", "tb", "tc"].map((id) => ({ id, props: { name: id } })));
    await expect(
      store.transaction(async (tx) => {
        await tx.identity.assertSame(a!, b!);
        expect(await tx.identity.areSame(a!, b!)).toBe(true);
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(await store.identity.areSame(a!, b!)).toBe(false);
    expect(await rawRows(backend, "SELECT COUNT(*) FROM typegraph_identity_closure WHERE graph_id = ?", [store.graphId])).toEqual([[0]]);

    await store.transaction(async (tx) => {
      const n = await tx.nodes.Person.create({ name: "new" }, { id: "td" });
      await tx.identity.assertSame(c!, n);
      await tx.identity.assertSame(a!, b!);
    });
    expect(await store.identity.areSame(a!, b!)).toBe(true);
    expect(await store.identity.membersOf(c!)).toEqual([
      { kind: "Person", id: "tc" },
      { kind: "Person", id: "td" },
    ]);
  });

  it("counts identity write intents in transaction receipts", async () => {
    const store = await open();
    const [a, b, c] = await store.nodes.Person.bulkCreate(["ra", "rb", "rc"].map((id) => ({ id, props: { name: id } })));
    const outcome = await store.transactionWithReceipt(async (tx) => {
      const made = await tx.identity.bulkAssertSame([
        { a: a!, b: b! },
        { a: b!, b: c! },
      ]);
      await tx.identity.bulkRetractAssertions([made[0]!.assertion.id]);
    });
    expect(outcome.receipt.writes.identity).toEqual({ sameAssertions: 2, differentAssertions: 0, retractions: 1, total: 3 });
    expect(outcome.receipt.writes.total).toBe(3);
  });

  it("interchange seam: exports the ledger and imports it into another graph", async () => {
    type Seam = {
      exportAssertions(o: { mode: "state" | "archival"; includeDeleted: boolean }): Promise<{ id: string; relation: string; a: unknown; b: unknown; validFrom: string; validTo?: string; endedBy?: unknown }[]>;
      importAssertions(rows: unknown[]): Promise<{ created: number; skipped: number; errors: unknown[] }>;
    };
    const source = await open();
    const [a, b, c] = await source.nodes.Person.bulkCreate(["xa", "xb", "xc"].map((id) => ({ id, props: { name: id }, validFrom: "2019-01-01T00:00:00.000Z" })));
    const same = await source.identity.assertSame(a!, b!);
    await source.identity.assertDifferent(b!, c!);
    const past = await source.identity.assertSame(a!, c!, { validFrom: "2019-06-01T00:00:00.000Z", validTo: "2019-07-01T00:00:00.000Z" });
    const seam = source.identity as unknown as Seam;
    const state = await seam.exportAssertions({ mode: "state", includeDeleted: false });
    expect(state.map((r) => r.relation).sort()).toEqual(["different", "same"]);
    const archive = await seam.exportAssertions({ mode: "archival", includeDeleted: false });
    expect(archive.map((r) => r.id)).toContain(past.assertion.id);
    expect(Object.keys(source.identity)).not.toContain("exportAssertions");

    const target = await open();
    await target.nodes.Person.bulkCreate(["xa", "xb", "xc"].map((id) => ({ id, props: { name: id }, validFrom: "2019-01-01T00:00:00.000Z" })));
    const result = await (target.identity as unknown as Seam).importAssertions([...archive, { ...same.assertion, id: "ghost", a: { kind: "Person", id: "nobody" } }]);
    expect(result).toMatchObject({ created: 3, skipped: 1 });
    expect(result.errors).toHaveLength(1);
    expect(await target.identity.areSame(a!, b!)).toBe(true);
    expect(await target.identity.areDifferent(a!, c!)).toBe(true);
    expect((await target.identity.assertionsOf(a!)).map((x) => x.id)).toEqual([same.assertion.id]);
    expect(await target.asOf("2019-06-15T00:00:00.000Z").identity.areSame(a!, c!)).toBe(true);
    // Importing again skips what is there.
    expect(await (target.identity as unknown as Seam).importAssertions(archive)).toMatchObject({ created: 0, skipped: 3 });
  });

  it("concurrent opposing writers: exactly one wins", async () => {
    const store = await open();
    const [a, b] = await store.nodes.Person.bulkCreate(["ca", "cb"].map((id) => ({ id, props: { name: id } })));
    const results = await Promise.allSettled([store.identity.assertSame(a!, b!), store.identity.assertDifferent(a!, b!)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((await store.identity.areSame(a!, b!)) !== (await store.identity.areDifferent(a!, b!))).toBe(true);
  });

  it("soft delete ends a node's assertions for good; a recreated node folds again", async () => {
    const store = await open();
    const person = await store.nodes.Person.create({ name: "P" }, { id: "life" });
    const company = await store.nodes.Company.create({ name: "C" }, { id: "life" });
    const other = await store.nodes.Person.create({ name: "O" }, { id: "life-other" });
    const asserted = await store.identity.assertSame(company, other);
    await store.nodes.Company.delete(company.id);
    expect(await store.identity.membersOf(person)).toEqual([{ kind: "Person", id: "life" }]);
    expect(await store.identity.areSame(person, other)).toBe(false);
    const ended = await rawRows(backend, "SELECT valid_to IS NOT NULL, ended_by_kind, ended_by_id FROM typegraph_identity_assertions WHERE graph_id = ? AND id = ?", [store.graphId, asserted.assertion.id]);
    expect(ended.map((r) => [Boolean(r[0]), r[1], r[2]])).toEqual([[true, "Company", "life"]]);
    await store.nodes.Company.create({ name: "C2" }, { id: "life" });
    expect(await store.identity.membersOf(person)).toEqual([
      { kind: "Company", id: "life" },
      { kind: "Person", id: "life" },
    ]);
    expect(await store.identity.areSame(person, other)).toBe(false);
    await store.nodes.Person.hardDelete(other.id);
    expect(await rawRows(backend, "SELECT COUNT(*) FROM typegraph_identity_assertions WHERE graph_id = ?", [store.graphId])).toEqual([[0]]);
  });

  it("views read identity at their coordinate and mode", async () => {
    const store = await open();
    const tomb = await store.nodes.Person.create({ name: "T" }, { id: "tomb" });
    await store.nodes.Person.delete(tomb.id);
    expect(await store.view({ mode: "includeTombstones" }).identity.membersOf(tomb)).toEqual([{ kind: "Person", id: "tomb" }]);
    expect(await store.view({ mode: "current" }).identity.membersOf(tomb)).toEqual([]);
  });

  it("views read identity at their coordinate; deleted members drop out", async () => {
    const store = await open();
    const [a, b] = await store.nodes.Person.bulkCreate(["va", "vb"].map((id) => ({ id, props: { name: id } })));
    await store.identity.assertSame(a!, b!);
    expect(await store.snapshot().identity.membersOf(a!)).toHaveLength(2);
    expect(await store.asOf("2000-01-01T00:00:00.000Z").identity.membersOf(a!)).toEqual([]);
    await store.nodes.Person.delete(b!.id);
    expect(await store.identity.membersOf(a!)).toEqual([{ kind: "Person", id: "va" }]);
  });
});
