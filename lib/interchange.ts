// `typegraph-native/interchange`: the graph interchange format (zod schemas), export and import
// (validating, per-row errors) and the trusted initial import into a fresh database.
//
// Engine work goes through the store's engine handle, one call per page or batch: export pages
// are keyset-paged reads inside one snapshot transaction (`interchangePage`), imports probe a
// batch's stored rows in one call per kind and write runs of creates / updates with the bulk
// operations (`bulkCreateNodes`, `bulkUpsertNodes`, `bulkCreateEdges`, `bulkUpsertEdges`). Each
// engine call is atomic on its own (a savepoint inside the batch's transaction), so a run that
// fails leaves nothing behind and is replayed row by row to attribute the failure.

import { z } from "zod";

import type { GraphBackend, TxToken } from "./backend.js";
import type { GraphDef } from "./core.js";
import { isEmbeddingSchema, isSearchableSchema } from "./core.js";
import { ConfigurationError, StaleVersionError, TypeGraphError } from "./errors.js";
import { ExportStreamCancelledError, ExportStreamIdleTimeoutError, TrustedImportError } from "./interchange-errors.js";
import type { Store } from "./store.js";

export { ExportStreamCancelledError, ExportStreamIdleTimeoutError, TrustedImportError } from "./interchange-errors.js";
export type { TrustedImportErrorReason } from "./interchange-errors.js";

// ============================================================
// Format
// ============================================================

/** The version every export writes; imports also read "1.0" (a 1.0 document is a valid 2.0 one). */
export const FORMAT_VERSION = "2.0" as const;

const CANONICAL_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A stored validity bound: fixed-width UTC ISO-8601, the form temporal reads compare as text. */
const ValidityInstantSchema = z.iso.datetime().refine((v) => CANONICAL_INSTANT.test(v) && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString() === v, {
  message: "Expected canonical UTC ISO 8601 (YYYY-MM-DDTHH:mm:ss.sssZ); convert with new Date(value).toISOString().",
});

const RefSchema = z.object({ kind: z.string().min(1), id: z.string().min(1) });

/**
 * A node in the interchange format. `validFrom`: absent = not exported (import stamps its own
 * time, or no lower bound for a row whose `validTo` is already past); `null` = the row has no
 * lower bound; a string = that bound.
 */
export const InterchangeNodeSchema = z.object({
  kind: z.string().min(1),
  id: z.string().min(1),
  properties: z.record(z.string(), z.unknown()),
  validFrom: ValidityInstantSchema.nullable().optional(),
  validTo: ValidityInstantSchema.optional(),
  meta: z
    .object({
      version: z.number().int().positive().optional(),
      createdAt: z.iso.datetime().optional(),
      updatedAt: z.iso.datetime().optional(),
    })
    .optional(),
});
export type InterchangeNode = z.infer<typeof InterchangeNodeSchema>;

/** An edge in the interchange format; endpoints as `{ kind, id }`. */
export const InterchangeEdgeSchema = z.object({
  kind: z.string().min(1),
  id: z.string().min(1),
  from: RefSchema,
  to: RefSchema,
  properties: z.record(z.string(), z.unknown()).default({}),
  validFrom: ValidityInstantSchema.nullable().optional(),
  validTo: ValidityInstantSchema.optional(),
  meta: z
    .object({
      createdAt: z.iso.datetime().optional(),
      updatedAt: z.iso.datetime().optional(),
    })
    .optional(),
});
export type InterchangeEdge = z.infer<typeof InterchangeEdgeSchema>;

export const IdentityInterchangeModeSchema = z.enum(["state", "archival"]);
export type IdentityInterchangeMode = z.infer<typeof IdentityInterchangeModeSchema>;

/** One operational-identity assertion (`same` / `different`) with its window. */
export const InterchangeIdentityAssertionSchema = z.object({
  id: z.string().min(1),
  relation: z.enum(["same", "different"]),
  a: RefSchema,
  b: RefSchema,
  validFrom: ValidityInstantSchema,
  validTo: ValidityInstantSchema.optional(),
  endedBy: RefSchema.optional(),
});
export type InterchangeIdentityAssertion = z.infer<typeof InterchangeIdentityAssertionSchema>;

export const InterchangeIdentitySchema = z.object({
  profile: z.literal("typegraph-identity-v1"),
  mode: IdentityInterchangeModeSchema,
  assertions: z.array(InterchangeIdentityAssertionSchema),
});
export type InterchangeIdentity = z.infer<typeof InterchangeIdentitySchema>;

export const ConflictStrategySchema = z.enum(["skip", "update", "error"]);
export type ConflictStrategy = z.infer<typeof ConflictStrategySchema>;

export const UnknownPropertyStrategySchema = z.enum(["error", "strip", "allow"]);
export type UnknownPropertyStrategy = z.infer<typeof UnknownPropertyStrategySchema>;

/** Import options; `onConflict` is required, the rest have defaults. */
export const ImportOptionsSchema = z.object({
  onConflict: ConflictStrategySchema,
  onUnknownProperty: UnknownPropertyStrategySchema.default("error"),
  validateReferences: z.boolean().default(true),
  /** Rows per batch: one transaction, one probe per kind and one bulk write per run. */
  batchSize: z.number().int().positive().default(1000),
  /** Refresh planner statistics after the import wrote rows (default: when it wrote 1000 or more). */
  refreshStatistics: z.boolean().optional(),
  /** Streamed imports: stop at the first chunk that reported row errors (`abort`) or go on. */
  onStreamChunkError: z.enum(["abort", "continue"]).default("abort"),
});
export type ImportOptions = z.input<typeof ImportOptionsSchema>;
export type ResolvedImportOptions = z.infer<typeof ImportOptionsSchema>;

export const GraphDataSourceSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("typegraph-export"), graphId: z.string(), schemaVersion: z.number().int().positive() }),
  z.object({ type: z.literal("external"), description: z.string().optional() }),
]);
export type GraphDataSource = z.infer<typeof GraphDataSourceSchema>;

/** A complete interchange document. */
export const GraphDataSchema = z.object({
  formatVersion: z.enum(["1.0", "2.0"]),
  exportedAt: z.iso.datetime(),
  source: GraphDataSourceSchema,
  nodes: z.array(InterchangeNodeSchema),
  edges: z.array(InterchangeEdgeSchema),
  identity: InterchangeIdentitySchema.optional(),
});
export type GraphData = z.infer<typeof GraphDataSchema>;

/** The envelope a stream sends first (a document without its rows). */
export const GraphDataHeaderSchema = GraphDataSchema.omit({ nodes: true, edges: true, identity: true }).extend({
  identity: InterchangeIdentitySchema.omit({ assertions: true }).optional(),
});
export type GraphDataHeader = z.infer<typeof GraphDataHeaderSchema>;

/** One unit of a streamed document: the header, then node chunks, then edge chunks (then identity). */
export const GraphInterchangeChunkSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("header"), header: GraphDataHeaderSchema }),
  z.object({ type: z.literal("nodes"), nodes: z.array(InterchangeNodeSchema) }),
  z.object({ type: z.literal("edges"), edges: z.array(InterchangeEdgeSchema) }),
  z.object({ type: z.literal("identity"), assertions: z.array(InterchangeIdentityAssertionSchema) }),
]);
export type GraphInterchangeChunk = z.infer<typeof GraphInterchangeChunkSchema>;

export const ImportErrorSchema = z.object({
  entityType: z.enum(["node", "edge", "identity"]),
  kind: z.string(),
  id: z.string(),
  error: z.string(),
});
export type ImportError = z.infer<typeof ImportErrorSchema>;

