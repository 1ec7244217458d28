// getOrCreateByConstraint / bulkGetOrCreateByConstraint parse each item's props once: the
// constraint key is computed over the parsed props (so a schema that normalizes a field finds
// the holder under its normalized value), a create stores those parsed props without a second
// parse, and a found item is still validated.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineGraph, defineNode, ValidationError, type GraphBackend } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

describe.each(backends)("get-or-create parses once on $name", (bc) => {
  const open: GraphBackend[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  async function ledger() {
    const seen = { parses: 0 };
    const Member = defineNode("Member", {
      schema: z
        .object({ handle: z.string().trim().toLowerCase(), level: z.number().int().min(0) })
        .superRefine(() => {
          seen.parses += 1;
        }),
    });
    const graph = defineGraph({
      id: freshGraphId(`goc1_${bc.name}`),
      nodes: { Member: { type: Member, unique: [{ name: "member_handle", fields: ["handle"], scope: "kind", collation: "binary" }] } },
      edges: {},
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    return { store, seen };
  }

  it("parses once on the create leg and once on the found leg", async () => {
    const { store, seen } = await ledger();
    seen.parses = 0;
    const made = await store.nodes.Member.getOrCreateByConstraint("member_handle", { handle: "  Orla ", level: 2 });
    expect(made.action).toBe("created");
    expect(made.node.handle).toBe("orla");
    expect(seen.parses).toBe(1);

    seen.parses = 0;
    const again = await store.nodes.Member.getOrCreateByConstraint("member_handle", { handle: "ORLA", level: 9 });
    expect(again.action).toBe("found");
    expect(again.node.id).toBe(made.node.id);
    expect(again.node.level).toBe(2);
    expect(seen.parses).toBe(1);
  });

  it("keys the lookup on the parsed props", async () => {
    const { store } = await ledger();
    const stored = await store.nodes.Member.create({ handle: "pell", level: 1 });
    const hit = await store.nodes.Member.getOrCreateByConstraint("member_handle", { handle: "\tPell\n", level: 5 });
    expect(hit).toMatchObject({ action: "found" });
    expect(hit.node.id).toBe(stored.id);
    expect(await store.nodes.Member.count()).toBe(1);
  });

  it("validates props on the found leg too", async () => {
    const { store } = await ledger();
    await store.nodes.Member.create({ handle: "quill", level: 1 });
    await expect(store.nodes.Member.getOrCreateByConstraint("member_handle", { handle: "quill", level: -4 })).rejects.toBeInstanceOf(ValidationError);
  });

  it("bulkGetOrCreateByConstraint parses each item once", async () => {
    const { store, seen } = await ledger();
    await store.nodes.Member.create({ handle: "rook", level: 0 });
    seen.parses = 0;
    const out = await store.nodes.Member.bulkGetOrCreateByConstraint("member_handle", [
      { props: { handle: "Sable", level: 1 } },
      { props: { handle: " rook", level: 3 } },
      { props: { handle: "teal", level: 2 } },
      { props: { handle: "SABLE ", level: 7 } },
    ]);
    expect(out.map((o) => o.action)).toEqual(["created", "found", "created", "found"]);
    expect(out[3]!.node.id).toBe(out[0]!.node.id);
    expect(out.map((o) => o.node.handle)).toEqual(["sable", "rook", "teal", "sable"]);
    expect(seen.parses).toBe(4);
  });
});
