// The runnable examples double as tests: each must exit 0 and print its result.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const runExample = (file: string, args: string[] = []) =>
  execFileSync(process.execPath, [`examples/${file}`, ...args], { cwd: root, encoding: "utf8", env: process.env });

describe("examples", () => {
  it("demo runs the main job on embedded SQLite", () => {
    const out = runExample("demo.mjs");
    expect(out).toContain("created Alice at Acme version 1");
    expect(out).toContain("updated Alice → Porto version 2");
    expect(out).toContain("refused: UniquenessError UNIQUENESS_VIOLATION");
    expect(out).toContain("after cascade delete, jobs: 0");
  });

  it("seed 000: ephemeral in-memory store", () => {
    expect(runExample("seed-000-sqlite-ephemeral.mjs")).toContain("ok 1");
  });

  it("seed 003: managed store initialises then reopens unchanged", () => {
    expect(runExample("seed-003-managed-store.mjs")).toContain("ok initialized unchanged 1");
  });

  it("seed 003: graph extensions — evolve, restart parity, deprecate, two-phase removal", () => {
    expect(runExample("seed-003-graph-extensions.mjs")).toContain(
      "ok version=2 origin=runtime hits=1 restored=unchanged:2 deprecated=Paper removed=Paper:removed final=4",
    );
  });

  it("seed 001: on-demand, batch, incremental and relationship sync with retry and dead letters", () => {
    expect(runExample("seed-001-data-sync.mjs")).toContain("ok synced=49 edges=228 deadLetters=1");
  });

  it("seed 000: embedding worker backfills with update; search follows each batch", () => {
    expect(runExample("seed-000-embedding-worker.mjs")).toMatch(/^ok batches=3 top=vector search/m);
  });

  it("query profiler: recommendations, then coverage with the declared indexes", () => {
    const out = runExample("profiler-index-coverage.mjs");
    expect(out).toContain("[high] node:Customer /email — Used in filter, select with eq (10 times)");
    expect(out).toContain("[low] node:Order /status — Used in filter with eq (4 times)");
    expect(out).toContain("ok queries=10 first=3 left=Order/total");
  });

  it.runIf(Boolean(process.env.DATABASE_URL))("seed 000: embedding worker on PostgreSQL", () => {
    expect(runExample("seed-000-embedding-worker.mjs", ["postgres"])).toMatch(/^ok batches=3 top=vector search/m);
  });

  it.runIf(Boolean(process.env.DATABASE_URL))("seed 000: Drizzle + pg Pool on PostgreSQL, one transaction", () => {
    expect(runExample("seed-000-postgres.mjs")).toContain("ok 1");
  });
});
