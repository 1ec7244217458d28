// store.evolve and the schema-maintenance verbs on both backends: runtime kinds with the
// full collection surface, catch-up, CAS, fencing of stale stores, restart parity,
// deprecation, two-phase kind removal.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  EagerMaterializationError,
  IncompatibleChangeError,
  KindCollisionError,
  KindHasReferentsError,
  KindNotFoundError,
  RemoveCompileTimeKindError,
  StaleVersionError,
  UniquenessError,
  ValidationError,
  createStore,
  createStoreWithSchema,
  defineGraph,
  defineGraphExtension,
  defineNode,
  type Store,
  type StoreRef,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Document = defineNode("Document", { schema: z.object({ title: z.string(), body: z.string() }) });

function baseGraph(id: string, ontology: { metaEdge: string; from: string; to: string }[] = []) {
  return defineGraph({ id, nodes: { Document: { type: Document } }, edges: {}, ontology });
}

const paperExt = defineGraphExtension({
  nodes: {
    Paper: {
      description: "An academic paper",
      properties: {
        title: { type: "string", minLength: 1, searchable: { language: "english" } },
        doi: { type: "string", minLength: 1 },
        year: { type: "number", int: true, min: 1900, max: 2100 },
      },
      unique: [{ name: "paper_doi_unique", fields: ["doi"] }],
    },
    Author: { properties: { name: { type: "string" } } },
  },
  edges: {
    authoredBy: { from: ["Paper"], to: ["Author"], properties: { position: { type: "number", int: true, optional: true } } },
    cites: { from: ["Paper", "Document"], to: ["Paper", "Document"] },
  },
  indexes: [{ entity: "node", kind: "Paper", name: "paper_by_doi", fields: ["doi"], unique: true }],
});

