// Operational identity: `store.identity`, `tx.identity`, `view.identity` and `rebuildIdentityClosure`.
//
// The facade checks references against the graph (registered kinds, distinct endpoints) and hands
// every call to the engine's `identity` operation in one crossing: the ledger write, the
// contradiction checks and the closure / separation maintenance run there, in one transaction.

import { ConfigurationError, KindNotFoundError, ValidationError } from "./errors.js";
import type { GraphDef } from "./core.js";
import { closuresOf } from "./ontology.js";

/** Durable graph-level configuration of the identity profile. */
export type GraphIdentityConfig = Readonly<{
  /** Whether live nodes of different kinds sharing an id belong to one identity class. */
  sameIdAcrossKinds: "fold" | "ignore";
}>;

declare const identityAssertionIdBrand: unique symbol;
/** The id of one identity assertion (branded so unrelated strings are not passed by mistake). */
export type IdentityAssertionId = string & Readonly<{ [identityAssertionIdBrand]: true }>;

/** Brands a stored assertion id string (ValidationError when empty). */
export function asIdentityAssertionId(value: string): IdentityAssertionId {
  if (typeof value !== "string" || value.length === 0) {
    throw new ValidationError(
      "asIdentityAssertionId needs a non-empty string.",
      { issues: [{ path: "asIdentityAssertionId", message: "Expected a non-empty string." }] },
      { suggestion: "Pass an assertion id read from the store or an interchange document." },
    );
  }
  return value as IdentityAssertionId;
}

/** `"same"`: one identity class; `"different"`: two classes kept apart. */
export type IdentityRelation = "same" | "different";

type KindsOf<G extends GraphDef> = keyof G["nodes"] & string;

/** A node reference an identity read returns. */
export type IdentityNodeReference<G extends GraphDef = GraphDef> = Readonly<{ kind: KindsOf<G> | (string & {}); id: string }>;
/** What identity methods accept: a node, or its `{ kind, id }`. */
export type IdentityNodeRefInput<G extends GraphDef = GraphDef> = Readonly<{ kind: KindsOf<G> | (string & {}); id: string }>;
/** A hydrated identity member (the store's node shape). */
export type IdentityNode<G extends GraphDef = GraphDef> = Readonly<{ kind: KindsOf<G> | (string & {}); id: string }> & Record<string, unknown>;

/** One stored identity assertion; `validTo` is set once it ended. */
export type IdentityAssertion<G extends GraphDef = GraphDef> = Readonly<{
  id: IdentityAssertionId;
  relation: IdentityRelation;
  a: IdentityNodeReference<G>;
  b: IdentityNodeReference<G>;
  validFrom: string;
  validTo?: string;
}>;

/** An assertion write's outcome: `"existing"` when the same truth was already stored. */
export type IdentityAssertionResult<G extends GraphDef = GraphDef> = Readonly<{
  assertion: IdentityAssertion<G>;
  action: "created" | "existing";
}>;

/** A half-open effective-time window for an assertion. */
export type IdentityValidityWindow = Readonly<{ validFrom?: string; validTo?: string }>;

/** One pair of a bulk assertion, with its own optional window. */
export type IdentityPair<G extends GraphDef = GraphDef> = Readonly<{ a: IdentityNodeRefInput<G>; b: IdentityNodeRefInput<G> }> & IdentityValidityWindow;

/** Identity reads (`view.identity` answers them at the view's coordinate). */
export type IdentityReadFacade<G extends GraphDef = GraphDef> = Readonly<{
  representativeOf: (ref: IdentityNodeRefInput<G>) => Promise<IdentityNodeReference<G> | undefined>;
  membersOf: (ref: IdentityNodeRefInput<G>) => Promise<readonly IdentityNodeReference<G>[]>;
  nodesOf: (ref: IdentityNodeRefInput<G>) => Promise<readonly IdentityNode<G>[]>;
  areSame: (a: IdentityNodeRefInput<G>, b: IdentityNodeRefInput<G>) => Promise<boolean>;
  areDifferent: (a: IdentityNodeRefInput<G>, b: IdentityNodeRefInput<G>) => Promise<boolean>;
  assertionsOf: (ref: IdentityNodeRefInput<G>) => Promise<readonly IdentityAssertion<G>[]>;
}>;

