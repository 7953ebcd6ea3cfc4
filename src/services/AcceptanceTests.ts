/**
 * `AcceptanceTests`: pass/fail comparisons of a candidate instance against a baseline over a
 * batch experiment (nextmv-py `Application.new_acceptance_test`), under `/v1/applications/{appId}/experiments/acceptance`.
 * The composite `newAcceptanceTest` (which finds or creates the batch experiment) lives in
 * `programs/AcceptanceTests.ts`; {@link Service.createAcceptanceTest} is its final request.
 *
 * @since 0.1.0
 */
import { HttpClientRequest } from "@effect/platform"
import { Context, Effect, Layer, Schema } from "effect"
import type { InvalidArgumentError, NextmvDecodeError, NextmvHttpError } from "../Errors.js"
import { requestWithBody, validateWith } from "../internal/body.js"
import { listOf } from "../internal/pagination.js"
import { acceptanceTestsPath } from "../internal/paths.js"
import { invalidArgument, isGiven, requireIds, requireNonEmpty, requireObject, requireObjectArray } from "../internal/validate.js"
import { AcceptanceTest, type ComparisonOperator, type MetricType, type StatisticType, type ToleranceType } from "../schemas/Experiments.js"
import { MetricBody, NewAcceptanceTestBody, PatchNameDescription } from "../schemas/Requests.js"
import { NextmvClient } from "./NextmvClient.js"
import { traced } from "../internal/traced.js"

/** Errors of an acceptance-test operation. */
export type AcceptanceTestError = NextmvHttpError | NextmvDecodeError | InvalidArgumentError

/** @deprecated Endpoint paths live in one internal module; kept for existing imports. */
export { acceptanceTestsPath }

/**
 * A metric to check, e.g. "the mean of `result.value` of the candidate is at most 5 % above the
 * baseline's": `{ field: "result.value", statistic: "mean", params: { operator: "le", tolerance:
 * { type: "relative", value: 0.05 } } }`.
 */
export interface MetricInput {
  /** Path into the run output's statistics, e.g. `result.value`. */
  readonly field: string
  /** How the values of many runs are collapsed into one. */
  readonly statistic: StatisticType
  readonly params: {
    /** candidate `operator` baseline, within the tolerance. */
    readonly operator: ComparisonOperator
    /** `""` (none), `absolute` or `relative` (a fraction of the baseline's value). */
    readonly tolerance: { readonly type: ToleranceType; readonly value: number }
  }
  /** Default `direct-comparison` (the only type). */
  readonly metricType?: MetricType | undefined
}

/** Options of {@link Service.createAcceptanceTest}. */
export interface CreateAcceptanceTestOptions {
  readonly id: string
  readonly name: string
  /** The batch experiment the test reads (the API wants it to have the test's id). */
  readonly experimentId: string
  readonly candidateInstanceId: string
  /** Sent as `control`. */
  readonly baselineInstanceId: string
  readonly metrics: ReadonlyArray<MetricInput>
  readonly description?: string | undefined
}

/** Options of {@link Service.updateAcceptanceTest}: at least one non-empty field. */
export interface UpdateAcceptanceTestOptions {
  readonly name?: string | undefined
  readonly description?: string | undefined
}

/** The `AcceptanceTests` service. */
export interface Service {
  /**
   * Gets an acceptance test (`GET …/experiments/acceptance/{id}`), with its results once completed.
   *
   * @example
   * ```ts
   * const test = yield* acceptance.acceptanceTest("routing-app", "release-1-5")
   * console.log(test.status, test.results?.passed)
   * ```
   */
  readonly acceptanceTest: (appId: string, acceptanceTestId: string) => Effect.Effect<AcceptanceTest, AcceptanceTestError>
  /** Lists the application's acceptance tests (`GET …/experiments/acceptance`, a bare array). */
  readonly listAcceptanceTests: (appId: string) => Effect.Effect<ReadonlyArray<AcceptanceTest>, AcceptanceTestError>
  /**
   * Sends `POST …/experiments/acceptance` for an existing batch experiment. Most callers want the
   * program `newAcceptanceTest`, which finds or creates the batch experiment first. Fails with
   * `InvalidArgumentError` for empty ids, no metrics or a metric with an unknown statistic,
   * operator, tolerance type or a non-finite tolerance value.
   *
   * @example
   * ```ts
   * yield* acceptance.createAcceptanceTest("routing-app", {
   *   id: "nightly", name: "nightly", experimentId: "nightly",
   *   candidateInstanceId: "staging", baselineInstanceId: "prod",
   *   metrics: [{ field: "result.value", statistic: "mean", params: { operator: "le", tolerance: { type: "relative", value: 0.05 } } }]
   * })
   * ```
   */
  readonly createAcceptanceTest: (
    appId: string,
    options: CreateAcceptanceTestOptions
  ) => Effect.Effect<AcceptanceTest, AcceptanceTestError>
  /**
   * Changes name and/or description (`PATCH …/experiments/acceptance/{id}`). Fails with
   * `InvalidArgumentError` when both are absent or empty.
   *
   * @example
   * ```ts
   * yield* acceptance.updateAcceptanceTest("routing-app", "nightly", { description: "gate for 1.5" })
   * ```
   */
  readonly updateAcceptanceTest: (
    appId: string,
    acceptanceTestId: string,
    options: UpdateAcceptanceTestOptions
  ) => Effect.Effect<AcceptanceTest, AcceptanceTestError>
  /** Deletes an acceptance test and its data, such as the batch experiment (`DELETE …/acceptance/{id}`). */
  readonly deleteAcceptanceTest: (appId: string, acceptanceTestId: string) => Effect.Effect<void, AcceptanceTestError>
}

