// Ontology: meta-edges (type-level relations between kinds), the relation
// factories, and the closures derived from them. The closures are computed in
// the same iteration order the original uses, because they are persisted in the
// schema document and take part in its hash.

import { ConfigurationError } from "./errors.js";

export const META_EDGE_BRAND = "__metaEdge" as const;

export type InferenceType = "subsumption" | "hierarchy" | "substitution" | "constraint" | "composition" | "association" | "none";

export type MetaEdgeProperties = Readonly<{
  transitive: boolean;
  symmetric: boolean;
  reflexive: boolean;
  inverse: string | undefined;
  inference: InferenceType;
  description: string | undefined;
}>;

export type MetaEdge<K extends string = string> = Readonly<{
  [META_EDGE_BRAND]: true;
  name: K;
  properties: MetaEdgeProperties;
}>;

export type MetaEdgeOptions = Readonly<{
  transitive?: boolean;
  symmetric?: boolean;
  reflexive?: boolean;
  inverse?: string;
  inference?: InferenceType;
  description?: string;
}>;

/** Anything with a `kind` name (node and edge types), or an external IRI string. */
type KindLike = { readonly kind: string } | string;

export type OntologyRelation = Readonly<{
  metaEdge: MetaEdge;
  from: KindLike;
  to: KindLike;
}>;

export const META_EDGE_SUB_CLASS_OF = "subClassOf" as const;
export const META_EDGE_BROADER = "broader" as const;
export const META_EDGE_NARROWER = "narrower" as const;
export const META_EDGE_RELATED_TO = "relatedTo" as const;
export const META_EDGE_EQUIVALENT_TO = "equivalentTo" as const;
export const META_EDGE_SAME_AS = "sameAs" as const;
export const META_EDGE_DIFFERENT_FROM = "differentFrom" as const;
export const META_EDGE_DISJOINT_WITH = "disjointWith" as const;
export const META_EDGE_PART_OF = "partOf" as const;
export const META_EDGE_HAS_PART = "hasPart" as const;
export const META_EDGE_INVERSE_OF = "inverseOf" as const;
export const META_EDGE_IMPLIES = "implies" as const;

export const ALL_META_EDGE_NAMES = [
  META_EDGE_SUB_CLASS_OF,
  META_EDGE_BROADER,
  META_EDGE_NARROWER,
  META_EDGE_RELATED_TO,
  META_EDGE_EQUIVALENT_TO,
  META_EDGE_SAME_AS,
  META_EDGE_DIFFERENT_FROM,
  META_EDGE_DISJOINT_WITH,
  META_EDGE_PART_OF,
  META_EDGE_HAS_PART,
  META_EDGE_INVERSE_OF,
  META_EDGE_IMPLIES,
] as const;
export type MetaEdgeName = (typeof ALL_META_EDGE_NAMES)[number];

/** A custom meta-edge. Its properties are recorded in the schema document; only the built-ins act at run time. */
export function metaEdge<K extends string>(name: K, options: MetaEdgeOptions = {}): MetaEdge<K> {
  return Object.freeze({
    [META_EDGE_BRAND]: true as const,
    name,
    properties: Object.freeze({
      transitive: options.transitive ?? false,
      symmetric: options.symmetric ?? false,
      reflexive: options.reflexive ?? false,
      inverse: options.inverse,
      inference: options.inference ?? "none",
      description: options.description,
    }),
  });
}

export function isMetaEdge(value: unknown): value is MetaEdge {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[META_EDGE_BRAND] === true;
}

/** The name of a kind, or the IRI itself. */
export function getTypeName(typeOrIri: KindLike): string {
  return typeof typeOrIri === "string" ? typeOrIri : typeOrIri.kind;
}

