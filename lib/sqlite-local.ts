// `./sqlite/local` and `./adapters/drizzle/sqlite/local`: the embedded SQLite default.
import { SqliteBackend } from "./backend.js";
import type { GraphDef } from "./core.js";
import { convertError } from "./errors.js";
import { NativeSqlite } from "./native.js";
import { createStoreWithSchema, type Store } from "./store.js";
import { DEFAULT_TABLE_NAMES, engineTableNames, tableNamesOfTables } from "./table-names.js";
import type { SqliteTables } from "./drizzle-sqlite-tables.js";

export interface LocalSqliteBackendOptions {
  /** Database file, or `:memory:` (the default). File databases use WAL. */
  path?: string;
  /** Table definitions from `createSqliteTables()` (custom names); default: `tables`. */
  tables?: SqliteTables | undefined;
}

export interface LocalSqliteBackendResult {
  backend: SqliteBackend;
  /** The raw connection: `exec(sql)` and `query(sql, params)` for application SQL. */
  db: { exec(sql: string): void; query(sql: string, params?: unknown[]): unknown[][] };
}

export const DEFAULT_LOCAL_SQLITE_PRAGMAS = Object.freeze({ journalMode: "wal", synchronous: "normal", busyTimeoutMs: 5000 });

/** Opens (or creates) a database, creates the TypeGraph tables, and returns its backend. */
export function createLocalSqliteBackend(options: LocalSqliteBackendOptions = {}): LocalSqliteBackendResult {
  const names = options.tables === undefined ? DEFAULT_TABLE_NAMES : tableNamesOfTables(options.tables);
  let native: NativeSqlite;
  try {
    native = NativeSqlite.open(options.path ?? ":memory:");
    native.bootstrap(engineTableNames(names));
  } catch (error) {
    throw convertError(error);
  }
  const backend = new SqliteBackend(native, names);
  return { backend, db: { exec: (sql) => backend.exec(sql), query: (sql, params) => backend.query(sql, params) } };
}

/** A managed store that owns its connection: `store.close()` closes it. */
export async function createLocalSqliteStore<G extends GraphDef>(graph: G, options: LocalSqliteBackendOptions = {}): Promise<Store<G>> {
  const { backend } = createLocalSqliteBackend(options);
  try {
    const [store] = await createStoreWithSchema(graph, backend);
    return store;
  } catch (error) {
    await backend.close();
    throw error;
  }
}
export type { ContributionDiagnostic, ContributionDiagnosticState, ContributionRepairEntry, ContributionRepairResult } from "./contributions.js";
