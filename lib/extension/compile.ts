// Compiling a validated graph-extension document into real kinds, and merging
// those kinds into a compile-time graph.
//
// compileGraphExtension(doc): CompiledGraphExtension
//   nodes:    { type: NodeType (from defineNode; its zod schema implements the
//               property subset, with searchable()/embedding() brands),
//               unique: UniqueConstraint[] (where → null-check callback) }[]
//   edges:    { kind, schema: zod object, description?, annotations?,
//               from: string[], to: string[] (endpoint kind names, resolved by
//               the merge against the merged node set) }[]
//   ontology: OntologyRelation[] as defineGraph takes them (metaEdge by name,
//             endpoints as NodeType when the kind is declared in the same
//             document, else the name)
//   indexes:  ExtensionIndex[] — the document's relational index
//             declarations, unchanged (plain data)
//
// mergeGraphExtension(graph, doc): ExtendedGraphDef — a new frozen GraphDef with
//   the extension kinds added (compile-time kinds win nothing: a clash is
//   KindCollisionError), `extension` set to the union of the graph's previous
//   extension and `doc`, and `deprecatedKinds` carried over. The result's
//   `extension` is what serializeSchema stores as `schema_doc.extension`.

import { z } from "zod";
import {
  defineEdge,
  defineNode,
  embedding,
  searchable,
  type EdgeRegistration,
  type EdgeType,
  type GraphDef,
  type NodeRegistration,
  type NodeType,
  type OntologyRelation,
  type UniqueConstraint,
} from "../core.js";
import {
  ConfigurationError,
  GraphExtensionUnresolvedEndpointError,
  GraphExtensionUnresolvedOntologyEndpointError,
  KindCollisionError,
  KindNotFoundError,
} from "../errors.js";
import {
  LEGACY_GRAPH_EXTENSION_VERSION,
  type ExtensionEdgeDef,
  type ExtensionIndex,
  type ExtensionNodeDef,
  type ExtensionOntologyRelation,
  type ExtensionPropertyType,
  type ExtensionUniqueConstraint,
  type GraphExtension,
  type JsonAnnotation,
} from "./types.js";
import { isIri, validateGraphExtension } from "./validate.js";
import { mergedIndexes } from "../extension-indexes.js";

export interface CompiledNode {
  readonly type: NodeType;
  readonly unique: readonly UniqueConstraint[];
}
export interface CompiledEdge {
  readonly kind: string;
  readonly schema: z.ZodObject<z.ZodRawShape>;
  readonly description?: string;
  readonly annotations?: Readonly<Record<string, JsonAnnotation>>;
  readonly from: readonly string[];
  readonly to: readonly string[];
}
export interface CompiledGraphExtension {
  readonly nodes: readonly CompiledNode[];
  readonly edges: readonly CompiledEdge[];
  readonly ontology: readonly OntologyRelation[];
  readonly indexes: readonly ExtensionIndex[];
}

/** A graph that may carry a graph extension and a soft-deprecation set. */
export type ExtendedGraphDef<G extends GraphDef = GraphDef> = G & {
  readonly extension?: GraphExtension;
  readonly deprecatedKinds?: ReadonlySet<string>;
};

export function graphExtensionOf(graph: GraphDef): GraphExtension | undefined {
  return (graph as ExtendedGraphDef).extension;
}

// Compiled kinds are reused for an unchanged definition (same kind name, same
// JSON text — key order included, since property order shapes the schema), so
// re-merging keeps schema identity: getNodePropsSchema stays the same instance
// across evolves that don't touch the kind. Bounded: the oldest entries go first.
const CACHE_LIMIT = 2048;
const nodeCache = new Map<string, CompiledNode>();
const edgeSchemaCache = new Map<string, z.ZodObject<z.ZodRawShape>>();

function cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const value = make();
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
  return value;
}

function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) Object.defineProperty(out, key, { value: (v as Record<string, unknown>)[key], enumerable: true });
    return out;
  });
}

