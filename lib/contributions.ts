// Contribution health: the store's `verifyContributions` / `probeContributions` /
// `repairContributions` / `rebuildContribution` and the backend's marker members. The search
// side tables a graph declares (the shared fulltext table, one vector table per embedding
// field) are crossed against their `typegraph_contribution_materializations` marker rows and
// the catalog by the engine (operation `contributions`, `ops/contributions.rs`), one call each.

import { getEmbeddingInfo, type GraphDef } from "./core.js";
import { ConfigurationError, ContributionRebuildUnsupportedError, convertError } from "./errors.js";
import { contributionTables } from "./native.js";
import type { Dialect, TxToken } from "./backend.js";

/** What a diagnosis found wrong with one contribution. */
export type ContributionDiagnosticState = "orphaned-marker" | "missing-marker" | "failed-materialization" | "stale";

/** One unhealthy contribution: its marker identity, the vector slot's coordinates, the verdict. */
export type ContributionDiagnostic = Readonly<{
  owner: string;
  logicalName: string;
  physicalName: string;
  kind?: string;
  fieldPath?: string;
  state: ContributionDiagnosticState;
  /** The error the marker recorded against its last attempt. */
  lastError?: string;
}>;

export type ContributionRepairEntry =
  | Readonly<{ diagnostic: ContributionDiagnostic; status: "repaired" }>
  | Readonly<{ diagnostic: ContributionDiagnostic; status: "requires-rebuild" }>
  | Readonly<{ diagnostic: ContributionDiagnostic; status: "failed"; error: string }>;

export type ContributionRepairResult = Readonly<{
  results: readonly ContributionRepairEntry[];
  /** A fresh diagnosis taken after the repairs. */
  remaining: readonly ContributionDiagnostic[];
}>;

export type ContributionProbeContribution = "fulltext" | "vector";
export type ContributionProbeState = "ready" | "degraded" | "building";
export type ContributionProbeEntry = Readonly<{ contribution: ContributionProbeContribution; state: ContributionProbeState; detail?: string }>;
export type ContributionProbeResult = Readonly<{ graphRevision?: string; entries: readonly ContributionProbeEntry[] }>;

export type ContributionRebuildScope = ContributionProbeContribution;
export type ContributionRepopulationStats = Readonly<{ processed: number; repopulated: number; skipped: number }>;
export type ContributionRebuildResult = Readonly<{ rebuilt: readonly string[]; processed: number; repopulated: number; skipped: number }>;
/** Options of `store.rebuildContribution()`. */
export type RebuildContributionOptions = Readonly<{
  /** Nodes read per refill page (default 500). */
  pageSize?: number;
}>;
export type ContributionRebuildRefusal = "vector-source-unavailable" | "no-drop-ddl" | "no-schema-fence" | "shared-storage-in-use";

/** How far up the health ladder a backend goes. */
export type ContributionCapabilities = Readonly<{ supported: boolean; probe: boolean; rebuild: boolean }>;

/** A marker row's identity. */
export type ContributionMaterializationIdentity = Readonly<{ graphId: string; logicalName: string; owner: string; tableName: string }>;
/** One marker row. */
export type ContributionMaterializationRow = Readonly<
  ContributionMaterializationIdentity & { signature: string; materializedAt?: string; lastAttemptedAt: string; lastError?: string }
>;
export type RecordContributionMaterializationParams = Readonly<
  ContributionMaterializationIdentity & { signature: string; attemptedAt: string; materializedAt?: string; error?: string }
>;

/** One side table as a strategy declares it. */
export type StrategyTableContribution = Readonly<{
  logicalName: string;
  owner: string;
  tableName: string;
  /** Idempotent statements creating the table and its indexes. */
  createDdl: readonly string[];
  /** Statements dropping it; present where its content can be rebuilt from the nodes. */
  dropDdl?: readonly string[];
  runtimeEnsure?: boolean;
}>;

/** One embedding field's storage in a graph. */
export type VectorSlot = Readonly<{
  graphId: string;
  nodeKind: string;
  fieldPath: string;
  dimensions: number;
  metric: "cosine" | "l2" | "inner_product";
  indexType: "hnsw" | "ivfflat" | "none";
  indexParams?: Readonly<{ m?: number; efConstruction?: number; lists?: number }>;
}>;

/** The backend's description of its fulltext storage. */
export type FulltextStrategy = Readonly<{ name: string; ownedTables: (primaryTableName: string) => readonly StrategyTableContribution[] }>;
/** The backend's description of its per-field vector storage. */
export type VectorStrategy = Readonly<{
  name: string;
  tableName: (graphId: string, nodeKind: string, fieldPath: string) => string;
  ownedTables: (slot: VectorSlot) => readonly StrategyTableContribution[];
}>;

