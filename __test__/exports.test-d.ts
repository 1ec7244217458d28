// Type tests for the upstream-named types: each is checked against the signature of the API it
// names (both directions of assignability, so the alias neither widens nor narrows it).
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  defineEdge,
  defineGraph,
  defineNode,
  jsonPointer,
  type AllEdgeTypes,
  type AllNodeTypes,
  type AnyEdge,
  type AnyEdgeType,
  type AnyNode,
  type DefineEdgeOptions,
  type DefineNodeOptions,
  type DynamicEdgeCollection,
  type DynamicNodeCollection,
  type Edge,
  type EdgeCollection,
  type EdgeFindByEndpointsOptions,
  type EdgeGetOrCreateByEndpointsOptions,
  type EdgeGetOrCreateByEndpointsResult,
  type EdgeKinds,
  type EdgeProps,
  type EdgeType,
  type EdgeTypeWithEndpoints,
  type GetEdgeType,
  type GetNodeType,
  type GetOrCreateAction,
  type IfExistsMode,
  type IndexEntity,
  type JsonPointer,
  type JsonPointerFor,
  type JsonPointerInput,
  type JsonPointerSegmentsFor,
  type KindEntity,
  type KindNotFoundError,
  type MaterializeIndexesEntry,
  type Node,
  type NodeGetOrCreateByConstraintOptions,
  type NodeGetOrCreateByConstraintResult,
  type NodeKinds,
  type NodeProps,
  type NodeType,
  type ResolveJsonPointer,
  type ResolveJsonPointerSegments,
  type Store,
  type StoreOptions,
  type QueryOptions,
  type InitialQueryBuilder,
  type QueryBuilder,
  type TemporalOptions,
  type UniquenessErrorDetails,
  type KindNotFoundErrorDetails,
  type TypedEdgeCollection,
} from "../dist/index.js";
import type * as coreEntry from "../dist/core-entry.js";
import { createStore, isEdgeTypeWithEndpoints as root_isEdgeTypeWithEndpoints, type NodeIndexDeclaration } from "../dist/index.js";

const Person = defineNode("Person", { schema: z.object({ name: z.string(), email: z.string().optional() }) });
const Team = defineNode("Team", { schema: z.object({ title: z.string() }) });
const memberOf = defineEdge("memberOf", { schema: z.object({ role: z.string(), since: z.number().optional() }) });
const graph = defineGraph({ id: "t", nodes: { Person, Team }, edges: { memberOf: { type: memberOf, from: [Person], to: [Team] } } });
type G = typeof graph;
declare const store: Store<G>;