/** The `AcceptanceTests` service tag. */
export class AcceptanceTests extends Context.Tag("nextmv-effect/AcceptanceTests")<AcceptanceTests, Service>() {}

/**
 * Checks the metrics against the request schema (closed sets of statistics, operators, tolerance
 * and metric types are `Schema.Literal`s) and returns their wire form (`field`, `metric_type`,
 * `params`, `statistic`). Exported for the program `newAcceptanceTest`, which checks before its
 * first request.
 */
export const metricsWire = (
  operation: string,
  metrics: ReadonlyArray<MetricInput>
): Effect.Effect<ReadonlyArray<typeof MetricBody.Type>, InvalidArgumentError> =>
  Effect.gen(function*() {
    yield* requireObjectArray(operation, "metrics", metrics)
    if (metrics.length === 0) return yield* invalidArgument(operation, "metrics must list at least one metric")
    const checked = yield* validateWith(operation, MetricsOnly, {
      metrics: metrics.map((metric) => ({
        field: metric.field,
        metric_type: metric.metricType ?? "direct-comparison",
        params: metric.params,
        statistic: metric.statistic
      }))
    })
    return checked.metrics
  })

const MetricsOnly = Schema.Struct({ metrics: Schema.Array(MetricBody) })

/** Builds the service from the `NextmvClient`. */
export const make: Effect.Effect<Service, never, NextmvClient> = Effect.gen(function*() {
  const { api } = yield* NextmvClient

  const acceptanceTest = traced("AcceptanceTests.acceptanceTest")(function*(appId: string, acceptanceTestId: string) {
    yield* requireIds("AcceptanceTests.acceptanceTest", { appId, acceptanceTestId })
    return yield* api.json(HttpClientRequest.get(acceptanceTestsPath(appId, acceptanceTestId)), AcceptanceTest)
  })

  const listAcceptanceTests = traced("AcceptanceTests.listAcceptanceTests")(function*(appId: string) {
    yield* requireIds("AcceptanceTests.listAcceptanceTests", { appId })
    return yield* api.json(HttpClientRequest.get(acceptanceTestsPath(appId)), listOf(AcceptanceTest))
  })

  const createAcceptanceTest = traced("AcceptanceTests.createAcceptanceTest")(
    function*(appId: string, options: CreateAcceptanceTestOptions) {
      const operation = "AcceptanceTests.createAcceptanceTest"
      yield* requireIds(operation, { appId })
      yield* requireObject(operation, "options", options)
      yield* requireIds(operation, { id: options.id })
      yield* requireNonEmpty(operation, "name", options.name)
      yield* requireIds(operation, {
        experimentId: options.experimentId,
        candidateInstanceId: options.candidateInstanceId,
        baselineInstanceId: options.baselineInstanceId
      })
      const metrics = yield* metricsWire(operation, options.metrics)
      const request = yield* requestWithBody(operation, "POST", acceptanceTestsPath(appId), NewAcceptanceTestBody, {
        candidate: { instance_id: options.candidateInstanceId },
        control: { instance_id: options.baselineInstanceId },
        metrics,
        experiment_id: options.experimentId,
        name: options.name,
        id: options.id,
        description: options.description
      })
      return yield* api.json(request, AcceptanceTest)
    }
  )

  const updateAcceptanceTest = traced("AcceptanceTests.updateAcceptanceTest")(
    function*(appId: string, acceptanceTestId: string, options: UpdateAcceptanceTestOptions) {
      const operation = "AcceptanceTests.updateAcceptanceTest"
      yield* requireIds(operation, { appId, acceptanceTestId })
      yield* requireObject(operation, "options", options)
      if (!isGiven(options.name) && !isGiven(options.description)) {
        return yield* invalidArgument(operation, "at least one of name or description must be provided for update")
      }
      // An empty string next to a non-empty other field is still sent (as nextmv-py does).
      const request = yield* requestWithBody(
        operation,
        "PATCH",
        acceptanceTestsPath(appId, acceptanceTestId),
        PatchNameDescription,
        { name: options.name, description: options.description }
      )
      return yield* api.json(request, AcceptanceTest)
    }
  )

  const deleteAcceptanceTest = traced("AcceptanceTests.deleteAcceptanceTest")(
    function*(appId: string, acceptanceTestId: string) {
      yield* requireIds("AcceptanceTests.deleteAcceptanceTest", { appId, acceptanceTestId })
      yield* api.discard(HttpClientRequest.del(acceptanceTestsPath(appId, acceptanceTestId)))
    }
  )

  return AcceptanceTests.of({
    acceptanceTest,
    listAcceptanceTests,
    createAcceptanceTest,
    updateAcceptanceTest,
    deleteAcceptanceTest
  })
})

/** The `AcceptanceTests` layer; requires `NextmvClient`. */
export const layer: Layer.Layer<AcceptanceTests, never, NextmvClient> = Layer.effect(AcceptanceTests, make)
