// Type-level helpers over graph definitions (upstream's names), all derived from our own
// `NodeType` / `EdgeType` / `GraphDef` so they describe exactly what `defineNode`,
// `defineEdge` and `defineGraph` produce.
import type { z } from "zod";
import type { AnyZodObject, EdgeType, GraphDef, KindAnnotations, NodeType } from "./core.js";

/** The node kind names of a graph. */
export type NodeKinds<G extends GraphDef> = keyof G["nodes"] & string;
/** The edge kind names of a graph. */
export type EdgeKinds<G extends GraphDef> = keyof G["edges"] & string;
/** The `NodeType` registered under kind `K`. */
export type GetNodeType<G extends GraphDef, K extends NodeKinds<G>> = G["nodes"][K]["type"];
/** The `EdgeType` registered under kind `K`. */
export type GetEdgeType<G extends GraphDef, K extends EdgeKinds<G>> = G["edges"][K]["type"];
/** Union of every `NodeType` of a graph. */
export type AllNodeTypes<G extends GraphDef> = { [K in NodeKinds<G>]: GetNodeType<G, K> }[NodeKinds<G>];
/** Union of every `EdgeType` of a graph. */
export type AllEdgeTypes<G extends GraphDef> = { [K in EdgeKinds<G>]: GetEdgeType<G, K> }[EdgeKinds<G>];
/** Any edge type, with or without declared endpoints. */
export type AnyEdgeType = EdgeType;
/** An edge type whose `from` and `to` endpoint lists are declared (what `isEdgeTypeWithEndpoints` narrows to). */
export type EdgeTypeWithEndpoints = EdgeType & { readonly from: readonly NodeType[]; readonly to: readonly NodeType[] };
/** The parsed props of a node type. */
export type NodeProps<N extends NodeType> = z.output<N["schema"]>;
/** The parsed props of an edge type. */
export type EdgeProps<E extends AnyEdgeType> = z.output<E["schema"]>;

/** The second argument of `defineNode`. */
export type DefineNodeOptions<S extends AnyZodObject> = Readonly<{
  schema: S;
  description?: string;
  annotations?: KindAnnotations;
}>;

/** The second argument of `defineEdge`. */
export type DefineEdgeOptions<
  S extends AnyZodObject,
  From extends readonly NodeType[] | undefined = readonly NodeType[] | undefined,
  To extends readonly NodeType[] | undefined = readonly NodeType[] | undefined,
> = Readonly<{
  schema?: S;
  from?: From;
  to?: To;
  description?: string;
  annotations?: KindAnnotations;
}>;

/** Which entity owns a kind (as in `KindNotFoundError.entity`). */
export type KindEntity = "node" | "edge";
/** Which surface an index targets (as in `MaterializeIndexesEntry.entity`). */
export type IndexEntity = "node" | "edge" | "vector" | "system";
/** The null checks a unique constraint's or index's `where` can store. */
export type NullCheckOp = "isNull" | "isNotNull";
/**
 * How an edge's endpoints must exist, as the schema document records it
 * (`SerializedEdgeDef.endpointExistence`); typegraph-native always writes `"notDeleted"`.
 */
export type EndpointExistence = "notDeleted" | "currentlyValid" | "ever";
