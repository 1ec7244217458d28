// trustedImportGraph / trustedImportGraphStream: fresh-database loads with deferred indexes, and
// every refusal. Each test gets an empty database: a new SQLite file, or a PostgreSQL schema of
// its own first on the search path.
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { StaleVersionError, TrustedImportError, createStore, createStoreWithSchema, defineEdge, defineGraph, defineNode, embedding, searchable, type GraphBackend } from "../dist/index.js";
import { defineGraphExtension } from "../dist/extension/index.js";
import { FORMAT_VERSION, exportGraph, importGraph, trustedImportGraph, trustedImportGraphStream, type GraphData, type GraphInterchangeChunk } from "../dist/interchange.js";
import { createPostgresBackend } from "../dist/postgres.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("TrustedPerson", { schema: z.object({ name: z.string(), age: z.number().optional() }) });
const knows = defineEdge("trustedKnows", { schema: z.object({ since: z.number() }) });
const graph = (id: string) =>
  defineGraph({
    id,
    nodes: { TrustedPerson: { type: Person } },
    edges: { trustedKnows: { type: knows, from: [Person], to: [Person] } },
    indexes: [],
  });

function doc(nodes: GraphData["nodes"], edges: GraphData["edges"] = []): GraphData {
  return { formatVersion: FORMAT_VERSION, exportedAt: new Date().toISOString(), source: { type: "external" }, nodes, edges };
}
const people = (n: number) => Array.from({ length: n }, (_, i) => ({ kind: "TrustedPerson", id: `p${i}`, properties: { name: `P${i}`, age: i } }));
const chain = (n: number) =>
  Array.from({ length: n - 1 }, (_, i) => ({ kind: "trustedKnows", id: `k${i}`, from: { kind: "TrustedPerson", id: `p${i}` }, to: { kind: "TrustedPerson", id: `p${i + 1}` }, properties: { since: 2000 + i } }));

const url = process.env.DATABASE_URL;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