/** Every embedding field the graph declares, as the vector slot its storage fills. */
export function resolveGraphVectorSlots(graph: GraphDef): readonly VectorSlot[] {
  const slots: VectorSlot[] = [];
  for (const [nodeKind, reg] of Object.entries(graph.nodes ?? {}) as [string, { type: { schema: unknown } }][]) {
    const shape = (reg.type.schema as { shape?: Record<string, unknown> }).shape ?? {};
    for (const [fieldPath, fieldSchema] of Object.entries(shape)) {
      const e = getEmbeddingInfo(fieldSchema);
      if (e === undefined) continue;
      const params = { ...(e.m === undefined ? {} : { m: e.m }), ...(e.efConstruction === undefined ? {} : { efConstruction: e.efConstruction }), ...(e.lists === undefined ? {} : { lists: e.lists }) };
      slots.push(
        Object.freeze({
          graphId: graph.id,
          nodeKind,
          fieldPath,
          dimensions: e.dimensions,
          metric: (e.metric ?? "cosine") as VectorSlot["metric"],
          indexType: (e.indexType ?? "hnsw") as VectorSlot["indexType"],
          ...(Object.keys(params).length > 0 ? { indexParams: Object.freeze(params) } : {}),
        }),
      );
    }
  }
  return Object.freeze(slots);
}

function describe(dialect: Dialect, request: object): unknown {
  try {
    return JSON.parse(contributionTables(dialect, JSON.stringify(request)));
  } catch (error) {
    throw convertError(error);
  }
}

function freezeAll(list: StrategyTableContribution[]): readonly StrategyTableContribution[] {
  return Object.freeze(list.map((c) => Object.freeze({ ...c, createDdl: Object.freeze([...c.createDdl]), ...(c.dropDdl ? { dropDdl: Object.freeze([...c.dropDdl]) } : {}) })));
}

/** The fulltext strategy of a dialect (FTS5 on SQLite, a tsvector table on PostgreSQL). */
export function fulltextStrategyOf(dialect: Dialect): FulltextStrategy {
  return Object.freeze({
    name: dialect === "sqlite" ? "fts5" : "tsvector",
    ownedTables: (primaryTableName: string) => freezeAll(describe(dialect, { fulltext: primaryTableName }) as StrategyTableContribution[]),
  });
}

/** The vector strategy of a dialect (sqlite-vec on SQLite, pgvector on PostgreSQL). */
export function vectorStrategyOf(dialect: Dialect): VectorStrategy {
  return Object.freeze({
    name: dialect === "sqlite" ? "sqlite-vec" : "pgvector",
    tableName: (graphId: string, nodeKind: string, fieldPath: string) => describe(dialect, { vector: { graphId, nodeKind, fieldPath } }) as string,
    ownedTables: (slot: VectorSlot) =>
      freezeAll(
        describe(dialect, {
          vector: { graphId: slot.graphId, nodeKind: slot.nodeKind, fieldPath: slot.fieldPath, dimensions: slot.dimensions, metric: slot.metric, indexType: slot.indexType },
        }) as StrategyTableContribution[],
      ),
  });
}

export const CONTRIBUTION_CAPABILITIES: ContributionCapabilities = Object.freeze({ supported: true, probe: true, rebuild: true });

/** What the marker members need of their backend. */
export interface ContributionHost {
  readonly dialect: Dialect;
  /** The engine handle of a registration of `graphId` (a bare one when none). */
  handleOf(graphId: string): number | Promise<number>;
  call(graph: number, op: string, args: unknown, tx?: TxToken): Promise<unknown>;
  begin(): Promise<TxToken>;
  end(tx: TxToken, commit: boolean): Promise<void>;
  exec(sql: string): void | Promise<void>;
}

/** The backend's contribution members (upstream's `GraphBackend` port shapes). */
export interface ContributionBackendMembers {
  readonly fulltextStrategy: FulltextStrategy;
  readonly vectorStrategy: VectorStrategy;
  getContributionMaterialization(identity: ContributionMaterializationIdentity): Promise<ContributionMaterializationRow | undefined>;
  recordContributionMaterialization(params: RecordContributionMaterializationParams): Promise<void>;
  /** Deletes the marker row of one vector slot (its table stays). */
  deleteVectorSlotContribution(slot: VectorSlot): Promise<void>;
  /** Runs one DDL statement on the backend's connection. */
  executeDdl(statement: string): Promise<void>;
  /**
   * The destructive fulltext rebuild of one graph in one transaction; `repopulate`, when
   * given, refills the table instead of the engine (its stats are returned).
   */
  rebuildContribution(
    graphId: string,
    scope: ContributionRebuildScope,
    repopulate?: (tx: TxToken) => ContributionRepopulationStats | Promise<ContributionRepopulationStats>,
  ): Promise<ContributionRebuildResult>;
}

