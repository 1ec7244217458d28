// Type-level machinery of the query builder: aliases, typed accessors and the
// select context. Runtime objects are plain; these types only shape them.

import type { z } from "zod";
import type { EdgeType, GraphDef, NodeType } from "../core.js";
import type { NodeMeta, EdgeMeta } from "../store.js";
import type { FulltextMatchOptions, ParameterRef, Predicate, SimilarToOptions } from "../predicates.js";
import type { FieldRefValue } from "./builder.js";

export interface NodeAliasEntry<N extends NodeType = NodeType, Opt extends boolean = boolean> {
  type: N;
  optional: Opt;
}
export interface EdgeAliasEntry<E extends EdgeType = EdgeType, Opt extends boolean = boolean> {
  type: E;
  optional: Opt;
}
export type NodeAliasMap = Record<string, NodeAliasEntry>;
export type EdgeAliasMap = Record<string, EdgeAliasEntry>;
/** Recursive `depth`/`path` aliases: plain values. */
export type ExtraAliasMap = Record<string, unknown>;

/** An alias not yet used, or a readable error type. */
export type UniqueAlias<A extends string, Used> = A extends keyof Used ? `Error: Alias '${A}' is already in use` : A;

/** A value, a `param()` placeholder, or a `fieldRef()` to a field of an (enclosing) query. */
type Param<T> = T | ParameterRef<T> | FieldRefValue;

export interface BaseFieldAccessor<T> {
  eq(value: Param<T>): Predicate;
  neq(value: Param<T>): Predicate;
  in(values: readonly T[] | ParameterRef<readonly T[]>): Predicate;
  notIn(values: readonly T[] | ParameterRef<readonly T[]>): Predicate;
  isNull(): Predicate;
  isNotNull(): Predicate;
}
export interface StringFieldAccessor extends BaseFieldAccessor<string> {
  gt(value: Param<string>): Predicate;
  gte(value: Param<string>): Predicate;
  lt(value: Param<string>): Predicate;
  lte(value: Param<string>): Predicate;
  contains(value: Param<string>): Predicate;
  startsWith(value: Param<string>): Predicate;
  endsWith(value: Param<string>): Predicate;
  like(pattern: Param<string>): Predicate;
  ilike(pattern: Param<string>): Predicate;
}
export interface NumberFieldAccessor extends BaseFieldAccessor<number> {
  gt(value: Param<number>): Predicate;
  gte(value: Param<number>): Predicate;
  lt(value: Param<number>): Predicate;
  lte(value: Param<number>): Predicate;
  between(lower: Param<number>, upper: Param<number>): Predicate;
}
export type BooleanFieldAccessor = BaseFieldAccessor<boolean>;
export interface DateFieldAccessor extends BaseFieldAccessor<Date | string> {
  gt(value: Param<Date | string>): Predicate;
  gte(value: Param<Date | string>): Predicate;
  lt(value: Param<Date | string>): Predicate;
  lte(value: Param<Date | string>): Predicate;
  between(lower: Param<Date | string>, upper: Param<Date | string>): Predicate;
}
export interface EmbeddingFieldAccessor {
  /** The `k` nearest nodes by this embedding, best first. */
  similarTo(embedding: readonly number[], k: number, options?: SimilarToOptions): Predicate;
}
export interface FulltextAccessor {
  /** Nodes whose fulltext document matches `query` (top `k`, default 50), best first. */
  matches(query: string, k?: number, options?: FulltextMatchOptions): Predicate;
}
export interface ArrayFieldAccessor<E> {
  contains(value: E): Predicate;
  containsAll(values: readonly E[]): Predicate;
  containsAny(values: readonly E[]): Predicate;
  isEmpty(): Predicate;
  isNotEmpty(): Predicate;
  isNull(): Predicate;
  isNotNull(): Predicate;
  lengthEq(n: number): Predicate;
  lengthGt(n: number): Predicate;
  lengthGte(n: number): Predicate;
  lengthLt(n: number): Predicate;
  lengthLte(n: number): Predicate;
  readonly length: {
    eq(n: number): Predicate;
    gt(n: number): Predicate;
    gte(n: number): Predicate;
    lt(n: number): Predicate;
    lte(n: number): Predicate;
  };
}
export type JsonPointerInput = string | readonly (string | number)[];
export interface ObjectFieldAccessor<T> {
  get<K extends keyof T & string>(key: K): FieldAccessorFor<T[K]>;
  hasKey(key: string): Predicate;
  hasPath(pointer: JsonPointerInput): Predicate;
  pathEquals(pointer: JsonPointerInput, value: string | number | boolean | Date): Predicate;
  pathContains(pointer: JsonPointerInput, value: string | number | boolean | Date): Predicate;
  pathIsNull(pointer: JsonPointerInput): Predicate;
  pathIsNotNull(pointer: JsonPointerInput): Predicate;
  isNull(): Predicate;
  isNotNull(): Predicate;
}

