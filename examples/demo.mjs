// The main job on the embedded SQLite default: define a typed graph, open a
// file-backed store, write a person, a company and a job in one transaction,
// then read, update and query them back.
import { z } from "zod";
import { defineEdge, defineGraph, defineNode } from "typegraph-native";
import { createLocalSqliteStore } from "typegraph-native/sqlite/local";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const Person = defineNode("Person", { schema: z.object({ name: z.string(), city: z.string().optional(), age: z.number().int().optional() }) });
const Company = defineNode("Company", { schema: z.object({ name: z.string() }) });
const worksAt = defineEdge("worksAt", { schema: z.object({ role: z.string() }) });
const graph = defineGraph({
  id: "demo",
  nodes: { Person: { type: Person, unique: [{ name: "person_name", fields: ["name"] }] }, Company: { type: Company, onDelete: "cascade" } },
  edges: { worksAt: { type: worksAt, from: [Person], to: [Company] } },
});

const path = process.argv[2] ?? join(mkdtempSync(join(tmpdir(), "typegraph-demo-")), "graph.db");
const store = await createLocalSqliteStore(graph, { path });
console.log(`database: ${path}`);

const { alice, acme } = await store.transaction(async (tx) => {
  const alice = await tx.nodes.Person.create({ name: "Alice", city: "Lisbon", age: 34 });
  const acme = await tx.nodes.Company.create({ name: "Acme" });
  await tx.edges.worksAt.create(alice, acme, { role: "Engineer" });
  return { alice, acme };
});
console.log("created", alice.name, "at", acme.name, "version", alice.meta.version);

const moved = await store.nodes.Person.update(alice.id, { city: "Porto" });
console.log("updated", moved.name, "→", moved.city, "version", moved.meta.version);

const jobs = await store.edges.worksAt.findFrom(alice);
console.log("jobs", jobs.map((j) => `${j.role} at ${j.toId === acme.id ? acme.name : j.toId}`));

const adults = await store.nodes.Person.find({ where: (p) => p.age.gte(18) });
console.log("adults", adults.map((p) => p.name));

try {
  await store.nodes.Person.create({ name: "Alice" });
} catch (error) {
  console.log("refused:", error.name, error.code);
}

await store.nodes.Company.delete(acme.id);
console.log("after cascade delete, jobs:", (await store.edges.worksAt.findFrom(alice)).length);
await store.close();
