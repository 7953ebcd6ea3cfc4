import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect } from "effect"
import { InvalidArgumentError, NextmvHttpError, PollingTriesExhaustedError } from "../src/Errors.js"
import { shadowTestWithPolling, shadowTestWithPollingStoppable } from "../src/programs/OnlineTests.js"
import { ShadowTest } from "../src/schemas/OnlineTests.js"
import * as Runs from "../src/services/Runs.js"
import * as ShadowTests from "../src/services/ShadowTests.js"
import { Emulator, FaultAction } from "../src/testing/Emulator.js"
import { servicesLayer } from "./support/layers.js"

const APP = "routing-app"
const BASE = `/v1/applications/${APP}/experiments/shadow`

/**
 * A manual emulator clock: the emulator's lifecycles only move when a test advances it, and the
 * polling programs sleep 0 ms while moving it by `step` (no wall-clock waits).
 */
const manualClock = (start = Date.parse("2026-01-22T09:00:00Z")) => {
  let now = start
  return {
    now: () => now,
    advance: (millis: number) => {
      now += millis
    },
    /** Polling options whose every sleep advances the emulator clock by `step` ms instead. */
    polling: (step: number, maxTries = 20) => ({
      initialDelay: 0,
      jitter: 0,
      maxTries,
      sleepDuration: Effect.sync(() => {
        now += step
        return 0
      })
    })
  }
}

const layerWith = (clock: ReturnType<typeof manualClock>, stoppingMillis = 1000) =>
  servicesLayer({ now: clock.now, onlineTests: { stoppingMillis } })

/** Method, path, query and JSON body of every request since the last clear. */
const wire = Effect.flatMap(Emulator, (e) => e.requests).pipe(
  Effect.map((requests) => requests.map((r) => ({ method: r.method, path: r.path, query: r.query, body: r.json })))
)

const setup = Effect.gen(function*() {
  const emulator = yield* Emulator
  emulator.areas.applications.seed({ id: APP })
  yield* emulator.clearRequests
  return { emulator, shadow: yield* ShadowTests.ShadowTests, runs: yield* Runs.Runs }
})

const expectInvalid = (error: unknown, operation: string, reason: string | RegExp) => {
  expect(error).toBeInstanceOf(InvalidArgumentError)
  expect((error as InvalidArgumentError).operation).toBe(operation)
  if (typeof reason === "string") expect((error as InvalidArgumentError).reason).toBe(reason)
  else expect((error as InvalidArgumentError).reason).toMatch(reason)
}

