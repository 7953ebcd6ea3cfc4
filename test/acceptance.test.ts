import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { InvalidArgumentError, NextmvHttpError, PollingTimeoutError } from "../src/Errors.js"
import {
  acceptanceTestWithPolling,
  acceptanceTestWithPollingStoppable,
  newAcceptanceTest,
  newAcceptanceTestWithResult
} from "../src/programs/AcceptanceTests.js"
import { batchExperimentWithPolling } from "../src/programs/Experiments.js"
import { AcceptanceTests, type MetricInput } from "../src/services/AcceptanceTests.js"
import { BatchExperiments } from "../src/services/BatchExperiments.js"
import { FaultAction } from "../src/testing/Emulator.js"
import { type DecisionModel, Models } from "../src/testing/areas/models.js"
import { APP, appPath, experimentsLayer, fastPolling, seed, wire } from "./support/experiments.js"
import { driven, failureOf } from "./support/time.js"

const inputs = { "mi-1": { value: 100 }, "mi-2": { value: 200 }, "mi-3": { value: 300 } }

/** A model whose `statistics.result.value` is the input's `value` times `factor`. */
const scaled = (factor: number): DecisionModel =>
  Models.output((input) => ({
    statistics: { result: { value: ((input.input as { value: number }).value) * factor } }
  }))

const meanWithin5Percent: MetricInput = {
  field: "result.value",
  statistic: "mean",
  params: { operator: "le", tolerance: { type: "relative", value: 0.05 } }
}

/** Seeds inputs, a 3-input set and models: staging is 2 % below prod. */
const setup = Effect.gen(function*() {
  const emulator = yield* seed(inputs)
  emulator.areas.inputSets.seed(APP, { id: "bench", inputIds: ["mi-1", "mi-2", "mi-3"] })
  emulator.areas.runs.setModel(`${APP}/prod`, scaled(1))
  emulator.areas.runs.setModel(`${APP}/staging`, scaled(0.98))
  yield* emulator.clearRequests
  return emulator
})

