// W6 (autocommit create, edges.create, update) alone on the SQLite file lane, for A/B runs and
// `perf record -g node --perf-basic-prof bench/w6-profile.mjs`. Prints, per phase: the wall-time
// median / p95 of each round, and CPU-µs per operation (process CPU time over the round: the lane
// runs on the calling thread, so other processes stretch wall time, not this figure; mainCpuUsPerOp
// counts the JS thread alone, cpuUsPerOp every thread of the process).
//   TG_W6_ONLY=create|edge|update   one phase (update / edge create their 500 nodes untimed first)
//   TG_W6_COUNT=n   operations per round (default 500);  TG_W6_ROUNDS=n   rounds (default 3)
//   TG_W6_BASE=file  the loaded database (20k people, 100k edges) is kept there and copied on
//                    later runs, so a profile holds W6 only
//   TG_W6_CHECKPOINT=1  `PRAGMA wal_checkpoint(TRUNCATE)` before each round (as the bench does)
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStoreWithSchema } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";
import { makeDataset } from "./dataset.mjs";
import { graph } from "./graph.mjs";
import { now, ns, summarize } from "./stats.mjs";

const count = Number(process.env.TG_W6_COUNT ?? 500);
const rounds = Number(process.env.TG_W6_ROUNDS ?? 3);
const only = process.env.TG_W6_ONLY;
const checkpoint = process.env.TG_W6_CHECKPOINT === "1";
const scratch = mkdtempSync(join(tmpdir(), "tg-w6-"));
const base = process.env.TG_W6_BASE;
const file = join(scratch, "w6.db");
const reuse = base !== undefined && existsSync(base);
if (reuse) copyFileSync(base, file);
const { backend } = createLocalSqliteBackend({ path: file });
const [store] = await createStoreWithSchema(graph, backend, { autoRefreshStatistics: false });
if (!reuse) {
  const data = makeDataset();
  await store.materializeIndexes();
  await store.nodes.Person.bulkInsert(data.people);
  await store.edges.knows.bulkInsert(data.edges.map((e) => ({ id: e.id, from: { kind: "Person", id: e.from }, to: { kind: "Person", id: e.to }, props: { since: e.since } })));
  await store.backend.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  if (base !== undefined) copyFileSync(file, base);
}

// CPU time of the JS thread alone (ns; the main thread's tid is the pid): without the V8 helper
// threads (GC, compilers) that process.cpuUsage also counts.
const mainCpuNs = () => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").split(" ")[0]);
const phases = only === undefined ? ["create", "edge", "update"] : [only];
const out = {};
let serial = 0;
// Without the create phase, the nodes written over are made once, in one call (out of a profile's way).
const made = phases.includes("create")
  ? undefined
  : await store.nodes.Person.bulkCreate(Array.from({ length: count }, (_, i) => ({ id: `w6_${i}`, props: { name: `W6 ${i}`, city: "Rome", age: 40, bio: "x".repeat(256) } })));
for (let round = 0; round < rounds; round++) {
  let created = made ? [...made] : [];
  for (const phase of phases) {
    if (checkpoint) await store.backend.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const samples = [];
    const c0 = process.cpuUsage();
    const m0 = mainCpuNs();
    for (let i = 0; i < count; i++) {
      const t0 = now();
      if (phase === "create") {
        created.push(await store.nodes.Person.create({ name: `W6 ${serial++}`, city: "Rome", age: 40, bio: "x".repeat(256) }));
      } else if (phase === "edge") {
        await store.edges.knows.create(created[i], { kind: "Person", id: `person_${i}` }, { since: 2020 });
      } else {
        await store.nodes.Person.update(created[i].id, { age: 41 + round });
      }
      samples.push(ns(t0));
    }
    const c = process.cpuUsage(c0);
    const m = mainCpuNs() - m0;
    const s = summarize(samples);
    const sorted = [...samples].sort((a, b) => a - b);
    (out[phase] ??= []).push({
      medianUs: Number(s.medianUs.toFixed(1)),
      p95Us: Number(s.p95Us.toFixed(1)),
      maxUs: Math.round(sorted.at(-1) / 1000),
      cpuUsPerOp: Number(((c.user + c.system) / count).toFixed(1)),
      mainCpuUsPerOp: Number((m / 1000 / count).toFixed(1)),
    });
  }
  created = [];
}
console.log(JSON.stringify(out));
await store.close();
