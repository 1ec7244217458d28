// Seed 000, "In-Memory (Ephemeral Graphs)": a store per computation on in-memory SQLite.
import { z } from "zod";
import { createStore, defineEdge, defineGraph, defineNode } from "typegraph-native";
import { createLocalSqliteBackend } from "typegraph-native/sqlite/local";

const User = defineNode("User", { schema: z.object({ name: z.string() }) });
const Product = defineNode("Product", { schema: z.object({ title: z.string() }) });
const similar = defineEdge("similar");
const recommendationGraph = defineGraph({
  id: "recommendations",
  nodes: { User, Product },
  edges: { similar: { type: similar, from: [User], to: [Product] } },
});

function createEphemeralStore(graph) {
  const { backend } = createLocalSqliteBackend();
  return createStore(graph, backend);
}

const tempStore = createEphemeralStore(recommendationGraph);
const user = await tempStore.nodes.User.create({ name: "u1" });
const p1 = await tempStore.nodes.Product.create({ title: "Lamp" });
await tempStore.edges.similar.create(user, p1);
const hits = await tempStore.edges.similar.findFrom(user);
if (hits.length !== 1 || hits[0].toId !== p1.id) throw new Error("ephemeral store lost the edge");
await tempStore.close();
console.log("ok", hits.length);
