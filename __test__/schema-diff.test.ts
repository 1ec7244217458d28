// Schema diffs and their classification (`typegraph-native/schema`), and the
// statuses createStoreWithSchema reports against a stored schema version.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  MIGRATION_FAILURE_REASONS,
  MigrationError,
  ValidationError,
  StaleVersionError,
  SchemaContentConflictError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  embedding,
  type GraphDef,
} from "../dist/index.js";
import {
  classifySchemaChanges,
  computeSchemaDiff,
  computeSchemaHash,
  applyDeprecatedKinds,
  assertSchemaCurrent,
  createValidationError,
  deserializeSchema,
  deserializeWherePredicate,
  ensureSchema,
  loadAndMergeGraphExtensionDocument,
  validateEdgeProps,
  validateNodeProps,
  wrapZodError,
  getActiveSchema,
  initializeSchema,
  migrateSchema,
  getCommittedSchemaVersion,
  getMigrationActions,
  getSchemaChanges,
  isBackwardsCompatible,
  isSchemaInitialized,
  parseSerializedSchema,
  requiresMigration,
  rollbackSchema,
  serializeSchema,
  type SerializedSchema,
} from "../dist/schema-entry.js";
import { defineGraphExtension } from "../dist/extension/index.js";
import { mergeGraphExtension } from "../dist/extension/internal.js";
import { backends, freshGraphId } from "./backends.js";

type Shape = Record<string, z.ZodType>;
function graph(id: string, person: Shape, extra: { company?: boolean; onDelete?: "restrict" | "cascade"; unique?: boolean; cardinality?: "many" | "one"; annotations?: Record<string, string>; subclass?: boolean } = {}): GraphDef {
  const Person = defineNode("Person", { schema: z.object(person), ...(extra.annotations ? { annotations: extra.annotations } : {}) });
  const Company = defineNode("Company", { schema: z.object({ name: z.string() }) });
  const Employee = defineNode("Employee", { schema: z.object({ name: z.string() }) });
  const knows = defineEdge("knows", { schema: z.object({ since: z.number().optional() }) });
  return defineGraph({
    id,
    nodes: {
      Person: { type: Person, onDelete: extra.onDelete ?? "restrict", ...(extra.unique ? { unique: [{ name: "person_name", fields: ["name"] }] } : {}) },
      Employee,
      ...(extra.company ? { Company } : {}),
    },
    edges: { knows: { type: knows, from: [Person], to: extra.company ? [Person, Company] : [Person], cardinality: extra.cardinality ?? "many" } },
    ...(extra.subclass ? { ontology: [{ metaEdge: "subClassOf", from: Employee, to: Person }] } : {}),
  }) as unknown as GraphDef;
}
const base: Shape = { name: z.string(), age: z.number().optional() };
const doc = (g: GraphDef, version = 1): SerializedSchema => serializeSchema(g, version);
const diffOf = (before: Shape | GraphDef, after: Shape | GraphDef) =>
  computeSchemaDiff(doc("__graphDef" in before ? (before as GraphDef) : graph("d", before as Shape)), doc("__graphDef" in after ? (after as GraphDef) : graph("d", after as Shape), 2));

