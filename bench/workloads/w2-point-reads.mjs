// W2: 2,000 getById point reads over the loaded graph; median and p95.
import { param } from "typegraph-native";
import { now, ns, summarize } from "../stats.mjs";
export const name = "W2 point reads";
/** The prepared id query (unprepared), its param() names in SQL order, runs, warm-up runs and the
 *  stride W2 picks its people by (for the "our SQL from Rust" lane). */
export function queries(store, reads = 2000) {
  const query = store.query().from("Person", "p").whereNode("p", (p) => p.id.eq(param("id"))).select((c) => c.p);
  return { preparedIdQuery: { query, params: ["id"], runs: reads, warm: 200, stride: 7919 } };
}

export async function run({ store, data, reads = 2000 }) {
  const ids = Array.from({ length: reads }, (_, i) => data.people[(i * 7919) % data.people.length].id);
  for (const id of ids.slice(0, 200)) await store.nodes.Person.getById(id);
  const samples = [];
  for (const id of ids) {
    const t0 = now();
    const n = await store.nodes.Person.getById(id);
    samples.push(ns(t0));
    if (!n) throw new Error(`missing ${id}`);
  }
  const prepared = queries(store, reads).preparedIdQuery.query.prepare();
  for (const id of ids.slice(0, 200)) await prepared.execute({ id });
  const psamples = [];
  for (const id of ids) {
    const t0 = now();
    const rows = await prepared.execute({ id });
    psamples.push(ns(t0));
    if (rows.length !== 1) throw new Error(`prepared miss ${id}`);
  }
  return { getById: summarize(samples), preparedIdQuery: summarize(psamples) };
}
