// The store's schema-evolution verbs: evolve, (un)deprecateKinds, removeKinds,
// materializeRemovals, introspect. Every verb first catches up to the active
// schema row (another process may have evolved the graph), then commits a new
// version by compare-and-swap on the active one; the engine re-checks the CAS,
// runs emptiness probes and queues removals inside the commit's transaction,
// under the same lock the write fence of managed stores takes.

import type { GraphBackend } from "./backend.js";
import { getEmbeddingInfo, type GraphDef } from "./core.js";
import { ConfigurationError, IncompatibleChangeError, KindNotFoundError, TypeGraphError, type IncompatibleChange } from "./errors.js";
import { mergeGraphExtension, stripGraphExtension, withStoredExtension, type ExtendedGraphDef } from "./extension/compile.js";
import type { GraphExtension } from "./extension/types.js";
import { classifyExtensionChanges, introspectGraph, planKindRemoval, type SchemaIntrospection } from "./evolve.js";
import { computeSchemaHash, engineGraph, serializeSchema, type SerializedSchema } from "./schema.js";
import type { Store } from "./store.js";

/** A handle the consumer owns, re-pointed atomically with each schema commit. */
export type StoreRef<T> = { current: T };

export interface SchemaMeta {
  readonly version?: number;
  readonly hash?: string;
}

export interface MaterializeIndexesOptionsLike {
  kinds?: readonly string[];
  stopOnError?: boolean;
}
export interface EvolveOptions<G extends GraphDef> {
  ref?: StoreRef<Store<G>>;
  /** Run `materializeIndexes(eager)` on the new store after the commit. */
  eager?: MaterializeIndexesOptionsLike;
}
export interface RemoveKindsOptions<G extends GraphDef> {
  ref?: StoreRef<Store<G>>;
  /** Run `materializeRemovals(eager)` on the new store after the commit. */
  eager?: MaterializeRemovalsOptions;
}
export interface MaterializeRemovalsOptions {
  kinds?: readonly string[];
  stopOnError?: boolean;
}
export type MaterializeRemovalsEntry =
  | { readonly kind: string; readonly entity: "node" | "edge"; readonly status: "removed" }
  | { readonly kind: string; readonly entity: "node" | "edge"; readonly status: "failed"; readonly error: Error }
  | { readonly kind: string; readonly entity: "node" | "edge"; readonly status: "skipped"; readonly reason: "kind-is-live" };
export interface MaterializeRemovalsResult {
  readonly results: readonly MaterializeRemovalsEntry[];
  readonly reclaimedVectorFields: readonly { kind: string; fieldPath: string; status: "reclaimed" | "failed"; error?: Error }[];
}

/** Thrown after a committed evolve whose eager index builds failed; `ref.current` already points at the new store. */
export class EagerMaterializationError extends TypeGraphError {
  readonly result: unknown;
  /** The whole `materializeIndexes()` result, successes and failures. */
  readonly materialization: unknown;
  readonly failedIndexNames: readonly string[];
  constructor(result: { results: readonly { indexName?: string; name?: string; status: string }[] }, graphId: string) {
    const failed = result.results.filter((r) => r.status === "failed").map((r) => String(r.indexName ?? r.name ?? ""));
    super(
      `Schema committed for graph "${graphId}", but ${failed.length} index(es) failed to materialize: ${failed.join(", ")}`,
      "EAGER_MATERIALIZATION_FAILED",
      {
        category: "system",
        details: { graphId, failedIndexNames: failed },
        suggestion: "The schema commit stands; run materializeIndexes() on the new store (ref.current) to retry.",
      },
    );
    this.name = "EagerMaterializationError";
    this.result = result;
    this.materialization = result;
    this.failedIndexNames = Object.freeze(failed);
  }
}

/** @internal What a store lends the verbs. */
export interface EvolveHost<G extends GraphDef> {
  readonly graph: G;
  readonly backend: GraphBackend;
  readonly handle: Promise<number> | number;
  readonly meta: SchemaMeta;
  readonly self: Store<G>;
  create(graph: G, handle: number, meta: SchemaMeta): Store<G>;
}

type Active = { version: number; hash: string; doc: SerializedSchema };

const VERBS = {
  evolve: ["evolve", "EVOLVE_BEFORE_INITIALIZE"],
  deprecate: ["deprecate kinds on", "DEPRECATE_BEFORE_INITIALIZE"],
  undeprecate: ["undeprecate kinds on", "DEPRECATE_BEFORE_INITIALIZE"],
  remove: ["remove kinds on", "REMOVE_BEFORE_INITIALIZE"],
} as const;

async function call<G extends GraphDef>(host: EvolveHost<G>, op: string, args: unknown): Promise<unknown> {
  return host.backend.call(await host.handle, op, args);
}

