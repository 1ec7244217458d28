// autoRefreshStatistics: an autocommit bulkCreate/bulkInsert of at least the threshold refreshes
// planner statistics (ANALYZE); smaller writes, writes inside a transaction and `false` do not.
import { afterEach, describe, expect, it } from "vitest";
import { createStoreWithSchema, type GraphBackend } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";
import { makeGraph } from "./fixtures.js";

type Raw = { query(sql: string, params?: unknown[]): unknown[][] | Promise<unknown[][]> };

/** A marker that changes whenever the node table is analyzed. */
async function analyzedMarker(name: string, backend: GraphBackend): Promise<string> {
  const raw = backend as unknown as Raw;
  if (name === "sqlite") {
    const rows = await raw.query("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'");
    if (Number(rows[0]![0]) === 0) return "none";
    return JSON.stringify(await raw.query("SELECT tbl, idx, stat FROM sqlite_stat1 WHERE tbl = 'typegraph_nodes' ORDER BY idx"));
  }
  const rows = await raw.query("SELECT coalesce(analyze_count, 0)::text FROM pg_stat_user_tables WHERE relname = 'typegraph_nodes' AND schemaname = current_schema()");
  return String(rows[0]?.[0] ?? "none");
}

describe.each(backends)("autoRefreshStatistics on $name", (bc) => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (closers.length) await closers.pop()!();
  });
  async function setup(options: { autoRefreshStatistics?: false | number }) {
    const graph = makeGraph(freshGraphId(`stats_${bc.name}`));
    const backend = bc.make(graph.id);
    const [store] = await createStoreWithSchema(graph, backend, options);
    closers.push(() => store.close());
    return { store, backend };
  }
  const people = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, props: { name: `P${i}` } }));

  it("a bulk write reaching the threshold refreshes statistics once it commits", async () => {
    const { store, backend } = await setup({ autoRefreshStatistics: 5 });
    const before = await analyzedMarker(bc.name, backend);
    await store.nodes.Person.bulkInsert(people(6, "a"));
    const after = await analyzedMarker(bc.name, backend);
    expect(after).not.toBe(before);
    expect(after).not.toBe("none");
  });

  if (bc.name === "sqlite") {
    // A private database file per graph: nothing else analyzes it, so "unchanged" is observable.
    it("below the threshold, inside a transaction, or with `false`: no refresh", async () => {
      const small = await setup({ autoRefreshStatistics: 5 });
      await small.store.nodes.Person.bulkInsert(people(4, "s"));
      await small.store.transaction(async (tx) => tx.nodes.Person.bulkInsert(people(10, "t")));
      expect(await analyzedMarker(bc.name, small.backend)).toBe("none");
      const off = await setup({ autoRefreshStatistics: false });
      await off.store.nodes.Person.bulkInsert(people(2000, "o"));
      expect(await analyzedMarker(bc.name, off.backend)).toBe("none");
      const dflt = await setup({});
      await dflt.store.nodes.Person.bulkInsert(people(999, "d"));
      expect(await analyzedMarker(bc.name, dflt.backend)).toBe("none");
      await dflt.store.nodes.Person.bulkInsert(people(1000, "e"));
      expect(await analyzedMarker(bc.name, dflt.backend)).not.toBe("none");
    });
  }
});
