// Seed 000, "Semantic search": documents are created without embeddings, a worker
// backfills them in batches with `update`, and search sees each batch as it lands.
import { z } from "zod";
import { createStoreWithSchema, defineGraph, defineNode, embedding, searchable } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";

const Document = defineNode("Document", {
  schema: z.object({ title: searchable(), content: searchable(), embedding: embedding(8).optional() }),
});
const graph = defineGraph({ id: "semantic", nodes: { Document }, edges: {} });

// A stand-in embedding model: deterministic, unit length.
function embed(text) {
  const v = Array.from({ length: 8 }, (_, i) => [...text].reduce((a, c, j) => a + Math.sin(c.charCodeAt(0) * (i + 1) + j), 0));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

const { backend } = createLocalSqliteBackend();
const [store] = await createStoreWithSchema(graph, backend);
const topics = ["graph databases", "vector search", "rust engines", "typed schemas", "fulltext ranking", "query planning"];
for (let i = 0; i < 30; i++) {
  const t = topics[i % topics.length];
  await store.nodes.Document.create({ title: `${t} ${i}`, content: `notes about ${t}` }, { id: `doc${i}` });
}

// Before the backfill: fulltext works, vector search finds nothing (nulls are simply absent).
const before = await store.search.vector("Document", { fieldPath: "embedding", queryEmbedding: embed("vector search"), limit: 5 });

// The worker: find documents still missing an embedding, backfill in batches of 10.
let batches = 0;
for (;;) {
  const pending = (await store.nodes.Document.find({ limit: 1000 })).filter((d) => d.embedding === undefined).slice(0, 10);
  if (pending.length === 0) break;
  await store.transaction(async (tx) => {
    for (const d of pending) await tx.nodes.Document.update(d.id, { embedding: embed(d.content) });
  });
  batches += 1;
}

const hits = await store.search.vector("Document", { fieldPath: "embedding", queryEmbedding: embed("notes about vector search"), limit: 3 });
const text = await store.search.fulltext("Document", { query: "vector", limit: 10 });
const hybrid = await store.search.hybrid("Document", {
  limit: 3,
  vector: { fieldPath: "embedding", queryEmbedding: embed("notes about vector search") },
  fulltext: { query: "vector" },
});
const ok = before.length === 0 && batches === 3 && hits[0].node.title.startsWith("vector search") && text.length === 5 && hybrid[0].vector && hybrid[0].fulltext;
console.log(`${ok ? "ok" : "FAILED"} batches=${batches} top=${hits[0].node.title} fulltext=${text.length}`);
await store.close();
if (!ok) process.exit(1);
