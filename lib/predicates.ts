// Field accessors for `find({ where })`: lambdas become a plain predicate AST
// that the engine compiles to SQL with parameters only.

import { UnsupportedPredicateError } from "./errors.js";
import { valueTypeOf } from "./schema.js";
import { unwrap } from "./core.js";

export type PredicateAst =
  | { type: "and"; preds: PredicateAst[] }
  | { type: "or"; preds: PredicateAst[] }
  | { type: "not"; pred: PredicateAst }
  | { type: "cmp"; field: FieldRefAst; op: string; value?: unknown; value2?: unknown };

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

function toJsonValue(v: unknown): unknown {
  return v instanceof Date ? v.toISOString() : v;
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
  in(values: readonly unknown[]) { return this.#cmp("in", values.map(toJsonValue)); }
  notIn(values: readonly unknown[]) { return this.#cmp("notIn", values.map(toJsonValue)); }
  isNull() { return this.#cmp("isNull"); }
  isNotNull() { return this.#cmp("isNotNull"); }
  contains(v: string) { return this.#cmp("contains", v); }
  startsWith(v: string) { return this.#cmp("startsWith", v); }
  endsWith(v: string) { return this.#cmp("endsWith", v); }
  like(v: string) { return this.#cmp("like", v); }
  ilike(v: string) { return this.#cmp("ilike", v); }
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
