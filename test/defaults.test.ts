/**
 * Issue 14 §4: defaults set once. `NextmvDefaults` sets polling options, the retry policy,
 * timeouts, the console URL and the cancel bound for a whole program; per-call and per-client
 * options still win. Polling runs on the TestClock; HTTP goes to the emulator.
 */
import { HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Exit, Fiber, Layer, Logger, Option, Redacted, TestClock } from "effect"
import { InvalidArgumentError, NextmvHttpError, PollingTriesExhaustedError } from "../src/Errors.js"
import * as NextmvDefaults from "../src/NextmvDefaults.js"
import { poll } from "../src/programs/Polling.js"
import { runResultWithPolling } from "../src/programs/Runs.js"
import * as RunTracker from "../src/programs/RunTracker.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { Runs } from "../src/services/Runs.js"
import { drive } from "../src/testing/Drive.js"
import { Emulator, FaultAction } from "../src/testing/Emulator.js"
import { Models } from "../src/testing/index.js"
import { emulatorLayer, servicesLayer, testTimeout } from "./support/layers.js"
import { failureOf, untilLive } from "./support/time.js"

/** Polls a check that records the virtual time of each call and is done at the third. */
const pollThrice = (polling?: Parameters<typeof poll>[1]["polling"]) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const times: Array<number> = []
    const check = Effect.map(Clock.currentTimeMillis, (now) => times.push(now - start))
    const fiber = yield* Effect.fork(poll(check, { until: (count) => count >= 3, polling }))
    yield* TestClock.adjust("1 hour")
    yield* Fiber.join(fiber)
    return times
  })

const everySecondsPolling = { initialDelay: "2 seconds", delay: "3 seconds", backoff: 0, jitter: 0 } as const

describe("NextmvDefaults: polling", () => {
  it.effect("without defaults, the built-in options apply (initial delay 1 s)", () =>
    Effect.gen(function*() {
      const times = yield* pollThrice({ jitter: 0 })
      expect(times[0]).toBe(1000)
    }))

  it.effect("polling defaults set once apply to every poll that gives no options", () =>
    Effect.gen(function*() {
      expect(yield* pollThrice()).toEqual([2000, 5000, 8000])
    }).pipe(Effect.provide(NextmvDefaults.layer({ polling: everySecondsPolling }))))

  it.effect("a call's own polling options still win, key by key", () =>
    Effect.gen(function*() {
      // `delay` from the call, `initialDelay`, `backoff` and `jitter` from the defaults.
      expect(yield* pollThrice({ delay: "1 second" })).toEqual([2000, 3000, 4000])
    }).pipe(Effect.provide(NextmvDefaults.layer({ polling: everySecondsPolling }))))

  it.effect("withDefaults overrides part of a program, merged over the defaults in effect", () =>
    Effect.gen(function*() {
      const inner = yield* pollThrice().pipe(NextmvDefaults.withDefaults({ polling: { delay: "10 seconds" } }))
      expect(inner).toEqual([2000, 12000, 22000])
      // Outside the override, the layer's defaults again.
      expect(yield* pollThrice()).toEqual([2000, 5000, 8000])
      expect((yield* NextmvDefaults.current).polling).toEqual(everySecondsPolling)
    }).pipe(Effect.provide(NextmvDefaults.layer({ polling: everySecondsPolling }))))

  it.effect("a default left undefined keeps the built-in value", () =>
    Effect.gen(function*() {
      const times = yield* pollThrice()
      expect(times[0]).toBe(1000)
    }).pipe(Effect.provide(NextmvDefaults.layer({ polling: { initialDelay: undefined, jitter: 0 } }))))

  it.effect("a polling program (runResultWithPolling) uses the defaults without any option threaded through", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      emulator.areas.applications.seed({ id: "app" })
      // The run takes ten hours of virtual time: polling gives up first.
      emulator.areas.runs.setModel("app", Models.sleep(10 * 3_600_000))
      const runs = yield* Runs
      const runId = yield* runs.newRun("app", { input: { value: 1 } })
      yield* emulator.clearRequests
      const error = yield* failureOf(drive(runResultWithPolling("app", runId)))
      expect(error).toBeInstanceOf(PollingTriesExhaustedError)
      expect((error as PollingTriesExhaustedError).tries).toBe(2)
      const polled = (yield* emulator.requests).filter((r) => r.path === `/v1/applications/app/runs/${runId}/metadata`)
      expect(polled.length).toBe(2)
    }).pipe(
      Effect.provide(servicesLayer()),
      Effect.provide(NextmvDefaults.layer({ polling: { maxTries: 2, initialDelay: 0, delay: "1 second", backoff: 0, jitter: 0 } }))
    ))

  it.effect("the run tracker built under defaults polls with them", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      emulator.areas.applications.seed({ id: "app" })
      emulator.areas.runs.setModel("app", Models.sleep(10 * 3_600_000))
      const runs = yield* Runs
      const runId = yield* runs.newRun("app", { input: { value: 1 } })
      const tracker = yield* RunTracker.RunTracker
      const error = yield* failureOf(drive(tracker.await("app", runId)))
      expect(error).toBeInstanceOf(PollingTriesExhaustedError)
      expect((error as PollingTriesExhaustedError).tries).toBe(3)
    }).pipe(
      Effect.provide(RunTracker.layer().pipe(Layer.provideMerge(servicesLayer()))),
      Effect.provide(NextmvDefaults.layer({ polling: { maxTries: 3, initialDelay: 0, delay: "1 second", backoff: 0, jitter: 0 } }))
    ))
})

