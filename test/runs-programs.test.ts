import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Fiber, Option, Stream, TestClock } from "effect"
import { PollingTimeoutError, PollingTriesExhaustedError } from "../src/Errors.js"
import {
  newRunWithResult,
  newRunWithResultStoppable,
  RunFailedError,
  runLogsStream,
  runLogsWithPolling,
  runResultWithPolling,
  trackRunWithResult,
  watchRun
} from "../src/programs/Runs.js"
import { Models } from "../src/testing/index.js"
import { servicesLayer } from "./support/layers.js"
import { fast, setup } from "./support/runs.js"
import { driven, failureOf } from "./support/time.js"
import { drive, driveUntil, eventually, sleeping } from "../src/testing/Drive.js"
import type { Service as EmulatorService } from "../src/testing/Emulator.js"

/** How many metadata checks reached the emulator. */
const metadataRequests = (emulator: EmulatorService) =>
  Effect.map(emulator.requests, (requests) => requests.filter((r) => r.path.endsWith("/metadata")).length)

describe("newRunWithResult and runResultWithPolling", () => {
  it.effect("submits, polls until succeeded and returns the result", () =>
    driven(function*() {
      const { appId, emulator } = yield* setup()
      const result = yield* newRunWithResult(appId, { input: { value: 3 }, polling: fast })
      expect(result.metadata.status_v2).toBe("succeeded")
      expect(result.output).toMatchObject({ solutions: [{ value: 3 }] })
      const paths = (yield* emulator.requests).map((r) => r.path)
      expect(paths[0]).toBe("/v1/applications/app-1/runs")
      expect(paths.filter((p) => p.endsWith("/metadata")).length).toBeGreaterThan(1)
      expect(paths.at(-1)).toMatch(/\/runs\/latest-[0-9a-f]+$/)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("a failed run fails with RunFailedError carrying status, message and result", () =>
    driven(function*() {
      const { appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.fail("no feasible solution"))
      const error = yield* newRunWithResult(appId, { input: {}, polling: fast }).pipe(failureOf)
      expect(error).toBeInstanceOf(RunFailedError)
      const failed = error as RunFailedError
      expect(failed.status).toBe("failed")
      expect(failed.error).toBe("no feasible solution")
      expect(failed.result.error_log?.error).toBe("no feasible solution")
      expect(failed.message).toBe(`Run ${failed.runId} ended failed: no feasible solution`)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("a canceled run fails with RunFailedError", () =>
    Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(5_000))
      const runId = yield* runs.newRun(appId, { input: {} })
      const waiting = yield* Effect.fork(runResultWithPolling(appId, runId, { polling: fast }))
      // The poller waits for its first check (virtual time stands still) while the run is canceled.
      yield* runs.cancelRun(appId, runId)
      const error = yield* drive(Fiber.join(waiting)).pipe(failureOf)
      expect(error).toBeInstanceOf(RunFailedError)
      expect((error as RunFailedError).status).toBe("canceled")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("gives up with PollingTimeoutError after maxDuration", () =>
    driven(function*() {
      const { appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000))
      const error = yield* newRunWithResult(appId, { input: {}, polling: { ...fast, maxDuration: 60 } }).pipe(failureOf)
      expect(error).toBeInstanceOf(PollingTimeoutError)
      expect((error as PollingTimeoutError).lastStatus).toBe("running")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("gives up with PollingTriesExhaustedError after maxTries", () =>
    driven(function*() {
      const { appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000))
      const error = yield* newRunWithResult(appId, { input: {}, polling: { ...fast, maxTries: 3 } }).pipe(failureOf)
      expect(error).toBeInstanceOf(PollingTriesExhaustedError)
      expect((error as PollingTriesExhaustedError).tries).toBe(3)
      const metadataCalls = (yield* emulator.requests).filter((r) => r.path.endsWith("/metadata"))
      expect(metadataCalls.length).toBe(3)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("stop ends waiting with Option.none() and no error", () =>
    driven(function*() {
      const { appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000))
      let checks = 0
      const result = yield* newRunWithResultStoppable(appId, {
        input: {},
        polling: fast,
        stop: Effect.sync(() => ++checks > 2)
      })
      expect(Option.isNone(result)).toBe(true)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("trackRunWithResult tracks and returns the stored result", () =>
    driven(function*() {
      yield* setup()
      const result = yield* trackRunWithResult("app-1", { status: "succeeded", input: { a: 1 }, output: { b: 2 } }, { polling: fast })
      expect(result.output).toEqual({ b: 2 })
      expect(result.metadata.run_type.type).toBe("external")
    }).pipe(Effect.provide(servicesLayer())))
})

describe("interruption", () => {
  it.effect("interrupting stops polling: no request after the interruption", () =>
    Effect.gen(function*() {
      const { appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000))
      const fiber = yield* Effect.fork(newRunWithResult(appId, { input: {}, polling: fast }))
      // Interrupted between two checks (asleep), so no request is on the wire.
      yield* driveUntil(Effect.zipWith(metadataRequests(emulator), sleeping(), (n, asleep) => n >= 3 && asleep))
      yield* Fiber.interrupt(fiber)
      const before = (yield* emulator.requests).length
      yield* TestClock.adjust("1 minute")
      const after = yield* emulator.requests
      expect(after.length).toBe(before)
      expect(after.some((r) => r.method === "PATCH")).toBe(false)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("cancelOnInterrupt cancels the remote run", () =>
    Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000))
      const runId = yield* runs.newRun(appId, { input: {} })
      const fiber = yield* Effect.fork(runResultWithPolling(appId, runId, { polling: fast, cancelOnInterrupt: true }))
      yield* driveUntil(Effect.zipWith(metadataRequests(emulator), sleeping(), (n, asleep) => n >= 2 && asleep))
      yield* Fiber.interrupt(fiber)
      const cancels = (yield* emulator.requests).filter((r) => r.method === "PATCH")
      expect(cancels.map((r) => r.path)).toEqual([`/v1/applications/app-1/runs/${runId}/cancel`])
      expect((yield* runs.runMetadata(appId, runId)).metadata.status_v2).toBe("canceled")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("interrupting aborts an in-flight request", () =>
    Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      const runId = yield* runs.newRun(appId, { input: {} })
      // The emulator holds the answer for an hour of real time: an interruption that waited for
      // it would hang this test (the emulator drops the delay when the socket closes).
      yield* emulator.injectFault({ path: "/v1/applications/:appId/runs/:runId/metadata", action: { _tag: "Delay", delay: "1 hour" } })
      const fiber = yield* Effect.fork(runs.runMetadata(appId, runId))
      yield* eventually(Effect.map(metadataRequests(emulator), (n) => n === 1))
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
    }).pipe(Effect.provide(servicesLayer())))
})

describe("watchRun", () => {
  it.effect("emits one snapshot per status change and ends at the terminal status", () =>
    driven(function*() {
      const { runs, appId } = yield* setup()
      const runId = yield* runs.newRun(appId, { input: {} })
      const statuses = yield* watchRun(appId, runId, { polling: { ...fast, initialDelay: 0 } }).pipe(
        Stream.map((info) => info.metadata.status_v2),
        Stream.runCollect
      )
      expect(Chunk.toReadonlyArray(statuses)).toEqual(["queued", "running", "succeeded"])
    }).pipe(Effect.provide(servicesLayer({ runs: { queuedMillis: 80, runningMillis: 80 } }))))

  it.effect("fails with the polling error when polling gives up", () =>
    driven(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000))
      const runId = yield* runs.newRun(appId, { input: {} })
      const error = yield* watchRun(appId, runId, { polling: { ...fast, maxTries: 2 } }).pipe(Stream.runDrain, failureOf)
      expect(error).toBeInstanceOf(PollingTriesExhaustedError)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("taking only the first snapshot stops the polling", () =>
    Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000))
      const runId = yield* runs.newRun(appId, { input: {} })
      // The first check comes at once; the second would need virtual time, which stands still.
      const first = yield* watchRun(appId, runId, { polling: { ...fast, initialDelay: 0 } }).pipe(Stream.take(1), Stream.runCollect)
      expect(Chunk.size(first)).toBe(1)
      const count = (yield* emulator.requests).length
      yield* TestClock.adjust("1 minute")
      expect((yield* emulator.requests).length).toBe(count)
    }).pipe(Effect.provide(servicesLayer())))
})

describe("live logs", () => {
  const lines = ["one", "two", "three", "four", "five"]

  it.effect("runLogsWithPolling follows since tokens across several pages and sorts by timestamp", () =>
    driven(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.logs(lines))
      const runId = yield* runs.newRun(appId, { input: {} })
      const entries = yield* runLogsWithPolling(appId, runId, { polling: fast })
      expect(entries.map((e) => e.log)).toEqual(lines)
      const live = (yield* emulator.requests).filter((r) => r.path.endsWith("/logs/live"))
      expect(live[0]!.query).toEqual({})
      expect(live.length).toBeGreaterThanOrEqual(3) // page size 2: at least 3 pages for 5 lines
      const tokens = live.slice(1).map((r) => r.query["since"])
      expect(tokens.every((t) => typeof t === "string" && t.length > 0)).toBe(true)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("runLogsStream emits lines while the run is still running", () =>
    driven(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(3_000, Models.logs(lines)))
      const runId = yield* runs.newRun(appId, { input: {} })
      const first = yield* runLogsStream(appId, runId, { polling: fast }).pipe(Stream.take(1), Stream.runCollect)
      expect(Chunk.toReadonlyArray(first).map((e) => e.log)).toEqual(["one"])
      expect((yield* runs.runMetadata(appId, runId)).metadata.status_v2).toBe("running")
    }).pipe(Effect.provide(servicesLayer())))
})
