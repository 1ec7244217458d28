// Backends: a thin owner of one native handle. SQLite calls run synchronously
// on the calling thread; PostgreSQL calls are async on the engine's runtime.

import { ConfigurationError, BackendDisposedError, convertError } from "./errors.js";
import { NativePostgres, NativeSqlite } from "./native.js";

export type Dialect = "sqlite" | "postgres";
/** An open transaction as the backend knows it. */
export interface TxToken {
  readonly id: number;
  open: boolean;
}

export interface BackendCapabilities {
  readonly transactions: boolean;
  readonly returning: boolean;
  readonly windowFunctions: boolean;
  readonly maxBindParameters: number;
}

/** The backend contract the store uses; create one with a backend factory. */
export interface GraphBackend {
  readonly dialect: Dialect;
  readonly capabilities: BackendCapabilities;
  /** @internal */ register(graphJson: string): Promise<number> | number;
  /** @internal */ call(graph: number, op: string, args: unknown, tx?: TxToken): Promise<unknown>;
  /** @internal */ bootstrap(): Promise<void>;
  /** @internal */ begin(): Promise<TxToken>;
  /** @internal */ end(tx: TxToken, commit: boolean): Promise<void>;
  close(): Promise<void>;
}

function parse(text: string): unknown {
  return JSON.parse(text);
}

export class SqliteBackend implements GraphBackend {
  readonly dialect = "sqlite" as const;
  readonly capabilities: BackendCapabilities = Object.freeze({
    transactions: true,
    returning: true,
    windowFunctions: true,
    maxBindParameters: 32766,
  });
  #native: NativeSqlite | undefined;
  #tx: TxToken | undefined;
  #nextTx = 1;

  constructor(native: NativeSqlite) {
    this.#native = native;
  }

  #handle(): NativeSqlite {
    if (!this.#native) throw new BackendDisposedError();
    return this.#native;
  }

  register(graphJson: string): number {
    // The same definition registers once per connection: evolve/catch-up paths that rebuild a
    // store for a version already registered reuse its engine handle instead of adding one.
    const known = this.#registered.get(graphJson);
    if (known !== undefined) return known;
    try {
      const handle = this.#handle().register(graphJson);
      this.#registered.set(graphJson, handle);
      return handle;
    } catch (error) {
      throw convertError(error);
    }
  }
  #registered = new Map<string, number>();

  /** Synchronous core of `call`, used where no await may separate a read from its write. */
  callSync(graph: number, op: string, args: unknown, tx?: TxToken): unknown {
    const native = this.#handle();
    if (this.#tx && (tx === undefined || tx !== this.#tx)) {
      // One connection: a root-store call inside an open transaction would join it.
      throw new ConfigurationError(
        "The root store was used inside store.transaction(); use the `tx` argument for work inside the transaction.",
        { backend: "sqlite", capability: "concurrentRootAccess" },
      );
    }
    try {
      return parse(native.call(graph, op, JSON.stringify(args)));
    } catch (error) {
      throw convertError(error);
    }
  }

  async call(graph: number, op: string, args: unknown, tx?: TxToken): Promise<unknown> {
    return this.callSync(graph, op, args, tx && tx.open ? tx : undefined);
  }

  /** @internal `updateNode` in one call: `merge` gets the current row and returns the validated
   *  props; an error it throws is rethrown here unchanged (the engine writes nothing). */
  updateNodeWith(graph: number, args: unknown, tx: TxToken | undefined, merge: (row: [unknown, unknown, Record<string, unknown>, ...unknown[]]) => unknown): unknown {
    const native = this.#handle();
    this.#checkTx(tx && tx.open ? tx : undefined);
    let failure: { error: unknown } | undefined;
    const step = (rowJson: string): string | null => {
      try {
        return JSON.stringify(merge(JSON.parse(rowJson)));
      } catch (error) {
        failure = { error };
        return null;
      }
    };
    let out: string;
    try {
      out = native.updateNodeWith(graph, JSON.stringify(args), step);
    } catch (error) {
      if (failure) throw failure.error;
      throw convertError(error);
    }
    return parse(out);
  }

