// RFC 6901 JSON pointers as TypeGraph uses them to address nested props (index fields,
// `pathEquals` and friends): at most five levels deep, no "-" (append) segment, array
// positions as non-negative integers. Written for typegraph-native; semantics follow
// upstream's documented helpers of the same names.
import type { JsonPointer } from "./indexes.js";
import { MAX_JSON_POINTER_DEPTH } from "./query/index.js";

export type { JsonPointer };

/** One pointer step: an object key or an array position. */
export type JsonPointerSegment = string | number;
/** A pointer as its unescaped steps. */
export type JsonPointerSegments = readonly JsonPointerSegment[];

// ---- type level -------------------------------------------------------------------------------

/** Remaining-depth counter: each step drops the first element. */
type Budget = readonly unknown[];
type Spend<B extends Budget> = B extends readonly [unknown, ...infer Rest] ? Rest : readonly [];
type FullBudget = readonly [1, 2, 3, 4, 5];

type IndexString = `${number}`;
type Escaped<S extends string> = S extends `${infer A}~${infer B}`
  ? `${Escaped<A>}~0${Escaped<B>}`
  : S extends `${infer A}/${infer B}`
    ? `${A}~1${Escaped<B>}`
    : S;
type Unescaped<S extends string> = S extends `${infer A}~1${infer B}`
  ? `${Unescaped<A>}/${Unescaped<B>}`
  : S extends `${infer A}~0${infer B}`
    ? `${A}~${Unescaped<B>}`
    : S;
type Keys<T> = Exclude<Extract<keyof T, string>, IndexString>;

type PointersBelow<T, B extends Budget> = B extends readonly [] ? never
  : T extends readonly (infer U)[] ? `/${number}` | `/${number}${PointersBelow<U, Spend<B>>}`
  : T extends Record<string, unknown> ? { [K in Keys<T>]: `/${Escaped<K>}` | `/${Escaped<K>}${PointersBelow<T[K], Spend<B>>}` }[Keys<T>]
  : never;

/** Every pointer string into a value of type `T` (up to five levels), plus `""` for `T` itself. */
export type JsonPointerFor<T> = "" | PointersBelow<T, FullBudget>;

type SegmentsBelow<T, B extends Budget> = B extends readonly [] ? never
  : T extends readonly (infer U)[] ? readonly [number] | readonly [number, ...SegmentsBelow<U, Spend<B>>]
  : T extends Record<string, unknown> ? { [K in Keys<T>]: readonly [K] | readonly [K, ...SegmentsBelow<T[K], Spend<B>>] }[Keys<T>]
  : never;

/** Every segment tuple into a value of type `T` (up to five levels), plus `[]` for `T` itself. */
export type JsonPointerSegmentsFor<T> = readonly [] | SegmentsBelow<T, FullBudget>;

/** A pointer into `T` in any accepted spelling: string, segment tuple, or an already-built pointer. */
export type JsonPointerInput<T> = JsonPointerFor<T> | JsonPointerSegmentsFor<T> | JsonPointer;

type Step<T, S extends string> = T extends readonly (infer U)[]
  ? S extends IndexString ? U : unknown
  : T extends Record<string, unknown>
    ? S extends IndexString ? unknown : S extends keyof T ? T[S] : unknown
    : unknown;

/** The type found at pointer `P` inside `T` (`unknown` where it leads nowhere). */
export type ResolveJsonPointer<T, P extends string> = P extends ""
  ? T
  : P extends `/${infer Head}/${infer Rest}`
    ? ResolveJsonPointer<Step<T, Unescaped<Head>>, `/${Rest}`>
    : P extends `/${infer Head}`
      ? Step<T, Unescaped<Head>>
      : unknown;

/** The type found at segment tuple `S` inside `T` (`unknown` where it leads nowhere). */
export type ResolveJsonPointerSegments<T, S extends readonly JsonPointerSegment[]> = S extends readonly []
  ? T
  : S extends readonly [infer Head extends JsonPointerSegment, ...infer Rest extends readonly JsonPointerSegment[]]
    ? ResolveJsonPointerSegments<Step<T, `${Head}`>, Rest>
    : unknown;

// ---- run time ---------------------------------------------------------------------------------

function checkDepth(depth: number): void {
  if (depth > MAX_JSON_POINTER_DEPTH) {
    throw new Error(`JSON Pointer is ${depth} levels deep; TypeGraph accepts at most ${MAX_JSON_POINTER_DEPTH}`);
  }
}

function escapeStep(step: JsonPointerSegment): string {
  if (step === "-") throw new Error('JSON Pointer segment "-" (array append) cannot address a stored value');
  if (typeof step === "number") {
    if (!Number.isSafeInteger(step) || step < 0) throw new Error(`JSON Pointer array index must be a non-negative integer, got ${step}`);
    return String(step);
  }
  let out = "";
  for (const ch of step) out += ch === "~" ? "~0" : ch === "/" ? "~1" : ch;
  return out;
}

function unescapeStep(raw: string): string {
  // "~1" first would turn "~01" into "~1" → "/"; decode in one left-to-right pass instead.
  return raw.replace(/~[01]/g, (m) => (m === "~1" ? "/" : "~"));
}

/** Builds a pointer from unescaped steps: `jsonPointer(["a/b", 0])` → `"/a~1b/0"`. */
export function jsonPointer(segments: JsonPointerSegments): JsonPointer {
  checkDepth(segments.length);
  let out = "";
  for (const step of segments) out += `/${escapeStep(step)}`;
  return out as JsonPointer;
}

/** Splits a pointer into its unescaped steps: `"/a~1b/0"` → `["a/b", "0"]`; `""` → `[]`. */
export function parseJsonPointer(pointer: JsonPointer): readonly string[] {
  if (pointer === "") return [];
  return pointer.slice(1).split("/").map(unescapeStep);
}

function checkedPointer(pointer: string): JsonPointer {
  if (pointer === "") return pointer as JsonPointer;
  if (!pointer.startsWith("/")) throw new Error(`JSON Pointer must be "" or start with "/", got ${JSON.stringify(pointer)}`);
  const steps = pointer.slice(1).split("/");
  checkDepth(steps.length);
  for (const step of steps) {
    if (step === "-") throw new Error('JSON Pointer segment "-" (array append) cannot address a stored value');
    if (/~(?![01])/.test(step)) throw new Error(`JSON Pointer segment ${JSON.stringify(step)} has a "~" not followed by 0 or 1`);
  }
  return pointer as JsonPointer;
}

/** Accepts a pointer string or a segment list and returns the checked pointer string. */
export function normalizeJsonPointer<T>(input: JsonPointerInput<T>): JsonPointer {
  if (Array.isArray(input)) return jsonPointer(input as JsonPointerSegments);
  return checkedPointer(input as string);
}

/** Appends `relative` below `base` (either may be `""`, an undefined base means the root). */
export function joinJsonPointers(base: JsonPointer | undefined, relative: JsonPointer): JsonPointer {
  if (base === undefined || base === "") return relative;
  if (relative === "") return base;
  return jsonPointer([...parseJsonPointer(base), ...parseJsonPointer(relative)]);
}
