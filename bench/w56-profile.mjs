// W5 and W6 alone on the SQLite file lane, for A/B runs and profiling on a busy machine
// (`perf record -g node --perf-basic-prof bench/w56-profile.mjs`). Figures are per CPU time of
// this process (the SQLite lane runs on the calling thread), so other builds stretch wall time
// but not these numbers.
//   TG_W5_REPS=n   W5 calls after the warm-up (default 15); TG_W6_COUNT=n   W6 ops each (default 500)
//   TG_W56=W5|W6   only one of them
//   TG_W56_BASE=file   the loaded database (20k people, 100k edges) is kept there and copied on
//                      later runs, so a profile of a run holds W5/W6 only
import { copyFileSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStoreWithSchema } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";
import { makeDataset } from "./dataset.mjs";
import { graph } from "./graph.mjs";

const reps = Number(process.env.TG_W5_REPS ?? 15);
const count = Number(process.env.TG_W6_COUNT ?? 500);
const only = process.env.TG_W56;
const data = makeDataset();
const scratch = mkdtempSync(join(tmpdir(), "tg-w56-"));
const base = process.env.TG_W56_BASE;
const file = join(scratch, "w56.db");
const reuse = base !== undefined && existsSync(base);
if (reuse) copyFileSync(base, file);
const { backend } = createLocalSqliteBackend({ path: file });
const [store] = await createStoreWithSchema(graph, backend, { autoRefreshStatistics: false });
if (!reuse) {
  await store.materializeIndexes();
  await store.nodes.Person.bulkInsert(data.people);
  await store.edges.knows.bulkInsert(data.edges.map((e) => ({ id: e.id, from: { kind: "Person", id: e.from }, to: { kind: "Person", id: e.to }, props: { since: e.since } })));
  await store.backend.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  if (base !== undefined) copyFileSync(file, base);
}

const cpu = (fn) => async () => {
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return c.user + c.system; // µs
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = {};

if (only !== "W6") {
  // As bench/workloads/w5-upsert-sync.mjs: 2,000 records, half existing with a changed age, half new.
  const batch = (rep) => {
    const items = [];
    for (let i = 0; i < 1000; i++) {
      const p = data.people[(i * 3 + rep * 7) % data.people.length];
      items.push({ id: p.id, props: { ...p.props, age: p.props.age + 1 + rep } });
      items.push({ id: `new_person_${rep}_${i}`, props: { name: `New ${i}`, city: "Lisbon", age: 30, bio: p.props.bio } });
    }
    return items;
  };
  await store.nodes.Person.bulkUpsertById(batch(1000));
  const rates = [];
  for (let rep = 0; rep < reps; rep++) {
    const items = batch(rep);
    const us = await cpu(() => store.nodes.Person.bulkUpsertById(items))();
    rates.push(Math.round(2000 / (us / 1e6)));
  }
  out.w5RecordsPerCpuS = median(rates);
  out.w5Range = [Math.min(...rates), Math.max(...rates)];
}

if (only !== "W5") {
  const created = [];
  const t = { create: [], edgeCreate: [], update: [] };
  for (let i = 0; i < count; i++) {
    const us = await cpu(async () => created.push(await store.nodes.Person.create({ name: `W6 ${i}`, city: "Rome", age: 40, bio: "x".repeat(256) })))();
    t.create.push(us);
  }
  for (let i = 0; i < count; i++) {
    t.edgeCreate.push(await cpu(() => store.edges.knows.create(created[i], { kind: "Person", id: data.people[i].id }, { since: 2020 }))());
  }
  for (let i = 0; i < count; i++) {
    t.update.push(await cpu(() => store.nodes.Person.update(created[i].id, { age: 41 }))());
  }
  // process.cpuUsage has µs granularity: the mean is the steadier figure here.
  const mean = (xs) => Number((xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1));
  out.w6CpuUs = { create: mean(t.create), edgeCreate: mean(t.edgeCreate), update: mean(t.update) };
}
console.log(JSON.stringify(out));
await store.close();
