/**
 * Issue 9 B, D, E: local file names never come from ids, a failed download leaves no partial file,
 * interruption with `cancelOnInterrupt` ends within its bound, and server sleep hints are bounded.
 *
 * The emulator runs on a hand-moved clock (`now`), the SDK on the `TestClock`: nothing here waits
 * on the wall clock except for real socket round trips (`untilLive`).
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Logger, Option, Ref, TestClock } from "effect"
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Tar from "tar"
import { PollingTimeoutError } from "../src/Errors.js"
import { newRunWithResult, runLogsWithPolling, runResultWithPolling } from "../src/programs/Runs.js"
import { poll } from "../src/programs/Polling.js"
import { FaultAction } from "../src/testing/Emulator.js"
import { Models } from "../src/testing/index.js"
import { servicesLayer } from "./support/layers.js"
import { requests, setup, tempDirs } from "./support/runs.js"
import { untilLive } from "./support/time.js"

const tempDir = tempDirs("nextmv-hardening-")

/** The emulator's time, moved by hand. */
const manualClock = () => {
  let now = Date.parse("2026-01-01T00:00:00Z")
  return { now: () => now, advance: (millis: number) => void (now += millis) }
}

const sawRequest = (method: string, path: string) => Effect.map(requests, (all) => all.some((r) => r.method === method && r.path === path))

const isDone = <A, E>(fiber: Fiber.Fiber<A, E>) => Effect.map(Fiber.poll(fiber), Option.isSome)

/** A log capture: every message at warning level or above. */
const warnings = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => {
    if (logLevel._tag === "Warning" || logLevel._tag === "Error") lines.push(String(message))
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

describe("B: local file names never come from ids", () => {
  it.effect("a run id with ../ from the server writes nothing outside the temp directory", () => {
    const clock = manualClock()
    return Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      const escape = `nextmv-escape-${Date.now()}-${Math.random().toString(36).slice(2)}`
      const runId = `../${escape}`
      const staging = tempDir()
      writeFileSync(join(staging, "out.txt"), "hello")
      const archive = join(tempDir(), "a.tar.gz")
      yield* Effect.promise(() => Tar.c({ gzip: true, file: archive, cwd: staging, portable: true }, ["out.txt"]))
      const url = emulator.context.blobs.presignDownload(readFileSync(archive), "application/gzip")
      const metadata = {
        id: runId,
        user_email: "",
        name: "",
        description: "",
        created_at: "2026-01-01T00:00:00Z",
        application_id: appId,
        application_instance_id: "devint",
        application_version_id: "",
        metadata: {
          status_v2: "succeeded",
          created_at: "2026-01-01T00:00:00Z",
          duration: 1,
          input_size: 1,
          output_size: 1,
          error: "",
          format: { input: { type: "json" }, output: { type: "multi-file" } }
        }
      }
      yield* emulator.injectFault({
        method: "GET",
        path: "/v1/applications/:appId/runs/:runId/metadata",
        action: FaultAction.status(200, { body: metadata })
      })
      yield* emulator.injectFault({
        method: "GET",
        path: "/v1/applications/:appId/runs/:runId",
        action: FaultAction.status(200, { body: { ...metadata, output: { url } } })
      })
      // The newest nextmv-py downloads a finalized run's output through `…/output?format=url`.
      yield* emulator.injectFault({
        method: "GET",
        path: "/v1/applications/:appId/runs/:runId/output",
        action: FaultAction.status(200, { body: { url } })
      })
      const out = tempDir()
      yield* runs.runResult(appId, runId, { outputDir: out })
      expect(readFileSync(join(out, "out.txt"), "utf8")).toBe("hello")
      // The old code joined `${runId}.tar.gz` to its temp directory, i.e. wrote <tmpdir>/<escape>.tar.gz.
      expect(existsSync(join(tmpdir(), `${escape}.tar.gz`))).toBe(false)
      expect(readdirSync(tmpdir()).some((name) => name.includes(escape))).toBe(false)
    }).pipe(Effect.provide(servicesLayer({ now: clock.now })))
  })

  it.effect("an asset download that breaks mid-body leaves no file behind (and keeps an existing one)", () => {
    const clock = manualClock()
    return Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.assets([{ name: "raw", content: Buffer.alloc(4000, 7), content_type: "binary" }]))
      const runId = yield* runs.newRun(appId, { input: {} })
      clock.advance(60_000)
      const [asset] = yield* runs.listAssets(appId, runId)
      const dir = tempDir()
      const destination = join(dir, "raw.bin")
      yield* emulator.injectFault({ method: "GET", path: "/_presigned/download/:token", action: FaultAction.truncatedBody })
      const error = yield* runs.downloadAssetContent(appId, runId, asset!.id, { destination }).pipe(Effect.flip)
      expect(error._tag).toBe("NextmvHttpError")
      expect(readdirSync(dir)).toEqual([])

      writeFileSync(destination, "previous")
      yield* emulator.injectFault({ method: "GET", path: "/_presigned/download/:token", action: FaultAction.truncatedBody })
      yield* runs.downloadAssetContent(appId, runId, asset!.id, { destination }).pipe(Effect.flip)
      expect(readdirSync(dir)).toEqual(["raw.bin"])
      expect(readFileSync(destination, "utf8")).toBe("previous")

      yield* runs.downloadAssetContent(appId, runId, asset!.id, { destination })
      expect(readFileSync(destination)).toEqual(Buffer.alloc(4000, 7))
      expect(readdirSync(dir)).toEqual(["raw.bin"])
    }).pipe(Effect.provide(servicesLayer({ now: clock.now })))
  })
})