const countsSchema = z.object({ created: z.number().int().nonnegative(), updated: z.number().int().nonnegative(), skipped: z.number().int().nonnegative() });
export const ImportResultSchema = z.object({
  success: z.boolean(),
  nodes: countsSchema,
  edges: countsSchema,
  identity: z.object({ created: z.number().int().nonnegative(), skipped: z.number().int().nonnegative() }),
  errors: z.array(ImportErrorSchema),
});
export type ImportResult = z.infer<typeof ImportResultSchema>;

export const ExportOptionsSchema = z.object({
  nodeKinds: z.array(z.string()).optional(),
  edgeKinds: z.array(z.string()).optional(),
  includeTemporal: z.boolean().default(false),
  includeMeta: z.boolean().default(false),
  includeDeleted: z.boolean().default(false),
  identityMode: IdentityInterchangeModeSchema.default("state"),
  /** Cancels the export: its snapshot transaction is rolled back and the pull rejects with `ExportStreamCancelledError`. */
  signal: z.instanceof(AbortSignal).optional(),
});
export type ExportOptions = z.infer<typeof ExportOptionsSchema>;
export type ExportOptionsInput = z.input<typeof ExportOptionsSchema>;

export const ExportStreamOptionsSchema = ExportOptionsSchema.extend({
  /** How long a delivered chunk may stay unacknowledged before the stream settles itself. */
  idleTimeoutMs: z.number().int().positive().max(2_147_483_647).optional(),
  /** Rows per yielded chunk (and per engine page). */
  batchSize: z.number().int().positive().default(1000),
});
export type ExportStreamOptions = z.infer<typeof ExportStreamOptionsSchema>;
export type ExportStreamOptionsInput = z.input<typeof ExportStreamOptionsSchema>;

/** What imports and exports take: a store. */
export type ImportTarget<G extends GraphDef = GraphDef> = Store<G>;
/** Upstream's ingestion targets (branch stores) are stores here. */
export type IngestionImportTarget<G extends GraphDef = GraphDef> = Store<G>;

/** What a trusted import loaded. */
export type TrustedImportResult = Readonly<{ nodes: number; edges: number }>;

/** Contribution health types, re-exported here as upstream's entry does. */
export type ContributionDiagnosticState = "present" | "missing" | "stale" | "unavailable";
export type ContributionDiagnostic = Readonly<{ contribution: string; state: ContributionDiagnosticState; graphId: string; detail?: string }>;
export type ContributionRepairEntry = Readonly<{ contribution: string; graphId: string; repaired: boolean; error?: string }>;
export type ContributionRepairResult = Readonly<{ entries: readonly ContributionRepairEntry[] }>;

// ============================================================
// Engine access
// ============================================================

/** Rows as the engine renders them (the collections' row arrays). */
type NodeRow = [string, string, Record<string, unknown>, number, string | null, string | null, string, string, string | null];
type EdgeRow = [string, string, string, string, string, string, Record<string, unknown> | null, string | null, string | null, string, string, string | null];

interface Engine {
  readonly backend: GraphBackend;
  readonly handle: number;
}
interface TxEngine extends Engine {
  readonly tx: TxToken;
}

const TX_TARGET = Symbol.for("typegraph.txTarget");
const engines = new WeakMap<object, Promise<Engine>>();

function txEngine(tx: unknown): TxEngine {
  return (tx as Record<symbol, TxEngine>)[TX_TARGET]!;
}

/** The store's backend and engine handle (the handle its transactions use). */
function engineOf(store: Store<GraphDef>): Promise<Engine> {
  let e = engines.get(store);
  if (!e) {
    e = store.transaction((tx) => {
      const t = txEngine(tx);
      return { backend: t.backend, handle: t.handle };
    });
    engines.set(store, e);
    e.catch(() => engines.delete(store));
  }
  return e;
}

function call(e: TxEngine, op: string, args: unknown): Promise<unknown> {
  return e.backend.call(e.handle, op, args, e.tx);
}

function checkStore(target: unknown, fn: string): Store<GraphDef> {
  const s = target as Partial<Store<GraphDef>> | null;
  if (s === null || typeof s !== "object" || typeof s.transaction !== "function" || typeof s.graph !== "object") {
    throw new ConfigurationError(`${fn} needs a store created by createStore / createStoreWithSchema.`, { code: "INTERCHANGE_TARGET_NOT_A_STORE" });
  }
  return s as Store<GraphDef>;
}

// ============================================================
// One long-lived stream per SQLite connection
// ============================================================

/** The long-lived streams that hold a connection: an export's snapshot, an import's writes. */
type StreamKind = "export-snapshot" | "import-stream";

/**
 * SQLite backends are one connection: an export snapshot (a read transaction held for the
 * stream's life) and an import on the same backend cannot both hold it. PostgreSQL streams take
 * connections of their own from the pool and need no lease.
 */
const leases = new WeakMap<GraphBackend, StreamKind>();
/** The backend an export stream reads from, kept on the stream it returns. */
const EXPORT_SOURCE = Symbol("typegraph.interchange.exportSource");

function streamRefusal(graphId: string, requested: StreamKind, heldBy: StreamKind, sameBackend: boolean): ConfigurationError {
  const code = heldBy === "import-stream" ? "INTERCHANGE_SERIALIZED_IMPORT_IN_PROGRESS" : sameBackend ? "INTERCHANGE_SAME_SQLITE_BACKEND_SNAPSHOT" : "INTERCHANGE_SHARED_SERIALIZED_BACKEND_SNAPSHOT";
  const message =
    heldBy === "import-stream"
      ? `An import is writing through this SQLite connection; ${requested === "export-snapshot" ? "an export snapshot" : "another import"} cannot open on it until that import ends.`
      : `An export snapshot holds this SQLite connection open; ${requested === "export-snapshot" ? "another export" : "an import"} cannot ${requested === "export-snapshot" ? "open on it" : "write through it"} until that export ends.`;
  return new ConfigurationError(message, { code, graphId, requested, heldBy }, { suggestion: "Finish (or cancel) the stream holding the connection first, export to a file first, or use an independent backend." });
}

/** Claims the backend's connection for a stream; returns the release (a no-op off SQLite). */
function claimLease(store: Store<GraphDef>, requested: StreamKind, source?: GraphBackend): () => void {
  const backend = store.backend;
  if (backend.dialect !== "sqlite") return () => undefined;
  if (source === backend && requested === "import-stream") throw streamRefusal(store.graphId, requested, "export-snapshot", true);
  const held = leases.get(backend);
  if (held !== undefined) throw streamRefusal(store.graphId, requested, held, false);
  leases.set(backend, requested);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (leases.get(backend) === requested) leases.delete(backend);
  };
}

function exportSource(chunks: unknown): GraphBackend | undefined {
  return chunks !== null && typeof chunks === "object" ? ((chunks as Record<symbol, GraphBackend | undefined>)[EXPORT_SOURCE] ?? undefined) : undefined;
}

/**
 * The seam to the operational-identity ledger (`store.identity`): an identity-enabled store that
 * offers these carries its assertions through export and import. `tx` is the export's snapshot
 * transaction / the import's batch transaction (the engine's transaction token).
 */
export interface IdentityInterchangeSeam {
  exportAssertions(options: Readonly<{ mode: IdentityInterchangeMode; includeDeleted: boolean; tx?: unknown }>): Promise<readonly InterchangeIdentityAssertion[]>;
  importAssertions(assertions: readonly InterchangeIdentityAssertion[], options?: Readonly<{ mode?: IdentityInterchangeMode }>): Promise<{ created: number; skipped: number; errors?: readonly ImportError[] }>;
}

