// PostgreSQL connections: ones left unused past the idle timeout are closed even when the backend
// never is, calls keep working after that, and calls started together still all settle.
import { describe, expect, it } from "vitest";
import { ConfigurationError, createStoreWithSchema } from "../dist/index.js";
import { createPostgresBackend } from "../dist/postgres.js";
import { freshGraphId } from "./backends.js";
import { makeGraph } from "./fixtures.js";

const url = process.env.DATABASE_URL;

function withAppName(base: string, app: string): string {
  return `${base}${base.includes("?") ? "&" : "?"}application_name=${app}`;
}

describe.runIf(url)("postgres connections", () => {
  async function serverConnections(admin: ReturnType<typeof createPostgresBackend>, app: string): Promise<number> {
    const rows = await admin.query("SELECT count(*)::int FROM pg_stat_activity WHERE application_name = $1", [app]);
    return Number(rows[0]![0]);
  }

  it("closes connections idle past idleTimeoutMs, and reconnects on the next call", async () => {
    const app = `tg_idle_${process.pid}_${Date.now().toString(36)}`;
    const admin = createPostgresBackend(url!);
    const graph = makeGraph(freshGraphId("pgidle"));
    const [store] = await createStoreWithSchema(graph, createPostgresBackend(withAppName(url!, app), { idleTimeoutMs: 250 }), { autoRefreshStatistics: false });
    try {
      await store.nodes.Person.create({ name: "Ada" }, { id: "ada" });
      // A few calls at once: several connections come into use.
      await Promise.all(Array.from({ length: 6 }, (_, i) => store.nodes.Person.create({ name: `P${i}` })));
      expect(await serverConnections(admin, app)).toBeGreaterThan(0);
      const deadline = Date.now() + 5000;
      let open = await serverConnections(admin, app);
      while (open > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        open = await serverConnections(admin, app);
      }
      expect(open).toBe(0);
      // The store still works: the next call opens a connection again.
      expect((await store.nodes.Person.getById("ada"))?.name).toBe("Ada");
      expect(await store.nodes.Person.count()).toBe(7);
      expect(await serverConnections(admin, app)).toBeGreaterThan(0);
    } finally {
      await store.close();
      await admin.close();
    }
  });

  it("keeps connections for the default idle time", async () => {
    const app = `tg_keep_${process.pid}_${Date.now().toString(36)}`;
    const admin = createPostgresBackend(url!);
    const graph = makeGraph(freshGraphId("pgkeep"));
    const [store] = await createStoreWithSchema(graph, createPostgresBackend(withAppName(url!, app)), { autoRefreshStatistics: false });
    try {
      await store.nodes.Person.create({ name: "Ada" });
      await new Promise((r) => setTimeout(r, 600));
      expect(await serverConnections(admin, app)).toBeGreaterThan(0);
    } finally {
      await store.close();
      await admin.close();
    }
  });

  it("refuses an idle timeout or inline budget out of range", () => {
    for (const idleTimeoutMs of [0, -5, 1.5, Number.NaN]) {
      expect(() => createPostgresBackend(url!, { idleTimeoutMs })).toThrow(ConfigurationError);
    }
    for (const inlineBudgetMs of [-0.1, Number.NaN, Number.POSITIVE_INFINITY, 5000]) {
      expect(() => createPostgresBackend(url!, { inlineBudgetMs })).toThrow(ConfigurationError);
    }
  });

  for (const inlineBudgetMs of [undefined, 0.25, 1.5]) {
    it(`a call waiting on a row lock does not hold the event loop (inlineBudgetMs ${inlineBudgetMs ?? "default"})`, async () => {
      const graph = makeGraph(freshGraphId("pglock"));
      const [store] = await createStoreWithSchema(graph, createPostgresBackend(url!, inlineBudgetMs === undefined ? {} : { inlineBudgetMs }), { autoRefreshStatistics: false });
      try {
        await store.nodes.Person.create({ name: "A" }, { id: "a" });
        await store.nodes.Person.create({ name: "Other" }, { id: "o" });
        let locked!: () => void;
        const holding = new Promise<void>((r) => (locked = r));
        const hold = 400;
        // A transaction takes the row lock and keeps it `hold` ms.
        const tx = store
          .transaction(async (t) => {
            await t.nodes.Person.update("a", { name: "B" });
            locked();
            await new Promise((r) => setTimeout(r, hold));
          })
          .then(() => undefined, (e: unknown) => e);
        await holding;
        const started = performance.now();
        // Waits on the lock until the transaction commits.
        const blocked = store.nodes.Person.update("a", { age: 3 }).then(
          (n) => ({ at: performance.now() - started, n }),
          (e: unknown) => ({ at: performance.now() - started, e }),
        );
        // Meanwhile a timer fires on time and another call runs to completion.
        const timer = await new Promise<number>((r) => setTimeout(() => r(performance.now() - started), 10));
        const other = await store.nodes.Person.getById("o");
        const otherAt = performance.now() - started;
        expect(timer).toBeLessThan(hold / 2);
        expect(other?.name).toBe("Other");
        expect(otherAt).toBeLessThan(hold / 2);
        expect(await tx).toBeUndefined();
        const out = await blocked;
        expect(out.at).toBeGreaterThanOrEqual(hold / 2);
        // Merged over the committed row: the transaction's name survives (no lost update).
        expect("n" in out && out.n).toMatchObject({ id: "a", age: 3, name: "B" });
      } finally {
        await store.close();
      }
    });
  }

  it("calls started together, slow and fast, all settle with their own results", async () => {
    const graph = makeGraph(freshGraphId("pgmix"));
    const [store] = await createStoreWithSchema(graph, createPostgresBackend(url!), { autoRefreshStatistics: false });
    try {
      await store.nodes.Person.bulkInsert(Array.from({ length: 3000 }, (_, i) => ({ id: `p${i}`, props: { name: `P${i}` } })));
      const slow = store.edges.knows
        .bulkInsert(Array.from({ length: 20000 }, (_, i) => ({ from: { kind: "Person" as const, id: `p${i % 3000}` }, to: { kind: "Person" as const, id: `p${(i * 7) % 3000}` } })))
        .then(() => "slow");
      const fast = Array.from({ length: 20 }, (_, i) => store.nodes.Person.getById(`p${i}`).then((n) => n?.name));
      const [s, ...names] = await Promise.all([slow, ...fast]);
      expect(s).toBe("slow");
      expect(names).toEqual(Array.from({ length: 20 }, (_, i) => `P${i}`));
      expect(await store.edges.knows.count()).toBe(20000);
    } finally {
      await store.close();
    }
  });
});
