// The backends every contract suite runs against. SQLite always; PostgreSQL
// whenever DATABASE_URL is set (CI sets it and requires it).
import { createLocalSqliteBackend } from "../dist/sqlite-local.js";
import { createPostgresBackend } from "../dist/postgres.js";
import type { GraphBackend } from "../dist/index.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface BackendCase {
  name: "sqlite" | "postgres";
  /** A backend on database `db`: the same name reaches the same database (a temp file on SQLite). */
  make(db: string): GraphBackend;
}

const dir = mkdtempSync(join(tmpdir(), "tg-test-"));

const url = process.env.DATABASE_URL;
if (process.env.CI && !url) {
  throw new Error("CI requires DATABASE_URL: the PostgreSQL contract suite must run");
}

export const backends: BackendCase[] = [
  { name: "sqlite", make: (db) => createLocalSqliteBackend({ path: join(dir, `${db}.db`) }).backend },
  ...(url ? [{ name: "postgres" as const, make: () => createPostgresBackend(url) }] : []),
];

let counter = 0;
/** A graph id no other test (or earlier run) uses, so suites share one database safely. */
export function freshGraphId(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`;
}