function identitySeam(store: Store<GraphDef>): Partial<IdentityInterchangeSeam> | undefined {
  return (store as unknown as { identity?: Partial<IdentityInterchangeSeam> }).identity;
}

function hasIdentityProfile(graph: GraphDef): boolean {
  return (graph as unknown as { identity?: unknown }).identity != null;
}

// ============================================================
// Export
// ============================================================

/** Exports the graph as one document (read in one snapshot transaction). */
export async function exportGraph<G extends GraphDef>(store: Store<G>, options: ExportOptionsInput = {}): Promise<GraphData> {
  const parsed = ExportOptionsSchema.parse(options);
  let header: GraphDataHeader | undefined;
  const nodes: InterchangeNode[] = [];
  const edges: InterchangeEdge[] = [];
  const assertions: InterchangeIdentityAssertion[] = [];
  for await (const chunk of streamExport(store as unknown as Store<GraphDef>, { ...parsed, batchSize: 5000 }, "exportGraph")) {
    switch (chunk.type) {
      case "header":
        header = chunk.header;
        break;
      case "nodes":
        for (const n of chunk.nodes) nodes.push(n);
        break;
      case "edges":
        for (const e of chunk.edges) edges.push(e);
        break;
      case "identity":
        for (const a of chunk.assertions) assertions.push(a);
        break;
    }
  }
  const { identity, ...envelope } = header!;
  return { ...envelope, nodes, edges, ...(identity ? { identity: { ...identity, assertions } } : {}) };
}

/**
 * Exports the graph as a stream of chunks: a header, then node chunks, then edge chunks, each of
 * at most `batchSize` rows. The rows come from one snapshot transaction held for the stream's
 * life; it ends when the stream ends, on `break` / `return()`, on `signal` abort
 * (`ExportStreamCancelledError`) and when the consumer leaves a chunk unacknowledged past
 * `idleTimeoutMs` (`ExportStreamIdleTimeoutError`).
 */
export function exportGraphStream<G extends GraphDef>(store: Store<G>, options: ExportStreamOptionsInput = {}): AsyncIterable<GraphInterchangeChunk> {
  const parsed = ExportStreamOptionsSchema.parse(options);
  return streamExport(store as unknown as Store<GraphDef>, parsed, "exportGraphStream");
}

function cancelled(graphId: string, reason: unknown, opened: boolean): ExportStreamCancelledError {
  return new ExportStreamCancelledError(
    opened
      ? `Export of graph "${graphId}" was cancelled by its signal: its snapshot transaction was rolled back.`
      : `Export of graph "${graphId}" was cancelled by its signal before it opened a snapshot.`,
    { graphId },
    { cause: reason },
  );
}

function streamExport(store: Store<GraphDef>, options: ExportStreamOptions, fn: string): AsyncIterable<GraphInterchangeChunk> {
  checkStore(store, fn);
  const graphId = store.graphId;
  const signal = options.signal;
  const idleMs = options.idleTimeoutMs;
  // Operational identity: an identity-enabled store exports its assertions as an `identity`
  // section through its ledger's seam; without one the export refuses rather than drop them.
  const ledger = hasIdentityProfile(store.graph) ? identitySeam(store) : undefined;
  if (hasIdentityProfile(store.graph) && typeof ledger?.exportAssertions !== "function") {
    throw new ConfigurationError(`Graph "${graphId}" declares an identity profile; exporting its identity assertions needs the store's identity ledger.`, {
      code: "INTERCHANGE_IDENTITY_EXPORT_UNSUPPORTED",
      graphId,
    });
  }
  const stream: AsyncIterable<GraphInterchangeChunk> & { [EXPORT_SOURCE]: GraphBackend } = {
    [EXPORT_SOURCE]: store.backend,
    [Symbol.asyncIterator](): AsyncIterator<GraphInterchangeChunk> {
      // State shared by the pulls, the abort listener and the idle timer.
      let queue: GraphInterchangeChunk[] = [];
      let engine: Engine | undefined;
      let token: TxToken | undefined;
      let settled: Promise<void> | undefined; // the snapshot's end, once begun
      let failure: unknown; // what every later pull rejects with
      let done = false;
      let busy: Promise<unknown> | undefined; // an engine call in flight
      let timer: ReturnType<typeof setTimeout> | undefined;
      let cursor: { entity: "node" | "edge" | "identity"; kinds: string[]; k: number; after?: string } | undefined;
      let headerSent = false;

      let unlease: (() => void) | undefined;
      const release = (): Promise<void> => {
        if (settled) return settled;
        const t = token;
        settled = (async () => {
          try {
            if (busy) await busy.then(() => undefined, () => undefined);
            if (t !== undefined && engine) await engine.backend.end(t, false);
          } finally {
            unlease?.();
          }
        })();
        return settled;
      };
      const stopTimer = () => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
      };
      const onAbort = () => {
        stopTimer();
        if (done) return;
        done = true;
        failure ??= cancelled(graphId, signal!.reason, token !== undefined);
        // Settled now, not at the next pull: the consumer may never pull again.
        void release().catch(() => undefined);
      };
      const finish = async (error?: unknown) => {
        stopTimer();
        signal?.removeEventListener("abort", onAbort);
        if (!done) done = true;
        if (error !== undefined) failure ??= error;
        await release();
      };

      const nodeKinds = options.nodeKinds ?? Object.keys(store.graph.nodes);
      const edgeKinds = options.edgeKinds ?? Object.keys(store.graph.edges);

      const page = async (): Promise<GraphInterchangeChunk | undefined> => {
        const e = engine!;
        for (;;) {
          if (!cursor) cursor = { entity: "node", kinds: nodeKinds, k: 0 };
          if (cursor.k >= cursor.kinds.length) {
            if (cursor.entity === "identity") return undefined;
            if (cursor.entity === "edge") {
              if (!ledger?.exportAssertions) return undefined;
              cursor = { entity: "identity", kinds: [], k: 0 };
              const ledgerRows = await ledger.exportAssertions({ mode: options.identityMode, includeDeleted: options.includeDeleted, tx: token });
              if (done) throw failure;
              // An assertion travels only with both of its endpoints: a `nodeKinds` selection leaves out the rest.
              const kept = options.nodeKinds === undefined ? undefined : new Set(options.nodeKinds);
              const assertions = kept === undefined ? ledgerRows : ledgerRows.filter((r) => kept.has(r.a.kind) && kept.has(r.b.kind));
              if (assertions.length === 0) return undefined;
              return { type: "identity", assertions: [...assertions] };
            }
            cursor = { entity: "edge", kinds: edgeKinds, k: 0 };
            continue;
          }
          const kind = cursor.kinds[cursor.k]!;
          const p = e.backend.call(
            e.handle,
            "interchangePage",
            { entity: cursor.entity, kind, includeDeleted: options.includeDeleted, limit: options.batchSize, ...(cursor.after !== undefined ? { after: cursor.after } : {}) },
            token,
          );
          busy = p;
          let rows: unknown[];
          try {
            rows = (await p) as unknown[];
          } finally {
            busy = undefined;
          }
          if (done) throw failure;
          if (rows.length < options.batchSize) {
            cursor.k += 1;
            cursor.after = undefined;
          } else {
            cursor.after = cursor.entity === "node" ? (rows[rows.length - 1] as NodeRow)[1] : (rows[rows.length - 1] as EdgeRow)[0];
          }
          if (rows.length === 0) continue;
          return cursor.entity === "node"
            ? { type: "nodes", nodes: (rows as NodeRow[]).map((r) => exportNode(r, options)) }
            : { type: "edges", edges: (rows as EdgeRow[]).map((r) => exportEdge(r, options)) };
        }
      };

      const open = async () => {
        if (signal?.aborted) {
          done = true;
          failure = cancelled(graphId, signal.reason, false);
          throw failure;
        }
        unlease = claimLease(store, "export-snapshot");
        signal?.addEventListener("abort", onAbort, { once: true });
        engine = await engineOf(store);
        if (done) throw failure;
        const active = await store.getActiveSchema();
        token = await engine.backend.begin({ isolationLevel: "repeatable_read", accessMode: "read_only" });
        if (done) {
          await release();
          throw failure;
        }
        queue.push({
          type: "header",
          header: {
            formatVersion: FORMAT_VERSION,
            exportedAt: new Date().toISOString(),
            source: { type: "typegraph-export", graphId, schemaVersion: active?.version ?? 1 },
            ...(ledger ? { identity: { profile: "typegraph-identity-v1" as const, mode: options.identityMode } } : {}),
          },
        });
      };

      return {
        async next(): Promise<IteratorResult<GraphInterchangeChunk>> {
          stopTimer();
          if (done) {
            if (failure !== undefined) {
              await settled?.catch(() => undefined);
              throw failure;
            }
            return { value: undefined, done: true };
          }
          try {
            if (!headerSent) {
              headerSent = true;
              await open();
            }
            let chunk = queue.shift();
            if (!chunk) chunk = await page();
            if (chunk === undefined) {
              await finish();
              return { value: undefined, done: true };
            }
            if (idleMs !== undefined) {
              timer = setTimeout(() => {
                timer = undefined;
                if (done) return;
                done = true;
                failure ??= new ExportStreamIdleTimeoutError(graphId, idleMs, true);
                signal?.removeEventListener("abort", onAbort);
                void release().catch(() => undefined);
              }, idleMs);
            }
            return { value: chunk, done: false };
          } catch (error) {
            const reason = done && failure !== undefined ? failure : error;
            await finish(reason).catch(() => undefined);
            throw reason;
          }
        },
        async return(): Promise<IteratorResult<GraphInterchangeChunk>> {
          if (!done) await finish();
          else await settled?.catch(() => undefined);
          queue = [];
          return { value: undefined, done: true };
        },
      };
    },
  };
  return stream;
}

