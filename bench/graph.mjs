import { z } from "zod";
import { defineEdge, defineGraph, defineNode, defineNodeIndex } from "typegraph-native";
import { generateIndexDDL } from "typegraph-native/indexes";

export const Person = defineNode("Person", {
  schema: z.object({ name: z.string(), city: z.string(), age: z.number().int(), bio: z.string() }),
});
/** W5c's kind: a unique constraint of its own, so Person rows carry no uniques. */
export const Account = defineNode("Account", {
  schema: z.object({ email: z.string(), name: z.string(), visits: z.number().int() }),
});
export const knows = defineEdge("knows", { schema: z.object({ since: z.number().int() }) });
/** The declared node index on (city, age): built by `store.materializeIndexes()` in each lane. */
export const personCityAge = defineNodeIndex(Person, { fields: ["city", "age"], name: "idx_bench_person_city_age" });
export const graph = defineGraph({
  id: "bench",
  nodes: { Person, Account: { type: Account, unique: [{ name: "email", fields: ["email"] }] } },
  edges: { knows: { type: knows, from: [Person], to: [Person] } },
  indexes: [personCityAge],
});

/**
 * W1's trusted-import lanes: the same id, Person/knows and index, without W5c's uniquely keyed
 * Account (a trusted import refuses graphs whose kinds declare uniqueness constraints).
 */
export const trustedGraph = defineGraph({
  id: "bench",
  nodes: { Person: { type: Person } },
  edges: { knows: { type: knows, from: [Person], to: [Person] } },
  indexes: [personCityAge],
});

/** The same index's DDL per dialect, for the plain-SQL floor lane. */
export function personCityAgeIndexSql(dialect) {
  return generateIndexDDL(personCityAge, dialect);
}
