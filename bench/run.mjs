// The benchmark program: every workload on every lane, side by side in one run.
// Writes bench/results/<stamp>.json and prints a table with ratios to the floor.
//
//   npm run bench            (release build first; PostgreSQL lane when DATABASE_URL is set)
//
// While iterating, narrow a run (the table and JSON then hold only what ran):
//   TG_BENCH_WORKLOADS=W1,W2   workloads whose name starts with one of these (W7 included)
//   TG_BENCH_LANES=sqlite      lanes whose name contains one of these (floor lanes follow their dialect)
//   (the read workloads W2–W4 read what W1 loaded: narrow to e.g. TG_BENCH_WORKLOADS=W1,W3,W4)
//   TG_BENCH_FLOOR_BIN=path    a tg-floor already built from this checkout (no cargo build here)
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createStoreWithSchema } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";
import { createPostgresBackend } from "typegraph-native/postgres";
import { makeDataset } from "./dataset.mjs";
import { graph, personCityAgeIndexSql, trustedGraph } from "./graph.mjs";
import * as w1 from "./workloads/w1-ingest.mjs";
import * as w2 from "./workloads/w2-point-reads.mjs";
import * as w3 from "./workloads/w3-traversals.mjs";
import * as w4 from "./workloads/w4-filters.mjs";
import * as w5 from "./workloads/w5-upsert-sync.mjs";
import * as w5e from "./workloads/w5e-edge-upsert.mjs";
import * as w5c from "./workloads/w5c-constraint.mjs";
import * as w6 from "./workloads/w6-single-writes.mjs";
import * as w7 from "./workloads/w7-search.mjs";
import * as w8 from "./workloads/w8-schema-maintenance.mjs";
import * as w7ann from "./workloads/w7-ann.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const pick = (env, names, match) => {
  const wanted = process.env[env]?.split(",").map((s) => s.trim()).filter(Boolean);
  return wanted?.length ? names.filter((n) => wanted.some((w) => match(n, w))) : names;
};
const workloads = pick("TG_BENCH_WORKLOADS", [w1, w2, w3, w4, w5, w5e, w5c, w6], (w, p) => w.name.startsWith(p));
const runW7 = pick("TG_BENCH_WORKLOADS", ["W7"], (n, p) => n.startsWith(p)).length > 0;
const runW8 = pick("TG_BENCH_WORKLOADS", ["W8"], (n, p) => n.startsWith(p)).length > 0;
const data = makeDataset();
const scratch = mkdtempSync(join(tmpdir(), "tg-bench-"));

// Every lane's store skips the per-batch statistics refresh (autoRefreshStatistics: false);
// W1 refreshes once after its load and reports that time on its own (statsRefreshMs).
const storeOptions = { autoRefreshStatistics: false };

