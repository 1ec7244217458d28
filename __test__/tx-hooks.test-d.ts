// Type tests: tx.query() is the store's typed builder; operation hook payloads are typed.
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { createStore, defineGraph, defineNode, type GraphBackend, type OperationHookContext, type StoreHooks } from "../dist/index.js";

const Herb = defineNode("Herb", { schema: z.object({ name: z.string(), grams: z.number() }) });
const graph = defineGraph({ id: "herbs", nodes: { Herb }, edges: {} });
declare const backend: GraphBackend;

describe("transaction query and operation hooks", () => {
  it("types tx.query() like store.query()", async () => {
    const store = createStore(graph, backend);
    await store.transaction(async (tx) => {
      const rows = await tx.query().from("Herb", "h").select((c) => ({ name: c.h.name, grams: c.h.grams })).execute();
      expectTypeOf(rows).toEqualTypeOf<readonly { name: string; grams: number }[]>();
      // @ts-expect-error unknown kind
      tx.query().from("Spice", "s");
    });
  });

  it("types the operation hook payloads", () => {
    const hooks: StoreHooks = {
      onOperationStart: (ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<OperationHookContext>();
        expectTypeOf(ctx.operation).toEqualTypeOf<"create" | "update" | "delete">();
        expectTypeOf(ctx.entity).toEqualTypeOf<"node" | "edge">();
      },
      onOperationEnd: (_ctx, result) => expectTypeOf(result.durationMs).toEqualTypeOf<number>(),
      onBulkOperationEnd: (ctx, result) => {
        expectTypeOf(ctx.operation).toEqualTypeOf<"updateWhere">();
        expectTypeOf(result.affectedCount).toEqualTypeOf<number>();
      },
    };
    createStore(graph, backend, { hooks });
  });
});
