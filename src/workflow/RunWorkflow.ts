/**
 * A durable "submit a run → wait → collect the result" workflow on `@effect/workflow`.
 *
 * Every step is an activity whose outcome is stored by the workflow engine, so a worker that
 * restarts (a deploy, a crash, an out-of-memory kill) resumes where it stopped:
 *
 * 1. **submit** — one activity with an idempotency key. The key is written into the run's
 *    `description` (a field the API stores and lists back, like nextmv-py's `new_run(description=…)`).
 *    Before submitting, the activity reads the application's most recent runs (one page of
 *    `GET …/runs`) and reuses a run that already carries the key; so a crash after the `POST` was
 *    sent but before its id was stored does not create a second run. A transient failure (a
 *    timeout, a connection error, 408/429/5xx after the client's own retries) is retried as a new
 *    attempt of the activity after a durable sleep (`submitRetry`); each attempt searches first,
 *    so a run created by a request whose answer was lost is reused, not submitted again.
 * 2. **wait** — status checks (`GET …/runs/{id}/metadata`, each an activity) separated by durable
 *    sleeps (`DurableClock`), with nextmv-py's polling defaults and bounds.
 * 3. **collect** — the run's result (`GET …/runs/{id}`) is the workflow's result; a run that ends
 *    `failed` or `canceled` is the SDK's typed `RunFailedError` (with the fetched result).
 *
 * Every request goes through the worker's `NextmvClient`, so all workflows of a worker share its
 * `RequestBudget` (the published Nextmv Cloud rate limits) with the rest of the process.
 *
 * @since 0.1.0
 */
import { Activity, DurableClock, Workflow } from "@effect/workflow"
import type { PlatformError } from "@effect/platform/Error"
import { Clock, Effect, Either, Schema } from "effect"
import {
  InvalidArgumentError,
  NextmvDecodeError,
  NextmvHttpError,
  PollingTimeoutError,
  PollingTriesExhaustedError,
  type RunQueueBusyError
} from "../Errors.js"
import { resultOrFailure, RunFailedError } from "../programs/RunFailedError.js"
import { isTerminalStatus, RunConfiguration, RunResult } from "../schemas/Runs.js"
import { Runs } from "../services/Runs.js"
import { traced } from "../internal/traced.js"

// ---------------------------------------------------------------------------------------------
// Payload, result and errors
// ---------------------------------------------------------------------------------------------

/**
 * Durable polling options. Defaults are nextmv-py's (`DEFAULT_POLLING_OPTIONS`) without jitter:
 * first check after 1 s, then sleeps of `delay + backoff · 2^n` capped at `maxDelay`, at most 100
 * checks or 300 s. A negative `maxTries`/`maxDurationMillis` means unlimited.
 */
export const DurablePolling = Schema.Struct({
  initialDelayMillis: Schema.optional(Schema.Number),
  delayMillis: Schema.optional(Schema.Number),
  backoffMillis: Schema.optional(Schema.Number),
  maxDelayMillis: Schema.optional(Schema.Number),
  maxTries: Schema.optional(Schema.Number),
  maxDurationMillis: Schema.optional(Schema.Number),
  /**
   * Sleeps up to this long stay in memory (a restart replays them); longer ones are stored and the
   * workflow leaves memory until they are due. Default 60 s (`DurableClock`'s default).
   */
  inMemorySleepMillis: Schema.optional(Schema.Number)
})
export type DurablePolling = typeof DurablePolling.Type

/** The resolved polling settings (nextmv-py's defaults filled in). */
export const pollingSettings = (polling: DurablePolling | undefined) => ({
  initialDelayMillis: polling?.initialDelayMillis ?? 1_000,
  delayMillis: polling?.delayMillis ?? 100,
  backoffMillis: polling?.backoffMillis ?? 900,
  maxDelayMillis: polling?.maxDelayMillis ?? 20_000,
  maxTries: polling?.maxTries ?? 100,
  maxDurationMillis: polling?.maxDurationMillis ?? 300_000,
  inMemorySleepMillis: polling?.inMemorySleepMillis ?? 60_000
})

/**
 * Retries of a submission step after a transient failure (see {@link isTransient}): attempt `n + 1`
 * starts after a durable sleep of `initialDelayMillis · 2^(n-1)`, capped at `maxDelayMillis`.
 * Defaults: at most 5 attempts, sleeps of 2, 4, 8 and 16 s (cap 60 s). `maxAttempts: 1` disables
 * the retries. These come on top of the client's own retries of each request (which never resend a
 * `POST` after a timeout or a 5xx: that is what the mark search before each attempt makes safe).
 *
 * @example
 * ```ts
 * // at most 8 attempts, sleeps of 5, 10, 20 … s, none longer than 2 minutes
 * const retried = yield* RunWorkflow.RunWorkflow.execute({
 *   appId,
 *   key,
 *   input,
 *   submitRetry: { maxAttempts: 8, initialDelayMillis: 5_000, maxDelayMillis: 120_000 }
 * })
 * ```
 */
