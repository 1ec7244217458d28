// Fragments: reusable, pure builder transforms applied with `.pipe()`.
import type { GraphDef } from "../core.js";

/** A builder transform. */
export type QueryFragment<In = any, Out = In> = (q: In) => Out;

/** Typed helper: `createFragment<G>()((q) => q.whereNode(...))` keeps `G` in scope. */
export function createFragment<_G extends GraphDef = GraphDef>() {
  return <In, Out>(fn: (q: In) => Out): QueryFragment<In, Out> => fn;
}

/** Applies fragments left to right. */
export function composeFragments(...fragments: QueryFragment[]): QueryFragment {
  return (q) => fragments.reduce((acc, f) => f(acc), q);
}

export function limitFragment(n: number) {
  return <Q extends { limit(n: number): Q }>(q: Q): Q => q.limit(n);
}
export function offsetFragment(n: number) {
  return <Q extends { offset(n: number): Q }>(q: Q): Q => q.offset(n);
}
export function orderByFragment(alias: string, field: string, direction: "asc" | "desc" = "asc") {
  return <Q extends { orderBy(a: never, f: never, d?: "asc" | "desc"): Q }>(q: Q): Q => q.orderBy(alias as never, field as never, direction);
}
