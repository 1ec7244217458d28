import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  createExternalRef,
  defineEdge,
  defineGraph,
  defineNode,
  embedding,
  externalRef,
  getEmbeddingDimensions,
  getExternalRefTable,
  getSearchableMetadata,
  isEdgeType,
  isGraphDef,
  isNodeType,
  searchable,
  serializeSchema,
  computeSchemaHash,
} from "../dist/index.js";
import { generateSqliteDDL, generateSqliteMigrationSQL } from "../dist/sqlite.js";
import { generatePostgresDDL, generatePostgresMigrationSQL } from "../dist/postgres.js";

describe("definitions", () => {
  it("refuses reserved keys, the $ prefix and __proto__", () => {
    expect(() => defineNode("A", { schema: z.object({ id: z.string() }) })).toThrow(ConfigurationError);
    expect(() => defineNode("A", { schema: z.object({ meta: z.string() }) })).toThrow(/reserved property names: meta/);
    expect(() => defineNode("A", { schema: z.object({ $x: z.string() }) })).toThrow(/reserved "\$" prefix/);
    expect(() => defineEdge("e", { schema: z.object({ fromId: z.string() }) })).toThrow(ConfigurationError);
    expect(() => defineNode("A", { schema: z.object({ nested: z.object({ id: z.string() }) }) })).not.toThrow();
    expect(() => defineNode("A", { schema: z.object({ a: z.string() }), annotations: { bad: Number.NaN } })).toThrow(/non-JSON/);
    expect(() => defineNode("A\u001e", { schema: z.object({}) })).toThrow(/U\+001E/);
  });

  it("returns frozen definitions with guards", () => {
    const A = defineNode("A", { schema: z.object({ a: z.string() }), description: "d" });
    const e = defineEdge("e");
    expect(isNodeType(A)).toBe(true);
    expect(isEdgeType(e)).toBe(true);
    expect(Object.isFrozen(A)).toBe(true);
    expect(A.description).toBe("d");
    const g = defineGraph({ id: "g", nodes: { A }, edges: { e } });
    expect(isGraphDef(g)).toBe(true);
    expect(g.edges.e.from.map((n) => n.kind)).toEqual(["A"]);
    expect(g.defaults).toEqual({ onNodeDelete: "restrict", temporalMode: "current" });
  });

  it("refuses widening an edge type's endpoints", () => {
    const A = defineNode("A", { schema: z.object({}) });
    const B = defineNode("B", { schema: z.object({}) });
    const e = defineEdge("e", { from: [A], to: [A] });
    expect(() => defineGraph({ id: "g", nodes: { A, B }, edges: { e: { type: e, from: [B], to: [A] } } })).toThrow(ConfigurationError);
  });

  it("brands embedding, searchable and externalRef fields", () => {
    const emb = embedding(3);
    expect(getEmbeddingDimensions(emb)).toBe(3);
    expect(getEmbeddingDimensions(emb.optional())).toBe(3);
    expect(emb.safeParse([1, 2, 3]).success).toBe(true);
    expect(emb.safeParse([1, 2]).success).toBe(false);
    expect(getSearchableMetadata(searchable({ language: "german" }))).toEqual({ language: "german" });
    const ref = externalRef("documents");
    expect(getExternalRefTable(ref)).toBe("documents");
    expect(ref.safeParse(createExternalRef("documents")("d1")).success).toBe(true);
    expect(ref.safeParse({ table: "users", id: "d1" }).success).toBe(false);
  });

  it("serializes the schema document in upstream's key order and hashes it stably", () => {
    const Doc = defineNode("Doc", { schema: z.object({ title: searchable(), vec: embedding(4).optional() }) });
    const Tag = defineNode("Tag", { schema: z.object({ name: z.string() }) });
    const tagged = defineEdge("tagged");
    const g = defineGraph({ id: "g", nodes: { Doc, Tag: { type: Tag, unique: [{ name: "tag_name", fields: ["name"] }] } }, edges: { tagged } });
    const doc = serializeSchema(g, 1);
    expect(Object.keys(doc)).toEqual(["graphId", "version", "generatedAt", "nodes", "edges", "ontology", "defaults", "indexes"]);
    expect(Object.keys(doc.nodes.Tag as object)).toEqual(["kind", "properties", "uniqueConstraints", "onDelete"]);
    expect((doc.nodes.Doc as { properties: unknown }).properties).toEqual({ type: "object" });
    expect(Object.keys(doc.edges.tagged as object)).toEqual(["kind", "fromKinds", "toKinds", "properties", "cardinality", "endpointExistence"]);
    expect(doc.indexes).toEqual([
      expect.objectContaining({ entity: "vector", kind: "Doc", name: "tg_vec_doc_vec_cosine", dimensions: 4, metric: "cosine" }),
    ]);
    const later = { ...serializeSchema(g, 7), generatedAt: "2000-01-01T00:00:00.000Z" };
    expect(computeSchemaHash(later)).toBe(computeSchemaHash(doc));
    expect(computeSchemaHash(doc)).toMatch(/^[0-9a-f]{16}$/);
  });

  it("generates upstream's DDL for both dialects", () => {
    const sqlite = generateSqliteDDL();
    expect(sqlite).toHaveLength(51);
    expect(sqlite[0]).toMatch(/^CREATE TABLE IF NOT EXISTS "typegraph_nodes"/);
    expect(generateSqliteMigrationSQL()).toBe(sqlite.join("\n\n"));
    const pg = generatePostgresDDL();
    expect(pg).toHaveLength(53);
    expect(generatePostgresMigrationSQL()).toMatch(/^-- Enable pgvector extension/);
    expect(pg.join("\n")).toContain('"schema_doc" JSONB NOT NULL');
  });
});
