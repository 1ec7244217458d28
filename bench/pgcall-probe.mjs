// Probe (not a workload): per-call cost of PostgreSQL getById through the store and through the raw native call.
import { createStoreWithSchema } from "typegraph-native";
import { createPostgresBackend } from "typegraph-native/postgres";
import { graph } from "./graph.mjs";
const url = process.env.DATABASE_URL;
const schema = "tg_probe_pgio";
const inSchema = `${url}?options=${encodeURIComponent(`-c search_path=${schema},public`)}`;
const admin = createPostgresBackend(url);
await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
// INLINE_BUDGET_MS: the backend's inlineBudgetMs (unset: its default; 0: always async).
const budget = process.env.INLINE_BUDGET_MS;
const backend = createPostgresBackend(inSchema, budget === undefined ? {} : { inlineBudgetMs: Number(budget) });
const [store] = await createStoreWithSchema(graph, backend, { autoRefreshStatistics: false });
const n = Number(process.env.N ?? 2000);
const items = Array.from({ length: 2000 }, (_, i) => ({ id: `p${i}`, props: { name: `n${i}`, city: "Rome", age: i % 90, bio: "x".repeat(256) } }));
for (let i = 0; i < items.length; i += 50) await store.nodes.Person.bulkInsert(items.slice(i, i + 50));
const med = (a) => {
  a.sort((x, y) => x - y);
  const q = (p) => (a[Math.floor(a.length * p)] / 1000).toFixed(1);
  return `${q(0.5)} µs median, p90 ${q(0.9)}, p95 ${q(0.95)}, p99 ${q(0.99)}`;
};
const mode = process.env.MODE ?? "all";
if (mode === "all" || mode === "get") {
  for (let i = 0; i < 200; i++) await store.nodes.Person.getById(`p${i}`);
  const s = [];
  for (let i = 0; i < n; i++) { const t = process.hrtime.bigint(); const r = await store.nodes.Person.getById(`p${(i * 7919) % 2000}`); s.push(Number(process.hrtime.bigint() - t)); if (!r) throw new Error("miss"); }
  console.log("getById", med(s));
}
if (mode === "all" || mode === "update") {
  const s = [];
  for (let i = 0; i < 300; i++) { const t = process.hrtime.bigint(); await store.nodes.Person.update(`p${i}`, { age: 1 + (i % 50) }); s.push(Number(process.hrtime.bigint() - t)); }
  console.log("update", med(s));
  const c = [];
  for (let i = 0; i < 300; i++) { const t = process.hrtime.bigint(); await store.nodes.Person.create({ name: "c", city: "Rome", age: 3, bio: "y" }); c.push(Number(process.hrtime.bigint() - t)); }
  console.log("create", med(c));
}
await backend.close();
await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await admin.close();