describe("ShadowTests: requests (contract)", () => {
  it.live("newShadowTest sends nextmv-py's body, in its key order, and decodes the draft", () => {
    const clock = manualClock()
    return Effect.gen(function*() {
      const { shadow } = yield* setup
      const created = yield* shadow.newShadowTest(APP, {
        id: "shadow-k3j9x0aa",
        comparisons: { prod: ["candidate-v2", "candidate-v3"] },
        terminationEvents: { maximumRuns: 100, time: DateTime.unsafeMake("2026-01-23T18:00:00Z") },
        description: "v2 vs prod",
        startEvents: { time: new Date("2026-01-23T10:00:00Z") }
      })
      const requests = yield* wire
      expect(requests).toEqual([{
        method: "POST",
        path: BASE,
        query: {},
        body: {
          id: "shadow-k3j9x0aa",
          name: "shadow-k3j9x0aa",
          comparisons: { prod: ["candidate-v2", "candidate-v3"] },
          termination_events: { maximum_runs: 100, time: "2026-01-23T18:00:00Z" },
          description: "v2 vs prod",
          start_events: { time: "2026-01-23T10:00:00Z" }
        }
      }])
      const emulator = yield* Emulator
      const raw = (yield* emulator.requests)[0]!.body.toString("utf8")
      expect(Object.keys(JSON.parse(raw))).toEqual(["id", "name", "comparisons", "termination_events", "description", "start_events"])
      expect(created).toBeInstanceOf(ShadowTest)
      expect(created.status).toBe("draft")
      expect(created.app_id).toBe(APP)
      expect(created.comparisons).toEqual([{ baseline_instance_id: "prod", candidate_instance_ids: ["candidate-v2", "candidate-v3"] }])
      expect(created.termination_events?.maximum_runs).toBe(100)
      expect(DateTime.formatIso(created.start_events!.time!)).toBe("2026-01-23T10:00:00.000Z")
      expect(created.runs).toEqual([])
    }).pipe(Effect.provide(layerWith(clock)))
  })

  it.live("minimal create: generated id, name = id, no optional keys; empty start events are sent as {}", () =>
    Effect.gen(function*() {
      const { shadow } = yield* setup
      const a = yield* shadow.newShadowTest(APP, { comparisons: { prod: ["cand"] }, terminationEvents: { maximumRuns: 1 } })
      expect(a.id).toMatch(/^shadow-[a-z0-9]{8}$/)
      expect(a.name).toBe(a.id)
      yield* shadow.newShadowTest(APP, {
        id: "named",
        name: "",
        comparisons: { prod: ["cand"] },
        terminationEvents: { maximumRuns: 300 },
        startEvents: {}
      })
      expect((yield* wire).map((r) => r.body)).toEqual([
        { id: a.id, name: a.id, comparisons: { prod: ["cand"] }, termination_events: { maximum_runs: 1 } },
        { id: "named", name: "named", comparisons: { prod: ["cand"] }, termination_events: { maximum_runs: 300 }, start_events: {} }
      ])
    }).pipe(Effect.provide(servicesLayer())))

  it.live("get = GET test + GET runs; metadata, list, start, stop, update, delete hit their paths", () =>
    Effect.gen(function*() {
      const { shadow, emulator } = yield* setup
      yield* shadow.newShadowTest(APP, { id: "st-1", comparisons: { prod: ["cand"] }, terminationEvents: { maximumRuns: 5 } })
      yield* emulator.clearRequests
      yield* shadow.shadowTest(APP, "st-1")
      yield* shadow.shadowTestMetadata(APP, "st-1")
      yield* shadow.listShadowTests(APP)
      yield* shadow.startShadowTest(APP, "st-1")
      yield* shadow.updateShadowTest(APP, "st-1", { name: "renamed", description: "" })
      yield* shadow.updateShadowTest(APP, "st-1")
      yield* shadow.stopShadowTest(APP, "st-1", { intent: "complete" })
      yield* shadow.deleteShadowTest(APP, "st-1")
      expect(yield* wire).toEqual([
        { method: "GET", path: `${BASE}/st-1`, query: {}, body: undefined },
        { method: "GET", path: `${BASE}/st-1/runs`, query: {}, body: undefined },
        { method: "GET", path: `${BASE}/st-1/metadata`, query: {}, body: undefined },
        { method: "GET", path: BASE, query: {}, body: undefined },
        { method: "PUT", path: `${BASE}/st-1/start`, query: {}, body: undefined },
        { method: "PATCH", path: `${BASE}/st-1`, query: {}, body: { name: "renamed", description: "" } },
        { method: "PATCH", path: `${BASE}/st-1`, query: {}, body: {} },
        { method: "PUT", path: `${BASE}/st-1/stop`, query: {}, body: { intent: "complete" } },
        { method: "DELETE", path: `${BASE}/st-1`, query: {}, body: undefined }
      ])
    }).pipe(Effect.provide(servicesLayer())))

  it.live("ids are one percent-encoded path segment", () =>
    Effect.gen(function*() {
      const { shadow } = yield* setup
      const error = yield* shadow.shadowTestMetadata(APP, "../x").pipe(Effect.flip)
      expect((error as NextmvHttpError).status).toBe(404)
      expect((yield* wire)[0]!.path).toBe(`${BASE}/..%2Fx/metadata`)
    }).pipe(Effect.provide(servicesLayer())))

  it.live("update (PATCH) is not retried on a 5xx (the pipeline retries a PATCH only on 429 / never sent)", () =>
    Effect.gen(function*() {
      const { shadow, emulator } = yield* setup
      yield* shadow.newShadowTest(APP, { id: "st-1", comparisons: { prod: ["cand"] }, terminationEvents: { maximumRuns: 5 } })
      yield* emulator.clearRequests
      yield* emulator.injectFault({ method: "PATCH", path: `${BASE}/st-1`, action: FaultAction.status(503) })
      const error = yield* shadow.updateShadowTest(APP, "st-1", { name: "x" }).pipe(Effect.flip)
      expect((error as NextmvHttpError).status).toBe(503)
      expect((yield* wire).length).toBe(1)
    }).pipe(Effect.provide(servicesLayer())))
})

