// The single writes' answers are built without reading the written row back across the boundary
// (SQLite `update` answers its row without props: the caller holds the merged, validated ones;
// `create` / `edges.create` answer from the call itself): pinned here against what `getById`
// reads back, field by field and in key order, on every path the answer can take — zod
// transforms and defaults, date fields, unique constraints, window options, history stores — and
// with the failures each guard reports (nothing written, the store usable after).
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  CardinalityError,
  EndpointNotFoundError,
  NodeNotFoundError,
  UniquenessError,
  ValidationError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  type GraphBackend,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Member = defineNode("Member", {
  schema: z.object({
    handle: z.string().transform((s) => s.trim().toLowerCase()),
    email: z.string().optional(),
    tier: z.enum(["free", "paid"]).default("free"),
    score: z.number().default(0),
    tags: z.array(z.string()).default([]),
    joined: z.date().optional(),
    extra: z.record(z.string(), z.unknown()).optional(),
  }),
});
const Team = defineNode("Team", { schema: z.object({ name: z.string() }) });
const memberOf = defineEdge("memberOf", { schema: z.object({ role: z.string().default("player") }) });
const captains = defineEdge("captains", { schema: z.object({}) });

function graphOf(id: string) {
  return defineGraph({
    id,
    nodes: {
      Member: { type: Member, unique: [{ name: "member_email", fields: ["email"], where: (m) => m.email.isNotNull() }] },
      Team: { type: Team },
    },
    edges: {
      memberOf: { type: memberOf, from: [Member], to: [Team] },
      captains: { type: captains, from: [Member], to: [Team], cardinality: "one" },
    },
  });
}

/** The answer equals the row read back, keys in the same order (nothing extra, nothing lost). */
function sameAsStored(answer: object, stored: object | undefined) {
  expect(stored).toBeDefined();
  expect(answer).toEqual(stored);
  expect(Object.keys(answer)).toEqual(Object.keys(stored!));
  expect(Object.keys((answer as { meta: object }).meta)).toEqual(Object.keys((stored as { meta: object }).meta));
}

