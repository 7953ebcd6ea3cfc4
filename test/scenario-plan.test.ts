import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { InvalidArgumentError } from "../src/Errors.js"
import {
  expandScenarioRuns,
  identifyScenarios,
  mergedOptionSets,
  type Scenario,
  ScenarioInput,
  scenarioOptionSets
} from "../src/programs/ScenarioTestsPlan.js"
import { failureOf } from "./support/time.js"

const op = "ScenarioTests.newScenarioTest"
const reasonOf = (effect: Effect.Effect<unknown, InvalidArgumentError>) =>
  Effect.map(failureOf(effect), (error) => {
    expect(error).toBeInstanceOf(InvalidArgumentError)
    expect(error.operation).toBe(op)
    return error.reason
  })

describe("scenario ids (spec §5.2)", () => {
  it.effect("default to scenario-{1-based position}; explicit ids are kept", () =>
    Effect.gen(function*() {
      const ids = yield* identifyScenarios(op, [
        { instanceId: "a", scenarioInput: ScenarioInput.inputSet("s") },
        { instanceId: "b", scenarioInput: ScenarioInput.inputSet("s"), scenarioId: "high-demand" },
        { instanceId: "c", scenarioInput: ScenarioInput.inputSet("s"), scenarioId: "" }
      ])
      expect(ids.map((s) => s.id)).toEqual(["scenario-1", "high-demand", "scenario-3"])
    }))

  it.effect("an explicit id equal to a generated one is a duplicate", () =>
    Effect.gen(function*() {
      const reason = yield* reasonOf(identifyScenarios(op, [
        { instanceId: "a", scenarioInput: ScenarioInput.inputSet("s") },
        { instanceId: "b", scenarioInput: ScenarioInput.inputSet("s") },
        { instanceId: "c", scenarioInput: ScenarioInput.inputSet("s"), scenarioId: "scenario-1" }
      ]))
      expect(reason).toBe("Duplicate scenario ID found: scenario-1")
    }))

  it.effect("rejects an empty list, empty values, missing instance and input/type mismatches", () =>
    Effect.gen(function*() {
      expect(yield* reasonOf(identifyScenarios(op, []))).toBe("At least one scenario must be provided")
      expect(
        yield* reasonOf(identifyScenarios(op, [{
          instanceId: "a",
          scenarioInput: ScenarioInput.inputSet("s"),
          configuration: [{ name: "solve.duration", values: [] }]
        }]))
      ).toBe("scenario-1: configuration solve.duration: Configuration values must be non-empty.")
      expect(yield* reasonOf(identifyScenarios(op, [{ instanceId: "", scenarioInput: ScenarioInput.inputSet("s") }])))
        .toBe("scenario-1: instanceId must be a non-empty string")
      // Mismatches only reachable from untyped callers: build them through `unknown`.
      const bad = (scenarioInput: unknown): Scenario => ({ instanceId: "a", scenarioInput: scenarioInput as ScenarioInput })
      expect(yield* reasonOf(identifyScenarios(op, [bad({ scenarioInputType: "input_set", scenarioInputData: ["x"] })])))
        .toBe("scenario-1: Scenario input type must be a string when using an input set.")
      expect(yield* reasonOf(identifyScenarios(op, [bad({ scenarioInputType: "input", scenarioInputData: "x" })])))
        .toBe("scenario-1: Scenario input type must be a list when using an input.")
      expect(yield* reasonOf(identifyScenarios(op, [bad({ scenarioInputType: "new", scenarioInputData: {} })])))
        .toBe("scenario-1: Scenario input type must be a list when using new data.")
      expect(yield* reasonOf(identifyScenarios(op, [bad({ scenarioInputType: "csv", scenarioInputData: [] })])))
        .toBe("Unknown scenario input type: csv")
    }))
})

