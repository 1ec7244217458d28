// Declared indexes (`typegraph-native/indexes`) and store.materializeIndexes() on both
// backends: upstream's names and DDL, status rows, drift, skips, and the vector index
// (pgvector on PostgreSQL, the engine's HNSW graph on SQLite).
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigurationError, KindNotFoundError, createStore, createStoreWithSchema, defineEdge, defineGraph, defineNode, embedding, type Store } from "../dist/index.js";
import {
  SYSTEM_INDEX_DECLARATIONS,
  andWhere,
  defineEdgeIndex,
  defineNodeIndex,
  generateIndexDDL,
  generateSystemIndexDDL,
  notWhere,
  orWhere,
  toDeclaredIndexes,
} from "../dist/indexes-entry.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", {
  schema: z.object({
    email: z.string(),
    name: z.string(),
    age: z.number().optional(),
    isActive: z.boolean().optional(),
    tags: z.array(z.string()).optional(),
    info: z.object({ priority: z.number() }).optional(),
  }),
});
const worksAt = defineEdge("worksAt", { schema: z.object({ role: z.string() }) });
const Doc = defineNode("Doc", { schema: z.object({ category: z.string(), embedding: embedding(8).optional() }) });
const Flat = defineNode("Flat", { schema: z.object({ v: embedding(4, { indexType: "ivfflat", metric: "l2" }).optional() }) });

