/**
 * `BatchExperiments`: batch experiments and their twins, scenario tests (batch experiments of
 * type `scenario`), under `/v1/applications/{appId}/experiments/batch` (nextmv-py `Application.new_batch_experiment`,
 * `Application.new_scenario_test`).
 * The composite flows live in `programs/Experiments.ts` and `programs/ScenarioTests.ts`.
 *
 * @since 0.1.0
 */
import { HttpClientRequest } from "@effect/platform"
import { Context, Effect, Layer } from "effect"
import type { InvalidArgumentError, NextmvDecodeError, NextmvHttpError } from "../Errors.js"
import { requestWithBody } from "../internal/body.js"
import { safeId } from "../internal/ids.js"
import { listOf } from "../internal/pagination.js"
import { batchExperimentMetadataPath, batchExperimentRunsPath, batchExperimentsPath } from "../internal/paths.js"
import {
  idProblem,
  invalidArgument,
  isGiven,
  requireIds,
  requireObject,
  requireObjectArray,
  requireOptionalIds
} from "../internal/validate.js"
import {
  BatchExperiment,
  BatchExperimentInformation,
  BatchExperimentMetadata,
  BatchExperimentRuns,
  NewBatchExperimentResponse,
  type OptionSets
} from "../schemas/Experiments.js"
import { type BatchExperimentRunBody, NewBatchExperimentBody, PatchNameDescription } from "../schemas/Requests.js"
import { NextmvClient } from "./NextmvClient.js"
import { traced } from "../internal/traced.js"

/** Errors of a batch-experiment operation. */
export type BatchExperimentError = NextmvHttpError | NextmvDecodeError | InvalidArgumentError

/** @deprecated Endpoint paths live in one internal module; kept for existing imports. */
export { batchExperimentsPath }

/**
 * One run of a new batch experiment. `inputId` is a managed input id, a previous run id or an
 * input of `inputSetId`; at least one of `instanceId` and `versionId` is required.
 */
export interface BatchExperimentRun {
  readonly inputId: string
  readonly instanceId?: string | undefined
  readonly versionId?: string | undefined
  /** A key of the experiment's `optionSets`. */
  readonly optionSet?: string | undefined
  readonly inputSetId?: string | undefined
  readonly scenarioId?: string | undefined
  /** 0 for the first execution, 1 for the second, … */
  readonly repetition?: number | undefined
}

/** Options of {@link Service.newBatchExperiment}. */
export interface NewBatchExperimentOptions {
  /** Default: generated, `batch-` + 8 characters of `[a-z0-9]`. */
  readonly id?: string | undefined
  /** Default: the id. */
  readonly name?: string | undefined
  readonly description?: string | undefined
  /** With `instanceIds`: the API runs every input of the set on every instance. */
  readonly inputSetId?: string | undefined
  /**
   * @deprecated List the runs in `runs` instead; kept for the older API form
   * (`input_set_id` + `instance_ids`, expanded by the server).
   */
  readonly instanceIds?: ReadonlyArray<string> | undefined
  /** Option-set id → (option name → value). */
  readonly optionSets?: OptionSets | undefined
  /** Exactly the runs to execute. */
  readonly runs?: ReadonlyArray<BatchExperimentRun> | undefined
  /** `batch` (default) or `scenario`. */
  readonly type?: string | undefined
}

/** Options of the update operations: the fields to change (an empty update is allowed). */
export interface UpdateBatchExperimentOptions {
  readonly name?: string | undefined
  readonly description?: string | undefined
}

