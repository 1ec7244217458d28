// Differences between two serialized schema documents, and their
// classification: which changes are safe to apply automatically and which
// need a data migration first.

import type { SerializedSchema } from "./schema.js";

export type ChangeType = "added" | "removed" | "modified" | "renamed";
/** `safe`: no data work needed; `warning`: may need attention; `breaking`: existing data may no longer fit. */
export type ChangeSeverity = "safe" | "warning" | "breaking";

type JsonSchema = {
  type?: unknown;
  const?: unknown;
  enum?: unknown;
  anyOf?: unknown;
  oneOf?: unknown;
  allOf?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  [key: string]: unknown;
};

type KindDoc = {
  kind?: string;
  properties?: JsonSchema;
  uniqueConstraints?: unknown;
  onDelete?: string;
  fromKinds?: string[];
  toKinds?: string[];
  cardinality?: string;
  annotations?: unknown;
  [key: string]: unknown;
};

export interface NodeChange {
  readonly type: ChangeType;
  readonly kind: string;
  readonly severity: ChangeSeverity;
  readonly details: string;
  readonly before?: KindDoc;
  readonly after?: KindDoc;
}
export type EdgeChange = NodeChange;
export interface OntologyChange {
  readonly type: ChangeType;
  readonly entity: "metaEdge" | "relation";
  readonly name: string;
  readonly severity: ChangeSeverity;
  readonly details: string;
}
export interface IdentityChange {
  readonly type: ChangeType;
  readonly severity: ChangeSeverity;
  readonly details: string;
}
export interface IndexChange {
  readonly type: ChangeType;
  readonly name: string;
  readonly entity: string;
  readonly severity: ChangeSeverity;
  readonly details: string;
  readonly before?: unknown;
  readonly after?: unknown;
}
export interface ExtensionChange {
  readonly type: ChangeType;
  readonly severity: ChangeSeverity;
  readonly details: string;
}
export interface DeprecatedKindsChange {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly severity: ChangeSeverity;
  readonly details: string;
}

export interface SchemaDiff {
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly nodes: readonly NodeChange[];
  readonly edges: readonly EdgeChange[];
  readonly ontology: readonly OntologyChange[];
  readonly identity?: IdentityChange;
  readonly indexes: readonly IndexChange[];
  readonly extension?: ExtensionChange;
  readonly deprecatedKinds?: DeprecatedKindsChange;
  readonly hasBreakingChanges: boolean;
  readonly isBackwardsCompatible: boolean;
  readonly hasChanges: boolean;
  readonly summary: string;
}

export type SchemaChangeClassification = "identical" | "additive" | "incompatible";

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** JSON text with object keys sorted at every level: equal texts mean equal documents. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) Object.defineProperty(out, key, { value: (v as Record<string, unknown>)[key], enumerable: true });
      return out;
    }
    return v;
  });
}
const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

// JSON-Schema keywords whose order carries no meaning, and those holding sub-schemas.
const SET_KEYWORDS = new Set(["required", "enum"]);
const SUBSCHEMA_KEYWORDS = new Set([
  "additionalProperties", "allOf", "anyOf", "contains", "contentSchema", "else", "if", "items", "not", "oneOf",
  "prefixItems", "propertyNames", "then", "unevaluatedItems", "unevaluatedProperties",
]);
const SUBSCHEMA_MAPS = new Set(["properties", "patternProperties", "dependentSchemas", "$defs", "definitions"]);

