import { describe, expect, it } from "@effect/vitest"
import { HttpClientRequest } from "@effect/platform"
import { Effect, Option, Schema } from "effect"
import { InvalidArgumentError, PollingTimeoutError, PollingTriesExhaustedError } from "../src/Errors.js"
import {
  batchExperimentWithPolling,
  batchExperimentWithPollingStoppable,
  newBatchExperimentWithResult,
  newBatchExperimentWithResultStoppable
} from "../src/programs/Experiments.js"
import { BatchExperiments } from "../src/services/BatchExperiments.js"
import { NextmvClient } from "../src/services/NextmvClient.js"
import { FaultAction } from "../src/testing/Emulator.js"
import { Models } from "../src/testing/areas/models.js"
import { APP, appPath, experimentsLayer, fastPolling, seed, wire } from "./support/experiments.js"
import { driven, failureOf } from "./support/time.js"

const inputs = { "mi-1": { value: 10 }, "mi-2": { value: 20 } }

describe("BatchExperiments against the emulator", () => {
  it.effect("creates with runs and option sets, runs them through the model and polls to completion", () =>
    driven(function*() {
      const emulator = yield* seed(inputs)
      yield* emulator.clearRequests
      const batch = yield* BatchExperiments
      const id = yield* batch.newBatchExperiment(APP, {
        description: "prod vs staging",
        optionSets: { fast: { "solve.duration": "1s" }, slow: { "solve.duration": "9s" } },
        runs: [
          { inputId: "mi-1", instanceId: "prod", optionSet: "fast", repetition: 0 },
          { inputId: "mi-2", instanceId: "staging", optionSet: "slow" }
        ]
      })
      expect(id).toMatch(/^batch-[a-z0-9]{8}$/)
      // Contract (spec §4.7): id, name = id, only the given fields, type "batch".
      expect(yield* wire).toEqual([{
        method: "POST",
        path: appPath("/experiments/batch"),
        query: {},
        body: {
          id,
          name: id,
          description: "prod vs staging",
          option_sets: { fast: { "solve.duration": "1s" }, slow: { "solve.duration": "9s" } },
          runs: [
            { input_id: "mi-1", option_set: "fast", instance_id: "prod", repetition: 0 },
            { input_id: "mi-2", option_set: "slow", instance_id: "staging" }
          ],
          type: "batch"
        }
      }])
      yield* emulator.clearRequests
      const done = yield* batchExperimentWithPolling(APP, id, { polling: fastPolling })
      expect(done.status).toBe("completed")
      expect(done.isFinal).toBe(true)
      expect(done.number_of_requested_runs).toBe(2)
      expect(done.number_of_completed_runs).toBe(2)
      expect(done.instance_ids).toEqual(["prod", "staging"])
      expect(done.runs.map((r) => [r.input_id, r.application_instance_id, r.option_set, r.status_v2, r.experiment_id]))
        .toEqual([["mi-1", "prod", "fast", "succeeded", id], ["mi-2", "staging", "slow", "succeeded", id]])
      expect(done.runs[0]!.options).toEqual({ "solve.duration": "1s" })
      // Polling reads the metadata, then one GET of the experiment and one of its runs (spec §4.3).
      const paths = (yield* wire).map((r) => `${r.method} ${r.path}`)
      expect(new Set(paths.slice(0, -2))).toEqual(new Set([`GET ${appPath(`/experiments/batch/${id}/metadata`)}`]))
      expect(paths.slice(-2)).toEqual([
        `GET ${appPath(`/experiments/batch/${id}`)}`,
        `GET ${appPath(`/experiments/batch/${id}/runs`)}`
      ])
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("a batch experiment created from runs answers input_set_id \"\" and its instances (nextmv-py requires both)", () =>
    driven(function*() {
      const emulator = yield* seed(inputs)
      emulator.areas.inputSets.seed(APP, { id: "set-1", inputIds: ["mi-1"] })
      const batch = yield* BatchExperiments
      yield* batch.newBatchExperiment(APP, {
        id: "from-runs",
        type: "scenario",
        runs: [{ inputId: "mi-1", instanceId: "prod", inputSetId: "set-1" }, { inputId: "mi-2", instanceId: "staging" }]
      })
      const { api } = yield* NextmvClient
      const raw = yield* api.json(
        HttpClientRequest.get(appPath("/experiments/batch/from-runs")),
        Schema.Record({ key: Schema.String, value: Schema.Unknown })
      )
      expect(raw["input_set_id"]).toBe("")
      expect(raw["instance_ids"]).toEqual(["prod", "staging"])
      expect((yield* batch.batchExperiment(APP, "from-runs")).input_set_id).toBe("")
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("metadata, list (type=batch), update (PATCH) and delete", () =>
    driven(function*() {
      const emulator = yield* seed(inputs)
      const batch = yield* BatchExperiments
      yield* batch.newBatchExperiment(APP, { id: "b1", name: "First", runs: [{ inputId: "mi-1", instanceId: "prod" }] })
      yield* batch.newBatchExperiment(APP, {
        id: "s1",
        type: "scenario",
        runs: [{ inputId: "mi-1", instanceId: "prod" }]
      })
      yield* emulator.clearRequests
      const metadata = yield* batch.batchExperimentMetadata(APP, "b1")
      expect([metadata.id, metadata.name, metadata.app_id, metadata.type]).toEqual(["b1", "First", APP, "batch"])
      expect((yield* batch.listBatchExperiments(APP)).map((m) => m.id)).toEqual(["b1"])
      const updated = yield* batch.updateBatchExperiment(APP, "b1", { name: "Renamed" })
      expect(updated.name).toBe("Renamed")
      yield* batch.updateBatchExperiment(APP, "b1", {})
      yield* batch.deleteBatchExperiment(APP, "b1")
      expect(yield* wire).toEqual([
        { method: "GET", path: appPath("/experiments/batch/b1/metadata"), query: {}, body: undefined },
        { method: "GET", path: appPath("/experiments/batch"), query: { type: "batch" }, body: undefined },
        { method: "PATCH", path: appPath("/experiments/batch/b1"), query: {}, body: { name: "Renamed" } },
        { method: "PATCH", path: appPath("/experiments/batch/b1"), query: {}, body: {} },
        { method: "DELETE", path: appPath("/experiments/batch/b1"), query: {}, body: undefined }
      ])
      expect(yield* batch.listBatchExperiments(APP)).toEqual([])
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("scenario twins: list (type=scenario), get with runs, metadata, update and delete", () =>
    driven(function*() {
      const emulator = yield* seed(inputs)
      const batch = yield* BatchExperiments
      yield* batch.newBatchExperiment(APP, { id: "b1", runs: [{ inputId: "mi-1", instanceId: "prod" }] })
      yield* batch.newBatchExperiment(APP, { id: "s1", type: "scenario", runs: [{ inputId: "mi-2", instanceId: "prod" }] })
      yield* emulator.clearRequests
      expect((yield* batch.listScenarioTests(APP)).map((m) => m.id)).toEqual(["s1"])
      const test = yield* batch.scenarioTest(APP, "s1")
      expect(test.type).toBe("scenario")
      expect(test.runs.map((r) => r.input_id)).toEqual(["mi-2"])
      expect((yield* batch.scenarioTestMetadata(APP, "s1")).id).toBe("s1")
      expect((yield* batch.updateScenarioTest(APP, "s1", { description: "d" })).description).toBe("d")
      yield* batch.deleteScenarioTest(APP, "s1")
      expect(yield* wire).toEqual([
        { method: "GET", path: appPath("/experiments/batch"), query: { type: "scenario" }, body: undefined },
        { method: "GET", path: appPath("/experiments/batch/s1"), query: {}, body: undefined },
        { method: "GET", path: appPath("/experiments/batch/s1/runs"), query: {}, body: undefined },
        { method: "GET", path: appPath("/experiments/batch/s1/metadata"), query: {}, body: undefined },
        { method: "PATCH", path: appPath("/experiments/batch/s1"), query: {}, body: { description: "d" } },
        { method: "DELETE", path: appPath("/experiments/batch/s1"), query: {}, body: undefined }
      ])
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("the deprecated input set + instance ids form is sent as is and expanded by the server", () =>
    driven(function*() {
      const emulator = yield* seed(inputs)
      emulator.areas.inputSets.seed(APP, { id: "bench", inputIds: ["mi-1", "mi-2"] })
      yield* emulator.clearRequests
      const experiment = yield* newBatchExperimentWithResult(APP, {
        id: "old-style",
        inputSetId: "bench",
        instanceIds: ["prod", "staging"],
        polling: fastPolling
      })
      expect((yield* wire)[0]!.body).toEqual({
        id: "old-style",
        name: "old-style",
        input_set_id: "bench",
        instance_ids: ["prod", "staging"],
        type: "batch"
      })
      expect(experiment.status).toBe("completed")
      expect(experiment.input_set_id).toBe("bench")
      expect(experiment.runs).toHaveLength(4)
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("an experiment whose runs all fail ends failed and is returned, not an error", () =>
    driven(function*() {
      const emulator = yield* seed(inputs)
      emulator.areas.runs.setModel(APP, Models.fail("infeasible"))
      const experiment = yield* newBatchExperimentWithResult(APP, {
        runs: [{ inputId: "mi-1", instanceId: "prod" }],
        polling: fastPolling
      })
      expect(experiment.status).toBe("failed")
      expect(experiment.runs[0]!.status_v2).toBe("failed")
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("polling ends in typed errors: timeout, tries exhausted, and a typed stop", () =>
    driven(function*() {
      const emulator = yield* seed(inputs)
      emulator.areas.runs.setModel(APP, Models.sleep(3_600_000))
      const batch = yield* BatchExperiments
      const id = yield* batch.newBatchExperiment(APP, { runs: [{ inputId: "mi-1", instanceId: "prod" }] })
      const timeout = yield* failureOf(batchExperimentWithPolling(APP, id, { polling: { ...fastPolling, maxDuration: "30 millis" } }))
      expect(timeout).toBeInstanceOf(PollingTimeoutError)
      expect((timeout as PollingTimeoutError).lastStatus).toBe("started")
      const exhausted = yield* failureOf(batchExperimentWithPolling(APP, id, { polling: { ...fastPolling, maxTries: 3 } }))
      expect(exhausted).toBeInstanceOf(PollingTriesExhaustedError)
      expect((exhausted as PollingTriesExhaustedError).tries).toBe(3)
      let checks = 0
      const stopped = yield* batchExperimentWithPollingStoppable(APP, id, {
        polling: fastPolling,
        stop: Effect.sync(() => ++checks > 2)
      })
      expect(Option.isNone(stopped)).toBe(true)
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("a stop option that never fires gives Option.some of the finished experiment", () =>
    driven(function*() {
      yield* seed(inputs)
      const result = yield* newBatchExperimentWithResultStoppable(APP, {
        runs: [{ inputId: "mi-1", instanceId: "prod" }],
        polling: fastPolling,
        stop: Effect.succeed(false)
      })
      expect(Option.isSome(result)).toBe(true)
      expect(Option.getOrThrow(result).status).toBe("completed")
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("a missing status keeps polling (it means unknown) and unknown statuses are kept", () =>
    driven(function*() {
      const emulator = yield* seed(inputs)
      yield* emulator.injectFault({
        method: "GET",
        path: appPath("/experiments/batch/x/metadata"),
        times: 2,
        action: FaultAction.status(200, { body: { id: "x", name: "x", status: null } })
      })
      yield* emulator.injectFault({
        method: "GET",
        path: appPath("/experiments/batch/x/metadata"),
        times: 1,
        action: FaultAction.status(200, { body: { id: "x", name: "x", status: "resharding" } })
      })
      const error = yield* failureOf(batchExperimentWithPolling(APP, "x", { polling: { ...fastPolling, maxTries: 3 } }))
      expect(error).toBeInstanceOf(PollingTriesExhaustedError)
      expect((error as PollingTriesExhaustedError).lastStatus).toBe("resharding")
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("invalid runs and ids fail before any request", () =>
    driven(function*() {
      const emulator = yield* seed(inputs)
      yield* emulator.clearRequests
      const batch = yield* BatchExperiments
      const reason = (effect: Effect.Effect<unknown, unknown>) => Effect.map(failureOf(effect), (e) => (e as InvalidArgumentError).reason)
      expect(yield* reason(batch.newBatchExperiment(APP, { runs: [{ inputId: "", instanceId: "prod" }] })))
        .toBe("runs[0]: inputId must be a non-empty string")
      expect(yield* reason(batch.newBatchExperiment(APP, { runs: [{ inputId: "mi-1", instanceId: "p" }, { inputId: "mi-1" }] })))
        .toBe("runs[1]: either instanceId or versionId must be set")
      expect(yield* reason(batch.newBatchExperiment(APP, { runs: [{ inputId: "mi-1", versionId: "v", repetition: -1 }] })))
        .toBe("runs[0]: repetition must be a non-negative integer, got -1")
      const ops = [
        batch.batchExperiment(APP, ""),
        batch.batchExperimentMetadata("", "x"),
        batch.listBatchExperiments(""),
        batch.newBatchExperiment(""),
        batch.updateBatchExperiment(APP, "", {}),
        batch.deleteBatchExperiment(APP, ""),
        batch.scenarioTest(APP, ""),
        batch.scenarioTestMetadata(APP, ""),
        batch.listScenarioTests(""),
        batch.updateScenarioTest(APP, "", {}),
        batch.deleteScenarioTest(APP, "")
      ]
      for (const op of ops) expect(yield* failureOf(op)).toBeInstanceOf(InvalidArgumentError)
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(experimentsLayer())))
})