const builtins = {
  subClassOf: metaEdge(META_EDGE_SUB_CLASS_OF, { transitive: true, inference: "subsumption", description: "Type inheritance (Podcast subClassOf Media)" }),
  broader: metaEdge(META_EDGE_BROADER, { transitive: true, inverse: META_EDGE_NARROWER, inference: "hierarchy", description: "Broader concept (ML broader AI)" }),
  narrower: metaEdge(META_EDGE_NARROWER, { transitive: true, inverse: META_EDGE_BROADER, inference: "hierarchy", description: "Narrower concept (AI narrower ML)" }),
  relatedTo: metaEdge(META_EDGE_RELATED_TO, { symmetric: true, inference: "association", description: "Non-hierarchical association" }),
  equivalentTo: metaEdge(META_EDGE_EQUIVALENT_TO, { symmetric: true, transitive: true, inference: "substitution", description: "Same class, different representation" }),
  sameAs: metaEdge(META_EDGE_SAME_AS, { symmetric: true, transitive: true, inference: "substitution", description: "Deprecated type-level equivalence alias" }),
  differentFrom: metaEdge(META_EDGE_DIFFERENT_FROM, { symmetric: true, inference: "constraint", description: "Deprecated decorative type-level non-identity relation" }),
  disjointWith: metaEdge(META_EDGE_DISJOINT_WITH, { symmetric: true, inference: "constraint", description: "Mutually exclusive types" }),
  partOf: metaEdge(META_EDGE_PART_OF, { transitive: true, inverse: META_EDGE_HAS_PART, inference: "composition", description: "X is part of Y" }),
  hasPart: metaEdge(META_EDGE_HAS_PART, { transitive: true, inverse: META_EDGE_PART_OF, inference: "composition", description: "Y has part X" }),
  inverseOf: metaEdge(META_EDGE_INVERSE_OF, { symmetric: true, inference: "none", description: "Edge A is inverse of edge B" }),
  implies: metaEdge(META_EDGE_IMPLIES, { transitive: true, inference: "none", description: "Edge A implies edge B exists" }),
};

/** The built-in meta-edge of a name, for relations written with a bare string. */
export function builtinMetaEdge(name: string): MetaEdge | undefined {
  return Object.prototype.hasOwnProperty.call(builtins, name) ? builtins[name as keyof typeof builtins] : undefined;
}

const rel = (m: MetaEdge, from: KindLike, to: KindLike): OntologyRelation => ({ metaEdge: m, from, to });

/** `child` is a subclass of `parent`: queries on `parent` with `includeSubClasses` see `child` nodes. */
export const subClassOf = (child: KindLike, parent: KindLike): OntologyRelation => rel(builtins.subClassOf, child, parent);
export const broader = (narrowerConcept: KindLike, broaderConcept: KindLike): OntologyRelation => rel(builtins.broader, narrowerConcept, broaderConcept);
export const narrower = (broaderConcept: KindLike, narrowerConcept: KindLike): OntologyRelation => rel(builtins.narrower, broaderConcept, narrowerConcept);
export const relatedTo = (a: KindLike, b: KindLike): OntologyRelation => rel(builtins.relatedTo, a, b);
export const equivalentTo = (a: KindLike, bOrIri: KindLike): OntologyRelation => rel(builtins.equivalentTo, a, bOrIri);
/** @deprecated type-level alias of `equivalentTo`. */
export const sameAs = (a: KindLike, bOrIri: KindLike): OntologyRelation => rel(builtins.sameAs, a, bOrIri);
/** @deprecated decorative type-level relation. */
export const differentFrom = (a: KindLike, b: KindLike): OntologyRelation => rel(builtins.differentFrom, a, b);
/** No node id may live in both kinds at once (`DisjointError`). */
export const disjointWith = (a: KindLike, b: KindLike): OntologyRelation => rel(builtins.disjointWith, a, b);
export const partOf = (part: KindLike, whole: KindLike): OntologyRelation => rel(builtins.partOf, part, whole);
export const hasPart = (whole: KindLike, part: KindLike): OntologyRelation => rel(builtins.hasPart, whole, part);
/** Traversing `a` equals traversing `b` backwards. */
export const inverseOf = (a: KindLike, b: KindLike): OntologyRelation => rel(builtins.inverseOf, a, b);
/** An `a` edge implies a `b` edge between the same nodes. */
export const implies = (a: KindLike, b: KindLike): OntologyRelation => rel(builtins.implies, a, b);

