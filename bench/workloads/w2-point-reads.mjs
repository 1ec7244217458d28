// W2: 2,000 getById point reads over the loaded graph; median and p95.
import { now, ns, summarize } from "../stats.mjs";
export const name = "W2 point reads";
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
  return { getById: summarize(samples) };
}
