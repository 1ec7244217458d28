// W5: bulkUpsertById of 2,000 records, half existing with changed props, half new.
// One call is ≈50–80 ms, so a single timing is at the mercy of a WAL checkpoint or the scheduler.
// One untimed call first (warms the statements and pages the call touches); the WAL is then
// checkpointed once, so the series does not start by paying for the earlier workloads' pages
// (the calls' own checkpoints still land inside the series). Then 9 timed calls, each on other
// existing rows and fresh new ids: the median is the figure, min and max its range;
// recordsPerCpuSec is the median per CPU-second of the process (the floor reports its thread's).
import { now, ns } from "../stats.mjs";
export const name = "W5 upsert sync";
export async function run({ store, data, lane, records = 2000, reps = 9 }) {
  const batch = (rep) => {
    const items = [];
    for (let i = 0; i < records / 2; i++) {
      const p = data.people[(i * 3 + rep * 7) % data.people.length];
      items.push({ id: p.id, props: { ...p.props, age: p.props.age + 1 + rep } });
      items.push({ id: `new_person_${rep}_${i}`, props: { name: `New ${i}`, city: "Lisbon", age: 30, bio: p.props.bio } });
    }
    return items;
  };
  await store.nodes.Person.bulkUpsertById(batch(reps));
  if (lane.dialect === "sqlite") await store.backend.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const rates = [];
  const cpuRates = [];
  for (let rep = 0; rep < reps; rep++) {
    const items = batch(rep);
    const c0 = process.cpuUsage();
    const t0 = now();
    await store.nodes.Person.bulkUpsertById(items);
    rates.push(Math.round(records / (ns(t0) / 1e9)));
    // The process's CPU time (the SQLite lane runs on this thread; GC helpers count too):
    // comparable with the floor's on a machine shared with other work, where wall time is not.
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
