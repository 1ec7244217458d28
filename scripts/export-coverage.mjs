// Compares this package's runtime exports with upstream's per entry point
// (../shared/spec/exports.json): which upstream value exports exist here.
import { readFileSync } from "node:fs";
const spec = JSON.parse(readFileSync(new URL("../../shared/spec/exports.json", import.meta.url)));
const map = {
  "@nicia-ai/typegraph": "typegraph-native",
  "@nicia-ai/typegraph/core": "typegraph-native/core",
  "@nicia-ai/typegraph/indexes": "typegraph-native/indexes",
  "@nicia-ai/typegraph/sqlite/local": "typegraph-native/sqlite/local",
  "@nicia-ai/typegraph/adapters/drizzle/sqlite/local": "typegraph-native/adapters/drizzle/sqlite/local",
  "@nicia-ai/typegraph/adapters/drizzle/sqlite": "typegraph-native/adapters/drizzle/sqlite",
  "@nicia-ai/typegraph/adapters/drizzle/postgres": "typegraph-native/adapters/drizzle/postgres",
};
for (const [up, ours] of Object.entries(map)) {
  const mod = await import(ours);
  const s = spec[up] ?? {};
  const values = [...(s.functions ?? []), ...(s.classes ?? []), ...(s.constants ?? [])];
  const have = values.filter((n) => n in mod);
  const missing = values.filter((n) => !(n in mod));
  console.log(`\n${up} → ${ours}: ${have.length}/${values.length} runtime exports`);
  console.log(`  covered: ${have.join(", ")}`);
  if (process.argv.includes("--missing")) console.log(`  missing: ${missing.join(", ")}`);
}
