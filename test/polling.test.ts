import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Exit, Fiber, HashMap, Logger, LogLevel, Option, Ref, Schedule, TestClock } from "effect"
import { PollingTimeoutError, PollingTriesExhaustedError } from "../src/Errors.js"
import { defaultPollingOptions, poll, pollStoppable } from "../src/programs/Polling.js"
import { failureOf } from "./support/time.js"

/** A check that records the clock time of each call and is done on call number `doneAt`. */
const recorder = (doneAt = Infinity) =>
  Effect.gen(function*() {
    const times = yield* Ref.make<Array<number>>([])
    const check = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const all = yield* Ref.updateAndGet(times, (xs) => [...xs, now])
      return { n: all.length, status: all.length >= doneAt ? "succeeded" : "running" }
    })
    return { times, check }
  })

const done = (value: { status: string }) => value.status === "succeeded"
const status = (value: { status: string }) => value.status

describe("poll with nextmv-py's defaults (TestClock)", () => {
  it.effect("checks at 1 s, then after 1.9, 3.7, 7.3, 14.5 and 20 s sleeps (jitter 0)", () =>
    Effect.gen(function*() {
      const { times, check } = yield* recorder(8)
      const fiber = yield* Effect.fork(poll(check, { until: done, status, polling: { jitter: 0 } }))
      yield* TestClock.adjust("10 minutes")
      const result = yield* Fiber.join(fiber)
      expect(result).toEqual({ n: 8, status: "succeeded" })
      expect(yield* Ref.get(times)).toEqual([1000, 2900, 6600, 13900, 28400, 48400, 68400, 88400])
    }))

  it.effect("jitter adds between 0 and 1 s to each sleep, after the cap", () =>
    Effect.gen(function*() {
      const { times, check } = yield* recorder(10)
      const fiber = yield* Effect.fork(poll(check, { until: done }))
      yield* TestClock.adjust("10 minutes")
      yield* Fiber.join(fiber)
      const t = yield* Ref.get(times)
      const base = [1900, 3700, 7300, 14500, 20000, 20000, 20000, 20000, 20000]
      t.slice(1).forEach((time, i) => {
        const sleep = time - t[i]!
        expect(sleep).toBeGreaterThanOrEqual(base[i]!)
        expect(sleep).toBeLessThan(base[i]! + 1000)
      })
    }))

  it.effect("fails with PollingTimeoutError once 300 s have elapsed since the first check", () =>
    Effect.gen(function*() {
      const { times, check } = yield* recorder()
      const fiber = yield* Effect.fork(failureOf(poll(check, { until: done, status, polling: { jitter: 0 } })))
      yield* TestClock.adjust("20 minutes")
      const error = yield* Fiber.join(fiber)
      expect(error).toBeInstanceOf(PollingTimeoutError)
      const timeout = error as PollingTimeoutError
      expect(timeout.tries).toBe(19)
      expect(timeout.elapsedMillis).toBe(307_400)
      expect(timeout.maxDurationMillis).toBe(300_000)
      expect(timeout.lastStatus).toBe("running")
      expect(timeout.lastObserved).toEqual({ n: 19, status: "running" })
      expect((yield* Ref.get(times)).at(-1)).toBe(308_400)
    }))

  it.effect("fails with PollingTriesExhaustedError after maxTries checks, without a last sleep", () =>
    Effect.gen(function*() {
      const { times, check } = yield* recorder()
      const fiber = yield* Effect.fork(failureOf(poll(check, { until: done, status, polling: { maxTries: 3, jitter: 0 } })))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      expect(error).toBeInstanceOf(PollingTriesExhaustedError)
      expect((error as PollingTriesExhaustedError).tries).toBe(3)
      expect((error as PollingTriesExhaustedError).lastStatus).toBe("running")
      expect(yield* Ref.get(times)).toEqual([1000, 2900, 6600])
    }))

  it.effect("negative maxTries and maxDuration mean unlimited", () =>
    Effect.gen(function*() {
      const { check } = yield* recorder(150)
      const fiber = yield* Effect.fork(poll(check, { until: done, polling: { maxTries: -1, maxDuration: -1, jitter: 0 } }))
      yield* TestClock.adjust("2 hours")
      expect((yield* Fiber.join(fiber)).n).toBe(150)
    }))

  it.effect("stop ends polling with Option.none() (typed, no error)", () =>
    Effect.gen(function*() {
      const { times, check } = yield* recorder()
      const stopNow = yield* Ref.make(false)
      const fiber = yield* Effect.fork(pollStoppable(check, { until: done, stop: Ref.get(stopNow), polling: { jitter: 0 } }))
      yield* TestClock.adjust("3 seconds")
      yield* Ref.set(stopNow, true)
      yield* TestClock.adjust("1 minute")
      const result: Option.Option<{ n: number }> = yield* Fiber.join(fiber)
      expect(Option.isNone(result)).toBe(true)
      expect((yield* Ref.get(times)).length).toBe(2)
    }))

  it.effect("with a stop key, a finished value comes back as Option.some", () =>
    Effect.gen(function*() {
      const { check } = yield* recorder(2)
      const fiber = yield* Effect.fork(pollStoppable(check, { until: done, stop: Effect.succeed(false) }))
      yield* TestClock.adjust("1 minute")
      expect(yield* Fiber.join(fiber)).toEqual(Option.some({ n: 2, status: "succeeded" }))
    }))

  it.effect("sleepDuration replaces the backoff formula", () =>
    Effect.gen(function*() {
      const { times, check } = yield* recorder(4)
      const fiber = yield* Effect.fork(poll(check, { until: done, polling: { sleepDuration: Effect.succeed("5 seconds") } }))
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber)
      expect(yield* Ref.get(times)).toEqual([1000, 6000, 11000, 16000])
    }))

  it.effect("accepts any Schedule; its end is PollingTriesExhaustedError", () =>
    Effect.gen(function*() {
      const { times, check } = yield* recorder()
      const fiber = yield* Effect.fork(
        failureOf(poll(check, { until: done, polling: Schedule.spaced("2 seconds").pipe(Schedule.compose(Schedule.recurs(3))) }))
      )
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      expect(error).toBeInstanceOf(PollingTriesExhaustedError)
      expect(yield* Ref.get(times)).toEqual([0, 2000, 4000, 6000])
    }))

  it.effect("errors of the check end polling at once", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const failing = Ref.updateAndGet(calls, (n) => n + 1).pipe(
        Effect.flatMap((n) => (n === 2 ? Effect.fail("boom" as const) : Effect.succeed({ status: "running" })))
      )
      const fiber = yield* Effect.fork(failureOf(poll(failing, { until: done })))
      yield* TestClock.adjust("1 minute")
      expect(yield* Fiber.join(fiber)).toBe("boom")
      expect(yield* Ref.get(calls)).toBe(2)
    }))

  it.effect("interrupting the fiber stops polling at once", () =>
    Effect.gen(function*() {
      const { times, check } = yield* recorder()
      const fiber = yield* Effect.fork(poll(check, { until: done, polling: { jitter: 0 } }))
      yield* TestClock.adjust("3 seconds")
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      yield* TestClock.adjust("10 minutes")
      expect(yield* Ref.get(times)).toEqual([1000, 2900])
    }))

  it.effect("each unsuccessful check is a debug line, annotated; none are built at the default level", () =>
    Effect.gen(function*() {
      const lines: Array<{ message: unknown; annotations: Record<string, unknown> }> = []
      const logger = Logger.make(({ annotations, message }) => {
        lines.push({ message, annotations: Object.fromEntries(HashMap.toEntries(annotations)) })
      })
      const run = (level: LogLevel.LogLevel) =>
        Effect.gen(function*() {
          const { check } = yield* recorder(3)
          const fiber = yield* Effect.fork(
            poll(check, { until: done, status, polling: { jitter: 0 } }).pipe(
              Logger.withMinimumLogLevel(level),
              Effect.provide(Logger.replace(Logger.defaultLogger, logger))
            )
          )
          yield* TestClock.adjust("1 minute")
          yield* Fiber.join(fiber)
        })
      yield* run(LogLevel.Info)
      expect(lines).toEqual([])
      yield* run(LogLevel.Debug)
      expect(lines.map((line) => line.message)).toEqual([["polled"], ["polled"]])
      expect(lines[1]!.annotations).toEqual({
        package: "nextmv-effect",
        module: "Polling",
        tries: 2,
        elapsedMillis: 1900,
        status: "running"
      })
    }))

  it("defaults are nextmv-py's", () => {
    expect(Duration.toMillis(defaultPollingOptions.backoff)).toBe(900)
    expect(Duration.toMillis(defaultPollingOptions.delay)).toBe(100)
    expect(Duration.toMillis(defaultPollingOptions.initialDelay)).toBe(1000)
    expect(Duration.toMillis(defaultPollingOptions.maxDelay)).toBe(20_000)
    expect(Duration.toMillis(defaultPollingOptions.maxDuration)).toBe(300_000)
    expect(defaultPollingOptions.maxTries).toBe(100)
    expect(Duration.toMillis(defaultPollingOptions.jitter)).toBe(1000)
  })
})
