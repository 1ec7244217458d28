// `./sqlite` and `./adapters/drizzle/sqlite`: a SQLite backend over an application's own
// database (a Drizzle database over better-sqlite3, a better-sqlite3 `Database`, or a file
// path), the Drizzle table definitions (`createSqliteTables`, `tables`, …) and the DDL.
import { SqliteBackend } from "./backend.js";
import { ConfigurationError, convertError } from "./errors.js";
import { generateDdl, NativeSqlite } from "./native.js";
import { declaredIndexesOf, tableNamesOfTables, DEFAULT_TABLE_NAMES, engineTableNames, type TypeGraphTableNames } from "./table-names.js";
import { generateIndexDDL, type RelationalIndexDeclaration } from "./indexes.js";
import type { SqliteTables } from "./drizzle-sqlite-tables.js";

export {
  createSqliteTables,
  tables,
  nodes,
  edges,
  recordedNodes,
  recordedEdges,
  recordedClock,
  uniques,
  edgeClaims,
  schemaVersions,
  type CreateSqliteTablesOptions,
  type SqliteTableNames,
  type SqliteTables,
} from "./drizzle-sqlite-tables.js";

/**
 * The schema as a list of statements, in creation order: every table of `tables` (default
 * names unless it comes from `createSqliteTables(names)`), then the declared indexes it was created with.
 */
export function generateSqliteDDL(tables?: SqliteTables): string[] {
  const names = tables === undefined ? DEFAULT_TABLE_NAMES : tableNamesOfTables(tables);
  const declared = declaredIndexesOf(tables)
    .filter((d): d is RelationalIndexDeclaration => (d.entity === "node" || d.entity === "edge") && d.method === undefined)
    .map((d) => generateIndexDDL(d, "sqlite", { nodesTableName: names.nodes, edgesTableName: names.edges }));
  return [...generateDdl("sqlite", engineTableNames(names)).split("\n\n"), ...declared];
}

/** The whole schema as one script. */
export function generateSqliteMigrationSQL(tables?: SqliteTables): string {
  return generateSqliteDDL(tables).join("\n\n");
}

/** The parts of a better-sqlite3 `Database` the backend reads (which file, and its state). */
export interface BetterSqlite3DatabaseLike {
  readonly name: string;
  readonly memory: boolean;
  readonly open: boolean;
  readonly readonly: boolean;
}

/** A Drizzle SQLite database (`drizzle(new Database(file))`): its `$client` is the driver's connection. */
export type AnySqliteDatabase = { readonly $client?: unknown } & object;

/** How the application's driver runs transactions (upstream's hint; see {@link SqliteBackendOptions}). */
export type SqliteTransactionMode = "sql" | "drizzle" | "none" | "do-sqlite";

export type SqliteBackendOptions = Readonly<{
  /** Table definitions from `createSqliteTables()` (custom names); default: `tables`. */
  tables?: SqliteTables | undefined;
  /**
   * Driver hints kept for source compatibility. The engine runs every statement on a
   * connection of its own, synchronously, and `store.transaction()` is always an atomic
   * `BEGIN IMMEDIATE` transaction there, whatever `transactionMode` says.
   */
  executionProfile?: Readonly<{ isSync?: boolean | undefined; transactionMode?: SqliteTransactionMode | undefined }> | undefined;
  /** Accepted for source compatibility; the engine's connection is its own, so there is nothing to declare. */
  serializedResource?: unknown;
}>;

const TRANSACTION_MODES = new Set(["sql", "drizzle", "none", "do-sqlite"]);

function isBetterSqlite(value: unknown): value is BetterSqlite3DatabaseLike & { prepare: unknown } {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return typeof v.prepare === "function" && typeof v.name === "string" && typeof v.memory === "boolean" && typeof v.open === "boolean";
}

function refuse(message: string, code: string, suggestion?: string): never {
  throw new ConfigurationError(message, { code, backend: "sqlite" }, suggestion === undefined ? {} : { suggestion });
}

