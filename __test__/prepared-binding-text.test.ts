// A prepared query's repeated run sends its parameters as the JSON text the engine reads, built
// from the constants' text (taken once per compiled query) and the bound values; on SQLite the
// repeated runs and getById reach their connection by number instead of through the handle.
// - constants and parameters interleave in any order, a parameter may fill several slots, lists,
//   dates and awkward text (quotes, backslashes, control characters, non-BMP) bind exactly as
//   the same query with the values written in;
// - runs on two stores interleave without mixing connections; a closed store's runs reject
//   with BackendDisposedError while the other keeps answering;
// - a prepared query keeps answering after the store's schema evolves and after transactions.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { BackendDisposedError, ConfigurationError, createStoreWithSchema, defineGraph, defineGraphExtension, defineNode, param, type Store } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", {
  schema: z.object({ name: z.string(), nick: z.string().optional(), born: z.string().optional(), age: z.number() }),
});

function makeGraph(id: string) {
  return defineGraph({ id, nodes: { Person: { type: Person } }, edges: {} });
}

const AWKWARD = 'Zoë "quoted" \\ back\nline\ttab \u0001 😀 </script>';

describe.each(backends)("prepared parameters as text on $name", (bc) => {
  const open: Store[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function setup(db?: string) {
    const graph = makeGraph(freshGraphId(`pbt_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(db ?? graph.id));
    open.push(store as unknown as Store);
    const P = store.nodes.Person;
    await P.create({ name: AWKWARD, nick: "z", born: "1990-05-01T00:00:00.000Z", age: 30 }, { id: "z" });
    await P.create({ name: "Ann", nick: AWKWARD, born: "2001-01-01T00:00:00.000Z", age: 41 }, { id: "a" });
    await P.create({ name: "Bob", age: 52 }, { id: "b" });
    await P.create({ name: 'Cy "c"', nick: "cy", born: "1985-12-31T23:59:59.999Z", age: 63 }, { id: "c" });
    return store;
  }

  it("constants and parameters interleave and bind as the same query with values written in", async () => {
    const store = await setup();
    const build = (name: unknown, min: unknown, born: unknown) =>
      store
        .query()
        .from("Person", "p")
        .whereNode("p", (p) =>
          p.age
            .lte(100)
            .and(p.name.eq(name as string).or(p.nick.eq(name as string)).or(p.name.eq('Cy "c"')))
            .and(p.age.gte(min as number))
            .and(p.id.neq("nobody\\\"x"))
            .and(p.born.gte(born as string).or(p.id.eq("b"))),
        )
        .select((c) => ({ id: c.p.id, name: c.p.name, nick: c.p.nick }))
        .orderBy("p", "id");
    const prepared = build(param("name"), param("min"), param("born")).prepare();
    expect([...prepared.parameterNames].sort()).toEqual(["born", "min", "name"]);
    const cases: [string, number, string | Date][] = [
      [AWKWARD, 0, "1900-01-01T00:00:00.000Z"],
      [AWKWARD, 31, "1900-01-01T00:00:00.000Z"],
      ["Bob", 0, new Date("1999-01-01T00:00:00.000Z")],
      ["cy", 60, new Date("1985-12-31T23:59:59.999Z")],
      ["nobody", 0, "2100-01-01T00:00:00.000Z"],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [name, min, born] of cases) {
        const written = await build(name, min, born instanceof Date ? born.toISOString() : born).execute();
        expect(await prepared.execute({ name, min, born })).toEqual(written);
      }
    }
    expect(await prepared.execute({ name: AWKWARD, min: 0, born: "1900-01-01T00:00:00.000Z" })).toEqual([
      { id: "a", name: "Ann", nick: AWKWARD },
      { id: "c", name: 'Cy "c"', nick: "cy" },
      { id: "z", name: AWKWARD, nick: "z" },
    ]);
  });

  it("list parameters and a parameter in several slots bind whole, on every run", async () => {
    const store = await setup();
    const q = store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.id.in(param("ids")).and(p.name.neq(param("skip")).and(p.nick.neq(param("skip")).or(p.nick.isNull()))))
      .select((c) => c.p.id)
      .orderBy("p", "id")
      .prepare();
    for (let round = 0; round < 3; round++) {
      expect(await q.execute({ ids: ["a", "b", "c", "z"], skip: AWKWARD })).toEqual(["b", "c"]);
      expect(await q.execute({ ids: ["z", "zz", 'Cy "c"'], skip: "nobody" })).toEqual(["z"]);
      expect(await q.execute({ ids: [], skip: "x" })).toEqual([]);
    }
    await expect(q.execute({ ids: "a", skip: "x" } as never)).rejects.toBeInstanceOf(ConfigurationError);
    await expect(q.execute({ ids: ["a"], skip: "x", more: 1 } as never)).rejects.toBeInstanceOf(ConfigurationError);
    await expect(q.execute({ ids: ["a"] } as never)).rejects.toThrow(/Missing bindings for parameter: "skip"/);
    expect(await q.execute({ ids: ["a"], skip: "x" })).toEqual(["a"]);
  });

  it("runs on two stores interleave; a closed store's runs reject while the other answers", async () => {
    const one = await setup();
    const two = await setup();
    await two.nodes.Person.update("a", { name: "Ann two" });
    const byId = (s: typeof one) => s.query().from("Person", "p").whereNode("p", (p) => p.id.eq(param("id"))).select((c) => c.p.name).prepare();
    const q1 = byId(one);
    const q2 = byId(two);
    for (let i = 0; i < 5; i++) {
      expect(await q1.execute({ id: "a" })).toEqual(["Ann"]);
      expect(await q2.execute({ id: "a" })).toEqual(["Ann two"]);
      expect((await one.nodes.Person.getById("a"))?.name).toBe("Ann");
      expect((await two.nodes.Person.getById("a"))?.name).toBe("Ann two");
    }
    open.splice(open.indexOf(one as unknown as Store), 1);
    await one.close();
    const closedRun = await q1.execute({ id: "a" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(closedRun).toBeInstanceOf(BackendDisposedError);
    const closedGet = await one.nodes.Person.getById("a").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(closedGet).toBeInstanceOf(BackendDisposedError);
    // A store opened after the close gets its own connection, and the open one is untouched.
    const three = await setup();
    await three.nodes.Person.update("a", { name: "Ann three" });
    expect(await byId(three).execute({ id: "a" })).toEqual(["Ann three"]);
    expect(await q2.execute({ id: "a" })).toEqual(["Ann two"]);
    expect((await two.nodes.Person.getById("a"))?.name).toBe("Ann two");
  });

  it("a prepared query keeps answering after the schema evolves and around transactions", async () => {
    const store = await setup();
    const q = store.query().from("Person", "p").whereNode("p", (p) => p.id.eq(param("id"))).select((c) => c.p).prepare();
    const before = await q.execute({ id: "a" });
    expect(before.map((n) => n.name)).toEqual(["Ann"]);
    const evolved = await store.evolve(defineGraphExtension({ nodes: { Pet: { properties: { name: { type: "string" } } } } }));
    await evolved.getNodeCollectionOrThrow("Pet").create({ name: "Rex" }, { id: "rex" });
    expect(await q.execute({ id: "a" })).toEqual(before);
    const eq = evolved.query().from("Person", "p").whereNode("p", (p) => p.id.eq(param("id"))).select((c) => c.p).prepare();
    expect(await eq.execute({ id: "a" })).toEqual(before);
    await evolved.transaction(async (tx) => {
      await tx.nodes.Person.update("a", { name: "Ann in tx" });
      expect((await tx.nodes.Person.getById("a"))?.name).toBe("Ann in tx");
    });
    expect((await eq.execute({ id: "a" })).map((n) => n.name)).toEqual(["Ann in tx"]);
    expect((await evolved.nodes.Person.getById("a"))?.name).toBe("Ann in tx");
    const failed = await evolved
      .transaction(async (tx) => {
        await tx.nodes.Person.update("a", { name: "rolled back" });
        throw new Error("undo");
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((failed as Error).message).toBe("undo");
    expect((await eq.execute({ id: "a" })).map((n) => n.name)).toEqual(["Ann in tx"]);
    expect((await evolved.nodes.Person.getById("a"))?.name).toBe("Ann in tx");
  });
});
