/**
 * Durable batch-experiment and acceptance-test workflows: the same "submit → wait → collect"
 * shape as `RunWorkflow`. Both resources carry a caller-chosen id, so submission is made
 * idempotent by looking the id up before creating it (a crash between the `POST` and the stored
 * activity result finds the experiment on resume instead of creating it twice). A transient failure
 * of the submission is retried the same way as a run's (`submitRetry`, `RunWorkflow.retryTransient`):
 * each attempt looks the id up first, so an experiment created by a request whose answer was lost is
 * not created twice.
 *
 * @since 0.1.0
 */
import { Activity, Workflow } from "@effect/workflow"
import { Effect, Schema } from "effect"
import { InvalidArgumentError, type NextmvHttpError } from "../Errors.js"
import {
  AcceptanceTest,
  BatchExperiment,
  COMPARISON_OPERATORS,
  isTerminalExperimentStatus,
  METRIC_TYPES,
  OptionSets,
  STATISTIC_TYPES,
  TOLERANCE_TYPES
} from "../schemas/Experiments.js"
import { AcceptanceTests } from "../services/AcceptanceTests.js"
import { BatchExperiments } from "../services/BatchExperiments.js"
import { DurablePolling, retryTransient, RunWorkflowError, StepError, SubmitRetry, waitUntil } from "./RunWorkflow.js"
import { traced } from "../internal/traced.js"

/** `true` for a 404 answer (the resource does not exist yet). */
const isNotFound = (error: { readonly _tag: string }): error is NextmvHttpError =>
  error._tag === "NextmvHttpError" && (error as NextmvHttpError).status === 404

/**
 * The durable submit step of an experiment: nothing when `find` finds it (an earlier attempt or an
 * earlier execution created it), else `create`; transient failures retried by `submitRetry`.
 */
const createUnlessFound = <R1, R2>(
  retry: SubmitRetry | undefined,
  find: Effect.Effect<unknown, StepError, R1>,
  create: Effect.Effect<unknown, StepError, R2>
) =>
  retryTransient({
    name: "submit",
    retry,
    step: Activity.make({
      name: "submit",
      error: StepError,
      execute: find.pipe(Effect.asVoid, Effect.catchIf(isNotFound, () => Effect.asVoid(create)))
    })
  })

/** An experiment that ended in a status other than `completed`. */
export class ExperimentFailedError extends Schema.TaggedError<ExperimentFailedError>()("ExperimentFailedError", {
  appId: Schema.String,
  id: Schema.String,
  kind: Schema.Literal("batch-experiment", "acceptance-test"),
  status: Schema.String
}) {
  override get message(): string {
    return `The ${this.kind} ${this.id} of application ${this.appId} ended ${this.status}`
  }
}

/** Errors of the experiment workflows. */
export const ExperimentWorkflowError = Schema.Union(RunWorkflowError, ExperimentFailedError)
export type ExperimentWorkflowError = typeof ExperimentWorkflowError.Type

// ---------------------------------------------------------------------------------------------
// Batch experiments
// ---------------------------------------------------------------------------------------------

/** A batch experiment to create (arguments of `BatchExperiments.newBatchExperiment`). */
export class BatchExperimentRequest extends Schema.Class<BatchExperimentRequest>("nextmv-effect/BatchExperimentRequest")({
  appId: Schema.String,
  /** The experiment id; also the workflow's idempotency key. */
  id: Schema.String,
  name: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  inputSetId: Schema.optional(Schema.String),
  optionSets: Schema.optional(OptionSets),
  runs: Schema.optional(Schema.Array(Schema.Struct({
    inputId: Schema.String,
    instanceId: Schema.optional(Schema.String),
    versionId: Schema.optional(Schema.String),
    optionSet: Schema.optional(Schema.String),
    inputSetId: Schema.optional(Schema.String),
    scenarioId: Schema.optional(Schema.String),
    repetition: Schema.optional(Schema.Number)
  }))),
  polling: Schema.optional(DurablePolling),
  /** Retries of the submission after a transient failure; see `RunWorkflow.SubmitRetry`. */
  submitRetry: Schema.optional(SubmitRetry)
}) {}

/**
 * Creates a batch experiment, waits until it ends and returns it with its runs. Fails with
 * {@link ExperimentFailedError} when it ends `failed` or `canceled`.
 *
 * @example
 * ```ts
 * const experiment = yield* BatchExperimentWorkflow.execute({
 *   appId: "routing-app",
 *   id: "nightly-42",
 *   inputSetId: "set",
 *   runs: [{ inputId: "managed-input-1", instanceId: "prod" }]
 * })
 * ```
 */
export const BatchExperimentWorkflow = Workflow.make({
  name: "nextmv-effect/BatchExperimentWorkflow",
  payload: BatchExperimentRequest,
  success: BatchExperiment,
  error: ExperimentWorkflowError,
  idempotencyKey: (request) => `${request.appId}\u0000${request.id}`
})

