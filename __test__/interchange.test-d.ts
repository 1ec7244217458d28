// Type tests for typegraph-native/interchange: the format types are the schemas' types, the
// functions take stores and return the documented shapes.
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { createStore, defineGraph, defineNode, type GraphBackend, type TrustedImportErrorReason } from "../dist/index.js";
import {
  GraphDataSchema,
  ImportOptionsSchema,
  exportGraph,
  exportGraphStream,
  importGraph,
  importGraphStream,
  trustedImportGraph,
  trustedImportGraphStream,
  type ExportOptionsInput,
  type GraphData,
  type GraphInterchangeChunk,
  type ImportError,
  type ImportOptions,
  type ImportResult,
  type InterchangeNode,
  type TrustedImportResult,
} from "../dist/interchange.js";

const Person = defineNode("Person", { schema: z.object({ name: z.string() }) });
const graph = defineGraph({ id: "types", nodes: { Person }, edges: {} });
declare const backend: GraphBackend;
const store = createStore(graph, backend);

describe("interchange types", () => {
  it("format types are the schemas' types", () => {
    expectTypeOf<GraphData>().toEqualTypeOf<z.infer<typeof GraphDataSchema>>();
    expectTypeOf<ImportOptions>().toEqualTypeOf<z.input<typeof ImportOptionsSchema>>();
    expectTypeOf<GraphData["nodes"][number]>().toEqualTypeOf<InterchangeNode>();
    expectTypeOf<InterchangeNode["validFrom"]>().toEqualTypeOf<string | null | undefined>();
    expectTypeOf<ImportError["entityType"]>().toEqualTypeOf<"node" | "edge" | "identity">();
  });

  it("functions take a store and answer the documented shapes", () => {
    expectTypeOf(exportGraph(store)).toEqualTypeOf<Promise<GraphData>>();
    expectTypeOf(exportGraph).parameter(1).toEqualTypeOf<ExportOptionsInput | undefined>();
    expectTypeOf(exportGraphStream(store, { batchSize: 10, idleTimeoutMs: 5 })).toEqualTypeOf<AsyncIterable<GraphInterchangeChunk>>();
    expectTypeOf(importGraph(store, {} as GraphData, { onConflict: "skip" })).toEqualTypeOf<Promise<ImportResult>>();
    expectTypeOf(importGraphStream(store, [] as GraphInterchangeChunk[], { onConflict: "update" })).toEqualTypeOf<Promise<ImportResult>>();
    expectTypeOf(trustedImportGraph(store, {} as GraphData)).toEqualTypeOf<Promise<TrustedImportResult>>();
    expectTypeOf(trustedImportGraphStream(store, [] as GraphInterchangeChunk[])).toEqualTypeOf<Promise<TrustedImportResult>>();
    expectTypeOf<TrustedImportResult>().toEqualTypeOf<Readonly<{ nodes: number; edges: number }>>();
    // @ts-expect-error onConflict is required
    void importGraph(store, {} as GraphData, {});
    expectTypeOf<"database_not_empty">().toMatchTypeOf<TrustedImportErrorReason>();
  });
});
