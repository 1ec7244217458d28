// `./postgres` and `./adapters/drizzle/postgres`: PostgreSQL backends and DDL.
import { PostgresBackend } from "./backend.js";
import { ConfigurationError } from "./errors.js";
import { generateDdl } from "./native.js";

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

export interface PostgresBackendOptions {
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
export function createPostgresBackend(input: string | PoolLike | { $client: PoolLike }, options: PostgresBackendOptions = {}): PostgresBackend {
  let url: string;
  let max = options.maxConnections;
  let idle = options.idleTimeoutMs;
  if (typeof input === "string") {
    url = input;
  } else if (input && typeof input === "object" && "$client" in input) {
    url = urlFromPool(input.$client);
    max ??= input.$client.options?.max;
    idle ??= poolIdle(input.$client.options?.idleTimeoutMillis);
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
  return new PostgresBackend(url, max, idle, budget);
}

/** The schema as a list of statements, in creation order (without the pgvector extension). */
export function generatePostgresDDL(): string[] {
  return generateDdl("postgres").split("\n\n").slice(1);
}

/** The whole schema as one script, enabling pgvector first. */
export function generatePostgresMigrationSQL(): string {
  return generateDdl("postgres");
}
