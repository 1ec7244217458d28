// W5c alone on a SQLite file, for A/B runs and profiling on a busy machine
// (`perf record -g node --perf-basic-prof bench/w5c-profile.mjs`): CPU time of this process
// per call of 2,000 items (half stored accounts' emails merged, half new), as
// bench/workloads/w5c-constraint.mjs builds them.   TG_W5C_REPS=n   timed calls (default 9)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStoreWithSchema } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";
import { graph } from "./graph.mjs";

const reps = Number(process.env.TG_W5C_REPS ?? 9);
const { backend } = createLocalSqliteBackend({ path: join(mkdtempSync(join(tmpdir(), "tg-w5c-")), "w5c.db") });
const [store] = await createStoreWithSchema(graph, backend, { autoRefreshStatistics: false });
const Account = store.nodes.Account;
const stored = 4000;
await Account.bulkInsert(Array.from({ length: stored }, (_, i) => ({ props: { email: `user${i}@example.com`, name: `User ${i}`, visits: 0 } })));
const batch = (rep) => {
  const items = [];
  for (let i = 0; i < 1000; i++) {
    const k = (i * 3 + rep * 7) % stored;
    items.push({ props: { email: `user${k}@example.com`, name: `User ${k}`, visits: rep + 1 } });
    items.push({ props: { email: `new${rep}_${i}@example.com`, name: `New ${i}`, visits: 1 } });
  }
  return items;
};
await Account.bulkGetOrCreateByConstraint("email", batch(reps), { ifExists: "update" });
await store.backend.exec("PRAGMA wal_checkpoint(TRUNCATE)");
const rates = [];
for (let rep = 0; rep < reps; rep++) {
  const items = batch(rep);
  const c0 = process.cpuUsage();
  await Account.bulkGetOrCreateByConstraint("email", items, { ifExists: "update" });
  const c = process.cpuUsage(c0);
  rates.push(Math.round(2000 / ((c.user + c.system) / 1e6)));
}
const sorted = [...rates].sort((a, b) => a - b);
console.log(JSON.stringify({ w5cRecordsPerCpuS: sorted[Math.floor(reps / 2)], range: [sorted[0], sorted[reps - 1]] }));
await store.close();
