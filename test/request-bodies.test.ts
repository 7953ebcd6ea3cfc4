/**
 * Request bodies are schemas (issue 8 §2) and bad user values are typed errors (issue 9 §H): a
 * BigInt, a cycle or a function anywhere in a user value, or a value outside a closed set, is an
 * `InvalidArgumentError` raised before any request, never a defect.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option, Redacted, Schema } from "effect"
import { InvalidArgumentError } from "../src/Errors.js"
import { jsonBody, jsonProblem } from "../src/internal/body.js"
import { wireWithoutNulls } from "../src/schemas/Common.js"
import { AcceptanceTests, type MetricInput } from "../src/services/AcceptanceTests.js"
import { BatchExperiments } from "../src/services/BatchExperiments.js"
import { Ensembles } from "../src/services/Ensembles.js"
import { Instances } from "../src/services/Instances.js"
import { Runs } from "../src/services/Runs.js"
import { Secrets } from "../src/services/Secrets.js"
import { UploadData, Uploads } from "../src/services/Uploads.js"
import { Emulator } from "../src/testing/Emulator.js"
import { HttpClientRequest } from "@effect/platform"
import { servicesLayer } from "./support/layers.js"

const APP = "bodies-app"

/** A value as a plain-JS caller could pass it (the types forbid it). */
const untyped = <T>(value: unknown): T => value as T

const cyclic = (): Record<string, unknown> => {
  const value: Record<string, unknown> = { a: 1 }
  value["self"] = value
  return value
}

/** Runs `effect` and expects an InvalidArgumentError (not a defect) and no request at all. */
const rejectedBeforeAnyRequest = <A, E, R>(effect: Effect.Effect<A, E, R>, reason: RegExp) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator
    emulator.areas.applications.seed({ id: APP })
    yield* emulator.clearRequests
    const exit = yield* Effect.exit(effect)
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) {
      expect(Cause.isDie(exit.cause), Cause.pretty(exit.cause)).toBe(false)
      const error = Cause.failureOption(exit.cause)
      expect(Option.isSome(error)).toBe(true)
      if (Option.isSome(error)) {
        expect(error.value).toBeInstanceOf(InvalidArgumentError)
        expect((error.value as InvalidArgumentError).reason).toMatch(reason)
      }
    }
    expect(yield* emulator.requests).toEqual([])
  })

describe("jsonProblem", () => {
  it("names BigInts, functions, symbols and cycles wherever they are; plain JSON passes", () => {
    expect(jsonProblem({ a: [1, "x", null, { b: true }] })).toBeUndefined()
    expect(jsonProblem({ a: undefined })).toBeUndefined()
    expect(jsonProblem(new Date(0))).toBeUndefined()
    expect(jsonProblem({ options: { n: 10n } })).toBe("options.n is a BigInt, which has no JSON form")
    expect(jsonProblem([1, () => 2])).toBe("[1] is a function, which has no JSON form")
    expect(jsonProblem({ s: Symbol("x") })).toBe("s is a symbol, which has no JSON form")
    expect(jsonProblem(cyclic())).toBe("self contains a cycle, which has no JSON form")
    expect(jsonProblem(10n)).toBe("the body is a BigInt, which has no JSON form")
    // The same object twice is not a cycle.
    const shared = { x: 1 }
    expect(jsonProblem({ a: shared, b: shared })).toBeUndefined()
  })

  it.effect("jsonBody encodes with the schema's wire names and maps every failure to InvalidArgumentError", () =>
    Effect.gen(function*() {
      const Body = Schema.Struct({ run_id: Schema.String, count: Schema.optional(Schema.Number), extra: Schema.optional(Schema.Unknown) })
      const request = yield* jsonBody("Test.op", Body, { run_id: "r", count: undefined })(HttpClientRequest.post("/x"))
      expect(request.body._tag).toBe("Uint8Array")
      if (request.body._tag === "Uint8Array") expect(new TextDecoder().decode(request.body.body)).toBe(`{"run_id":"r"}`)
      const bad = yield* Effect.flip(jsonBody("Test.op", Body, { run_id: "r", extra: { n: 1n } })(HttpClientRequest.post("/x")))
      expect(bad).toEqual(new InvalidArgumentError({ operation: "Test.op", reason: "extra.n is a BigInt, which has no JSON form" }))
      const wrong = yield* Effect.flip(jsonBody("Test.op", Body, untyped({ run_id: 5 }))(HttpClientRequest.post("/x")))
      expect(wrong.reason).toMatch(/^run_id: Expected string/)
    }))
})

