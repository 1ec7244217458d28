// Stored props are JSON: a `z.date()` field is written as its ISO text. A read-merge-write
// (update, upsert, bulk upsert, endpoint get-or-update) merges the stored props back under the
// kind's schema, so the stored text of a date field is turned back into a Date first; the field
// then validates (and is stored) exactly as when it was created.

import type { z } from "zod";

type Reviver = (value: unknown) => unknown;

interface Def {
  type?: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  element?: unknown;
  in?: unknown;
  options?: readonly unknown[];
  valueType?: unknown;
  items?: readonly unknown[];
  rest?: unknown;
  left?: unknown;
  right?: unknown;
  getter?: () => unknown;
}

function defOf(schema: unknown): Def | undefined {
  return (schema as { _zod?: { def?: Def } } | null | undefined)?._zod?.def;
}

const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "catch", "nonoptional"]);

const ISO = /^\d{4,}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;

function toDate(value: unknown): unknown {
  if (typeof value !== "string" || !ISO.test(value)) return value;
  const t = Date.parse(value);
  return Number.isNaN(t) ? value : new Date(t);
}

/** The reviver of `schema`, or null when nothing under it is a date. */
function build(schema: unknown, seen: Set<unknown>): Reviver | null {
  const def = defOf(schema);
  if (def === undefined || seen.has(schema)) return null;
  const type = def.type;
  if (type === "date") return toDate;
  if (type !== undefined && WRAPPERS.has(type)) return build(def.innerType, seen);
  if (type === "pipe") return build(def.in, seen);
  if (type === "lazy" && def.getter) {
    seen.add(schema);
    try {
      return build(def.getter(), seen);
    } finally {
      seen.delete(schema);
    }
  }
  if (type === "object" && def.shape) {
    const fields: [string, Reviver][] = [];
    for (const [key, field] of Object.entries(def.shape)) {
      const r = build(field, seen);
      if (r) fields.push([key, r]);
    }
    if (fields.length === 0) return null;
    return (value) => {
      if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
      let out: Record<string, unknown> | undefined;
      for (const [key, r] of fields) {
        if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
        const before = (value as Record<string, unknown>)[key];
        const after = r(before);
        if (after !== before) (out ??= { ...(value as Record<string, unknown>) })[key] = after;
      }
      return out ?? value;
    };
  }
  if (type === "array") {
    const r = build(def.element, seen);
    return r && ((value) => (Array.isArray(value) ? value.map(r) : value));
  }
  if (type === "tuple") {
    const items = (def.items ?? []).map((i) => build(i, seen));
    const rest = def.rest === undefined || def.rest === null ? null : build(def.rest, seen);
    if (items.every((i) => i === null) && rest === null) return null;
    return (value) => (Array.isArray(value) ? value.map((v, i) => ((i < items.length ? items[i] : rest) ?? ((x: unknown) => x))(v)) : value);
  }
  if (type === "record") {
    const r = build(def.valueType, seen);
    return (
      r &&
      ((value) =>
        value === null || typeof value !== "object" || Array.isArray(value)
          ? value
          : Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, r(v)])))
    );
  }
  if (type === "union") {
    // A union admitting a date: stored text the union refuses as text is read back as the Date
    // it was written from.
    const members = (def.options ?? []).map((o) => [o, build(o, seen)] as const).filter(([, r]) => r !== null);
    if (members.length === 0) return null;
    const whole = schema as z.ZodType;
    return (value) => {
      if (whole.safeParse(value).success) return value;
      for (const [, r] of members) {
        const next = r!(value);
        if (next !== value && whole.safeParse(next).success) return next;
      }
      return value;
    };
  }
  if (type === "intersection") {
    const l = build(def.left, seen);
    const r = build(def.right, seen);
    if (!l && !r) return null;
    return (value) => (r ? r(l ? l(value) : value) : l!(value));
  }
  return null;
}

const cache = new WeakMap<object, Reviver | null>();

/** The stored props of a row read back for a merge under `schema`: date fields as Dates. */
export function storedProps<T>(schema: z.ZodType, props: T): T {
  let r = cache.get(schema);
  if (r === undefined) {
    r = build(schema, new Set());
    cache.set(schema, r);
  }
  return r === null || props === null || props === undefined ? props : (r(props) as T);
}