describe("NextmvDefaults: the cancel bound", () => {
  /**
   * Interrupts a `cancelOnInterrupt` wait whose cancel is answered 429 (Retry-After 60 s) for ever,
   * and answers after how many virtual seconds the interrupt completed, with the warning lines.
   */
  const cancelBoundSeconds = (callCancelTimeout?: Duration.DurationInput) =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        if (logLevel._tag === "Warning") lines.push(String(message))
      })
      const emulator = yield* Emulator
      emulator.areas.applications.seed({ id: "app" })
      emulator.areas.runs.setModel("app", Models.sleep(10 * 3_600_000))
      const runs = yield* Runs
      const runId = yield* runs.newRun("app", { input: {} })
      const cancelPath = `/v1/applications/app/runs/${runId}/cancel`
      yield* emulator.injectFault({
        method: "PATCH",
        path: cancelPath,
        times: Infinity,
        action: FaultAction.status(429, { retryAfter: 60 })
      })
      const fiber = yield* Effect.fork(
        runResultWithPolling("app", runId, {
          polling: { initialDelay: "1 hour" },
          cancelOnInterrupt: true,
          ...(callCancelTimeout !== undefined ? { cancelTimeout: callCancelTimeout } : {})
        }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      )
      yield* TestClock.adjust("1 second")
      const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* untilLive(Effect.map(emulator.requests, (all) => all.some((r) => r.method === "PATCH" && r.path === cancelPath)))
      let seconds = 0
      while (Option.isNone(yield* Fiber.poll(interrupting)) && seconds < 30) {
        yield* TestClock.adjust("1 second")
        seconds++
      }
      expect(Exit.isInterrupted(yield* Fiber.join(interrupting))).toBe(true)
      return { seconds, lines }
    })

  const layers = servicesLayer({ client: { retry: { maxRetryAfter: "1 hour" } } })

  it.effect("cancelTimeout set once bounds every cancelOnInterrupt", () =>
    Effect.gen(function*() {
      const { lines, seconds } = yield* cancelBoundSeconds()
      expect(seconds).toBe(3)
      expect(lines.some((line) => line.includes("could not cancel run") && line.includes("3s"))).toBe(true)
    }).pipe(Effect.provide(layers), Effect.provide(NextmvDefaults.layer({ cancelTimeout: "3 seconds" }))))

  it.effect("a call's own cancelTimeout wins", () =>
    Effect.gen(function*() {
      expect((yield* cancelBoundSeconds("1 second")).seconds).toBe(1)
    }).pipe(Effect.provide(layers), Effect.provide(NextmvDefaults.layer({ cancelTimeout: "3 seconds" }))))
})

