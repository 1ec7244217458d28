// Recorded-time write cost: CPU time per single write (create, update) and per update inside one
// transaction, history off vs on, interleaved rounds in one process on SQLite files. Release build:
// `npm run build:native:release && npm run build:ts && node bench/recorded-cost.mjs` (N=2000 default).
import { createStoreWithSchema, defineGraph, defineNode } from "../dist/index.js";
import { createLocalSqliteBackend } from "../dist/sqlite-local.js";
import { z } from "zod";
import { mkdtempSync } from "node:fs"; import { tmpdir } from "node:os"; import { join } from "node:path";
const Item = defineNode("Item", { schema: z.object({ n: z.number(), s: z.string() }) });
const dir = mkdtempSync(join(tmpdir(), "hb-"));
async function mk(history) {
  const g = defineGraph({ id: `hb_${history}`, nodes: { Item: { type: Item } }, edges: {} });
  const { backend } = createLocalSqliteBackend({ path: join(dir, `${history}.db`) });
  const [s] = await createStoreWithSchema(g, backend, { history });
  return s;
}
const off = await mk(false), on = await mk(true);
const N = Number(process.env.N ?? 2000);
async function round(store) {
  const ids = [];
  let t = process.cpuUsage();
  for (let i = 0; i < N; i++) ids.push((await store.nodes.Item.create({ n: i, s: "x" + i })).id);
  let c = process.cpuUsage(t); const create = (c.user + c.system) / N;
  t = process.cpuUsage();
  for (let i = 0; i < N; i++) await store.nodes.Item.update(ids[i], { n: i + 1 });
  c = process.cpuUsage(t); const update = (c.user + c.system) / N;
  t = process.cpuUsage();
  await store.transaction(async (tx) => { for (let i = 0; i < N; i++) await tx.nodes.Item.update(ids[i], { n: i + 2 }); });
  c = process.cpuUsage(t); const txUpdate = (c.user + c.system) / N;
  return { create, update, txUpdate };
}
const res = { off: [], on: [] };
for (let r = 0; r < 3; r++) { res.off.push(await round(off)); res.on.push(await round(on)); }
const med = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const k of ["create", "update", "txUpdate"]) {
  const a = med(res.off.map((x) => x[k])), b = med(res.on.map((x) => x[k]));
  console.log(`${k}: off ${a.toFixed(1)} µs CPU, on ${b.toFixed(1)} µs CPU, ×${(b / a).toFixed(2)}`);
}
