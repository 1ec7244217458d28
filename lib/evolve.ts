// Runtime schema evolution helpers for the store: which changes to an
// extension kind are incompatible (always, or only when the kind holds rows),
// what a kind removal rewrites, and the introspection snapshot.

import { z } from "zod";
import type { GraphDef, NodeType, OntologyRelation } from "./core.js";
import { KindHasReferentsError, RemoveCompileTimeKindError, type IncompatibleChange, type KindReferent } from "./errors.js";
import { graphExtensionOf, type ExtendedGraphDef } from "./extension/compile.js";
import type {
  ExtensionEdgeDef,
  ExtensionNodeDef,
  ExtensionPropertyType,
  ExtensionUniqueConstraint,
  GraphExtension,
} from "./extension/types.js";

const own = (o: object | undefined, k: string): boolean => o !== undefined && Object.prototype.hasOwnProperty.call(o, k);

export interface RequireEmpty {
  entity: "node" | "edge";
  kind: string;
  changes: IncompatibleChange[];
}
export interface Classification {
  /** Rejected whatever the data. */
  incompatible: IncompatibleChange[];
  /** Allowed only while the kind holds no rows (probed inside the schema commit). */
  requireEmpty: RequireEmpty[];
}

/** Compares each redeclared extension kind of `next` with its stored shape in `existing`. */
export function classifyExtensionChanges(existing: GraphExtension | undefined, next: GraphExtension): Classification {
  const incompatible: IncompatibleChange[] = [];
  const empties = new Map<string, RequireEmpty>();
  const rec = (entity: "node" | "edge") => ({
    hard: (c: IncompatibleChange) => incompatible.push(c),
    soft: (c: IncompatibleChange) => {
      const key = `${entity}\u0000${c.kind}`;
      const e = empties.get(key) ?? { entity, kind: c.kind, changes: [] };
      e.changes.push(c);
      empties.set(key, e);
    },
  });
  for (const [kind, def] of Object.entries(next.nodes ?? {})) {
    if (!own(existing?.nodes, kind)) continue;
    const old = existing!.nodes![kind] as ExtensionNodeDef;
    const r = rec("node");
    properties(kind, "", old.properties, def.properties, r);
    uniques(kind, old.unique ?? [], def.unique ?? [], r);
  }
  for (const [kind, def] of Object.entries(next.edges ?? {})) {
    if (!own(existing?.edges, kind)) continue;
    const old = existing!.edges![kind] as ExtensionEdgeDef;
    const r = rec("edge");
    properties(kind, "", old.properties ?? {}, def.properties ?? {}, r);
    for (const side of ["from", "to"] as const) {
      for (const k of old[side].filter((x) => !def[side].includes(x))) {
        r.soft({ kind, type: "TIGHTEN_EDGE_ENDPOINTS", detail: `removed "${k}" from \`${side}\`` });
      }
    }
  }
  return { incompatible, requireEmpty: [...empties.values()] };
}

type Rec = { hard: (c: IncompatibleChange) => void; soft: (c: IncompatibleChange) => void };

function properties(
  kind: string,
  prefix: string,
  before: Readonly<Record<string, ExtensionPropertyType>>,
  after: Readonly<Record<string, ExtensionPropertyType>>,
  r: Rec,
): void {
  for (const name of Object.keys(before)) {
    if (!own(after, name)) r.hard({ kind, field: prefix + name, type: "REMOVE_PROPERTY" });
  }
  for (const name of Object.keys(after)) {
    if (!own(before, name)) {
      if (after[name]!.optional !== true) r.soft({ kind, field: prefix + name, type: "ADD_REQUIRED_PROPERTY" });
      continue;
    }
    property(kind, prefix + name, before[name]!, after[name]!, r);
  }
}

