// typegraph-native/interchange: export, validating import and streams, on every backend.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ExportStreamCancelledError, ExportStreamIdleTimeoutError, createStore, defineEdge, defineGraph, defineNode } from "../dist/index.js";
import {
  FORMAT_VERSION,
  GraphDataSchema,
  ImportOptionsSchema,
  InterchangeNodeSchema,
  exportGraph,
  exportGraphStream,
  importGraph,
  importGraphStream,
  type GraphData,
  type GraphInterchangeChunk,
} from "../dist/interchange.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", { schema: z.object({ name: z.string(), email: z.string().optional(), age: z.number().int().optional() }) });
const Company = defineNode("Company", { schema: z.object({ name: z.string() }) });
const worksAt = defineEdge("worksAt", { schema: z.object({ role: z.string() }) });
const knows = defineEdge("knows");
const manages = defineEdge("manages");

function graph(id: string) {
  return defineGraph({
    id,
    nodes: { Person: { type: Person, unique: [{ name: "person_email", fields: ["email"], where: (p) => p.email.isNotNull() }] }, Company },
    edges: {
      worksAt: { type: worksAt, from: [Person], to: [Company] },
      knows: { type: knows, from: [Person], to: [Person] },
      manages: { type: manages, from: [Person], to: [Company], cardinality: "one" },
    },
  });
}

function doc(nodes: GraphData["nodes"], edges: GraphData["edges"] = []): GraphData {
  return { formatVersion: FORMAT_VERSION, exportedAt: new Date().toISOString(), source: { type: "external", description: "test" }, nodes, edges };
}

const byKey = <T extends { kind: string; id: string }>(rows: readonly T[]) => [...rows].sort((a, b) => (a.kind + "\0" + a.id < b.kind + "\0" + b.id ? -1 : 1));

