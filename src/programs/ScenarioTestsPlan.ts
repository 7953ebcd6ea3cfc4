/**
 * The pure part of scenario tests (nextmv-py's `nextmv.cloud.scenario`): scenario types, their validation,
 * scenario ids, option-set combinations and the run expansion. No requests happen here; the
 * program `newScenarioTest` (ScenarioTests.ts) resolves input sets and sends the batch.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { InvalidArgumentError } from "../Errors.js"
import { invalidArgument, jsonText, requireObject, requireObjectArray } from "../internal/validate.js"
import type { OptionSets } from "../schemas/Experiments.js"
import type { BatchExperimentRun } from "../services/BatchExperiments.js"

/** One option of a scenario and the values to try (option values are strings). */
export interface ScenarioConfiguration {
  /** Option name, e.g. `solve.duration`. */
  readonly name: string
  /** Values to try; must be non-empty. */
  readonly values: ReadonlyArray<string>
}

/**
 * Where a scenario's inputs come from (wire values of `scenario_input_type`):
 * - `input_set`: an existing input set id;
 * - `input`: managed input ids, gathered into a new input set;
 * - `new`: raw JSON inputs, each uploaded as a managed input, then gathered into a new input set.
 */
export type ScenarioInput =
  | { readonly scenarioInputType: "input_set"; readonly scenarioInputData: string }
  | { readonly scenarioInputType: "input"; readonly scenarioInputData: ReadonlyArray<string> }
  | { readonly scenarioInputType: "new"; readonly scenarioInputData: ReadonlyArray<unknown> }

/** Constructors of {@link ScenarioInput}. */
export const ScenarioInput = {
  /** Use an existing input set. */
  inputSet: (inputSetId: string): ScenarioInput => ({ scenarioInputType: "input_set", scenarioInputData: inputSetId }),
  /** Use existing managed inputs (an input set is created for them). */
  managedInputs: (inputIds: ReadonlyArray<string>): ScenarioInput => ({
    scenarioInputType: "input",
    scenarioInputData: inputIds
  }),
  /** Upload new JSON inputs as managed inputs (an input set is created for them). */
  newData: (data: ReadonlyArray<unknown>): ScenarioInput => ({ scenarioInputType: "new", scenarioInputData: data })
}

/** One scenario: an instance, its inputs and the option values to combine. */
export interface Scenario {
  readonly scenarioInput: ScenarioInput
  /** The instance that runs this scenario. */
  readonly instanceId: string
  /** Default `scenario-{1-based position}`. */
  readonly scenarioId?: string | undefined
  /** Options to combine (Cartesian product); none means one empty option set. */
  readonly configuration?: ReadonlyArray<ScenarioConfiguration> | undefined
}

/** A scenario with its resolved id. */
export interface IdentifiedScenario {
  readonly id: string
  readonly scenario: Scenario
}

/** A scenario with the input set its runs use. */
export interface ResolvedScenario extends IdentifiedScenario {
  readonly inputSetId: string
  /** The input ids of the set (`input_ids`, else the ids of `inputs`). */
  readonly inputIds: ReadonlyArray<string>
}

const isStringArray = (value: unknown): value is ReadonlyArray<string> =>
  Array.isArray(value) && value.every((item) => typeof item === "string")

/** Checks one scenario's input against its type (nextmv-py's validation messages). */
const checkInput = (operation: string, id: string, input: ScenarioInput): Effect.Effect<void, InvalidArgumentError> => {
  // Read through `unknown`: callers from plain JS can send anything.
  const type: unknown = input.scenarioInputType
  const data: unknown = input.scenarioInputData
  switch (type) {
    case "input_set":
      return typeof data === "string" && data !== ""
        ? Effect.void
        : invalidArgument(operation, `${id}: Scenario input type must be a string when using an input set.`)
    case "input":
      return isStringArray(data)
        ? Effect.void
        : invalidArgument(operation, `${id}: Scenario input type must be a list when using an input.`)
    case "new":
      // Each item is uploaded as JSON: one with no JSON form is refused here, before any request.
      return !Array.isArray(data)
        ? invalidArgument(operation, `${id}: Scenario input type must be a list when using new data.`)
        : data.every((item) => jsonText(item) !== undefined)
        ? Effect.void
        : invalidArgument(operation, `${id}: new data must be JSON values (no cycles, BigInts, functions or undefined)`)
    default:
      return invalidArgument(operation, `Unknown scenario input type: ${String(type)}`)
  }
}

