// W6: autocommit single writes: create, edges.create, update — 500 each.
// On SQLite each phase starts from an emptied WAL (`wal_checkpoint(TRUNCATE)`, untimed), as the
// floor lane's phases do: what the earlier workloads left in the WAL (and where the automatic
// checkpoint of every 1,000 frames then lands) would otherwise differ between lanes and runs.
// Each phase also reports CPU-µs per operation (this process, every thread: GC and compiler
// threads included), which a busy machine does not stretch; the floor reports its thread's.
import { now, ns, summarize } from "../stats.mjs";
export const name = "W6 single writes";
export async function run({ store, data, lane, count = 500 }) {
  const settle = lane?.dialect === "sqlite" ? () => store.backend.exec("PRAGMA wal_checkpoint(TRUNCATE)") : async () => {};
  const cpu = () => {
    const c = process.cpuUsage();
    return c.user + c.system;
  };
  const phase = (samples, c0) => ({ ...summarize(samples), cpuUsPerOp: Math.round(((cpu() - c0) / samples.length) * 10) / 10 });
  const create = [];
  const created = [];
  await settle();
  let c0 = cpu();
  for (let i = 0; i < count; i++) {
    const t0 = now();
    created.push(await store.nodes.Person.create({ name: `W6 ${i}`, city: "Rome", age: 40, bio: "x".repeat(256) }));
    create.push(ns(t0));
  }
  const createOut = phase(create, c0);
  const edge = [];
  await settle();
  c0 = cpu();
  for (let i = 0; i < count; i++) {
    const t0 = now();
    await store.edges.knows.create(created[i], { kind: "Person", id: data.people[i].id }, { since: 2020 });
    edge.push(ns(t0));
  }
  const edgeOut = phase(edge, c0);
  const update = [];
  await settle();
  c0 = cpu();
  for (let i = 0; i < count; i++) {
    const t0 = now();
    await store.nodes.Person.update(created[i].id, { age: 41 });
    update.push(ns(t0));
  }
  return { create: createOut, edgeCreate: edgeOut, update: phase(update, c0) };
}