export function compileGraphExtension(doc: GraphExtension): CompiledGraphExtension {
  const nodes: CompiledNode[] = [];
  const byName = new Map<string, NodeType>();
  for (const [kind, def] of Object.entries(doc.nodes ?? {})) {
    const compiled = compileNode(kind, def);
    nodes.push(compiled);
    byName.set(kind, compiled.type);
  }
  const edges: CompiledEdge[] = [];
  for (const [kind, def] of Object.entries(doc.edges ?? {})) {
    const schema = cached(edgeSchemaCache, JSON.stringify([kind, def.properties ?? {}]), () => objectSchema(def.properties ?? {}));
    edges.push(
      Object.freeze({
        kind,
        schema,
        ...(def.description === undefined ? {} : { description: def.description }),
        ...(def.annotations === undefined ? {} : { annotations: def.annotations }),
        from: Object.freeze([...def.from]),
        to: Object.freeze([...def.to]),
      }),
    );
  }
  const ontology = (doc.ontology ?? []).map(
    (r): OntologyRelation => ({ metaEdge: r.metaEdge, from: byName.get(r.from) ?? r.from, to: byName.get(r.to) ?? r.to }),
  );
  return Object.freeze({
    nodes: Object.freeze(nodes),
    edges: Object.freeze(edges),
    ontology: Object.freeze(ontology),
    indexes: Object.freeze([...(doc.indexes ?? [])]),
  });
}

function compileNode(kind: string, def: ExtensionNodeDef): CompiledNode {
  return cached(nodeCache, JSON.stringify([kind, def]), () => buildNode(kind, def));
}

function buildNode(kind: string, def: ExtensionNodeDef): CompiledNode {
  const type = defineNode(kind, {
    schema: objectSchema(def.properties),
    ...(def.description === undefined ? {} : { description: def.description }),
    ...(def.annotations === undefined ? {} : { annotations: def.annotations as Record<string, never> }),
  });
  return Object.freeze({ type, unique: Object.freeze((def.unique ?? []).map(compileUnique)) });
}

function compileUnique(u: ExtensionUniqueConstraint): UniqueConstraint {
  const base: UniqueConstraint = { name: u.name, fields: [...u.fields], scope: u.scope ?? "kind", collation: u.collation ?? "binary" };
  if (u.where === undefined) return base;
  const { field, op } = u.where;
  return { ...base, where: () => ({ field, op }) };
}

function objectSchema(properties: Readonly<Record<string, ExtensionPropertyType>>): z.ZodObject<z.ZodRawShape> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, prop] of Object.entries(properties)) {
    // defineProperty, not assignment: a field name is data even when it spells an Object.prototype member.
    Object.defineProperty(shape, name, { value: withOptional(propertySchema(prop), prop), enumerable: true, writable: true, configurable: true });
  }
  return z.object(shape);
}

function withOptional(schema: z.ZodType, prop: { optional?: boolean }): z.ZodType {
  return prop.optional === true ? schema.optional() : schema;
}

function propertySchema(prop: ExtensionPropertyType): z.ZodType {
  let schema: z.ZodType;
  switch (prop.type) {
    case "string": {
      if (prop.format !== undefined) {
        switch (prop.format) {
          case "datetime":
            schema = z.iso.datetime();
            break;
          case "date":
            schema = z.iso.date();
            break;
          case "uri":
            schema = z.url();
            break;
          case "email":
            schema = z.email();
            break;
          case "uuid":
            schema = z.uuid();
            break;
          default:
            schema = z.string();
        }
        break;
      }
      let s: z.ZodString = prop.searchable !== undefined ? searchable(prop.searchable) : z.string();
      if (prop.minLength !== undefined) s = s.min(prop.minLength);
      if (prop.maxLength !== undefined) s = s.max(prop.maxLength);
      if (prop.pattern !== undefined) s = s.regex(new RegExp(prop.pattern));
      schema = s;
      break;
    }
    case "number": {
      let n = z.number();
      if (prop.int === true) n = n.int();
      if (prop.min !== undefined) n = n.min(prop.min);
      if (prop.max !== undefined) n = n.max(prop.max);
      schema = n;
      break;
    }
    case "boolean":
      schema = z.boolean();
      break;
    case "enum":
      schema = z.enum(prop.values as [string, ...string[]]);
      break;
    case "array":
      schema = prop.embedding !== undefined ? embedding(prop.embedding.dimensions) : z.array(withOptional(propertySchema(prop.items), prop.items));
      break;
    case "object":
      schema = objectSchema(prop.properties);
      break;
  }
  // `description` stays in the document only: upstream's compiler leaves it off the zod schema, so the
  // stored JSON Schema (and with it the schema hash) is the same whichever implementation wrote it.
  return schema;
}

