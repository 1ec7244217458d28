// Write semantics pinned against upstream's documented behaviour (issue 4): repeated ids in
// `bulkUpsertById` apply in order, edge identity mismatches, the validity-window options of
// upserts and endpoint get-or-create (lower-bound policy, `validTo`, `clearValidTo`), and the
// `coalesceUnchangedUpserts` store option. Every case runs on each backend.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  EDGE_IDENTITY_MISMATCH_CODE,
  IMMUTABLE_VALIDITY_LOWER_BOUND_CODE,
  INVERTED_VALIDITY_WINDOW_CODE,
  UniquenessError,
  ValidationError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  type GraphBackend,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Crew = defineNode("Crew", { schema: z.object({ handle: z.string(), rank: z.number().optional() }) });
const Ship = defineNode("Ship", { schema: z.object({ hull: z.string() }) });
const Badge = defineNode("Badge", {
  schema: z.object({
    serial: z.string(),
    tier: z.string().default("bronze"),
    code: z
      .string()
      .optional()
      .transform((v) => v?.toLowerCase()),
  }),
});
const salutes = defineEdge("salutes", { schema: z.object({ note: z.string().optional() }) });
const servesOn = defineEdge("servesOn", { schema: z.object({ post: z.string() }) });

function crewGraph(id: string) {
  return defineGraph({
    id,
    nodes: { Crew: { type: Crew }, Ship: { type: Ship }, Badge: { type: Badge, unique: [{ name: "badge_serial", fields: ["serial"] }] } },
    edges: {
      salutes: { type: salutes, from: [Crew], to: [Crew] },
      servesOn: { type: servesOn, from: [Crew], to: [Ship] },
    },
  });
}

const T1 = "2011-04-01T00:00:00.000Z";
const T2 = "2013-09-30T12:00:00.000Z";
const T3 = "2015-02-01T00:00:00.000Z";
const T4 = "2017-06-15T08:30:00.000Z";
const FAR = "2199-12-31T00:00:00.000Z";

async function refusal(p: Promise<unknown>): Promise<ValidationError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

function codes(e: ValidationError): unknown[] {
  return ((e.details.issues ?? []) as { code?: string }[]).map((i) => i.code);
}

