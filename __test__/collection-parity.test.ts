// Collection and builder behaviour pinned against upstream's documented contract: untyped-record
// writes, canonical instants on every temporal input, detached collection methods, an alias
// named "__proto__", and the error classes upstream exports.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ContributionUnavailableError,
  EagerMaterializationError,
  EmbeddingDimensionChangedError,
  TransactionClosedError,
  TypeGraphError,
  ValidationError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  externalRef,
  type GraphBackend,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Member = defineNode("Member", { schema: z.object({ handle: z.string(), level: z.number().int().optional() }) });
const Club = defineNode("Club", { schema: z.object({ title: z.string() }) });
const joined = defineEdge("joined", { schema: z.object({ since: z.number().optional() }) });

function parityGraph(id: string) {
  return defineGraph({ id, nodes: { Member: { type: Member }, Club: { type: Club } }, edges: { joined: { type: joined, from: [Member], to: [Club] } } });
}

describe.each(backends)("collection parity on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function openStore() {
    const graph = parityGraph(freshGraphId(`parity_${bc.name}`));
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    return store;
  }

  it("createFromRecord takes an untyped record and validates it at runtime", async () => {
    const store = await openStore();
    const record: Record<string, unknown> = JSON.parse('{"handle":"kim","level":3}');
    const kim = await store.nodes.Member.createFromRecord(record, { id: "m-kim" });
    expect(kim).toMatchObject({ id: "m-kim", kind: "Member", handle: "kim", level: 3 });
    await expect(store.nodes.Member.createFromRecord({ handle: 42 })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.nodes.Member.createFromRecord({ handle: "x" }, { id: "m-kim" })).rejects.toBeInstanceOf(TypeGraphError);
    expect(await store.nodes.Member.count()).toBe(1);
  });

  it("holds read coordinates (asOf) to canonical fixed-width UTC on every read path", async () => {
    const store = await openStore();
    const past = "2020-06-01T00:00:00.000Z";
    const m = await store.nodes.Member.create({ handle: "ana" }, { validFrom: past });
    const c = await store.nodes.Club.create({ title: "chess" }, { validFrom: past });
    const e = await store.edges.joined.create(m, c, {}, { validFrom: past });
    expect(m.meta.validFrom).toBe(past);

    for (const bad of ["2020-06-01", "2020-06-01T00:00:00Z", "2020-06-01T00:00:00+00:00", "soon"]) {
      const asOf = { temporalMode: "asOf", asOf: bad } as const;
      await expect(store.nodes.Member.getById(m.id, asOf)).rejects.toBeInstanceOf(ValidationError);
      await expect(store.nodes.Member.find(undefined, asOf)).rejects.toBeInstanceOf(ValidationError);
      await expect(store.nodes.Member.count(asOf)).rejects.toBeInstanceOf(ValidationError);
      await expect(store.edges.joined.getById(e.id, asOf)).rejects.toBeInstanceOf(ValidationError);
      expect(() => store.query().from("Member", "m").temporal("asOf", bad)).toThrow(ValidationError);
    }
    await expect(store.edges.joined.count(undefined, { temporalMode: "asOf", asOf: "2021-01-01" })).rejects.toThrow(/Invalid canonical ISO 8601 datetime for "asOf"/);

    // A pinned instant is an asOf coordinate only; asOf mode needs one.
    await expect(store.nodes.Member.find(undefined, { temporalMode: "current", asOf: past })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.nodes.Member.find(undefined, { temporalMode: "asOf" })).rejects.toBeInstanceOf(ValidationError);
    const seen = await store.nodes.Member.find(undefined, { temporalMode: "asOf", asOf: "2021-01-01T00:00:00.000Z" });
    expect(seen.map((n) => n.id)).toEqual([m.id]);
  });

  it("collection methods work detached from their collection", async () => {
    const store = await openStore();
    const { create, getById, count } = store.nodes.Member;
    const made = await create({ handle: "solo" });
    expect((await getById(made.id))?.handle).toBe("solo");
    expect(await count()).toBe(1);
    const { find } = store.edges.joined;
    await expect(find({ where: () => true } as never)).rejects.toThrow("store.edges.joined.find({ where }) is not supported");
  });

  it("an alias named __proto__ is an ordinary alias and pollutes nothing", async () => {
    const store = await openStore();
    for (const h of ["a", "b", "c"]) await store.nodes.Member.create({ handle: h });
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const page = await store
      .query()
      .from("Member", "__proto__")
      .orderBy("__proto__", "handle")
      .select((ctx) => (ctx as unknown as Record<string, { handle: string }>)["__proto__"]!.handle)
      .paginate({ first: 2 });
    expect(page.data).toEqual(["a", "b"]);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
    expect(({} as Record<string, unknown>)["handle"]).toBeUndefined();
  });
});

describe("error classes and definition checks", () => {
  it("constructs upstream's error classes with their codes, categories and details", () => {
    const dim = new EmbeddingDimensionChangedError("dimension moved", { kind: "Doc", fieldPath: "vec", declaredDimensions: 8, storedDimensions: 4 });
    expect(dim).toBeInstanceOf(TypeGraphError);
    expect([dim.code, dim.name, dim.category, dim.message]).toEqual(["EMBEDDING_DIMENSION_CHANGED", "EmbeddingDimensionChangedError", "user", "dimension moved"]);
    expect(dim.details).toEqual({ kind: "Doc", fieldPath: "vec", declaredDimensions: 8, storedDimensions: 4 });

    const cause = new Error("gone");
    const lost = new ContributionUnavailableError("g1", "typegraph_node_fulltext", { cause });
    expect(lost.code).toBe("CONTRIBUTION_UNAVAILABLE");
    expect(lost.cause).toBe(cause);
    expect(lost.details).toEqual({ graphId: "g1", logicalName: "fulltext", physicalName: "typegraph_node_fulltext", state: "physical-storage-missing" });
    expect(lost.suggestion).toContain('rebuildContribution("fulltext")');

    const closed = new TransactionClosedError();
    expect([closed.code, closed.category]).toEqual(["TRANSACTION_CLOSED", "user"]);
    expect(closed.message).toContain("was not run");

    const result = { results: [{ indexName: "a_idx", entity: "node", kind: "A", status: "failed" }, { indexName: "b_idx", entity: "node", kind: "B", status: "created" }] };
    const eager = new EagerMaterializationError(result, "g1");
    expect(eager.materialization).toBe(result);
    expect(eager.failedIndexNames).toEqual(["a_idx"]);
    expect(eager.details).toEqual({ graphId: "g1", failedIndexNames: ["a_idx"] });
  });

  it("refuses an external reference without a table name", () => {
    expect(() => externalRef("")).toThrow("External reference table must be a non-empty string");
    expect(externalRef("documents").parse({ table: "documents", id: "d1" })).toEqual({ table: "documents", id: "d1" });
  });
});
