// bulkUpsertById / bulkGetOrCreateByConstraint answer most rows without the engine rendering
// them (a create without a stated window and a live row updated in place are built from the row
// the merge step got and the engine's clock), and an item that gives every field of a plain
// object schema gets no stored props to merge over. Pinned here against what getById reads back,
// key order included, on each path: creates, full and partial updates, zod defaults, transforms
// and refinements, catchall schemas (stored extra keys kept), window options, resurrections,
// repeated ids, coalescing, unique keys changing inside the batch, and failures writing nothing.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { UniquenessError, ValidationError, createStoreWithSchema, defineGraph, defineNode, type GraphBackend } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Member = defineNode("Member", {
  schema: z
    .object({
      handle: z.string().transform((s) => s.trim().toLowerCase()),
      email: z.string().optional(),
      tier: z.enum(["free", "paid"]).default("free"),
      low: z.number().default(0),
      high: z.number().default(10),
    })
    .refine((m) => m.low <= m.high, { message: "low above high" }),
});
// A catchall schema keeps keys it does not declare: stored extras survive a full item.
const Loose = defineNode("Loose", { schema: z.looseObject({ name: z.string(), n: z.number() }) });

function graphOf(id: string) {
  return defineGraph({
    id,
    nodes: {
      Member: { type: Member, unique: [{ name: "member_email", fields: ["email"], where: (m) => m.email.isNotNull() }] },
      Loose: { type: Loose },
    },
    edges: {},
  });
}

/** The answer equals the row read back; keys in the same order where the store keeps the order
 *  written (PostgreSQL's jsonb reorders stored keys: the answer keeps the order sent). */
function sameAsStored(answer: object, stored: object | undefined, keyOrder: boolean) {
  expect(stored).toBeDefined();
  expect(answer).toEqual(stored);
  const keys = (o: object) => (keyOrder ? Object.keys(o) : Object.keys(o).sort());
  expect(keys(answer)).toEqual(keys(stored!));
  expect(Object.keys((answer as { meta: object }).meta)).toEqual(Object.keys((stored as { meta: object }).meta));
}

