// W7 ANN lane: 50,000 Doc embeddings × 384 dims on a SQLite file. Exact top-10 first (the
// ground truth), then `store.materializeIndexes()` builds the engine's HNSW graph and the same
// queries run approximately: latency next to recall@10 against the exact answers, unfiltered
// and with a `where` on a prop served by a declared index (1 in 10 documents; also 1 in 2 and
// 1 in 100), plus the 1-in-10 filter in a form no index answers and through the query builder
// (approximate and exact).
//
//   node bench/workloads/w7-ann.mjs      (standalone; prints JSON)
// Part of `npm run bench`; set BENCH_SKIP_ANN=1 to leave it out.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { createStoreWithSchema, defineGraph, defineNode, defineNodeIndex, embedding } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";
import { now, ns, summarize } from "../stats.mjs";
import { makeDocs } from "./w7-search.mjs";

export const name = "W7 ANN 50k";
const DIMS = 384;
const Vec = defineNode("Doc", {
  schema: z.object({ category: z.string(), half: z.string(), part: z.string(), embedding: embedding(DIMS, { m: 16, efConstruction: 64 }) }),
});
const annGraph = defineGraph({
  id: "bench_w7_ann",
  nodes: { Doc: Vec },
  edges: {},
  indexes: [
    defineNodeIndex(Vec, { fields: ["category"], name: "idx_bench_w7_ann_category" }),
    defineNodeIndex(Vec, { fields: ["half"], name: "idx_bench_w7_ann_half" }),
    defineNodeIndex(Vec, { fields: ["part"], name: "idx_bench_w7_ann_part" }),
  ],
});
// Filter props: category 1 in 10 (from makeDocs), half 1 in 2, part 1 in 100.
const half = (i) => `h${i % 2}`;
const part = (i) => `p${String(i % 100).padStart(2, "0")}`;

async function measure(queries, fn) {
  const samples = [];
  const answers = [];
  for (const q of queries.slice(0, 10)) await fn(q);
  for (const q of queries) {
    const t0 = now();
    answers.push(await fn(q));
    samples.push(ns(t0));
  }
  return { latency: summarize(samples), answers };
}

function recall(truth, got) {
  let hit = 0;
  let total = 0;
  truth.forEach((t, i) => {
    const ids = new Set(t.map((h) => h.node.id));
    hit += got[i].filter((h) => ids.has(h.node.id)).length;
    total += t.length;
  });
  return total === 0 ? 1 : hit / total;
}

