// W1 alone on one SQLite lane, for profiling (`perf record -g node --perf-basic-prof bench/w1-profile.mjs`).
//   TG_W1_LANE=load|live|trusted|import (default load; trusted: trustedImportGraphStream; import: importGraphStream); TG_W1_REPEAT=n runs (fresh file each).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStoreWithSchema } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";
import { makeDataset } from "./dataset.mjs";
import { graph } from "./graph.mjs";
import * as w1 from "./workloads/w1-ingest.mjs";

const lane = process.env.TG_W1_LANE ?? "load";
const repeat = Number(process.env.TG_W1_REPEAT ?? 1);
const data = makeDataset();
const scratch = mkdtempSync(join(tmpdir(), "tg-w1-"));
{
  const { backend } = createLocalSqliteBackend();
  const [warm] = await createStoreWithSchema(graph, backend);
  const small = makeDataset({ persons: 3000, seed: 7 });
  await warm.nodes.Person.bulkInsert(small.people);
  await warm.edges.knows.bulkInsert(small.edges.map((e) => ({ from: { kind: "Person", id: e.from }, to: { kind: "Person", id: e.to }, props: { since: e.since } })));
  await warm.close();
}
for (let r = 0; r < repeat; r++) {
  const { backend } = createLocalSqliteBackend({ path: join(scratch, `w1-${r}.db`) });
  const [store] = await createStoreWithSchema(graph, backend, { autoRefreshStatistics: false });
  await store.materializeIndexes();
  // CPU time of the process (the load runs on this thread): a machine shared with other
  // builds stretches wall time, CPU seconds stay comparable between runs.
  const c0 = process.cpuUsage();
  const out = await w1.run({ store, data, lane: { deferIndexes: lane === "load", trusted: lane === "trusted" || lane === "import", validatingImport: lane === "import" } });
  const c = process.cpuUsage(c0);
  const cpuS = (c.user + c.system) / 1e6;
  console.log(JSON.stringify({ lane, ...out, cpuS, rowsPerCpuS: Math.round((data.people.length + data.edges.length) / cpuS) }));
  await store.close();
}