/** Registers a graph whose writes the engine fences on `version`. */
export async function registerManaged(backend: GraphBackend, graph: GraphDef, version: number | undefined): Promise<number> {
  const spec = JSON.parse(engineGraph(graph)) as Record<string, unknown>;
  if (version !== undefined) spec.schemaVersion = version;
  return backend.register(JSON.stringify(spec));
}

/** The graph as the active schema row describes it (compile-time kinds + persisted extension and deprecations). */
async function loadCaughtUp<G extends GraphDef>(host: EvolveHost<G>, verb: keyof typeof VERBS): Promise<{ active: Active; baseline: G }> {
  const active = (await call(host, "getActiveSchema", {})) as Active | null;
  if (active === null) {
    const [phrase, code] = VERBS[verb];
    throw new ConfigurationError(`Cannot ${phrase} graph "${host.graph.id}": no schema has been initialized. Call createStoreWithSchema first.`, { code });
  }
  return { active, baseline: withStoredExtension(host.graph, active.doc) as G };
}

function isCurrent<G extends GraphDef>(host: EvolveHost<G>, active: Active): boolean {
  return host.meta.version === active.version && host.meta.hash === active.hash;
}

async function storeFor<G extends GraphDef>(host: EvolveHost<G>, graph: G, meta: SchemaMeta, ref: StoreRef<Store<G>> | undefined, provision: boolean): Promise<Store<G>> {
  const handle = await registerManaged(host.backend, graph, meta.version);
  // New embedding fields need their vector tables before the first write.
  if (provision) await host.backend.call(handle, "provisionSearch", {});
  const store = host.create(graph, handle, meta);
  if (ref) ref.current = store;
  return store;
}

/** A caught-up store for an unchanged schema: this one when it is current, else one at the active version. */
async function caughtUp<G extends GraphDef>(host: EvolveHost<G>, active: Active, baseline: G, ref: StoreRef<Store<G>> | undefined): Promise<Store<G>> {
  if (isCurrent(host, active)) {
    if (ref) ref.current = host.self;
    return host.self;
  }
  // Vector tables are ensured on first write; the writer that added them recorded their markers.
  return storeFor(host, baseline, { version: active.version, hash: active.hash }, ref, false);
}

/** Whether any of these node kinds declares an embedding field (its vector table is provisioned with the commit). */
function addsEmbeddings(graph: GraphDef, kinds: readonly string[]): boolean {
  return kinds.some((k) => {
    const shape = (graph.nodes[k]?.type.schema as { shape?: Record<string, unknown> } | undefined)?.shape ?? {};
    return Object.values(shape).some((f) => getEmbeddingInfo(f) !== undefined);
  });
}

interface CommitExtra {
  requireEmpty?: { entity: "node" | "edge"; kind: string }[];
  removals?: { entity: "node" | "edge"; kind: string }[];
}
type CommitResult = { version: number; hash: string } | { populated: { entity: "node" | "edge"; kind: string; count: number }[] };

async function commitGraph<G extends GraphDef>(host: EvolveHost<G>, graph: GraphDef, active: Active, extra: CommitExtra = {}): Promise<CommitResult> {
  const version = active.version + 1;
  const doc = serializeSchema(graph, version);
  const hash = computeSchemaHash(doc);
  const res = (await call(host, "commitSchema", {
    graphId: graph.id,
    expected: active.version,
    version,
    hash,
    doc: JSON.stringify(doc),
    ...(extra.requireEmpty?.length ? { requireEmpty: extra.requireEmpty } : {}),
    ...(extra.removals?.length ? { removals: extra.removals } : {}),
  })) as { status?: string; kinds?: { entity: "node" | "edge"; kind: string; count: number }[]; version?: number };
  if (res.status === "populated") return { populated: res.kinds ?? [] };
  return { version, hash };
}

async function runEager<G extends GraphDef>(store: Store<G>, eager: MaterializeIndexesOptionsLike): Promise<void> {
  const materialize = (store as unknown as { materializeIndexes?: (o: MaterializeIndexesOptionsLike) => Promise<{ results: { status: string }[] }> })
    .materializeIndexes;
  if (typeof materialize !== "function") {
    throw new ConfigurationError("evolve({ eager }) needs store.materializeIndexes(), which this build does not provide; the schema commit stands.", {
      code: "MATERIALIZE_BACKEND_UNSUPPORTED",
      graphId: store.graphId,
    });
  }
  const result = await materialize.call(store, eager);
  if (result.results.some((r) => r.status === "failed")) throw new EagerMaterializationError(result, store.graphId);
}

