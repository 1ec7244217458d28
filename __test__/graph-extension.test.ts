// Graph-extension documents: validation (every issue code with its JSON-pointer
// path, strict and lenient modes, format versions), compilation to zod-backed
// kinds, merging into a graph, and persistence in the schema document.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  CURRENT_GRAPH_EXTENSION_VERSION,
  GRAPH_EXTENSION_ISSUE_CODES,
  GRAPH_EXTENSION_TOP_LEVEL_KEYS,
  GraphExtensionError,
  GraphExtensionUnresolvedEndpointError,
  GraphExtensionUnresolvedOntologyEndpointError,
  GraphExtensionValidationError,
  GraphExtensionVersionUnsupportedError,
  INCOMPATIBLE_CHANGE_TYPES,
  IncompatibleChangeError,
  KindCollisionError,
  KindHasReferentsError,
  LEGACY_GRAPH_EXTENSION_VERSION,
  RemoveCompileTimeKindError,
  defineGraphExtension,
  validateGraphExtension,
  type GraphExtension,
  type GraphExtensionIssueCode,
} from "../dist/extension/index.js";
import { mergeGraphExtension as mergeTyped, compileGraphExtension } from "../dist/extension/internal.js";
import * as root from "../dist/index.js";
import {
  KindNotFoundError,
  TypeGraphError,
  UniquenessError,
  ValidationError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  getEmbeddingDimensions,
  getSearchableMetadata,
  serializeSchema,
  type GraphDef,
} from "../dist/index.js";
import { getActiveSchema } from "../dist/schema-entry.js";
import { backends, freshGraphId } from "./backends.js";

/** Extension kinds are not visible to the type system: work with the widened graph type. */
const mergeGraphExtension = (graph: GraphDef, doc: GraphExtension) => mergeTyped<GraphDef>(graph, doc);

const Document = defineNode("Document", { schema: z.object({ title: z.string() }) });
const cites = defineEdge("cites");
const base = (id = "ext_base") => defineGraph({ id, nodes: { Document }, edges: { cites: { type: cites, from: [Document], to: [Document] } } });

const paperDoc = {
  nodes: {
    Paper: {
      description: "An academic paper",
      annotations: { source: "llm", tags: ["a", 1, true, null, { x: [] }] },
      properties: {
        title: { type: "string", minLength: 1, maxLength: 200, searchable: { language: "english" }, description: "Title" },
        doi: { type: "string", pattern: "^10\\.", minLength: 3 },
        year: { type: "number", int: true, min: 1900, max: 2100 },
        score: { type: "number", min: 0, max: 1, optional: true },
        open: { type: "boolean", optional: true },
        status: { type: "enum", values: ["draft", "published"] },
        keywords: { type: "array", items: { type: "string", maxLength: 20 }, optional: true },
        authors: { type: "array", items: { type: "object", properties: { name: { type: "string" }, orcid: { type: "string", optional: true } } }, optional: true },
        vec: { type: "array", items: { type: "number" }, embedding: { dimensions: 3 }, optional: true },
        venue: { type: "object", properties: { name: { type: "string" }, ranks: { type: "array", items: { type: "number", int: true } } }, optional: true },
        published: { type: "string", format: "datetime", optional: true },
        day: { type: "string", format: "date", optional: true },
        url: { type: "string", format: "uri", optional: true },
        contact: { type: "string", format: "email", optional: true },
        ref: { type: "string", format: "uuid", optional: true },
      },
      unique: [
        { name: "paper_doi_unique", fields: ["doi"] },
        { name: "paper_title_year", fields: ["title", "year"], scope: "kindWithSubClasses", collation: "caseInsensitive", where: { field: "score", op: "isNotNull" } },
      ],
    },
    Author: { properties: { name: { type: "string" } } },
  },
  edges: {
    authoredBy: { from: ["Paper"], to: ["Author"], properties: { position: { type: "number", int: true, optional: true } } },
    mentions: { from: ["Paper", "Document"], to: ["Document"] },
  },
  ontology: [
    { metaEdge: "subClassOf", from: "Paper", to: "Document" },
    { metaEdge: "relatedTo", from: "Author", to: "https://schema.org/Person" },
    { metaEdge: "inverseOf", from: "authoredBy", to: "https://example.org/authorOf" },
  ],
  indexes: [
    { entity: "node", kind: "Paper", name: "paper_by_doi", fields: ["doi"], unique: true, scope: "graphAndKind", where: { field: "doi", op: "isNotNull" } },
    { entity: "edge", kind: "authoredBy", fields: ["position"], direction: "out", coveringFields: [] },
  ],
} as const satisfies GraphExtension;

