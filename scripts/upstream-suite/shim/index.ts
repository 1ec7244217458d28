// Stands in for upstream's `src` root: this package's public entry.
export * from "../../../dist/index.js";
export { createStoreWithSchema as createAdapterStoreWithSchema } from "../../../dist/index.js";
