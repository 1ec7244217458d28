// Type tests: transactionWithReceipt's outcome, the measurable context and its scopes.
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  createStore,
  defineGraph,
  defineNode,
  type GraphBackend,
  type IdentityWriteSummary,
  type MeasurableTransactionContext,
  type ScopedMeasure,
  type TransactionContext,
  type TransactionOutcome,
  type TransactionReceipt,
} from "../dist/index.js";

const Kettle = defineNode("Kettle", { schema: z.object({ litres: z.number() }) });
const graph = defineGraph({ id: "kettles", nodes: { Kettle }, edges: {} });
declare const backend: GraphBackend;

describe("transaction receipts", () => {
  it("types the outcome and the measurable context", async () => {
    const store = createStore(graph, backend);
    const outcome = await store.transactionWithReceipt(async (tx) => {
      expectTypeOf(tx).toEqualTypeOf<MeasurableTransactionContext<typeof graph>>();
      // A measurable context is a transaction context.
      expectTypeOf(tx).toMatchTypeOf<TransactionContext<typeof graph>>();
      expectTypeOf(tx.measure).toEqualTypeOf<ScopedMeasure<MeasurableTransactionContext<typeof graph>>>();
      const scoped = await tx.measure(async (s) => {
        const k = await s.nodes.Kettle.create({ litres: 1.5 });
        const nested = await s.measure(async () => 7);
        expectTypeOf(nested).toEqualTypeOf<TransactionOutcome<number>>();
        return k.litres;
      });
      expectTypeOf(scoped.result).toEqualTypeOf<number>();
      return "done" as const;
    });
    expectTypeOf(outcome.result).toEqualTypeOf<"done">();
    expectTypeOf(outcome.receipt).toEqualTypeOf<TransactionReceipt>();
    expectTypeOf(outcome.receipt.writes.total).toEqualTypeOf<number>();
    expectTypeOf(outcome.receipt.writes.identity).toEqualTypeOf<IdentityWriteSummary>();
    expectTypeOf(outcome.receipt.writes.nodes).toEqualTypeOf<Readonly<Record<string, number>>>();
    // @ts-expect-error a receipt is read-only
    outcome.receipt.writes.total = 3;
  });

  it("plain transaction contexts have no measure", async () => {
    const store = createStore(graph, backend);
    await store.transaction(async (tx) => {
      // @ts-expect-error measure belongs to receipt-enabled transactions only
      void tx.measure;
    });
  });
});
