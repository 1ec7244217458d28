// W5: bulkUpsertById of 2,000 records, half existing with changed props, half new.
import { now, ns } from "../stats.mjs";
export const name = "W5 upsert sync";
export async function run({ store, data, records = 2000 }) {
  const items = [];
  for (let i = 0; i < records / 2; i++) {
    const p = data.people[i * 3];
    items.push({ id: p.id, props: { ...p.props, age: p.props.age + 1 } });
    items.push({ id: `new_person_${i}`, props: { name: `New ${i}`, city: "Lisbon", age: 30, bio: p.props.bio } });
  }
  const t0 = now();
  await store.nodes.Person.bulkUpsertById(items);
  const t = ns(t0);
  return { recordsPerSec: Math.round(records / (t / 1e9)) };
}