export const core = Object.freeze({
  subClassOfMetaEdge: builtins.subClassOf,
  broaderMetaEdge: builtins.broader,
  narrowerMetaEdge: builtins.narrower,
  relatedToMetaEdge: builtins.relatedTo,
  equivalentToMetaEdge: builtins.equivalentTo,
  sameAsMetaEdge: builtins.sameAs,
  differentFromMetaEdge: builtins.differentFrom,
  disjointWithMetaEdge: builtins.disjointWith,
  partOfMetaEdge: builtins.partOf,
  hasPartMetaEdge: builtins.hasPart,
  inverseOfMetaEdge: builtins.inverseOf,
  impliesMetaEdge: builtins.implies,
  subClassOf,
  broader,
  narrower,
  relatedTo,
  equivalentTo,
  sameAs,
  differentFrom,
  disjointWith,
  partOf,
  hasPart,
  inverseOf,
  implies,
});

// ---- closures -----------------------------------------------------------------

/**
 * Every `to` reachable from each `from` over the given pairs. Every name that
 * appears gets an entry (possibly empty); iteration follows first appearance.
 */
export function computeTransitiveClosure(relations: readonly (readonly [string, string])[]): ReadonlyMap<string, ReadonlySet<string>> {
  const reach = new Map<string, Set<string>>();
  for (const [a, b] of relations) {
    if (!reach.has(a)) reach.set(a, new Set());
    if (!reach.has(b)) reach.set(b, new Set());
  }
  for (const [a, b] of relations) reach.get(a)!.add(b);
  const names = [...reach.keys()];
  // Warshall: allow each name in turn as an intermediate step.
  for (const via of names) {
    const onward = reach.get(via)!;
    for (const src of names) {
      const set = reach.get(src)!;
      if (!set.has(via)) continue;
      for (const t of onward) set.add(t);
    }
  }
  return reach;
}

/** `A → {B, C}` becomes `B → {A}`, `C → {A}`. */
export function invertClosure(closure: ReadonlyMap<string, ReadonlySet<string>>): ReadonlyMap<string, ReadonlySet<string>> {
  const out = new Map<string, Set<string>>();
  for (const [from, tos] of closure) {
    for (const to of tos) {
      let s = out.get(to);
      if (!s) out.set(to, (s = new Set()));
      s.add(from);
    }
  }
  return out;
}

export function isReachable(closure: ReadonlyMap<string, ReadonlySet<string>>, source: string, target: string): boolean {
  return closure.get(source)?.has(target) ?? false;
}

export interface NamedRelation {
  metaEdge: string;
  from: string;
  to: string;
}

export function isExternalIri(v: string): boolean {
  return v.startsWith("http://") || v.startsWith("https://");
}

/** Each name in an equivalence class → the other members, in first-appearance order. */
function equivalenceClasses(pairs: readonly (readonly [string, string])[]): Map<string, string[]> {
  const parent = new Map<string, string>();
  const size = new Map<string, number>();
  const find = (x: string): string => {
    if (!parent.has(x)) {
      parent.set(x, x);
      size.set(x, 1);
      return x;
    }
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    for (let c = x; c !== r; ) {
      const next = parent.get(c)!;
      parent.set(c, r);
      c = next;
    }
    return r;
  };
  for (const [a, b] of pairs) {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) continue;
    const [big, small] = size.get(ra)! >= size.get(rb)! ? [ra, rb] : [rb, ra];
    parent.set(small, big);
    size.set(big, size.get(ra)! + size.get(rb)!);
  }
  const groups = new Map<string, string[]>();
  for (const k of parent.keys()) {
    const r = find(k);
    let g = groups.get(r);
    if (!g) groups.set(r, (g = []));
    g.push(k);
  }
  const out = new Map<string, string[]>();
  for (const g of groups.values()) for (const m of g) out.set(m, g.filter((x) => x !== m));
  return out;
}

const PAIR_SEP = "|";
const ENCODED_PAIR = "\u001Epair\u001E";

