// Runs upstream TypeGraph's shared backend integration suite against this package's public API
// (a developer tool: needs an upstream checkout, TG_UPSTREAM, default /tmp/upstream).
// Upstream's suite imports its own `src`; those imports resolve to shims over our `dist/`.
// Internal upstream modules we do not provide resolve to stand-ins that throw when used, so a
// test needing one fails by name instead of taking its whole file down.
import { defineConfig } from "vitest/config";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const UPSTREAM = process.env.TG_UPSTREAM ?? "/tmp/upstream";
const PKG = path.join(UPSTREAM, "packages/typegraph");
const SRC = path.join(PKG, "src");
const TESTS = path.join(PKG, "tests");
const INTEGRATION = path.join(TESTS, "backends/integration");
// TG_UPSTREAM_TOP=1: run upstream's top-level tests (tests/*.test.ts) instead of the integration
// modules; those taking fixtures from ./test-utils get our stand-ins, the rest run as written.
const TOP = process.env.TG_UPSTREAM_TOP === "1";
const TEST_UTILS = path.join(HERE, "shim", "test-utils.ts");
const shim = (f: string) => path.join(HERE, "shim", f);
const provided: Record<string, string> = {
  "": shim("index.ts"), "/index": shim("index.ts"), "/errors": shim("index.ts"), "/store": shim("index.ts"),
  "/store/store": shim("index.ts"), "/backend/types": shim("index.ts"),
  "/utils/presence": shim("presence.ts"), "/backend/derive-backend": shim("derive-backend.ts"),
  "/backend/sqlite": shim("sqlite-backend.ts"), "/backend/sqlite/index": shim("sqlite-backend.ts"),
  "/backend/sqlite/local": shim("sqlite-backend.ts"),
  "/backend/drizzle/sqlite": shim("sqlite-backend.ts"), "/backend/drizzle/schema/sqlite": shim("sqlite-backend.ts"),
  "/backend/drizzle/ddl": shim("drizzle-ddl.ts"),
  // The kind and graph definers live under `core/` upstream; ours are public entry exports.
  "/core": shim("index.ts"), "/core/index": shim("index.ts"), "/core/node": shim("index.ts"), "/core/edge": shim("index.ts"),
  "/core/define-graph": shim("index.ts"), "/core/embedding": shim("index.ts"), "/core/searchable": shim("index.ts"),
  "/graph-extension": path.join(HERE, "../../dist/extension/index.js"),
  "/graph-extension/index": path.join(HERE, "../../dist/extension/index.js"), "/utils/date": shim("date.ts"),
  "/utils/compare": shim("compare.ts"),
};

// Upstream modules whose public names our entry points carry: each name upstream's module
// exports is taken from ours when ours has it, else it is a stand-in that throws when used.
const DIST = path.join(HERE, "../../dist");
const partial: Record<string, string> = {
  "/indexes": path.join(DIST, "indexes-entry.js"), "/indexes/index": path.join(DIST, "indexes-entry.js"),
  "/indexes/ddl": path.join(DIST, "indexes-entry.js"),
  "/backend/drizzle/postgres": path.join(DIST, "postgres.js"), "/backend/drizzle/schema/postgres": path.join(DIST, "postgres.js"),
  "/backend/postgres": path.join(DIST, "postgres.js"),
  "/schema": path.join(DIST, "schema-entry.js"), "/schema/index": path.join(DIST, "schema-entry.js"),
  "/schema/serializer": path.join(DIST, "schema-entry.js"), "/schema/deserializer": path.join(DIST, "schema-entry.js"),
  "/ontology": path.join(DIST, "index.js"), "/ontology/index": path.join(DIST, "index.js"),
  "/interchange": path.join(DIST, "interchange.js"), "/interchange/index": path.join(DIST, "interchange.js"),
  "/interchange/types": path.join(DIST, "interchange.js"),
};

function upstreamNames(rest: string): Set<string> {
  let src = "";
  for (const cand of [SRC + rest + ".ts", SRC + rest + "/index.ts"]) {
    try { src = fs.readFileSync(cand, "utf8"); break; } catch { /* next */ }
  }
  const names = new Set<string>();
  for (const m of src.matchAll(/export\s+(?:async\s+)?(?:function\*?|const|let|class|enum)\s+([A-Za-z_$][\w$]*)/g)) names.add(m[1]!);
  for (const m of src.matchAll(/export\s*\{([^}]*)\}/g)) {
    // Comments inside the braces ("// Zod schemas") are not names.
    for (const part of m[1]!.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/[^\n]*/g, "").split(",")) {
      const t = part.trim();
      if (!t || t.startsWith("type ")) continue;
      names.add(t.split(/\s+as\s+/).pop()!.trim());
    }
  }
  return names;
}

function standIn(rest: string, n: string): string {
  const fail = (n: string) => `() => { throw new Error("upstream-internal ${rest}.${n} is not provided by this package"); }`;
  return `export const ${n} = new Proxy(function () {}, { get(_, k) { if (k === "then") return undefined; (${fail(n)})(); }, apply: ${fail(n)}, construct: ${fail(n)} });`;
}

function standIns(rest: string): string {
  return [...upstreamNames(rest)].map((n) => standIn(rest, n)).join("\n") || "export {};";
}

export default defineConfig({
  plugins: [{
    name: "upstream-suite",
    enforce: "pre",
    async resolveId(source, importer) {
      // Bare packages imported by upstream's files resolve from this package (the checkout has no node_modules).
      if (importer?.startsWith(PKG) && !source.startsWith(".") && !source.startsWith("/") && !source.startsWith("node:") && !source.startsWith("@upstream-integration/") && !source.startsWith("\0")) {
        return this.resolve(source, path.join(HERE, "harness.ts"), { skipSelf: true });
      }
      if (importer && source === "./test-utils" && path.dirname(importer) === TESTS) return TEST_UTILS;
      if (source.startsWith("@upstream-integration/")) return path.join(INTEGRATION, source.slice(22) + ".ts");
      if (!importer || !source.startsWith(".")) return null;
      const abs = path.resolve(path.dirname(importer), source);
      if (abs === SRC || abs.startsWith(SRC + "/")) {
        const rest = abs.slice(SRC.length);
        if (partial[rest]) return `\0upstream-partial:${rest}`;
        return provided[rest] ?? `\0upstream-internal:${rest}`;
      }
      return null;
    },
    async load(id) {
      if (id.startsWith("\0upstream-partial:")) {
        const rest = id.slice(18);
        const ours = new Set(Object.keys(await import(partial[rest]!)));
        return [...upstreamNames(rest)].map((n) => (ours.has(n) ? `export { ${n} } from ${JSON.stringify(partial[rest])};` : standIn(rest, n))).join("\n") || "export {};";
      }
      return id.startsWith("\0upstream-internal:") ? standIns(id.slice(19)) : null;
    },
  }],
  test: { root: TOP ? TESTS : HERE, include: TOP ? ["*.test.ts"] : ["t/**/*.test.ts"], testTimeout: 30000, hookTimeout: 30000, pool: "forks" },
});