describe("user values without a JSON form are InvalidArgumentError before any request", () => {
  it.live("newRun: a BigInt, a cycle or a function in configuration", () =>
    Effect.gen(function*() {
      const runs = yield* Runs
      for (const configuration of [{ run_type: { n: 1n } }, { run_type: cyclic() }, { run_type: { f: () => 1 } }]) {
        yield* rejectedBeforeAnyRequest(
          runs.newRun(APP, { input: {}, configuration: untyped(configuration) }),
          /^configuration\.run_type\.(n is a BigInt|self contains a cycle|f is a function)/
        )
      }
    }).pipe(Effect.provide(servicesLayer())))

  it.live("newRun: a BigInt or a cycle in externalResult, a nested function in the input", () =>
    Effect.gen(function*() {
      const runs = yield* Runs
      yield* rejectedBeforeAnyRequest(
        runs.newRun(APP, { uploadId: "u", externalResult: untyped({ status: "succeeded", execution_duration: 5n }) }),
        /execution_duration/
      )
      yield* rejectedBeforeAnyRequest(
        runs.newRun(APP, { uploadId: "u", externalResult: untyped({ status: "succeeded", error_message: cyclic() }) }),
        /^result\.error_message: Expected string/
      )
      yield* rejectedBeforeAnyRequest(runs.newRun(APP, { input: { f: () => 1 } }), /^input must be a JSON value/)
    }).pipe(Effect.provide(servicesLayer())))

  it.live("newInstance and updateInstance: a BigInt or a cycle in configuration.options", () =>
    Effect.gen(function*() {
      const instances = yield* Instances
      yield* rejectedBeforeAnyRequest(
        instances.newInstance(APP, "v1", { id: "i", configuration: { options: { n: 1n } } }),
        /^configuration\.options\.n is a BigInt/
      )
      yield* rejectedBeforeAnyRequest(
        instances.newInstance(APP, "v1", { id: "i", configuration: { options: cyclic() } }),
        /cycle/
      )
      yield* rejectedBeforeAnyRequest(
        instances.updateInstance(APP, "i", { configuration: { options: { n: 1n } } }),
        /^configuration must be a JSON value/
      )
    }).pipe(Effect.provide(servicesLayer())))

  it.live("trackRun: bad metrics, statistics or assets upload nothing", () =>
    Effect.gen(function*() {
      const runs = yield* Runs
      yield* rejectedBeforeAnyRequest(
        runs.trackRun(APP, { status: "succeeded", input: {}, metrics: { n: 1n } }),
        /^metrics must be a JSON value/
      )
      yield* rejectedBeforeAnyRequest(runs.trackRun(APP, { status: "succeeded", input: {}, statistics: cyclic() }), /^statistics must be/)
      yield* rejectedBeforeAnyRequest(runs.trackRun(APP, { status: "succeeded", input: {}, assets: [{ f: () => 1 }] }), /^assets must be/)
      yield* rejectedBeforeAnyRequest(
        runs.trackRun(APP, { status: untyped("running"), input: {} }),
        /^status must be "succeeded" or "failed"/
      )
    }).pipe(Effect.provide(servicesLayer())))

  it.live("ensembles, batch experiments, secrets and uploads", () =>
    Effect.gen(function*() {
      const ensembles = yield* Ensembles
      yield* rejectedBeforeAnyRequest(
        ensembles.newEnsembleDefinition(APP, {
          id: "e",
          runGroups: [{ id: "g", instance_id: "i", options: { n: 1n } }],
          rules: [{ id: "r", statistics_path: "$.x", objective: "minimize", tolerance: { value: 0, type: "absolute" }, index: 0 }]
        }),
        /^run_groups\[0\]\.options\.n is a BigInt/
      )
      const batch = yield* BatchExperiments
      yield* rejectedBeforeAnyRequest(
        batch.newBatchExperiment(APP, { id: "b", optionSets: untyped({ fast: { duration: 1n } }) }),
        /option_sets/
      )
      const secrets = yield* Secrets
      const error = yield* Effect.flip(
        secrets.newSecretsCollection(APP, {
          id: "s",
          secrets: [untyped({ type: "env", location: "K", value: Redacted.make(12345) })]
        })
      )
      expect(error).toBeInstanceOf(InvalidArgumentError)
      // The rejected value is never quoted: it may be a secret.
      expect(error.message).not.toContain("12345")
      const uploads = yield* Uploads
      yield* rejectedBeforeAnyRequest(
        uploads.uploadData("http://127.0.0.1:1/x", UploadData.json({ n: [1n] })),
        /^data must be a JSON value/
      )
    }).pipe(Effect.provide(servicesLayer())))
})