describe("NextmvDefaults: client settings", () => {
  const fastRetry = { backoffFactor: 0, backoffJitter: 0 } as const

  const clientUnder = (options: Partial<NextmvClient.Options> = {}) =>
    Effect.flatMap(
      Emulator,
      (emulator) => NextmvClient.make({ apiKey: emulator.apiKey, baseUrl: emulator.url, timeout: testTimeout, ...options })
    )

  it.effect("the retry policy set once applies to clients built under it; a client's own retry wins", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      yield* emulator.injectFault({ path: "/v1/applications", times: 20, action: FaultAction.status(503) })

      const byDefault = yield* clientUnder()
      const first = yield* failureOf(byDefault.api.text(HttpClientRequest.get("/v1/applications")))
      expect(first).toBeInstanceOf(NextmvHttpError)
      expect(first.attempts).toBe(2)

      const own = yield* clientUnder({ retry: { retries: 3 } })
      const second = yield* failureOf(own.api.text(HttpClientRequest.get("/v1/applications")))
      // The client's `retries` wins; its unset backoff keys still come from the defaults.
      expect(second.attempts).toBe(4)
      expect((yield* emulator.requests).filter((r) => r.path === "/v1/applications").length).toBe(6)
    }).pipe(
      Effect.provide(NextmvDefaults.layer({ retry: { retries: 1, ...fastRetry } })),
      Effect.provide(Layer.merge(emulatorLayer(), NodeHttpClient.layerUndici))
    ))

  it.effect("a call deadline set once applies to clients built under it; a client's own deadline wins", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      yield* emulator.injectFault({ path: "/v1/applications", times: 20, action: FaultAction.status(503) })
      // Retry waits 0 s, then 10 s: the second retry would pass the 5 s deadline, so the call
      // ends before it (the pipeline compares the wait with what is left of the deadline).
      const byDefault = yield* clientUnder()
      const error = yield* failureOf(drive(byDefault.api.text(HttpClientRequest.get("/v1/applications"))))
      expect(error).toBeInstanceOf(NextmvHttpError)
      expect((error as NextmvHttpError).reason).toBe("timeout")
      expect((error as NextmvHttpError).attempts).toBe(2)
      const own = yield* clientUnder({ deadline: "1 hour" })
      const exhausted = yield* failureOf(drive(own.api.text(HttpClientRequest.get("/v1/applications"))))
      expect((exhausted as NextmvHttpError).reason).toBe("status")
      expect((exhausted as NextmvHttpError).attempts).toBe(4)
    }).pipe(
      Effect.provide(
        NextmvDefaults.layer({ deadline: "5 seconds", retry: { retries: 3, backoffFactor: "10 seconds", backoffJitter: 0 } })
      ),
      Effect.provide(Layer.merge(emulatorLayer(), NodeHttpClient.layerUndici))
    ))

  // One of the few tests on real socket time: the timeouts are enforced on the connection, so
  // they are short (150 ms each: a stalled attempt ends after connect + idle, about 300 ms; with
  // the built-in 20 s it would outlast the 20 s bound). The stalled answer closes with the emulator.
  it.live("the idle and connect timeouts set once apply to clients built under them; a client's own timeout wins", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator
      yield* emulator.injectFault({ path: "/v1/applications", times: 1, action: FaultAction.stallRead })
      const byDefault = yield* NextmvClient.make({ apiKey: emulator.apiKey, baseUrl: emulator.url })
      const error = yield* failureOf(byDefault.api.text(HttpClientRequest.get("/v1/applications")))
      expect(error).toBeInstanceOf(NextmvHttpError)
      expect((error as NextmvHttpError).reason).toBe("timeout")
      // A client's own (longer) timeout wins: the next answer is not stalled and arrives in time.
      const own = yield* NextmvClient.make({ apiKey: emulator.apiKey, baseUrl: emulator.url, timeout: "20 seconds" })
      expect(yield* own.api.text(HttpClientRequest.get("/v1/applications"))).toContain("[")
    }).pipe(
      Effect.timeout("20 seconds"),
      Effect.provide(NextmvDefaults.layer({ timeout: "150 millis", connectTimeout: "150 millis", retry: { retries: 0 } })),
      Effect.provide(Layer.merge(emulatorLayer(), NodeHttpClient.layerUndici))
    ))

  it.effect("the console URL set once is used for run links; a client's own consoleUrl wins", () =>
    Effect.gen(function*() {
      const byDefault = yield* clientUnder()
      expect(byDefault.consoleUrl).toBe("https://console.example.test")
      const own = yield* clientUnder({ consoleUrl: "https://mine.example.test/" })
      expect(own.consoleUrl).toBe("https://mine.example.test")
    }).pipe(
      Effect.provide(NextmvDefaults.layer({ consoleUrl: "https://console.example.test/" })),
      Effect.provide(Layer.merge(emulatorLayer(), NodeHttpClient.layerUndici))
    ))

  it.effect("a client layer provided with the defaults below it picks them up (the documented wiring)", () =>
    Effect.gen(function*() {
      const client = yield* NextmvClient.NextmvClient
      expect(client.consoleUrl).toBe("https://console.example.test")
    }).pipe(
      Effect.provide(
        NextmvClient.layer({ apiKey: Redacted.make("k"), baseUrl: "https://api.example.test" }).pipe(
          Layer.provideMerge(NextmvDefaults.layer({ consoleUrl: "https://console.example.test" })),
          Layer.provide(NodeHttpClient.layerUndici)
        )
      )
    ))
})

describe("NextmvDefaults: validation", () => {
  it.effect("a field of the wrong kind is an InvalidArgumentError naming it, from the layer and from withDefaults", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [NextmvDefaults.Defaults, string]> = [
        [{ timeout: "soon" as never }, "timeout must be a duration"],
        [{ cancelTimeout: Number.NaN }, "cancelTimeout must be a duration"],
        [{ retry: { retries: -1 } }, "retry.retries must be a non-negative integer"],
        [{ retry: { backoffMax: "x" as never } }, "retry.backoffMax must be a duration"],
        [{ polling: { maxTries: "many" as never } }, "polling.maxTries must be a number"],
        [{ consoleUrl: "" }, "consoleUrl must be a non-empty string"],
        [null as never, "defaults must be an object"]
      ]
      for (const [defaults, reason] of cases) {
        const fromLayer = yield* failureOf(Effect.provide(Effect.void, NextmvDefaults.layer(defaults)))
        expect(fromLayer).toBeInstanceOf(InvalidArgumentError)
        expect(fromLayer.reason).toBe(reason)
        const fromWith = yield* failureOf(Effect.void.pipe(NextmvDefaults.withDefaults(defaults)))
        expect(fromWith.reason).toBe(reason)
      }
    }))
})
