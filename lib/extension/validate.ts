// Validation of graph-extension documents. Documents are untrusted (an LLM's
// proposal, user input): the walk collects every problem with a JSON-pointer
// path instead of stopping at the first, never trusts a value's type, reads
// only own data properties, bounds recursion, and returns a fresh frozen copy
// built from recognised keys only (so nothing the caller holds can change it
// later, and no prototype-derived key survives).

import {
  GraphExtensionValidationError,
  GraphExtensionVersionUnsupportedError,
  type GraphExtensionIssue,
  type GraphExtensionIssueCode,
} from "../errors.js";
import {
  CURRENT_GRAPH_EXTENSION_VERSION,
  GRAPH_EXTENSION_TOP_LEVEL_KEYS,
  LEGACY_GRAPH_EXTENSION_VERSION,
  META_EDGE_NAMES,
  type ExtensionEdgeDef,
  type ExtensionIndex,
  type ExtensionNodeDef,
  type ExtensionOntologyRelation,
  type ExtensionPropertyType,
  type ExtensionUniqueConstraint,
  type GraphExtension,
  type JsonAnnotation,
} from "./types.js";

export type ValidationResult<T, E> = Readonly<{ success: true; data: T }> | Readonly<{ success: false; error: E }>;

export interface ValidateGraphExtensionOptions {
  /** Authoring mode: unknown keys at any level and unknown string formats are issues. */
  readonly strict?: boolean;
}

type Bag = Record<string, unknown>;

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Index names become SQL identifiers: same alphabet as kind names, within PostgreSQL's 63-byte limit. */
const INDEX_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const MAX_ANNOTATION_DEPTH = 32;
const PROPERTY_TYPES = ["string", "number", "boolean", "enum", "array", "object"] as const;
const STRING_FORMATS = ["datetime", "uri", "email", "uuid", "date"] as const;
const RESERVED_NODE_PROPS = new Set(["id", "kind", "meta"]);
const RESERVED_EDGE_PROPS = new Set(["id", "kind", "meta", "fromKind", "fromId", "toKind", "toId"]);

const COMMON_PROPERTY_KEYS = ["type", "optional", "description", "searchable", "embedding"];
const TYPE_KEYS: Record<string, readonly string[]> = {
  string: ["minLength", "maxLength", "pattern", "format"],
  number: ["min", "max", "int"],
  boolean: [],
  enum: ["values"],
  array: ["items"],
  object: ["properties"],
};
const NODE_KEYS = ["description", "annotations", "properties", "unique"];
const EDGE_KEYS = ["description", "annotations", "from", "to", "properties"];
const ONTOLOGY_KEYS = ["metaEdge", "from", "to"];
const UNIQUE_KEYS = ["name", "fields", "scope", "collation", "where"];
const WHERE_KEYS = ["field", "op"];
const NODE_INDEX_KEYS = ["entity", "kind", "name", "fields", "coveringFields", "unique", "scope", "where"];
const EDGE_INDEX_KEYS = [...NODE_INDEX_KEYS, "direction"];

const HIERARCHICAL: Record<string, { canonical: string; flip: boolean }> = {
  subClassOf: { canonical: "subClassOf", flip: false },
  broader: { canonical: "broader", flip: false },
  narrower: { canonical: "broader", flip: true },
  partOf: { canonical: "partOf", flip: false },
  hasPart: { canonical: "partOf", flip: true },
};

function isPlain(value: unknown): value is Bag {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Own enumerable string keys with their values, read as data (a getter's value, never the accessor). */
function entries(bag: Bag): [string, unknown][] {
  return Object.keys(bag).map((k) => [k, bag[k]]);
}

function own(bag: Bag, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(bag, key) ? bag[key] : undefined;
}

/** A name that would collide with an `Object.prototype` member wherever kinds are looked up by key. */
function shadowsPrototype(name: string): boolean {
  return name === "__proto__" || name === "prototype" || name in Object.prototype;
}

export function encodePointerSegment(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (value === undefined) return "undefined";
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** A data-keyed accumulator whose keys are document data (a `{}` would swallow `__proto__`). */
function bag<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
function spread<T>(b: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(b)) Object.defineProperty(out, k, { value: b[k], enumerable: true, writable: true, configurable: true });
  return out;
}

function compact<T>(o: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

function freezeDeep<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const k of Object.keys(value)) freezeDeep((value as Bag)[k]);
  }
  return value;
}

class Walk {
  readonly issues: GraphExtensionIssue[] = [];
  constructor(readonly strict: boolean) {}

  add(path: string, code: GraphExtensionIssueCode, message: string): void {
    this.issues.push({ path, code, message });
  }

  unknownKeys(raw: Bag, allowed: readonly string[], label: string, path: string, code: GraphExtensionIssueCode): void {
    if (!this.strict) return;
    for (const key of Object.keys(raw)) {
      if (!allowed.includes(key)) {
        this.add(`${path}/${encodePointerSegment(key)}`, code, `Unknown ${label} key ${show(key)}; allowed: ${allowed.join(", ")}.`);
      }
    }
  }

  document(input: unknown): GraphExtension | undefined {
    if (!isPlain(input)) {
      this.add("", "INVALID_DOCUMENT_SHAPE", `A graph extension must be a plain object, got ${show(input)}.`);
      return undefined;
    }
    if (this.strict) {
      for (const key of Object.keys(input)) {
        if (!(GRAPH_EXTENSION_TOP_LEVEL_KEYS as readonly string[]).includes(key)) {
          this.add(
            `/${encodePointerSegment(key)}`,
            "UNKNOWN_DOCUMENT_KEY",
            `Unknown top-level key ${show(key)}; expected one of ${GRAPH_EXTENSION_TOP_LEVEL_KEYS.join(", ")}.`,
          );
        }
      }
    }
    const version = this.version(own(input, "version"));
    const nodes = this.kinds(own(input, "nodes"), "node");
    const edges = this.kinds(own(input, "edges"), "edge");
    const ontology = this.ontology(own(input, "ontology"));
    const indexes = this.indexes(own(input, "indexes"));
    if (this.issues.length > 0) return undefined;
    this.indexFieldsResolve(indexes, nodes as Record<string, ExtensionNodeDef> | undefined, edges as Record<string, ExtensionEdgeDef> | undefined);
    if (this.issues.length > 0) return undefined;
    const doc = compact<GraphExtension>({
      version,
      nodes: nodes as Record<string, ExtensionNodeDef> | undefined,
      edges: edges as Record<string, ExtensionEdgeDef> | undefined,
      ontology,
      indexes,
    });
    // The normalised copy mirrors the input's layout, so its paths are the input's paths.
    this.noNul(doc, "");
    return this.issues.length > 0 ? undefined : freezeDeep(doc);
  }

