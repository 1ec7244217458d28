// Backends: a thin owner of one native handle. SQLite calls run synchronously
// on the calling thread; PostgreSQL calls are async on the engine's runtime.

import { backendEdgeReads, type BackendEdgeReads } from "./backend-edge-reads.js";
import { backendUniques, type BackendUniques } from "./backend-uniques.js";
import { backendKindCounts, backendRowAccess, backendSchemaReads, type BackendKindCounts, type BackendRowAccess, type BackendSchemaReads } from "./backend-rows.js";
import { ConfigurationError, BackendDisposedError, convertError } from "./errors.js";
import type { RecursiveTraversalCapability } from "./recursion-capability.js";
import { jsonCopyOf } from "./json-copy.js";
import { CONTRIBUTION_CAPABILITIES, contributionMembers, type ContributionBackendMembers, type ContributionCapabilities } from "./contributions.js";
import { NativePostgres, NativeSqlite, sqliteGetNode, sqliteQueryPlan } from "./native.js";
import { followAppClock } from "./clock.js";
import { DEFAULT_TABLE_NAMES, engineTableNames, type TypeGraphTableNames } from "./table-names.js";

export type Dialect = "sqlite" | "postgres";
/** An open transaction as the backend knows it. */
export interface TxToken {
  readonly id: number;
  open: boolean;
}

/** How a filtered approximate vector search bounds recall (see `VectorCapabilities`). */
export type FilteredApproximateSearchMode = "filter-pushdown" | "iterative-scan" | "post-filter";
export interface FilteredApproximateSearch {
  readonly mode: FilteredApproximateSearchMode;
  /** `true` when a filtered search returns `limit` rows whenever that many match. */
  readonly guaranteesFullPage: boolean;
}
/** Whether `efSearch` can widen the ANN frontier of one search. */
export type VectorSearchFrontierTuning =
  | { readonly tunable: true; readonly parameter: string; readonly indexType: "hnsw" | "ivfflat" | "none"; readonly requiresTransactionScope: boolean }
  | { readonly tunable: false; readonly reason: string };
export interface VectorCapabilities {
  readonly supported: boolean;
  readonly metrics: readonly ("cosine" | "l2" | "inner_product")[];
  readonly indexTypes: readonly ("hnsw" | "ivfflat" | "none")[];
  readonly maxDimensions: number;
  readonly filteredApproximateSearch: FilteredApproximateSearch;
  readonly searchFrontierTuning: VectorSearchFrontierTuning;
}
export interface FulltextCapabilities {
  readonly supported: boolean;
  /** Tokenizers (SQLite FTS5) or text search configurations (PostgreSQL) this backend understands. */
  readonly languages: readonly string[];
  readonly phraseQueries: boolean;
  readonly prefixQueries: boolean;
  readonly highlighting: boolean;
}

export interface BackendCapabilities {
  readonly transactions: boolean;
  readonly returning: boolean;
  readonly windowFunctions: boolean;
  readonly maxBindParameters: number;
  /** `updateNode`/`updateEdge` store a cleared `valid_to` as NULL (`clearValidTo: true`); a backend
   *  stating `false` has explicit clears refused (`CLEAR_VALID_TO_UNSUPPORTED`). */
  readonly clearValidTo?: boolean;
  /** Bounded transitive closures in one round trip (absent means supported; see `recursion-capability.ts`). */
  readonly recursiveTraversal?: RecursiveTraversalCapability;
  readonly vector?: VectorCapabilities;
  readonly fulltext?: FulltextCapabilities;
  /** How far up the contribution health ladder (probe → repair → rebuild) this backend goes. */
  readonly contributions?: ContributionCapabilities;
}

/** `backend.deleteFulltext(...)`: one node's fulltext document. */
export interface DeleteFulltextParams {
  readonly graphId: string;
  readonly nodeKind: string;
  readonly nodeId: string;
}

// What the engine's search side tables do on each dialect (facts of this package, not of upstream's strategies).
const SQLITE_SEARCH = {
  // FTS5 with the `porter unicode61 remove_diacritics 2` tokenizer, fixed when the table is created;
  // every query mode incl. phrases and `foo*` prefixes (raw), snippets by FTS5 snippet().
  fulltext: Object.freeze({ supported: true, languages: Object.freeze(["porter", "unicode61"]), phraseQueries: true, prefixQueries: true, highlighting: true }),
  vector: Object.freeze({
    supported: true,
    // vec0 tables take cosine and l2 only.
    metrics: Object.freeze(["cosine", "l2"] as const),
    indexTypes: Object.freeze(["hnsw", "none"] as const),
    // sqlite-vec's vec0 column limit.
    maxDimensions: 8192,
    // The `where` is applied while ranking (row bitmap / index check), widening until the page is full.
    filteredApproximateSearch: Object.freeze({ mode: "filter-pushdown", guaranteesFullPage: true } as const),
    // The engine's own HNSW graph takes a per-search frontier.
    searchFrontierTuning: Object.freeze({ tunable: true, parameter: "efSearch", indexType: "hnsw", requiresTransactionScope: false } as const),
  }),
};
const POSTGRES_SEARCH = {
  // tsvector with any installed text search configuration; these ship with every PostgreSQL.
  fulltext: Object.freeze({
    supported: true,
    languages: Object.freeze(["simple", "english", "french", "german", "italian", "portuguese", "russian", "spanish", "swedish"]),
    phraseQueries: true,
    prefixQueries: true,
    highlighting: true,
  }),
  vector: Object.freeze({
    supported: true,
    metrics: Object.freeze(["cosine", "l2", "inner_product"] as const),
    indexTypes: Object.freeze(["hnsw", "ivfflat", "none"] as const),
    // pgvector's `vector` type limit.
    maxDimensions: 16000,
    // The filter joins the index scan's candidates (no iterative scan is switched on): a page can come back short.
    filteredApproximateSearch: Object.freeze({ mode: "post-filter", guaranteesFullPage: false } as const),
    // `SET LOCAL hnsw.ef_search` inside the search's own transaction.
    searchFrontierTuning: Object.freeze({ tunable: true, parameter: "hnsw.ef_search", indexType: "hnsw", requiresTransactionScope: true } as const),
  }),
};