/** The full identity surface of `store.identity` / `tx.identity`. */
export type IdentityFacade<G extends GraphDef = GraphDef> = IdentityReadFacade<G> &
  Readonly<{
    assertSame: (a: IdentityNodeRefInput<G>, b: IdentityNodeRefInput<G>, window?: IdentityValidityWindow) => Promise<IdentityAssertionResult<G>>;
    assertDifferent: (a: IdentityNodeRefInput<G>, b: IdentityNodeRefInput<G>, window?: IdentityValidityWindow) => Promise<IdentityAssertionResult<G>>;
    bulkAssertSame: (pairs: readonly IdentityPair<G>[]) => Promise<readonly IdentityAssertionResult<G>[]>;
    bulkAssertDifferent: (pairs: readonly IdentityPair<G>[]) => Promise<readonly IdentityAssertionResult<G>[]>;
    retractAssertion: (id: IdentityAssertionId) => Promise<IdentityAssertion<G> | undefined>;
    retractSameAssertion: (a: IdentityNodeRefInput<G>, b: IdentityNodeRefInput<G>) => Promise<IdentityAssertion<G> | undefined>;
    retractDifferentAssertion: (a: IdentityNodeRefInput<G>, b: IdentityNodeRefInput<G>) => Promise<IdentityAssertion<G> | undefined>;
    bulkRetractAssertions: (ids: readonly IdentityAssertionId[]) => Promise<readonly IdentityAssertion<G>[]>;
  }>;

/** The assertion-only write surface. */
export type IdentityAssertionWriteFacade<G extends GraphDef = GraphDef> = Pick<IdentityFacade<G>, "assertSame" | "assertDifferent" | "bulkAssertSame" | "bulkAssertDifferent">;

/** One ledger row in the interchange shape (`endedBy`: the node whose deletion ended it). */
export type IdentityLedgerRow = Readonly<{
  id: string;
  relation: IdentityRelation;
  a: Readonly<{ kind: string; id: string }>;
  b: Readonly<{ kind: string; id: string }>;
  validFrom: string;
  validTo?: string;
  endedBy?: Readonly<{ kind: string; id: string }>;
}>;

/** Checks and normalizes a graph's `identity` option (ConfigurationError when malformed). */
export function checkIdentityConfig(value: unknown): GraphIdentityConfig | undefined {
  if (value === undefined) return undefined;
  const mode = (value as { sameIdAcrossKinds?: unknown } | null)?.sameIdAcrossKinds;
  if (value === null || typeof value !== "object" || (mode !== "fold" && mode !== "ignore")) {
    throw new ConfigurationError(
      'defineGraph({ identity }) needs { sameIdAcrossKinds: "fold" | "ignore" }.',
      { code: "IDENTITY_CONFIG_INVALID", identity: value as never },
      { suggestion: 'Pass identity: { sameIdAcrossKinds: "fold" } (or "ignore").' },
    );
  }
  return Object.freeze({ sameIdAcrossKinds: mode });
}

/** The identity config of a graph, if it declared one. */
export function identityOf(graph: GraphDef): GraphIdentityConfig | undefined {
  return (graph as { identity?: GraphIdentityConfig }).identity;
}

/** ConfigurationError IDENTITY_NOT_ENABLED for a graph without the profile. */
export function identityNotEnabled(graphId: string): ConfigurationError {
  return new ConfigurationError(
    "Identity is not enabled for this graph.",
    { code: "IDENTITY_NOT_ENABLED", graphId },
    { suggestion: 'Add identity: { sameIdAcrossKinds: "fold" } to defineGraph(...).' },
  );
}

type Call = (args: Record<string, unknown>) => Promise<unknown>;

interface Engine {
  readonly call: Call;
  readonly toNode: (row: unknown) => unknown;
}