function has(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** The union of two documents: later kinds replace earlier ones of the same name; relations and indexes dedupe. */
export function unionGraphExtensions(existing: GraphExtension | undefined, next: GraphExtension): GraphExtension {
  if (existing === undefined || (!existing.nodes && !existing.edges && !existing.ontology && !existing.indexes)) return next;
  const merge = <T>(a: Readonly<Record<string, T>> | undefined, b: Readonly<Record<string, T>> | undefined) => {
    if (a === undefined && b === undefined) return undefined;
    const out: Record<string, T> = {};
    for (const src of [a ?? {}, b ?? {}]) {
      for (const k of Object.keys(src)) Object.defineProperty(out, k, { value: src[k], enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  const dedupe = <T>(items: readonly T[], key: (t: T) => string, keepLast: boolean): T[] => {
    const map = new Map<string, T>();
    for (const item of items) if (keepLast || !map.has(key(item))) map.set(key(item), item);
    return [...map.values()];
  };
  const ontology =
    existing.ontology === undefined && next.ontology === undefined
      ? undefined
      : dedupe([...(existing.ontology ?? []), ...(next.ontology ?? [])], (r: ExtensionOntologyRelation) => `${r.metaEdge}|${r.from}|${r.to}`, false);
  const indexes =
    existing.indexes === undefined && next.indexes === undefined
      ? undefined
      : dedupe(
          [...(existing.indexes ?? []), ...(next.indexes ?? [])],
          (i: ExtensionIndex) => `${i.entity}|${i.kind}|${i.name ?? ""}|${i.fields.join(",")}`,
          true,
        );
  const nodes = merge(existing.nodes, next.nodes);
  const edges = merge(existing.edges, next.edges);
  const version = next.version ?? existing.version;
  return {
    ...(version === undefined ? {} : { version }),
    ...(nodes === undefined ? {} : { nodes }),
    ...(edges === undefined ? {} : { edges }),
    ...(ontology === undefined ? {} : { ontology }),
    ...(indexes === undefined ? {} : { indexes }),
  };
}

/** The graph without any extension kinds, relations or deprecations: what the code declared. */
export function stripGraphExtension<G extends GraphDef>(graph: G): G {
  const ext = graphExtensionOf(graph);
  const deprecated = (graph as ExtendedGraphDef).deprecatedKinds;
  if (ext === undefined && deprecated === undefined) return graph;
  const nodes: Record<string, NodeRegistration> = {};
  for (const [k, v] of Object.entries(graph.nodes)) if (!has(ext?.nodes ?? {}, k)) nodes[k] = v;
  const edges: Record<string, EdgeRegistration> = {};
  for (const [k, v] of Object.entries(graph.edges)) if (!has(ext?.edges ?? {}, k)) edges[k] = v;
  const extKeys = new Set((ext?.ontology ?? []).map((r) => `${r.metaEdge}|${r.from}|${r.to}`));
  const ontology = graph.ontology.filter((r) => !extKeys.has(relationKey(r)));
  const { extension: _e, deprecatedKinds: _d, ...rest } = graph as ExtendedGraphDef;
  const kept = (graph.indexes ?? []).filter((d) => d.origin !== "runtime");
  const indexes = graph.indexes === undefined ? undefined : Object.freeze(kept);
  return Object.freeze({ ...rest, nodes, edges, ontology, indexes }) as unknown as G;
}

function nameOf(x: OntologyRelation["from"]): string {
  return typeof x === "string" ? x : x.kind;
}
function relationKey(r: OntologyRelation): string {
  return `${typeof r.metaEdge === "string" ? r.metaEdge : r.metaEdge.name}|${nameOf(r.from)}|${nameOf(r.to)}`;
}

/**
 * Adds a graph extension to a graph. The graph's previous extension (if any) is replaced by
 * the union of it and `doc`; compile-time kinds are kept and may not be redeclared.
 */
export function mergeGraphExtension<G extends GraphDef>(graph: G, doc: GraphExtension): ExtendedGraphDef<G> {
  const previous = graphExtensionOf(graph);
  const base = stripGraphExtension(graph);
  const union = unionGraphExtensions(previous, doc);
  // Re-declaring what the graph already carries changes nothing: keep the very same graph.
  if (previous !== undefined && sortedJson({ ...union, version: undefined }) === sortedJson({ ...previous, version: undefined })) return graph as ExtendedGraphDef<G>;
  const checked = validateGraphExtension(union);
  if (!checked.success) throw checked.error;
  const ext = checked.data;
  const compiled = compileGraphExtension(ext);

  const nodeTypes = new Map<string, NodeType>();
  const nodes: Record<string, NodeRegistration> = {};
  for (const [k, reg] of Object.entries(base.nodes)) {
    nodes[k] = reg;
    nodeTypes.set(k, reg.type);
  }
  for (const n of compiled.nodes) {
    if (has(nodes, n.type.kind)) throw new KindCollisionError(n.type.kind, "node", graph.id);
    nodes[n.type.kind] = n.unique.length === 0 ? { type: n.type } : { type: n.type, unique: n.unique };
    nodeTypes.set(n.type.kind, n.type);
  }
  const edges: Record<string, EdgeRegistration> = { ...base.edges };
  for (const e of compiled.edges) {
    if (has(edges, e.kind)) throw new KindCollisionError(e.kind, "edge", graph.id);
    const resolve = (side: "from" | "to") =>
      e[side].map((name) => {
        const t = nodeTypes.get(name);
        if (t === undefined) throw new GraphExtensionUnresolvedEndpointError(e.kind, side, name, graph.id);
        return t;
      });
    const from = resolve("from");
    const to = resolve("to");
    const type: EdgeType = defineEdge(e.kind, {
      schema: e.schema,
      from,
      to,
      ...(e.description === undefined ? {} : { description: e.description }),
      ...(e.annotations === undefined ? {} : { annotations: e.annotations as Record<string, never> }),
    });
    edges[e.kind] = { type, from, to };
  }
  const ontology: OntologyRelation[] = [...base.ontology];
  for (const r of compiled.ontology) {
    const meta = r.metaEdge as string;
    if (meta === "inverseOf" || meta === "implies") {
      for (const end of [r.from, r.to]) {
        const name = nameOf(end);
        if (!has(edges, name) && !isIri(name)) throw new GraphExtensionUnresolvedOntologyEndpointError(meta, name, graph.id);
      }
    }
    ontology.push({ metaEdge: meta, from: typeof r.from === "string" ? (nodeTypes.get(r.from) ?? r.from) : r.from, to: typeof r.to === "string" ? (nodeTypes.get(r.to) ?? r.to) : r.to });
  }
  checkIndexes(compiled.indexes, nodes, edges, graph.id);

  const deprecated = (graph as ExtendedGraphDef).deprecatedKinds;
  const indexes = mergedIndexes((base as GraphDef).indexes, nodes, edges, ext);
  return Object.freeze({
    ...(base as GraphDef),
    nodes,
    edges,
    ontology,
    indexes,
    extension: ext,
    ...(deprecated === undefined ? {} : { deprecatedKinds: deprecated }),
  }) as unknown as ExtendedGraphDef<G>;
}

/** Each declared index must target a kind of the merged graph and name only its declared fields. */
function checkIndexes(
  indexes: readonly ExtensionIndex[],
  nodes: Record<string, NodeRegistration>,
  edges: Record<string, EdgeRegistration>,
  graphId: string,
): void {
  for (const index of indexes) {
    const reg = index.entity === "node" ? (has(nodes, index.kind) ? nodes[index.kind] : undefined) : has(edges, index.kind) ? edges[index.kind] : undefined;
    if (reg === undefined) {
      throw new KindNotFoundError(index.kind, index.entity, {
        graphId,
        suggestion: `Declare the ${index.entity} kind in the extension (or the graph) before indexing it.`,
      });
    }
    const shape = (reg.type.schema as { shape: Record<string, unknown> }).shape;
    const fields = [...index.fields, ...(index.coveringFields ?? []), ...(index.where ? [index.where.field] : [])];
    for (const field of fields) {
      if (!has(shape, field)) {
        throw new ConfigurationError(`Index ${index.name ? `"${index.name}" ` : ""}on ${index.entity} kind "${index.kind}" names undeclared field "${field}".`, {
          kind: index.kind,
          entity: index.entity,
          field,
          ...(index.name === undefined ? {} : { indexName: index.name }),
        });
      }
    }
  }
}

/** The extension as stored in `schema_doc.extension`: the default format version is left out. */
export function canonicalGraphExtension(doc: GraphExtension | undefined): GraphExtension | undefined {
  if (doc === undefined || doc.version !== LEGACY_GRAPH_EXTENSION_VERSION) return doc;
  const { version: _v, ...rest } = doc;
  return rest;
}

/**
 * The graph as a stored schema document describes it: the compile-time graph plus the
 * document's graph extension and deprecation set. What createStoreWithSchema and
 * getSchemaChanges diff against, so runtime kinds never read as removals.
 */
export function withStoredExtension<G extends GraphDef>(
  graph: G,
  stored: { extension?: GraphExtension; deprecatedKinds?: readonly string[] },
): ExtendedGraphDef<G> {
  const base = stripGraphExtension(graph);
  const merged = stored.extension === undefined ? base : mergeGraphExtension(base, stored.extension);
  const names = stored.deprecatedKinds ?? [];
  if (names.length === 0) return merged as ExtendedGraphDef<G>;
  return Object.freeze({ ...(merged as GraphDef), deprecatedKinds: new Set(names) }) as unknown as ExtendedGraphDef<G>;
}
