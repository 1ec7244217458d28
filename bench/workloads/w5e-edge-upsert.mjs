// W5e: edges.bulkUpsertById of 2,000 `knows` edges, half existing with changed props, half new
// (endpoints among the loaded people). Runs after W1 (the edges it updates are W1's); measured
// as W5: one untimed call, a WAL checkpoint on SQLite, then 9 timed calls, each on other stored
// edges and fresh new ids; the median is the figure, min and max its range, recordsPerCpuSec the
// median per CPU-second of the process (the floor reports its thread's).
import { now, ns } from "../stats.mjs";
export const name = "W5e edge upsert sync";
export async function run({ store, data, lane, records = 2000, reps = 9 }) {
  const people = data.people;
  const batch = (rep) => {
    const items = [];
    for (let i = 0; i < records / 2; i++) {
      const e = data.edges[(i * 37 + rep * 11) % data.edges.length];
      items.push({ id: e.id, from: { kind: "Person", id: e.from }, to: { kind: "Person", id: e.to }, props: { since: e.since + 1 + rep } });
      const from = people[(i * 3 + rep * 7) % people.length];
      const to = people[(i * 11 + rep * 5 + 1) % people.length];
      items.push({ id: `new_knows_${rep}_${i}`, from: { kind: "Person", id: from.id }, to: { kind: "Person", id: to.id }, props: { since: 2025 } });
    }
    return items;
  };
  await store.edges.knows.bulkUpsertById(batch(reps));
  if (lane.dialect === "sqlite") await store.backend.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const rates = [];
  const cpuRates = [];
  for (let rep = 0; rep < reps; rep++) {
    const items = batch(rep);
    const c0 = process.cpuUsage();
    const t0 = now();
    await store.edges.knows.bulkUpsertById(items);
    rates.push(Math.round(records / (ns(t0) / 1e9)));
    const c = process.cpuUsage(c0);
    cpuRates.push(Math.round(records / ((c.user + c.system) / 1e6)));
  }
  const sorted = [...rates].sort((a, b) => a - b);
  const cpuSorted = [...cpuRates].sort((a, b) => a - b);
  return {
    recordsPerSec: sorted[Math.floor(sorted.length / 2)],
    minRecordsPerSec: sorted[0],
    maxRecordsPerSec: sorted[sorted.length - 1],
    recordsPerCpuSec: cpuSorted[Math.floor(cpuSorted.length / 2)],
  };
}
