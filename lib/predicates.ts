// Field accessors for `find({ where })`: lambdas become a plain predicate AST
// that the engine compiles to SQL with parameters only.

import { UnsupportedPredicateError } from "./errors.js";
import { valueTypeOf } from "./schema.js";
import { unwrap } from "./core.js";

export type PredicateAst =
  | { type: "and"; preds: PredicateAst[] }
  | { type: "or"; preds: PredicateAst[] }
  | { type: "not"; pred: PredicateAst }
  | { type: "cmp"; field: FieldRefAst; op: string; value?: unknown; value2?: unknown }
  | { type: "similar"; field: FieldRefAst; embedding: readonly number[]; k: number; metric?: string; minScore?: number; approximate?: boolean }
  | { type: "fulltext"; query: string; k?: number; mode?: string; language?: string; minScore?: number };

/** Options of `field.similarTo(embedding, k, options)`. */
export interface SimilarToOptions {
  metric?: "cosine" | "l2" | "inner_product";
  minScore?: number;
  approximate?: boolean;
}

/** Options of `n.$fulltext.matches(query, k, options)`. */
export interface FulltextMatchOptions {
  mode?: "websearch" | "phrase" | "plain" | "raw";
  language?: string;
  minScore?: number;
}

function positiveK(k: unknown, what: string): void {
  if (typeof k !== "number" || !Number.isInteger(k) || k < 1) {
    throw new UnsupportedPredicateError(`${what}: k must be a positive finite number (a whole one), got ${String(k)}`, { k });
  }
}

/** `n.$fulltext`: the node's fulltext document (all its searchable() fields). */
export const fulltextAccessor = {
  matches(query: string, k?: number, options: FulltextMatchOptions = {}): Predicate {
    if (typeof query !== "string") throw new UnsupportedPredicateError("$fulltext.matches() takes a query string", {});
    if (k !== undefined) positiveK(k, "$fulltext.matches()");
    if (options.minScore !== undefined && !Number.isFinite(options.minScore)) {
      throw new UnsupportedPredicateError("$fulltext.matches(): minScore must be a finite number", { minScore: options.minScore });
    }
    return new Predicate({
      type: "fulltext",
      query,
      ...(k !== undefined ? { k } : {}),
      ...(options.mode !== undefined ? { mode: options.mode } : {}),
      ...(options.language !== undefined ? { language: options.language } : {}),
      ...(options.minScore !== undefined ? { minScore: options.minScore } : {}),
    });
  },
};

export interface FieldRefAst {
  system?: string;
  path: string[];
  valueType: string;
}

export class Predicate {
  /** @internal */ readonly ast: PredicateAst;
  constructor(ast: PredicateAst) {
    this.ast = ast;
  }
  and(other: Predicate): Predicate {
    return new Predicate({ type: "and", preds: [this.ast, other.ast] });
  }
  or(other: Predicate): Predicate {
    return new Predicate({ type: "or", preds: [this.ast, other.ast] });
  }
  not(): Predicate {
    return new Predicate({ type: "not", pred: this.ast });
  }
}

/** A named placeholder for `.prepare()`d queries: `p.name.eq(param("name"))`. */
export class ParameterRef<T = unknown> {
  readonly __type = "parameter" as const;
  readonly name: string;
  /** @internal phantom */ declare readonly __value?: T;
  constructor(name: string) {
    this.name = name;
  }
}

export function param<T = unknown>(name: string): ParameterRef<T> {
  if (typeof name !== "string" || name.length === 0) {
    throw new UnsupportedPredicateError("param() needs a non-empty name", { name });
  }
  return new ParameterRef<T>(name);
}

export function isParameterRef(value: unknown): value is ParameterRef {
  return value instanceof ParameterRef;
}

function toJsonValue(v: unknown): unknown {
  if (v instanceof ParameterRef) return v;
  return v instanceof Date ? v.toISOString() : v;
}

/** A JSON pointer (`"/a/b"` or `["a","b"]`) as segments; at most 5 deep. */
function pointerSegments(pointer: string | readonly (string | number)[]): string[] {
  let segs: string[];
  if (Array.isArray(pointer)) segs = pointer.map(String);
  else if (typeof pointer === "string") {
    if (pointer === "") segs = [];
    else if (!pointer.startsWith("/")) {
      throw new UnsupportedPredicateError(`Invalid JSON pointer "${pointer}": must start with "/"`, { pointer });
    } else segs = pointer.slice(1).split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  } else throw new UnsupportedPredicateError("A JSON pointer must be a string or an array of keys", {});
  if (segs.length > 5) throw new UnsupportedPredicateError(`JSON pointer "${String(pointer)}" is deeper than 5 levels`, { pointer: String(pointer) });
  return segs;
}

/** The operand of in()/notIn(): a whole-list param(), or literals (a param() among them is refused here, when the predicate is built). */
function listOperand(op: "in" | "notIn", values: readonly unknown[] | ParameterRef): unknown {
  if (values instanceof ParameterRef) return values;
  for (const v of values) {
    if (v instanceof ParameterRef) {
      throw new UnsupportedPredicateError(
        `param("${v.name}") is not supported as an element of the ${op}() list`,
        { parameterName: v.name },
        { suggestion: `Pass the list as one parameter: .${op}(param("${v.name}")), bound to an array at execute().` },
      );
    }
  }
  return values.map(toJsonValue);
}