describe.each(backends)("bulk upsert answers on $name", (bc) => {
  const open: GraphBackend[] = [];
  const same = (answer: object, stored: object | undefined) => sameAsStored(answer, stored, bc.name === "sqlite");
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function openStore(options: { coalesceUnchangedUpserts?: boolean } = {}) {
    const graph = graphOf(freshGraphId(`bua_${bc.name}`));
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend, options);
    return store;
  }

  it("answers creates, full and partial updates as stored, with defaults and transforms", async () => {
    const store = await openStore();
    const M = store.nodes.Member;
    await M.bulkCreate([
      { id: "a", props: { handle: "A", tier: "paid", low: 1, high: 5 } },
      { id: "b", props: { handle: "B", email: "b@x", low: 2 } },
    ]);
    const before = await M.getById("a");
    const out = await M.bulkUpsertById([
      // Every field given: merged over nothing stored.
      { id: "a", props: { handle: " AA ", email: undefined, tier: "free", low: 3, high: 4 } },
      // Partial: tier, low and high come from the stored row.
      { id: "b", props: { handle: " Bee " } },
      // New ids: defaults filled in, one with a stated window.
      { id: "c", props: { handle: "C" } },
      { id: "d", props: { handle: "D", email: "d@x" }, validFrom: "2020-01-01T00:00:00.000Z" },
    ]);
    for (const node of out) same(node, await M.getById(node.id));
    expect(out[0]).toMatchObject({ handle: "aa", tier: "free", low: 3, high: 4, meta: { version: 2, createdAt: before!.meta.createdAt } });
    expect(out[0]).not.toHaveProperty("email");
    expect(out[1]).toMatchObject({ handle: "bee", email: "b@x", tier: "free", low: 2, high: 10, meta: { version: 2 } });
    expect(out[2]).toMatchObject({ handle: "c", tier: "free", low: 0, high: 10, meta: { version: 1, validTo: undefined } });
    expect(out[2]!.meta.validFrom).toBe(out[2]!.meta.createdAt);
    expect(out[3]!.meta.validFrom).toBe("2020-01-01T00:00:00.000Z");
    // One clock for the call: every row written carries the same stamp.
    expect(new Set(out.map((n) => n.meta.updatedAt)).size).toBe(1);

    // The answers are copies: changing one changes neither the store nor a later answer.
    (out[0] as { handle: string }).handle = "changed";
    expect((await M.getById("a"))!.handle).toBe("aa");
  });

  it("checks refinements over the merged props, full items included, and writes nothing on failure", async () => {
    const store = await openStore();
    const M = store.nodes.Member;
    await M.bulkCreate([{ id: "a", props: { handle: "a", low: 1, high: 2 } }]);
    // Partial: high (2) comes from the stored row, so low 5 fails the refinement.
    const partial = await M.bulkUpsertById([
      { id: "n1", props: { handle: "n1" } },
      { id: "a", props: { handle: "a", low: 5 } },
    ]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(partial).toBeInstanceOf(ValidationError);
    expect((partial as ValidationError).details).toMatchObject({ index: 1 });
    // Full: the item's own fields decide.
    const full = await M.bulkUpsertById([{ id: "a", props: { handle: "a", email: undefined, tier: "free", low: 5, high: 4 } }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(full).toBeInstanceOf(ValidationError);
    expect(await M.getById("n1")).toBeUndefined();
    expect(await M.getById("a")).toMatchObject({ low: 1, high: 2, meta: { version: 1 } });
    const ok = await M.bulkUpsertById([{ id: "a", props: { handle: "a", email: undefined, tier: "free", low: 5, high: 6 } }]);
    same(ok[0]!, await M.getById("a"));
  });

  it("keeps a catchall schema's stored extra keys under an item giving every declared field", async () => {
    const store = await openStore();
    const L = store.nodes.Loose;
    await L.bulkCreate([{ id: "l", props: { name: "x", n: 1, note: "kept" } as { name: string; n: number } }]);
    const [up] = await L.bulkUpsertById([{ id: "l", props: { name: "y", n: 2 } }]);
    expect(up).toMatchObject({ name: "y", n: 2, note: "kept", meta: { version: 2 } });
    same(up!, await L.getById("l"));
  });

  it("resurrects tombstones, moves windows and applies repeated ids in order", async () => {
    const store = await openStore();
    const M = store.nodes.Member;
    await M.bulkCreate([
      { id: "dead", props: { handle: "dead", tier: "paid" } },
      { id: "w", props: { handle: "w" } },
    ]);
    await M.delete("dead");
    const out = await M.bulkUpsertById([
      { id: "dead", props: { handle: "Alive", email: undefined, tier: "free", low: 0, high: 1 } },
      { id: "w", props: { handle: "w2" }, validTo: "2999-01-01T00:00:00.000Z" },
      { id: "r", props: { handle: "R1", email: "r@x", tier: "paid", low: 0, high: 1 } },
      { id: "r", props: { handle: "R2" } },
      { id: "r", props: { handle: "R3", email: "r3@x", tier: "free", low: 1, high: 1 } },
    ]);
    expect(out[0]).toMatchObject({ handle: "alive", tier: "free", meta: { deletedAt: undefined } });
    same(out[0]!, await M.getById("dead"));
    expect(out[1]!.meta.validTo).toBe("2999-01-01T00:00:00.000Z");
    same(out[1]!, await M.getById("w"));
    expect(out[2]).toMatchObject({ handle: "r1", email: "r@x", tier: "paid", meta: { version: 1 } });
    expect(out[3]).toMatchObject({ handle: "r2", email: "r@x", tier: "paid", meta: { version: 2 } });
    expect(out[4]).toMatchObject({ handle: "r3", email: "r3@x", tier: "free", meta: { version: 3 } });
    same(out[4]!, await M.getById("r"));
    // The key r@x was given up by the last copy: free for another node.
    await M.create({ handle: "other", email: "r@x" });
  });

  it("coalesces unchanged items (stored props compared) and answers the stored row", async () => {
    const store = await openStore({ coalesceUnchangedUpserts: true });
    const M = store.nodes.Member;
    const [made] = await M.bulkCreate([{ id: "a", props: { handle: "a", tier: "paid", low: 1, high: 2 } }]);
    const out = await M.bulkUpsertById([
      { id: "a", props: { handle: "a", email: undefined, tier: "paid", low: 1, high: 2 } },
      { id: "b", props: { handle: "b" } },
    ]);
    expect(out[0]!.meta.version).toBe(made!.meta.version);
    expect(out[0]!.meta.updatedAt).toBe(made!.meta.updatedAt);
    same(out[0]!, await M.getById("a"));
    same(out[1]!, await M.getById("b"));
  });

  it("moves unique keys inside a batch of full items and refuses a key another node holds", async () => {
    const store = await openStore();
    const M = store.nodes.Member;
    await M.bulkCreate([
      { id: "a", props: { handle: "a", email: "a@x" } },
      { id: "b", props: { handle: "b", email: "b@x" } },
    ]);
    // a gives a@x up for a2@x; b, after it in the batch, takes a@x (b@x released); c is new.
    const out = await M.bulkUpsertById([
      { id: "a", props: { handle: "a", email: "a2@x", tier: "free", low: 0, high: 10 } },
      { id: "b", props: { handle: "b", email: "a@x", tier: "free", low: 0, high: 10 } },
      { id: "c", props: { handle: "c", email: "c@x", tier: "free", low: 0, high: 10 } },
    ]);
    for (const node of out) same(node, await M.getById(node.id));
    expect((await M.findByConstraint("member_email", { email: "a@x" }))?.id).toBe("b");
    expect((await M.findByConstraint("member_email", { email: "a2@x" }))?.id).toBe("a");
    expect((await M.findByConstraint("member_email", { email: "c@x" }))?.id).toBe("c");
    expect(await M.findByConstraint("member_email", { email: "b@x" })).toBeUndefined();
    await M.bulkUpsertById([{ id: "b", props: { handle: "b", email: "b@x", tier: "free", low: 0, high: 10 } }]);
    // b@x is held by b: the batch fails at item 1, nothing written.
    const refused = await M.bulkUpsertById([
      { id: "d", props: { handle: "d", email: "d@x", tier: "free", low: 0, high: 10 } },
      { id: "a", props: { handle: "a", email: "b@x", tier: "free", low: 0, high: 10 } },
    ]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(UniquenessError);
    expect((refused as UniquenessError).details).toMatchObject({ index: 1, existingId: "b", newId: "a" });
    expect(await M.getById("d")).toBeUndefined();
    expect((await M.getById("a"))!.email).toBe("a2@x");
  });

  it("get-or-create by constraint answers as stored: found, updated (full and partial), resurrected, created", async () => {
    const store = await openStore();
    const M = store.nodes.Member;
    await M.bulkCreate([
      { id: "u", props: { handle: "u", email: "u@x", tier: "paid", low: 1, high: 3 } },
      { id: "v", props: { handle: "v", email: "v@x", tier: "paid", low: 1, high: 3 } },
      { id: "gone", props: { handle: "gone", email: "g@x", tier: "paid" } },
    ]);
    await M.delete("gone");
    const updated = await M.bulkGetOrCreateByConstraint(
      "member_email",
      [
        { props: { handle: "U", email: "u@x", tier: "free", low: 2, high: 2 } },
        { props: { handle: "V", email: "v@x" } },
        { props: { handle: "G", email: "g@x", tier: "free", low: 0, high: 0 } },
        { props: { handle: "N", email: "n@x" } },
        { props: { handle: "N again", email: "n@x" } },
      ],
      { ifExists: "update" },
    );
    expect(updated.map((r) => r.action)).toEqual(["updated", "updated", "resurrected", "created", "found"]);
    for (const r of updated.slice(0, 4)) same(r.node, await M.getById(r.node.id));
    expect(updated[0]!.node).toMatchObject({ id: "u", handle: "u", tier: "free", low: 2, high: 2, meta: { version: 2 } });
    // Partial: tier, low and high kept from the stored row.
    expect(updated[1]!.node).toMatchObject({ id: "v", handle: "v", tier: "paid", low: 1, high: 3, meta: { version: 2 } });
    expect(updated[2]!.node).toMatchObject({ id: "gone", handle: "g", meta: { deletedAt: undefined } });
    expect(updated[4]!.node).toBe(updated[3]!.node);

    const found = await M.bulkGetOrCreateByConstraint("member_email", [{ props: { handle: "x", email: "u@x", tier: "paid", low: 9, high: 9 } }]);
    expect(found[0]!.action).toBe("found");
    same(found[0]!.node, await M.getById("u"));
    expect(found[0]!.node).toMatchObject({ handle: "u", low: 2 });

    // A failing merge (refinement over stored high 3) writes nothing.
    const failed = await M.bulkGetOrCreateByConstraint("member_email", [{ props: { handle: "new", email: "new@x" } }, { props: { handle: "v", email: "v@x", low: 7 } }], {
      ifExists: "update",
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(ValidationError);
    expect(await M.findByConstraint("member_email", { email: "new@x" })).toBeUndefined();
  });
});