describe.each(backends)("upsert semantics on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function setup(options: { coalesceUnchangedUpserts?: boolean } = {}) {
    const graph = crewGraph(freshGraphId(`upsem_${bc.name}`));
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend, options);
    return store;
  }

  describe("bulkUpsertById with repeated ids", () => {
    it("creates with the first copy and updates with each later one, in order", async () => {
      const store = await setup();
      const out = await store.nodes.Crew.bulkUpsertById([
        { id: "r1", props: { handle: "ash", rank: 3 } },
        { id: "r1", props: { handle: "birch", rank: 4 } },
        { id: "r1", props: { handle: "cedar" } },
      ]);
      expect(out.map((n) => [n.handle, n.rank, n.meta.version])).toEqual([
        ["ash", 3, 1],
        ["birch", 4, 2],
        ["cedar", 4, 3],
      ]);
      const stored = await store.nodes.Crew.getById("r1");
      expect(stored).toMatchObject({ handle: "cedar", rank: 4, meta: { version: 3 } });

      // Same as the items applied one at a time.
      await store.nodes.Crew.upsertById("r2", { handle: "ash", rank: 3 });
      await store.nodes.Crew.upsertById("r2", { handle: "birch", rank: 4 });
      const seq = await store.nodes.Crew.upsertById("r2", { handle: "cedar" });
      expect([seq.handle, seq.rank, seq.meta.version]).toEqual([stored!.handle, stored!.rank, stored!.meta.version]);
    });

    it("counts every copy of an existing id and keeps other ids' positions", async () => {
      const store = await setup();
      await store.nodes.Crew.create({ handle: "seed", rank: 7 }, { id: "old" });
      const out = await store.nodes.Crew.bulkUpsertById([
        { id: "fresh", props: { handle: "f1" } },
        { id: "old", props: { handle: "o1" } },
        { id: "fresh", props: { handle: "f2" } },
        { id: "old", props: { handle: "o2" } },
        { id: "solo", props: { handle: "s" } },
      ]);
      expect(out.map((n) => `${n.id}:${n.handle}:${n.meta.version}`)).toEqual(["fresh:f1:1", "old:o1:2", "fresh:f2:2", "old:o2:3", "solo:s:1"]);
      expect(await store.nodes.Crew.getById("old")).toMatchObject({ handle: "o2", rank: 7, meta: { version: 3 } });
    });

    it("applies a later copy's validTo over the created row's lower bound", async () => {
      const store = await setup();
      const [first, second] = await store.nodes.Crew.bulkUpsertById([
        { id: "w", props: { handle: "a" }, validFrom: T1 },
        { id: "w", props: { handle: "b" }, validTo: T3 },
      ]);
      expect(first!.meta.validTo).toBeUndefined();
      expect(second!.meta).toMatchObject({ validFrom: T1, validTo: T3, version: 2 });
    });

    it("moves the uniqueness claim to the final value", async () => {
      const store = await setup();
      await store.nodes.Badge.bulkUpsertById([
        { id: "b1", props: { serial: "S-100" } },
        { id: "b1", props: { serial: "S-200" } },
      ]);
      const other = await store.nodes.Badge.create({ serial: "S-100" });
      expect(other.id).not.toBe("b1");
      await expect(store.nodes.Badge.create({ serial: "S-200" })).rejects.toBeInstanceOf(UniquenessError);
    });

    it("reports a failing later copy by its position and writes nothing", async () => {
      const store = await setup();
      const ship = await store.nodes.Ship.create({ hull: "H1" });
      const ann = await store.nodes.Crew.create({ handle: "ann" });
      const error = await refusal(
        store.edges.servesOn.bulkUpsertById([
          { id: "e1", from: ann, to: ship, props: { post: "deck" } },
          { id: "e2", from: ann, to: ship, props: { post: "helm" } },
          { id: "e1", from: ann, to: ship, props: { post: "galley" }, validFrom: T2 },
        ]),
      );
      expect(codes(error)).toContain(IMMUTABLE_VALIDITY_LOWER_BOUND_CODE);
      expect(error.details.index).toBe(2);
      expect(error.message).toContain("(item 2)");
      expect(await store.edges.servesOn.getByIds(["e1", "e2"])).toEqual([undefined, undefined]);
    });

    it("creates a repeated new edge id once and updates it; endpoints stay fixed", async () => {
      const store = await setup();
      const [a, b, c] = await store.nodes.Crew.bulkCreate([
        { id: "ca", props: { handle: "a" } },
        { id: "cb", props: { handle: "b" } },
        { id: "cc", props: { handle: "c" } },
      ]);
      const out = await store.edges.salutes.bulkUpsertById([
        { id: "s1", from: a!, to: b!, props: { note: "first" } },
        { id: "s1", from: a!, to: b!, props: { note: "second" } },
      ]);
      expect(out.map((e) => e.note)).toEqual(["first", "second"]);
      expect(await store.edges.salutes.getById("s1")).toMatchObject({ note: "second", fromId: "ca", toId: "cb" });

      const moved = await refusal(
        store.edges.salutes.bulkUpsertById([
          { id: "s2", from: a!, to: b!, props: { note: "x" } },
          { id: "s2", from: a!, to: c!, props: { note: "y" } },
        ]),
      );
      expect(codes(moved)).toContain(EDGE_IDENTITY_MISMATCH_CODE);
      expect(await store.edges.salutes.getById("s2")).toBeUndefined();
    });
  });

  it("a multi-row edge bulkCreate refused for a taken id names the item, not a stored row", async () => {
    const store = await setup();
    const [a, b] = await store.nodes.Crew.bulkCreate([{ props: { handle: "a" } }, { props: { handle: "b" } }]);
    const taken = await store.edges.salutes.create(a!, b!, {});
    const error = await refusal(
      store.edges.salutes.bulkCreate([
        { id: "new-one", from: a!, to: b!, props: {} },
        { id: taken.id, from: a!, to: b!, props: {} },
        { id: "new-two", from: a!, to: b!, props: {} },
      ]),
    );
    expect(codes(error)).toContain("ENTITY_ALREADY_EXISTS");
    expect(error.details).toMatchObject({ entityType: "edge", kind: "salutes", operation: "create", index: 1 });
    expect(error.details.id).toBeUndefined();
    expect(error.message).toContain("one of the 3 salutes ids");
    // One row still names its id.
    const single = await refusal(store.edges.salutes.bulkCreate([{ id: taken.id, from: a!, to: b!, props: {} }]));
    expect(single.details.id).toBe(taken.id);
    expect(await store.edges.salutes.count()).toBe(1);
  });

  describe("edges reached through another kind's collection", () => {
    it("refuses update, delete, hardDelete and bulkUpsertById with EDGE_IDENTITY_MISMATCH", async () => {
      const store = await setup();
      const [a, b] = await store.nodes.Crew.bulkCreate([{ props: { handle: "a" } }, { props: { handle: "b" } }]);
      const edge = await store.edges.salutes.create(a!, b!, { note: "keep" }, { id: "x1" });
      // Each call starts only when its turn comes: no refusal is left pending unobserved.
      const cases: [() => Promise<unknown>, string][] = [
        [() => store.edges.servesOn.update("x1", { post: "p" }), "update"],
        [() => store.edges.servesOn.delete("x1"), "delete"],
        [() => store.edges.servesOn.hardDelete("x1"), "hardDelete"],
        [() => store.edges.servesOn.bulkUpsertById([{ id: "x1", from: a!, to: b! as never, props: { post: "p" } }]), "update"],
        [() => store.edges.servesOn.bulkDelete(["x1"]), "delete"],
      ];
      for (const [call, operation] of cases) {
        const error = await refusal(call());
        expect(error.details.operation).toBe(operation);
        expect(codes(error)).toContain(EDGE_IDENTITY_MISMATCH_CODE);
      }
      expect(await store.edges.salutes.getById(edge.id)).toMatchObject({ note: "keep", meta: { deletedAt: undefined } });
      // A missing id is still just missing.
      await expect(store.edges.servesOn.update("nope", { post: "p" })).rejects.toMatchObject({ code: "EDGE_NOT_FOUND" });
    });

    it("rolls back the whole bulkDelete when a later id is of another kind", async () => {
      const store = await setup();
      const [a, b] = await store.nodes.Crew.bulkCreate([{ props: { handle: "a" } }, { props: { handle: "b" } }]);
      const ship = await store.nodes.Ship.create({ hull: "H" });
      const s1 = await store.edges.salutes.create(a!, b!, {});
      const s2 = await store.edges.salutes.create(b!, a!, {});
      const post = await store.edges.servesOn.create(a!, ship, { post: "deck" });
      await refusal(store.edges.salutes.bulkDelete([s1.id, s2.id, post.id]));
      expect(await store.edges.salutes.count()).toBe(2);
      expect(await store.edges.servesOn.count()).toBe(1);
    });
  });

  it("matchOn names only the edge's own fields", async () => {
    const store = await setup();
    const [a, b] = await store.nodes.Crew.bulkCreate([{ props: { handle: "a" } }, { props: { handle: "b" } }]);
    for (const name of ["constructor", "hasOwnProperty", "valueOf"]) {
      const error = await refusal(store.edges.salutes.getOrCreateByEndpoints(a!, b!, {}, { matchOn: [name as never] }));
      expect(error.message).toContain(name);
      expect(error.details.issues).toEqual([expect.objectContaining({ path: name })]);
    }
    await refusal(store.edges.salutes.bulkGetOrCreateByEndpoints([{ from: a!, to: b!, props: {} }], { matchOn: ["toString" as never] }));
    expect(await store.edges.salutes.count()).toBe(0);
  });

  describe("endpoint get-or-create windows", () => {
    async function pair() {
      const store = await setup();
      const crew = await store.nodes.Crew.create({ handle: "kim" });
      const ship = await store.nodes.Ship.create({ hull: "Vega" });
      return { store, crew, ship };
    }

    it("stores the window on create, leaves it alone when found, moves only the end on update", async () => {
      const { store, crew, ship } = await pair();
      const made = await store.edges.servesOn.getOrCreateByEndpoints(crew, ship, { post: "deck" }, { validFrom: T1, validTo: T4 });
      expect(made.action).toBe("created");
      expect(made.edge.meta).toMatchObject({ validFrom: T1, validTo: T4 });
      const found = await store.edges.servesOn.getOrCreateByEndpoints(crew, ship, { post: "helm" }, { validFrom: T2, validTo: T3 });
      expect(found.action).toBe("found");
      expect(found.edge.meta).toMatchObject({ validFrom: T1, validTo: T4 });
      const updated = await store.edges.servesOn.getOrCreateByEndpoints(crew, ship, { post: "helm" }, { ifExists: "update", validTo: T3 });
      expect(updated.action).toBe("updated");
      expect(updated.edge).toMatchObject({ post: "helm", meta: { validFrom: T1, validTo: T3 } });
      // Restating the held lower bound is accepted.
      const restated = await store.edges.servesOn.getOrCreateByEndpoints(crew, ship, { post: "mess" }, { ifExists: "update", validFrom: T1 });
      expect(restated.edge).toMatchObject({ post: "mess", meta: { validFrom: T1, validTo: T3 } });
    });

    it("refuses a lower bound the live edge does not hold, unless preserved", async () => {
      const { store, crew, ship } = await pair();
      await store.edges.servesOn.getOrCreateByEndpoints(crew, ship, { post: "deck" }, { validFrom: T1 });
      const refused = await refusal(store.edges.servesOn.getOrCreateByEndpoints(crew, ship, { post: "helm" }, { ifExists: "update", validFrom: T2, validTo: T4 }));
      expect(codes(refused)).toContain(IMMUTABLE_VALIDITY_LOWER_BOUND_CODE);
      expect(refused.message).toContain(T1);
      expect((await store.edges.servesOn.find())[0]).toMatchObject({ post: "deck", meta: { validFrom: T1, validTo: undefined } });

      // Preserved: judged on the window actually kept (T1..T2 is ordered though T3 > T2).
      const kept = await store.edges.servesOn.getOrCreateByEndpoints(crew, ship, { post: "helm" }, { ifExists: "update", validFrom: T3, validTo: T2, onImmutableLowerBound: "preserve" });
      expect(kept.edge).toMatchObject({ post: "helm", meta: { validFrom: T1, validTo: T2 } });

      const inverted = await refusal(
        store.edges.servesOn.getOrCreateByEndpoints(crew, ship, { post: "x" }, { ifExists: "update", validFrom: "2001-01-01T00:00:00.000Z", validTo: "2005-01-01T00:00:00.000Z", onImmutableLowerBound: "preserve" }),
      );
      expect(codes(inverted)).toContain(INVERTED_VALIDITY_WINDOW_CODE);
      expect(inverted.message).toMatch(/Inverted validity window/);
      const malformed = await refusal(store.edges.servesOn.getOrCreateByEndpoints(crew, ship, { post: "x" }, { ifExists: "update", validFrom: "someday", onImmutableLowerBound: "preserve" }));
      expect(malformed.message).toMatch(/Invalid canonical ISO 8601 datetime for "validFrom"/);
    });

    it("gives a resurrected edge the complete stated window", async () => {
      const { store, crew, ship } = await pair();
      const made = await store.edges.servesOn.getOrCreateByEndpoints(crew, ship, { post: "deck" }, { validFrom: T1, validTo: T2 });
      await store.edges.servesOn.delete(made.edge.id);
      const back = await store.edges.servesOn.getOrCreateByEndpoints(crew, ship, { post: "helm" }, { validFrom: T3, onImmutableLowerBound: "preserve" });
      expect(back.action).toBe("resurrected");
      expect(back.edge).toMatchObject({ id: made.edge.id, post: "helm", meta: { validFrom: T3, validTo: undefined, deletedAt: undefined } });
    });

    it("applies per-item windows and policies in bulk, atomically", async () => {
      const { store, crew, ship } = await pair();
      const other = await store.nodes.Crew.create({ handle: "lee" });
      const third = await store.nodes.Crew.create({ handle: "max" });
      const created = await store.edges.servesOn.bulkGetOrCreateByEndpoints([
        { from: crew, to: ship, props: { post: "deck" }, validFrom: T1 },
        { from: other, to: ship, props: { post: "deck" }, validFrom: T2, validTo: FAR },
      ]);
      expect(created.map((r) => [r.action, r.edge.meta.validFrom, r.edge.meta.validTo])).toEqual([
        ["created", T1, undefined],
        ["created", T2, FAR],
      ]);

      // One strict item naming a bound the edge does not hold sinks the whole batch.
      const refused = await refusal(
        store.edges.servesOn.bulkGetOrCreateByEndpoints(
          [
            { from: crew, to: ship, props: { post: "helm" }, validFrom: T3, onImmutableLowerBound: "preserve" },
            { from: other, to: ship, props: { post: "helm" }, validFrom: T3 },
          ],
          { ifExists: "update" },
        ),
      );
      expect(codes(refused)).toContain(IMMUTABLE_VALIDITY_LOWER_BOUND_CODE);
      expect((await store.edges.servesOn.find()).map((e) => e.post)).toEqual(["deck", "deck"]);

      const mixed = await store.edges.servesOn.bulkGetOrCreateByEndpoints(
        [
          { from: crew, to: ship, props: { post: "helm" }, validFrom: T3, validTo: T4, onImmutableLowerBound: "preserve" },
          { from: third, to: ship, props: { post: "cook" }, validFrom: T3, validTo: T4, onImmutableLowerBound: "preserve" },
        ],
        { ifExists: "update" },
      );
      expect(mixed.map((r) => [r.action, r.edge.meta.validFrom, r.edge.meta.validTo])).toEqual([
        ["updated", T1, T4],
        ["created", T3, T4],
      ]);
    });
  });

  describe("clearValidTo", () => {
    it("reopens nodes through update, upsertById and bulkUpsertById, and revives tombstones open", async () => {
      const store = await setup();
      await store.nodes.Crew.bulkCreate(["n1", "n2", "n3", "n4"].map((id) => ({ id, props: { handle: id }, validTo: FAR })));
      expect((await store.nodes.Crew.update("n1", {}, { clearValidTo: true })).meta.validTo).toBeUndefined();
      expect((await store.nodes.Crew.upsertById("n2", { handle: "n2" }, { clearValidTo: true })).meta.validTo).toBeUndefined();
      const [n3] = await store.nodes.Crew.bulkUpsertById([{ id: "n3", props: { handle: "n3" }, clearValidTo: true }]);
      expect(n3!.meta).toMatchObject({ validTo: undefined, version: 2 });
      await store.nodes.Crew.delete("n4");
      const n4 = await store.nodes.Crew.upsertById("n4", { handle: "n4" }, { clearValidTo: true });
      expect(n4.meta).toMatchObject({ validTo: undefined, deletedAt: undefined });
      const both = await refusal(store.nodes.Crew.upsertById("n1", { handle: "n1" }, { clearValidTo: true, validTo: FAR }));
      expect(both.details.issues).toEqual([expect.objectContaining({ path: "clearValidTo" })]);
      await refusal(store.nodes.Crew.bulkUpsertById([{ id: "n1", props: { handle: "n1" }, clearValidTo: true, validTo: FAR }]));
    });

    it("reopens edges through update, bulkUpsertById and both endpoint forms", async () => {
      const store = await setup();
      const crew = await store.nodes.Crew.create({ handle: "ivy" });
      const ship = await store.nodes.Ship.create({ hull: "Orion" });
      const [e1, e2, e3, e4, e5] = await store.edges.servesOn.bulkCreate(
        ["p1", "p2", "p3", "p4", "p5"].map((post) => ({ from: crew, to: ship, props: { post }, validTo: FAR })),
      );
      expect((await store.edges.servesOn.update(e1!.id, {}, { clearValidTo: true })).meta.validTo).toBeUndefined();
      const [b] = await store.edges.servesOn.bulkUpsertById([{ id: e2!.id, from: crew, to: ship, props: { post: "p2" }, clearValidTo: true }]);
      expect(b!.meta.validTo).toBeUndefined();
      const single = await store.edges.servesOn.getOrCreateByEndpoints(crew, ship, { post: "p3" }, { matchOn: ["post"], ifExists: "update", clearValidTo: true });
      expect(single.edge).toMatchObject({ id: e3!.id, meta: { validTo: undefined } });
      const [bulk] = await store.edges.servesOn.bulkGetOrCreateByEndpoints([{ from: crew, to: ship, props: { post: "p4" }, clearValidTo: true }], { matchOn: ["post"], ifExists: "update" });
      expect(bulk!.edge).toMatchObject({ id: e4!.id, meta: { validTo: undefined } });
      await store.edges.servesOn.delete(e5!.id);
      const revived = await store.edges.servesOn.getOrCreateByEndpoints(crew, ship, { post: "p5" }, { matchOn: ["post"], clearValidTo: true });
      expect(revived).toMatchObject({ action: "resurrected", edge: { id: e5!.id, meta: { validTo: undefined, deletedAt: undefined } } });
      // A live bulk edge update moves its end too.
      const [moved] = await store.edges.servesOn.bulkUpsertById([{ id: e1!.id, from: crew, to: ship, props: { post: "p1" }, validTo: FAR }]);
      expect(moved!.meta.validTo).toBe(FAR);
    });

    it("needs ifExists: 'update' to reopen a live endpoint match", async () => {
      const store = await setup();
      const crew = await store.nodes.Crew.create({ handle: "oak" });
      const ship = await store.nodes.Ship.create({ hull: "Lyra" });
      await store.edges.servesOn.create(crew, ship, { post: "deck" }, { validTo: FAR });
      // One call at a time: each refusal is awaited before the next call starts.
      for (const call of [
        () => store.edges.servesOn.getOrCreateByEndpoints(crew, ship, { post: "deck" }, { clearValidTo: true }),
        () =>
          store.edges.servesOn.bulkGetOrCreateByEndpoints([
            { from: crew, to: ship, props: { post: "deck" }, clearValidTo: true },
          ]),
      ]) {
        const error = await (call() as Promise<unknown>).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ConfigurationError);
        expect((error as ConfigurationError).details.code).toBe("CLEAR_VALID_TO_REQUIRES_UPDATE");
      }
      expect((await store.edges.servesOn.find())[0]!.meta.validTo).toBe(FAR);
    });
  });

  it("accepts only fixed-width UTC bounds", async () => {
    const store = await setup();
    for (const bad of ["2020-01-01T00:00:00Z", "2020-01-01T02:00:00.000+02:00", "2020-01-01"]) {
      const error = await refusal(store.nodes.Crew.create({ handle: "t" }, { validFrom: bad }));
      expect(error.message).toMatch(/Invalid canonical ISO 8601 datetime for "validFrom"/);
    }
    const ok = await store.nodes.Crew.create({ handle: "t" }, { validFrom: new Date(T1) });
    expect(ok.meta.validFrom).toBe(T1);
  });

  describe("coalesceUnchangedUpserts", () => {
    it("writes nothing for a value-identical single upsert, whatever the key order", async () => {
      const store = await setup({ coalesceUnchangedUpserts: true });
      const first = await store.nodes.Crew.upsertById("c1", { handle: "h", rank: 2 });
      const again = await store.nodes.Crew.upsertByIdFromRecord("c1", { rank: 2, handle: "h" });
      expect(again.meta).toEqual(first.meta);
      const changed = await store.nodes.Crew.upsertById("c1", { handle: "h", rank: 3 });
      expect(changed.meta.version).toBe(2);
      // Re-stating the stored end coalesces; moving it writes.
      const ended = await store.nodes.Crew.upsertById("c1", { handle: "h", rank: 3 }, { validTo: FAR });
      expect(ended.meta.version).toBe(3);
      expect((await store.nodes.Crew.upsertById("c1", { handle: "h", rank: 3 }, { validTo: FAR })).meta.version).toBe(3);
      const reopened = await store.nodes.Crew.upsertById("c1", { handle: "h", rank: 3 }, { clearValidTo: true });
      expect(reopened.meta).toMatchObject({ version: 4, validTo: undefined });
      const replay = await store.nodes.Crew.upsertById("c1", { handle: "h", rank: 3 }, { clearValidTo: true });
      expect(replay.meta).toEqual(reopened.meta);
    });

    it("still refuses a lower bound the live row does not hold, and a malformed bound", async () => {
      const store = await setup({ coalesceUnchangedUpserts: true });
      const made = await store.nodes.Crew.upsertById("c2", { handle: "h" }, { validFrom: T1 });
      const refused = await refusal(store.nodes.Crew.upsertById("c2", { handle: "h" }, { validFrom: T2 }));
      expect(codes(refused)).toContain(IMMUTABLE_VALIDITY_LOWER_BOUND_CODE);
      expect((await store.nodes.Crew.upsertById("c2", { handle: "h" }, { validFrom: T1 })).meta).toEqual(made.meta);
      expect((await store.nodes.Crew.upsertById("c2", { handle: "h" }, { validFrom: T2, onImmutableLowerBound: "preserve" })).meta).toEqual(made.meta);
      await refusal(store.nodes.Crew.upsertById("c2", { handle: "h" }, { validTo: "2199-12-31T00:00:00Z" }));
      await refusal(store.nodes.Crew.bulkUpsertById([{ id: "c2", props: { handle: "h" }, validTo: "soon" }]));
    });

    it("coalesces per item in bulk, against the running value of a repeated id", async () => {
      const store = await setup({ coalesceUnchangedUpserts: true });
      await store.nodes.Crew.upsertById("k1", { handle: "same" });
      const out = await store.nodes.Crew.bulkUpsertById([
        { id: "k1", props: { handle: "same" } },
        { id: "k2", props: { handle: "p" } },
        { id: "k2", props: { handle: "p" } },
        { id: "k2", props: { handle: "q" } },
        { id: "k2", props: { handle: "q" } },
      ]);
      expect(out.map((n) => `${n.id}:${n.handle}:${n.meta.version}`)).toEqual(["k1:same:1", "k2:p:1", "k2:p:1", "k2:q:2", "k2:q:2"]);
      expect(out[2]).toBe(out[1]);
      expect(out[4]).toBe(out[3]);
      // The comparison sees what the create stored (defaults, transforms), not the raw input.
      const badges = await store.nodes.Badge.bulkUpsertById([
        { id: "bd", props: { serial: "Z", code: "QQ" } },
        { id: "bd", props: { serial: "Z", code: "QQ" } },
      ]);
      expect(badges[1]).toBe(badges[0]);
      expect(badges[0]).toMatchObject({ tier: "bronze", code: "qq", meta: { version: 1 } });
    });

    it("coalesces edges: repeated bulk copies and an unchanged endpoint update ('found')", async () => {
      const store = await setup({ coalesceUnchangedUpserts: true });
      const [a, b] = await store.nodes.Crew.bulkCreate([{ props: { handle: "a" } }, { props: { handle: "b" } }]);
      const out = await store.edges.salutes.bulkUpsertById([
        { id: "g1", from: a!, to: b!, props: { note: "hi" } },
        { id: "g1", from: a!, to: b!, props: { note: "hi" } },
      ]);
      expect(out[1]).toBe(out[0]);
      const replay = await store.edges.salutes.bulkUpsertById([{ id: "g1", from: a!, to: b!, props: { note: "hi" } }]);
      expect(replay[0]!.meta.updatedAt).toBe(out[0]!.meta.updatedAt);

      const crew = await store.nodes.Crew.create({ handle: "c" });
      const ship = await store.nodes.Ship.create({ hull: "S" });
      await store.edges.servesOn.getOrCreateByEndpoints(crew, ship, { post: "deck" }, { validTo: FAR });
      const same = await store.edges.servesOn.getOrCreateByEndpoints(crew, ship, { post: "deck" }, { ifExists: "update", validTo: FAR });
      expect(same.action).toBe("found");
      const moved = await store.edges.servesOn.getOrCreateByEndpoints(crew, ship, { post: "deck" }, { ifExists: "update", clearValidTo: true });
      expect(moved.action).toBe("updated");
      expect(moved.edge.meta.validTo).toBeUndefined();
    });

    it("is off by default: an identical upsert writes", async () => {
      const store = await setup();
      await store.nodes.Crew.upsertById("d1", { handle: "h" });
      expect((await store.nodes.Crew.upsertById("d1", { handle: "h" })).meta.version).toBe(2);
      const [again] = await store.nodes.Crew.bulkUpsertById([{ id: "d1", props: { handle: "h" } }]);
      expect(again!.meta.version).toBe(3);
    });
  });
});
