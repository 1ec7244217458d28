// `store.search`: fulltext, vector and hybrid search over the side tables the engine
// keeps in step with every node write. Each call is one crossing; ranking, fusion and
// hydration happen in the engine.

import type { z } from "zod";
import type { GraphDef, NodeType } from "./core.js";
import { RESULT_PARTS } from "./backend.js";
import { KindNotFoundError, ValidationError } from "./errors.js";
import { entityAccessor, type FieldAccessor, type Predicate } from "./predicates.js";
import type { Node } from "./store.js";

export type FulltextQueryMode = "websearch" | "phrase" | "plain" | "raw";
export type VectorMetric = "cosine" | "l2" | "inner_product";

type WhereFn<N extends NodeType> = (n: Record<keyof z.output<N["schema"]> | "id" | "kind", FieldAccessor>) => Predicate;

export interface SearchScopeOptions<N extends NodeType = NodeType> {
  where?: WhereFn<N>;
  offset?: number;
  includeSubClasses?: boolean;
}

export interface FulltextSearchOptions<N extends NodeType = NodeType> extends SearchScopeOptions<N> {
  query: string;
  limit: number;
  mode?: FulltextQueryMode;
  language?: string;
  minScore?: number;
  includeSnippets?: boolean;
}

export interface VectorSearchOptions<N extends NodeType = NodeType> extends SearchScopeOptions<N> {
  fieldPath: string;
  queryEmbedding: readonly number[];
  limit: number;
  metric?: VectorMetric;
  minScore?: number;
  efSearch?: number;
}

export interface HybridVectorOptions {
  fieldPath: string;
  queryEmbedding: readonly number[];
  metric?: VectorMetric;
  k?: number;
  minScore?: number;
  efSearch?: number;
}

export interface HybridFulltextOptions {
  query: string;
  k?: number;
  mode?: FulltextQueryMode;
  language?: string;
  minScore?: number;
  includeSnippets?: boolean;
}

export interface HybridFusionOptions {
  method?: "rrf";
  k?: number;
  weights?: { vector?: number; fulltext?: number };
}

export interface HybridSearchOptions<N extends NodeType = NodeType> extends SearchScopeOptions<N> {
  limit: number;
  vector: HybridVectorOptions;
  fulltext: HybridFulltextOptions;
  fusion?: HybridFusionOptions;
}

export interface FulltextSearchHit<N extends NodeType = NodeType> {
  node: Node<N>;
  score: number;
  rank: number;
  snippet?: string;
}
export interface VectorSearchHit<N extends NodeType = NodeType> {
  node: Node<N>;
  score: number;
  rank: number;
}
export interface HybridSearchHit<N extends NodeType = NodeType> {
  node: Node<N>;
  score: number;
  rank: number;
  vector?: VectorSearchHit<N>;
  fulltext?: FulltextSearchHit<N>;
}

export interface RebuildFulltextOptions {
  pageSize?: number;
  maxSkippedIds?: number;
}
export interface RebuildFulltextResult {
  kinds: string[];
  processed: number;
  upserted: number;
  cleared: number;
  skipped: number;
  skippedIds: string[];
  skippedTruncated: boolean;
}

type Kinds<G extends GraphDef> = keyof G["nodes"] & string;
type TypeOf<G extends GraphDef, K extends Kinds<G>> = G["nodes"][K]["type"];

interface RawHit {
  row: unknown;
  score: number;
  rank: number;
  snippet?: string;
  vector?: { score: number; rank: number };
  fulltext?: { score: number; rank: number; snippet?: string };
  /** Embedding fields sent as raw JSON text after the result: field → index of its part
   *  (see `withLazyFields`). */
  lazy?: Record<string, number>;
}

/** The raw JSON texts a search result carries after its JSON (embedding values). */
function partsOf(raw: unknown): readonly string[] {
  return (raw as { [RESULT_PARTS]?: string[] })[RESULT_PARTS] ?? [];
}

