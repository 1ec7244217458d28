// Graph-extension documents are untrusted input. Thousands of generated and
// hostile documents (seeded, reproducible) must come back either as a valid,
// compilable extension or as a typed GraphExtensionValidationError whose issues
// carry known codes and JSON-pointer paths — never any other exception, never a
// hang, never a polluted prototype — and names that pass validation reach the
// database only as data.
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  GRAPH_EXTENSION_ISSUE_CODES,
  GraphExtensionValidationError,
  GraphExtensionVersionUnsupportedError,
  validateGraphExtension,
  type GraphExtension,
} from "../dist/extension/index.js";
import { mergeGraphExtension } from "../dist/extension/internal.js";
import { ConfigurationError, TypeGraphError, createStoreWithSchema, defineGraph, defineNode, serializeSchema, type GraphDef } from "../dist/index.js";
import { computeSchemaDiff, getActiveSchema } from "../dist/schema-entry.js";
import { backends, freshGraphId } from "./backends.js";

/** mulberry32: small, fast, reproducible. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

const HOSTILE_NAMES = [
  "Robert'); DROP TABLE typegraph_nodes;--",
  'a"b',
  "a'b",
  "x`y",
  "semi;colon",
  "back\\slash",
  "nul\u0000byte",
  "new\nline",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "id",
  "kind",
  "meta",
  "fromId",
  "$fulltext",
  "",
  " ",
  "a/b~c",
  "Ünïcødé",
  "😀",
  "1abc",
  "x".repeat(5000),
  "SELECT * FROM typegraph_schema_versions",
  "\u001e",
];
const IDENT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";

function ident(r: Rng, prefix = ""): string {
  let s = prefix + r.pick(IDENT.split(""));
  const n = r.int(8);
  for (let i = 0; i < n; i++) s += r.pick((IDENT + "0123456789").split(""));
  return s;
}

function cyclic(): unknown {
  const o: Record<string, unknown> = { type: "string" };
  o.self = o;
  return o;
}
function deep(levels: number, wrap: (inner: unknown) => unknown): unknown {
  let v: unknown = "leaf";
  for (let i = 0; i < levels; i++) v = wrap(v);
  return v;
}
class Weird {
  type = "string";
}

function hostileValue(r: Rng): unknown {
  switch (r.int(26)) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return Number.NaN;
    case 3:
      return Number.POSITIVE_INFINITY;
    case 4:
      return -1;
    case 5:
      return 1.5;
    case 6:
      return 1e308;
    case 7:
      return r.pick(HOSTILE_NAMES);
    case 8:
      return true;
    case 9:
      return [];
    case 10:
      return {};
    case 11:
      return () => "fn";
    case 12:
      return Symbol("s");
    case 13:
      return 10n;
    case 14:
      return new Date(0);
    case 15:
      return new Map([["type", "string"]]);
    case 16:
      return new Weird();
    case 17:
      return new Proxy({}, { ownKeys: () => { throw new Error("trap"); }, getPrototypeOf: () => Object.prototype });
    case 18:
      return new Proxy({}, { getPrototypeOf: () => { throw new Error("trap"); } });
    case 19:
      return Object.defineProperty({}, "type", { enumerable: true, get: () => { throw new Error("getter"); } });
    case 20:
      return cyclic();
    case 21:
      return deep(2000, (v) => ({ type: "object", properties: { x: v } }));
    case 22:
      return deep(2000, (v) => [v]);
    case 23:
      return Object.assign(Object.create(null) as object, { type: "string" });
    case 24:
      return JSON.parse('{"__proto__": {"polluted": true}, "type": "string"}') as unknown;
    default:
      return { type: r.pick(["string", "number", "object", "array", "enum", "boolean", "date", "bigint"]), [r.pick(HOSTILE_NAMES)]: hostileValue(r) };
  }
}

function leaf(r: Rng): Record<string, unknown> {
  switch (r.int(4)) {
    case 0: {
      const p: Record<string, unknown> = { type: "string" };
      if (r.chance(0.3)) p.format = r.pick(["datetime", "uri", "email", "uuid", "date"]);
      else {
        if (r.chance(0.4)) p.minLength = r.int(3);
        if (r.chance(0.4)) p.maxLength = 3 + r.int(50);
        if (r.chance(0.2)) p.pattern = r.pick(["^a", "b$", "[0-9]+", "(x|y)*"]);
        if (r.chance(0.2)) p.searchable = r.chance(0.5) ? {} : { language: r.pick(["english", "simple", "german"]) };
      }
      return p;
    }
    case 1: {
      const p: Record<string, unknown> = { type: "number" };
      if (r.chance(0.5)) p.int = true;
      if (r.chance(0.4)) p.min = -r.int(10);
      if (r.chance(0.4)) p.max = r.int(100);
      return p;
    }
    case 2:
      return { type: "boolean" };
    default:
      return { type: "enum", values: [...new Set(Array.from({ length: 1 + r.int(4) }, () => ident(r)))] };
  }
}

function property(r: Rng, depth: number): Record<string, unknown> {
  let p: Record<string, unknown>;
  const roll = r.int(10);
  if (roll < 6 || depth > 0) p = leaf(r);
  else if (roll < 8) p = r.chance(0.3) ? { type: "array", items: { type: "number" }, embedding: { dimensions: 1 + r.int(8) } } : { type: "array", items: r.chance(0.3) ? property(r, 1) : leaf(r) };
  else {
    const properties: Record<string, unknown> = {};
    for (let i = 0, n = 1 + r.int(3); i < n; i++) properties[ident(r, "f")] = property(r, 1);
    p = { type: "object", properties };
  }
  if (r.chance(0.3)) p.optional = true;
  if (r.chance(0.2)) p.description = `d ${r.pick(HOSTILE_NAMES.filter((n) => !n.includes("\u0000")))}`;
  return p;
}

/** A document the validator must accept. */
function validDoc(r: Rng): Record<string, unknown> {
  const nodes: Record<string, unknown> = {};
  const kinds: { name: string; fields: string[] }[] = [];
  for (let i = 0, n = r.int(5); i < n; i++) {
    const name = ident(r, "N");
    const properties: Record<string, unknown> = {};
    for (let j = 0, m = r.int(6); j < m; j++) properties[ident(r, "p")] = property(r, 0);
    const fields = Object.keys(properties);
    const def: Record<string, unknown> = { properties };
    if (r.chance(0.3)) def.description = "node";
    if (r.chance(0.2)) def.annotations = { a: [1, "two", { three: null }], b: true };
    if (fields.length > 0 && r.chance(0.4)) {
      const u: Record<string, unknown> = { name: ident(r, "u"), fields: [fields[0]] };
      if (r.chance(0.3)) u.where = { field: r.pick(fields), op: r.pick(["isNull", "isNotNull"]) };
      def.unique = [u];
    }
    nodes[name] = def;
    kinds.push({ name, fields });
  }
  const doc: Record<string, unknown> = { nodes };
  if (kinds.length > 0 && r.chance(0.5)) {
    const edges: Record<string, unknown> = {};
    for (let i = 0, n = 1 + r.int(3); i < n; i++) {
      edges[ident(r, "e")] = { from: [r.pick(kinds).name], to: [r.pick(kinds).name, ...(r.chance(0.3) ? ["Base"] : [])], ...(r.chance(0.4) ? { properties: { w: leaf(r) } } : {}) };
    }
    doc.edges = edges;
  }
  if (kinds.length > 1 && r.chance(0.5)) {
    // subClassOf only from a later kind to an earlier one: acyclic by construction.
    doc.ontology = kinds.slice(1).map((k, i) => ({ metaEdge: "subClassOf", from: k.name, to: kinds[r.int(i + 1)]!.name }));
  }
  const indexable = kinds.filter((k) => k.fields.length > 0);
  if (indexable.length > 0 && r.chance(0.5)) {
    const k = r.pick(indexable);
    doc.indexes = [{ entity: "node", kind: k.name, name: ident(r, "idx"), fields: [k.fields[0]], ...(r.chance(0.3) ? { unique: true } : {}) }];
  }
  if (r.chance(0.3)) doc.version = 1;
  return doc;
}

