// Ontology: relation factories, closures in the schema document (the original's
// format and order), coherence checks, disjointness at create time, and
// implies/inverseOf expansion of traversals — on SQLite and PostgreSQL.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigurationError,
  DisjointError,
  ValidationError,
  broader,
  computeSchemaHash,
  computeTransitiveClosure,
  core,
  createStore,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  differentFrom,
  disjointWith,
  equivalentTo,
  hasPart,
  implies,
  inverseOf,
  invertClosure,
  isMetaEdge,
  isReachable,
  metaEdge,
  narrower,
  partOf,
  relatedTo,
  sameAs,
  serializeSchema,
  subClassOf,
  type Store,
} from "../dist/index.js";
import { metaEdge as metaEdgeFromCore } from "../dist/core-entry.js";
import { backends, freshGraphId } from "./backends.js";

const named = (name: string) => z.object({ name: z.string() });
const Media = defineNode("Media", { schema: named("Media") });
const Podcast = defineNode("Podcast", { schema: named("Podcast") });
const Article = defineNode("Article", { schema: named("Article") });
const AudioBook = defineNode("AudioBook", { schema: named("AudioBook") });
const Organization = defineNode("Organization", { schema: named("Organization") });
const AI = defineNode("AI", { schema: named("AI") });
const ML = defineNode("ML", { schema: named("ML") });
const DL = defineNode("DL", { schema: named("DL") });
const Book = defineNode("Book", { schema: named("Book") });
const Chapter = defineNode("Chapter", { schema: named("Chapter") });
const Section = defineNode("Section", { schema: named("Section") });
const Person = defineNode("Person", { schema: z.object({ name: z.string() }) });

const knows = defineEdge("knows", { schema: z.object({ since: z.number().optional() }) });
const friends = defineEdge("friends");
const bestFriends = defineEdge("bestFriends");
const marriedTo = defineEdge("marriedTo", { schema: z.object({ year: z.number().optional() }) });
const manages = defineEdge("manages");
const managedBy = defineEdge("managedBy");
const collaboratesWith = defineEdge("collaboratesWith");

const pp = <E>(type: E) => ({ type, from: [Person], to: [Person] });

function catalogGraph(id: string) {
  return defineGraph({
    id,
    nodes: { Media, Podcast, Article, AudioBook, Organization, AI, ML, DL, Book, Chapter, Section, Person },
    edges: { knows: pp(knows), friends: pp(friends), bestFriends: pp(bestFriends), marriedTo: pp(marriedTo), manages: pp(manages), managedBy: pp(managedBy) },
    ontology: [
      subClassOf(Podcast, Media),
      subClassOf(Article, Media),
      subClassOf(AudioBook, Podcast),
      broader(ML, AI),
      narrower(ML, DL),
      equivalentTo(Media, "https://schema.org/CreativeWork"),
      disjointWith(Media, Organization),
      partOf(Chapter, Book),
      hasPart(Book, Section),
      relatedTo(AI, Book),
      inverseOf(manages, managedBy),
      implies(marriedTo, knows),
      implies(bestFriends, friends),
      implies(friends, knows),
    ],
  });
}

