// Stores and collections: zod validation here, everything else asked of the
// engine in one crossing per call.

import {
  probeContributions,
  rebuildContribution,
  repairContributions,
  verifyContributions,
  type ContributionDiagnostic,
  type ContributionProbeResult,
  type ContributionRebuildResult,
  type ContributionRebuildScope,
  type ContributionRepairResult,
  type ContributionStoreHost,
  type RebuildContributionOptions,
} from "./contributions.js";
import { jsonCopy } from "./json-copy.js";
import type { z } from "zod";
import { MergeStepError, PostgresBackend, SqliteBackend, type GraphBackend, type TransactionOptions, type TxToken } from "./backend.js";
import type { EdgeId, EdgeType, GraphDef, NodeId, NodeType, TemporalMode } from "./core.js";
import {
  ConfigurationError,
  KindNotFoundError,
  MigrationError,
  NodeNotFoundError,
  EdgeNotFoundError,
  StaleVersionError,
  TypeGraphError,
  UniquenessError,
  UnsupportedPredicateError,
  ValidationError,
  INVERTED_VALIDITY_WINDOW_CODE,
  type ValidationIssue,
} from "./errors.js";
import { entityAccessor, Predicate as PredicateClass, type FieldAccessor, type Predicate } from "./predicates.js";
import { computeSchemaHash, engineGraph, serializeSchema, type SerializedSchema } from "./schema.js";
import { computeSchemaDiff, getMigrationActions, type NodeChange, type SchemaDiff } from "./schema-diff.js";
import { withStoredExtension } from "./extension/compile.js";
import type { GraphExtension } from "./extension/types.js";
import * as evolution from "./store-evolve.js";
import type { SchemaIntrospection } from "./evolve.js";
import { createQueryBuilder, QueryBuilder } from "./query/builder.js";
import { checkUpdateWhere, runUpdateWhere, type UpdateWhereParams, type UpdateWhereResult } from "./update-where.js";
import { OperationHooks, freshEntityId, type StoreHooks } from "./hooks.js";
import { ReceiptRecorder, countingContext, type MeasurableTransactionContext, type TransactionOutcome } from "./receipt.js";
import { storedProps } from "./stored-dates.js";
import type { TraversalExpansion } from "./query/types.js";
import { StoreSearch } from "./search.js";
import { IDENTITY_PORT, attachInterchangeSeam, rebuildClosureWith, createIdentityFacade, createIdentityReadFacade, identityNotEnabled, identityOf, type IdentityFacade, type IdentityPort, type IdentityReadFacade } from "./identity.js";
import { batchable, runBatch, type BatchableQuery, type BatchResults, type BatchTarget } from "./batch.js";
import { planIndexProbe, type NodeBulkFindByIndexOptions } from "./find-by-index.js";
import {
  checkLimitPerInput,
  endpointSetArgs,
  endpointSetUnsupported,
  readEndpointSets,
  readHeterogeneousEndpointSet,
  resolveSources,
  type BulkFindEdgesFromParams,
  type BulkFindEdgesFromResult,
  type EdgeBulkFindEndpointOptions,
} from "./edge-sets.js";
import type { EdgeKinds, NodeKinds } from "./type-helpers.js";
import { createGraphAlgorithms, type GraphAlgorithms } from "./algorithms.js";
import { StoreView, type StoreViewCoordinate } from "./store-view.js";
import { checkRecordedNames, checkRecordedReadOption, checkSchemaOption, type ExternalRecordedReadSource, type SqlSchema } from "./sql-schema.js";
import { RecordedStoreView, createRecordedInstant, rawSqlDisabled, revisionRawSqlDisabled, type RecordedHost, type RecordedInstant } from "./recorded.js";

/** The engine handle of `handle`'s definition with recorded-time capture on. */
function withHistory(backend: GraphBackend, handle: Promise<number> | number, options: StoreOptions = { history: true }): Promise<number> | number {
  const b = backend as unknown as { historyHandle?: (h: number, flags?: Readonly<Record<string, true>>) => Promise<number> | number };
  const flags: Readonly<Record<string, true>> = options.history === true ? { history: true } : { revisionTracking: true };
  if (typeof b.historyHandle !== "function") {
    const option = options.history === true ? "history: true" : "revisionTracking: true";
    throw new ConfigurationError(`${option} needs one of this package's SQLite or PostgreSQL backends`, { code: "RECORDED_CAPTURE_UNSUPPORTED_BACKEND" });
  }
  return typeof handle === "number" ? b.historyHandle(handle, flags) : handle.then((h) => b.historyHandle!(h, flags));
}

/** Whether writes of a store with these options advance the recorded clock. */
function ticksClock(options: StoreOptions): boolean {
  return options.history === true || options.revisionTracking === true;
}
import { checkIdentityCall, requireRecursiveTraversal } from "./recursion-capability.js";
import { runSubgraph, type SubgraphOptions, type SubgraphProject, type SubgraphResult } from "./subgraph.js";
import { systemIndexEntries, type MaterializeSystemIndexesOptions } from "./system-indexes.js";
import { generateIndexDDL, indexSignature, vectorPhysicalName, type IndexDeclaration } from "./indexes.js";
import { DEFAULT_TABLE_NAMES, reservedIndexNames, type TypeGraphTableNames } from "./table-names.js";

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

/** A read's temporal arguments; `fallback` is the graph's `defaults.temporalMode` (absent when "current"). */
function temporal(arg: TemporalArg, fallback?: TemporalMode): { temporalMode?: string; asOf?: string } {
  if (arg === undefined) return fallback === undefined ? {} : { temporalMode: fallback };
  if (typeof arg === "string") return { temporalMode: arg };
  const asOf = arg.asOf instanceof Date ? arg.asOf.toISOString() : arg.asOf;
  return { temporalMode: arg.temporalMode ?? (asOf ? "asOf" : fallback), asOf };
}

function instant(v: string | Date | undefined): string | undefined {
  return v instanceof Date ? v.toISOString() : v;
}

function zodIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message, code: i.code }));
}

const protoSafe = new WeakMap<object, boolean>();

/** A plain object schema none of whose fields is named like an Object.prototype member reads a
 *  plain input object exactly as it reads an own-keys copy: the copy (costly per bulk row) is skipped. */
function prototypeSafe(schema: z.ZodType): boolean {
  let safe = protoSafe.get(schema);
  if (safe === undefined) {
    const def = (schema as unknown as { _zod?: { def?: { type?: string; shape?: Record<string, unknown> } } })._zod?.def;
    const shape = def?.type === "object" ? def.shape : undefined;
    safe = shape !== undefined && shape !== null && Object.keys(shape).every((k) => !(k in Object.prototype));
    protoSafe.set(schema, safe);
  }
  return safe;
}

const fieldKeys = new WeakMap<object, readonly string[] | null>();

/**
 * Whether `props` give every field of `schema` (own keys), so that a merge over any stored props
 * validates exactly as `props` alone: a plain object schema without a catchall reads only its
 * fields (unknown keys are dropped, refinements see the parsed fields), and each field is then
 * taken from `props`. Such an item needs no stored props from the engine.
 */
function replacesAll(schema: z.ZodType, props: unknown): boolean {
  let keys = fieldKeys.get(schema);
  if (keys === undefined) {
    const def = (schema as unknown as { _zod?: { def?: { type?: string; shape?: Record<string, unknown>; catchall?: unknown } } })._zod?.def;
    keys = def?.type === "object" && def.catchall === undefined && def.shape ? Object.keys(def.shape) : null;
    fieldKeys.set(schema, keys);
  }
  if (keys === null || props === null || typeof props !== "object") return false;
  const proto = Object.getPrototypeOf(props);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k of keys) if (!Object.prototype.hasOwnProperty.call(props, k)) return false;
  return true;
}

function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
  ctx: { entityType: "node" | "edge"; kind: string; operation: "create" | "update"; id?: string },
): z.output<S> {
  // Props are data: parse an own-keys copy, so a field named like an Object.prototype member
  // ("constructor", "toString") reads as absent when absent, not as the inherited function.
  const data =
    input !== null && typeof input === "object" && Object.getPrototypeOf(input) === Object.prototype && !prototypeSafe(schema)
      ? Object.assign(Object.create(null) as object, input)
      : input;
  const result = schema.safeParse(data);
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
  /** `coalesceUnchangedUpserts`: an upsert that changes nothing writes nothing. */
  readonly coalesce?: boolean;
  /** The graph's `defaults.temporalMode` for collection reads, when it is not "current". */
  readonly temporalDefault?: TemporalMode;
  /** The store's operation hooks, when any is set (buffered until commit inside a transaction). */
  readonly ops?: OperationHooks;
}

/** Runs a single-entity write under the runner's operation hooks (directly when there are none). */
function hooked<T>(r: Runner, operation: "create" | "update" | "delete", entity: "node" | "edge", kind: string, id: string, fn: () => Promise<T>): Promise<T> {
  return r.ops ? r.ops.run(operation, entity, kind, id, fn) : fn();
}

/** Calls the runner's post-bulk hook (autocommit only; never inside a transaction). */
async function bulkCreated(r: Runner, rows: number): Promise<void> {
  if (!r.tx && r.afterBulkCreate) await r.afterBulkCreate(rows);
}

function run(r: Runner, op: string, args: unknown): Promise<unknown> {
  return r.backend.call(r.handle, op, args, r.tx);
}

const NOT_NOW: unique symbol = Symbol("notNow");

/** `run` on a backend that answers synchronously (SQLite's `callSync`): the answer itself, or
 *  {@link NOT_NOW} when the backend only answers by promise (PostgreSQL). Throws as `run` rejects. */
function callNow(r: Runner, op: string, args: unknown): unknown {
  const backend = r.backend as { callSync?: (graph: number, op: string, args: unknown, tx?: TxToken) => unknown };
  const sync = backend.callSync;
  if (sync === undefined) return NOT_NOW;
  return sync.call(r.backend, r.handle, op, args, r.tx && r.tx.open ? r.tx : undefined);
}

function withoutOps(r: Runner): Runner {
  const { ops: _ops, ...rest } = r;
  return rest;
}

/** Runs `fn` in one transaction: the caller's when there is one, else a fresh one. */
async function atomically<T>(r: Runner, fn: (r: Runner) => Promise<T>): Promise<T> {
  // Batch work reports no per-item operation hooks (as upstream), inside a transaction too.
  if (r.tx && r.tx.open) return fn(r.ops ? withoutOps(r) : r);
  const token = await r.backend.begin();
  let result: T;
  try {
    result = await fn({ backend: r.backend, handle: r.handle, tx: token, coalesce: r.coalesce, ...(r.temporalDefault ? { temporalDefault: r.temporalDefault } : {}) });
  } catch (error) {
    await r.backend.end(token, false);
    throw error;
  }
  await r.backend.end(token, true);
  return result;
}

/**
 * Collections are handed around as plain method bags upstream (`const { create } = store.nodes.X`
 * works there): bind each prototype method to the instance so detached calls work here too.
 */
function bindMethods(instance: object, proto: object): void {
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name === "constructor") continue;
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (d && typeof d.value === "function") Object.defineProperty(instance, name, { value: d.value.bind(instance), writable: true, configurable: true });
  }
}

export class NodeCollection<N extends NodeType = NodeType> {
  readonly #r: Runner;
  readonly #type: N;
  readonly #kind: string;
  readonly #graph: GraphDef | undefined;

  /** @internal */
  constructor(runner: Runner, kind: string, type: N, graph?: GraphDef) {
    this.#r = runner;
    this.#kind = kind;
    this.#type = type;
    this.#graph = graph;
    bindMethods(this, NodeCollection.prototype);
  }

  get kind(): N["kind"] {
    return this.#kind;
  }

