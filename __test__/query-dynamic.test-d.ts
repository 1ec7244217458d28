// Type tests for dynamic aliases (fromDynamic / traverseDynamic / optionalTraverseDynamic / toDynamic):
// props through `.field(name)` and a discriminator, a loosely typed select context, typed aliases untouched.
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  defineEdge,
  defineGraph,
  defineNode,
  type DateFieldAccessor,
  type DynamicEdgeAccessor,
  type DynamicFieldBuilder,
  type DynamicNodeAccessor,
  type DynamicSelectableEdge,
  type DynamicSelectableNode,
  type EmbeddingFieldAccessor,
  type NodeMeta,
  type NumberFieldAccessor,
  type Predicate,
  type Store,
  type StringFieldAccessor,
} from "../dist/index.js";

const Document = defineNode("Document", { schema: z.object({ title: z.string(), year: z.number() }) });
const Tag = defineNode("Tag", { schema: z.object({ label: z.string() }) });
const cites = defineEdge("cites", { schema: z.object({ note: z.string() }) });
const graph = defineGraph({ id: "dyn", nodes: { Document, Tag }, edges: { cites: { type: cites, from: [Document], to: [Document] } } });
declare const store: Store<typeof graph>;

describe("dynamic alias types", () => {
  it("gives dynamic node and edge aliases the .field() accessor", () => {
    store
      .query()
      .fromDynamic("Paper", "p")
      .whereNode("p", (p) => {
        expectTypeOf(p).toEqualTypeOf<DynamicNodeAccessor>();
        expectTypeOf(p.id).toEqualTypeOf<StringFieldAccessor>();
        expectTypeOf(p.field("year")).toEqualTypeOf<DynamicFieldBuilder>();
        expectTypeOf(p.field("year").number()).toEqualTypeOf<NumberFieldAccessor>();
        expectTypeOf(p.field("title").string()).toEqualTypeOf<StringFieldAccessor>();
        expectTypeOf(p.field("at").date()).toEqualTypeOf<DateFieldAccessor>();
        expectTypeOf(p.field("vec").embedding()).toEqualTypeOf<EmbeddingFieldAccessor>();
        expectTypeOf(p.field("year").eq(1)).toEqualTypeOf<Predicate>();
        // @ts-expect-error type-specific predicates sit behind a discriminator
        p.field("year").gte(2020);
        // @ts-expect-error props are not direct properties of a dynamic accessor
        p.year;
        return p.field("year").number().gte(2020).and(p.field("tags").array().contains("x"));
      })
      .traverseDynamic("authoredBy", "a")
      .whereEdge("a", (a) => {
        expectTypeOf(a).toEqualTypeOf<DynamicEdgeAccessor>();
        expectTypeOf(a.fromId).toEqualTypeOf<StringFieldAccessor>();
        return a.field("position").number().lte(3);
      })
      .toDynamic("Author", "u")
      .whereNode("u", (u) => u.field("meta").object().hasKey("orcid"));
  });

  it("types the select context of dynamic aliases loosely and keeps typed aliases narrow", async () => {
    const rows = await store
      .query()
      .from("Document", "d")
      .traverseDynamic("taggedWith", "e")
      .toDynamic("Tag", "n")
      .whereNode("d", (d) => d.title.eq("the doc"))
      .whereNode("n", (n) => n.field("label").string().eq("research"))
      .select((ctx) => ({ title: ctx.d.title, label: ctx.n.label, tag: ctx.n, edge: ctx.e, kind: ctx.n.kind, meta: ctx.n.meta }))
      .execute();
    expectTypeOf(rows[0]!.title).toEqualTypeOf<string>();
    expectTypeOf(rows[0]!.label).toEqualTypeOf<unknown>();
    expectTypeOf(rows[0]!.tag).toEqualTypeOf<DynamicSelectableNode>();
    expectTypeOf(rows[0]!.edge).toEqualTypeOf<DynamicSelectableEdge>();
    expectTypeOf(rows[0]!.kind).toEqualTypeOf<string>();
    expectTypeOf(rows[0]!.meta).toEqualTypeOf<NodeMeta>();
  });

  it("keeps a typed edge typed before toDynamic, and makes optional dynamic aliases possibly undefined", async () => {
    store
      .query()
      .from("Document", "d")
      .traverse("cites", "c")
      .toDynamic("Document", "x")
      // The typed edge keeps its narrow accessor.
      .whereEdge("c", (c) => c.note.startsWith("see"));
    const rows = await store
      .query()
      .fromDynamic("Paper", "p")
      .optionalTraverseDynamic("authoredBy", "a")
      .toDynamic("Author", "u")
      .select((ctx) => ({ paper: ctx.p, author: ctx.u, edge: ctx.a }))
      .execute();
    expectTypeOf(rows[0]!.paper).toEqualTypeOf<DynamicSelectableNode>();
    expectTypeOf(rows[0]!.author).toEqualTypeOf<DynamicSelectableNode | undefined>();
    expectTypeOf(rows[0]!.edge).toEqualTypeOf<DynamicSelectableEdge | undefined>();
  });

  it("rejects reused aliases and orders dynamic aliases by any field name", () => {
    const q = store.query().fromDynamic("Paper", "p");
    // @ts-expect-error alias already in use
    q.traverseDynamic("authoredBy", "p");
    q.orderBy("p", "year", "desc");
  });
});