describe("D: interruption with cancelOnInterrupt ends within its bound", () => {
  const cancelPath = (appId: string, runId: string) => `/v1/applications/${appId}/runs/${runId}/cancel`
  const waitLong = { initialDelay: "1 hour" } as const

  it.effect("a cancel answered 429 (Retry-After 60 s) gives up after the default 10 s and logs a warning", () => {
    const clock = manualClock()
    const log = warnings()
    return Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      const runId = yield* runs.newRun(appId, { input: {} })
      yield* emulator.injectFault({
        method: "PATCH",
        path: "/v1/applications/:appId/runs/:runId/cancel",
        times: Infinity,
        action: FaultAction.status(429, { retryAfter: 60 })
      })
      const fiber = yield* Effect.fork(
        runResultWithPolling(appId, runId, { polling: waitLong, cancelOnInterrupt: true }).pipe(Effect.provide(log.layer))
      )
      yield* TestClock.adjust("1 second")
      const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* untilLive(sawRequest("PATCH", cancelPath(appId, runId)))
      yield* TestClock.adjust("9 seconds")
      expect(yield* isDone(interrupting)).toBe(false)
      yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.join(interrupting)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect((yield* requests).filter((r) => r.method === "PATCH")).toHaveLength(1)
      expect(log.lines.some((line) => line.includes(`could not cancel run ${runId}`) && line.includes("10s"))).toBe(true)
    }).pipe(Effect.provide(servicesLayer({ now: clock.now, client: { retry: { maxRetryAfter: "1 hour" } } })))
  })

  it.effect("a stalled cancel is abandoned after cancelTimeout", () => {
    const clock = manualClock()
    return Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      const runId = yield* runs.newRun(appId, { input: {} })
      yield* emulator.injectFault({
        method: "PATCH",
        path: "/v1/applications/:appId/runs/:runId/cancel",
        action: FaultAction.delay("20 seconds")
      })
      const fiber = yield* Effect.fork(
        runResultWithPolling(appId, runId, { polling: waitLong, cancelOnInterrupt: true, cancelTimeout: "2 seconds" })
      )
      yield* TestClock.adjust("1 second")
      const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* untilLive(sawRequest("PATCH", cancelPath(appId, runId)))
      yield* TestClock.adjust("1999 millis")
      expect(yield* isDone(interrupting)).toBe(false)
      yield* TestClock.adjust("1 millis")
      expect(Exit.isInterrupted(yield* Fiber.join(interrupting))).toBe(true)
    }).pipe(Effect.provide(servicesLayer({ now: clock.now })))
  })

  it.effect("an interrupt during the run POST still cancels the run once its id is known", () => {
    const clock = manualClock()
    return Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      yield* emulator.injectFault({
        method: "POST",
        path: "/v1/applications/:appId/runs",
        action: FaultAction.delay("300 millis")
      })
      const fiber = yield* Effect.fork(newRunWithResult(appId, { input: {}, polling: waitLong, cancelOnInterrupt: true }))
      yield* untilLive(sawRequest("POST", `/v1/applications/${appId}/runs`))
      const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
      // The POST's answer arrives on the real clock; the emulator's Delay may follow either clock.
      yield* untilLive(Effect.gen(function*() {
        if (yield* isDone(interrupting)) return true
        yield* TestClock.adjust("20 millis")
        return false
      }))
      expect(Exit.isInterrupted(yield* Fiber.join(interrupting))).toBe(true)
      const all = yield* requests
      const cancels = all.filter((r) => r.method === "PATCH")
      expect(cancels).toHaveLength(1)
      const runId = cancels[0]!.path.split("/")[5]!
      expect((yield* runs.runMetadata(appId, runId)).metadata.status_v2).toBe("canceled")
    }).pipe(Effect.provide(servicesLayer({ now: clock.now })))
  })

  it.effect("no cancel is sent for a run already seen terminal (interrupt during the result download)", () => {
    const clock = manualClock()
    return Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      const runId = yield* runs.newRun(appId, { input: { a: 1 } })
      clock.advance(60_000)
      yield* emulator.injectFault({
        method: "GET",
        path: "/v1/applications/:appId/runs/:runId",
        action: FaultAction.delay("20 seconds")
      })
      const fiber = yield* Effect.fork(
        runResultWithPolling(appId, runId, { polling: { initialDelay: 0 }, cancelOnInterrupt: true })
      )
      yield* untilLive(sawRequest("GET", `/v1/applications/${appId}/runs/${runId}`))
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect((yield* requests).some((r) => r.method === "PATCH")).toBe(false)
      expect((yield* runs.runMetadata(appId, runId)).metadata.status_v2).toBe("succeeded")
    }).pipe(Effect.provide(servicesLayer({ now: clock.now })))
  })
})