export async function runLane({ scratch = mkdtempSync(join(tmpdir(), "tg-w7ann-")), docs = 50000, queryCount = 200 } = {}) {
  const { items, queries: all } = makeDocs({ docs, seed: 4242 });
  const queries = all.slice(0, queryCount).map((q) => q.vector);
  const { backend } = createLocalSqliteBackend({ path: join(scratch, "w7-ann.db") });
  const [store] = await createStoreWithSchema(annGraph, backend);
  const t0 = now();
  for (let i = 0; i < items.length; i += 1000) {
    await store.nodes.Doc.bulkInsert(
      items.slice(i, i + 1000).map((d, j) => ({ id: d.id, props: { category: d.props.category, half: half(i + j), part: part(i + j), embedding: d.props.embedding } })),
    );
  }
  const loadMs = ns(t0) / 1e6;
  const s = store.search;
  const top = (q, extra = {}) => s.vector("Doc", { fieldPath: "embedding", queryEmbedding: q, limit: 10, ...extra });
  const exact = await measure(queries, (q) => top(q));
  const t1 = now();
  const built = await store.materializeIndexes();
  const buildMs = ns(t1) / 1e6;
  const status = Object.fromEntries(built.results.map((r) => [r.indexName, r.status]));
  const out = { load: { docs, ms: loadMs }, exactTop10: exact.latency, materializeIndexes: { ms: buildMs, status } };
  for (const ef of [40, 100, 200]) {
    const ann = await measure(queries, (q) => top(q, { efSearch: ef }));
    out[`hnswTop10_ef${ef}`] = { ...ann.latency, recallAt10: Number(recall(exact.answers, ann.answers).toFixed(4)) };
  }
  const annDefault = await measure(queries, (q) => top(q));
  out.hnswTop10_default = { ...annDefault.latency, recallAt10: Number(recall(exact.answers, annDefault.answers).toFixed(4)) };
  // Filtered: ground truth by brute force here, over the same vectors; `full` = every page has 10 hits.
  const fq = queries.slice(0, 40);
  const truthOf = (admit) => {
    const rows = items.filter((d, i) => admit(d, i));
    return fq.map((q) =>
      rows
        .map((d) => ({ id: d.id, s: d.props.embedding.reduce((a, x, i) => a + x * q[i], 0) }))
        .sort((a, b) => b.s - a.s)
        .slice(0, 10)
        .map((x) => ({ node: { id: x.id } })),
    );
  };
  const filteredRow = (m, truth) => ({ ...m.latency, recallAt10: Number(recall(truth, m.answers).toFixed(4)), full: m.answers.every((a) => a.length === 10) });
  const truth = truthOf((d) => d.props.category === "c3");
  out.filteredTop10 = filteredRow(await measure(fq, (q) => top(q, { where: (d) => d.category.eq("c3") })), truth);
  // The same filter in a form the declared index cannot answer (the rows' props are read).
  out.filteredTop10_unindexedFilter = filteredRow(await measure(fq, (q) => top(q, { where: (d) => d.category.startsWith("c3") })), truth);
  // Other selectivities, index-answered: 1 in 2 and 1 in 100.
  out.filteredTop10_half = filteredRow(await measure(fq, (q) => top(q, { where: (d) => d.half.eq("h1") })), truthOf((d, i) => half(i) === "h1"));
  out.filteredTop10_part = filteredRow(await measure(fq, (q) => top(q, { where: (d) => d.part.eq("p07") })), truthOf((d, i) => part(i) === "p07"));
  // The query builder: similarTo(…, { approximate: true }) next to a whereNode predicate.
  const viaQuery = await measure(fq, (q) =>
    store
      .query()
      .from("Doc", "d")
      .whereNode("d", (d) => d.embedding.similarTo(q, 10, { approximate: true }).and(d.category.eq("c3")))
      .select((c) => ({ node: { id: c.d.id } }))
      .execute(),
  );
  out.filteredTop10_query = filteredRow(viaQuery, truth);
  // The same through the query builder without approximate: the exact filtered answer.
  const viaQueryExact = await measure(fq, (q) =>
    store
      .query()
      .from("Doc", "d")
      .whereNode("d", (d) => d.embedding.similarTo(q, 10).and(d.category.eq("c3")))
      .select((c) => ({ node: { id: c.d.id } }))
      .execute(),
  );
  out.filteredTop10_queryExact = filteredRow(viaQueryExact, truth);
  // Another connection commits one document: the first search after it, then steady state.
  const [other] = await createStoreWithSchema(annGraph, createLocalSqliteBackend({ path: join(scratch, "w7-ann.db") }).backend);
  await other.nodes.Doc.create({ category: "c0", half: "h0", part: "p00", embedding: queries[0] }, { id: "w7ann_extra" });
  const t2 = now();
  const afterOther = await top(queries[0]);
  out.afterOtherCommit = { firstSearchMs: ns(t2) / 1e6, foundNew: afterOther[0]?.node.id === "w7ann_extra" };
  await other.nodes.Doc.delete("w7ann_extra");
  await other.close();
  await store.close();
  // Reopen: the first search loads the saved graph (reconciled with the table) instead of rebuilding it.
  const [again] = await createStoreWithSchema(annGraph, createLocalSqliteBackend({ path: join(scratch, "w7-ann.db") }).backend);
  const t3 = now();
  await again.search.vector("Doc", { fieldPath: "embedding", queryEmbedding: queries[1], limit: 10 });
  const reopenMs = ns(t3) / 1e6;
  const reopened = await measure(queries, (q) => again.search.vector("Doc", { fieldPath: "embedding", queryEmbedding: q, limit: 10 }));
  out.reopen = { firstSearchMs: reopenMs, ...reopened.latency, recallAt10: Number(recall(exact.answers, reopened.answers).toFixed(4)) };
  await again.close();
  return { "W7 ANN 50k: typegraph-native sqlite (file, WAL)": { [name]: out } };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runLane(), null, 2));
}
