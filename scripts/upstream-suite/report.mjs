// Summarises a vitest JSON report of the upstream suite: per file, then each failing test.
import fs from "node:fs";
const r = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, "");
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + (r.numTodoTests ?? 0)} skipped/todo of ${r.numTotalTests}`);
const only = process.argv[3];
for (const f of r.testResults) {
  const name = f.name.split("/").pop();
  if (only && !name.includes(only)) continue;
  const c = { passed: 0, failed: 0, skipped: 0 };
  for (const a of f.assertionResults) c[a.status === "passed" ? "passed" : a.status === "failed" ? "failed" : "skipped"]++;
  console.log(`${name.padEnd(44)} pass=${c.passed} fail=${c.failed} skip=${c.skipped} ${strip(f.message ?? "").slice(0, 100)}`);
  if (only) for (const a of f.assertionResults) if (a.status === "failed") console.log(`   ✗ ${a.fullName} | ${strip((a.failureMessages ?? [""])[0]).split("\n")[0].slice(0, 220)}`);
}
