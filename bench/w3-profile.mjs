// W3 (and W4) alone on the SQLite file lane, for profiling and SQL experiments
// (`perf record -g node --perf-basic-prof bench/w3-profile.mjs`).
//   TG_W3_DB=path   reuse (or create) this database file (the load is skipped when it exists)
//   TG_W3_RUNS=n    runs per query (default 2000); TG_W3_ONLY=a,b… only these queries (oneHop,
//                   twoHopLimit100, threeHopLimit100, cityAgeLimit50, groupByCityCount; 1|2|3 = the hops)
//   TG_W3_SQL=1     print each query's compiled SQL and exit
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";
import { createStoreWithSchema } from "typegraph-native";
import { CITIES, makeDataset } from "./dataset.mjs";
import { graph } from "./graph.mjs";
import * as w1 from "./workloads/w1-ingest.mjs";
import * as w3 from "./workloads/w3-traversals.mjs";
import * as w4 from "./workloads/w4-filters.mjs";

const data = makeDataset();
const path = process.env.TG_W3_DB ?? join(mkdtempSync(join(tmpdir(), "tg-w3-")), "w3.db");
const fresh = !existsSync(path);
const { backend } = createLocalSqliteBackend({ path });
const [store] = await createStoreWithSchema(graph, backend, { autoRefreshStatistics: false });
if (fresh) {
  await store.materializeIndexes();
  await w1.run({ store, data, lane: {} });
  console.error(`loaded ${path}`);
}
const runs = Number(process.env.TG_W3_RUNS ?? 2000);
const hops = { 1: "oneHop", 2: "twoHopLimit100", 3: "threeHopLimit100" };
const only = process.env.TG_W3_ONLY?.split(",").map((s) => hops[s] ?? s);
const bindings = {
  oneHop: (r) => ({ id: data.people[(r * 977) % data.people.length].id }),
  cityAgeLimit50: (r) => ({ city: CITIES[r % CITIES.length], age: 30 + (r % 40) }),
};
bindings.twoHopLimit100 = bindings.threeHopLimit100 = bindings.oneHop;
const all = { ...w3.queries(store, runs), ...w4.queries(store, runs) };
for (const [label, q] of Object.entries(all)) {
  if (only && !only.includes(label)) continue;
  if (process.env.TG_W3_SQL) {
    console.log(`-- ${label}\n${q.query.toSQL().sql}\n`);
    continue;
  }
  // An aggregate is built anew and run unprepared (as W4 does); the rest run prepared.
  const prepared = q.build ? undefined : q.query.prepare();
  const n = q.build ? Math.max(1, Math.floor(runs / 100)) : runs;
  let rows = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < n; r++) {
    rows += (prepared ? await prepared.execute(bindings[label](r)) : await q.build().execute()).length;
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e3 / n;
  const c = process.cpuUsage(c0);
  console.log(JSON.stringify({ query: label, runs: n, rowsPerRun: rows / n, cpuUsPerRun: +((c.user + c.system) / n).toFixed(1), wallUsPerRun: +wall.toFixed(1) }));
}
await store.close();
