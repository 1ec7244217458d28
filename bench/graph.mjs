import { z } from "zod";
import { defineEdge, defineGraph, defineNode } from "typegraph-native";

export const Person = defineNode("Person", {
  schema: z.object({ name: z.string(), city: z.string(), age: z.number().int(), bio: z.string() }),
});
export const knows = defineEdge("knows", { schema: z.object({ since: z.number().int() }) });
export const graph = defineGraph({ id: "bench", nodes: { Person }, edges: { knows: { type: knows, from: [Person], to: [Person] } } });

/** The node index on (city, age), as upstream's generated DDL spells it per dialect. */
export function personCityAgeIndexSql(dialect) {
  return dialect === "sqlite"
    ? `CREATE INDEX IF NOT EXISTS "idx_bench_person_city_age" ON "typegraph_nodes" ("graph_id", "kind", (json_extract("props", '$."city"')), (json_extract("props", '$."age"')))`
    : `CREATE INDEX IF NOT EXISTS "idx_bench_person_city_age" ON "typegraph_nodes" ("graph_id", "kind", ("props" #>> ARRAY['city']), (("props" #>> ARRAY['age'])::numeric))`;
}