describe("computeSchemaDiff and classifySchemaChanges", () => {
  it("finds nothing between identical documents", () => {
    const d = diffOf(base, { age: z.number().optional(), name: z.string() });
    expect(d).toMatchObject({ fromVersion: 1, toVersion: 2, hasChanges: false, hasBreakingChanges: false, isBackwardsCompatible: true, summary: "No changes" });
    expect(classifySchemaChanges(d)).toBe("identical");
    expect(getMigrationActions(d)).toEqual([]);
  });

  it("classifies property changes like upstream", () => {
    const cases: [Shape, "safe" | "breaking", RegExp][] = [
      [{ ...base, email: z.string().optional() }, "safe", /^Properties added to "Person": email$/],
      [{ ...base, email: z.string() }, "breaking", /^New required properties in "Person": email$/],
      [{ name: z.string() }, "breaking", /^Properties removed from "Person": age$/],
      [{ name: z.number(), age: z.number().optional() }, "breaking", /^Property schemas changed incompatibly in "Person": name$/],
      [{ name: z.string().min(2), age: z.number().optional() }, "breaking", /changed incompatibly in "Person": name/],
      [{ name: z.string().describe("The name"), age: z.number().optional() }, "safe", /^Properties changed in "Person"$/],
      [{ name: z.string(), age: z.number() }, "breaking", /^New required properties in "Person": age$/],
    ];
    for (const [after, severity, details] of cases) {
      const d = diffOf(base, after);
      expect(d.nodes).toHaveLength(1);
      expect(d.nodes[0]).toMatchObject({ type: "modified", kind: "Person", severity });
      expect(d.nodes[0]!.details).toMatch(details);
      expect(d.nodes[0]!.before).toBeDefined();
      expect(classifySchemaChanges(d)).toBe(severity === "safe" ? "additive" : "incompatible");
      expect(isBackwardsCompatible(d)).toBe(severity === "safe");
    }
  });

  it("walks nested objects: optional additions are safe, removals and new requirements are not", () => {
    const addr = (shape: Shape) => ({ ...base, address: z.object(shape) });
    const before = addr({ city: z.string() });
    expect(classifySchemaChanges(diffOf(before, addr({ city: z.string(), zip: z.string().optional() })))).toBe("additive");
    expect(classifySchemaChanges(diffOf(before, addr({ city: z.string(), zip: z.string() })))).toBe("incompatible");
    expect(classifySchemaChanges(diffOf(before, addr({})))).toBe("incompatible");
    expect(classifySchemaChanges(diffOf({ ...base, tag: z.enum(["a", "b"]) }, { ...base, tag: z.enum(["b", "a"]) }))).toBe("identical");
  });

  it("reports kind-level changes with upstream's severities", () => {
    const g = (extra: Parameters<typeof graph>[2]) => graph("k", base, extra);
    const added = diffOf(g({}), g({ company: true }));
    expect(added.nodes).toEqual([expect.objectContaining({ type: "added", kind: "Company", severity: "safe", details: 'Node kind "Company" was added' })]);
    expect(added.edges).toEqual([expect.objectContaining({ type: "modified", kind: "knows", severity: "warning", details: 'toKinds changed for "knows"' })]);
    expect(added.summary).toBe("Nodes: 1 added, 0 removed, 0 modified; Edges: 0 added, 0 removed, 1 modified");
    expect(classifySchemaChanges(added)).toBe("additive");

    const removed = diffOf(g({ company: true }), g({}));
    expect(removed.nodes).toEqual([expect.objectContaining({ type: "removed", kind: "Company", severity: "breaking" })]);
    expect(getMigrationActions(removed)).toEqual(['DELETE data for removed node kind "Company"']);

    const warnings = diffOf(g({}), g({ onDelete: "cascade", unique: true, cardinality: "one" }));
    expect(warnings.nodes.map((c) => [c.severity, c.details])).toEqual([
      ["warning", 'onDelete changed from "restrict" to "cascade" for "Person"'],
      ["warning", 'Unique constraints changed for "Person"'],
    ]);
    expect(warnings.edges.map((c) => [c.severity, c.details])).toEqual([["warning", 'Cardinality changed from "many" to "one" for "knows"']]);
    expect(classifySchemaChanges(warnings)).toBe("additive");

    const annotated = diffOf(g({}), g({ annotations: { owner: "team-a" } }));
    expect(annotated.nodes).toEqual([expect.objectContaining({ severity: "safe", details: 'Annotations changed for "Person"' })]);

    const onto = diffOf(g({}), g({ subclass: true }));
    expect(onto.ontology).toEqual([
      { type: "added", entity: "metaEdge", name: "subClassOf", severity: "safe", details: 'Meta-edge "subClassOf" was added' },
      { type: "added", entity: "relation", name: "subClassOf:Employee:Person", severity: "safe", details: "Relation subClassOf(Employee, Person) was added" },
    ]);
    // Dropping the last relation of a meta-edge drops the meta-edge from the document too: upstream calls that breaking.
    expect(diffOf(g({ subclass: true }), g({})).ontology.map((c) => [c.entity, c.type, c.severity])).toEqual([
      ["metaEdge", "removed", "breaking"],
      ["relation", "removed", "warning"],
    ]);
  });

  it("diffs index declarations, the graph extension and deprecated kinds as safe changes", () => {
    const withVec = graph("v", { ...base, vec: embedding(3).optional() });
    const d = diffOf(graph("v", base), withVec);
    expect(d.indexes).toEqual([expect.objectContaining({ type: "added", name: "tg_vec_person_vec_cosine", entity: "vector", severity: "safe" })]);

    const plain = doc(graph("x", base));
    const ext = doc(mergeGraphExtension(graph("x", base), defineGraphExtension({ nodes: { Paper: { properties: { t: { type: "string" } } } } })), 2);
    const added = computeSchemaDiff(plain, ext);
    expect(added.extension).toEqual({ type: "added", severity: "safe", details: "Graph extension document was added" });
    expect(added.nodes).toEqual([expect.objectContaining({ type: "added", kind: "Paper" })]);
    expect(classifySchemaChanges(added)).toBe("additive");
    expect(computeSchemaDiff(ext, { ...ext, extension: { nodes: {} } }).extension).toMatchObject({ type: "modified" });

    const deprecated = computeSchemaDiff(plain, { ...plain, deprecatedKinds: ["Person", "Employee"] });
    expect(deprecated.deprecatedKinds).toEqual({ added: ["Employee", "Person"], removed: [], severity: "safe", details: "Deprecated kinds: added Employee, Person" });
    expect(deprecated.summary).toBe("Deprecated kinds: 2 added, 0 removed");
    expect(classifySchemaChanges(deprecated)).toBe("additive");

    const identity = computeSchemaDiff({ ...plain, identity: { sameIdAcrossKinds: "fold" } }, plain);
    expect(identity.identity).toMatchObject({ type: "removed", severity: "breaking" });
    expect(classifySchemaChanges(identity)).toBe("incompatible");
  });

  it("parses and reads stored documents", () => {
    const d = doc(graph("p", base));
    const parsed = parseSerializedSchema(JSON.stringify(d));
    expect(parsed).toEqual(d);
    expect(() => parseSerializedSchema("{not json")).toThrow(/not valid JSON/);
    expect(() => parseSerializedSchema('{"graphId":1}')).toThrow(/malformed/);
    const view = deserializeSchema(parsed);
    expect(view.getNodeNames()).toEqual(["Person", "Employee"]);
    expect(view.getNode("Person")).toMatchObject({ kind: "Person", onDelete: "restrict" });
    expect(view.getNode("toString")).toBeUndefined();
    expect(view.getEdge("knows")).toMatchObject({ fromKinds: ["Person"] });
    expect(view.getDefaults()).toEqual({ onNodeDelete: "restrict", temporalMode: "current" });
  });
});