describe.each(backends)("evolve on $name", (bc) => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function setup(ontology: { metaEdge: string; from: string; to: string }[] = []) {
    const graph = baseGraph(freshGraphId(`evolve_${bc.name}`), ontology);
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    return { graph, backend, store };
  }
  /** A second, independent connection to the same database (another "process" in-process). */
  async function reopen(graph: ReturnType<typeof baseGraph>) {
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store, result] = await createStoreWithSchema(graph, backend);
    return { store, result, backend };
  }

  it("adds runtime kinds with the full collection, query and search surface", async () => {
    const { store } = await setup();
    const ref: StoreRef<Store<ReturnType<typeof baseGraph>>> = { current: store };
    const evolved = await store.evolve(paperExt, { ref });
    expect(ref.current).toBe(evolved);
    expect(evolved).not.toBe(store);
    expect(store.introspect().schemaVersion).toBe(1);
    expect(evolved.introspect().schemaVersion).toBe(2);
    expect(evolved.registry.hasNodeType("Paper")).toBe(true);
    expect(store.getNodeCollection("Paper")).toBeUndefined();

    const papers = evolved.getNodeCollectionOrThrow("Paper");
    const p = await papers.create({ title: "Attention is all you need", doi: "10.5555/3295222.3295349", year: 2017 });
    expect(p.kind).toBe("Paper");
    expect((p as Record<string, unknown>).year).toBe(2017);
    await expect(papers.create({ title: "x", doi: "d", year: 1800 })).rejects.toBeInstanceOf(ValidationError);
    await expect(papers.create({ title: "Dup", doi: "10.5555/3295222.3295349", year: 2020 })).rejects.toBeInstanceOf(UniquenessError);
    const got = await papers.getOrCreateByConstraint("paper_doi_unique", { title: "again", doi: "10.5555/3295222.3295349", year: 2017 });
    expect(got.action).toBe("found");
    const bulk = await papers.bulkCreate([
      { props: { title: "BERT", doi: "10.18653/v1/N19-1423", year: 2019 } },
      { props: { title: "GPT-3", doi: "10.48550/arXiv.2005.14165", year: 2020 } },
    ]);
    expect(bulk).toHaveLength(2);
    const updated = await papers.update(bulk[0]!.id, { year: 2018 });
    expect((updated as Record<string, unknown>).year).toBe(2018);
    const recent = await papers.find({ where: (n) => n.year.gte(2019) });
    expect(recent.map((n) => (n as Record<string, unknown>).title)).toEqual(["GPT-3"]);
    expect(await papers.count()).toBe(3);

    const authors = evolved.getNodeCollectionOrThrow("Author");
    const vaswani = await authors.create({ name: "Vaswani" });
    const authoredBy = evolved.getEdgeCollectionOrThrow("authoredBy");
    await authoredBy.create({ kind: "Paper", id: p.id }, { kind: "Author", id: vaswani.id }, { position: 1 });
    const doc = await evolved.nodes.Document.create({ title: "survey", body: "..." });
    await evolved.getEdgeCollectionOrThrow("cites").create({ kind: "Document", id: doc.id }, { kind: "Paper", id: p.id });
    expect(() => evolved.getEdgeCollectionOrThrow("nope")).toThrow(KindNotFoundError);
    // Runtime kinds inside a transaction, rolled back as a unit.
    await expect(
      evolved.transaction(async (tx) => {
        const a = await tx.getNodeCollection("Author")!.create({ name: "Shazeer" });
        await tx.getEdgeCollection("authoredBy")!.create({ kind: "Paper", id: p.id }, { kind: "Author", id: a.id }, { position: 2 });
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await authors.count()).toBe(1);

    const rows = await evolved
      .query()
      .fromDynamic("Paper", "p")
      .traverseDynamic("authoredBy", "a")
      .toDynamic("Author", "u")
      // Dynamic aliases: props through `.field(name)` and a type discriminator.
      .whereNode("p", (q) => q.field("year").number().gte(2000))
      .select((ctx) => ({ title: ctx.p.title, author: ctx.u.name }))
      .execute();
    expect(rows).toEqual([{ title: "Attention is all you need", author: "Vaswani" }]);

    const hits = await evolved.search.fulltext("Paper" as "Document", { query: "attention", limit: 5 });
    expect(hits.map((h) => h.node.id)).toEqual([p.id]);

    // The props schema is the exact instance collections validate with.
    const schema = evolved.getNodePropsSchemaOrThrow("Paper");
    expect(schema).toBe(evolved.registry.getNodeType("Paper")!.schema);
    expect(schema.safeParse({ title: "t", doi: "d", year: 1800 }).success).toBe(false);

    const intro = evolved.introspect();
    expect(intro.kinds.find((k) => k.name === "Paper")!.origin).toBe("runtime");
    expect(intro.kinds.find((k) => k.name === "Document")!.origin).toBe("compile-time");
    expect(intro.edges.find((e) => e.name === "cites")!.from).toEqual(["Paper", "Document"]);
    expect(intro.extension?.nodes?.Paper?.properties.doi).toEqual({ type: "string", minLength: 1 });
    expect(Object.isFrozen(intro)).toBe(true);

    // The introspected extension round-trips: evolving it onto an empty graph rebuilds the same kinds.
    const other = baseGraph(freshGraphId(`evolve_roundtrip_${bc.name}`));
    const otherBackend = bc.make(other.id);
    open.push(otherBackend);
    const [empty] = await createStoreWithSchema(other, otherBackend);
    const rebuilt = await empty.evolve(defineGraphExtension(intro.extension!));
    expect(rebuilt.introspect().extension).toEqual(intro.extension);
    expect([...rebuilt.registry.nodeKinds.keys()].sort()).toEqual(["Author", "Document", "Paper"]);
  });

  it("runtime embedding fields: vector tables provisioned with the commit, vector search on the runtime kind", async () => {
    const { graph, store } = await setup();
    const ext = defineGraphExtension({
      nodes: { Chunk: { properties: { text: { type: "string" }, vec: { type: "array", items: { type: "number" }, embedding: { dimensions: 3 } } } } },
    });
    const evolved = await store.evolve(ext);
    expect(evolved.graph.indexes?.some((d) => d.entity === "vector" && d.kind === "Chunk" && d.origin === "runtime")).toBe(true);
    const chunks = evolved.getNodeCollectionOrThrow("Chunk");
    const a = await chunks.create({ text: "a", vec: [1, 0, 0] });
    await chunks.create({ text: "b", vec: [0, 1, 0] });
    const hits = await evolved.search.vector("Chunk" as "Document", { fieldPath: "vec", queryEmbedding: [0.9, 0.1, 0], limit: 1 });
    expect(hits.map((h) => h.node.id)).toEqual([a.id]);
    const { store: restored } = await reopen(graph);
    const again = await restored.search.vector("Chunk" as "Document", { fieldPath: "vec", queryEmbedding: [0.9, 0.1, 0], limit: 1 });
    expect(again.map((h) => h.node.id)).toEqual([a.id]);
  });

  it("re-declaring the same extension is a no-op: same store, no new version", async () => {
    const { store } = await setup();
    const evolved = await store.evolve(paperExt);
    const again = await evolved.evolve(paperExt);
    expect(again).toBe(evolved);
    const active = await evolved.getActiveSchema();
    expect(active!.version).toBe(2);
  });

  it("refuses a runtime kind that shadows a compile-time kind", async () => {
    const { store } = await setup();
    const clash = defineGraphExtension({ nodes: { Document: { properties: { title: { type: "string" } } } } });
    await expect(store.evolve(clash)).rejects.toBeInstanceOf(KindCollisionError);
    expect((await store.getActiveSchema())!.version).toBe(1);
  });

  it("classifies changes to runtime kinds: additive passes, tightening needs an empty kind, removal never", async () => {
    const { store } = await setup();
    const v1 = defineGraphExtension({ nodes: { Tag: { properties: { label: { type: "string" } } } } });
    let s = await store.evolve(v1);
    // Tightening on an empty kind is allowed.
    s = await s.evolve(defineGraphExtension({ nodes: { Tag: { properties: { label: { type: "string", maxLength: 20 } } } } }));
    await s.getNodeCollectionOrThrow("Tag").create({ label: "ml" });
    // Additive (optional field) passes on a populated kind.
    s = await s.evolve(defineGraphExtension({ nodes: { Tag: { properties: { label: { type: "string", maxLength: 20 }, color: { type: "string", optional: true } } } } }));
    expect((await s.getActiveSchema())!.version).toBe(4);
    // A new required field on a populated kind is refused, nothing committed.
    const required = defineGraphExtension({
      nodes: { Tag: { properties: { label: { type: "string", maxLength: 20 }, color: { type: "string", optional: true }, weight: { type: "number" } } } },
    });
    const err = await s.evolve(required).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IncompatibleChangeError);
    expect((err as IncompatibleChangeError).code).toBe("INCOMPATIBLE_CHANGE");
    expect((err as IncompatibleChangeError).changes).toEqual([{ kind: "Tag", field: "weight", type: "ADD_REQUIRED_PROPERTY" }]);
    // Removing a property is refused even when empty.
    const removal = defineGraphExtension({ nodes: { Tag: { properties: { color: { type: "string", optional: true } } } } });
    const err2 = await s.evolve(removal).catch((e: unknown) => e);
    expect((err2 as IncompatibleChangeError).changes.map((c) => c.type)).toContain("REMOVE_PROPERTY");
    expect((await s.getActiveSchema())!.version).toBe(4);
  });

  it("catches up to another writer's commits before evolving", async () => {
    const { graph, store: a } = await setup();
    const { store: b } = await reopen(graph);
    const bEvolved = await b.evolve(defineGraphExtension({ nodes: { Author: { properties: { name: { type: "string" } } } } }));
    expect((await bEvolved.getActiveSchema())!.version).toBe(2);
    // `a` is stale (v1) but folds in Author before adding Venue.
    const aEvolved = await a.evolve(defineGraphExtension({ nodes: { Venue: { properties: { name: { type: "string" } } } } }));
    expect(aEvolved.introspect().schemaVersion).toBe(3);
    expect(aEvolved.registry.hasNodeType("Author")).toBe(true);
    expect(aEvolved.registry.hasNodeType("Venue")).toBe(true);
    // A stale re-declaration of what is already stored returns a caught-up store without a commit.
    const caught = await a.evolve(defineGraphExtension({ nodes: { Author: { properties: { name: { type: "string" } } } } }));
    expect(caught.introspect().schemaVersion).toBe(3);
  });

  it("fences a stale store's writes after another writer's schema commit; reads keep working", async () => {
    const { graph, store: a } = await setup();
    const doc = await a.nodes.Document.create({ title: "t", body: "b" });
    const { store: b } = await reopen(graph);
    await b.evolve(defineGraphExtension({ nodes: { Author: { properties: { name: { type: "string" } } } } }));
    const err = await a.nodes.Document.create({ title: "late", body: "b" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StaleVersionError);
    expect((err as StaleVersionError).details).toMatchObject({ expected: 1, actual: 2 });
    await expect(a.nodes.Document.update(doc.id, { title: "x" })).rejects.toBeInstanceOf(StaleVersionError);
    await expect(a.transaction((tx) => tx.nodes.Document.create({ title: "in tx", body: "b" }))).rejects.toBeInstanceOf(StaleVersionError);
    expect(await a.nodes.Document.count()).toBe(1);
    expect((await a.nodes.Document.getById(doc.id))!.title).toBe("t");
    // Reopening gives a store at the new version that writes.
    const { store: fresh, result } = await reopen(graph);
    expect(result.status).toBe("unchanged");
    await fresh.nodes.Document.create({ title: "now", body: "b" });
    expect(await fresh.nodes.Document.count()).toBe(2);
  });

  it("a fresh process with only the compile-time graph sees runtime kinds, rows, indexes and constraints", async () => {
    const { graph, store } = await setup();
    const evolved = await store.evolve(paperExt);
    await evolved.getNodeCollectionOrThrow("Paper").create({ title: "T", doi: "10.1/x", year: 2024 });
    const { store: restored, result } = await reopen(graph);
    expect(result.status).toBe("unchanged");
    expect(restored.registry.hasNodeType("Paper")).toBe(true);
    expect(restored.registry.hasEdgeType("authoredBy")).toBe(true);
    expect(restored.introspect().extension).toEqual(evolved.introspect().extension);
    const papers = restored.getNodeCollection("Paper")!;
    expect(await papers.find({})).toHaveLength(1);
    await expect(papers.create({ title: "again", doi: "10.1/x", year: 2024 })).rejects.toBeInstanceOf(UniquenessError);
    await expect(papers.create({ title: "", doi: "10.1/y", year: 2024 })).rejects.toBeInstanceOf(ValidationError);
    expect((await restored.search.fulltext("Paper" as "Document", { query: "T", limit: 3 })).length).toBeGreaterThanOrEqual(0);
    expect((restored.graph.nodes as Record<string, unknown>).Paper).toBeDefined();
    if (bc.name === "sqlite") {
      // A raw store on SQLite reads the persisted extension synchronously.
      const backend = bc.make(graph.id);
      open.push(backend);
      const raw = createStore(graph, backend);
      expect(await raw.getNodeCollectionOrThrow("Paper").count()).toBe(1);
    }
  });

  it("deprecates and undeprecates kinds idempotently", async () => {
    const { store } = await setup();
    const evolved = await store.evolve(paperExt);
    const dep = await evolved.deprecateKinds(["Paper", "Document"]);
    expect([...dep.introspect().deprecatedKinds].sort()).toEqual(["Document", "Paper"]);
    expect(dep.introspect().kinds.find((k) => k.name === "Paper")!.deprecated).toBe(true);
    expect((await dep.getActiveSchema())!.doc.deprecatedKinds).toEqual(["Document", "Paper"]);
    const same = await dep.deprecateKinds(["Paper"]);
    expect(same).toBe(dep);
    // Deprecation is informational: writes still work.
    await dep.getNodeCollectionOrThrow("Paper").create({ title: "t", doi: "d", year: 2000 });
    const err = await dep.deprecateKinds(["Nope"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KindNotFoundError);
    expect((err as KindNotFoundError).kindName).toBe("Nope");
    const undep = await dep.undeprecateKinds(["Document"]);
    expect([...undep.introspect().deprecatedKinds]).toEqual(["Paper"]);
    expect(undep.introspect().schemaVersion).toBe(4);
  });

  it("removes runtime kinds in two phases, refusing compile-time kinds and referenced kinds", async () => {
    const { store } = await setup([{ metaEdge: "subClassOf", from: "Venue", to: "Document" }]);
    const evolved = await store.evolve(
      defineGraphExtension({
        ...paperExt,
        nodes: { ...paperExt.nodes, Venue: { properties: { name: { type: "string" } } } },
      }),
    );
    await expect(evolved.removeKinds(["Document"])).rejects.toBeInstanceOf(RemoveCompileTimeKindError);
    const refErr = await evolved.removeKinds(["Venue"]).catch((e: unknown) => e);
    expect(refErr).toBeInstanceOf(KindHasReferentsError);
    expect((refErr as KindHasReferentsError).referents).toEqual([{ type: "compile-time-ontology", name: "subClassOf(Venue, Document)" }]);

    const paper = await evolved.getNodeCollectionOrThrow("Paper").create({ title: "t", doi: "d1", year: 2001 });
    const author = await evolved.getNodeCollectionOrThrow("Author").create({ name: "A" });
    await evolved.getEdgeCollectionOrThrow("authoredBy").create({ kind: "Paper", id: paper.id }, { kind: "Author", id: author.id }, {});
    const ref = { current: evolved };
    const removed = await evolved.removeKinds(["Paper"], { ref });
    expect(ref.current).toBe(removed);
    expect(removed.getNodeCollection("Paper")).toBeUndefined();
    // authoredBy lost its only source kind and went with it; cites keeps Document.
    expect(removed.getEdgeCollection("authoredBy")).toBeUndefined();
    expect(removed.introspect().edges.find((e) => e.name === "cites")!.from).toEqual(["Document"]);
    expect(removed.introspect().extension?.indexes).toBeUndefined();
    // Re-adding before cleanup is refused.
    const blocked = await removed.evolve(paperExt).catch((e: unknown) => e);
    expect(blocked).toBeInstanceOf(ConfigurationError);
    expect((blocked as ConfigurationError).details.code).toBe("KIND_READD_BLOCKED_BY_PENDING_REMOVAL");

    const cleanup = await removed.materializeRemovals();
    expect([...cleanup.results].sort((x, y) => x.entity.localeCompare(y.entity))).toEqual([
      { kind: "authoredBy", entity: "edge", status: "removed" },
      { kind: "Paper", entity: "node", status: "removed" },
    ]);
    expect((await removed.materializeRemovals()).results).toEqual([]);
    // Re-added, the kind starts empty; the surviving kinds kept their rows.
    const readded = await removed.evolve(paperExt);
    expect(await readded.getNodeCollectionOrThrow("Paper").count({ temporalMode: "includeTombstones" })).toBe(0);
    expect(await readded.getNodeCollectionOrThrow("Author").count()).toBe(1);
    // eager cleanup in one call
    await readded.getNodeCollectionOrThrow("Author").create({ name: "B" });
    const gone = await readded.removeKinds(["Author"], { eager: {} });
    expect(gone.getNodeCollection("Author")).toBeUndefined();
    expect((await gone.materializeRemovals()).results).toEqual([]);
  });

  it("eager materializes the extension's indexes after the commit; failures surface after ref.current moved", async () => {
    const { graph, backend, store } = await setup();
    // Physical index names are per database: unique to this graph, dropped afterwards.
    const suffix = graph.id.slice(-12).toLowerCase().replace(/[^a-z0-9]/g, "_");
    const byYear = `w_by_year_${suffix}`;
    const labelUnique = `tag_label_unique_${suffix}`;
    const ref: StoreRef<Store<ReturnType<typeof baseGraph>>> = { current: store };
    try {
      const withIndex = defineGraphExtension({
        nodes: { Work: { properties: { year: { type: "number", int: true } } } },
        indexes: [{ entity: "node", kind: "Work", name: byYear, fields: ["year"] }],
      });
      const evolved = await store.evolve(withIndex, { ref, eager: {} });
      expect(evolved.graph.indexes?.find((d) => d.name === byYear)?.origin).toBe("runtime");
      const again = await evolved.materializeIndexes({ kinds: ["Work"] });
      expect(again.results.find((r) => r.indexName === byYear)?.status).toBe("alreadyMaterialized");

      const tags = await evolved.evolve(defineGraphExtension({ nodes: { Tag: { properties: { label: { type: "string" } } } } }), { ref });
      await tags.getNodeCollectionOrThrow("Tag").bulkCreate([{ props: { label: "dup" } }, { props: { label: "dup" } }]);
      const uniqueOnDupes = defineGraphExtension({ indexes: [{ entity: "node", kind: "Tag", name: labelUnique, fields: ["label"], unique: true }] });
      const err = await tags.evolve(uniqueOnDupes, { ref, eager: { kinds: ["Tag"] } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EagerMaterializationError);
      expect((err as EagerMaterializationError).failedIndexNames).toEqual([labelUnique]);
      // The schema commit stands and the ref already points at the new store.
      expect(ref.current).not.toBe(tags);
      expect(ref.current.introspect().schemaVersion).toBe(4);
      // Restart parity for indexes: a fresh open sees the runtime declarations.
      const { store: restored } = await reopen(graph);
      expect(restored.graph.indexes?.map((d) => d.name)).toEqual(expect.arrayContaining([byYear, labelUnique]));
    } finally {
      // A failed CONCURRENTLY build leaves an invalid index behind on PostgreSQL.
      const exec = (backend as unknown as { exec(sql: string): unknown }).exec.bind(backend);
      await exec(`DROP INDEX IF EXISTS "${byYear}"; DROP INDEX IF EXISTS "${labelUnique}";`);
    }
  });

  it("hostile documents fail validation before any commit and never reach SQL", async () => {
    const { store } = await setup();
    const hostile: unknown[] = [
      { nodes: { "x\"; DROP TABLE typegraph_nodes; --": { properties: { a: { type: "string" } } } } },
      { nodes: { __proto__: { properties: {} } } },
      { nodes: { Ok: { properties: { id: { type: "string" } } } } },
      { nodes: { Ok: { properties: { a: { type: "string" } } } }, indexes: [{ entity: "node", kind: "Ok", name: "i\"; DROP", fields: ["a"] }] },
      { nodes: { Ok: { properties: { a: { type: "object", properties: { b: { type: "object", properties: {} } } } } } } },
      { edges: { e: { from: ["Missing"], to: ["Document"] } } },
      { version: 99, nodes: {} },
    ];
    for (const doc of hostile) {
      const err = await (async () => store.evolve(doc as never))().catch((e: unknown) => e);
      expect(err, JSON.stringify(doc)).toBeInstanceOf(Error);
      expect((err as { code?: string }).code, JSON.stringify(doc)).toMatch(/^(GRAPH_EXTENSION_|KIND_|CONFIGURATION_ERROR)/);
    }
    expect((await store.getActiveSchema())!.version).toBe(1);
    expect(await store.nodes.Document.count()).toBe(0);
    // Property names are free-form JSON keys (as upstream): they reach SQL only as bound JSON paths.
    const odd = "a') OR 1=1 --\"";
    const evolved = await store.evolve(defineGraphExtension({ nodes: { Odd: { properties: { [odd]: { type: "string" } } } } }));
    const c = evolved.getNodeCollectionOrThrow("Odd");
    await c.create({ [odd]: "x" });
    await c.create({ [odd]: "y" });
    const found = await c.find({ where: (n) => (n as unknown as Record<string, { eq(v: string): never }>)[odd]!.eq("y") });
    expect(found.map((n) => (n as Record<string, unknown>)[odd])).toEqual(["y"]);
    expect(await evolved.nodes.Document.count()).toBe(0);
  });

  it("evolve and removeKinds before initialisation refuse with a verb-specific code", async () => {
    const graph = baseGraph(freshGraphId(`evolve_uninit_${bc.name}`));
    const backend = bc.make(graph.id);
    open.push(backend);
    const raw = createStore(graph, backend);
    const err = await raw.evolve(paperExt).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).details.code).toBe("EVOLVE_BEFORE_INITIALIZE");
  });
});