/** One label per unordered pair of kinds (as the schema document stores it). */
export function disjointPairLabel(a: string, b: string): string {
  const [x, y] = a < b ? [a, b] : [b, a];
  if (!x.includes(PAIR_SEP) && !y.includes(PAIR_SEP)) return `${x}${PAIR_SEP}${y}`;
  return `${ENCODED_PAIR}${x.length}:${x}${y.length}:${y}`;
}

/** A disjoint side widened to its subclasses and equivalents (IRIs excluded). */
function widenDisjointSide(kind: string, descendants: ReadonlyMap<string, ReadonlySet<string>>, equivalents: Map<string, string[]>): string[] {
  const out = new Set<string>();
  const usedClasses = new Set<string>();
  const stack = [kind];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    if (out.has(cur) || isExternalIri(cur)) continue;
    out.add(cur);
    if (!usedClasses.has(cur)) {
      usedClasses.add(cur);
      for (const e of equivalents.get(cur) ?? []) {
        usedClasses.add(e);
        stack.push(e);
      }
    }
    for (const d of descendants.get(cur) ?? []) stack.push(d);
  }
  return [...out];
}

export interface OntologyClosures {
  subClassAncestors: ReadonlyMap<string, ReadonlySet<string>>;
  subClassDescendants: ReadonlyMap<string, ReadonlySet<string>>;
  broaderClosure: ReadonlyMap<string, ReadonlySet<string>>;
  narrowerClosure: ReadonlyMap<string, ReadonlySet<string>>;
  equivalenceSets: ReadonlyMap<string, readonly string[]>;
  disjointPairs: readonly string[];
  /** The pairs themselves (for the engine's create-time check). */
  disjointKindPairs: readonly (readonly [string, string])[];
  partOfClosure: ReadonlyMap<string, ReadonlySet<string>>;
  hasPartClosure: ReadonlyMap<string, ReadonlySet<string>>;
  iriToKind: ReadonlyMap<string, string>;
  edgeInverses: ReadonlyMap<string, string>;
  edgeImplicationsClosure: ReadonlyMap<string, ReadonlySet<string>>;
  edgeImplyingClosure: ReadonlyMap<string, ReadonlySet<string>>;
}

function split(relations: readonly NamedRelation[]) {
  const g = { sub: [] as [string, string][], broader: [] as [string, string][], eq: [] as [string, string][], disjoint: [] as [string, string][], partOf: [] as [string, string][], inverse: [] as [string, string][], implies: [] as [string, string][] };
  for (const { metaEdge: m, from, to } of relations) {
    if (m === META_EDGE_SUB_CLASS_OF) g.sub.push([from, to]);
    else if (m === META_EDGE_BROADER) g.broader.push([from, to]);
    else if (m === META_EDGE_NARROWER) g.broader.push([to, from]);
    else if (m === META_EDGE_EQUIVALENT_TO || m === META_EDGE_SAME_AS) g.eq.push([from, to]);
    else if (m === META_EDGE_DISJOINT_WITH) g.disjoint.push([from, to]);
    else if (m === META_EDGE_PART_OF) g.partOf.push([from, to]);
    else if (m === META_EDGE_HAS_PART) g.partOf.push([to, from]);
    else if (m === META_EDGE_INVERSE_OF) g.inverse.push([from, to]);
    else if (m === META_EDGE_IMPLIES) g.implies.push([from, to]);
  }
  return g;
}

