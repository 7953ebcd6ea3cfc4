import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Forked processes (the durable-workflow tests' embedded PGlite and worker processes need a
    // real process, not a worker thread). Without isolation the modules (effect, @effect/platform,
    // the SDK) are loaded once per fork instead of once per file (with isolation, every file
    // starts a new process: twice the CPU of the whole suite). Every test builds its own emulator
    // and client layers, so no state is shared between files; a file that replaces modules with
    // `vi.mock` removes its mocks when it ends (see test/beyond-node.test.ts), or they would stay
    // in the fork and reach the files that run after it there. One project only: vitest's
    // `--exclude` on the command line does not reach the files of `projects`.
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