/** What every identity call carries: the fold mode and the ontology's disjoint kind pairs. */
function profile(graph: GraphDef): { fold: boolean; disjoint: (readonly [string, string])[] } {
  const config = identityOf(graph);
  const pairs = closuresOf(graph).disjointKindPairs;
  return { fold: config?.sameIdAcrossKinds === "fold", disjoint: pairs.map(([a, b]) => [a, b] as const) };
}

function plainRef(graph: GraphDef, ref: unknown, path: string): { kind: string; id: string } {
  const r = ref as { kind?: unknown; id?: unknown } | null | undefined;
  if (r === null || typeof r !== "object" || typeof r.kind !== "string" || typeof r.id !== "string") {
    throw new ValidationError(`Identity ${path} must be a node or a { kind, id } reference.`, {
      issues: [{ path, message: "Expected a node or { kind: string, id: string }" }],
    });
  }
  if (!Object.prototype.hasOwnProperty.call(graph.nodes, r.kind)) {
    throw new KindNotFoundError(r.kind, "node", { graphId: graph.id });
  }
  return { kind: r.kind, id: r.id };
}

function selfAssertion(relation: IdentityRelation): ValidationError {
  return new ValidationError(
    `Identity ${relation} assertions require two distinct node references.`,
    { issues: [{ path: "pair", message: "Identity self-assertions are not allowed", code: "IDENTITY_SELF_ASSERTION" }] },
    { suggestion: "Filter reflexive pairs before calling an identity assertion method." },
  );
}

function windowOf(w: IdentityValidityWindow | undefined): { validFrom?: string; validTo?: string } {
  if (w === undefined || w === null) return {};
  if (typeof w !== "object") {
    throw new ValidationError("An identity validity window must be an object { validFrom?, validTo? }.", {
      issues: [{ path: "window", message: "Expected an object" }],
    });
  }
  return { ...(w.validFrom === undefined ? {} : { validFrom: w.validFrom }), ...(w.validTo === undefined ? {} : { validTo: w.validTo }) };
}

function freezeAssertion<G extends GraphDef>(raw: unknown): IdentityAssertion<G> {
  const r = raw as { id: string; relation: IdentityRelation; a: { kind: string; id: string }; b: { kind: string; id: string }; validFrom: string; validTo?: string };
  return Object.freeze({
    id: r.id as IdentityAssertionId,
    relation: r.relation,
    a: Object.freeze({ kind: r.a.kind, id: r.a.id }),
    b: Object.freeze({ kind: r.b.kind, id: r.b.id }),
    validFrom: r.validFrom,
    ...(r.validTo === undefined || r.validTo === null ? {} : { validTo: r.validTo }),
  }) as IdentityAssertion<G>;
}

function freezeRef<G extends GraphDef>(raw: unknown): IdentityNodeReference<G> {
  const r = raw as { kind: string; id: string };
  return Object.freeze({ kind: r.kind, id: r.id });
}

/** The read facade at a valid-time instant (`at` undefined: now). */
export function createIdentityReadFacade<G extends GraphDef>(graph: G, engine: Engine, at?: string, mode?: string): IdentityReadFacade<G> {
  const read = (what: string, refs: { kind: string; id: string }[]) =>
    engine.call({ action: "read", read: what, refs, ...profile(graph), ...(at === undefined ? {} : { at }), ...(mode === undefined ? {} : { mode }) });
  return Object.freeze({
    representativeOf: async (ref) => {
      const out = await read("representativeOf", [plainRef(graph, ref, "ref")]);
      return out === null || out === undefined ? undefined : freezeRef<G>(out);
    },
    membersOf: async (ref) => ((await read("membersOf", [plainRef(graph, ref, "ref")])) as unknown[]).map((r) => freezeRef<G>(r)),
    nodesOf: async (ref) => ((await read("nodesOf", [plainRef(graph, ref, "ref")])) as unknown[]).map((row) => engine.toNode(row) as IdentityNode<G>),
    areSame: async (a, b) => (await read("areSame", [plainRef(graph, a, "a"), plainRef(graph, b, "b")])) === true,
    areDifferent: async (a, b) => (await read("areDifferent", [plainRef(graph, a, "a"), plainRef(graph, b, "b")])) === true,
    assertionsOf: async (ref) => ((await read("assertionsOf", [plainRef(graph, ref, "ref")])) as unknown[]).map((r) => freezeAssertion<G>(r)),
  });
}