const validPaper = { title: "Attention", doi: "10.5555/1", year: 2017, status: "published" };

describe("defineGraphExtension / validateGraphExtension: valid documents", () => {
  it("accepts every property type and modifier, stamps the version, and returns a frozen copy", () => {
    const input = structuredClone(paperDoc) as unknown as GraphExtension;
    const ext = defineGraphExtension(input);
    expect(ext.version).toBe(CURRENT_GRAPH_EXTENSION_VERSION);
    expect(CURRENT_GRAPH_EXTENSION_VERSION).toBe(1);
    expect(LEGACY_GRAPH_EXTENSION_VERSION).toBe(1);
    expect(Object.isFrozen(ext)).toBe(true);
    expect(Object.isFrozen(ext.nodes!.Paper!.properties.title)).toBe(true);
    expect(ext.nodes!.Paper!.properties).toEqual(paperDoc.nodes.Paper.properties);
    expect(ext.indexes).toEqual(paperDoc.indexes);
    // Detached from the input: later changes to the caller's object don't reach the document.
    (input.nodes!.Paper!.properties as Record<string, unknown>).title = { type: "boolean" };
    expect(ext.nodes!.Paper!.properties.title!.type).toBe("string");
  });

  it("is the same in Result form, and accepts explicit version 1 and an empty document", () => {
    const r = validateGraphExtension(paperDoc, { strict: true });
    expect(r.success).toBe(true);
    expect(validateGraphExtension({ version: 1 })).toEqual({ success: true, data: { version: 1 } });
    expect(defineGraphExtension({})).toEqual({ version: 1 });
  });

  it("compiles to zod schemas implementing the property subset", () => {
    const merged = mergeGraphExtension(base(), defineGraphExtension(paperDoc));
    const schema = merged.nodes.Paper!.type.schema;
    const ok = (v: object) => schema.safeParse({ ...validPaper, ...v }).success;
    expect(ok({})).toBe(true);
    expect(ok({ title: "" })).toBe(false); // minLength
    expect(ok({ title: "x".repeat(201) })).toBe(false); // maxLength
    expect(ok({ doi: "11.1" })).toBe(false); // pattern
    expect(ok({ year: 2017.5 })).toBe(false); // int
    expect(ok({ year: 1800 })).toBe(false); // min
    expect(ok({ score: 1.5 })).toBe(false); // max
    expect(ok({ open: "yes" })).toBe(false); // boolean
    expect(ok({ status: "retracted" })).toBe(false); // enum
    expect(ok({ keywords: ["a", "x".repeat(21)] })).toBe(false); // array item refinement
    expect(ok({ authors: [{ name: "A" }, { name: "B", orcid: "0000" }] })).toBe(true); // array of objects
    expect(ok({ authors: [{ orcid: "0000" }] })).toBe(false);
    expect(ok({ vec: [1, 2, 3] })).toBe(true);
    expect(ok({ vec: [1, 2] })).toBe(false); // embedding dimensions
    expect(ok({ venue: { name: "NeurIPS", ranks: [1, 2] } })).toBe(true);
    expect(ok({ venue: { name: "NeurIPS", ranks: [1.5] } })).toBe(false);
    expect(ok({ published: "2017-06-12T00:00:00Z" })).toBe(true);
    expect(ok({ published: "yesterday" })).toBe(false);
    expect(ok({ day: "2017-06-12" })).toBe(true);
    expect(ok({ day: "2017-6-12" })).toBe(false);
    expect(ok({ url: "https://arxiv.org/abs/1706.03762" })).toBe(true);
    expect(ok({ url: "not a url" })).toBe(false);
    expect(ok({ contact: "a@b.org" })).toBe(true);
    expect(ok({ contact: "nope" })).toBe(false);
    expect(ok({ ref: "123e4567-e89b-12d3-a456-426614174000" })).toBe(true);
    expect(ok({ ref: "123" })).toBe(false);
    const { doi: _doi, ...withoutDoi } = validPaper;
    expect(schema.safeParse(withoutDoi).success).toBe(false); // required unless optional
    expect(getSearchableMetadata(schema.shape.title)).toEqual({ language: "english" });
    expect(getEmbeddingDimensions(schema.shape.vec)).toBe(3);
    // Property descriptions stay in the document (upstream leaves them off the zod schema: same stored JSON Schema).
    expect((schema.shape.title as z.ZodString).description).toBeUndefined();
    expect(merged.nodes.Paper!.type.description).toBe("An academic paper");
    expect(merged.nodes.Paper!.type.annotations).toEqual(paperDoc.nodes.Paper.annotations);
  });

  it("compiles uniques, ontology relations and indexes in the shapes defineGraph takes", () => {
    const compiled = compileGraphExtension(defineGraphExtension(paperDoc));
    const paper = compiled.nodes.find((n) => n.type.kind === "Paper")!;
    expect(paper.unique.map((u) => [u.name, u.fields, u.scope, u.collation])).toEqual([
      ["paper_doi_unique", ["doi"], "kind", "binary"],
      ["paper_title_year", ["title", "year"], "kindWithSubClasses", "caseInsensitive"],
    ]);
    expect(paper.unique[1]!.where!({} as never)).toEqual({ field: "score", op: "isNotNull" });
    expect(compiled.ontology[0]!.metaEdge).toBe("subClassOf");
    expect(compiled.ontology[0]!.from).toBe(paper.type); // declared in the same document: the NodeType itself
    expect(compiled.ontology[0]!.to).toBe("Document"); // resolved at merge time
    expect(compiled.indexes).toEqual(paperDoc.indexes);
    const merged = mergeGraphExtension(base(), defineGraphExtension(paperDoc));
    expect(Object.keys(merged.nodes)).toEqual(["Document", "Paper", "Author"]);
    expect(Object.keys(merged.edges)).toEqual(["cites", "authoredBy", "mentions"]);
    expect(merged.edges.mentions!.from.map((n) => n.kind)).toEqual(["Paper", "Document"]);
    expect(merged.edges.mentions!.from[1]).toBe(Document);
    expect(merged.ontology.find((r) => r.metaEdge === "subClassOf")!.to).toBe(Document);
    // Same definition object → same compiled kind: schema identity survives a re-merge.
    expect(mergeGraphExtension(merged, {})).toBe(merged);
    expect(mergeGraphExtension(merged, defineGraphExtension({ nodes: { Paper: paperDoc.nodes.Paper } }))).toBe(merged);
    const other = mergeGraphExtension(base(), defineGraphExtension({ ...paperDoc, nodes: { ...paperDoc.nodes, Extra: { properties: {} } } }));
    expect(other.nodes.Paper!.type.schema).toBe(merged.nodes.Paper!.type.schema);
    expect(other.edges.authoredBy!.type.schema).toBe(merged.edges.authoredBy!.type.schema);
  });
});

