import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { InvalidArgumentError, NextmvHttpError } from "../src/Errors.js"
import {
  newScenarioTest,
  newScenarioTestWithResult,
  ScenarioInput,
  scenarioTestWithPollingStoppable
} from "../src/programs/ScenarioTests.js"
import { Instances } from "../src/services/Instances.js"
import { Versions } from "../src/services/Versions.js"
import { Models } from "../src/testing/areas/models.js"
import { APP, appPath, fastPolling, seed, wire } from "./support/experiments.js"
import { servicesLayer } from "./support/layers.js"
import { driven, failureOf } from "./support/time.js"

const TestLive = servicesLayer({ runs: { queuedMillis: 5, runningMillis: 10 } })

/** App, managed inputs, the input set `inpset-1` (in-a, in-b) and instances inst-a, inst-b. */
const setup = Effect.gen(function*() {
  const emulator = yield* seed({ "in-a": { value: 1 }, "in-b": { value: 2 }, "mi-1": { value: 3 } })
  emulator.areas.inputSets.seed(APP, { id: "inpset-1", inputIds: ["in-a", "in-b"] })
  emulator.areas.binary.seed(APP)
  yield* (yield* Versions).newVersion(APP, { id: "v1" })
  const instances = yield* Instances
  yield* instances.newInstance(APP, "v1", { id: "inst-a" })
  yield* instances.newInstance(APP, "v1", { id: "inst-b" })
  // The runs' outcome does not matter here: echo the input with its options.
  emulator.areas.runs.setModel(APP, Models.output((input) => ({ options: input.options })))
  yield* emulator.clearRequests
  return emulator
})

/** The two scenarios of spec §5.3. */
const workedExample = [
  {
    instanceId: "inst-a",
    scenarioInput: ScenarioInput.inputSet("inpset-1"),
    configuration: [{ name: "solve.duration", values: ["1s", "2s"] }]
  },
  { scenarioId: "high-demand", instanceId: "inst-b", scenarioInput: ScenarioInput.managedInputs(["mi-1"]) }
]