/** Lanes: how a store is opened (and, optionally, cleaned up). New lanes (other engines, other backends) are added here. */
const lanes = [
  {
    name: "typegraph-native sqlite (file, WAL)",
    dialect: "sqlite",
    async open() {
      const { backend } = createLocalSqliteBackend({ path: join(scratch, "native.db") });
      const [store] = await createStoreWithSchema(graph, backend, storeOptions);
      await store.materializeIndexes();
      return store;
    },
  },
  {
    // trustedImportGraphStream from typegraph-native/interchange: W1 only (the rest would repeat the bulkLoad lane).
    name: "typegraph-native sqlite trustedImport (fresh database)",
    dialect: "sqlite",
    trusted: true,
    only: ["W1"],
    async open() {
      const { backend } = createLocalSqliteBackend({ path: join(scratch, "native-trusted.db") });
      const [store] = await createStoreWithSchema(trustedGraph, backend, storeOptions);
      await store.materializeIndexes();
      return store;
    },
  },
  {
    name: "typegraph-native sqlite bulkLoad (deferred indexes)",
    dialect: "sqlite",
    deferIndexes: true,
    async open() {
      const { backend } = createLocalSqliteBackend({ path: join(scratch, "native-load.db") });
      const [store] = await createStoreWithSchema(graph, backend, storeOptions);
      await store.materializeIndexes();
      return store;
    },
  },
];
if (process.env.DATABASE_URL) {
  // Every PostgreSQL lane (and the floor) runs in its own fresh private schema, dropped afterwards:
  // lanes and floor meet equal, empty tables, never the rows other runs left in `public`.
  const inSchema = (schema) =>
    `${process.env.DATABASE_URL}${process.env.DATABASE_URL.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema},public`)}`;
  const dropSchema = async (schema) => {
    const admin = createPostgresBackend(process.env.DATABASE_URL);
    await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
  };
  {
    // pgvector lives in `public`: a lane's schema must never become its home (it is dropped).
    const admin = createPostgresBackend(process.env.DATABASE_URL);
    await admin.exec("CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public");
    await admin.close();
  }
  const schemaLane = (name, schema, extra = {}) => ({
    name,
    dialect: "postgres",
    ...extra,
    async open() {
      await dropSchema(schema);
      const admin = createPostgresBackend(process.env.DATABASE_URL);
      await admin.exec(`CREATE SCHEMA ${schema}`);
      await admin.close();
      // TG_BENCH_PG_INLINE_MS: the lanes' inlineBudgetMs (unset: the backend's default; 0: always async).
      const inline = process.env.TG_BENCH_PG_INLINE_MS;
      const backend = createPostgresBackend(inSchema(schema), inline === undefined ? {} : { inlineBudgetMs: Number(inline) });
      const [store] = await createStoreWithSchema(extra.trusted ? trustedGraph : graph, backend, storeOptions);
      await store.materializeIndexes();
      return store;
    },
    cleanup: () => dropSchema(schema),
  });
  lanes.push(schemaLane("typegraph-native postgres bulkLoad (deferred indexes, fresh schema)", "tg_bench_load", { deferIndexes: true }));
  lanes.push(schemaLane("typegraph-native postgres trustedImport (fresh schema)", "tg_bench_trusted", { trusted: true, only: ["W1"] }));
  lanes.push(schemaLane("typegraph-native postgres", "tg_bench_store"));
}

const activeLanes = pick("TG_BENCH_LANES", lanes, (l, p) => l.name.includes(p));
const dialects = new Set(activeLanes.map((l) => l.dialect));

// Warm-up (untimed): the same code paths on a throwaway in-memory store, so no lane pays the JIT.
{
  const { backend } = createLocalSqliteBackend();
  const [warm] = await createStoreWithSchema(graph, backend);
  const small = makeDataset({ persons: 3000, seed: 7 });
  await warm.nodes.Person.bulkInsert(small.people);
  await warm.edges.knows.bulkInsert(small.edges.map((e) => ({ from: { kind: "Person", id: e.from }, to: { kind: "Person", id: e.to }, props: { since: e.since } })));
  for (const p of small.people.slice(0, 500)) await warm.nodes.Person.getById(p.id);
  // W6's single writes (create, edges.create, update) reach their optimized code here too.
  for (let i = 0; i < 500; i++) {
    const n = await warm.nodes.Person.create({ name: `warm ${i}`, city: "Rome", age: 40, bio: "x".repeat(256) });
    await warm.edges.knows.create(n, { kind: "Person", id: small.people[i].id }, { since: 2020 });
    await warm.nodes.Person.update(n.id, { age: 41 });
  }
  await warm.close();
}

const results = { at: new Date().toISOString(), node: process.version, dataset: { persons: data.people.length, edges: data.edges.length }, lanes: {} };
for (const lane of activeLanes) {
  const store = await lane.open();
  const out = {};
  for (const w of workloads) {
    if (lane.only && !lane.only.some((p) => w.name.startsWith(p))) continue;
    out[w.name] = await w.run({ store, data, lane });
    console.error(`${lane.name}: ${w.name} done`);
  }
  await store.close();
  await lane.cleanup?.();
  results.lanes[lane.name] = out;
}

// W7 search runs on its own lanes (its own graph and databases).
if (runW7) {
  Object.assign(results.lanes, await w7.runLanes({ scratch }));
  console.error("W7 search done");
  // The 50k ANN lane (HNSW build, latency and recall@10 against exact); BENCH_SKIP_ANN=1 leaves it out.
  if (process.env.BENCH_SKIP_ANN !== "1") {
    Object.assign(results.lanes, await w7ann.runLane({ scratch }));
    console.error("W7 ANN 50k done");
  }
}

// W8 schema maintenance (evolve, removeKinds, the write fence's cost) on its own graphs.
if (runW8) {
  Object.assign(results.lanes, await w8.runLanes({ scratch }));
  console.error("W8 schema maintenance done");
}

const OUR_SQL_LANE = "our SQL from Rust (sqlite)";
/** `{workload: {metric: {sql, bind, runs, warm?, stride?}}}` of the given workloads' queries on SQLite:
 *  each parameter's binding as `toSQL()` lists it (one per number), the read instant as "$now" and
 *  param() slots as "$<name>"; `warm` untimed runs first, `stride` how the workload picks its people. */
async function ourSqlSpec(ws) {
  if (ws.length === 0) return undefined;
  const { backend } = createLocalSqliteBackend();
  const [store] = await createStoreWithSchema(graph, backend, storeOptions);
  const instant = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
  const spec = {};
  for (const w of ws) {
    spec[w.name] = {};
    for (const [metric, { query, params, runs, warm, stride }] of Object.entries(w.queries(store))) {
      const { sql, params: values } = query.toSQL();
      let k = 0;
      const bind = values.map((v) => (v === null ? `$${params[k++]}` : typeof v === "string" && instant.test(v) ? "$now" : v));
      if (k !== params.length) throw new Error(`${w.name} ${metric}: ${k} param() slots in the SQL, ${params.length} named`);
      spec[w.name][metric] = { sql, bind, runs, ...(warm ? { warm } : {}), ...(stride ? { stride } : {}) };
    }
  }
  await store.close();
  return spec;
}

// Floor lane: same rows, same tables and indexes, plain SQL from Rust.
const datasetFile = join(scratch, "dataset.json");
writeFileSync(datasetFile, JSON.stringify(data));
// cargo honours CARGO_TARGET_DIR (a shared release target); the floor binary is found there too
// TG_BENCH_FLOOR_BIN: a floor binary already built from this checkout (no cargo run here).
const builtFloorBin = process.env.TG_BENCH_FLOOR_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(root, "target"), "x86_64-unknown-linux-gnu", "release", "tg-floor");
if (!process.env.TG_BENCH_FLOOR_BIN) {
  execFileSync("cargo", ["build", "--release", "-p", "typegraph-core", "--bin", "tg-floor", "--target", "x86_64-unknown-linux-gnu"], { cwd: root, stdio: "inherit" });
}
// run a private copy: a shared target dir may be rebuilt from another checkout meanwhile
const floorBin = join(scratch, "tg-floor");
copyFileSync(builtFloorBin, floorBin);
chmodSync(floorBin, 0o755);
if (dialects.has("sqlite")) {
  // "Our SQL from Rust": the statements the engine compiles for W2/W3/W4 (`toSQL()` of the workloads'
  // own queries), run by the floor program with the same bindings — a lane's gap to it is the
  // engine's binding, crossing and decode; its gap to the floor is the SQL's.
  const ourSql = await ourSqlSpec([w2, w3, w4].filter((w) => workloads.includes(w)));
  const args = [join(scratch, "floor.db"), datasetFile, personCityAgeIndexSql("sqlite")];
  if (ourSql) {
    writeFileSync(join(scratch, "our-sql.json"), JSON.stringify(ourSql));
    args.push(join(scratch, "our-sql.json"));
  }
  const floor = JSON.parse(execFileSync(floorBin, args, { encoding: "utf8" }));
  if (floor.ourSql) results.lanes[OUR_SQL_LANE] = floor.ourSql;
  delete floor.ourSql;
  results.lanes["floor sqlite (plain SQL from Rust)"] = floor;
}

if (process.env.DATABASE_URL && dialects.has("postgres")) {
  results.lanes["floor postgres (plain SQL from Rust)"] = JSON.parse(
    // The floor creates, uses and drops its own schema (tg_bench_floor), as the lanes do.
    execFileSync(floorBin, [process.env.DATABASE_URL, datasetFile, personCityAgeIndexSql("postgres")], { encoding: "utf8" }),
  );
}

mkdirSync(join(here, "results"), { recursive: true });
const file = join(here, "results", `${results.at.replace(/[:.]/g, "-")}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));