/**
 * Options of `store.transaction(fn, options)`. PostgreSQL opens the transaction with them;
 * SQLite is serializable whatever the level, and a `read_only` transaction there takes no write
 * lock and refuses writes until it ends.
 */
export type TransactionOptions = Readonly<{
  isolationLevel?: "read_uncommitted" | "read_committed" | "repeatable_read" | "serializable";
  accessMode?: "read_only" | "read_write";
}>;

/** The backend contract the store uses; create one with a backend factory. */
export interface GraphBackend {
  readonly dialect: Dialect;
  readonly capabilities: BackendCapabilities;
  /** Physical names of the TypeGraph tables (the defaults unless the factory was given `tables`). */
  readonly tableNames?: TypeGraphTableNames;
  /** @internal */ register(graphJson: string): Promise<number> | number;
  /** @internal */ call(graph: number, op: string, args: unknown, tx?: TxToken): Promise<unknown>;
  /** @internal */ bootstrap(): Promise<void>;
  /** @internal */ begin(options?: TransactionOptions): Promise<TxToken>;
  /** @internal */ end(tx: TxToken, commit: boolean): Promise<void>;
  /** Drops one node's fulltext document (the node stays); `store.search.rebuildFulltext()` restores it. */
  deleteFulltext?(params: DeleteFulltextParams): Promise<void>;
  /** Raw row access by graph id, unvalidated (upstream's port shapes; see `backend-rows.ts`). */
  readonly insertNode?: BackendRowAccess["insertNode"];
  readonly getNode?: BackendRowAccess["getNode"];
  readonly insertEdge?: BackendRowAccess["insertEdge"];
  readonly getEdge?: BackendRowAccess["getEdge"];
  /** The graph's active schema version row (upstream's port shape), undefined before its first commit. */
  readonly getActiveSchema?: BackendSchemaReads["getActiveSchema"];
  /** One committed schema version row of the graph, active or not. */
  readonly getSchemaVersion?: BackendSchemaReads["getSchemaVersion"];
  /** The graph's kind removals still awaiting data cleanup (upstream's port shape). */
  readonly getPendingKindRemovals?: BackendSchemaReads["getPendingKindRemovals"];
  /** Schema-version writes by graph id (upstream's port shapes; see `backend-rows.ts`). */
  readonly commitSchemaVersion?: BackendSchemaReads["commitSchemaVersion"];
  readonly commitSchemaVersionIfKindsEmpty?: BackendSchemaReads["commitSchemaVersionIfKindsEmpty"];
  readonly setActiveVersion?: BackendSchemaReads["setActiveVersion"];
  /** Row counts of one kind by graph id, declared or not (upstream's port shapes). */
  readonly countNodesByKind?: BackendKindCounts["countNodesByKind"];
  readonly countEdgesByKind?: BackendKindCounts["countEdgesByKind"];
  /** Edge reads over a set of endpoints, and raw edge deletes, by graph id (see `backend-edge-reads.ts`);
   *  the store's bulk endpoint reads refuse with a ConfigurationError on a backend without the reads. */
  readonly findEdgesByEndpointSet?: BackendEdgeReads["findEdgesByEndpointSet"];
  readonly findEdgesByHeterogeneousEndpointSet?: BackendEdgeReads["findEdgesByHeterogeneousEndpointSet"];
  readonly deleteEdge?: BackendEdgeReads["deleteEdge"];
  readonly hardDeleteEdge?: BackendEdgeReads["hardDeleteEdge"];
  /** Uniqueness claim rows by graph id (see `backend-uniques.ts`). */
  readonly insertUnique?: BackendUniques["insertUnique"];
  readonly checkUnique?: BackendUniques["checkUnique"];
  readonly deleteUnique?: BackendUniques["deleteUnique"];
  readonly hardDeleteUniquesByNodeIds?: BackendUniques["hardDeleteUniquesByNodeIds"];
  readonly hardDeleteUniquesByConcreteKind?: BackendUniques["hardDeleteUniquesByConcreteKind"];
  /** Creates the kind-removal queue table when it is missing (idempotent; part of bootstrap). */
  readonly ensureKindRemovalsTable?: () => Promise<void>;
  /** Present when the backend loads `trustedImportGraph` natively (deferred-index bulk path). */
  readonly trustedImport?: TrustedImportPath;
  /** Contribution markers and side-table strategies (upstream's port shapes; see `contributions.ts`). */
  readonly fulltextStrategy?: ContributionBackendMembers["fulltextStrategy"];
  readonly vectorStrategy?: ContributionBackendMembers["vectorStrategy"];
  readonly getContributionMaterialization?: ContributionBackendMembers["getContributionMaterialization"];
  readonly recordContributionMaterialization?: ContributionBackendMembers["recordContributionMaterialization"];
  readonly deleteVectorSlotContribution?: ContributionBackendMembers["deleteVectorSlotContribution"];
  readonly executeDdl?: ContributionBackendMembers["executeDdl"];
  readonly rebuildContribution?: ContributionBackendMembers["rebuildContribution"];
  close(): Promise<void>;
}