function identityArgs(i: Readonly<{ logicalName: string; owner: string; tableName: string }>): object {
  return { logicalName: i.logicalName, owner: i.owner, tableName: i.tableName };
}

export function contributionMembers(host: ContributionHost): ContributionBackendMembers {
  const fulltextStrategy = fulltextStrategyOf(host.dialect);
  const vectorStrategy = vectorStrategyOf(host.dialect);
  const run = async (graphId: string, args: object, tx?: TxToken): Promise<unknown> => host.call(await host.handleOf(graphId), "contributions", args, tx);
  return {
    fulltextStrategy,
    vectorStrategy,
    async getContributionMaterialization(identity) {
      const row = (await run(identity.graphId, { action: "getMarker", marker: identityArgs(identity) })) as ContributionMaterializationRow | null;
      return row ?? undefined;
    },
    async recordContributionMaterialization(params) {
      await run(params.graphId, {
        action: "recordMarker",
        marker: {
          ...identityArgs(params),
          signature: params.signature,
          attemptedAt: params.attemptedAt,
          ...(params.materializedAt === undefined ? {} : { materializedAt: params.materializedAt }),
          ...(params.error === undefined ? {} : { error: params.error }),
        },
      });
    },
    async deleteVectorSlotContribution(slot) {
      for (const c of vectorStrategy.ownedTables(slot)) {
        await run(slot.graphId, { action: "deleteMarker", marker: identityArgs(c) });
      }
    },
    async executeDdl(statement) {
      await host.exec(statement);
    },
    async rebuildContribution(graphId, scope, repopulate) {
      if (scope === "vector") throw new ContributionRebuildUnsupportedError("vector-source-unavailable", { graphId, scope });
      const handle = await host.handleOf(graphId);
      const tx = await host.begin();
      try {
        const out = (await host.call(handle, "contributions", { action: "rebuild", scope, refill: repopulate === undefined }, tx)) as ContributionRebuildResult;
        const stats = repopulate === undefined ? out : await repopulate(tx);
        await host.end(tx, true);
        return { rebuilt: out.rebuilt, processed: stats.processed, repopulated: stats.repopulated, skipped: stats.skipped };
      } catch (error) {
        if (tx.open) await host.end(tx, false).catch(() => undefined);
        throw error;
      }
    },
  };
}

/** The store side: one engine call per method. */
export interface ContributionStoreHost {
  readonly graphId: string;
  handle(): Promise<number>;
  call(graph: number, op: string, args: unknown): Promise<unknown>;
  /** The graph's durable revision, when the store tracks one and a write anchored it. */
  revision?(): Promise<string | undefined>;
}

export async function verifyContributions(host: ContributionStoreHost): Promise<readonly ContributionDiagnostic[]> {
  return (await host.call(await host.handle(), "contributions", { action: "verify" })) as ContributionDiagnostic[];
}

export async function probeContributions(host: ContributionStoreHost): Promise<ContributionProbeResult> {
  const out = (await host.call(await host.handle(), "contributions", { action: "probe" })) as { entries: ContributionProbeEntry[] };
  const revision = host.revision === undefined ? undefined : await host.revision();
  return revision === undefined ? { entries: out.entries } : { graphRevision: revision, entries: out.entries };
}

export async function repairContributions(host: ContributionStoreHost): Promise<ContributionRepairResult> {
  return (await host.call(await host.handle(), "contributions", { action: "repair" })) as ContributionRepairResult;
}

export async function rebuildContribution(host: ContributionStoreHost, scope: ContributionRebuildScope, options: RebuildContributionOptions = {}): Promise<ContributionRebuildResult> {
  if (scope === "vector") throw new ContributionRebuildUnsupportedError("vector-source-unavailable", { graphId: host.graphId, scope });
  if (scope !== "fulltext") {
    throw new ConfigurationError(`rebuildContribution() takes "fulltext" or "vector", got ${JSON.stringify(scope)}`, { code: "INVALID_CONTRIBUTION_SCOPE", scope });
  }
  const { pageSize } = options;
  if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 1)) {
    throw new ConfigurationError(`rebuildContribution() pageSize must be a positive integer, got ${pageSize}`, { code: "INVALID_PAGE_SIZE", pageSize });
  }
  return (await host.call(await host.handle(), "contributions", { action: "rebuild", scope, ...(pageSize === undefined ? {} : { pageSize }) })) as ContributionRebuildResult;
}
