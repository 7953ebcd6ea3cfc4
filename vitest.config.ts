import { defineConfig } from "vitest/config"

// Files that replace modules with `vi.mock` run isolated: without isolation a mock would stay in
// the fork's module cache and leak into the files that run after it there.
const isolated = ["test/beyond-node.test.ts"]

export default defineConfig({
  test: {
    // Two forks, also on a 2-core machine (vitest's default there is cores - 1 = one fork, which
    // leaves a core idle whenever a file waits on sockets or real timeouts). Longest files start
    // first (vitest orders files by their last duration).
    maxWorkers: 2,
    minWorkers: 1,
    // Report, rather than wait for, anything still open when the run ends.
    teardownTimeout: 5_000,
    projects: [
      {
        test: {
          name: "shared",
          include: ["test/**/*.test.ts"],
          exclude: isolated,
          // Forked processes (the durable-workflow tests' embedded PGlite and worker processes need
          // a real process, not a worker thread). Without isolation the modules (effect,
          // @effect/platform) are loaded once per fork instead of once per file; every test builds
          // its own emulator and client layers, so no state is shared between files.
          pool: "forks",
          isolate: false,
          testTimeout: 30_000,
          hookTimeout: 30_000
        }
      },
      {
        test: {
          name: "isolated",
          include: isolated,
          pool: "forks",
          isolate: true,
          testTimeout: 30_000,
          hookTimeout: 30_000
        }
      }
    ]
  }
})
