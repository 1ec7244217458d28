// Seed 001 (data sync) patterns against a local SQLite graph, with an in-process
// "application database" as the source of truth: on-demand sync, batch sync with
// progress, incremental sync by updatedAt, relationship sync (nodes, then edges),
// retry with backoff and a dead-letter list.
import { z } from "zod";
import { createStoreWithSchema, defineEdge, defineGraph, defineNode, externalRef, ValidationError } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";

const Document = defineNode("Document", {
  schema: z.object({ title: z.string().min(1), content: z.string(), source: externalRef("documents") }),
});
const relatedTo = defineEdge("relatedTo", { schema: z.object({ confidence: z.number().min(0).max(1) }) });
const graph = defineGraph({
  id: "doc_sync",
  nodes: { Document },
  edges: { relatedTo: { type: relatedTo, from: [Document], to: [Document] } },
});

// The application's own table (source of truth).
const appDocuments = Array.from({ length: 230 }, (_, i) => ({
  id: `doc_${i}`,
  title: `Doc ${i}`,
  content: `content ${i}`,
  updatedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
}));
const appLinks = appDocuments.slice(1).map((d, i) => ({ from: appDocuments[i].id, to: d.id, confidence: 0.5 }));

const [store] = await createStoreWithSchema(graph, createLocalSqliteBackend().backend);
const props = (doc) => ({ title: doc.title, content: doc.content, source: { table: "documents", id: doc.id } });

// On-demand sync: upsert one record when it is read or written.
async function syncDocument(doc) {
  return store.nodes.Document.upsertById(doc.id, props(doc));
}
const first = await syncDocument(appDocuments[0]);
const again = await syncDocument({ ...appDocuments[0], title: "Doc 0 (edited)" });
if (first.id !== again.id || again.meta.version !== 2) throw new Error("on-demand sync did not update in place");

// Batch sync with progress.
async function syncAllDocuments({ batchSize = 50, onProgress } = {}) {
  let processed = 0;
  for (let offset = 0; offset < appDocuments.length; offset += batchSize) {
    const batch = appDocuments.slice(offset, offset + batchSize);
    await store.nodes.Document.bulkUpsertById(batch.map((doc) => ({ id: doc.id, props: props(doc) })));
    processed += batch.length;
    onProgress?.(processed, appDocuments.length);
  }
  return { processed, total: appDocuments.length };
}
const progress = [];
await syncAllDocuments({ batchSize: 100, onProgress: (p, t) => progress.push(`${p}/${t}`) });
if (progress.join(",") !== "100/230,200/230,230/230") throw new Error(`progress ${progress}`);

// Incremental sync: only records changed since the last run; deletions mirrored with bulkDelete.
async function incrementalSync(state) {
  const changed = appDocuments.filter((d) => d.updatedAt > state.lastSyncAt);
  if (changed.length > 0) await store.nodes.Document.bulkUpsertById(changed.map((doc) => ({ id: doc.id, props: props(doc) })));
  return { lastSyncAt: new Date(Math.max(state.lastSyncAt.getTime(), ...changed.map((d) => d.updatedAt.getTime()))), synced: changed.length };
}
let state = { lastSyncAt: new Date(Date.UTC(2026, 0, 1, 0, 3, 0)) };
appDocuments[5] = { ...appDocuments[5], title: "Doc 5 v2", updatedAt: new Date(Date.UTC(2026, 0, 2)) };
const removed = appDocuments.splice(229, 1);
state = await incrementalSync(state);
await store.nodes.Document.bulkDelete(removed.map((d) => d.id));
if ((await store.nodes.Document.getById("doc_5"))?.title !== "Doc 5 v2") throw new Error("incremental sync missed doc_5");
if ((await store.nodes.Document.count()) !== 229) throw new Error("deletion not mirrored");

// Relationship sync: nodes first (above), then edges between them.
const links = appLinks.filter((l) => l.to !== removed[0].id);
await store.edges.relatedTo.bulkInsert(
  links.map((l) => ({ from: { kind: "Document", id: l.from }, to: { kind: "Document", id: l.to }, props: { confidence: l.confidence } })),
);
if ((await store.edges.relatedTo.count()) !== links.length) throw new Error("edges not synced");

// Retry with backoff for transient failures, dead-letter list for records that can never sync.
const deadLetters = [];
async function withRetry(fn, { retries = 3, baseMs = 5 } = {}) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ValidationError || attempt >= retries) throw error;
      await new Promise((r) => setTimeout(r, baseMs * 2 ** attempt));
    }
  }
}
let flaky = 2;
const incoming = [
  { id: "doc_new_1", title: "New 1", content: "x" },
  { id: "doc_bad", title: "", content: "invalid title" },
  { id: "doc_new_2", title: "New 2", content: "y" },
];
for (const doc of incoming) {
  try {
    await withRetry(async () => {
      if (doc.id === "doc_new_2" && flaky-- > 0) throw new Error("transient: connection reset");
      return syncDocument(doc);
    });
  } catch (error) {
    deadLetters.push({ id: doc.id, error: error.code ?? error.message });
  }
}
if (deadLetters.length !== 1 || deadLetters[0].id !== "doc_bad" || deadLetters[0].error !== "VALIDATION_ERROR") {
  throw new Error(`dead letters ${JSON.stringify(deadLetters)}`);
}
if (!(await store.nodes.Document.getById("doc_new_2"))) throw new Error("retry did not succeed");

await store.close();
console.log(`ok synced=${state.synced} edges=${links.length} deadLetters=${deadLetters.length}`);
