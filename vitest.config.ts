import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Forked processes (the durable-workflow tests' embedded PGlite and worker processes need a
    // real process, not a worker thread). Without isolation the modules (effect, @effect/platform)
    // are loaded once per fork instead of once per file; every test builds its own emulator and
    // client layers, so no state is shared between files.
    pool: "forks",
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Report, rather than wait for, anything still open when the run ends.
    teardownTimeout: 5_000
  }
})