/** [code, document, expected path] — strict mode. */
const issueCases: [GraphExtensionIssueCode, unknown, string][] = [
  ["UNSUPPORTED_PROPERTY_TYPE", { nodes: { A: { properties: { x: { type: "bigint" } } } } }, "/nodes/A/properties/x/type"],
  ["INVALID_PROPERTY_REFINEMENT", { nodes: { A: { properties: { x: { type: "number", int: "yes" } } } } }, "/nodes/A/properties/x/int"],
  ["NESTED_ARRAY", { nodes: { A: { properties: { x: { type: "array", items: { type: "array", items: { type: "string" } } } } } } }, "/nodes/A/properties/x/items"],
  [
    "NESTED_OBJECT_TOO_DEEP",
    { nodes: { A: { properties: { o: { type: "object", properties: { p: { type: "object", properties: { q: { type: "string" } } } } } } } } },
    "/nodes/A/properties/o/properties/p",
  ],
  ["INVALID_MODIFIER_TARGET", { nodes: { A: { properties: { n: { type: "number", searchable: {} } } } } }, "/nodes/A/properties/n/searchable"],
  ["INVALID_ENUM_VALUES", { nodes: { A: { properties: { e: { type: "enum", values: ["a", "a"] } } } } }, "/nodes/A/properties/e/values/1"],
  ["INVALID_NUMBER_BOUNDS", { nodes: { A: { properties: { n: { type: "number", min: 5, max: 1 } } } } }, "/nodes/A/properties/n"],
  ["INVALID_LENGTH_BOUNDS", { nodes: { A: { properties: { s: { type: "string", minLength: -1 } } } } }, "/nodes/A/properties/s/minLength"],
  ["INVALID_PATTERN", { nodes: { A: { properties: { s: { type: "string", pattern: "([a-" } } } } }, "/nodes/A/properties/s/pattern"],
  [
    "INVALID_EMBEDDING_DIMENSIONS",
    { nodes: { A: { properties: { v: { type: "array", items: { type: "number" }, embedding: { dimensions: 0 } } } } } },
    "/nodes/A/properties/v/embedding/dimensions",
  ],
  ["INVALID_SEARCHABLE_LANGUAGE", { nodes: { A: { properties: { s: { type: "string", searchable: { language: "" } } } } } }, "/nodes/A/properties/s/searchable/language"],
  ["RESERVED_PROPERTY_NAME", { nodes: { A: { properties: { meta: { type: "string" } } } } }, "/nodes/A/properties/meta"],
  ["INVALID_KIND_NAME", { nodes: { "Bad Kind": { properties: {} } } }, "/nodes/Bad Kind"],
  ["EMPTY_PROPERTIES", { nodes: { A: { properties: { o: { type: "object", properties: {} } } } } }, "/nodes/A/properties/o/properties"],
  ["EMPTY_FROM_OR_TO", { edges: { e: { from: [], to: ["A"] } } }, "/edges/e/from"],
  [
    "DUPLICATE_UNIQUE_CONSTRAINT",
    { nodes: { A: { properties: { s: { type: "string" } }, unique: [{ name: "u", fields: ["s"] }, { name: "u", fields: ["s"] }] } } },
    "/nodes/A/unique/1/name",
  ],
  ["EMPTY_UNIQUE_FIELDS", { nodes: { A: { properties: { s: { type: "string" } }, unique: [{ name: "u", fields: [] }] } } }, "/nodes/A/unique/0/fields"],
  ["DUPLICATE_UNIQUE_FIELD", { nodes: { A: { properties: { s: { type: "string" } }, unique: [{ name: "u", fields: ["s", "s"] }] } } }, "/nodes/A/unique/0/fields/1"],
  ["UNKNOWN_UNIQUE_FIELD", { nodes: { A: { properties: { s: { type: "string" } }, unique: [{ name: "u", fields: ["t"] }] } } }, "/nodes/A/unique/0/fields/0"],
  [
    "INVALID_UNIQUE_WHERE_OP",
    { nodes: { A: { properties: { s: { type: "string" } }, unique: [{ name: "u", fields: ["s"], where: { field: "s", op: "eq" } }] } } },
    "/nodes/A/unique/0/where/op",
  ],
  [
    "UNKNOWN_UNIQUE_WHERE_FIELD",
    { nodes: { A: { properties: { s: { type: "string" } }, unique: [{ name: "u", fields: ["s"], where: { field: "t", op: "isNull" } }] } } },
    "/nodes/A/unique/0/where/field",
  ],
  ["INVALID_ANNOTATION", { nodes: { A: { properties: {}, annotations: { a: { b: [1, Number.NaN] } } } } }, "/nodes/A/annotations/a/b/1"],
  ["UNKNOWN_META_EDGE", { ontology: [{ metaEdge: "isA", from: "A", to: "B" }] }, "/ontology/0/metaEdge"],
  [
    "ONTOLOGY_CYCLE",
    { ontology: [{ metaEdge: "subClassOf", from: "A", to: "B" }, { metaEdge: "subClassOf", from: "B", to: "C" }, { metaEdge: "subClassOf", from: "C", to: "A" }] },
    "/ontology/0",
  ],
  ["ONTOLOGY_SELF_LOOP", { ontology: [{ metaEdge: "partOf", from: "A", to: "A" }] }, "/ontology/0"],
  [
    "ONTOLOGY_DISJOINT_CONFLICT",
    { ontology: [{ metaEdge: "subClassOf", from: "C", to: "A" }, { metaEdge: "subClassOf", from: "C", to: "B" }, { metaEdge: "disjointWith", from: "A", to: "B" }] },
    "/ontology/2",
  ],
  [
    "ONTOLOGY_INVERSE_MULTIPLE_PARTNERS",
    { ontology: [{ metaEdge: "inverseOf", from: "e", to: "f" }, { metaEdge: "inverseOf", from: "e", to: "g" }] },
    "/ontology/1",
  ],
  ["DUPLICATE_ONTOLOGY_RELATION", { ontology: [{ metaEdge: "relatedTo", from: "A", to: "B" }, { metaEdge: "relatedTo", from: "A", to: "B" }] }, "/ontology/1"],
  ["INVALID_DOCUMENT_SHAPE", { nodes: [] }, "/nodes"],
  ["UNKNOWN_DOCUMENT_KEY", { node: {} }, "/node"],
  ["UNSUPPORTED_STRING_FORMAT", { nodes: { A: { properties: { d: { type: "string", format: "date-time" } } } } }, "/nodes/A/properties/d/format"],
  ["INVALID_INDEX_DECLARATION", { indexes: [{ entity: "vector", kind: "A", fields: ["x"] }] }, "/indexes/0/entity"],
  ["DUPLICATE_INDEX_NAME", { indexes: [{ entity: "node", kind: "A", name: "i", fields: ["x"] }, { entity: "node", kind: "A", name: "i", fields: ["y"] }] }, "/indexes/1/name"],
  ["EMPTY_INDEX_FIELDS", { indexes: [{ entity: "node", kind: "A", fields: [] }] }, "/indexes/0/fields"],
  ["UNKNOWN_PROPERTY_KEY", { nodes: { A: { properties: { s: { type: "string", minLenght: 3 } } } } }, "/nodes/A/properties/s/minLenght"],
];

