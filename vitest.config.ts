import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Worker threads start faster than forked processes; without isolation the modules (effect,
    // @effect/platform) are loaded once per worker instead of once per file. Every test builds its
    // own emulator and client layers, so no state is shared between files.
    pool: "threads",
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Report, rather than wait for, anything still open when the run ends.
    teardownTimeout: 5_000
  }
})