  /** PostgreSQL cannot store U+0000 in JSON text: refuse it in any name or string of the document. */
  noNul(value: unknown, path: string): void {
    if (typeof value === "string") {
      if (value.includes("\u0000")) this.add(path, "INVALID_DOCUMENT_SHAPE", "Strings in a graph extension cannot contain U+0000.");
      return;
    }
    if (value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => this.noNul(v, `${path}/${i}`));
      return;
    }
    for (const key of Object.keys(value)) {
      const p = `${path}/${encodePointerSegment(key)}`;
      if (key.includes("\u0000")) this.add(p, "INVALID_DOCUMENT_SHAPE", "Names in a graph extension cannot contain U+0000.");
      else this.noNul((value as Bag)[key], p);
    }
  }

  version(raw: unknown): number {
    if (raw === undefined) return LEGACY_GRAPH_EXTENSION_VERSION;
    if (typeof raw !== "number" || !Number.isInteger(raw) || raw < 1) {
      this.add("/version", "INVALID_DOCUMENT_SHAPE", `The document version must be a positive integer, got ${show(raw)}.`);
      return LEGACY_GRAPH_EXTENSION_VERSION;
    }
    // A newer major may use fields this reader would misread: refuse the whole document.
    if (raw > CURRENT_GRAPH_EXTENSION_VERSION) throw new GraphExtensionVersionUnsupportedError(raw, CURRENT_GRAPH_EXTENSION_VERSION);
    return raw;
  }

  kinds(raw: unknown, entity: "node" | "edge"): Record<string, unknown> | undefined {
    if (raw === undefined) return undefined;
    const section = entity === "node" ? "/nodes" : "/edges";
    if (!isPlain(raw)) {
      this.add(section, "INVALID_DOCUMENT_SHAPE", `\`${section.slice(1)}\` must be an object keyed by ${entity} kind name.`);
      return undefined;
    }
    const out = bag<unknown>();
    for (const [name, def] of entries(raw)) {
      const path = `${section}/${encodePointerSegment(name)}`;
      if (!NAME_RE.test(name)) {
        this.add(path, "INVALID_KIND_NAME", `${entity === "node" ? "Node" : "Edge"} kind name ${show(name)} must match ${NAME_RE.source}.`);
        continue;
      }
      if (shadowsPrototype(name)) {
        this.add(path, "INVALID_KIND_NAME", `Kind name ${show(name)} is reserved (it names a built-in object member).`);
        continue;
      }
      if (Object.prototype.hasOwnProperty.call(out, name)) {
        this.add(path, "DUPLICATE_KIND_NAME", `Duplicate ${entity} kind name ${show(name)}.`);
        continue;
      }
      const value = entity === "node" ? this.node(name, def, path) : this.edge(name, def, path);
      if (value !== undefined) out[name] = value;
    }
    return spread(out);
  }

  node(name: string, raw: unknown, path: string): ExtensionNodeDef | undefined {
    if (!isPlain(raw)) {
      this.add(path, "INVALID_DOCUMENT_SHAPE", `Node ${show(name)} must be an object.`);
      return undefined;
    }
    this.unknownKeys(raw, NODE_KEYS, "node", path, "INVALID_DOCUMENT_SHAPE");
    const description = this.optString(own(raw, "description"), `${path}/description`, "INVALID_DOCUMENT_SHAPE");
    const annotations = this.annotations(own(raw, "annotations"), `${path}/annotations`);
    const properties = this.properties(own(raw, "properties"), `${path}/properties`, "node", name);
    if (properties === undefined) return undefined;
    const unique = this.uniques(own(raw, "unique"), `${path}/unique`, properties);
    return compact<ExtensionNodeDef>({ description, annotations, properties, unique });
  }

  edge(name: string, raw: unknown, path: string): ExtensionEdgeDef | undefined {
    if (!isPlain(raw)) {
      this.add(path, "INVALID_DOCUMENT_SHAPE", `Edge ${show(name)} must be an object.`);
      return undefined;
    }
    this.unknownKeys(raw, EDGE_KEYS, "edge", path, "INVALID_DOCUMENT_SHAPE");
    const description = this.optString(own(raw, "description"), `${path}/description`, "INVALID_DOCUMENT_SHAPE");
    const annotations = this.annotations(own(raw, "annotations"), `${path}/annotations`);
    const from = this.endpoints(own(raw, "from"), `${path}/from`);
    const to = this.endpoints(own(raw, "to"), `${path}/to`);
    const rawProps = own(raw, "properties");
    const properties = rawProps === undefined ? {} : this.properties(rawProps, `${path}/properties`, "edge", name);
    if (from === undefined || to === undefined || properties === undefined) return undefined;
    return compact<ExtensionEdgeDef>({ description, annotations, from, to, properties });
  }

  endpoints(raw: unknown, path: string): string[] | undefined {
    if (!Array.isArray(raw)) {
      this.add(path, "INVALID_DOCUMENT_SHAPE", "Edge endpoints must be an array of node kind names.");
      return undefined;
    }
    if (raw.length === 0) {
      this.add(path, "EMPTY_FROM_OR_TO", "Edge endpoints must name at least one node kind.");
      return undefined;
    }
    const out: string[] = [];
    for (let i = 0; i < raw.length; i++) {
      const v: unknown = raw[i];
      if (typeof v !== "string" || v.length === 0) {
        this.add(`${path}/${i}`, "INVALID_DOCUMENT_SHAPE", `An edge endpoint must be a non-empty kind name, got ${show(v)}.`);
        return undefined;
      }
      out.push(v);
    }
    return out;
  }

  ontology(raw: unknown): ExtensionOntologyRelation[] | undefined {
    if (raw === undefined) return undefined;
    if (!Array.isArray(raw)) {
      this.add("/ontology", "INVALID_DOCUMENT_SHAPE", "`ontology` must be an array of relations.");
      return undefined;
    }
    const out: ExtensionOntologyRelation[] = [];
    const at: number[] = [];
    for (let i = 0; i < raw.length; i++) {
      const path = `/ontology/${i}`;
      const entry: unknown = raw[i];
      if (!isPlain(entry)) {
        this.add(path, "INVALID_DOCUMENT_SHAPE", "An ontology relation must be an object.");
        continue;
      }
      this.unknownKeys(entry, ONTOLOGY_KEYS, "ontology relation", path, "INVALID_DOCUMENT_SHAPE");
      const metaEdge = own(entry, "metaEdge");
      const from = own(entry, "from");
      const to = own(entry, "to");
      if (typeof metaEdge !== "string" || !(META_EDGE_NAMES as readonly string[]).includes(metaEdge)) {
        this.add(`${path}/metaEdge`, "UNKNOWN_META_EDGE", `Unknown meta-edge ${show(metaEdge)}; known: ${META_EDGE_NAMES.join(", ")}.`);
        continue;
      }
      if (typeof from !== "string" || from.length === 0) {
        this.add(`${path}/from`, "INVALID_DOCUMENT_SHAPE", "Ontology `from` must be a non-empty string.");
        continue;
      }
      if (typeof to !== "string" || to.length === 0) {
        this.add(`${path}/to`, "INVALID_DOCUMENT_SHAPE", "Ontology `to` must be a non-empty string.");
        continue;
      }
      out.push({ metaEdge: metaEdge as ExtensionOntologyRelation["metaEdge"], from, to });
      at.push(i);
    }
    this.ontologyCoherence(out, at);
    return out;
  }

  /** Self-loops, duplicates, hierarchy cycles, disjointness contradictions, inverse partners. */
  ontologyCoherence(relations: ExtensionOntologyRelation[], at: number[]): void {
    const seen = new Set<string>();
    relations.forEach((r, i) => {
      const path = `/ontology/${at[i]}`;
      if (r.from === r.to) {
        if (r.metaEdge in HIERARCHICAL) {
          this.add(path, "ONTOLOGY_SELF_LOOP", `Hierarchical meta-edge "${r.metaEdge}" cannot relate ${show(r.from)} to itself.`);
        } else if (r.metaEdge === "disjointWith") {
          this.add(path, "ONTOLOGY_DISJOINT_CONFLICT", `Kind ${show(r.from)} cannot be disjoint with itself.`);
        }
      }
      const key = `${r.metaEdge}\u0000${r.from}\u0000${r.to}`;
      if (seen.has(key)) this.add(path, "DUPLICATE_ONTOLOGY_RELATION", `Duplicate relation ${r.metaEdge}(${r.from}, ${r.to}).`);
      seen.add(key);
    });

    // Cycles per canonical hierarchy (narrower/hasPart flipped onto broader/partOf).
    const groups = new Map<string, { from: string; to: string; index: number }[]>();
    relations.forEach((r, i) => {
      const h = HIERARCHICAL[r.metaEdge];
      if (!h || r.from === r.to) return;
      const list = groups.get(h.canonical) ?? [];
      list.push({ from: h.flip ? r.to : r.from, to: h.flip ? r.from : r.to, index: at[i]! });
      groups.set(h.canonical, list);
    });
    for (const [name, list] of groups) {
      const out = new Map<string, string[]>();
      for (const e of list) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
      const reported = new Set<string>();
      for (const start of out.keys()) {
        if (reported.has(start) || !reaches(out, start, start)) continue;
        reported.add(start);
        const edge = list.find((e) => e.from === start);
        this.add(
          edge === undefined ? "/ontology" : `/ontology/${edge.index}`,
          "ONTOLOGY_CYCLE",
          `The "${name}" relations form a cycle through ${show(start)}.`,
        );
      }
    }

    // Disjointness: the two sides, widened by subclasses and equivalents, must not share a kind.
    const disjoint = relations.map((r, i) => ({ r, index: at[i]! })).filter(({ r }) => r.metaEdge === "disjointWith" && r.from !== r.to);
    if (disjoint.length > 0) {
      const children = new Map<string, string[]>();
      const equivalents = new Map<string, string[]>();
      const link = (m: Map<string, string[]>, a: string, b: string) => m.set(a, [...(m.get(a) ?? []), b]);
      for (const r of relations) {
        if (r.metaEdge === "subClassOf") link(children, r.to, r.from);
        if (r.metaEdge === "equivalentTo" && !isIri(r.from) && !isIri(r.to)) {
          link(equivalents, r.from, r.to);
          link(equivalents, r.to, r.from);
        }
      }
      const expand = (kind: string): Set<string> => {
        const found = new Set<string>();
        const stack = [kind];
        while (stack.length > 0) {
          const k = stack.pop()!;
          if (found.has(k) || isIri(k)) continue;
          found.add(k);
          stack.push(...(children.get(k) ?? []), ...(equivalents.get(k) ?? []));
        }
        return found;
      };
      for (const { r, index } of disjoint) {
        const right = expand(r.to);
        const shared = [...expand(r.from)].filter((k) => right.has(k)).sort()[0];
        if (shared !== undefined) {
          this.add(
            `/ontology/${index}`,
            "ONTOLOGY_DISJOINT_CONFLICT",
            `disjointWith(${r.from}, ${r.to}) is contradictory: both sides include ${show(shared)}.`,
          );
        }
      }
    }

    // inverseOf: at most one partner per edge kind.
    const partner = new Map<string, string>();
    relations.forEach((r, i) => {
      if (r.metaEdge !== "inverseOf") return;
      const pairs: [string, string][] = r.from === r.to ? [[r.from, r.to]] : [[r.from, r.to], [r.to, r.from]];
      for (const [a, b] of pairs) {
        const existing = partner.get(a);
        if (existing === undefined) partner.set(a, b);
        else if (existing !== b) {
          this.add(
            `/ontology/${at[i]}`,
            "ONTOLOGY_INVERSE_MULTIPLE_PARTNERS",
            `Edge kind ${show(a)} is declared the inverse of both ${show(existing)} and ${show(b)}.`,
          );
        }
      }
    });
  }

  indexes(raw: unknown): ExtensionIndex[] | undefined {
    if (raw === undefined) return undefined;
    if (!Array.isArray(raw)) {
      this.add("/indexes", "INVALID_DOCUMENT_SHAPE", "`indexes` must be an array of index declarations.");
      return undefined;
    }
    const out: ExtensionIndex[] = [];
    const names = new Set<string>();
    for (let i = 0; i < raw.length; i++) {
      const path = `/indexes/${i}`;
      const index = this.index(raw[i], path);
      if (index === undefined) continue;
      if (index.name !== undefined) {
        if (names.has(index.name)) {
          this.add(`${path}/name`, "DUPLICATE_INDEX_NAME", `Duplicate index name ${show(index.name)}.`);
          continue;
        }
        names.add(index.name);
      }
      out.push(index);
    }
    return out;
  }

  index(raw: unknown, path: string): ExtensionIndex | undefined {
    const bad = (sub: string, message: string) => {
      this.add(`${path}${sub}`, "INVALID_INDEX_DECLARATION", message);
      return undefined;
    };
    if (!isPlain(raw)) return bad("", "An index declaration must be an object.");
    const entity = own(raw, "entity");
    if (entity !== "node" && entity !== "edge") return bad("/entity", `Index \`entity\` must be "node" or "edge", got ${show(entity)}.`);
    this.unknownKeys(raw, entity === "node" ? NODE_INDEX_KEYS : EDGE_INDEX_KEYS, `${entity} index`, path, "INVALID_INDEX_DECLARATION");
    const kind = own(raw, "kind");
    if (typeof kind !== "string" || !NAME_RE.test(kind) || shadowsPrototype(kind)) {
      return bad("/kind", `Index \`kind\` must be a kind name matching ${NAME_RE.source}.`);
    }
    const fields = this.fieldList(own(raw, "fields"), `${path}/fields`, "fields", true);
    if (fields === undefined) return undefined;
    const covering = own(raw, "coveringFields");
    const coveringFields = covering === undefined ? undefined : this.fieldList(covering, `${path}/coveringFields`, "coveringFields", false);
    if (covering !== undefined && coveringFields === undefined) return undefined;
    const unique = own(raw, "unique");
    if (unique !== undefined && typeof unique !== "boolean") return bad("/unique", "Index `unique` must be a boolean.");
    const name = own(raw, "name");
    if (name !== undefined && (typeof name !== "string" || !INDEX_NAME_RE.test(name) || shadowsPrototype(name))) {
      return bad("/name", `Index \`name\` must match ${INDEX_NAME_RE.source} (it becomes a SQL identifier).`);
    }
    const scope = own(raw, "scope");
    if (scope !== undefined && !["graphAndKind", "graph", "none"].includes(scope as string)) {
      return bad("/scope", 'Index `scope` must be "graphAndKind", "graph" or "none".');
    }
    const rawWhere = own(raw, "where");
    let where: { field: string; op: "isNull" | "isNotNull" } | undefined;
    if (rawWhere !== undefined) {
      if (!isPlain(rawWhere)) return bad("/where", "Index `where` must be `{ field, op }`.");
      this.unknownKeys(rawWhere, WHERE_KEYS, "where", `${path}/where`, "INVALID_INDEX_DECLARATION");
      const field = own(rawWhere, "field");
      const op = own(rawWhere, "op");
      if (typeof field !== "string" || field.length === 0) return bad("/where/field", "`where.field` must be a non-empty string.");
      if (op !== "isNull" && op !== "isNotNull") return bad("/where/op", '`where.op` must be "isNull" or "isNotNull".');
      where = { field, op };
    }
    if (entity === "node") {
      return compact<ExtensionIndex>({ entity, kind, name, fields, coveringFields, unique, scope, where });
    }
    const direction = own(raw, "direction");
    if (direction !== undefined && !["out", "in", "none"].includes(direction as string)) {
      return bad("/direction", 'Edge index `direction` must be "out", "in" or "none".');
    }
    return compact<ExtensionIndex>({ entity, kind, name, direction, fields, coveringFields, unique, scope, where });
  }

  /**
   * Index fields of kinds this document declares must name a stored scalar property (or a path
   * into an object property): an index over a whole object/array or an embedding cannot be built,
   * and a valid document must compile. Kinds declared elsewhere are checked when merged.
   */
  indexFieldsResolve(
    indexes: ExtensionIndex[] | undefined,
    nodes: Record<string, ExtensionNodeDef> | undefined,
    edges: Record<string, ExtensionEdgeDef> | undefined,
  ): void {
    (indexes ?? []).forEach((index, i) => {
      const section = index.entity === "node" ? nodes : edges;
      if (section === undefined || !Object.prototype.hasOwnProperty.call(section, index.kind)) return;
      const props = (section[index.kind] as { properties?: Record<string, ExtensionPropertyType> }).properties ?? {};
      const check = (field: string, path: string, scalarOnly: boolean) => {
        const segments = field.startsWith("/") ? field.slice(1).split("/").map((x) => x.replace(/~1/g, "/").replace(/~0/g, "~")) : [field];
        const head = segments[0] ?? "";
        const prop = Object.prototype.hasOwnProperty.call(props, head) ? props[head] : undefined;
        if (prop === undefined) {
          this.add(path, "INVALID_INDEX_DECLARATION", `Index field ${show(field)} is not a property of ${index.entity} kind ${show(index.kind)}.`);
          return;
        }
        const t = (prop as { type?: string }).type;
        if ((prop as { embedding?: unknown }).embedding !== undefined) {
          this.add(path, "INVALID_INDEX_DECLARATION", `Index field ${show(field)} is an embedding; embeddings are indexed in their own vector storage.`);
        } else if (scalarOnly && segments.length === 1 && (t === "object" || t === "array")) {
          this.add(path, "INVALID_INDEX_DECLARATION", `Index field ${show(field)} is an ${t}; index a scalar property (or a path into an object).`);
        } else if (segments.length > 1 && t !== "object") {
          this.add(path, "INVALID_INDEX_DECLARATION", `Index field ${show(field)} is a path into ${show(head)}, which is not an object.`);
        }
      };
      const base = `/indexes/${i}`;
      index.fields.forEach((f, j) => check(f, `${base}/fields/${j}`, true));
      (index.coveringFields ?? []).forEach((f, j) => check(f, `${base}/coveringFields/${j}`, true));
      if (index.where !== undefined) check(index.where.field, `${base}/where/field`, false);
    });
  }

  fieldList(raw: unknown, path: string, label: string, required: boolean): string[] | undefined {
    if (raw === undefined || (Array.isArray(raw) && raw.length === 0 && required)) {
      this.add(path, required ? "EMPTY_INDEX_FIELDS" : "INVALID_INDEX_DECLARATION", `\`${label}\` must list at least one field.`);
      return undefined;
    }
    if (!Array.isArray(raw)) {
      this.add(path, "INVALID_INDEX_DECLARATION", `\`${label}\` must be an array of field names.`);
      return undefined;
    }
    const out: string[] = [];
    for (let i = 0; i < raw.length; i++) {
      const v: unknown = raw[i];
      if (typeof v !== "string" || v.length === 0) {
        this.add(`${path}/${i}`, "INVALID_INDEX_DECLARATION", `\`${label}[${i}]\` must be a non-empty string.`);
        return undefined;
      }
      if (out.includes(v)) {
        this.add(`${path}/${i}`, "INVALID_INDEX_DECLARATION", `Field ${show(v)} appears twice in \`${label}\`.`);
        return undefined;
      }
      out.push(v);
    }
    return out;
  }

  properties(raw: unknown, path: string, entity: "node" | "edge", owner: string): Record<string, ExtensionPropertyType> | undefined {
    if (!isPlain(raw)) {
      this.add(path, "INVALID_DOCUMENT_SHAPE", "`properties` must be an object keyed by property name.");
      return undefined;
    }
    const reserved = entity === "node" ? RESERVED_NODE_PROPS : RESERVED_EDGE_PROPS;
    const out = bag<ExtensionPropertyType>();
    for (const [name, def] of entries(raw)) {
      const p = `${path}/${encodePointerSegment(name)}`;
      if (this.unstorable(name, p, `${entity} ${show(owner)}`)) continue;
      if (reserved.has(name)) {
        this.add(p, "RESERVED_PROPERTY_NAME", `Property name ${show(name)} is reserved on ${entity} kinds.`);
        continue;
      }
      if (name.startsWith("$")) {
        this.add(p, "RESERVED_PROPERTY_NAME", `Property name ${show(name)} uses the reserved "$" prefix.`);
        continue;
      }
      const prop = this.property(def, p, 0);
      if (prop !== undefined) out[name] = prop;
    }
    return spread(out);
  }

  /** `__proto__` cannot be a schema field (zod drops it from every parse), and empty names can't be addressed. */
  unstorable(name: string, path: string, owner: string): boolean {
    if (name === "__proto__") {
      this.add(path, "RESERVED_PROPERTY_NAME", `Property name "__proto__" is not allowed on ${owner}: schema validation cannot carry it.`);
      return true;
    }
    if (name.length === 0) {
      this.add(path, "RESERVED_PROPERTY_NAME", `An empty property name is not allowed on ${owner}.`);
      return true;
    }
    return false;
  }

  property(raw: unknown, path: string, depth: number): ExtensionPropertyType | undefined {
    if (!isPlain(raw)) {
      this.add(path, "INVALID_DOCUMENT_SHAPE", "A property descriptor must be an object with a `type`.");
      return undefined;
    }
    const type = own(raw, "type");
    if (typeof type !== "string" || !(PROPERTY_TYPES as readonly string[]).includes(type)) {
      this.add(`${path}/type`, "UNSUPPORTED_PROPERTY_TYPE", `Unsupported property type ${show(type)}; supported: ${PROPERTY_TYPES.join(", ")}.`);
      return undefined;
    }
    if (this.strict) {
      const allowed = [...COMMON_PROPERTY_KEYS, ...TYPE_KEYS[type]!];
      for (const key of Object.keys(raw)) {
        if (!allowed.includes(key)) {
          this.add(
            `${path}/${encodePointerSegment(key)}`,
            "UNKNOWN_PROPERTY_KEY",
            `Unknown key ${show(key)} on a ${type} property; recognised: ${allowed.join(", ")}.`,
          );
        }
      }
    }
    switch (type) {
      case "string":
        return this.stringProp(raw, path);
      case "number":
        return this.numberProp(raw, path);
      case "boolean": {
        const m = this.modifiers(raw, path, "boolean");
        return m && ({ type: "boolean", ...m } as ExtensionPropertyType);
      }
      case "enum":
        return this.enumProp(raw, path);
      case "array":
        return this.arrayProp(raw, path, depth);
      default:
        return this.objectProp(raw, path, depth);
    }
  }

  stringProp(raw: Bag, path: string): ExtensionPropertyType | undefined {
    const minLength = this.count(own(raw, "minLength"), `${path}/minLength`, "minLength");
    const maxLength = this.count(own(raw, "maxLength"), `${path}/maxLength`, "maxLength");
    if (minLength !== undefined && maxLength !== undefined && minLength > maxLength) {
      this.add(path, "INVALID_LENGTH_BOUNDS", `minLength (${minLength}) is greater than maxLength (${maxLength}).`);
    }
    let pattern: string | undefined;
    const rawPattern = own(raw, "pattern");
    if (rawPattern !== undefined) {
      if (typeof rawPattern !== "string") {
        this.add(`${path}/pattern`, "INVALID_PATTERN", "`pattern` must be a regular expression source string.");
      } else {
        try {
          new RegExp(rawPattern);
          pattern = rawPattern;
        } catch (error) {
          this.add(`${path}/pattern`, "INVALID_PATTERN", `\`pattern\` is not a valid regular expression: ${(error as Error).message}`);
        }
      }
    }
    let format: string | undefined;
    const rawFormat = own(raw, "format");
    if (rawFormat !== undefined) {
      if (typeof rawFormat !== "string") {
        this.add(`${path}/format`, "INVALID_PROPERTY_REFINEMENT", `\`format\` must be a string, got ${show(rawFormat)}.`);
      } else if ((STRING_FORMATS as readonly string[]).includes(rawFormat)) {
        format = rawFormat;
      } else if (this.strict) {
        this.add(`${path}/format`, "UNSUPPORTED_STRING_FORMAT", `Unsupported string format ${show(rawFormat)}; supported: ${STRING_FORMATS.join(", ")}.`);
      }
      // Lenient (stored-document) mode: an unknown format from a newer writer reads as a plain string.
    }
    const m = this.modifiers(raw, path, "string");
    if (m === undefined) return undefined;
    if (format !== undefined && m.searchable !== undefined) {
      this.add(path, "INVALID_PROPERTY_REFINEMENT", "`searchable` cannot be combined with `format`.");
      return undefined;
    }
    if (format !== undefined && (minLength !== undefined || maxLength !== undefined || pattern !== undefined)) {
      this.add(path, "INVALID_PROPERTY_REFINEMENT", "`format` cannot be combined with `minLength`, `maxLength` or `pattern`.");
      return undefined;
    }
    return compact<ExtensionPropertyType>({ type: "string", minLength, maxLength, pattern, format, ...m });
  }

  numberProp(raw: Bag, path: string): ExtensionPropertyType | undefined {
    const min = this.finite(own(raw, "min"), `${path}/min`, "min");
    const max = this.finite(own(raw, "max"), `${path}/max`, "max");
    if (min !== undefined && max !== undefined && min > max) {
      this.add(path, "INVALID_NUMBER_BOUNDS", `min (${min}) is greater than max (${max}).`);
    }
    const int = this.bool(own(raw, "int"), `${path}/int`, "int");
    if (int === true) {
      if (min !== undefined && !Number.isInteger(min)) this.add(`${path}/min`, "INVALID_NUMBER_BOUNDS", "`min` must be an integer when `int: true`.");
      if (max !== undefined && !Number.isInteger(max)) this.add(`${path}/max`, "INVALID_NUMBER_BOUNDS", "`max` must be an integer when `int: true`.");
    }
    const m = this.modifiers(raw, path, "number");
    return m && compact<ExtensionPropertyType>({ type: "number", min, max, int, ...m });
  }

  enumProp(raw: Bag, path: string): ExtensionPropertyType | undefined {
    const values = own(raw, "values");
    if (!Array.isArray(values) || values.length === 0) {
      this.add(`${path}/values`, "INVALID_ENUM_VALUES", "`values` must be a non-empty array of strings.");
      return undefined;
    }
    const out: string[] = [];
    for (let i = 0; i < values.length; i++) {
      const v: unknown = values[i];
      if (typeof v !== "string") {
        this.add(`${path}/values/${i}`, "INVALID_ENUM_VALUES", `Enum values must be strings, got ${show(v)}.`);
        return undefined;
      }
      if (out.includes(v)) {
        this.add(`${path}/values/${i}`, "INVALID_ENUM_VALUES", `Duplicate enum value ${show(v)}.`);
        return undefined;
      }
      out.push(v);
    }
    const m = this.modifiers(raw, path, "enum");
    return m && compact<ExtensionPropertyType>({ type: "enum", values: out, ...m });
  }

  arrayProp(raw: Bag, path: string, depth: number): ExtensionPropertyType | undefined {
    const items = own(raw, "items");
    if (items === undefined) {
      this.add(`${path}/items`, "INVALID_PROPERTY_REFINEMENT", "`items` is required on an array property.");
      return undefined;
    }
    if (!isPlain(items)) {
      this.add(`${path}/items`, "INVALID_DOCUMENT_SHAPE", "`items` must be a property descriptor object.");
      return undefined;
    }
    if (own(items, "type") === "array") {
      this.add(`${path}/items`, "NESTED_ARRAY", "Arrays of arrays are not supported.");
      return undefined;
    }
    // Items sit at the array's own depth: an array of one-level objects is allowed (as documented), deeper is not.
    const item = this.property(items, `${path}/items`, depth);
    if (item === undefined) return undefined;
    const m = this.modifiers(raw, path, "array");
    return m && compact<ExtensionPropertyType>({ type: "array", items: item, ...m });
  }

  objectProp(raw: Bag, path: string, depth: number): ExtensionPropertyType | undefined {
    if (depth >= 1) {
      this.add(path, "NESTED_OBJECT_TOO_DEEP", "Objects may nest one level only.");
      return undefined;
    }
    const props = own(raw, "properties");
    if (!isPlain(props)) {
      this.add(`${path}/properties`, "INVALID_DOCUMENT_SHAPE", "`properties` of an object property must be an object.");
      return undefined;
    }
    const list = entries(props);
    if (list.length === 0) {
      this.add(`${path}/properties`, "EMPTY_PROPERTIES", "An object property must declare at least one field.");
      return undefined;
    }
    const fields = bag<ExtensionPropertyType>();
    for (const [name, def] of list) {
      const p = `${path}/properties/${encodePointerSegment(name)}`;
      if (this.unstorable(name, p, "a nested object")) continue;
      if (!isPlain(def)) {
        this.add(p, "INVALID_DOCUMENT_SHAPE", "A field descriptor must be an object.");
        continue;
      }
      if (own(def, "type") === "object") {
        this.add(p, "NESTED_OBJECT_TOO_DEEP", "Objects may nest one level only.");
        continue;
      }
      const field = this.property(def, p, depth + 1);
      if (field !== undefined) fields[name] = field;
    }
    const m = this.modifiers(raw, path, "object");
    return m && compact<ExtensionPropertyType>({ type: "object", properties: spread(fields), ...m });
  }

  modifiers(raw: Bag, path: string, type: string): Record<string, unknown> | undefined {
    const before = this.issues.length;
    const optional = this.bool(own(raw, "optional"), `${path}/optional`, "optional");
    let searchable: { language?: string } | undefined;
    const rawSearchable = own(raw, "searchable");
    if (rawSearchable !== undefined) {
      if (type !== "string") {
        this.add(`${path}/searchable`, "INVALID_MODIFIER_TARGET", `\`searchable\` applies to string properties only (this one is ${type}).`);
      } else if (!isPlain(rawSearchable)) {
        this.add(`${path}/searchable`, "INVALID_PROPERTY_REFINEMENT", "`searchable` must be an object (`{}` for the defaults).");
      } else {
        const language = own(rawSearchable, "language");
        if (language === undefined) searchable = {};
        else if (typeof language !== "string" || language.length === 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(language)) {
          this.add(`${path}/searchable/language`, "INVALID_SEARCHABLE_LANGUAGE", "`searchable.language` must be a text-search configuration name.");
        } else searchable = { language };
      }
    }
    let embedding: { dimensions: number } | undefined;
    const rawEmbedding = own(raw, "embedding");
    if (rawEmbedding !== undefined) {
      const items = own(raw, "items");
      if (type !== "array" || !isPlain(items) || own(items, "type") !== "number") {
        this.add(`${path}/embedding`, "INVALID_MODIFIER_TARGET", "`embedding` applies to arrays of numbers only.");
      } else if (!isPlain(rawEmbedding)) {
        this.add(`${path}/embedding`, "INVALID_PROPERTY_REFINEMENT", "`embedding` must be `{ dimensions }`.");
      } else {
        const dims = own(rawEmbedding, "dimensions");
        if (typeof dims !== "number" || !Number.isInteger(dims) || dims <= 0 || dims > 65535) {
          this.add(`${path}/embedding/dimensions`, "INVALID_EMBEDDING_DIMENSIONS", "`embedding.dimensions` must be a positive integer (at most 65535).");
        } else if (Object.keys(items).some((k) => k !== "type")) {
          this.add(`${path}/items`, "INVALID_PROPERTY_REFINEMENT", 'An embedding array declares its items as `{ type: "number" }` only; other refinements would be ignored.');
        } else embedding = { dimensions: dims };
      }
    }
    const description = own(raw, "description");
    if (description !== undefined && typeof description !== "string") {
      this.add(`${path}/description`, "INVALID_PROPERTY_REFINEMENT", "`description` must be a string.");
    }
    if (this.issues.length > before) return undefined;
    return compact({ optional, searchable, embedding, description });
  }

  uniques(raw: unknown, path: string, properties: Record<string, ExtensionPropertyType>): ExtensionUniqueConstraint[] | undefined {
    if (raw === undefined) return undefined;
    if (!Array.isArray(raw)) {
      this.add(path, "INVALID_DOCUMENT_SHAPE", "`unique` must be an array of constraints.");
      return undefined;
    }
    const has = (f: string) => Object.prototype.hasOwnProperty.call(properties, f);
    const out: ExtensionUniqueConstraint[] = [];
    const names = new Set<string>();
    for (let i = 0; i < raw.length; i++) {
      const p = `${path}/${i}`;
      const entry: unknown = raw[i];
      if (!isPlain(entry)) {
        this.add(p, "INVALID_DOCUMENT_SHAPE", "A unique constraint must be an object.");
        continue;
      }
      this.unknownKeys(entry, UNIQUE_KEYS, "unique constraint", p, "INVALID_DOCUMENT_SHAPE");
      const name = own(entry, "name");
      if (typeof name !== "string" || name.length === 0 || name.includes("\u001e")) {
        this.add(`${p}/name`, "INVALID_DOCUMENT_SHAPE", "A unique constraint needs a non-empty `name`.");
        continue;
      }
      if (names.has(name)) {
        this.add(`${p}/name`, "DUPLICATE_UNIQUE_CONSTRAINT", `Duplicate unique constraint name ${show(name)}.`);
        continue;
      }
      names.add(name);
      const rawFields = own(entry, "fields");
      if (!Array.isArray(rawFields) || rawFields.length === 0) {
        this.add(`${p}/fields`, "EMPTY_UNIQUE_FIELDS", "A unique constraint must list at least one field.");
        continue;
      }
      const fields: string[] = [];
      let ok = true;
      for (let j = 0; j < rawFields.length && ok; j++) {
        const f: unknown = rawFields[j];
        const fp = `${p}/fields/${j}`;
        if (typeof f !== "string" || f.length === 0) {
          this.add(fp, "INVALID_DOCUMENT_SHAPE", "Unique constraint fields must be non-empty strings.");
          ok = false;
        } else if (fields.includes(f)) {
          this.add(fp, "DUPLICATE_UNIQUE_FIELD", `Field ${show(f)} appears twice in the constraint.`);
          ok = false;
        } else if (!has(f)) {
          this.add(fp, "UNKNOWN_UNIQUE_FIELD", `Field ${show(f)} is not a property of this kind.`);
          ok = false;
        } else fields.push(f);
      }
      if (!ok) continue;
      const scope = own(entry, "scope");
      if (scope !== undefined && scope !== "kind" && scope !== "kindWithSubClasses") {
        this.add(`${p}/scope`, "INVALID_DOCUMENT_SHAPE", 'Unique `scope` must be "kind" or "kindWithSubClasses".');
        continue;
      }
      const collation = own(entry, "collation");
      if (collation !== undefined && collation !== "binary" && collation !== "caseInsensitive") {
        this.add(`${p}/collation`, "INVALID_DOCUMENT_SHAPE", 'Unique `collation` must be "binary" or "caseInsensitive".');
        continue;
      }
      const rawWhere = own(entry, "where");
      let where: { field: string; op: "isNull" | "isNotNull" } | undefined;
      if (rawWhere !== undefined) {
        const wp = `${p}/where`;
        if (!isPlain(rawWhere)) {
          this.add(wp, "INVALID_DOCUMENT_SHAPE", "Unique `where` must be `{ field, op }`.");
          continue;
        }
        this.unknownKeys(rawWhere, WHERE_KEYS, "where", wp, "INVALID_DOCUMENT_SHAPE");
        const field = own(rawWhere, "field");
        const op = own(rawWhere, "op");
        if (typeof field !== "string" || field.length === 0) {
          this.add(`${wp}/field`, "INVALID_DOCUMENT_SHAPE", "Unique `where.field` must be a non-empty string.");
          continue;
        }
        if (!has(field)) {
          this.add(`${wp}/field`, "UNKNOWN_UNIQUE_WHERE_FIELD", `Unique \`where.field\` ${show(field)} is not a property of this kind.`);
          continue;
        }
        if (op !== "isNull" && op !== "isNotNull") {
          this.add(`${wp}/op`, "INVALID_UNIQUE_WHERE_OP", `Unique \`where.op\` must be "isNull" or "isNotNull", got ${show(op)}.`);
          continue;
        }
        where = { field, op };
      }
      out.push(compact<ExtensionUniqueConstraint>({ name, fields, scope, collation, where }));
    }
    return out;
  }

  annotations(raw: unknown, path: string): Record<string, JsonAnnotation> | undefined {
    if (raw === undefined) return undefined;
    if (!isPlain(raw)) {
      this.add(path, "INVALID_ANNOTATION", "Annotations must be a JSON object.");
      return undefined;
    }
    const before = this.issues.length;
    const copy = this.json(raw, path, 0, new Set());
    return this.issues.length > before ? undefined : (copy as Record<string, JsonAnnotation>);
  }

  /** A checked, detached copy of a JSON value (bounded depth, no cycles, no non-JSON leaves). */
  json(value: unknown, path: string, depth: number, stack: Set<object>): JsonAnnotation | undefined {
    if (value === null || typeof value === "string" || typeof value === "boolean") return value;
    if (typeof value === "number") {
      if (Number.isFinite(value)) return value;
      this.add(path, "INVALID_ANNOTATION", `Annotations must be JSON: ${String(value)} is not.`);
      return undefined;
    }
    if (typeof value !== "object") {
      this.add(path, "INVALID_ANNOTATION", `Annotations must be JSON: a ${typeof value} is not.`);
      return undefined;
    }
    if (depth >= MAX_ANNOTATION_DEPTH) {
      this.add(path, "INVALID_ANNOTATION", `Annotations nest deeper than ${MAX_ANNOTATION_DEPTH} levels.`);
      return undefined;
    }
    if (stack.has(value)) {
      this.add(path, "INVALID_ANNOTATION", "Annotations must be JSON: the value refers to itself.");
      return undefined;
    }
    stack.add(value);
    try {
      if (Array.isArray(value)) {
        const out: JsonAnnotation[] = [];
        for (let i = 0; i < value.length; i++) {
          const v = this.json(value[i], `${path}/${i}`, depth + 1, stack);
          if (v === undefined) return undefined;
          out.push(v);
        }
        return out;
      }
      if (!isPlain(value)) {
        this.add(path, "INVALID_ANNOTATION", "Annotations must be JSON: only plain objects are allowed.");
        return undefined;
      }
      const out = bag<JsonAnnotation>();
      for (const [k, v] of entries(value)) {
        const c = this.json(v, `${path}/${encodePointerSegment(k)}`, depth + 1, stack);
        if (c === undefined) return undefined;
        out[k] = c;
      }
      return spread(out);
    } finally {
      stack.delete(value);
    }
  }

  optString(raw: unknown, path: string, code: GraphExtensionIssueCode): string | undefined {
    if (raw === undefined) return undefined;
    if (typeof raw !== "string") {
      this.add(path, code, `Expected a string, got ${show(raw)}.`);
      return undefined;
    }
    return raw;
  }

  count(raw: unknown, path: string, label: string): number | undefined {
    if (raw === undefined) return undefined;
    if (typeof raw !== "number" || !Number.isSafeInteger(raw) || raw < 0) {
      this.add(path, "INVALID_LENGTH_BOUNDS", `\`${label}\` must be a non-negative integer.`);
      return undefined;
    }
    return raw;
  }

  finite(raw: unknown, path: string, label: string): number | undefined {
    if (raw === undefined) return undefined;
    if (typeof raw !== "number" || !Number.isFinite(raw)) {
      this.add(path, "INVALID_NUMBER_BOUNDS", `\`${label}\` must be a finite number.`);
      return undefined;
    }
    return raw;
  }

  bool(raw: unknown, path: string, label: string): boolean | undefined {
    if (raw === undefined) return undefined;
    if (typeof raw !== "boolean") {
      this.add(path, "INVALID_PROPERTY_REFINEMENT", `\`${label}\` must be a boolean.`);
      return undefined;
    }
    return raw;
  }
}