function exportNode(r: NodeRow, o: ExportOptions): InterchangeNode {
  const node: InterchangeNode = { kind: r[0], id: r[1], properties: r[2] };
  if (o.includeTemporal) {
    node.validFrom = r[4];
    if (r[5] !== null) node.validTo = r[5];
  }
  if (o.includeMeta) node.meta = { version: r[3], createdAt: r[6], updatedAt: r[7] };
  return node;
}

function exportEdge(r: EdgeRow, o: ExportOptions): InterchangeEdge {
  const edge: InterchangeEdge = { kind: r[1], id: r[0], from: { kind: r[2], id: r[3] }, to: { kind: r[4], id: r[5] }, properties: r[6] ?? {} };
  if (o.includeTemporal) {
    edge.validFrom = r[7];
    if (r[8] !== null) edge.validTo = r[8];
  }
  if (o.includeMeta) edge.meta = { createdAt: r[9], updatedAt: r[10] };
  return edge;
}

// ============================================================
// Import
// ============================================================

function emptyResult(): ImportResult {
  return { success: true, nodes: { created: 0, updated: 0, skipped: 0 }, edges: { created: 0, updated: 0, skipped: 0 }, identity: { created: 0, skipped: 0 }, errors: [] };
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

type Checked = { ok: true; props: Record<string, unknown> } | { ok: false; error: string };

/** Validates a row's properties against its kind's schema under the unknown-property strategy. */
function checkProperties(properties: Record<string, unknown>, schema: z.ZodObject<z.ZodRawShape> | undefined, strategy: UnknownPropertyStrategy): Checked {
  if (!schema) return { ok: true, props: properties };
  try {
    const known = schema.shape;
    const unknown = Object.keys(properties).filter((k) => !Object.prototype.hasOwnProperty.call(known, k));
    let input = properties;
    if (unknown.length > 0) {
      if (strategy === "error") return { ok: false, error: `Unknown properties: ${unknown.join(", ")}` };
      if (strategy === "strip") {
        input = {};
        for (const k of Object.keys(properties)) if (Object.prototype.hasOwnProperty.call(known, k)) input[k] = properties[k];
      }
    }
    const r = schema.safeParse(input);
    if (!r.success) return { ok: false, error: formatIssues(r.error) };
    // "allow" keeps the document's properties as they are: exported values are already the
    // schema's output, and extra keys travel through.
    if (strategy === "allow" && unknown.length > 0) return { ok: true, props: properties };
    return { ok: true, props: r.data as Record<string, unknown> };
  } catch (error) {
    return { ok: false, error: `Validation error: ${error instanceof Error ? error.message : String(error)}` };
  }
}

const IMMUTABLE_LOWER_BOUND = "IMMUTABLE_VALIDITY_LOWER_BOUND";
const NODE_TARGET_CHANGED = "INTERCHANGE_NODE_UPDATE_TARGET_CHANGED";
const EDGE_IDENTITY_CONFLICT = "INTERCHANGE_EDGE_KIND_CONFLICT";

/** The message a per-row entry carries for an engine refusal. */
function rowError(error: unknown): string {
  if (error instanceof TypeGraphError) return error.message;
  throw error;
}

/** An update's window verdict: the stored lower bound must be the one the document states. */
function updateWindow(entity: "Node" | "Edge", kind: string, id: string, doc: { validFrom?: string | null; validTo?: string }, storedFrom: string | null): string | undefined {
  if (doc.validFrom !== undefined && doc.validFrom !== storedFrom) {
    return `${IMMUTABLE_LOWER_BOUND}: ${entity} "${kind}:${id}" states validFrom ${JSON.stringify(doc.validFrom)} but the stored row's lower bound is ${JSON.stringify(storedFrom)}; an import update never moves a lower bound.`;
  }
  if (doc.validTo !== undefined && storedFrom !== null && doc.validTo < storedFrom) {
    return `${entity} "${kind}:${id}": validTo ${doc.validTo} is before the stored row's validFrom ${storedFrom}.`;
  }
  return undefined;
}

interface NodeWrite {
  op: "create" | "update";
  node: InterchangeNode;
  props: Record<string, unknown>;
  version?: number;
}
interface EdgeWrite {
  op: "create" | "update";
  edge: InterchangeEdge;
  props: Record<string, unknown>;
}

/** Consecutive writes of one operation and kind: one bulk engine call. */
function runs<W extends { op: string }>(writes: readonly W[], kindOf: (w: W) => string): W[][] {
  const out: W[][] = [];
  for (const w of writes) {
    const last = out[out.length - 1];
    if (last && last[0]!.op === w.op && kindOf(last[0]!) === kindOf(w)) last.push(w);
    else out.push([w]);
  }
  return out;
}

class Importer {
  readonly result = emptyResult();
  #written = 0;
  constructor(
    readonly store: Store<GraphDef>,
    readonly options: ResolvedImportOptions,
  ) {}

  #error(entityType: ImportError["entityType"], kind: string, id: string, error: string): void {
    this.result.errors.push({ entityType, kind, id, error });
    this.result.success = false;
  }

  async nodes(nodes: readonly InterchangeNode[]): Promise<void> {
    for (let i = 0; i < nodes.length; i += this.options.batchSize) await this.#nodeBatch(nodes.slice(i, i + this.options.batchSize));
  }

  async edges(edges: readonly InterchangeEdge[]): Promise<void> {
    for (let i = 0; i < edges.length; i += this.options.batchSize) await this.#edgeBatch(edges.slice(i, i + this.options.batchSize));
  }

  async #nodeBatch(batch: readonly InterchangeNode[]): Promise<void> {
    // Validation first (no engine work): rows that fail are reported and left out.
    const valid: { node: InterchangeNode; props: Record<string, unknown> }[] = [];
    for (const node of batch) {
      if (!Object.prototype.hasOwnProperty.call(this.store.graph.nodes, node.kind)) {
        this.#error("node", node.kind, node.id, `Unknown node kind: ${node.kind}`);
        continue;
      }
      const checked = checkProperties(node.properties, this.store.getNodePropsSchema(node.kind), this.options.onUnknownProperty);
      if (!checked.ok) this.#error("node", node.kind, node.id, checked.error);
      else valid.push({ node, props: checked.props });
    }
    if (valid.length === 0) return;
    await this.store.transaction(async (tx) => {
      const e = txEngine(tx);
      // A row repeating a key seen earlier in the batch starts a new segment, so its probe sees
      // what the earlier copy wrote (the rows apply as if one by one).
      let segment: typeof valid = [];
      let keys = new Set<string>();
      for (const v of valid) {
        const key = `${v.node.kind}\u0000${v.node.id}`;
        if (keys.has(key)) {
          await this.#nodeSegment(e, segment);
          segment = [];
          keys = new Set();
        }
        keys.add(key);
        segment.push(v);
      }
      await this.#nodeSegment(e, segment);
    });
  }

  async #nodeSegment(e: TxEngine, segment: readonly { node: InterchangeNode; props: Record<string, unknown> }[]): Promise<void> {
    if (segment.length === 0) return;
    const byKind = new Map<string, string[]>();
    for (const { node } of segment) {
      let ids = byKind.get(node.kind);
      if (!ids) byKind.set(node.kind, (ids = []));
      ids.push(node.id);
    }
    const stored = new Map<string, NodeRow>();
    for (const [kind, ids] of byKind) {
      const rows = (await call(e, "getNodes", { kind, ids, temporalMode: "includeTombstones" })) as (NodeRow | null)[];
      rows.forEach((r, i) => r && stored.set(`${kind}\u0000${ids[i]}`, r));
    }
    const writes: NodeWrite[] = [];
    for (const { node, props } of segment) {
      const row = stored.get(`${node.kind}\u0000${node.id}`);
      if (!row) {
        writes.push({ op: "create", node, props });
        continue;
      }
      const live = row[8] === null;
      switch (this.options.onConflict) {
        case "skip":
          this.result.nodes.skipped += 1;
          break;
        case "error":
          this.#error("node", node.kind, node.id, `Node already exists: ${node.kind}:${node.id}`);
          break;
        case "update": {
          // An import never brings a deleted row back.
          if (!live) {
            this.result.nodes.skipped += 1;
            break;
          }
          const refused = updateWindow("Node", node.kind, node.id, node, row[4]);
          if (refused) this.#error("node", node.kind, node.id, refused);
          else writes.push({ op: "update", node, props, version: row[3] });
          break;
        }
      }
    }
    for (const run of runs(writes, (w) => w.node.kind)) {
      try {
        await this.#writeNodes(e, run);
        this.#countNodes(run);
      } catch (error) {
        if (!(error instanceof TypeGraphError)) throw error;
        // The run left nothing behind: replay it row by row to say which rows fail.
        for (const w of run) {
          try {
            await this.#writeNodes(e, [w]);
            this.#countNodes([w]);
          } catch (rowFailure) {
            this.#error("node", w.node.kind, w.node.id, this.#nodeFailure(w, rowFailure));
          }
        }
      }
    }
  }

  #nodeFailure(w: NodeWrite, error: unknown): string {
    if (w.op === "update" && error instanceof StaleVersionError) {
      return `${NODE_TARGET_CHANGED}: Node "${w.node.kind}:${w.node.id}" was not updated: the stored row changed or was removed after the import read it. Re-export the source and retry.`;
    }
    return rowError(error);
  }

  #countNodes(run: readonly NodeWrite[]): void {
    if (run[0]!.op === "create") this.result.nodes.created += run.length;
    else this.result.nodes.updated += run.length;
    this.#written += run.length;
  }

  async #writeNodes(e: TxEngine, run: readonly NodeWrite[]): Promise<void> {
    const kind = run[0]!.node.kind;
    if (run[0]!.op === "create") {
      const validFrom: (string | null)[] = [];
      const validTo: (string | null)[] = [];
      const openLeft: string[] = [];
      let windows = false;
      for (const w of run) {
        validFrom.push(typeof w.node.validFrom === "string" ? w.node.validFrom : null);
        validTo.push(w.node.validTo ?? null);
        if (w.node.validFrom !== undefined || w.node.validTo !== undefined) windows = true;
        if (w.node.validFrom === null) openLeft.push(w.node.id);
      }
      await call(e, "bulkCreateNodes", {
        kind,
        ids: run.map((w) => w.node.id),
        props: run.map((w) => w.props),
        ...(windows ? { validFrom, validTo } : {}),
        returning: false,
      });
      if (openLeft.length > 0) await call(e, "interchangeOpenLeft", { entity: "node", kind, ids: openLeft });
      return;
    }
    await call(e, "bulkUpsertNodes", {
      kind,
      items: run.map((w) => ({
        id: w.node.id,
        props: w.props,
        fenced: true,
        expectedVersion: w.version,
        ...(w.node.validTo !== undefined ? { validTo: w.node.validTo } : {}),
      })),
      returning: false,
    });
  }

  async #edgeBatch(batch: readonly InterchangeEdge[]): Promise<void> {
    const valid: { edge: InterchangeEdge; props: Record<string, unknown> }[] = [];
    for (const edge of batch) {
      if (!Object.prototype.hasOwnProperty.call(this.store.graph.edges, edge.kind)) {
        this.#error("edge", edge.kind, edge.id, `Unknown edge kind: ${edge.kind}`);
        continue;
      }
      const checked = checkProperties(edge.properties ?? {}, this.store.getEdgePropsSchema(edge.kind), this.options.onUnknownProperty);
      if (!checked.ok) this.#error("edge", edge.kind, edge.id, checked.error);
      else valid.push({ edge, props: checked.props });
    }
    if (valid.length === 0) return;
    await this.store.transaction(async (tx) => {
      const e = txEngine(tx);
      let segment: typeof valid = [];
      let ids = new Set<string>();
      for (const v of valid) {
        if (ids.has(v.edge.id)) {
          await this.#edgeSegment(e, segment);
          segment = [];
          ids = new Set();
        }
        ids.add(v.edge.id);
        segment.push(v);
      }
      await this.#edgeSegment(e, segment);
    });
  }

  async #edgeSegment(e: TxEngine, segment: readonly { edge: InterchangeEdge; props: Record<string, unknown> }[]): Promise<void> {
    if (segment.length === 0) return;
    const rows = (await call(e, "interchangeProbeEdges", { ids: segment.map((s) => s.edge.id) })) as EdgeRow[];
    const stored = new Map(rows.map((r) => [r[0], r]));
    const writes: EdgeWrite[] = [];
    for (const { edge, props } of segment) {
      const row = stored.get(edge.id);
      if (!row) {
        writes.push({ op: "create", edge, props });
        continue;
      }
      // Is the stored row this edge at all? Asked before any conflict strategy.
      const differs: string[] = [];
      if (row[1] !== edge.kind) differs.push(`kind (stored "${row[1]}", document "${edge.kind}")`);
      if (row[2] !== edge.from.kind || row[3] !== edge.from.id) differs.push(`from (stored ${row[2]}:${row[3]}, document ${edge.from.kind}:${edge.from.id})`);
      if (row[4] !== edge.to.kind || row[5] !== edge.to.id) differs.push(`to (stored ${row[4]}:${row[5]}, document ${edge.to.kind}:${edge.to.id})`);
      if (differs.length > 0) {
        this.#error("edge", edge.kind, edge.id, `${EDGE_IDENTITY_CONFLICT}: edge id "${edge.id}" is held by a different edge: ${differs.join("; ")}. Give the incoming edge a distinct id.`);
        continue;
      }
      const live = row[11] === null;
      switch (this.options.onConflict) {
        case "skip":
          this.result.edges.skipped += 1;
          break;
        case "error":
          this.#error("edge", edge.kind, edge.id, `Edge already exists: ${edge.kind}:${edge.id}`);
          break;
        case "update": {
          if (!live) {
            this.result.edges.skipped += 1;
            break;
          }
          const refused = updateWindow("Edge", edge.kind, edge.id, edge, row[7]);
          if (refused) this.#error("edge", edge.kind, edge.id, `${EDGE_IDENTITY_CONFLICT}: ${refused}`);
          else writes.push({ op: "update", edge, props });
          break;
        }
      }
    }
    for (const run of runs(writes, (w) => w.edge.kind)) {
      try {
        await this.#writeEdges(e, run);
        this.#countEdges(run);
      } catch (error) {
        if (!(error instanceof TypeGraphError)) throw error;
        for (const w of run) {
          try {
            await this.#writeEdges(e, [w]);
            this.#countEdges([w]);
          } catch (rowFailure) {
            this.#error("edge", w.edge.kind, w.edge.id, rowError(rowFailure));
          }
        }
      }
    }
  }

  #countEdges(run: readonly EdgeWrite[]): void {
    if (run[0]!.op === "create") this.result.edges.created += run.length;
    else this.result.edges.updated += run.length;
    this.#written += run.length;
  }

  async #writeEdges(e: TxEngine, run: readonly EdgeWrite[]): Promise<void> {
    const kind = run[0]!.edge.kind;
    if (run[0]!.op === "create") {
      const validFrom: (string | null)[] = [];
      const validTo: (string | null)[] = [];
      const openLeft: string[] = [];
      let windows = false;
      for (const w of run) {
        validFrom.push(typeof w.edge.validFrom === "string" ? w.edge.validFrom : null);
        validTo.push(w.edge.validTo ?? null);
        if (w.edge.validFrom !== undefined || w.edge.validTo !== undefined) windows = true;
        if (w.edge.validFrom === null) openLeft.push(w.edge.id);
      }
      await call(e, "bulkCreateEdges", {
        kind,
        ids: run.map((w) => w.edge.id),
        fromKind: run.map((w) => w.edge.from.kind),
        fromId: run.map((w) => w.edge.from.id),
        toKind: run.map((w) => w.edge.to.kind),
        toId: run.map((w) => w.edge.to.id),
        props: run.map((w) => w.props),
        ...(windows ? { validFrom, validTo } : {}),
        returning: false,
      });
      if (openLeft.length > 0) await call(e, "interchangeOpenLeft", { entity: "edge", kind, ids: openLeft });
      return;
    }
    await call(e, "bulkUpsertEdges", {
      kind,
      items: run.map((w) => ({
        id: w.edge.id,
        from: w.edge.from,
        to: w.edge.to,
        props: w.props,
        ...(w.edge.validTo !== undefined ? { validTo: w.edge.validTo } : {}),
      })),
      returning: false,
    });
  }

  /** Identity assertions: the seam for the operational-identity ledger. */
  async identity(assertions: readonly InterchangeIdentityAssertion[], mode?: IdentityInterchangeMode): Promise<void> {
    if (assertions.length === 0) return;
    const ledger = identitySeam(this.store);
    if (typeof ledger?.importAssertions !== "function") {
      throw new ConfigurationError(`Graph "${this.store.graphId}" cannot import identity assertions: this store has no operational identity ledger.`, {
        code: "IDENTITY_IMPORT_REQUIRES_PROFILE",
        graphId: this.store.graphId,
      });
    }
    const r = await ledger.importAssertions(assertions, mode ? { mode } : {});
    this.result.identity.created += r.created;
    this.result.identity.skipped += r.skipped;
    for (const err of r.errors ?? []) this.#error("identity", err.kind, err.id, err.error);
  }

  async finish(): Promise<ImportResult> {
    const refresh = this.options.refreshStatistics;
    if (this.#written > 0 && (refresh === true || (refresh === undefined && this.#written >= 1000))) await this.store.refreshStatistics();
    return this.result;
  }
}