export function computeOntologyClosures(relations: readonly NamedRelation[]): OntologyClosures {
  const g = split(relations);
  const subClassAncestors = computeTransitiveClosure(g.sub);
  const subClassDescendants = invertClosure(subClassAncestors);
  const equivalenceSets = equivalenceClasses(g.eq);
  const broaderClosure = computeTransitiveClosure(g.broader);
  const iriToKind = new Map<string, string>();
  for (const [a, b] of g.eq) {
    if (isExternalIri(a) && !isExternalIri(b)) iriToKind.set(a, b);
    else if (isExternalIri(b) && !isExternalIri(a)) iriToKind.set(b, a);
  }
  const labels = new Set<string>();
  const kindPairs: [string, string][] = [];
  for (const [a, b] of g.disjoint) {
    const left = widenDisjointSide(a, subClassDescendants, equivalenceSets);
    const right = widenDisjointSide(b, subClassDescendants, equivalenceSets);
    for (const l of left) {
      for (const r of right) {
        if (l === r) continue;
        const label = disjointPairLabel(l, r);
        if (!labels.has(label)) kindPairs.push([l, r]);
        labels.add(label);
      }
    }
  }
  const partOfClosure = computeTransitiveClosure(g.partOf);
  const edgeInverses = new Map<string, string>();
  for (const [a, b] of g.inverse) {
    edgeInverses.set(a, b);
    edgeInverses.set(b, a);
  }
  const edgeImplicationsClosure = computeTransitiveClosure(g.implies);
  return {
    subClassAncestors,
    subClassDescendants,
    broaderClosure,
    narrowerClosure: invertClosure(broaderClosure),
    equivalenceSets,
    disjointPairs: [...labels],
    disjointKindPairs: kindPairs,
    partOfClosure,
    hasPartClosure: invertClosure(partOfClosure),
    iriToKind,
    edgeInverses,
    edgeImplicationsClosure,
    edgeImplyingClosure: invertClosure(edgeImplicationsClosure),
  };
}

const closureCache = new WeakMap<object, OntologyClosures>();

/** Closures of a graph's ontology, computed once per graph definition. */
export function closuresOf(graph: { ontology: readonly unknown[] }): OntologyClosures {
  let c = closureCache.get(graph);
  if (!c) {
    c = computeOntologyClosures(namedRelations(graph.ontology));
    closureCache.set(graph, c);
  }
  return c;
}

/** Relations with their meta-edge and endpoints as names. */
export function namedRelations(ontology: readonly unknown[]): NamedRelation[] {
  return ontology.map((r) => {
    const x = r as { metaEdge: { name: string } | string; from: KindLike; to: KindLike };
    return { metaEdge: typeof x.metaEdge === "string" ? x.metaEdge : x.metaEdge.name, from: getTypeName(x.from), to: getTypeName(x.to) };
  });
}

/** `{ name: properties }` of every meta-edge the relations use (first use wins). */
export function serializedMetaEdges(ontology: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of ontology) {
    const m = (r as { metaEdge: MetaEdge | string }).metaEdge;
    const me = typeof m === "string" ? builtinMetaEdge(m) ?? metaEdge(m) : m;
    if (Object.prototype.hasOwnProperty.call(out, me.name)) continue;
    const p = me.properties;
    out[me.name] = {
      name: me.name,
      transitive: p.transitive,
      symmetric: p.symmetric,
      reflexive: p.reflexive,
      inverse: p.inverse,
      inference: p.inference,
      description: p.description,
    };
  }
  return out;
}

const toRecord = (m: ReadonlyMap<string, Iterable<string>>): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const [k, v] of m) out[k] = [...v];
  return out;
};

/** The `closures` object of the schema document. */
export function serializedClosures(c: OntologyClosures): Record<string, unknown> {
  return {
    subClassAncestors: toRecord(c.subClassAncestors),
    subClassDescendants: toRecord(c.subClassDescendants),
    broaderClosure: toRecord(c.broaderClosure),
    narrowerClosure: toRecord(c.narrowerClosure),
    equivalenceSets: toRecord(c.equivalenceSets),
    disjointPairs: [...c.disjointPairs],
    partOfClosure: toRecord(c.partOfClosure),
    hasPartClosure: toRecord(c.hasPartClosure),
    iriToKind: Object.fromEntries(c.iriToKind),
    edgeInverses: Object.fromEntries(c.edgeInverses),
    edgeImplicationsClosure: toRecord(c.edgeImplicationsClosure),
    edgeImplyingClosure: toRecord(c.edgeImplyingClosure),
  };
}

// ---- coherence ------------------------------------------------------------------

