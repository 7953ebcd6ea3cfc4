/**
 * Acceptance-test programs (nextmv-py's `Application.new_acceptance_test`,
 * `acceptance_test_with_polling`, `new_acceptance_test_with_result`): create an acceptance test over a
 * new or existing batch experiment, and wait for its results.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import type { PollingTimeoutError, PollingTriesExhaustedError } from "../Errors.js"
import { isNotFound } from "../internal/crud.js"
import { safeId } from "../internal/ids.js"
import { invalidArgument, isGiven, requireIds, requireObject } from "../internal/validate.js"
import { type AcceptanceTest, isTerminalExperimentStatus } from "../schemas/Experiments.js"
import { type AcceptanceTestError, AcceptanceTests, type MetricInput, metricsWire } from "../services/AcceptanceTests.js"
import { BatchExperiments } from "../services/BatchExperiments.js"
import { InputSets } from "../services/InputSets.js"
import type { ExperimentPollingOptions } from "./Experiments.js"
import { poll, pollStoppable, type StopOption, validatePollingProgram } from "./Polling.js"

/** Options of {@link newAcceptanceTest}. */
export interface NewAcceptanceTestOptions {
  /** The instance under test. */
  readonly candidateInstanceId: string
  /** The instance to compare against (sent as `control`). */
  readonly baselineInstanceId: string
  /** The metrics to check; at least one. */
  readonly metrics: ReadonlyArray<MetricInput>
  /** Default: generated, `acceptance-` + 8 characters of `[a-z0-9]`. Also the batch experiment's id. */
  readonly id?: string | undefined
  /** Default: the id. */
  readonly name?: string | undefined
  /**
   * When given, a new batch experiment with the test's id is created over this input set: per
   * input, one candidate run then one baseline run. When absent, the batch experiment with the
   * test's id must already exist.
   */
  readonly inputSetId?: string | undefined
  readonly description?: string | undefined
}

/** Errors of the acceptance-test polling programs. */
export type AcceptanceTestPollingError = AcceptanceTestError | PollingTimeoutError | PollingTriesExhaustedError

const operation = "AcceptanceTests.newAcceptanceTest"

/**
 * Creates an acceptance test (nextmv-py's `Application.new_acceptance_test`). The id defaults to `acceptance-xxxxxxxx` and the name
 * to the id. Then:
 * - without `inputSetId`, the batch experiment with the test's id is reused (GET it with its
 *   runs); when it does not exist (404) this fails with `InvalidArgumentError` saying an input
 *   set is needed; any other HTTP error is returned as is;
 * - with `inputSetId`, the input set is fetched (`InvalidArgumentError` when its `input_ids` are
 *   empty) and a batch experiment with the test's id, name and description is created with, for
 *   each input in order, a candidate run then a baseline run.
 * A batch experiment id different from the test id fails with `InvalidArgumentError`. Finally
 * `POST …/experiments/acceptance` with `candidate` / `control`. Arguments (including every
 * metric) are checked before the first request.
 *
 * @example
 * ```ts
 * const test = yield* newAcceptanceTest("routing-app", {
 *   candidateInstanceId: "staging",
 *   baselineInstanceId: "prod",
 *   inputSetId: "benchmark",
 *   metrics: [{ field: "result.value", statistic: "mean", params: { operator: "le", tolerance: { type: "relative", value: 0.05 } } }]
 * })
 * ```
 */
