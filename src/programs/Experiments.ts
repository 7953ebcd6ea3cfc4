/**
 * Batch-experiment programs: wait for a batch experiment to finish and fetch it with its runs,
 * built on the one polling loop of `Polling.ts` (spec experiments §4.3, §4.8).
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import type { PollingTimeoutError, PollingTriesExhaustedError } from "../Errors.js"
import { type BatchExperiment, type BatchExperimentMetadata, isTerminalExperimentStatus } from "../schemas/Experiments.js"
import {
  type BatchExperimentError,
  BatchExperiments,
  type NewBatchExperimentOptions
} from "../services/BatchExperiments.js"
import { type Polled, poll, type PollingInput } from "./Polling.js"

/** Errors of the experiment polling programs. */
export type ExperimentPollingError = BatchExperimentError | PollingTimeoutError | PollingTriesExhaustedError

/** Options of the `…WithPolling` / `…WithResult` programs. */
export interface ExperimentPollingOptions<P extends PollingInput> {
  /**
   * Polling options (nextmv-py's defaults: first check after 1 s, at most 100 checks or 300 s) or
   * any `Schedule`. With a `stop` key the result is an `Option` (`None` = stopped on request).
   */
  readonly polling?: P | undefined
}

const statusOf = (metadata: BatchExperimentMetadata) => metadata.status ?? "unknown"

/**
 * Polls `…/batch/{id}/metadata` until the status is `completed`, `failed`, `draft`, `canceled` or
 * `delete-failed` (a missing status keeps polling), then fetches the experiment with its runs.
 * Shared by batch experiments and scenario tests.
 */
export const pollBatchExperiment = <const P extends PollingInput = {}>(
  appId: string,
  batchId: string,
  options: ExperimentPollingOptions<P>,
  span: string
): Effect.Effect<Polled<P, BatchExperiment>, ExperimentPollingError, BatchExperiments> =>
  Effect.gen(function*() {
    const batch = yield* BatchExperiments
    const polled: Option.Option<BatchExperimentMetadata> | BatchExperimentMetadata = yield* poll(
      batch.batchExperimentMetadata(appId, batchId),
      { until: (metadata) => isTerminalExperimentStatus(metadata.status), status: statusOf, polling: options.polling }
    )
    if (Option.isOption(polled)) {
      if (Option.isNone(polled)) return Option.none()
      return Option.some(yield* batch.batchExperiment(appId, polled.value.id))
    }
    return yield* batch.batchExperiment(appId, polled.id)
  }).pipe(Effect.withSpan(span, { attributes: { appId, batchId } })) as Effect.Effect<
    Polled<P, BatchExperiment>,
    ExperimentPollingError,
    BatchExperiments
  >

/**
 * Waits for a batch experiment to finish and returns it with its runs: polls the metadata until
 * a terminal status, then `BatchExperiments.batchExperiment`. A `failed` experiment is returned
 * like a completed one (check `status`). Fails with `PollingTimeoutError` /
 * `PollingTriesExhaustedError` when polling gives up, and with the HTTP errors of the requests.
 *
 * @example
 * ```ts
 * const experiment = yield* batchExperimentWithPolling("routing-app", "nightly", { polling: { maxDuration: "30 minutes" } })
 * console.log(experiment.status, experiment.runs.length)
 * ```
 */
export const batchExperimentWithPolling = <const P extends PollingInput = {}>(
  appId: string,
  batchId: string,
  options: ExperimentPollingOptions<P> = {}
): Effect.Effect<Polled<P, BatchExperiment>, ExperimentPollingError, BatchExperiments> =>
  pollBatchExperiment(appId, batchId, options, "BatchExperiments.batchExperimentWithPolling")

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
export const newBatchExperimentWithResult = <const P extends PollingInput = {}>(
  appId: string,
  options: NewBatchExperimentOptions & ExperimentPollingOptions<P> = {}
): Effect.Effect<Polled<P, BatchExperiment>, ExperimentPollingError, BatchExperiments> =>
  Effect.flatMap(BatchExperiments, (batch) => batch.newBatchExperiment(appId, options)).pipe(
    Effect.flatMap((id) => pollBatchExperiment(appId, id, options, "BatchExperiments.newBatchExperimentWithResult"))
  )
