// Recorded (system) time: instants, guard codes, and `RecordedStoreView`.
//
// A store created with `history: true` has the engine copy every committed write into the
// recorded relations (see `crates/typegraph-core/src/ops/recorded.rs`); this module is the read
// side. A recorded instant is the versioned anchor `r1:<16-digit revision>:<UTC ISO wall time>`:
// the revision orders commits of one graph, the wall time is the clock's non-decreasing
// high-water mark. A `RecordedStoreView` answers point reads and bounded scans of the graph as it
// was recorded at a revision, with valid time at the view's own coordinate (the anchor's wall
// time when read directly from the store, "diagonal").

import type { EdgeType, GraphDef, NodeType, TemporalMode } from "./core.js";
import { ConfigurationError, ValidationError, type TypeGraphError } from "./errors.js";
import type { Edge, Node } from "./store.js";
import type { EdgeKinds, NodeKinds } from "./type-helpers.js";
import type { SealedQueryBuilder } from "./store-view.js";

// ---- instants ----------------------------------------------------------------------------------

declare const RECORDED_INSTANT: unique symbol;
/** A recorded-time anchor as TypeGraph hands it out (`store.recordedNow()`), branded. */
export type RecordedInstant = string & { readonly [RECORDED_INSTANT]: true };

/** The exclusive ceiling of recorded revisions (the open interval's end in the recorded relations). */
export const RECORDED_MAX_REVISION = Number.MAX_SAFE_INTEGER;
const ANCHOR = /^r1:(\d{16}):(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)$/;

function badInstant(value: unknown, path: string): ValidationError {
  const shown = typeof value === "string" ? `"${value}"` : String(value);
  return new ValidationError(`Invalid recorded instant ${shown}: expected r1:<16-digit revision>:<canonical UTC ISO 8601>`, {
    issues: [{ path, message: "Expected a versioned recorded anchor r1:<revision>:<YYYY-MM-DDTHH:mm:ss.sssZ>" }],
  });
}

/** @internal The two halves of an anchor (ValidationError when it is not one). */
export function parseRecordedInstant(value: unknown, path = "RecordedInstant"): { revision: number; recordedAt: string } {
  if (typeof value !== "string") throw badInstant(value, path);
  const m = ANCHOR.exec(value);
  if (m === null) throw badInstant(value, path);
  const revision = Number(m[1]);
  const recordedAt = m[2]!;
  const wall = new Date(recordedAt);
  if (!Number.isSafeInteger(revision) || revision < 1 || revision >= RECORDED_MAX_REVISION || Number.isNaN(wall.getTime()) || wall.toISOString() !== recordedAt) {
    throw badInstant(value, path);
  }
  return { revision, recordedAt };
}

/** @internal The anchor of `revision` at wall time `recordedAt`. */
export function createRecordedInstant(revision: number, recordedAt: string): RecordedInstant {
  if (!Number.isSafeInteger(revision) || revision < 1 || revision >= RECORDED_MAX_REVISION) {
    throw new ValidationError(`A recorded revision must be a safe integer from 1 to ${RECORDED_MAX_REVISION - 1}, got ${String(revision)}`, {
      issues: [{ path: "revision", message: "Out of range" }],
    });
  }
  return asRecordedInstant(`r1:${String(revision).padStart(16, "0")}:${recordedAt}`);
}

/** Brands an anchor that went through untyped storage; a malformed value is a ValidationError. */
export function asRecordedInstant(value: string): RecordedInstant {
  parseRecordedInstant(value, "asRecordedInstant");
  return value as RecordedInstant;
}

/** The per-graph logical revision of an anchor (for diagnostics). */
export function recordedInstantRevision(instant: RecordedInstant): number {
  return parseRecordedInstant(instant).revision;
}

/** The anchor's canonical UTC wall time (for display; not the commit order). */
export function recordedInstantWallTime(instant: RecordedInstant): string {
  return parseRecordedInstant(instant).recordedAt;
}

