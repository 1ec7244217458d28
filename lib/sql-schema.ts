// Store-level table-name descriptors (`createSqlSchema`) and the external recorded-read binding
// (`recordedRelation`).
//
// A `SqlSchema` names the physical TypeGraph tables a store reads and writes. In this package the
// backend owns its table names (the `tables` option of the backend factories), so a store given
// `{ schema }` checks that the schema names the same graph tables as its backend. A recorded-read
// binding names the recorded relations `store.asOfRecorded(T)` reconstructs from; those may differ
// from the backend's (an externally populated relation under its own names).
import { ConfigurationError } from "./errors.js";
import { DEFAULT_TABLE_NAMES, resolveTableNames, type TypeGraphTableNames } from "./table-names.js";

/** Table names by logical key, as `createSqlSchema` takes them (omitted keys keep the defaults). */
export type SqlTableNames = Readonly<Partial<Record<keyof TypeGraphTableNames, string | undefined>>>;

/** A resolved set of TypeGraph table names; instances come from {@link createSqlSchema} only. */
export abstract class SqlSchema {
  /** Every table's physical name by logical key. */
  abstract readonly tables: TypeGraphTableNames;
}

class ResolvedSqlSchema extends SqlSchema {
  readonly tables: TypeGraphTableNames;
  constructor(tables: TypeGraphTableNames) {
    super();
    this.tables = tables;
    Object.freeze(this);
  }
}

const SCHEMAS = new WeakSet<object>();

/** A table-name descriptor: the defaults patched with `names` (unknown keys and clashes refused). */
export function createSqlSchema(names: SqlTableNames = {}): SqlSchema {
  const schema = new ResolvedSqlSchema(resolveTableNames(names as Partial<Record<string, string | undefined>>));
  SCHEMAS.add(schema);
  return schema;
}

/** The default table names (`typegraph_nodes`, `typegraph_edges`, …). */
export const DEFAULT_SQL_SCHEMA: SqlSchema = createSqlSchema(DEFAULT_TABLE_NAMES);

/** Whether `value` was made by {@link createSqlSchema}. */
export function isSqlSchema(value: unknown): value is SqlSchema {
  return typeof value === "object" && value !== null && SCHEMAS.has(value);
}

function requireSchema(value: unknown, where: string): SqlSchema {
  if (isSqlSchema(value)) return value;
  throw new ConfigurationError(`${where} must be a schema made by createSqlSchema(...).`, { code: "INVALID_SQL_SCHEMA" });
}

/** An externally populated recorded relation bound for `store.asOfRecorded(T)` reads. */
export interface ExternalRecordedReadSource {
  readonly source: "external";
  readonly schema: SqlSchema;
}

const SOURCES = new WeakSet<object>();

/** What `recordedRelation` takes. */
export type RecordedRelationOptions = Readonly<{ schema: SqlSchema }>;

/** Binds the recorded relations named by `schema` as a store's recorded-read source (`recordedRead`). */
export function recordedRelation(options: RecordedRelationOptions): ExternalRecordedReadSource {
  if (options === null || typeof options !== "object") {
    throw new ConfigurationError("recordedRelation takes { schema } with a schema made by createSqlSchema(...).", { code: "INVALID_SQL_SCHEMA" });
  }
  const schema = requireSchema(options.schema, "recordedRelation's schema");
  const source: ExternalRecordedReadSource = Object.freeze({ source: "external" as const, schema });
  SOURCES.add(source);
  return source;
}

/** @internal The `recordedRead` store option checked (undefined when not given). */
export function checkRecordedReadOption(value: unknown, history: boolean): ExternalRecordedReadSource | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || !SOURCES.has(value)) {
    throw new ConfigurationError("recordedRead must be created with recordedRelation({ schema }); a plain object is not a recorded-read binding.", {
      code: "INVALID_RECORDED_READ_SOURCE",
    });
  }
  if (history) {
    throw new ConfigurationError("recordedRead cannot be combined with history: true: a history store already reads the relations it captures into.", {
      code: "RECORDED_READ_WITH_HISTORY",
    });
  }
  return value as ExternalRecordedReadSource;
}

/** The live graph tables a store's `schema` must share with its backend (recorded relations may differ). */
const GRAPH_TABLE_KEYS = ["nodes", "edges", "uniques", "edgeClaims", "schemaVersions", "fulltext"] as const;

/** @internal The `schema` store option checked against the backend's table names. */
export function checkSchemaOption(value: unknown, backendNames: TypeGraphTableNames | undefined): void {
  if (value === undefined) return;
  const schema = requireSchema(value, "The schema store option");
  const names = backendNames ?? DEFAULT_TABLE_NAMES;
  for (const key of GRAPH_TABLE_KEYS) {
    if (schema.tables[key] !== names[key]) {
      throw new ConfigurationError(
        `The store's schema names table "${key}" "${schema.tables[key]}", but its backend was created over "${names[key]}"; create the backend with the same table names (the tables option of the backend factory).`,
        { code: "SQL_SCHEMA_MISMATCH", table: key },
      );
    }
  }
}

const RECORDED_KEYS = ["recordedNodes", "recordedEdges", "recordedIdentityAssertions"] as const;

/** @internal Reads of a recorded-read binding run over the backend's own recorded relations: a
 *  binding naming others is refused (this package registers a graph's tables per backend). */
export function checkRecordedNames(source: ExternalRecordedReadSource, backendNames: TypeGraphTableNames | undefined): void {
  const names = backendNames ?? DEFAULT_TABLE_NAMES;
  for (const key of RECORDED_KEYS) {
    if (source.schema.tables[key] !== names[key]) {
      throw new ConfigurationError(
        `The recorded-read binding names "${key}" "${source.schema.tables[key]}", but this backend reads recorded relations from "${names[key]}"; create a backend over those table names (its tables option) to read them.`,
        { code: "RECORDED_READ_TABLES_UNSUPPORTED", table: key },
      );
    }
  }
}