type IsAny<T> = 0 extends 1 & T ? true : false;

/** The accessor for a field of type `T` (chosen like upstream: string → number → boolean → Date → array → object). */
export type FieldAccessorFor<T> =
  IsAny<T> extends true
    ? BaseFieldAccessor<unknown>
    : [NonNullable<T>] extends [string]
      ? StringFieldAccessor
      : [NonNullable<T>] extends [number]
        ? NumberFieldAccessor
        : [NonNullable<T>] extends [boolean]
          ? BooleanFieldAccessor
          : [NonNullable<T>] extends [Date]
            ? DateFieldAccessor
            : [NonNullable<T>] extends [readonly (infer E)[]]
              ? [E] extends [number]
                ? ArrayFieldAccessor<E> & EmbeddingFieldAccessor
                : ArrayFieldAccessor<E>
              : [NonNullable<T>] extends [object]
                ? ObjectFieldAccessor<NonNullable<T>>
                : BaseFieldAccessor<NonNullable<T>>;

type Props<S> = S extends z.ZodType ? z.output<S> : never;

// ---- dynamic aliases (fromDynamic / traverseDynamic / optionalTraverseDynamic / toDynamic) ----

declare const DYNAMIC_NODE: unique symbol;
declare const DYNAMIC_EDGE: unique symbol;

/** A node kind name known only at run time. */
export type DynamicNodeKind<K extends string = string> = K & { readonly [DYNAMIC_NODE]: true };
/** The type an alias declared by `fromDynamic`/`toDynamic` carries: its accessor is `.field(name)`. */
export type DynamicNodeType<K extends string = string> = NodeType<DynamicNodeKind<K>> & { readonly [DYNAMIC_NODE]: true };
/** The type an alias declared by `traverseDynamic`/`optionalTraverseDynamic` carries. */
export type DynamicEdgeType = EdgeType & { readonly [DYNAMIC_EDGE]: true };

export type IsDynamicNodeType<N> = N extends { readonly [DYNAMIC_NODE]: true } ? true : false;
export type IsDynamicEdgeType<E> = E extends { readonly [DYNAMIC_EDGE]: true } ? true : false;

/**
 * A field of a dynamic alias: the base comparisons directly, everything type-specific behind a
 * discriminator that checks the registered schema and throws `TypeError` when the field is of another type.
 */
export type DynamicFieldBuilder = BaseFieldAccessor<unknown> & {
  readonly string: () => StringFieldAccessor;
  readonly number: () => NumberFieldAccessor;
  readonly date: () => DateFieldAccessor;
  readonly array: () => ArrayFieldAccessor<unknown>;
  readonly object: () => ObjectFieldAccessor<Readonly<Record<string, unknown>>>;
  readonly embedding: () => EmbeddingFieldAccessor;
};

/** Predicate accessor of a dynamic node alias: system fields typed, props through `.field(name)`. */
export type DynamicNodeAccessor = {
  readonly id: StringFieldAccessor;
  readonly kind: StringFieldAccessor;
  readonly $fulltext: FulltextAccessor;
  readonly field: (name: string) => DynamicFieldBuilder;
};
/** Predicate accessor of a dynamic edge alias. */
export type DynamicEdgeAccessor = {
  readonly id: StringFieldAccessor;
  readonly kind: StringFieldAccessor;
  readonly fromId: StringFieldAccessor;
  readonly toId: StringFieldAccessor;
  readonly field: (name: string) => DynamicFieldBuilder;
};
/** A dynamic node alias in the select context: system fields typed, props `unknown`. */
export type DynamicSelectableNode = Readonly<{ id: string; kind: string; meta: NodeMeta }> & Readonly<Record<string, unknown>>;
/** A dynamic edge alias in the select context. */
export type DynamicSelectableEdge = Readonly<{ id: string; kind: string; fromId: string; toId: string; meta: EdgeMeta }> & Readonly<Record<string, unknown>>;