function assertIdentitySupported(store: Store<GraphDef>, carriesIdentity: boolean): void {
  if (carriesIdentity && !hasIdentityProfile(store.graph)) {
    throw new ConfigurationError(`The document carries an identity section but graph "${store.graphId}" declares no identity profile.`, {
      code: "IDENTITY_IMPORT_REQUIRES_PROFILE",
      graphId: store.graphId,
    });
  }
}

/**
 * Imports a document through the store's validating write pipeline: properties checked against
 * the kinds' schemas, uniqueness, cardinality and endpoints enforced; rows that fail are
 * reported in `errors` and the rest are written, one transaction per batch.
 */
export async function importGraph<G extends GraphDef>(target: ImportTarget<G>, data: GraphData, options: ImportOptions): Promise<ImportResult> {
  const store = checkStore(target, "importGraph");
  const resolved = ImportOptionsSchema.parse(options);
  const doc = GraphDataSchema.parse(data);
  assertIdentitySupported(store, doc.identity !== undefined);
  const release = claimLease(store, "import-stream");
  try {
    const importer = new Importer(store, resolved);
    await importer.nodes(doc.nodes);
    await importer.edges(doc.edges);
    if (doc.identity) await importer.identity(doc.identity.assertions, doc.identity.mode);
    return await importer.finish();
  } finally {
    release();
  }
}

