/**
 * RunTracker over HTTP against the emulator, on virtual time (TestClock + the emulator's clock).
 */
import { NodeHttpClient } from "@effect/platform-node"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Layer, Stream } from "effect"
import { PollingTriesExhaustedError } from "../src/Errors.js"
import * as RunPrograms from "../src/programs/Runs.js"
import { RunFailedError } from "../src/programs/RunFailedError.js"
import * as RunTracker from "../src/programs/RunTracker.js"
import * as Applications from "../src/services/Applications.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { Emulator } from "../src/testing/Emulator.js"
import * as EmulatorModule from "../src/testing/Emulator.js"
import { type DecisionModel, Models } from "../src/testing/index.js"
import { servicesLayer } from "./support/layers.js"
import { runVirtual, type VirtualClock, virtualClock } from "./support/virtualTime.js"

/** The echo model, running as many milliseconds as the input's `millis` (default 60). */
const timed: DecisionModel = (input) => {
  const given = typeof input.input === "object" && input.input !== null && "millis" in input.input
    ? input.input.millis
    : undefined
  return { ...Models.echo(input), durationMillis: typeof given === "number" ? given : 60 }
}

/** Polling that checks soon and backs off to 5 s. */
const polling = { initialDelay: 500, delay: 100, backoff: 250, maxDelay: 5_000, jitter: 0 }

const trackerLayer = (clock: VirtualClock, options: EmulatorModule.ClientOptions = {}, tracker: RunTracker.Options = {}) =>
  RunTracker.layer({ polling, ...tracker }).pipe(Layer.provideMerge(servicesLayer({ now: () => clock.millis, ...options })))

const setup = Effect.gen(function*() {
  yield* Effect.flatMap(Applications.Applications, (apps) => apps.newApplication({ id: "app-1" }))
  const emulator = yield* Emulator
  emulator.areas.runs.setModel("app-1", timed)
  yield* emulator.clearRequests
  return { emulator, tracker: yield* RunTracker.RunTracker }
})

const resultGets = (requests: ReadonlyArray<EmulatorModule.RecordedRequest>, runId: string) =>
  requests.filter((r) => r.method === "GET" && r.path === `/v1/applications/app-1/runs/${runId}`).length

/** Most requests of `match` in one fixed window of `perMillis`, from the request log. */
const busiest = (
  requests: ReadonlyArray<EmulatorModule.RecordedRequest>,
  match: (r: EmulatorModule.RecordedRequest) => boolean,
  perMillis: number
) => {
  const counts = new Map<number, number>()
  for (const r of requests.filter(match)) {
    const w = Math.floor(r.time / perMillis)
    counts.set(w, (counts.get(w) ?? 0) + 1)
  }
  return Math.max(0, ...counts.values())
}