describe("ShadowTests: validation (before any request)", () => {
  it.live("maximum_runs outside 1..300 (or not an integer), a bad intent, a blank id", () =>
    Effect.gen(function*() {
      const { shadow } = yield* setup
      for (const maximumRuns of [0, 301, 1.5, Number.NaN]) {
        const error = yield* shadow.newShadowTest(APP, { comparisons: { prod: ["c"] }, terminationEvents: { maximumRuns } }).pipe(
          Effect.flip
        )
        expectInvalid(error, "ShadowTests.newShadowTest", "maximum_runs must be between 1 and 300")
      }
      const intent = yield* shadow.stopShadowTest(APP, "st-1", { intent: "pause" as "cancel" }).pipe(Effect.flip)
      expectInvalid(intent, "ShadowTests.stopShadowTest", "intent must be \"complete\" or \"cancel\" (got \"pause\")")
      const blank = yield* shadow.startShadowTest(APP, " ").pipe(Effect.flip)
      expectInvalid(blank, "ShadowTests.startShadowTest", "shadowTestId must be a non-empty string")
      const badDate = yield* shadow.newShadowTest(APP, {
        comparisons: { prod: ["c"] },
        terminationEvents: { maximumRuns: 3, time: new Date("nope") }
      }).pipe(Effect.flip)
      expectInvalid(badDate, "ShadowTests.newShadowTest", "terminationEvents.time must be a valid date")
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))
})

describe("ShadowTests: lifecycle on the emulator", () => {
  it.live("draft → started → runs on the baseline are shadowed on every candidate → stopping → completed", () => {
    const clock = manualClock()
    return Effect.gen(function*() {
      const { shadow, runs } = yield* setup
      yield* shadow.newShadowTest(APP, { id: "st-1", comparisons: { prod: ["cand-a", "cand-b"] }, terminationEvents: { maximumRuns: 10 } })
      yield* runs.newRun(APP, { input: { value: 0 }, instanceId: "prod" }) // before the start: not shadowed
      clock.advance(1000)
      yield* shadow.startShadowTest(APP, "st-1")
      expect((yield* shadow.shadowTestMetadata(APP, "st-1")).status).toBe("started")
      clock.advance(1000)
      const baseline = yield* runs.newRun(APP, { input: { value: 7 }, instanceId: "prod", options: { "solve.duration": "1s" } })
      yield* runs.newRun(APP, { input: { value: 8 }, instanceId: "other" }) // not a baseline
      const test = yield* shadow.shadowTest(APP, "st-1")
      expect(test.runs.map((r) => r.application_instance_id)).toEqual(["prod", "cand-a", "cand-b"])
      expect(test.runs[0]!.id).toBe(baseline)
      const shadowRun = yield* runs.runMetadata(APP, test.runs[1]!.id)
      expect(shadowRun.metadata.options).toMatchObject({ request_options: { "solve.duration": "1s" } })

      yield* shadow.stopShadowTest(APP, "st-1", { intent: "complete" })
      expect((yield* shadow.shadowTestMetadata(APP, "st-1")).status).toBe("stopping")
      clock.advance(1000)
      const done = yield* shadow.shadowTest(APP, "st-1")
      expect(done.status).toBe("completed")
      expect(done.isFinal).toBe(true)
      expect(done.completed_at).toBeDefined()
      // A run after the stop is not shadowed.
      yield* runs.newRun(APP, { input: { value: 9 }, instanceId: "prod" })
      expect((yield* shadow.shadowTest(APP, "st-1")).runs.length).toBe(3)
    }).pipe(Effect.provide(layerWith(clock)))
  })

  it.live("cancel → canceled; a draft cannot be stopped; only a draft can be started; one active test per baseline", () =>
    Effect.gen(function*() {
      const { shadow } = yield* setup
      const make = (id: string) =>
        shadow.newShadowTest(APP, { id, comparisons: { prod: ["cand"] }, terminationEvents: { maximumRuns: 10 } })
      yield* make("st-1")
      yield* make("st-2")
      const draftStop = yield* shadow.stopShadowTest(APP, "st-1", { intent: "cancel" }).pipe(Effect.flip)
      expect((draftStop as NextmvHttpError).status).toBe(409)
      yield* shadow.startShadowTest(APP, "st-1")
      const second = yield* shadow.startShadowTest(APP, "st-2").pipe(Effect.flip)
      expect((second as NextmvHttpError).status).toBe(409)
      const again = yield* shadow.startShadowTest(APP, "st-1").pipe(Effect.flip)
      expect((again as NextmvHttpError).status).toBe(409)
      yield* shadow.stopShadowTest(APP, "st-1", { intent: "cancel" })
      expect((yield* shadow.shadowTestMetadata(APP, "st-1")).status).toBe("canceled")
      yield* shadow.startShadowTest(APP, "st-2")
      expect((yield* shadow.listShadowTests(APP)).map((t) => [t.id, t.status])).toEqual([["st-1", "canceled"], ["st-2", "started"]])
    }).pipe(Effect.provide(servicesLayer())))

  it.live("maximum_runs ends the test: only that many baseline runs are shadowed", () =>
    Effect.gen(function*() {
      const { shadow, runs } = yield* setup
      yield* shadow.newShadowTest(APP, { id: "st-1", comparisons: { prod: ["cand"] }, terminationEvents: { maximumRuns: 2 } })
      yield* shadow.startShadowTest(APP, "st-1")
      for (const value of [1, 2, 3]) yield* runs.newRun(APP, { input: { value }, instanceId: "prod" })
      const test = yield* shadow.shadowTest(APP, "st-1")
      expect(test.status).toBe("completed")
      expect(test.runs.map((r) => r.application_instance_id)).toEqual(["prod", "cand", "prod", "cand"])
    }).pipe(Effect.provide(servicesLayer())))

  it.live("update renames, delete removes (then 404); duplicate id is 409; a bad id is 400", () =>
    Effect.gen(function*() {
      const { shadow } = yield* setup
      yield* shadow.newShadowTest(APP, { id: "st-1", comparisons: { prod: ["cand"] }, terminationEvents: { maximumRuns: 10 } })
      const renamed = yield* shadow.updateShadowTest(APP, "st-1", { name: "Renamed", description: "d" })
      expect([renamed.name, renamed.description]).toEqual(["Renamed", "d"])
      const duplicate = yield* shadow.newShadowTest(APP, {
        id: "st-1",
        comparisons: { prod: ["c"] },
        terminationEvents: { maximumRuns: 1 }
      })
        .pipe(Effect.flip)
      expect((duplicate as NextmvHttpError).status).toBe(409)
      const badId = yield* shadow.newShadowTest(APP, { id: "-x", comparisons: { prod: ["c"] }, terminationEvents: { maximumRuns: 1 } })
        .pipe(Effect.flip)
      expect((badId as NextmvHttpError).status).toBe(400)
      yield* shadow.deleteShadowTest(APP, "st-1")
      const gone = yield* shadow.shadowTest(APP, "st-1").pipe(Effect.flip)
      expect((gone as NextmvHttpError).status).toBe(404)
      expect(yield* shadow.listShadowTests(APP)).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))

  it.live("the list decodes leniently: an {items} object or null are read too", () =>
    Effect.gen(function*() {
      const { shadow, emulator } = yield* setup
      yield* emulator.injectFault({ path: BASE, action: FaultAction.status(200, { body: { items: [{ id: "a", status: "draft" }] } }) })
      expect((yield* shadow.listShadowTests(APP)).map((t) => t.id)).toEqual(["a"])
      yield* emulator.injectFault({ path: BASE, action: FaultAction.status(200, { body: null }) })
      expect(yield* shadow.listShadowTests(APP)).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))
})

describe("shadowTestWithPolling", () => {
  it.live("polls the metadata through stopping until completed, then fetches the test with its runs", () => {
    const clock = manualClock()
    return Effect.gen(function*() {
      const { shadow, runs, emulator } = yield* setup
      yield* shadow.newShadowTest(APP, { id: "st-1", comparisons: { prod: ["cand"] }, terminationEvents: { maximumRuns: 10 } })
      yield* shadow.startShadowTest(APP, "st-1")
      yield* runs.newRun(APP, { input: { value: 1 }, instanceId: "prod" })
      yield* shadow.stopShadowTest(APP, "st-1", { intent: "complete" })
      yield* emulator.clearRequests
      const test = yield* shadowTestWithPolling(APP, "st-1", { polling: clock.polling(400) })
      expect(test.status).toBe("completed")
      expect(test.runs.length).toBe(2)
      const paths = (yield* wire).map((r) => r.path)
      // stopping lasts 1000 ms: checks at +0, +400, +800 (stopping) and +1200 (completed).
      expect(paths).toEqual([
        `${BASE}/st-1/metadata`,
        `${BASE}/st-1/metadata`,
        `${BASE}/st-1/metadata`,
        `${BASE}/st-1/metadata`,
        `${BASE}/st-1`,
        `${BASE}/st-1/runs`
      ])
    }).pipe(Effect.provide(layerWith(clock)))
  })

  it.live("a draft is not final: polling gives up with PollingTriesExhaustedError; stop returns None", () => {
    const clock = manualClock()
    return Effect.gen(function*() {
      const { shadow } = yield* setup
      yield* shadow.newShadowTest(APP, { id: "st-1", comparisons: { prod: ["cand"] }, terminationEvents: { maximumRuns: 10 } })
      const error = yield* shadowTestWithPolling(APP, "st-1", { polling: clock.polling(1000, 3) }).pipe(Effect.flip)
      expect(error).toBeInstanceOf(PollingTriesExhaustedError)
      expect((error as PollingTriesExhaustedError).lastStatus).toBe("draft")
      const stopped = yield* shadowTestWithPollingStoppable(APP, "st-1", { polling: clock.polling(1000), stop: Effect.succeed(true) })
      expect(stopped._tag).toBe("None")
    }).pipe(Effect.provide(layerWith(clock)))
  })
})