describe("schema entry helpers", () => {
  it("validates props into ValidationError with per-issue paths", () => {
    const schema = z.object({ name: z.string(), age: z.number().int() });
    expect(validateNodeProps(schema, { name: "A", age: 3 }, { kind: "Person", operation: "create" })).toEqual({ name: "A", age: 3 });
    let error: unknown;
    try {
      validateEdgeProps(schema, { name: 1, age: 1.5 }, { kind: "knows", operation: "update", id: "e1" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const v = error as ValidationError;
    expect(v.message).toMatch(/^Invalid edge props for knows\/e1: /);
    expect(v.details).toMatchObject({ entityType: "edge", kind: "knows", operation: "update", id: "e1" });
    expect((v.details.issues as { path: string }[]).map((i) => i.path)).toEqual(["name", "age"]);
    const parsed = schema.safeParse({});
    const wrapped = wrapZodError(parsed.error!, { entityType: "node", kind: "Person", operation: "create" });
    expect(wrapped.message).toMatch(/^Validation failed for node new Person: /);
    const custom = createValidationError("Start after end", [{ path: "start", message: "too late" }], { entityType: "edge", kind: "job" });
    expect(custom.details).toEqual({ entityType: "edge", kind: "job", issues: [{ path: "start", message: "too late" }] });
  });

  it("applies deprecations and rebuilds stored where predicates", () => {
    const g = graph("dep", base);
    const deprecated = applyDeprecatedKinds(g, ["Employee"]);
    expect(applyDeprecatedKinds(deprecated, ["Employee"])).toBe(deprecated);
    expect(serializeSchema(deprecated, 1).deprecatedKinds).toEqual(["Employee"]);
    expect(serializeSchema(applyDeprecatedKinds(deprecated, []), 1).deprecatedKinds).toBeUndefined();
    const fn = deserializeWherePredicate('{"field":"email","op":"isNull"}');
    const builder = { email: { isNull: () => ({ field: "email", op: "isNull" }), isNotNull: () => ({ field: "email", op: "isNotNull" }) } };
    expect(fn(builder)).toEqual({ field: "email", op: "isNull" });
    expect(() => deserializeWherePredicate('{"field":"nope","op":"isNull"}')(builder)).toThrow(ConfigurationError);
  });
});

describe.each(backends)("createStoreWithSchema statuses ($name)", ({ make }) => {
  it("initializes, then reports unchanged, migrated, pending and breaking", async () => {
    const id = freshGraphId("schema_status");
    const backend = make(`schema_status_${id}`);
    expect(await isSchemaInitialized(backend, id)).toBe(false);
    expect(await getActiveSchema(backend, id)).toBeUndefined();
    expect(await getCommittedSchemaVersion(backend, id)).toBeUndefined();
    expect(await getSchemaChanges(backend, graph(id, base))).toBeUndefined();
    expect(await requiresMigration(backend, graph(id, base))).toBe(true);

    const [, init] = await createStoreWithSchema(graph(id, base), backend);
    expect(init.status).toBe("initialized");
    if (init.status !== "initialized") return;
    expect(init.committedRow).toMatchObject({ graph_id: id, version: 1, is_active: true });
    const stored = (await getActiveSchema(backend, id))!;
    expect(await computeSchemaHash(stored)).toBe(init.committedRow.schema_hash);
    expect(await isSchemaInitialized(backend, id)).toBe(true);
    expect(await requiresMigration(backend, graph(id, base))).toBe(false);

    expect((await createStoreWithSchema(graph(id, base), backend))[1]).toEqual({ status: "unchanged", version: 1 });

    // Additive: pending when told not to migrate, migrated otherwise.
    const wider = graph(id, { ...base, email: z.string().optional() });
    const changes = (await getSchemaChanges(backend, wider))!;
    expect(classifySchemaChanges(changes)).toBe("additive");
    expect(await requiresMigration(backend, wider)).toBe(true);
    const [, pending] = await createStoreWithSchema(wider, backend, { autoMigrate: false });
    expect(pending).toMatchObject({ status: "pending", version: 1, diff: { hasChanges: true, hasBreakingChanges: false } });
    expect(await getCommittedSchemaVersion(backend, id)).toBe(1);
    const hooks: string[] = [];
    const [widerStore, migrated] = await createStoreWithSchema(wider, backend, {
      onBeforeMigrate: async (c) => {
        hooks.push(`before ${c.fromVersion}->${c.toVersion} ${c.diff.summary}`);
        expect(await getCommittedSchemaVersion(backend, id)).toBe(1);
      },
      onAfterMigrate: async (c) => {
        hooks.push(`after ${c.graphId === id}`);
        expect(await getCommittedSchemaVersion(backend, id)).toBe(2);
      },
    });
    expect(hooks).toEqual(["before 1->2 Nodes: 0 added, 0 removed, 1 modified", "after true"]);
    expect(migrated).toMatchObject({ status: "migrated", fromVersion: 1, toVersion: 2, committedRow: { version: 2 } });
    expect(await getCommittedSchemaVersion(backend, id)).toBe(2);
    await widerStore.nodes.Person.create({ name: "Ada", email: "ada@example.org" });

    // Breaking: MigrationError with upstream's reason, nothing committed.
    const narrower = graph(id, { name: z.string() });
    let error: unknown;
    try {
      await createStoreWithSchema(narrower, backend);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MigrationError);
    const m = error as MigrationError;
    expect(m.code).toBe("MIGRATION_ERROR");
    expect(m.details).toMatchObject({ graphId: id, fromVersion: 2, toVersion: 3, reason: "breaking-change" });
    expect(MIGRATION_FAILURE_REASONS).toContain(m.details.reason);
    expect((m.details.diff as { hasBreakingChanges: boolean }).hasBreakingChanges).toBe(true);
    expect(m.message).toMatch(/^Schema migration required: Nodes: 0 added, 0 removed, 1 modified\./);
    const [, breaking] = await createStoreWithSchema(narrower, backend, { throwOnBreaking: false });
    expect(breaking).toMatchObject({
      status: "breaking",
      actions: ['MIGRATE data for node kind "Person": Properties removed from "Person": age, email'],
    });
    expect(await getCommittedSchemaVersion(backend, id)).toBe(2);
    await backend.close();
  }, 120_000);

  it("keeps a stored graph extension through compile-time migrations", async () => {
    const id = freshGraphId("schema_ext");
    const backend = make(`schema_ext_${id}`);
    const ext = defineGraphExtension({ nodes: { Paper: { properties: { title: { type: "string" } } } }, edges: { wrote: { from: ["Person"], to: ["Paper"] } } });
    const [, init] = await createStoreWithSchema(mergeGraphExtension(graph(id, base), ext), backend);
    expect(init.status).toBe("initialized");

    // A newer deploy adds an optional field to a compile-time kind; the runtime kinds stay.
    const [store, migrated] = await createStoreWithSchema(graph(id, { ...base, email: z.string().optional() }), backend);
    expect(migrated.status).toBe("migrated");
    if (migrated.status !== "migrated") return;
    expect(migrated.diff.nodes.map((c) => [c.type, c.kind])).toEqual([["modified", "Person"]]);
    expect(migrated.diff.extension).toBeUndefined();
    const storedDoc = (await getActiveSchema(backend, id))!;
    expect(storedDoc.extension).toEqual({ nodes: { Paper: { properties: { title: { type: "string" } } } }, edges: { wrote: { from: ["Person"], to: ["Paper"], properties: {} } } });
    expect(Object.keys(storedDoc.nodes).sort()).toEqual(["Employee", "Paper", "Person"]); // jsonb keeps its own key order
    const paper = await store.getNodeCollectionOrThrow("Paper").create({ title: "T" });
    const ada = await store.nodes.Person.create({ name: "Ada" });
    await store.getEdgeCollectionOrThrow("wrote").create(ada, paper, {});
    expect(await requiresMigration(backend, graph(id, { ...base, email: z.string().optional() }))).toBe(false);
    await backend.close();
  }, 120_000);

  it("ensureSchema, initializeSchema and migrateSchema (with the kind-removal guard)", async () => {
    const id = freshGraphId("schema_manage");
    const backend = make(`schema_manage_${id}`);
    const row = await initializeSchema(backend, graph(id, base, { company: true }));
    expect(row).toMatchObject({ graph_id: id, version: 1, is_active: true });
    expect(JSON.parse(row.schema_doc)).toMatchObject({ graphId: id, version: 1 });
    // A different document at version 1: content conflict wins over the CAS check (upstream's order).
    await expect(initializeSchema(backend, graph(id, base))).rejects.toBeInstanceOf(SchemaContentConflictError);
    expect(await ensureSchema(backend, graph(id, base, { company: true }))).toEqual({ status: "unchanged", version: 1 });

    const [store] = await createStoreWithSchema(graph(id, base, { company: true }), backend);
    await store.nodes.Company.create({ name: "Acme" });

    // Dropping Company while it holds a row is refused, atomically with the commit.
    await expect(migrateSchema(backend, graph(id, base), 0)).rejects.toBeInstanceOf(StaleVersionError);
    let error: unknown;
    try {
      await migrateSchema(backend, graph(id, base), 1);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).details).toMatchObject({ reason: "kind-removal", droppedKinds: { nodes: ["Company"], edges: [] } });
    expect(await getCommittedSchemaVersion(backend, id)).toBe(1);

    // Breaking changes go through migrateSchema; discarding the dropped kind's rows is explicit.
    expect(await migrateSchema(backend, graph(id, { name: z.string() }), 1, { discardDroppedKindRows: true })).toBe(2);
    expect(await getCommittedSchemaVersion(backend, id)).toBe(2);
    expect(Object.keys((await getActiveSchema(backend, id))!.nodes).sort()).toEqual(["Employee", "Person"]);
    expect(await ensureSchema(backend, graph(id, { name: z.string() }))).toEqual({ status: "unchanged", version: 2 });

    // Rolling back re-activates version 1's document; the newer row stays for a roll forward.
    await rollbackSchema(backend, id, 1);
    expect(await getCommittedSchemaVersion(backend, id)).toBe(1);
    expect(Object.keys((await getActiveSchema(backend, id))!.nodes).sort()).toEqual(["Company", "Employee", "Person"]);
    await expect(rollbackSchema(backend, id, 7)).rejects.toMatchObject({ code: "MIGRATION_ERROR", details: { reason: "version-not-found" } });
    await rollbackSchema(backend, id, 2);
    expect(await getCommittedSchemaVersion(backend, id)).toBe(2);
    await expect(rollbackSchema(backend, freshGraphId("never"), 1)).rejects.toMatchObject({ details: { reason: "no-active-version" } });
    await backend.close();
  }, 120_000);

  it("verifies without writing (assertSchemaCurrent) and loads the stored extension", async () => {
    const id = freshGraphId("schema_verify");
    const backend = make(`schema_verify_${id}`);
    await backend.bootstrap();
    await expect(assertSchemaCurrent(backend, graph(id, base))).rejects.toBeInstanceOf(ConfigurationError);
    const ext = defineGraphExtension({ nodes: { Paper: { properties: { t: { type: "string" } } } } });
    await createStoreWithSchema(mergeGraphExtension(graph(id, base), ext), backend);
    expect(await assertSchemaCurrent(backend, graph(id, base))).toEqual({ status: "unchanged", version: 1 });
    let error: unknown;
    try {
      await assertSchemaCurrent(backend, graph(id, { ...base, email: z.string().optional() }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).details.reason).toBe("schema-behind");
    expect(await getCommittedSchemaVersion(backend, id)).toBe(1);
    const loaded = await loadAndMergeGraphExtensionDocument(backend, graph(id, base));
    expect(Object.keys(loaded.graph.nodes)).toEqual(["Person", "Employee", "Paper"]);
    expect(loaded.activeRow).toMatchObject({ graph_id: id, version: 1 });
    expect(loaded.storedSchema!.extension).toEqual({ nodes: { Paper: { properties: { t: { type: "string" } } } } });
    await backend.close();
  }, 120_000);
});
