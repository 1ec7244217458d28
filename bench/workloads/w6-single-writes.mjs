// W6: autocommit single writes: create, edges.create, update — 500 each.
import { now, ns, summarize } from "../stats.mjs";
export const name = "W6 single writes";
export async function run({ store, data, count = 500 }) {
  const create = [];
  const created = [];
  for (let i = 0; i < count; i++) {
    const t0 = now();
    created.push(await store.nodes.Person.create({ name: `W6 ${i}`, city: "Rome", age: 40, bio: "x".repeat(256) }));
    create.push(ns(t0));
  }
  const edge = [];
  for (let i = 0; i < count; i++) {
    const t0 = now();
    await store.edges.knows.create(created[i], { kind: "Person", id: data.people[i].id }, { since: 2020 });
    edge.push(ns(t0));
  }
  const update = [];
  for (let i = 0; i < count; i++) {
    const t0 = now();
    await store.nodes.Person.update(created[i].id, { age: 41 });
    update.push(ns(t0));
  }
  return { create: summarize(create), edgeCreate: summarize(edge), update: summarize(update) };
}
