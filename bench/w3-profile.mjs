// W3 alone on the SQLite file lane, for profiling and SQL experiments
// (`perf record -g node --perf-basic-prof bench/w3-profile.mjs`).
//   TG_W3_DB=path   reuse (or create) this database file (the load is skipped when it exists)
//   TG_W3_RUNS=n    runs per query (default 2000); TG_W3_ONLY=1|2|3 one hop count only
//   TG_W3_SQL=1     print each query's compiled SQL and exit
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStoreWithSchema, param } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";
import { makeDataset } from "./dataset.mjs";
import { graph } from "./graph.mjs";
import * as w1 from "./workloads/w1-ingest.mjs";

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
const only = process.env.TG_W3_ONLY ? Number(process.env.TG_W3_ONLY) : 0;
for (const [n, limit] of [[1, 0], [2, 100], [3, 100]]) {
  if (only && only !== n) continue;
  let q = store.query().from("Person", "p0").whereNode("p0", (p) => p.id.eq(param("id")));
  for (let i = 1; i <= n; i++) q = q.traverse("knows", `k${i}`).to("Person", `p${i}`);
  let sel = q.select((c) => ({ id: c[`p${n}`].id, name: c[`p${n}`].name, since: c[`k${n}`].since }));
  if (limit) sel = sel.limit(limit);
  if (process.env.TG_W3_SQL) {
    console.log(`-- ${n}-hop\n${sel.toSQL().sql}\n`);
    continue;
  }
  const prepared = sel.prepare();
  let rows = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < runs; r++) {
    const id = data.people[(r * 977) % data.people.length].id;
    rows += (await prepared.execute({ id })).length;
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e3 / runs;
  const c = process.cpuUsage(c0);
  console.log(JSON.stringify({ hops: n, runs, rowsPerRun: rows / runs, cpuUsPerRun: +((c.user + c.system) / runs).toFixed(1), wallUsPerRun: +wall.toFixed(1) }));
}
await store.close();