describe.each(backends)("single write answers on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function openStore(options: { history?: boolean } = {}) {
    const graph = graphOf(freshGraphId(`swp_${bc.name}`));
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend, options);
    return store;
  }

  it("update answers the merged props as stored: transforms, defaults, dates and nested data", async () => {
    const store = await openStore();
    const M = store.nodes.Member;
    const made = await M.create({ handle: "  Ann " }, { id: "ann" });
    sameAsStored(made, await M.getById("ann"));
    expect(made).toMatchObject({ handle: "ann", tier: "free", score: 0, tags: [] });

    // The transform runs over the merged props; defaults stay as stored.
    const up = await M.update("ann", { handle: " ANNA ", score: 2 });
    expect(up).toMatchObject({ handle: "anna", tier: "free", score: 2, tags: [] });
    expect(up.meta.version).toBe(2);
    expect(up.meta.createdAt).toBe(made.meta.createdAt);
    sameAsStored(up, await M.getById("ann"));

    // A Date crosses as its JSON text and reads back as that text, as every stored read does.
    const joined = new Date("2024-05-06T07:08:09.010Z");
    const dated = await M.update("ann", { joined });
    sameAsStored(dated, await M.getById("ann"));
    expect(typeof (dated as { joined?: unknown }).joined).toBe(typeof (await M.getById("ann"))!.joined);

    // Nested data, an undefined member and -0 come back as JSON stores them.
    const nested = await M.update("ann", { tags: ["a", "b"], extra: { deep: { list: [1, null, "x"], zero: -0, gone: undefined } } });
    sameAsStored(nested, await M.getById("ann"));
    expect((nested as { extra?: unknown }).extra).toEqual({ deep: { list: [1, null, "x"], zero: 0 } });
    expect(Object.keys((nested as unknown as { extra: { deep: object } }).extra.deep)).toEqual(["list", "zero"]);

    // The answer is a copy: changing it changes neither the store nor the next answer.
    (nested as { tags: string[] }).tags.push("mutated");
    expect((await M.getById("ann"))!.tags).toEqual(["a", "b"]);
  });

  it("update of a unique field claims the new value, releases the old one, and refuses a taken one", async () => {
    const store = await openStore();
    const M = store.nodes.Member;
    await M.create({ handle: "a", email: "a@x" }, { id: "a" });
    await M.create({ handle: "b", email: "b@x" }, { id: "b" });

    const moved = await M.update("a", { email: "a2@x" });
    sameAsStored(moved, await M.getById("a"));
    expect(moved.meta.version).toBe(2);
    // The released value can be taken by another node.
    const took = await M.update("b", { email: "a@x" });
    sameAsStored(took, await M.getById("b"));

    const before = await M.getById("a");
    const refused = await M.update("a", { email: "a@x" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UniquenessError);
    expect(await M.getById("a")).toEqual(before);
    // The store goes on working after the refusal.
    const next = await M.update("a", { score: 9 });
    expect(next.meta.version).toBe(3);
    sameAsStored(next, await M.getById("a"));
  });

  it("update with window options answers the window it wrote", async () => {
    const store = await openStore();
    const M = store.nodes.Member;
    await M.create({ handle: "w" }, { id: "w" });
    const until = "2999-01-01T00:00:00.000Z";
    const ended = await M.update("w", { score: 1 }, { validTo: until });
    expect(ended.meta.validTo).toBe(until);
    sameAsStored(ended, await M.getById("w"));
    const reopened = await M.update("w", { score: 2 }, { clearValidTo: true });
    expect(reopened.meta.validTo).toBeUndefined();
    sameAsStored(reopened, await M.getById("w"));
  });

  it("a refused update (validation, missing, deleted) rejects, writes nothing, and keeps the answer path working", async () => {
    const store = await openStore();
    const M = store.nodes.Member;
    const ann = await M.create({ handle: "ann" }, { id: "ann" });
    const pending = M.update("ann", { score: "high" as unknown as number });
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending.catch((e: unknown) => e)).toBeInstanceOf(ValidationError);
    expect(await M.update("nobody", { score: 1 }).catch((e: unknown) => e)).toBeInstanceOf(NodeNotFoundError);
    await M.delete("ann");
    expect(await M.update("ann", { score: 1 }).catch((e: unknown) => e)).toBeInstanceOf(NodeNotFoundError);
    const tomb = (await M.getById("ann", "includeTombstones"))!;
    expect(tomb.meta.deletedAt).toBeDefined();
    expect(tomb).toMatchObject({ handle: ann.handle, score: 0 });
  });

  it("create and edges.create reject (never throw) and write nothing when refused", async () => {
    const store = await openStore();
    const M = store.nodes.Member;
    const bad = M.create({ handle: 3 as unknown as string });
    expect(bad).toBeInstanceOf(Promise);
    expect(await bad.catch((e: unknown) => e)).toBeInstanceOf(ValidationError);
    const taken = await M.create({ handle: "t" }, { id: "t" });
    expect(await M.create({ handle: "again" }, { id: "t" }).catch((e: unknown) => e)).toBeInstanceOf(ValidationError);
    sameAsStored(taken, await M.getById("t"));
    expect(await M.count()).toBe(1);

    const team = await store.nodes.Team.create({ name: "Reds" }, { id: "reds" });
    const badEdge = store.edges.memberOf.create(taken, team, { role: 5 as unknown as string });
    expect(badEdge).toBeInstanceOf(Promise);
    expect(await badEdge.catch((e: unknown) => e)).toBeInstanceOf(ValidationError);
    expect(await store.edges.memberOf.count()).toBe(0);
  });

  it("edges.create answers the row as stored and refuses a missing or deleted endpoint", async () => {
    const store = await openStore();
    const M = store.nodes.Member;
    const a = await M.create({ handle: "a" }, { id: "a" });
    const reds = await store.nodes.Team.create({ name: "Reds" }, { id: "reds" });
    const e = await store.edges.memberOf.create(a, reds);
    expect(e).toMatchObject({ kind: "memberOf", fromKind: "Member", fromId: "a", toKind: "Team", toId: "reds", role: "player" });
    sameAsStored(e, await store.edges.memberOf.getById(e.id));

    const missing = await store.edges.memberOf.create(a, { kind: "Team", id: "ghost" }).catch((x: unknown) => x);
    expect(missing).toBeInstanceOf(EndpointNotFoundError);
    await M.create({ handle: "gone" }, { id: "gone" });
    await M.delete("gone");
    const deleted = await store.edges.memberOf.create({ kind: "Member", id: "gone" }, reds).catch((x: unknown) => x);
    expect(deleted).toBeInstanceOf(EndpointNotFoundError);
    expect(await store.edges.memberOf.count()).toBe(1);

    // A taken edge id is refused and the stored edge is untouched.
    const again = await store.edges.memberOf.create(a, reds, {}, { id: e.id }).catch((x: unknown) => x);
    expect(again).toBeInstanceOf(ValidationError);
    sameAsStored(e, await store.edges.memberOf.getById(e.id));
  });

  it("edges.create with cardinality one refuses a second edge from the same node and writes nothing", async () => {
    const store = await openStore();
    const a = await store.nodes.Member.create({ handle: "a" }, { id: "a" });
    const reds = await store.nodes.Team.create({ name: "Reds" }, { id: "reds" });
    const blues = await store.nodes.Team.create({ name: "Blues" }, { id: "blues" });
    const first = await store.edges.captains.create(a, reds);
    sameAsStored(first, await store.edges.captains.getById(first.id));
    const second = await store.edges.captains.create(a, blues).catch((x: unknown) => x);
    expect(second).toBeInstanceOf(CardinalityError);
    expect(await store.edges.captains.count()).toBe(1);
    const missing = await store.edges.captains.create({ kind: "Member", id: "ghost" }, blues).catch((x: unknown) => x);
    expect(missing).toBeInstanceOf(EndpointNotFoundError);
    expect(await store.edges.captains.count()).toBe(1);
  });

  it("generated ids are distinct 21-character ids", async () => {
    const store = await openStore();
    const ids = new Set<string>();
    for (let i = 0; i < 450; i++) ids.add((await store.nodes.Team.create({ name: `t${i}` })).id);
    expect(ids.size).toBe(450);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{21}$/);
  });

  it("a history store's update answers the row as stored and records the write", async () => {
    const store = await openStore({ history: true });
    const M = store.nodes.Member;
    const made = await M.create({ handle: "h" }, { id: "h" });
    const r1 = await store.recordedNow();
    const up = await M.update("h", { handle: " H2 ", score: 4 });
    expect(up).toMatchObject({ handle: "h2", score: 4 });
    sameAsStored(up, await M.getById("h"));
    const r2 = await store.recordedNow();
    expect(r2).toBeDefined();
    expect(r2).not.toEqual(r1);
    // A refused update records nothing.
    expect(await M.update("h", { score: "x" as unknown as number }).catch((e: unknown) => e)).toBeInstanceOf(ValidationError);
    expect(await store.recordedNow()).toEqual(r2);
    expect(made.meta.version).toBe(1);
  });
});