const HIERARCHICAL: Record<string, { canonical: string; flip: boolean }> = {
  subClassOf: { canonical: "subClassOf", flip: false },
  broader: { canonical: "broader", flip: false },
  narrower: { canonical: "broader", flip: true },
  partOf: { canonical: "partOf", flip: false },
  hasPart: { canonical: "partOf", flip: true },
};

interface Issue {
  relationIndex?: number;
  message: string;
  code: string;
  details: Record<string, unknown>;
}

/** Duplicate relations, hierarchical self-loops and cycles, disjoint contradictions, several inverse partners. */
export function ontologyIssues(relations: readonly NamedRelation[]): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  relations.forEach((r, i) => {
    if (r.from === r.to) {
      if (Object.prototype.hasOwnProperty.call(HIERARCHICAL, r.metaEdge)) {
        issues.push({ relationIndex: i, code: "ONTOLOGY_SELF_LOOP", message: `Hierarchical meta-edge "${r.metaEdge}" cannot be a self-loop ("${r.from}" → "${r.to}").`, details: { metaEdge: r.metaEdge, kind: r.from } });
      } else if (r.metaEdge === META_EDGE_DISJOINT_WITH) {
        issues.push({ relationIndex: i, code: "ONTOLOGY_DISJOINT_CONFLICT", message: `Contradiction: kind "${r.from}" cannot be declared disjointWith itself.`, details: { from: r.from, to: r.to } });
      }
    }
    const key = `${r.metaEdge}::${r.from}->${r.to}`;
    if (seen.has(key)) {
      issues.push({ relationIndex: i, code: "DUPLICATE_ONTOLOGY_RELATION", message: `Duplicate ontology relation "${r.metaEdge}" (${r.from} → ${r.to}).`, details: { ...r } });
    }
    seen.add(key);
  });
  // Cycles per canonical hierarchy.
  const groups = new Map<string, { from: string; to: string; index: number }[]>();
  relations.forEach((r, i) => {
    const h = HIERARCHICAL[r.metaEdge];
    if (!h || r.from === r.to) return;
    const e = h.flip ? { from: r.to, to: r.from, index: i } : { from: r.from, to: r.to, index: i };
    groups.set(h.canonical, [...(groups.get(h.canonical) ?? []), e]);
  });
  for (const [name, edges] of groups) {
    const reach = computeTransitiveClosure(edges.map((e) => [e.from, e.to] as const));
    for (const [k, set] of reach) {
      if (!set.has(k)) continue;
      const at = edges.find((e) => e.from === k);
      issues.push({ ...(at ? { relationIndex: at.index } : {}), code: "ONTOLOGY_CYCLE", message: `Cycle detected in "${name}" relations involving "${k}".`, details: { metaEdge: name, kind: k } });
    }
  }
  // Disjoint sides must not overlap once widened.
  const g = split(relations);
  if (g.disjoint.length > 0) {
    const desc = invertClosure(computeTransitiveClosure(g.sub));
    const eq = equivalenceClasses(g.eq);
    relations.forEach((r, i) => {
      if (r.metaEdge !== META_EDGE_DISJOINT_WITH || r.from === r.to) return;
      const right = new Set(widenDisjointSide(r.to, desc, eq));
      const overlap = widenDisjointSide(r.from, desc, eq)
        .filter((k) => right.has(k))
        .sort()[0];
      if (overlap !== undefined) {
        issues.push({ relationIndex: i, code: "ONTOLOGY_DISJOINT_CONFLICT", message: `Contradiction: the propagated disjointWith sides "${r.from}" and "${r.to}" both contain kind "${overlap}".`, details: { kind: overlap, from: r.from, to: r.to } });
      }
    });
  }
  // One inverse partner per edge kind.
  const partner = new Map<string, string>();
  const record = (k: string, p: string, i: number) => {
    const had = partner.get(k);
    if (had === undefined) partner.set(k, p);
    else if (had !== p) {
      issues.push({ relationIndex: i, code: "ONTOLOGY_INVERSE_MULTIPLE_PARTNERS", message: `Edge kind "${k}" has multiple distinct inverseOf partners ("${had}" and "${p}").`, details: { edgeKind: k, existingPartner: had, conflictingPartner: p } });
    }
  };
  relations.forEach((r, i) => {
    if (r.metaEdge !== META_EDGE_INVERSE_OF) return;
    record(r.from, r.to, i);
    if (r.from !== r.to) record(r.to, r.from, i);
  });
  return issues;
}

