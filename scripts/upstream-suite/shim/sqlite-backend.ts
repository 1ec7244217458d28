// Stands in for upstream's `backend/sqlite` entry in its top-level tests: the "database" a test
// made with `createTestDatabase()` already carries our backend; anything else (a Drizzle
// database over better-sqlite3, a better-sqlite3 Database, a path) goes to our real factory.
import type { TestDatabase } from "./test-utils";
import { createSqliteBackend as createOurs } from "../../../dist/sqlite.js";

export function createSqliteBackend(db: TestDatabase | Parameters<typeof createOurs>[0], options?: Parameters<typeof createOurs>[1]) {
  if (db !== null && typeof db === "object" && "backend" in db && (db as TestDatabase).backend) return (db as TestDatabase).backend;
  return createOurs(db as Parameters<typeof createOurs>[0], options);
}
export { createLocalSqliteBackend } from "../../../dist/sqlite-local.js";
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
  generateSqliteDDL,
  generateSqliteMigrationSQL,
} from "../../../dist/sqlite.js";
