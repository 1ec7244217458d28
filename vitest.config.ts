import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["__test__/**/*.test.ts"],
    pool: "forks",
    testTimeout: 30_000,
    typecheck: { include: ["__test__/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
  },
});
