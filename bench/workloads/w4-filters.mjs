// W4: property filters and aggregation — `city = ? AND age >= ?` limit 50 (served by the
// (city, age) node index) and a count per city; 200 / 20 runs, median and p95.
import { count, field, param } from "typegraph-native";
import { CITIES } from "../dataset.mjs";
import { now, ns, summarize } from "../stats.mjs";
export const name = "W4 filters";

/** The workload's queries by metric, their param() names in SQL order, and runs. */
export function queries(store, runs = 200) {
  const filter = store
    .query()
    .from("Person", "p")
    .whereNode("p", (p) => p.city.eq(param("city")).and(p.age.gte(param("age"))))
    .select((c) => ({ id: c.p.id, age: c.p.age }))
    .limit(50);
  // Built anew per run (as a user's one-off aggregate is).
  const group = () => store.query().from("Person", "p").groupBy("p", "city").aggregate({ city: field("p", "city"), n: count("p") });
  return { cityAgeLimit50: { query: filter, params: ["city", "age"], runs }, groupByCityCount: { query: group(), build: group, params: [], runs: 20 } };
}

export async function run({ store, runs = 200 }) {
  const { cityAgeLimit50, groupByCityCount } = queries(store, runs);
  const filter = cityAgeLimit50.query.prepare();
  const f = [];
  for (let r = 0; r < runs; r++) {
    const t0 = now();
    await filter.execute({ city: CITIES[r % CITIES.length], age: 30 + (r % 40) });
    f.push(ns(t0));
  }
  const g = [];
  for (let r = 0; r < groupByCityCount.runs; r++) {
    const t0 = now();
    const rows = await groupByCityCount.build().execute();
    g.push(ns(t0));
    if (rows.length !== CITIES.length) throw new Error(`expected ${CITIES.length} groups, got ${rows.length}`);
  }
  return { cityAgeLimit50: summarize(f), groupByCityCount: summarize(g) };
}
