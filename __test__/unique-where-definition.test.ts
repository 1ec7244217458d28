// A unique constraint's `where` is checked when the graph is defined: it must return an
// isNull()/isNotNull() predicate over a field the kind declares as its own (never a prototype
// member), on a kind whose schema is an object schema.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigurationError, defineGraph, defineNode } from "../dist/index.js";

const Ticket = defineNode("Ticket", { schema: z.object({ serial: z.string(), voidedAt: z.string().optional() }) });

function ticketGraph(id: string, where: (f: Record<string, { isNull(): unknown; isNotNull(): unknown }>) => unknown) {
  return defineGraph({
    id,
    nodes: {
      Ticket: { type: Ticket, unique: [{ name: "live_serial", fields: ["serial"], scope: "kind", collation: "binary", where: where as never }] },
    },
    edges: {},
  });
}

describe("unique constraint where clauses at definition", () => {
  it("accepts a declared optional field", () => {
    expect(() => ticketGraph("uw_ok", (f) => f.voidedAt!.isNull())).not.toThrow();
  });

  it("refuses an undeclared field, naming it", () => {
    expect(() => ticketGraph("uw_typo", (f) => f.voidAt!.isNull())).toThrow(ConfigurationError);
    expect(() => ticketGraph("uw_typo2", (f) => f.voidAt!.isNull())).toThrow(/voidAt/);
  });

  it("refuses a prototype member as a field name", () => {
    expect(() => ticketGraph("uw_proto", (f) => f["constructor"]!.isNotNull())).toThrow(ConfigurationError);
    expect(() => ticketGraph("uw_proto2", (f) => f["hasOwnProperty"]!.isNull())).toThrow(ConfigurationError);
  });

  it("refuses a callback that returns no predicate", () => {
    expect(() => ticketGraph("uw_none", () => ({ field: "serial" }))).toThrow(ConfigurationError);
    expect(() => ticketGraph("uw_undef", () => undefined)).toThrow(/does not return a predicate/);
  });

  it("refuses a where on a kind whose schema is not an object schema, and allows the constraint without one", () => {
    const Bag = { kind: "Bag", schema: z.record(z.string(), z.unknown()) };
    const reg = (where?: unknown) =>
      ({
        type: Bag,
        unique: [{ name: "bag_key", fields: ["key"], scope: "kind", collation: "binary", ...(where ? { where } : {}) }],
      }) as never;
    expect(() => defineGraph({ id: "uw_bag", nodes: { Bag: reg((f: Record<string, { isNull(): unknown }>) => f.key!.isNull()) }, edges: {} })).toThrow(
      /not an object schema/,
    );
    expect(() => defineGraph({ id: "uw_bag2", nodes: { Bag: reg() }, edges: {} })).not.toThrow();
  });
});
