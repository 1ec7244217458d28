// Stands in for upstream's `backend/sqlite` entry in its top-level tests: the "database" a test
// made with `createTestDatabase()` already carries our backend.
import type { TestDatabase } from "./test-utils";
export function createSqliteBackend(db: TestDatabase) {
  return db.backend;
}
export { createLocalSqliteBackend } from "../../../dist/sqlite-local.js";
