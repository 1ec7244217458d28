// W8: schema maintenance timings — evolve (no-op and add-kind), removeKinds and
// materializeRemovals, materializeIndexes (when the build has it) — and the cost of the
// schema write fence: single creates on a schema-managed (fenced) store against a raw
// createStore over the same database, interleaved so both see the same conditions.
// Runs on its own graph per lane. Standalone: `node bench/workloads/w8-schema-maintenance.mjs`.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { createStore, createStoreWithSchema, defineGraph, defineGraphExtension, defineNode } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";
import { createPostgresBackend } from "typegraph-native/postgres";
import { now, ns, summarize } from "../stats.mjs";

export const name = "W8 schema maintenance";

const Document = defineNode("Document", { schema: z.object({ title: z.string(), body: z.string() }) });

// Physical index names are per database: a per-run suffix keeps runs (and lanes) apart.
const runTag = Date.now().toString(36);
const paper = (kind) =>
  defineGraphExtension({
    nodes: {
      [kind]: {
        properties: { title: { type: "string", minLength: 1 }, doi: { type: "string" }, year: { type: "number", int: true } },
        unique: [{ name: `${kind.toLowerCase()}_doi`, fields: ["doi"] }],
      },
    },
    indexes: [{ entity: "node", kind, name: `w8_${runTag}_${kind.toLowerCase()}_by_year`, fields: ["year"] }],
  });

export async function run({ backend, graphId, rounds = 15, writes = 400 }) {
  const graph = defineGraph({ id: graphId, nodes: { Document }, edges: {} });
  const [base] = await createStoreWithSchema(graph, backend);
  let store = await base.evolve(paper("Paper"));
  await store.getNodeCollectionOrThrow("Paper").create({ title: "t", doi: "d", year: 2020 });

  const noop = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = now();
    store = await store.evolve(paper("Paper"));
    noop.push(ns(t0));
  }
  const addKind = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = now();
    store = await store.evolve(paper(`Added${i}`));
    addKind.push(ns(t0));
  }
  const out = { evolveNoop: summarize(noop), evolveAddKind: summarize(addKind) };
  if (typeof store.materializeIndexes === "function") {
    const mi = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = now();
      await store.materializeIndexes({ kinds: [`Added${i}`] });
      mi.push(ns(t0));
    }
    out.materializeIndexes = summarize(mi);
  }
  const remove = [];
  const cleanup = [];
  for (let i = 0; i < rounds; i++) {
    await store.getNodeCollectionOrThrow(`Added${i}`).bulkInsert(Array.from({ length: 50 }, (_, j) => ({ props: { title: "x", doi: `d${j}`, year: 2000 } })));
    let t0 = now();
    store = await store.removeKinds([`Added${i}`]);
    remove.push(ns(t0));
    t0 = now();
    await store.materializeRemovals();
    cleanup.push(ns(t0));
  }
  out.removeKinds = summarize(remove);
  out.materializeRemovals = summarize(cleanup);

  // Fence cost: the managed store checks the active schema version inside each write; the raw
  // store (createStore) does not. Same database, same kind, alternating writes.
  const raw = createStore(graph, backend);
  const fenced = [];
  const unfenced = [];
  for (let i = 0; i < writes; i++) {
    let t0 = now();
    await store.nodes.Document.create({ title: `f${i}`, body: "x".repeat(128) });
    fenced.push(ns(t0));
    t0 = now();
    await raw.nodes.Document.create({ title: `r${i}`, body: "x".repeat(128) });
    unfenced.push(ns(t0));
  }
  out.createFenced = summarize(fenced);
  out.createUnfenced = summarize(unfenced);
  const upd = [];
  const updRaw = [];
  const docs = await store.nodes.Document.find({ limit: writes });
  for (const d of docs) {
    let t0 = now();
    await store.nodes.Document.update(d.id, { title: "u" });
    upd.push(ns(t0));
    t0 = now();
    await raw.nodes.Document.update(d.id, { title: "v" });
    updRaw.push(ns(t0));
  }
  out.updateFenced = summarize(upd);
  out.updateUnfenced = summarize(updRaw);
  return out;
}

export async function runLanes({ scratch = mkdtempSync(join(tmpdir(), "tg-w8-")) } = {}) {
  const out = {};
  {
    const { backend } = createLocalSqliteBackend({ path: join(scratch, "w8.db") });
    out["W8 maintenance: typegraph-native sqlite (file, WAL)"] = { [name]: await run({ backend, graphId: "bench_w8" }) };
    await backend.close();
  }
  if (process.env.DATABASE_URL) {
    // Its own fresh schema, dropped afterwards: like upstream, materializeRemovals leaves the
    // physical indexes of removed kinds in place, so W8 must not leave them in `public`.
    const schema = "tg_bench_w8";
    const admin = createPostgresBackend(process.env.DATABASE_URL);
    await admin.exec(`CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public; DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
    const url = process.env.DATABASE_URL;
    const backend = createPostgresBackend(`${url}${url.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema},public`)}`);
    try {
      // A fresh graph id per run: schema history is append-only.
      out["W8 maintenance: typegraph-native postgres"] = { [name]: await run({ backend, graphId: `bench_w8_${Date.now().toString(36)}` }) };
    } finally {
      await backend.close();
      await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.close();
    }
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runLanes(), null, 2));
}
