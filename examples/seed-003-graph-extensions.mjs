// Seed 003, graph extensions: an agent proposes a typed kind at runtime, the operator
// approves it, the live store commits it and ingests under it with no restart; a fresh
// process with only the compile-time graph sees everything again. Then the kind is
// deprecated, removed (schema commit) and its rows cleaned up (data phase).
import { z } from "zod";
import {
  StaleVersionError,
  createStoreWithSchema,
  defineGraph,
  defineGraphExtension,
  defineNode,
  validateGraphExtension,
} from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// 1. Boot with a compile-time kind.
const Document = defineNode("Document", { schema: z.object({ title: z.string(), body: z.string() }) });
const baseGraph = defineGraph({ id: "research_corpus", nodes: { Document: { type: Document } }, edges: {} });
const path = join(mkdtempSync(join(tmpdir(), "seed003-ext-")), "corpus.db");
const { backend } = createLocalSqliteBackend({ path });
const [store] = await createStoreWithSchema(baseGraph, backend);

// 2. An agent proposes a new kind at runtime (untrusted JSON: validate at the boundary).
const raw = JSON.parse(`{
  "nodes": {
    "Paper": {
      "description": "An academic paper inferred from the corpus",
      "properties": {
        "title": { "type": "string", "minLength": 1, "searchable": { "language": "english" } },
        "doi": { "type": "string", "minLength": 1 },
        "year": { "type": "number", "int": true, "min": 1900, "max": 2100 }
      },
      "unique": [{ "name": "paper_doi_unique", "fields": ["doi"] }]
    }
  },
  "indexes": [{ "entity": "node", "kind": "Paper", "name": "paper_by_doi", "fields": ["doi"], "unique": true }]
}`);
const checked = validateGraphExtension(raw, { strict: true });
if (!checked.success) throw checked.error;
const proposal = defineGraphExtension(checked.data);

// 3. Operator approves; commit atomically (with the documented retry recipe).
const ref = { current: store };
async function evolveWithRetry(extension, attempts = 3) {
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await ref.current.evolve(extension, { ref });
    } catch (error) {
      if (error instanceof StaleVersionError) continue;
      throw error;
    }
  }
  throw new Error(`Failed to evolve after ${attempts} attempts`);
}
const evolved = await evolveWithRetry(proposal);

// 4. Use the dynamic-collection accessor.
const papers = evolved.getNodeCollectionOrThrow("Paper");
await papers.create({ title: "Attention is all you need", doi: "10.5555/3295222.3295349", year: 2017 });
await papers.create({ title: "Deep residual learning", doi: "10.1109/CVPR.2016.90", year: 2016 });
const hits = await evolved.search.fulltext("Paper", { query: "attention", limit: 5 });
const intro = evolved.introspect();

// 5. Restart parity: a fresh connection with only the compile-time graph.
const [restored, reopened] = await createStoreWithSchema(baseGraph, createLocalSqliteBackend({ path }).backend);
const restoredCount = (await restored.getNodeCollection("Paper").find({})).length;

// 6. Deprecate, then remove in two phases.
const deprecated = await ref.current.deprecateKinds(["Paper"], { ref });
const removed = await deprecated.removeKinds(["Paper"], { ref });
const cleanup = await removed.materializeRemovals();
await restored.close();
await ref.current.close();

const summary = [
  `version=${intro.schemaVersion}`,
  `origin=${intro.kinds.find((k) => k.name === "Paper").origin}`,
  `hits=${hits.length}`,
  `restored=${reopened.status}:${restoredCount}`,
  `deprecated=${[...deprecated.introspect().deprecatedKinds].join(",")}`,
  `removed=${cleanup.results.map((r) => `${r.kind}:${r.status}`).join(",")}`,
  `final=${removed.introspect().schemaVersion}`,
].join(" ");
if (summary !== "version=2 origin=runtime hits=1 restored=unchanged:2 deprecated=Paper removed=Paper:removed final=4") {
  throw new Error(`unexpected: ${summary}`);
}
console.log("ok", summary);
