// W6 in the bench's own conditions, for finding why the full bench and `w6-profile.mjs` differ:
// the SQLite file lane opened as bench/run.mjs opens it (same kind of warm-up, same dataset held),
// the workloads named by TG_W6_BEFORE run first (default: W1–W5c, as the full bench; "W1" for the
// load alone), then W6 exactly as the bench runs it, TG_W6_REPEAT times (default 2), each run with
// the database size and JS heap beside its figures.
//   TG_W6_PHASE=update   instead: 500 nodes created untimed, then TG_W6_REPEAT rounds of 500 updates
//                        (median, p95, process CPU-µs per op per round)
//   TG_W6_SQL=...        a statement run on the store's connection before W6 (e.g. a PRAGMA)
//   TG_W6_PAUSE=ms       a pause after "READY" (stderr), to attach `perf record -p` / gdb to W6 alone
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStoreWithSchema } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";
import { makeDataset } from "./dataset.mjs";
import { graph } from "./graph.mjs";
import * as w1 from "./workloads/w1-ingest.mjs";
import * as w2 from "./workloads/w2-point-reads.mjs";
import * as w3 from "./workloads/w3-traversals.mjs";
import * as w4 from "./workloads/w4-filters.mjs";
import * as w5 from "./workloads/w5-upsert-sync.mjs";
import * as w5e from "./workloads/w5e-edge-upsert.mjs";
import * as w5c from "./workloads/w5c-constraint.mjs";
import * as w6 from "./workloads/w6-single-writes.mjs";

const before = (process.env.TG_W6_BEFORE ?? "W1,W2,W3,W4,W5,W5e,W5c").split(",").map((s) => s.trim());
const repeat = Number(process.env.TG_W6_REPEAT ?? 2);
const all = [w1, w2, w3, w4, w5, w5e, w5c];
const data = makeDataset();
const scratch = mkdtempSync(join(tmpdir(), "tg-w6s-"));
{
  const { backend } = createLocalSqliteBackend();
  const [warm] = await createStoreWithSchema(graph, backend);
  const small = makeDataset({ persons: 3000, seed: 7 });
  await warm.nodes.Person.bulkInsert(small.people);
  for (let i = 0; i < 500; i++) {
    const n = await warm.nodes.Person.create({ name: `warm ${i}`, city: "Rome", age: 40, bio: "x".repeat(256) });
    await warm.edges.knows.create(n, { kind: "Person", id: small.people[i].id }, { since: 2020 });
    await warm.nodes.Person.update(n.id, { age: 41 });
  }
  await warm.close();
}
const file = join(scratch, "native.db");
const { backend } = createLocalSqliteBackend({ path: file });
const [store] = await createStoreWithSchema(graph, backend, { autoRefreshStatistics: false });
await store.materializeIndexes();
const lane = { name: "typegraph-native sqlite (file, WAL)", dialect: "sqlite" };
for (const w of all) {
  if (!before.some((p) => w.name.startsWith(p + " "))) continue;
  await w.run({ store, data, lane });
  console.error(`${w.name} done`);
}
const size = (f) => {
  try {
    return Math.round(statSync(f).size / 1e6);
  } catch {
    return 0;
  }
};
if (process.env.TG_W6_SQL) await store.backend.exec(process.env.TG_W6_SQL);
console.error("READY");
if (process.env.TG_W6_PAUSE) await new Promise((r) => setTimeout(r, Number(process.env.TG_W6_PAUSE)));
if (process.env.TG_W6_PHASE === "update") {
  // The update phase alone (for a profile of it): 500 nodes created untimed, then updated.
  const made = [];
  for (let i = 0; i < 500; i++) made.push(await store.nodes.Person.create({ name: `U ${i}`, city: "Rome", age: 40, bio: "x".repeat(256) }));
  for (let r = 0; r < repeat; r++) {
    await store.backend.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const samples = [];
    const c0 = process.cpuUsage();
    for (let i = 0; i < 500; i++) {
      const t0 = process.hrtime.bigint();
      await store.nodes.Person.update(made[i].id, { age: 41 + r });
      samples.push(Number(process.hrtime.bigint() - t0));
    }
    const c = process.cpuUsage(c0);
    samples.sort((a, b) => a - b);
    console.log(`update round ${r}: median ${(samples[250] / 1000).toFixed(1)} µs, p95 ${(samples[475] / 1000).toFixed(0)}, cpu ${((c.user + c.system) / 500).toFixed(1)}`);
  }
  await store.close();
  process.exit(0);
}
for (let r = 0; r < repeat; r++) {
  const dbMb = size(file);
  const heapMb = Math.round(process.memoryUsage().heapUsed / 1e6);
  const out = await w6.run({ store, data: r === 0 ? data : { ...data, people: data.people.slice(500 * r) }, lane });
  const pick = (p) => `${p.medianUs.toFixed(1)} µs (p95 ${p.p95Us.toFixed(0)}, cpu ${p.cpuUsPerOp})`;
  console.log(`run ${r}: db ${dbMb} MB, heap ${heapMb} MB | create ${pick(out.create)} | edge ${pick(out.edgeCreate)} | update ${pick(out.update)}`);
}
await store.close();