describe("index declarations and DDL", () => {
  it("names and compiles node indexes as upstream does", () => {
    const idx = defineNodeIndex(Person, {
      fields: ["email"],
      coveringFields: ["name"],
      unique: true,
      where: (w) => andWhere(w.deletedAt.isNull(), w.isActive.eq(true)),
    });
    expect(idx.name).toMatch(/^idx_tg_node_person_email_cov_name_uniq_[0-9a-z]+$/);
    expect(defineNodeIndex(Person, { fields: ["email"], coveringFields: ["name"], unique: true }).name).toBe(idx.name);
    expect(idx.fields).toEqual(["/email"]);
    expect(idx.fieldValueTypes).toEqual(["string"]);
    expect(generateIndexDDL(idx, "sqlite")).toBe(
      `CREATE UNIQUE INDEX IF NOT EXISTS "${idx.name}" ON "typegraph_nodes" ("graph_id", "kind", (json_extract("props", '$."email"')), (json_extract("props", '$."name"'))) WHERE ("deleted_at" IS NULL AND json_extract("props", '$."isActive"') = 1);`,
    );
    expect(generateIndexDDL(idx, "postgres")).toBe(
      `CREATE UNIQUE INDEX IF NOT EXISTS "${idx.name}" ON "typegraph_nodes" ("graph_id", "kind", ("props" #>> ARRAY['email']), ("props" #>> ARRAY['name'])) WHERE ("deleted_at" IS NULL AND ("props" #>> ARRAY['isActive'])::boolean = TRUE);`,
    );
    const num = defineNodeIndex(Person, { fields: ["age", "/info/priority"], name: "person_age" });
    expect(generateIndexDDL(num, "postgres")).toBe(
      `CREATE INDEX IF NOT EXISTS "person_age" ON "typegraph_nodes" ("graph_id", "kind", (("props" #>> ARRAY['age'])::numeric), (("props" #>> ARRAY['info', 'priority'])::numeric));`,
    );
    expect(generateIndexDDL(num, "sqlite", { concurrent: true, ifNotExists: false })).toBe(
      `CREATE INDEX "person_age" ON "typegraph_nodes" ("graph_id", "kind", (json_extract("props", '$."age"')), (json_extract("props", '$."info"."priority"')));`,
    );
    const sys = defineNodeIndex(Person, { keySystemColumns: ["id"], coveringFields: ["name"], scope: "graph" });
    expect(sys.name).toMatch(/^idx_tg_node_person_cov_name_sys_id_graph_[0-9a-z]+$/);
    expect(generateIndexDDL(sys, "sqlite")).toContain(`("graph_id", "id", (json_extract("props", '$."name"')))`);
  });

  it("compiles edge indexes, where composition and the GIN methods", () => {
    const out = defineEdgeIndex(worksAt, {
      fields: ["role"],
      direction: "out",
      where: (w) => orWhere(notWhere(w.role.in(["a", "it's"])), w.fromKind.neq("X")),
    });
    expect(out.name).toMatch(/^idx_tg_edge_worksat_role_out_[0-9a-z]+$/);
    expect(generateIndexDDL(out, "sqlite")).toBe(
      `CREATE INDEX IF NOT EXISTS "${out.name}" ON "typegraph_edges" ("graph_id", "kind", "from_id", (json_extract("props", '$."role"'))) WHERE ((NOT json_extract("props", '$."role"') IN ('a', 'it''s')) OR "from_kind" <> 'X');`,
    );
    const gin = defineNodeIndex(Person, { fields: ["tags"], method: "gin" });
    expect(gin.name.endsWith("_gin")).toBe(true);
    expect(generateIndexDDL(gin, "postgres", { concurrent: true })).toBe(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS "${gin.name}" ON "typegraph_nodes" USING GIN (("props" #> ARRAY['tags']) jsonb_path_ops);`,
    );
    const trgm = defineNodeIndex(Person, { fields: ["name"], method: "trigram", name: "person_name_trgm" });
    expect(generateIndexDDL(trgm, "postgres")).toBe(
      `CREATE INDEX IF NOT EXISTS "person_name_trgm" ON "typegraph_nodes" USING GIN (("props" #>> ARRAY['name']) gin_trgm_ops);`,
    );
    expect(() => generateIndexDDL(gin, "sqlite")).toThrow(/requires PostgreSQL/);
    expect(toDeclaredIndexes([out, gin])).toEqual([
      { entityType: "edge", kind: "worksAt", fields: ["/role"], unique: false, name: out.name },
      { entityType: "node", kind: "Person", fields: ["/tags"], unique: false, name: gin.name },
    ]);
  });

  it("rejects bad declarations with clear errors", () => {
    expect(() => defineNodeIndex(Person, { fields: ["nope" as never] })).toThrow(/Unknown field "nope"/);
    expect(() => defineNodeIndex(Person, {})).toThrow(/at least one of fields/);
    expect(() => defineNodeIndex(Person, { fields: ["tags"] })).toThrow(/use method: "gin"/);
    expect(() => defineNodeIndex(Person, { fields: ["name"], method: "gin" })).toThrow(/trigram/);
    expect(() => defineNodeIndex(Person, { fields: ["email"], coveringFields: ["email"] })).toThrow(/overlap/);
    expect(() => defineNodeIndex(Person, { fields: ["email"], unique: true, keySystemColumns: ["id"] })).toThrow(ConfigurationError);
    expect(() => defineNodeIndex(Person, { keySystemColumns: ["from_id"] })).toThrow(/edge-only/);
    expect(() => defineNodeIndex(Doc, { fields: ["embedding"] })).toThrow(/embedding/);
    expect(() => defineNodeIndex(Person, { fields: ["email"], where: (w) => (w as unknown as Record<string, { isNull(): never }>).zzz!.isNull() })).toThrow(
      /Unknown field "zzz"/,
    );
    const idx = defineNodeIndex(Person, { fields: ["email"], name: "dup" });
    expect(() => defineGraph({ id: "g", nodes: { Person }, indexes: [idx, idx] })).toThrow(/Duplicate index name/);
    expect(() => defineGraph({ id: "g", nodes: { Doc }, indexes: [idx] })).toThrow(/not registered/);
  });

  it("derives vector indexes and keeps the system index list", () => {
    const g = defineGraph({ id: "g", nodes: { Doc, Person } });
    expect(g.indexes?.map((i) => i.name)).toEqual(["tg_vec_doc_embedding_cosine"]);
    expect(SYSTEM_INDEX_DECLARATIONS.length).toBe(21);
    expect(generateSystemIndexDDL(SYSTEM_INDEX_DECLARATIONS[0]!, "typegraph_nodes", { concurrent: true })).toBe(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS "typegraph_nodes_kind_idx" ON "typegraph_nodes" ("graph_id", "kind");`,
    );
  });
});

type Raw = { query(sql: string, params?: unknown[]): unknown[][] | Promise<unknown[][]> };

// CREATE INDEX CONCURRENTLY waits for every older transaction on the table: on a shared
// PostgreSQL server that can take a while.
const MATERIALIZE_TIMEOUT = 180_000;

describe.each(backends)("materializeIndexes on $name", (bc) => {
  const open: Store[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  const rows = async (store: Store, sql: string, params: unknown[] = []) => {
    let i = 0;
    const text = bc.name === "postgres" ? sql.replaceAll("?", () => `$${++i}`) : sql;
    return (await (store.backend as unknown as Raw).query(text, params)) as unknown[][];
  };
  const indexExists = async (store: Store, name: string) =>
    (
      await rows(
        store,
        bc.name === "sqlite" ? "SELECT name FROM sqlite_master WHERE type = 'index' AND name = ?" : "SELECT indexname FROM pg_indexes WHERE indexname = ?",
        [name],
      )
    ).length === 1;

  async function setup(extra: { personName?: string } = {}) {
    const id = freshGraphId(`idx_${bc.name}`);
    const email = defineNodeIndex(Person, { fields: ["email"], name: extra.personName ?? `${id}_email`.toLowerCase() });
    const age = defineNodeIndex(Person, { fields: ["age"], coveringFields: ["name"], name: `${id}_age`.toLowerCase() });
    const role = defineEdgeIndex(worksAt, { fields: ["role"], direction: "in", name: `${id}_role`.toLowerCase() });
    const tags = defineNodeIndex(Person, { fields: ["tags"], method: "gin", name: `${id}_tags`.toLowerCase() });
    const graph = defineGraph({
      id,
      nodes: { Person, Doc, Flat },
      edges: { worksAt: { type: worksAt, from: [Person], to: [Person] } },
      indexes: [email, age, role, tags],
    });
    const [store] = await createStoreWithSchema(graph, bc.make(id));
    open.push(store as unknown as Store);
    return { store, graph, names: { email: email.name, age: age.name, role: role.name, tags: tags.name } };
  }

  it("creates, records and then reports alreadyMaterialized", async () => {
    const { store, graph, names } = await setup();
    await store.nodes.Person.create({ email: "a@x", name: "A", age: 3 });
    const first = await store.materializeIndexes();
    const byName = Object.fromEntries(first.results.map((r) => [r.indexName, r]));
    expect(byName[names.email]).toMatchObject({ entity: "node", kind: "Person", status: "created" });
    expect(byName[names.age]!.status).toBe("created");
    expect(byName[names.role]).toMatchObject({ entity: "edge", kind: "worksAt", status: "created" });
    expect(byName["tg_vec_doc_embedding_cosine"]).toMatchObject({ entity: "vector", kind: "Doc", status: "created" });
    if (bc.name === "sqlite") {
      expect(byName[names.tags]!.status).toBe("skipped");
      expect(byName[names.tags]!.reason).toMatch(/requires PostgreSQL/);
      expect(byName["tg_vec_flat_v_l2"]).toMatchObject({ status: "skipped" });
      expect(byName["tg_vec_flat_v_l2"]!.reason).toMatch(/ivfflat/);
    } else {
      expect(byName[names.tags]!.status).toBe("created");
      expect(byName["tg_vec_flat_v_l2"]!.status).toBe("created");
      expect((await rows(store as unknown as Store, "SELECT indexname FROM pg_indexes WHERE indexname LIKE ?", [`tg_vecidx_%doc_embedding%`])).length).toBeGreaterThan(0);
    }
    for (const n of [names.email, names.age, names.role]) expect(await indexExists(store as unknown as Store, n)).toBe(true);
    const status = await rows(
      store as unknown as Store,
      "SELECT index_name, entity, kind, signature, materialized_at, last_error FROM typegraph_index_materializations WHERE graph_id = ? ORDER BY index_name",
      [graph.id],
    );
    const keys = status.map((r) => r[0]);
    expect(keys).toContain(names.email);
    expect(keys).toContain(`${graph.id}::tg_vec_doc_embedding_cosine`);
    for (const r of status) {
      expect(r[3]).toMatch(/^[0-9a-f]{32}$/);
      expect(r[4]).not.toBeNull();
      expect(r[5]).toBeNull();
    }
    const again = await store.materializeIndexes();
    for (const r of again.results) expect(["alreadyMaterialized", "skipped"]).toContain(r.status);
    expect(again.results.filter((r) => r.status === "alreadyMaterialized").length).toBe(first.results.filter((r) => r.status === "created").length);
    // The index serves queries: a filtered find still answers.
    const found = await store.nodes.Person.find({ where: (p) => p.email.eq("a@x") });
    expect(found.map((n) => n.name)).toEqual(["A"]);
  }, MATERIALIZE_TIMEOUT);

  it("filters by kind, refuses unknown kinds, stops on error and reports drift", async () => {
    const { store, names } = await setup();
    const only = await store.materializeIndexes({ kinds: ["worksAt"] });
    expect(only.results.map((r) => r.indexName)).toEqual([names.role]);
    await expect(store.materializeIndexes({ kinds: ["Nope"] })).rejects.toBeInstanceOf(KindNotFoundError);
    // A second graph declaring the same physical name with another shape: drift → failed.
    const other = defineNodeIndex(Person, { fields: ["name"], name: names.role });
    const g2 = defineGraph({ id: freshGraphId(`idx2_${bc.name}`), nodes: { Person }, indexes: [other] });
    // materializeIndexes needs an initialized schema (as upstream): this graph gets one first.
    const [s2] = await createStoreWithSchema(g2, store.backend);
    const drift = await s2.materializeIndexes({ stopOnError: true });
    expect(drift.results.length).toBe(1);
    expect(drift.results[0]!.status).toBe("failed");
    expect(drift.results[0]!.error).toBeInstanceOf(Error);
    expect(drift.results[0]!.error!.message).toMatch(/different signature/);
    // A name colliding with a system index fails before any DDL.
    const clash = defineNodeIndex(Person, { fields: ["name"], name: "typegraph_nodes_kind_idx" });
    const g3 = defineGraph({ id: freshGraphId(`idx3_${bc.name}`), nodes: { Person }, indexes: [clash] });
    const [s3] = await createStoreWithSchema(g3, store.backend);
    const r3 = await s3.materializeIndexes();
    expect(r3.results[0]).toMatchObject({ status: "failed" });
    expect(r3.results[0]!.error!.message).toMatch(/system index/);
  }, MATERIALIZE_TIMEOUT);

  it("a unique declared index enforces uniqueness once materialized", async () => {
    const id = freshGraphId(`idxu_${bc.name}`);
    // Partial on this graph's live rows: the table is shared with every other graph.
    const uniq = defineNodeIndex(Person, {
      fields: ["email"],
      unique: true,
      name: `${id}_uniq`.toLowerCase(),
      where: (w) => andWhere(w.graphId.eq(id), w.deletedAt.isNull()),
    });
    const graph = defineGraph({ id, nodes: { Person }, indexes: [uniq] });
    const [store] = await createStoreWithSchema(graph, bc.make(id));
    open.push(store as unknown as Store);
    await store.nodes.Person.create({ email: "same", name: "one" });
    expect((await store.materializeIndexes()).results[0]!.status).toBe("created");
    await expect(store.nodes.Person.create({ email: "same", name: "two" })).rejects.toThrow();
    expect(await store.nodes.Person.count()).toBe(1);
  }, MATERIALIZE_TIMEOUT);
});