/**
 * Imports a chunk stream (header, node chunks, edge chunks, identity chunks) as `importGraph`
 * does, chunk by chunk. With `onStreamChunkError: "abort"` (the default) a chunk that reports
 * row errors stops the stream with an error; earlier chunks stay committed.
 */
export async function importGraphStream<G extends GraphDef>(
  target: ImportTarget<G>,
  chunks: AsyncIterable<GraphInterchangeChunk> | Iterable<GraphInterchangeChunk>,
  options: ImportOptions,
): Promise<ImportResult> {
  const store = checkStore(target, "importGraphStream");
  const resolved = ImportOptionsSchema.parse(options);
  const release = claimLease(store, "import-stream", exportSource(chunks));
  try {
    return await importStream(store, chunks, resolved);
  } finally {
    release();
  }
}

async function importStream(store: Store<GraphDef>, chunks: AsyncIterable<GraphInterchangeChunk> | Iterable<GraphInterchangeChunk>, resolved: ResolvedImportOptions): Promise<ImportResult> {
  const importer = new Importer(store, { ...resolved, refreshStatistics: false });
  let header: GraphDataHeader | undefined;
  let phase: "nodes" | "edges" | "identity" = "nodes";
  const fail = (message: string) => {
    throw new ConfigurationError(message, { code: "INTERCHANGE_INVALID_STREAM", graphId: store.graphId });
  };
  for await (const raw of chunks as AsyncIterable<GraphInterchangeChunk>) {
    const chunk = GraphInterchangeChunkSchema.parse(raw);
    const before = importer.result.errors.length;
    switch (chunk.type) {
      case "header":
        if (header) fail("The interchange stream sent a second header.");
        header = chunk.header;
        assertIdentitySupported(store, header.identity !== undefined);
        break;
      case "nodes":
        if (!header) fail("The interchange stream must start with a header.");
        if (phase !== "nodes") fail(`The interchange stream sent nodes after ${phase === "edges" ? "edges" : "identity assertions"}.`);
        await importer.nodes(chunk.nodes);
        break;
      case "edges":
        if (!header) fail("The interchange stream must start with a header.");
        if (phase === "identity") fail("The interchange stream sent edges after identity assertions.");
        phase = "edges";
        await importer.edges(chunk.edges);
        break;
      case "identity":
        if (!header) fail("The interchange stream must start with a header.");
        if (header!.identity === undefined) assertIdentitySupported(store, true);
        phase = "identity";
        await importer.identity(chunk.assertions, header!.identity?.mode);
        break;
    }
    if (resolved.onStreamChunkError === "abort" && importer.result.errors.length > before) {
      throw new ConfigurationError(
        `Import stream into graph "${store.graphId}" stopped: a chunk reported ${importer.result.errors.length - before} row error(s). Earlier chunks stay committed; pass onStreamChunkError: "continue" to go on past row errors.`,
        { code: "INTERCHANGE_STREAM_CHUNK_FAILED", graphId: store.graphId, errors: importer.result.errors.slice(before) },
      );
    }
  }
  if (!header) fail("The interchange stream ended without a header.");
  const result = importer.result;
  const refresh = resolved.refreshStatistics;
  const written = result.nodes.created + result.nodes.updated + result.edges.created + result.edges.updated;
  if (written > 0 && (refresh === true || (refresh === undefined && written >= 1000))) await store.refreshStatistics();
  return result;
}