/** Replaces, adds or deletes one value somewhere in the document. */
function mutate(doc: unknown, r: Rng): unknown {
  if (doc === null || typeof doc !== "object" || r.chance(0.15)) return hostileValue(r);
  let copy: Record<string, unknown> | unknown[];
  let keys: string[];
  try {
    copy = Array.isArray(doc) ? [...doc] : { ...(doc as Record<string, unknown>) };
    keys = Object.keys(copy);
  } catch {
    return hostileValue(r); // a hostile leaf (throwing getter or trap) stays as it is
  }
  const action = r.int(4);
  if (action === 0 || keys.length === 0) {
    (copy as Record<string, unknown>)[r.chance(0.5) ? r.pick(HOSTILE_NAMES) : ident(r)] = r.chance(0.5) ? hostileValue(r) : leaf(r);
  } else if (action === 1) {
    delete (copy as Record<string, unknown>)[r.pick(keys)];
  } else {
    const k = r.pick(keys);
    (copy as Record<string, unknown>)[k] = mutate((copy as Record<string, unknown>)[k], r);
  }
  return copy;
}

const Base = defineNode("Base", { schema: z.object({ name: z.string() }) });
const baseGraph = defineGraph({ id: "fuzz", nodes: { Base }, edges: {} }) as unknown as GraphDef;
const CODES = new Set<string>(GRAPH_EXTENSION_ISSUE_CODES);
const stats = { accepted: 0, rejected: 0, versionRefused: 0, mergeRefused: 0 };