interface EndpointGraph {
  ontology: readonly unknown[];
  edges: Record<string, { from: readonly { kind: string }[]; to: readonly { kind: string }[] }>;
}

/** Throws `ConfigurationError` for an incoherent ontology or endpoint-incompatible implies/inverseOf relations. */
export function validateOntology(graph: EndpointGraph): void {
  if (graph.ontology.length === 0) return;
  const relations = namedRelations(graph.ontology);
  const issues = ontologyIssues(relations);
  if (issues.length > 0) {
    throw new ConfigurationError(`Ontology is incoherent: ${issues[0]!.message}`, { code: issues[0]!.code, issues }, {
      suggestion: "Correct the ontology relations before constructing or loading the graph registry.",
    });
  }
  const c = closuresOf(graph);
  const assignable = (k: string, targets: readonly string[]) => targets.some((t) => t === k || isReachable(c.subClassAncestors, k, t));
  const ends = (e: string) => {
    const reg = graph.edges[e];
    return reg ? { from: reg.from.map((n) => n.kind), to: reg.to.map((n) => n.kind) } : undefined;
  };
  for (const implied of Object.keys(graph.edges)) {
    const target = ends(implied)!;
    for (const implying of c.edgeImplyingClosure.get(implied) ?? []) {
      const src = ends(implying);
      if (!src || implying === implied) continue;
      for (const side of ["from", "to"] as const) {
        const bad = src[side].filter((k) => !assignable(k, target[side]));
        if (bad.length === 0) continue;
        throw new ConfigurationError(
          `implies("${implying}", "${implied}") is endpoint-incompatible: ${side} kind(s) [${bad.join(", ")}] declared on "${implying}" cannot be assigned to any of "${implied}"'s ${side} kind(s) [${target[side].join(", ")}].`,
          { metaEdge: META_EDGE_IMPLIES, implyingEdge: implying, impliedEdge: implied, endpoint: side, incompatibleKinds: bad, allowedKinds: target[side] },
          { suggestion: `Add subClassOf relations, narrow "${implying}"'s ${side} declaration, or remove implies("${implying}", "${implied}").` },
        );
      }
    }
  }
  for (const r of relations) {
    if (r.metaEdge !== META_EDGE_INVERSE_OF) continue;
    const left = ends(r.from);
    const right = ends(r.to);
    if (!left || !right) continue;
    const check = (src: string, srcSide: "from" | "to", srcKinds: string[], inv: string, invSide: "from" | "to", invKinds: string[]) => {
      const bad = srcKinds.filter((k) => !assignable(k, invKinds));
      if (bad.length === 0) return;
      throw new ConfigurationError(
        `inverseOf("${src}", "${inv}") is endpoint-incompatible: ${srcSide} kind(s) [${bad.join(", ")}] declared on "${src}" cannot be assigned to any of "${inv}"'s ${invSide} kind(s) [${invKinds.join(", ")}].`,
        { metaEdge: META_EDGE_INVERSE_OF, sourceEdge: src, inverseEdge: inv, sourceEndpoint: srcSide, inverseEndpoint: invSide, incompatibleKinds: bad, allowedKinds: invKinds },
        { suggestion: "Make the inverse edge declarations exact reversals (allowing subClassOf assignability), or remove the inverseOf relation." },
      );
    };
    check(r.from, "from", left.from, r.to, "to", right.to);
    check(r.from, "to", left.to, r.to, "from", right.from);
    if (r.from === r.to) continue;
    check(r.to, "from", right.from, r.from, "to", left.to);
    check(r.to, "to", right.to, r.from, "from", left.from);
  }
}
