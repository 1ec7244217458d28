// Internal plumbing for the store (evolve, restart parity): not part of the public entry.
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