export const SubmitRetry = Schema.Struct({
  maxAttempts: Schema.optional(Schema.Number),
  initialDelayMillis: Schema.optional(Schema.Number),
  maxDelayMillis: Schema.optional(Schema.Number),
  /** Sleeps up to this long stay in memory; longer ones are stored. Default 60 s. */
  inMemorySleepMillis: Schema.optional(Schema.Number)
})
export type SubmitRetry = typeof SubmitRetry.Type

/**
 * The resolved submission retry settings (defaults filled in, at least one attempt).
 *
 * @example
 * ```ts
 * const settings = submitRetrySettings({ maxAttempts: 3 }) // 3 attempts, 2 s, cap 60 s
 * ```
 */
export const submitRetrySettings = (retry: SubmitRetry | undefined) => ({
  maxAttempts: Math.max(1, Math.floor(retry?.maxAttempts ?? 5)),
  initialDelayMillis: Math.max(0, retry?.initialDelayMillis ?? 2_000),
  maxDelayMillis: Math.max(0, retry?.maxDelayMillis ?? 60_000),
  inMemorySleepMillis: retry?.inMemorySleepMillis ?? 60_000
})

/**
 * The durable sleep after failed attempt `attempt` (1-based), before the next one.
 *
 * @example
 * ```ts
 * const waits = [1, 2, 3].map((n) => submitRetryDelay(submitRetrySettings(undefined), n)) // 2000, 4000, 8000
 * ```
 */
export const submitRetryDelay = (settings: ReturnType<typeof submitRetrySettings>, attempt: number): number =>
  Math.min(settings.maxDelayMillis, settings.initialDelayMillis * 2 ** (attempt - 1))

/**
 * What to run: the arguments of `Runs.newRun` that can be stored as JSON, plus the caller's `key`.
 * The pair (`appId`, `key`) identifies the workflow execution: executing again with the same pair
 * returns the stored result instead of submitting another run.
 */
export class RunRequest extends Schema.Class<RunRequest>("nextmv-effect/RunRequest")({
  appId: Schema.String,
  /** The caller's idempotency key (e.g. an order id); non-empty. */
  key: Schema.String,
  /** The input: a JSON value (inline up to 5 MiB, uploaded above) or text (uploaded). */
  input: Schema.optional(Schema.Unknown),
  /** Content format of `input`; non-JSON is uploaded. */
  inputFormat: Schema.optional(Schema.Literal("json", "text", "csv-archive", "multi-file")),
  uploadId: Schema.optional(Schema.String),
  managedInputId: Schema.optional(Schema.String),
  instanceId: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String),
  /** The run's description; the submission mark is appended to it. */
  description: Schema.optional(Schema.String),
  options: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  configuration: Schema.optional(RunConfiguration),
  batchExperimentId: Schema.optional(Schema.String),
  polling: Schema.optional(DurablePolling),
  /** Retries of the submission after a transient failure; see {@link SubmitRetry}. */
  submitRetry: Schema.optional(SubmitRetry)
}) {}

/** A local file operation of an activity failed (only runs with directory inputs/outputs touch files). */
export class WorkflowFileError extends Schema.TaggedError<WorkflowFileError>()("WorkflowFileError", {
  operation: Schema.String,
  reason: Schema.String
}) {}

/** Errors of a step (activity): what the SDK's services fail with, as storable schemas. */
export const StepError = Schema.Union(NextmvHttpError, NextmvDecodeError, InvalidArgumentError, WorkflowFileError)
export type StepError = typeof StepError.Type

export { RunFailedError }

/** Errors of the durable run workflows. */
export const RunWorkflowError = Schema.Union(
  RunFailedError,
  PollingTimeoutError,
  PollingTriesExhaustedError,
  NextmvHttpError,
  NextmvDecodeError,
  InvalidArgumentError,
  WorkflowFileError
)
export type RunWorkflowError = typeof RunWorkflowError.Type

/** Maps the services' error union onto storable {@link StepError}s. */
export const storable = <A, R>(
  effect: Effect.Effect<A, NextmvHttpError | NextmvDecodeError | InvalidArgumentError | PlatformError | RunQueueBusyError, R>
): Effect.Effect<A, StepError, R> =>
  Effect.catchIf(
    // A busy refusal (queuing disabled, no capacity) is stored as the HTTP 429 it wraps.
    Effect.catchTag(effect, "RunQueueBusyError", (error) => Effect.fail(error.cause)),
    (error): error is PlatformError =>
      error._tag !== "NextmvHttpError" && error._tag !== "NextmvDecodeError" && error._tag !== "InvalidArgumentError",
    (error) => Effect.fail(new WorkflowFileError({ operation: `${error.module}.${error.method}`, reason: error.message }))
  )

