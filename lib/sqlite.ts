// `./sqlite` and `./adapters/drizzle/sqlite`: SQLite DDL for migrations managed elsewhere.
import { generateDdl } from "./native.js";

/** The schema as a list of statements, in creation order. */
export function generateSqliteDDL(): string[] {
  return generateDdl("sqlite").split("\n\n");
}

/** The whole schema as one script. */
export function generateSqliteMigrationSQL(): string {
  return generateDdl("sqlite");
}