/** The `BatchExperiments` service. */
export interface Service {
  /**
   * Gets a batch experiment with its runs: `GET …/batch/{id}` then `GET …/batch/{id}/runs`.
   *
   * @example
   * ```ts
   * const experiment = yield* batch.batchExperiment("routing-app", "nightly")
   * console.log(experiment.status, experiment.runs.length)
   * ```
   */
  readonly batchExperiment: (appId: string, batchId: string) => Effect.Effect<BatchExperiment, BatchExperimentError>
  /** Gets the lighter metadata (`GET …/batch/{id}/metadata`), used for polling. */
  readonly batchExperimentMetadata: (
    appId: string,
    batchId: string
  ) => Effect.Effect<BatchExperimentMetadata, BatchExperimentError>
  /** Lists batch experiments (`GET …/batch?type=batch`). */
  readonly listBatchExperiments: (
    appId: string
  ) => Effect.Effect<ReadonlyArray<BatchExperimentMetadata>, BatchExperimentError>
  /**
   * Creates a batch experiment (`POST …/batch`) and returns its id. The id defaults to
   * `batch-xxxxxxxx`, the name to the id, the type to `batch`. Fails with `InvalidArgumentError`
   * before any request when a run has no `inputId`, has neither `instanceId` nor `versionId`, or
   * has a negative or fractional `repetition`.
   *
   * @example
   * ```ts
   * const id = yield* batch.newBatchExperiment("routing-app", {
   *   name: "prod vs staging",
   *   optionSets: { fast: { "solve.duration": "1s" } },
   *   runs: [
   *     { inputId: "managed-input-1", instanceId: "prod", optionSet: "fast" },
   *     { inputId: "managed-input-1", instanceId: "staging", optionSet: "fast" }
   *   ]
   * })
   * ```
   */
  readonly newBatchExperiment: (
    appId: string,
    options?: NewBatchExperimentOptions
  ) => Effect.Effect<string, BatchExperimentError>
  /** Changes name and/or description (`PATCH …/batch/{id}`). */
  readonly updateBatchExperiment: (
    appId: string,
    batchId: string,
    options: UpdateBatchExperimentOptions
  ) => Effect.Effect<BatchExperimentInformation, BatchExperimentError>
  /** Deletes a batch experiment and its runs (`DELETE …/batch/{id}`). */
  readonly deleteBatchExperiment: (appId: string, batchId: string) => Effect.Effect<void, BatchExperimentError>
  /** Gets a scenario test with its runs (same requests as {@link Service.batchExperiment}). */
  readonly scenarioTest: (appId: string, scenarioTestId: string) => Effect.Effect<BatchExperiment, BatchExperimentError>
  /** Gets a scenario test's metadata (`GET …/batch/{id}/metadata`). */
  readonly scenarioTestMetadata: (
    appId: string,
    scenarioTestId: string
  ) => Effect.Effect<BatchExperimentMetadata, BatchExperimentError>
  /** Lists scenario tests (`GET …/batch?type=scenario`). */
  readonly listScenarioTests: (
    appId: string
  ) => Effect.Effect<ReadonlyArray<BatchExperimentMetadata>, BatchExperimentError>
  /** Changes a scenario test's name and/or description (`PATCH …/batch/{id}`). */
  readonly updateScenarioTest: (
    appId: string,
    scenarioTestId: string,
    options: UpdateBatchExperimentOptions
  ) => Effect.Effect<BatchExperimentInformation, BatchExperimentError>
  /** Deletes a scenario test and its runs (`DELETE …/batch/{id}`). */
  readonly deleteScenarioTest: (appId: string, scenarioTestId: string) => Effect.Effect<void, BatchExperimentError>
}

/** The `BatchExperiments` service tag. */
export class BatchExperiments extends Context.Tag("nextmv-effect/BatchExperiments")<BatchExperiments, Service>() {}

/** Checks a run and turns it into its wire form (absent fields left out, zero kept). */
const runWire = (
  operation: string,
  index: number,
  run: BatchExperimentRun
): Effect.Effect<typeof BatchExperimentRunBody.Type, InvalidArgumentError> => {
  const where = `runs[${index}]`
  if (!isGiven(run.inputId)) return invalidArgument(operation, `${where}: inputId must be a non-empty string`)
  if (!isGiven(run.instanceId) && !isGiven(run.versionId)) {
    return invalidArgument(operation, `${where}: either instanceId or versionId must be set`)
  }
  for (
    const [name, value] of Object.entries({
      inputId: run.inputId,
      instanceId: run.instanceId,
      versionId: run.versionId,
      inputSetId: run.inputSetId
    })
  ) {
    const problem = isGiven(value) ? idProblem(name, value) : undefined
    if (problem !== undefined) return invalidArgument(operation, `${where}: ${problem}`)
  }
  if (run.repetition !== undefined && !(Number.isInteger(run.repetition) && run.repetition >= 0)) {
    return invalidArgument(operation, `${where}: repetition must be a non-negative integer, got ${run.repetition}`)
  }
  return Effect.succeed({
    input_id: run.inputId,
    option_set: run.optionSet,
    instance_id: run.instanceId,
    version_id: run.versionId,
    input_set_id: run.inputSetId,
    scenario_id: run.scenarioId,
    repetition: run.repetition
  })
}

