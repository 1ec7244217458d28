// Set-oriented endpoint reads on both backends: edges.X.bulkFindFrom / bulkFindTo and
// store.bulkFindEdgesFrom. Each answer is checked against the singleton read it widens
// (findFrom / findTo, input by input): buckets per input position, empty and repeated inputs,
// limitPerInput keeping the leading edges, soft-deleted and temporal rows, several endpoint
// kinds, inputs past the bind budget, transactions, and the errors raised before any read.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  KindNotFoundError,
  ValidationError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Reader = defineNode("Reader", { schema: z.object({ handle: z.string() }) });
const Club = defineNode("Club", { schema: z.object({ title: z.string() }) });
const Book = defineNode("Book", { schema: z.object({ isbn: z.string() }) });
const borrowed = defineEdge("borrowed", { schema: z.object({ week: z.number() }) });
const recommends = defineEdge("recommends", { schema: z.object({ stars: z.number() }) });
const follows = defineEdge("follows", { schema: z.object({}) });

function graphFor(id: string) {
  return defineGraph({
    id,
    nodes: { Reader: { type: Reader }, Club: { type: Club }, Book: { type: Book } },
    edges: {
      borrowed: { type: borrowed, from: [Reader], to: [Book] },
      recommends: { type: recommends, from: [Reader, Club], to: [Book] },
      follows: { type: follows, from: [Reader], to: [Club, Reader] },
    },
  });
}

const idsOf = (buckets: readonly (readonly { id: string }[])[]) => buckets.map((b) => b.map((e) => e.id));

