// `store.nodes.X.updateWhere({ patch, where?, exists?, all? })`: one transactional set update of the
// current, live nodes a selector picks. The selector runs as one query inside the transaction
// (where-predicate and each `exists` relationship predicate ANDed), every complete after-image is
// validated by the kind's schema, and the rows are written by the set-based upsert path — so unique
// claims, fulltext and vectors move with them. Any invalid after-image rolls the whole update back.
import type { GraphBackend, TxToken } from "./backend.js";
import type { GraphDef } from "./core.js";
import { ConfigurationError, ValidationError } from "./errors.js";
import type { Predicate } from "./predicates.js";
import { createQueryBuilder, exists, fieldRef } from "./query/builder.js";
import type { TraversalDirection } from "./query/types.js";

/** One relationship predicate: the node has a live `edgeKind` edge (in `direction`) to a live `relatedKind` node. */
export interface UpdateWhereExists {
  readonly edgeKind: string;
  readonly direction?: TraversalDirection;
  readonly relatedKind: string;
  // Accessors of runtime-named kinds: `.field(name).string()/.number()/…` as in dynamic queries.
  readonly whereEdge?: (edge: never) => Predicate;
  readonly whereRelated?: (node: never) => Predicate;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface UpdateWhereParams<P = Record<string, unknown>, A = any> {
  /** Shallow patch: values replace top-level props, `null` is kept, `undefined` removes an optional prop. */
  readonly patch: Partial<P>;
  /** The node's accessor, as in `whereNode` / `find({ where })`. */
  readonly where?: (node: A) => Predicate;
  readonly exists?: readonly UpdateWhereExists[];
  /** The explicit acknowledgement of a whole-kind update. */
  readonly all?: true;
}

export interface UpdateWhereResult {
  readonly affectedCount: number;
}

/** @internal What the node collection lends the operation. */
export interface UpdateWhereHost {
  readonly backend: GraphBackend;
  readonly handle: number;
  readonly tx: TxToken;
  readonly graph: GraphDef;
  readonly kind: string;
  /** Validates one complete after-image (throws ValidationError naming the row). */
  validate(props: Record<string, unknown>, id: string, index: number): Record<string, unknown>;
  /** The stored props of a selected row as the kind's schema reads them (date fields as Dates). */
  stored(props: Record<string, unknown>): Record<string, unknown>;
}

type Row = { id: string; meta: { version: number } } & Record<string, unknown>;

/** Checks the parameters before anything is read. */
export function checkUpdateWhere(graph: GraphDef, kind: string, params: UpdateWhereParams): void {
  if (params === null || typeof params !== "object" || params.patch === null || typeof params.patch !== "object" || Array.isArray(params.patch)) {
    throw new ValidationError(`updateWhere on ${kind} needs a patch object`, { issues: [{ path: "patch", message: "expected an object of props" }] });
  }
  const selectors = (params.where ? 1 : 0) + (params.exists?.length ?? 0);
  if (selectors === 0 && params.all !== true) {
    // A configuration mistake upstream too: the call names no rows to update.
    throw new ConfigurationError(`store.nodes.${kind}.updateWhere() needs a selector: a where predicate, an exists entry, or the explicit all: true`, {
      kind,
      operation: "updateWhere",
    });
  }
  if (params.all !== undefined && params.all !== true) {
    throw new ValidationError(`updateWhere on ${kind}: all must be true when given`, { issues: [{ path: "all", message: "expected true" }] });
  }
  (params.exists ?? []).forEach((e, i) => {
    const path = `exists[${i}]`;
    if (!Object.prototype.hasOwnProperty.call(graph.edges, e.edgeKind)) {
      throw new ValidationError(`updateWhere on ${kind}: unknown edge kind "${e.edgeKind}"`, { issues: [{ path: `${path}.edgeKind`, message: "not an edge kind of this graph" }] });
    }
    if (!Object.prototype.hasOwnProperty.call(graph.nodes, e.relatedKind)) {
      throw new ValidationError(`updateWhere on ${kind}: unknown node kind "${e.relatedKind}"`, { issues: [{ path: `${path}.relatedKind`, message: "not a node kind of this graph" }] });
    }
    if (e.direction !== undefined && e.direction !== "out" && e.direction !== "in") {
      throw new ValidationError(`updateWhere on ${kind}: direction must be "out" or "in"`, { issues: [{ path: `${path}.direction`, message: "expected out or in" }] });
    }
  });
}

// The selector is assembled with runtime kind names, so it goes through the builder untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/** Runs inside the host's transaction; returns the number of rows written. */
export async function runUpdateWhere(host: UpdateWhereHost, params: UpdateWhereParams): Promise<UpdateWhereResult> {
  const env = { graph: host.graph, backend: host.backend, handle: host.handle, tx: host.tx };
  const builder = (): Loose => createQueryBuilder<GraphDef>(env);
  let q: Loose = builder().from(host.kind, "_n");
  if (params.where) q = q.whereNode("_n", collectionPredicate(params.where as (accessor: Loose) => unknown));
  for (const e of params.exists ?? []) {
    // One EXISTS per entry, correlated on the updated node's id, each evaluated on its own.
    let hop: Loose = builder()
      .from(host.kind, "_x")
      .whereNode("_x", (x: Loose) => x.id.eq(fieldRef("_n", ["id"], { valueType: "string" })))
      .traverseDynamic(e.edgeKind, "_e", { direction: e.direction ?? "out" })
      .toDynamic(e.relatedKind, "_r");
    if (e.whereEdge) hop = hop.whereEdge("_e", e.whereEdge);
    if (e.whereRelated) hop = hop.whereNode("_r", e.whereRelated);
    const ast = hop.select(() => ({ one: fieldRef("_r", ["id"], { valueType: "string" }) })).toAst();
    q = q.whereNode("_n", () => exists(ast));
  }
  const rows = (await q.select((c: Loose) => c._n).execute()) as Row[];
  if (rows.length === 0) return { affectedCount: 0 };
  const items = rows.map((row, index) => {
    const read: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) if (k !== "id" && k !== "kind" && k !== "meta") read[k] = v;
    const props = { ...host.stored(read) };
    for (const [k, v] of Object.entries(params.patch)) {
      if (v === undefined) delete props[k];
      else props[k] = v;
    }
    return { id: row.id, props: host.validate(props, row.id, index), fenced: true, expectedVersion: row.meta.version };
  });
  await host.backend.call(host.handle, "bulkUpsertNodes", { kind: host.kind, items, returning: false }, host.tx);
  return { affectedCount: rows.length };
}

const FIELD_KINDS = ["string", "number", "boolean", "date", "array", "object", "embedding"];

/**
 * The accessor a collection predicate sees: the kind's fields by name, plus `field(name)` for
 * runtime names (as a dynamic collection offers) — also when the kind declares a field named
 * `field`, which then reads both ways (`a.field.eq(…)` and `a.field("field")`).
 */
function collectionPredicate(where: (accessor: Loose) => unknown): (typed: Loose) => unknown {
  return (typed: Loose) => {
    const byName = (name: string): Loose => {
      const acc = typed[name];
      for (const method of FIELD_KINDS) {
        if (!(method in acc)) Object.defineProperty(acc, method, { value: () => acc });
      }
      return acc;
    };
    const fieldMember = new Proxy(byName, {
      get(target, key, receiver) {
        if (Reflect.has(target, key)) return Reflect.get(target, key, receiver);
        const own = typed.field;
        const value = own[key];
        return typeof value === "function" ? value.bind(own) : value;
      },
    });
    return where(new Proxy({}, { get: (_t, key) => (key === "field" ? fieldMember : typed[key]) }));
  };
}
