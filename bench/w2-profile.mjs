// W2/W4 alone on the SQLite file lane, for A/B runs and profiling on a busy machine
// (`perf record -g node --perf-basic-prof bench/w2-profile.mjs`). Reports CPU µs per call
// (process CPU time over a loop, not wall time) next to the wall median of the same loop.
//   TG_W2_WHAT=getById,prepared,cityAge,groupBy (default all but groupBy); TG_W2_LOOPS=n calls per loop (default 20000);
//   TG_W2_STATS=0 skips the statistics refresh W1 ends with.
//   TG_W2_PERF=out.data records `perf record -g` of the timed loops only (setup left out); run
//   node with --perf-basic-prof to name JS frames.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { count, createStoreWithSchema, field, param } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";
import { CITIES, makeDataset } from "./dataset.mjs";
import { graph } from "./graph.mjs";

const what = (process.env.TG_W2_WHAT ?? "getById,prepared,cityAge").split(",");
const loops = Number(process.env.TG_W2_LOOPS ?? 20000);
const data = makeDataset();
const scratch = mkdtempSync(join(tmpdir(), "tg-w2-"));
const { backend } = createLocalSqliteBackend({ path: join(scratch, "w2.db") });
const [store] = await createStoreWithSchema(graph, backend, { autoRefreshStatistics: false });
await store.materializeIndexes();
await store.nodes.Person.bulkInsert(data.people);
// As W1 does after its load (TG_W2_STATS=0 leaves the statistics out).
if (process.env.TG_W2_STATS !== "0") await store.refreshStatistics();
const ids = Array.from({ length: 2000 }, (_, i) => data.people[(i * 7919) % data.people.length].id);

async function perfStart() {
  const out = process.env.TG_W2_PERF;
  if (!out) return undefined;
  const p = spawn("perf", ["record", "-F", "4000", "-g", "-o", out, "-p", String(process.pid)], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 300));
  return p;
}

async function perfStop(p) {
  if (!p) return;
  const done = new Promise((r) => p.on("exit", r));
  p.kill("SIGINT");
  await done;
}

async function measure(name, fn) {
  for (let i = 0; i < Math.min(2000, loops); i++) await fn(i);
  const perf = await perfStart();
  const wall = new Float64Array(loops);
  const c0 = process.cpuUsage();
  for (let i = 0; i < loops; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    wall[i] = Number(process.hrtime.bigint() - t0);
  }
  const c = process.cpuUsage(c0);
  await perfStop(perf);
  wall.sort();
  console.log(JSON.stringify({ name, cpuUsPerCall: Number(((c.user + c.system) / loops).toFixed(2)), wallMedianUs: Number((wall[loops >> 1] / 1000).toFixed(2)) }));
}

if (what.includes("getById")) {
  await measure("getById", async (i) => {
    if (!(await store.nodes.Person.getById(ids[i % ids.length]))) throw new Error("miss");
  });
}
if (what.includes("prepared")) {
  const prepared = store.query().from("Person", "p").whereNode("p", (p) => p.id.eq(param("id"))).select((c) => c.p).prepare();
  await measure("preparedIdQuery", async (i) => {
    if ((await prepared.execute({ id: ids[i % ids.length] })).length !== 1) throw new Error("miss");
  });
}
if (what.includes("cityAge")) {
  const filter = store
    .query()
    .from("Person", "p")
    .whereNode("p", (p) => p.city.eq(param("city")).and(p.age.gte(param("age"))))
    .select((c) => ({ id: c.p.id, age: c.p.age }))
    .limit(50)
    .prepare();
  await measure("cityAgeLimit50", async (r) => {
    await filter.execute({ city: CITIES[r % CITIES.length], age: 30 + (r % 40) });
  });
}
if (what.includes("groupBy")) {
  await measure("groupByCityCount", async () => {
    const rows = await store.query().from("Person", "p").groupBy("p", "city").aggregate({ city: field("p", "city"), n: count("p") }).execute();
    if (rows.length !== CITIES.length) throw new Error("groups");
  });
}
await store.close();
