// store.nodes.X.updateWhere: a set update of the live nodes a selector picks, in one transaction,
// with every after-image validated and unique keys / fulltext moved along; all or nothing.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  UniquenessError,
  ValidationError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  searchable,
  type GraphBackend,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Worker = defineNode("Worker", {
  schema: z.object({ name: z.string(), badge: z.string(), age: z.number().int().optional(), note: searchable().optional(), retired: z.boolean().optional() }),
});
const Firm = defineNode("Firm", { schema: z.object({ name: z.string(), sector: z.string() }) });
const employs = defineEdge("employs", { schema: z.object({ role: z.string() }) });

function uwGraph(id: string) {
  return defineGraph({
    id,
    nodes: { Worker: { type: Worker, unique: [{ name: "worker_badge", fields: ["badge"] }] }, Firm: { type: Firm } },
    edges: { employs: { type: employs, from: [Firm], to: [Worker] } },
  });
}

describe.each(backends)("updateWhere on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function seeded() {
    const graph = uwGraph(freshGraphId(`uw_${bc.name}`));
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    const ada = await store.nodes.Worker.create({ name: "Ada", badge: "B1", age: 41, note: "compiler work" }, { id: "w-ada" });
    const bo = await store.nodes.Worker.create({ name: "Bo", badge: "B2", age: 29 }, { id: "w-bo" });
    const cy = await store.nodes.Worker.create({ name: "Cy", badge: "B3", age: 52 }, { id: "w-cy" });
    const gone = await store.nodes.Worker.create({ name: "Gone", badge: "B4", age: 60 }, { id: "w-gone" });
    await store.nodes.Worker.delete(gone.id);
    const labs = await store.nodes.Firm.create({ name: "Labs", sector: "tech" });
    const bank = await store.nodes.Firm.create({ name: "Bank", sector: "finance" });
    await store.edges.employs.create(labs, ada, { role: "engineer" });
    await store.edges.employs.create(bank, ada, { role: "advisor" });
    await store.edges.employs.create(bank, cy, { role: "engineer" });
    return { store, ada, bo, cy };
  }

  it("updates the live rows a where predicate picks, and only those", async () => {
    const { store } = await seeded();
    const result = await store.nodes.Worker.updateWhere({ patch: { retired: true }, where: (w) => w.age.gte(40) });
    expect(result).toEqual({ affectedCount: 2 });
    const after = await store.nodes.Worker.getByIds(["w-ada", "w-bo", "w-cy"]);
    expect(after.map((n) => n?.retired)).toEqual([true, undefined, true]);
    expect(after.map((n) => n?.meta.version)).toEqual([2, 1, 2]);
    // The soft-deleted row is not current: untouched.
    const gone = await store.nodes.Worker.getById("w-gone", { temporalMode: "includeTombstones" });
    expect(gone?.retired).toBeUndefined();
    expect(gone?.meta.version).toBe(1);
  });

  it("ANDs independent exists predicates over incoming edges, their props and the related node", async () => {
    const { store } = await seeded();
    const result = await store.nodes.Worker.updateWhere({
      patch: { age: 99 },
      exists: [
        { edgeKind: "employs", direction: "in", relatedKind: "Firm", whereRelated: (f: never) => (f as { field(n: string): { string(): { eq(v: string): never } } }).field("sector").string().eq("tech") },
        { edgeKind: "employs", direction: "in", relatedKind: "Firm", whereEdge: (e: never) => (e as { field(n: string): { string(): { eq(v: string): never } } }).field("role").string().eq("advisor") },
      ],
    });
    expect(result).toEqual({ affectedCount: 1 });
    expect((await store.nodes.Worker.getById("w-ada"))?.age).toBe(99);
    expect((await store.nodes.Worker.getById("w-cy"))?.age).toBe(52);
    // A where predicate and an exists entry together.
    const both = await store.nodes.Worker.updateWhere({
      patch: { age: 53 },
      where: (w) => w.name.eq("Cy"),
      exists: [{ edgeKind: "employs", direction: "in", relatedKind: "Firm" }],
    });
    expect(both.affectedCount).toBe(1);
    expect((await store.nodes.Worker.getById("w-cy"))?.age).toBe(53);
  });

  it("needs a selector; all: true updates the whole kind and undefined removes an optional prop", async () => {
    const { store } = await seeded();
    const refused = store.nodes.Worker.updateWhere({ patch: { age: 1 } });
    await expect(refused).rejects.toThrow(/explicit all: true/);
    await expect(refused).rejects.toBeInstanceOf(ConfigurationError);
    await expect(store.nodes.Worker.updateWhere({ patch: { age: 1 }, exists: [{ edgeKind: "nope", relatedKind: "Firm" }] })).rejects.toBeInstanceOf(ValidationError);
    const result = await store.nodes.Worker.updateWhere({ patch: { age: undefined }, all: true });
    expect(result.affectedCount).toBe(3);
    expect((await store.nodes.Worker.find()).map((w) => w.age)).toEqual([undefined, undefined, undefined]);
  });

  it("is all or nothing: one invalid after-image or a taken unique key writes nothing", async () => {
    const { store } = await seeded();
    await expect(store.nodes.Worker.updateWhere({ patch: { name: undefined } as never, all: true })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.nodes.Worker.updateWhere({ patch: { badge: "B9" }, where: (w) => w.age.gte(40) })).rejects.toBeInstanceOf(UniquenessError);
    const rows = await store.nodes.Worker.getByIds(["w-ada", "w-bo", "w-cy"]);
    expect(rows.map((n) => [n?.name, n?.badge, n?.meta.version])).toEqual([["Ada", "B1", 1], ["Bo", "B2", 1], ["Cy", "B3", 1]]);
  });

  it("moves unique keys and fulltext documents with the rows", async () => {
    const { store } = await seeded();
    await store.nodes.Worker.updateWhere({ patch: { badge: "B7", note: "garden design" }, where: (w) => w.name.eq("Ada") });
    expect((await store.nodes.Worker.findByConstraint("worker_badge", { badge: "B7" }))?.id).toBe("w-ada");
    expect(await store.nodes.Worker.findByConstraint("worker_badge", { badge: "B1" })).toBeUndefined();
    const freed = await store.nodes.Worker.create({ name: "New", badge: "B1" });
    expect(freed.badge).toBe("B1");
    expect((await store.search.fulltext("Worker", { query: "garden", limit: 5 })).map((h) => h.node.id)).toEqual(["w-ada"]);
    expect(await store.search.fulltext("Worker", { query: "compiler", limit: 5 })).toEqual([]);
  });

  it("runs inside store.transaction and rolls back with it", async () => {
    const { store } = await seeded();
    await expect(
      store.transaction(async (tx) => {
        const r = await tx.nodes.Worker.updateWhere({ patch: { age: 0 }, all: true });
        expect(r.affectedCount).toBe(3);
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect((await store.nodes.Worker.getById("w-bo"))?.age).toBe(29);
  });
});