export const newAcceptanceTest = (
  appId: string,
  options: NewAcceptanceTestOptions
): Effect.Effect<AcceptanceTest, AcceptanceTestError, AcceptanceTests | BatchExperiments | InputSets> =>
  Effect.gen(function*() {
    yield* requireIds(operation, { appId })
    yield* requireObject(operation, "options", options)
    yield* requireIds(operation, {
      candidateInstanceId: options.candidateInstanceId,
      baselineInstanceId: options.baselineInstanceId
    })
    yield* metricsWire(operation, options.metrics)
    const acceptance = yield* AcceptanceTests
    const batch = yield* BatchExperiments
    const id = isGiven(options.id) ? options.id : yield* safeId("acceptance")
    const name = isGiven(options.name) ? options.name : id

    let batchExperimentId: string
    if (options.inputSetId === undefined) {
      const existing = yield* batch.batchExperiment(appId, id).pipe(
        Effect.catchIf(isNotFound, () =>
          invalidArgument(operation, `batch experiment ${id} does not exist, inputSetId must be defined to create a new one`))
      )
      batchExperimentId = existing.id
    } else {
      const inputSet = yield* (yield* InputSets).inputSet(appId, options.inputSetId)
      // Only `input_ids` counts here, as in nextmv-py.
      if (inputSet.input_ids.length === 0) {
        return yield* invalidArgument(operation, `input set ${options.inputSetId} does not contain any inputs`)
      }
      const inputSetId = options.inputSetId
      batchExperimentId = yield* batch.newBatchExperiment(appId, {
        id,
        name,
        description: options.description,
        runs: inputSet.input_ids.flatMap((inputId) => [
          { instanceId: options.candidateInstanceId, inputSetId, inputId },
          { instanceId: options.baselineInstanceId, inputSetId, inputId }
        ])
      })
    }
    if (batchExperimentId !== id) {
      return yield* invalidArgument(
        operation,
        `batch experiment_id (${batchExperimentId}) does not match acceptance test id (${id})`
      )
    }
    return yield* acceptance.createAcceptanceTest(appId, {
      id,
      name,
      experimentId: batchExperimentId,
      candidateInstanceId: options.candidateInstanceId,
      baselineInstanceId: options.baselineInstanceId,
      metrics: options.metrics,
      description: options.description
    })
  }).pipe(Effect.withSpan(operation, { attributes: { appId } }))

const untilTerminal = (options: ExperimentPollingOptions) => ({
  until: (test: AcceptanceTest) => isTerminalExperimentStatus(test.status),
  status: (test: AcceptanceTest) => test.status,
  polling: options.polling
})

// As nextmv-py: one more GET once polling has ended, and that fresh object is returned.
const pollAcceptanceTest = (
  appId: string,
  acceptanceTestId: string,
  options: ExperimentPollingOptions,
  span: string
): Effect.Effect<AcceptanceTest, AcceptanceTestPollingError, AcceptanceTests> =>
  Effect.flatMap(
    Effect.zipRight(requireObject(span, "options", options), AcceptanceTests),
    (acceptance) =>
      poll(acceptance.acceptanceTest(appId, acceptanceTestId), untilTerminal(options)).pipe(
        Effect.flatMap(() => acceptance.acceptanceTest(appId, acceptanceTestId))
      )
  ).pipe(Effect.withSpan(span, { attributes: { appId, acceptanceTestId } }))

const pollAcceptanceTestStoppable = (
  appId: string,
  acceptanceTestId: string,
  options: ExperimentPollingOptions & StopOption,
  span: string
): Effect.Effect<Option.Option<AcceptanceTest>, AcceptanceTestPollingError, AcceptanceTests> =>
  Effect.flatMap(
    Effect.zipRight(requireObject(span, "options", options), AcceptanceTests),
    (acceptance) =>
      pollStoppable(acceptance.acceptanceTest(appId, acceptanceTestId), { ...untilTerminal(options), stop: options.stop })
        .pipe(Effect.flatMap(Effect.transposeMapOption(() => acceptance.acceptanceTest(appId, acceptanceTestId))))
  ).pipe(
    Effect.withSpan(span, { attributes: { appId, acceptanceTestId } })
  )

/**
 * Waits for an acceptance test (nextmv-py's `Application.acceptance_test_with_polling`): polls it
 * until its status is `completed`, `failed`, `draft`, `canceled` or `delete-failed` (a missing
 * status is `unknown` and keeps polling), then GETs it once more and returns that. Fails with
 * `PollingTimeoutError` / `PollingTriesExhaustedError` when polling gives up.
 *
 * @example
 * ```ts
 * const test = yield* acceptanceTestWithPolling("routing-app", "release-1-5")
 * if (!test.results?.passed) console.log(test.results?.metric_results)
 * ```
 */