/** Statuses worth another attempt: request timeout, too many requests, server errors. */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

/**
 * `true` for a failure that another attempt may not meet: a timeout, a connection error, or status
 * 408, 429, 500, 502, 503 or 504 (a busy refusal, `RunQueueBusyError`, is stored as its 429).
 * Validation errors, other 4xx (a missing application, a bad input), decode and file errors are not.
 *
 * @example
 * ```ts
 * import { NextmvHttpError } from "nextmv-effect"
 *
 * isTransient(new NextmvHttpError({ method: "POST", path: "/v1/applications/a/runs", reason: "status", status: 503 })) // true
 * ```
 */
export const isTransient = (error: StepError): boolean =>
  error._tag === "NextmvHttpError" &&
  (error.reason === "timeout" || error.reason === "transport" ||
    (error.status !== undefined && TRANSIENT_STATUSES.has(error.status)))

/**
 * Runs `step` (an activity, safe to repeat) as attempt 1, 2, … of the same activity until it
 * succeeds, fails with a non-transient error, or `maxAttempts` attempts have failed (the last
 * error is the result). Every attempt's outcome and the durable sleeps between them
 * (`${name}-retry-${n}`) are stored, so a restart resumes the sequence instead of restarting it.
 * Call it inside a workflow; `step` must be safe to repeat (search before create).
 *
 * @example
 * ```ts
 * // inside a workflow's implementation
 * const request = new RunRequest({ appId, key, input })
 * const submittedId = yield* retryTransient({ name: "submit", retry: { maxAttempts: 3 }, step: submitRun(request) })
 * ```
 */
export const retryTransient = <A, R>(options: {
  readonly name: string
  readonly retry: SubmitRetry | undefined
  readonly step: Effect.Effect<A, StepError, R>
}) =>
  Effect.gen(function*() {
    const settings = submitRetrySettings(options.retry)
    for (let attempt = 1;; attempt++) {
      const outcome = yield* Effect.either(Effect.provideService(options.step, Activity.CurrentAttempt, attempt))
      if (Either.isRight(outcome)) return outcome.right
      if (attempt >= settings.maxAttempts || !isTransient(outcome.left)) return yield* Effect.fail(outcome.left)
      yield* DurableClock.sleep({
        name: `${options.name}-retry-${attempt}`,
        duration: submitRetryDelay(settings, attempt),
        inMemoryThreshold: settings.inMemorySleepMillis
      })
    }
  })

// ---------------------------------------------------------------------------------------------
// Submission mark
// ---------------------------------------------------------------------------------------------

/** Prefix of the submission mark written into a run's description. */
export const MARK_PREFIX = "nextmv-effect-submission:"

/** Longest description written (what nextmv-py's `clone_run` keeps). */
const MAX_DESCRIPTION = 256

/** The mark for an activity idempotency key, e.g. `nextmv-effect-submission:3f2a…`. */
export const submissionMark = (key: string): string => `${MARK_PREFIX}${key}`

/** The description sent: the caller's description (shortened if needed), a space, the mark. */
export const markedDescription = (description: string | undefined, mark: string): string => {
  const own = (description ?? "").trim()
  if (own === "") return mark
  const room = MAX_DESCRIPTION - mark.length - 1
  return `${own.slice(0, Math.max(0, room))} ${mark}`
}

/** `true` when `description` carries `mark` (as its last word). */
export const hasMark = (description: string, mark: string): boolean => description === mark || description.endsWith(` ${mark}`)

// ---------------------------------------------------------------------------------------------
// Steps shared by the run workflows
// ---------------------------------------------------------------------------------------------

/**
 * Activity "submit": finds the run that carries this execution's mark or submits a new one.
 * Returns the run id. Safe to repeat: the mark (the same for every attempt of the activity) is
 * searched before every `POST`. The workflow runs it through {@link retryTransient}.
 */
export const submitRun = (request: RunRequest) =>
  Activity.make({
    name: "submit",
    success: Schema.String,
    error: StepError,
    execute: Effect.gen(function*() {
      const runs = yield* Runs
      const mark = submissionMark(yield* Activity.idempotencyKey("submit"))
      // Bounded: one request, the first page of the application's runs (Nextmv Cloud lists at most
      // 50, the most recent). A run submitted by an earlier attempt of this activity is among them
      // unless more than a page of runs was submitted to the application in between.
      const recent = yield* storable(runs.listRuns(request.appId, { noPagination: true }))
      const existing = recent.find((run) => hasMark(run.description, mark))
      if (existing !== undefined) return existing.id
      return yield* storable(runs.newRun(request.appId, {
        input: request.input,
        inputFormat: request.inputFormat,
        uploadId: request.uploadId,
        managedInputId: request.managedInputId,
        instanceId: request.instanceId,
        name: request.name,
        description: markedDescription(request.description, mark),
        options: request.options,
        configuration: request.configuration,
        batchExperimentId: request.batchExperimentId
      }))
    })
  })