// ============================================================
// Trusted import
// ============================================================

function refuse(message: string, reason: ConstructorParameters<typeof TrustedImportError>[1], details: Record<string, unknown> = {}): never {
  throw new TrustedImportError(message, reason, details);
}

/** The store-level preconditions of a trusted import (no engine work). */
function trustedPreflight(store: Store<GraphDef>): void {
  const graphId = store.graphId;
  const backend = store.backend as GraphBackend & { trustedImport?: unknown };
  if (backend.trustedImport === undefined) refuse(`This backend has no trusted-import path.`, "backend_unsupported", { graphId });
  if (hasIdentityProfile(store.graph)) refuse(`Graph "${graphId}" declares an identity profile; a trusted import writes only node and edge rows.`, "identity_unsupported", { graphId });
  if (store.historyEnabled) refuse(`Store of graph "${graphId}" records history; a trusted import would skip its recorded-time capture.`, "history_unsupported", { graphId });
  if ((store as unknown as { revisionTrackingEnabled?: boolean }).revisionTrackingEnabled === true && !store.historyEnabled) {
    refuse(`Store of graph "${graphId}" tracks revisions; a trusted import would skip them.`, "revision_tracking_unsupported", { graphId });
  }
  for (const [kind, reg] of Object.entries(store.graph.nodes)) {
    if ((reg as { unique?: readonly unknown[] }).unique?.length) refuse(`Node kind "${kind}" declares uniqueness constraints; a trusted import does not write their claims.`, "uniqueness_unsupported", { graphId, kind });
  }
  for (const [kind, reg] of Object.entries(store.graph.nodes)) {
    const shape = (reg.type.schema as unknown as { shape?: Record<string, unknown> }).shape ?? {};
    for (const [field, schema] of Object.entries(shape)) {
      if (isSearchableSchema(schema)) refuse(`Node kind "${kind}" has the searchable() field "${field}"; a trusted import does not write fulltext documents.`, "fulltext_unsupported", { graphId, kind, field });
      if (isEmbeddingSchema(schema)) refuse(`Node kind "${kind}" has the embedding() field "${field}"; a trusted import does not write vectors.`, "vector_unsupported", { graphId, kind, field });
    }
  }
}

/**
 * A trusted row's validity window: canonical instants (the stored bounds compare as text) and
 * not inverted. Checked on the raw row, before the format's schema, so the refusal names the
 * field, the row and the value.
 */
function checkTrustedWindow(entity: "node" | "edge", raw: unknown): void {
  if (raw === null || typeof raw !== "object") return;
  const row = raw as { kind?: unknown; id?: unknown; validFrom?: unknown; validTo?: unknown };
  const kind = String(row.kind);
  const id = String(row.id);
  for (const field of ["validFrom", "validTo"] as const) {
    const v = row[field];
    if (v === undefined || (v === null && field === "validFrom")) continue;
    if (typeof v !== "string" || !ValidityInstantSchema.safeParse(v).success) {
      refuse(`Non-canonical ${field} in trusted import: ${kind} "${id}" states ${JSON.stringify(v)}; bounds must be fixed-width UTC (YYYY-MM-DDTHH:mm:ss.sssZ).`, "invalid_stream", {
        entity,
        kind,
        id,
        field,
        value: v,
      });
    }
  }
  if (typeof row.validFrom === "string" && typeof row.validTo === "string" && row.validTo < row.validFrom) {
    refuse(`Trusted ${entity} ${kind} "${id}" has an inverted validity window (validTo ${row.validTo} before validFrom ${row.validFrom}).`, "invalid_stream", { entity, kind, id });
  }
}

