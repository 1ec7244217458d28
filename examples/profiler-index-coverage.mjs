// Query profiler: run a workload through a profiled store, read the index recommendations,
// then declare the recommended index and check coverage again (in-memory SQLite).
import { z } from "zod";
import { createStore, defineEdge, defineGraph, defineNode } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";
import { defineNodeIndex, toDeclaredIndexes } from "typegraph-native/indexes";
import { QueryProfiler } from "typegraph-native/profiler";

const Customer = defineNode("Customer", { schema: z.object({ email: z.string(), region: z.string() }) });
const Order = defineNode("Order", { schema: z.object({ total: z.number(), status: z.string() }) });
const placed = defineEdge("placed", { schema: z.object({ channel: z.string() }) });
const graph = defineGraph({
  id: "shop",
  nodes: { Customer, Order },
  edges: { placed: { type: placed, from: [Customer], to: [Order] } },
});
const customerEmail = defineNodeIndex(Customer, { fields: ["email"] });

const { backend } = createLocalSqliteBackend();
const store = createStore(graph, backend);
for (let i = 0; i < 6; i++) {
  const c = await store.nodes.Customer.create({ email: `c${i}@shop.test`, region: i % 2 ? "north" : "south" });
  const o = await store.nodes.Order.create({ total: 10 * (i + 1), status: i % 3 ? "open" : "paid" });
  await store.edges.placed.create(c, o, { channel: "web" });
}

async function workload(s) {
  for (let i = 0; i < 6; i++) {
    await s.query().from("Customer", "c").whereNode("c", (c) => c.email.eq(`c${i}@shop.test`)).select((x) => x.c.region).execute();
  }
  for (let i = 0; i < 4; i++) {
    await s
      .query()
      .from("Customer", "c")
      .traverse("placed", "p")
      .to("Order", "o")
      .whereNode("o", (o) => o.status.eq("open"))
      .orderBy("o", "total", "desc")
      .select((x) => ({ email: x.c.email, total: x.o.total }))
      .execute();
  }
}

// 1. Nothing declared yet.
const first = new QueryProfiler();
await workload(first.attachToStore(store));
const report = first.getReport();
for (const rec of report.recommendations) console.log(`[${rec.priority}] ${rec.entityType}:${rec.kind} ${rec.fields.join(", ")} — ${rec.reason}`);
first.detach();

// 2. With the email index declared, and one for the order status the report asked for.
const orderStatus = defineNodeIndex(Order, { fields: ["status"] });
const second = new QueryProfiler({ declaredIndexes: toDeclaredIndexes([customerEmail, orderStatus]) });
await workload(second.attachToStore(store));
second.assertIndexCoverage();
const left = second.getReport().recommendations.map((r) => `${r.kind}${r.fields.join("")}`);
console.log(`ok queries=${second.getReport().summary.totalQueries} first=${report.recommendations.length} left=${left.join(",")}`);
await backend.close();