describe("closed sets are schema literals", () => {
  const metric: MetricInput = {
    field: "result.value",
    statistic: "mean",
    params: { operator: "le", tolerance: { type: "relative", value: 0.05 } }
  }
  const create = (metrics: ReadonlyArray<MetricInput>) =>
    Effect.flatMap(AcceptanceTests, (acceptance) =>
      acceptance.createAcceptanceTest(APP, {
        id: "t",
        name: "t",
        experimentId: "t",
        candidateInstanceId: "c",
        baselineInstanceId: "b",
        metrics
      }))

  it.live("unknown statistics, operators, tolerance and metric types are rejected with the allowed values", () =>
    Effect.gen(function*() {
      yield* rejectedBeforeAnyRequest(
        create([untyped({ ...metric, statistic: "avg" })]),
        /^metrics\[0\]: statistic must be one of min, max, mean/
      )
      yield* rejectedBeforeAnyRequest(
        create([metric, untyped({ ...metric, params: { ...metric.params, operator: "<=" } })]),
        /^metrics\[1\]: params\.operator must be one of eq, gt, ge, lt, le, ne$/
      )
      yield* rejectedBeforeAnyRequest(
        create([untyped({ ...metric, params: { operator: "le", tolerance: { type: "percent", value: 1 } } })]),
        /^metrics\[0\]: params\.tolerance\.type must be "", "absolute" or "relative"$/
      )
      yield* rejectedBeforeAnyRequest(
        create([untyped({ ...metric, metricType: "ratio" })]),
        /^metrics\[0\]: metricType must be direct-comparison$/
      )
      yield* rejectedBeforeAnyRequest(
        create([untyped({ ...metric, params: { operator: "le", tolerance: { type: "relative", value: Number.NaN } } })]),
        /^metrics\[0\]: params\.tolerance\.value must be a finite number$/
      )
    }).pipe(Effect.provide(servicesLayer())))
})

describe("wireWithoutNulls", () => {
  it("builds one PUT body schema per resource schema (updates reuse it and its encoder)", () => {
    const Resource = Schema.Struct({ id: Schema.String, description: Schema.optional(Schema.NullOr(Schema.String)) })
    const body = wireWithoutNulls(Resource)
    expect(wireWithoutNulls(Resource)).toBe(body)
    expect(wireWithoutNulls(Schema.Struct({ id: Schema.String }))).not.toBe(body)
    expect(Schema.encodeSync(body)({ id: "a", description: null })).toEqual({ id: "a" })
  })
})