/** The most recent registration of `graphId`, else any (a bare one when none). */
function latestHandleOfGraph<H>(registered: Map<string, H>, graphId: string, register: (graphJson: string) => H): H {
  try {
    return handleOfGraph(registered, graphId);
  } catch {
    return anyHandleOfGraph(registered, graphId, register);
  }
}
/** Both bundled backends compute transitive closures (recursive CTEs). */
const RECURSIVE_TRAVERSAL: RecursiveTraversalCapability = Object.freeze({ supported: true });

/** The trusted-import path a backend offers (see `typegraph-native/interchange`). */
export type TrustedImportPath = Readonly<{ path: "deferred-index-load" }>;
const TRUSTED_IMPORT: TrustedImportPath = Object.freeze({ path: "deferred-index-load" });

/** The engine handle of the most recent registration of `graphId` among a backend's registered definitions. */
function handleOfGraph<H>(registered: Map<string, H>, graphId: string): H {
  let found: H | undefined;
  for (const [json, handle] of registered) if ((JSON.parse(json) as { graphId?: unknown }).graphId === graphId) found = handle;
  if (found === undefined) {
    throw new ConfigurationError(`No store of graph "${graphId}" was created on this backend`, { graphId });
  }
  return found;
}

/** A registration carrying `graphId`, or else a bare one (no kinds) for reads that go by graph id only. */
function anyHandleOfGraph<H>(registered: Map<string, H>, graphId: string, register: (graphJson: string) => H): H {
  for (const [json, handle] of registered) if ((JSON.parse(json) as { graphId?: unknown }).graphId === graphId) return handle;
  return register(JSON.stringify({ graphId, nodes: {}, edges: {} }));
}

/**
 * @internal Raw JSON texts a search result carries after its JSON (see `search.ts`): a result
 * framed as `\0` + JSON + (`\0` + part)* gets its parts under this key.
 */
export const RESULT_PARTS: unique symbol = Symbol("typegraph.resultParts");

/** @internal An error thrown by a merge step called back from the engine, carried unchanged. */
export class MergeStepError {
  constructor(readonly cause: unknown) {}
}

function parse(text: string): unknown {
  if (text.charCodeAt(0) !== 0) return JSON.parse(text);
  const end = text.indexOf("\0", 1);
  const value = JSON.parse(end < 0 ? text.slice(1) : text.slice(1, end)) as object;
  const parts = end < 0 ? [] : text.slice(end + 1).split("\0");
  Object.defineProperty(value, RESULT_PARTS, { value: parts });
  return value;
}

export class SqliteBackend implements GraphBackend {
  readonly dialect = "sqlite" as const;
  readonly capabilities: BackendCapabilities = Object.freeze({
    transactions: true,
    returning: true,
    windowFunctions: true,
    maxBindParameters: 32766,
    clearValidTo: true,
    recursiveTraversal: RECURSIVE_TRAVERSAL,
    ...SQLITE_SEARCH,
    contributions: CONTRIBUTION_CAPABILITIES,
  });
  #native: NativeSqlite | undefined;
  /** The connection's number for the point reads' plain functions (`sqliteGetNode`, `sqliteQueryPlan`). */
  readonly #slot: number;
  #tx: TxToken | undefined;
  #nextTx = 1;

  /** Physical names of the TypeGraph tables this backend reads and writes. */
  readonly tableNames: TypeGraphTableNames;
  #names: string | undefined;

