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
    // Two forks, also on a 2-core machine (vitest's default there is cores - 1 = one fork, which
    // leaves a core idle whenever a file waits on sockets or real timeouts). Longest files start
    // first (vitest orders files by their last duration).
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Report, rather than wait for, anything still open when the run ends.
    teardownTimeout: 5_000
  }
})