describe.each(backends)("set-oriented endpoint reads on $name", (bc) => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function setup() {
    const graph = graphFor(freshGraphId(`bfe_${bc.name}`));
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    const [kim, lou, max] = await store.nodes.Reader.bulkCreate([
      { id: "r-kim", props: { handle: "kim" } },
      { id: "r-lou", props: { handle: "lou" } },
      { id: "r-max", props: { handle: "max" } },
    ]);
    const [b1, b2, b3] = await store.nodes.Book.bulkCreate([
      { id: "b-1", props: { isbn: "111" } },
      { id: "b-2", props: { isbn: "222" } },
      { id: "b-3", props: { isbn: "333" } },
    ]);
    const club = await store.nodes.Club.create({ title: "Tuesday" }, { id: "c-tue" });
    // Created one by one so each edge has its own creation instant (findFrom order: newest first).
    const e: Record<string, string> = {};
    for (const [name, from, to, week] of [
      ["kim1", kim!, b1!, 1],
      ["kim2", kim!, b2!, 2],
      ["kim3", kim!, b3!, 3],
      ["lou1", lou!, b1!, 4],
    ] as const) {
      e[name] = (await store.edges.borrowed.create(from, to, { week })).id;
      await new Promise((r) => setTimeout(r, 3));
    }
    return { store, kim: kim!, lou: lou!, max: max!, b1: b1!, b2: b2!, b3: b3!, club, e };
  }

  it("answers one bucket per input, equal to findFrom / findTo input by input", async () => {
    const { store, kim, lou, max, b1, b2, b3 } = await setup();
    const froms = [lou, max, kim];
    const bulk = await store.edges.borrowed.bulkFindFrom(froms);
    const singles = [];
    for (const f of froms) singles.push(await store.edges.borrowed.findFrom(f));
    expect(idsOf(bulk)).toEqual(idsOf(singles));
    expect(bulk.map((b) => b.length)).toEqual([1, 0, 3]);
    expect(bulk[2]!.map((x) => x.week)).toEqual([3, 2, 1]);
    expect(bulk[0]![0]).toMatchObject({ kind: "borrowed", fromKind: "Reader", fromId: "r-lou", toKind: "Book", toId: "b-1", week: 4 });

    const tos = [b3, b1, b2, { kind: "Book", id: "b-none" }];
    const bulkTo = await store.edges.borrowed.bulkFindTo(tos);
    const singleTo = [];
    for (const t of tos) singleTo.push(await store.edges.borrowed.findTo(t));
    expect(idsOf(bulkTo)).toEqual(idsOf(singleTo));
    expect(bulkTo.map((b) => b.length)).toEqual([1, 2, 1, 0]);
  });

  it("gives repeated inputs buckets of their own and reads nothing for no input", async () => {
    const { store, kim } = await setup();
    const [a, b, c] = await store.edges.borrowed.bulkFindFrom([kim, { kind: "Reader", id: "r-kim" }, kim]);
    expect(idsOf([a!, b!, c!])).toEqual([idsOf([a!])[0], idsOf([a!])[0], idsOf([a!])[0]]);
    expect(a).not.toBe(c);
    a!.pop();
    expect(c).toHaveLength(3);
    expect(await store.edges.borrowed.bulkFindFrom([])).toEqual([]);
    expect(await store.edges.borrowed.bulkFindTo([], { limitPerInput: 2 })).toEqual([]);
  });

  it("limitPerInput keeps each input's leading edges in findFrom order", async () => {
    const { store, kim, lou, max, e } = await setup();
    const out = await store.edges.borrowed.bulkFindFrom([kim, lou, max, kim], { limitPerInput: 2 });
    expect(idsOf(out)).toEqual([[e.kim3, e.kim2], [e.lou1], [], [e.kim3, e.kim2]]);
    const one = await store.edges.borrowed.bulkFindTo([{ kind: "Book", id: "b-1" }], { limitPerInput: 1 });
    expect(idsOf(one)).toEqual([[e.lou1]]);
    for (const bad of [0, -3, 2.5, Number.NaN]) {
      await expect(store.edges.borrowed.bulkFindFrom([kim], { limitPerInput: bad })).rejects.toBeInstanceOf(ValidationError);
      await expect(store.edges.borrowed.bulkFindTo([kim], { limitPerInput: bad })).rejects.toBeInstanceOf(ValidationError);
    }
  });

  it("leaves soft-deleted edges out like findFrom, and reads temporal modes like it", async () => {
    const { store, kim, lou, b2, e } = await setup();
    await store.edges.borrowed.delete(e.kim2!);
    const past = await store.edges.borrowed.create(lou, b2, { week: 9 }, { validFrom: "2001-01-01T00:00:00.000Z", validTo: "2002-01-01T00:00:00.000Z" });

    const live = await store.edges.borrowed.bulkFindFrom([kim, lou]);
    expect(idsOf(live)).toEqual([[e.kim3, e.kim1], [e.lou1]]);

    for (const options of [
      { temporalMode: "includeTombstones" as const },
      { temporalMode: "includeEnded" as const },
      { temporalMode: "asOf" as const, asOf: "2001-06-01T00:00:00.000Z" },
      { asOf: new Date("2001-06-01T00:00:00.000Z") },
    ]) {
      const bulk = await store.edges.borrowed.bulkFindFrom([kim, lou], options);
      const singles = [await store.edges.borrowed.findFrom(kim, options), await store.edges.borrowed.findFrom(lou, options)];
      expect(idsOf(bulk)).toEqual(idsOf(singles));
    }
    const then = await store.edges.borrowed.bulkFindFrom([kim, lou], { temporalMode: "asOf", asOf: "2001-06-01T00:00:00.000Z" });
    expect(idsOf(then)).toEqual([[], [past.id]]);
    const all = await store.edges.borrowed.bulkFindFrom([kim], { temporalMode: "includeTombstones" });
    expect(all[0]!.map((x) => x.id).sort()).toEqual([e.kim1, e.kim2, e.kim3].sort());
  });

  it("reads endpoints of several node kinds in one call", async () => {
    const { store, kim, club, b1, b3 } = await setup();
    await store.edges.recommends.create(club, b1, { stars: 5 });
    await store.edges.recommends.create(kim, b3, { stars: 2 });
    const out = await store.edges.recommends.bulkFindFrom([club, kim, { kind: "Club", id: "r-kim" }]);
    expect(out.map((b) => b.map((x) => x.stars))).toEqual([[5], [2], []]);
    const to = await store.edges.follows.bulkFindTo([club, kim]);
    expect(to).toEqual([[], []]);
  });

  it("splits nothing visible: inputs far past any bind budget keep their buckets", async () => {
    const { store, kim, lou } = await setup();
    const absent = Array.from({ length: 70_000 }, (_, i) => ({ kind: "Reader", id: `nobody-${i}` }));
    const out = await store.edges.borrowed.bulkFindFrom([lou, ...absent, kim]);
    expect(out).toHaveLength(70_002);
    expect(out[0]).toHaveLength(1);
    expect(out.at(-1)).toHaveLength(3);
    expect(out.filter((b) => b.length > 0)).toHaveLength(2);
  });

  it("sees a transaction's own uncommitted edges", async () => {
    const { store, max, b2 } = await setup();
    await store.transaction(async (tx) => {
      await tx.edges.borrowed.create(max, b2, { week: 7 });
      const [inside] = await tx.edges.borrowed.bulkFindFrom([max]);
      expect(inside!.map((x) => x.week)).toEqual([7]);
    });
    const [after] = await store.edges.borrowed.bulkFindFrom([max]);
    expect(after).toHaveLength(1);
  });

  describe("store.bulkFindEdgesFrom", () => {
    it("reads several edge kinds for sources of several kinds, in group and id order", async () => {
      const { store, kim, lou, club, b1, b2 } = await setup();
      await store.edges.recommends.create(kim, b2, { stars: 4 });
      await store.edges.recommends.create(club, b1, { stars: 3 });
      await store.edges.follows.create(kim, club, {});
      const out = await store.bulkFindEdgesFrom({
        sources: [
          { kind: "Club", ids: [club.id] },
          { kind: "Reader", ids: [lou.id, kim.id, "r-ghost", lou.id] },
        ],
        edgeKinds: ["borrowed", "recommends", "follows"],
      });
      expect(out.map((r) => `${r.source.kind}/${r.source.id}`)).toEqual(["Club/c-tue", "Reader/r-lou", "Reader/r-kim", "Reader/r-ghost", "Reader/r-lou"]);
      expect(out.map((r) => r.edges.map((x) => x.kind).sort())).toEqual([
        ["recommends"],
        ["borrowed"],
        ["borrowed", "borrowed", "borrowed", "follows", "recommends"],
        [],
        ["borrowed"],
      ]);
      expect(out[1]!.edges).not.toBe(out[4]!.edges);
      // Each source's edges are exactly what the per-kind findFrom reads return together, newest first.
      const kimEdges = [
        ...(await store.edges.borrowed.findFrom(kim)),
        ...(await store.edges.recommends.findFrom(kim)),
        ...(await store.edges.follows.findFrom(kim)),
      ];
      expect(new Set(out[2]!.edges.map((x) => x.id))).toEqual(new Set(kimEdges.map((x) => x.id)));
      const stamps = out[2]!.edges.map((x) => x.meta.createdAt);
      expect(stamps).toEqual([...stamps].sort().reverse());
    });

    it("caps each source across the selected kinds and honours the temporal options", async () => {
      const { store, kim, b1, e } = await setup();
      await new Promise((r) => setTimeout(r, 3));
      const rec = await store.edges.recommends.create(kim, b1, { stars: 1 });
      const [capped] = await store.bulkFindEdgesFrom({ sources: [{ kind: "Reader", ids: [kim.id] }], edgeKinds: ["borrowed", "recommends"] }, { limitPerInput: 2 });
      expect(capped!.edges.map((x) => x.id)).toEqual([rec.id, e.kim3]);
      await store.edges.recommends.delete(rec.id);
      const [live] = await store.bulkFindEdgesFrom({ sources: [{ kind: "Reader", ids: [kim.id] }], edgeKinds: ["recommends"] });
      expect(live!.edges).toEqual([]);
      const [tomb] = await store.bulkFindEdgesFrom({ sources: [{ kind: "Reader", ids: [kim.id] }], edgeKinds: ["recommends"] }, { temporalMode: "includeTombstones" });
      expect(tomb!.edges.map((x) => x.id)).toEqual([rec.id]);
      const [before] = await store.bulkFindEdgesFrom({ sources: [{ kind: "Reader", ids: [kim.id] }], edgeKinds: ["borrowed"] }, { asOf: "2000-01-01T00:00:00.000Z" });
      expect(before!.edges).toEqual([]);
    });

    it("answers without reading when there are no sources or no edge kinds", async () => {
      const { store, kim } = await setup();
      expect(await store.bulkFindEdgesFrom({ sources: [], edgeKinds: ["borrowed"] })).toEqual([]);
      expect(await store.bulkFindEdgesFrom({ sources: [{ kind: "Reader", ids: [kim.id, kim.id] }], edgeKinds: [] })).toEqual([
        { source: { kind: "Reader", id: kim.id }, edges: [] },
        { source: { kind: "Reader", id: kim.id }, edges: [] },
      ]);
    });

    it("checks every kind and the cap before reading", async () => {
      const { store, kim } = await setup();
      await expect(store.bulkFindEdgesFrom({ sources: [{ kind: "Shelf", ids: ["x"] }], edgeKinds: ["borrowed"] } as never)).rejects.toBeInstanceOf(KindNotFoundError);
      await expect(store.bulkFindEdgesFrom({ sources: [], edgeKinds: ["lent"] } as never)).rejects.toBeInstanceOf(KindNotFoundError);
      await expect(
        store.bulkFindEdgesFrom({ sources: [{ kind: "Reader", ids: [kim.id] }], edgeKinds: ["borrowed"] }, { limitPerInput: 0 }),
      ).rejects.toBeInstanceOf(ValidationError);
    });
  });
});