/** The only outcomes allowed for any input. */
function check(input: unknown, strict: boolean): void {
  let result: ReturnType<typeof validateGraphExtension>;
  try {
    result = validateGraphExtension(input, { strict });
  } catch (error) {
    expect(error).toBeInstanceOf(GraphExtensionVersionUnsupportedError);
    stats.versionRefused++;
    return;
  }
  if (!result.success) {
    stats.rejected++;
    expect(result.error).toBeInstanceOf(GraphExtensionValidationError);
    expect(result.error.issues.length).toBeGreaterThan(0);
    for (const issue of result.error.issues) {
      expect(CODES.has(issue.code), issue.code).toBe(true);
      expect(issue.path === "" || issue.path.startsWith("/"), issue.path).toBe(true);
      expect(typeof issue.message).toBe("string");
    }
    return;
  }
  stats.accepted++;
  const ext = result.data;
  expect(Object.isFrozen(ext)).toBe(true);
  expect(() => JSON.stringify(ext)).not.toThrow();
  let merged: GraphDef;
  try {
    merged = mergeGraphExtension(baseGraph, ext);
  } catch (error) {
    // Cross-kind problems (an endpoint or index naming a kind or field that does not exist) are typed too.
    expect(error).toBeInstanceOf(TypeGraphError);
    stats.mergeRefused++;
    return;
  }
  expect(() => serializeSchema(merged, 1)).not.toThrow();
  for (const reg of Object.values(merged.nodes)) {
    for (const sample of [{}, { name: "x" }, null, "str", { a: [1, 2, 3] }]) expect(() => reg.type.schema.safeParse(sample)).not.toThrow();
  }
}