export type NodeAccessor<N extends NodeType> = IsDynamicNodeType<N> extends true ? DynamicNodeAccessor : TypedNodeAccessor<N>;
export type EdgeAccessor<E extends EdgeType> = IsDynamicEdgeType<E> extends true ? DynamicEdgeAccessor : TypedEdgeAccessor<E>;

type TypedNodeAccessor<N extends NodeType> = {
  readonly id: StringFieldAccessor;
  readonly kind: StringFieldAccessor;
  /** The node's fulltext document (its searchable() fields). */
  readonly $fulltext: FulltextAccessor;
} & { readonly [K in keyof Props<N["schema"]>]-?: FieldAccessorFor<Props<N["schema"]>[K]> };

type TypedEdgeAccessor<E extends EdgeType> = {
  readonly id: StringFieldAccessor;
  readonly kind: StringFieldAccessor;
  readonly fromId: StringFieldAccessor;
  readonly toId: StringFieldAccessor;
} & { readonly [K in keyof Props<E["schema"]>]-?: FieldAccessorFor<Props<E["schema"]>[K]> };

/** A node as the select context shows it: props at top level, system fields under `meta`. */
export type SelectableNode<N extends NodeType> =
  IsDynamicNodeType<N> extends true ? DynamicSelectableNode : { id: string; kind: N["kind"]; meta: NodeMeta } & Props<N["schema"]>;
/** An edge as the select context shows it. */
export type SelectableEdge<E extends EdgeType> =
  IsDynamicEdgeType<E> extends true ? DynamicSelectableEdge : { id: string; kind: E["kind"]; fromId: string; toId: string; meta: EdgeMeta } & Props<E["schema"]>;

type Opt<T, O> = O extends true ? T | undefined : T;

export type SelectContext<NA extends NodeAliasMap, EA extends EdgeAliasMap, XA extends ExtraAliasMap> = {
  readonly [K in keyof NA]: Opt<SelectableNode<NA[K]["type"]>, NA[K]["optional"]>;
} & { readonly [K in keyof EA]: Opt<SelectableEdge<EA[K]["type"]>, EA[K]["optional"]> } & { readonly [K in keyof XA]: XA[K] };

export type NodeKinds<G extends GraphDef> = keyof G["nodes"] & string;
export type EdgeKinds<G extends GraphDef> = keyof G["edges"] & string;
export type NodeTypeOf<G extends GraphDef, K extends NodeKinds<G>> = G["nodes"][K]["type"];
export type EdgeTypeOf<G extends GraphDef, K extends EdgeKinds<G>> = G["edges"][K]["type"];

/** Fields `orderBy` accepts for a node/edge alias. */
export type OrderableField<T extends NodeType | EdgeType> =
  IsDynamicNodeType<T> extends true ? string : IsDynamicEdgeType<T> extends true ? string : (keyof Props<T["schema"]> & string) | "id" | "kind";
export type SortDirection = "asc" | "desc";

export type TraversalDirection = "out" | "in";
export type TraversalExpansion = "none" | "implying" | "inverse" | "all";

export interface RecursiveTraversalOptions {
  minHops?: number;
  maxHops?: number;
  cyclePolicy?: "prevent" | "allow";
  depth?: boolean | string;
  path?: boolean | string;
}

/** The alias name a `depth`/`path` option resolves to. */
export type RecursiveAliasName<O, Key extends "depth" | "path", Target extends string> = O extends { [P in Key]: infer V }
  ? V extends string
    ? V
    : V extends true
      ? `${Target}_${Key}`
      : never
  : never;

export interface PaginateOptions {
  first?: number;
  after?: string;
  last?: number;
  before?: string;
}
export interface PaginatedResult<R> {
  data: readonly R[];
  nextCursor: string | undefined;
  prevCursor: string | undefined;
  hasNextPage: boolean;
  hasPrevPage: boolean;
}
export interface StreamOptions {
  batchSize?: number;
}
