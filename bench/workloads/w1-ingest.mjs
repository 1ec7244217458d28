// W1: bulkInsert persons then edges in batches of 5,000 into a fresh database.
import { now, ns } from "../stats.mjs";
export const name = "W1 ingest";
export async function run({ store, data, batch = 5000 }) {
  let t0 = now();
  for (let i = 0; i < data.people.length; i += batch) {
    await store.nodes.Person.bulkInsert(data.people.slice(i, i + batch));
  }
  const nodeNs = ns(t0);
  t0 = now();
  for (let i = 0; i < data.edges.length; i += batch) {
    await store.edges.knows.bulkInsert(
      data.edges.slice(i, i + batch).map((e) => ({ id: e.id, from: { kind: "Person", id: e.from }, to: { kind: "Person", id: e.to }, props: { since: e.since } })),
    );
  }
  const edgeNs = ns(t0);
  return {
    nodesPerSec: Math.round(data.people.length / (nodeNs / 1e9)),
    edgesPerSec: Math.round(data.edges.length / (edgeNs / 1e9)),
    rowsPerSec: Math.round((data.people.length + data.edges.length) / ((nodeNs + edgeNs) / 1e9)),
  };
}