  constructor(native: NativeSqlite, tableNames: TypeGraphTableNames = DEFAULT_TABLE_NAMES) {
    this.#native = native;
    this.tableNames = tableNames;
    this.#names = engineTableNames(tableNames);
    this.#slot = native.slot();
    const rows = backendRowAccess((graphId) => handleOfGraph(this.#registered, graphId), (h, op, args) => this.call(h, op, args));
    const edgeReads = backendEdgeReads((graphId) => handleOfGraph(this.#registered, graphId), (h, op, args) => this.call(h, op, args));
    this.findEdgesByEndpointSet = edgeReads.findEdgesByEndpointSet;
    this.findEdgesByHeterogeneousEndpointSet = edgeReads.findEdgesByHeterogeneousEndpointSet;
    this.deleteEdge = edgeReads.deleteEdge;
    this.hardDeleteEdge = edgeReads.hardDeleteEdge;
    const uniques = backendUniques((graphId) => handleOfGraph(this.#registered, graphId), (h, op, args) => this.call(h, op, args));
    this.insertUnique = uniques.insertUnique;
    this.checkUnique = uniques.checkUnique;
    this.deleteUnique = uniques.deleteUnique;
    this.hardDeleteUniquesByNodeIds = uniques.hardDeleteUniquesByNodeIds;
    this.hardDeleteUniquesByConcreteKind = uniques.hardDeleteUniquesByConcreteKind;
    const reads = backendSchemaReads(
      (graphId) => anyHandleOfGraph(this.#registered, graphId, (json) => this.register(json)),
      (h, op, args) => this.call(h, op, args),
      () => this.bootstrap(),
    );
    const counts = backendKindCounts((graphId) => anyHandleOfGraph(this.#registered, graphId, (json) => this.register(json)), (h, op, args) => this.call(h, op, args));
    this.countNodesByKind = counts.countNodesByKind;
    this.countEdgesByKind = counts.countEdgesByKind;
    this.getActiveSchema = reads.getActiveSchema;
    this.getSchemaVersion = reads.getSchemaVersion;
    this.getPendingKindRemovals = reads.getPendingKindRemovals;
    this.commitSchemaVersion = reads.commitSchemaVersion;
    this.commitSchemaVersionIfKindsEmpty = reads.commitSchemaVersionIfKindsEmpty;
    this.setActiveVersion = reads.setActiveVersion;
    this.insertNode = rows.insertNode;
    this.getNode = rows.getNode;
    this.insertEdge = rows.insertEdge;
    this.getEdge = rows.getEdge;
    const contributions = contributionMembers({
      dialect: "sqlite",
      handleOf: (graphId) => latestHandleOfGraph(this.#registered, graphId, (json) => this.register(json)),
      call: (h, op, args, tx) => this.call(h, op, args, tx),
      begin: () => this.begin(),
      end: (tx, commit) => this.end(tx, commit),
      exec: (sql) => this.exec(sql),
    });
    this.fulltextStrategy = contributions.fulltextStrategy;
    this.vectorStrategy = contributions.vectorStrategy;
    this.getContributionMaterialization = contributions.getContributionMaterialization;
    this.recordContributionMaterialization = contributions.recordContributionMaterialization;
    this.deleteVectorSlotContribution = contributions.deleteVectorSlotContribution;
    this.executeDdl = contributions.executeDdl;
    this.rebuildContribution = contributions.rebuildContribution;
  }

  /** Contribution markers and side-table strategies (upstream's port shapes; see `contributions.ts`). */
  readonly fulltextStrategy: ContributionBackendMembers["fulltextStrategy"];
  readonly vectorStrategy: ContributionBackendMembers["vectorStrategy"];
  readonly getContributionMaterialization: ContributionBackendMembers["getContributionMaterialization"];
  readonly recordContributionMaterialization: ContributionBackendMembers["recordContributionMaterialization"];
  readonly deleteVectorSlotContribution: ContributionBackendMembers["deleteVectorSlotContribution"];
  readonly executeDdl: ContributionBackendMembers["executeDdl"];
  readonly rebuildContribution: ContributionBackendMembers["rebuildContribution"];

  /** Raw rows in upstream's backend-port shapes, by graph id (see `backend-rows.ts`). */
  readonly insertNode: BackendRowAccess["insertNode"];
  readonly getNode: BackendRowAccess["getNode"];
  readonly insertEdge: BackendRowAccess["insertEdge"];
  readonly getEdge: BackendRowAccess["getEdge"];
  /** The graph's active schema version row (upstream's port shape), undefined before its first commit. */
  readonly getActiveSchema: BackendSchemaReads["getActiveSchema"];
  /** One committed schema version row of the graph, active or not. */
  readonly getSchemaVersion: BackendSchemaReads["getSchemaVersion"];
  /** The graph's kind removals still awaiting data cleanup (upstream's port shape). */
  readonly getPendingKindRemovals: BackendSchemaReads["getPendingKindRemovals"];
  /** Schema-version writes by graph id (upstream's port shapes; see `backend-rows.ts`). */
  readonly commitSchemaVersion: BackendSchemaReads["commitSchemaVersion"];
  readonly commitSchemaVersionIfKindsEmpty: BackendSchemaReads["commitSchemaVersionIfKindsEmpty"];
  readonly setActiveVersion: BackendSchemaReads["setActiveVersion"];
  /** Row counts of one kind by graph id, declared or not (upstream's port shapes). */
  readonly countNodesByKind: BackendKindCounts["countNodesByKind"];
  readonly countEdgesByKind: BackendKindCounts["countEdgesByKind"];
  /** Endpoint-set edge reads and raw edge deletes by graph id (see `backend-edge-reads.ts`). */
  readonly findEdgesByEndpointSet: BackendEdgeReads["findEdgesByEndpointSet"];
  readonly findEdgesByHeterogeneousEndpointSet: BackendEdgeReads["findEdgesByHeterogeneousEndpointSet"];
  readonly deleteEdge: BackendEdgeReads["deleteEdge"];
  readonly hardDeleteEdge: BackendEdgeReads["hardDeleteEdge"];
  /** Uniqueness claim rows by graph id (see `backend-uniques.ts`). */
  readonly insertUnique: BackendUniques["insertUnique"];
  readonly checkUnique: BackendUniques["checkUnique"];
  readonly deleteUnique: BackendUniques["deleteUnique"];
  readonly hardDeleteUniquesByNodeIds: BackendUniques["hardDeleteUniquesByNodeIds"];
  readonly hardDeleteUniquesByConcreteKind: BackendUniques["hardDeleteUniquesByConcreteKind"];
  /** Creates the kind-removal queue table (with the other TypeGraph tables) when missing. */
  readonly ensureKindRemovalsTable = (): Promise<void> => this.bootstrap();
  readonly trustedImport: TrustedImportPath = TRUSTED_IMPORT;

  #handle(): NativeSqlite {
    if (!this.#native) throw new BackendDisposedError();
    return this.#native;
  }

  register(graphJson: string): number {
    // The same definition registers once per connection: evolve/catch-up paths that rebuild a
    // store for a version already registered reuse its engine handle instead of adding one.
    const known = this.#registered.get(graphJson);
    if (known !== undefined) return known;
    try {
      const handle = this.#handle().register(graphJson, this.#names);
      this.#registered.set(graphJson, handle);
      return handle;
    } catch (error) {
      throw convertError(error);
    }
  }
  #registered = new Map<string, number>();

  /** @internal The handle of `handle`'s definition registered with recorded-time capture on. */
  historyHandle(handle: number, flags: Readonly<Record<string, true>> = { history: true }): number {
    for (const [json, h] of this.#registered) if (h === handle) return this.register(JSON.stringify({ ...(JSON.parse(json) as object), ...flags }));
    throw new ConfigurationError("history: true needs a graph registered on this backend", { code: "RECORDED_CAPTURE_UNREGISTERED" });
  }

  async deleteFulltext(params: DeleteFulltextParams): Promise<void> {
    await this.call(handleOfGraph(this.#registered, params.graphId), "deleteFulltext", { kind: params.nodeKind, ids: [params.nodeId] });
  }

  /** Synchronous core of `call`, used where no await may separate a read from its write. */
  callSync(graph: number, op: string, args: unknown, tx?: TxToken): unknown {
    const native = this.#handle();
    if (this.#tx && (tx === undefined || tx !== this.#tx)) {
      // One connection: a root-store call inside an open transaction would join it.
      throw new ConfigurationError(
        "The root store was used inside store.transaction(); use the `tx` argument for work inside the transaction.",
        { backend: "sqlite", capability: "concurrentRootAccess" },
      );
    }
    followAppClock();
    try {
      return parse(native.call(graph, op, JSON.stringify(args)));
    } catch (error) {
      throw convertError(error);
    }
  }

  async call(graph: number, op: string, args: unknown, tx?: TxToken): Promise<unknown> {
    return this.callSync(graph, op, args, tx && tx.open ? tx : undefined);
  }

  /** @internal `getNode` in the current temporal mode, its kind and id crossing as they are. */
  getNodeSync(graph: number, kind: string, id: string, tx?: TxToken): unknown {
    this.#handle();
    this.#checkTx(tx);
    try {
      return parse(sqliteGetNode(this.#slot, graph, kind, id));
    } catch (error) {
      throw convertError(error);
    }
  }

  /** @internal A registered query plan (`prepareQuery`'s id) run synchronously with its parameters. */
  queryPlanSync(graph: number, plan: number, params: unknown[] | string, tx?: TxToken): unknown {
    this.#handle();
    this.#checkTx(tx);
    try {
      return parse(sqliteQueryPlan(this.#slot, graph, plan, typeof params === "string" ? params : JSON.stringify(params)));
    } catch (error) {
      throw convertError(error);
    }
  }

  /** @internal `updateNode` in one call: `merge` gets the stored props and returns the validated
   *  props; an error it throws is rethrown here unchanged (the engine writes nothing). `window`:
   *  the window options (`validTo`, `clearValidTo`, …), when any is stated. Answers the written
   *  row (NODE_COLS) holding the props as stored: the engine stores the text `merge`'s value
   *  crossed as, so the row comes back without them and they are copied from that value. */
  updateNodeWith(
    graph: number,
    kind: string,
    id: string,
    window: object | undefined,
    tx: TxToken | undefined,
    merge: (props: Record<string, unknown> | null) => unknown,
  ): unknown[] {
    const native = this.#handle();
    this.#checkTx(tx && tx.open ? tx : undefined);
    followAppClock();
    let failure: { error: unknown } | undefined;
    let value: unknown;
    let text: string | undefined;
    const step = (propsJson: string): string | null => {
      try {
        value = merge(JSON.parse(propsJson) as Record<string, unknown> | null);
        text = JSON.stringify(value);
        return text ?? null;
      } catch (error) {
        failure = { error };
        return null;
      }
    };
    let out: string;
    try {
      out = native.updateNodeWith(graph, kind, id, window === undefined ? undefined : JSON.stringify(window), step);
    } catch (error) {
      if (failure) throw failure.error;
      throw convertError(error);
    }
    const row = JSON.parse(out) as unknown[];
    row[2] = jsonCopyOf(value, text!);
    return row;
  }

  /** @internal `bulkUpsertNodes` of distinct ids in one call: `merge` gets the stored rows
   *  (aligned with `args.ids`, null where none) and returns `{ items }` to write; an error it
   *  throws is rethrown wrapped in {@link MergeStepError} (the engine writes nothing). */
  upsertNodesWith(graph: number, args: { ids: readonly string[] } & Record<string, unknown>, tx: TxToken | undefined, merge: (rows: unknown[]) => unknown): unknown {
    const native = this.#handle();
    followAppClock();
    this.#checkTx(tx && tx.open ? tx : undefined);
    let failure: { error: unknown } | undefined;
    const step = (rowsJson: string): string | null => {
      try {
        return JSON.stringify(merge(JSON.parse(rowsJson) as unknown[]));
      } catch (error) {
        failure = { error };
        return null;
      }
    };
    let out: string;
    try {
      out = native.upsertNodesWith(graph, JSON.stringify(args), step);
    } catch (error) {
      if (failure) throw new MergeStepError(failure.error);
      throw convertError(error);
    }
    return parse(out);
  }

  #checkTx(tx: TxToken | undefined): void {
    if (this.#tx && (tx === undefined || tx !== this.#tx)) {
      throw new ConfigurationError(
        "The root store was used inside store.transaction(); use the `tx` argument for work inside the transaction.",
        { backend: "sqlite", capability: "concurrentRootAccess" },
      );
    }
  }

  async bootstrap(): Promise<void> {
    try {
      this.#handle().bootstrap(this.#names);
    } catch (error) {
      throw convertError(error);
    }
  }

  async begin(options?: TransactionOptions): Promise<TxToken> {
    if (this.#tx) {
      throw new ConfigurationError("store.transaction() cannot be nested on SQLite; use the outer `tx`.", {
        backend: "sqlite",
        capability: "concurrentRootAccess",
      });
    }
    try {
      if (options?.isolationLevel !== undefined || options?.accessMode !== undefined) this.#handle().beginWith(options.isolationLevel ?? null, options.accessMode ?? null);
      else this.#handle().begin();
    } catch (error) {
      throw convertError(error);
    }
    this.#tx = { id: this.#nextTx++, open: true };
    return this.#tx;
  }

  async end(tx: TxToken, commit: boolean): Promise<void> {
    if (this.#tx !== tx) return;
    this.#tx = undefined;
    tx.open = false;
    const native = this.#native;
    if (!native) return;
    try {
      if (commit) native.commit();
      else native.rollback();
    } catch (error) {
      if (commit) {
        try {
          native.rollback();
        } catch {
          // the failed COMMIT already ended the transaction
        }
      }
      throw convertError(error);
    }
  }

  /** Runs raw SQL (a script without parameters) on this connection. */
  exec(sql: string): void {
    try {
      this.#handle().exec(sql);
    } catch (error) {
      throw convertError(error);
    }
  }

  /** @internal Compiles a query AST to `{ sql, params }` (toSQL). */
  compileQuery(graph: number, argsJson: string): string {
    try {
      return this.#handle().compileQuery(graph, argsJson);
    } catch (error) {
      throw convertError(error);
    }
  }

  /** Runs one raw query; rows as arrays. */
  query(sql: string, params: unknown[] = []): unknown[][] {
    try {
      return JSON.parse(this.#handle().query(sql, JSON.stringify(params))) as unknown[][];
    } catch (error) {
      throw convertError(error);
    }
  }

  async close(): Promise<void> {
    this.#native?.close();
    this.#native = undefined;
    this.#registered.clear();
  }
}

export class PostgresBackend implements GraphBackend {
  readonly dialect = "postgres" as const;
  readonly capabilities: BackendCapabilities = Object.freeze({
    transactions: true,
    returning: true,
    windowFunctions: true,
    maxBindParameters: 65533,
    clearValidTo: true,
    recursiveTraversal: RECURSIVE_TRAVERSAL,
    ...POSTGRES_SEARCH,
    contributions: CONTRIBUTION_CAPABILITIES,
  });
  #native: Promise<NativePostgres> | undefined;
  #ready: NativePostgres | undefined;
  #closed = false;

  /** Physical names of the TypeGraph tables this backend reads and writes. */
  readonly tableNames: TypeGraphTableNames;
  #names: string | undefined;

  constructor(url: string, maxConnections?: number, idleTimeoutMs?: number, inlineBudgetMs?: number, tableNames: TypeGraphTableNames = DEFAULT_TABLE_NAMES) {
    this.tableNames = tableNames;
    this.#names = engineTableNames(tableNames);
    const rows = backendRowAccess((graphId) => handleOfGraph(this.#registeredJson, graphId), (h, op, args) => this.call(h, op, args));
    const edgeReads = backendEdgeReads((graphId) => handleOfGraph(this.#registeredJson, graphId), (h, op, args) => this.call(h, op, args));
    this.findEdgesByEndpointSet = edgeReads.findEdgesByEndpointSet;
    this.findEdgesByHeterogeneousEndpointSet = edgeReads.findEdgesByHeterogeneousEndpointSet;
    this.deleteEdge = edgeReads.deleteEdge;
    this.hardDeleteEdge = edgeReads.hardDeleteEdge;
    const uniques = backendUniques((graphId) => handleOfGraph(this.#registeredJson, graphId), (h, op, args) => this.call(h, op, args));
    this.insertUnique = uniques.insertUnique;
    this.checkUnique = uniques.checkUnique;
    this.deleteUnique = uniques.deleteUnique;
    this.hardDeleteUniquesByNodeIds = uniques.hardDeleteUniquesByNodeIds;
    this.hardDeleteUniquesByConcreteKind = uniques.hardDeleteUniquesByConcreteKind;
    const reads = backendSchemaReads(
      (graphId) => anyHandleOfGraph(this.#registeredJson, graphId, (json) => this.register(json)),
      (h, op, args) => this.call(h, op, args),
      () => this.bootstrap(),
    );
    const counts = backendKindCounts((graphId) => anyHandleOfGraph(this.#registeredJson, graphId, (json) => this.register(json)), (h, op, args) => this.call(h, op, args));
    this.countNodesByKind = counts.countNodesByKind;
    this.countEdgesByKind = counts.countEdgesByKind;
    this.getActiveSchema = reads.getActiveSchema;
    this.getSchemaVersion = reads.getSchemaVersion;
    this.getPendingKindRemovals = reads.getPendingKindRemovals;
    this.commitSchemaVersion = reads.commitSchemaVersion;
    this.commitSchemaVersionIfKindsEmpty = reads.commitSchemaVersionIfKindsEmpty;
    this.setActiveVersion = reads.setActiveVersion;
    this.insertNode = rows.insertNode;
    this.getNode = rows.getNode;
    this.insertEdge = rows.insertEdge;
    this.getEdge = rows.getEdge;
    const contributions = contributionMembers({
      dialect: "postgres",
      handleOf: (graphId) => latestHandleOfGraph(this.#registeredJson, graphId, (json) => this.register(json)),
      call: (h, op, args, tx) => this.call(h, op, args, tx),
      begin: () => this.begin(),
      end: (tx, commit) => this.end(tx, commit),
      exec: (sql) => this.exec(sql),
    });
    this.fulltextStrategy = contributions.fulltextStrategy;
    this.vectorStrategy = contributions.vectorStrategy;
    this.getContributionMaterialization = contributions.getContributionMaterialization;
    this.recordContributionMaterialization = contributions.recordContributionMaterialization;
    this.deleteVectorSlotContribution = contributions.deleteVectorSlotContribution;
    this.executeDdl = contributions.executeDdl;
    this.rebuildContribution = contributions.rebuildContribution;
    this.#native = NativePostgres.connect(url, maxConnections, idleTimeoutMs, inlineBudgetMs).catch((error: unknown) => {
      throw convertError(error);
    });
    // A failed connect surfaces on first use, not as an unhandled rejection.
    this.#native.then((n) => (this.#ready = n), () => undefined);
  }

  async #handle(): Promise<NativePostgres> {
    if (this.#closed || !this.#native) throw new BackendDisposedError();
    return this.#native;
  }

  register(graphJson: string): Promise<number> {
    // As on SQLite: one engine handle per distinct definition on this backend.
    const known = this.#registeredJson.get(graphJson);
    if (known !== undefined) return known;
    const pending = (async () => {
      const native = await this.#handle();
      try {
        return native.register(graphJson, this.#names);
      } catch (error) {
        throw convertError(error);
      }
    })();
    // toSQL() is synchronous: until the pool is up, it compiles from the definition itself.
    const entry: { graphJson: string; handle?: number } = { graphJson };
    this.#registrations.set(pending, entry);
    pending.then(
      (h) => (entry.handle = h),
      () => this.#registeredJson.delete(graphJson),
    );
    this.#registeredJson.set(graphJson, pending);
    return pending;
  }
  #registeredJson = new Map<string, Promise<number>>();

  /** @internal The handle of `handle`'s definition registered with recorded-time capture on. */
  async historyHandle(handle: number, flags: Readonly<Record<string, true>> = { history: true }): Promise<number> {
    for (const [json, h] of this.#registeredJson) if ((await h.catch(() => undefined)) === handle) return this.register(JSON.stringify({ ...(JSON.parse(json) as object), ...flags }));
    throw new ConfigurationError("history: true needs a graph registered on this backend", { code: "RECORDED_CAPTURE_UNREGISTERED" });
  }

  /** Raw rows in upstream's backend-port shapes, by graph id (see `backend-rows.ts`). */
  readonly insertNode: BackendRowAccess["insertNode"];
  readonly getNode: BackendRowAccess["getNode"];
  readonly insertEdge: BackendRowAccess["insertEdge"];
  readonly getEdge: BackendRowAccess["getEdge"];
  /** The graph's active schema version row (upstream's port shape), undefined before its first commit. */
  readonly getActiveSchema: BackendSchemaReads["getActiveSchema"];
  /** One committed schema version row of the graph, active or not. */
  readonly getSchemaVersion: BackendSchemaReads["getSchemaVersion"];
  /** The graph's kind removals still awaiting data cleanup (upstream's port shape). */
  readonly getPendingKindRemovals: BackendSchemaReads["getPendingKindRemovals"];
  /** Schema-version writes by graph id (upstream's port shapes; see `backend-rows.ts`). */
  readonly commitSchemaVersion: BackendSchemaReads["commitSchemaVersion"];
  readonly commitSchemaVersionIfKindsEmpty: BackendSchemaReads["commitSchemaVersionIfKindsEmpty"];
  readonly setActiveVersion: BackendSchemaReads["setActiveVersion"];
  /** Row counts of one kind by graph id, declared or not (upstream's port shapes). */
  readonly countNodesByKind: BackendKindCounts["countNodesByKind"];
  readonly countEdgesByKind: BackendKindCounts["countEdgesByKind"];
  /** Endpoint-set edge reads and raw edge deletes by graph id (see `backend-edge-reads.ts`). */
  readonly findEdgesByEndpointSet: BackendEdgeReads["findEdgesByEndpointSet"];
  readonly findEdgesByHeterogeneousEndpointSet: BackendEdgeReads["findEdgesByHeterogeneousEndpointSet"];
  readonly deleteEdge: BackendEdgeReads["deleteEdge"];
  readonly hardDeleteEdge: BackendEdgeReads["hardDeleteEdge"];
  /** Uniqueness claim rows by graph id (see `backend-uniques.ts`). */
  readonly insertUnique: BackendUniques["insertUnique"];
  readonly checkUnique: BackendUniques["checkUnique"];
  readonly deleteUnique: BackendUniques["deleteUnique"];
  readonly hardDeleteUniquesByNodeIds: BackendUniques["hardDeleteUniquesByNodeIds"];
  readonly hardDeleteUniquesByConcreteKind: BackendUniques["hardDeleteUniquesByConcreteKind"];
  /** Creates the kind-removal queue table (with the other TypeGraph tables) when missing. */
  readonly ensureKindRemovalsTable = (): Promise<void> => this.bootstrap();
  readonly trustedImport: TrustedImportPath = TRUSTED_IMPORT;
  /** Contribution markers and side-table strategies (upstream's port shapes; see `contributions.ts`). */
  readonly fulltextStrategy: ContributionBackendMembers["fulltextStrategy"];
  readonly vectorStrategy: ContributionBackendMembers["vectorStrategy"];
  readonly getContributionMaterialization: ContributionBackendMembers["getContributionMaterialization"];
  readonly recordContributionMaterialization: ContributionBackendMembers["recordContributionMaterialization"];
  readonly deleteVectorSlotContribution: ContributionBackendMembers["deleteVectorSlotContribution"];
  readonly executeDdl: ContributionBackendMembers["executeDdl"];
  readonly rebuildContribution: ContributionBackendMembers["rebuildContribution"];

  async deleteFulltext(params: DeleteFulltextParams): Promise<void> {
    await this.call(await handleOfGraph(this.#registeredJson, params.graphId), "deleteFulltext", { kind: params.nodeKind, ids: [params.nodeId] });
  }
  #registrations = new WeakMap<Promise<number>, { graphJson: string; handle?: number }>();

  async call(graph: number, op: string, args: unknown, tx?: TxToken): Promise<unknown> {
    const native = await this.#handle();
    followAppClock();
    try {
      return parse(await native.call(graph, op, JSON.stringify(args), tx?.id));
    } catch (error) {
      throw convertError(error);
    }
  }

  /** @internal `bulkUpsertNodes` of distinct ids in one call, as on SQLite: the engine reads the
   *  stored rows under a row lock inside its transaction and calls `merge` back once (on this
   *  thread, through the event loop) before it writes; an error `merge` throws is rethrown
   *  wrapped in {@link MergeStepError} (the engine writes nothing). */
  async upsertNodesWith(graph: number, args: { ids: readonly string[] } & Record<string, unknown>, tx: TxToken | undefined, merge: (rows: unknown[]) => unknown): Promise<unknown> {
    const native = await this.#handle();
    followAppClock();
    let failure: { error: unknown } | undefined;
    const step = (rowsJson: string): string | null => {
      try {
        return JSON.stringify(merge(JSON.parse(rowsJson) as unknown[]));
      } catch (error) {
        failure = { error };
        return null;
      }
    };
    let out: string;
    try {
      out = await native.upsertNodesWith(graph, JSON.stringify(args), step, tx?.id);
    } catch (error) {
      if (failure) throw new MergeStepError(failure.error);
      throw convertError(error);
    }
    return parse(out);
  }

  /** @internal Compiles a query AST to `{ sql, params }` (toSQL), no connection needed. */
  compileQuery(graph: number | Promise<number>, argsJson: string): string {
    if (this.#closed) throw new BackendDisposedError();
    try {
      if (typeof graph !== "number") {
        const entry = this.#registrations.get(graph);
        if (!entry) throw new ConfigurationError("toSQL(): the store's graph is not registered with this backend", {});
        if (entry.handle === undefined || !this.#ready) return NativePostgres.compileQueryDetached(entry.graphJson, this.#names, argsJson);
        graph = entry.handle;
      }
      if (!this.#ready) throw new BackendDisposedError();
      return this.#ready.compileQuery(graph, argsJson);
    } catch (error) {
      throw convertError(error);
    }
  }

  async bootstrap(): Promise<void> {
    const native = await this.#handle();
    try {
      await native.bootstrap(this.#names);
    } catch (error) {
      throw convertError(error);
    }
  }

  async begin(options?: TransactionOptions): Promise<TxToken> {
    const native = await this.#handle();
    try {
      if (options?.isolationLevel !== undefined || options?.accessMode !== undefined) {
        return { id: await native.beginWith(options.isolationLevel ?? null, options.accessMode ?? null), open: true };
      }
      return { id: await native.begin(), open: true };
    } catch (error) {
      throw convertError(error);
    }
  }

  async end(tx: TxToken, commit: boolean): Promise<void> {
    tx.open = false;
    const native = await this.#handle();
    try {
      if (commit) await native.commit(tx.id);
      else await native.rollback(tx.id);
    } catch (error) {
      throw convertError(error);
    }
  }

  async exec(sql: string): Promise<void> {
    const native = await this.#handle();
    try {
      await native.exec(sql);
    } catch (error) {
      throw convertError(error);
    }
  }

  async query(sql: string, params: unknown[] = []): Promise<unknown[][]> {
    const native = await this.#handle();
    try {
      return JSON.parse(await native.query(sql, JSON.stringify(params))) as unknown[][];
    } catch (error) {
      throw convertError(error);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const native = this.#native;
    this.#native = undefined;
    this.#registeredJson.clear();
    if (native) await (await native.catch(() => undefined))?.close();
  }
}
