// Real separate processes racing schema commits and writing across them: two stores on one
// SQLite file, two connection pools on one PostgreSQL database.
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  StaleVersionError,
  createStoreWithSchema,
  defineGraph,
  defineGraphExtension,
  defineNode,
  type GraphBackend,
} from "../dist/index.js";
import { createLocalSqliteBackend } from "../dist/sqlite-local.js";
import { createPostgresBackend } from "../dist/postgres.js";
import { freshGraphId } from "./backends.js";

const worker = fileURLToPath(new URL("./fixtures/evolve-worker.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "tg-evolve-mp-"));
const url = process.env.DATABASE_URL;

const Document = defineNode("Document", { schema: z.object({ title: z.string() }) });
const graphOf = (id: string) => defineGraph({ id, nodes: { Document: { type: Document } }, edges: {} });

interface Case {
  name: string;
  target: (id: string) => string;
  backend: (target: string) => GraphBackend;
}
const cases: Case[] = [
  { name: "sqlite", target: (id) => join(dir, `${id}.db`), backend: (t) => createLocalSqliteBackend({ path: t }).backend },
  ...(url ? [{ name: "postgres", target: () => url, backend: (t: string) => createPostgresBackend(t) }] : []),
];

class Worker {
  readonly child: ChildProcess;
  readonly #queue: ((m: { result?: unknown; ready?: boolean }) => void)[] = [];
  readonly ready: Promise<void>;
  constructor(dialect: string, target: string, graphId: string) {
    this.child = fork(worker, [dialect, target, graphId], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child.on("message", (m) => this.#queue.shift()?.(m as { result?: unknown }));
    this.ready = new Promise((resolve) => this.#queue.push(() => resolve()));
  }
  /** Sends a command; resolves with its result message. */
  send(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      this.#queue.push((m) => resolve(m.result as Record<string, unknown>));
      this.child.send(msg);
    });
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.send({ cmd: "exit" });
    await exited;
  }
}

describe.each(cases)("multi-process evolve on $name", (c) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()!();
  });
  async function setup() {
    const id = freshGraphId(`evolve_mp_${c.name}`);
    const target = c.target(id);
    const backend = c.backend(target);
    cleanup.push(() => backend.close());
    const [store] = await createStoreWithSchema(graphOf(id), backend);
    const workers = [new Worker(c.name, target, id), new Worker(c.name, target, id)];
    for (const w of workers) cleanup.push(() => w.stop());
    await Promise.all(workers.map((w) => w.ready));
    return { id, target, backend, store, workers };
  }

  it("two processes racing different extensions: one commits, the other gets SchemaContentConflictError, then catches up", async () => {
    const { id, target, store, workers } = await setup();
    // Hold a fenced write in flight so both processes read version 1 and then queue on the commit.
    let results: Record<string, unknown>[] = [];
    await store.transaction(async (tx) => {
      await tx.nodes.Document.create({ title: "in flight" });
      const racing = Promise.all([workers[0]!.send({ cmd: "evolve", kind: "Alpha" }), workers[1]!.send({ cmd: "evolve", kind: "Beta" })]);
      await new Promise((r) => setTimeout(r, 800));
      // The schema commits are still waiting on this transaction.
      const early = await Promise.race([racing.then(() => "done"), new Promise((r) => setTimeout(() => r("waiting"), 50))]);
      expect(early).toBe("waiting");
      void racing.then((r) => (results = r));
    });
    await expect.poll(() => results.length, { timeout: 10_000 }).toBe(2);
    const winners = results.filter((r) => r.ok === true);
    const losers = results.filter((r) => r.ok !== true);
    expect(winners).toEqual([{ ok: true, version: 2 }]);
    expect(losers).toHaveLength(1);
    expect(losers[0]!.error).toBe("SchemaContentConflictError");
    expect(losers[0]!.code).toBe("SCHEMA_CONTENT_CONFLICT");

    // The write in flight committed before the schema change; this store is now fenced out.
    await expect(store.nodes.Document.create({ title: "late" })).rejects.toBeInstanceOf(StaleVersionError);

    // The loser's next evolve catches up and commits on top of the winner.
    const loserIndex = results.indexOf(losers[0]!);
    const loserKind = loserIndex === 0 ? "Alpha" : "Beta";
    const retry = await workers[loserIndex]!.send({ cmd: "retryEvolve", kind: loserKind });
    expect(retry).toEqual({ ok: true, version: 3, kinds: ["Alpha", "Beta", "Document"] });

    const backend2 = c.backend(target);
    cleanup.push(() => backend2.close());
    const [fresh, result] = await createStoreWithSchema(graphOf(id), backend2);
    expect(result.status).toBe("unchanged");
    expect([...fresh.registry.nodeKinds.keys()].sort()).toEqual(["Alpha", "Beta", "Document"]);
    expect(await fresh.nodes.Document.count()).toBe(1);
  });

  it("two processes racing the same extension both succeed at one version", async () => {
    const { store, workers } = await setup();
    let results: Record<string, unknown>[] = [];
    await store.transaction(async (tx) => {
      await tx.nodes.Document.create({ title: "hold" });
      const racing = Promise.all(workers.map((w) => w.send({ cmd: "evolve", kind: "Shared" })));
      await new Promise((r) => setTimeout(r, 500));
      void racing.then((r) => (results = r));
    });
    await expect.poll(() => results.length, { timeout: 10_000 }).toBe(2);
    expect(results).toEqual([
      { ok: true, version: 2 },
      { ok: true, version: 2 },
    ]);
    expect((await store.getActiveSchema())!.version).toBe(2);
  });

  it("writers in other processes are fenced across schema commits and lose nothing", async () => {
    const { id, target, store, workers } = await setup();
    const writing = Promise.all([
      workers[0]!.send({ cmd: "write", count: 150, prefix: "a" }),
      workers[1]!.send({ cmd: "write", count: 150, prefix: "b" }),
    ]);
    let current = store;
    for (const kind of ["K1", "K2", "K3", "K4"]) {
      await new Promise((r) => setTimeout(r, 40));
      current = await current.evolve(defineGraphExtension({ nodes: { [kind]: { properties: { n: { type: "number" } } } } }));
    }
    const done = await writing;
    for (const d of done) expect(d).toMatchObject({ ok: true, version: 5 });
    // The writers ran into the fence and recovered by reopening at the new version.
    expect(done.reduce((n, d) => n + (d.stale as number), 0)).toBeGreaterThan(0);
    const backend2 = c.backend(target);
    cleanup.push(() => backend2.close());
    const [fresh] = await createStoreWithSchema(graphOf(id), backend2);
    expect(await fresh.nodes.Document.count()).toBe(300);
    expect((await fresh.getActiveSchema())!.version).toBe(5);
  });
});
