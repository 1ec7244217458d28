// Read paths whose PostgreSQL statements take a different shape for speed: multi-hop traversals
// from a filtered start (joins kept in the written order) and fulltext search without a `where`
// (documents ranked alone, then joined to their nodes, with a fallback to the joined form when
// ended nodes or too few matches leave the ranked page short). Answers must not change.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineEdge, defineGraph, defineNode, searchable, type Store } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", { schema: z.object({ name: z.string() }) });
const knows = defineEdge("knows", { schema: z.object({ since: z.number().optional() }) });
const Note = defineNode("Note", { schema: z.object({ text: searchable(), tag: z.string() }) });

function makeGraph(id: string) {
  return defineGraph({
    id,
    nodes: { Person: { type: Person }, Note: { type: Note } },
    edges: { knows: { type: knows, from: [Person], to: [Person] } },
  });
}

const PAST = { validFrom: "2000-01-01T00:00:00.000Z", validTo: "2001-01-01T00:00:00.000Z" };

describe.each(backends)("read plans on $name", (bc) => {
  const open: Store[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function setup() {
    const graph = makeGraph(freshGraphId(`readplans_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id));
    open.push(store as unknown as Store);
    return store;
  }

  it("multi-hop traversals from a filtered start: the same rows in and out of a transaction", async () => {
    const store = await setup();
    // A chain a -> b -> c -> d with a branch b -> x -> d, and a deleted edge c -> d2.
    for (const id of ["a", "b", "c", "d", "x", "d2"]) await store.nodes.Person.create({ name: id.toUpperCase() }, { id });
    const link = (from: string, to: string) => store.edges.knows.create({ kind: "Person", id: from }, { kind: "Person", id: to }, {});
    for (const [f, t] of [["a", "b"], ["b", "c"], ["b", "x"], ["c", "d"], ["x", "d"]] as const) await link(f, t);
    const gone = await link("c", "d2");
    await store.edges.knows.delete(gone.id);

    const hops = async (n: number, limit?: number) => {
      let q = store.query().from("Person", "p0").whereNode("p0", (p) => p.id.eq("a"));
      for (let i = 1; i <= n; i++) q = q.traverse("knows", `k${i}`).to("Person", `p${i}`);
      // The hop count is a runtime value, so the last alias is looked up by name.
      let s = q.select((c) => {
        const last = (c as unknown as Record<string, { id: string; name: string }>)[`p${n}`]!;
        return { id: last.id, name: last.name };
      });
      if (limit) s = s.limit(limit);
      return ((await s.execute()) as { id: string; name: string }[]).map((r) => `${r.id}:${r.name}`).sort();
    };
    expect(await hops(1)).toEqual(["b:B"]);
    expect(await hops(2)).toEqual(["c:C", "x:X"]);
    expect(await hops(3)).toEqual(["d:D", "d:D"]);
    expect(await hops(3, 1)).toEqual(["d:D"]);

    // Filters on later aliases and on edges still apply with the written order.
    const viaX = await store
      .query()
      .from("Person", "p0")
      .whereNode("p0", (p) => p.id.eq("a"))
      .traverse("knows", "k1")
      .to("Person", "p1")
      .traverse("knows", "k2")
      .to("Person", "p2")
      .traverse("knows", "k3")
      .to("Person", "p3")
      .whereNode("p2", (p) => p.name.eq("X"))
      .select((c) => ({ mid: c.p2.id, end: c.p3.id }))
      .execute();
    expect(viaX).toEqual([{ mid: "x", end: "d" }]);

    // Writes after the traversal in a transaction behave normally (the planner setting is the
    // statement's own), and the traversal sees committed rows afterwards.
    await store.transaction(async (tx) => {
      await tx.nodes.Person.create({ name: "E" }, { id: "e" });
      await tx.edges.knows.create({ kind: "Person", id: "d" }, { kind: "Person", id: "e" }, {});
    });
    expect(await hops(4)).toEqual(["e:E", "e:E"]);
    expect(await store.query().from("Person", "p").whereNode("p", (p) => p.id.eq("e")).select((c) => c.p.name).execute()).toEqual(["E"]);
  });

  it("fulltext without a where: ranked page, ended nodes skipped, short pages, snippets, minScore, offset", async () => {
    const store = await setup();
    // Equal-length documents; "zeta" appears k times in note k, so rank follows k on both engines.
    const filler = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "lambda"];
    const text = (k: number) => [...Array(k).fill("zeta"), ...filler.slice(0, 8 - k)].join(" ");
    for (let k = 1; k <= 7; k++) {
      await store.nodes.Note.create({ text: text(k), tag: `t${k}` }, k >= 6 ? { id: `n${k}`, ...PAST } : { id: `n${k}` });
    }
    const ids = async (opts: Record<string, unknown>) =>
      (await store.search.fulltext("Note", { query: "zeta", ...opts } as never)).map((h) => h.node.id);

    // The two best-ranked documents belong to ended nodes: the page comes from the live rest.
    expect(await ids({ limit: 2 })).toEqual(["n5", "n4"]);
    expect(await ids({ limit: 3 })).toEqual(["n5", "n4", "n3"]);
    // More asked than match: every live match, best first.
    expect(await ids({ limit: 50 })).toEqual(["n5", "n4", "n3", "n2", "n1"]);
    expect(await ids({ limit: 2, offset: 2 })).toEqual(["n3", "n2"]);
    // Deleting a node removes its document; the page closes up.
    await store.nodes.Note.delete("n5");
    expect(await ids({ limit: 2 })).toEqual(["n4", "n3"]);
    // Snippets and scores ride along; minScore cuts the tail.
    const hits = await store.search.fulltext("Note", { query: "zeta", limit: 2, includeSnippets: true });
    expect(hits.map((h) => h.node.tag)).toEqual(["t4", "t3"]);
    expect(hits[0]!.snippet).toContain("<mark>");
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    const cut = (hits[0]!.score + hits[1]!.score) / 2;
    expect(await ids({ limit: 10, minScore: cut })).toEqual(["n4"]);
    // A page whose ranked documents are all live (ties ordered by id on both engines).
    expect(await ids({ query: "alpha", limit: 2 })).toEqual(["n1", "n2"]);
    const live = await store.search.fulltext("Note", { query: "alpha", limit: 1, includeSnippets: true });
    expect(live.map((h) => [h.node.id, h.node.tag])).toEqual([["n1", "t1"]]);
    expect(live[0]!.snippet).toContain("<mark>alpha</mark>");
    // No match at all.
    expect(await ids({ query: "nothinghere", limit: 5 })).toEqual([]);
  });
});