let seq = 0;
/** A backend on an empty database. */
async function fresh(name: "sqlite" | "postgres"): Promise<GraphBackend> {
  seq += 1;
  if (name === "sqlite") return backends.find((b) => b.name === "sqlite")!.make(`trusted_${process.pid}_${Date.now().toString(36)}_${seq}`);
  const schema = `tg_trusted_${process.pid}_${Date.now().toString(36)}_${seq}`;
  const admin = createPostgresBackend(url!);
  await admin.exec(`CREATE SCHEMA ${schema}`);
  const scoped = createPostgresBackend(`${url}${url!.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema},public`)}`);
  cleanups.push(async () => {
    await scoped.close();
    await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
  });
  return scoped;
}

/** A store on the backend with the TypeGraph tables in place (a fresh PostgreSQL schema has none until bootstrapped). */
async function open(g: ReturnType<typeof graph>, backend: GraphBackend): Promise<ReturnType<typeof createStore<ReturnType<typeof graph>>>> {
  const [store] = await createStoreWithSchema(g, backend);
  return store;
}

const reason = (r: string) => expect.objectContaining({ code: "TRUSTED_IMPORT_ERROR", details: expect.objectContaining({ reason: r }) });

for (const b of backends) {
  describe(`trusted import on ${b.name}`, () => {
    it("loads nodes and edges into an empty database; reads, queries and traversals see them", async () => {
      const backend = await fresh(b.name);
      const store = await open(graph(freshGraphId("trusted")), backend);
      const result = await trustedImportGraph(store, doc(people(50), chain(50)));
      expect(result).toEqual({ nodes: 50, edges: 49 });
      expect(await store.nodes.TrustedPerson.count()).toBe(50);
      expect(await store.nodes.TrustedPerson.getById("p7")).toMatchObject({ name: "P7", age: 7, meta: { version: 1 } });
      expect(await store.edges.trustedKnows.getById("k3")).toMatchObject({ since: 2003, fromId: "p3", toId: "p4" });
      const old = await store
        .query()
        .from("TrustedPerson", "p")
        .whereNode("p", (p) => p.age.gte(47))
        .select((ctx) => ctx.p.id)
        .execute();
      expect([...old].sort()).toEqual(["p47", "p48", "p49"]);
      const hop = await store
        .query()
        .from("TrustedPerson", "a")
        .whereNode("a", (a) => a.id.eq("p10"))
        .traverse("trustedKnows", "k")
        .to("TrustedPerson", "b")
        .select((ctx) => ctx.b.name)
        .execute();
      expect(hop).toEqual(["P11"]);
      // Properties are trusted, not validated; windows are kept.
      const back = await exportGraph(store, { includeTemporal: true });
      expect(back.nodes).toHaveLength(50);
    });

    it("keeps validity windows: stated, born-ended and open-left", async () => {
      const store = await open(graph(freshGraphId("trusted_win")), await fresh(b.name));
      await trustedImportGraph(
        store,
        doc([
          { kind: "TrustedPerson", id: "stated", properties: { name: "S" }, validFrom: "2020-01-01T00:00:00.000Z", validTo: "2030-01-01T00:00:00.000Z" },
          { kind: "TrustedPerson", id: "ended", properties: { name: "E" }, validTo: "2021-01-01T00:00:00.000Z" },
          { kind: "TrustedPerson", id: "open", properties: { name: "O" }, validFrom: null },
          { kind: "TrustedPerson", id: "zero", properties: { name: "Z" }, validFrom: "2021-01-01T00:00:00.000Z", validTo: "2021-01-01T00:00:00.000Z" },
        ]),
      );
      expect((await store.nodes.TrustedPerson.getById("stated"))?.meta).toMatchObject({ validFrom: "2020-01-01T00:00:00.000Z", validTo: "2030-01-01T00:00:00.000Z" });
      const ended = await store.nodes.TrustedPerson.getById("ended", { temporalMode: "includeEnded" });
      expect(ended?.meta.validFrom).toBeUndefined();
      expect(await store.nodes.TrustedPerson.getById("ended", { temporalMode: "asOf", asOf: "2020-06-01T00:00:00.000Z" })).toBeDefined();
      expect((await store.nodes.TrustedPerson.getById("open"))?.meta.validFrom).toBeUndefined();
    });

    it("does not validate properties (the caller vouches for them)", async () => {
      const store = await open(graph(freshGraphId("trusted_props")), await fresh(b.name));
      await trustedImportGraph(store, doc([{ kind: "TrustedPerson", id: "a", properties: { name: 42 } }]));
      expect(await store.nodes.TrustedPerson.getById("a")).toMatchObject({ name: 42 });
    });

    it("rolls everything back when a later chunk fails", async () => {
      const store = await open(graph(freshGraphId("trusted_rb")), await fresh(b.name));
      const { nodes, edges, ...header } = doc(people(3), chain(3));
      const out = await trustedImportGraphStream(store, [
        { type: "header", header },
        { type: "nodes", nodes },
        { type: "edges", edges },
        { type: "nodes", nodes: [] },
      ]).catch((e: unknown) => e);
      expect(out).toEqual(reason("invalid_stream"));
      expect(await store.nodes.TrustedPerson.count()).toBe(0);
      // A database failure (a repeated id) rolls back too, and the indexes come back.
      const dup = await trustedImportGraph(store, doc([...people(2), { kind: "TrustedPerson", id: "p0", properties: { name: "again" } }])).catch((e: unknown) => e);
      expect(dup).toBeInstanceOf(Error);
      expect(await store.nodes.TrustedPerson.count()).toBe(0);
      // Then it loads.
      expect(await trustedImportGraph(store, doc(people(3), chain(3)))).toEqual({ nodes: 3, edges: 2 });
    });

    it("refuses invalid streams: order, identity, kinds, windows, header", async () => {
      const store = await open(graph(freshGraphId("trusted_inv")), await fresh(b.name));
      const { nodes, edges, ...header } = doc(people(2), chain(2));
      const cases: GraphInterchangeChunk[][] = [
        [{ type: "nodes", nodes }],
        [{ type: "header", header }, { type: "header", header }],
        [{ type: "header", header }, { type: "edges", edges: [] }, { type: "nodes", nodes }],
        [{ type: "header", header }, { type: "identity", assertions: [{ id: "x", relation: "same", a: { kind: "TrustedPerson", id: "p0" }, b: { kind: "TrustedPerson", id: "p1" }, validFrom: "2024-01-01T00:00:00.000Z" }] }],
        [{ type: "header", header }, { type: "nodes", nodes: [{ kind: "Robot", id: "r", properties: {} }] }],
        [{ type: "header", header }, { type: "nodes", nodes: [{ kind: "TrustedPerson", id: "w", properties: { name: "W" }, validFrom: "2026-01-01T00:00:00.000Z", validTo: "2021-01-01T00:00:00.000Z" }] }],
        [{ type: "header", header }, { type: "nodes", nodes: [{ kind: "TrustedPerson", id: "w", properties: { name: "W" }, validTo: "2021-01-01T00:00:00Z" }] }],
      ];
      for (const chunks of cases) {
        await expect(trustedImportGraphStream(store, chunks)).rejects.toEqual(reason("invalid_stream"));
      }
      await expect(trustedImportGraph(store, { ...doc(people(1)), identity: { profile: "typegraph-identity-v1", mode: "state", assertions: [] } })).rejects.toEqual(reason("invalid_stream"));
      expect(await store.nodes.TrustedPerson.count()).toBe(0);
    });

    it("names the non-canonical bound it refuses, and loads nothing", async () => {
      const store = await open(graph(freshGraphId("trusted_canon")), await fresh(b.name));
      for (const [field, value] of [
        ["validFrom", "2021-01-01"],
        ["validTo", "2021-01-01T00:00:00Z"],
      ] as const) {
        const err = await trustedImportGraph(store, doc([...people(2), { kind: "TrustedPerson", id: "alice", properties: { name: "A" }, [field]: value }])).catch((e: unknown) => e);
        expect(err).toEqual(reason("invalid_stream"));
        expect((err as Error).message).toContain(`Non-canonical ${field} in trusted import: TrustedPerson "alice" states "${value}"`);
      }
      expect(await store.nodes.TrustedPerson.count()).toBe(0);
    });

    it("a stale schema-managed store loads nothing", async () => {
      const backend = await fresh(b.name);
      const stale = await open(graph(freshGraphId("trusted_stale")), backend);
      await stale.evolve(defineGraphExtension({ nodes: { TrustedExtra: { properties: { label: { type: "string" } } } } }));
      const { nodes, edges, ...header } = doc(people(2));
      await expect(trustedImportGraph(stale, doc(people(2)))).rejects.toBeInstanceOf(StaleVersionError);
      await expect(trustedImportGraphStream(stale, [{ type: "header", header }, { type: "nodes", nodes }, { type: "edges", edges }])).rejects.toBeInstanceOf(StaleVersionError);
      await expect(trustedImportGraph(stale, doc([]))).rejects.toBeInstanceOf(StaleVersionError);
    });

    it("refuses a database holding rows of any graph", async () => {
      const backend = await fresh(b.name);
      await (await open(graph(freshGraphId("trusted_other")), backend)).nodes.TrustedPerson.create({ name: "Existing" });
      const store = await open(graph(freshGraphId("trusted_ne")), backend);
      const err = await trustedImportGraph(store, doc([])).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TrustedImportError);
      expect(err).toEqual(reason("database_not_empty"));
    });

    it("refuses graphs with sidecars it would skip, and history stores", async () => {
      const backend = await fresh(b.name);
      await open(graph(freshGraphId("trusted_boot")), backend);
      const U = defineNode("UniqueP", { schema: z.object({ email: z.string() }) });
      const S = defineNode("SearchP", { schema: z.object({ bio: searchable() }) });
      const V = defineNode("VectorP", { schema: z.object({ v: embedding(3) }) });
      const unique = defineGraph({ id: freshGraphId("trusted_u"), nodes: { UniqueP: { type: U, unique: [{ name: "u_email", fields: ["email"] }] } }, edges: {} });
      const fulltext = defineGraph({ id: freshGraphId("trusted_s"), nodes: { SearchP: S }, edges: {} });
      const vector = defineGraph({ id: freshGraphId("trusted_v"), nodes: { VectorP: V }, edges: {} });
      await expect(trustedImportGraph(createStore(unique, backend), doc([]))).rejects.toEqual(reason("uniqueness_unsupported"));
      await expect(trustedImportGraph(createStore(fulltext, backend), doc([]))).rejects.toEqual(reason("fulltext_unsupported"));
      await expect(trustedImportGraph(createStore(vector, backend), doc([]))).rejects.toEqual(reason("vector_unsupported"));
      await expect(trustedImportGraph(createStore(graph(freshGraphId("trusted_h")), backend, { history: true }), doc([]))).rejects.toEqual(reason("history_unsupported"));
      const identity = { ...graph(freshGraphId("trusted_i")), identity: { sameIdAcrossKinds: "fold" } } as unknown as ReturnType<typeof graph>;
      await expect(trustedImportGraph(createStore(identity, backend), doc([]))).rejects.toEqual(reason("identity_unsupported"));
    });

    it("a trusted load reads back like a validating import of the same document", async () => {
      const data = doc(people(20), chain(20));
      const a = await open(graph(freshGraphId("trusted_cmp")), await fresh(b.name));
      await trustedImportGraph(a, data);
      const bStore = await open(graph(freshGraphId("trusted_cmp2")), await fresh(b.name));
      const r = await importGraph(bStore, data, { onConflict: "error" });
      expect(r.errors).toEqual([]);
      const ea = await exportGraph(a);
      const eb = await exportGraph(bStore);
      expect(ea.nodes).toEqual(eb.nodes);
      expect(ea.edges).toEqual(eb.edges);
    });
  });
}
