// Seed 000, "Direct Drizzle Integration": TypeGraph tables beside the app's, one
// transaction creating Person, Company and a worksAt edge. Needs DATABASE_URL.
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { z } from "zod";
import { createStore, defineEdge, defineGraph, defineNode } from "typegraph-native";
import { createPostgresBackend, generatePostgresMigrationSQL } from "typegraph-native/postgres";

const Person = defineNode("Person", { schema: z.object({ name: z.string() }) });
const Company = defineNode("Company", { schema: z.object({ name: z.string() }) });
const worksAt = defineEdge("worksAt", { schema: z.object({ role: z.string() }) });
const graph = defineGraph({
  id: `seed000_${process.pid}_${Date.now()}`,
  nodes: { Person, Company },
  edges: { worksAt: { type: worksAt, from: [Person], to: [Company] } },
});

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const db = drizzle(pool);
await pool.query(generatePostgresMigrationSQL());

const backend = createPostgresBackend(db);
const store = createStore(graph, backend);
await store.transaction(async (tx) => {
  const person = await tx.nodes.Person.create({ name: "Alice" });
  const company = await tx.nodes.Company.create({ name: "Acme" });
  await tx.edges.worksAt.create(person, company, { role: "Engineer" });
});
const { rows } = await pool.query("SELECT count(*)::int AS n FROM typegraph_edges WHERE graph_id = $1", [graph.id]);
if (rows[0].n !== 1) throw new Error(`expected one worksAt edge, found ${rows[0].n}`);
await store.close();
await pool.end();
console.log("ok", rows[0].n);
