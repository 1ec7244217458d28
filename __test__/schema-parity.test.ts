// Schema-document parity with the original implementation: for a compile-time graph
// extended by these documents, the stored document hashes to exactly what the
// original computes (hashes below were produced by the original's own serializer),
// so a database written by either implementation opens "unchanged" in the other.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { computeSchemaHash, defineEdge, defineGraph, defineNode, serializeSchema, type GraphDef } from "../dist/index.js";
import { defineGraphExtension, type GraphExtension } from "../dist/extension/index.js";
import { mergeGraphExtension } from "../dist/extension/internal.js";
import { computeSchemaDiff, getActiveSchema, type SerializedSchema } from "../dist/schema-entry.js";
import { createStoreWithSchema } from "../dist/index.js";
import { readFileSync } from "node:fs";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", { schema: z.object({ name: z.string(), age: z.number().optional() }) });
const Company = defineNode("Company", { schema: z.object({ name: z.string() }) });
const worksAt = defineEdge("worksAt", { schema: z.object({ role: z.string() }) });
const graphFor = (id: string) => defineGraph({
  id,
  nodes: { Person: { type: Person, unique: [{ name: "pn", fields: ["name"], where: (p) => p.age.isNull() }] }, Company: { type: Company } },
  edges: { worksAt: { type: worksAt, from: [Person], to: [Company] } },
}) as unknown as GraphDef;
const graph = graphFor("parity");

/** [the original's hash of the extended graph's document, the extension] */
const cases: [string, GraphExtension][] = [
  ["f9c80ae9e765c1c4", {"nodes":{"Paper":{"description":"p","annotations":{"a":[1,"x",{"b":null}]},"properties":{"title":{"type":"string","minLength":1,"maxLength":9,"searchable":{"language":"english"},"description":"T"},"doi":{"type":"string","pattern":"^10"},"year":{"type":"number","int":true,"min":1900,"max":2100},"ok":{"type":"boolean","optional":true},"st":{"type":"enum","values":["a","b"]},"tags":{"type":"array","items":{"type":"string"},"optional":true},"when":{"type":"string","format":"datetime","optional":true},"day":{"type":"string","format":"date","optional":true},"u":{"type":"string","format":"uri","optional":true},"e":{"type":"string","format":"email","optional":true},"id2":{"type":"string","format":"uuid","optional":true},"venue":{"type":"object","properties":{"n":{"type":"string"},"r":{"type":"array","items":{"type":"number"}}},"optional":true}},"unique":[{"name":"u1","fields":["doi"]},{"name":"u2","fields":["title","year"],"scope":"kindWithSubClasses","collation":"caseInsensitive","where":{"field":"ok","op":"isNotNull"}}]}}}],
  ["b33612f5adc82078", {"nodes":{"Paper":{"properties":{"v":{"type":"array","items":{"type":"number"},"embedding":{"dimensions":3}},"t":{"type":"string"}}}}}],
  ["b2604e4569b18a54", {"nodes":{"Author":{"properties":{"name":{"type":"string"}}}},"edges":{"wrote":{"from":["Author","Person"],"to":["Company"],"properties":{"pos":{"type":"number","int":true,"optional":true}}}}}],
  ["c95520bda954b069", {"nodes":{"Employee":{"properties":{"n":{"type":"string"}}},"Manager":{"properties":{"n":{"type":"string"}}}},"ontology":[{"metaEdge":"subClassOf","from":"Employee","to":"Person"},{"metaEdge":"subClassOf","from":"Manager","to":"Employee"}]}],
  ["dca9cfffd89c1779", {"nodes":{"A":{"properties":{"x":{"type":"string"}}},"B":{"properties":{}}},"ontology":[{"metaEdge":"disjointWith","from":"A","to":"B"},{"metaEdge":"relatedTo","from":"A","to":"Company"},{"metaEdge":"equivalentTo","from":"A","to":"https://schema.org/Thing"},{"metaEdge":"partOf","from":"B","to":"Company"}]}],
  ["310d38ca9925fa46", {"edges":{"manages":{"from":["Person"],"to":["Person"]},"reportsTo":{"from":["Person"],"to":["Person"]}},"ontology":[{"metaEdge":"inverseOf","from":"manages","to":"reportsTo"},{"metaEdge":"implies","from":"manages","to":"worksAt"}]}],
  ["d59b771ac58f6c16", {"nodes":{"A":{"properties":{"x":{"type":"string","optional":true}}},"B":{"properties":{"x":{"type":"string","optional":true}}},"C":{"properties":{"x":{"type":"string","optional":true}}},"D":{"properties":{"x":{"type":"string","optional":true}}},"E":{"properties":{"x":{"type":"string","optional":true}}},"F":{"properties":{"x":{"type":"string","optional":true}}}},"ontology":[{"metaEdge":"subClassOf","from":"C","to":"B"},{"metaEdge":"subClassOf","from":"B","to":"A"},{"metaEdge":"subClassOf","from":"D","to":"C"},{"metaEdge":"subClassOf","from":"E","to":"A"},{"metaEdge":"equivalentTo","from":"E","to":"F"},{"metaEdge":"sameAs","from":"F","to":"Company"},{"metaEdge":"equivalentTo","from":"D","to":"https://x.org/D"},{"metaEdge":"disjointWith","from":"B","to":"E"},{"metaEdge":"broader","from":"A","to":"Person"},{"metaEdge":"narrower","from":"Company","to":"A"},{"metaEdge":"broader","from":"C","to":"A"},{"metaEdge":"hasPart","from":"A","to":"B"},{"metaEdge":"partOf","from":"C","to":"B"},{"metaEdge":"partOf","from":"B","to":"Person"},{"metaEdge":"relatedTo","from":"D","to":"E"}]}],
  ["4de3e69b8274598c", {"nodes":{"A":{"properties":{"x":{"type":"string","optional":true}}},"B":{"properties":{"x":{"type":"string","optional":true}}},"C":{"properties":{"x":{"type":"string","optional":true}}},"D":{"properties":{"x":{"type":"string","optional":true}}}},"ontology":[{"metaEdge":"equivalentTo","from":"A","to":"B"},{"metaEdge":"equivalentTo","from":"C","to":"D"},{"metaEdge":"equivalentTo","from":"D","to":"A"},{"metaEdge":"disjointWith","from":"Person","to":"Company"},{"metaEdge":"subClassOf","from":"A","to":"Person"},{"metaEdge":"subClassOf","from":"Person","to":"https://x.org/Agent"},{"metaEdge":"implies","from":"worksAt","to":"https://x.org/r"}]}],
];