/** A schema with order-free keyword values sorted, so reorderings compare equal. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    let n: unknown = v;
    if (SET_KEYWORDS.has(key) && Array.isArray(v)) n = [...v].sort((a, b) => (canonicalJson(a) < canonicalJson(b) ? -1 : canonicalJson(a) > canonicalJson(b) ? 1 : 0));
    else if (SUBSCHEMA_MAPS.has(key) && v && typeof v === "object" && !Array.isArray(v)) {
      const m: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries(v)) Object.defineProperty(m, name, { value: normalize(sub), enumerable: true });
      n = m;
    } else if (key === "dependentRequired" && v && typeof v === "object" && !Array.isArray(v)) {
      const m: Record<string, unknown> = {};
      for (const [name, req] of Object.entries(v)) Object.defineProperty(m, name, { value: Array.isArray(req) ? [...req].sort() : req, enumerable: true });
      n = m;
    } else if (SUBSCHEMA_KEYWORDS.has(key)) n = normalize(v);
    Object.defineProperty(out, key, { value: n, enumerable: true });
  }
  return out;
}
const sameSchema = (a: unknown, b: unknown) => same(normalize(a), normalize(b));

function typeSignature(s: JsonSchema): string {
  if (s.type !== undefined) return JSON.stringify(s.type);
  for (const k of ["const", "enum", "anyOf", "oneOf", "allOf"] as const) if (s[k] !== undefined) return k;
  return "unknown";
}

const METADATA_KEYWORDS = new Set(["description", "title", "default", "$schema"]);
function withoutMetadata(s: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(s)) if (!METADATA_KEYWORDS.has(k)) out[k] = v;
  return out;
}
const isObjectSchema = (s: JsonSchema) => s.type === "object" || s.properties !== undefined;

/** Whether values valid under `before` may be invalid under `after` (conservative). */
function breaks(before: JsonSchema, after: JsonSchema): boolean {
  if (sameSchema(withoutMetadata(before), withoutMetadata(after))) return false;
  if (typeSignature(before) !== typeSignature(after)) return true;
  if (!isObjectSchema(before) || !isObjectSchema(after)) return true;
  const bp = before.properties ?? {};
  const ap = after.properties ?? {};
  const bReq = new Set(before.required ?? []);
  for (const k of Object.keys(bp)) if (!has(ap, k)) return true;
  for (const k of after.required ?? []) if (!bReq.has(k)) return true;
  for (const [k, child] of Object.entries(bp)) if (has(ap, k) && breaks(child, ap[k]!)) return true;
  return false;
}

function classifyProperties(kind: string, before: JsonSchema = {}, after: JsonSchema = {}): { severity: ChangeSeverity; details: string } {
  const bp = before.properties ?? {};
  const ap = after.properties ?? {};
  const bReq = new Set(before.required ?? []);
  const removed = Object.keys(bp).filter((p) => !has(ap, p));
  const added = Object.keys(ap).filter((p) => !has(bp, p));
  const newlyRequired = (after.required ?? []).filter((p) => !bReq.has(p));
  const changed = Object.keys(bp).filter((p) => has(ap, p) && !same(bp[p], ap[p]) && breaks(bp[p]!, ap[p]!));
  if (removed.length > 0) return { severity: "breaking", details: `Properties removed from "${kind}": ${removed.join(", ")}` };
  if (changed.length > 0) return { severity: "breaking", details: `Property schemas changed incompatibly in "${kind}": ${changed.join(", ")}` };
  if (newlyRequired.length > 0) return { severity: "breaking", details: `New required properties in "${kind}": ${newlyRequired.join(", ")}` };
  if (added.length > 0) return { severity: "safe", details: `Properties added to "${kind}": ${added.join(", ")}` };
  return { severity: "safe", details: `Properties changed in "${kind}"` };
}

function annotationsChanged(a: unknown, b: unknown): boolean {
  if (a === undefined && b === undefined) return false;
  if (a === undefined || b === undefined) return true;
  return !same(a, b);
}

function diffKinds(entity: "node" | "edge", before: Record<string, KindDoc>, after: Record<string, KindDoc>): NodeChange[] {
  const label = entity === "node" ? "Node" : "Edge";
  const out: NodeChange[] = [];
  for (const name of Object.keys(before)) {
    if (!has(after, name)) out.push({ type: "removed", kind: name, severity: "breaking", details: `${label} kind "${name}" was removed`, before: before[name] });
  }
  for (const name of Object.keys(after)) {
    if (!has(before, name)) out.push({ type: "added", kind: name, severity: "safe", details: `${label} kind "${name}" was added`, after: after[name] });
  }
  for (const name of Object.keys(before)) {
    if (!has(after, name)) continue;
    const b = before[name]!;
    const a = after[name]!;
    const mod = (severity: ChangeSeverity, details: string) => out.push({ type: "modified", kind: name, severity, details, before: b, after: a });
    if (entity === "edge") {
      if (!same([...(b.fromKinds ?? [])].sort(), [...(a.fromKinds ?? [])].sort())) mod("warning", `fromKinds changed for "${name}"`);
      if (!same([...(b.toKinds ?? [])].sort(), [...(a.toKinds ?? [])].sort())) mod("warning", `toKinds changed for "${name}"`);
      if (b.cardinality !== a.cardinality) mod("warning", `Cardinality changed from "${b.cardinality}" to "${a.cardinality}" for "${name}"`);
    }
    if (!sameSchema(b.properties, a.properties)) {
      const c = classifyProperties(name, b.properties, a.properties);
      mod(c.severity, c.details);
    }
    if (entity === "node") {
      if (b.onDelete !== a.onDelete) mod("warning", `onDelete changed from "${b.onDelete}" to "${a.onDelete}" for "${name}"`);
      if (!same(b.uniqueConstraints, a.uniqueConstraints)) mod("warning", `Unique constraints changed for "${name}"`);
    }
    if (annotationsChanged(b.annotations, a.annotations)) mod("safe", `Annotations changed for "${name}"`);
  }
  return out;
}

