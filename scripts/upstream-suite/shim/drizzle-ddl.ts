// Upstream's `backend/drizzle/ddl` module carries both dialects' DDL generators; ours live on the
// two entry points.
export { generateSqliteDDL, generateSqliteMigrationSQL } from "../../../dist/sqlite.js";
export { generatePostgresDDL, generatePostgresMigrationSQL } from "../../../dist/postgres.js";
