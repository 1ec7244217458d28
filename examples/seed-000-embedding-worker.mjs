// Seed 000, "Background Embedding Workers": documents are created without embeddings (the
// request path stays fast), an embedding job per document goes on a queue, and a worker
// updates each node through `store.nodes[nodeType]`; a backfill loop finds the nodes still
// missing an embedding with `d.embedding.isNull()` and updates them in batches inside a
// transaction. Search runs throughout: nodes whose embedding is still null are simply not
// ranked by `similarTo()` or `store.search.vector`.
//
//   node examples/seed-000-embedding-worker.mjs             (SQLite, in memory)
//   node examples/seed-000-embedding-worker.mjs postgres    (PostgreSQL at DATABASE_URL)
import { z } from "zod";
import { createStoreWithSchema, defineGraph, defineNode, embedding, searchable } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";
import { createPostgresBackend } from "typegraph-native/postgres";

const Document = defineNode("Document", {
  schema: z.object({ title: searchable(), content: searchable(), embedding: embedding(8).optional() }),
});
const onPostgres = process.argv[2] === "postgres";
const graph = defineGraph({ id: onPostgres ? `semantic_${process.pid}_${Date.now()}` : "semantic", nodes: { Document }, edges: {} });

// A stand-in embedding model: deterministic, unit length, one call embeds a batch.
function embedOne(text) {
  const v = Array.from({ length: 8 }, (_, i) => [...text].reduce((a, c, j) => a + Math.sin(c.charCodeAt(0) * (i + 1) + j), 0));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
const embeddings = { create: async ({ input }) => ({ data: input.map((t) => ({ embedding: embedOne(t) })) }) };

const backend = onPostgres ? createPostgresBackend(process.env.DATABASE_URL) : createLocalSqliteBackend().backend;
const [store] = await createStoreWithSchema(graph, backend);

// The queue and the worker that processes one job.
const jobQueue = [];
async function processEmbeddingJob(job) {
  const { nodeType, nodeId, content } = job;
  const response = await embeddings.create({ input: [content] });
  const collection = store.nodes[nodeType];
  await collection.update(nodeId, { embedding: response.data[0].embedding });
}

// The request path: create without embedding, enqueue the job.
async function createDocument(data, id) {
  const doc = await store.nodes.Document.create({ title: data.title, content: data.content }, { id });
  jobQueue.push({ nodeType: "Document", nodeId: doc.id, content: data.content });
  return doc;
}

const topics = ["graph databases", "vector search", "rust engines", "typed schemas", "fulltext ranking", "query planning"];
for (let i = 0; i < 30; i++) {
  const t = topics[i % topics.length];
  await createDocument({ title: `${t} ${i}`, content: `notes about ${t}` }, `doc${i}`);
}
const query = embedOne("notes about vector search");
const similar = () =>
  store
    .query()
    .from("Document", "d")
    .whereNode("d", (d) => d.embedding.similarTo(query, 5))
    .select((ctx) => ({ id: ctx.d.id, title: ctx.d.title }))
    .execute();

// Before any embedding exists: fulltext works, vector search ranks nothing.
const before = (await similar()).length + (await store.search.vector("Document", { fieldPath: "embedding", queryEmbedding: query, limit: 5 })).length;

// The worker drains part of the queue; search sees exactly the embedded nodes meanwhile.
for (const job of jobQueue.splice(0, 6)) await processEmbeddingJob(job);
const during = await similar();
const duringOk = during.length === 5 && during.every((r) => Number(r.id.slice(3)) < 6) && during[0].title.startsWith("vector search");

// The backfill loop for the rest, as the seed writes it.
async function backfillEmbeddings(batchSize = 10) {
  let processed = 0;
  let batches = 0;
  while (true) {
    const nodes = await store
      .query()
      .from("Document", "d")
      .whereNode("d", (d) => d.embedding.isNull())
      .select((ctx) => ({ id: ctx.d.id, content: ctx.d.content }))
      .limit(batchSize)
      .execute();
    if (nodes.length === 0) break;
    const response = await embeddings.create({ input: nodes.map((n) => n.content) });
    await store.transaction(async (tx) => {
      for (const [i, node] of nodes.entries()) {
        await tx.nodes.Document.update(node.id, { embedding: response.data[i].embedding });
      }
    });
    processed += nodes.length;
    batches += 1;
  }
  return { processed, batches };
}
const { processed, batches } = await backfillEmbeddings();

const hits = await store.search.vector("Document", { fieldPath: "embedding", queryEmbedding: query, limit: 3 });
const text = await store.search.fulltext("Document", { query: "vector", limit: 10 });
const hybrid = await store.search.hybrid("Document", { limit: 3, vector: { fieldPath: "embedding", queryEmbedding: query }, fulltext: { query: "vector" } });
const after = await similar();
const ok =
  before === 0 &&
  duringOk &&
  processed === 24 &&
  batches === 3 &&
  after.length === 5 &&
  hits[0].node.title.startsWith("vector search") &&
  text.length === 5 &&
  Boolean(hybrid[0].vector && hybrid[0].fulltext);
console.log(`${ok ? "ok" : "FAILED"} batches=${batches} top=${hits[0].node.title} fulltext=${text.length}`);
if (onPostgres) {
  await backend.exec(`DELETE FROM typegraph_node_fulltext WHERE graph_id = '${graph.id}'; DELETE FROM typegraph_nodes WHERE graph_id = '${graph.id}'`).catch(() => undefined);
}
await store.close();
if (!ok) process.exit(1);
