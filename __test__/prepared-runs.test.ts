// Repeated runs of a prepared query (on SQLite a synchronous run once the plan id is known) and
// `getById` (answered within the call on SQLite) must behave exactly as the first run:
// - binding errors are the same on the first and on later runs, and a refused run leaves the
//   query usable;
// - rows have the same shape as the unprepared query (optional hops that miss, JSON nulls,
//   missing optional props, dates, meta);
// - a run after a write sees the write; inside store.transaction() the tx store sees its own
//   writes and the root store is refused as before;
// - query hooks fire on every run, not only the first.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigurationError, createStoreWithSchema, defineEdge, defineGraph, defineNode, param, type Store } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", {
  schema: z.object({ name: z.string(), nick: z.string().optional(), note: z.string().nullable(), born: z.string().optional(), age: z.number() }),
});
const knows = defineEdge("knows", { schema: z.object({ since: z.number().optional() }) });

function makeGraph(id: string) {
  return defineGraph({
    id,
    nodes: { Person: { type: Person, onDelete: "disconnect" as const } },
    edges: { knows: { type: knows, from: [Person], to: [Person] } },
  });
}

describe.each(backends)("repeated prepared runs on $name", (bc) => {
  const open: Store[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function setup(options: Parameters<typeof createStoreWithSchema>[2] = {}) {
    const graph = makeGraph(freshGraphId(`prun_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id), options);
    open.push(store as unknown as Store);
    const P = store.nodes.Person;
    await P.create({ name: "Ann", nick: "A", note: null, born: "1990-01-02T00:00:00.000Z", age: 30 }, { id: "a" });
    await P.create({ name: "Bob", note: "n", age: 40 }, { id: "b", validFrom: "2001-01-01T00:00:00.000Z" });
    await P.create({ name: "Cy", note: null, age: 50 }, { id: "c" });
    await store.edges.knows.create({ kind: "Person", id: "a" }, { kind: "Person", id: "b" }, { since: 2001 });
    await store.edges.knows.create({ kind: "Person", id: "b" }, { kind: "Person", id: "c" }, {});
    return store;
  }

  it("binding errors are the same on every run and leave the query usable", async () => {
    const store = await setup();
    const q = store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.id.eq(param("id")).and(p.age.gte(param("min"))))
      .select((c) => c.p.name)
      .prepare();
    const failures = async () => {
      const out: string[] = [];
      for (const bad of [{ id: "a" }, { id: "a", min: 1, extra: 1 }, { id: null, min: 1 }, { id: "a", min: Number.NaN }, { id: "a", min: { x: 1 } }, { id: "a", min: [1] }]) {
        const e = await q.execute(bad as never).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(e).toBeInstanceOf(ConfigurationError);
        out.push(`${(e as Error).message}|${JSON.stringify((e as ConfigurationError).details)}`);
      }
      return out;
    };
    const first = await failures();
    expect(await q.execute({ id: "a", min: 1 })).toEqual(["Ann"]);
    expect(await q.execute({ id: "a", min: 31 })).toEqual([]);
    // Now the plan id is known: the same refusals, word for word.
    expect(await failures()).toEqual(first);
    expect(await q.execute({ id: "c", min: 50 })).toEqual(["Cy"]);
    // A refusal is a rejected promise, never a synchronous throw.
    const p = q.execute({ id: "a" } as never);
    expect(p).toBeInstanceOf(Promise);
    await expect(p).rejects.toBeInstanceOf(ConfigurationError);
  });

  it("rows keep the unprepared query's shape across runs: optional misses, nulls, dates, meta", async () => {
    const store = await setup();
    const build = () =>
      store
        .query()
        .from("Person", "p")
        .optionalTraverse("knows", "k")
        .to("Person", "f")
        .orderBy("p", "id");
    const whole = build().select((c) => ({ p: c.p, k: c.k, f: c.f }));
    const partial = build().select((c) => ({ id: c.p.id, nick: c.p.nick, note: c.p.note, born: c.p.born, since: c.k?.since, friend: c.f?.name, from: c.p.meta.validFrom }));
    const expectedWhole = await whole.execute();
    const expectedPartial = await partial.execute();
    expect(expectedWhole).toHaveLength(3);
    expect(expectedPartial.find((r) => r.id === "c")).toMatchObject({ id: "c", note: null, since: undefined, friend: undefined });
    expect("nick" in expectedWhole.find((r) => r.p.id === "c")!.p).toBe(false);
    const pw = whole.prepare();
    const pp = partial.prepare();
    for (let run = 0; run < 4; run++) {
      expect(await pw.execute({})).toEqual(expectedWhole);
      expect(await pp.execute({})).toEqual(expectedPartial);
    }
    const anchored = store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.id.eq(param("id")))
      .optionalTraverse("knows", "k")
      .to("Person", "f")
      .select((c) => ({ p: c.p, since: c.k?.since, f: c.f?.id }))
      .prepare();
    for (let run = 0; run < 3; run++) {
      for (const id of ["a", "b", "c"]) {
        const [row] = await anchored.execute({ id });
        const w = expectedWhole.find((r) => r.p.id === id)!;
        expect(row).toEqual({ p: w.p, since: w.k?.since, f: w.f?.id });
      }
    }
    // getById gives the node the query gives.
    for (let run = 0; run < 3; run++) {
      for (const w of expectedWhole) expect(await store.nodes.Person.getById(w.p.id)).toEqual(w.p);
    }
    expect(await store.nodes.Person.getById("zz")).toBeUndefined();
    expect(await store.nodes.Person.getById("b", { temporalMode: "asOf", asOf: "2000-06-01T00:00:00.000Z" })).toBeUndefined();
    await expect(store.nodes.Person.getById("a", { temporalMode: "asOf", asOf: "not a date" })).rejects.toThrow();
  });

  it("a run after a write sees the write, in and out of a transaction", async () => {
    const store = await setup();
    const q = store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.id.eq(param("id")))
      .select((c) => ({ name: c.p.name, version: c.p.meta.version }))
      .prepare();
    expect(await q.execute({ id: "a" })).toEqual([{ name: "Ann", version: 1 }]);
    expect(await q.execute({ id: "a" })).toEqual([{ name: "Ann", version: 1 }]);
    await store.nodes.Person.update("a", { name: "Ann 2" });
    expect(await q.execute({ id: "a" })).toEqual([{ name: "Ann 2", version: 2 }]);
    expect((await store.nodes.Person.getById("a"))?.name).toBe("Ann 2");
    await store.nodes.Person.delete("a");
    expect(await q.execute({ id: "a" })).toEqual([]);
    expect(await store.nodes.Person.getById("a")).toBeUndefined();
    await store.nodes.Person.create({ name: "Dee", note: null, age: 9 }, { id: "d" });
    expect(await q.execute({ id: "d" })).toEqual([{ name: "Dee", version: 1 }]);

    await store.transaction(async (tx) => {
      await tx.nodes.Person.update("d", { name: "Dee 2" });
      expect((await tx.nodes.Person.getById("d"))?.name).toBe("Dee 2");
      expect((await tx.nodes.Person.getById("d"))?.name).toBe("Dee 2");
      if (bc.name === "sqlite") {
        // One connection: the root store inside the transaction is refused, prepared or not.
        await expect(q.execute({ id: "d" })).rejects.toBeInstanceOf(ConfigurationError);
        await expect(store.nodes.Person.getById("d")).rejects.toBeInstanceOf(ConfigurationError);
      }
    });
    expect(await q.execute({ id: "d" })).toEqual([{ name: "Dee 2", version: 2 }]);
  });

  it("query hooks fire on every run of a prepared query", async () => {
    const starts: string[] = [];
    const ends: number[] = [];
    const store = await setup({ hooks: { onQueryStart: (ctx) => void starts.push(ctx.sql), onQueryEnd: (_ctx, r) => void ends.push(r.rowCount) } });
    const q = store
      .query()
      .from("Person", "p")
      .whereNode("p", (p) => p.id.eq(param("id")))
      .select((c) => c.p.name)
      .prepare();
    for (const id of ["a", "b", "zz", "c"]) await q.execute({ id });
    expect(starts).toHaveLength(4);
    expect(ends).toEqual([1, 1, 0, 1]);
  });
});
