/**
 * Scenario-test programs (nextmv-py's `Application.new_scenario_test` and
 * `scenario_test_with_polling`): create a scenario test from scenarios (resolving
 * or creating their input sets, uploading new data as managed inputs), and wait for it. A
 * scenario test is a batch experiment of type `scenario`; the pure expansion lives in
 * `ScenarioTestsPlan.ts`.
 *
 * Not covered: the `content_type` argument of newer nextmv-py versions (`new_scenario_test`), whose effect is
 * not known; new data is uploaded as compact JSON and its managed inputs get the default JSON
 * format, as the newest code that could be read does.
 *
 * @since 0.1.0
 */
import { Effect, type Option } from "effect"
import { safeNameAndId } from "../internal/experimentIds.js"
import { safeId } from "../internal/ids.js"
import { invalidArgument, isGiven, requireIds, requireObject } from "../internal/validate.js"
import type { BatchExperiment } from "../schemas/Experiments.js"
import type { InputSet } from "../schemas/InputSets.js"
import { type BatchExperimentError, BatchExperiments } from "../services/BatchExperiments.js"
import { type InputSetInput, InputSets } from "../services/InputSets.js"
import { Instances } from "../services/Instances.js"
import { ManagedInputs } from "../services/ManagedInputs.js"
import { UploadData, type UploadError, Uploads } from "../services/Uploads.js"
import {
  type ExperimentPollingError,
  type ExperimentPollingOptions,
  pollBatchExperiment,
  pollBatchExperimentStoppable
} from "./Experiments.js"
import { type StopOption, validatePollingProgram } from "./Polling.js"
import {
  expandScenarioRuns,
  type IdentifiedScenario,
  identifyScenarios,
  mergedOptionSets,
  type ResolvedScenario,
  type Scenario
} from "./ScenarioTestsPlan.js"

export { type Scenario, type ScenarioConfiguration, ScenarioInput } from "./ScenarioTestsPlan.js"

/** Options of {@link newScenarioTest}. */
export interface NewScenarioTestOptions {
  /** The scenarios; at least one, with distinct ids. */
  readonly scenarios: ReadonlyArray<Scenario>
  /** Default: generated, `scenario-` + 8 characters of `[a-z0-9]`. */
  readonly id?: string | undefined
  /** Default: the id. */
  readonly name?: string | undefined
  readonly description?: string | undefined
  /** Extra executions of every run: 0 (default) runs each once, 1 twice, … */
  readonly repetitions?: number | undefined
}

/** Errors of {@link newScenarioTest}. */
export type ScenarioTestError = BatchExperimentError | UploadError

/** What {@link newScenarioTest} needs. */
export type ScenarioTestServices = BatchExperiments | InputSets | ManagedInputs | Uploads | Instances

const operation = "ScenarioTests.newScenarioTest"

const autoDescription = (id: string) => `Automatically created from scenario test: ${id}`

/**
 * The scenario's input set: fetched (`input_set`), or created from managed inputs (`input`), or
 * created from new data uploaded as managed inputs (`new`), with generated `inpset-…` /
 * `man-input-…` ids and names.
 */
const resolveInputSet = (appId: string, { id: scenarioId, scenario }: IdentifiedScenario) =>
  Effect.gen(function*() {
    const inputSets = yield* InputSets
    const newSet = (inputs: ReadonlyArray<InputSetInput>) =>
      Effect.flatMap(safeNameAndId("inpset", scenarioId), ({ id, name }) =>
        inputSets.newInputSet(appId, { id, name, description: autoDescription(id), maximumRuns: 20, inputs }))
    const input = scenario.scenarioInput
    switch (input.scenarioInputType) {
      case "input_set":
        return yield* inputSets.inputSet(appId, input.scenarioInputData)
      case "input":
        return yield* newSet(input.scenarioInputData)
      case "new": {
        const uploads = yield* Uploads
        const managedInputs = yield* ManagedInputs
        const created = yield* Effect.forEach(input.scenarioInputData, (data) =>
          Effect.gen(function*() {
            const url = yield* uploads.uploadUrl(appId)
            yield* uploads.uploadData(url, UploadData.json(data))
            const { id, name } = yield* safeNameAndId("man-input", scenarioId)
            return yield* managedInputs.newManagedInput(appId, {
              id,
              name,
              description: autoDescription(id),
              uploadId: url.upload_id
            })
          }))
        return yield* newSet(created)
      }
    }
  })

/**
 * Creates a scenario test and returns its id (nextmv-py's `Application.new_scenario_test`). Scenario ids default to
 * `scenario-{position}` (duplicates are rejected); for each scenario in order the instance is
 * fetched (a missing one is a 404 `NextmvHttpError`) and its input set resolved: an existing
 * set (`ScenarioInput.inputSet`), a new set of existing managed inputs
 * (`ScenarioInput.managedInputs`), or new JSON data uploaded as managed inputs and gathered in a
 * new set (`ScenarioInput.newData`). Each scenario's option combinations (Cartesian product of its
 * configuration values) are named `{scenarioId}_{k}`; the runs are nested scenario → option set
 * → input → repetition, and sent as one batch experiment of type `scenario`.
 * Fails with `InvalidArgumentError` (before any request) for no scenarios, duplicate ids, empty
 * configuration values, an input that does not match its type, or a negative `repetitions`.
 *
 * @example
 * ```ts
 * const id = yield* newScenarioTest("routing-app", {
 *   repetitions: 1,
 *   scenarios: [
 *     { instanceId: "prod", scenarioInput: ScenarioInput.inputSet("benchmark"),
 *       configuration: [{ name: "solve.duration", values: ["1s", "2s"] }] },
 *     { scenarioId: "high-demand", instanceId: "prod", scenarioInput: ScenarioInput.newData([{ stops: [] }]) }
 *   ]
 * })
 * ```
 */
