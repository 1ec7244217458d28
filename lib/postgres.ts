// `./postgres` and `./adapters/drizzle/postgres`: PostgreSQL backends and DDL.
import { PostgresBackend } from "./backend.js";
import { ConfigurationError } from "./errors.js";
import { generateDdl } from "./native.js";
import { declaredIndexesOf, DEFAULT_TABLE_NAMES, engineTableNames, tableNamesOfTables } from "./table-names.js";
import { generateIndexDDL, type RelationalIndexDeclaration } from "./indexes.js";
import type { PostgresTables } from "./drizzle-postgres-tables.js";

export {
  createPostgresTables,
  tables,
  nodes,
  edges,
  recordedNodes,
  recordedEdges,
  recordedClock,
  uniques,
  edgeClaims,
  schemaVersions,
  fulltext,
  type CreatePostgresTablesOptions,
  type PostgresTableNames,
  type PostgresTables,
} from "./drizzle-postgres-tables.js";

interface PoolLike {
  options?: { connectionString?: string; host?: string; port?: number; user?: string; password?: string | (() => string | Promise<string>); database?: string; max?: number; idleTimeoutMillis?: number | null };
}

function urlFromPool(pool: PoolLike): string {
  const o = pool.options ?? {};
  if (o.connectionString) return o.connectionString;
  if (typeof o.password === "function") {
    throw new ConfigurationError("A pg Pool with a password callback can't be shared with the native engine; pass a connection string.", {
      code: "UNSUPPORTED_POOL_CONFIG",
    });
  }
  const user = encodeURIComponent(o.user ?? process.env.PGUSER ?? "postgres");
  const pass = o.password ? `:${encodeURIComponent(o.password)}` : "";
  const host = o.host ?? process.env.PGHOST ?? "localhost";
  const port = o.port ?? (process.env.PGPORT ? Number(process.env.PGPORT) : 5432);
  const db = encodeURIComponent(o.database ?? process.env.PGDATABASE ?? o.user ?? "postgres");
  return `postgres://${user}${pass}@${host}:${port}/${db}`;
}

/** A Drizzle transaction object (refused: see `createPostgresBackend`). */
export type AnyPgTransaction = { rollback(): unknown };

export interface PostgresBackendOptions {
  /** Table definitions from `createPostgresTables()` (custom names); default: `tables`. */
  tables?: PostgresTables | undefined;
  /** Pool size of the engine's own connections (default: the pg Pool's `max`, else 10). */
  maxConnections?: number;
  /**
   * Milliseconds a connection may sit unused before the engine closes it (default: the pg Pool's
   * `idleTimeoutMillis`, else 10,000), so a backend that is never closed does not hold server
   * connections for ever.
   */
  idleTimeoutMs?: number;
  /**
   * Milliseconds a call may hold the JavaScript thread waiting for its answer (default 0: no call
   * waits for the server on the JavaScript thread; a point call sends its statement from there and
   * finishes on the engine's worker threads, a bulk call runs there whole). Above 0, a call answered within it (a point
   * read or write on a server on the same machine) settles without a hop through the worker
   * threads; one that is not (a remote server, a lock wait, a bulk write) moves to them after
   * the budget and the event loop goes on. Keep it small (≈0.25) and leave it 0 for a remote
   * server, where it would only hold the event loop.
   */
  inlineBudgetMs?: number;
}

/** A pg Pool's idle timeout, when it is one we can apply (pg's 0 / null mean "never": our default then). */
function poolIdle(v: number | null | undefined): number | undefined {
  return typeof v === "number" && Number.isInteger(v) && v > 0 && v <= 2 ** 31 - 1 ? v : undefined;
}

/**
 * A PostgreSQL backend from a connection string, a `pg` Pool, or a Drizzle
 * database over one. The engine opens its own connections with the same settings.
 */
export function createPostgresBackend(input: string | PoolLike | { $client: PoolLike } | AnyPgTransaction, options: PostgresBackendOptions = {}): PostgresBackend {
  let url: string;
  let max = options.maxConnections;
  let idle = options.idleTimeoutMs;
  if (typeof input === "string") {
    url = input;
  } else if (input && typeof input === "object" && "$client" in input) {
    url = urlFromPool(input.$client);
    max ??= input.$client.options?.max;
    idle ??= poolIdle(input.$client.options?.idleTimeoutMillis);
  } else if (input && typeof input === "object" && typeof (input as { rollback?: unknown }).rollback === "function" && typeof (input as { nestedIndex?: unknown }).nestedIndex === "number") {
    // A Drizzle transaction: the engine's own connections cannot take part in it.
    throw new ConfigurationError(
      "createPostgresBackend cannot join a Drizzle transaction: the engine runs on connections of its own, so TypeGraph writes would commit apart from the transaction's writes.",
      { code: "DRIZZLE_TRANSACTION_UNSUPPORTED", backend: "postgres" },
      { suggestion: "Create the backend from the database (not the transaction) and group TypeGraph writes with store.transaction()." },
    );
  } else if (input && typeof input === "object" && "options" in input) {
    url = urlFromPool(input);
    max ??= input.options?.max;
    idle ??= poolIdle(input.options?.idleTimeoutMillis);
  } else {
    throw new ConfigurationError("createPostgresBackend expects a connection string, a pg Pool or a Drizzle database.", {
      code: "INVALID_POSTGRES_INPUT",
    });
  }
  if (idle !== undefined && !(Number.isInteger(idle) && idle > 0 && idle <= 2 ** 31 - 1)) {
    throw new ConfigurationError("idleTimeoutMs must be a positive whole number of milliseconds.", { code: "INVALID_IDLE_TIMEOUT" });
  }
  const budget = options.inlineBudgetMs;
  if (budget !== undefined && !(typeof budget === "number" && Number.isFinite(budget) && budget >= 0 && budget <= 1000)) {
    throw new ConfigurationError("inlineBudgetMs must be a number of milliseconds from 0 to 1000.", { code: "INVALID_INLINE_BUDGET" });
  }
  const names = options.tables === undefined ? DEFAULT_TABLE_NAMES : tableNamesOfTables(options.tables);
  return new PostgresBackend(url, max, idle, budget, names);
}

/**
 * The schema as a list of statements, in creation order (without the pgvector extension): every
 * table of `tables` (default names unless it comes from `createPostgresTables(names)`), then the
 * declared btree indexes it was created with.
 */
export function generatePostgresDDL(tables?: PostgresTables): string[] {
  const names = tables === undefined ? DEFAULT_TABLE_NAMES : tableNamesOfTables(tables);
  const declared = declaredIndexesOf(tables)
    .filter((d): d is RelationalIndexDeclaration => (d.entity === "node" || d.entity === "edge") && d.method === undefined)
    .map((d) => generateIndexDDL(d, "postgres", { nodesTableName: names.nodes, edgesTableName: names.edges }));
  return [...generateDdl("postgres", engineTableNames(names)).split("\n\n").slice(1), ...declared];
}

/** The whole schema as one script, enabling pgvector first. */
export function generatePostgresMigrationSQL(tables?: PostgresTables): string {
  const extension = generateDdl("postgres").split("\n\n")[0];
  return [extension, ...generatePostgresDDL(tables)].join("\n\n");
}
export type { ContributionDiagnostic, ContributionDiagnosticState, ContributionRepairEntry, ContributionRepairResult } from "./contributions.js";