type OntologyDoc = { metaEdges?: Record<string, unknown>; relations?: { metaEdge: string; from: string; to: string }[] };

function diffOntology(before: OntologyDoc = {}, after: OntologyDoc = {}): OntologyChange[] {
  const out: OntologyChange[] = [];
  const bm = Object.keys(before.metaEdges ?? {});
  const am = Object.keys(after.metaEdges ?? {});
  for (const n of bm) if (!am.includes(n)) out.push({ type: "removed", entity: "metaEdge", name: n, severity: "breaking", details: `Meta-edge "${n}" was removed` });
  for (const n of am) if (!bm.includes(n)) out.push({ type: "added", entity: "metaEdge", name: n, severity: "safe", details: `Meta-edge "${n}" was added` });
  const key = (r: { metaEdge: string; from: string; to: string }) => `${r.metaEdge}:${r.from}:${r.to}`;
  const br = new Map((before.relations ?? []).map((r) => [key(r), r]));
  const ar = new Map((after.relations ?? []).map((r) => [key(r), r]));
  for (const [k, r] of br) {
    if (!ar.has(k)) out.push({ type: "removed", entity: "relation", name: k, severity: "warning", details: `Relation ${r.metaEdge}(${r.from}, ${r.to}) was removed` });
  }
  for (const [k, r] of ar) {
    if (!br.has(k)) out.push({ type: "added", entity: "relation", name: k, severity: "safe", details: `Relation ${r.metaEdge}(${r.from}, ${r.to}) was added` });
  }
  return out;
}

function diffIdentity(before: unknown, after: unknown): IdentityChange | undefined {
  if (before === undefined && after === undefined) return undefined;
  if (before === undefined) return { type: "added", severity: "safe", details: "Operational Identity enabled" };
  if (after === undefined) return { type: "removed", severity: "breaking", details: "Operational Identity disabled" };
  const b = (before as { sameIdAcrossKinds?: string }).sameIdAcrossKinds;
  const a = (after as { sameIdAcrossKinds?: string }).sameIdAcrossKinds;
  if (a === b) return undefined;
  return { type: "modified", severity: "breaking", details: `Operational Identity sameIdAcrossKinds changed from "${b}" to "${a}"` };
}

type IndexDoc = { name: string; entity: string };
function diffIndexes(before: unknown[] = [], after: unknown[] = []): IndexChange[] {
  const b = new Map((before as IndexDoc[]).map((i) => [i.name, i]));
  const a = new Map((after as IndexDoc[]).map((i) => [i.name, i]));
  const out: IndexChange[] = [];
  for (const [n, i] of b) if (!a.has(n)) out.push({ type: "removed", name: n, entity: i.entity, severity: "safe", details: `Index "${n}" was removed`, before: i });
  for (const [n, i] of a) if (!b.has(n)) out.push({ type: "added", name: n, entity: i.entity, severity: "safe", details: `Index "${n}" was added`, after: i });
  for (const [n, i] of b) {
    const j = a.get(n);
    if (j && !same(i, j)) out.push({ type: "modified", name: n, entity: i.entity, severity: "safe", details: `Index "${n}" was modified`, before: i, after: j });
  }
  return out;
}

function diffExtension(before: unknown, after: unknown): ExtensionChange | undefined {
  if (before === undefined && after === undefined) return undefined;
  if (before === undefined) return { type: "added", severity: "safe", details: "Graph extension document was added" };
  if (after === undefined) return { type: "removed", severity: "safe", details: "Graph extension document was removed" };
  if (same(before, after)) return undefined;
  return { type: "modified", severity: "safe", details: "Graph extension document was modified" };
}

