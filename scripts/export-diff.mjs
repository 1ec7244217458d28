// Diffs upstream's export names (../shared/spec/exports.json) against what our
// entry points export — values AND types — read with the TypeScript checker
// from the `lib/` sources behind each `package.json` "exports" path.
//
//   node scripts/export-diff.mjs            summary per entry point
//   node scripts/export-diff.mjs --missing  also list missing names
//   node scripts/export-diff.mjs --json     machine-readable result
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const spec = JSON.parse(readFileSync(join(root, "../shared/spec/exports.json"), "utf8"));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

// Our entry paths → their TypeScript source in lib/.
const entries = {};
for (const [sub, target] of Object.entries(pkg.exports)) {
  if (typeof target !== "object" || !target.types) continue;
  const src = target.types.replace(/^\.\/dist\//, "lib/").replace(/\.d\.ts$/, ".ts");
  entries[sub] = join(root, src);
}

const program = ts.createProgram(Object.values(entries), {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
});
const checker = program.getTypeChecker();

function exportsOf(file) {
  const sf = program.getSourceFile(file);
  if (!sf) throw new Error(`no source file ${file}`);
  const sym = checker.getSymbolAtLocation(sf);
  const out = new Map();
  for (const e of checker.getExportsOfModule(sym)) {
    const target = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
    const isValue = (target.flags & ts.SymbolFlags.Value) !== 0;
    out.set(e.getName(), isValue ? "value" : "type");
  }
  return out;
}

const json = process.argv.includes("--json");
const showMissing = process.argv.includes("--missing");
const result = {};
for (const [up, groups] of Object.entries(spec)) {
  const sub = up.replace(/^@nicia-ai\/typegraph/, ".") || ".";
  const entry = sub === "." ? "." : sub;
  const file = entries[entry];
  const wantValues = [...new Set([...(groups.functions ?? []), ...(groups.classes ?? []), ...(groups.constants ?? []), ...(groups.valueAndTypeSameName ?? [])])];
  const wantTypes = [...(groups.typesOnly ?? [])];
  if (!file) {
    result[up] = { entry: null, missingValues: wantValues, missingTypes: wantTypes, total: wantValues.length + wantTypes.length };
    continue;
  }
  const have = exportsOf(file);
  const missingValues = wantValues.filter((n) => have.get(n) !== "value");
  const missingTypes = wantTypes.filter((n) => !have.has(n));
  result[up] = { entry, missingValues, missingTypes, total: wantValues.length + wantTypes.length };
}

if (json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  for (const [up, r] of Object.entries(result)) {
    const missing = r.missingValues.length + r.missingTypes.length;
    console.log(`${up} → ${r.entry ?? "(no entry)"}: ${r.total - missing}/${r.total} present, ${missing} missing (${r.missingValues.length} values, ${r.missingTypes.length} types)`);
    if (showMissing && missing > 0) {
      if (r.missingValues.length) console.log(`  values: ${r.missingValues.join(", ")}`);
      if (r.missingTypes.length) console.log(`  types:  ${r.missingTypes.join(", ")}`);
    }
  }
}