export async function evolve<G extends GraphDef>(host: EvolveHost<G>, extension: GraphExtension, options: EvolveOptions<G>): Promise<Store<G>> {
  // Evolve's preflight reads the kind-removal queue: a database created before that table
  // existed gets it here (every bootstrap statement is idempotent).
  await host.backend.bootstrap();
  const { active, baseline } = await loadCaughtUp(host, "evolve");
  const merged = mergeGraphExtension(baseline, extension) as unknown as G;
  if (merged === baseline) {
    const store = await caughtUp(host, active, baseline, options.ref);
    if (options.eager !== undefined) await runEager(store, options.eager);
    return store;
  }
  const added = [
    ...Object.keys(merged.nodes).filter((k) => !Object.prototype.hasOwnProperty.call(baseline.nodes, k)).map((kind) => ({ entity: "node" as const, kind })),
    ...Object.keys(merged.edges).filter((k) => !Object.prototype.hasOwnProperty.call(baseline.edges, k)).map((kind) => ({ entity: "edge" as const, kind })),
  ];
  if (added.length > 0) {
    // Re-adding a kind whose earlier rows still await cleanup would resurrect them.
    const pending = (await call(host, "getPendingKindRemovals", {})) as { kind: string; entity: string }[];
    const blocked = pending.filter((p) => added.some((a) => a.kind === p.kind && a.entity === p.entity));
    if (blocked.length > 0) {
      throw new ConfigurationError(
        `Cannot re-add ${blocked.map((b) => `${b.entity} "${b.kind}"`).join(", ")} for graph "${host.graph.id}": the previous removal's data cleanup has not run, so the old rows would become visible again. Run store.materializeRemovals() first, then evolve.`,
        { code: "KIND_READD_BLOCKED_BY_PENDING_REMOVAL", graphId: host.graph.id, kinds: blocked.map((b) => b.kind) },
      );
    }
  }
  const classification = classifyExtensionChanges((baseline as ExtendedGraphDef).extension, extension);
  if (classification.incompatible.length > 0) throw new IncompatibleChangeError(classification.incompatible, host.graph.id);
  const committed = await commitGraph(host, merged, active, {
    requireEmpty: classification.requireEmpty.map((r) => ({ entity: r.entity, kind: r.kind })),
  });
  if ("populated" in committed) {
    const promoted: IncompatibleChange[] = [];
    for (const p of committed.populated) {
      promoted.push(...(classification.requireEmpty.find((r) => r.entity === p.entity && r.kind === p.kind)?.changes ?? []));
    }
    throw new IncompatibleChangeError(promoted, host.graph.id);
  }
  const addedNodes = added.filter((a) => a.entity === "node").map((a) => a.kind);
  const redeclared = Object.keys(extension.nodes ?? {}).filter((k) => !addedNodes.includes(k));
  const store = await storeFor(host, merged, committed, options.ref, addsEmbeddings(merged, [...addedNodes, ...redeclared]));
  if (options.eager !== undefined) await runEager(store, options.eager);
  return store;
}

export async function updateDeprecated<G extends GraphDef>(
  host: EvolveHost<G>,
  mode: "add" | "remove",
  names: readonly string[],
  options: { ref?: StoreRef<Store<G>> },
): Promise<Store<G>> {
  const { active, baseline } = await loadCaughtUp(host, mode === "add" ? "deprecate" : "undeprecate");
  const current = (baseline as ExtendedGraphDef).deprecatedKinds ?? new Set<string>();
  if (mode === "add") {
    const unknown = names.filter((n) => !Object.prototype.hasOwnProperty.call(baseline.nodes, n) && !Object.prototype.hasOwnProperty.call(baseline.edges, n));
    if (unknown.length > 0) {
      // As upstream: the first unknown name, as a kind lookup that found nothing.
      throw new KindNotFoundError(unknown[0]!, "node", {
        graphId: host.graph.id,
        suggestion: `deprecateKinds names kinds of the active schema; not registered: ${unknown.map((n) => `"${n}"`).join(", ")}.`,
      });
    }
  }
  const next = new Set(current);
  for (const n of names) {
    if (mode === "add") next.add(n);
    else next.delete(n);
  }
  if (next.size === current.size && [...next].every((n) => current.has(n))) return caughtUp(host, active, baseline, options.ref);
  const { deprecatedKinds: _drop, ...rest } = baseline as ExtendedGraphDef;
  const graph = Object.freeze(next.size === 0 ? rest : { ...rest, deprecatedKinds: next }) as unknown as G;
  const committed = await commitGraph(host, graph, active);
  if ("populated" in committed) throw new Error("unreachable: no emptiness probes requested");
  return storeFor(host, graph, committed, options.ref, false);
}