/** The database file the engine opens for `input` (`:memory:` for a private in-memory one). */
function resolvePath(input: unknown): string {
  if (typeof input === "string") {
    if (input.length === 0) refuse("createSqliteBackend needs a database file path (or \":memory:\").", "INVALID_SQLITE_INPUT");
    return input;
  }
  if (input === null || typeof input !== "object") {
    refuse("createSqliteBackend expects a Drizzle database over better-sqlite3, a better-sqlite3 Database, or a file path.", "INVALID_SQLITE_INPUT");
  }
  const v = input as Record<string, unknown>;
  // A Drizzle transaction has a session and a rollback, but no `$client`.
  if (!("$client" in v) && typeof v.rollback === "function" && typeof v.nestedIndex === "number") {
    refuse(
      "createSqliteBackend cannot join a Drizzle transaction: the engine runs on a connection of its own, so TypeGraph writes would commit apart from the transaction's writes.",
      "DRIZZLE_TRANSACTION_UNSUPPORTED",
      "Create the backend from the database (not the transaction) and group TypeGraph writes with store.transaction(); keep application writes in their own transaction.",
    );
  }
  const client = "$client" in v ? v.$client : input;
  if (!isBetterSqlite(client)) {
    const remote = client !== null && typeof client === "object" && typeof (client as Record<string, unknown>).execute === "function";
    refuse(
      remote
        ? "createSqliteBackend serves SQLite files through better-sqlite3; a libSQL client (remote or embedded replica) is not supported."
        : "createSqliteBackend serves SQLite files through better-sqlite3; this driver (Cloudflare D1, Durable Objects, bun:sqlite, sql.js, …) is not supported.",
      "UNSUPPORTED_SQLITE_DRIVER",
      "Pass drizzle(new Database(file)), a better-sqlite3 Database, or the file path.",
    );
  }
  if (!client.open) refuse("The better-sqlite3 database is closed.", "SQLITE_DATABASE_CLOSED");
  if (client.readonly) {
    refuse(
      "The better-sqlite3 database is read-only; TypeGraph opens a read-write connection of its own to the same file and would write where the application cannot.",
      "SQLITE_DATABASE_READONLY",
    );
  }
  if (client.memory) return memoryDatabaseOf(client);
  return client.name;
}

// One private in-memory engine database per in-memory client: backends made from the same
// client share it (named, shared-cache), as they would share the client's own database.
const memoryNames = new WeakMap<object, string>();
let memoryCounter = 0;
function memoryDatabaseOf(client: object): string {
  let name = memoryNames.get(client);
  if (name === undefined) {
    memoryCounter += 1;
    name = `file:typegraph-memory-${process.pid}-${memoryCounter}?mode=memory&cache=shared`;
    memoryNames.set(client, name);
  }
  return name;
}

/**
 * A SQLite backend over an application's database: a Drizzle database over better-sqlite3
 * (`drizzle(new Database("app.db"))`), a better-sqlite3 `Database`, or a file path.
 *
 * The engine opens a connection of its own to the same file (WAL journal, synchronous NORMAL,
 * 5 s busy timeout — as `createLocalSqliteBackend`), creates the TypeGraph tables it lacks under
 * the `tables` names, and commits through it: the application's connection sees TypeGraph's
 * committed rows and TypeGraph sees the application's. An in-memory database (`:memory:`) cannot
 * be shared between connections: the backend gets a private in-memory database the
 * application's connection does not see (backends made from the same client share it while
 * one of them is open). A Drizzle transaction object is refused (the engine
 * cannot join it); a write transaction the application holds open on its own connection makes
 * TypeGraph writes wait up to the busy timeout and then fail.
 */
export function createSqliteBackend(db: AnySqliteDatabase | BetterSqlite3DatabaseLike | string, options: SqliteBackendOptions = {}): SqliteBackend {
  if (options === null || typeof options !== "object") refuse("createSqliteBackend options must be an object.", "INVALID_SQLITE_OPTIONS");
  for (const key of ["fulltext", "vector", "capabilities"]) {
    if ((options as Record<string, unknown>)[key] !== undefined) {
      refuse(
        `createSqliteBackend option "${key}" is not supported: the engine brings its own FTS5 fulltext, sqlite-vec vector search and capabilities.`,
        "UNSUPPORTED_SQLITE_OPTION",
      );
    }
  }
  const mode = options.executionProfile?.transactionMode;
  if (mode !== undefined && !TRANSACTION_MODES.has(mode)) {
    refuse(`Unknown transactionMode "${String(mode)}"; expected "sql", "drizzle", "none" or "do-sqlite".`, "INVALID_SQLITE_OPTIONS");
  }
  const names: TypeGraphTableNames = options.tables === undefined ? DEFAULT_TABLE_NAMES : tableNamesOfTables(options.tables);
  const path = resolvePath(db);
  let native: NativeSqlite;
  try {
    native = NativeSqlite.open(path);
    native.bootstrap(engineTableNames(names));
  } catch (error) {
    throw convertError(error);
  }
  return new SqliteBackend(native, names);
}
export type { ContributionDiagnostic, ContributionDiagnosticState, ContributionRepairEntry, ContributionRepairResult } from "./contributions.js";
