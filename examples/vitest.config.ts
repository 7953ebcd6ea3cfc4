// Runs the example test file(s): `npx vitest run --config examples/vitest.config.ts`.
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    root: ".",
    include: ["examples/**/*.test.ts"],
    testTimeout: 30_000
  }
})
