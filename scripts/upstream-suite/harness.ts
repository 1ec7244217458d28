// The context upstream's integration modules expect, built on this package: a fresh store over
// the suite's graph per test, on SQLite (a temp file) and on PostgreSQL when DATABASE_URL is set
// (a schema of its own per test).
import { afterAll, afterEach, beforeEach, describe } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStoreWithSchema } from "../../dist/index.js";
import { createLocalSqliteBackend } from "../../dist/sqlite-local.js";
import { createPostgresBackend } from "../../dist/postgres.js";
// @ts-expect-error resolved by the suite's vitest plugin
import { integrationTestGraph } from "@upstream-integration/fixtures";

const dir = mkdtempSync(join(tmpdir(), "tg-upstream-suite-"));
let counter = 0;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let adminBackend: any;
/** A connection to the shared PostgreSQL database for creating and dropping per-test schemas. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const admin = (): any => (adminBackend ??= createPostgresBackend(process.env.DATABASE_URL!));
afterAll(async () => {
  await adminBackend?.close();
  adminBackend = undefined;
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function lanes(register: (ctx: any) => void): void {
  const names = ["sqlite", ...(process.env.DATABASE_URL ? ["postgres"] : [])];
  for (const lane of names) {
    describe(lane, () => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      let store: any, backend: any;
      // Every backend a test opens is closed after it (PostgreSQL pools hold server connections).
      const opened: { close(): Promise<void> }[] = [];
      // Each test gets an empty database, as upstream's suite assumes: a fresh file on SQLite, a
      // fresh schema (first on the search_path, pgvector from public) on the shared PostgreSQL.
      let pgUrl = "";
      let pgSchema = "";
      const make = () => {
        counter += 1;
        const b =
          lane === "sqlite"
            ? createLocalSqliteBackend({ path: join(dir, `db${process.pid}_${counter}.db`) }).backend
            : createPostgresBackend(pgUrl);
        opened.push(b);
        return b;
      };
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const own = (g: any) => g;
      const ctx = {
        getStore: () => store,
        getBackend: () => backend,
        createIsolatedBackend: async () => make(),
        createSerializedBackend: async () => ({ backend: make(), close: async () => {} }),
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        createStore: async (graph: any, options?: any) => (await createStoreWithSchema(own(graph), backend, options))[0],
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        createHistoryStore: async (graph: any, options?: any) => (await createStoreWithSchema(own(graph), backend, { ...options, history: true }))[0],
      };
      beforeEach(async () => {
        if (lane === "postgres") {
          pgSchema = `tgus_${process.pid}_${Date.now().toString(36)}_${++counter}`;
          await admin().query(`CREATE SCHEMA ${pgSchema}`);
          const u = new URL(process.env.DATABASE_URL!);
          u.searchParams.set("options", `-c search_path=${pgSchema},public`);
          pgUrl = u.toString();
        }
        backend = make();
        [store] = await createStoreWithSchema(own(integrationTestGraph), backend);
      });
      afterEach(async () => {
        for (const b of opened.splice(0)) await b.close().catch(() => undefined);
        if (lane === "postgres" && pgSchema) await admin().query(`DROP SCHEMA ${pgSchema} CASCADE`);
        pgSchema = "";
      });
      register(ctx);
    });
  }
}