describe("graph-extension documents under fuzzing", () => {
  afterAll(() => {
    // Nothing a document did may leak into the shared prototypes.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, "type")).toBe(false);
  });

  it("accepts every generated valid document, in both modes, and compiles it", () => {
    const r = prng(0x5eed);
    for (let i = 0; i < 1000; i++) {
      const doc = validDoc(r);
      for (const strict of [true, false]) {
        const result = validateGraphExtension(doc, { strict });
        expect(result.success, JSON.stringify(result.success ? null : result.error.issues)).toBe(true);
        if (result.success) {
          try {
            mergeGraphExtension(baseGraph, result.data);
          } catch (error) {
            // As upstream: the merge compiles the document's indexes through defineNodeIndex/defineEdgeIndex,
            // which refuse (typed) a btree index on an object or array field.
            expect(error).toBeInstanceOf(ConfigurationError);
            expect((error as Error).message).toMatch(/index/i);
          }
        }
      }
    }
  }, 120_000);

  it("answers thousands of mutated and hostile documents with typed outcomes only", () => {
    const r = prng(0xbadc0de);
    for (let i = 0; i < 3000; i++) {
      let doc: unknown = validDoc(r);
      for (let k = 0, n = 1 + r.int(3); k < n; k++) doc = mutate(doc, r);
      check(doc, r.chance(0.5));
    }
    for (let i = 0; i < 300; i++) check(hostileValue(r), r.chance(0.5));
    expect(stats.rejected).toBeGreaterThan(1000);
    expect(stats.accepted).toBeGreaterThan(100);
  }, 120_000);

  it("handles huge, deeply nested, self-referential and cyclic-ontology documents", () => {
    const wide: Record<string, unknown> = {};
    for (let i = 0; i < 5000; i++) wide[`p${i}`] = { type: "string", optional: true };
    const manyKinds: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) manyKinds[`K${i}`] = { properties: { v: { type: "number" } } };
    const chain = Array.from({ length: 800 }, (_, i) => ({ metaEdge: "subClassOf", from: `C${i}`, to: `C${(i + 1) % 800}` }));
    const self: Record<string, unknown> = { nodes: {} };
    (self.nodes as Record<string, unknown>).A = self;
    const selfAnnot: Record<string, unknown> = {};
    selfAnnot.me = selfAnnot;
    const cases: [unknown, string | null][] = [
      [{ nodes: { Wide: { properties: wide } } }, null],
      [{ nodes: manyKinds }, null],
      [{ ontology: chain }, "ONTOLOGY_CYCLE"],
      [{ ontology: [{ metaEdge: "narrower", from: "A", to: "B" }, { metaEdge: "broader", from: "A", to: "B" }] }, "ONTOLOGY_CYCLE"],
      [{ ontology: [{ metaEdge: "hasPart", from: "A", to: "B" }, { metaEdge: "partOf", from: "A", to: "B" }] }, "ONTOLOGY_CYCLE"],
      [{ nodes: { A: { properties: { deep: deep(20000, (v) => ({ type: "object", properties: { x: v } })) } } } }, "NESTED_OBJECT_TOO_DEEP"],
      [{ nodes: { A: { properties: {}, annotations: { deep: deep(20000, (v) => [v]) } } } }, "INVALID_ANNOTATION"],
      [{ nodes: { A: { properties: {}, annotations: selfAnnot } } }, "INVALID_ANNOTATION"],
      [self, "INVALID_DOCUMENT_SHAPE"],
      [{ nodes: { A: { properties: { s: { type: "string", pattern: "(".repeat(10000) } } } } }, "INVALID_PATTERN"],
      [{ nodes: { A: { properties: { e: { type: "enum", values: Array.from({ length: 10000 }, (_, i) => `v${i}`) } } } } }, null],
    ];
    for (const [doc, code] of cases) {
      const result = validateGraphExtension(doc, { strict: true });
      if (code === null) {
        expect(result.success).toBe(true);
        if (result.success) expect(() => mergeGraphExtension(baseGraph, result.data)).not.toThrow();
      } else {
        expect(result.success).toBe(false);
        if (!result.success) expect(result.error.issues.map((i) => i.code)).toContain(code);
      }
    }
  });

  it("accepts as kind and index names only plain identifiers that shadow no object member", () => {
    const shadowing = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"];
    for (const name of HOSTILE_NAMES) {
      const plain = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !shadowing.includes(name);
      const asKind = validateGraphExtension({ nodes: { [name]: { properties: {} } } });
      expect(asKind.success, name).toBe(plain);
      const asIndex = validateGraphExtension({ indexes: [{ entity: "node", kind: "A", name, fields: ["f"] }] });
      expect(asIndex.success, name).toBe(plain && name.length <= 63);
      // Property names are data (stored inside JSON, never spliced into SQL): refused only when unstorable or reserved.
      const asProperty = validateGraphExtension({ nodes: { A: { properties: { [name]: { type: "string" } } } } });
      const refused = ["__proto__", "id", "kind", "meta", "$fulltext", ""].includes(name) || name.includes("\u0000");
      expect(asProperty.success, name).toBe(!refused);
    }
  });
});

