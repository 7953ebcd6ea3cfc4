/**
 * Batch-experiment programs: wait for a batch experiment to finish and fetch it with its runs,
 * built on the one polling loop of `Polling.ts` (nextmv-py's `Application.batch_experiment_with_polling`
 * and `Application.new_batch_experiment_with_result`).
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import type { PollingTimeoutError, PollingTriesExhaustedError } from "../Errors.js"
import { type BatchExperiment, type BatchExperimentMetadata, isTerminalExperimentStatus } from "../schemas/Experiments.js"
import { type BatchExperimentError, BatchExperiments, type NewBatchExperimentOptions } from "../services/BatchExperiments.js"
import { requireObject } from "../internal/validate.js"
import { poll, type PollingInput, pollStoppable, type StopOption, validatePollingProgram } from "./Polling.js"

/** Errors of the experiment polling programs. */
export type ExperimentPollingError = BatchExperimentError | PollingTimeoutError | PollingTriesExhaustedError

/** Options of the `…WithPolling` / `…WithResult` programs. */
export interface ExperimentPollingOptions {
  /**
   * Polling options (nextmv-py's defaults: first check after 1 s, at most 100 checks or 300 s) or
   * any `Schedule`.
   */
  readonly polling?: PollingInput | undefined
}

const statusOf = (metadata: BatchExperimentMetadata) => metadata.status ?? "unknown"

const untilTerminal = (options: ExperimentPollingOptions) => ({
  until: (metadata: BatchExperimentMetadata) => isTerminalExperimentStatus(metadata.status),
  status: statusOf,
  polling: options.polling
})

/** The span (and operation) name given by the caller, or this module's when it is not a string. */
const spanName = (span: unknown): string => typeof span === "string" && span !== "" ? span : "BatchExperiments.pollBatchExperiment"

/**
 * Polls `…/batch/{id}/metadata` until the status is `completed`, `failed`, `draft`, `canceled` or
 * `delete-failed` (a missing status keeps polling), then fetches the experiment with its runs.
 * Shared by batch experiments and scenario tests.
 */
export const pollBatchExperiment = (
  appId: string,
  batchId: string,
  options: ExperimentPollingOptions,
  span: string
): Effect.Effect<BatchExperiment, ExperimentPollingError, BatchExperiments> =>
  Effect.flatMap(
    Effect.zipRight(requireObject(spanName(span), "options", options), BatchExperiments),
    (batch) =>
      poll(batch.batchExperimentMetadata(appId, batchId), untilTerminal(options)).pipe(
        Effect.flatMap((metadata) => batch.batchExperiment(appId, metadata.id))
      )
  ).pipe(Effect.withSpan(spanName(span), { attributes: { appId, batchId } }))

/** {@link pollBatchExperiment} with nextmv-py's `stop`: `Option.none()` when stopped on request. */
export const pollBatchExperimentStoppable = (
  appId: string,
  batchId: string,
  options: ExperimentPollingOptions & StopOption,
  span: string
): Effect.Effect<Option.Option<BatchExperiment>, ExperimentPollingError, BatchExperiments> =>
  Effect.flatMap(
    Effect.zipRight(requireObject(spanName(span), "options", options), BatchExperiments),
    (batch) =>
      pollStoppable(batch.batchExperimentMetadata(appId, batchId), { ...untilTerminal(options), stop: options.stop }).pipe(
        Effect.flatMap(Effect.transposeMapOption((metadata) => batch.batchExperiment(appId, metadata.id)))
      )
  ).pipe(Effect.withSpan(spanName(span), { attributes: { appId, batchId } }))

/**
 * Waits for a batch experiment to finish and returns it with its runs (nextmv-py's
 * `Application.batch_experiment_with_polling`): polls the metadata until a terminal status, then
 * `BatchExperiments.batchExperiment`. A `failed` experiment is returned like a completed one
 * (check `status`). Fails with `PollingTimeoutError` / `PollingTriesExhaustedError` when polling
 * gives up, and with the HTTP errors of the requests.
 *
 * @example
 * ```ts
 * const experiment = yield* batchExperimentWithPolling("routing-app", "nightly", { polling: { maxDuration: "30 minutes" } })
 * console.log(experiment.status, experiment.runs.length)
 * ```
 */
export const batchExperimentWithPolling = (
  appId: string,
  batchId: string,
  options: ExperimentPollingOptions = {}
): Effect.Effect<BatchExperiment, ExperimentPollingError, BatchExperiments> =>
  pollBatchExperiment(appId, batchId, options, "BatchExperiments.batchExperimentWithPolling")

/**
 * {@link batchExperimentWithPolling} with nextmv-py's `stop`: asked before each check; `true` ends
 * with `Option.none()` (no error).
 *
 * @example
 * ```ts
 * const experiment = yield* batchExperimentWithPollingStoppable("routing-app", "nightly", { stop: Ref.get(shuttingDown) })
 * ```
 */
export const batchExperimentWithPollingStoppable = (
  appId: string,
  batchId: string,
  options: ExperimentPollingOptions & StopOption
): Effect.Effect<Option.Option<BatchExperiment>, ExperimentPollingError, BatchExperiments> =>
  pollBatchExperimentStoppable(appId, batchId, options, "BatchExperiments.batchExperimentWithPollingStoppable")

/**
 * Creates a batch experiment (`BatchExperiments.newBatchExperiment`) and waits for it
 * ({@link batchExperimentWithPolling}).
 *
 * @example
 * ```ts
 * const experiment = yield* newBatchExperimentWithResult("routing-app", {
 *   runs: [{ inputId: "managed-input-1", instanceId: "prod" }, { inputId: "managed-input-1", instanceId: "staging" }],
 *   polling: { maxDuration: "30 minutes" }
 * })
 * ```
 */
export const newBatchExperimentWithResult = (
  appId: string,
  options: NewBatchExperimentOptions & ExperimentPollingOptions = {}
): Effect.Effect<BatchExperiment, ExperimentPollingError, BatchExperiments> =>
  Effect.zipRight(
    validatePollingProgram("BatchExperiments.newBatchExperimentWithResult", options, { stoppable: false }),
    BatchExperiments
  ).pipe(
    Effect.flatMap((batch) => batch.newBatchExperiment(appId, options)),
    Effect.flatMap((id) => pollBatchExperiment(appId, id, options, "BatchExperiments.newBatchExperimentWithResult"))
  )

/**
 * {@link newBatchExperimentWithResult} with nextmv-py's `stop` (see
 * {@link batchExperimentWithPollingStoppable}).
 *
 * @example
 * ```ts
 * const experiment = yield* newBatchExperimentWithResultStoppable("routing-app", {
 *   runs: [{ inputId: "managed-input-1", instanceId: "prod" }],
 *   stop: Ref.get(shuttingDown)
 * })
 * ```
 */
export const newBatchExperimentWithResultStoppable = (
  appId: string,
  options: NewBatchExperimentOptions & ExperimentPollingOptions & StopOption
): Effect.Effect<Option.Option<BatchExperiment>, ExperimentPollingError, BatchExperiments> =>
  Effect.zipRight(
    validatePollingProgram("BatchExperiments.newBatchExperimentWithResultStoppable", options, { stoppable: true }),
    BatchExperiments
  ).pipe(
    Effect.flatMap((batch) => batch.newBatchExperiment(appId, options)),
    Effect.flatMap((id) => pollBatchExperimentStoppable(appId, id, options, "BatchExperiments.newBatchExperimentWithResultStoppable"))
  )
