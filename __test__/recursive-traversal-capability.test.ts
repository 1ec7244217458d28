// `capabilities.recursiveTraversal` on both backends: the bundled backends declare it supported;
// a backend declaring `{ supported: false, reason }` refuses the five recursion-dependent
// operations with ConfigurationError `RECURSIVE_TRAVERSAL_UNSUPPORTED` (`details.operation` names
// the site, `details.reason` echoes the declaration) and keeps running everything else.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigurationError, createStore, createStoreWithSchema, defineEdge, defineGraph, defineNode, type GraphBackend } from "../dist/index.js";
import { backends, freshGraphId } from "./backends.js";

const Person = defineNode("Person", { schema: z.object({ name: z.string() }) });
const Team = defineNode("Team", { schema: z.object({ name: z.string() }) });
const knows = defineEdge("knows", { schema: z.object({}) });

function graphFor(id: string, identity: boolean) {
  return defineGraph({
    id,
    nodes: { Person: { type: Person }, Team: { type: Team } },
    edges: { knows: { type: knows, from: [Person, Team], to: [Person, Team] } },
    ...(identity ? { identity: { sameIdAcrossKinds: "fold" as const } } : {}),
  });
}

const REASON = "engine without recursive CTEs";

/** `base` declaring no recursive traversal (every other member its own). */
function refusing(base: GraphBackend): GraphBackend {
  const capabilities = { ...base.capabilities, recursiveTraversal: { supported: false, reason: REASON } };
  return new Proxy(base, {
    get(target, key) {
      if (key === "capabilities") return capabilities;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function refusal(p: Promise<unknown>, operation: string): Promise<void> {
  const caught = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(caught).toBeInstanceOf(ConfigurationError);
  const details = (caught as ConfigurationError).details;
  expect(details.code).toBe("RECURSIVE_TRAVERSAL_UNSUPPORTED");
  expect(details.operation).toBe(operation);
  expect(details.reason).toBe(REASON);
}

describe.each(backends)("recursiveTraversal capability on $name", (bc) => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  async function setup(identity: boolean) {
    const graph = graphFor(freshGraphId(`rtc_${bc.name}`), identity);
    const backend = bc.make(graph.id);
    open.push(backend);
    const [store] = await createStoreWithSchema(graph, backend);
    const validFrom = new Date(Date.now() - 120_000).toISOString();
    const a = await store.nodes.Person.create({ name: "A" }, { id: "a", validFrom });
    const b = await store.nodes.Person.create({ name: "B" }, { id: "b", validFrom });
    const c = await store.nodes.Person.create({ name: "C" }, { id: "c", validFrom });
    await store.edges.knows.create(a, b, {}, { validFrom });
    await store.edges.knows.create(b, c, {}, { validFrom });
    return { graph, backend, store, a, b, c, validFrom, blind: createStore(graph, refusing(backend)) };
  }

  it("the bundled backend declares it and runs variable-length traversals", async () => {
    const { backend, store } = await setup(false);
    expect(backend.capabilities.recursiveTraversal).toEqual({ supported: true });
    const names = await store.query().from("Person", "p").whereNode("p", (p) => p.name.eq("A")).traverse("knows", "e").recursive().to("Person", "q").select((ctx) => ctx.q.name).execute();
    expect([...new Set(names)].sort()).toEqual(["B", "C"]);
  });

  it("refuses a variable-length traversal, also inside a set operation; a plain hop still runs", async () => {
    const { blind } = await setup(false);
    const rec = () => blind.query().from("Person", "p").traverse("knows", "e").recursive().to("Person", "q").select((ctx) => ({ name: ctx.q.name }));
    await refusal(rec().execute(), "variable-length traversal");
    const plain = () => blind.query().from("Person", "p").traverse("knows", "e").to("Person", "q").select((ctx) => ({ name: ctx.q.name }));
    await refusal(Promise.resolve().then(() => plain().union(rec()).execute()), "variable-length traversal");
    expect((await plain().execute()).map((r) => r.name).sort()).toEqual(["B", "C"]);
  });

  it("refuses store.subgraph", async () => {
    const { blind, a } = await setup(false);
    await refusal(blind.subgraph(a.id, { edges: ["knows"], maxDepth: 2 }), "subgraph");
  });

  it("refuses a historical identity class read; the current one still runs", async () => {
    const { blind, a } = await setup(true);
    const past = new Date(Date.now() - 60_000).toISOString();
    await refusal(blind.asOf(past).identity.membersOf(a), "historical identity class read");
    expect(await blind.identity.membersOf(a)).toEqual([{ kind: "Person", id: "a" }]);
  });

  it("refuses an identity-expanded historical query; the current one still runs", async () => {
    const { blind } = await setup(true);
    const past = new Date(Date.now() - 60_000).toISOString();
    const q = (s: Pick<typeof blind, "query">) =>
      s.query().from("Person", "p").traverse("knows", "e", { expand: "none", includeIdentityMembers: true }).to("Person", "q").select((ctx) => ctx.q.name);
    await refusal(Promise.resolve().then(() => q(blind.asOf(past) as unknown as Pick<typeof blind, "query">).execute()), "historical identity expansion");
    expect([...(await q(blind).execute())].sort()).toEqual(["B", "C"]);
  });

  it("refuses an assertion with an explicit window (the window-ledger read); a plain one runs", async () => {
    const { blind, a, b, c, validFrom } = await setup(true);
    await refusal(blind.identity.assertSame(a, b, { validFrom }), "identity window ledger read");
    const made = await blind.identity.assertSame(a, c);
    expect(made.action).toBe("created");
  });
});
