// Internal plumbing for the store (evolve, restart parity): not part of the public entry.
//
// Conventions the store relies on:
// - A graph carrying runtime kinds is an ExtendedGraphDef: `graph.extension` is the validated
//   union document (version stamped), `graph.deprecatedKinds` an optional ReadonlySet<string>.
//   serializeSchema stores them as `schema_doc.extension` (without the legacy `version: 1`) and
//   `schema_doc.deprecatedKinds` (sorted, omitted when empty), both inside the hash.
// - mergeGraphExtension(graph, doc) unions `doc` into the graph's current extension (a kind
//   redeclared in `doc` replaces the earlier declaration; no compatibility check here), returns
//   the very same graph when nothing changes, and throws KindCollisionError /
//   GraphExtensionUnresolvedEndpointError / GraphExtensionUnresolvedOntologyEndpointError /
//   KindNotFoundError (index on a missing kind) / ConfigurationError (index on a missing field).
// - withStoredExtension(graph, storedDoc) is the catch-up step: the compile-time part of
//   `graph` plus the stored document's extension and deprecations (what createStoreWithSchema
//   and getSchemaChanges use).
// - Compiled kinds are cached by (kind, definition JSON): an unchanged definition yields the
//   same NodeType and zod schema instance across merges.
export {
  compileGraphExtension,
  mergeGraphExtension,
  stripGraphExtension,
  unionGraphExtensions,
  canonicalGraphExtension,
  graphExtensionOf,
  withStoredExtension,
  type CompiledGraphExtension,
  type CompiledNode,
  type CompiledEdge,
  type ExtendedGraphDef,
} from "./compile.js";
export { validateGraphExtension, defineGraphExtension, encodePointerSegment } from "./validate.js";
export * from "./types.js";
