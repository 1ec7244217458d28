// Stores and collections: zod validation here, everything else asked of the
// engine in one crossing per call.

import type { z } from "zod";
import type { GraphBackend, TxToken } from "./backend.js";
import type { EdgeId, EdgeType, GraphDef, NodeId, NodeType, TemporalMode } from "./core.js";
import {
  ConfigurationError,
  KindNotFoundError,
  MigrationError,
  NodeNotFoundError,
  EdgeNotFoundError,
  StaleVersionError,
  UniquenessError,
  UnsupportedPredicateError,
  ValidationError,
  type ValidationIssue,
} from "./errors.js";
import { entityAccessor, type FieldAccessor, type Predicate } from "./predicates.js";
import { computeSchemaHash, engineGraph, serializeSchema, type SerializedSchema } from "./schema.js";
import { createQueryBuilder, type QueryBuilder } from "./query/builder.js";
import { StoreSearch } from "./search.js";

export interface NodeMeta {
  version: number;
  validFrom: string | undefined;
  validTo: string | undefined;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | undefined;
}
export type EdgeMeta = Omit<NodeMeta, "version">;

export type Node<N extends NodeType = NodeType> = { kind: N["kind"]; id: NodeId<N>; meta: NodeMeta } & z.output<N["schema"]>;
export type Edge<E extends EdgeType = EdgeType> = {
  id: EdgeId<E>;
  kind: E["kind"];
  fromKind: string;
  fromId: string;
  toKind: string;
  toId: string;
  meta: EdgeMeta;
} & z.output<E["schema"]>;

export type NodeRef = { kind: string; id: string };
export interface TemporalOptions {
  temporalMode?: TemporalMode;
  asOf?: string | Date;
}
type TemporalArg = TemporalOptions | TemporalMode | undefined;

type NodeRow = [string, string, Record<string, unknown>, number, string | null, string | null, string, string, string | null];
type EdgeRow = [string, string, string, string, string, string, Record<string, unknown> | null, string | null, string | null, string, string, string | null];

const u = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

function toNode(r: NodeRow): Node {
  return {
    kind: r[0],
    id: r[1],
    meta: { version: r[3], validFrom: u(r[4]), validTo: u(r[5]), createdAt: r[6], updatedAt: r[7], deletedAt: u(r[8]) },
    ...r[2],
  } as Node;
}

function toEdge(r: EdgeRow): Edge {
  return {
    id: r[0],
    kind: r[1],
    fromKind: r[2],
    fromId: r[3],
    toKind: r[4],
    toId: r[5],
    meta: { validFrom: u(r[7]), validTo: u(r[8]), createdAt: r[9], updatedAt: r[10], deletedAt: u(r[11]) },
    ...(r[6] ?? {}),
  } as Edge;
}

function temporal(arg: TemporalArg): { temporalMode?: string; asOf?: string } {
  if (arg === undefined) return {};
  if (typeof arg === "string") return { temporalMode: arg };
  const asOf = arg.asOf instanceof Date ? arg.asOf.toISOString() : arg.asOf;
  return { temporalMode: arg.temporalMode ?? (asOf ? "asOf" : undefined), asOf };
}

function instant(v: string | Date | undefined): string | undefined {
  return v instanceof Date ? v.toISOString() : v;
}

function zodIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message, code: i.code }));
}

function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
  ctx: { entityType: "node" | "edge"; kind: string; operation: "create" | "update"; id?: string },
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const where = ctx.id === undefined ? `new ${ctx.kind}` : `${ctx.kind}/${ctx.id}`;
  throw new ValidationError(
    `Invalid ${ctx.entityType} props for ${where}: ${result.error.message}`,
    {
      entityType: ctx.entityType,
      kind: ctx.kind,
      operation: ctx.operation,
      ...(ctx.id === undefined ? {} : { id: ctx.id }),
      issues: zodIssues(result.error),
    },
    { cause: result.error },
  );
}

/** Runs a read-merge-write, retrying when another writer changed the row in between. */
async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt < 8 && error instanceof StaleVersionError && error.details.retry === true) continue;
      throw error;
    }
  }
}

/** @internal Shared by root collections and transaction collections. */
interface Runner {
  readonly backend: GraphBackend;
  readonly handle: number;
  readonly tx?: TxToken;
  /** Root (autocommit) runners only: told the row count of each committed bulk create. */
  readonly afterBulkCreate?: (rows: number) => Promise<void>;
}

/** Calls the runner's post-bulk hook (autocommit only; never inside a transaction). */
async function bulkCreated(r: Runner, rows: number): Promise<void> {
  if (!r.tx && r.afterBulkCreate) await r.afterBulkCreate(rows);
}

function run(r: Runner, op: string, args: unknown): Promise<unknown> {
  return r.backend.call(r.handle, op, args, r.tx);
}

/** Runs `fn` in one transaction: the caller's when there is one, else a fresh one. */
async function atomically<T>(r: Runner, fn: (r: Runner) => Promise<T>): Promise<T> {
  if (r.tx && r.tx.open) return fn(r);
  const token = await r.backend.begin();
  let result: T;
  try {
    result = await fn({ backend: r.backend, handle: r.handle, tx: token });
  } catch (error) {
    await r.backend.end(token, false);
    throw error;
  }
  await r.backend.end(token, true);
  return result;
}

export class NodeCollection<N extends NodeType = NodeType> {
  readonly #r: Runner;
  readonly #type: N;
  readonly #kind: string;

  /** @internal */
  constructor(runner: Runner, kind: string, type: N) {
    this.#r = runner;
    this.#kind = kind;
    this.#type = type;
  }

  get kind(): N["kind"] {
    return this.#kind;
  }

