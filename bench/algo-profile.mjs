// Graph algorithms on the benchmark dataset (20k persons, 100k knows edges, 20% to 200 hubs), one
// SQLite file (or PostgreSQL with TG_ALGO_PG=1 and DATABASE_URL): CPU seconds per call kind, for
// A/B runs and `perf record -g node --perf-basic-prof bench/algo-profile.mjs`.
//   TG_ALGO_ONLY=reachable2,… to run a subset; TG_ALGO_REPEAT=n calls per kind (default 200);
//   TG_ALGO_DB=path keeps the SQLite file (bench/algo-sql-strategies.py compares SQL strategies on it).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStoreWithSchema } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";
import { createPostgresBackend } from "typegraph-native/postgres";
import { makeDataset } from "./dataset.mjs";
import { graph } from "./graph.mjs";

const repeat = Number(process.env.TG_ALGO_REPEAT ?? 200);
const only = process.env.TG_ALGO_ONLY?.split(",");
const pg = process.env.TG_ALGO_PG === "1";
const data = makeDataset();
const scratch = mkdtempSync(join(tmpdir(), "tg-algo-"));
const backend = pg ? createPostgresBackend(process.env.DATABASE_URL) : createLocalSqliteBackend({ path: process.env.TG_ALGO_DB ?? join(scratch, "algo.db") }).backend;
const g = pg ? { ...graph, id: `bench_algo_${process.pid}` } : graph;
const [store] = await createStoreWithSchema(g, backend);
await store.nodes.Person.bulkInsert(data.people);
await store.edges.knows.bulkInsert(data.edges.map((e) => ({ id: e.id, from: { kind: "Person", id: e.from }, to: { kind: "Person", id: e.to }, props: { since: e.since } })));
await store.refreshStatistics();

const n = data.people.length;
const pick = (i) => `person_${(i * 7919 + 13) % n}`;
const al = store.algorithms;
const cases = {
  degree: (i) => al.degree(pick(i), { edges: ["knows"] }),
  neighbors: (i) => al.neighbors(pick(i), { edges: ["knows"] }),
  reachable2: (i) => al.reachable(pick(i), { edges: ["knows"], maxHops: 2 }),
  reachable3: (i) => al.reachable(pick(i), { edges: ["knows"], maxHops: 3 }),
  shortestPath: (i) => al.shortestPath(pick(i), pick(i + 1), { edges: ["knows"], maxHops: 8 }),
  canReachBoth: (i) => al.canReach(pick(i), pick(i + 3), { edges: ["knows"], direction: "both" }),
  subgraph1: (i) => store.subgraph(pick(i), { edges: ["knows"], maxDepth: 1 }),
  subgraph2: (i) => store.subgraph(pick(i), { edges: ["knows"], maxDepth: 2 }),
  weighted: (i) => al.weightedShortestPath(pick(i), pick(i + 1), { edges: ["knows"], weightProperty: "since" }),
  wcc: () => al.weaklyConnectedComponents({ edges: ["knows"] }),
  pageRank: () => al.pageRank({ edges: ["knows"], topK: 10 }),
  labelPropagation: () => al.labelPropagation({ edges: ["knows"], onMaxIterations: "return", maxIterations: 20 }),
};
const whole = new Set(["wcc", "pageRank", "labelPropagation", "weighted"]);
for (const [name, fn] of Object.entries(cases)) {
  if (only && !only.includes(name)) continue;
  const times = whole.has(name) ? Math.max(1, Math.floor(repeat / 100)) : repeat;
  await fn(0);
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  let size = 0;
  for (let i = 1; i <= times; i++) {
    const out = await fn(i);
    size += Array.isArray(out) ? out.length : out && typeof out === "object" && "nodes" in out ? (out.nodes.size ?? out.nodes.length) : 1;
  }
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000 / times;
  console.log(JSON.stringify({ case: name, calls: times, cpuMsPerCall: +cpuMs.toFixed(3), wallMsPerCall: +((performance.now() - w0) / times).toFixed(3), avgSize: +(size / times).toFixed(1) }));
}
await store.close();