export async function removeKinds<G extends GraphDef>(host: EvolveHost<G>, names: readonly string[], options: RemoveKindsOptions<G>): Promise<Store<G>> {
  const { active, baseline } = await loadCaughtUp(host, "remove");
  const plan = planKindRemoval(baseline, names);
  let store: Store<G>;
  if (plan.nodes.length === 0 && plan.edges.length === 0) {
    store = await caughtUp(host, active, baseline, options.ref);
  } else {
    const gone = new Set([...plan.nodes, ...plan.edges]);
    const deprecated = [...((baseline as ExtendedGraphDef).deprecatedKinds ?? [])].filter((k) => !gone.has(k));
    const ext = plan.extension;
    const hasKinds = ext !== undefined && Object.keys(ext).some((k) => k !== "version");
    const graph = withStoredExtension(stripGraphExtension(host.graph), {
      ...(hasKinds ? { extension: ext } : {}),
      deprecatedKinds: deprecated,
    }) as unknown as G;
    const committed = await commitGraph(host, graph, active, {
      removals: [...plan.nodes.map((kind) => ({ entity: "node" as const, kind })), ...plan.edges.map((kind) => ({ entity: "edge" as const, kind }))],
    });
    if ("populated" in committed) throw new Error("unreachable: no emptiness probes requested");
    store = await storeFor(host, graph, committed, options.ref, false);
  }
  if (options.eager !== undefined) await store.materializeRemovals(options.eager);
  return store;
}

/**
 * Vector tables of embedding fields dropped from kinds that still exist. The active schema is the
 * authority (its node kinds and `vector` index declarations); the engine re-checks the version under
 * the schema lock before each drop.
 */
async function reclaimVectorFields<G extends GraphDef>(host: EvolveHost<G>): Promise<MaterializeRemovalsResult["reclaimedVectorFields"]> {
  const active = (await call(host, "getActiveSchema", {})) as Active | null;
  if (active === null) return [];
  const liveKinds = Object.keys(active.doc.nodes ?? {});
  const liveVectors = (active.doc.indexes ?? [])
    .map((d) => d as { entity?: string; kind?: string; fieldPath?: string })
    .filter((d) => d.entity === "vector" && typeof d.kind === "string" && typeof d.fieldPath === "string")
    .map((d) => [d.kind, d.fieldPath]);
  const raw = (await call(host, "reclaimVectorFields", { version: active.version, liveKinds, liveVectors })) as {
    kind: string;
    fieldPath: string;
    status: "reclaimed" | "failed";
    error?: { message: string };
  }[];
  return raw.map((r) =>
    Object.freeze(r.status === "failed" ? { kind: r.kind, fieldPath: r.fieldPath, status: r.status, error: new Error(r.error?.message ?? "reclaim failed") } : { kind: r.kind, fieldPath: r.fieldPath, status: r.status }),
  );
}

export async function materializeRemovals<G extends GraphDef>(host: EvolveHost<G>, options: MaterializeRemovalsOptions): Promise<MaterializeRemovalsResult> {
  const reclaimedVectorFields = await reclaimVectorFields(host);
  const raw = (await call(host, "materializeRemovals", {
    ...(options.kinds ? { kinds: [...options.kinds] } : {}),
    stopOnError: options.stopOnError === true,
  })) as { kind: string; entity: "node" | "edge"; status: string; reason?: string; error?: { message: string; code: string } }[];
  const results = raw.map((r): MaterializeRemovalsEntry => {
    if (r.status === "failed") {
      const error = new Error(r.error?.message ?? "removal failed");
      return Object.freeze({ kind: r.kind, entity: r.entity, status: "failed", error });
    }
    if (r.status === "skipped") return Object.freeze({ kind: r.kind, entity: r.entity, status: "skipped", reason: "kind-is-live" });
    return Object.freeze({ kind: r.kind, entity: r.entity, status: "removed" });
  });
  return Object.freeze({ results: Object.freeze(results), reclaimedVectorFields: Object.freeze(reclaimedVectorFields) });
}

export function introspect<G extends GraphDef>(host: EvolveHost<G>): SchemaIntrospection {
  return introspectGraph(host.graph, host.meta);
}

/**
 * On SQLite (synchronous), the graph with the active schema row's extension and deprecations
 * folded in, so a raw `createStore` on an evolved database sees its runtime kinds. Other
 * backends answer asynchronously: the compile-time graph (use createStoreWithSchema there).
 */
export function persistedGraphSync<G extends GraphDef>(graph: G, backend: GraphBackend): G {
  const sync = (backend as { callSync?: (h: number, op: string, args: unknown) => unknown }).callSync;
  if (typeof sync !== "function") return graph;
  const handle = backend.register(engineGraph(graph));
  if (typeof handle !== "number") return graph;
  let active: Active | null;
  try {
    active = sync.call(backend, handle, "getActiveSchema", {}) as Active | null;
  } catch (error) {
    // A root call inside an open transaction is refused; keep the declared graph.
    if (error instanceof ConfigurationError) return graph;
    throw error;
  }
  if (!active || (active.doc.extension === undefined && (active.doc.deprecatedKinds ?? []).length === 0)) return graph;
  return withStoredExtension(graph, active.doc) as G;
}
