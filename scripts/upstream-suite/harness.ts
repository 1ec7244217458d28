// The context upstream's integration modules expect, built on this package: a fresh store over
// the suite's graph per test, on SQLite (a temp file) and on PostgreSQL when DATABASE_URL is set.
import { afterEach, beforeEach, describe } from "vitest";
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
export function lanes(register: (ctx: any) => void): void {
  const names = ["sqlite", ...(process.env.DATABASE_URL ? ["postgres"] : [])];
  for (const lane of names) {
    describe(lane, () => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      let store: any, backend: any;
      // Every backend a test opens is closed after it (PostgreSQL pools hold server connections).
      const opened: { close(): Promise<void> }[] = [];
      const make = () => {
        counter += 1;
        const b =
          lane === "sqlite"
            ? createLocalSqliteBackend({ path: join(dir, `db${process.pid}_${counter}.db`) }).backend
            : createPostgresBackend(process.env.DATABASE_URL!);
        opened.push(b);
        return b;
      };
      // PostgreSQL lanes share one database: each store gets a graph id of its own.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const own = (g: any) => (lane === "postgres" ? { ...g, id: `us_${process.pid}_${Date.now().toString(36)}_${++counter}` } : g);
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
        backend = make();
        [store] = await createStoreWithSchema(own(integrationTestGraph), backend);
      });
      afterEach(async () => {
        for (const b of opened.splice(0)) await b.close().catch(() => undefined);
      });
      register(ctx);
    });
  }
}