function diffDeprecated(before: string[] = [], after: string[] = []): DeprecatedKindsChange | undefined {
  const added = after.filter((n) => !before.includes(n)).sort();
  const removed = before.filter((n) => !after.includes(n)).sort();
  if (added.length === 0 && removed.length === 0) return undefined;
  const parts = [...(added.length > 0 ? [`added ${added.join(", ")}`] : []), ...(removed.length > 0 ? [`removed ${removed.join(", ")}`] : [])];
  return { added, removed, severity: "safe", details: `Deprecated kinds: ${parts.join("; ")}` };
}

const count = (changes: readonly { type: ChangeType }[], t: ChangeType) => changes.filter((c) => c.type === t).length;

/** Every difference between a stored schema document and a newer one, with severities. */
export function computeSchemaDiff(before: SerializedSchema, after: SerializedSchema): SchemaDiff {
  const nodes = diffKinds("node", (before.nodes ?? {}) as Record<string, KindDoc>, (after.nodes ?? {}) as Record<string, KindDoc>);
  const edges = diffKinds("edge", (before.edges ?? {}) as Record<string, KindDoc>, (after.edges ?? {}) as Record<string, KindDoc>);
  const ontology = diffOntology(before.ontology as OntologyDoc, after.ontology as OntologyDoc);
  const identity = diffIdentity(before.identity, after.identity);
  const indexes = diffIndexes(before.indexes, after.indexes);
  const extension = diffExtension(before.extension, after.extension);
  const deprecatedKinds = diffDeprecated(before.deprecatedKinds, after.deprecatedKinds);
  const all = [...nodes, ...edges, ...ontology, ...indexes];
  const hasBreakingChanges = all.some((c) => c.severity === "breaking") || identity?.severity === "breaking";
  const hasChanges = all.length > 0 || identity !== undefined || extension !== undefined || deprecatedKinds !== undefined;
  const parts: string[] = [];
  if (nodes.length > 0) parts.push(`Nodes: ${count(nodes, "added")} added, ${count(nodes, "removed")} removed, ${count(nodes, "modified")} modified`);
  if (edges.length > 0) parts.push(`Edges: ${count(edges, "added")} added, ${count(edges, "removed")} removed, ${count(edges, "modified")} modified`);
  if (count(ontology, "added") + count(ontology, "removed") > 0) parts.push(`Ontology: ${count(ontology, "added")} added, ${count(ontology, "removed")} removed`);
  if (identity) parts.push(`Identity: ${identity.type}`);
  if (indexes.length > 0) parts.push(`Indexes: ${count(indexes, "added")} added, ${count(indexes, "removed")} removed, ${count(indexes, "modified")} modified`);
  if (extension) parts.push(`Graph extension document: ${extension.type}`);
  if (deprecatedKinds) parts.push(`Deprecated kinds: ${deprecatedKinds.added.length} added, ${deprecatedKinds.removed.length} removed`);
  return {
    fromVersion: before.version,
    toVersion: after.version,
    nodes,
    edges,
    ontology,
    ...(identity === undefined ? {} : { identity }),
    indexes,
    ...(extension === undefined ? {} : { extension }),
    ...(deprecatedKinds === undefined ? {} : { deprecatedKinds }),
    hasBreakingChanges,
    isBackwardsCompatible: !hasBreakingChanges,
    hasChanges,
    summary: parts.length === 0 ? "No changes" : parts.join("; "),
  };
}

export function isBackwardsCompatible(diff: SchemaDiff): boolean {
  return !diff.hasBreakingChanges;
}

/** `identical` (nothing changed), `additive` (safe to apply), or `incompatible` (needs migration). */
export function classifySchemaChanges(diff: SchemaDiff): SchemaChangeClassification {
  if (!diff.hasChanges) return "identical";
  return diff.hasBreakingChanges ? "incompatible" : "additive";
}

/** Human-readable data steps a breaking diff calls for. */
export function getMigrationActions(diff: SchemaDiff): string[] {
  const actions: string[] = [];
  for (const c of diff.nodes) {
    if (c.type === "removed") actions.push(`DELETE data for removed node kind "${c.kind}"`);
    if (c.type === "modified" && c.severity === "breaking") actions.push(`MIGRATE data for node kind "${c.kind}": ${c.details}`);
  }
  for (const c of diff.edges) {
    if (c.type === "removed") actions.push(`DELETE data for removed edge kind "${c.kind}"`);
  }
  return actions;
}