/**
 * Validates the scenarios and gives each its id: the explicit `scenarioId`, else
 * `scenario-{1-based position}`. Fails with `InvalidArgumentError` when the list is empty, an id
 * repeats (an explicit id equal to a generated one counts), an instance id is missing, a
 * configuration has no values, or an input does not match its type.
 *
 * @example
 * ```ts
 * const ids = yield* identifyScenarios("ScenarioTests.newScenarioTest", scenarios)
 * // [{ id: "scenario-1", scenario }, { id: "high-demand", scenario }]
 * ```
 */
export const identifyScenarios = (
  operation: string,
  scenarios: ReadonlyArray<Scenario>
): Effect.Effect<ReadonlyArray<IdentifiedScenario>, InvalidArgumentError> =>
  Effect.gen(function*() {
    // Read through `unknown` checks: callers from plain JS can send anything.
    yield* requireObjectArray(operation, "scenarios", scenarios)
    if (scenarios.length === 0) return yield* invalidArgument(operation, "At least one scenario must be provided")
    const seen = new Set<string>()
    const identified: Array<IdentifiedScenario> = []
    for (const [index, scenario] of scenarios.entries()) {
      if (scenario.scenarioId !== undefined && typeof scenario.scenarioId !== "string") {
        return yield* invalidArgument(operation, `scenarios[${index}]: scenarioId must be a string`)
      }
      const id = scenario.scenarioId !== undefined && scenario.scenarioId !== ""
        ? scenario.scenarioId
        : `scenario-${index + 1}`
      if (seen.has(id)) return yield* invalidArgument(operation, `Duplicate scenario ID found: ${id}`)
      seen.add(id)
      if (typeof scenario.instanceId !== "string" || scenario.instanceId === "") {
        return yield* invalidArgument(operation, `${id}: instanceId must be a non-empty string`)
      }
      if (scenario.configuration !== undefined) yield* requireObjectArray(operation, `${id}: configuration`, scenario.configuration)
      for (const configuration of scenario.configuration ?? []) {
        const values: unknown = configuration.values
        if (typeof configuration.name !== "string" || !Array.isArray(values) || !values.every((v) => typeof v === "string")) {
          return yield* invalidArgument(operation, `${id}: each configuration needs a name and values, all strings`)
        }
        if (configuration.values.length === 0) {
          return yield* invalidArgument(
            operation,
            `${id}: configuration ${configuration.name}: Configuration values must be non-empty.`
          )
        }
      }
      yield* requireObject(operation, `${id}: scenarioInput`, scenario.scenarioInput)
      yield* checkInput(operation, id, scenario.scenarioInput)
      identified.push({ id, scenario })
    }
    return identified
  })

/**
 * The option combinations of one scenario, named `{scenarioId}_{k}` (k from 0): the Cartesian
 * product of the configuration values in the order listed (first option slowest, last fastest).
 * No configuration gives one empty combination.
 *
 * @example
 * ```ts
 * scenarioOptionSets("s", [{ name: "a", values: ["1", "2"] }, { name: "b", values: ["x", "y"] }])
 * // [["s_0", {a: "1", b: "x"}], ["s_1", {a: "1", b: "y"}], ["s_2", {a: "2", b: "x"}], ["s_3", {a: "2", b: "y"}]]
 * ```
 */
export const scenarioOptionSets = (
  scenarioId: string,
  configuration: ReadonlyArray<ScenarioConfiguration> | undefined
): ReadonlyArray<readonly [string, Readonly<Record<string, string>>]> => {
  let combinations: Array<Record<string, string>> = [{}]
  for (const { name, values } of configuration ?? []) {
    combinations = combinations.flatMap((combination) => values.map((value) => ({ ...combination, [name]: value })))
  }
  return combinations.map((combination, k) => [`${scenarioId}_${k}`, combination] as const)
}

/** All scenarios' option sets merged into one object (the request's `option_sets`). */
export const mergedOptionSets = (scenarios: ReadonlyArray<IdentifiedScenario>): OptionSets =>
  Object.fromEntries(scenarios.flatMap(({ id, scenario }) => scenarioOptionSets(id, scenario.configuration)))

/**
 * The runs of a scenario test, nested scenario → option set → input → repetition (0 …
 * `repetitions` inclusive). Total: Σ option sets × inputs × (repetitions + 1).
 */
export const expandScenarioRuns = (
  scenarios: ReadonlyArray<ResolvedScenario>,
  repetitions: number
): ReadonlyArray<BatchExperimentRun> =>
  scenarios.flatMap(({ id, inputIds, inputSetId, scenario }) =>
    scenarioOptionSets(id, scenario.configuration).flatMap(([optionSet]) =>
      inputIds.flatMap((inputId) =>
        Array.from({ length: repetitions + 1 }, (_, repetition): BatchExperimentRun => ({
          inputId,
          inputSetId,
          instanceId: scenario.instanceId,
          optionSet,
          scenarioId: id,
          repetition
        }))
      )
    )
  )
