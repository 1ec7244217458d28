// bulkLoad on a fresh file-backed SQLite database (the benchmark's W1 setting): the secondary
// indexes of the node and edge tables are rebuilt before commit (primary keys stay); every check
// of the normal write path still runs, and a load that fails midway leaves the database as it was.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CardinalityError, EndpointNotFoundError, UniquenessError, ValidationError, createStoreWithSchema } from "../dist/index.js";
import { createLocalSqliteBackend } from "../dist/sqlite-local.js";
import { freshGraphId } from "./backends.js";
import { makeGraph } from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "tg-load-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

async function fresh() {
  const graph = makeGraph(freshGraphId("sqlload"));
  const { backend, db } = createLocalSqliteBackend({ path: join(dir, `load-${files++}.db`) });
  const [store] = await createStoreWithSchema(graph, backend, { autoRefreshStatistics: false });
  const indexes = () =>
    db.query("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('typegraph_nodes', 'typegraph_edges') ORDER BY name") as [string, string | null][];
  return { store, db, indexes };
}

const people = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: `p${from + i}`, props: { name: `P${from + i}`, age: from + i } }));
const chain = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `k${from + i}`, from: { kind: "Person" as const, id: `p${from + i}` }, to: { kind: "Person" as const, id: `p${from + i + 1}` } }));

describe("bulkLoad on a fresh SQLite file", () => {
  it("defers the secondary indexes during the load and ends with every index as before", async () => {
    const { store, indexes } = await fresh();
    const before = indexes();
    const names = before.map(([n]) => n);
    for (const ix of ["typegraph_edges_to_idx", "typegraph_edges_from_idx", "typegraph_edges_cardinality_idx", "typegraph_nodes_id_idx", "typegraph_edges_kind_idx"]) {
      expect(names).toContain(ix);
    }
    let during: [string, string | null][] = [];
    await store.bulkLoad(async (tx) => {
      await tx.nodes.Person.bulkInsert(people(0, 300));
      during = indexes();
      await tx.edges.knows.bulkInsert(chain(0, 299));
    });
    // During the load only the primary keys' own indexes are there (no CREATE statement).
    expect(during.length).toBeGreaterThan(0);
    expect(during.every(([, sql]) => sql === null)).toBe(true);
    expect(indexes()).toEqual(before);
    expect(await store.edges.knows.count()).toBe(299);
    expect((await store.nodes.Person.find({ where: (p) => p.age.gte(298) })).length).toBe(2);
    // Reads through the rebuilt endpoint indexes.
    expect((await store.edges.knows.findFrom({ kind: "Person", id: "p10" })).map((e) => e.toId)).toEqual(["p11"]);
    expect((await store.edges.knows.findTo({ kind: "Person", id: "p10" })).map((e) => e.fromId)).toEqual(["p9"]);
    await store.close();
  });

  it("a load failing midway writes nothing and leaves every index in place; the store stays usable", async () => {
    const { store, indexes } = await fresh();
    const before = indexes();
    const bad = await store
      .bulkLoad(async (tx) => {
        await tx.nodes.Person.bulkInsert(people(0, 200));
        await tx.edges.knows.bulkInsert(chain(0, 100));
        // Item 3 of this batch fails validation (empty name): the whole load is refused.
        await tx.nodes.Person.bulkInsert([...people(200, 3), { id: "bad", props: { name: "" } }, ...people(203, 2)]);
      })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).details).toMatchObject({ index: 3 });
    expect(indexes()).toEqual(before);
    expect(await store.nodes.Person.count()).toBe(0);
    expect(await store.edges.knows.count()).toBe(0);
    // Usable afterwards, through the normal path and through another load.
    await store.nodes.Person.bulkInsert(people(0, 5));
    await store.edges.knows.bulkInsert(chain(0, 4));
    expect(indexes()).toEqual(before);
    const again = await store.bulkLoad(async (tx) => {
      await tx.nodes.Person.bulkInsert(people(5, 5));
      return tx.nodes.Person.count();
    });
    expect(again).toBe(10);
    expect(indexes()).toEqual(before);
    expect((await store.edges.knows.findFrom({ kind: "Person", id: "p3" })).map((e) => e.toId)).toEqual(["p4"]);
    await store.close();
  });

  it("a refused batch inside a load writes nothing; endpoints, uniques and cardinality are checked as usual", async () => {
    const { store, indexes } = await fresh();
    const before = indexes();
    const refused: unknown[] = [];
    const catchIt = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => void refused.push(e));
    await store.bulkLoad(async (tx) => {
      await tx.nodes.Person.bulkInsert([...people(0, 10), { id: "mail", props: { name: "M", email: "m@x" } }]);
      await tx.nodes.Company.bulkInsert([{ id: "c1", props: { name: "C" } }]);
      // Endpoint missing (item 1): nothing of the batch is written.
      await catchIt(tx.edges.knows.bulkInsert([chain(0, 1)[0]!, { from: { kind: "Person", id: "p1" }, to: { kind: "Person", id: "ghost" } }]));
      // A taken unique key.
      await catchIt(tx.nodes.Person.bulkInsert([{ id: "mail2", props: { name: "M2", email: "m@x" } }]));
      // "manages" is cardinality one: a second edge from p0 is refused.
      await tx.edges.manages.bulkInsert([{ from: { kind: "Person", id: "p0" }, to: { kind: "Company", id: "c1" } }]);
      await catchIt(tx.edges.manages.bulkInsert([{ from: { kind: "Person", id: "p0" }, to: { kind: "Company", id: "c1" } }]));
      await tx.edges.knows.bulkInsert(chain(0, 9));
    });
    expect(refused[0]).toBeInstanceOf(EndpointNotFoundError);
    expect(refused[1]).toBeInstanceOf(UniquenessError);
    expect(refused[2]).toBeInstanceOf(CardinalityError);
    expect(refused).toHaveLength(3);
    expect(indexes()).toEqual(before);
    expect(await store.nodes.Person.count()).toBe(11);
    expect(await store.edges.knows.count()).toBe(9);
    expect(await store.edges.manages.count()).toBe(1);
    expect((await store.nodes.Person.findByConstraint("person_email", { email: "m@x" }))?.id).toBe("mail");
    await store.close();
  });
});