/**
 * A hit's embedding values arrive as raw JSON text (a part of the result, never escaped or
 * copied into the result's JSON) and become the node's property through a getter that
 * parses them on first read (then caches; assignment replaces it with a plain value).
 * Search callers rarely read the vectors, and parsing thousands of numbers per hit was most
 * of a search's cost. The property keeps its place and stays enumerable, so spreading,
 * `JSON.stringify` and equality checks see the same node.
 */
function withLazyFields(node: Node, lazy: Record<string, number> | undefined, parts: readonly string[]): Node {
  if (!lazy) return node;
  for (const [key, index] of Object.entries(lazy)) {
    let text: string | undefined = parts[index];
    let parsed: unknown;
    let done = false;
    Object.defineProperty(node, key, {
      enumerable: true,
      configurable: true,
      get() {
        if (!done) {
          parsed = JSON.parse(text as string);
          done = true;
          text = undefined;
        }
        return parsed;
      },
      set(value: unknown) {
        Object.defineProperty(node, key, { value, writable: true, enumerable: true, configurable: true });
      },
    });
  }
  return node;
}

function positiveInt(v: unknown, label: string): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    throw new RangeError(`${label} must be a positive integer, got: ${String(v)}`);
  }
}
/** `minScore` must be a finite number (JSON would turn NaN into "no threshold"). */
function finiteOk(v: unknown, label: string): void {
  if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v))) {
    throw new RangeError(`${label} must be a finite number, got: ${String(v)}`);
  }
}
/** `efSearch`: a positive integer up to 1000 (pgvector's `hnsw.ef_search` range). */
function efSearchOk(v: unknown, label: string): void {
  if (v === undefined) return;
  positiveInt(v, label);
  if ((v as number) > 1000) throw new RangeError(`${label} must be at most 1000, got: ${String(v)}`);
}
function rebuildIntOk(v: unknown, path: string, min: number): void {
  if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v) || v < min)) {
    const what = min > 0 ? "a positive integer" : "a non-negative integer";
    throw new ValidationError(`${path} must be ${what}, got: ${String(v)}`, { issues: [{ path, message: `Must be ${what}.` }] });
  }
}
function offsetOk(v: unknown, label: string): void {
  if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v) || v < 0)) {
    throw new RangeError(`${label} must be a non-negative integer, got: ${String(v)}`);
  }
}

export class StoreSearch<G extends GraphDef = GraphDef> {
  readonly #graph: G;
  readonly #call: (op: string, args: unknown) => Promise<unknown>;
  readonly #toNode: (row: unknown) => Node;

  /** @internal */
  constructor(graph: G, call: (op: string, args: unknown) => Promise<unknown>, toNode: (row: unknown) => Node) {
    this.#graph = graph;
    this.#call = call;
    this.#toNode = toNode;
  }

  #where(kind: string, where: unknown): unknown {
    const reg = this.#graph.nodes[kind];
    if (!reg) throw new KindNotFoundError(kind, "node", { graphId: this.#graph.id });
    if (typeof where !== "function") return undefined;
    const shape = (reg.type.schema as unknown as { shape: Record<string, unknown> }).shape;
    return (where as (a: unknown) => Predicate)(entityAccessor(shape as never, ["id", "kind"])).ast;
  }

  #embedding(q: readonly number[], label: string): void {
    if (!Array.isArray(q)) throw new TypeError(`${label}.queryEmbedding must be an array of numbers`);
  }