describe.each(backends)("hostile-but-valid names reach the database only as data ($name)", ({ make }) => {
  it("stores, constrains and filters on properties named like SQL", async () => {
    const names = HOSTILE_NAMES.filter((n) => validateGraphExtension({ nodes: { A: { properties: { [n]: { type: "string" } } } } }).success);
    const properties = Object.fromEntries(names.map((n) => [n, { type: "string", optional: true }]));
    const first = names[0]!;
    const ext = validateGraphExtension({
      nodes: { Hostile: { properties, unique: [{ name: "Robert'); DROP TABLE typegraph_nodes;--", fields: [first] }] } },
    });
    expect(ext.success).toBe(true);
    if (!ext.success) return;
    const graphId = freshGraphId("fuzz_sql");
    const backend = make(`fuzz_sql_${graphId}`);
    const base = defineGraph({ id: graphId, nodes: { Base }, edges: {} }) as unknown as GraphDef;
    const [store, result] = await createStoreWithSchema(mergeGraphExtension(base, ext.data), backend);
    expect(result.status).toBe("initialized");
    const hostile = store.getNodeCollectionOrThrow("Hostile");
    const props = Object.fromEntries(names.map((n, i) => [n, `value ${i} ' " ; --`]));
    const created = await hostile.create(props);
    expect(await hostile.getById(created.id)).toMatchObject(props);
    await expect(hostile.create({ [first]: props[first] })).rejects.toMatchObject({ code: "UNIQUENESS_VIOLATION" });
    for (const name of names) {
      const found = await hostile.find({ where: (n: Record<string, { eq(v: string): never }>) => n[name]!.eq(props[name]!) } as never);
      expect(found.map((x) => x.id), name).toEqual([created.id]);
    }
    // The rest of the database is untouched.
    await store.getNodeCollectionOrThrow("Base").create({ name: "still here" });
    expect(await store.getNodeCollectionOrThrow("Base").find()).toHaveLength(1);
    await backend.close();
  });
});

describe.each(backends)("random valid documents survive a restart ($name)", ({ make }) => {
  it("reloads every committed extension with no schema difference", async () => {
    const r = prng(0x7e57);
    const db = `fuzz_restart_${freshGraphId("db")}`;
    const backend = make(db);
    let committed = 0;
    for (let i = 0; i < 25; i++) {
      const result = validateGraphExtension(validDoc(r), { strict: true });
      expect(result.success).toBe(true);
      if (!result.success || Object.keys(result.data.nodes ?? {}).length === 0) continue;
      const graphId = freshGraphId("fuzz_restart");
      const base = defineGraph({ id: graphId, nodes: { Base }, edges: {} }) as unknown as GraphDef;
      let merged: GraphDef;
      try {
        merged = mergeGraphExtension(base, result.data);
      } catch (error) {
        // As upstream: a btree index the document declares on an object/array field is refused, typed.
        if (error instanceof ConfigurationError && /index/i.test(error.message)) continue;
        throw error;
      }
      const [, first] = await createStoreWithSchema(merged, backend);
      expect(first.status).toBe("initialized");
      const stored = (await getActiveSchema(backend, graphId))!;
      // A fresh start from the compile-time graph alone rebuilds the same kinds.
      const [restored, again] = await createStoreWithSchema(base, backend);
      expect(again).toEqual({ status: "unchanged", version: 1 });
      expect(computeSchemaDiff(stored, serializeSchema(restored.graph, 2)).hasChanges).toBe(false);
      for (const kind of Object.keys(result.data.nodes ?? {})) expect(restored.getNodeCollection(kind)).toBeDefined();
      committed++;
    }
    expect(committed).toBeGreaterThan(10);
    await backend.close();
  }, 120_000);
});

