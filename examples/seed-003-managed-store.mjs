// Seed 003's starting point: a schema-managed store on local SQLite that records
// its schema version, reopened by a second process-like open that sees it unchanged.
import { z } from "zod";
import { createStoreWithSchema, defineGraph, defineNode } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const Paper = defineNode("Paper", { schema: z.object({ title: z.string(), year: z.number().int() }) });
const graph = defineGraph({ id: "papers", nodes: { Paper } });
const path = join(mkdtempSync(join(tmpdir(), "seed003-")), "graph.db");

const [store, first] = await createStoreWithSchema(graph, createLocalSqliteBackend({ path }).backend);
await store.nodes.Paper.create({ title: "Attention", year: 2017 });
await store.close();
const [again, second] = await createStoreWithSchema(graph, createLocalSqliteBackend({ path }).backend);
const n = await again.nodes.Paper.count();
await again.close();
if (first.status !== "initialized" || second.status !== "unchanged" || n !== 1) {
  throw new Error(`unexpected: ${first.status} ${second.status} ${n}`);
}
console.log("ok", first.status, second.status, n);