async function collect(stream: AsyncIterable<GraphInterchangeChunk>): Promise<GraphInterchangeChunk[]> {
  const out: GraphInterchangeChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

describe("interchange schemas", () => {
  it("reads format 1.0 and 2.0, refuses other versions and non-canonical bounds", () => {
    const base = doc([{ kind: "Person", id: "a", properties: { name: "A" } }]);
    expect(GraphDataSchema.parse(base).formatVersion).toBe("2.0");
    expect(GraphDataSchema.parse({ ...base, formatVersion: "1.0" }).formatVersion).toBe("1.0");
    expect(GraphDataSchema.safeParse({ ...base, formatVersion: "3.0" }).success).toBe(false);
    expect(InterchangeNodeSchema.safeParse({ kind: "Person", id: "a", properties: {}, validFrom: "2024-01-01T00:00:00Z" }).success).toBe(false);
    expect(InterchangeNodeSchema.safeParse({ kind: "Person", id: "a", properties: {}, validFrom: null }).success).toBe(true);
  });

  it("fills import option defaults", () => {
    expect(ImportOptionsSchema.parse({ onConflict: "skip" })).toEqual({ onConflict: "skip", onUnknownProperty: "error", validateReferences: true, batchSize: 1000, onStreamChunkError: "abort" });
  });
});

for (const b of backends) {
  describe(`interchange on ${b.name}`, () => {
    const backend = b.make("interchange");

    async function seeded() {
      const store = createStore(graph(freshGraphId("xchg_src")), backend);
      await store.nodes.Person.create({ name: "Alice", email: "alice@example.com", age: 30 }, { id: "alice" });
      await store.nodes.Person.create({ name: "Bob" }, { id: "bob", validFrom: "2020-01-01T00:00:00.000Z", validTo: "2030-01-01T00:00:00.000Z" });
      await store.nodes.Person.create({ name: "Ended" }, { id: "ended", validTo: "2021-01-01T00:00:00.000Z" });
      await store.nodes.Person.create({ name: "Gone" }, { id: "gone" });
      await store.nodes.Company.create({ name: "Acme" }, { id: "acme" });
      await store.edges.worksAt.create({ kind: "Person", id: "alice" }, { kind: "Company", id: "acme" }, { role: "eng" }, { id: "w1" });
      await store.edges.knows.create({ kind: "Person", id: "alice" }, { kind: "Person", id: "bob" }, {}, { id: "k1" });
      await store.nodes.Person.delete("gone");
      return store;
    }

    it("round-trips a graph: props, temporal fields, kinds and endpoints", async () => {
      const source = await seeded();
      const data = await exportGraph(source, { includeTemporal: true, includeMeta: true });
      expect(data.formatVersion).toBe("2.0");
      expect(data.source).toEqual({ type: "typegraph-export", graphId: source.graphId, schemaVersion: expect.any(Number) });
      expect(GraphDataSchema.parse(data)).toBeTruthy();
      expect(data.nodes.map((n) => n.id).sort()).toEqual(["acme", "alice", "bob", "ended"]);
      const bob = data.nodes.find((n) => n.id === "bob")!;
      expect(bob).toMatchObject({ kind: "Person", properties: { name: "Bob" }, validFrom: "2020-01-01T00:00:00.000Z", validTo: "2030-01-01T00:00:00.000Z", meta: { version: 1 } });
      expect(data.nodes.find((n) => n.id === "ended")!.validFrom).toBeNull();
      expect(byKey(data.edges).map((e) => [e.kind, e.id, e.from.id, e.to.id, e.properties])).toEqual([
        ["knows", "k1", "alice", "bob", {}],
        ["worksAt", "w1", "alice", "acme", { role: "eng" }],
      ]);

      const target = createStore(graph(freshGraphId("xchg_dst")), backend);
      const result = await importGraph(target, data, { onConflict: "error" });
      expect(result).toEqual({ success: true, nodes: { created: 4, updated: 0, skipped: 0 }, edges: { created: 2, updated: 0, skipped: 0 }, identity: { created: 0, skipped: 0 }, errors: [] });
      const again = await exportGraph(target, { includeTemporal: true });
      const plain = await exportGraph(source, { includeTemporal: true });
      expect(byKey(again.nodes)).toEqual(byKey(plain.nodes));
      expect(byKey(again.edges)).toEqual(byKey(plain.edges));
      expect((await target.nodes.Person.getById("ended", { temporalMode: "includeEnded" }))?.meta.validFrom).toBeUndefined();
      expect(await target.nodes.Person.getById("alice")).toMatchObject({ name: "Alice", email: "alice@example.com", age: 30 });
    });

    it("exports deleted rows only when asked, and filters kinds", async () => {
      const source = await seeded();
      const plain = await exportGraph(source);
      expect(plain.nodes.some((n) => n.id === "gone")).toBe(false);
      expect(plain.nodes[0]).not.toHaveProperty("validFrom");
      expect(plain.nodes[0]).not.toHaveProperty("meta");
      const all = await exportGraph(source, { includeDeleted: true });
      expect(all.nodes.some((n) => n.id === "gone")).toBe(true);
      const companies = await exportGraph(source, { nodeKinds: ["Company"], edgeKinds: ["worksAt"] });
      expect(companies.nodes.map((n) => n.id)).toEqual(["acme"]);
      expect(companies.edges.map((e) => e.id)).toEqual(["w1"]);
      // A deleted row imported from an includeDeleted export comes back live.
      const target = createStore(graph(freshGraphId("xchg_del")), backend);
      const r = await importGraph(target, all, { onConflict: "error" });
      expect(r.nodes.created).toBe(5);
      expect(await target.nodes.Person.getById("gone")).toMatchObject({ name: "Gone" });
    });

    it("applies each conflict strategy", async () => {
      const store = createStore(graph(freshGraphId("xchg_conf")), backend);
      await store.nodes.Person.create({ name: "Old", age: 1 }, { id: "p1" });
      await store.nodes.Person.create({ name: "Tomb" }, { id: "p2" });
      await store.nodes.Person.delete("p2");
      const data = doc([
        { kind: "Person", id: "p1", properties: { name: "New" } },
        { kind: "Person", id: "p2", properties: { name: "Revived?" } },
        { kind: "Person", id: "p3", properties: { name: "Fresh" } },
      ]);
      const skip = await importGraph(store, data, { onConflict: "skip" });
      expect(skip.nodes).toEqual({ created: 1, updated: 0, skipped: 2 });
      expect(await store.nodes.Person.getById("p1")).toMatchObject({ name: "Old", age: 1 });

      const err = await importGraph(store, data, { onConflict: "error" });
      expect(err.success).toBe(false);
      expect(err.nodes).toEqual({ created: 0, updated: 0, skipped: 0 });
      expect(err.errors.map((e) => [e.entityType, e.id])).toEqual([
        ["node", "p1"],
        ["node", "p2"],
        ["node", "p3"],
      ]);

      const upd = await importGraph(store, data, { onConflict: "update" });
      expect(upd.nodes).toEqual({ created: 0, updated: 2, skipped: 1 });
      const p1 = await store.nodes.Person.getById("p1");
      expect(p1).toMatchObject({ name: "New" });
      expect(p1).not.toHaveProperty("age");
      expect(p1!.meta.version).toBe(2);
      expect(await store.nodes.Person.getById("p2")).toBeUndefined();
    });

    it("handles unknown properties by strategy", async () => {
      const store = createStore(graph(freshGraphId("xchg_unknown")), backend);
      const data = (id: string) => doc([{ kind: "Person", id, properties: { name: "X", extra: 1 } }]);
      const err = await importGraph(store, data("u1"), { onConflict: "error" });
      expect(err.errors).toEqual([{ entityType: "node", kind: "Person", id: "u1", error: expect.stringContaining("extra") }]);
      expect(await store.nodes.Person.getById("u1")).toBeUndefined();
      await importGraph(store, data("u2"), { onConflict: "error", onUnknownProperty: "strip" });
      expect(await store.nodes.Person.getById("u2")).not.toHaveProperty("extra");
      await importGraph(store, data("u3"), { onConflict: "error", onUnknownProperty: "allow" });
      expect(await store.nodes.Person.getById("u3")).toMatchObject({ name: "X", extra: 1 });
      const invalid = await importGraph(store, doc([{ kind: "Person", id: "u4", properties: { name: 5 } }]), { onConflict: "error" });
      expect(invalid.errors[0]!.error).toContain("name");
      const unknownKind = await importGraph(store, doc([{ kind: "Robot", id: "r", properties: {} }]), { onConflict: "error" });
      expect(unknownKind.errors[0]!.error).toContain("Robot");
    });

    it("reports per-row failures and writes the rest of the batch", async () => {
      const store = createStore(graph(freshGraphId("xchg_rows")), backend);
      await store.nodes.Person.create({ name: "Holder", email: "taken@example.com" }, { id: "holder" });
      const result = await importGraph(
        store,
        doc(
          [
            { kind: "Person", id: "a", properties: { name: "A", email: "a@example.com" } },
            { kind: "Person", id: "dup", properties: { name: "Dup", email: "taken@example.com" } },
            { kind: "Person", id: "b", properties: { name: "B", email: "b@example.com" } },
            { kind: "Company", id: "c", properties: { name: "C" } },
          ],
          [
            { kind: "worksAt", id: "e1", from: { kind: "Person", id: "a" }, to: { kind: "Company", id: "c" }, properties: { role: "x" } },
            { kind: "worksAt", id: "e2", from: { kind: "Person", id: "missing" }, to: { kind: "Company", id: "c" }, properties: { role: "x" } },
            { kind: "worksAt", id: "e3", from: { kind: "Person", id: "dup" }, to: { kind: "Company", id: "c" }, properties: { role: "x" } },
            { kind: "manages", id: "m1", from: { kind: "Person", id: "b" }, to: { kind: "Company", id: "c" }, properties: {} },
            { kind: "manages", id: "m2", from: { kind: "Person", id: "b" }, to: { kind: "Company", id: "c" }, properties: {} },
            { kind: "knows", id: "k1", from: { kind: "Person", id: "a" }, to: { kind: "Company", id: "c" }, properties: {} },
          ],
        ),
        { onConflict: "error" },
      );
      expect(result.success).toBe(false);
      expect(result.nodes.created).toBe(3);
      expect(result.edges.created).toBe(2);
      expect(result.errors.map((e) => [e.entityType, e.id])).toEqual([
        ["node", "dup"],
        ["edge", "e2"],
        ["edge", "e3"],
        ["edge", "m2"],
        ["edge", "k1"],
      ]);
      expect(result.errors[0]!.error).toContain("person_email");
      expect(await store.nodes.Person.getById("dup")).toBeUndefined();
      expect((await store.nodes.Person.find()).map((p) => p.id).sort()).toEqual(["a", "b", "holder"]);
      expect((await store.edges.manages.find()).map((e) => e.id)).toEqual(["m1"]);
      expect(await store.edges.worksAt.getById("e2")).toBeUndefined();
    });

    it("applies repeated ids in one batch as if one by one, and in-batch unique interplay", async () => {
      const store = createStore(graph(freshGraphId("xchg_seq")), backend);
      await store.nodes.Person.create({ name: "A", email: "shared@example.com" }, { id: "a" });
      const result = await importGraph(
        store,
        doc([
          { kind: "Person", id: "a", properties: { name: "A2", email: "moved@example.com" } },
          { kind: "Person", id: "b", properties: { name: "B", email: "shared@example.com" } },
          { kind: "Person", id: "c", properties: { name: "C1" } },
          { kind: "Person", id: "c", properties: { name: "C2" } },
        ]),
        { onConflict: "update" },
      );
      expect(result.errors).toEqual([]);
      expect(result.nodes).toEqual({ created: 2, updated: 2, skipped: 0 });
      expect(await store.nodes.Person.getById("b")).toMatchObject({ email: "shared@example.com" });
      expect(await store.nodes.Person.getById("c")).toMatchObject({ name: "C2" });
    });

    it("refuses an edge id held by a different edge under every strategy", async () => {
      const store = createStore(graph(freshGraphId("xchg_edgeid")), backend);
      await store.nodes.Person.create({ name: "A" }, { id: "a" });
      await store.nodes.Person.create({ name: "B" }, { id: "b" });
      await store.nodes.Company.create({ name: "C" }, { id: "c" });
      await store.edges.worksAt.create({ kind: "Person", id: "a" }, { kind: "Company", id: "c" }, { role: "r" }, { id: "e" });
      for (const onConflict of ["skip", "update", "error"] as const) {
        const r = await importGraph(
          store,
          doc([], [
            { kind: "worksAt", id: "e", from: { kind: "Person", id: "b" }, to: { kind: "Company", id: "c" }, properties: { role: "other" } },
            { kind: "knows", id: "e", from: { kind: "Person", id: "a" }, to: { kind: "Person", id: "b" }, properties: {} },
          ]),
          { onConflict },
        );
        expect(r.errors.map((x) => x.error.startsWith("INTERCHANGE_EDGE_KIND_CONFLICT"))).toEqual([true, true]);
        expect(r.edges).toEqual({ created: 0, updated: 0, skipped: 0 });
      }
      expect(await store.edges.worksAt.getById("e")).toMatchObject({ role: "r", fromId: "a" });
      // The same edge updates.
      const same = await importGraph(store, doc([], [{ kind: "worksAt", id: "e", from: { kind: "Person", id: "a" }, to: { kind: "Company", id: "c" }, properties: { role: "lead" } }]), { onConflict: "update" });
      expect(same.edges.updated).toBe(1);
      expect(await store.edges.worksAt.getById("e")).toMatchObject({ role: "lead" });
    });

    it("refuses an update stating another lower bound than the stored row's", async () => {
      const store = createStore(graph(freshGraphId("xchg_bound")), backend);
      await store.nodes.Person.create({ name: "A" }, { id: "a", validFrom: "2020-01-01T00:00:00.000Z" });
      const r = await importGraph(store, doc([{ kind: "Person", id: "a", properties: { name: "A2" }, validFrom: "2021-01-01T00:00:00.000Z" }]), { onConflict: "update" });
      expect(r.errors[0]!.error.startsWith("IMMUTABLE_VALIDITY_LOWER_BOUND")).toBe(true);
      expect(await store.nodes.Person.getById("a")).toMatchObject({ name: "A" });
      const ok = await importGraph(store, doc([{ kind: "Person", id: "a", properties: { name: "A3" }, validFrom: "2020-01-01T00:00:00.000Z", validTo: "2040-01-01T00:00:00.000Z" }]), { onConflict: "update" });
      expect(ok.errors).toEqual([]);
      expect(await store.nodes.Person.getById("a")).toMatchObject({ name: "A3", meta: { validTo: "2040-01-01T00:00:00.000Z" } });
    });

    it("streams an export in chunks and imports the stream", async () => {
      const source = await seeded();
      const chunks = await collect(exportGraphStream(source, { batchSize: 2, includeTemporal: true }));
      expect(chunks.map((c) => c.type)).toEqual(["header", "nodes", "nodes", "nodes", "edges", "edges"]);
      expect(chunks.filter((c) => c.type === "nodes").map((c) => (c.type === "nodes" ? c.nodes.length : 0))).toEqual([2, 1, 1]);
      const target = createStore(graph(freshGraphId("xchg_stream")), backend);
      const r = await importGraphStream(target, chunks, { onConflict: "error" });
      expect(r.nodes.created).toBe(4);
      expect(r.edges.created).toBe(2);
      await expect(importGraphStream(target, [chunks[0]!, ...chunks.filter((c) => c.type === "edges"), chunks[1]!], { onConflict: "skip" })).rejects.toThrow(/nodes after edges/);
      // A chunk with row errors stops the stream unless told to continue.
      const bad: GraphInterchangeChunk[] = [chunks[0]!, { type: "nodes", nodes: [{ kind: "Person", id: "x", properties: { name: 1 } }] }, { type: "nodes", nodes: [{ kind: "Person", id: "y", properties: { name: "Y" } }] }];
      await expect(importGraphStream(target, bad, { onConflict: "error" })).rejects.toThrow(/row error/);
      expect(await target.nodes.Person.getById("y")).toBeUndefined();
      const cont = await importGraphStream(target, bad, { onConflict: "error", onStreamChunkError: "continue" });
      expect(cont.nodes.created).toBe(1);
      expect(cont.errors.map((e) => e.id)).toEqual(["x"]);
    });

    it("settles an export stream on break, on abort and on idle timeout", async () => {
      const source = await seeded();
      // break: the snapshot ends; the store writes again.
      for await (const c of exportGraphStream(source, { batchSize: 1 })) {
        if (c.type === "nodes") break;
      }
      await source.nodes.Company.create({ name: "After break" });

      // Aborted before the first pull: refused outright.
      const early = new AbortController();
      early.abort(new Error("stop early"));
      const refused = await collect(exportGraphStream(source, { signal: early.signal })).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ExportStreamCancelledError);
      expect((refused as ExportStreamCancelledError).code).toBe("INTERCHANGE_EXPORT_STREAM_ABORTED");
      expect((refused as Error).cause).toEqual(new Error("stop early"));
      await expect(exportGraph(source, { signal: early.signal })).rejects.toBeInstanceOf(ExportStreamCancelledError);

      // Aborted mid-stream: the next pull rejects, and so does every later one.
      const mid = new AbortController();
      const it = exportGraphStream(source, { batchSize: 1, signal: mid.signal })[Symbol.asyncIterator]();
      expect((await it.next()).value).toMatchObject({ type: "header" });
      expect((await it.next()).value).toMatchObject({ type: "nodes" });
      mid.abort("deadline");
      const pulled = await it.next().then(() => undefined, (e: unknown) => e);
      expect(pulled).toBeInstanceOf(ExportStreamCancelledError);
      expect((pulled as Error).cause).toBe("deadline");
      await expect(it.next()).rejects.toBeInstanceOf(ExportStreamCancelledError);
      await source.nodes.Company.create({ name: "After abort" });

      // Idle timeout: a chunk left unacknowledged settles the stream.
      const idle = exportGraphStream(source, { batchSize: 1, idleTimeoutMs: 20 })[Symbol.asyncIterator]();
      await idle.next();
      await new Promise((r) => setTimeout(r, 80));
      const timedOut = await idle.next().then(() => undefined, (e: unknown) => e);
      expect(timedOut).toBeInstanceOf(ExportStreamIdleTimeoutError);
      expect((timedOut as ExportStreamIdleTimeoutError).details).toEqual({ graphId: source.graphId, idleTimeoutMs: 20 });
      await source.nodes.Company.create({ name: "After idle" });
      expect(await source.nodes.Company.count()).toBe(4);
    });

    it("streams an export into an import: refused on one SQLite connection, direct on PostgreSQL", async () => {
      const source = await seeded();
      const target = createStore(graph(freshGraphId("xchg_pipe")), backend);
      if (b.name === "sqlite") {
        const same = await importGraphStream(target, exportGraphStream(source), { onConflict: "error" }).catch((e: unknown) => e);
        expect(same).toMatchObject({ code: "CONFIGURATION_ERROR", details: { code: "INTERCHANGE_SAME_SQLITE_BACKEND_SNAPSHOT", requested: "import-stream", heldBy: "export-snapshot" } });
        // An export holding the connection refuses imports (and other exports) until it ends.
        const open = exportGraphStream(source)[Symbol.asyncIterator]();
        await open.next();
        const shared = await importGraph(target, doc([{ kind: "Company", id: "c", properties: { name: "C" } }]), { onConflict: "error" }).catch((e: unknown) => e);
        expect(shared).toMatchObject({ details: { code: "INTERCHANGE_SHARED_SERIALIZED_BACKEND_SNAPSHOT" } });
        await expect(exportGraph(source)).rejects.toMatchObject({ details: { code: "INTERCHANGE_SHARED_SERIALIZED_BACKEND_SNAPSHOT", requested: "export-snapshot" } });
        await open.return!();
        expect((await importGraph(target, doc([{ kind: "Company", id: "c", properties: { name: "C" } }]), { onConflict: "error" })).nodes.created).toBe(1);
      } else {
        const r = await importGraphStream(target, exportGraphStream(source, { batchSize: 2 }), { onConflict: "error" });
        expect(r.nodes.created).toBe(4);
        expect(r.edges.created).toBe(2);
      }
    });

    it("refuses an identity section for a graph without an identity profile, before writing", async () => {
      const store = createStore(graph(freshGraphId("xchg_ident")), backend);
      const data: GraphData = {
        ...doc([{ kind: "Person", id: "a", properties: { name: "A" } }]),
        identity: { profile: "typegraph-identity-v1", mode: "state", assertions: [] },
      };
      await expect(importGraph(store, data, { onConflict: "error" })).rejects.toMatchObject({ details: { code: "IDENTITY_IMPORT_REQUIRES_PROFILE" } });
      const { nodes, edges, identity, ...envelope } = data;
      const header = { ...envelope, identity: { profile: identity!.profile, mode: identity!.mode } };
      await expect(importGraphStream(store, [{ type: "header", header }, { type: "nodes", nodes }], { onConflict: "error" })).rejects.toMatchObject({
        details: { code: "IDENTITY_IMPORT_REQUIRES_PROFILE" },
      });
      expect(await store.nodes.Person.getById("a")).toBeUndefined();
      void edges;
    });

    it("reads one snapshot for the whole export", async () => {
      const source = await seeded();
      const it = exportGraphStream(source, { batchSize: 1, nodeKinds: ["Company", "Person"] })[Symbol.asyncIterator]();
      const seen: string[] = [];
      let step = await it.next();
      let wrote = false;
      while (!step.done) {
        const c = step.value;
        if (c.type === "nodes") seen.push(...c.nodes.map((n) => n.id));
        if (!wrote && c.type === "nodes") {
          wrote = true;
          // Written after the snapshot began (another connection on PostgreSQL; SQLite's one
          // connection waits for the export's read transaction to end first).
          if (b.name === "postgres") {
            const other = b.make("interchange");
            await createStore(source.graph, other).nodes.Person.create({ name: "Late" }, { id: "zz-late" });
            await other.close();
          }
        }
        step = await it.next();
      }
      expect(seen).not.toContain("zz-late");
      expect(seen).toContain("alice");
    });
  });
}