  #checkTx(tx: TxToken | undefined): void {
    if (this.#tx && (tx === undefined || tx !== this.#tx)) {
      throw new ConfigurationError(
        "The root store was used inside store.transaction(); use the `tx` argument for work inside the transaction.",
        { backend: "sqlite", capability: "concurrentRootAccess" },
      );
    }
  }

  async bootstrap(): Promise<void> {
    try {
      this.#handle().bootstrap();
    } catch (error) {
      throw convertError(error);
    }
  }

  async begin(): Promise<TxToken> {
    if (this.#tx) {
      throw new ConfigurationError("store.transaction() cannot be nested on SQLite; use the outer `tx`.", {
        backend: "sqlite",
        capability: "concurrentRootAccess",
      });
    }
    try {
      this.#handle().begin();
    } catch (error) {
      throw convertError(error);
    }
    this.#tx = { id: this.#nextTx++, open: true };
    return this.#tx;
  }

  async end(tx: TxToken, commit: boolean): Promise<void> {
    if (this.#tx !== tx) return;
    this.#tx = undefined;
    tx.open = false;
    const native = this.#native;
    if (!native) return;
    try {
      if (commit) native.commit();
      else native.rollback();
    } catch (error) {
      if (commit) {
        try {
          native.rollback();
        } catch {
          // the failed COMMIT already ended the transaction
        }
      }
      throw convertError(error);
    }
  }

  /** Runs raw SQL (a script without parameters) on this connection. */
  exec(sql: string): void {
    try {
      this.#handle().exec(sql);
    } catch (error) {
      throw convertError(error);
    }
  }

  /** @internal Compiles a query AST to `{ sql, params }` (toSQL). */
  compileQuery(graph: number, argsJson: string): string {
    try {
      return this.#handle().compileQuery(graph, argsJson);
    } catch (error) {
      throw convertError(error);
    }
  }

  /** Runs one raw query; rows as arrays. */
  query(sql: string, params: unknown[] = []): unknown[][] {
    try {
      return JSON.parse(this.#handle().query(sql, JSON.stringify(params))) as unknown[][];
    } catch (error) {
      throw convertError(error);
    }
  }

  async close(): Promise<void> {
    this.#native?.close();
    this.#native = undefined;
  }
}

export class PostgresBackend implements GraphBackend {
  readonly dialect = "postgres" as const;
  readonly capabilities: BackendCapabilities = Object.freeze({
    transactions: true,
    returning: true,
    windowFunctions: true,
    maxBindParameters: 65533,
  });
  #native: Promise<NativePostgres> | undefined;
  #ready: NativePostgres | undefined;
  #closed = false;

  constructor(url: string, maxConnections?: number) {
    this.#native = NativePostgres.connect(url, maxConnections).catch((error: unknown) => {
      throw convertError(error);
    });
    // A failed connect surfaces on first use, not as an unhandled rejection.
    this.#native.then((n) => (this.#ready = n), () => undefined);
  }

  async #handle(): Promise<NativePostgres> {
    if (this.#closed || !this.#native) throw new BackendDisposedError();
    return this.#native;
  }

  register(graphJson: string): Promise<number> {
    // As on SQLite: one engine handle per distinct definition on this backend.
    const known = this.#registeredJson.get(graphJson);
    if (known !== undefined) return known;
    const pending = (async () => {
      const native = await this.#handle();
      try {
        return native.register(graphJson);
      } catch (error) {
        throw convertError(error);
      }
    })();
    // toSQL() is synchronous: until the pool is up, it compiles from the definition itself.
    const entry: { graphJson: string; handle?: number } = { graphJson };
    this.#registrations.set(pending, entry);
    pending.then(
      (h) => (entry.handle = h),
      () => this.#registeredJson.delete(graphJson),
    );
    this.#registeredJson.set(graphJson, pending);
    return pending;
  }
  #registeredJson = new Map<string, Promise<number>>();
  #registrations = new WeakMap<Promise<number>, { graphJson: string; handle?: number }>();

  async call(graph: number, op: string, args: unknown, tx?: TxToken): Promise<unknown> {
    const native = await this.#handle();
    try {
      return parse(await native.call(graph, op, JSON.stringify(args), tx?.id));
    } catch (error) {
      throw convertError(error);
    }
  }

  /** @internal Compiles a query AST to `{ sql, params }` (toSQL), no connection needed. */
  compileQuery(graph: number | Promise<number>, argsJson: string): string {
    if (this.#closed) throw new BackendDisposedError();
    try {
      if (typeof graph !== "number") {
        const entry = this.#registrations.get(graph);
        if (!entry) throw new ConfigurationError("toSQL(): the store's graph is not registered with this backend", {});
        if (entry.handle === undefined || !this.#ready) return NativePostgres.compileQueryDetached(entry.graphJson, undefined, argsJson);
        graph = entry.handle;
      }
      if (!this.#ready) throw new BackendDisposedError();
      return this.#ready.compileQuery(graph, argsJson);
    } catch (error) {
      throw convertError(error);
    }
  }

  async bootstrap(): Promise<void> {
    const native = await this.#handle();
    try {
      await native.bootstrap();
    } catch (error) {
      throw convertError(error);
    }
  }

  async begin(): Promise<TxToken> {
    const native = await this.#handle();
    try {
      return { id: await native.begin(), open: true };
    } catch (error) {
      throw convertError(error);
    }
  }

  async end(tx: TxToken, commit: boolean): Promise<void> {
    tx.open = false;
    const native = await this.#handle();
    try {
      if (commit) await native.commit(tx.id);
      else await native.rollback(tx.id);
    } catch (error) {
      throw convertError(error);
    }
  }

  async exec(sql: string): Promise<void> {
    const native = await this.#handle();
    try {
      await native.exec(sql);
    } catch (error) {
      throw convertError(error);
    }
  }

  async query(sql: string, params: unknown[] = []): Promise<unknown[][]> {
    const native = await this.#handle();
    try {
      return JSON.parse(await native.query(sql, JSON.stringify(params))) as unknown[][];
    } catch (error) {
      throw convertError(error);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const native = this.#native;
    this.#native = undefined;
    if (native) await (await native.catch(() => undefined))?.close();
  }
}
