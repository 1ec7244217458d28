// W6 (autocommit create, edges.create, update) alone on PostgreSQL, in a private schema, for
// round-trip counts (`strace -f -e trace=sendto,recvfrom,write`: each phase starts with a marker
// line written to stderr) and A/B runs. Prints, per phase and round: wall median / p95 and CPU-µs
// per operation (the whole process).
//   DATABASE_URL=…  (required)   TG_W6_COUNT=n (default 300)   TG_W6_ROUNDS=n (default 3)
//   TG_W6_PERSONS=n  people loaded first (default 2000)
//   TG_W6_PRE=w5c    run W5c's workload (a uniquely keyed kind's batch get-or-create) before W6
//   TG_W6_GRAPH=plain  the bench graph without W5c's uniquely keyed Account kind (as s8's bench graph)
//   TG_W6_SCHEMA=name  the private schema (default tg_w6_probe), dropped at the end
import { createStoreWithSchema } from "typegraph-native";
import { createPostgresBackend } from "typegraph-native/postgres";
import { makeDataset } from "./dataset.mjs";
import { graph, trustedGraph } from "./graph.mjs";
import { now, ns, summarize } from "./stats.mjs";
import * as w5c from "./workloads/w5c-constraint.mjs";

const url = process.env.DATABASE_URL;
if (!url) throw new Error("DATABASE_URL is required");
const count = Number(process.env.TG_W6_COUNT ?? 300);
const rounds = Number(process.env.TG_W6_ROUNDS ?? 3);
const schema = process.env.TG_W6_SCHEMA ?? "tg_w6_probe";
const inSchema = `${url}${url.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema},public`)}`;
const admin = createPostgresBackend(url);
await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await admin.exec(`CREATE SCHEMA ${schema}`);
const backend = createPostgresBackend(inSchema);
const [store] = await createStoreWithSchema(process.env.TG_W6_GRAPH === "plain" ? trustedGraph : graph, backend, { autoRefreshStatistics: false });
await store.materializeIndexes();
const data = makeDataset({ persons: Number(process.env.TG_W6_PERSONS ?? 2000), seed: 11 });
await store.nodes.Person.bulkInsert(data.people);
await store.edges.knows.bulkInsert(data.edges.map((e) => ({ id: e.id, from: { kind: "Person", id: e.from }, to: { kind: "Person", id: e.to }, props: { since: e.since } })));
if (process.env.TG_W6_PRE === "w5c") await w5c.run({ store, lane: { dialect: "postgres" }, records: 400, reps: 3 });

const cpu = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
const mark = (label) => process.stderr.write(`@@PHASE ${label}\n`);
let serial = 0;
const out = [];
for (let round = 0; round < rounds; round++) {
  const created = [];
  const res = {};
  for (const phase of ["create", "edge", "update", "getById"]) {
    mark(`${phase} ${round}`);
    const samples = [];
    const c0 = cpu();
    for (let i = 0; i < count; i++) {
      const t0 = now();
      if (phase === "create") created.push(await store.nodes.Person.create({ name: `W6 ${serial++}`, city: "Rome", age: 40, bio: "x".repeat(256) }));
      else if (phase === "edge") await store.edges.knows.create(created[i], { kind: "Person", id: data.people[i % data.people.length].id }, { since: 2020 });
      else if (phase === "update") await store.nodes.Person.update(created[i].id, { age: 41 + round });
      else await store.nodes.Person.getById(data.people[(i * 7) % data.people.length].id);
      samples.push(ns(t0));
    }
    const s = summarize(samples);
    res[phase] = { med: Math.round(s.medianUs), p95: Math.round(s.p95Us), cpu: Math.round((cpu() - c0) / count) };
  }
  mark("end");
  out.push(res);
}
await store.close();
await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await admin.close();
for (const [round, res] of out.entries()) console.log(`round ${round}`, JSON.stringify(res));
