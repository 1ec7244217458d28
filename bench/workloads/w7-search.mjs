// W7: search over 5,000 Doc {title, body: searchable(), category, embedding: 384}, deterministic:
// fulltext top-20 with 1- and 2-word queries, exact vector top-10, hybrid (RRF) top-10.
// Runs on its own lanes (its own graph): SQLite file (WAL) and, with DATABASE_URL, PostgreSQL.
//
//   node bench/workloads/w7-search.mjs      (standalone; prints JSON)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { createStoreWithSchema, defineGraph, defineNode, embedding, searchable } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";
import { createPostgresBackend } from "typegraph-native/postgres";
import { now, ns, summarize } from "../stats.mjs";

export const name = "W7 search";
const DIMS = 384;

const Doc = defineNode("Doc", {
  schema: z.object({ title: searchable(), body: searchable(), category: z.string(), embedding: embedding(DIMS) }),
});
export const searchGraph = defineGraph({ id: "bench_w7", nodes: { Doc: { type: Doc } }, edges: {} });

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 5,000 documents: Zipf-ish words from a 3,000-word vocabulary, clustered unit embeddings. */
export function makeDocs({ docs = 5000, seed = 42 } = {}) {
  const r = rng(seed);
  const syl = ["ka", "lo", "mi", "ne", "ra", "su", "to", "vi", "ze", "po", "an", "el", "or", "un", "is"];
  const vocab = Array.from({ length: 3000 }, () => Array.from({ length: 2 + Math.floor(r() * 3) }, () => syl[Math.floor(r() * syl.length)]).join(""));
  const word = () => vocab[Math.min(vocab.length - 1, Math.floor(Math.pow(r(), 2.2) * vocab.length))];
  const centroids = Array.from({ length: 64 }, () => Array.from({ length: DIMS }, () => r() * 2 - 1));
  const unit = (v) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const vec = () => {
    const c = centroids[Math.floor(r() * centroids.length)];
    return unit(c.map((x) => x + (r() * 2 - 1) * 0.8));
  };
  const items = Array.from({ length: docs }, (_, i) => ({
    id: `doc${i}`,
    props: {
      title: Array.from({ length: 4 }, word).join(" "),
      body: Array.from({ length: 60 }, word).join(" "),
      category: `c${i % 10}`,
      embedding: vec(),
    },
  }));
  const mid = vocab.slice(50, 800);
  const pick = () => mid[Math.floor(r() * mid.length)];
  const queries = Array.from({ length: 300 }, () => ({ one: pick(), two: `${pick()} ${pick()}`, vector: vec() }));
  return { items, queries };
}

async function timed(queries, fn) {
  for (const q of queries.slice(0, 30)) await fn(q);
  const samples = [];
  for (const q of queries) {
    const t0 = now();
    await fn(q);
    samples.push(ns(t0));
  }
  return summarize(samples);
}

export async function run({ store, data }) {
  const { items, queries } = data;
  const t0 = now();
  for (let i = 0; i < items.length; i += 1000) await store.nodes.Doc.bulkInsert(items.slice(i, i + 1000));
  const loadMs = ns(t0) / 1e6;
  const s = store.search;
  return {
    load: { docs: items.length, ms: loadMs },
    fulltext1: await timed(queries, (q) => s.fulltext("Doc", { query: q.one, limit: 20 })),
    fulltext2: await timed(queries, (q) => s.fulltext("Doc", { query: q.two, limit: 20 })),
    vectorExact: await timed(queries, (q) => s.vector("Doc", { fieldPath: "embedding", queryEmbedding: q.vector, limit: 10 })),
    hybridRrf: await timed(queries, (q) =>
      s.hybrid("Doc", { limit: 10, vector: { fieldPath: "embedding", queryEmbedding: q.vector }, fulltext: { query: q.one } }),
    ),
  };
}

/** W7's own lanes: a fresh SQLite file, and PostgreSQL when DATABASE_URL is set. */
export async function runLanes({ scratch = mkdtempSync(join(tmpdir(), "tg-w7-")) } = {}) {
  const data = makeDocs();
  const out = {};
  {
    const { backend } = createLocalSqliteBackend({ path: join(scratch, "w7.db") });
    const [store] = await createStoreWithSchema(searchGraph, backend);
    out["W7 search: typegraph-native sqlite (file, WAL)"] = { [name]: await run({ store, data }) };
    await store.close();
  }
  if (process.env.DATABASE_URL) {
    const backend = createPostgresBackend(process.env.DATABASE_URL);
    await backend
      .exec(`DELETE FROM typegraph_node_fulltext WHERE graph_id = 'bench_w7'; DELETE FROM typegraph_nodes WHERE graph_id = 'bench_w7'; DELETE FROM typegraph_schema_versions WHERE graph_id = 'bench_w7'; DO $$DECLARE r record; BEGIN FOR r IN SELECT tablename FROM pg_tables WHERE tablename LIKE 'tg_vec_bench_w7%' LOOP EXECUTE format('DELETE FROM %I WHERE graph_id = %L', r.tablename, 'bench_w7'); END LOOP; END$$;`)
      .catch(() => undefined);
    const [store] = await createStoreWithSchema(searchGraph, backend);
    out["W7 search: typegraph-native postgres"] = { [name]: await run({ store, data }) };
    await store.close();
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runLanes(), null, 2));
}
