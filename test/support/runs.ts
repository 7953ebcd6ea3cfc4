/**
 * Shared setup of the run tests: an application on the emulator, fast polling, the request log
 * and temporary directories removed after the file's tests.
 */
import { Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import type { PollingOptions } from "../../src/programs/Polling.js"
import * as Applications from "../../src/services/Applications.js"
import * as Runs from "../../src/services/Runs.js"
import { Emulator } from "../../src/testing/Emulator.js"

/** Fast polling for the emulator's millisecond lifecycles. */
export const fast: Partial<PollingOptions> = { initialDelay: 5, delay: 5, backoff: 2, maxDelay: 20, jitter: 0 }

/** Creates the application `appId`, clears the request log, and hands out the Runs service. */
export const setup = (appId = "app-1") =>
  Effect.gen(function*() {
    yield* Effect.flatMap(Applications.Applications, (apps) => apps.newApplication({ id: appId }))
    const emulator = yield* Emulator
    yield* emulator.clearRequests
    return { runs: yield* Runs.Runs, emulator, appId }
  })

/** The emulator's request log. */
export const requests = Effect.flatMap(Emulator, (e) => e.requests)

/** A maker of temporary directories, all removed after the calling file's tests. Call at module level. */
export const tempDirs = (prefix: string) => {
  const dirs: Array<string> = []
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix))
    dirs.push(dir)
    return dir
  }
}
