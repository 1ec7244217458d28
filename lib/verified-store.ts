// Zero-DDL attaches for least-privilege runtimes: `createVerifiedStore` reads the active schema
// row only, refuses a database that is uninitialized or behind the code graph, and returns a
// managed store on the reconciled graph (compile-time kinds plus runtime-committed ones).
import type { GraphBackend } from "./backend.js";
import type { GraphDef } from "./core.js";
import { withStoredExtension } from "./extension/compile.js";
import { ConfigurationError } from "./errors.js";
import { assertSchemaCurrent, readActiveSchemaRow } from "./schema-entry.js";
import { createStore, createStoreWithSchema, type SchemaValidationResult, type Store, type StoreOptions } from "./store.js";

export async function createVerifiedStore<G extends GraphDef>(
  graph: G,
  backend: GraphBackend,
  options: StoreOptions = {},
): Promise<[Store<G>, SchemaValidationResult]> {
  const result = await assertSchemaCurrent(backend, graph);
  const row = await readActiveSchemaRow(backend, graph.id);
  if (row === undefined) throw new ConfigurationError(`Cannot verify graph "${graph.id}": no schema has been initialized.`, { graphId: graph.id });
  const reconciled = withStoredExtension(graph, row.doc) as unknown as G;
  const store = createStore(graph, backend, { ...options, reconciled: { graph: reconciled, version: row.version, hash: row.hash } });
  return [store, result];
}

/** Upstream's adapter-store names: the same stores here (every backend is an adapter backend). */
export const createAdapterStore = createStore;
export const createAdapterStoreWithSchema = createStoreWithSchema;
export const createVerifiedAdapterStore = createVerifiedStore;