export class FieldAccessor {
  /** @internal */ readonly ref: FieldRefAst;
  /** @internal */ readonly schema: unknown;
  constructor(ref: FieldRefAst, schema: unknown) {
    this.ref = ref;
    this.schema = schema;
  }
  #cmp(op: string, value?: unknown, value2?: unknown): Predicate {
    return new Predicate({ type: "cmp", field: this.ref, op, value: toJsonValue(value), value2: toJsonValue(value2) });
  }
  eq(v: unknown) { return this.#cmp("eq", v); }
  neq(v: unknown) { return this.#cmp("neq", v); }
  gt(v: unknown) { return this.#cmp("gt", v); }
  gte(v: unknown) { return this.#cmp("gte", v); }
  lt(v: unknown) { return this.#cmp("lt", v); }
  lte(v: unknown) { return this.#cmp("lte", v); }
  between(lo: unknown, hi: unknown) { return this.#cmp("between", lo, hi); }
  in(values: readonly unknown[] | ParameterRef) { return this.#cmp("in", listOperand("in", values)); }
  notIn(values: readonly unknown[] | ParameterRef) { return this.#cmp("notIn", listOperand("notIn", values)); }
  isNull() { return this.#cmp("isNull"); }
  isNotNull() { return this.#cmp("isNotNull"); }
  contains(v: unknown) { return this.#cmp("contains", v); }
  startsWith(v: unknown) { return this.#cmp("startsWith", v); }
  endsWith(v: unknown) { return this.#cmp("endsWith", v); }
  like(v: unknown) { return this.#cmp("like", v); }
  ilike(v: unknown) { return this.#cmp("ilike", v); }
  // arrays
  containsAll(vs: readonly unknown[]) { return this.#cmp("containsAll", vs.map(toJsonValue)); }
  containsAny(vs: readonly unknown[]) { return this.#cmp("containsAny", vs.map(toJsonValue)); }
  isEmpty() { return this.#cmp("isEmpty"); }
  isNotEmpty() { return this.#cmp("isNotEmpty"); }
  lengthEq(n: number) { return this.#cmp("lengthEq", n); }
  lengthGt(n: number) { return this.#cmp("lengthGt", n); }
  lengthGte(n: number) { return this.#cmp("lengthGte", n); }
  lengthLt(n: number) { return this.#cmp("lengthLt", n); }
  lengthLte(n: number) { return this.#cmp("lengthLte", n); }
  /** The array's length as a number accessor (`tags.length.gt(2)`). */
  get length() {
    const cmp = (op: string) => (n: number) => this.#cmp(op, n);
    return { eq: cmp("lengthEq"), gt: cmp("lengthGt"), gte: cmp("lengthGte"), lt: cmp("lengthLt"), lte: cmp("lengthLte") };
  }
  // objects
  hasKey(key: string) { return this.#cmp("hasKey", [key]); }
  hasPath(pointer: string | readonly (string | number)[]) { return this.#cmp("hasPath", pointerSegments(pointer)); }
  pathEquals(pointer: string | readonly (string | number)[], value: unknown) { return this.#cmp("pathEquals", pointerSegments(pointer), value); }
  pathContains(pointer: string | readonly (string | number)[], value: unknown) { return this.#cmp("pathContains", pointerSegments(pointer), value); }
  pathIsNull(pointer: string | readonly (string | number)[]) { return this.#cmp("pathIsNull", pointerSegments(pointer)); }
  pathIsNotNull(pointer: string | readonly (string | number)[]) { return this.#cmp("pathIsNotNull", pointerSegments(pointer)); }
  /** The `k` nodes whose embedding is nearest `embedding` (an `embedding()` field only). */
  similarTo(embedding: readonly number[], k: number, options: SimilarToOptions = {}): Predicate {
    if (this.ref.valueType !== "embedding") {
      throw new UnsupportedPredicateError(`similarTo() needs an embedding() field; "${this.ref.path.join(".")}" is not one`, { field: this.ref.path.join(".") });
    }
    if (!Array.isArray(embedding)) throw new UnsupportedPredicateError("similarTo() takes the query embedding as an array of numbers", {});
    positiveK(k, "similarTo()");
    if (options.minScore !== undefined && !Number.isFinite(options.minScore)) {
      throw new UnsupportedPredicateError("similarTo(): minScore must be a finite number", { minScore: options.minScore });
    }
    return new Predicate({
      type: "similar",
      field: this.ref,
      embedding: [...embedding],
      k,
      ...(options.metric !== undefined ? { metric: options.metric } : {}),
      ...(options.minScore !== undefined ? { minScore: options.minScore } : {}),
      ...(options.approximate ? { approximate: true } : {}),
    });
  }
  /** Child of an object field (`d.source.get("id")`). */
  get(key: string): FieldAccessor {
    const inner = unwrap(this.schema) as { shape?: Record<string, unknown> } | undefined;
    const child = inner?.shape?.[key];
    return new FieldAccessor({ path: [...this.ref.path, key], valueType: valueTypeOf(child) }, child);
  }
}

/** The accessor passed to `where` callbacks: props by name, plus `id` and `kind`. */
export function entityAccessor(shape: Record<string, unknown>, system: readonly string[]): Record<string, FieldAccessor> {
  return new Proxy({} as Record<string, FieldAccessor>, {
    get(_t, name) {
      if (typeof name !== "string") return undefined;
      if (system.includes(name)) return new FieldAccessor({ system: name, path: [], valueType: "string" }, undefined);
      if (!(name in shape)) {
        throw new UnsupportedPredicateError(`Unknown field "${name}" in where()`, { field: name });
      }
      return new FieldAccessor({ path: [name], valueType: valueTypeOf(shape[name]) }, shape[name]);
    },
  });
}
