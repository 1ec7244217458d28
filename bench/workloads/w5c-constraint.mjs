// W5c: nodes.Account.bulkGetOrCreateByConstraint("email", …, { ifExists: "update" }) of 2,000
// items, half holding a stored account's email (merged: visits changed) and half new emails
// (created). Account is a kind of its own (unique constraint "email"), so the other workloads'
// Person rows carry no uniques. Measured as W5: one untimed call that also stores the accounts
// the timed calls find, a WAL checkpoint on SQLite, then 9 timed calls, each finding other stored
// accounts and creating fresh emails; the median is the figure, min and max its range,
// recordsPerCpuSec the median per CPU-second of the process.
import { now, ns } from "../stats.mjs";
export const name = "W5c constraint get-or-create sync";
export async function run({ store, lane, records = 2000, reps = 9 }) {
  const stored = 4000;
  const Account = store.nodes.Account;
  await Account.bulkInsert(Array.from({ length: stored }, (_, i) => ({ props: { email: `user${i}@example.com`, name: `User ${i}`, visits: 0 } })));
  const batch = (rep) => {
    const items = [];
    for (let i = 0; i < records / 2; i++) {
      const k = (i * 3 + rep * 7) % stored;
      items.push({ props: { email: `user${k}@example.com`, name: `User ${k}`, visits: rep + 1 } });
      items.push({ props: { email: `new${rep}_${i}@example.com`, name: `New ${i}`, visits: 1 } });
    }
    return items;
  };
  const options = { ifExists: "update" };
  await Account.bulkGetOrCreateByConstraint("email", batch(reps), options);
  if (lane.dialect === "sqlite") await store.backend.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const rates = [];
  const cpuRates = [];
  for (let rep = 0; rep < reps; rep++) {
    const items = batch(rep);
    const c0 = process.cpuUsage();
    const t0 = now();
    await Account.bulkGetOrCreateByConstraint("email", items, options);
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
