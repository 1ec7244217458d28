// Exports added to match upstream's names: the JSON-pointer helpers work as documented (alone
// and through the query builder on every backend), and every value export exists at run time.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import * as root from "../dist/index.js";
import {
  StoreNotInitializedError,
  TypeGraphError,
  createStore,
  embedding,
  isUserRecoverable,
  searchable,
  type StoreNotInitializedErrorDetails,
  CardinalityError,
  DisjointError,
  EdgeNotFoundError,
  EndpointError,
  EndpointNotFoundError,
  KindNotFoundError,
  NodeNotFoundError,
  RestrictedDeleteError,
  UniquenessError,
  disjointWith,
  type CardinalityErrorDetails,
  NodeConstraintNotFoundError,
  ValidationError,
  type NodeConstraintNotFoundErrorDetails,
  type ValidationErrorDetails,
  type DisjointErrorDetails,
  type EdgeNotFoundErrorDetails,
  type EndpointErrorDetails,
  type EndpointNotFoundErrorDetails,
  type KindNotFoundErrorDetails,
  type NodeNotFoundErrorDetails,
  type RestrictedDeleteErrorDetails,
  type UniquenessErrorDetails,
  MAX_JSON_POINTER_DEPTH,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  joinJsonPointers,
  jsonPointer,
  normalizeJsonPointer,
  parseJsonPointer,
  type JsonPointer,
  type Store,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

describe("value exports", () => {
  it("the JSON-pointer helpers are functions on the root entry", () => {
    for (const name of ["jsonPointer", "parseJsonPointer", "normalizeJsonPointer", "joinJsonPointers"] as const) {
      expect(typeof root[name], name).toBe("function");
    }
    expect(MAX_JSON_POINTER_DEPTH).toBe(5);
  });
});

describe("JSON pointers", () => {
  it("builds, escapes and parses (RFC 6901)", () => {
    expect(jsonPointer([])).toBe("");
    expect(jsonPointer(["a", 0, "b"])).toBe("/a/0/b");
    expect(jsonPointer(["a/b", "x~y", "~1"])).toBe("/a~1b/x~0y/~01");
    expect(parseJsonPointer("" as JsonPointer)).toEqual([]);
    expect(parseJsonPointer("/a~1b/x~0y/~01" as JsonPointer)).toEqual(["a/b", "x~y", "~1"]);
    expect(parseJsonPointer("/a/0" as JsonPointer)).toEqual(["a", "0"]);
    expect(parseJsonPointer("/" as JsonPointer)).toEqual([""]);
    for (const steps of [["a"], ["a/b", "c"], ["~", "/", "~0~1"], ["", "x"]]) {
      expect(parseJsonPointer(jsonPointer(steps))).toEqual(steps);
    }
  });

  it("refuses what cannot address a stored value", () => {
    expect(() => jsonPointer(["a", "b", "c", "d", "e", "f"])).toThrow(/at most 5/);
    expect(jsonPointer(["a", "b", "c", "d", "e"])).toBe("/a/b/c/d/e");
    expect(() => jsonPointer(["items", "-"])).toThrow(/"-"/);
    expect(() => jsonPointer(["items", -1])).toThrow(/non-negative integer/);
    expect(() => jsonPointer(["items", 1.5])).toThrow(/non-negative integer/);
  });

  it("normalizes strings and segment lists", () => {
    expect(normalizeJsonPointer<{ "a/b": number[] }>(["a/b", 2])).toBe("/a~1b/2");
    expect(normalizeJsonPointer("/a~1b/2")).toBe("/a~1b/2");
    expect(normalizeJsonPointer("")).toBe("");
    expect(() => normalizeJsonPointer("a/b")).toThrow(/start with "\/"/);
    expect(() => normalizeJsonPointer("/a~2")).toThrow(/"~"/);
    expect(() => normalizeJsonPointer("/a~")).toThrow(/"~"/);
    expect(() => normalizeJsonPointer("/a/-")).toThrow(/"-"/);
    expect(() => normalizeJsonPointer("/1/2/3/4/5/6")).toThrow(/at most 5/);
  });

  it("joins a relative pointer below a base", () => {
    const base = jsonPointer(["settings"]);
    expect(joinJsonPointers(base, jsonPointer(["a/b", 0]))).toBe("/settings/a~1b/0");
    expect(joinJsonPointers(undefined, base)).toBe(base);
    expect(joinJsonPointers("" as JsonPointer, base)).toBe(base);
    expect(joinJsonPointers(base, "" as JsonPointer)).toBe(base);
    expect(() => joinJsonPointers(jsonPointer(["a", "b", "c"]), jsonPointer(["d", "e", "f"]))).toThrow(/at most 5/);
  });
});

const Doc = defineNode("Doc", {
  schema: z.object({
    title: z.string(),
    attrs: z.object({ "a/b": z.object({ "x~y": z.number() }).optional(), plain: z.string().optional() }).optional(),
  }),
});
const cites = defineEdge("cites");
const graphOf = (id: string) => defineGraph({ id, nodes: { Doc }, edges: { cites: { type: cites, from: [Doc], to: [Doc] } } });

describe.each(backends)("JSON pointers through the query builder on $name", (bc) => {
  const open: Store<ReturnType<typeof graphOf>>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  it("a built pointer with escaped keys addresses the stored path", async () => {
    const graph = graphOf(freshGraphId(`exp_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    await store.nodes.Doc.create({ title: "one", attrs: { "a/b": { "x~y": 1 } } });
    await store.nodes.Doc.create({ title: "two", attrs: { "a/b": { "x~y": 2 }, plain: "p" } });
    await store.nodes.Doc.create({ title: "three" });
    const titles = (pointer: JsonPointer, value: string | number) =>
      store
        .query()
        .from("Doc", "d")
        .whereNode("d", (d) => d.attrs.pathEquals(pointer, value))
        .select((c) => c.d.title)
        .orderBy("d", "title")
        .execute();
    const deep = joinJsonPointers(jsonPointer(["a/b"]), jsonPointer(["x~y"]));
    expect(deep).toBe("/a~1b/x~0y");
    expect(await titles(deep, 2)).toEqual(["two"]);
    expect(await titles(normalizeJsonPointer<{ "a/b": { "x~y": number } }>(["a/b", "x~y"]), 1)).toEqual(["one"]);
    expect(await titles(jsonPointer(["plain"]), "p")).toEqual(["two"]);
  });
});

const Person = defineNode("Person", { schema: z.object({ name: z.string(), email: z.string() }) });
const Robot = defineNode("Robot", { schema: z.object({ name: z.string() }) });
const Team = defineNode("Team", { schema: z.object({ name: z.string() }) });
const leads = defineEdge("leads");
const errorsGraph = (id: string) =>
  defineGraph({
    id,
    nodes: { Person: { type: Person, unique: [{ name: "person_email", fields: ["email"] }] }, Robot, Team },
    edges: { leads: { type: leads, from: [Person], to: [Team], cardinality: "one" } },
    ontology: [disjointWith(Person, Robot)],
  });

/** The error `fn` rejects with, checked to be an instance of `cls`. */
async function caught<T>(cls: abstract new (...args: never[]) => T, fn: () => unknown): Promise<T> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(cls);
    return error as T;
  }
  throw new Error(`expected ${cls.name}`);
}

describe.each(backends)("error details types describe error.details on $name", (bc) => {
  const open: Store<ReturnType<typeof errorsGraph>>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  it("each error carries exactly the keys its details type names", async () => {
    const graph = errorsGraph(freshGraphId(`expe_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    const ann = await store.nodes.Person.create({ name: "Ann", email: "ann@x" }, { id: "ann" });
    const red = await store.nodes.Team.create({ name: "Red" }, { id: "red" });
    const blue = await store.nodes.Team.create({ name: "Blue" }, { id: "blue" });
    const edge = await store.edges.leads.create(ann, red);

    const notFound = await caught(NodeNotFoundError, () => store.nodes.Person.update("nobody", { name: "x" }));
    expect(notFound.details).toEqual({ kind: "Person", id: "nobody" } satisfies NodeNotFoundErrorDetails);

    const edgeMissing = await caught(EdgeNotFoundError, () => store.edges.leads.update("no-edge", {}));
    expect(edgeMissing.details).toEqual({ kind: "leads", id: "no-edge" } satisfies EdgeNotFoundErrorDetails);

    const kind = await caught(KindNotFoundError, () => store.getNodeCollectionOrThrow("Ghost"));
    expect(kind.details).toEqual({ kindName: "Ghost", entity: "node", graphId: graph.id } satisfies KindNotFoundErrorDetails);

    const wrongEnd = await caught(EndpointError, () => store.edges.leads.create({ kind: "Team", id: "blue" }, red));
    expect(wrongEnd.details).toEqual({ edgeKind: "leads", endpoint: "from", actualKind: "Team", expectedKinds: ["Person"] } satisfies EndpointErrorDetails);

    const missingEnd = await caught(EndpointNotFoundError, () => store.edges.leads.create({ kind: "Person", id: "ghost" }, blue));
    expect(missingEnd.details).toEqual({ edgeKind: "leads", endpoint: "from", nodeKind: "Person", nodeId: "ghost" } satisfies EndpointNotFoundErrorDetails);

    const card = await caught(CardinalityError, () => store.edges.leads.create(ann, blue));
    expect(card.details).toEqual({ edgeKind: "leads", fromKind: "Person", fromId: "ann", cardinality: "one", existingCount: 1 } satisfies CardinalityErrorDetails);

    const dup = await caught(UniquenessError, () => store.nodes.Person.create({ name: "Ann 2", email: "ann@x" }, { id: "ann2" }));
    expect(dup.details).toEqual({ constraintName: "person_email", kind: "Person", existingId: "ann", newId: "ann2", fields: ["email"] } satisfies UniquenessErrorDetails);

    const disjoint = await caught(DisjointError, () => store.nodes.Robot.create({ name: "R" }, { id: "ann" }));
    expect(disjoint.details).toEqual({ nodeId: "ann", attemptedKind: "Robot", conflictingKind: "Person" } satisfies DisjointErrorDetails);

    const restricted = await caught(RestrictedDeleteError, () => store.nodes.Team.delete("red"));
    expect(restricted.details).toEqual({ nodeKind: "Team", nodeId: "red", edgeCount: 1, edgeKinds: ["leads"] } satisfies RestrictedDeleteErrorDetails);
    expect(await store.edges.leads.getById(edge.id)).toBeDefined();

    const noConstraint = await caught(NodeConstraintNotFoundError, () => store.nodes.Person.findByConstraint("nope", { email: "x" }));
    expect(noConstraint.details).toEqual({ constraintName: "nope", kind: "Person" } satisfies NodeConstraintNotFoundErrorDetails);

    const invalid = await caught(ValidationError, () => store.nodes.Person.create({ name: "NoEmail" } as never));
    const vd = invalid.details as ValidationErrorDetails;
    expect([vd.entityType, vd.kind, vd.operation, vd.issues.map((i) => i.path)]).toEqual(["node", "Person", "create", ["email"]]);
    const invalidUpdate = await caught(ValidationError, () => store.nodes.Person.update("ann", { email: 5 } as never));
    expect((invalidUpdate.details as ValidationErrorDetails).operation).toBe("update");
    expect((invalidUpdate.details as ValidationErrorDetails).id).toBe("ann");
    const invalidBulk = await caught(ValidationError, () => store.nodes.Person.bulkCreate([{ props: { name: "a", email: "a@x" } }, { props: { name: "b" } as never }]));
    expect((invalidBulk.details as ValidationErrorDetails).index).toBe(1);
  });
});

describe.each(backends)("schema document section types on $name", (bc) => {
  it("the stored document's sections have the keys their types name", async () => {
    const { getActiveSchema } = await import("../dist/schema-entry.js");
    type NodeDef = import("../dist/schema-entry.js").SerializedNodeDef;
    type EdgeDef = import("../dist/schema-entry.js").SerializedEdgeDef;
    type Ontology = import("../dist/schema-entry.js").SerializedOntology;
    const graph = errorsGraph(freshGraphId(`exps_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    try {
      const doc = (await getActiveSchema(store.backend, graph.id))!;
      const person = doc.nodes.Person as NodeDef;
      expect(Object.keys(person).sort()).toEqual(["kind", "onDelete", "properties", "uniqueConstraints"]);
      expect(person.uniqueConstraints).toEqual([{ name: "person_email", fields: ["email"] }]);
      expect(person.properties.type).toBe("object");
      expect(Object.keys(person.properties.properties ?? {}).sort()).toEqual(["email", "name"]);
      const lead = doc.edges.leads as EdgeDef;
      expect(Object.keys(lead).sort()).toEqual(["cardinality", "endpointExistence", "fromKinds", "kind", "properties", "toKinds"]);
      expect([lead.fromKinds, lead.toKinds, lead.cardinality, lead.endpointExistence]).toEqual([["Person"], ["Team"], "one", "notDeleted"]);
      const onto = doc.ontology as Ontology;
      expect(Object.keys(onto).sort()).toEqual(["closures", "metaEdges", "relations"]);
      expect(onto.relations).toEqual([{ metaEdge: "disjointWith", from: "Person", to: "Robot" }]);
      expect(Object.keys(onto.metaEdges.disjointWith!).sort()).toEqual(["description", "inference", "name", "reflexive", "symmetric", "transitive"]);
      expect(Object.keys(onto.closures).sort()).toEqual([
        "broaderClosure", "disjointPairs", "edgeImplicationsClosure", "edgeImplyingClosure", "edgeInverses", "equivalenceSets",
        "hasPartClosure", "iriToKind", "narrowerClosure", "partOfClosure", "subClassAncestors", "subClassDescendants",
      ]);
      expect(onto.closures.disjointPairs).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});

describe("StoreNotInitializedError", () => {
  it("carries upstream's code, category and details", () => {
    const error = new StoreNotInitializedError("g1", "missing", { details: { logicalName: "fulltext" } });
    expect(error).toBeInstanceOf(TypeGraphError);
    expect(error.name).toBe("StoreNotInitializedError");
    expect(error.code).toBe("STORE_NOT_INITIALIZED");
    expect(error.category).toBe("user");
    expect(isUserRecoverable(error)).toBe(true);
    expect(error.details).toEqual({ logicalName: "fulltext", graphId: "g1", reason: "missing" } satisfies StoreNotInitializedErrorDetails);
    expect(new StoreNotInitializedError("g1", "stale", { details: { reason: "x", graphId: "y" } }).details).toEqual({ graphId: "g1", reason: "stale" });
    expect(error.suggestion).toMatch(/createStoreWithSchema/);
  });
});

const Note = defineNode("Note", { schema: z.object({ body: searchable(), vec: embedding(3).optional() }) });

describe.each(backends)("createStore without a boot on $name (where upstream throws StoreNotInitializedError)", (bc) => {
  it("searchable and embedding writes and reads work", async () => {
    const graph = defineGraph({ id: freshGraphId(`expn_${bc.name}`), nodes: { Note }, edges: {} });
    const store = createStore(graph, bc.make(graph.id));
    try {
      const note = await store.nodes.Note.create({ body: "attached without boot", vec: [1, 0, 0] });
      const hits = await store.search.fulltext("Note", { query: "attached", limit: 5 });
      expect(hits.map((h) => h.node.id)).toEqual([note.id]);
      const near = await store.search.vector("Note", { fieldPath: "vec", queryEmbedding: [1, 0, 0], limit: 1 });
      expect(near.map((h) => h.node.id)).toEqual([note.id]);
    } finally {
      await store.close();
    }
  });
});