/** Mutual assignability: `A` and `B` accept exactly the same values. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

type P = typeof store.nodes.Person;
type M = typeof store.edges.memberOf;

describe("collection option and result types", () => {
  it("node get-or-create", () => {
    expectTypeOf<Same<NonNullable<Parameters<P["getOrCreateByConstraint"]>[2]>, NodeGetOrCreateByConstraintOptions>>().toEqualTypeOf<true>();
    expectTypeOf<Same<NonNullable<Parameters<P["bulkGetOrCreateByConstraint"]>[2]>, NodeGetOrCreateByConstraintOptions>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Awaited<ReturnType<P["getOrCreateByConstraint"]>>, NodeGetOrCreateByConstraintResult<typeof Person>>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Awaited<ReturnType<P["bulkGetOrCreateByConstraint"]>>[number], NodeGetOrCreateByConstraintResult<typeof Person>>>().toEqualTypeOf<true>();
    expectTypeOf<IfExistsMode>().toEqualTypeOf<"return" | "update">();
    expectTypeOf<GetOrCreateAction>().toEqualTypeOf<"created" | "found" | "updated" | "resurrected">();
    expectTypeOf<NodeGetOrCreateByConstraintResult<typeof Person>["node"]["name"]>().toEqualTypeOf<string>();
  });

  it("edge endpoint reads and get-or-create", () => {
    expectTypeOf<Same<NonNullable<Parameters<M["findByEndpoints"]>[2]>, EdgeFindByEndpointsOptions<typeof memberOf>>>().toEqualTypeOf<true>();
    expectTypeOf<Same<NonNullable<Parameters<M["getOrCreateByEndpoints"]>[3]>, EdgeGetOrCreateByEndpointsOptions<typeof memberOf>>>().toEqualTypeOf<true>();
    expectTypeOf<Same<NonNullable<Parameters<M["bulkGetOrCreateByEndpoints"]>[1]>, EdgeGetOrCreateByEndpointsOptions<typeof memberOf>>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Awaited<ReturnType<M["getOrCreateByEndpoints"]>>, EdgeGetOrCreateByEndpointsResult<typeof memberOf>>>().toEqualTypeOf<true>();
    const ok: EdgeFindByEndpointsOptions<typeof memberOf> = { matchOn: ["role"], props: { role: "lead" } };
    expectTypeOf(ok.matchOn).toEqualTypeOf<readonly ("role" | "since")[] | undefined>();
    // @ts-expect-error not a prop of memberOf
    const bad: EdgeGetOrCreateByEndpointsOptions<typeof memberOf> = { matchOn: ["nope"] };
    void bad;
  });

  it("dynamic and typed collections", () => {
    expectTypeOf<Same<NonNullable<ReturnType<Store<G>["getNodeCollection"]>>, DynamicNodeCollection>>().toEqualTypeOf<true>();
    expectTypeOf<Same<NonNullable<ReturnType<Store<G>["getEdgeCollection"]>>, DynamicEdgeCollection>>().toEqualTypeOf<true>();
    expectTypeOf<TypedEdgeCollection<G["edges"]["memberOf"]>>().toEqualTypeOf<M>();
    expectTypeOf<TypedEdgeCollection<G["edges"]["memberOf"]>>().toEqualTypeOf<EdgeCollection<typeof memberOf>>();
  });

  it("store options are what createStore takes", () => {
    expectTypeOf<Same<NonNullable<Parameters<typeof createStore>[2]>, StoreOptions>>().toEqualTypeOf<true>();
  });

  it("read coordinate and the initial query builder", () => {
    expectTypeOf<QueryOptions>().toEqualTypeOf<TemporalOptions>();
    expectTypeOf<Extract<Parameters<P["getById"]>[1], object>>().toEqualTypeOf<QueryOptions>();
    expectTypeOf<InitialQueryBuilder<G>>().toEqualTypeOf<QueryBuilder<G>>();
    expectTypeOf(store.query()).toEqualTypeOf<InitialQueryBuilder<G>>();
  });

  it("error details types", () => {
    expectTypeOf<UniquenessErrorDetails["fields"]>().toEqualTypeOf<readonly string[]>();
    expectTypeOf<KindNotFoundErrorDetails["entity"]>().toEqualTypeOf<KindNotFoundError["entity"]>();
  });

  it("row unions of a graph", () => {
    expectTypeOf<AnyNode<G>>().toEqualTypeOf<Node<typeof Person> | Node<typeof Team>>();
    expectTypeOf<AnyEdge<G>>().toEqualTypeOf<Edge<typeof memberOf>>();
  });
});

describe("graph type helpers", () => {
  it("kinds, types and props", () => {
    expectTypeOf<NodeKinds<G>>().toEqualTypeOf<"Person" | "Team">();
    expectTypeOf<EdgeKinds<G>>().toEqualTypeOf<"memberOf">();
    expectTypeOf<GetNodeType<G, "Team">>().toEqualTypeOf<typeof Team>();
    expectTypeOf<GetEdgeType<G, "memberOf">>().toEqualTypeOf<typeof memberOf>();
    expectTypeOf<AllNodeTypes<G>>().toEqualTypeOf<typeof Person | typeof Team>();
    expectTypeOf<AllEdgeTypes<G>>().toEqualTypeOf<typeof memberOf>();
    expectTypeOf<NodeProps<typeof Person>>().toEqualTypeOf<{ name: string; email?: string | undefined }>();
    expectTypeOf<EdgeProps<typeof memberOf>>().toEqualTypeOf<{ role: string; since?: number | undefined }>();
    expectTypeOf<AnyEdgeType>().toEqualTypeOf<EdgeType>();
    expectTypeOf(memberOf).toMatchTypeOf<AnyEdgeType>();
    const e: EdgeType = memberOf;
    if (root_isEdgeTypeWithEndpoints(e)) expectTypeOf(e.from).toEqualTypeOf<readonly NodeType[]>();
  });

  it("define options are what defineNode / defineEdge take", () => {
    type S = z.ZodObject<{ a: z.ZodString }>;
    expectTypeOf<Same<Parameters<typeof defineNode<"X", S>>[1], DefineNodeOptions<S>>>().toEqualTypeOf<true>();
    expectTypeOf<Same<NonNullable<Parameters<typeof defineEdge<"X", S>>[1]>, DefineEdgeOptions<S>>>().toEqualTypeOf<true>();
    const opts: DefineEdgeOptions<S, readonly [typeof Person], readonly [typeof Team]> = { schema: z.object({ a: z.string() }), from: [Person], to: [Team] };
    expectTypeOf(defineEdge("Y", opts)).toEqualTypeOf<EdgeType<"Y", S>>();
  });

  it("entity discriminators match the API fields", () => {
    expectTypeOf<KindNotFoundError["entity"]>().toEqualTypeOf<KindEntity>();
    expectTypeOf<MaterializeIndexesEntry["entity"]>().toEqualTypeOf<IndexEntity>();
  });

  it("the core entry exports the same helpers", () => {
    expectTypeOf<coreEntry.NodeKinds<G>>().toEqualTypeOf<NodeKinds<G>>();
    expectTypeOf<coreEntry.DefineNodeOptions<z.ZodObject<{}>>>().toEqualTypeOf<DefineNodeOptions<z.ZodObject<{}>>>();
    expectTypeOf<coreEntry.EdgeTypeWithEndpoints>().toEqualTypeOf<EdgeTypeWithEndpoints>();
    expectTypeOf<coreEntry.NullCheckOp>().toEqualTypeOf<"isNull" | "isNotNull">();
  });
});

describe("JSON pointer types", () => {
  type Doc = { a: { "b/c": number; list: { x: string }[] }; n: number };
  it("pointers and segments into a type", () => {
    expectTypeOf<"/a/b~1c">().toMatchTypeOf<JsonPointerFor<Doc>>();
    expectTypeOf<"/a/list/0/x">().toMatchTypeOf<JsonPointerFor<Doc>>();
    expectTypeOf<"">().toMatchTypeOf<JsonPointerFor<Doc>>();
    expectTypeOf<"/nope">().not.toMatchTypeOf<JsonPointerFor<Doc>>();
    expectTypeOf<readonly ["a", "list", 0, "x"]>().toMatchTypeOf<JsonPointerSegmentsFor<Doc>>();
    expectTypeOf<readonly ["a", "zzz"]>().not.toMatchTypeOf<JsonPointerSegmentsFor<Doc>>();
    expectTypeOf<readonly ["n"]>().toMatchTypeOf<JsonPointerInput<Doc>>();
  });
  it("resolves the addressed type", () => {
    expectTypeOf<ResolveJsonPointer<Doc, "/a/b~1c">>().toEqualTypeOf<number>();
    expectTypeOf<ResolveJsonPointer<Doc, "/a/list/3/x">>().toEqualTypeOf<string>();
    expectTypeOf<ResolveJsonPointer<Doc, "">>().toEqualTypeOf<Doc>();
    expectTypeOf<ResolveJsonPointer<Doc, "/missing">>().toEqualTypeOf<unknown>();
    expectTypeOf<ResolveJsonPointerSegments<Doc, ["a", "list", 1]>>().toEqualTypeOf<{ x: string }>();
    expectTypeOf<ResolveJsonPointerSegments<Doc, []>>().toEqualTypeOf<Doc>();
  });
  it("built pointers are the pointer type index declarations store", () => {
    expectTypeOf(jsonPointer(["a", 1])).toEqualTypeOf<JsonPointer>();
    expectTypeOf<NodeIndexDeclaration["fields"][number]>().toEqualTypeOf<JsonPointer>();
  });
});

describe("schema document section types (./schema)", () => {
  it("name the parts of SerializedSchema", () => {
    type S = typeof import("../dist/schema-entry.js");
    type Doc = import("../dist/schema-entry.js").SerializedSchema;
    type NodeDef = import("../dist/schema-entry.js").SerializedNodeDef;
    type EdgeDef = import("../dist/schema-entry.js").SerializedEdgeDef;
    type Onto = import("../dist/schema-entry.js").SerializedOntology;
    type Unique = import("../dist/schema-entry.js").SerializedUniqueConstraint;
    type Js = import("../dist/schema-entry.js").JsonSchema;
    expectTypeOf<ReturnType<S["serializeSchema"]>>().toEqualTypeOf<Doc>();
    expectTypeOf<NodeDef["uniqueConstraints"][number]>().toEqualTypeOf<Unique>();
    expectTypeOf<Unique["scope"]>().toEqualTypeOf<"kind" | "kindWithSubClasses" | undefined>();
    expectTypeOf<EdgeDef["properties"]>().toEqualTypeOf<Js>();
    expectTypeOf<EdgeDef["endpointExistence"]>().toEqualTypeOf<import("../dist/core-entry.js").EndpointExistence>();
    expectTypeOf<Onto["metaEdges"][string]["inference"]>().toEqualTypeOf<import("../dist/index.js").InferenceType>();
    expectTypeOf<Onto["closures"]["disjointPairs"]>().toEqualTypeOf<readonly string[]>();
  });
});

describe("StoreNotInitializedError", () => {
  it("types its details", () => {
    type E = import("../dist/index.js").StoreNotInitializedError;
    expectTypeOf<E["details"]["reason"]>().toEqualTypeOf<import("../dist/index.js").StoreNotInitializedReason>();
    expectTypeOf<E["details"]["graphId"]>().toEqualTypeOf<string>();
    expectTypeOf<E>().toMatchTypeOf<import("../dist/index.js").TypeGraphError>();
  });
});