  async create(props: z.input<N["schema"]>, options: { id?: string; validFrom?: string | Date; validTo?: string | Date } = {}): Promise<Node<N>> {
    const data = validate(this.#type.schema, props, { entityType: "node", kind: this.#kind, operation: "create" });
    const row = await run(this.#r, "createNode", {
      kind: this.#kind,
      id: options.id,
      props: data,
      validFrom: instant(options.validFrom),
      validTo: instant(options.validTo),
    });
    return toNode(row as NodeRow) as Node<N>;
  }

  async getById(id: string, options?: TemporalArg): Promise<Node<N> | undefined> {
    const row = await run(this.#r, "getNode", { kind: this.#kind, id, ...temporal(options) });
    return row === null ? undefined : (toNode(row as NodeRow) as Node<N>);
  }

  async getByIds(ids: readonly string[], options?: TemporalArg): Promise<(Node<N> | undefined)[]> {
    if (ids.length === 0) return [];
    const rows = (await run(this.#r, "getNodes", { kind: this.#kind, ids, ...temporal(options) })) as (NodeRow | null)[];
    return rows.map((r) => (r === null ? undefined : (toNode(r) as Node<N>)));
  }

  async find(
    options: { where?: (n: Record<keyof z.output<N["schema"]> | "id" | "kind", FieldAccessor>) => Predicate; limit?: number; offset?: number } = {},
    temporalOptions?: TemporalArg,
  ): Promise<Node<N>[]> {
    const where = options.where
      ? options.where(entityAccessor(this.#type.schema.shape, ["id", "kind"]) as never).ast
      : undefined;
    const rows = (await run(this.#r, "findNodes", {
      kind: this.#kind,
      where,
      limit: options.limit,
      offset: options.offset,
      ...temporal(temporalOptions),
    })) as NodeRow[];
    return rows.map((r) => toNode(r) as Node<N>);
  }

  async count(options?: TemporalArg): Promise<number> {
    return (await run(this.#r, "countNodes", { kind: this.#kind, ...temporal(options) })) as number;
  }

  async update(
    id: string,
    patch: Partial<z.input<N["schema"]>>,
    options: { validTo?: string | Date; clearValidTo?: boolean } = {},
  ): Promise<Node<N>> {
    if (options.validTo !== undefined && options.clearValidTo) {
      throw new ValidationError("validTo and clearValidTo cannot be combined", {
        entityType: "node",
        kind: this.#kind,
        id,
        operation: "update",
        issues: [{ path: "clearValidTo", message: "validTo and clearValidTo cannot be combined" }],
      });
    }
    return withRetry(async () => {
      const current = (await run(this.#r, "getNode", { kind: this.#kind, id, temporalMode: "includeTombstones" })) as NodeRow | null;
      if (current === null) throw new NodeNotFoundError(this.#kind, id);
      const merged = { ...current[2], ...patch };
      const data = validate(this.#type.schema, merged, { entityType: "node", kind: this.#kind, operation: "update", id });
      if (current[8] !== null) throw new NodeNotFoundError(this.#kind, id);
      const row = await run(this.#r, "updateNode", {
        kind: this.#kind,
        id,
        props: data,
        expectedVersion: current[3],
        validTo: instant(options.validTo),
        clearValidTo: options.clearValidTo ?? false,
      });
      return toNode(row as NodeRow) as Node<N>;
    });
  }

  async upsertById(id: string, props: z.input<N["schema"]>, options: { validFrom?: string | Date; validTo?: string | Date } = {}): Promise<Node<N>> {
    return withRetry(async () => {
      const current = (await run(this.#r, "getNode", { kind: this.#kind, id, temporalMode: "includeTombstones" })) as NodeRow | null;
      if (current !== null && current[8] === null) return this.update(id, props as Partial<z.input<N["schema"]>>, { validTo: options.validTo });
      // Missing: create. Tombstone: merge over its props and resurrect with a fresh window.
      const merged = current === null ? props : { ...current[2], ...props };
      const data = validate(this.#type.schema, merged, { entityType: "node", kind: this.#kind, operation: "create" });
      const row = await run(this.#r, "createNode", {
        kind: this.#kind,
        id,
        props: data,
        validFrom: instant(options.validFrom),
        validTo: instant(options.validTo),
      });
      return toNode(row as NodeRow) as Node<N>;
    });
  }

  async delete(id: string): Promise<void> {
    await run(this.#r, "deleteNode", { kind: this.#kind, id });
  }

  async hardDelete(id: string): Promise<void> {
    await run(this.#r, "hardDeleteNode", { kind: this.#kind, id });
  }

  #bulkItems(items: readonly BulkNodeItem<N>[], operation: "create" | "update") {
    return items.map((item, index) => ({
      id: item.id,
      props: validateAt(this.#type.schema, item.props, { entityType: "node", kind: this.#kind, operation }, index),
      validFrom: instant(item.validFrom),
      validTo: instant(item.validTo),
    }));
  }

  /** Creates many nodes atomically in one call; returns them in input order. */
  async bulkCreate(items: readonly BulkNodeItem<N>[]): Promise<Node<N>[]> {
    if (items.length === 0) return [];
    const rows = (await run(this.#r, "bulkCreateNodes", { kind: this.#kind, items: this.#bulkItems(items, "create"), returning: true })) as NodeRow[];
    await bulkCreated(this.#r, items.length);
    return rows.map((r) => toNode(r) as Node<N>);
  }

  /** The fast path: like bulkCreate, without reading the rows back. */
  async bulkInsert(items: readonly BulkNodeItem<N>[]): Promise<void> {
    if (items.length === 0) return;
    await run(this.#r, "bulkCreateNodes", { kind: this.#kind, items: this.#bulkItems(items, "create"), returning: false });
    await bulkCreated(this.#r, items.length);
  }

  /** Creates missing ids, merges into live ones, resurrects tombstones; repeated ids fold in order. */
  async bulkUpsertById(items: readonly (BulkNodeItem<N> & { id: string })[]): Promise<Node<N>[]> {
    if (items.length === 0) return [];
    const order: string[] = [];
    const folded = new Map<string, { props: Record<string, unknown>; index: number; validFrom?: string | Date; validTo?: string | Date }>();
    items.forEach((item, index) => {
      const prev = folded.get(item.id);
      if (!prev) order.push(item.id);
      folded.set(item.id, { props: { ...(prev?.props ?? {}), ...(item.props as Record<string, unknown>) }, index, validFrom: item.validFrom, validTo: item.validTo });
    });
    const current = (await run(this.#r, "getNodes", { kind: this.#kind, ids: order, temporalMode: "includeTombstones" })) as (NodeRow | null)[];
    const merged = order.map((id, i) => {
      const f = folded.get(id)!;
      const base = current[i];
      const props = base ? { ...base[2], ...f.props } : f.props;
      const operation = base && base[8] === null ? "update" : "create";
      return {
        id,
        props: validateAt(this.#type.schema, props, { entityType: "node", kind: this.#kind, operation, ...(operation === "update" ? { id } : {}) }, f.index),
        validFrom: instant(f.validFrom),
        validTo: instant(f.validTo),
      };
    });
    const rows = (await run(this.#r, "bulkUpsertNodes", { kind: this.#kind, items: merged, returning: true })) as NodeRow[];
    const byId = new Map(rows.map((r) => [r[1], toNode(r) as Node<N>]));
    return items.map((item) => byId.get(item.id)!);
  }

  /** Soft-deletes many nodes atomically; missing ids are ignored. */
  async bulkDelete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await run(this.#r, "bulkDeleteNodes", { kind: this.#kind, ids });
  }

  async #holders(constraint: string, props: readonly unknown[]): Promise<([NodeRow, boolean] | null)[]> {
    return (await run(this.#r, "findByConstraint", { kind: this.#kind, constraint, props })) as ([NodeRow, boolean] | null)[];
  }

  /** The live node holding these props' key under a unique constraint. */
  async findByConstraint(constraint: string, props: Partial<z.input<N["schema"]>>): Promise<Node<N> | undefined> {
    const [hit] = await this.#holders(constraint, [props]);
    return hit && hit[1] ? (toNode(hit[0]) as Node<N>) : undefined;
  }

  /** One lookup per item, in input order. */
  async bulkFindByConstraint(constraint: string, items: readonly { props: Partial<z.input<N["schema"]>> }[]): Promise<(Node<N> | undefined)[]> {
    if (items.length === 0) return [];
    const hits = await this.#holders(constraint, items.map((i) => i.props));
    return hits.map((h) => (h && h[1] ? (toNode(h[0]) as Node<N>) : undefined));
  }

  /**
   * Finds the node holding the constraint key or creates it. `ifExists: "update"` merges the
   * props into the found node; a soft-deleted holder is resurrected.
   */
  async getOrCreateByConstraint(
    constraint: string,
    props: z.input<N["schema"]>,
    options: { ifExists?: "return" | "update" } = {},
  ): Promise<{ node: Node<N>; action: "created" | "found" | "updated" | "resurrected" }> {
    for (let attempt = 0; ; attempt++) {
      const [hit] = await this.#holders(constraint, [props]);
      try {
        if (!hit) return { node: await this.create(props), action: "created" };
        const [row, live] = hit;
        if (!live) return { node: await this.upsertById(row[1], props), action: "resurrected" };
        if (options.ifExists === "update") {
          return { node: await this.update(row[1], props as Partial<z.input<N["schema"]>>), action: "updated" };
        }
        return { node: toNode(row) as Node<N>, action: "found" };
      } catch (error) {
        // Another writer claimed the key between the lookup and the write: look again.
        if (error instanceof UniquenessError && attempt < 3) continue;
        throw error;
      }
    }
  }

  async bulkGetOrCreateByConstraint(
    constraint: string,
    items: readonly { props: z.input<N["schema"]> }[],
    options: { ifExists?: "return" | "update" } = {},
  ): Promise<{ node: Node<N>; action: "created" | "found" | "updated" | "resurrected" }[]> {
    if (items.length === 0) return [];
    // Validated up front (a bad item fails the call before any write), keyed as the engine keys
    // them; everything else in one transaction. A key repeated within the batch resolves to the
    // node its first occurrence produced, with action "found" (as upstream).
    const data = items.map((item, index) => validateAt(this.#type.schema, item.props, { entityType: "node", kind: this.#kind, operation: "create" }, index));
    const keys = (await run(this.#r, "constraintKeys", { kind: this.#kind, constraint, props: data })) as (string | null)[];
    return atomically(this.#r, async (r) => {
      const c = new NodeCollection<N>(r, this.#kind, this.#type);
      const first = new Map<string, number>();
      const out: { node: Node<N>; action: "created" | "found" | "updated" | "resurrected" }[] = [];
      for (const [index, item] of items.entries()) {
        const key = keys[index];
        const source = key === null || key === undefined ? undefined : first.get(key);
        if (source !== undefined) {
          out.push({ node: out[source]!.node, action: "found" });
          continue;
        }
        if (key !== null && key !== undefined) first.set(key, index);
        out.push(await c.getOrCreateByConstraint(constraint, item.props, options));
      }
      return out;
    });
  }
}

export interface BulkNodeItem<N extends NodeType = NodeType> {
  id?: string;
  props: z.input<N["schema"]>;
  validFrom?: string | Date;
  validTo?: string | Date;
}

export interface BulkEdgeItem<E extends EdgeType = EdgeType> {
  id?: string;
  from: NodeRef;
  to: NodeRef;
  props?: z.input<E["schema"]>;
  validFrom?: string | Date;
  validTo?: string | Date;
}

function validateAt<S extends z.ZodType>(
  schema: S,
  input: unknown,
  ctx: { entityType: "node" | "edge"; kind: string; operation: "create" | "update"; id?: string },
  index: number,
): z.output<S> {
  try {
    return validate(schema, input, ctx);
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new ValidationError(`${error.message} (item ${index})`, { ...error.details, index }, { cause: (error as { cause?: unknown }).cause });
    }
    throw error;
  }
}

function matches(row: EdgeRow, matchOn: readonly string[], props: Record<string, unknown>): boolean {
  const stored = row[6] ?? {};
  return matchOn.every((f) => JSON.stringify(stored[f]) === JSON.stringify(props[f]));
}

function refOf(x: NodeRef | { kind: string; id: string }): NodeRef {
  return { kind: x.kind, id: x.id };
}

export class EdgeCollection<E extends EdgeType = EdgeType> {
  readonly #r: Runner;
  readonly #type: E;
  readonly #kind: string;

  /** @internal */
  constructor(runner: Runner, kind: string, type: E) {
    this.#r = runner;
    this.#kind = kind;
    this.#type = type;
  }

  get kind(): E["kind"] {
    return this.#kind;
  }

  async create(
    from: NodeRef,
    to: NodeRef,
    props?: z.input<E["schema"]>,
    options: { id?: string; validFrom?: string | Date; validTo?: string | Date } = {},
  ): Promise<Edge<E>> {
    const data = validate(this.#type.schema, props ?? {}, { entityType: "edge", kind: this.#kind, operation: "create" });
    const row = await run(this.#r, "createEdge", {
      kind: this.#kind,
      id: options.id,
      from: refOf(from),
      to: refOf(to),
      props: data,
      validFrom: instant(options.validFrom),
      validTo: instant(options.validTo),
    });
    return toEdge(row as EdgeRow) as Edge<E>;
  }

  async getById(id: string, options?: TemporalArg): Promise<Edge<E> | undefined> {
    const row = await run(this.#r, "getEdge", { kind: this.#kind, id, ...temporal(options) });
    return row === null ? undefined : (toEdge(row as EdgeRow) as Edge<E>);
  }

  async getByIds(ids: readonly string[], options?: TemporalArg): Promise<(Edge<E> | undefined)[]> {
    if (ids.length === 0) return [];
    const rows = (await run(this.#r, "getEdges", { kind: this.#kind, ids, ...temporal(options) })) as (EdgeRow | null)[];
    return rows.map((r) => (r === null ? undefined : (toEdge(r) as Edge<E>)));
  }

  async find(options: { from?: NodeRef; to?: NodeRef; limit?: number; offset?: number; where?: unknown } = {}, temporalOptions?: TemporalArg): Promise<Edge<E>[]> {
    if (options.where !== undefined) {
      throw new UnsupportedPredicateError(`store.edges.${this.#kind}.find({ where }) is not supported; use store.query() for edge property filters.`, {
        kind: this.#kind,
        operation: "find",
      });
    }
    const rows = (await run(this.#r, "findEdges", {
      kind: this.#kind,
      from: options.from && refOf(options.from),
      to: options.to && refOf(options.to),
      limit: options.limit,
      offset: options.offset,
      ...temporal(temporalOptions),
    })) as EdgeRow[];
    return rows.map((r) => toEdge(r) as Edge<E>);
  }

  findFrom(from: NodeRef, temporalOptions?: TemporalArg): Promise<Edge<E>[]> {
    return this.find({ from }, temporalOptions);
  }

  findTo(to: NodeRef, temporalOptions?: TemporalArg): Promise<Edge<E>[]> {
    return this.find({ to }, temporalOptions);
  }

  async count(filter: { from?: NodeRef; to?: NodeRef } = {}, temporalOptions?: TemporalArg): Promise<number> {
    return (await run(this.#r, "countEdges", {
      kind: this.#kind,
      from: filter.from && refOf(filter.from),
      to: filter.to && refOf(filter.to),
      ...temporal(temporalOptions),
    })) as number;
  }

  async update(id: string, patch: Partial<z.input<E["schema"]>>, options: { validTo?: string | Date; clearValidTo?: boolean } = {}): Promise<Edge<E>> {
    return withRetry(async () => {
      const current = (await run(this.#r, "getEdge", { kind: this.#kind, id, temporalMode: "includeTombstones" })) as EdgeRow | null;
      if (current === null || current[11] !== null) throw new EdgeNotFoundError(this.#kind, id);
      const data = validate(this.#type.schema, { ...(current[6] ?? {}), ...patch }, { entityType: "edge", kind: this.#kind, operation: "update", id });
      const row = await run(this.#r, "updateEdge", {
        kind: this.#kind,
        id,
        props: data,
        expectedUpdatedAt: current[10],
        validTo: instant(options.validTo),
        clearValidTo: options.clearValidTo ?? false,
      });
      return toEdge(row as EdgeRow) as Edge<E>;
    });
  }

  async delete(id: string): Promise<void> {
    await run(this.#r, "deleteEdge", { kind: this.#kind, id });
  }

  #bulkItems(items: readonly BulkEdgeItem<E>[]) {
    return items.map((item, index) => ({
      id: item.id,
      from: refOf(item.from),
      to: refOf(item.to),
      props: validateAt(this.#type.schema, item.props ?? {}, { entityType: "edge", kind: this.#kind, operation: "create" }, index),
      validFrom: instant(item.validFrom),
      validTo: instant(item.validTo),
    }));
  }

  /** Creates many edges atomically (endpoints checked in batch); returns them in input order. */
  async bulkCreate(items: readonly BulkEdgeItem<E>[]): Promise<Edge<E>[]> {
    if (items.length === 0) return [];
    const rows = (await run(this.#r, "bulkCreateEdges", { kind: this.#kind, items: this.#bulkItems(items), returning: true })) as (EdgeRow | null)[];
    await bulkCreated(this.#r, items.length);
    return rows.map((r) => toEdge(r!) as Edge<E>);
  }

  /** The fast path: like bulkCreate, without reading the rows back. */
  async bulkInsert(items: readonly BulkEdgeItem<E>[]): Promise<void> {
    if (items.length === 0) return;
    await run(this.#r, "bulkCreateEdges", { kind: this.#kind, items: this.#bulkItems(items), returning: false });
    await bulkCreated(this.#r, items.length);
  }

  /** Soft-deletes many edges atomically; missing ids are ignored. */
  async bulkDelete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await run(this.#r, "bulkDeleteEdges", { kind: this.#kind, ids });
  }

  async #between(from: NodeRef, to: NodeRef, includeDeleted: boolean, temporalOptions?: TemporalArg): Promise<EdgeRow[]> {
    return (await run(this.#r, "findEdgesBetween", {
      kind: this.#kind,
      from: refOf(from),
      to: refOf(to),
      includeDeleted,
      ...temporal(temporalOptions),
    })) as EdgeRow[];
  }

  /** The first live edge of this kind from `from` to `to` whose `matchOn` props equal the given ones. */
  async findByEndpoints(
    from: NodeRef,
    to: NodeRef,
    options: { matchOn?: readonly (keyof z.output<E["schema"]> & string)[]; props?: Partial<z.input<E["schema"]>> } = {},
    temporalOptions?: TemporalArg,
  ): Promise<Edge<E> | undefined> {
    const rows = await this.#between(from, to, false, temporalOptions);
    const hit = rows.find((r) => matches(r, options.matchOn ?? [], options.props ?? {}));
    return hit ? (toEdge(hit) as Edge<E>) : undefined;
  }

  /**
   * Finds the edge identified by its endpoints (plus `matchOn` props) or creates it; `ifExists: "update"`
   * merges the props into it; a soft-deleted match is resurrected (keeping its validFrom).
   */
  async getOrCreateByEndpoints(
    from: NodeRef,
    to: NodeRef,
    props: z.input<E["schema"]>,
    options: { matchOn?: readonly (keyof z.output<E["schema"]> & string)[]; ifExists?: "return" | "update" } = {},
  ): Promise<{ edge: Edge<E>; action: "created" | "found" | "updated" | "resurrected" }> {
    const matchOn = options.matchOn ?? [];
    const data = validate(this.#type.schema, props ?? {}, { entityType: "edge", kind: this.#kind, operation: "create" });
    const rows = await this.#between(from, to, true);
    const candidates = rows.filter((r) => matches(r, matchOn, data as Record<string, unknown>));
    const live = candidates.find((r) => r[11] === null);
    if (live) {
      if (options.ifExists === "update") return { edge: await this.update(live[0], props as Partial<z.input<E["schema"]>>), action: "updated" };
      return { edge: toEdge(live) as Edge<E>, action: "found" };
    }
    const tomb = candidates.at(-1);
    if (tomb) {
      const merged = validate(this.#type.schema, { ...(tomb[6] ?? {}), ...(props as object) }, {
        entityType: "edge",
        kind: this.#kind,
        operation: "update",
        id: tomb[0],
      });
      const row = await run(this.#r, "resurrectEdge", { kind: this.#kind, id: tomb[0], props: merged });
      return { edge: toEdge(row as EdgeRow) as Edge<E>, action: "resurrected" };
    }
    return { edge: await this.create(from, to, props), action: "created" };
  }

  async bulkGetOrCreateByEndpoints(
    items: readonly { from: NodeRef; to: NodeRef; props?: z.input<E["schema"]> }[],
    options: { matchOn?: readonly (keyof z.output<E["schema"]> & string)[]; ifExists?: "return" | "update" } = {},
  ): Promise<{ edge: Edge<E>; action: "created" | "found" | "updated" | "resurrected" }[]> {
    if (items.length === 0) return [];
    // One transaction; an item repeating an earlier item's endpoints and `matchOn` values resolves
    // to the edge that earlier item produced, with action "found" (as upstream).
    const matchOn = options.matchOn ?? [];
    const data = items.map((item, index) => validateAt(this.#type.schema, item.props ?? {}, { entityType: "edge", kind: this.#kind, operation: "create" }, index) as Record<string, unknown>);
    return atomically(this.#r, async (r) => {
      const c = new EdgeCollection<E>(r, this.#kind, this.#type);
      const first = new Map<string, number>();
      const out: { edge: Edge<E>; action: "created" | "found" | "updated" | "resurrected" }[] = [];
      for (const [index, item] of items.entries()) {
        const key = JSON.stringify([item.from.kind, item.from.id, item.to.kind, item.to.id, ...matchOn.map((f) => data[index]![f] ?? null)]);
        const source = first.get(key);
        if (source !== undefined) {
          out.push({ edge: out[source]!.edge, action: "found" });
          continue;
        }
        first.set(key, index);
        out.push(await c.getOrCreateByEndpoints(item.from, item.to, (item.props ?? {}) as z.input<E["schema"]>, options));
      }
      return out;
    });
  }

  /** Creates missing ids, merges into live edges, resurrects tombstones; endpoints of an existing id must match. */
  async bulkUpsertById(items: readonly (BulkEdgeItem<E> & { id: string })[]): Promise<Edge<E>[]> {
    if (items.length === 0) return [];
    const ids = items.map((i) => i.id);
    const current = (await run(this.#r, "getEdges", { kind: this.#kind, ids, temporalMode: "includeTombstones" })) as (EdgeRow | null)[];
    const merged = items.map((item, index) => {
      const base = current[index];
      const operation = base && base[11] === null ? "update" : "create";
      return {
        id: item.id,
        from: refOf(item.from),
        to: refOf(item.to),
        props: validateAt(this.#type.schema, { ...(base?.[6] ?? {}), ...((item.props ?? {}) as object) }, {
          entityType: "edge",
          kind: this.#kind,
          operation,
          ...(operation === "update" ? { id: item.id } : {}),
        }, index),
        validFrom: instant(item.validFrom),
        validTo: instant(item.validTo),
      };
    });
    const rows = (await run(this.#r, "bulkUpsertEdges", { kind: this.#kind, items: merged, returning: true })) as (EdgeRow | null)[];
    return rows.map((r) => toEdge(r!) as Edge<E>);
  }

  async hardDelete(id: string): Promise<void> {
    await run(this.#r, "hardDeleteEdge", { kind: this.#kind, id });
  }
}

export type GraphNodeCollections<G extends GraphDef> = { [K in keyof G["nodes"]]: NodeCollection<G["nodes"][K]["type"]> };
export type GraphEdgeCollections<G extends GraphDef> = { [K in keyof G["edges"]]: EdgeCollection<G["edges"][K]["type"]> };

function collections<G extends GraphDef>(graph: G, runner: Runner) {
  const nodeCache = new Map<string, NodeCollection>();
  const edgeCache = new Map<string, EdgeCollection>();
  const nodes = new Proxy({} as GraphNodeCollections<G>, {
    get(_t, kind) {
      if (typeof kind !== "string") return undefined;
      const reg = graph.nodes[kind];
      if (!reg) throw new KindNotFoundError(kind, "node", { graphId: graph.id });
      let c = nodeCache.get(kind);
      if (!c) nodeCache.set(kind, (c = new NodeCollection(runner, kind, reg.type)));
      return c;
    },
    has: (_t, kind) => typeof kind === "string" && kind in graph.nodes,
    ownKeys: () => Object.keys(graph.nodes),
    getOwnPropertyDescriptor: (_t, kind) =>
      typeof kind === "string" && kind in graph.nodes ? { enumerable: true, configurable: true } : undefined,
  });
  const edges = new Proxy({} as GraphEdgeCollections<G>, {
    get(_t, kind) {
      if (typeof kind !== "string") return undefined;
      const reg = graph.edges[kind];
      if (!reg) throw new KindNotFoundError(kind, "edge", { graphId: graph.id });
      let c = edgeCache.get(kind);
      if (!c) edgeCache.set(kind, (c = new EdgeCollection(runner, kind, reg.type)));
      return c;
    },
    has: (_t, kind) => typeof kind === "string" && kind in graph.edges,
    ownKeys: () => Object.keys(graph.edges),
    getOwnPropertyDescriptor: (_t, kind) =>
      typeof kind === "string" && kind in graph.edges ? { enumerable: true, configurable: true } : undefined,
  });
  return { nodes, edges };
}

export interface TransactionContext<G extends GraphDef> {
  readonly nodes: GraphNodeCollections<G>;
  readonly edges: GraphEdgeCollections<G>;
  getNodeCollection(kind: string): NodeCollection | undefined;
  /** Search inside the transaction: sees its uncommitted writes. */
  readonly search: StoreSearch<G>;
}

export class Store<G extends GraphDef = GraphDef> {
  readonly #graph: G;
  readonly #backend: GraphBackend;
  readonly #handle: Promise<number> | number;
  #collections: ReturnType<typeof collections<G>> | undefined;
  #runner: Runner | undefined;
  #search: StoreSearch<G> | undefined;
  readonly #options: StoreOptions;

  /** @internal */
  constructor(graph: G, backend: GraphBackend, handle: Promise<number> | number, options: StoreOptions = {}) {
    this.#graph = graph;
    this.#backend = backend;
    this.#handle = handle;
    this.#options = options;
    if (typeof handle === "number") this.#runner = { backend, handle, afterBulkCreate: this.#afterBulkCreate };
  }

  /**
   * `autoRefreshStatistics` (upstream's default: 1,000 rows): an autocommit bulkCreate/bulkInsert
   * of at least that many rows refreshes the planner statistics. A failed refresh never fails the
   * committed write; it warns.
   */
  readonly #afterBulkCreate = async (rows: number): Promise<void> => {
    const configured = this.#options.autoRefreshStatistics;
    if (configured === false) return;
    if (rows < (typeof configured === "number" ? configured : 1000)) return;
    try {
      await this.refreshStatistics();
    } catch (error) {
      console.warn("typegraph: statistics refresh after bulk write failed; run store.refreshStatistics() to avoid stale planner statistics.", error);
    }
  };

  get graph(): G {
    return this.#graph;
  }
  get graphId(): G["id"] {
    return this.#graph.id;
  }
  get backend(): GraphBackend {
    return this.#backend;
  }
  get capabilities() {
    return this.#backend.capabilities;
  }

  #rootRunner(): Runner {
    if (this.#runner) return this.#runner;
    // PostgreSQL registers asynchronously; calls wait for the handle.
    const backend = this.#backend;
    const handle = this.#handle as Promise<number>;
    const lazy: Runner = {
      backend: {
        ...backend,
        dialect: backend.dialect,
        capabilities: backend.capabilities,
        call: async (_h: number, op: string, args: unknown, tx?: TxToken) => backend.call(await handle, op, args, tx),
      } as GraphBackend,
      handle: -1,
      afterBulkCreate: this.#afterBulkCreate,
    };
    void handle.then((h) => (this.#runner = { backend, handle: h, afterBulkCreate: this.#afterBulkCreate }), () => undefined);
    return lazy;
  }

  get nodes(): GraphNodeCollections<G> {
    return (this.#collections ??= collections(this.#graph, this.#rootRunner())).nodes;
  }
  get edges(): GraphEdgeCollections<G> {
    return (this.#collections ??= collections(this.#graph, this.#rootRunner())).edges;
  }

  /** Fulltext, vector and hybrid search (`store.search.fulltext(kind, …)`, …). */
  get search(): StoreSearch<G> {
    return (this.#search ??= new StoreSearch(this.#graph, (op, args) => run(this.#rootRunner(), op, args), (row) => toNode(row as NodeRow)));
  }

  getNodeCollection(kind: string): NodeCollection | undefined {
    return kind in this.#graph.nodes ? (this.nodes as Record<string, NodeCollection>)[kind] : undefined;
  }
  getEdgeCollection(kind: string): EdgeCollection | undefined {
    return kind in this.#graph.edges ? (this.edges as Record<string, EdgeCollection>)[kind] : undefined;
  }
  getNodeCollectionOrThrow(kind: string): NodeCollection {
    const c = this.getNodeCollection(kind);
    if (!c) throw new KindNotFoundError(kind, "node", { graphId: this.#graph.id });
    return c;
  }
  getEdgeCollectionOrThrow(kind: string): EdgeCollection {
    const c = this.getEdgeCollection(kind);
    if (!c) throw new KindNotFoundError(kind, "edge", { graphId: this.#graph.id });
    return c;
  }

  /** Runs `fn` in one database transaction: its return value passes through, a throw rolls everything back. */
  async transaction<T>(fn: (tx: TransactionContext<G>) => Promise<T> | T): Promise<T> {
    const handle = await this.#handle;
    const token = await this.#backend.begin();
    const c = collections(this.#graph, { backend: this.#backend, handle, tx: token });
    const tx: TransactionContext<G> = {
      nodes: c.nodes,
      edges: c.edges,
      getNodeCollection: (kind: string) => (kind in this.#graph.nodes ? (c.nodes as Record<string, NodeCollection>)[kind] : undefined),
      search: new StoreSearch(this.#graph, (op, args) => this.#backend.call(handle, op, args, token), (row) => toNode(row as NodeRow)),
    };
    Object.defineProperty(tx, TX_TOKEN, { value: token, enumerable: false });
    let result: T;
    try {
      result = await fn(tx);
    } catch (error) {
      await this.#backend.end(token, false);
      throw error;
    }
    await this.#backend.end(token, true);
    return result;
  }

  /** A fluent query over this graph; each query runs as one SQL statement. */
  query(): QueryBuilder<G> {
    return createQueryBuilder<G>({ graph: this.#graph, backend: this.#backend, handle: this.#handle });
  }

  /**
   * Runs a large load in one transaction. When the node and edge tables are empty (a fresh
   * database), their secondary indexes — system and user-declared — are dropped first and rebuilt
   * from their own definitions before commit: the rows are validated and checked exactly as
   * usual, the indexes are built once instead of row by row. On a populated database it is
   * simply a transaction.
   */
  async bulkLoad<T>(fn: (tx: TransactionContext<G>) => Promise<T> | T): Promise<T> {
    const handle = await this.#handle;
    const result = await this.transaction(async (tx) => {
      const token = (tx as unknown as { [TX_TOKEN]: TxToken })[TX_TOKEN];
      const dropped = await this.#backend.call(handle, "deferIndexes", {}, token);
      const result = await fn(tx);
      await this.#backend.call(handle, "restoreIndexes", { indexes: dropped }, token);
      return result;
    });
    // Like upstream's imports: fresh planner statistics once the load is committed.
    if (this.#options.autoRefreshStatistics !== false) await this.#afterBulkCreate(Number.MAX_SAFE_INTEGER);
    return result;
  }

  /** Refreshes the database's planner statistics for the node and edge tables (ANALYZE). */
  async refreshStatistics(): Promise<void> {
    await this.#backend.call(await this.#handle, "refreshStatistics", {});
  }

  /** The active schema version row of this graph, or undefined. */
  async getActiveSchema(): Promise<{ version: number; hash: string; doc: SerializedSchema } | undefined> {
    const active = await this.#backend.call(await this.#handle, "getActiveSchema", {});
    return (active ?? undefined) as { version: number; hash: string; doc: SerializedSchema } | undefined;
  }

  async close(): Promise<void> {
    await this.#backend.close();
  }
}

const TX_TOKEN = Symbol("typegraph.txToken");

export interface StoreOptions {
  /**
   * Row count at which one autocommit `bulkCreate`/`bulkInsert` refreshes planner statistics
   * (ANALYZE) after it commits; `false` never does. Default 1,000. Writes inside
   * `store.transaction()` never refresh: call `store.refreshStatistics()` after a loop of batches.
   */
  autoRefreshStatistics?: false | number;
  [option: string]: unknown;
}

/** A store over existing tables: no DDL, no schema checks. */
export function createStore<G extends GraphDef>(graph: G, backend: GraphBackend, options?: StoreOptions): Store<G> {
  const handle = backend.register(engineGraph(graph));
  return new Store(graph, backend, handle, options);
}

export type SchemaValidationResult =
  | { status: "initialized"; version: number; committedRow: Record<string, unknown> }
  | { status: "unchanged"; version: number }
  | { status: "migrated"; fromVersion: number; toVersion: number; diff: SchemaDiff; committedRow: Record<string, unknown> }
  | { status: "pending"; version: number; diff: SchemaDiff }
  | { status: "breaking"; diff: SchemaDiff; actions: string[] };

export interface SchemaChange {
  type: "added" | "removed" | "modified";
  kind: string;
  entity: "node" | "edge";
  severity: "safe" | "breaking";
  details: string;
}
export interface SchemaDiff {
  fromVersion: number;
  toVersion: number;
  nodes: SchemaChange[];
  edges: SchemaChange[];
  hasBreakingChanges: boolean;
  hasChanges: boolean;
  summary: string;
}

function diffSchemas(before: SerializedSchema, after: SerializedSchema, fromVersion: number): SchemaDiff {
  const changes = { node: [] as SchemaChange[], edge: [] as SchemaChange[] };
  for (const entity of ["node", "edge"] as const) {
    const a = (entity === "node" ? before.nodes : before.edges) as Record<string, { properties?: { properties?: Record<string, unknown>; required?: string[] } }>;
    const b = (entity === "node" ? after.nodes : after.edges) as typeof a;
    for (const kind of Object.keys(b)) {
      if (!(kind in a)) {
        changes[entity].push({ type: "added", kind, entity, severity: "safe", details: `${entity} kind added` });
      } else if (JSON.stringify(a[kind]) !== JSON.stringify(b[kind])) {
        const oldProps = a[kind]!.properties?.properties ?? {};
        const newProps = b[kind]!.properties?.properties ?? {};
        const newRequired = b[kind]!.properties?.required ?? [];
        const oldRequired = a[kind]!.properties?.required ?? [];
        const removed = Object.keys(oldProps).filter((p) => !(p in newProps));
        const changed = Object.keys(oldProps).filter((p) => p in newProps && JSON.stringify(oldProps[p]) !== JSON.stringify(newProps[p]));
        const newlyRequired = newRequired.filter((p) => !oldRequired.includes(p) && !JSON.stringify(newProps[p] ?? {}).includes('"default"'));
        const breaking = removed.length > 0 || changed.length > 0 || newlyRequired.length > 0;
        changes[entity].push({
          type: "modified",
          kind,
          entity,
          severity: breaking ? "breaking" : "safe",
          details: breaking
            ? `removed: [${removed.join(", ")}], changed: [${changed.join(", ")}], newly required: [${newlyRequired.join(", ")}]`
            : "additive change",
        });
      }
    }
    for (const kind of Object.keys(a)) {
      if (!(kind in b)) changes[entity].push({ type: "removed", kind, entity, severity: "breaking", details: `${entity} kind removed` });
    }
  }
  const all = [...changes.node, ...changes.edge];
  return {
    fromVersion,
    toVersion: fromVersion + 1,
    nodes: changes.node,
    edges: changes.edge,
    hasBreakingChanges: all.some((c) => c.severity === "breaking"),
    hasChanges: all.length > 0,
    summary: all.map((c) => `${c.type} ${c.entity} ${c.kind}`).join("; ") || "no changes",
  };
}

/** Creates missing tables, records or checks the schema version, and returns the store with the outcome. */
export async function createStoreWithSchema<G extends GraphDef>(
  graph: G,
  backend: GraphBackend,
  options: { autoMigrate?: boolean; throwOnBreaking?: boolean } & StoreOptions = {},
): Promise<[Store<G>, SchemaValidationResult]> {
  await backend.bootstrap();
  const handle = await backend.register(engineGraph(graph));
  const store = new Store(graph, backend, handle, options);
  await backend.call(handle, "provisionSearch", {});
  for (let attempt = 0; ; attempt++) {
    const active = (await backend.call(handle, "getActiveSchema", {})) as { version: number; hash: string; doc: SerializedSchema } | null;
    const doc = serializeSchema(graph, active ? active.version + 1 : 1);
    const hash = computeSchemaHash(doc);
    try {
      if (!active) {
        const row = (await backend.call(handle, "commitSchema", { graphId: graph.id, expected: null, version: 1, hash, doc: JSON.stringify(doc) })) as {
          createdAt: string;
        };
        return [
          store,
          {
            status: "initialized",
            version: 1,
            committedRow: { graph_id: graph.id, version: 1, schema_hash: hash, schema_doc: JSON.stringify(doc), created_at: row.createdAt, is_active: true },
          },
        ];
      }
      if (active.hash === hash) return [store, { status: "unchanged", version: active.version }];
      const diff = diffSchemas(active.doc, doc, active.version);
      if (!diff.hasChanges) return [store, { status: "unchanged", version: active.version }];
      if (diff.hasBreakingChanges) {
        if (options.throwOnBreaking === false) {
          return [store, { status: "breaking", diff, actions: [...diff.nodes, ...diff.edges].filter((c) => c.severity === "breaking").map((c) => `${c.kind}: ${c.details}`) }];
        }
        throw new MigrationError(`Schema migration required: ${diff.summary}.`, {
          graphId: graph.id,
          fromVersion: active.version,
          toVersion: active.version + 1,
          reason: "breaking-change",
          diff,
        });
      }
      if (options.autoMigrate === false) return [store, { status: "pending", version: active.version, diff }];
      const row = (await backend.call(handle, "commitSchema", {
        graphId: graph.id,
        expected: active.version,
        version: active.version + 1,
        hash,
        doc: JSON.stringify(doc),
      })) as { createdAt: string };
      return [
        store,
        {
          status: "migrated",
          fromVersion: active.version,
          toVersion: active.version + 1,
          diff,
          committedRow: {
            graph_id: graph.id,
            version: active.version + 1,
            schema_hash: hash,
            schema_doc: JSON.stringify(doc),
            created_at: row.createdAt,
            is_active: true,
          },
        },
      ];
    } catch (error) {
      // Another process initialised or migrated first: re-read and decide again.
      if (error instanceof StaleVersionError && attempt < 3) continue;
      throw error;
    }
  }
}

export { ConfigurationError };
