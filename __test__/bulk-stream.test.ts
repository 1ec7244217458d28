// Large bulk batches (PostgreSQL streams them by COPY): awkward values arrive exactly as given,
// and every refusal (taken id, missing endpoint, unique key) still names its item and writes nothing.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  EndpointNotFoundError,
  UniquenessError,
  ValidationError,
  createStoreWithSchema,
  defineEdge,
  defineGraph,
  defineNode,
  type Store,
} from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Note = defineNode("Note", {
  schema: z.object({
    title: z.string(),
    body: z.string().nullable(),
    code: z.string().optional(),
    data: z.unknown().optional(),
  }),
});
const links = defineEdge("links", { schema: z.object({ label: z.string(), extra: z.unknown().optional() }) });

function makeGraph(id: string) {
  return defineGraph({
    id,
    nodes: { Note: { type: Note, unique: [{ name: "note_code", fields: ["code"], where: (n) => n.code.isNotNull() }] } },
    edges: { links: { type: links, from: [Note], to: [Note] } },
  });
}

// Separators and escapes of COPY's text format, quotes, and characters outside the BMP.
const awkward = [
  "tab\there",
  "line\nbreak",
  "carriage\rreturn",
  "back\\slash \\N \\t \\\\",
  'quote " and \' marks',
  "\\.",
  "unicode é 中文 🚀 \u2028",
  "",
];