describe("newAcceptanceTest, case B: a new batch experiment over an input set (spec §3.5)", () => {
  it.effect("creates candidate-then-baseline runs per input and posts candidate/control (contract §15.1)", () =>
    driven(function*() {
      yield* setup
      const test = yield* newAcceptanceTest(APP, {
        candidateInstanceId: "staging",
        baselineInstanceId: "prod",
        inputSetId: "bench",
        metrics: [meanWithin5Percent]
      })
      expect(test.id).toMatch(/^acceptance-[a-z0-9]{8}$/)
      const id = test.id
      expect(test.name).toBe(id)
      expect(test.experiment_id).toBe(id)
      expect(test.status).toBe("started")
      const run = (instance_id: string, input_id: string) => ({ input_id, instance_id, input_set_id: "bench" })
      expect(yield* wire).toEqual([
        { method: "GET", path: appPath("/experiments/inputsets/bench"), query: {}, body: undefined },
        {
          method: "POST",
          path: appPath("/experiments/batch"),
          query: {},
          body: {
            id,
            name: id,
            runs: [
              run("staging", "mi-1"),
              run("prod", "mi-1"),
              run("staging", "mi-2"),
              run("prod", "mi-2"),
              run("staging", "mi-3"),
              run("prod", "mi-3")
            ],
            type: "batch"
          }
        },
        {
          method: "POST",
          path: appPath("/experiments/acceptance"),
          query: {},
          body: {
            candidate: { instance_id: "staging" },
            control: { instance_id: "prod" },
            metrics: [{
              field: "result.value",
              metric_type: "direct-comparison",
              params: { operator: "le", tolerance: { type: "relative", value: 0.05 } },
              statistic: "mean"
            }],
            experiment_id: id,
            name: id,
            id
          }
        }
      ])
      // Runs that take a while, so the test is still `started` when it is read back on a busy machine.
    }).pipe(Effect.provide(experimentsLayer({ runs: { runningMillis: 5_000 } }))))

  it.effect("with result: computes per-metric statistics and pass/fail, including a failing metric", () =>
    driven(function*() {
      yield* setup
      const test = yield* newAcceptanceTestWithResult(APP, {
        id: "release-1-5",
        name: "Release 1.5",
        description: "gate",
        candidateInstanceId: "staging",
        baselineInstanceId: "prod",
        inputSetId: "bench",
        metrics: [
          meanWithin5Percent,
          // Fails: the candidate's p90 is below the baseline's, and no tolerance is allowed.
          { field: "result.value", statistic: "p90", params: { operator: "ge", tolerance: { type: "", value: 0 } } }
        ],
        polling: fastPolling
      })
      expect(test.status).toBe("completed")
      expect([test.name, test.description, test.app_id]).toEqual(["Release 1.5", "gate", APP])
      expect(test.control.instance_id).toBe("prod")
      const results = test.results!
      expect(results.passed).toBe(false)
      expect(results.error).toBeUndefined()
      expect(results.metric_results.map((r) => [r.metric.statistic, r.passed])).toEqual([["mean", true], ["p90", false]])
      const mean = results.metric_results[0]!.statistics
      expect(mean.control.instance_id).toBe("prod")
      expect(mean.control.number_of_runs_total).toBe(3)
      expect(mean.control.distribution_summary_statistics.mean).toBe(200)
      expect(mean.control.distribution_summary_statistics.count).toBe(3)
      expect(mean.candidate.distribution_summary_statistics.mean).toBeCloseTo(196, 9)
      expect(mean.candidate.distribution_summary_statistics.min).toBeCloseTo(98, 9)
      expect(mean.control.distribution_percentiles.p90).toBe(280)
      expect(results.metric_results[1]!.statistics.candidate.distribution_percentiles.p90).toBeCloseTo(274.4, 9)
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("all metrics passing gives passed = true", () =>
    driven(function*() {
      yield* setup
      const test = yield* newAcceptanceTestWithResult(APP, {
        candidateInstanceId: "staging",
        baselineInstanceId: "prod",
        inputSetId: "bench",
        metrics: [meanWithin5Percent, { ...meanWithin5Percent, statistic: "max" }],
        polling: fastPolling
      })
      expect(test.results?.passed).toBe(true)
      expect(test.results?.metric_results.every((r) => r.passed)).toBe(true)
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("an input set without input_ids is rejected after fetching it, before creating anything", () =>
    driven(function*() {
      const emulator = yield* setup
      emulator.areas.inputSets.seed(APP, { id: "empty", inputIds: [] })
      const error = yield* failureOf(newAcceptanceTest(APP, {
        id: "t",
        candidateInstanceId: "staging",
        baselineInstanceId: "prod",
        inputSetId: "empty",
        metrics: [meanWithin5Percent]
      }))
      expect(error).toEqual(
        new InvalidArgumentError({
          operation: "AcceptanceTests.newAcceptanceTest",
          reason: "input set empty does not contain any inputs"
        })
      )
      expect((yield* wire).map((r) => r.method)).toEqual(["GET"])
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("a metric that no run reports makes the test fail with an error", () =>
    driven(function*() {
      yield* setup
      const test = yield* newAcceptanceTestWithResult(APP, {
        candidateInstanceId: "staging",
        baselineInstanceId: "prod",
        inputSetId: "bench",
        metrics: [{ ...meanWithin5Percent, field: "result.missing" }],
        polling: fastPolling
      })
      expect(test.status).toBe("completed")
      expect(test.results?.passed).toBe(false)
      expect(test.results?.error).toContain("result.missing")
    }).pipe(Effect.provide(experimentsLayer())))
})

describe("newAcceptanceTest, case A: reuse the batch experiment with the test's id", () => {
  it.effect("GETs the batch experiment and its runs, creates nothing else, then posts the test", () =>
    driven(function*() {
      const emulator = yield* setup
      const batch = yield* BatchExperiments
      yield* batch.newBatchExperiment(APP, {
        id: "nightly",
        runs: ["mi-1", "mi-2", "mi-3"].flatMap((inputId) => [
          { inputId, instanceId: "staging" },
          { inputId, instanceId: "prod" }
        ])
      })
      yield* batchExperimentWithPolling(APP, "nightly", { polling: fastPolling })
      yield* emulator.clearRequests
      const test = yield* newAcceptanceTest(APP, {
        id: "nightly",
        description: "reuse",
        candidateInstanceId: "staging",
        baselineInstanceId: "prod",
        metrics: [meanWithin5Percent]
      })
      expect(test.status).toBe("completed")
      const requests = yield* wire
      expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        `GET ${appPath("/experiments/batch/nightly")}`,
        `GET ${appPath("/experiments/batch/nightly/runs")}`,
        `POST ${appPath("/experiments/acceptance")}`
      ])
      expect(requests[2]!.body).toMatchObject({ id: "nightly", name: "nightly", experiment_id: "nightly", description: "reuse" })
      const final = yield* acceptanceTestWithPolling(APP, "nightly", { polling: fastPolling })
      expect(final.results?.passed).toBe(true)
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("a missing batch experiment (404) is an InvalidArgumentError saying an input set is needed", () =>
    driven(function*() {
      yield* setup
      const error = yield* failureOf(newAcceptanceTest(APP, {
        id: "nope",
        candidateInstanceId: "staging",
        baselineInstanceId: "prod",
        metrics: [meanWithin5Percent]
      }))
      expect(error).toEqual(
        new InvalidArgumentError({
          operation: "AcceptanceTests.newAcceptanceTest",
          reason: "batch experiment nope does not exist, inputSetId must be defined to create a new one"
        })
      )
      expect((yield* wire).map((r) => r.method)).toEqual(["GET"])
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("any other HTTP error is returned as is; a different batch id is rejected", () =>
    driven(function*() {
      const emulator = yield* setup
      yield* emulator.injectFault({ method: "GET", path: appPath("/experiments/batch/locked"), action: FaultAction.status(403) })
      const forbidden = yield* failureOf(newAcceptanceTest(APP, {
        id: "locked",
        candidateInstanceId: "staging",
        baselineInstanceId: "prod",
        metrics: [meanWithin5Percent]
      }))
      expect(forbidden).toBeInstanceOf(NextmvHttpError)
      expect((forbidden as NextmvHttpError).status).toBe(403)
      yield* emulator.injectFault({
        method: "GET",
        path: appPath("/experiments/batch/mine"),
        action: FaultAction.status(200, { body: { id: "someone-else", name: "x" } })
      })
      yield* emulator.injectFault({
        method: "GET",
        path: appPath("/experiments/batch/mine/runs"),
        action: FaultAction.status(200, { body: { runs: [] } })
      })
      yield* emulator.clearRequests
      const mismatch = yield* failureOf(newAcceptanceTest(APP, {
        id: "mine",
        candidateInstanceId: "staging",
        baselineInstanceId: "prod",
        metrics: [meanWithin5Percent]
      }))
      expect((mismatch as InvalidArgumentError).reason)
        .toBe("batch experiment_id (someone-else) does not match acceptance test id (mine)")
      expect((yield* wire).filter((r) => r.method === "POST")).toEqual([])
    }).pipe(Effect.provide(experimentsLayer())))
})

describe("AcceptanceTests service", () => {
  it.effect("gets, lists, updates (PATCH) and deletes (with its batch experiment)", () =>
    driven(function*() {
      const emulator = yield* setup
      const acceptance = yield* AcceptanceTests
      yield* newAcceptanceTest(APP, {
        id: "t1",
        candidateInstanceId: "staging",
        baselineInstanceId: "prod",
        inputSetId: "bench",
        metrics: [meanWithin5Percent]
      })
      yield* emulator.clearRequests
      expect((yield* acceptance.acceptanceTest(APP, "t1")).candidate.instance_id).toBe("staging")
      expect((yield* acceptance.listAcceptanceTests(APP)).map((t) => t.id)).toEqual(["t1"])
      const updated = yield* acceptance.updateAcceptanceTest(APP, "t1", { name: "Gate", description: "" })
      expect([updated.name, updated.description]).toEqual(["Gate", ""])
      yield* acceptance.deleteAcceptanceTest(APP, "t1")
      expect(yield* wire).toEqual([
        { method: "GET", path: appPath("/experiments/acceptance/t1"), query: {}, body: undefined },
        { method: "GET", path: appPath("/experiments/acceptance"), query: {}, body: undefined },
        { method: "PATCH", path: appPath("/experiments/acceptance/t1"), query: {}, body: { name: "Gate", description: "" } },
        { method: "DELETE", path: appPath("/experiments/acceptance/t1"), query: {}, body: undefined }
      ])
      expect(yield* acceptance.listAcceptanceTests(APP)).toEqual([])
      const gone = yield* failureOf((yield* BatchExperiments).batchExperimentMetadata(APP, "t1"))
      expect((gone as NextmvHttpError).status).toBe(404)
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("validation: update needs a name or description; metrics and ids are checked before any request", () =>
    driven(function*() {
      yield* setup
      const acceptance = yield* AcceptanceTests
      expect(yield* failureOf(acceptance.updateAcceptanceTest(APP, "t1", { name: "", description: "" }))).toEqual(
        new InvalidArgumentError({
          operation: "AcceptanceTests.updateAcceptanceTest",
          reason: "at least one of name or description must be provided for update"
        })
      )
      const base = { candidateInstanceId: "staging", baselineInstanceId: "prod", inputSetId: "bench" }
      const reason = (metrics: ReadonlyArray<unknown>, extra: object = {}) =>
        Effect.map(
          failureOf(newAcceptanceTest(APP, { ...base, ...extra, metrics: metrics as ReadonlyArray<MetricInput> })),
          (e) => (e as InvalidArgumentError).reason
        )
      expect(yield* reason([])).toBe("metrics must list at least one metric")
      expect(yield* reason([{ ...meanWithin5Percent, field: "" }])).toBe("metrics[0]: field must be a non-empty string")
      expect(yield* reason([{ ...meanWithin5Percent, statistic: "median" }])).toContain("metrics[0]: statistic must be one of min")
      expect(yield* reason([meanWithin5Percent, { ...meanWithin5Percent, params: { operator: "<=", tolerance: { type: "", value: 0 } } }]))
        .toContain("metrics[1]: params.operator must be one of eq")
      expect(yield* reason([{ ...meanWithin5Percent, params: { operator: "le", tolerance: { type: "percent", value: 1 } } }]))
        .toBe(`metrics[0]: params.tolerance.type must be "", "absolute" or "relative"`)
      expect(yield* reason([{ ...meanWithin5Percent, params: { operator: "le", tolerance: { type: "absolute", value: Number.NaN } } }]))
        .toBe("metrics[0]: params.tolerance.value must be a finite number")
      expect(yield* reason([meanWithin5Percent], { candidateInstanceId: "" })).toBe("candidateInstanceId must be a non-empty string")
      expect(yield* reason([meanWithin5Percent], { baselineInstanceId: "" })).toBe("baselineInstanceId must be a non-empty string")
      for (
        const op of [
          acceptance.acceptanceTest(APP, ""),
          acceptance.listAcceptanceTests(""),
          acceptance.deleteAcceptanceTest("", "t"),
          acceptance.createAcceptanceTest(APP, {
            id: "t",
            name: "t",
            experimentId: "",
            candidateInstanceId: "a",
            baselineInstanceId: "b",
            metrics: [meanWithin5Percent]
          })
        ]
      ) expect(yield* failureOf(op)).toBeInstanceOf(InvalidArgumentError)
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(experimentsLayer())))
})

describe("acceptanceTestWithPolling", () => {
  it.effect("GETs the test once more after polling ends and returns that fresh object", () =>
    driven(function*() {
      const emulator = yield* setup
      yield* newAcceptanceTest(APP, {
        id: "t1",
        candidateInstanceId: "staging",
        baselineInstanceId: "prod",
        inputSetId: "bench",
        metrics: [meanWithin5Percent]
      })
      // The first poll sees a (stale) terminal object; the returned one must come from a later GET.
      yield* emulator.injectFault({
        method: "GET",
        path: appPath("/experiments/acceptance/t1"),
        action: FaultAction.status(200, {
          body: { id: "t1", name: "stale", control: { instance_id: "prod" }, candidate: { instance_id: "staging" }, status: "draft" }
        })
      })
      yield* emulator.clearRequests
      const test = yield* acceptanceTestWithPolling(APP, "t1", { polling: fastPolling })
      expect(test.name).toBe("t1")
      expect((yield* wire).map((r) => `${r.method} ${r.path}`)).toEqual([
        `GET ${appPath("/experiments/acceptance/t1")}`,
        `GET ${appPath("/experiments/acceptance/t1")}`
      ])
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("a failed batch experiment makes the test end failed; timeouts and stops are typed", () =>
    driven(function*() {
      const emulator = yield* setup
      emulator.areas.runs.setModel(`${APP}/prod`, Models.fail("boom"))
      emulator.areas.runs.setModel(`${APP}/staging`, Models.fail("boom"))
      const failed = yield* newAcceptanceTestWithResult(APP, {
        candidateInstanceId: "staging",
        baselineInstanceId: "prod",
        inputSetId: "bench",
        metrics: [meanWithin5Percent],
        polling: fastPolling
      })
      expect(failed.status).toBe("failed")
      expect(failed.results?.passed).toBe(false)
      expect(failed.results?.error).toBeDefined()

      emulator.areas.runs.setModel(`${APP}/prod`, Models.sleep(3_600_000))
      const slow = yield* newAcceptanceTest(APP, {
        candidateInstanceId: "staging",
        baselineInstanceId: "prod",
        inputSetId: "bench",
        metrics: [meanWithin5Percent]
      })
      const timeout = yield* failureOf(
        acceptanceTestWithPolling(APP, slow.id, { polling: { ...fastPolling, maxDuration: "30 millis" } })
      )
      expect(timeout).toBeInstanceOf(PollingTimeoutError)
      expect((timeout as PollingTimeoutError).lastStatus).toBe("started")
      const stopped = yield* acceptanceTestWithPollingStoppable(APP, slow.id, { polling: fastPolling, stop: Effect.succeed(true) })
      expect(stopped).toEqual(Option.none())
    }).pipe(Effect.provide(experimentsLayer())))
})
