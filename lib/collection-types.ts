// Named types for the collection API (upstream's names). Each one is the exact shape our
// `NodeCollection` / `EdgeCollection` methods take or return; `__test__/exports.test-d.ts`
// checks them against the method signatures in both directions.
import type { z } from "zod";
import type { EdgeRegistration, GraphDef, NodeType } from "./core.js";
import type { Edge, EdgeCollection, Node, NodeCollection, Store, TemporalOptions } from "./store.js";
import type { AnyEdgeType, EdgeKinds, GetEdgeType, GetNodeType, NodeKinds } from "./type-helpers.js";

/** What a get-or-create does when the record already exists (default `"return"`). */
export type IfExistsMode = "return" | "update";

/** What a get-or-create did. */
export type GetOrCreateAction = "created" | "found" | "updated" | "resurrected";

/** Options of `getOrCreateByConstraint` / `bulkGetOrCreateByConstraint`. */
export type NodeGetOrCreateByConstraintOptions = Readonly<{ ifExists?: IfExistsMode }>;

/** Result (per item) of `getOrCreateByConstraint` / `bulkGetOrCreateByConstraint`. */
export type NodeGetOrCreateByConstraintResult<N extends NodeType> = Readonly<{ node: Node<N>; action: GetOrCreateAction }>;

/** Options of `edges.X.findByEndpoints`: props to match besides the endpoints. */
export type EdgeFindByEndpointsOptions<E extends AnyEdgeType> = Readonly<{
  matchOn?: readonly (keyof z.output<E["schema"]> & string)[];
  props?: Partial<z.input<E["schema"]>>;
}>;

/** Options of `edges.X.getOrCreateByEndpoints` / `bulkGetOrCreateByEndpoints`. */
export type EdgeGetOrCreateByEndpointsOptions<E extends AnyEdgeType> = Readonly<{
  matchOn?: readonly (keyof z.output<E["schema"]> & string)[];
  ifExists?: IfExistsMode;
}>;

/** Result (per item) of `getOrCreateByEndpoints` / `bulkGetOrCreateByEndpoints`. */
export type EdgeGetOrCreateByEndpointsResult<E extends AnyEdgeType> = Readonly<{ edge: Edge<E>; action: GetOrCreateAction }>;

/** What `store.getNodeCollection(kind)` returns: a collection whose kind is only known at run time. */
export type DynamicNodeCollection = NodeCollection<NodeType>;

/** What `store.getEdgeCollection(kind)` returns: a collection whose kind is only known at run time. */
export type DynamicEdgeCollection = EdgeCollection<AnyEdgeType>;

/** The collection type of an edge registration (`graph.edges.X`). */
export type TypedEdgeCollection<R extends EdgeRegistration> = EdgeCollection<R["type"]>;

/** Union of the node rows of every kind of a graph. */
export type AnyNode<G extends GraphDef> = { [K in NodeKinds<G>]: Node<GetNodeType<G, K>> }[NodeKinds<G>];

/** Union of the edge rows of every kind of a graph. */
export type AnyEdge<G extends GraphDef> = { [K in EdgeKinds<G>]: Edge<GetEdgeType<G, K>> }[EdgeKinds<G>];

/** The read coordinate collection reads take (`getById`, `find`, `count`, ...). */
export type QueryOptions = TemporalOptions;

/** What `store.query()` returns: a builder with no aliases bound yet. */
export type InitialQueryBuilder<G extends GraphDef> = ReturnType<Store<G>["query"]>;