function property(kind: string, field: string, a: ExtensionPropertyType, b: ExtensionPropertyType, r: Rec): void {
  if (a.type !== b.type) {
    r.hard({ kind, field, type: "TYPE_CHANGE", detail: `${a.type} → ${b.type}` });
    return;
  }
  if (a.optional === true && b.optional !== true) r.soft({ kind, field, type: "TIGHTEN_OPTIONALITY", detail: "optional: true → false" });
  if (a.type === "string" && b.type === "string") {
    if (b.minLength !== undefined && (a.minLength === undefined || b.minLength > a.minLength)) {
      r.soft({ kind, field, type: "TIGHTEN_CONSTRAINT", detail: `minLength ${a.minLength ?? "unset"} → ${b.minLength}` });
    }
    if (b.maxLength !== undefined && (a.maxLength === undefined || b.maxLength < a.maxLength)) {
      r.soft({ kind, field, type: "TIGHTEN_CONSTRAINT", detail: `maxLength ${a.maxLength ?? "unset"} → ${b.maxLength}` });
    }
    if (a.pattern !== b.pattern && b.pattern !== undefined) {
      r.soft({ kind, field, type: a.pattern === undefined ? "ADD_PATTERN" : "CHANGE_PATTERN" });
    }
    if (a.format !== b.format && b.format !== undefined) {
      r.soft({ kind, field, type: a.format === undefined ? "ADD_FORMAT" : "CHANGE_FORMAT", detail: `${a.format ?? "unset"} → ${b.format}` });
    }
  } else if (a.type === "number" && b.type === "number") {
    if (b.min !== undefined && (a.min === undefined || b.min > a.min)) {
      r.soft({ kind, field, type: "TIGHTEN_CONSTRAINT", detail: `min ${a.min ?? "unset"} → ${b.min}` });
    }
    if (b.max !== undefined && (a.max === undefined || b.max < a.max)) {
      r.soft({ kind, field, type: "TIGHTEN_CONSTRAINT", detail: `max ${a.max ?? "unset"} → ${b.max}` });
    }
    if (b.int === true && a.int !== true) r.soft({ kind, field, type: "TIGHTEN_INT" });
  } else if (a.type === "enum" && b.type === "enum") {
    const removed = a.values.filter((v) => !b.values.includes(v));
    if (removed.length > 0) r.soft({ kind, field, type: "TIGHTEN_ENUM", detail: `removed ${removed.map((v) => JSON.stringify(v)).join(", ")}` });
  } else if (a.type === "array" && b.type === "array") {
    if (a.items.type !== b.items.type) {
      r.hard({ kind, field, type: "TYPE_CHANGE", detail: `items ${a.items.type} → ${b.items.type}` });
    } else {
      property(kind, `${field}[]`, a.items as ExtensionPropertyType, b.items as ExtensionPropertyType, r);
    }
  } else if (a.type === "object" && b.type === "object") {
    properties(kind, `${field}.`, a.properties as Record<string, ExtensionPropertyType>, b.properties as Record<string, ExtensionPropertyType>, r);
  }
}

function uniques(kind: string, before: readonly ExtensionUniqueConstraint[], after: readonly ExtensionUniqueConstraint[], r: Rec): void {
  const old = new Map(before.map((u) => [u.name, u]));
  for (const u of after) {
    const prev = old.get(u.name);
    if (prev === undefined) {
      r.soft({ kind, type: "ADD_UNIQUE_ON_POPULATED", detail: `unique "${u.name}" added` });
    } else if (canonical(prev) !== canonical(u)) {
      r.soft({ kind, type: "ADD_UNIQUE_ON_POPULATED", detail: `unique "${u.name}" changed` });
    }
  }
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  );
}

// ---- kind removal -------------------------------------------------------------

export interface RemovalPlan {
  extension: GraphExtension | undefined;
  nodes: string[];
  edges: string[];
}

function relName(x: OntologyRelation["from"]): string {
  return typeof x === "string" ? x : x.kind;
}
function metaName(r: OntologyRelation): string {
  return typeof r.metaEdge === "string" ? r.metaEdge : r.metaEdge.name;
}