  /** Fulltext search over the kind's `searchable()` fields, best first. */
  async fulltext<K extends Kinds<G>>(kind: K, options: FulltextSearchOptions<TypeOf<G, K>>): Promise<FulltextSearchHit<TypeOf<G, K>>[]> {
    const where = this.#where(kind, options.where);
    positiveInt(options.limit, "fulltextSearch.limit");
    offsetOk(options.offset, "fulltextSearch.offset");
    finiteOk(options.minScore, "fulltextSearch.minScore");
    const raw = (await this.#call("searchFulltext", {
      kind,
      query: options.query,
      limit: options.limit,
      offset: options.offset,
      mode: options.mode,
      language: options.language,
      minScore: options.minScore,
      includeSnippets: options.includeSnippets === true,
      where,
      includeSubClasses: options.includeSubClasses === true,
    })) as RawHit[];
    const parts = partsOf(raw);
    return raw.map((h) => {
      const hit: FulltextSearchHit = { node: withLazyFields(this.#toNode(h.row), h.lazy, parts), score: h.score, rank: h.rank };
      if (h.snippet !== undefined) hit.snippet = h.snippet;
      return hit as FulltextSearchHit<TypeOf<G, K>>;
    });
  }

  /** Nearest neighbours on an `embedding()` field (exact on SQLite), best first. */
  async vector<K extends Kinds<G>>(kind: K, options: VectorSearchOptions<TypeOf<G, K>>): Promise<VectorSearchHit<TypeOf<G, K>>[]> {
    const where = this.#where(kind, options.where);
    positiveInt(options.limit, "vectorSearch.limit");
    offsetOk(options.offset, "vectorSearch.offset");
    efSearchOk(options.efSearch, "vectorSearch.efSearch");
    finiteOk(options.minScore, "vectorSearch.minScore");
    this.#embedding(options.queryEmbedding, "vectorSearch");
    const raw = (await this.#call("searchVector", {
      kind,
      fieldPath: options.fieldPath,
      queryEmbedding: options.queryEmbedding,
      limit: options.limit,
      offset: options.offset,
      metric: options.metric,
      minScore: options.minScore,
      efSearch: options.efSearch,
      where,
      includeSubClasses: options.includeSubClasses === true,
    })) as RawHit[];
    const parts = partsOf(raw);
    return raw.map((h) => ({ node: withLazyFields(this.#toNode(h.row), h.lazy, parts), score: h.score, rank: h.rank }) as VectorSearchHit<TypeOf<G, K>>);
  }

  /** Vector and fulltext results fused with reciprocal rank fusion; each hit carries its sub-hits. */
  async hybrid<K extends Kinds<G>>(kind: K, options: HybridSearchOptions<TypeOf<G, K>>): Promise<HybridSearchHit<TypeOf<G, K>>[]> {
    const where = this.#where(kind, options.where);
    positiveInt(options.limit, "hybridSearch.limit");
    offsetOk(options.offset, "hybridSearch.offset");
    efSearchOk(options.vector.efSearch, "hybridSearch.vector.efSearch");
    finiteOk(options.vector.minScore, "hybridSearch.vector.minScore");
    finiteOk(options.fulltext.minScore, "hybridSearch.fulltext.minScore");
    this.#embedding(options.vector.queryEmbedding, "hybridSearch.vector");
    const raw = (await this.#call("searchHybrid", {
      kind,
      limit: options.limit,
      offset: options.offset,
      vector: options.vector,
      fulltext: { ...options.fulltext, includeSnippets: options.fulltext.includeSnippets === true },
      fusion: options.fusion,
      where,
      includeSubClasses: options.includeSubClasses === true,
    })) as RawHit[];
    const parts = partsOf(raw);
    return raw.map((h) => {
      const node = withLazyFields(this.#toNode(h.row), h.lazy, parts);
      const hit: HybridSearchHit = { node, score: h.score, rank: h.rank };
      if (h.vector) hit.vector = { node, score: h.vector.score, rank: h.vector.rank };
      if (h.fulltext) {
        hit.fulltext = { node, score: h.fulltext.score, rank: h.fulltext.rank };
        if (h.fulltext.snippet !== undefined) hit.fulltext.snippet = h.fulltext.snippet;
      }
      return hit as HybridSearchHit<TypeOf<G, K>>;
    });
  }

  /** Rewrites the fulltext documents of one kind (or all kinds) from the stored props. */
  async rebuildFulltext(kind?: Kinds<G>, options: RebuildFulltextOptions = {}): Promise<RebuildFulltextResult> {
    if (kind !== undefined && !this.#graph.nodes[kind]) throw new KindNotFoundError(kind, "node", { graphId: this.#graph.id });
    rebuildIntOk(options.pageSize, "pageSize", 1);
    rebuildIntOk(options.maxSkippedIds, "maxSkippedIds", 0);
    return (await this.#call("rebuildFulltext", { kind, pageSize: options.pageSize, maxSkippedIds: options.maxSkippedIds })) as RebuildFulltextResult;
  }
}
