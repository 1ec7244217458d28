// Our own stand-ins for the few fixtures upstream's top-level public-API tests take from their
// test-utils module: fresh in-memory SQLite backends and stores booted through the managed factory.
import { afterAll, expect } from "vitest";
import { INVERTED_VALIDITY_WINDOW_CODE, ValidationError, createStore, createStoreWithSchema, type GraphBackend, type GraphDef } from "../../../dist/index.js";
import { createLocalSqliteBackend } from "../../../dist/sqlite-local.js";

const opened: GraphBackend[] = [];
afterAll(async () => {
  for (const b of opened.splice(0)) await b.close().catch(() => undefined);
});

export function createTestBackend(): GraphBackend {
  const { backend } = createLocalSqliteBackend();
  opened.push(backend);
  return backend;
}
export async function createInitializedStore<G extends GraphDef>(graph: G, backend: GraphBackend) {
  const [store] = await createStoreWithSchema(graph, backend);
  return store;
}
export async function createRawInitializedStore<G extends GraphDef>(graph: G, backend: GraphBackend) {
  await createInitializedStore(graph, backend);
  return createStore(graph, backend);
}
export const matchingObject = (shape: Record<string, unknown>): unknown => expect.objectContaining(shape);
export const matchingArray = (items: unknown[]): unknown => expect.arrayContaining(items);

/** The database handle tests pass to `createSqliteBackend(db)`: here, a backend waiting to be picked up. */
export interface TestDatabase {
  readonly backend: GraphBackend;
}
export function createTestDatabase(): TestDatabase {
  return { backend: createTestBackend() };
}

/** The call is refused with a ValidationError one of whose issues names the inverted-window code. */
export async function expectInvertedWindowRefusal(call: Promise<unknown>): Promise<void> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(ValidationError);
  const issues = ((outcome as ValidationError).details as { issues?: { code?: string }[] }).issues ?? [];
  expect(issues.map((i) => i.code)).toContain(INVERTED_VALIDITY_WINDOW_CODE);
}

/** Every edge of a subgraph adjacency index, flattened. */
export function collectAllEdges<E>(adjacency: ReadonlyMap<string, ReadonlyMap<string, readonly E[]>>): E[] {
  return [...adjacency.values()].flatMap((byKind) => [...byKind.values()].flat());
}

/** The fixed instants upstream's temporal fixtures are built on (past < before < ended < future). */
export const TEMPORAL_ANCHORS = {
  PAST: "2020-01-01T00:00:00.000Z",
  BEFORE: "2021-01-01T00:00:00.000Z",
  EDGE_ENDED: "2022-01-01T00:00:00.000Z",
  FUTURE: "2030-01-01T00:00:00.000Z",
} as const;
