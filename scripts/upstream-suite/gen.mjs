// Writes one wrapper test per module of upstream's integration suite into t/.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
const HERE = path.dirname(fileURLToPath(import.meta.url));
const UPSTREAM = process.env.TG_UPSTREAM ?? "/tmp/upstream";
const index = fs.readFileSync(path.join(UPSTREAM, "packages/typegraph/tests/backends/integration/index.ts"), "utf8");
fs.mkdirSync(path.join(HERE, "t"), { recursive: true });
let n = 0;
for (const m of index.matchAll(/export \{ (register\w+) \} from "\.\/([\w-]+)"/g)) {
  const [, fn, file] = m;
  fs.writeFileSync(path.join(HERE, "t", `${file}.test.ts`),
    `import { lanes } from "../harness";\n// @ts-expect-error resolved by the suite's vitest plugin\nimport { ${fn} as register } from "@upstream-integration/${file}";\nlanes(register);\n`);
  n += 1;
}
console.log(`${n} wrappers in ${path.join(HERE, "t")}`);