describe("ontology definitions", () => {
  it("relation factories carry the built-in meta-edges", () => {
    const r = subClassOf(Podcast, Media);
    expect(isMetaEdge(r.metaEdge)).toBe(true);
    expect(r.metaEdge.name).toBe("subClassOf");
    expect(r.metaEdge.properties).toMatchObject({ transitive: true, symmetric: false, reflexive: false, inference: "subsumption" });
    expect(broader(ML, AI).metaEdge.properties.inverse).toBe("narrower");
    expect(inverseOf(manages, managedBy).metaEdge.properties).toMatchObject({ symmetric: true, inference: "none" });
    expect(sameAs(Media, "https://x.org/M").metaEdge.name).toBe("sameAs");
    expect(differentFrom(Media, Organization).metaEdge.name).toBe("differentFrom");
    expect(core.implies(marriedTo, knows).metaEdge).toBe(core.impliesMetaEdge);
    expect(isMetaEdge({ name: "x" })).toBe(false);
    expect(isMetaEdge(null)).toBe(false);
  });

  it("metaEdge() builds custom meta-edges with defaults (also from /core)", () => {
    const regulatedBy = metaEdge("regulatedBy", { description: "X is regulated by Y", transitive: true });
    expect(regulatedBy.name).toBe("regulatedBy");
    expect(regulatedBy.properties).toEqual({ transitive: true, symmetric: false, reflexive: false, inverse: undefined, inference: "none", description: "X is regulated by Y" });
    expect(isMetaEdge(metaEdgeFromCore("x"))).toBe(true);
  });

  it("computeTransitiveClosure / invertClosure / isReachable", () => {
    const c = computeTransitiveClosure([
      ["A", "B"],
      ["B", "C"],
      ["C", "D"],
    ]);
    expect([...c.get("A")!]).toEqual(["B", "C", "D"]);
    expect([...c.get("D")!]).toEqual([]);
    expect(isReachable(c, "A", "D")).toBe(true);
    expect(isReachable(c, "D", "A")).toBe(false);
    expect(isReachable(c, "Z", "A")).toBe(false);
    const inv = invertClosure(c);
    expect([...inv.get("D")!].sort()).toEqual(["A", "B", "C"]);
    expect(inv.has("A")).toBe(false);
  });

  it("the schema document carries every closure in the original's layout and order", () => {
    const graph = catalogGraph("onto_doc");
    const doc = serializeSchema(graph, 1);
    const o = doc.ontology as { metaEdges: Record<string, unknown>; relations: unknown[]; closures: Record<string, unknown> };
    expect(Object.keys(o.metaEdges).sort()).toEqual(["broader", "disjointWith", "equivalentTo", "hasPart", "implies", "inverseOf", "narrower", "partOf", "relatedTo", "subClassOf"]);
    expect(o.metaEdges.subClassOf).toEqual({ name: "subClassOf", transitive: true, symmetric: false, reflexive: false, inference: "subsumption", description: "Type inheritance (Podcast subClassOf Media)" });
    expect(o.metaEdges.broader).toMatchObject({ inverse: "narrower", inference: "hierarchy" });
    expect(o.relations[0]).toEqual({ metaEdge: "subClassOf", from: "Podcast", to: "Media" });
    expect(o.relations[5]).toEqual({ metaEdge: "equivalentTo", from: "Media", to: "https://schema.org/CreativeWork" });
    expect(o.closures).toEqual({
      subClassAncestors: { Podcast: ["Media"], Media: [], Article: ["Media"], AudioBook: ["Podcast", "Media"] },
      subClassDescendants: { Media: ["Podcast", "Article", "AudioBook"], Podcast: ["AudioBook"] },
      broaderClosure: { ML: ["AI"], AI: [], DL: ["ML", "AI"] },
      narrowerClosure: { AI: ["ML", "DL"], ML: ["DL"] },
      equivalenceSets: { Media: ["https://schema.org/CreativeWork"], "https://schema.org/CreativeWork": ["Media"] },
      disjointPairs: ["Media|Organization", "AudioBook|Organization", "Article|Organization", "Organization|Podcast"],
      partOfClosure: { Chapter: ["Book"], Book: [], Section: ["Book"] },
      hasPartClosure: { Book: ["Chapter", "Section"] },
      iriToKind: { "https://schema.org/CreativeWork": "Media" },
      edgeInverses: { manages: "managedBy", managedBy: "manages" },
      edgeImplicationsClosure: { marriedTo: ["knows"], knows: [], bestFriends: ["friends", "knows"], friends: ["knows"] },
      edgeImplyingClosure: { knows: ["marriedTo", "bestFriends", "friends"], friends: ["bestFriends"] },
    });
  });

  it("the schema hash follows the ontology", () => {
    const a = catalogGraph("onto_hash");
    const b = defineGraph({ id: "onto_hash", nodes: a.nodes, edges: a.edges, ontology: a.ontology.slice(0, -1) });
    const ha = computeSchemaHash(serializeSchema(a, 1));
    expect(computeSchemaHash(serializeSchema(a, 7))).toBe(ha);
    expect(computeSchemaHash(serializeSchema(b, 1))).not.toBe(ha);
  });
});

