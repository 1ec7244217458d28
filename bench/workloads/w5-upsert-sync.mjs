// W5: bulkUpsertById of 2,000 records, half existing with changed props, half new.
// One call is ≈50–80 ms, so a single timing is at the mercy of a WAL checkpoint or the scheduler:
// the workload runs 5 calls (each on other existing rows and fresh new ids) and reports the median.
import { now, ns } from "../stats.mjs";
export const name = "W5 upsert sync";
export async function run({ store, data, records = 2000, reps = 5 }) {
  const rates = [];
  for (let rep = 0; rep < reps; rep++) {
    const items = [];
    for (let i = 0; i < records / 2; i++) {
      const p = data.people[(i * 3 + rep * 7) % data.people.length];
      items.push({ id: p.id, props: { ...p.props, age: p.props.age + 1 + rep } });
      items.push({ id: `new_person_${rep}_${i}`, props: { name: `New ${i}`, city: "Lisbon", age: 30, bio: p.props.bio } });
    }
    const t0 = now();
    await store.nodes.Person.bulkUpsertById(items);
    rates.push(Math.round(records / (ns(t0) / 1e9)));
  }
  const sorted = [...rates].sort((a, b) => a - b);
  return { recordsPerSec: sorted[Math.floor(sorted.length / 2)], minRecordsPerSec: sorted[0], maxRecordsPerSec: sorted[sorted.length - 1] };
}