describe("newScenarioTest against the emulator", () => {
  it.effect("sends the worked example of spec §5.3 field for field, in the documented call order", () =>
    driven(function*() {
      yield* setup
      const id = yield* newScenarioTest(APP, { scenarios: workedExample, repetitions: 1 })
      expect(id).toMatch(/^scenario-[a-z0-9]{8}$/)
      const requests = yield* wire
      expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        `GET ${appPath("/instances/inst-a")}`,
        `GET ${appPath("/experiments/inputsets/inpset-1")}`,
        `GET ${appPath("/instances/inst-b")}`,
        `POST ${appPath("/experiments/inputsets")}`,
        `POST ${appPath("/experiments/batch")}`
      ])
      const setBody = requests[3]!.body as { id: string }
      expect(setBody.id).toMatch(/^inpset-high-demand-[a-z0-9]{8}$/)
      const slug = setBody.id.slice(-8)
      expect(setBody).toEqual({
        id: setBody.id,
        name: `Inpset High Demand ${slug.charAt(0).toUpperCase()}${slug.slice(1)}`,
        description: `Automatically created from scenario test: ${setBody.id}`,
        maximum_runs: 20,
        inputs: [{ id: "mi-1" }]
      })
      const run = (input_id: string, option_set: string, repetition: number) => ({
        input_id,
        input_set_id: "inpset-1",
        instance_id: "inst-a",
        option_set,
        scenario_id: "scenario-1",
        repetition
      })
      const demand = (repetition: number) => ({
        input_id: "mi-1",
        input_set_id: setBody.id,
        instance_id: "inst-b",
        option_set: "high-demand_0",
        scenario_id: "high-demand",
        repetition
      })
      expect(requests[4]!.body).toEqual({
        id,
        name: id,
        type: "scenario",
        option_sets: {
          "scenario-1_0": { "solve.duration": "1s" },
          "scenario-1_1": { "solve.duration": "2s" },
          "high-demand_0": {}
        },
        runs: [
          run("in-a", "scenario-1_0", 0),
          run("in-a", "scenario-1_0", 1),
          run("in-b", "scenario-1_0", 0),
          run("in-b", "scenario-1_0", 1),
          run("in-a", "scenario-1_1", 0),
          run("in-a", "scenario-1_1", 1),
          run("in-b", "scenario-1_1", 0),
          run("in-b", "scenario-1_1", 1),
          demand(0),
          demand(1)
        ]
      })
    }).pipe(Effect.provide(TestLive)))

  it.effect("runs to completion: every run carries its scenario, option set, options and repetition", () =>
    driven(function*() {
      yield* setup
      const test = yield* newScenarioTestWithResult(APP, {
        id: "weekly",
        name: "Weekly",
        description: "two scenarios",
        scenarios: workedExample,
        repetitions: 1,
        polling: fastPolling
      })
      expect([test.id, test.name, test.description, test.type, test.status]).toEqual([
        "weekly",
        "Weekly",
        "two scenarios",
        "scenario",
        "completed"
      ])
      expect(test.runs).toHaveLength(10)
      expect(test.runs.every((r) => r.status_v2 === "succeeded")).toBe(true)
      const slow = test.runs.filter((r) => r.option_set === "scenario-1_1")
      expect(slow.map((r) => [r.input_id, r.repetition, r.options?.["solve.duration"]])).toEqual([
        ["in-a", 0, "2s"],
        ["in-a", 1, "2s"],
        ["in-b", 0, "2s"],
        ["in-b", 1, "2s"]
      ])
      expect(test.runs.filter((r) => r.scenario_id === "high-demand").map((r) => r.application_instance_id))
        .toEqual(["inst-b", "inst-b"])
      const again = yield* scenarioTestWithPollingStoppable(APP, "weekly", { polling: fastPolling, stop: Effect.succeed(false) })
      expect(Option.map(again, (t) => t.runs.length)).toEqual(Option.some(10))
    }).pipe(Effect.provide(TestLive)))

  it.effect("new data is uploaded as managed inputs, gathered in a new input set, and run", () =>
    driven(function*() {
      const emulator = yield* setup
      const test = yield* newScenarioTestWithResult(APP, {
        scenarios: [{
          scenarioId: "fresh",
          instanceId: "inst-a",
          scenarioInput: ScenarioInput.newData([{ value: 10 }, { value: 20 }])
        }],
        polling: fastPolling
      })
      const requests = yield* wire
      expect(requests.map((r) => `${r.method} ${r.path}`).slice(0, 7)).toEqual([
        `GET ${appPath("/instances/inst-a")}`,
        `POST ${appPath("/runs/uploadurl")}`,
        `POST ${appPath("/inputs")}`,
        `POST ${appPath("/runs/uploadurl")}`,
        `POST ${appPath("/inputs")}`,
        `POST ${appPath("/experiments/inputsets")}`,
        `POST ${appPath("/experiments/batch")}`
      ])
      const managedBodies = [requests[2]!.body, requests[4]!.body] as Array<Record<string, unknown>>
      for (const body of managedBodies) {
        expect(body["id"]).toMatch(/^man-input-fresh-[a-z0-9]{8}$/)
        expect(body).toEqual({
          id: body["id"],
          name: expect.stringMatching(/^Man Input Fresh [A-Z0-9][a-z0-9]{7}$/),
          description: `Automatically created from scenario test: ${body["id"]}`,
          upload_id: expect.any(String),
          format: { input: { type: "json" }, output: { type: "json" } }
        })
      }
      const ids = managedBodies.map((body) => body["id"] as string)
      // The uploads really hold the data, in order.
      expect(ids.map((id) => JSON.parse(emulator.areas.managedInputs.get(APP, id)!.bytes.toString("utf8"))))
        .toEqual([{ value: 10 }, { value: 20 }])
      // The set lists the created managed inputs (whole objects, nulls dropped).
      const setBody = requests[5]!.body as { inputs: Array<Record<string, unknown>> }
      expect(setBody.inputs.map((i) => [i["id"], i["upload_id"], i["format"]])).toEqual(
        managedBodies.map((b) => [b["id"], b["upload_id"], { input: { type: "json" }, output: { type: "json" } }])
      )
      expect(setBody.inputs.every((i) => typeof i["created_at"] === "string")).toBe(true)
      expect(test.status).toBe("completed")
      expect(test.runs.map((r) => r.input_id)).toEqual(ids)
      expect(test.option_sets).toEqual({ fresh_0: {} })
    }).pipe(Effect.provide(TestLive)))

  it.effect("a missing instance fails with its 404 before anything is created", () =>
    driven(function*() {
      yield* setup
      const error = yield* failureOf(newScenarioTest(APP, {
        scenarios: [{ instanceId: "ghost", scenarioInput: ScenarioInput.managedInputs(["mi-1"]) }]
      }))
      expect(error).toBeInstanceOf(NextmvHttpError)
      expect((error as NextmvHttpError).status).toBe(404)
      expect((yield* wire).map((r) => r.method)).toEqual(["GET"])
    }).pipe(Effect.provide(TestLive)))

  it.effect("invalid arguments fail before any request", () =>
    driven(function*() {
      yield* setup
      const reason = <R>(effect: Effect.Effect<unknown, unknown, R>) =>
        Effect.map(failureOf(effect), (e) => {
          expect(e).toBeInstanceOf(InvalidArgumentError)
          return (e as InvalidArgumentError).reason
        })
      const run = (options: Parameters<typeof newScenarioTest>[1]) => newScenarioTest(APP, options)
      expect(yield* reason(run({ scenarios: [] }))).toBe("At least one scenario must be provided")
      expect(yield* reason(run({ scenarios: workedExample, repetitions: -1 })))
        .toBe("repetitions must be a non-negative integer, got -1")
      expect(yield* reason(run({ scenarios: [...workedExample, { ...workedExample[1]! }] })))
        .toBe("Duplicate scenario ID found: high-demand")
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(TestLive)))
})