/**
 * What removing `names` does to a caught-up graph: compile-time kinds refuse, extension node kinds
 * referenced by compile-time edges or relations refuse, extension edges left without an endpoint
 * and relations/indexes naming a removed kind go too. Unknown names are ignored.
 */
export function planKindRemoval(graph: GraphDef, names: readonly string[]): RemovalPlan {
  const ext = graphExtensionOf(graph);
  const runtimeNodes = new Set(Object.keys(ext?.nodes ?? {}));
  const runtimeEdges = new Set(Object.keys(ext?.edges ?? {}));
  const wanted = [...new Set(names)];
  for (const name of wanted) {
    if (own(graph.nodes, name) && !runtimeNodes.has(name)) throw new RemoveCompileTimeKindError(name, "node", graph.id);
    if (own(graph.edges, name) && !runtimeEdges.has(name)) throw new RemoveCompileTimeKindError(name, "edge", graph.id);
  }
  const nodes = wanted.filter((n) => runtimeNodes.has(n));
  const explicitEdges = wanted.filter((n) => runtimeEdges.has(n));
  const runtimeRelations = new Set((ext?.ontology ?? []).map((r) => `${r.metaEdge}|${r.from}|${r.to}`));
  for (const kind of nodes) {
    const referents: KindReferent[] = [];
    for (const [edge, reg] of Object.entries(graph.edges)) {
      if (runtimeEdges.has(edge)) continue;
      if ([...reg.from, ...reg.to].some((t) => t.kind === kind)) referents.push({ type: "compile-time-edge", name: edge });
    }
    for (const r of graph.ontology) {
      const from = relName(r.from);
      const to = relName(r.to);
      if (runtimeRelations.has(`${metaName(r)}|${from}|${to}`)) continue;
      if (from === kind || to === kind) referents.push({ type: "compile-time-ontology", name: `${metaName(r)}(${from}, ${to})` });
    }
    if (referents.length > 0) throw new KindHasReferentsError(kind, referents, graph.id);
  }
  if (ext === undefined || (nodes.length === 0 && explicitEdges.length === 0)) return { extension: ext, nodes: [], edges: [] };
  const goneNodes = new Set(nodes);
  const goneEdges = new Set(explicitEdges);
  const keptEdges: Record<string, ExtensionEdgeDef> = {};
  for (const [name, def] of Object.entries(ext.edges ?? {})) {
    if (goneEdges.has(name)) continue;
    const from = def.from.filter((k) => !goneNodes.has(k));
    const to = def.to.filter((k) => !goneNodes.has(k));
    if (from.length === 0 || to.length === 0) {
      goneEdges.add(name);
      continue;
    }
    Object.defineProperty(keptEdges, name, { value: { ...def, from, to }, enumerable: true, writable: true, configurable: true });
  }
  const keptNodes: Record<string, ExtensionNodeDef> = {};
  for (const [name, def] of Object.entries(ext.nodes ?? {})) {
    if (!goneNodes.has(name)) Object.defineProperty(keptNodes, name, { value: def, enumerable: true, writable: true, configurable: true });
  }
  const ontology = (ext.ontology ?? []).filter((r) => !goneNodes.has(r.from) && !goneNodes.has(r.to) && !goneEdges.has(r.from) && !goneEdges.has(r.to));
  const indexes = (ext.indexes ?? []).filter((i) => !(i.entity === "node" ? goneNodes : goneEdges).has(i.kind));
  const extension: GraphExtension = {
    ...(ext.version === undefined ? {} : { version: ext.version }),
    ...(Object.keys(keptNodes).length === 0 ? {} : { nodes: keptNodes }),
    ...(Object.keys(keptEdges).length === 0 ? {} : { edges: keptEdges }),
    ...(ontology.length === 0 ? {} : { ontology }),
    ...(indexes.length === 0 ? {} : { indexes }),
  };
  return { extension, nodes, edges: [...goneEdges] };
}

// ---- introspection ---------------------------------------------------------------