/** The full facade (`store.identity`, `tx.identity`). */
export function createIdentityFacade<G extends GraphDef>(graph: G, engine: Engine): IdentityFacade<G> {
  const reads = createIdentityReadFacade(graph, engine);
  const assert = async (relation: IdentityRelation, pairs: readonly IdentityPair<G>[]): Promise<IdentityAssertionResult<G>[]> => {
    if (!Array.isArray(pairs)) {
      throw new ValidationError("Bulk identity assertions take an array of { a, b } pairs.", { issues: [{ path: "pairs", message: "Expected an array" }] });
    }
    const checked = pairs.map((p, i) => {
      const a = plainRef(graph, p?.a, `pairs[${i}].a`);
      const b = plainRef(graph, p?.b, `pairs[${i}].b`);
      if (a.kind === b.kind && a.id === b.id) throw selfAssertion(relation);
      return { a, b, ...windowOf(p) };
    });
    if (checked.length === 0) return [];
    const out = (await engine.call({ action: "assert", relation, pairs: checked, ...profile(graph) })) as { assertion: unknown; action: "created" | "existing" }[];
    return out.map((r) => Object.freeze({ assertion: freezeAssertion<G>(r.assertion), action: r.action }));
  };
  const one = async (relation: IdentityRelation, a: IdentityNodeRefInput<G>, b: IdentityNodeRefInput<G>, window?: IdentityValidityWindow) =>
    (await assert(relation, [{ a, b, ...windowOf(window) }]))[0]!;
  const retractPair = async (relation: IdentityRelation, a: IdentityNodeRefInput<G>, b: IdentityNodeRefInput<G>) => {
    const out = await engine.call({ action: "retractPair", relation, refs: [plainRef(graph, a, "a"), plainRef(graph, b, "b")], ...profile(graph) });
    return out === null || out === undefined ? undefined : freezeAssertion<G>(out);
  };
  const retract = async (ids: readonly IdentityAssertionId[]) => {
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) {
      throw new ValidationError("Identity retraction takes assertion id strings.", { issues: [{ path: "ids", message: "Expected an array of strings" }] });
    }
    if (ids.length === 0) return [];
    return ((await engine.call({ action: "retract", ids, ...profile(graph) })) as unknown[]).map((r) => freezeAssertion<G>(r));
  };
  return Object.freeze({
    ...reads,
    assertSame: (a, b, window) => one("same", a, b, window),
    assertDifferent: (a, b, window) => one("different", a, b, window),
    bulkAssertSame: (pairs) => assert("same", pairs),
    bulkAssertDifferent: (pairs) => assert("different", pairs),
    retractAssertion: async (id) => (await retract([id]))[0],
    retractSameAssertion: (a, b) => retractPair("same", a, b),
    retractDifferentAssertion: (a, b) => retractPair("different", a, b),
    bulkRetractAssertions: (ids) => retract(ids),
  });
}

/** Rebuilds the closure and separation rows of a graph from live nodes and current assertions. */
export async function rebuildClosureWith(graph: GraphDef, call: Call): Promise<void> {
  await call({ action: "rebuild", ...profile(graph) });
}

/** Interchange seam: the graph's ledger rows (current only, or every row with `archival`). */
export async function readIdentityLedger(graph: GraphDef, call: Call, options: { archival?: boolean } = {}): Promise<readonly IdentityLedgerRow[]> {
  return (await call({ action: "exportAssertions", archival: options.archival === true, ...profile(graph) })) as IdentityLedgerRow[];
}