describe.each(backends)("ontology on $name", (bc) => {
  const open: Store<any>[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  it("incoherent ontologies are refused when the store is built", async () => {
    const id = freshGraphId(`onto_bad_${bc.name}`);
    const backend = bc.make(id);
    const cyclic = defineGraph({ id, nodes: { Media, Podcast }, ontology: [subClassOf(Podcast, Media), subClassOf(Media, Podcast)] });
    const err = await createStoreWithSchema(cyclic, backend).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).details).toMatchObject({ code: "ONTOLOGY_CYCLE" });
    const contradictory = defineGraph({ id, nodes: { Media, Podcast }, ontology: [subClassOf(Podcast, Media), disjointWith(Media, Podcast)] });
    expect(() => createStore(contradictory, backend)).toThrow(ConfigurationError);
    const twoPartners = defineGraph({ id, nodes: { Person }, edges: { manages: pp(manages), managedBy: pp(managedBy), knows: pp(knows) }, ontology: [inverseOf(manages, managedBy), inverseOf(manages, knows)] });
    expect(() => createStore(twoPartners, backend)).toThrow(/multiple distinct inverseOf partners/);
    const wrongEnds = defineGraph({ id, nodes: { Person, Media }, edges: { knows: pp(knows), marriedTo: { type: marriedTo, from: [Media], to: [Person] } }, ontology: [implies(marriedTo, knows)] });
    expect(() => createStore(wrongEnds, backend)).toThrow(/endpoint-incompatible/);
    await backend.close();
  });

  it("disjointWith: one id may not live in two disjoint kinds (subclasses included)", async () => {
    const graph = catalogGraph(freshGraphId(`onto_dis_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store);
    await store.nodes.Podcast.create({ name: "Show" }, { id: "entity-1" });
    const err = await store.nodes.Organization.create({ name: "Acme" }, { id: "entity-1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DisjointError);
    expect((err as DisjointError).details).toEqual({ nodeId: "entity-1", attemptedKind: "Organization", conflictingKind: "Podcast" });
    expect(await store.nodes.Organization.getById("entity-1")).toBeUndefined();
    await expect(store.nodes.Organization.bulkCreate([{ props: { name: "x" }, id: "entity-2" }, { props: { name: "y" }, id: "entity-1" }])).rejects.toBeInstanceOf(DisjointError);
    expect(await store.nodes.Organization.getById("entity-2")).toBeUndefined();
    await expect(store.nodes.Organization.bulkUpsertById([{ props: { name: "z" }, id: "entity-1" }])).rejects.toBeInstanceOf(DisjointError);
    // Kinds not declared disjoint may share the id; a deleted holder frees it.
    await store.nodes.Person.create({ name: "P" }, { id: "entity-1" });
    await store.nodes.Podcast.delete("entity-1");
    const org = await store.nodes.Organization.create({ name: "Acme" }, { id: "entity-1" });
    expect(org.id).toBe("entity-1");
    await expect(store.nodes.Article.create({ name: "A" }, { id: "entity-1" })).rejects.toBeInstanceOf(DisjointError);
  });

  describe("traversal expansion", () => {
    const Pers = defineNode("Pers", { schema: z.object({ name: z.string() }) });
    const pe = <E>(type: E) => ({ type, from: [Pers], to: [Pers] });
    function socialGraph(id: string) {
      return defineGraph({
        id,
        nodes: { Pers },
        edges: {
          knows: pe(knows),
          friends: pe(friends),
          bestFriends: pe(bestFriends),
          marriedTo: pe(marriedTo),
          manages: pe(manages),
          managedBy: pe(managedBy),
          collaboratesWith: pe(collaboratesWith),
        },
        ontology: [implies(marriedTo, knows), implies(bestFriends, friends), implies(friends, knows), inverseOf(manages, managedBy), inverseOf(collaboratesWith, collaboratesWith)],
      });
    }
    async function seeded(options?: { queryDefaults: { traversalExpansion: "none" | "implying" | "inverse" | "all" } }) {
      const graph = socialGraph(freshGraphId(`onto_tr_${bc.name}`));
      const [store] = await createStoreWithSchema(graph, bc.make(graph.id), options ?? {});
      open.push(store);
      const mk = (name: string) => store.nodes.Pers.create({ name }, { id: name });
      const [alice, bob, carol, dave, erin, frank, gina, hank, ivan] = await Promise.all(["alice", "bob", "carol", "dave", "erin", "frank", "gina", "hank", "ivan"].map(mk));
      await store.edges.knows.create(alice!, bob!, { since: 2001 });
      await store.edges.marriedTo.create(alice!, carol!, { year: 2010 });
      await store.edges.bestFriends.create(alice!, dave!, {});
      await store.edges.manages.create(alice!, erin!, {});
      await store.edges.managedBy.create(frank!, alice!, {});
      await store.edges.manages.create(gina!, alice!, {});
      await store.edges.collaboratesWith.create(alice!, hank!, {});
      await store.edges.collaboratesWith.create(ivan!, alice!, {});
      await store.edges.collaboratesWith.create(hank!, hank!, {});
      return store;
    }
    const names = (rows: readonly { n: string }[]) => rows.map((r) => r.n).sort();

    it("implying: follows edges whose kinds imply the traversed kind (transitively)", async () => {
      const store = await seeded();
      const q = (expand: "none" | "implying" | "inverse" | "all") =>
        store.query().from("Pers", "p").whereNode("p", (p) => p.name.eq("alice")).traverse("knows", "e", { expand }).to("Pers", "o").select((c) => ({ n: c.o.name, k: c.e.kind })).execute();
      expect(names(await q("none"))).toEqual(["bob"]);
      expect(names(await q("inverse"))).toEqual(["bob"]);
      const rows = await q("implying");
      expect(names(rows)).toEqual(["bob", "carol", "dave"]);
      expect(rows.map((r) => `${r.n}:${r.k}`).sort()).toEqual(["bob:knows", "carol:marriedTo", "dave:bestFriends"]);
      expect(names(await q("all"))).toEqual(["bob", "carol", "dave"]);
      // In the other direction, from the far ends.
      const back = await store.query().from("Pers", "p").whereNode("p", (p) => p.name.eq("carol")).traverse("knows", "e", { expand: "implying", direction: "in" }).to("Pers", "o").select((c) => ({ n: c.o.name })).execute();
      expect(names(back)).toEqual(["alice"]);
    });

    it("inverse (the default): follows the inverse kind backwards; self-inverse kinds both ways, loops once", async () => {
      const store = await seeded();
      const from = (who: string, kind: "manages" | "managedBy" | "collaboratesWith", opts: { expand?: "none" | "inverse"; direction?: "in" | "out" } = {}) =>
        store.query().from("Pers", "p").whereNode("p", (p) => p.name.eq(who)).traverse(kind, "e", opts).to("Pers", "o").select((c) => ({ n: c.o.name, k: c.e.kind, from: c.e.fromId })).execute();
      const rows = await from("alice", "manages");
      expect(names(rows)).toEqual(["erin", "frank"]);
      expect(rows.find((r) => r.n === "frank")).toMatchObject({ k: "managedBy", from: "frank" });
      expect(names(await from("alice", "manages", { expand: "none" }))).toEqual(["erin"]);
      expect(names(await from("alice", "manages", { direction: "in" }))).toEqual(["gina"]);
      expect(names(await from("frank", "managedBy"))).toEqual(["alice"]);
      expect(names(await from("erin", "managedBy"))).toEqual(["alice"]);
      expect(names(await from("alice", "collaboratesWith"))).toEqual(["hank", "ivan"]);
      expect(names(await from("hank", "collaboratesWith"))).toEqual(["alice", "hank"]);
      expect(names(await from("alice", "collaboratesWith", { expand: "none" }))).toEqual(["hank"]);
      // count() and toSQL() go through the same plan.
      expect(await store.query().from("Pers", "p").whereNode("p", (p) => p.name.eq("alice")).traverse("manages", "e").to("Pers", "o").count()).toBe(2);
    });

    it("optional and recursive traversals expand too", async () => {
      const store = await seeded();
      const rows = await store
        .query()
        .from("Pers", "p")
        .whereNode("p", (p) => p.name.in(["alice", "bob"]))
        .optionalTraverse("manages", "e")
        .to("Pers", "o")
        .select((c) => ({ p: c.p.name, o: c.o?.name }))
        .execute();
      expect(rows.map((r) => `${r.p}>${r.o ?? "-"}`).sort()).toEqual(["alice>erin", "alice>frank", "bob>-"]);
      const reach = await store
        .query()
        .from("Pers", "p")
        .whereNode("p", (p) => p.name.eq("gina"))
        .traverse("manages", "e")
        .recursive({ maxHops: 5 })
        .to("Pers", "o")
        .select((c) => ({ n: c.o.name }))
        .execute();
      expect(names(reach)).toEqual(["alice", "erin", "frank"]);
      const plain = await store
        .query()
        .from("Pers", "p")
        .whereNode("p", (p) => p.name.eq("gina"))
        .traverse("manages", "e", { expand: "none" })
        .recursive({ maxHops: 5 })
        .to("Pers", "o")
        .select((c) => ({ n: c.o.name }))
        .execute();
      expect(names(plain)).toEqual(["alice", "erin"]);
    });

    it("queryDefaults.traversalExpansion sets the store default; unknown modes are refused", async () => {
      const store = await seeded({ queryDefaults: { traversalExpansion: "none" } });
      const q = (expand?: "inverse") =>
        store.query().from("Pers", "p").whereNode("p", (p) => p.name.eq("alice")).traverse("manages", "e", expand ? { expand } : {}).to("Pers", "o").select((c) => ({ n: c.o.name })).execute();
      expect(names(await q())).toEqual(["erin"]);
      expect(names(await q("inverse"))).toEqual(["erin", "frank"]);
      expect(() => store.query().from("Pers", "p").traverse("manages", "e", { expand: "sideways" as never })).toThrow(ValidationError);
    });
  });
});