// Readable table: each metric per lane, and each typegraph-native lane's ratio to the floor of
// its database (throughput: lane / floor; latency: floor / lane — 1.00× is the physical limit).
const floors = {
  sqlite: results.lanes["floor sqlite (plain SQL from Rust)"],
  postgres: results.lanes["floor postgres (plain SQL from Rust)"],
};
const dialectOf = { ...Object.fromEntries(lanes.map((l) => [l.name, l.dialect])), [OUR_SQL_LANE]: "sqlite" };
// A SQLite lane's latency next to the same SQL run from Rust: ourSql ÷ lane (1.00× = no engine cost).
const ourSqlLane = results.lanes[OUR_SQL_LANE];
const rows = [];
const flat = (obj, prefix = "") =>
  Object.entries(obj).flatMap(([k, v]) => (v && typeof v === "object" && !Array.isArray(v) ? flat(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v]]));
for (const [lane, out] of Object.entries(results.lanes)) {
  const floor = floors[dialectOf[lane]];
  for (const [metric, value] of flat(out)) {
    if (metric.endsWith(".n")) continue;
    const f = floor ? flat(floor).find(([m]) => m === metric)?.[1] : undefined;
    const ratio = typeof f === "number" && typeof value === "number" ? (metric.includes("PerSec") || metric.includes("PerCpuSec") ? value / f : f / value).toFixed(2) + "× floor" : "";
    const o = ourSqlLane && dialectOf[lane] === "sqlite" && lane !== OUR_SQL_LANE ? flat(ourSqlLane).find(([m]) => m === metric)?.[1] : undefined;
    const vsOurSql = typeof o === "number" && typeof value === "number" && metric.endsWith("Us") ? (o / value).toFixed(2) + "× our SQL" : "";
    rows.push({ lane, metric, value: typeof value === "number" ? Number(value.toFixed(2)) : value, ratio, ...(ourSqlLane ? { vsOurSql } : {}) });
  }
}
console.table(rows);
console.log(`results: ${file}`);