describe("RunTracker: one scheduler, inside the limits", () => {
  // Small limits, the same on both sides, so the test crosses many windows quickly.
  const limits = {
    submission: { requests: 2, perMillis: 1_000 },
    results: { requests: 5, perMillis: 10_000 },
    api: { requests: 30, perMillis: 60_000 }
  }
  const budget = {
    submission: { requests: 2, per: 1_000 },
    results: { requests: 5, per: 10_000 },
    api: { requests: 30, per: 60_000 }
  }

  it.effect("40 runs: every result fetched once, no 429, no window over the limit", () => {
    const clock = virtualClock()
    return Effect.gen(function*() {
      const { emulator, tracker } = yield* setup
      const before = (yield* emulator.rateLimits).accepted.api
      const results = yield* runVirtual(
        clock,
        Effect.forEach(
          Array.from({ length: 40 }, (_, i) => i),
          (i) =>
            tracker.submit("app-1", { input: { millis: 2_000 + (i % 7) * 9_000, i } }).pipe(
              // Two waiters per run: still one result request.
              Effect.flatMap((runId) => Effect.all([tracker.await("app-1", runId), tracker.await("app-1", runId)], { concurrency: 2 }))
            ),
          { concurrency: "unbounded" }
        )
      )
      expect(results.length).toBe(40)
      for (const [a, b] of results) {
        expect(a.metadata.status_v2).toBe("succeeded")
        expect(b).toBe(a)
      }
      const requests = yield* emulator.requests
      const submissions = requests.filter((r) => r.method === "POST" && r.path === "/v1/applications/app-1/runs")
      expect(submissions.length).toBe(40)
      for (const [a] of results) expect(resultGets(requests, a.id)).toBe(1)
      // Counted by hand from the request log, per fixed window of the emulator clock.
      const api = requests.filter((r) => r.path.startsWith("/v1/"))
      expect(busiest(api, (r) => r.method === "POST" && r.path === "/v1/applications/app-1/runs", 1_000)).toBeLessThanOrEqual(2)
      expect(busiest(api, (r) => r.method === "GET" && /\/runs\/[^/]+$/.test(r.path), 10_000)).toBeLessThanOrEqual(5)
      expect(busiest(api, () => true, 60_000)).toBeLessThanOrEqual(30)
      const stats = yield* emulator.rateLimits
      expect(stats.refused).toEqual({ submission: 0, results: 0, api: 0 })
      expect(stats.windowsOverLimit).toBe(0)
      expect(stats.accepted.api - before).toBe(api.length)
      const own = yield* tracker.stats
      expect(own).toMatchObject({ tracked: 0, succeeded: 40, failed: 0, errored: 0, results: 40 })
      expect(own.budget.rateLimited).toBe(0)
      // Sockets never exceed the budget's connection cap (default 16).
      expect((yield* emulator.connections).peak).toBeLessThanOrEqual(16)
    }).pipe(Effect.provide(trackerLayer(clock, { rateLimits: limits, client: { budget } })))
  }, 120_000)

  it.effect("recovers when another client used up the API budget: one 429 window, then every run ends", () => {
    const clock = virtualClock()
    const limits = { api: { requests: 20, perMillis: 60_000 } }
    return Effect.gen(function*() {
      const { emulator, tracker } = yield* setup
      const runs = yield* Effect.forEach(
        [1, 2, 3],
        (i) =>
          Effect.map(Effect.sync(() => emulator.areas.runs.submit("app-1", { input: { millis: 3_000, i } })), (r) => "id" in r ? r.id : "")
      )
      // Another process with the same account spends the rest of this minute's budget.
      const spent = (yield* emulator.rateLimits).accepted.api
      yield* Effect.gen(function*() {
        const other = yield* NextmvClient.make({ apiKey: emulator.apiKey, baseUrl: emulator.url, budget: false })
        for (let i = spent; i < 20; i++) yield* other.api.discard(HttpClientRequest.get("/v1/applications"))
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
      yield* emulator.clearRequests
      const results = yield* runVirtual(
        clock,
        Effect.forEach(runs, (runId) => tracker.await("app-1", runId), { concurrency: "unbounded" })
      )
      expect(results.map((r) => r.metadata.status_v2)).toEqual(["succeeded", "succeeded", "succeeded"])
      const stats = yield* emulator.rateLimits
      // The first checks were refused (at most one per connection in flight), all in one window;
      // then the whole client waited out Retry-After and stayed inside the limit.
      expect(stats.refused.api).toBeGreaterThanOrEqual(1)
      expect(stats.windowsOverLimit).toBe(1)
      const budgetState = (yield* tracker.stats).budget
      expect(budgetState.rateLimited).toBe(stats.refused.api)
      const requests = yield* emulator.requests
      const refusedAt = requests[0]!.time
      const accepted = requests.slice(stats.refused.api)
      expect(accepted.every((r) => r.time >= 60_000)).toBe(true)
      expect(refusedAt).toBeLessThan(60_000)
      for (const runId of runs) expect(resultGets(requests, runId)).toBe(1)
    }).pipe(Effect.provide(trackerLayer(clock, { rateLimits: limits, client: { budget: { api: { requests: 20, per: "1 minute" } } } })))
  })
})

describe("RunTracker: outcomes, streams, cancel", () => {
  it.effect("failed runs fail every waiter with RunFailedError; the stream shows each status once", () => {
    const clock = virtualClock()
    return Effect.gen(function*() {
      const { emulator, tracker } = yield* setup
      emulator.areas.runs.setModel("app-1/bad", Models.sleep(4_000, Models.fail("infeasible")))
      const runId = yield* tracker.submit("app-1", { input: { millis: 4_000 }, instanceId: "bad" })
      const [statuses, outcome] = yield* runVirtual(
        clock,
        Effect.all([
          Stream.runCollect(tracker.changes("app-1", runId)).pipe(
            Effect.map((c) => Chunk.toReadonlyArray(c).map((i) => i.metadata.status_v2))
          ),
          Effect.flip(tracker.await("app-1", runId))
        ], { concurrency: 2 })
      )
      expect(statuses).toEqual(["running", "failed"])
      const error = outcome
      expect(error).toBeInstanceOf(RunFailedError)
      expect((error as RunFailedError).status).toBe("failed")
      expect((error as RunFailedError).error).toBe("infeasible")
      // A late waiter gets the kept outcome without new requests.
      yield* emulator.clearRequests
      const late = yield* Effect.flip(tracker.await("app-1", runId))
      expect(late).toBe(error)
      expect(yield* emulator.requests).toEqual([])
    }).pipe(Effect.provide(trackerLayer(clock, { runs: { queuedMillis: 100 } })))
  })

  it.effect("interrupting one waiter leaves the others; cancel ends the run as canceled", () => {
    const clock = virtualClock()
    return Effect.gen(function*() {
      const { emulator, tracker } = yield* setup
      const keep = yield* tracker.submit("app-1", { input: { millis: 30_000 } })
      const stop = yield* tracker.submit("app-1", { input: { millis: 600_000 } })
      const outcome = yield* runVirtual(
        clock,
        Effect.gen(function*() {
          const first = yield* Effect.fork(tracker.await("app-1", keep))
          const second = yield* Effect.fork(tracker.await("app-1", keep))
          const canceled = yield* Effect.fork(Effect.flip(tracker.await("app-1", stop)))
          yield* Effect.sleep("2 seconds")
          yield* Fiber.interrupt(first)
          yield* tracker.cancel("app-1", stop)
          return { kept: yield* Fiber.join(second), canceled: yield* Fiber.join(canceled) }
        })
      )
      expect(outcome.kept.metadata.status_v2).toBe("succeeded")
      expect(outcome.canceled).toBeInstanceOf(RunFailedError)
      expect((outcome.canceled as RunFailedError).status).toBe("canceled")
      const requests = yield* emulator.requests
      expect(requests.filter((r) => r.method === "PATCH" && r.path.endsWith(`/runs/${stop}/cancel`)).length).toBe(1)
      expect(resultGets(requests, keep)).toBe(1)
    }).pipe(Effect.provide(trackerLayer(clock)))
  })

  it.effect("maxTries ends tracking with PollingTriesExhaustedError", () => {
    const clock = virtualClock()
    return Effect.gen(function*() {
      const { tracker } = yield* setup
      // The first registration decides a run's polling options.
      const runId = yield* tracker.submit("app-1", { input: { millis: 600_000 }, polling: { maxTries: 3 } })
      const error = yield* runVirtual(clock, Effect.flip(tracker.await("app-1", runId, { polling: { maxTries: 50 } })))
      expect(error).toBeInstanceOf(PollingTriesExhaustedError)
      expect((error as PollingTriesExhaustedError).tries).toBe(3)
      expect((error as PollingTriesExhaustedError).lastStatus).toBe("running")
    }).pipe(Effect.provide(trackerLayer(clock)))
  })

  it.effect("checks follow the polling formula: initialDelay, then delay + backoff·2^n capped", () => {
    const clock = virtualClock()
    return Effect.gen(function*() {
      const { emulator, tracker } = yield* setup
      const runId = yield* tracker.submit("app-1", { input: { millis: 20_000 } })
      yield* emulator.clearRequests
      yield* runVirtual(clock, tracker.await("app-1", runId))
      const checks = (yield* emulator.requests).filter((r) => r.path.endsWith("/metadata")).map((r) => r.time)
      // 500, then sleeps of 0.1 + 0.25·2^n s: 0.6, 1.1, 2.1, 4.1, then 5 s (capped).
      expect(checks).toEqual([500, 1_100, 2_200, 4_300, 8_400, 13_400, 18_400, 23_400])
    }).pipe(Effect.provide(trackerLayer(clock)))
  })
})

describe("RunPrograms on the tracker", () => {
  it.effect("newRunWithResult and watchRun keep their API and run on the tracker when it is provided", () => {
    const clock = virtualClock()
    return Effect.gen(function*() {
      const { emulator, tracker } = yield* setup
      const [result, statuses] = yield* runVirtual(
        clock,
        Effect.gen(function*() {
          const result = yield* RunPrograms.newRunWithResult("app-1", { input: { millis: 3_000 }, polling })
          const watched = yield* Stream.runCollect(RunPrograms.watchRun("app-1", result.id, { polling }))
          return [result, Chunk.toReadonlyArray(watched).map((i) => i.metadata.status_v2)] as const
        })
      )
      expect(result.metadata.status_v2).toBe("succeeded")
      expect(statuses).toEqual(["succeeded"])
      const stats = yield* tracker.stats
      expect(stats.succeeded).toBe(1)
      expect(stats.results).toBe(1)
      expect(resultGets(yield* emulator.requests, result.id)).toBe(1)
    }).pipe(Effect.provide(trackerLayer(clock)))
  })
})

describe("Emulator rate limits", () => {
  it.effect("429 with Retry-After per class, counted per window of the emulator clock; refused requests not counted", () => {
    let now = 0
    return Effect.gen(function*() {
      const emulator = yield* Emulator
      const client = yield* NextmvClient.make({ apiKey: emulator.apiKey, baseUrl: emulator.url, budget: false, retry: { retries: 0 } })
      yield* Effect.flatMap(Applications.Applications, (apps) => apps.newApplication({ id: "app-1" }))
      const submit = client.api.text(
        HttpClientRequest.post("/v1/applications/app-1/runs").pipe(HttpClientRequest.bodyUnsafeJson({ input: {} }))
      )
      now = 250
      for (let i = 0; i < 5; i++) yield* submit
      const refused = yield* Effect.flip(submit)
      expect(refused.status).toBe(429)
      expect(refused.body).toContain("rate limit exceeded: 5 submission requests per 1 s")
      const raw = yield* HttpClient.HttpClient
      const answer = yield* raw.execute(
        HttpClientRequest.post(`${emulator.url}/v1/applications/app-1/runs`).pipe(
          HttpClientRequest.bearerToken(emulator.apiKey),
          HttpClientRequest.bodyUnsafeJson({ input: {} })
        )
      )
      expect(answer.status).toBe(429)
      expect(answer.headers["retry-after"]).toBe("1")
      now = 9_800
      const later = yield* raw.execute(
        HttpClientRequest.get(`${emulator.url}/v1/applications/app-1/runs/none`).pipe(HttpClientRequest.bearerToken(emulator.apiKey))
      )
      expect(later.status).toBe(404)
      now = 1_000
      yield* submit
      const stats = yield* emulator.rateLimits
      expect(stats.accepted.submission).toBe(6)
      expect(stats.refused).toEqual({ submission: 2, results: 0, api: 0 })
      expect(stats.accepted.results).toBe(1)
      expect(stats.windowsOverLimit).toBe(1)
      expect(stats.busiestWindow.submission).toBe(5)
      // Other requests are only limited by the API class.
      yield* client.api.text(HttpClientRequest.get("/v1/applications"))
    }).pipe(Effect.provide(
      Layer.mergeAll(Applications.layer).pipe(
        Layer.provideMerge(EmulatorModule.layerClient({ now: () => now, rateLimits: true })),
        Layer.provideMerge(NodeHttpClient.layerUndici)
      )
    ))
  })
})
