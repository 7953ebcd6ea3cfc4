import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, TestClock } from "effect"
import { InvalidArgumentError, NextmvHttpError } from "../src/Errors.js"
import { InputSets } from "../src/services/InputSets.js"
import { ManagedInputs } from "../src/services/ManagedInputs.js"
import type { RunRecord } from "../src/testing/areas/runs.js"
import { FaultAction } from "../src/testing/Emulator.js"
import { APP, appPath, experimentsLayer, seed, wire } from "./support/experiments.js"
import { driven, failureOf } from "./support/time.js"

const isRun = (value: unknown): value is RunRecord => typeof value === "object" && value !== null && "appId" in value

describe("InputSets against the emulator", () => {
  it.effect("creates from managed inputs (ids or objects) with generated id and name = id", () =>
    driven(function*() {
      yield* seed({ "mi-1": { value: 1 }, "mi-2": { value: 2 } })
      const sets = yield* InputSets
      const mi2 = yield* (yield* ManagedInputs).managedInput(APP, "mi-2")
      const set = yield* sets.newInputSet(APP, { inputs: ["mi-1", mi2], description: "two" })
      expect(set.id).toMatch(/^input-set-[a-z0-9]{8}$/)
      expect(set.name).toBe(set.id)
      expect(set.app_id).toBe(APP)
      expect(set.description).toBe("two")
      expect(set.input_ids).toEqual(["mi-1", "mi-2"])
      expect(set.inputs.map((i) => i.id)).toEqual(["mi-1", "mi-2"])
      expect(set.inputIdList).toEqual(["mi-1", "mi-2"])
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("contract: POST body has id, name and only the given fields, times as ISO strings", () =>
    driven(function*() {
      const emulator = yield* seed()
      const run = emulator.areas.runs.submit(APP, { input: { value: 1 }, instanceId: "prod" })
      expect(isRun(run)).toBe(true)
      yield* emulator.clearRequests
      const sets = yield* InputSets
      // Mode 1: instance + time window + maximum runs (the run is still queued, so none qualify yet).
      const windowed = yield* failureOf(sets.newInputSet(APP, {
        id: "recent",
        name: "Recent",
        instanceId: "prod",
        startTime: new Date("2020-01-01T00:00:00Z"),
        endTime: DateTime.unsafeMake("2999-01-01T00:00:00Z"),
        maximumRuns: 5
      }))
      expect((windowed as NextmvHttpError).status).toBe(400)
      // Mode 2: run ids.
      const fromRuns = yield* sets.newInputSet(APP, { id: "from-runs", runIds: [(run as RunRecord).id] })
      expect(fromRuns.inputs[0]!.run_id).toBe((run as RunRecord).id)
      expect(yield* wire).toEqual([
        {
          method: "POST",
          path: appPath("/experiments/inputsets"),
          query: {},
          body: {
            id: "recent",
            name: "Recent",
            end_time: "2999-01-01T00:00:00.000Z",
            instance_id: "prod",
            maximum_runs: 5,
            start_time: "2020-01-01T00:00:00.000Z"
          }
        },
        {
          method: "POST",
          path: appPath("/experiments/inputsets"),
          query: {},
          body: { id: "from-runs", name: "from-runs", run_ids: [(run as RunRecord).id] }
        }
      ])
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("an instance + time window set collects that instance's finished runs", () =>
    driven(function*() {
      const emulator = yield* seed()
      emulator.areas.runs.submit(APP, { input: { value: 1 }, instanceId: "prod" })
      emulator.areas.runs.submit(APP, { input: { value: 2 }, instanceId: "prod" })
      emulator.areas.runs.submit(APP, { input: { value: 3 }, instanceId: "staging" })
      yield* TestClock.adjust("60 millis")
      const now = yield* emulator.now
      const set = yield* (yield* InputSets).newInputSet(APP, {
        instanceId: "prod",
        startTime: new Date(now - 60_000),
        endTime: new Date(now + 60_000),
        maximumRuns: 1
      })
      expect(set.input_ids).toHaveLength(1)
      expect(set.inputs[0]!.run_id).toMatch(/^latest-/)
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("gets, lists, updates (GET then PUT of the full object) and deletes", () =>
    driven(function*() {
      const emulator = yield* seed({ "mi-1": { value: 1 }, "mi-2": { value: 2 } })
      const sets = yield* InputSets
      yield* sets.newInputSet(APP, { id: "bench", inputs: ["mi-1"] })
      yield* sets.newInputSet(APP, { id: "other", inputs: ["mi-2"] })
      expect((yield* sets.listInputSets(APP)).map((s) => s.id).sort()).toEqual(["bench", "other"])
      const before = yield* sets.inputSet(APP, "bench")
      yield* emulator.clearRequests
      const updated = yield* sets.updateInputSet(APP, "bench", { description: "new", inputs: ["mi-1", "mi-2"] })
      expect(updated.description).toBe("new")
      expect(updated.input_ids).toEqual(["mi-1", "mi-2"])
      const requests = yield* wire
      expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        `GET ${appPath("/experiments/inputsets/bench")}`,
        `PUT ${appPath("/experiments/inputsets/bench")}`
      ])
      // Spec §6.4: the full object, the old input_ids kept, inputs replaced.
      expect(requests[1]!.body).toEqual({
        id: "bench",
        app_id: APP,
        name: "bench",
        description: "new",
        input_ids: ["mi-1"],
        inputs: [{ id: "mi-1" }, { id: "mi-2" }],
        created_at: DateTime.formatIso(before.created_at!),
        updated_at: DateTime.formatIso(before.updated_at!)
      })
      yield* sets.deleteInputSet(APP, "other")
      const missing = yield* failureOf(sets.inputSet(APP, "other"))
      expect((missing as NextmvHttpError).status).toBe(404)
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("invalid arguments fail before any request", () =>
    driven(function*() {
      const emulator = yield* seed()
      yield* emulator.clearRequests
      const sets = yield* InputSets
      expect(yield* failureOf(sets.newInputSet(APP, { maximumRuns: 0 }))).toEqual(
        new InvalidArgumentError({
          operation: "InputSets.newInputSet",
          reason: "maximumRuns must be a positive integer, got 0"
        })
      )
      expect((yield* failureOf(sets.newInputSet(APP, { startTime: "not a date" }))).message)
        .toBe("InputSets.newInputSet: startTime is not a valid date-time")
      expect((yield* failureOf(sets.newInputSet("")))._tag).toBe("InvalidArgumentError")
      expect((yield* failureOf(sets.inputSet(APP, "")))._tag).toBe("InvalidArgumentError")
      expect((yield* failureOf(sets.updateInputSet(APP, "", { name: "x" })))._tag).toBe("InvalidArgumentError")
      expect((yield* failureOf(sets.deleteInputSet(APP, "")))._tag).toBe("InvalidArgumentError")
      expect((yield* failureOf(sets.listInputSets("")))._tag).toBe("InvalidArgumentError")
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("decodes responses that omit description, input_ids and inputs (spec §16.10)", () =>
    driven(function*() {
      const emulator = yield* seed()
      yield* emulator.injectFault({
        method: "GET",
        path: appPath("/experiments/inputsets/sparse"),
        action: FaultAction.status(200, {
          body: { id: "sparse", app_id: APP, name: "Sparse", created_at: "2025-01-01T00:00:00Z", extra: true }
        })
      })
      const set = yield* (yield* InputSets).inputSet(APP, "sparse")
      expect([set.description, set.input_ids, set.inputs]).toEqual(["", [], []])
    }).pipe(Effect.provide(experimentsLayer())))
})