describe("validation issues", () => {
  it.each(issueCases)("%s is reported at its JSON-pointer path", (code, doc, path) => {
    const r = validateGraphExtension(doc, { strict: true });
    expect(r.success).toBe(false);
    if (r.success) return;
    expect(r.error).toBeInstanceOf(GraphExtensionValidationError);
    expect(r.error.issues).toContainEqual(expect.objectContaining({ code, path }));
    expect(() => defineGraphExtension(doc as GraphExtension)).toThrow(GraphExtensionValidationError);
  });

  it("covers every issue code the document can produce", () => {
    const covered = new Set(issueCases.map(([c]) => c));
    // Object keys are unique, so a JSON document cannot declare the same kind twice within a section.
    const unreachable = ["DUPLICATE_KIND_NAME"];
    expect(GRAPH_EXTENSION_ISSUE_CODES.filter((c) => !covered.has(c))).toEqual(unreachable);
  });

  it("batches every issue of a document, and escapes pointer segments", () => {
    const r = validateGraphExtension(
      {
        nodes: {
          "a/b~c": { properties: {} },
          A: { properties: { id: { type: "string" }, $x: { type: "string" }, n: { type: "number", max: Number.POSITIVE_INFINITY } } },
        },
        edges: { e: { from: ["A"], to: "A" } },
      },
      { strict: true },
    );
    expect(r.success).toBe(false);
    if (r.success) return;
    expect(r.error.issues.map((i) => [i.code, i.path])).toEqual([
      ["INVALID_KIND_NAME", "/nodes/a~1b~0c"],
      ["RESERVED_PROPERTY_NAME", "/nodes/A/properties/id"],
      ["RESERVED_PROPERTY_NAME", "/nodes/A/properties/$x"],
      ["INVALID_NUMBER_BOUNDS", "/nodes/A/properties/n/max"],
      ["INVALID_DOCUMENT_SHAPE", "/edges/e/to"],
    ]);
    expect(r.error.code).toBe("GRAPH_EXTENSION_INVALID");
    expect(r.error.details.issues).toBe(r.error.issues);
    expect(r.error.message).toMatch(/^Graph extension document is invalid \(5 issues\): .*\(\+2 more\)$/);
    expect(r.error).toBeInstanceOf(GraphExtensionError);
    expect(r.error).toBeInstanceOf(TypeGraphError);
    expect(r.error.category).toBe("user");
  });

  it("refuses names that could shadow built-in object members or be unstorable", () => {
    const doc = JSON.parse(
      '{"nodes":{"__proto__":{"properties":{}},"constructor":{"properties":{}},"A":{"properties":{"__proto__":{"type":"string"},"":{"type":"string"},"o":{"type":"object","properties":{"__proto__":{"type":"string"}}}}}}}',
    ) as unknown;
    const r = validateGraphExtension(doc);
    expect(r.success).toBe(false);
    if (r.success) return;
    expect(r.error.issues.map((i) => [i.code, i.path])).toEqual([
      ["INVALID_KIND_NAME", "/nodes/__proto__"],
      ["INVALID_KIND_NAME", "/nodes/constructor"],
      ["RESERVED_PROPERTY_NAME", "/nodes/A/properties/__proto__"],
      ["RESERVED_PROPERTY_NAME", "/nodes/A/properties/"],
      ["RESERVED_PROPERTY_NAME", "/nodes/A/properties/o/properties/__proto__"],
    ]);
    expect(({} as Record<string, unknown>).properties).toBeUndefined();
  });

  it("rejects index names that are not plain identifiers", () => {
    for (const name of ["idx; DROP TABLE x", 'i"x', "x".repeat(64), "1abc"]) {
      const r = validateGraphExtension({ indexes: [{ entity: "node", kind: "A", name, fields: ["f"] }] });
      expect(r.success ? [] : r.error.issues.map((i) => [i.code, i.path])).toEqual([["INVALID_INDEX_DECLARATION", "/indexes/0/name"]]);
    }
  });
});

