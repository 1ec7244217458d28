// Node getOrCreateByConstraint / bulkGetOrCreateByConstraint as one engine call on both
// backends: the engine keys the parsed props under the constraint, reads each distinct key's
// holder, the TypeScript step decides each item (found, updated, resurrected, created) and the
// engine writes the batch in the same transaction. Pinned here: one crossing per call; each
// action with the rows returned equal to the rows stored; `ifExists: "return"` writes nothing;
// a key repeated in the batch (also by collation) resolves to its first item's node; a `where`
// that leaves an item out creates it; a `kindWithSubClasses` scope finds (and updates, under its
// own kind) a relative's node; an unknown constraint is NodeConstraintNotFoundError; a failing
// item writes nothing; inside a transaction the batch goes with its rollback.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createStoreWithSchema,
  defineGraph,
  defineNode,
  NodeConstraintNotFoundError,
  UniquenessError,
  ValidationError,
  type GraphBackend,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", {
  schema: z.object({ email: z.string(), handle: z.string().optional(), age: z.number().int().nonnegative().optional() }),
});
const Employee = defineNode("Employee", { schema: z.object({ email: z.string(), team: z.string().optional() }) });
const Ticket = defineNode("Ticket", { schema: z.object({ serial: z.string(), voidedAt: z.string().optional(), note: z.string().optional() }) });

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

