import { z } from "zod";
import { defineEdge, defineGraph, defineNode, externalRef } from "../dist/index.js";

export const Person = defineNode("Person", {
  schema: z.object({
    name: z.string().min(1),
    email: z.string().optional(),
    age: z.number().int().optional(),
    tags: z.array(z.string()).optional(),
  }),
});
export const Company = defineNode("Company", { schema: z.object({ name: z.string(), founded: z.number().optional() }) });
export const Team = defineNode("Team", { schema: z.object({ name: z.string() }) });
export const Doc = defineNode("Doc", { schema: z.object({ source: externalRef("documents"), title: z.string().optional() }) });
export const worksAt = defineEdge("worksAt", { schema: z.object({ role: z.string() }) });
export const knows = defineEdge("knows");
export const memberOf = defineEdge("memberOf");
export const manages = defineEdge("manages");

export function makeGraph(id: string) {
  return defineGraph({
    id,
    nodes: {
      Person: { type: Person, unique: [{ name: "person_email", fields: ["email"], where: (p) => p.email.isNotNull() }] },
      Company: { type: Company, onDelete: "cascade" },
      Team: { type: Team, onDelete: "disconnect" },
      Doc,
    },
    edges: {
      worksAt: { type: worksAt, from: [Person], to: [Company] },
      knows: { type: knows, from: [Person], to: [Person] },
      memberOf: { type: memberOf, from: [Person], to: [Team] },
      manages: { type: manages, from: [Person], to: [Company], cardinality: "one" },
    },
  });
}
