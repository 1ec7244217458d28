// Type tests: the graph-extension document types and the schema entry's result types.
import { describe, expectTypeOf, it } from "vitest";
import {
  defineGraphExtension,
  validateGraphExtension,
  type ExtensionPropertyType,
  type GraphExtension,
  type GraphExtensionIssue,
  type GraphExtensionValidationError,
} from "../dist/extension/index.js";
import { classifySchemaChanges, type SchemaChangeClassification, type SchemaDiff } from "../dist/schema-entry.js";

describe("graph-extension types", () => {
  it("types authored documents", () => {
    const ext = defineGraphExtension({
      nodes: { Paper: { properties: { title: { type: "string", minLength: 1 }, year: { type: "number", int: true } }, unique: [{ name: "u", fields: ["title"] }] } },
      edges: { cites: { from: ["Paper"], to: ["Paper"] } },
      ontology: [{ metaEdge: "subClassOf", from: "Paper", to: "Document" }],
      indexes: [{ entity: "node", kind: "Paper", fields: ["title"] }],
    });
    expectTypeOf(ext).toEqualTypeOf<GraphExtension>();
    // @ts-expect-error not a supported property type
    defineGraphExtension({ nodes: { A: { properties: { x: { type: "date" } } } } });
    // @ts-expect-error not a known meta-edge
    defineGraphExtension({ ontology: [{ metaEdge: "isA", from: "A", to: "B" }] });
    // @ts-expect-error format is a closed set
    const bad: ExtensionPropertyType = { type: "string", format: "ipv6" };
    void bad;
  });

  it("returns a Result from validateGraphExtension", () => {
    const r = validateGraphExtension({} as unknown);
    if (r.success) expectTypeOf(r.data).toEqualTypeOf<GraphExtension>();
    else {
      expectTypeOf(r.error).toEqualTypeOf<GraphExtensionValidationError>();
      expectTypeOf(r.error.issues).toEqualTypeOf<readonly GraphExtensionIssue[]>();
    }
  });

  it("classifies diffs into three outcomes", () => {
    expectTypeOf(classifySchemaChanges).parameter(0).toEqualTypeOf<SchemaDiff>();
    expectTypeOf(classifySchemaChanges).returns.toEqualTypeOf<SchemaChangeClassification>();
    expectTypeOf<SchemaChangeClassification>().toEqualTypeOf<"identical" | "additive" | "incompatible">();
  });
});
