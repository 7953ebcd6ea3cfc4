import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Fiber, Option, Stream } from "effect"
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

/** Fast polling for tests against the emulator's millisecond lifecycles. */


describe("newRunWithResult and runResultWithPolling", () => {
  it.live("submits, polls until succeeded and returns the result", () =>
    Effect.gen(function*() {
      const { appId, emulator } = yield* setup()
      const result = yield* newRunWithResult(appId, { input: { value: 3 }, polling: fast })
      expect(result.metadata.status_v2).toBe("succeeded")
      expect(result.output).toMatchObject({ solutions: [{ value: 3 }] })
      const paths = (yield* emulator.requests).map((r) => r.path)
      expect(paths[0]).toBe("/v1/applications/app-1/runs")
      expect(paths.filter((p) => p.endsWith("/metadata")).length).toBeGreaterThan(1)
      expect(paths.at(-1)).toMatch(/\/runs\/latest-[0-9a-f]+$/)
    }).pipe(Effect.provide(servicesLayer())))

  it.live("a failed run fails with RunFailedError carrying status, message and result", () =>
    Effect.gen(function*() {
      const { appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.fail("no feasible solution"))
      const error = yield* newRunWithResult(appId, { input: {}, polling: fast }).pipe(Effect.flip)
      expect(error).toBeInstanceOf(RunFailedError)
      const failed = error as RunFailedError
      expect(failed.status).toBe("failed")
      expect(failed.error).toBe("no feasible solution")
      expect(failed.result.error_log?.error).toBe("no feasible solution")
      expect(failed.message).toBe(`Run ${failed.runId} ended failed: no feasible solution`)
    }).pipe(Effect.provide(servicesLayer())))

  it.live("a canceled run fails with RunFailedError", () =>
    Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(5_000))
      const runId = yield* runs.newRun(appId, { input: {} })
      const waiting = yield* Effect.fork(runResultWithPolling(appId, runId, { polling: fast }))
      yield* Effect.sleep(30)
      yield* runs.cancelRun(appId, runId)
      const error = yield* Fiber.join(waiting).pipe(Effect.flip)
      expect(error).toBeInstanceOf(RunFailedError)
      expect((error as RunFailedError).status).toBe("canceled")
    }).pipe(Effect.provide(servicesLayer())))

  it.live("gives up with PollingTimeoutError after maxDuration", () =>
    Effect.gen(function*() {
      const { appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000))
      const error = yield* newRunWithResult(appId, { input: {}, polling: { ...fast, maxDuration: 60 } }).pipe(Effect.flip)
      expect(error).toBeInstanceOf(PollingTimeoutError)
      expect((error as PollingTimeoutError).lastStatus).toBe("running")
    }).pipe(Effect.provide(servicesLayer())))

  it.live("gives up with PollingTriesExhaustedError after maxTries", () =>
    Effect.gen(function*() {
      const { appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000))
      const error = yield* newRunWithResult(appId, { input: {}, polling: { ...fast, maxTries: 3 } }).pipe(Effect.flip)
      expect(error).toBeInstanceOf(PollingTriesExhaustedError)
      expect((error as PollingTriesExhaustedError).tries).toBe(3)
      const metadataCalls = (yield* emulator.requests).filter((r) => r.path.endsWith("/metadata"))
      expect(metadataCalls.length).toBe(3)
    }).pipe(Effect.provide(servicesLayer())))

  it.live("stop ends waiting with Option.none() and no error", () =>
    Effect.gen(function*() {
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

  it.live("trackRunWithResult tracks and returns the stored result", () =>
    Effect.gen(function*() {
      yield* setup()
      const result = yield* trackRunWithResult("app-1", { status: "succeeded", input: { a: 1 }, output: { b: 2 } }, { polling: fast })
      expect(result.output).toEqual({ b: 2 })
      expect(result.metadata.run_type.type).toBe("external")
    }).pipe(Effect.provide(servicesLayer())))
})

describe("interruption", () => {
  it.live("interrupting stops polling: no request after the interruption", () =>
    Effect.gen(function*() {
      const { appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000))
      const fiber = yield* Effect.fork(newRunWithResult(appId, { input: {}, polling: fast }))
      yield* Effect.sleep(60)
      yield* Fiber.interrupt(fiber)
      // A request already on the wire may still land just after the interruption.
      yield* Effect.sleep(30)
      const before = (yield* emulator.requests).length
      yield* Effect.sleep(100)
      const after = yield* emulator.requests
      expect(after.length).toBe(before)
      expect(after.some((r) => r.method === "PATCH")).toBe(false)
    }).pipe(Effect.provide(servicesLayer())))

  it.live("cancelOnInterrupt cancels the remote run", () =>
    Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000))
      const runId = yield* runs.newRun(appId, { input: {} })
      const fiber = yield* Effect.fork(runResultWithPolling(appId, runId, { polling: fast, cancelOnInterrupt: true }))
      yield* Effect.sleep(40)
      yield* Fiber.interrupt(fiber)
      const cancels = (yield* emulator.requests).filter((r) => r.method === "PATCH")
      expect(cancels.map((r) => r.path)).toEqual([`/v1/applications/app-1/runs/${runId}/cancel`])
      expect((yield* runs.runMetadata(appId, runId)).metadata.status_v2).toBe("canceled")
    }).pipe(Effect.provide(servicesLayer())))

  it.live("interrupting aborts an in-flight request", () =>
    Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      const runId = yield* runs.newRun(appId, { input: {} })
      yield* emulator.injectFault({ path: "/v1/applications/:appId/runs/:runId/metadata", action: { _tag: "Delay", delay: "5 seconds" } })
      const started = Date.now()
      const fiber = yield* Effect.fork(runs.runMetadata(appId, runId))
      yield* Effect.sleep(50)
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      // The interruption did not wait for the 5 s response.
      expect(Date.now() - started).toBeLessThan(2_000)
    }).pipe(Effect.provide(servicesLayer())))
})

