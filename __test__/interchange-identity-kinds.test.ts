// exportGraph with a `nodeKinds` selection on an identity graph, on both backends: an identity
// assertion travels only when both of its endpoints' kinds are exported.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createStoreWithSchema, defineGraph, defineNode } from "../dist/index.js";
import { exportGraph } from "../dist/interchange.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", { schema: z.object({ name: z.string() }) });
const Company = defineNode("Company", { schema: z.object({ name: z.string() }) });

describe.each(backends)("identity assertions under a nodeKinds export on $name", (bc) => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  it("keeps assertions between exported kinds and leaves out the others", async () => {
    const graph = defineGraph({
      id: freshGraphId(`iik_${bc.name}`),
      nodes: { Person: { type: Person }, Company: { type: Company } },
      edges: {},
      identity: { sameIdAcrossKinds: "fold" },
    });
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    const p1 = await store.nodes.Person.create({ name: "P1" }, { id: "p1" });
    const p2 = await store.nodes.Person.create({ name: "P2" }, { id: "p2" });
    const c1 = await store.nodes.Company.create({ name: "C1" }, { id: "c1" });
    await store.identity.assertSame(p1, c1);
    await store.identity.assertDifferent(p1, p2);

    const people = await exportGraph(store, { nodeKinds: ["Person"] });
    expect(people.nodes.map((n) => n.id).sort()).toEqual(["p1", "p2"]);
    expect(people.identity?.assertions.map((a) => [a.relation, a.a.id, a.b.id].join(":"))).toEqual(["different:p1:p2"]);

    const everything = await exportGraph(store);
    expect(everything.identity?.assertions).toHaveLength(2);
    const both = await exportGraph(store, { nodeKinds: ["Person", "Company"] });
    expect(both.identity?.assertions).toHaveLength(2);
  });
});