function checkTrustedChunk(raw: unknown): void {
  const c = raw as { type?: unknown; nodes?: unknown; edges?: unknown } | null;
  if (c?.type === "nodes" && Array.isArray(c.nodes)) for (const n of c.nodes) checkTrustedWindow("node", n);
  if (c?.type === "edges" && Array.isArray(c.edges)) for (const e of c.edges) checkTrustedWindow("edge", e);
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isName = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isRef = (v: unknown): boolean => isRecord(v) && isName(v.kind) && isName(v.id);

/**
 * A trusted chunk's shape, checked by hand: rows are trusted, so the format's zod parse (which
 * copies every row) is spared; the header goes through its schema.
 */
function trustedChunk(raw: unknown, graphId: string): GraphInterchangeChunk {
  const bad = (what: string): never => refuse(`Invalid trusted import chunk: ${what}.`, "invalid_stream", { graphId });
  if (!isRecord(raw)) return bad("not an object");
  switch (raw.type) {
    case "header": {
      const h = GraphDataHeaderSchema.safeParse(raw.header);
      if (!h.success) return bad(`header: ${formatIssues(h.error)}`);
      return { type: "header", header: h.data };
    }
    case "nodes": {
      if (!Array.isArray(raw.nodes)) return bad("nodes is not an array");
      for (const [i, n] of (raw.nodes as unknown[]).entries()) {
        if (!isRecord(n) || !isName(n.kind) || !isName(n.id) || !isRecord(n.properties)) bad(`node ${i} needs kind, id and a properties object`);
      }
      return raw as GraphInterchangeChunk;
    }
    case "edges": {
      if (!Array.isArray(raw.edges)) return bad("edges is not an array");
      for (const [i, e] of (raw.edges as unknown[]).entries()) {
        if (!isRecord(e) || !isName(e.kind) || !isName(e.id) || !isRef(e.from) || !isRef(e.to) || (e.properties !== undefined && !isRecord(e.properties))) {
          bad(`edge ${i} needs kind, id, from and to ({ kind, id }) and an optional properties object`);
        }
      }
      return raw as GraphInterchangeChunk;
    }
    case "identity":
      return refuse("The trusted import stream carries identity assertions; use importGraphStream for identity.", "invalid_stream", { graphId });
    default:
      return bad(`unknown chunk type ${JSON.stringify(raw.type)}`);
  }
}

/**
 * Loads a document into a fresh database: the node and edge tables must hold no row of any
 * graph. The whole load is one transaction; the tables' secondary indexes are dropped first and
 * rebuilt before commit, then planner statistics refreshed. Rows are trusted: properties are
 * not validated against the schemas (only kinds, order and validity windows are checked);
 * meta timestamps and versions are not restored.
 */
export async function trustedImportGraph<G extends GraphDef>(store: Store<G>, data: GraphData): Promise<TrustedImportResult> {
  const s = checkStore(store, "trustedImportGraph");
  trustedPreflight(s);
  if (!isRecord(data)) refuse("The trusted import document is not an object.", "invalid_stream", { graphId: s.graphId });
  if (data.identity !== undefined) {
    refuse(`The document carries an identity section; a trusted import cannot write identity assertions. Use importGraph.`, "invalid_stream", { graphId: s.graphId });
  }
  checkTrustedChunk({ type: "nodes", nodes: data.nodes });
  checkTrustedChunk({ type: "edges", edges: data.edges });
  const { nodes, edges, identity: _identity, ...header } = data;
  // The rows' shapes are checked (by hand, not re-parsed) as the stream's chunks.
  return trustedImportGraphStream(s, [
    { type: "header", header: header as GraphDataHeader },
    { type: "nodes", nodes },
    { type: "edges", edges },
  ] as GraphInterchangeChunk[]);
}

/** `trustedImportGraph` over a chunk stream (header first, nodes before edges); one transaction for all of it. */
export async function trustedImportGraphStream<G extends GraphDef>(
  store: Store<G>,
  chunks: AsyncIterable<GraphInterchangeChunk> | Iterable<GraphInterchangeChunk>,
): Promise<TrustedImportResult> {
  const s = checkStore(store, "trustedImportGraphStream");
  trustedPreflight(s);
  const release = claimLease(s, "import-stream", exportSource(chunks));
  try {
    return await trustedLoad(s, chunks);
  } finally {
    release();
  }
}

async function trustedLoad(s: Store<GraphDef>, chunks: AsyncIterable<GraphInterchangeChunk> | Iterable<GraphInterchangeChunk>): Promise<TrustedImportResult> {
  const graphId = s.graphId;
  const counts = { nodes: 0, edges: 0 };
  await s.transaction(async (tx) => {
    const e = txEngine(tx);
    if (!((await call(e, "interchangeTablesEmpty", {})) as boolean)) {
      refuse(`A trusted import needs empty TypeGraph node and edge tables (of every graph); this database already holds rows.`, "database_not_empty", { graphId });
    }
    const dropped = await call(e, "deferIndexes", {});
    let header = false;
    let phase: "nodes" | "edges" = "nodes";
    for await (const raw of chunks as AsyncIterable<GraphInterchangeChunk>) {
      checkTrustedChunk(raw);
      const chunk = trustedChunk(raw, graphId);
      if (chunk.type === "header") {
        if (header) refuse("The trusted import stream sent a second header.", "invalid_stream", { graphId });
        if (chunk.header.identity !== undefined) refuse("The trusted import stream's header declares identity; a trusted import cannot write identity assertions.", "invalid_stream", { graphId });
        header = true;
        continue;
      }
      if (!header) refuse("The trusted import stream must start with a header.", "invalid_stream", { graphId });
      if (chunk.type === "identity") refuse("The trusted import stream carries identity assertions; use importGraphStream for identity.", "invalid_stream", { graphId });
      if (chunk.type === "nodes") {
        if (phase !== "nodes") refuse("The trusted import stream sent nodes after edges.", "invalid_stream", { graphId });
        await trustedNodes(s, e, chunk.nodes);
        counts.nodes += chunk.nodes.length;
      } else {
        phase = "edges";
        await trustedEdges(s, e, chunk.edges);
        counts.edges += chunk.edges.length;
      }
    }
    if (!header) refuse("The trusted import stream ended without a header.", "invalid_stream", { graphId });
    await call(e, "restoreIndexes", { indexes: dropped });
  });
  await s.refreshStatistics();
  return counts;
}

/** One bulk create per kind run of a trusted chunk. */
async function trustedNodes(store: Store<GraphDef>, e: TxEngine, nodes: readonly InterchangeNode[]): Promise<void> {
  const groups = new Map<string, InterchangeNode[]>();
  for (const n of nodes) {
    if (!Object.prototype.hasOwnProperty.call(store.graph.nodes, n.kind)) refuse(`Unknown node kind "${n.kind}" in the trusted import stream.`, "invalid_stream", { graphId: store.graphId, kind: n.kind });
    let g = groups.get(n.kind);
    if (!g) groups.set(n.kind, (g = []));
    g.push(n);
  }
  for (const [kind, run] of groups) {
    const windows = run.some((n) => n.validFrom !== undefined || n.validTo !== undefined);
    const openLeft = run.filter((n) => n.validFrom === null).map((n) => n.id);
    await call(e, "bulkCreateNodes", {
      kind,
      ids: run.map((n) => n.id),
      props: run.map((n) => n.properties),
      ...(windows ? { validFrom: run.map((n) => (typeof n.validFrom === "string" ? n.validFrom : null)), validTo: run.map((n) => n.validTo ?? null) } : {}),
      returning: false,
    });
    if (openLeft.length > 0) await call(e, "interchangeOpenLeft", { entity: "node", kind, ids: openLeft });
  }
}

async function trustedEdges(store: Store<GraphDef>, e: TxEngine, edges: readonly InterchangeEdge[]): Promise<void> {
  const groups = new Map<string, InterchangeEdge[]>();
  for (const x of edges) {
    if (!Object.prototype.hasOwnProperty.call(store.graph.edges, x.kind)) refuse(`Unknown edge kind "${x.kind}" in the trusted import stream.`, "invalid_stream", { graphId: store.graphId, kind: x.kind });
    let g = groups.get(x.kind);
    if (!g) groups.set(x.kind, (g = []));
    g.push(x);
  }
  for (const [kind, run] of groups) {
    const windows = run.some((n) => n.validFrom !== undefined || n.validTo !== undefined);
    const openLeft = run.filter((n) => n.validFrom === null).map((n) => n.id);
    await call(e, "bulkCreateEdges", {
      kind,
      ids: run.map((x) => x.id),
      fromKind: run.map((x) => x.from.kind),
      fromId: run.map((x) => x.from.id),
      toKind: run.map((x) => x.to.kind),
      toId: run.map((x) => x.to.id),
      props: run.map((x) => x.properties ?? {}),
      ...(windows ? { validFrom: run.map((x) => (typeof x.validFrom === "string" ? x.validFrom : null)), validTo: run.map((x) => x.validTo ?? null) } : {}),
      returning: false,
    });
    if (openLeft.length > 0) await call(e, "interchangeOpenLeft", { entity: "edge", kind, ids: openLeft });
  }
}
