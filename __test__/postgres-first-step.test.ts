// PostgreSQL calls with the default inline budget (0) take their first step on the calling thread:
// the statement is sent from there and the rest of the call moves to the engine's runtime on its
// first wake-up (the answer, a freed pooled connection, the transaction's connection). These
// tests pin what that must keep: every call settles with its own result or error, whatever it
// waits on first, and a call never waits for the server on the event loop.
import { describe, expect, it } from "vitest";
import { BackendDisposedError, createStoreWithSchema, UniquenessError } from "../dist/index.js";
import { createPostgresBackend } from "../dist/postgres.js";
import { freshGraphId } from "./backends.js";
import { makeGraph } from "./fixtures.js";

const url = process.env.DATABASE_URL;

describe.runIf(url)("postgres calls: first step on the calling thread", () => {
  it("calls waiting for a pooled connection all settle with their own results", async () => {
    const graph = makeGraph(freshGraphId("pgfirst"));
    // Two connections for sixty calls started together: most first wait for a connection.
    const [store] = await createStoreWithSchema(graph, createPostgresBackend(url!, { maxConnections: 2 }), { autoRefreshStatistics: false });
    try {
      await store.nodes.Company.bulkInsert(Array.from({ length: 20 }, (_, i) => ({ id: `c${i}`, props: { name: `C${i}` } })));
      const reads = Array.from({ length: 20 }, (_, i) => store.nodes.Company.getById(`c${i}`).then((n) => n?.name));
      const writes = Array.from({ length: 20 }, (_, i) => store.nodes.Company.update(`c${i}`, { name: `D${i}` }).then((n) => n.name));
      const creates = Array.from({ length: 20 }, (_, i) => store.nodes.Person.create({ name: `P${i}`, email: `p${i}@x` }, { id: `p${i}` }).then((n) => n.id));
      const [r, w, c] = await Promise.all([Promise.all(reads), Promise.all(writes), Promise.all(creates)]);
      // A read started before the update of the same id sees either name, never another id's.
      r.forEach((name, i) => expect([`C${i}`, `D${i}`]).toContain(name));
      expect(w).toEqual(Array.from({ length: 20 }, (_, i) => `D${i}`));
      expect(c).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}`));
      expect(await store.nodes.Person.count()).toBe(20);
      const after = await Promise.all(Array.from({ length: 20 }, (_, i) => store.nodes.Company.getById(`c${i}`).then((n) => n?.name)));
      expect(after).toEqual(Array.from({ length: 20 }, (_, i) => `D${i}`));
    } finally {
      await store.close();
    }
  });

  it("failures settle as their own errors and write nothing, next to calls that succeed", async () => {
    const graph = makeGraph(freshGraphId("pgfirsterr"));
    const [store] = await createStoreWithSchema(graph, createPostgresBackend(url!, { maxConnections: 2 }), { autoRefreshStatistics: false });
    try {
      await store.nodes.Person.create({ name: "A", email: "a@x" }, { id: "a" });
      // Each call's outcome is captured as it is created (no unhandled rejection while awaiting).
      const outcomes = Array.from({ length: 30 }, (_, i) =>
        (i % 3 === 0
          ? store.nodes.Person.create({ name: `dup${i}`, email: "a@x" }, { id: `dup${i}` })
          : i % 3 === 1
            ? store.nodes.Person.update(`missing${i}`, { name: "x" })
            : store.nodes.Person.create({ name: `ok${i}`, email: `ok${i}@x` }, { id: `ok${i}` })
        ).then(
          (n) => ({ ok: n.id }),
          (e: unknown) => ({ error: e }),
        ),
      );
      const settled = await Promise.all(outcomes);
      settled.forEach((o, i) => {
        if (i % 3 === 0) expect("error" in o && o.error).toBeInstanceOf(UniquenessError);
        else if (i % 3 === 1) expect("error" in o && (o.error as Error).name).toBe("NodeNotFoundError");
        else expect(o).toEqual({ ok: `ok${i}` });
      });
      // The refused creates wrote nothing.
      expect(await store.nodes.Person.count()).toBe(11);
      expect(await store.nodes.Person.getById("dup0")).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it("calls of one transaction started together run one after another on its connection", async () => {
    const graph = makeGraph(freshGraphId("pgfirsttx"));
    const [store] = await createStoreWithSchema(graph, createPostgresBackend(url!), { autoRefreshStatistics: false });
    try {
      await store.transaction(async (tx) => {
        const made = await Promise.all(Array.from({ length: 15 }, (_, i) => tx.nodes.Company.create({ name: `T${i}` }, { id: `t${i}` }).then((n) => n.id)));
        expect(made).toEqual(Array.from({ length: 15 }, (_, i) => `t${i}`));
        const names = await Promise.all(Array.from({ length: 15 }, (_, i) => tx.nodes.Company.getById(`t${i}`).then((n) => n?.name)));
        expect(names).toEqual(Array.from({ length: 15 }, (_, i) => `T${i}`));
      });
      expect(await store.nodes.Company.count()).toBe(15);
      // A rolled-back transaction whose calls were started together leaves nothing.
      const failed = await store
        .transaction(async (tx) => {
          await Promise.all(Array.from({ length: 10 }, (_, i) => tx.nodes.Company.create({ name: `R${i}` }, { id: `r${i}` })));
          throw new Error("roll back");
        })
        .then(() => undefined, (e: unknown) => e);
      expect((failed as Error).message).toBe("roll back");
      expect(await store.nodes.Company.count()).toBe(15);
    } finally {
      await store.close();
    }
  });

  it("a call on a closed backend rejects instead of hanging", async () => {
    const graph = makeGraph(freshGraphId("pgfirstclosed"));
    const backend = createPostgresBackend(url!);
    const [store] = await createStoreWithSchema(graph, backend, { autoRefreshStatistics: false });
    await store.nodes.Company.create({ name: "X" }, { id: "x" });
    await backend.close();
    await expect(store.nodes.Company.getById("x")).rejects.toBeInstanceOf(BackendDisposedError);
  });
});