/** Builds the service from the `NextmvClient`. */
export const make: Effect.Effect<Service, never, NextmvClient> = Effect.gen(function*() {
  const { api } = yield* NextmvClient

  const getWithRuns = (appId: string, id: string) =>
    Effect.gen(function*() {
      const experiment = yield* api.json(HttpClientRequest.get(batchExperimentsPath(appId, id)), BatchExperiment)
      const { runs } = yield* api.json(HttpClientRequest.get(batchExperimentRunsPath(appId, id)), BatchExperimentRuns)
      return new BatchExperiment({ ...experiment, runs })
    })

  const getMetadata = (appId: string, id: string) =>
    api.json(HttpClientRequest.get(batchExperimentMetadataPath(appId, id)), BatchExperimentMetadata)

  const listOfType = (appId: string, type: "batch" | "scenario") =>
    api.json(
      HttpClientRequest.get(batchExperimentsPath(appId)).pipe(HttpClientRequest.setUrlParams({ type })),
      listOf(BatchExperimentMetadata)
    )

  const update = (operation: string, appId: string, id: string, options: UpdateBatchExperimentOptions) =>
    requestWithBody(operation, "PATCH", batchExperimentsPath(appId, id), PatchNameDescription, {
      name: options.name,
      description: options.description
    }).pipe(Effect.flatMap((request) => api.json(request, BatchExperimentInformation)))

  const remove = (appId: string, id: string) => api.discard(HttpClientRequest.del(batchExperimentsPath(appId, id)))

  const batchExperiment = traced("BatchExperiments.batchExperiment")(function*(appId: string, batchId: string) {
    yield* requireIds("BatchExperiments.batchExperiment", { appId, batchId })
    return yield* getWithRuns(appId, batchId)
  })

  const batchExperimentMetadata = traced("BatchExperiments.batchExperimentMetadata")(
    function*(appId: string, batchId: string) {
      yield* requireIds("BatchExperiments.batchExperimentMetadata", { appId, batchId })
      return yield* getMetadata(appId, batchId)
    }
  )

  const listBatchExperiments = traced("BatchExperiments.listBatchExperiments")(function*(appId: string) {
    yield* requireIds("BatchExperiments.listBatchExperiments", { appId })
    return yield* listOfType(appId, "batch")
  })

  const newBatchExperiment = traced("BatchExperiments.newBatchExperiment")(
    function*(appId: string, options: NewBatchExperimentOptions = {}) {
      const operation = "BatchExperiments.newBatchExperiment"
      yield* requireIds(operation, { appId })
      yield* requireObject(operation, "options", options)
      yield* requireOptionalIds(operation, { id: options.id, inputSetId: options.inputSetId })
      if (options.runs !== undefined) yield* requireObjectArray(operation, "runs", options.runs)
      const runs = options.runs === undefined
        ? undefined
        : yield* Effect.forEach(options.runs, (run, index) => runWire(operation, index, run))
      const id = isGiven(options.id) ? options.id : yield* safeId("batch")
      const request = yield* requestWithBody(operation, "POST", batchExperimentsPath(appId), NewBatchExperimentBody, {
        id,
        name: isGiven(options.name) ? options.name : id,
        input_set_id: options.inputSetId,
        instance_ids: options.instanceIds,
        description: options.description,
        option_sets: options.optionSets,
        runs,
        type: options.type ?? "batch"
      })
      const created = yield* api.json(request, NewBatchExperimentResponse)
      return created.id
    }
  )

  const updateBatchExperiment = traced("BatchExperiments.updateBatchExperiment")(
    function*(appId: string, batchId: string, options: UpdateBatchExperimentOptions) {
      yield* requireIds("BatchExperiments.updateBatchExperiment", { appId, batchId })
      yield* requireObject("BatchExperiments.updateBatchExperiment", "options", options)
      return yield* update("BatchExperiments.updateBatchExperiment", appId, batchId, options)
    }
  )

  const deleteBatchExperiment = traced("BatchExperiments.deleteBatchExperiment")(
    function*(appId: string, batchId: string) {
      yield* requireIds("BatchExperiments.deleteBatchExperiment", { appId, batchId })
      yield* remove(appId, batchId)
    }
  )

  const scenarioTest = traced("BatchExperiments.scenarioTest")(function*(appId: string, scenarioTestId: string) {
    yield* requireIds("BatchExperiments.scenarioTest", { appId, scenarioTestId })
    return yield* getWithRuns(appId, scenarioTestId)
  })

  const scenarioTestMetadata = traced("BatchExperiments.scenarioTestMetadata")(
    function*(appId: string, scenarioTestId: string) {
      yield* requireIds("BatchExperiments.scenarioTestMetadata", { appId, scenarioTestId })
      return yield* getMetadata(appId, scenarioTestId)
    }
  )

  const listScenarioTests = traced("BatchExperiments.listScenarioTests")(function*(appId: string) {
    yield* requireIds("BatchExperiments.listScenarioTests", { appId })
    return yield* listOfType(appId, "scenario")
  })

  const updateScenarioTest = traced("BatchExperiments.updateScenarioTest")(
    function*(appId: string, scenarioTestId: string, options: UpdateBatchExperimentOptions) {
      yield* requireIds("BatchExperiments.updateScenarioTest", { appId, scenarioTestId })
      yield* requireObject("BatchExperiments.updateScenarioTest", "options", options)
      return yield* update("BatchExperiments.updateScenarioTest", appId, scenarioTestId, options)
    }
  )

  const deleteScenarioTest = traced("BatchExperiments.deleteScenarioTest")(
    function*(appId: string, scenarioTestId: string) {
      yield* requireIds("BatchExperiments.deleteScenarioTest", { appId, scenarioTestId })
      yield* remove(appId, scenarioTestId)
    }
  )

  return BatchExperiments.of({
    batchExperiment,
    batchExperimentMetadata,
    listBatchExperiments,
    newBatchExperiment,
    updateBatchExperiment,
    deleteBatchExperiment,
    scenarioTest,
    scenarioTestMetadata,
    listScenarioTests,
    updateScenarioTest,
    deleteScenarioTest
  })
})

/** The `BatchExperiments` layer; requires `NextmvClient`. */
export const layer: Layer.Layer<BatchExperiments, never, NextmvClient> = Layer.effect(BatchExperiments, make)
