// Probe (not a workload): W2 getById, W3 prepared traversals and W5 upserts on the bench dataset,
// loaded once into a kept schema (tg_pgcall_data; DROP=1 drops it at the end), for A/B runs of
// two builds on a busy machine. WHAT=get,hop1,hop2,hop3,w5  RUNS=200  INLINE_BUDGET_MS=…
// LOG=1 logs every statement of the measuring backend with its parse/bind/execute durations in
// the server's log (log_min_duration_statement=0): round trips and server time per call.
import { createStoreWithSchema, param } from "typegraph-native";
import { createPostgresBackend } from "typegraph-native/postgres";
import { graph } from "./graph.mjs";
import { makeDataset } from "./dataset.mjs";
const url = process.env.DATABASE_URL;
const schema = "tg_pgcall_data";
const data = makeDataset();
const admin = createPostgresBackend(url);
const exists = (await admin.query(`SELECT count(*) FROM pg_namespace WHERE nspname = '${schema}'`))[0][0];
const base = `${url}?options=${encodeURIComponent(`-c search_path=${schema},public`)}`;
if (Number(exists) === 0) {
  await admin.exec(`CREATE SCHEMA ${schema}`);
  const b = createPostgresBackend(base);
  const [s] = await createStoreWithSchema(graph, b, { autoRefreshStatistics: false });
  await s.materializeIndexes();
  for (let i = 0; i < data.people.length; i += 5000) await s.nodes.Person.bulkInsert(data.people.slice(i, i + 5000));
  const edges = data.edges.map((e) => ({ from: { kind: "Person", id: e.from }, to: { kind: "Person", id: e.to }, props: { since: e.since } }));
  for (let i = 0; i < edges.length; i += 5000) await s.edges.knows.bulkInsert(edges.slice(i, i + 5000));
  await b.exec("ANALYZE");
  await b.close();
}
await admin.close();
const log = process.env.LOG ? ` -c log_min_duration_statement=0` : "";
const budget = process.env.INLINE_BUDGET_MS;
const backend = createPostgresBackend(`${url}?options=${encodeURIComponent(`-c search_path=${schema},public${log}`)}`, budget === undefined ? {} : { inlineBudgetMs: Number(budget) });
const [store] = await createStoreWithSchema(graph, backend, { autoRefreshStatistics: false });
const runs = Number(process.env.RUNS ?? 200);
const med = (a) => { a.sort((x, y) => x - y); const q = (p) => (a[Math.floor(a.length * p)] / 1000).toFixed(0); return `p50 ${q(0.5)} µs p95 ${q(0.95)}`; };
const what = (process.env.WHAT ?? "get,hop1,hop2,hop3").split(",");
const cpu0 = process.cpuUsage();
if (what.includes("get")) {
  const s = [];
  for (let r = 0; r < runs; r++) { const id = data.people[(r * 977) % data.people.length].id; const t = process.hrtime.bigint(); await store.nodes.Person.getById(id); s.push(Number(process.hrtime.bigint() - t)); }
  console.log("getById", med(s));
}
for (const n of [1, 2, 3]) {
  if (!what.includes(`hop${n}`)) continue;
  let q = store.query().from("Person", "p0").whereNode("p0", (p) => p.id.eq(param("id")));
  for (let i = 1; i <= n; i++) q = q.traverse("knows", `k${i}`).to("Person", `p${i}`);
  let sel = q.select((c) => ({ id: c[`p${n}`].id, name: c[`p${n}`].name, since: c[`k${n}`].since }));
  if (n > 1) sel = sel.limit(100);
  const prepared = sel.prepare();
  const s = [];
  for (let r = 0; r < runs; r++) { const id = data.people[(r * 977) % data.people.length].id; const t = process.hrtime.bigint(); await prepared.execute({ id }); s.push(Number(process.hrtime.bigint() - t)); }
  console.log(`hop${n}`, med(s));
}
if (what.includes("w5")) {
  const batch = (rep) => { const items = []; for (let i = 0; i < 1000; i++) { const p = data.people[(i * 3 + rep * 7) % data.people.length]; items.push({ id: p.id, props: { ...p.props, age: p.props.age + 1 + rep } }); items.push({ id: `new_${Date.now()}_${rep}_${i}`, props: { name: `New ${i}`, city: "Lisbon", age: 30, bio: p.props.bio } }); } return items; };
  await store.nodes.Person.bulkUpsertById(batch(99));
  const s = [];
  for (let rep = 0; rep < 5; rep++) { const items = batch(rep); const t = process.hrtime.bigint(); await store.nodes.Person.bulkUpsertById(items); s.push(Number(process.hrtime.bigint() - t)); }
  console.log("w5 ms per 2000", s.map((x) => (x / 1e6).toFixed(1)).join(" "));
}
const cpu = process.cpuUsage(cpu0);
console.log("process cpu ms", ((cpu.user + cpu.system) / 1000).toFixed(0));
await backend.close();
if (process.env.DROP) {
  const admin2 = createPostgresBackend(url);
  await admin2.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin2.close();
}
