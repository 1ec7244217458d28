// Type tests for typegraph-native/profiler: a profiled store is typed as its store plus
// `profiler`, report and option types have upstream's documented shapes, and declared indexes
// from `toDeclaredIndexes` are accepted as they are.
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { createStore, defineGraph, defineNode, type GraphBackend, type Store } from "../dist/index.js";
import { defineNodeIndex, toDeclaredIndexes } from "../dist/indexes-entry.js";
import {
  QueryProfiler,
  type DeclaredIndex,
  type IndexRecommendation,
  type ProfileReport,
  type ProfileSummary,
  type ProfiledStore,
  type ProfilerOptions,
  type PropertyAccessStats,
  type PropertyPath,
  type RecommendationPriority,
  type UsageContext,
} from "../dist/profiler.js";

const Person = defineNode("Person", { schema: z.object({ email: z.string(), name: z.string() }) });
const graph = defineGraph({ id: "types", nodes: { Person }, edges: {} });
declare const backend: GraphBackend;
const store = createStore(graph, backend);

describe("profiler types", () => {
  it("a profiled store is the store plus its profiler", () => {
    const profiler = new QueryProfiler();
    const profiled = profiler.attachToStore(store);
    expectTypeOf(profiled).toEqualTypeOf<ProfiledStore<typeof graph>>();
    expectTypeOf(profiled).toMatchTypeOf<Store<typeof graph>>();
    expectTypeOf(profiled.profiler).toEqualTypeOf<QueryProfiler>();
    // Queries keep their result types.
    const q = profiled.query().from("Person", "p").select((c) => ({ email: c.p.email }));
    expectTypeOf(q.execute()).resolves.toEqualTypeOf<readonly { email: string }[]>();
    expectTypeOf(profiler.isAttached).toEqualTypeOf<boolean>();
    expectTypeOf(profiler.recordQuery).parameter(0).toMatchTypeOf<object>();
    profiler.recordQuery(q.toAst());
  });

  it("options and reports have the documented shapes", () => {
    expectTypeOf<ProfilerOptions>().toEqualTypeOf<
      Readonly<{
        declaredIndexes?: readonly DeclaredIndex[];
        minFrequencyForRecommendation?: number;
        mediumFrequencyThreshold?: number;
        highFrequencyThreshold?: number;
      }>
    >();
    expectTypeOf<RecommendationPriority>().toEqualTypeOf<"high" | "medium" | "low">();
    expectTypeOf<UsageContext>().toEqualTypeOf<"filter" | "sort" | "select" | "groupBy">();
    expectTypeOf<ProfileReport["patterns"]>().toEqualTypeOf<ReadonlyMap<string, PropertyAccessStats>>();
    expectTypeOf<ProfileReport["recommendations"]>().toEqualTypeOf<readonly IndexRecommendation[]>();
    expectTypeOf<ProfileReport["unindexedFilters"]>().toEqualTypeOf<readonly PropertyPath[]>();
    expectTypeOf<ProfileReport["summary"]>().toEqualTypeOf<ProfileSummary>();
    expectTypeOf<ProfileSummary["startedAt"]>().toEqualTypeOf<Date>();
    expectTypeOf<PropertyAccessStats["contexts"]>().toEqualTypeOf<ReadonlySet<UsageContext>>();
    expectTypeOf<IndexRecommendation["fields"]>().toEqualTypeOf<readonly string[]>();
    expectTypeOf<PropertyPath["target"]>().toEqualTypeOf<Readonly<{ __type: "prop"; pointer: string }> | Readonly<{ __type: "system"; field: string }>>();
    expectTypeOf(new QueryProfiler().getReport()).toEqualTypeOf<ProfileReport>();
  });

  it("takes toDeclaredIndexes output and hand-written declarations", () => {
    const declared = toDeclaredIndexes([defineNodeIndex(Person, { fields: ["email"] })]);
    new QueryProfiler({ declaredIndexes: declared });
    new QueryProfiler({ declaredIndexes: [{ entityType: "edge", kind: "worksAt", fields: ["/role"], unique: false, name: "idx_role" }] });
    // @ts-expect-error entityType is node or edge
    new QueryProfiler({ declaredIndexes: [{ entityType: "vertex", kind: "Person", fields: ["/email"], unique: false, name: "x" }] });
    // @ts-expect-error thresholds are numbers
    new QueryProfiler({ highFrequencyThreshold: "10" });
  });
});
