import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect } from "effect"
import { InvalidArgumentError, NextmvHttpError } from "../src/Errors.js"
import { switchbackTestWithPolling } from "../src/programs/OnlineTests.js"
import { SwitchbackTest } from "../src/schemas/OnlineTests.js"
import * as Runs from "../src/services/Runs.js"
import * as SwitchbackTests from "../src/services/SwitchbackTests.js"
import { Emulator, FaultAction } from "../src/testing/Emulator.js"
import { servicesLayer } from "./support/layers.js"

const APP = "routing-app"
const BASE = `/v1/applications/${APP}/experiments/switchback`
const comparison = { baselineInstanceId: "prod", candidateInstanceId: "candidate-v2" }

/** A manual emulator clock; polling sleeps 0 ms and moves it by `step` instead (no wall-clock waits). */
const manualClock = (start = Date.parse("2026-01-23T14:00:00Z")) => {
  let now = start
  return {
    now: () => now,
    advance: (millis: number) => {
      now += millis
    },
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

const wire = Effect.flatMap(Emulator, (e) => e.requests).pipe(
  Effect.map((requests) => requests.map((r) => ({ method: r.method, path: r.path, query: r.query, body: r.json })))
)

const setup = Effect.gen(function*() {
  const emulator = yield* Emulator
  emulator.areas.applications.seed({ id: APP })
  yield* emulator.clearRequests
  return { emulator, switchback: yield* SwitchbackTests.SwitchbackTests, runs: yield* Runs.Runs }
})

const expectInvalid = (error: unknown, reason: string) => {
  expect(error).toBeInstanceOf(InvalidArgumentError)
  expect((error as InvalidArgumentError).operation).toBe("SwitchbackTests.newSwitchbackTest")
  expect((error as InvalidArgumentError).reason).toBe(reason)
}

describe("SwitchbackTests: requests (contract)", () => {
  it.live("newSwitchbackTest sends {id, name, comparison, generate_random_plan, description}; start as isoformat()", () =>
    Effect.gen(function*() {
      const { switchback, emulator } = yield* setup
      const created = yield* switchback.newSwitchbackTest(APP, {
        id: "switchback-p0q8w3zc",
        comparison,
        unitDurationMinutes: 30,
        units: 4,
        start: DateTime.unsafeMake("2026-01-23T14:00:00Z"),
        description: "weekday plan"
      })
      expect(yield* wire).toEqual([{
        method: "POST",
        path: BASE,
        query: {},
        body: {
          id: "switchback-p0q8w3zc",
          name: "switchback-p0q8w3zc",
          comparison: { baseline_instance_id: "prod", candidate_instance_id: "candidate-v2" },
          generate_random_plan: { unit_duration_minutes: 30, units: 4, start: "2026-01-23T14:00:00+00:00" },
          description: "weekday plan"
        }
      }])
      const raw = JSON.parse((yield* emulator.requests)[0]!.body.toString("utf8"))
      expect(Object.keys(raw)).toEqual(["id", "name", "comparison", "generate_random_plan", "description"])
      expect(created).toBeInstanceOf(SwitchbackTest)
      expect(created.status).toBe("draft")
      expect(created.comparison).toEqual({ baseline_instance_id: "prod", candidate_instance_id: "candidate-v2" })
      expect(DateTime.formatIso(created.plan!.start!)).toBe("2026-01-23T14:00:00.000Z")
      expect(created.plan!.units.map((u) => [u.index, u.duration_minutes])).toEqual([[0, 30], [1, 30], [2, 30], [3, 30]])
      for (const unit of created.plan!.units) expect(["prod", "candidate-v2"]).toContain(unit.instance_id)
    }).pipe(Effect.provide(servicesLayer())))

  it.live("minimal create: generated id, name = id, no start/description; milliseconds are written as microseconds", () =>
    Effect.gen(function*() {
      const { switchback } = yield* setup
      const a = yield* switchback.newSwitchbackTest(APP, { comparison, unitDurationMinutes: 1.5, units: 1 })
      expect(a.id).toMatch(/^switchback-[a-z0-9]{8}$/)
      yield* switchback.newSwitchbackTest(APP, {
        id: "sb-2",
        comparison,
        unitDurationMinutes: 10080,
        units: 1000,
        start: new Date("2026-01-23T14:00:00.250Z")
      })
      expect((yield* wire).map((r) => r.body)).toEqual([
        {
          id: a.id,
          name: a.id,
          comparison: { baseline_instance_id: "prod", candidate_instance_id: "candidate-v2" },
          generate_random_plan: { unit_duration_minutes: 1.5, units: 1 }
        },
        {
          id: "sb-2",
          name: "sb-2",
          comparison: { baseline_instance_id: "prod", candidate_instance_id: "candidate-v2" },
          generate_random_plan: { unit_duration_minutes: 10080, units: 1000, start: "2026-01-23T14:00:00.250000+00:00" }
        }
      ])
    }).pipe(Effect.provide(servicesLayer())))

  it.live("get = GET test + GET runs; metadata, list, start, stop, update, delete hit their paths", () =>
    Effect.gen(function*() {
      const { switchback, emulator } = yield* setup
      yield* switchback.newSwitchbackTest(APP, { id: "sb-1", comparison, unitDurationMinutes: 30, units: 2 })
      yield* emulator.clearRequests
      yield* switchback.switchbackTest(APP, "sb-1")
      yield* switchback.switchbackTestMetadata(APP, "sb-1")
      yield* switchback.listSwitchbackTests(APP)
      yield* switchback.startSwitchbackTest(APP, "sb-1")
      yield* switchback.updateSwitchbackTest(APP, "sb-1", { description: "d" })
      yield* switchback.stopSwitchbackTest(APP, "sb-1", { intent: "cancel" })
      yield* switchback.deleteSwitchbackTest(APP, "sb-1")
      expect(yield* wire).toEqual([
        { method: "GET", path: `${BASE}/sb-1`, query: {}, body: undefined },
        { method: "GET", path: `${BASE}/sb-1/runs`, query: {}, body: undefined },
        { method: "GET", path: `${BASE}/sb-1/metadata`, query: {}, body: undefined },
        { method: "GET", path: BASE, query: {}, body: undefined },
        { method: "PUT", path: `${BASE}/sb-1/start`, query: {}, body: undefined },
        { method: "PATCH", path: `${BASE}/sb-1`, query: {}, body: { description: "d" } },
        { method: "PUT", path: `${BASE}/sb-1/stop`, query: {}, body: { intent: "cancel" } },
        { method: "DELETE", path: `${BASE}/sb-1`, query: {}, body: undefined }
      ])
    }).pipe(Effect.provide(servicesLayer())))

  it.live("update (PATCH) is not retried on a 5xx", () =>
    Effect.gen(function*() {
      const { switchback, emulator } = yield* setup
      yield* emulator.injectFault({ method: "PATCH", path: `${BASE}/sb-1`, action: FaultAction.status(502) })
      const error = yield* switchback.updateSwitchbackTest(APP, "sb-1", { name: "x" }).pipe(Effect.flip)
      expect((error as NextmvHttpError).status).toBe(502)
      expect((yield* wire).length).toBe(1)
    }).pipe(Effect.provide(servicesLayer())))
})

describe("SwitchbackTests: validation (before any request)", () => {
  it.live("unit_duration_minutes outside 1..10080, units outside 1..1000 or fractional", () =>
    Effect.gen(function*() {
      const { switchback } = yield* setup
      for (const unitDurationMinutes of [0.5, 10081, Number.NaN]) {
        const error = yield* switchback.newSwitchbackTest(APP, { comparison, unitDurationMinutes, units: 1 }).pipe(Effect.flip)
        expectInvalid(error, "unit_duration_minutes must be between 1 and 10080")
      }
      for (const units of [0, 1001, 2.5]) {
        const error = yield* switchback.newSwitchbackTest(APP, { comparison, unitDurationMinutes: 1, units }).pipe(Effect.flip)
        expectInvalid(error, "units must be between 1 and 1000")
      }
      // The duration is checked first, as in nextmv-py.
      const both = yield* switchback.newSwitchbackTest(APP, { comparison, unitDurationMinutes: 0, units: 0 }).pipe(Effect.flip)
      expectInvalid(both, "unit_duration_minutes must be between 1 and 10080")
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))
})

describe("SwitchbackTests: lifecycle on the emulator", () => {
  it.live("runs on the baseline follow the plan; the test completes when the plan is over", () => {
    const clock = manualClock()
    return Effect.gen(function*() {
      const { switchback, runs } = yield* setup
      const created = yield* switchback.newSwitchbackTest(APP, { id: "sb-1", comparison, unitDurationMinutes: 10, units: 6 })
      expect(created.plan?.start).toBeUndefined()
      yield* switchback.startSwitchbackTest(APP, "sb-1")
      const started = yield* switchback.switchbackTest(APP, "sb-1")
      expect(started.status).toBe("started")
      expect(started.started_at).toBeDefined()
      const units = started.plan!.units
      const expected: Array<string> = []
      for (const unit of units) {
        const id = yield* runs.newRun(APP, { input: { value: unit.index }, instanceId: "prod" })
        expect((yield* runs.runMetadata(APP, id)).metadata.application_instance_id).toBe(unit.instance_id)
        expected.push(unit.instance_id)
        clock.advance(10 * 60_000)
      }
      expect(expected).toContain("candidate-v2") // the seeded plan routes some runs away from the baseline
      const done = yield* switchback.switchbackTest(APP, "sb-1")
      expect(done.status).toBe("completed")
      expect(done.runs.map((r) => r.application_instance_id)).toEqual(expected)
      // After the plan, runs on the baseline stay there and are not collected.
      const after = yield* runs.newRun(APP, { input: { value: 99 }, instanceId: "prod" })
      expect((yield* runs.runMetadata(APP, after)).metadata.application_instance_id).toBe("prod")
      expect((yield* switchback.switchbackTest(APP, "sb-1")).runs.length).toBe(6)
    }).pipe(Effect.provide(servicesLayer({ now: clock.now })))
  })

  it.live("stop: cancel → canceled at once, complete → stopping → completed; a draft cannot be stopped", () => {
    const clock = manualClock()
    return Effect.gen(function*() {
      const { switchback } = yield* setup
      yield* switchback.newSwitchbackTest(APP, { id: "sb-1", comparison, unitDurationMinutes: 60, units: 10 })
      yield* switchback.newSwitchbackTest(APP, { id: "sb-2", comparison, unitDurationMinutes: 60, units: 10 })
      const draft = yield* switchback.stopSwitchbackTest(APP, "sb-1", { intent: "complete" }).pipe(Effect.flip)
      expect((draft as NextmvHttpError).status).toBe(409)
      yield* switchback.startSwitchbackTest(APP, "sb-1")
      yield* switchback.startSwitchbackTest(APP, "sb-2")
      yield* switchback.stopSwitchbackTest(APP, "sb-1", { intent: "cancel" })
      yield* switchback.stopSwitchbackTest(APP, "sb-2", { intent: "complete" })
      const statuses = Effect.map(switchback.listSwitchbackTests(APP), (list) => list.map((t) => t.status))
      expect(yield* statuses).toEqual(["canceled", "stopping"])
      clock.advance(50)
      expect(yield* statuses).toEqual(["canceled", "completed"])
    }).pipe(Effect.provide(servicesLayer({ now: clock.now })))
  })

  it.live("the list is read from {items}; a bare array is read too", () =>
    Effect.gen(function*() {
      const { switchback, emulator } = yield* setup
      yield* switchback.newSwitchbackTest(APP, { id: "sb-1", comparison, unitDurationMinutes: 60, units: 1 })
      expect((yield* switchback.listSwitchbackTests(APP)).map((t) => t.id)).toEqual(["sb-1"])
      yield* emulator.injectFault({ path: BASE, action: FaultAction.status(200, { body: [{ switchback_test_id: "b" }] }) })
      const [lenient] = yield* switchback.listSwitchbackTests(APP)
      expect(lenient!.switchbackTestId).toBe("b")
    }).pipe(Effect.provide(servicesLayer())))
})

describe("switchbackTestWithPolling", () => {
  it.live("polls until the plan is over (completed), then returns the test with its runs", () => {
    const clock = manualClock()
    return Effect.gen(function*() {
      const { switchback, runs } = yield* setup
      yield* switchback.newSwitchbackTest(APP, { id: "sb-1", comparison, unitDurationMinutes: 1, units: 2 })
      yield* switchback.startSwitchbackTest(APP, "sb-1")
      yield* runs.newRun(APP, { input: { value: 1 }, instanceId: "prod" })
      const test = yield* switchbackTestWithPolling(APP, "sb-1", { polling: clock.polling(30_000) })
      expect(test.status).toBe("completed")
      expect(test.runs.length).toBe(1)
      expect(test.completed_at).toBeDefined()
    }).pipe(Effect.provide(servicesLayer({ now: clock.now })))
  })
})