describe("schema hash parity with the original", () => {
  it("hashes the compile-time graph the same", () => {
    expect(computeSchemaHash(serializeSchema(graph, 1))).toBe("db5678c2f93c083e");
  });

  it.each(cases.map(([hash, doc], i) => [i, hash, doc] as const))("extension document %i hashes to %s", (_i, hash, doc) => {
    const merged = mergeGraphExtension(graph, defineGraphExtension(doc));
    expect(computeSchemaHash(serializeSchema(merged, 2))).toBe(hash);
  });
});

/** A schema document the original wrote for `parity` extended with kinds, uniques, a searchable field, edges and an ontology. */
const upstreamDoc = JSON.parse(readFileSync(new URL("./upstream-schema-doc.json", import.meta.url), "utf8")) as SerializedSchema;

describe.each(backends)("a database written by the original opens here ($name)", ({ name, make }) => {
  it("reads the stored extension, rebuilds the kinds and finds nothing to migrate", async () => {
    const id = freshGraphId("parity_open");
    // The original's document for this graph id (the id is part of the document).
    const doc = { ...upstreamDoc, graphId: id };
    const backend = make(`parity_open_${id}`);
    await backend.bootstrap();
    // Write the row as the original would: version 1, its document, its hash.
    const handle = await backend.register(JSON.stringify({ graphId: id, nodes: {}, edges: {} }));
    await backend.call(handle, "commitSchema", { graphId: id, expected: null, version: 1, hash: computeSchemaHash(doc), doc: JSON.stringify(doc) });

    const [store, result] = await createStoreWithSchema(graphFor(id), backend);
    expect(result).toEqual({ status: "unchanged", version: 1 });
    expect(computeSchemaDiff(doc, serializeSchema(store.graph, 2)).hasChanges).toBe(false);
    // SQLite keeps the document's text; PostgreSQL's jsonb reorders object keys, and with them the
    // order of a kind's `required` list, so only the diff (which treats it as a set) is compared there.
    if (name === "sqlite") expect(computeSchemaHash(serializeSchema(store.graph, 2))).toBe(computeSchemaHash(doc));
    const paper = await store.getNodeCollectionOrThrow("Paper").create({ title: "T", doi: "10.1", year: 2000, st: "a" });
    await expect(store.getNodeCollectionOrThrow("Paper").create({ title: "U", doi: "10.1", year: 2001, st: "b" })).rejects.toMatchObject({ code: "UNIQUENESS_VIOLATION" });
    const author = await store.getNodeCollectionOrThrow("Author").create({ name: "A" });
    const ada = await store.nodes.Person.create({ name: "Ada" });
    const company = await store.nodes.Company.create({ name: "Acme" });
    await store.getEdgeCollectionOrThrow("wrote").create(author, company, { pos: 1 });
    await store.getEdgeCollectionOrThrow("wrote").create(ada, company, {});
    expect(paper.kind).toBe("Paper");
    expect((await getActiveSchema(backend, id))!.version).toBe(1);
    await backend.close();
  }, 120_000);
});