describe("option sets (spec §5.2)", () => {
  it("the Cartesian product varies the first option slowest and the last fastest", () => {
    const sets = scenarioOptionSets("scenario-1", [
      { name: "solve.duration", values: ["1s", "2s"] },
      { name: "solve.iterations", values: ["1", "2"] },
      { name: "solve.limit", values: ["10", "20"] }
    ])
    expect(sets.map(([name]) => name)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((k) => `scenario-1_${k}`))
    expect(sets.map(([, s]) => [s["solve.duration"], s["solve.iterations"], s["solve.limit"]])).toEqual([
      ["1s", "1", "10"],
      ["1s", "1", "20"],
      ["1s", "2", "10"],
      ["1s", "2", "20"],
      ["2s", "1", "10"],
      ["2s", "1", "20"],
      ["2s", "2", "10"],
      ["2s", "2", "20"]
    ])
  })

  it("no configuration gives one empty option set; all scenarios merge into one object", () => {
    expect(scenarioOptionSets("test-scenario", undefined)).toEqual([["test-scenario_0", {}]])
    expect(scenarioOptionSets("test-scenario", [])).toEqual([["test-scenario_0", {}]])
    expect(mergedOptionSets([
      {
        id: "scenario-1",
        scenario: {
          instanceId: "inst-a",
          scenarioInput: ScenarioInput.inputSet("inpset-1"),
          configuration: [{ name: "solve.duration", values: ["1s", "2s"] }]
        }
      },
      { id: "high-demand", scenario: { instanceId: "inst-b", scenarioInput: ScenarioInput.managedInputs(["mi-1"]) } }
    ])).toEqual({
      "scenario-1_0": { "solve.duration": "1s" },
      "scenario-1_1": { "solve.duration": "2s" },
      "high-demand_0": {}
    })
  })
})

describe("run expansion (spec §5.2, worked example §5.3)", () => {
  it("nests scenario -> option set -> input -> repetition", () => {
    const runs = expandScenarioRuns([
      {
        id: "scenario-1",
        inputSetId: "inpset-1",
        inputIds: ["in-a", "in-b"],
        scenario: {
          instanceId: "inst-a",
          scenarioInput: ScenarioInput.inputSet("inpset-1"),
          configuration: [{ name: "solve.duration", values: ["1s", "2s"] }]
        }
      },
      {
        id: "high-demand",
        inputSetId: "inpset-high-demand-k3j9x0aa",
        inputIds: ["mi-1"],
        scenario: { instanceId: "inst-b", scenarioInput: ScenarioInput.managedInputs(["mi-1"]), scenarioId: "high-demand" }
      }
    ], 1)
    const row = (inputId: string, optionSet: string, repetition: number) => ({
      inputId,
      inputSetId: "inpset-1",
      instanceId: "inst-a",
      optionSet,
      scenarioId: "scenario-1",
      repetition
    })
    expect(runs).toEqual([
      row("in-a", "scenario-1_0", 0),
      row("in-a", "scenario-1_0", 1),
      row("in-b", "scenario-1_0", 0),
      row("in-b", "scenario-1_0", 1),
      row("in-a", "scenario-1_1", 0),
      row("in-a", "scenario-1_1", 1),
      row("in-b", "scenario-1_1", 0),
      row("in-b", "scenario-1_1", 1),
      ...[0, 1].map((repetition) => ({
        inputId: "mi-1",
        inputSetId: "inpset-high-demand-k3j9x0aa",
        instanceId: "inst-b",
        optionSet: "high-demand_0",
        scenarioId: "high-demand",
        repetition
      }))
    ])
  })

  it("repetitions 0 runs each combination once; the docs' 3 + 2 inputs with 2 repetitions give 15 runs", () => {
    const scenario = (id: string, inputs: number) => ({
      id,
      inputSetId: `${id}-set`,
      inputIds: Array.from({ length: inputs }, (_, i) => `${id}-in-${i}`),
      scenario: { instanceId: "i", scenarioInput: ScenarioInput.inputSet(`${id}-set`) }
    })
    expect(expandScenarioRuns([scenario("a", 3)], 0)).toHaveLength(3)
    expect(expandScenarioRuns([scenario("a", 3), scenario("b", 2)], 2)).toHaveLength(15)
  })
})