/** Orders two anchors of the same graph by revision. */
export function compareRecordedInstants(left: RecordedInstant, right: RecordedInstant): -1 | 0 | 1 {
  const a = recordedInstantRevision(left);
  const b = recordedInstantRevision(right);
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- guard codes -------------------------------------------------------------------------------

/** `details.code` values of the ConfigurationErrors recorded-capture guards raise. */
export const RECORDED_CAPTURE_GUARD_CODES = [
  "RECORDED_CAPTURE_REQUIRES_CALLBACK_TRANSACTION",
  "RECORDED_CAPTURE_RAW_SQL_DISABLED",
  "REVISION_TRACKING_RAW_SQL_DISABLED",
] as const;
export type RecordedCaptureGuardCode = (typeof RECORDED_CAPTURE_GUARD_CODES)[number];
/** A ConfigurationError raised by a recorded-capture guard, its code in `details.code`. */
export type RecordedCaptureGuardError<C extends RecordedCaptureGuardCode = RecordedCaptureGuardCode> = ConfigurationError & {
  readonly details: Readonly<{ code: C }>;
};

/** Whether `error` is a recorded-capture guard's refusal (of `code`, when given). */
export function isRecordedCaptureGuardError<C extends RecordedCaptureGuardCode = RecordedCaptureGuardCode>(
  error: unknown,
  code?: C,
): error is RecordedCaptureGuardError<C> {
  if (!(error instanceof ConfigurationError)) return false;
  const found = (error as TypeGraphError).details?.code;
  if (!(RECORDED_CAPTURE_GUARD_CODES as readonly unknown[]).includes(found)) return false;
  return code === undefined || found === code;
}

/** @internal The refusal of a raw SQL surface on a history store. */
export function rawSqlDisabled(surface: string): RecordedCaptureGuardError<"RECORDED_CAPTURE_RAW_SQL_DISABLED"> {
  return new ConfigurationError(`${surface} is not available when history capture is enabled: raw SQL writes would bypass recorded-time capture.`, {
    code: "RECORDED_CAPTURE_RAW_SQL_DISABLED",
  }) as RecordedCaptureGuardError<"RECORDED_CAPTURE_RAW_SQL_DISABLED">;
}

/** @internal The refusal of a raw SQL surface on a revision-tracked store. */
export function revisionRawSqlDisabled(surface: string): RecordedCaptureGuardError<"REVISION_TRACKING_RAW_SQL_DISABLED"> {
  return new ConfigurationError(`${surface} is not available on a revision-tracked store: a raw SQL write would change the graph without advancing its revision anchor.`, {
    code: "REVISION_TRACKING_RAW_SQL_DISABLED",
  }) as RecordedCaptureGuardError<"REVISION_TRACKING_RAW_SQL_DISABLED">;
}

/** @internal PostgreSQL captures only at READ COMMITTED (the clock row is taken inside the transaction). */
export function checkRecordedIsolation(dialect: string, isolationLevel: unknown): void {
  if (dialect !== "postgres" || isolationLevel === undefined) return;
  const level = String(isolationLevel).replaceAll(" ", "_").toLowerCase();
  if (level === "read_committed" || level === "read_uncommitted") return;
  throw new ConfigurationError("Recorded-time capture on PostgreSQL requires read_committed isolation.", { isolationLevel: level });
}

// ---- the view ----------------------------------------------------------------------------------

/** One page of a recorded scan: entities in id order and the cursor of the next page, if any. */
export type RecordedScanPage<T> = Readonly<{ data: readonly T[]; nextCursor: string | undefined; hasNextPage: boolean }>;
export type RecordedScanOptions = Readonly<{ limit?: number; after?: string }>;

export type RecordedStoreViewNodeCollection<N extends NodeType = NodeType> = Readonly<{
  getById(id: string): Promise<Node<N> | undefined>;
  getByIds(ids: readonly string[]): Promise<(Node<N> | undefined)[]>;
  scan(options?: RecordedScanOptions): Promise<RecordedScanPage<Node<N>>>;
}>;
export type RecordedStoreViewEdgeCollection<E extends EdgeType = EdgeType> = Readonly<{
  getById(id: string): Promise<Edge<E> | undefined>;
  getByIds(ids: readonly string[]): Promise<(Edge<E> | undefined)[]>;
  scan(options?: RecordedScanOptions): Promise<RecordedScanPage<Edge<E>>>;
}>;
export type RecordedStoreViewNodeCollections<G extends GraphDef> = {
  readonly [K in NodeKinds<G>]-?: RecordedStoreViewNodeCollection<G["nodes"][K]["type"]>;
};
export type RecordedStoreViewEdgeCollections<G extends GraphDef> = {
  readonly [K in EdgeKinds<G>]-?: RecordedStoreViewEdgeCollection<G["edges"][K]["type"]>;
};

/** @internal What a recorded view needs of its store. */
export interface RecordedHost {
  readonly graph: GraphDef;
  readonly graphId: string;
  /** One engine call on the store's graph. */
  recordedCall(op: string, args: unknown): Promise<unknown>;
  toNode(row: unknown): Node;
  toEdge(row: unknown): Edge;
  /** A query builder over the recorded relations at `revision`, valid time at `valid`, sealed. */
  query(revision: number, valid: RecordedValidAxis): unknown;
}

/** @internal A view's valid-time axis: a mode, with an instant for "asOf". */
export type RecordedValidAxis = Readonly<{ mode: TemporalMode; asOf?: string }>;

const MAX_SCAN = 1000;
const SCAN_LIMIT_CODE = "RECORDED_SCAN_LIMIT_INVALID";

/**
 * The graph as TypeGraph recorded it at one instant: point reads and id-ordered scans of the
 * recorded relations. Reads that only the present can answer (`find`, `count`, constraint and
 * index lookups, endpoint reads, search) are refused with a ConfigurationError.
 */
export class RecordedStoreView<G extends GraphDef = GraphDef> {
  readonly #host: RecordedHost;
  readonly #revision: number;
  readonly #instant: RecordedInstant;
  readonly #valid: RecordedValidAxis;
  #nodes: RecordedStoreViewNodeCollections<G> | undefined;
  #edges: RecordedStoreViewEdgeCollections<G> | undefined;

  /** @internal Use `store.asOfRecorded(T)` or `view.asOfRecorded(T)`. */
  constructor(host: RecordedHost, instant: RecordedInstant, valid?: RecordedValidAxis) {
    const { revision, recordedAt } = parseRecordedInstant(instant, "asOfRecorded");
    this.#host = host;
    this.#revision = revision;
    this.#instant = instant;
    // Read directly from a store, valid time is pinned to the anchor's wall time (and a "current"
    // coordinate means "current as of the anchor", never the reader's clock).
    const v = valid ?? { mode: "asOf", asOf: recordedAt };
    this.#valid = v.mode === "current" ? { mode: "asOf", asOf: recordedAt } : v;
  }

  /** The recorded instant this view reads at. */
  get recordedAsOf(): RecordedInstant {
    return this.#instant;
  }

  /** The valid-time mode of this view's reads. */
  get mode(): TemporalMode {
    return this.#valid.mode;
  }

  /** The valid-time instant of this view's reads ("asOf" views). */
  get asOf(): string | undefined {
    return this.#valid.asOf;
  }

  get nodes(): RecordedStoreViewNodeCollections<G> {
    return (this.#nodes ??= this.#namespace("node", this.#host.graph.nodes) as RecordedStoreViewNodeCollections<G>);
  }

  get edges(): RecordedStoreViewEdgeCollections<G> {
    return (this.#edges ??= this.#namespace("edge", this.#host.graph.edges) as RecordedStoreViewEdgeCollections<G>);
  }

  /**
   * A query builder reading the recorded relations at this view's instant; its temporal axis is
   * sealed. Fulltext and vector predicates are refused (their indexes hold the present only).
   */
  query(): SealedQueryBuilder<G> {
    return this.#host.query(this.#revision, this.#valid) as SealedQueryBuilder<G>;
  }

  /** Search reads the present only. */
  get search(): never {
    throw new ConfigurationError("search is not available on a recorded-time view: fulltext and vector indexes hold current state only.", {
      code: "RECORDED_VIEW_UNSUPPORTED",
      method: "search",
    });
  }

  #args(entity: "node" | "edge", kind: string): Record<string, unknown> {
    return {
      entity,
      kind,
      revision: this.#revision,
      temporalMode: this.#valid.mode,
      ...(this.#valid.asOf === undefined ? {} : { asOf: this.#valid.asOf }),
    };
  }

  #collection(entity: "node" | "edge", kind: string): Record<string, unknown> {
    const host = this.#host;
    const render = (row: unknown) => (entity === "node" ? host.toNode(row) : host.toEdge(row));
    const byIds = async (ids: readonly string[]) => {
      if (!Array.isArray(ids)) throw new ValidationError("getByIds expects an array of ids", { issues: [{ path: "ids", message: "Expected an array" }] });
      if (ids.length === 0) return [];
      const rows = (await host.recordedCall("recordedRead", { ...this.#args(entity, kind), ids: [...ids] })) as unknown[];
      return rows.map((r) => (r === null ? undefined : render(r)));
    };
    const cursorScope = `${host.graphId}\u0000${entity}\u0000${kind}\u0000${this.#revision}\u0000${this.#valid.mode}\u0000${this.#valid.asOf ?? ""}`;
    const reads: Record<string, unknown> = {
      getById: async (id: string) => (await byIds([id]))[0],
      getByIds: byIds,
      scan: async (options: RecordedScanOptions = {}) => {
        const limit = options.limit ?? MAX_SCAN;
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SCAN) {
          throw new ValidationError(`scan limit must be an integer from 1 to ${MAX_SCAN}`, { code: SCAN_LIMIT_CODE, issues: [{ path: "limit", message: `Expected 1..${MAX_SCAN}` }] });
        }
        const after = options.after === undefined ? undefined : decodeCursor(options.after, cursorScope);
        const page = (await host.recordedCall("recordedRead", { ...this.#args(entity, kind), limit, ...(after === undefined ? {} : { after }) })) as {
          rows: unknown[];
          more: boolean;
        };
        const data = page.rows.map(render);
        const last = data[data.length - 1] as { id: string } | undefined;
        const more = page.more && last !== undefined;
        return { data, nextCursor: more ? encodeCursor(cursorScope, last.id) : undefined, hasNextPage: more };
      },
    };
    return new Proxy(reads, {
      get(target, key) {
        if (typeof key !== "string") return undefined;
        if (Object.prototype.hasOwnProperty.call(target, key)) return target[key];
        if (key === "then" || key === "toJSON") return undefined;
        if (key === "kind") return kind;
        return () => {
          throw new ConfigurationError(
            `${entity === "node" ? "nodes" : "edges"}.${kind}.${key}() is not available on a recorded-time view: it supports getById, getByIds and scan.`,
            { code: "RECORDED_VIEW_UNSUPPORTED", kind, method: key },
          );
        };
      },
      set: () => false,
    });
  }

  #namespace(entity: "node" | "edge", declared: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const cache = new Map<string, Record<string, unknown>>();
    const own = (kind: string) => Object.prototype.hasOwnProperty.call(declared, kind);
    return new Proxy(Object.create(null) as Record<string, unknown>, {
      get: (_t, key) => {
        if (typeof key !== "string" || !own(key)) return undefined;
        let hit = cache.get(key);
        if (hit === undefined) cache.set(key, (hit = this.#collection(entity, key)));
        return hit;
      },
      has: (_t, key) => typeof key === "string" && own(key),
      ownKeys: () => Object.keys(declared),
      getOwnPropertyDescriptor: (_t, key) => (typeof key === "string" && own(key) ? { enumerable: true, configurable: true } : undefined),
      set: () => false,
    });
  }
}

function encodeCursor(scope: string, lastId: string): string {
  return Buffer.from(JSON.stringify([scope, lastId]), "utf8").toString("base64url");
}

function decodeCursor(cursor: unknown, scope: string): string {
  let parsed: unknown;
  try {
    parsed = typeof cursor === "string" ? JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[1] !== "string") {
    throw new ValidationError("Invalid recorded scan cursor", { issues: [{ path: "after", message: "Not a cursor returned by scan()" }] });
  }
  if (parsed[0] !== scope) {
    throw new ValidationError("This scan cursor belongs to another collection or recorded-time coordinate", {
      issues: [{ path: "after", message: "Cursor scope mismatch" }],
    });
  }
  return parsed[1];
}