describe.each(backends)("node get-or-create by constraint in one call on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function setup() {
    const graph = defineGraph({
      id: freshGraphId("ngoc1"),
      nodes: {
        Person: {
          type: Person,
          unique: [
            { name: "email", fields: ["email"], scope: "kindWithSubClasses" as const, collation: "caseInsensitive" as const },
            { name: "handle", fields: ["handle"], scope: "kind" as const, where: (f: { handle: { isNotNull(): unknown } }) => f.handle.isNotNull() },
          ],
        },
        Employee: { type: Employee, unique: [{ name: "email", fields: ["email"], scope: "kindWithSubClasses" as const, collation: "caseInsensitive" as const }] },
        Ticket: { type: Ticket, unique: [{ name: "open_serial", fields: ["serial"], scope: "kind" as const, where: (f: { voidedAt: { isNull(): unknown } }) => f.voidedAt.isNull() }] },
      },
      edges: {},
      ontology: [{ metaEdge: "subClassOf", from: Employee, to: Person }],
    } as never);
    const backend = bc.make((graph as { id: string }).id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend, { autoRefreshStatistics: false });
    return { store: store as any, backend };
  }

  function countCalls(backend: GraphBackend) {
    const counted = backend as unknown as Record<string, (...args: unknown[]) => unknown>;
    const calls: string[] = [];
    const originals = new Map<string, (...args: unknown[]) => unknown>();
    for (const name of ["call", "callSync", "upsertNodesWith", "getNodeSync"]) {
      const original = counted[name];
      if (typeof original !== "function") continue;
      originals.set(name, original);
      counted[name] = function (this: unknown, ...args: unknown[]) {
        calls.push(name);
        return original.apply(this, args);
      };
    }
    return {
      calls,
      restore: () => {
        for (const [name, original] of originals) counted[name] = original;
      },
    };
  }

  it("finds, updates, resurrects and creates in one engine call", async () => {
    const { store, backend } = await setup();
    const People = store.nodes.Person;
    await People.bulkInsert([
      { id: "p-live", props: { email: "live@x.io", age: 1 } },
      { id: "p-tomb", props: { email: "tomb@x.io", age: 2 } },
    ]);
    await People.delete("p-tomb");
    const before = await People.getById("p-live");

    const counter = countCalls(backend);
    let out;
    try {
      out = await People.bulkGetOrCreateByConstraint(
        "email",
        [
          { props: { email: "LIVE@x.io", age: 5 } },
          { props: { email: "tomb@x.io" } },
          { props: { email: "new@x.io", age: 7 } },
          { props: { email: "live@X.IO", age: 9 } },
          { props: { email: "NEW@x.io", age: 8 } },
        ],
        { ifExists: "update" },
      );
    } finally {
      counter.restore();
    }
    expect(counter.calls).toEqual(["upsertNodesWith"]);
    expect(out.map((o: { action: string }) => o.action)).toEqual(["updated", "resurrected", "created", "found", "found"]);
    expect(out[0].node).toMatchObject({ id: "p-live", email: "LIVE@x.io", age: 5 });
    expect(out[0].node.meta.version).toBe(before.meta.version + 1);
    expect(out[3].node).toBe(out[0].node);
    expect(out[1].node).toMatchObject({ id: "p-tomb", email: "tomb@x.io", age: 2 });
    expect(out[1].node.meta.deletedAt).toBeUndefined();
    expect(out[2].node).toMatchObject({ email: "new@x.io", age: 7 });
    expect(out[4].node).toBe(out[2].node);
    for (const o of out) expect(await People.getById(o.node.id)).toEqual(o.node);
    expect(await People.count()).toBe(3);
    // The resurrected and created nodes hold their keys: a lookup finds them.
    expect((await People.findByConstraint("email", { email: "TOMB@x.io" }))?.id).toBe("p-tomb");
    expect((await People.findByConstraint("email", { email: "new@x.io" }))?.id).toBe(out[2].node.id);
  });

  it('ifExists "return" (the default) returns the live holder as stored and writes nothing', async () => {
    const { store } = await setup();
    const People = store.nodes.Person;
    const made = await People.create({ email: "a@x.io", age: 3 }, { id: "p-a" });
    const out = await People.bulkGetOrCreateByConstraint("email", [{ props: { email: "A@X.IO", age: 40 } }, { props: { email: "b@x.io" } }]);
    expect(out.map((o: { action: string }) => o.action)).toEqual(["found", "created"]);
    expect(out[0].node).toEqual(made);
    expect(await People.getById("p-a")).toEqual(made);
    const single = await People.getOrCreateByConstraint("email", { email: "a@x.io", age: 41 });
    expect(single).toEqual({ node: made, action: "found" });
  });

  it("the single call is one crossing for each action", async () => {
    const { store, backend } = await setup();
    const People = store.nodes.Person;
    const counter = countCalls(backend);
    const actions: string[] = [];
    try {
      actions.push((await People.getOrCreateByConstraint("email", { email: "s@x.io", age: 1 })).action);
      actions.push((await People.getOrCreateByConstraint("email", { email: "S@x.io", age: 2 })).action);
      actions.push((await People.getOrCreateByConstraint("email", { email: "s@x.io", age: 3 }, { ifExists: "update" })).action);
    } finally {
      counter.restore();
    }
    expect(actions).toEqual(["created", "found", "updated"]);
    expect(counter.calls).toEqual(["upsertNodesWith", "upsertNodesWith", "upsertNodesWith"]);
    const node = await People.findByConstraint("email", { email: "s@x.io" });
    expect(node).toMatchObject({ email: "s@x.io", age: 3 });
    expect(node.meta.version).toBe(2);
    await People.delete(node.id);
    const back = await People.getOrCreateByConstraint("email", { email: "S@X.io" });
    expect(back.action).toBe("resurrected");
    expect(back.node).toMatchObject({ id: node.id, email: "S@X.io", age: 3 });
    expect(await People.getById(node.id)).toEqual(back.node);
  });

  it("a where that leaves an item out creates it every time; inside the where the key folds", async () => {
    const { store } = await setup();
    const Tickets = store.nodes.Ticket;
    const out = await Tickets.bulkGetOrCreateByConstraint("open_serial", [
      { props: { serial: "T1" } },
      { props: { serial: "T1", voidedAt: "yesterday" } },
      { props: { serial: "T1", voidedAt: "today" } },
      { props: { serial: "T1", note: "again" } },
    ]);
    expect(out.map((o: { action: string }) => o.action)).toEqual(["created", "created", "created", "found"]);
    expect(new Set(out.map((o: { node: { id: string } }) => o.node.id)).size).toBe(3);
    expect(out[3].node).toBe(out[0].node);
    expect(await Tickets.count()).toBe(3);
    // Collation is binary here: "t1" is another key.
    const again = await Tickets.bulkGetOrCreateByConstraint("open_serial", [{ props: { serial: "T1" } }, { props: { serial: "t1" } }]);
    expect(again.map((o: { action: string }) => o.action)).toEqual(["found", "created"]);
    expect(again[0].node.id).toBe(out[0].node.id);
  });

  it("a kindWithSubClasses scope finds a relative's node and updates it under its own kind", async () => {
    const { store } = await setup();
    await store.nodes.Person.create({ email: "boss@x.io", age: 50 }, { id: "p-boss" });
    const found = await store.nodes.Employee.bulkGetOrCreateByConstraint("email", [{ props: { email: "BOSS@x.io", team: "a" } }]);
    expect(found[0].action).toBe("found");
    expect(found[0].node).toMatchObject({ kind: "Person", id: "p-boss", age: 50 });
    const updated = await store.nodes.Employee.getOrCreateByConstraint("email", { email: "boss@x.io" }, { ifExists: "update" });
    expect(updated.action).toBe("updated");
    expect(updated.node).toMatchObject({ kind: "Person", id: "p-boss", email: "boss@x.io", age: 50 });
    expect(await store.nodes.Person.getById("p-boss")).toEqual(updated.node);
    expect(await store.nodes.Employee.count()).toBe(0);
  });

  it("an unknown constraint is NodeConstraintNotFoundError; a failing item writes nothing", async () => {
    const { store } = await setup();
    const People = store.nodes.Person;
    await People.create({ email: "held@x.io", handle: "taken" }, { id: "p-held" });
    const missing = await failure(People.bulkGetOrCreateByConstraint("nope", [{ props: { email: "z@x.io" } }]));
    expect(missing).toBeInstanceOf(NodeConstraintNotFoundError);
    const single = await failure(People.getOrCreateByConstraint("nope", { email: "z@x.io" }));
    expect(single).toBeInstanceOf(NodeConstraintNotFoundError);
    // The third item's create would take a handle another live node holds.
    const taken = await failure(
      People.bulkGetOrCreateByConstraint(
        "email",
        [{ props: { email: "one@x.io" } }, { props: { email: "held@x.io", age: 4 } }, { props: { email: "two@x.io", handle: "taken" } }],
        { ifExists: "update" },
      ),
    );
    expect(taken).toBeInstanceOf(UniquenessError);
    const invalid = await failure(People.bulkGetOrCreateByConstraint("email", [{ props: { email: "three@x.io" } }, { props: { email: "four@x.io", age: -1 } }]));
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).details).toMatchObject({ index: 1 });
    expect(await People.count()).toBe(1);
    expect(await People.getById("p-held")).toMatchObject({ email: "held@x.io", meta: { version: 1 } });
  });

  it("a merged props that fails validation writes nothing and names its item", async () => {
    const graph = defineGraph({
      id: freshGraphId("ngoc2"),
      nodes: {
        Account: {
          type: defineNode("Account", { schema: z.object({ login: z.string(), plan: z.string().optional(), seats: z.number().optional() }).refine((a) => a.plan !== "team" || a.seats !== undefined, "team plans need seats") }),
          unique: [{ name: "login", fields: ["login"] }],
        },
      },
      edges: {},
    } as never);
    const backend = bc.make((graph as { id: string }).id);
    open.push(backend);
    const [raw] = await createStoreWithSchema(graph, backend, { autoRefreshStatistics: false });
    const store = raw as any;
    await store.nodes.Account.create({ login: "l1", plan: "team", seats: 3 }, { id: "a1" });
    await store.nodes.Account.create({ login: "l2", plan: "solo" }, { id: "a2" });
    await store.nodes.Account.delete("a2");
    // Item 1 resurrects a2 with plan "team" and no seats: its merged props are invalid.
    const bad = await failure(
      store.nodes.Account.bulkGetOrCreateByConstraint("login", [{ props: { login: "l3" } }, { props: { login: "l2", plan: "team" } }], { ifExists: "update" }),
    );
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).details).toMatchObject({ index: 1 });
    expect(await store.nodes.Account.count()).toBe(1);
    expect(await store.nodes.Account.findByConstraint("login", { login: "l3" })).toBeUndefined();
  });

  it("a batch update that keeps a key still holds it; one that changes it moves it", async () => {
    const { store } = await setup();
    const People = store.nodes.Person;
    await People.bulkInsert([
      { id: "k1", props: { email: "k1@x.io", handle: "kh1" } },
      { id: "k2", props: { email: "k2@x.io", handle: "kh2" } },
    ]);
    // k1 keeps both keys (age only); k2 moves its handle.
    await People.bulkUpsertById([
      { id: "k1", props: { email: "k1@x.io", handle: "kh1", age: 30 } },
      { id: "k2", props: { email: "k2@x.io", handle: "kh2b" } },
    ]);
    expect(await failure(People.create({ email: "K1@x.io" }))).toBeInstanceOf(UniquenessError);
    expect(await failure(People.create({ email: "other@x.io", handle: "kh1" }))).toBeInstanceOf(UniquenessError);
    expect(await failure(People.create({ email: "other@x.io", handle: "kh2b" }))).toBeInstanceOf(UniquenessError);
    const freed = await People.create({ email: "other@x.io", handle: "kh2" });
    expect(freed.handle).toBe("kh2");
    const again = await People.bulkGetOrCreateByConstraint("email", [{ props: { email: "k1@x.io", age: 31 } }], { ifExists: "update" });
    expect(again[0]).toMatchObject({ action: "updated", node: { id: "k1", handle: "kh1", age: 31 } });
    expect((await People.findByConstraint("handle", { handle: "kh1" }))?.id).toBe("k1");
    expect((await People.findByConstraint("email", { email: "k1@X.io" }))?.id).toBe("k1");
  });

  it("inside a transaction: goes with its rollback", async () => {
    const { store } = await setup();
    const undone = await failure(
      store.transaction(async (tx: any) => {
        const out = await tx.nodes.Person.bulkGetOrCreateByConstraint("email", [{ props: { email: "t@x.io" } }, { props: { email: "T@x.io" } }]);
        expect(out.map((o: { action: string }) => o.action)).toEqual(["created", "found"]);
        expect(await tx.nodes.Person.getById(out[0].node.id)).toEqual(out[0].node);
        const single = await tx.nodes.Person.getOrCreateByConstraint("email", { email: "t@X.io" });
        expect(single).toEqual({ node: out[0].node, action: "found" });
        throw new Error("undo");
      }),
    );
    expect((undone as Error).message).toBe("undo");
    expect(await store.nodes.Person.count()).toBe(0);
  });
});