describe.each(backends)("large bulk batches on $name", (bc) => {
  const open: Store[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function setup() {
    const graph = makeGraph(freshGraphId(`stream_${bc.name}`));
    const [store] = await createStoreWithSchema(graph, bc.make(graph.id), { autoRefreshStatistics: false });
    open.push(store as unknown as Store);
    return store;
  }
  const notes = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ id: `n${from + i}`, props: { title: `T${from + i}`, body: null } }));
  const chain = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => ({
      id: `l${from + i}`,
      from: { kind: "Note" as const, id: `n${(from + i) % 200}` },
      to: { kind: "Note" as const, id: `n${(from + i + 1) % 200}` },
      props: { label: `L${from + i}` },
    }));

  it("awkward text, nulls and large JSON round-trip exactly through nodes and edges", async () => {
    const store = await setup();
    const big = { rows: Array.from({ length: 2000 }, (_, i) => ({ i, s: awkward[i % awkward.length], f: i / 7, nested: { ok: i % 2 === 0, none: null } })) };
    const items = Array.from({ length: 300 }, (_, i) => ({
      id: `n${i}`,
      props: {
        title: awkward[i % awkward.length]! + ` #${i}`,
        body: i % 3 === 0 ? null : awkward[(i + 3) % awkward.length]!,
        ...(i % 5 === 0 ? { data: i === 0 ? big : { list: [1, "two", null, { three: awkward }] } } : {}),
      },
      ...(i % 4 === 0 ? { validFrom: "2020-01-02T03:04:05.678Z" } : {}),
      ...(i % 7 === 0 ? { validTo: "2099-01-01T00:00:00.000Z" } : {}),
    }));
    await store.nodes.Note.bulkInsert(items);
    for (const i of [0, 1, 2, 3, 4, 5, 7, 28, 299]) {
      const n = await store.nodes.Note.getById(`n${i}`, { temporalMode: "includeEnded" });
      expect(n, `n${i}`).toBeDefined();
      const { id: _id, kind: _kind, meta: _meta, ...props } = n as unknown as Record<string, unknown>;
      expect(props).toEqual(items[i]!.props);
      if (i % 4 === 0) expect(n!.meta.validFrom).toBe("2020-01-02T03:04:05.678Z");
      if (i % 7 === 0) expect(n!.meta.validTo).toBe("2099-01-01T00:00:00.000Z");
      else expect(n!.meta.validTo).toBeUndefined();
    }
    const edges = Array.from({ length: 250 }, (_, i) => ({
      id: `e${i}`,
      from: { kind: "Note" as const, id: `n${i}` },
      to: { kind: "Note" as const, id: `n${(i + 1) % 300}` },
      props: { label: awkward[i % awkward.length]!, ...(i % 10 === 0 ? { extra: i === 0 ? big : { a: [awkward[i % 8], null] } } : {}) },
    }));
    await store.edges.links.bulkInsert(edges);
    for (const i of [0, 1, 2, 3, 10, 249]) {
      const e = await store.edges.links.getById(`e${i}`);
      expect(e, `e${i}`).toBeDefined();
      expect(e!.label).toBe(edges[i]!.props.label);
      expect((e as unknown as { extra?: unknown }).extra).toEqual(edges[i]!.props.extra);
      expect(e!.fromId).toBe(`n${i}`);
    }
    const created = await store.edges.links.bulkCreate(
      Array.from({ length: 100 }, (_, i) => ({ from: { kind: "Note" as const, id: `n${i}` }, to: { kind: "Note" as const, id: `n${i}` }, props: { label: `self\t${i}\n` } })),
    );
    expect(created.map((e) => e.label)).toEqual(Array.from({ length: 100 }, (_, i) => `self\t${i}\n`));
    expect(await store.edges.links.count()).toBe(350);
  });

  it("a large node batch with a taken id names the item and writes nothing", async () => {
    const store = await setup();
    await store.nodes.Note.bulkInsert(notes(10));
    await store.nodes.Note.delete("n4");
    for (const taken of ["n7"]) {
      const batch = notes(500, 10);
      batch[321] = { ...batch[321]!, id: taken };
      const err = await store.nodes.Note.bulkInsert(batch).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).details).toMatchObject({ index: 321 });
      expect((err as ValidationError).message).toContain(taken);
    }
    expect(await store.nodes.Note.count()).toBe(9);
    expect(await store.nodes.Note.getById("n10")).toBeUndefined();    // A soft-deleted id is not taken: the batch recreates it.
    const again = notes(500, 10);
    again[321] = { ...again[321]!, id: "n4" };
    await store.nodes.Note.bulkInsert(again);
    expect(await store.nodes.Note.getById("n4")).toBeDefined();
    expect(await store.nodes.Note.count()).toBe(509);
  });

  it("a large edge batch with a taken id or a missing endpoint names the item and writes nothing", async () => {
    const store = await setup();
    await store.nodes.Note.bulkInsert(notes(200));
    await store.edges.links.bulkInsert(chain(5));
    const taken = chain(400, 5);
    taken[377] = { ...taken[377]!, id: "l2" };
    const err = await store.edges.links.bulkInsert(taken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).details).toMatchObject({ index: 377, kind: "links" });
    const missing = chain(400, 5);
    missing[255] = { ...missing[255]!, to: { kind: "Note", id: "nowhere" } };
    const err2 = await store.edges.links.bulkInsert(missing).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(EndpointNotFoundError);
    expect((err2 as EndpointNotFoundError).details).toMatchObject({ index: 255, nodeId: "nowhere" });
    expect(await store.edges.links.count()).toBe(5);
    // The same batches without the faults go through whole, with their props intact.
    await store.edges.links.bulkInsert(chain(400, 5));
    expect(await store.edges.links.count()).toBe(405);
    expect((await store.edges.links.getById("l404"))!.label).toBe("L404");
  });

  it("a large batch breaking a unique key names the item and writes nothing, in and out of bulkLoad", async () => {
    const store = await setup();
    await store.nodes.Note.bulkInsert([{ id: "held", props: { title: "held", body: null, code: "C-1" } }]);
    const batch = notes(300, 1000).map((n, i) => ({ ...n, props: { ...n.props, code: `K-${i}` } }));
    batch[222] = { ...batch[222]!, props: { ...batch[222]!.props, code: "C-1" } };
    const err = await store.nodes.Note.bulkInsert(batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UniquenessError);
    expect(JSON.stringify((err as UniquenessError).details)).toContain("222");
    const err2 = await store.bulkLoad(async (tx) => tx.nodes.Note.bulkInsert(batch)).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(UniquenessError);
    expect(await store.nodes.Note.count()).toBe(1);
    batch[222] = { ...batch[222]!, props: { ...batch[222]!.props, code: "K-222" } };
    await store.bulkLoad(async (tx) => {
      await tx.nodes.Note.bulkInsert(batch);
      await tx.edges.links.bulkInsert(Array.from({ length: 299 }, (_, i) => ({ from: { kind: "Note" as const, id: `n${1000 + i}` }, to: { kind: "Note" as const, id: `n${1001 + i}` }, props: { label: "x\ty" } })));
    });
    expect(await store.nodes.Note.count()).toBe(301);
    expect(await store.edges.links.count()).toBe(299);
    expect((await store.nodes.Note.findByConstraint("note_code", { title: "", body: null, code: "K-222" }))?.id).toBe("n1222");
  });
});