export interface UniqueIntrospection {
  readonly name: string;
  readonly fields: readonly string[];
  readonly scope: "kind" | "kindWithSubClasses";
  readonly collation: "binary" | "caseInsensitive";
}
export interface KindIntrospection {
  readonly name: string;
  readonly origin: "compile-time" | "runtime";
  readonly description: string | undefined;
  readonly annotations: Readonly<Record<string, unknown>> | undefined;
  readonly deprecated: boolean;
  readonly properties: unknown;
  readonly unique: readonly UniqueIntrospection[];
}
export interface EdgeIntrospection {
  readonly name: string;
  readonly origin: "compile-time" | "runtime";
  readonly description: string | undefined;
  readonly from: readonly string[];
  readonly to: readonly string[];
  readonly cardinality: string;
  readonly endpointExistence: string;
  readonly properties: unknown;
  readonly annotations: Readonly<Record<string, unknown>> | undefined;
  readonly deprecated: boolean;
}
export interface OntologyIntrospection {
  readonly metaEdge: string;
  readonly from: string;
  readonly to: string;
  readonly origin: "compile-time" | "runtime";
}
export interface SchemaIntrospection {
  readonly graphId: string;
  readonly schemaVersion: number | undefined;
  readonly schemaHash: string | undefined;
  readonly kinds: readonly KindIntrospection[];
  readonly edges: readonly EdgeIntrospection[];
  readonly ontology: readonly OntologyIntrospection[];
  readonly deprecatedKinds: ReadonlySet<string>;
  readonly extension: GraphExtension | undefined;
}

function jsonSchemaOf(schema: unknown): unknown {
  try {
    return z.toJSONSchema(schema as z.ZodType);
  } catch {
    return { type: "object" };
  }
}

export function introspectGraph(graph: GraphDef, meta: { version?: number; hash?: string }): SchemaIntrospection {
  const ext = graphExtensionOf(graph);
  const deprecated = (graph as ExtendedGraphDef).deprecatedKinds ?? new Set<string>();
  const runtimeRelations = new Set((ext?.ontology ?? []).map((r) => `${r.metaEdge}|${r.from}|${r.to}`));
  const kinds = Object.entries(graph.nodes).map(([name, reg]) =>
    Object.freeze({
      name,
      origin: own(ext?.nodes, name) ? ("runtime" as const) : ("compile-time" as const),
      description: reg.type.description,
      annotations: reg.type.annotations,
      deprecated: deprecated.has(name),
      properties: jsonSchemaOf(reg.type.schema),
      unique: (reg.unique ?? []).map((u) => Object.freeze({ name: u.name, fields: [...u.fields], scope: u.scope ?? "kind", collation: u.collation ?? "binary" })),
    }),
  );
  const edges = Object.entries(graph.edges).map(([name, reg]) =>
    Object.freeze({
      name,
      origin: own(ext?.edges, name) ? ("runtime" as const) : ("compile-time" as const),
      description: reg.type.description,
      from: reg.from.map((n: NodeType) => n.kind),
      to: reg.to.map((n: NodeType) => n.kind),
      cardinality: reg.cardinality ?? "many",
      endpointExistence: "notDeleted",
      properties: jsonSchemaOf(reg.type.schema),
      annotations: reg.type.annotations,
      deprecated: deprecated.has(name),
    }),
  );
  const ontology = graph.ontology.map((r) => {
    const from = relName(r.from);
    const to = relName(r.to);
    return Object.freeze({
      metaEdge: metaName(r),
      from,
      to,
      origin: runtimeRelations.has(`${metaName(r)}|${from}|${to}`) ? ("runtime" as const) : ("compile-time" as const),
    });
  });
  return Object.freeze({
    graphId: graph.id,
    schemaVersion: meta.version,
    schemaHash: meta.hash,
    kinds: Object.freeze(kinds),
    edges: Object.freeze(edges),
    ontology: Object.freeze(ontology),
    deprecatedKinds: new Set(deprecated),
    extension: ext,
  });
}
