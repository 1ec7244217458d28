// W3: prepared traversals over the loaded graph — 1, 2 and 3 hops of `knows` from a person
// (bound with param("id"); 2- and 3-hop capped at 100 rows), each row with the last hop's
// edge prop; 200 runs each, median and p95. One statement per query.
import { param } from "typegraph-native";
import { now, ns, summarize } from "../stats.mjs";
export const name = "W3 traversals";
const RUNS = 200;

/** The workload's queries by metric (unprepared), their param() names in SQL order, and runs. */
export function queries(store, runs = RUNS) {
  const out = {};
  for (const [label, n, limit] of [["oneHop", 1, 0], ["twoHopLimit100", 2, 100], ["threeHopLimit100", 3, 100]]) {
    let q = store.query().from("Person", "p0").whereNode("p0", (p) => p.id.eq(param("id")));
    for (let i = 1; i <= n; i++) q = q.traverse("knows", `k${i}`).to("Person", `p${i}`);
    let sel = q.select((c) => ({ id: c[`p${n}`].id, name: c[`p${n}`].name, since: c[`k${n}`].since }));
    if (limit) sel = sel.limit(limit);
    out[label] = { query: sel, params: ["id"], runs };
  }
  return out;
}

export async function run({ store, data, runs = RUNS }) {
  const out = {};
  for (const [label, { query }] of Object.entries(queries(store, runs))) {
    const prepared = query.prepare();
    const samples = [];
    for (let r = 0; r < runs; r++) {
      const id = data.people[(r * 977) % data.people.length].id;
      const t0 = now();
      const rows = await prepared.execute({ id });
      samples.push(ns(t0));
      if (!Array.isArray(rows)) throw new Error("no rows array");
    }
    out[label] = summarize(samples);
  }
  return out;
}