describe("E: server sleep hints are bounded", () => {
  it.effect("live logs asking for 86400 s between pages still give up at maxDuration", () => {
    const clock = manualClock()
    return Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(3_600_000))
      const runId = yield* runs.newRun(appId, { input: {} })
      const started = yield* TestClock.currentTimeMillis
      const fiber = yield* Effect.fork(
        runLogsWithPolling(appId, runId, { polling: { initialDelay: 0, maxDuration: "60 seconds", jitter: 0 } })
      )
      yield* untilLive(Effect.gen(function*() {
        if (yield* isDone(fiber)) return true
        yield* TestClock.adjust("1 second")
        return false
      }))
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toBeInstanceOf(PollingTimeoutError)
      // Sleeps of at most maxDelay (20 s) and never past the budget: the last check is at 60 s.
      expect((error as PollingTimeoutError).elapsedMillis).toBe(60_000)
      expect((yield* TestClock.currentTimeMillis) - started).toBeLessThan(70_000)
      const pages = (yield* requests).filter((r) => r.path.endsWith("/logs/live"))
      expect(pages).toHaveLength(4)
    }).pipe(Effect.provide(servicesLayer({ now: clock.now, runs: { liveLogsHintSeconds: 86400 } })))
  })
})

describe("E: hints through Polling.poll (TestClock)", () => {
  const record = Effect.gen(function*() {
    const times = yield* Ref.make<Array<number>>([])
    const check = Effect.flatMap(TestClock.currentTimeMillis, (now) => Ref.update(times, (xs) => [...xs, now]))
    return { times, check }
  })

  const hints = [["86400 s", Duration.seconds(86400)], ["1e308 s", Duration.seconds(1e308)], ["infinity", Duration.infinity]] as const
  for (const [label, hint] of hints) {
    it.effect(`a hint of ${label} sleeps maxDelay at most`, () =>
      Effect.gen(function*() {
        const { times, check } = yield* record
        const fiber = yield* Effect.fork(
          poll(check, {
            until: () => false,
            polling: { initialDelay: 0, maxDelay: "5 seconds", maxTries: 3, sleepDuration: Effect.succeed(hint) }
          }).pipe(Effect.flip)
        )
        yield* TestClock.adjust("1 minute")
        expect((yield* Fiber.join(fiber))._tag).toBe("PollingTriesExhaustedError")
        expect(yield* Ref.get(times)).toEqual([0, 5000, 10000])
      }))
  }

  it.effect("a hint longer than the remaining budget is cut to the budget", () =>
    Effect.gen(function*() {
      const { times, check } = yield* record
      const fiber = yield* Effect.fork(
        poll(check, {
          until: () => false,
          polling: {
            initialDelay: 0,
            maxDelay: "1 hour",
            maxDuration: "30 seconds",
            sleepDuration: Effect.succeed(Duration.hours(24))
          }
        }).pipe(Effect.flip)
      )
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      expect(error).toBeInstanceOf(PollingTimeoutError)
      expect(yield* Ref.get(times)).toEqual([0, 30000])
    }))
})