/** One status check: the observed status and when it was observed (epoch ms). */
export const Check = Schema.Struct({ status: Schema.String, at: Schema.Number })
export type Check = typeof Check.Type

/**
 * Durable polling: check (an activity named `${name}-check-${n}`) until `isDone`, with durable sleeps
 * between checks (`${name}-sleep-${n}`). Bounded by `maxTries` and `maxDurationMillis` (measured
 * from the first check's stored time, so restarts do not reset it).
 */
export const waitUntil = <E, R>(options: {
  readonly name: string
  readonly polling: DurablePolling | undefined
  readonly check: Effect.Effect<string, E, R>
  readonly isDone: (status: string) => boolean
  readonly error: Schema.Schema<E, any, never>
}) =>
  Effect.gen(function*() {
    const settings = pollingSettings(options.polling)
    const sleep = (n: number, millis: number) =>
      DurableClock.sleep({
        name: `${options.name}-sleep-${n}`,
        duration: millis,
        inMemoryThreshold: settings.inMemorySleepMillis
      })
    yield* sleep(0, settings.initialDelayMillis)
    let first: Check | undefined
    for (let tries = 1;; tries++) {
      const check = yield* Activity.make({
        name: `${options.name}-check-${tries}`,
        success: Check,
        error: options.error,
        execute: Effect.gen(function*() {
          const status = yield* options.check
          return { status, at: yield* Clock.currentTimeMillis }
        })
      })
      first ??= check
      if (options.isDone(check.status)) return check
      if (settings.maxTries >= 0 && tries >= settings.maxTries) {
        return yield* new PollingTriesExhaustedError({ tries, lastStatus: check.status })
      }
      const elapsed = check.at - first.at
      if (settings.maxDurationMillis >= 0 && elapsed >= settings.maxDurationMillis) {
        return yield* new PollingTimeoutError({
          elapsedMillis: elapsed,
          maxDurationMillis: settings.maxDurationMillis,
          tries,
          lastStatus: check.status
        })
      }
      const computed = settings.delayMillis + settings.backoffMillis * 2 ** tries
      yield* sleep(tries, Math.min(settings.maxDelayMillis, computed))
    }
  })

// ---------------------------------------------------------------------------------------------
// The run workflow
// ---------------------------------------------------------------------------------------------

/**
 * The durable run workflow. Execute it from any process connected to the same workflow engine:
 *
 * @example
 * ```ts
 * import { RunWorkflow } from "nextmv-effect/workflow"
 *
 * const result = yield* RunWorkflow.RunWorkflow.execute({ appId: "routing-app", key: "order-42", input: { stops: [] } })
 * // the same call again (after a crash of the caller, say) returns the stored result, no new run
 * ```
 */
export const RunWorkflow = Workflow.make({
  name: "nextmv-effect/RunWorkflow",
  payload: RunRequest,
  success: RunResult,
  error: RunWorkflowError,
  idempotencyKey: (request) => `${request.appId}\u0000${request.key}`
})

/**
 * The implementation of {@link RunWorkflow}; requires the `Runs` service. Register it on a
 * worker (`Worker.layer`) so that the worker executes and resumes these workflows.
 */
export const layer = RunWorkflow.toLayer(
  traced("RunWorkflow.execute")(function*(request: RunRequest) {
    if (request.appId === "" || request.key === "") {
      return yield* new InvalidArgumentError({ operation: "RunWorkflow", reason: "appId and key must be non-empty" })
    }
    const runId = yield* retryTransient({ name: "submit", retry: request.submitRetry, step: submitRun(request) })
    const runs = yield* Runs
    yield* waitUntil({
      name: "run",
      polling: request.polling,
      check: storable(runs.runMetadata(request.appId, runId)).pipe(Effect.map((information) => information.metadata.status_v2)),
      isDone: isTerminalStatus,
      error: StepError
    })
    const result = yield* Activity.make({
      name: "result",
      success: RunResult,
      error: StepError,
      execute: storable(runs.runResult(request.appId, runId, { outputDir: "" }))
    })
    // succeeded → the result; failed/canceled → RunFailedError (the SDK's one rule, shared with RunTracker)
    return yield* resultOrFailure(result)
  })
)