  /**
   * Updates every current, live node the selector picks (`where`, `exists` relationship
   * predicates, or the explicit `all: true`) with a shallow `patch`, in one transaction; each
   * complete after-image is validated and any invalid one rolls the whole update back.
   */
  async updateWhere(params: UpdateWhereParams<z.input<N["schema"]>, Record<keyof z.output<N["schema"]> | "id" | "kind", FieldAccessor>>): Promise<UpdateWhereResult> {
    const graph = this.#graph;
    if (!graph) throw new ValidationError(`updateWhere is not available on ${this.#kind} here`, { issues: [{ path: "updateWhere", message: "no graph" }] });
    checkUpdateWhere(graph, this.#kind, params as UpdateWhereParams);
    if (this.#r.ops) {
      const ops = this.#r.ops;
      return ops.runBulk(this.#kind, () => this.#updateWhere(graph, params as UpdateWhereParams));
    }
    return this.#updateWhere(graph, params as UpdateWhereParams);
  }

  #updateWhere(graph: GraphDef, params: UpdateWhereParams): Promise<UpdateWhereResult> {
    return atomically(this.#r, (r) =>
      runUpdateWhere(
        {
          backend: r.backend,
          handle: r.handle,
          tx: r.tx!,
          graph,
          kind: this.#kind,
          validate: (props, id, index) => validateAt(this.#type.schema, props, { entityType: "node", kind: this.#kind, operation: "update", id }, index) as Record<string, unknown>,
          stored: (props) => storedProps(this.#type.schema, props),
        },
        params as UpdateWhereParams,
      ),
    );
  }

  create(props: z.input<N["schema"]>, options: { id?: string; validFrom?: string | Date; validTo?: string | Date } = {}): Promise<Node<N>> {
    if (this.#r.ops) {
      const id = options.id ?? freshEntityId();
      return hooked(this.#r, "create", "node", this.#kind, id, () => this.#create(props, { ...options, id }));
    }
    return this.#create(props, options);
  }

  /** A create of props already parsed by the kind's schema (not parsed again), hooks as `create`. */
  #createParsed(data: unknown): Promise<Node<N>> {
    if (this.#r.ops) {
      const id = freshEntityId();
      return hooked(this.#r, "create", "node", this.#kind, id, () => this.#create(data as z.input<N["schema"]>, { id }, true));
    }
    return this.#create(data as z.input<N["schema"]>, {}, true);
  }

  #create(props: z.input<N["schema"]>, options: { id?: string; validFrom?: string | Date; validTo?: string | Date }, parsed = false): Promise<Node<N>> {
    try {
      const data = parsed ? props : validate(this.#type.schema, props, { entityType: "node", kind: this.#kind, operation: "create" });
      const args = {
        kind: this.#kind,
        id: options.id,
        props: data,
        validFrom: instant(options.validFrom),
        validTo: instant(options.validTo),
      };
      // A synchronous backend (SQLite) answers in the call itself: one settled promise, no chain.
      const row = callNow(this.#r, "createNode", args);
      if (row !== NOT_NOW) return Promise.resolve(toNode(row as NodeRow) as Node<N>);
      return run(this.#r, "createNode", args).then((row) => toNode(row as NodeRow) as Node<N>);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  getById(id: string, options?: TemporalArg): Promise<Node<N> | undefined> {
    const r = this.#r;
    const backend = r.backend as {
      callSync?: (graph: number, op: string, args: unknown, tx?: TxToken) => unknown;
      getNodeSync?: (graph: number, kind: string, id: string, tx?: TxToken) => unknown;
    };
    const sync = backend.callSync;
    try {
      if (options === undefined && r.temporalDefault === undefined && typeof id === "string" && backend.getNodeSync !== undefined) {
        // SQLite, current read: kind and id cross as they are (no argument object).
        const row = backend.getNodeSync(r.handle, this.#kind, id, r.tx && r.tx.open ? r.tx : undefined);
        return Promise.resolve(row === null ? undefined : (toNode(row as NodeRow) as Node<N>));
      }
      // A synchronous backend (SQLite) answers in the call itself: one settled promise, no chain.
      const args = options === undefined && r.temporalDefault === undefined ? { kind: this.#kind, id } : { kind: this.#kind, id, ...temporal(options, r.temporalDefault) };
      if (sync === undefined) return run(r, "getNode", args).then((row) => (row === null ? undefined : (toNode(row as NodeRow) as Node<N>)));
      const row = sync.call(r.backend, r.handle, "getNode", args, r.tx && r.tx.open ? r.tx : undefined);
      return Promise.resolve(row === null ? undefined : (toNode(row as NodeRow) as Node<N>));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async getByIds(ids: readonly string[], options?: TemporalArg): Promise<(Node<N> | undefined)[]> {
    if (ids.length === 0) return [];
    const rows = (await run(this.#r, "getNodes", { kind: this.#kind, ids, ...temporal(options, this.#r.temporalDefault) })) as (NodeRow | null)[];
    return rows.map((r) => (r === null ? undefined : (toNode(r) as Node<N>)));
  }

  async find(
    options: { where?: (n: Record<keyof z.output<N["schema"]> | "id" | "kind", FieldAccessor>) => Predicate; limit?: number; offset?: number } = {},
    temporalOptions?: TemporalArg,
  ): Promise<Node<N>[]> {
    const where = options.where
      ? options.where(entityAccessor(this.#type.schema.shape, ["id", "kind"]) as never).ast
      : undefined;
    if (where && this.#graph) {
      // As upstream: a filtered find is a query (same compiler, same row order).
      const t = temporal(temporalOptions, this.#r.temporalDefault);
      let q = createQueryBuilder<GraphDef>({ graph: this.#graph, backend: this.#r.backend, handle: this.#r.handle, ...(this.#r.tx ? { tx: this.#r.tx } : {}) }).from(this.#kind, "_n");
      if (t.temporalMode !== undefined || t.asOf !== undefined) q = q.temporal((t.temporalMode ?? "asOf") as TemporalMode, t.asOf);
      let e = q.whereNode("_n", () => new PredicateClass(where)).select((ctx) => (ctx as Record<string, unknown>)._n);
      if (options.limit !== undefined) e = e.limit(options.limit);
      if (options.offset !== undefined) e = e.offset(options.offset);
      return (await e.execute()) as Node<N>[];
    }
    const rows = (await run(this.#r, "findNodes", {
      kind: this.#kind,
      where,
      limit: options.limit,
      offset: options.offset,
      ...temporal(temporalOptions, this.#r.temporalDefault),
    })) as NodeRow[];
    return rows.map((r) => toNode(r) as Node<N>);
  }

  async count(options?: TemporalArg): Promise<number> {
    return (await run(this.#r, "countNodes", { kind: this.#kind, ...temporal(options, this.#r.temporalDefault) })) as number;
  }

  update(
    id: string,
    patch: Partial<z.input<N["schema"]>>,
    options: { validTo?: string | Date; clearValidTo?: boolean } = {},
  ): Promise<Node<N>> {
    if (this.#r.ops) {
      // A refused option is an operation that failed: reported through the hooks like any other.
      return hooked(this.#r, "update", "node", this.#kind, id, async () => {
        checkWindowOptions(options, { entityType: "node", kind: this.#kind, id, operation: "update" }, undefined, this.#r);
        return this.#updateRow(id, patch, options);
      });
    }
    try {
      checkWindowOptions(options, { entityType: "node", kind: this.#kind, id, operation: "update" }, undefined, this.#r);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#update(id, patch, options);
  }

  /** The in-place update behind `update` and the live branch of `upsertById`. */
  #update(id: string, patch: Partial<z.input<N["schema"]>>, options: UpsertWindowOptions): Promise<Node<N>> {
    if (this.#r.ops) return hooked(this.#r, "update", "node", this.#kind, id, () => this.#updateRow(id, patch, options));
    return this.#updateRow(id, patch, options);
  }

  #updateRow(id: string, patch: Partial<z.input<N["schema"]>>, options: UpsertWindowOptions): Promise<Node<N>> {
    const withMerge = this.#r.backend instanceof SqliteBackend && this.#r.handle >= 0 ? this.#r.backend : undefined;
    if (withMerge) {
      // One call: the engine reads the row and calls back with its stored props for the merge
      // and zod validation; the written row comes back without props (they are the merged ones).
      try {
        const row = withMerge.updateNodeWith(this.#r.handle, this.#kind, id, windowStated(options) ? windowArgs(options) : undefined, this.#r.tx, (stored) =>
          validate(this.#type.schema, { ...storedProps(this.#type.schema, stored), ...patch }, { entityType: "node", kind: this.#kind, operation: "update", id }),
        );
        return Promise.resolve(toNode(row as NodeRow) as Node<N>);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return withRetry(async () => {
      const current = (await run(this.#r, "getNode", { kind: this.#kind, id, temporalMode: "includeTombstones" })) as NodeRow | null;
      if (current === null) throw new NodeNotFoundError(this.#kind, id);
      const merged = { ...storedProps(this.#type.schema, current[2]), ...patch };
      const data = validate(this.#type.schema, merged, { entityType: "node", kind: this.#kind, operation: "update", id });
      if (current[8] !== null) throw new NodeNotFoundError(this.#kind, id);
      const row = await run(this.#r, "updateNode", {
        kind: this.#kind,
        id,
        props: data,
        expectedVersion: current[3],
        ...windowArgs(options),
      });
      return toNode(row as NodeRow) as Node<N>;
    });
  }

  /**
   * `create` for data whose shape is only known at runtime (imports, changesets): the input is an
   * untyped record, checked by the kind's zod schema as every create is; the result is typed.
   */
  createFromRecord(data: Record<string, unknown>, options: { id?: string; validFrom?: string | Date; validTo?: string | Date } = {}): Promise<Node<N>> {
    return this.create(data as z.input<N["schema"]>, options);
  }

  /**
   * Creates the node, merges into the live one (a stated `validFrom` must be the one it holds,
   * unless `onImmutableLowerBound: "preserve"`), or resurrects a tombstone with a fresh window.
   */
  async upsertById(id: string, props: z.input<N["schema"]>, options: UpsertWindowOptions = {}): Promise<Node<N>> {
    checkWindowOptions(options, { entityType: "node", kind: this.#kind, id, operation: "update" }, undefined, this.#r);
    return withRetry(async () => {
      const current = (await run(this.#r, "getNode", { kind: this.#kind, id, temporalMode: "includeTombstones" })) as NodeRow | null;
      if (current !== null && current[8] === null) {
        if (this.#r.coalesce) {
          // Props the schema refuses are left to the write path, which reports them (hooks included).
          let data: unknown;
          try {
            data = validate(this.#type.schema, { ...storedProps(this.#type.schema, current[2]), ...props }, { entityType: "node", kind: this.#kind, operation: "update", id });
          } catch {
            data = undefined;
          }
          if (data !== undefined && unchanged(current[2], current[4], current[5], data, options)) return toNode(current) as Node<N>;
        }
        return this.#update(id, props as Partial<z.input<N["schema"]>>, options);
      }
      // Missing: create. Tombstone: merge over its props and resurrect with a fresh window.
      return hooked(this.#r, current === null ? "create" : "update", "node", this.#kind, id, async () => {
        const merged = current === null ? props : { ...storedProps(this.#type.schema, current[2]), ...props };
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
    });
  }

  /** `upsertById` for untyped data (checked by the kind's schema at runtime). */
  upsertByIdFromRecord(id: string, data: Record<string, unknown>, options: UpsertWindowOptions = {}): Promise<Node<N>> {
    return this.upsertById(id, data as z.input<N["schema"]>, options);
  }

  async delete(id: string): Promise<void> {
    if (this.#r.ops) {
      // As upstream: deleting an absent or already deleted node is a no-op that reports nothing.
      const gate = (await run(this.#r, "getNode", { kind: this.#kind, id, temporalMode: "includeTombstones" })) as NodeRow | null;
      if (gate === null || gate[8] !== null) return;
      return hooked(this.#r, "delete", "node", this.#kind, id, async () => void (await run(this.#r, "deleteNode", { kind: this.#kind, id })));
    }
    await run(this.#r, "deleteNode", { kind: this.#kind, id });
  }

  async hardDelete(id: string): Promise<void> {
    if (this.#r.ops) {
      const gate = (await run(this.#r, "getNode", { kind: this.#kind, id, temporalMode: "includeTombstones" })) as NodeRow | null;
      if (gate === null) return;
      return hooked(this.#r, "delete", "node", this.#kind, id, async () => void (await run(this.#r, "hardDeleteNode", { kind: this.#kind, id })));
    }
    await run(this.#r, "hardDeleteNode", { kind: this.#kind, id });
  }

  /** A create batch as columns (one array per field): serialises and parses far cheaper than one object per item. */
  #bulkColumns(items: readonly BulkNodeItem<N>[]) {
    const ids: (string | null)[] = [];
    const props: unknown[] = [];
    let validFrom: (string | null)[] | undefined;
    let validTo: (string | null)[] | undefined;
    const ctx = { entityType: "node", kind: this.#kind, operation: "create" } as const;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      ids.push(item.id ?? null);
      props.push(validateAt(this.#type.schema, item.props, ctx, i));
      if (item.validFrom !== undefined) (validFrom ??= new Array<string | null>(items.length).fill(null))[i] = instant(item.validFrom)!;
      if (item.validTo !== undefined) (validTo ??= new Array<string | null>(items.length).fill(null))[i] = instant(item.validTo)!;
    }
    return { ids, props, ...(validFrom ? { validFrom } : {}), ...(validTo ? { validTo } : {}) };
  }

  /** Creates many nodes atomically in one call; returns them in input order. */
  async bulkCreate(items: readonly BulkNodeItem<N>[]): Promise<Node<N>[]> {
    if (items.length === 0) return [];
    const rows = (await run(this.#r, "bulkCreateNodes", { kind: this.#kind, ...this.#bulkColumns(items), returning: true })) as NodeRow[];
    await bulkCreated(this.#r, items.length);
    return rows.map((r) => toNode(r) as Node<N>);
  }

  /** The fast path: like bulkCreate, without reading the rows back. */
  async bulkInsert(items: readonly BulkNodeItem<N>[]): Promise<void> {
    if (items.length === 0) return;
    await run(this.#r, "bulkCreateNodes", { kind: this.#kind, ...this.#bulkColumns(items), returning: false });
    await bulkCreated(this.#r, items.length);
  }

  /**
   * Creates missing ids, merges into live ones, resurrects tombstones. Equivalent to the items
   * applied one by one as `upsertById`: a repeated id is created by its first copy and updated
   * by each later one (each position returns the row as of its own item); atomic.
   */
  async bulkUpsertById(items: readonly BulkNodeUpsertItem<N>[]): Promise<Node<N>[]> {
    if (items.length === 0) return [];
    items.forEach((item, index) =>
      checkWindowOptions(item, { entityType: "node", kind: this.#kind, id: item.id, operation: "update" }, index, this.#r),
    );
    const rounds = upsertRounds(items.map((i) => i.id));
    const writes: NodeRoundWrites = { count: 0, stamped: new Set() };
    let out: Node<N>[];
    if (rounds.length === 1) {
      out = await this.#upsertRound(this.#r, items, rounds[0]!, new Map(), writes);
    } else {
      out = new Array(items.length);
      // The last result per id: a later copy that changes nothing resolves to that same object.
      const last = new Map<string, Node<N>>();
      await atomically(this.#r, async (r) => {
        for (const positions of rounds) {
          const rows = await this.#upsertRound(r, items, positions, last, writes);
          positions.forEach((p, j) => {
            out[p] = rows[j]!;
            last.set(items[p]!.id, rows[j]!);
          });
        }
      });
    }
    await bulkCreated(this.#r, writes.count);
    return out;
  }

  /** One set-based `bulkUpsertById` call for items of distinct ids (their positions in `items`). */
  async #upsertRound(
    r: Runner,
    items: readonly BulkNodeUpsertItem<N>[],
    positions: readonly number[],
    last: ReadonlyMap<string, Node<N>>,
    writes: NodeRoundWrites,
  ): Promise<Node<N>[]> {
    const ids = positions.map((p) => items[p]!.id);
    // A runner whose handle is still pending (-1) goes the general way.
    if (r.backend instanceof SqliteBackend && r.handle >= 0) return this.#upsertRoundWith(r.backend, r, items, positions, ids, last, writes);
    // PostgreSQL: one engine call too (rows read under a row lock, merged here when called back);
    // a batch whose live rows changed under it anyway is run again as a whole.
    if (r.backend instanceof PostgresBackend && r.handle >= 0) {
      const backend = r.backend;
      return withRetry(() => this.#upsertRoundWith(backend, r, items, positions, ids, last, writes));
    }
    // Each item carries the version it was merged over: a row changed in between is merged again.
    return withRetry(async () => {
      const current = (await run(r, "getNodes", { kind: this.#kind, ids, temporalMode: "includeTombstones" })) as (NodeRow | null)[];
      const out: (Node<N> | undefined)[] = new Array(positions.length);
      const written: number[] = [];
      const merged = [];
      for (const [i, p] of positions.entries()) {
        const item = items[p]!;
        const base = current[i];
        const props = base ? { ...storedProps(this.#type.schema, base[2]), ...(item.props as Record<string, unknown>) } : item.props;
        const operation = base && base[8] === null ? "update" : "create";
        const data = validateAt(this.#type.schema, props, { entityType: "node", kind: this.#kind, operation, ...(operation === "update" ? { id: item.id } : {}) }, p);
        if (!(base && base[8] === null) && item.validFrom === undefined) writes.stamped.add(item.id);
        if (r.coalesce && base && base[8] === null && !boundUnknown(writes, item) && unchanged(base[2], base[4], base[5], data, item)) {
          out[i] = last.get(item.id) ?? (toNode(base) as Node<N>);
          continue;
        }
        written.push(i);
        merged.push({
          id: item.id,
          props: data,
          validFrom: instant(item.validFrom),
          validTo: instant(item.validTo),
          clearValidTo: item.clearValidTo === true,
          preserveValidFrom: item.onImmutableLowerBound === "preserve",
          fenced: true,
          expectedVersion: base ? base[3] : null,
        });
      }
      if (merged.length > 0) {
        let rows: NodeRow[];
        try {
          rows = (await run(r, "bulkUpsertNodes", { kind: this.#kind, items: merged, returning: true })) as NodeRow[];
        } catch (error) {
          throw reindexed(error, written.map((i) => positions[i]!));
        }
        const byId = new Map(rows.map((row) => [row[1], toNode(row) as Node<N>]));
        for (const i of written) out[i] = byId.get(ids[i]!)!;
        writes.count += merged.length;
      }
      return out as Node<N>[];
    });
  }

  /**
   * One round as one engine call. The engine reads the stored rows inside its transaction (on
   * PostgreSQL under a row lock) and calls back once for the merge, zod validation and coalescing
   * below; the writes follow in the same transaction, so no version fence is needed. Synchronous
   * on SQLite, a promise on PostgreSQL.
   */
  #upsertRoundWith(
    backend: SqliteBackend,
    r: Runner,
    items: readonly BulkNodeUpsertItem<N>[],
    positions: readonly number[],
    ids: readonly string[],
    last: ReadonlyMap<string, Node<N>>,
    writes: NodeRoundWrites,
  ): Node<N>[];
  #upsertRoundWith(
    backend: PostgresBackend,
    r: Runner,
    items: readonly BulkNodeUpsertItem<N>[],
    positions: readonly number[],
    ids: readonly string[],
    last: ReadonlyMap<string, Node<N>>,
    writes: NodeRoundWrites,
  ): Promise<Node<N>[]>;
  #upsertRoundWith(
    backend: SqliteBackend | PostgresBackend,
    r: Runner,
    items: readonly BulkNodeUpsertItem<N>[],
    positions: readonly number[],
    ids: readonly string[],
    last: ReadonlyMap<string, Node<N>>,
    writes: NodeRoundWrites,
  ): Node<N>[] | Promise<Node<N>[]> {
    const out: (Node<N> | undefined)[] = new Array(positions.length);
    const written: number[] = [];
    // The items sent: the engine stores their props as sent and returns the rows without them.
    let sent: { props: unknown }[] = [];
    // The stored rows the merge got (props `null` where the item replaces every field).
    let bases: unknown[] = [];
    const merge = (current: unknown[]) => {
        written.length = 0;
        bases = current;
        const merged = [];
        for (let i = 0; i < positions.length; i++) {
          const p = positions[i]!;
          const item = items[p]!;
          const base = current[i] as NodeRow | null;
          const live = base !== null && base[8] === null;
          const props =
            base && base[2] !== null ? { ...storedProps(this.#type.schema, base[2]), ...(item.props as Record<string, unknown>) } : item.props;
          const data = validateAt(
            this.#type.schema,
            props,
            live ? { entityType: "node", kind: this.#kind, operation: "update", id: item.id } : { entityType: "node", kind: this.#kind, operation: "create" },
            p,
          );
          if (!live && item.validFrom === undefined) writes.stamped.add(item.id);
          if (r.coalesce && live && !boundUnknown(writes, item) && unchanged(base[2], base[4], base[5], data, item)) {
            out[i] = last.get(item.id) ?? (toNode(base) as Node<N>);
            continue;
          }
          written.push(i);
          // Options at their defaults are left out (fewer keys to write and read back).
          const sentItem: { id: string; props: unknown; validFrom?: string; validTo?: string; clearValidTo?: true; preserveValidFrom?: true } = { id: item.id, props: data };
          if (item.validFrom !== undefined) sentItem.validFrom = instant(item.validFrom);
          if (item.validTo !== undefined) sentItem.validTo = instant(item.validTo);
          if (item.clearValidTo === true) sentItem.clearValidTo = true;
          if (item.onImmutableLowerBound === "preserve") sentItem.preserveValidFrom = true;
          merged.push(sentItem);
        }
        sent = merged;
        return { items: merged };
    };
    const failed = (error: unknown): never => {
      if (error instanceof MergeStepError) throw error.cause;
      throw reindexed(error, written.map((i) => positions[i]!));
    };
    // The answer: `[now, …]`, per item written its row, or 0 for a create without a stated
    // window or a live row updated in place, rendered here from the row the merge got.
    const done = (answer: unknown[]): Node<N>[] => {
      const now = answer[0] as string;
      for (let j = 0; j < written.length; j++) {
        const i = written[j]!;
        const props = jsonCopy(sent[j]!.props) as NodeRow[2];
        const given = answer[j + 1];
        let row: NodeRow;
        if (given !== 0) {
          row = given as NodeRow;
          row[2] = props;
        } else {
          const base = bases[i] as NodeRow | null;
          row = base === null ? [this.#kind, ids[i]!, props, 1, now, null, now, now, null] : [base[0], base[1], props, base[3] + 1, base[4], base[5], base[6], now, null];
        }
        out[i] = toNode(row) as Node<N>;
      }
      writes.count += written.length;
      return out as Node<N>[];
    };
    // Stored props are only sent for items that do not replace every field (and all of them
    // when unchanged upserts are coalesced: that check compares them).
    const wanted = r.coalesce ? undefined : positions.map((p) => !replacesAll(this.#type.schema, items[p]!.props));
    const args = {
      kind: this.#kind,
      ids,
      returning: true,
      propsBack: false,
      compact: true,
      ...(wanted !== undefined && wanted.includes(false) ? { propsWanted: wanted } : {}),
    };
    if (backend instanceof PostgresBackend) {
      return backend.upsertNodesWith(r.handle, args, r.tx, merge).then((answer) => done(answer as unknown[]), failed);
    }
    let answer: unknown[];
    try {
      answer = backend.upsertNodesWith(r.handle, args, r.tx, merge) as unknown[];
    } catch (error) {
      return failed(error);
    }
    return done(answer);
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
   * The live nodes sharing each item's key under a declared node index: one array per item, in
   * input order, each ordered by node id. Only the index's `fields` form the key; a missing field
   * matches a stored NULL; the index's `where` applies. One engine call for the whole batch.
   */
  async bulkFindByIndex(
    indexName: string,
    items: readonly { props: Partial<z.input<N["schema"]>> }[],
    options?: NodeBulkFindByIndexOptions,
  ): Promise<readonly Node<N>[][]> {
    if (items.length === 0) return [];
    const plan = planIndexProbe(this.#graph, this.#kind, indexName, items, options);
    const buckets = (await run(this.#r, "findByIndex", plan.args)) as NodeRow[][];
    const nodes = buckets.map((rows) => rows.map((r) => toNode(r) as Node<N>));
    return plan.inputGroup.map((g) => [...nodes[g]!]);
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
    // Parsed once: the key is computed over the parsed props, and a create stores them as parsed.
    const data = validate(this.#type.schema, props, { entityType: "node", kind: this.#kind, operation: "create" });
    const root = this.#r;
    if (!root.ops && root.handle >= 0 && (root.backend instanceof SqliteBackend || root.backend instanceof PostgresBackend)) {
      const [one] = await this.#constraintWith(root.backend, root, constraint, [{ props }], [data], options.ifExists);
      return one!;
    }
    return this.#getOrCreateParsed(constraint, props, data, options);
  }

  async #getOrCreateParsed(
    constraint: string,
    props: z.input<N["schema"]>,
    data: unknown,
    options: { ifExists?: "return" | "update" },
  ): Promise<{ node: Node<N>; action: "created" | "found" | "updated" | "resurrected" }> {
    for (let attempt = 0; ; attempt++) {
      const [hit] = await this.#holders(constraint, [data]);
      try {
        if (!hit) return { node: await this.#createParsed(data), action: "created" };
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

  /**
   * `getOrCreateByConstraint` / `bulkGetOrCreateByConstraint` as one engine call: the engine keys
   * the parsed props under the constraint, reads each distinct key's holder (live first, then the
   * latest release; tombstones included; on PostgreSQL under a row lock) and calls back once; the
   * step below decides each item as the one-by-one path does and returns the writes (updates and
   * resurrections of holders, creates under fresh ids), applied in the same transaction. On
   * PostgreSQL a key another writer claimed in between fails the call, which is run again.
   */
  async #constraintWith(
    backend: SqliteBackend | PostgresBackend,
    r: Runner,
    constraint: string,
    items: readonly { props: z.input<N["schema"]> }[],
    data: readonly unknown[],
    ifExists: "return" | "update" | undefined,
  ): Promise<{ node: Node<N>; action: "created" | "found" | "updated" | "resurrected" }[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#constraintCall(backend, r, constraint, items, data, ifExists);
      } catch (error) {
        if (backend instanceof PostgresBackend && error instanceof UniquenessError && attempt < 3) continue;
        throw error;
      }
    }
  }

  #constraintCall(
    backend: SqliteBackend | PostgresBackend,
    r: Runner,
    constraint: string,
    items: readonly { props: z.input<N["schema"]> }[],
    data: readonly unknown[],
    ifExists: "return" | "update" | undefined,
  ): { node: Node<N>; action: "created" | "found" | "updated" | "resurrected" }[] | Promise<{ node: Node<N>; action: "created" | "found" | "updated" | "resurrected" }[]> {
    type Action = "created" | "found" | "updated" | "resurrected";
    // Per item: the node it resolved to without a write, the write it made, or the earlier item whose key it repeats.
    let plan: { action: Action; node?: Node<N>; write?: number; source?: number; base?: NodeRow }[] = [];
    let sent: { id: string; props: unknown }[] = [];
    let writtenAt: number[] = [];
    const decide = (hits: unknown[]) => {
      plan = [];
      sent = [];
      writtenAt = [];
      // Holders an earlier item of this batch revived: a later key they gave up finds nobody.
      const revived = new Set<string>();
      const write = (index: number, action: Action, item: { id: string; props: unknown }, base?: NodeRow) => {
        plan[index] = { action, write: sent.length, base };
        writtenAt.push(index);
        sent.push(item);
      };
      for (let index = 0; index < items.length; index++) {
        const hit = hits[index] as number | [NodeRow, boolean] | null;
        if (typeof hit === "number") {
          plan[index] = { action: "found", source: hit };
          continue;
        }
        if (hit === null || revived.has(hit[0][0] + "\u0000" + hit[0][1])) {
          write(index, "created", { id: freshEntityId(), props: data[index] });
          continue;
        }
        const [row, live] = hit;
        if (live && ifExists !== "update") {
          plan[index] = { action: "found", node: toNode(row) as Node<N> };
          continue;
        }
        // The holder is written under its own kind (a `kindWithSubClasses` scope may find a relative's node).
        const schema = row[0] === this.#kind ? this.#type.schema : (this.#graph?.nodes[row[0]]?.type.schema ?? this.#type.schema);
        // Props `null`: the item replaces every field (the engine sends them otherwise).
        const merged = validateAt(
          schema,
          row[2] === null ? items[index]!.props : { ...storedProps(schema, row[2]), ...(items[index]!.props as Record<string, unknown>) },
          live ? { entityType: "node", kind: row[0], operation: "update", id: row[1] } : { entityType: "node", kind: row[0], operation: "create" },
          index,
        );
        if (!live) revived.add(row[0] + "\u0000" + row[1]);
        write(index, live ? "updated" : "resurrected", { id: row[1], props: merged }, row);
      }
      return { items: sent };
    };
    const failed = (error: unknown): never => {
      if (error instanceof MergeStepError) throw error.cause;
      throw reindexed(error, writtenAt);
    };
    // The answer: `[now, …]`, per write its row, or 0 for a create or a live holder updated in
    // place, rendered here from the holder's row the step got.
    const done = (answer: unknown[]) => {
      const now = answer[0] as string;
      const out: { node: Node<N>; action: Action }[] = [];
      for (let index = 0; index < items.length; index++) {
        const p = plan[index]!;
        if (p.source !== undefined) {
          out.push({ node: out[p.source]!.node, action: "found" });
        } else if (p.write !== undefined) {
          const props = jsonCopy(sent[p.write]!.props) as NodeRow[2];
          const given = answer[p.write + 1];
          let row: NodeRow;
          if (given !== 0) {
            row = given as NodeRow;
            row[2] = props;
          } else {
            const base = p.base;
            row = base === undefined ? [this.#kind, sent[p.write]!.id, props, 1, now, null, now, now, null] : [base[0], base[1], props, base[3] + 1, base[4], base[5], base[6], now, null];
          }
          out.push({ node: toNode(row) as Node<N>, action: p.action });
        } else {
          out.push({ node: p.node!, action: p.action });
        }
      }
      return out;
    };
    // A holder merged into (`ifExists: "update"`, or a resurrection) needs no stored props when
    // the item gives every field; a found holder is returned with them.
    const wanted = ifExists === "update" ? items.map((item) => !replacesAll(this.#type.schema, item.props)) : undefined;
    const args = {
      entity: "nodeConstraint",
      kind: this.#kind,
      constraint,
      props: data,
      returning: true,
      propsBack: false,
      compact: true,
      ...(wanted !== undefined && wanted.includes(false) ? { propsWanted: wanted } : {}),
    };
    if (backend instanceof PostgresBackend) {
      return backend.upsertNodesWith(r.handle, args as unknown as { ids: readonly string[] }, r.tx, decide).then((answer) => done(answer as unknown[]), failed);
    }
    let answer: unknown[];
    try {
      answer = backend.upsertNodesWith(r.handle, args as unknown as { ids: readonly string[] }, r.tx, decide) as unknown[];
    } catch (error) {
      return failed(error);
    }
    return done(answer);
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
    // One engine call when no operation hook has to see each write (hooks run per item below).
    const root = this.#r;
    if (!root.ops && root.handle >= 0 && (root.backend instanceof SqliteBackend || root.backend instanceof PostgresBackend)) {
      return this.#constraintWith(root.backend, root, constraint, items, data, options.ifExists);
    }
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
        out.push(await c.#getOrCreateParsed(constraint, item.props, data[index], options));
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

/** Window options of the upsert and update-by-endpoints paths. */
export interface UpsertWindowOptions {
  validFrom?: string | Date;
  validTo?: string | Date;
  clearValidTo?: boolean;
  /** `"refuse"` (default): a `validFrom` a live row does not hold is refused; `"preserve"`: it only applies to creates and resurrections. */
  onImmutableLowerBound?: "refuse" | "preserve";
}

export type BulkNodeUpsertItem<N extends NodeType = NodeType> = BulkNodeItem<N> & {
  id: string;
  clearValidTo?: boolean;
  onImmutableLowerBound?: "refuse" | "preserve";
};

export type EndpointWriteOptions<E extends EdgeType = EdgeType> = UpsertWindowOptions & {
  matchOn?: readonly (keyof z.output<E["schema"]> & string)[];
  ifExists?: "return" | "update";
};

export type BulkEdgeUpsertItem<E extends EdgeType = EdgeType> = BulkEdgeItem<E> & {
  id: string;
  clearValidTo?: boolean;
  onImmutableLowerBound?: "refuse" | "preserve";
};

/** A backend whose capabilities say it cannot store a cleared `valid_to` (a custom or derived one). */
function clearValidToRefused(backend: GraphBackend): boolean {
  const caps = (backend as { capabilities?: { clearValidTo?: unknown } }).capabilities;
  return caps !== undefined && caps !== null && caps.clearValidTo === false;
}

/** `validTo` and `clearValidTo` are exclusive; a malformed policy is refused; an explicit clear is
 *  refused on a backend that does not promise to apply it. */
function checkWindowOptions(
  options: UpsertWindowOptions,
  ctx: { entityType: "node" | "edge"; kind: string; id?: string; operation: string },
  index?: number,
  r?: Runner,
): void {
  const at = index === undefined ? "" : ` (item ${index})`;
  const where = index === undefined ? {} : { index };
  if (options.clearValidTo === true && r !== undefined && clearValidToRefused(r.backend)) {
    throw new ConfigurationError(`clearValidTo is not available on this backend: it does not declare capabilities.clearValidTo${at}`, {
      code: "CLEAR_VALID_TO_UNSUPPORTED",
      ...ctx,
      ...where,
    });
  }
  if (options.validTo !== undefined && options.clearValidTo === true) {
    throw new ValidationError(`validTo and clearValidTo cannot be combined${at}`, {
      ...ctx,
      ...where,
      issues: [{ path: "clearValidTo", message: "validTo and clearValidTo cannot be combined" }],
    });
  }
  const policy = options.onImmutableLowerBound;
  if (policy !== undefined && policy !== "refuse" && policy !== "preserve") {
    throw new ValidationError(`onImmutableLowerBound must be "refuse" or "preserve"${at}`, {
      ...ctx,
      ...where,
      issues: [{ path: "onImmutableLowerBound", message: 'Expected "refuse" or "preserve"' }],
    });
  }
  // Stated bounds are checked before any branch is chosen (a found row must not hide a malformed
  // bound); the message is the same for a single call and a batch item (the index is in details).
  for (const field of ["validFrom", "validTo"] as const) {
    const value = options[field];
    if (value === undefined) continue;
    const text = value instanceof Date ? (Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString()) : value;
    if (typeof text !== "string" || canonicalInstant(text) === undefined) {
      throw new ValidationError(`Invalid canonical ISO 8601 datetime for "${field}": "${String(text)}". Expected fixed-width UTC: YYYY-MM-DDTHH:mm:ss.sssZ`, {
        ...ctx,
        ...where,
        issues: [{ path: field, message: `Expected canonical UTC ISO 8601 (YYYY-MM-DDTHH:mm:ss.sssZ), got: "${String(text)}"` }],
      });
    }
  }
  // A stated pair must be ordered, whichever branch (create, update, found) the write then takes.
  // Under "preserve" a live row keeps its own lower bound: the engine judges the kept window.
  const from = options.validFrom === undefined || policy === "preserve" ? undefined : instant(options.validFrom);
  const to = options.validTo === undefined ? undefined : instant(options.validTo);
  if (from !== undefined && to !== undefined && to < from) {
    throw new ValidationError(`Inverted validity window: validTo ${to} is earlier than validFrom ${from}`, {
      ...ctx,
      ...where,
      issues: [{ path: "validTo", message: "validTo must not be earlier than validFrom", code: INVERTED_VALIDITY_WINDOW_CODE }],
    });
  }
}

/** JSON text with object keys sorted: equal for values equal regardless of key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** An instant in its stored (fixed-width UTC) form, or undefined when it is not in that form (the write path then reports it). */
function canonicalInstant(value: string | Date | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  const t = Date.parse(value);
  if (Number.isNaN(t)) return undefined;
  const canonical = new Date(t).toISOString();
  return canonical === value ? canonical : undefined;
}

/** Writes of one node `bulkUpsertById`: the count, and the ids an earlier round of the batch
 *  created (or resurrected) with the lower bound the engine stamps. */
interface NodeRoundWrites {
  count: number;
  readonly stamped: Set<string>;
}

/** A later copy of an id the batch created without a stated lower bound: the stamped bound was
 *  not the batch's to know, so a copy stating `validFrom` is a write (as when applied one by
 *  one against a bound it could not have read), never coalesced. */
function boundUnknown(writes: NodeRoundWrites, item: { readonly id: string; readonly validFrom?: unknown }): boolean {
  return item.validFrom !== undefined && writes.stamped.has(item.id);
}

/**
 * `coalesceUnchangedUpserts`: whether an upsert of the validated `data` with `options` over a
 * live row (its props and window) would change nothing. A stated bound that is malformed, or a
 * lower bound the row does not hold (without "preserve"), is never coalesced: the write path
 * reports it.
 */
function unchanged(
  stored: Record<string, unknown>,
  storedFrom: string | null,
  storedTo: string | null,
  data: unknown,
  options: UpsertWindowOptions,
): boolean {
  if (canonicalJson(stored) !== canonicalJson(data)) return false;
  if (options.validFrom !== undefined) {
    const stated = canonicalInstant(options.validFrom);
    if (stated === undefined) return false;
    if (options.onImmutableLowerBound !== "preserve" && stated !== canonicalInstant(storedFrom)) return false;
  }
  if (options.clearValidTo === true) return storedTo === null;
  if (options.validTo !== undefined) {
    const stated = canonicalInstant(options.validTo);
    return stated !== undefined && storedTo !== null && stated === canonicalInstant(storedTo);
  }
  return true;
}

/** The engine arguments of a window update. */
/** Whether `options` state anything {@link windowArgs} carries (else the defaults apply). */
function windowStated(options: UpsertWindowOptions): boolean {
  return options.validFrom !== undefined || options.validTo !== undefined || options.clearValidTo === true || options.onImmutableLowerBound === "preserve";
}

function windowArgs(options: UpsertWindowOptions) {
  return {
    validFrom: instant(options.validFrom),
    preserveValidFrom: options.onImmutableLowerBound === "preserve",
    validTo: instant(options.validTo),
    clearValidTo: options.clearValidTo === true,
  };
}

/**
 * Positions of a `bulkUpsertById` batch in rounds of distinct ids: round k holds each id's
 * (k+1)-th copy, so applying the rounds in order equals applying the items one by one.
 * A batch without repeats is one round.
 */
function upsertRounds(ids: readonly string[]): number[][] {
  const seen = new Map<string, number>();
  const rounds: number[][] = [];
  ids.forEach((id, position) => {
    const k = seen.get(id) ?? 0;
    seen.set(id, k + 1);
    (rounds[k] ??= []).push(position);
  });
  return rounds;
}

/** An engine error about item `j` of a round, renumbered to that item's position in the batch. */
function reindexed(error: unknown, positions: readonly number[]): unknown {
  if (!(error instanceof TypeGraphError)) return error;
  const j = error.details.index;
  if (typeof j !== "number" || positions[j] === undefined || positions[j] === j) return error;
  const position = positions[j]!;
  (error as { details: Readonly<Record<string, unknown>> }).details = Object.freeze({ ...error.details, index: position });
  error.message = error.message.replace(`(item ${j})`, `(item ${position})`);
  return error;
}

function matches(row: EdgeRow, matchOn: readonly string[], props: Record<string, unknown>): boolean {
  const stored = row[6] ?? {};
  return matchOn.every((f) => JSON.stringify(stored[f]) === JSON.stringify(props[f]));
}

/** An edge `bulkUpsertById` item as sent to the engine (options at their defaults left out). */
interface EdgeUpsertSent {
  id: string;
  from: NodeRef;
  to: NodeRef;
  props: unknown;
  validFrom?: string | undefined;
  validTo?: string | undefined;
  clearValidTo?: true;
  preserveValidFrom?: true;
}

function refOf(x: NodeRef | { kind: string; id: string }): NodeRef {
  return { kind: x.kind, id: x.id };
}

export class EdgeCollection<E extends EdgeType = EdgeType> {
  readonly #r: Runner;
  readonly #type: E;
  readonly #kind: string;
  readonly #graphId: string | undefined;

  /** @internal */
  constructor(runner: Runner, kind: string, type: E, graphId?: string) {
    this.#r = runner;
    this.#kind = kind;
    this.#type = type;
    this.#graphId = graphId;
    bindMethods(this, EdgeCollection.prototype);
  }

  get kind(): E["kind"] {
    return this.#kind;
  }

  create(
    from: NodeRef,
    to: NodeRef,
    props?: z.input<E["schema"]>,
    options: { id?: string; validFrom?: string | Date; validTo?: string | Date } = {},
  ): Promise<Edge<E>> {
    if (this.#r.ops) {
      const id = options.id ?? freshEntityId();
      return hooked(this.#r, "create", "edge", this.#kind, id, () => this.#create(from, to, props, { ...options, id }));
    }
    return this.#create(from, to, props, options);
  }

  #create(from: NodeRef, to: NodeRef, props: z.input<E["schema"]> | undefined, options: { id?: string; validFrom?: string | Date; validTo?: string | Date }): Promise<Edge<E>> {
    try {
      const data = validate(this.#type.schema, props ?? {}, { entityType: "edge", kind: this.#kind, operation: "create" });
      const args = {
        kind: this.#kind,
        id: options.id,
        from: refOf(from),
        to: refOf(to),
        props: data,
        validFrom: instant(options.validFrom),
        validTo: instant(options.validTo),
      };
      // A synchronous backend (SQLite) answers in the call itself: one settled promise, no chain.
      const row = callNow(this.#r, "createEdge", args);
      if (row !== NOT_NOW) return Promise.resolve(toEdge(row as EdgeRow) as Edge<E>);
      return run(this.#r, "createEdge", args).then((row) => toEdge(row as EdgeRow) as Edge<E>);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async getById(id: string, options?: TemporalArg): Promise<Edge<E> | undefined> {
    const row = await run(this.#r, "getEdge", { kind: this.#kind, id, ...temporal(options, this.#r.temporalDefault) });
    return row === null ? undefined : (toEdge(row as EdgeRow) as Edge<E>);
  }

  async getByIds(ids: readonly string[], options?: TemporalArg): Promise<(Edge<E> | undefined)[]> {
    if (ids.length === 0) return [];
    const rows = (await run(this.#r, "getEdges", { kind: this.#kind, ids, ...temporal(options, this.#r.temporalDefault) })) as (EdgeRow | null)[];
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
      ...temporal(temporalOptions, this.#r.temporalDefault),
    })) as EdgeRow[];
    return rows.map((r) => toEdge(r) as Edge<E>);
  }

  findFrom(from: NodeRef, temporalOptions?: TemporalArg): Promise<Edge<E>[]> {
    return this.find({ from }, temporalOptions);
  }

  findTo(to: NodeRef, temporalOptions?: TemporalArg): Promise<Edge<E>[]> {
    return this.find({ to }, temporalOptions);
  }

  /**
   * The edges of many source endpoints in one read: index i of the answer holds what
   * `findFrom(froms[i])` returns (an empty array when none; a repeated input gets its own copy).
   */
  bulkFindFrom(froms: readonly NodeRef[], options?: EdgeBulkFindEndpointOptions): Promise<readonly Edge<E>[][]> {
    return this.#bulkFind("from", froms, options);
  }

  /** The edges of many target endpoints in one read, grouped per input like `bulkFindFrom`. */
  bulkFindTo(tos: readonly NodeRef[], options?: EdgeBulkFindEndpointOptions): Promise<readonly Edge<E>[][]> {
    return this.#bulkFind("to", tos, options);
  }

  async #bulkFind(side: "from" | "to", refs: readonly NodeRef[], options: EdgeBulkFindEndpointOptions | undefined): Promise<Edge<E>[][]> {
    if (refs.length === 0) return [];
    checkLimitPerInput(this.#kind, options?.limitPerInput);
    // Outside a transaction the read goes through the backend's port member (one per endpoint kind).
    if (!(this.#r.tx && this.#r.tx.open) && this.#graphId !== undefined) {
      return (await readEndpointSets(this.#r.backend, this.#graphId, this.#kind, side, refs.map(refOf), options, this.#r.temporalDefault)) as Edge<E>[][];
    }
    if (typeof this.#r.backend.findEdgesByEndpointSet !== "function") throw endpointSetUnsupported("findEdgesByEndpointSet", side === "from" ? "bulkFindFrom" : "bulkFindTo", this.#graphId);
    const buckets = (await run(this.#r, "findEdgesByEndpointSet", endpointSetArgs(side, [this.#kind], refs, options, this.#r.temporalDefault))) as EdgeRow[][];
    return buckets.map((rows) => rows.map((r) => toEdge(r) as Edge<E>));
  }

  /** `findFrom` deferred for `store.batch()`: runs where `executeOn` is pointed. */
  batchFindFrom(from: NodeRef, temporalOptions?: TemporalArg): BatchableQuery<Edge<E>> {
    return batchable(this.#r.handle, (t) => this.#on(t).findFrom(from, temporalOptions));
  }

  /** `findTo` deferred for `store.batch()`. */
  batchFindTo(to: NodeRef, temporalOptions?: TemporalArg): BatchableQuery<Edge<E>> {
    return batchable(this.#r.handle, (t) => this.#on(t).findTo(to, temporalOptions));
  }

  /** `findByEndpoints` deferred for `store.batch()`: an array of zero or one edge. */
  batchFindByEndpoints(
    from: NodeRef,
    to: NodeRef,
    options: { matchOn?: readonly (keyof z.output<E["schema"]> & string)[]; props?: Partial<z.input<E["schema"]>> } = {},
  ): BatchableQuery<Edge<E>> {
    return batchable(this.#r.handle, async (t) => {
      const hit = await this.#on(t).findByEndpoints(from, to, options);
      return hit === undefined ? [] : [hit];
    });
  }

  /** This collection's reads against another target (a batch's backend or transaction). */
  #on(t: BatchTarget): EdgeCollection<E> {
    const r: Runner = { backend: t.backend, handle: t.handle, ...(t.tx ? { tx: t.tx } : {}), ...(this.#r.temporalDefault ? { temporalDefault: this.#r.temporalDefault } : {}) };
    return new EdgeCollection<E>(r, this.#kind, this.#type, this.#graphId);
  }

  async count(filter: { from?: NodeRef; to?: NodeRef } = {}, temporalOptions?: TemporalArg): Promise<number> {
    return (await run(this.#r, "countEdges", {
      kind: this.#kind,
      from: filter.from && refOf(filter.from),
      to: filter.to && refOf(filter.to),
      ...temporal(temporalOptions, this.#r.temporalDefault),
    })) as number;
  }

  async update(id: string, patch: Partial<z.input<E["schema"]>>, options: { validTo?: string | Date; clearValidTo?: boolean } = {}): Promise<Edge<E>> {
    if (this.#r.ops) {
      return hooked(this.#r, "update", "edge", this.#kind, id, async () => {
        checkWindowOptions(options, { entityType: "edge", kind: this.#kind, id, operation: "update" }, undefined, this.#r);
        return this.#updateRow(this.#r, id, patch, options);
      });
    }
    checkWindowOptions(options, { entityType: "edge", kind: this.#kind, id, operation: "update" }, undefined, this.#r);
    return this.#update(this.#r, id, patch, options);
  }

  /** The in-place update behind `update`, upserts and update-by-endpoints. */
  async #update(r: Runner, id: string, patch: Partial<z.input<E["schema"]>>, options: UpsertWindowOptions): Promise<Edge<E>> {
    if (r.ops) return hooked(r, "update", "edge", this.#kind, id, () => this.#updateRow(r, id, patch, options));
    return this.#updateRow(r, id, patch, options);
  }

  async #updateRow(r: Runner, id: string, patch: Partial<z.input<E["schema"]>>, options: UpsertWindowOptions): Promise<Edge<E>> {
    return withRetry(async () => {
      const current = (await run(r, "getEdge", { kind: this.#kind, id, temporalMode: "includeTombstones" })) as EdgeRow | null;
      if (current === null) {
        // Not of this kind here: the engine tells an edge of another kind (EDGE_IDENTITY_MISMATCH)
        // from a missing one; the impossible expected stamp keeps it from writing.
        await run(r, "updateEdge", { kind: this.#kind, id, props: {}, expectedUpdatedAt: "" });
        throw new EdgeNotFoundError(this.#kind, id);
      }
      if (current[11] !== null) throw new EdgeNotFoundError(this.#kind, id);
      const data = validate(this.#type.schema, { ...storedProps(this.#type.schema, current[6] ?? {}), ...patch }, { entityType: "edge", kind: this.#kind, operation: "update", id });
      const row = await run(r, "updateEdge", {
        kind: this.#kind,
        id,
        props: data,
        expectedUpdatedAt: current[10],
        ...windowArgs(options),
      });
      return toEdge(row as EdgeRow) as Edge<E>;
    });
  }

  async delete(id: string): Promise<void> {
    if (this.#r.ops) {
      const gate = (await run(this.#r, "getEdge", { kind: this.#kind, id, temporalMode: "includeTombstones" })) as EdgeRow | null;
      if (gate === null || gate[11] !== null) return;
      return hooked(this.#r, "delete", "edge", this.#kind, id, async () => void (await run(this.#r, "deleteEdge", { kind: this.#kind, id })));
    }
    await run(this.#r, "deleteEdge", { kind: this.#kind, id });
  }

  /** A create batch as columns (one array per field): serialises and parses far cheaper than one object per item. */
  #bulkColumns(items: readonly BulkEdgeItem<E>[]) {
    const ids: (string | null)[] = [];
    const fromKind: string[] = [];
    const fromId: string[] = [];
    const toKind: string[] = [];
    const toId: string[] = [];
    const props: unknown[] = [];
    let validFrom: (string | null)[] | undefined;
    let validTo: (string | null)[] | undefined;
    const ctx = { entityType: "edge", kind: this.#kind, operation: "create" } as const;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      ids.push(item.id ?? null);
      fromKind.push(item.from.kind);
      fromId.push(item.from.id);
      toKind.push(item.to.kind);
      toId.push(item.to.id);
      props.push(validateAt(this.#type.schema, item.props ?? {}, ctx, i));
      if (item.validFrom !== undefined) (validFrom ??= new Array<string | null>(items.length).fill(null))[i] = instant(item.validFrom)!;
      if (item.validTo !== undefined) (validTo ??= new Array<string | null>(items.length).fill(null))[i] = instant(item.validTo)!;
    }
    return { ids, fromKind, fromId, toKind, toId, props, ...(validFrom ? { validFrom } : {}), ...(validTo ? { validTo } : {}) };
  }

  /** Creates many edges atomically (endpoints checked in batch); returns them in input order. */
  async bulkCreate(items: readonly BulkEdgeItem<E>[]): Promise<Edge<E>[]> {
    if (items.length === 0) return [];
    const rows = (await run(this.#r, "bulkCreateEdges", { kind: this.#kind, ...this.#bulkColumns(items), returning: true })) as (EdgeRow | null)[];
    await bulkCreated(this.#r, items.length);
    return rows.map((r) => toEdge(r!) as Edge<E>);
  }

  /** The fast path: like bulkCreate, without reading the rows back. */
  async bulkInsert(items: readonly BulkEdgeItem<E>[]): Promise<void> {
    if (items.length === 0) return;
    await run(this.#r, "bulkCreateEdges", { kind: this.#kind, ...this.#bulkColumns(items), returning: false });
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
      ...temporal(temporalOptions, this.#r.temporalDefault),
    })) as EdgeRow[];
  }

  /** The first live edge of this kind from `from` to `to` whose `matchOn` props equal the given ones. */
  async findByEndpoints(
    from: NodeRef,
    to: NodeRef,
    options: { matchOn?: readonly (keyof z.output<E["schema"]> & string)[]; props?: Partial<z.input<E["schema"]>> } = {},
    temporalOptions?: TemporalArg,
  ): Promise<Edge<E> | undefined> {
    const matchOn = this.#matchOn(options.matchOn, "find");
    const rows = await this.#between(from, to, false, temporalOptions);
    const hit = rows.find((r) => matches(r, matchOn, options.props ?? {}));
    return hit ? (toEdge(hit) as Edge<E>) : undefined;
  }

  /**
   * Finds the edge identified by its endpoints (plus `matchOn` props) or creates it; `ifExists:
   * "update"` merges the props into it (and applies `validTo` / `clearValidTo`; a stated
   * `validFrom` must be the one it holds unless `onImmutableLowerBound: "preserve"`); a
   * soft-deleted match is resurrected (a stated `validFrom` gives it a complete new window).
   */
  async getOrCreateByEndpoints(
    from: NodeRef,
    to: NodeRef,
    props: z.input<E["schema"]>,
    options: EndpointWriteOptions<E> = {},
  ): Promise<{ edge: Edge<E>; action: "created" | "found" | "updated" | "resurrected" }> {
    const matchOn = this.#matchOn(options.matchOn);
    checkWindowOptions(options, { entityType: "edge", kind: this.#kind, operation: "update" }, undefined, this.#r);
    return this.#getOrCreate(this.#r, from, to, props, matchOn, options);
  }

  /** `matchOn` names fields of this edge's schema (own keys only: never `toString` & co.). */
  #matchOn(matchOn: readonly string[] | undefined, operation: "create" | "find" = "create"): readonly string[] {
    const fields = matchOn ?? [];
    const shape = (this.#type.schema as unknown as { shape?: Record<string, unknown> }).shape ?? {};
    for (const field of fields) {
      if (typeof field !== "string" || !Object.prototype.hasOwnProperty.call(shape, field)) {
        throw new ValidationError(`matchOn names "${String(field)}", which is not a field of edge ${this.#kind}`, {
          entityType: "edge",
          kind: this.#kind,
          operation,
          issues: [{ path: String(field), message: `"${String(field)}" is not a field of ${this.#kind}` }],
        });
      }
    }
    return fields;
  }

  async #getOrCreate(
    r: Runner,
    from: NodeRef,
    to: NodeRef,
    props: z.input<E["schema"]>,
    matchOn: readonly string[],
    options: EndpointWriteOptions<E>,
  ): Promise<{ edge: Edge<E>; action: "created" | "found" | "updated" | "resurrected" }> {
    const data = validate(this.#type.schema, props ?? {}, { entityType: "edge", kind: this.#kind, operation: "create" });
    const rows = (await run(r, "findEdgesBetween", { kind: this.#kind, from: refOf(from), to: refOf(to), includeDeleted: true })) as EdgeRow[];
    const candidates = rows.filter((row) => matches(row, matchOn, data as Record<string, unknown>));
    const live = candidates.find((row) => row[11] === null);
    if (live) {
      if (options.ifExists === "update") {
        if (r.coalesce) {
          const merged = validate(this.#type.schema, { ...storedProps(this.#type.schema, live[6] ?? {}), ...(props as object) }, { entityType: "edge", kind: this.#kind, operation: "update", id: live[0] });
          if (unchanged(live[6] ?? {}, live[7], live[8], merged, options)) return { edge: toEdge(live) as Edge<E>, action: "found" };
        }
        return { edge: await this.#update(r, live[0], props as Partial<z.input<E["schema"]>>, options), action: "updated" };
      }
      if (options.clearValidTo === true) {
        throw new ConfigurationError(
          `clearValidTo on ${this.#kind} found a live edge: it applies to a live match only with ifExists: "update"`,
          { code: "CLEAR_VALID_TO_REQUIRES_UPDATE", kind: this.#kind, id: live[0] },
          { suggestion: 'Pass ifExists: "update" to reopen the found edge, or drop clearValidTo.' },
        );
      }
      return { edge: toEdge(live) as Edge<E>, action: "found" };
    }
    const tomb = candidates.at(-1);
    if (tomb) {
      const merged = validate(this.#type.schema, { ...storedProps(this.#type.schema, tomb[6] ?? {}), ...(props as object) }, {
        entityType: "edge",
        kind: this.#kind,
        operation: "update",
        id: tomb[0],
      });
      const row = await hooked(r, "update", "edge", this.#kind, tomb[0], () =>
        run(r, "resurrectEdge", {
          kind: this.#kind,
          id: tomb[0],
          props: merged,
          validFrom: instant(options.validFrom),
          validTo: instant(options.validTo),
          clearValidTo: options.clearValidTo === true,
        }),
      );
      return { edge: toEdge(row as EdgeRow) as Edge<E>, action: "resurrected" };
    }
    const id = r.ops ? freshEntityId() : undefined;
    const row = await hooked(r, "create", "edge", this.#kind, id ?? "", () => run(r, "createEdge", {
      kind: this.#kind,
      ...(id === undefined ? {} : { id }),
      from: refOf(from),
      to: refOf(to),
      props: data,
      validFrom: instant(options.validFrom),
      validTo: instant(options.validTo),
    }));
    return { edge: toEdge(row as EdgeRow) as Edge<E>, action: "created" };
  }

  async bulkGetOrCreateByEndpoints(
    items: readonly ({ from: NodeRef; to: NodeRef; props?: z.input<E["schema"]> } & UpsertWindowOptions)[],
    options: { matchOn?: readonly (keyof z.output<E["schema"]> & string)[]; ifExists?: "return" | "update" } = {},
  ): Promise<{ edge: Edge<E>; action: "created" | "found" | "updated" | "resurrected" }[]> {
    if (items.length === 0) return [];
    // One transaction; an item repeating an earlier item's endpoints and `matchOn` values resolves
    // to the edge that earlier item produced, with action "found" (as upstream). Window options
    // and the lower-bound policy are per item.
    const matchOn = this.#matchOn(options.matchOn);
    items.forEach((item, index) => checkWindowOptions(item, { entityType: "edge", kind: this.#kind, operation: "update" }, index, this.#r));
    const data = items.map((item, index) => validateAt(this.#type.schema, item.props ?? {}, { entityType: "edge", kind: this.#kind, operation: "create" }, index) as Record<string, unknown>);
    // One engine call when no operation hook has to see each write (hooks run per item below).
    const root = this.#r;
    if (!root.ops && root.handle >= 0 && (root.backend instanceof SqliteBackend || root.backend instanceof PostgresBackend)) {
      return this.#getOrCreateWith(root.backend, root, items, data, matchOn, options.ifExists);
    }
    return atomically(this.#r, async (r) => {
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
        out.push(
          await this.#getOrCreate(r, item.from, item.to, (item.props ?? {}) as z.input<E["schema"]>, matchOn, {
            ifExists: options.ifExists,
            validFrom: item.validFrom,
            validTo: item.validTo,
            clearValidTo: item.clearValidTo,
            onImmutableLowerBound: item.onImmutableLowerBound,
          }),
        );
      }
      return out;
    });
  }

  /**
   * `bulkGetOrCreateByEndpoints` as one engine call: the engine reads the stored edges between
   * each item's endpoints (tombstones included; on PostgreSQL under a row lock) and calls back
   * once; the step below decides each item as the one-by-one path does (a repeated key resolves
   * to its first item's edge, "found") and returns the writes — updates, resurrections and
   * creates (fresh ids) — which the engine applies as an edge upsert batch, creates first.
   */
  #getOrCreateWith(
    backend: SqliteBackend | PostgresBackend,
    r: Runner,
    items: readonly ({ from: NodeRef; to: NodeRef; props?: z.input<E["schema"]> } & UpsertWindowOptions)[],
    data: readonly Record<string, unknown>[],
    matchOn: readonly string[],
    ifExists: "return" | "update" | undefined,
  ): { edge: Edge<E>; action: "created" | "found" | "updated" | "resurrected" }[] | Promise<{ edge: Edge<E>; action: "created" | "found" | "updated" | "resurrected" }[]> {
    type Action = "created" | "found" | "updated" | "resurrected";
    const pairs: { from: NodeRef; to: NodeRef }[] = [];
    const pairAt = new Map<string, number>();
    const pairOf = items.map((item) => {
      const key = JSON.stringify([item.from.kind, item.from.id, item.to.kind, item.to.id]);
      let at = pairAt.get(key);
      if (at === undefined) {
        pairAt.set(key, (at = pairs.length));
        pairs.push({ from: refOf(item.from), to: refOf(item.to) });
      }
      return at;
    });
    // Per item: the edge it resolved to without a write, the write it made, or the earlier item it repeats.
    let plan: { action: Action; edge?: Edge<E>; write?: number; source?: number }[] = [];
    let sent: EdgeUpsertSent[] = [];
    let writtenAt: number[] = [];
    const merge = (stored: unknown[]) => {
      const buckets = stored as EdgeRow[][];
      plan = [];
      sent = [];
      writtenAt = [];
      const first = new Map<string, number>();
      const write = (index: number, action: Action, item: EdgeUpsertSent) => {
        plan[index] = { action, write: sent.length };
        writtenAt.push(index);
        sent.push(item);
      };
      for (let index = 0; index < items.length; index++) {
        const item = items[index]!;
        const key = JSON.stringify([item.from.kind, item.from.id, item.to.kind, item.to.id, ...matchOn.map((f) => data[index]![f] ?? null)]);
        const source = first.get(key);
        if (source !== undefined) {
          plan[index] = { action: "found", source };
          continue;
        }
        first.set(key, index);
        const candidates = buckets[pairOf[index]!]!.filter((row) => matches(row, matchOn, data[index]!));
        const live = candidates.find((row) => row[11] === null);
        const base = { from: refOf(item.from), to: refOf(item.to) };
        if (live) {
          if (ifExists === "update") {
            const merged = validateAt(this.#type.schema, { ...storedProps(this.#type.schema, live[6] ?? {}), ...((item.props ?? {}) as object) }, { entityType: "edge", kind: this.#kind, operation: "update", id: live[0] }, index);
            if (r.coalesce && unchanged(live[6] ?? {}, live[7], live[8], merged, item)) {
              plan[index] = { action: "found", edge: toEdge(live) as Edge<E> };
              continue;
            }
            const sentItem: EdgeUpsertSent = { id: live[0], ...base, props: merged };
            if (item.validFrom !== undefined) sentItem.validFrom = instant(item.validFrom);
            if (item.validTo !== undefined) sentItem.validTo = instant(item.validTo);
            if (item.clearValidTo === true) sentItem.clearValidTo = true;
            if (item.onImmutableLowerBound === "preserve") sentItem.preserveValidFrom = true;
            write(index, "updated", sentItem);
            continue;
          }
          if (item.clearValidTo === true) {
            throw new ConfigurationError(
              `clearValidTo on ${this.#kind} found a live edge: it applies to a live match only with ifExists: "update"`,
              { code: "CLEAR_VALID_TO_REQUIRES_UPDATE", kind: this.#kind, id: live[0], index },
              { suggestion: 'Pass ifExists: "update" to reopen the found edge, or drop clearValidTo.' },
            );
          }
          plan[index] = { action: "found", edge: toEdge(live) as Edge<E> };
          continue;
        }
        const tomb = candidates.at(-1);
        if (tomb) {
          const merged = validateAt(this.#type.schema, { ...storedProps(this.#type.schema, tomb[6] ?? {}), ...((item.props ?? {}) as object) }, { entityType: "edge", kind: this.#kind, operation: "update", id: tomb[0] }, index);
          const sentItem: EdgeUpsertSent = { id: tomb[0], ...base, props: merged };
          if (item.validFrom !== undefined) sentItem.validFrom = instant(item.validFrom);
          if (item.validTo !== undefined) sentItem.validTo = instant(item.validTo);
          if (item.clearValidTo === true) sentItem.clearValidTo = true;
          write(index, "resurrected", sentItem);
          continue;
        }
        const sentItem: EdgeUpsertSent = { id: freshEntityId(), ...base, props: data[index] };
        if (item.validFrom !== undefined) sentItem.validFrom = instant(item.validFrom);
        if (item.validTo !== undefined) sentItem.validTo = instant(item.validTo);
        write(index, "created", sentItem);
      }
      return { items: sent };
    };
    const failed = (error: unknown): never => {
      if (error instanceof MergeStepError) throw error.cause;
      throw reindexed(error, writtenAt);
    };
    const done = (rows: EdgeRow[]) => {
      const out: { edge: Edge<E>; action: Action }[] = [];
      for (let index = 0; index < items.length; index++) {
        const p = plan[index]!;
        if (p.source !== undefined) {
          out.push({ edge: out[p.source]!.edge, action: "found" });
        } else if (p.write !== undefined) {
          const row = rows[p.write]!;
          row[6] = jsonCopy(sent[p.write]!.props) as EdgeRow[6];
          out.push({ edge: toEdge(row) as Edge<E>, action: p.action });
        } else {
          out.push({ edge: p.edge!, action: p.action });
        }
      }
      return out;
    };
    const args = { entity: "edgeEndpoints", kind: this.#kind, pairs, returning: true, propsBack: false };
    if (backend instanceof PostgresBackend) {
      return backend.upsertNodesWith(r.handle, args as unknown as { ids: readonly string[] }, r.tx, merge).then((rows) => done(rows as EdgeRow[]), failed);
    }
    let rows: EdgeRow[];
    try {
      rows = backend.upsertNodesWith(r.handle, args as unknown as { ids: readonly string[] }, r.tx, merge) as EdgeRow[];
    } catch (error) {
      return failed(error);
    }
    return done(rows);
  }

  /**
   * Creates missing ids, merges into live edges, resurrects tombstones; endpoints of an existing
   * id must match. Equivalent to the items applied one by one: a repeated id is created by its
   * first copy and updated by each later one; atomic.
   */
  async bulkUpsertById(items: readonly BulkEdgeUpsertItem<E>[]): Promise<Edge<E>[]> {
    if (items.length === 0) return [];
    items.forEach((item, index) => checkWindowOptions(item, { entityType: "edge", kind: this.#kind, id: item.id, operation: "update" }, index, this.#r));
    const rounds = upsertRounds(items.map((i) => i.id));
    const writes = { count: 0 };
    let out: Edge<E>[];
    if (rounds.length === 1) {
      out = await this.#upsertRound(this.#r, items, rounds[0]!, new Map(), writes);
    } else {
      out = new Array(items.length);
      const last = new Map<string, Edge<E>>();
      await atomically(this.#r, async (r) => {
        for (const positions of rounds) {
          const rows = await this.#upsertRound(r, items, positions, last, writes);
          positions.forEach((p, j) => {
            out[p] = rows[j]!;
            last.set(items[p]!.id, rows[j]!);
          });
        }
      });
    }
    await bulkCreated(this.#r, writes.count);
    return out;
  }

  /** One `bulkUpsertById` engine call for items of distinct ids (their positions in `items`). */
  async #upsertRound(
    r: Runner,
    items: readonly BulkEdgeUpsertItem<E>[],
    positions: readonly number[],
    last: ReadonlyMap<string, Edge<E>>,
    writes: { count: number },
  ): Promise<Edge<E>[]> {
    const ids = positions.map((p) => items[p]!.id);
    // One engine call on both dialects: the engine reads the stored rows inside its transaction
    // (on PostgreSQL under a row lock), calls the merge below back once and writes; a batch
    // that found an id taken by a racing batch is run again as a whole (PostgreSQL).
    if (r.backend instanceof SqliteBackend && r.handle >= 0) return this.#upsertRoundWith(r.backend, r, items, positions, ids, last, writes);
    if (r.backend instanceof PostgresBackend && r.handle >= 0) {
      const backend = r.backend;
      return withRetry(async () => this.#upsertRoundWith(backend, r, items, positions, ids, last, writes));
    }
    const current = (await run(r, "getEdges", { kind: this.#kind, ids, temporalMode: "includeTombstones" })) as (EdgeRow | null)[];
    const out: (Edge<E> | undefined)[] = new Array(positions.length);
    const written: number[] = [];
    const merged = this.#mergeRound(r, items, positions, current, last, out, written);
    if (merged.length > 0) {
      let rows: (EdgeRow | null)[];
      try {
        rows = (await run(r, "bulkUpsertEdges", { kind: this.#kind, items: merged, returning: true })) as (EdgeRow | null)[];
      } catch (error) {
        throw reindexed(error, written.map((i) => positions[i]!));
      }
      written.forEach((i, j) => (out[i] = toEdge(rows[j]!) as Edge<E>));
      writes.count += merged.length;
    }
    return out as Edge<E>[];
  }

  /**
   * The merge + zod step of one round over the stored rows `current` (aligned with `positions`,
   * null where none of this kind): fills `out` for coalesced items, lists the positions written
   * in `written` and returns the items to write (options at their defaults left out).
   */
  #mergeRound(
    r: Runner,
    items: readonly BulkEdgeUpsertItem<E>[],
    positions: readonly number[],
    current: readonly (EdgeRow | null)[],
    last: ReadonlyMap<string, Edge<E>>,
    out: (Edge<E> | undefined)[],
    written: number[],
  ): EdgeUpsertSent[] {
    written.length = 0;
    const merged: EdgeUpsertSent[] = [];
    for (let index = 0; index < positions.length; index++) {
      const p = positions[index]!;
      const item = items[p]!;
      const base = current[index] ?? null;
      const live = base !== null && base[11] === null;
      const data = validateAt(
        this.#type.schema,
        { ...storedProps(this.#type.schema, base?.[6] ?? {}), ...((item.props ?? {}) as object) },
        live ? { entityType: "edge", kind: this.#kind, operation: "update", id: item.id } : { entityType: "edge", kind: this.#kind, operation: "create" },
        p,
      );
      if (
        r.coalesce &&
        live &&
        base[2] === item.from.kind &&
        base[3] === item.from.id &&
        base[4] === item.to.kind &&
        base[5] === item.to.id &&
        unchanged(base[6] ?? {}, base[7], base[8], data, item)
      ) {
        out[index] = last.get(item.id) ?? (toEdge(base) as Edge<E>);
        continue;
      }
      written.push(index);
      const sent: EdgeUpsertSent = { id: item.id, from: refOf(item.from), to: refOf(item.to), props: data };
      if (item.validFrom !== undefined) sent.validFrom = instant(item.validFrom);
      if (item.validTo !== undefined) sent.validTo = instant(item.validTo);
      if (item.clearValidTo === true) sent.clearValidTo = true;
      if (item.onImmutableLowerBound === "preserve") sent.preserveValidFrom = true;
      merged.push(sent);
    }
    return merged;
  }

  /**
   * One round as one engine call (see the node collection's): the stored rows are read in the
   * engine's transaction and merged here when called back; the rows written come back without
   * their props, which are copied from the items sent. Synchronous on SQLite, a promise on
   * PostgreSQL.
   */
  #upsertRoundWith(
    backend: SqliteBackend | PostgresBackend,
    r: Runner,
    items: readonly BulkEdgeUpsertItem<E>[],
    positions: readonly number[],
    ids: readonly string[],
    last: ReadonlyMap<string, Edge<E>>,
    writes: { count: number },
  ): Edge<E>[] | Promise<Edge<E>[]> {
    const out: (Edge<E> | undefined)[] = new Array(positions.length);
    const written: number[] = [];
    let sent: EdgeUpsertSent[] = [];
    const merge = (current: unknown[]) => {
      sent = this.#mergeRound(r, items, positions, current as (EdgeRow | null)[], last, out, written);
      return { items: sent };
    };
    const failed = (error: unknown): never => {
      if (error instanceof MergeStepError) throw error.cause;
      throw reindexed(error, written.map((i) => positions[i]!));
    };
    const done = (rows: EdgeRow[]): Edge<E>[] => {
      for (let j = 0; j < written.length; j++) {
        const row = rows[j]!;
        row[6] = jsonCopy(sent[j]!.props) as EdgeRow[6];
        out[written[j]!] = toEdge(row) as Edge<E>;
      }
      writes.count += written.length;
      return out as Edge<E>[];
    };
    const args = { entity: "edge", kind: this.#kind, ids, returning: true, propsBack: false };
    if (backend instanceof PostgresBackend) {
      return backend.upsertNodesWith(r.handle, args, r.tx, merge).then((rows) => done(rows as EdgeRow[]), failed);
    }
    let rows: EdgeRow[];
    try {
      rows = backend.upsertNodesWith(r.handle, args, r.tx, merge) as EdgeRow[];
    } catch (error) {
      return failed(error);
    }
    return done(rows);
  }

  async hardDelete(id: string): Promise<void> {
    if (this.#r.ops) {
      const gate = (await run(this.#r, "getEdge", { kind: this.#kind, id, temporalMode: "includeTombstones" })) as EdgeRow | null;
      if (gate === null) return;
      return hooked(this.#r, "delete", "edge", this.#kind, id, async () => void (await run(this.#r, "hardDeleteEdge", { kind: this.#kind, id })));
    }
    await run(this.#r, "hardDeleteEdge", { kind: this.#kind, id });
  }
}

export type GraphNodeCollections<G extends GraphDef> = { [K in keyof G["nodes"]]: NodeCollection<G["nodes"][K]["type"]> };
export type GraphEdgeCollections<G extends GraphDef> = { [K in keyof G["edges"]]: EdgeCollection<G["edges"][K]["type"]> };

function collections<G extends GraphDef>(graph: G, base: Runner) {
  const mode = graph.defaults?.temporalMode;
  const runner: Runner = mode !== undefined && mode !== "current" ? { ...base, temporalDefault: mode } : base;
  const nodeCache = new Map<string, NodeCollection>();
  const edgeCache = new Map<string, EdgeCollection>();
  const nodes = new Proxy({} as GraphNodeCollections<G>, {
    get(_t, kind) {
      if (typeof kind !== "string") return undefined;
      const reg = graph.nodes[kind];
      if (!reg) throw new KindNotFoundError(kind, "node", { graphId: graph.id });
      let c = nodeCache.get(kind);
      if (!c) nodeCache.set(kind, (c = new NodeCollection(runner, kind, reg.type, graph)));
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
      if (!c) edgeCache.set(kind, (c = new EdgeCollection(runner, kind, reg.type, graph.id)));
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
  getEdgeCollection(kind: string): EdgeCollection | undefined;
  /** Search inside the transaction: sees its uncommitted writes. */
  readonly search: StoreSearch<G>;
  /** A query builder bound to the transaction: its statements see the transaction's uncommitted writes. */
  query(): QueryBuilder<G>;
  /** Identity assertions and reads inside the transaction (graphs with `identity` only). */
  readonly identity: IdentityFacade<G>;
}

export class Store<G extends GraphDef = GraphDef> {
  readonly #graph: G;
  readonly #backend: GraphBackend;
  #handle: Promise<number> | number;
  #collections: ReturnType<typeof collections<G>> | undefined;
  #runner: Runner | undefined;
  #search: StoreSearch<G> | undefined;
  readonly #queryDefaults: QueryDefaults;

  #meta: evolution.SchemaMeta;

  readonly #options: StoreOptions;
  /** Immediate operation hooks of the root collections (undefined without any operation hook). */
  readonly #ops: OperationHooks | undefined;

  get #coalesce(): boolean {
    return this.#options.coalesceUnchangedUpserts === true;
  }

  /** @internal */
  constructor(graph: G, backend: GraphBackend, handle: Promise<number> | number, meta: evolution.SchemaMeta = {}, options: StoreOptions = {}) {
    this.#graph = graph;
    this.#backend = backend;
    checkSchemaOption(options.schema, (backend as { tableNames?: TypeGraphTableNames }).tableNames);
    checkRecordedReadOption(options.recordedRead, options.history === true);
    // history: true — the same definition registered with recorded-time capture on (lib/recorded.ts).
    if (ticksClock(options)) handle = withHistory(backend, handle, options);
    this.#handle = handle;
    this.#meta = meta;
    this.#options = options;
    this.#queryDefaults = options.queryDefaults ?? {};
    this.#ops = OperationHooks.wanted(options.hooks) ? new OperationHooks(options.hooks, graph.id, false) : undefined;
    if (typeof handle === "number") this.#runner = { backend, handle, afterBulkCreate: this.#afterBulkCreate, coalesce: this.#coalesce, ops: this.#ops };
  }

  /** @internal What the schema-evolution verbs need of this store. */
  #host(): evolution.EvolveHost<G> {
    return {
      graph: this.#graph,
      backend: this.#backend,
      handle: this.#handle,
      meta: this.#meta,
      self: this,
      create: (graph, handle, meta) => new Store(graph, this.#backend, handle, meta, this.#options),
    };
  }

  /** The kinds of this store's graph (compile-time and runtime), for codegen and tooling. */
  get registry(): KindRegistry {
    return (this.#registry ??= new KindRegistry(this.#graph));
  }
  #registry: KindRegistry | undefined;

  /** The exact zod object the store validates `kind`'s props with, or undefined. */
  getNodePropsSchema(kind: string): z.ZodObject<z.ZodRawShape> | undefined {
    return Object.prototype.hasOwnProperty.call(this.#graph.nodes, kind) ? (this.#graph.nodes[kind]!.type.schema as z.ZodObject<z.ZodRawShape>) : undefined;
  }
  getNodePropsSchemaOrThrow(kind: string): z.ZodObject<z.ZodRawShape> {
    const s = this.getNodePropsSchema(kind);
    if (!s) throw new KindNotFoundError(kind, "node", { graphId: this.#graph.id });
    return s;
  }
  getEdgePropsSchema(kind: string): z.ZodObject<z.ZodRawShape> | undefined {
    return Object.prototype.hasOwnProperty.call(this.#graph.edges, kind) ? (this.#graph.edges[kind]!.type.schema as z.ZodObject<z.ZodRawShape>) : undefined;
  }
  getEdgePropsSchemaOrThrow(kind: string): z.ZodObject<z.ZodRawShape> {
    const s = this.getEdgePropsSchema(kind);
    if (!s) throw new KindNotFoundError(kind, "edge", { graphId: this.#graph.id });
    return s;
  }

  /** A frozen snapshot of the merged schema (compile-time and runtime kinds) and its version. */
  introspect(): SchemaIntrospection {
    return evolution.introspect(this.#host());
  }

  /**
   * Commits a new schema version with the graph extension merged in (compare-and-swap on the
   * active version, after catching up to it) and returns the store for it; `ref.current` is
   * re-pointed first. `eager` materializes indexes after the commit.
   */
  evolve(extension: GraphExtension, options: evolution.EvolveOptions<G> = {}): Promise<Store<G>> {
    return evolution.evolve(this.#host(), extension, options);
  }

  /** Marks kinds soft-deprecated (a new schema version; idempotent). */
  deprecateKinds(names: readonly string[], options: { ref?: evolution.StoreRef<Store<G>> } = {}): Promise<Store<G>> {
    return evolution.updateDeprecated(this.#host(), "add", names, options);
  }

  /** Clears soft deprecation of kinds (a new schema version; idempotent). */
  undeprecateKinds(names: readonly string[], options: { ref?: evolution.StoreRef<Store<G>> } = {}): Promise<Store<G>> {
    return evolution.updateDeprecated(this.#host(), "remove", names, options);
  }

  /**
   * Removes graph-extension kinds from the active schema (phase one) and queues their rows for
   * `materializeRemovals()` (phase two; `eager` runs it right after the commit).
   */
  removeKinds(names: readonly string[], options: evolution.RemoveKindsOptions<G> = {}): Promise<Store<G>> {
    return evolution.removeKinds(this.#host(), names, options);
  }

  /** Deletes the rows of kinds removed by `removeKinds()` on this database. */
  materializeRemovals(options: evolution.MaterializeRemovalsOptions = {}): Promise<evolution.MaterializeRemovalsResult> {
    return evolution.materializeRemovals(this.#host(), options);
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
    const call = async (_h: number, op: string, args: unknown, tx?: TxToken) => backend.call(await handle, op, args, tx);
    const lazy: Runner = {
      // Every other member is the backend's own, bound to it (its methods use private fields).
      backend: new Proxy(backend, {
        get(target, key) {
          if (key === "call") return call;
          // No synchronous fast paths before the handle is known.
          if (key === "callSync" || key === "queryPlanSync" || key === "getNodeSync") return undefined;
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      }),
      handle: -1,
      afterBulkCreate: this.#afterBulkCreate,
      coalesce: this.#coalesce,
      ops: this.#ops,
    };
    void handle.then((h) => (this.#runner = { backend, handle: h, afterBulkCreate: this.#afterBulkCreate, coalesce: this.#coalesce, ops: this.#ops }), () => undefined);
    return lazy;
  }

  get nodes(): GraphNodeCollections<G> {
    return (this.#collections ??= collections(this.#graph, this.#rootRunner())).nodes;
  }
  get edges(): GraphEdgeCollections<G> {
    return (this.#collections ??= collections(this.#graph, this.#rootRunner())).edges;
  }

  /**
   * The identity profile (`defineGraph({ identity })`): assert / retract identity between nodes
   * and read identity classes. ConfigurationError IDENTITY_NOT_ENABLED on other graphs.
   */
  get identity(): IdentityFacade<G> {
    if (identityOf(this.#graph) === undefined) throw identityNotEnabled(this.#graph.id);
    return (this.#identity ??= attachInterchangeSeam(
      createIdentityFacade(this.#graph, { call: (args) => (checkIdentityCall(this.#backend, args), run(this.#rootRunner(), "identity", args)), toNode: (row) => toNode(row as NodeRow) }),
      this.#graph,
      async (args, tx) => (tx === undefined ? run(this.#rootRunner(), "identity", args) : this.#backend.call(await this.#handle, "identity", args, tx as TxToken)),
    ));
  }
  #identity: IdentityFacade<G> | undefined;

  /** @internal Identity reads at a valid-time instant (views). */
  identityAt(at: string | undefined, mode?: string): IdentityReadFacade<G> {
    if (identityOf(this.#graph) === undefined) throw identityNotEnabled(this.#graph.id);
    return createIdentityReadFacade(this.#graph, { call: (args) => (checkIdentityCall(this.#backend, args), run(this.#rootRunner(), "identity", args)), toNode: (row) => toNode(row as NodeRow) }, at, mode);
  }

  /** @internal The identity functions' way in (`rebuildIdentityClosure`, interchange). */
  [IDENTITY_PORT](): IdentityPort {
    return { graph: this.#graph, call: (args) => run(this.#rootRunner(), "identity", args) };
  }

  /** Fulltext, vector and hybrid search (`store.search.fulltext(kind, …)`, …). */
  get search(): StoreSearch<G> {
    return (this.#search ??= new StoreSearch(this.#graph, (op, args) => run(this.#rootRunner(), op, args), (row) => toNode(row as NodeRow)));
  }

  /** Graph algorithms (traversals, paths, degree, components, label propagation, PageRank); one engine call each. */
  get algorithms(): GraphAlgorithms<G> {
    return (this.#algorithms ??= createGraphAlgorithms<G>((args) => run(this.#rootRunner(), "algorithm", args), this.#graph.defaults?.temporalMode));
  }
  #algorithms: GraphAlgorithms<G> | undefined;

  /**
   * The nodes reachable from `rootId` over the selected edge kinds (breadth-first, up to
   * `maxDepth`), with the edges between them indexed both ways.
   */
  subgraph<EK extends EdgeKinds<G>, NK extends NodeKinds<G> = NodeKinds<G>, const P extends SubgraphProject<G, NK, EK> | undefined = undefined>(
    rootId: string,
    options: SubgraphOptions<G, EK, NK, P>,
  ): Promise<SubgraphResult<G, NK, EK, P>> {
    const backend = this.#backend;
    return runSubgraph(
      (args) => {
        requireRecursiveTraversal(backend, "subgraph");
        return run(this.#rootRunner(), "algorithm", args);
      },
      rootId,
      options as unknown as Parameters<typeof runSubgraph>[2],
      this.#graph.defaults?.temporalMode,
    ) as unknown as Promise<SubgraphResult<G, NK, EK, P>>;
  }

  /**
   * The outgoing edges of the selected kinds for sources of several node kinds, in one read:
   * one entry per source id in group and id order (empty `edges` when none; repeats kept).
   */
  async bulkFindEdgesFrom<const K extends EdgeKinds<G>>(
    params: BulkFindEdgesFromParams<G, K>,
    options?: EdgeBulkFindEndpointOptions,
  ): Promise<readonly BulkFindEdgesFromResult<G, K>[]> {
    const sources = resolveSources(this.#graph, params.sources, params.edgeKinds);
    if (sources.length === 0 || params.edgeKinds.length === 0) {
      return sources.map((source) => ({ source, edges: [] }) as unknown as BulkFindEdgesFromResult<G, K>);
    }
    checkLimitPerInput(params.edgeKinds.join(","), options?.limitPerInput);
    const buckets = await readHeterogeneousEndpointSet(this.#rootRunner().backend, this.#graph.id, params.edgeKinds, sources, options, this.#graph.defaults?.temporalMode);
    return sources.map((source, i) => ({ source, edges: buckets[i]! }) as unknown as BulkFindEdgesFromResult<G, K>);
  }

  getNodeCollection(kind: string): NodeCollection | undefined {
    return Object.prototype.hasOwnProperty.call(this.#graph.nodes, kind) ? (this.nodes as Record<string, NodeCollection>)[kind] : undefined;
  }
  getEdgeCollection(kind: string): EdgeCollection | undefined {
    return Object.prototype.hasOwnProperty.call(this.#graph.edges, kind) ? (this.edges as Record<string, EdgeCollection>)[kind] : undefined;
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

  /** Whether this store captures its writes into the recorded relations (`history: true`). */
  get historyEnabled(): boolean {
    return this.#options.history === true;
  }

  /** Whether this store's writes advance the graph's revision anchor (`revisionTracking: true` or `history: true`). */
  get revisionTrackingEnabled(): boolean {
    return ticksClock(this.#options);
  }

  /**
   * The graph's revision anchor: the recorded clock's latest instant, advanced once by every
   * write transaction of a revision-tracked store (undefined before the first, and on a store
   * without `revisionTracking` / `history`).
   */
  async revisionNow(): Promise<RecordedInstant | undefined> {
    if (!ticksClock(this.#options)) return undefined;
    const at = (await this.#backend.call(await this.#handle, "recordedNow", {})) as { revision: number; recordedAt: string } | null;
    return at === null ? undefined : createRecordedInstant(at.revision, at.recordedAt);
  }

  /** Whether `asOfRecorded(T)` has recorded relations to read: `history: true` or a `recordedRead` binding. */
  get recordedReadBound(): boolean {
    return this.#options.history === true || this.#options.recordedRead !== undefined;
  }

  /**
   * The graph's recorded high-water mark: the anchor of the latest captured commit from any
   * writer, or undefined before the first. Needs `history: true`.
   */
  async recordedNow(): Promise<RecordedInstant | undefined> {
    if (this.#options.history !== true) {
      throw new ConfigurationError("recordedNow() requires a store created with { history: true }; without capture this store has no recorded clock of its own (a recordedRead binding only reads).", {
        code: "RECORDED_NOW_REQUIRES_HISTORY",
      });
    }
    const at = (await this.#backend.call(await this.#handle, "recordedNow", {})) as { revision: number; recordedAt: string } | null;
    return at === null ? undefined : createRecordedInstant(at.revision, at.recordedAt);
  }

  /**
   * The graph as TypeGraph recorded it at `instant` (from `recordedNow()` or `asRecordedInstant`),
   * valid time at the anchor's wall time. Point reads and scans only.
   */
  asOfRecorded(instant: RecordedInstant): RecordedStoreView<G> {
    return new RecordedStoreView<G>(this.recordedHost(), instant);
  }

  /** @internal What a recorded view reads through. */
  recordedHost(): RecordedHost {
    if (!this.recordedReadBound) {
      throw new ConfigurationError(
        "asOfRecorded() requires a recorded read relation: create the store with history: true (TypeGraph captures its writes) or bind one with recordedRead: recordedRelation({ schema }).",
        { code: "ASOF_RECORDED_REQUIRES_BINDING" },
      );
    }
    const bound = this.#options.recordedRead as ExternalRecordedReadSource | undefined;
    if (bound !== undefined) checkRecordedNames(bound, (this.#backend as { tableNames?: TypeGraphTableNames }).tableNames);
    return {
      graph: this.#graph,
      graphId: this.#graph.id,
      recordedCall: async (op, args) => this.#backend.call(await this.#handle, op, args),
      toNode: (row) => toNode(row as NodeRow),
      toEdge: (row) => toEdge(row as EdgeRow),
      query: (revision, valid) => {
        const base = this.query();
        const at = { mode: valid.mode, ...(valid.asOf === undefined ? {} : { asOf: valid.asOf }) };
        return new QueryBuilder({ ...base.env, sealedTemporal: at }, { ...base.state, temporal: { ...at, recorded: revision } });
      },
    };
  }

  /** A read-only view of this store at valid-time instant `asOf` (canonical UTC ISO 8601). */
  asOf(asOf: string): StoreView<G> {
    return new StoreView(this, { mode: "asOf", asOf });
  }

  /** A read-only view of this store at any temporal coordinate (`{ mode, asOf? }`). */
  view(coordinate: StoreViewCoordinate): StoreView<G> {
    return new StoreView(this, coordinate);
  }

  /** A read-only view at the present instant, taken once: all its reads see that same instant. */
  snapshot(): StoreView<G> {
    return this.asOf(new Date().toISOString());
  }

  /**
   * Runs `fn` in one database transaction: its return value passes through, a throw rolls
   * everything back. `options` sets the isolation level and access mode (see `TransactionOptions`).
   */
  async transaction<T>(fn: (tx: TransactionContext<G>) => Promise<T> | T, options?: TransactionOptions): Promise<T> {
    const checked = transactionOptions(options);
    const handle = await this.#handle;
    const token = await this.#backend.begin(checked);
    const hooks = this.#options.hooks;
    const ops = OperationHooks.wanted(hooks) ? new OperationHooks(hooks, this.#graph.id, true) : undefined;
    const c = collections(this.#graph, { backend: this.#backend, handle, tx: token, coalesce: this.#coalesce, ...(ops ? { ops } : {}) });
    const tx = {
      nodes: c.nodes,
      edges: c.edges,
      getNodeCollection: (kind: string) => (Object.prototype.hasOwnProperty.call(this.#graph.nodes, kind) ? (c.nodes as Record<string, NodeCollection>)[kind] : undefined),
      getEdgeCollection: (kind: string) => (Object.prototype.hasOwnProperty.call(this.#graph.edges, kind) ? (c.edges as Record<string, EdgeCollection>)[kind] : undefined),
      search: new StoreSearch(this.#graph, (op, args) => this.#backend.call(handle, op, args, token), (row) => toNode(row as NodeRow)),
      query: () => this.#queryBuilder(handle, token),
    } as TransactionContext<G>;
    if (identityOf(this.#graph) !== undefined) {
      let facade: IdentityFacade<G> | undefined;
      Object.defineProperty(tx, "identity", {
        get: () => (facade ??= createIdentityFacade(this.#graph, { call: (args) => (checkIdentityCall(this.#backend, args), this.#backend.call(handle, "identity", args, token)), toNode: (row) => toNode(row as NodeRow) })),
        enumerable: true,
        configurable: true,
      });
    } else {
      Object.defineProperty(tx, "identity", {
        get: () => {
          throw identityNotEnabled(this.#graph.id);
        },
        enumerable: false,
        configurable: true,
      });
    }
    Object.defineProperty(tx, TX_TOKEN, { value: token, enumerable: false });
    if (this.#options.history !== true && this.#options.revisionTracking === true) {
      // Raw SQL would write past the revision anchor.
      Object.defineProperty(tx, "sql", {
        get: () => {
          throw revisionRawSqlDisabled("tx.sql");
        },
        enumerable: false,
      });
      Object.defineProperty(tx, "sqlAvailability", { value: "revisionTracking", enumerable: false });
    }
    if (this.#options.history === true) {
      // Raw SQL would write past the capture: refused at the touch, and said so up front.
      Object.defineProperty(tx, "sql", {
        get: () => {
          throw rawSqlDisabled("tx.sql");
        },
        enumerable: false,
      });
      Object.defineProperty(tx, "sqlAvailability", { value: "history", enumerable: false });
    }
    // `query.executeOn(tx)` runs a query built elsewhere inside this transaction.
    Object.defineProperty(tx, Symbol.for("typegraph.txTarget"), { value: { backend: this.#backend, handle, tx: token }, enumerable: false });
    let result: T;
    try {
      result = await fn(tx);
    } catch (error) {
      try {
        await this.#backend.end(token, false);
      } finally {
        ops?.settle(error);
      }
      throw error;
    }
    try {
      await this.#backend.end(token, true);
    } catch (error) {
      ops?.settle(error);
      throw error;
    }
    ops?.settle();
    return result;
  }

  /**
   * Runs `fn` in one transaction like `transaction()` and returns its result with a receipt: the
   * write calls that completed on `tx.nodes` / `tx.edges`, by kind (see `TransactionReceipt`).
   * A callback that throws rolls back and rethrows; no receipt is given. `tx.measure(fn)` scopes a
   * sub-receipt to the writes made through the view it passes to `fn`.
   */
  async transactionWithReceipt<T>(fn: (tx: MeasurableTransactionContext<G>) => Promise<T> | T, options?: TransactionOptions): Promise<TransactionOutcome<T>> {
    const recorder = new ReceiptRecorder();
    let recorded: RecordedInstant | undefined;
    const result = await this.transaction(async (tx) => {
      try {
        const out = await fn(countingContext(tx, recorder) as MeasurableTransactionContext<G>);
        // History stores: the revision this transaction captured at, read before it commits.
        if (this.#options.history === true) {
          const at = (await this.#backend.call(await this.#handle, "recordedNow", {}, (tx as unknown as Record<symbol, TxToken>)[TX_TOKEN])) as { revision: number; recordedAt: string; taken: boolean } | null;
          if (at !== null && at.taken) recorded = createRecordedInstant(at.revision, at.recordedAt);
        }
        return out;
      } finally {
        recorder.seal();
      }
    }, options);
    return { result, receipt: recorder.snapshot(recorded) };
  }

  /**
   * Runs two or more deferred reads (queries from `.select()`, set operations, aggregates, edge
   * `batchFind*`) one after another and returns their results as a tuple in input order. Each
   * costs its own statement; it is not a snapshot.
   */
  async batch<const Queries extends readonly [BatchableQuery<unknown>, BatchableQuery<unknown>, ...BatchableQuery<unknown>[]]>(
    ...queries: Queries
  ): Promise<BatchResults<Queries>> {
    const handle = await this.#handle;
    return (await runBatch({ backend: this.#backend, handle }, queries)) as BatchResults<Queries>;
  }

  /** A fluent query over this graph; each query runs as one SQL statement. */
  query(): QueryBuilder<G> {
    return this.#queryBuilder(this.#handle);
  }

  #queryBuilder(handle: Promise<number> | number, tx?: TxToken): QueryBuilder<G> {
    const expansion = this.#queryDefaults.traversalExpansion;
    const hooks = this.#options.hooks;
    return createQueryBuilder<G>({
      graph: this.#graph,
      backend: this.#backend,
      handle,
      ...(tx ? { tx } : {}),
      ...(expansion ? { traversalExpansion: expansion } : {}),
      ...(hooks && (hooks.onQueryStart || hooks.onQueryEnd || hooks.onError) ? { hooks } : {}),
    });
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

  /**
   * Builds the graph's declared indexes (`defineGraph({ indexes })` and the vector indexes of
   * `embedding()` fields) and records each in `typegraph_index_materializations`. Relational
   * indexes: `CREATE INDEX` (CONCURRENTLY on PostgreSQL); vector indexes: pgvector HNSW/IVFFlat
   * on PostgreSQL, the engine's HNSW graph on SQLite. Per index: `created`, `alreadyMaterialized`
   * (same signature recorded), `failed` (with `error`), or `skipped` (with `reason`).
   */
  async materializeIndexes(options: MaterializeIndexesOptions = {}): Promise<MaterializeIndexesResult> {
    const handle = await this.#handle;
    // As upstream: caught up to the persisted schema first (runtime kinds and indexes another
    // process committed count), and refused before any schema exists.
    const active = (await this.#backend.call(handle, "getActiveSchema", {})) as { version: number; doc: SerializedSchema } | null;
    if (active === null) {
      throw new ConfigurationError(`Cannot materialize indexes on graph "${this.#graph.id}": no schema has been initialized. Call createStoreWithSchema first.`, {
        code: "MATERIALIZE_BEFORE_INITIALIZE",
      });
    }
    const graph = withStoredExtension(this.#graph, active.doc) as GraphDef;
    const declared = graph.indexes ?? [];
    let kinds: Set<string> | undefined;
    if (options.kinds !== undefined) {
      kinds = new Set(options.kinds);
      for (const k of kinds) {
        if (!(k in graph.nodes) && !(k in graph.edges)) {
          throw new KindNotFoundError(k, "node", {
            graphId: graph.id,
            suggestion: "Only kinds declared on the graph (compile-time or runtime) can be passed to materializeIndexes.",
          });
        }
      }
    }
    const candidates = declared.filter((d) => kinds === undefined || kinds.has(d.kind));
    if (candidates.length === 0) return { results: [] };
    const dialect = this.#backend.dialect;
    const names = this.#backend.tableNames ?? DEFAULT_TABLE_NAMES;
    const reserved = reservedIndexNames(names);
    const entries = candidates.map((d) => materializationEntry(d, graph.id, dialect, reserved, names));
    // A store behind the persisted schema builds through a handle of the caught-up definition
    // (vector indexes need the kind's embedding fields); backends reuse a handle per definition.
    const current = graph === this.#graph || engineGraph(graph) === engineGraph(this.#graph);
    const target = current ? handle : await this.#backend.register(engineGraph(graph));
    const raw = (await this.#backend.call(target, "materializeIndexes", {
      schemaVersion: active.version,
      stopOnError: options.stopOnError ?? false,
      refreshStatistics: options.refreshStatistics ?? true,
      entries,
    })) as { indexName: string; entity: "node" | "edge" | "vector"; kind: string; status: MaterializeIndexesEntry["status"]; error?: string; reason?: string }[];
    return {
      results: raw.map((r) => ({
        indexName: r.indexName,
        entity: r.entity,
        kind: r.kind,
        status: r.status,
        ...(r.error === undefined ? {} : { error: new Error(r.error) }),
        ...(r.reason === undefined ? {} : { reason: r.reason }),
      })),
    };
  }

  /**
   * Builds TypeGraph's own indexes on its base relations (`SYSTEM_INDEX_DECLARATIONS`) where they
   * are missing, e.g. after a bulk load dropped them or on a database created by an older
   * version. Same status rows, drift signatures and PostgreSQL protocol as `materializeIndexes`;
   * an index that exists without a status row is `alreadyMaterialized` with nothing written, a
   * relation missing from the database is `skipped`.
   */
  async materializeSystemIndexes(options: MaterializeSystemIndexesOptions = {}): Promise<MaterializeIndexesResult> {
    const handle = await this.#handle;
    const active = (await this.#backend.call(handle, "getActiveSchema", {})) as { version: number } | null;
    if (active === null) {
      throw new ConfigurationError(`Cannot materialize indexes on graph "${this.#graph.id}": no schema has been initialized. Call createStoreWithSchema first.`, {
        code: "MATERIALIZE_BEFORE_INITIALIZE",
      });
    }
    const raw = (await this.#backend.call(handle, "materializeIndexes", {
      schemaVersion: active.version,
      stopOnError: options.stopOnError ?? false,
      refreshStatistics: options.refreshStatistics ?? true,
      entries: systemIndexEntries(this.#backend.dialect, this.#backend.tableNames),
    })) as { indexName: string; entity: "system"; kind: string; status: MaterializeIndexesEntry["status"]; error?: string; reason?: string }[];
    return {
      results: raw.map((r) => ({
        indexName: r.indexName,
        entity: r.entity,
        kind: r.kind,
        status: r.status,
        ...(r.error === undefined ? {} : { error: new Error(r.error) }),
        ...(r.reason === undefined ? {} : { reason: r.reason }),
      })),
    };
  }

  /** The contribution health calls' view of this store (`contributions.ts`). */
  #contributionHost(): ContributionStoreHost {
    return { graphId: this.#graph.id, handle: async () => this.#handle, call: (h, op, args) => this.#backend.call(h, op, args) };
  }
  /** Read-only: every declared search side table whose marker and catalog disagree (healthy ones are omitted). */
  async verifyContributions(): Promise<readonly ContributionDiagnostic[]> {
    return verifyContributions(this.#contributionHost());
  }
  /** Read-only: one `ready` / `degraded` entry per search projection the graph declares. */
  async probeContributions(): Promise<ContributionProbeResult> {
    return probeContributions(this.#contributionHost());
  }
  /** Re-stamps markers of intact storage (idempotent DDL only); reports what needs a rebuild. */
  async repairContributions(): Promise<ContributionRepairResult> {
    return repairContributions(this.#contributionHost());
  }
  /** Recreates and refills this graph's fulltext rows in one transaction (vector storage refuses). */
  async rebuildContribution(scope: ContributionRebuildScope, options?: RebuildContributionOptions): Promise<ContributionRebuildResult> {
    return rebuildContribution(this.#contributionHost(), scope, options);
  }

  /**
   * Hard-deletes everything this graph stores — nodes, edges, unique claims, fulltext documents,
   * embeddings, index and removal status rows and the schema versions — in one transaction; other
   * graphs in the same tables are untouched. The store stays usable: as upstream, it is now a raw,
   * unversioned store (`introspect().schemaVersion === undefined`); reopen it through
   * `createStoreWithSchema` when version-fenced writes are required.
   */
  async clear(): Promise<void> {
    const handle = await this.#handle;
    await this.#backend.call(handle, "clearGraph", {});
    let raw = await this.#backend.register(engineGraph(this.#graph, this.#queryDefaults));
    if (ticksClock(this.#options)) raw = await withHistory(this.#backend, raw, this.#options);
    this.#handle = raw;
    this.#meta = {};
    this.#runner = { backend: this.#backend, handle: raw, afterBulkCreate: this.#afterBulkCreate, coalesce: this.#coalesce, ops: this.#ops };
    this.#collections = undefined;
    this.#search = undefined;
  }

  /**
   * The reconciled schema this managed store was built on — the graph with its runtime-committed
   * kinds folded in, and the committed version — as an opaque snapshot to cache and hand to
   * `createStore(graph, backend, { reconciled })`; undefined on a raw store.
   */
  get reconciledSchema(): ReconciledSchema<G> | undefined {
    if (this.#meta.version === undefined) return undefined;
    return Object.freeze({ graph: this.#graph, version: this.#meta.version, ...(this.#meta.hash !== undefined ? { hash: this.#meta.hash } : {}) });
  }

  /** The same store (same schema snapshot and options) on another connection, without re-verifying. */
  withBackend(backend: GraphBackend): Store<G> {
    const handle =
      this.#meta.version === undefined ? backend.register(engineGraph(this.#graph, this.#queryDefaults)) : evolution.registerManaged(backend, this.#graph, this.#meta.version);
    return new Store(this.#graph, backend, handle, this.#meta, this.#options);
  }

  /** The active schema version row of this graph, or undefined. */
  async getActiveSchema(): Promise<{ version: number; hash: string; doc: SerializedSchema } | undefined> {
    const active = await this.#backend.call(await this.#handle, "getActiveSchema", {});
    return (active ?? undefined) as { version: number; hash: string; doc: SerializedSchema } | undefined;
  }

  /**
   * What committing this store's graph would change relative to the active schema (the stored
   * graph extension folded in, so runtime kinds are not removals); undefined before the first
   * commit. Reads only.
   */
  async schemaChanges(): Promise<SchemaDiff | undefined> {
    const active = await this.getActiveSchema();
    if (active === undefined) return undefined;
    return computeSchemaDiff(active.doc, serializeSchema(withStoredExtension(this.#graph, active.doc), active.version + 1));
  }

  /** True when nothing is committed yet or the active schema is behind this store's graph. Reads only. */
  async requiresMigration(): Promise<boolean> {
    const diff = await this.schemaChanges();
    return diff === undefined || diff.hasChanges;
  }

  async close(): Promise<void> {
    await this.#backend.close();
  }
}

const TX_TOKEN = Symbol("typegraph.txToken");

const ISOLATION_LEVELS = ["read_uncommitted", "read_committed", "repeatable_read", "serializable"] as const;
const ACCESS_MODES = ["read_only", "read_write"] as const;

/** `store.transaction`'s options, checked before anything is opened (undefined when none is set). */
function transactionOptions(options: TransactionOptions | undefined): TransactionOptions | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== "object") throw new ConfigurationError(`store.transaction options must be an object, got ${typeof options}.`, { options });
  const { isolationLevel, accessMode } = options;
  if (isolationLevel !== undefined && !(ISOLATION_LEVELS as readonly unknown[]).includes(isolationLevel)) {
    throw new ConfigurationError(`Unknown transaction isolationLevel ${JSON.stringify(isolationLevel)}; use one of ${ISOLATION_LEVELS.join(", ")}.`, { isolationLevel });
  }
  if (accessMode !== undefined && !(ACCESS_MODES as readonly unknown[]).includes(accessMode)) {
    throw new ConfigurationError(`Unknown transaction accessMode ${JSON.stringify(accessMode)}; use read_only or read_write.`, { accessMode });
  }
  if (isolationLevel === undefined && accessMode === undefined) return undefined;
  return { ...(isolationLevel === undefined ? {} : { isolationLevel }), ...(accessMode === undefined ? {} : { accessMode }) };
}

/** Kind lookup over a store's graph: `nodeKinds` / `edgeKinds` maps plus existence checks. */
export class KindRegistry {
  readonly nodeKinds: ReadonlyMap<string, NodeType>;
  readonly edgeKinds: ReadonlyMap<string, EdgeType>;
  constructor(graph: GraphDef) {
    this.nodeKinds = new Map(Object.entries(graph.nodes).map(([k, r]) => [k, r.type]));
    this.edgeKinds = new Map(Object.entries(graph.edges).map(([k, r]) => [k, r.type]));
  }
  getNodeType(kind: string): NodeType | undefined {
    return this.nodeKinds.get(kind);
  }
  getEdgeType(kind: string): EdgeType | undefined {
    return this.edgeKinds.get(kind);
  }
  hasNodeType(kind: string): boolean {
    return this.nodeKinds.has(kind);
  }
  hasEdgeType(kind: string): boolean {
    return this.edgeKinds.has(kind);
  }
}

export interface MaterializeIndexesOptions {
  /** Only indexes of these kinds. */
  kinds?: readonly string[];
  /** Stop at the first failure (default: best effort over every index). */
  stopOnError?: boolean;
  /** Refresh planner statistics after an index was created (default true). */
  refreshStatistics?: boolean;
}
export interface MaterializeIndexesEntry {
  indexName: string;
  entity: "node" | "edge" | "vector" | "system";
  kind: string;
  status: "created" | "alreadyMaterialized" | "failed" | "skipped";
  error?: Error;
  reason?: string;
}
export interface MaterializeIndexesResult {
  results: readonly MaterializeIndexesEntry[];
}

const VECTOR_INDEX_TYPES: Record<"sqlite" | "postgres", readonly string[]> = { sqlite: ["hnsw", "none"], postgres: ["hnsw", "ivfflat", "none"] };

/** One declaration as the engine's `materializeIndexes` takes it: status key, signature, action. */
function materializationEntry(d: IndexDeclaration, graphId: string, dialect: "sqlite" | "postgres", reserved: Set<string>, names: TypeGraphTableNames) {
  if (d.entity === "vector") {
    const base = { name: d.name, statusKey: `${graphId}::${d.name}`, entity: "vector", kind: d.kind };
    if (d.indexType === "none") return { ...base, action: { type: "skip", reason: "indexType: 'none' opts out of automatic materialization" } };
    if (!VECTOR_INDEX_TYPES[dialect].includes(d.indexType)) {
      return {
        ...base,
        action: {
          type: "skip",
          reason: `Backend (${dialect}) does not support index type "${d.indexType}" for vector indexes; supported: ${VECTOR_INDEX_TYPES[dialect].join(", ")}`,
        },
      };
    }
    const table = vectorPhysicalName("tg_vec", graphId, d.kind, d.fieldPath);
    return {
      ...base,
      signature: indexSignature(dialect, table, d),
      action: {
        type: "vector",
        field: d.fieldPath,
        indexType: d.indexType,
        m: d.indexParams.m,
        efConstruction: d.indexParams.efConstruction,
        ...(d.indexParams.lists === undefined ? {} : { lists: d.indexParams.lists }),
      },
    };
  }
  const base = { name: d.name, statusKey: d.name, entity: d.entity, kind: d.kind };
  if (reserved.has(d.name)) {
    return {
      ...base,
      action: {
        type: "fail",
        error: `Index name "${d.name}" collides with a TypeGraph system index. Rename the declaration — a same-named CREATE INDEX IF NOT EXISTS would silently no-op against the system index instead of creating the declared one.`,
      },
    };
  }
  if (d.method !== undefined && dialect === "sqlite") {
    return {
      ...base,
      action: {
        type: "skip",
        reason: `Index method "${d.method}" requires PostgreSQL (expression GIN${d.method === "trigram" ? " + pg_trgm" : ""}); SQLite serves substring search via FTS5 fulltext instead.`,
      },
    };
  }
  const table = d.entity === "node" ? names.nodes : names.edges;
  try {
    const sql = generateIndexDDL(d, dialect, { ifNotExists: true, concurrent: dialect === "postgres", nodesTableName: names.nodes, edgesTableName: names.edges });
    return { ...base, signature: indexSignature(dialect, table, d), action: { type: "ddl", sql, trigram: d.method === "trigram" } };
  } catch (error) {
    return { ...base, action: { type: "fail", error: error instanceof Error ? error.message : String(error) } };
  }
}

/** `queryDefaults` of the store options. */
export interface QueryDefaults {
  /** Default `expand` of `traverse()`: `"inverse"` unless set. */
  traversalExpansion?: TraversalExpansion;
}

export interface StoreOptions {
  /**
   * Row count at which one autocommit `bulkCreate`/`bulkInsert`/`bulkUpsertById` (rows it wrote) refreshes planner statistics
   * (ANALYZE) after it commits; `false` never does. Default 1,000. Writes inside
   * `store.transaction()` never refresh: call `store.refreshStatistics()` after a loop of batches.
   */
  autoRefreshStatistics?: false | number;
  /** Query-builder defaults for this store. */
  queryDefaults?: QueryDefaults;
  /** Observability: the query hooks fire once per SQL statement the query builder submits. */
  hooks?: StoreHooks;
  /**
   * An upsert (`upsertById`, `bulkUpsertById` per item, endpoint get-or-create with
   * `ifExists: "update"`) whose validated props and stated window equal the live row's writes
   * nothing and returns the stored row. Default off.
   */
  coalesceUnchangedUpserts?: boolean;
  /** Capture every committed collection write into the recorded relations (recorded/system time). */
  history?: boolean;
  /** Each write transaction advances the graph's revision anchor (`store.revisionNow()`); implied by `history`. */
  revisionTracking?: boolean;
  /** An externally populated recorded relation for `asOfRecorded(T)` reads (`recordedRelation({ schema })`); no capture. */
  recordedRead?: ExternalRecordedReadSource;
  /** The store's table names (`createSqlSchema(...)`); must name the backend's graph tables. */
  schema?: SqlSchema;
  [option: string]: unknown;
}

/** A verified store's schema snapshot: the reconciled graph and the committed version it reflects. */
export interface ReconciledSchema<G extends GraphDef = GraphDef> {
  readonly graph: G;
  readonly version: number;
  readonly hash?: string;
}

/** A store over existing tables: no DDL, no schema checks (managed when given a `reconciled` snapshot). */
export function createStore<G extends GraphDef>(graph: G, backend: GraphBackend, options: StoreOptions = {}): Store<G> {
  const reconciled = options.reconciled as ReconciledSchema<G> | undefined;
  if (reconciled !== undefined) {
    // A managed store from a verified snapshot: no database reads, writes fenced on its version.
    if (reconciled === null || typeof reconciled !== "object" || reconciled.graph?.id !== graph.id || typeof reconciled.version !== "number") {
      const builtFor = reconciled?.graph?.id;
      const why = typeof builtFor === "string" && builtFor !== graph.id ? `was built for graph "${builtFor}", not "${graph.id}"` : `is not a snapshot of graph "${graph.id}"`;
      throw new ConfigurationError(`The reconciled schema given to createStore ${why}`, { graphId: graph.id });
    }
    const handle = evolution.registerManaged(backend, reconciled.graph, reconciled.version);
    return new Store(reconciled.graph, backend, handle, { version: reconciled.version, ...(reconciled.hash !== undefined ? { hash: reconciled.hash } : {}) }, options);
  }
  // SQLite answers synchronously: a database evolved at runtime opens with its extension kinds.
  const effective = evolution.persistedGraphSync(graph, backend);
  const handle = backend.register(engineGraph(effective, options.queryDefaults ?? {}));
  return new Store(effective, backend, handle, {}, options);
}

export type SchemaValidationResult =
  | { status: "initialized"; version: number; committedRow: Record<string, unknown> }
  | { status: "unchanged"; version: number }
  | { status: "migrated"; fromVersion: number; toVersion: number; diff: SchemaDiff; committedRow: Record<string, unknown> }
  | { status: "pending"; version: number; diff: SchemaDiff }
  | { status: "breaking"; diff: SchemaDiff; actions: string[] };

/** What migration hooks receive: the versions involved and the diff being applied. */
export interface MigrationHookContext {
  readonly graphId: string;
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly diff: SchemaDiff;
}

/** One kind-level change in a schema diff (see `typegraph-native/schema` for the full diff types). */
export type SchemaChange = NodeChange;
export type { SchemaDiff };

/** Creates missing tables, records or checks the schema version, and returns the store with the outcome. */
export async function createStoreWithSchema<G extends GraphDef>(
  graph: G,
  backend: GraphBackend,
  options: {
    autoMigrate?: boolean;
    throwOnBreaking?: boolean;
    /** Awaited before an additive change is committed; a throw stops the migration. */
    onBeforeMigrate?: (context: MigrationHookContext) => void | Promise<void>;
    /** Awaited after an additive change was committed. */
    onAfterMigrate?: (context: MigrationHookContext) => void | Promise<void>;
  } & StoreOptions = {},
): Promise<[Store<G>, SchemaValidationResult]> {
  await backend.bootstrap();
  const baseHandle = await backend.register(engineGraph(graph));
  for (let attempt = 0; ; attempt++) {
    const active = (await backend.call(baseHandle, "getActiveSchema", {})) as { version: number; hash: string; doc: SerializedSchema } | null;
    // Runtime kinds committed by evolve() live in the stored document: fold them in before comparing.
    const effective = active ? (withStoredExtension(graph, active.doc) as unknown as G) : graph;
    const handle = effective === graph ? baseHandle : await backend.register(engineGraph(effective));
    await backend.call(handle, "provisionSearch", {});
    const nextVersion = active ? active.version + 1 : 1;
    const doc = serializeSchema(effective, nextVersion);
    const hash = computeSchemaHash(doc);
    // The returned store is fenced on the version it was checked against.
    const managed = async (version: number, schemaHash: string) =>
      new Store(effective, backend, await evolution.registerManaged(backend, effective, version), { version, hash: schemaHash }, options);
    const commit = async () => {
      const row = (await backend.call(handle, "commitSchema", {
        graphId: graph.id,
        expected: active ? active.version : null,
        version: nextVersion,
        hash,
        doc: JSON.stringify(doc),
      })) as { createdAt: string };
      return { graph_id: graph.id, version: nextVersion, schema_hash: hash, schema_doc: JSON.stringify(doc), created_at: row.createdAt, is_active: true };
    };
    try {
      if (!active) {
        const committedRow = await commit();
        return [await identityBuilt(await managed(1, hash)), { status: "initialized", version: 1, committedRow }];
      }
      if (active.hash === hash) return [await managed(active.version, active.hash), { status: "unchanged", version: active.version }];
      const diff = computeSchemaDiff(active.doc, doc);
      if (!diff.hasChanges) return [await managed(active.version, active.hash), { status: "unchanged", version: active.version }];
      if (!diff.hasBreakingChanges) {
        if (options.autoMigrate === false) return [await managed(active.version, active.hash), { status: "pending", version: active.version, diff }];
        const context = { graphId: graph.id, fromVersion: active.version, toVersion: nextVersion, diff };
        await options.onBeforeMigrate?.(context);
        const committedRow = await commit();
        await options.onAfterMigrate?.(context);
        return [await identityBuilt(await managed(nextVersion, hash)), { status: "migrated", fromVersion: active.version, toVersion: nextVersion, diff, committedRow }];
      }
      const actions = getMigrationActions(diff);
      if (options.throwOnBreaking === false) return [await managed(active.version, active.hash), { status: "breaking", diff, actions }];
      const removesKind = [...diff.nodes, ...diff.edges].some((c) => c.type === "removed");
      throw new MigrationError(
        `Schema migration required: ${diff.summary}. ${actions.length} migration action(s) needed. Review them with getSchemaChanges() before changing the graph.` +
          (removesKind ? " This diff removes a kind: export or delete its rows first." : ""),
        { graphId: graph.id, fromVersion: active.version, toVersion: nextVersion, reason: "breaking-change", diff },
      );
    } catch (error) {
      // Another process initialised or migrated first: re-read and decide again.
      if (error instanceof StaleVersionError && attempt < 3) continue;
      throw error;
    }
  }
}

/** A committed identity graph's derived relations are built from what is stored (first enablement, migrations). */
async function identityBuilt<G extends GraphDef>(store: Store<G>): Promise<Store<G>> {
  if (identityOf(store.graph) !== undefined) await rebuildClosureWith(store.graph, store[IDENTITY_PORT]().call);
  return store;
}

export { ConfigurationError };