describe("watchRun", () => {
  it.live("emits one snapshot per status change and ends at the terminal status", () =>
    Effect.gen(function*() {
      const { runs, appId } = yield* setup()
      const runId = yield* runs.newRun(appId, { input: {} })
      const statuses = yield* watchRun(appId, runId, { polling: { ...fast, initialDelay: 0 } }).pipe(
        Stream.map((info) => info.metadata.status_v2),
        Stream.runCollect
      )
      expect(Chunk.toReadonlyArray(statuses)).toEqual(["queued", "running", "succeeded"])
    }).pipe(Effect.provide(servicesLayer({ runs: { queuedMillis: 80, runningMillis: 80 } }))))

  it.live("fails with the polling error when polling gives up", () =>
    Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000))
      const runId = yield* runs.newRun(appId, { input: {} })
      const error = yield* watchRun(appId, runId, { polling: { ...fast, maxTries: 2 } }).pipe(Stream.runDrain, Effect.flip)
      expect(error).toBeInstanceOf(PollingTriesExhaustedError)
    }).pipe(Effect.provide(servicesLayer())))

  it.live("taking only the first snapshot stops the polling", () =>
    Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000))
      const runId = yield* runs.newRun(appId, { input: {} })
      const first = yield* watchRun(appId, runId, { polling: fast }).pipe(Stream.take(1), Stream.runCollect)
      expect(Chunk.size(first)).toBe(1)
      const count = (yield* emulator.requests).length
      yield* Effect.sleep(80)
      expect((yield* emulator.requests).length).toBe(count)
    }).pipe(Effect.provide(servicesLayer())))
})

describe("live logs", () => {
  const lines = ["one", "two", "three", "four", "five"]

  it.live("runLogsWithPolling follows since tokens across several pages and sorts by timestamp", () =>
    Effect.gen(function*() {
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

  it.live("runLogsStream emits lines while the run is still running", () =>
    Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(3_000, Models.logs(lines)))
      const runId = yield* runs.newRun(appId, { input: {} })
      const first = yield* runLogsStream(appId, runId, { polling: fast }).pipe(Stream.take(1), Stream.runCollect)
      expect(Chunk.toReadonlyArray(first).map((e) => e.log)).toEqual(["one"])
      expect((yield* runs.runMetadata(appId, runId)).metadata.status_v2).toBe("running")
    }).pipe(Effect.provide(servicesLayer())))
})