function reaches(out: Map<string, string[]>, from: string, target: string): boolean {
  const seen = new Set<string>();
  const stack = [...(out.get(from) ?? [])];
  while (stack.length > 0) {
    const k = stack.pop()!;
    if (k === target) return true;
    if (seen.has(k)) continue;
    seen.add(k);
    stack.push(...(out.get(k) ?? []));
  }
  return false;
}

export function isIri(value: string): boolean {
  return /^https?:\/\//i.test(value);
}

/**
 * Checks a graph-extension document and returns `{ success: true, data }` with a frozen,
 * normalised copy (version stamped), or `{ success: false, error }` carrying every issue.
 * A document of a newer major format throws `GraphExtensionVersionUnsupportedError`.
 */
export function validateGraphExtension(
  input: unknown,
  options: ValidateGraphExtensionOptions = {},
): ValidationResult<GraphExtension, GraphExtensionValidationError> {
  const walk = new Walk(options.strict === true);
  let doc: GraphExtension | undefined;
  try {
    doc = walk.document(input);
  } catch (error) {
    if (error instanceof GraphExtensionVersionUnsupportedError) throw error;
    // Hostile values (throwing getters, proxies, revoked proxies) surface as a document-shape issue.
    walk.add("", "INVALID_DOCUMENT_SHAPE", `The document could not be read: ${error instanceof Error ? error.message : String(error)}`);
    return { success: false, error: new GraphExtensionValidationError(walk.issues, error) };
  }
  if (doc === undefined) return { success: false, error: new GraphExtensionValidationError(walk.issues) };
  return { success: true, data: doc };
}

/** Validates an authored document strictly and returns it with `version` stamped; throws on any issue. */
export function defineGraphExtension(input: GraphExtension): GraphExtension {
  const result = validateGraphExtension(input, { strict: true });
  if (!result.success) throw result.error;
  return result.data;
}