/** Interchange seam: writes ledger rows (ids and windows kept; stored current pairs and taken ids skipped), then rebuilds. */
export async function writeIdentityLedger(graph: GraphDef, call: Call, rows: readonly IdentityLedgerRow[]): Promise<{ created: number; skipped: number }> {
  for (const [i, r] of rows.entries()) {
    plainRef(graph, r.a, `rows[${i}].a`);
    plainRef(graph, r.b, `rows[${i}].b`);
  }
  return (await call({ action: "importAssertions", rows, ...profile(graph) })) as { created: number; skipped: number };
}

/** @internal How the functions below reach a store's engine calls (the store defines it). */
export const IDENTITY_PORT: unique symbol = Symbol.for("typegraph.identityPort") as never;

/** @internal What a store hands identity's store-level functions. */
export interface IdentityPort {
  readonly graph: GraphDef;
  readonly call: Call;
}

function portOf(store: unknown): IdentityPort {
  const port = (store as { [IDENTITY_PORT]?: () => IdentityPort } | null)?.[IDENTITY_PORT];
  if (typeof port !== "function") {
    throw new ConfigurationError("Expected a TypeGraph store.", { code: "IDENTITY_STORE_REQUIRED" });
  }
  const p = port.call(store);
  if (identityOf(p.graph) === undefined) throw identityNotEnabled(p.graph.id);
  return p;
}

/**
 * Repairs a store's derived identity relations (current closure and separation) from its live
 * nodes and current assertions; refuses a contradictory ledger with IdentityContradictionError.
 */
export async function rebuildIdentityClosure(store: unknown): Promise<void> {
  const p = portOf(store);
  await rebuildClosureWith(p.graph, p.call);
}

/** @internal Interchange seam (export): the store's identity ledger rows. */
export function exportIdentityLedger(store: unknown, options: { archival?: boolean } = {}): Promise<readonly IdentityLedgerRow[]> {
  const p = portOf(store);
  return readIdentityLedger(p.graph, p.call, options);
}

/** @internal Interchange seam (import): writes ledger rows into the store, one transaction, then rebuilds. */
export function importIdentityLedger(store: unknown, rows: readonly IdentityLedgerRow[]): Promise<{ created: number; skipped: number }> {
  const p = portOf(store);
  return writeIdentityLedger(p.graph, p.call, rows);
}

/**
 * @internal The interchange seam on `store.identity` (non-enumerable): `exportAssertions` reads the
 * ledger (state: current rows; archival: ended rows too; without `includeDeleted`, rows touching a
 * soft-deleted endpoint are left out) inside the export's transaction when `tx` is given;
 * `importAssertions` writes rows as given (ids and windows kept; current pairs already stored and
 * taken ids skipped; rows naming a node that does not exist reported as errors) and rebuilds the
 * derived relations, in one transaction.
 */
export function attachInterchangeSeam<F extends object>(
  facade: F,
  graph: GraphDef,
  call: (args: Record<string, unknown>, tx?: unknown) => Promise<unknown>,
): F {
  const out = { ...facade };
  Object.defineProperties(out, {
    exportAssertions: {
      enumerable: false,
      value: async (options: Readonly<{ mode?: "state" | "archival"; includeDeleted?: boolean; tx?: unknown }> = {}) =>
        (await call({ action: "exportAssertions", archival: options.mode === "archival", includeDeleted: options.includeDeleted === true, ...profile(graph) }, options.tx)) as IdentityLedgerRow[],
    },
    importAssertions: {
      enumerable: false,
      value: async (rows: readonly IdentityLedgerRow[]) => {
        for (const [i, r] of rows.entries()) {
          plainRef(graph, r.a, `assertions[${i}].a`);
          plainRef(graph, r.b, `assertions[${i}].b`);
        }
        if (rows.length === 0) return { created: 0, skipped: 0, errors: [] };
        return (await call({ action: "importAssertions", rows, ...profile(graph) })) as { created: number; skipped: number; errors: { kind: string; id: string; error: string }[] };
      },
    },
  });
  return Object.freeze(out) as F;
}
