// W5 (and W5c) alone on a PostgreSQL store in a fresh schema of its own, for round-trip counts
// (`strace -f -e trace=sendto,recvfrom`) and A/B runs: prints wall ms and CPU ms per call.
//   TG_PROBE=W5|W5c   which workload (default W5); TG_PROBE_REPS=n   timed calls (default 5)
import { createStoreWithSchema } from "typegraph-native";
import { createPostgresBackend } from "typegraph-native/postgres";
import { makeDataset } from "./dataset.mjs";
import { graph } from "./graph.mjs";

const url = process.env.DATABASE_URL;
const which = process.env.TG_PROBE ?? "W5";
const reps = Number(process.env.TG_PROBE_REPS ?? 5);
const schema = `tg_w5_probe_${process.pid}`;
const inSchema = `${url}${url.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema},public`)}`;
const admin = createPostgresBackend(url);
await admin.exec(`CREATE SCHEMA ${schema}`);
const backend = createPostgresBackend(inSchema);
const [store] = await createStoreWithSchema(graph, backend, { autoRefreshStatistics: false });
try {
  await store.materializeIndexes();
  const data = makeDataset({ persons: 20000, edgesPerPerson: 0 });
  let call;
  if (which === "W5") {
    await store.nodes.Person.bulkInsert(data.people);
    const batch = (rep) => {
      const items = [];
      for (let i = 0; i < 1000; i++) {
        const p = data.people[(i * 3 + rep * 7) % data.people.length];
        items.push({ id: p.id, props: { ...p.props, age: p.props.age + 1 + rep } });
        items.push({ id: `new_person_${rep}_${i}`, props: { name: `New ${i}`, city: "Lisbon", age: 30, bio: p.props.bio } });
      }
      return items;
    };
    call = (rep) => store.nodes.Person.bulkUpsertById(batch(rep));
  } else {
    await store.nodes.Account.bulkInsert(Array.from({ length: 4000 }, (_, i) => ({ props: { email: `user${i}@example.com`, name: `User ${i}`, visits: 0 } })));
    const batch = (rep) => {
      const items = [];
      for (let i = 0; i < 1000; i++) {
        const k = (i * 3 + rep * 7) % 4000;
        items.push({ props: { email: `user${k}@example.com`, name: `User ${k}`, visits: rep + 1 } });
        items.push({ props: { email: `new${rep}_${i}@example.com`, name: `New ${i}`, visits: 1 } });
      }
      return items;
    };
    call = (rep) => store.nodes.Account.bulkGetOrCreateByConstraint("email", batch(rep), { ifExists: "update" });
  }
  await call(1000);
  if (process.env.TG_PROBE_MARK) console.error("--- timed ---");
  for (let rep = 0; rep < reps; rep++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await call(rep);
    const c = process.cpuUsage(c0);
    console.log(`${which} call ${rep}: ${(performance.now() - t0).toFixed(1)} ms wall, ${((c.user + c.system) / 1000).toFixed(1)} ms CPU`);
  }
} finally {
  await store.close();
  await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.close();
}