export const newScenarioTest = (
  appId: string,
  options: NewScenarioTestOptions
): Effect.Effect<string, ScenarioTestError, ScenarioTestServices> =>
  Effect.gen(function*() {
    yield* requireIds(operation, { appId })
    yield* requireObject(operation, "options", options)
    const repetitions = options.repetitions ?? 0
    if (!(Number.isInteger(repetitions) && repetitions >= 0)) {
      return yield* invalidArgument(operation, `repetitions must be a non-negative integer, got ${repetitions}`)
    }
    const scenarios = yield* identifyScenarios(operation, options.scenarios)
    const id = isGiven(options.id) ? options.id : yield* safeId("scenario")
    const name = isGiven(options.name) ? options.name : id
    const instances = yield* Instances
    const resolved: Array<ResolvedScenario> = []
    for (const scenario of scenarios) {
      // The instance itself is not used; the lookup makes a missing instance fail early.
      yield* instances.instance(appId, scenario.scenario.instanceId)
      const inputSet: InputSet = yield* resolveInputSet(appId, scenario)
      resolved.push({ ...scenario, inputSetId: inputSet.id, inputIds: inputSet.inputIdList })
    }
    return yield* (yield* BatchExperiments).newBatchExperiment(appId, {
      id,
      name,
      description: options.description,
      type: "scenario",
      optionSets: mergedOptionSets(scenarios),
      runs: expandScenarioRuns(resolved, repetitions)
    })
  }).pipe(Effect.withSpan(operation, { attributes: { appId } }))

/**
 * Waits for a scenario test to finish and returns it with its runs (same polling as
 * `batchExperimentWithPolling`: the metadata until a terminal status, then the full object).
 *
 * @example
 * ```ts
 * const test = yield* scenarioTestWithPolling("routing-app", "scenario-test-1", { polling: { maxDuration: "30 minutes" } })
 * ```
 */
export const scenarioTestWithPolling = (
  appId: string,
  scenarioTestId: string,
  options: ExperimentPollingOptions = {}
): Effect.Effect<BatchExperiment, ExperimentPollingError, BatchExperiments> =>
  pollBatchExperiment(appId, scenarioTestId, options, "ScenarioTests.scenarioTestWithPolling")

/**
 * {@link scenarioTestWithPolling} with nextmv-py's `stop`: asked before each check; `true` ends
 * with `Option.none()` (no error).
 *
 * @example
 * ```ts
 * const test = yield* scenarioTestWithPollingStoppable("routing-app", "scenario-test-1", { stop: Ref.get(shuttingDown) })
 * ```
 */
export const scenarioTestWithPollingStoppable = (
  appId: string,
  scenarioTestId: string,
  options: ExperimentPollingOptions & StopOption
): Effect.Effect<Option.Option<BatchExperiment>, ExperimentPollingError, BatchExperiments> =>
  pollBatchExperimentStoppable(appId, scenarioTestId, options, "ScenarioTests.scenarioTestWithPollingStoppable")

/**
 * {@link newScenarioTest}, then {@link scenarioTestWithPolling}.
 *
 * @example
 * ```ts
 * const test = yield* newScenarioTestWithResult("routing-app", { scenarios, polling: { maxDuration: "1 hour" } })
 * console.log(test.runs.map((run) => [run.scenario_id, run.option_set, run.status_v2]))
 * ```
 */
export const newScenarioTestWithResult = (
  appId: string,
  options: NewScenarioTestOptions & ExperimentPollingOptions
): Effect.Effect<BatchExperiment, ScenarioTestError | ExperimentPollingError, ScenarioTestServices> =>
  Effect.zipRight(
    validatePollingProgram("ScenarioTests.newScenarioTestWithResult", options, { stoppable: false }),
    Effect.flatMap(
      newScenarioTest(appId, options),
      (id) => pollBatchExperiment(appId, id, options, "ScenarioTests.newScenarioTestWithResult")
    )
  )

/**
 * {@link newScenarioTestWithResult} with nextmv-py's `stop` (see
 * {@link scenarioTestWithPollingStoppable}).
 *
 * @example
 * ```ts
 * const test = yield* newScenarioTestWithResultStoppable("routing-app", { scenarios, stop: Ref.get(shuttingDown) })
 * ```
 */
export const newScenarioTestWithResultStoppable = (
  appId: string,
  options: NewScenarioTestOptions & ExperimentPollingOptions & StopOption
): Effect.Effect<
  Option.Option<BatchExperiment>,
  ScenarioTestError | ExperimentPollingError,
  ScenarioTestServices
> =>
  Effect.zipRight(
    validatePollingProgram("ScenarioTests.newScenarioTestWithResultStoppable", options, { stoppable: true }),
    Effect.flatMap(
      newScenarioTest(appId, options),
      (id) => pollBatchExperimentStoppable(appId, id, options, "ScenarioTests.newScenarioTestWithResultStoppable")
    )
  )
