#!/usr/bin/env bash
# Every test: the engine (cargo test, real SQLite and — with DATABASE_URL —
# real PostgreSQL), then the public API (vitest, both backends), type tests and
# the runnable examples. Closes with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
TARGET=x86_64-unknown-linux-gnu
mkdir -p .cache
passed=0
failed=0
status=0

npm run --silent build || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

# Engine tests (same --target as `napi build`, so dependencies compile once).
cargo test --workspace --target "$TARGET" 2>&1 | tee .cache/cargo-test.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
while read -r p f; do
  passed=$((passed + p)); failed=$((failed + f))
done < <(grep -E '^test result:' .cache/cargo-test.log | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/')

# Public API tests, including the type tests and the examples.
npx vitest run --typecheck --reporter=default --reporter=json --outputFile=.cache/vitest.json
[ $? -eq 0 ] || status=1
if [ -f .cache/vitest.json ]; then
  read -r p f < <(node -e 'const r=require("./.cache/vitest.json");console.log(r.numPassedTests, r.numFailedTests + (r.numRuntimeErrorTestSuites||0))')
  passed=$((passed + p)); failed=$((failed + f))
else
  failed=$((failed + 1))
fi

[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "${passed} passed, ${failed} failed"
exit "$status"