export const acceptanceTestWithPolling = (
  appId: string,
  acceptanceTestId: string,
  options: ExperimentPollingOptions = {}
): Effect.Effect<AcceptanceTest, AcceptanceTestPollingError, AcceptanceTests> =>
  pollAcceptanceTest(appId, acceptanceTestId, options, "AcceptanceTests.acceptanceTestWithPolling")

/**
 * {@link acceptanceTestWithPolling} with nextmv-py's `stop`: asked before each check; `true` ends
 * with `Option.none()` (no error).
 *
 * @example
 * ```ts
 * const test = yield* acceptanceTestWithPollingStoppable("routing-app", "release-1-5", { stop: Ref.get(shuttingDown) })
 * ```
 */
export const acceptanceTestWithPollingStoppable = (
  appId: string,
  acceptanceTestId: string,
  options: ExperimentPollingOptions & StopOption
): Effect.Effect<Option.Option<AcceptanceTest>, AcceptanceTestPollingError, AcceptanceTests> =>
  pollAcceptanceTestStoppable(appId, acceptanceTestId, options, "AcceptanceTests.acceptanceTestWithPollingStoppable")

/**
 * {@link newAcceptanceTest}, then {@link acceptanceTestWithPolling} on the created test.
 *
 * @example
 * ```ts
 * const test = yield* newAcceptanceTestWithResult("routing-app", {
 *   candidateInstanceId: "staging", baselineInstanceId: "prod", inputSetId: "benchmark",
 *   metrics: [{ field: "result.value", statistic: "mean", params: { operator: "le", tolerance: { type: "relative", value: 0.05 } } }],
 *   polling: { maxDuration: "30 minutes" }
 * })
 * console.log(test.results?.passed)
 * ```
 */
export const newAcceptanceTestWithResult = (
  appId: string,
  options: NewAcceptanceTestOptions & ExperimentPollingOptions
): Effect.Effect<AcceptanceTest, AcceptanceTestPollingError, AcceptanceTests | BatchExperiments | InputSets> =>
  Effect.zipRight(
    validatePollingProgram("AcceptanceTests.newAcceptanceTestWithResult", options, { stoppable: false }),
    Effect.flatMap(
      newAcceptanceTest(appId, options),
      (created) => pollAcceptanceTest(appId, created.id, options, "AcceptanceTests.newAcceptanceTestWithResult")
    )
  )

/**
 * {@link newAcceptanceTestWithResult} with nextmv-py's `stop` (see
 * {@link acceptanceTestWithPollingStoppable}).
 *
 * @example
 * ```ts
 * const test = yield* newAcceptanceTestWithResultStoppable("routing-app", {
 *   candidateInstanceId: "staging", baselineInstanceId: "prod", inputSetId: "benchmark",
 *   metrics: [{ field: "result.value", statistic: "mean", params: { operator: "le", tolerance: { type: "relative", value: 0.05 } } }],
 *   stop: Ref.get(shuttingDown)
 * })
 * ```
 */
export const newAcceptanceTestWithResultStoppable = (
  appId: string,
  options: NewAcceptanceTestOptions & ExperimentPollingOptions & StopOption
): Effect.Effect<
  Option.Option<AcceptanceTest>,
  AcceptanceTestPollingError,
  AcceptanceTests | BatchExperiments | InputSets
> =>
  Effect.zipRight(
    validatePollingProgram("AcceptanceTests.newAcceptanceTestWithResultStoppable", options, { stoppable: true }),
    Effect.flatMap(
      newAcceptanceTest(appId, options),
      (created) => pollAcceptanceTestStoppable(appId, created.id, options, "AcceptanceTests.newAcceptanceTestWithResultStoppable")
    )
  )