/** The implementation of {@link BatchExperimentWorkflow}; requires `BatchExperiments`. */
export const batchLayer = BatchExperimentWorkflow.toLayer(
  traced("BatchExperimentWorkflow.execute")(function*(request: BatchExperimentRequest) {
    if (request.appId === "" || request.id === "") {
      return yield* new InvalidArgumentError({ operation: "BatchExperimentWorkflow", reason: "appId and id must be non-empty" })
    }
    const batch = yield* BatchExperiments
    yield* createUnlessFound(
      request.submitRetry,
      batch.batchExperimentMetadata(request.appId, request.id),
      batch.newBatchExperiment(request.appId, {
        id: request.id,
        name: request.name,
        description: request.description,
        inputSetId: request.inputSetId,
        optionSets: request.optionSets,
        runs: request.runs
      })
    )
    const final = yield* waitUntil({
      name: "batch",
      polling: request.polling,
      check: batch.batchExperimentMetadata(request.appId, request.id).pipe(Effect.map((m) => m.status ?? "unknown")),
      isDone: isTerminalExperimentStatus,
      error: StepError
    })
    if (final.status !== "completed") {
      return yield* new ExperimentFailedError({
        appId: request.appId,
        id: request.id,
        kind: "batch-experiment",
        status: final.status
      })
    }
    return yield* Activity.make({
      name: "result",
      success: BatchExperiment,
      error: StepError,
      execute: batch.batchExperiment(request.appId, request.id)
    })
  })
)

// ---------------------------------------------------------------------------------------------
// Acceptance tests
// ---------------------------------------------------------------------------------------------

/** An acceptance test to create (arguments of `AcceptanceTests.createAcceptanceTest`). */
export class AcceptanceTestRequest extends Schema.Class<AcceptanceTestRequest>("nextmv-effect/AcceptanceTestRequest")({
  appId: Schema.String,
  /** The acceptance test id; also the workflow's idempotency key. */
  id: Schema.String,
  name: Schema.String,
  experimentId: Schema.String,
  candidateInstanceId: Schema.String,
  baselineInstanceId: Schema.String,
  metrics: Schema.Array(Schema.Struct({
    field: Schema.String,
    statistic: Schema.Literal(...STATISTIC_TYPES),
    params: Schema.Struct({
      operator: Schema.Literal(...COMPARISON_OPERATORS),
      tolerance: Schema.Struct({ type: Schema.Literal(...TOLERANCE_TYPES), value: Schema.Number })
    }),
    metricType: Schema.optional(Schema.Literal(...METRIC_TYPES))
  })),
  description: Schema.optional(Schema.String),
  polling: Schema.optional(DurablePolling),
  /** Retries of the submission after a transient failure; see `RunWorkflow.SubmitRetry`. */
  submitRetry: Schema.optional(SubmitRetry)
}) {}

/**
 * Creates an acceptance test, waits until it ends and returns it (with its results). Fails with
 * {@link ExperimentFailedError} when it ends `failed` or `canceled`.
 */
export const AcceptanceTestWorkflow = Workflow.make({
  name: "nextmv-effect/AcceptanceTestWorkflow",
  payload: AcceptanceTestRequest,
  success: AcceptanceTest,
  error: ExperimentWorkflowError,
  idempotencyKey: (request) => `${request.appId}\u0000${request.id}`
})

/** The implementation of {@link AcceptanceTestWorkflow}; requires `AcceptanceTests`. */
export const acceptanceLayer = AcceptanceTestWorkflow.toLayer(
  traced("AcceptanceTestWorkflow.execute")(function*(request: AcceptanceTestRequest) {
    if (request.appId === "" || request.id === "") {
      return yield* new InvalidArgumentError({ operation: "AcceptanceTestWorkflow", reason: "appId and id must be non-empty" })
    }
    const tests = yield* AcceptanceTests
    yield* createUnlessFound(
      request.submitRetry,
      tests.acceptanceTest(request.appId, request.id),
      tests.createAcceptanceTest(request.appId, {
        id: request.id,
        name: request.name,
        experimentId: request.experimentId,
        candidateInstanceId: request.candidateInstanceId,
        baselineInstanceId: request.baselineInstanceId,
        metrics: request.metrics,
        description: request.description
      })
    )
    const final = yield* waitUntil({
      name: "acceptance",
      polling: request.polling,
      check: tests.acceptanceTest(request.appId, request.id).pipe(Effect.map((test) => test.status)),
      isDone: isTerminalExperimentStatus,
      error: StepError
    })
    if (final.status !== "completed") {
      return yield* new ExperimentFailedError({
        appId: request.appId,
        id: request.id,
        kind: "acceptance-test",
        status: final.status
      })
    }
    return yield* Activity.make({
      name: "result",
      success: AcceptanceTest,
      error: StepError,
      execute: tests.acceptanceTest(request.appId, request.id)
    })
  })
)