describe("document format versions", () => {
  it("treats a missing version as the legacy v1 and stamps it", () => {
    const r = validateGraphExtension({ nodes: { A: { properties: {} } } });
    expect(r.success && r.data.version).toBe(LEGACY_GRAPH_EXTENSION_VERSION);
  });

  it("refuses a newer major with GRAPH_EXTENSION_VERSION_UNSUPPORTED", () => {
    for (const strict of [true, false]) {
      let error: unknown;
      try {
        validateGraphExtension({ version: 2, nodes: {} }, { strict });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(GraphExtensionVersionUnsupportedError);
      const e = error as GraphExtensionVersionUnsupportedError;
      expect(e.code).toBe("GRAPH_EXTENSION_VERSION_UNSUPPORTED");
      expect([e.persistedVersion, e.currentVersion]).toEqual([2, 1]);
      expect(e.details).toEqual({ persistedVersion: 2, currentVersion: 1 });
      expect(e.category).toBe("system");
    }
  });

  it.each([0, -1, 1.5, "1", null])("reports version %j as an invalid document shape", (version) => {
    const r = validateGraphExtension({ version });
    expect(r.success ? [] : r.error.issues).toEqual([expect.objectContaining({ code: "INVALID_DOCUMENT_SHAPE", path: "/version" })]);
  });
});

describe("strict and lenient modes", () => {
  const forward = {
    futureSlice: { x: 1 },
    nodes: { A: { futureNodeKey: 1, properties: { s: { type: "string", format: "ipv6", futureRefinement: true }, n: { type: "number", step: 2 } } } },
  };

  it("strict (authoring) mode rejects unknown keys and formats everywhere", () => {
    const r = validateGraphExtension(forward, { strict: true });
    expect(r.success ? [] : r.error.issues.map((i) => [i.code, i.path])).toEqual([
      ["UNKNOWN_DOCUMENT_KEY", "/futureSlice"],
      ["INVALID_DOCUMENT_SHAPE", "/nodes/A/futureNodeKey"],
      ["UNKNOWN_PROPERTY_KEY", "/nodes/A/properties/s/futureRefinement"],
      ["UNSUPPORTED_STRING_FORMAT", "/nodes/A/properties/s/format"],
      ["UNKNOWN_PROPERTY_KEY", "/nodes/A/properties/n/step"],
    ]);
  });

  it("lenient (stored-document) mode reads a newer v1 writer's additions and drops them", () => {
    const r = validateGraphExtension(forward);
    expect(r.success).toBe(true);
    if (!r.success) return;
    expect(r.data).toEqual({ version: 1, nodes: { A: { properties: { s: { type: "string" }, n: { type: "number" } } } } });
    const merged = mergeGraphExtension(base(), r.data);
    expect(merged.nodes.A!.type.schema.safeParse({ s: "anything", n: 1.5 }).success).toBe(true);
  });

  it("defineGraphExtension is strict", () => {
    expect(() => defineGraphExtension(forward as GraphExtension)).toThrow(GraphExtensionValidationError);
  });
});

describe("merging into a graph", () => {
  it("refuses to redeclare a compile-time kind (KindCollisionError)", () => {
    let error: unknown;
    try {
      mergeGraphExtension(base("g_collide"), defineGraphExtension({ nodes: { Document: { properties: {} } } }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KindCollisionError);
    expect(error).toMatchObject({ code: "KIND_COLLISION", kindName: "Document", entity: "node", details: { graphId: "g_collide" } });
    expect(() => mergeGraphExtension(base(), defineGraphExtension({ edges: { cites: { from: ["Document"], to: ["Document"] } } }))).toThrow(
      KindCollisionError,
    );
  });

  it("resolves endpoints against the merged graph", () => {
    let error: unknown;
    try {
      mergeGraphExtension(base("g_ends"), defineGraphExtension({ edges: { e: { from: ["Document"], to: ["Ghost"] } } }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GraphExtensionUnresolvedEndpointError);
    expect(error).toMatchObject({ code: "GRAPH_EXTENSION_UNRESOLVED_ENDPOINT", edgeKind: "e", side: "to", endpoint: "Ghost" });
  });

  it("requires inverseOf/implies endpoints to be edge kinds or IRIs", () => {
    expect(() => mergeGraphExtension(base(), defineGraphExtension({ ontology: [{ metaEdge: "implies", from: "cites", to: "nothing" }] }))).toThrow(
      GraphExtensionUnresolvedOntologyEndpointError,
    );
    const ok = mergeGraphExtension(base(), defineGraphExtension({ ontology: [{ metaEdge: "implies", from: "cites", to: "https://x.org/refs" }] }));
    expect(ok.ontology).toHaveLength(1);
  });

  it("checks index declarations against the merged kinds", () => {
    expect(() => mergeGraphExtension(base(), defineGraphExtension({ indexes: [{ entity: "node", kind: "Ghost", fields: ["x"] }] }))).toThrow(KindNotFoundError);
    expect(() => mergeGraphExtension(base(), defineGraphExtension({ indexes: [{ entity: "node", kind: "Document", fields: ["missing"] }] }))).toThrow(
      /undeclared field "missing"/,
    );
    const ok = mergeGraphExtension(base(), defineGraphExtension({ indexes: [{ entity: "node", kind: "Document", fields: ["title"] }] }));
    expect(ok.extension!.indexes).toHaveLength(1);
  });

  it("unions with the graph's previous extension, later kinds replacing earlier ones", () => {
    const one = mergeGraphExtension(base(), defineGraphExtension({ nodes: { A: { properties: { x: { type: "string" } } } } }));
    const two = mergeGraphExtension(one, defineGraphExtension({ nodes: { B: { properties: {} }, A: { properties: { x: { type: "string" }, y: { type: "number", optional: true } } } } }));
    expect(Object.keys(two.nodes)).toEqual(["Document", "A", "B"]);
    expect(Object.keys(two.nodes.A!.type.schema.shape)).toEqual(["x", "y"]);
    expect(Object.keys(two.extension!.nodes!)).toEqual(["A", "B"]);
  });
});

describe("error classes of the entry", () => {
  it("carry upstream's codes and shapes", () => {
    const changes = [{ kind: "Paper", field: "doi", type: "REMOVE_PROPERTY" as const }];
    const inc = new IncompatibleChangeError(changes, "g");
    expect([inc.code, inc.changes, inc.details.graphId]).toEqual(["INCOMPATIBLE_CHANGE", changes, "g"]);
    expect(inc.message).toContain("Paper.doi: REMOVE_PROPERTY");
    const rm = new RemoveCompileTimeKindError("Document", "node", "g");
    expect([rm.code, rm.kindName, rm.entity, rm.name]).toEqual(["REMOVE_COMPILE_TIME_KIND", "Document", "node", "RemoveCompileTimeKindError"]);
    const refs = new KindHasReferentsError("Paper", [{ type: "compile-time-edge", name: "cites" }], "g");
    expect([refs.code, refs.referents]).toEqual(["KIND_HAS_REFERENTS", [{ type: "compile-time-edge", name: "cites" }]]);
    expect(new GraphExtensionUnresolvedOntologyEndpointError("implies", "x", "g").code).toBe("GRAPH_EXTENSION_UNRESOLVED_ONTOLOGY_ENDPOINT");
    for (const e of [inc, rm, refs]) expect(e).toBeInstanceOf(GraphExtensionError);
    expect(INCOMPATIBLE_CHANGE_TYPES).toContain("TIGHTEN_EDGE_ENDPOINTS");
    expect(GRAPH_EXTENSION_TOP_LEVEL_KEYS).toEqual(["version", "nodes", "edges", "ontology", "indexes"]);
  });

  it("are exported from the root entry as upstream does", () => {
    expect(root.defineGraphExtension).toBe(defineGraphExtension);
    expect(root.validateGraphExtension).toBe(validateGraphExtension);
    expect(root.KindCollisionError).toBe(KindCollisionError);
    expect(root.GraphExtensionValidationError).toBe(GraphExtensionValidationError);
    expect(root.CURRENT_GRAPH_EXTENSION_VERSION).toBe(1);
  });
});

describe("the extension in the schema document", () => {
  it("is stored as schema_doc.extension without the legacy version, with runtime vector indexes marked", () => {
    const merged = mergeGraphExtension(base("g_doc"), defineGraphExtension(paperDoc));
    const doc = serializeSchema(merged, 3);
    const { version: _v, ...withoutVersion } = defineGraphExtension(paperDoc);
    expect(doc.extension).toEqual(JSON.parse(JSON.stringify(withoutVersion)));
    // The document's relational indexes and the embedding-derived vector index, all runtime.
    expect(doc.indexes).toEqual(expect.arrayContaining([expect.objectContaining({ entity: "vector", kind: "Paper", fieldPath: "vec", dimensions: 3, origin: "runtime" })]));
    expect(doc.indexes!.length).toBe((paperDoc.indexes?.length ?? 0) + 1);
    expect((doc.indexes as { origin?: string }[]).every((d) => d.origin === "runtime")).toBe(true);
    expect(Object.keys(doc.nodes)).toEqual(["Document", "Paper", "Author"]);
    expect(serializeSchema(base("g_doc"), 1).extension).toBeUndefined();
  });
});

describe.each(backends)("graph extension kinds persist ($name)", ({ make }) => {
  it("commits the extension with the schema and rebuilds its kinds on restart", async () => {
    const graphId = freshGraphId("ext_restart");
    const db = `ext_restart_${graphId}`;
    const extended = mergeGraphExtension(base(graphId), defineGraphExtension(paperDoc));
    const first = make(db);
    const [store, result] = await createStoreWithSchema(extended, first);
    expect(result.status).toBe("initialized");
    const paper = await store.getNodeCollectionOrThrow("Paper").create(validPaper);
    await expect(store.getNodeCollectionOrThrow("Paper").create({ ...validPaper, title: "Other" })).rejects.toBeInstanceOf(UniquenessError);
    await expect(store.getNodeCollectionOrThrow("Paper").create({ ...validPaper, doi: "10.2", year: 1500 })).rejects.toBeInstanceOf(ValidationError);
    const author = await store.getNodeCollectionOrThrow("Author").create({ name: "Vaswani" });
    await store.getEdgeCollectionOrThrow("authoredBy").create(paper, author, { position: 1 });
    const stored = await getActiveSchema(first, graphId);
    expect(stored!.extension!.nodes!.Paper).toBeDefined();
    await first.close();

    // A fresh process that only knows the compile-time graph.
    const second = make(db);
    const [restored, again] = await createStoreWithSchema(base(graphId), second);
    expect(again).toEqual({ status: "unchanged", version: 1 });
    const papers = restored.getNodeCollectionOrThrow("Paper");
    expect((await papers.getById(paper.id))!.title).toBe("Attention");
    await expect(papers.create({ ...validPaper, title: "Dup" })).rejects.toBeInstanceOf(UniquenessError);
    expect(await restored.getEdgeCollectionOrThrow("authoredBy").findFrom(paper)).toHaveLength(1);
    expect(restored.getNodeCollection("Ghost")).toBeUndefined();
    await second.close();
  }, 120_000);
});
