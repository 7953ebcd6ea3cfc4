/**
 * `ShadowTests`: shadow tests of an application, under
 * `/v1/applications/{appId}/experiments/shadow` (nextmv-py's `Application.shadow_test`,
 * `new_shadow_test`, `start_shadow_test`, `stop_shadow_test`, …).
 *
 * A shadow test is an online experiment: once started, every run made on a baseline instance
 * also triggers a run with the same input and options on each of its candidate instances
 * (Nextmv docs, "Shadow tests"). Creating makes a `draft`; a test never starts on its own (a
 * start time only delays data collection). The first termination event met (`maximum_runs`, at
 * most 300, or a time) ends it; it can be completed or canceled at any time while started.
 * To wait for the end, see `OnlineTestPrograms.shadowTestWithPolling`.
 *
 * @since 0.1.0
 */
import { HttpClientRequest } from "@effect/platform"
import { Context, Effect, Layer } from "effect"
import type { InvalidArgumentError, NextmvDecodeError, NextmvHttpError } from "../Errors.js"
import { safeId } from "../internal/ids.js"
import { shadowTestsPath } from "../internal/paths.js"
import { stopIntentArgument, utcArgument } from "../internal/onlineTests.js"
import { invalidArgument, requireIds, requireObject } from "../internal/validate.js"
import { requestWithBody } from "../internal/body.js"
import {
  type DateTimeInput,
  NewShadowTestBody,
  ShadowTest,
  ShadowTestList,
  ShadowTestMetadata,
  StopBody,
  type StopIntent,
  TestRuns,
  UpdateBody
} from "../schemas/OnlineTests.js"
import { NextmvClient } from "./NextmvClient.js"
import { traced } from "../internal/traced.js"

/** Errors of a shadow-test operation. */
export type ShadowTestError = NextmvHttpError | NextmvDecodeError | InvalidArgumentError

/** @deprecated Endpoint paths live in one internal module; kept for existing imports. */
export { shadowTestsPath }

/** The most runs a shadow test may collect (Nextmv docs; nextmv-py's `TerminationEvents`). */
export const MAX_SHADOW_TEST_RUNS = 300

/** Options of {@link Service.newShadowTest}. */
export interface NewShadowTestOptions {
  /**
   * Baseline instance id → candidate instance ids; sent as this map (the API answers with a list
   * of `{baseline_instance_id, candidate_instance_ids}`). Not validated, as in nextmv-py.
   */
  readonly comparisons: Readonly<Record<string, ReadonlyArray<string>>>
  /** When the test ends: after `maximumRuns` runs (an integer 1..300), or at `time`. */
  readonly terminationEvents: {
    readonly maximumRuns: number
    readonly time?: DateTimeInput | undefined
  }
  /**
   * Default (only when absent): generated, `shadow-` + 8 characters of `[a-z0-9]`. An empty
   * string is sent as is. The API accepts 3–30 lower-case letters, digits, `.` and `-`, not
   * starting or ending with `.` or `-`.
   */
  readonly id?: string | undefined
  /** Default (absent or empty): the id. */
  readonly name?: string | undefined
  readonly description?: string | undefined
  /** When data collection starts once the test is started; `{}` (sent as `{}`) = at start. */
  readonly startEvents?: { readonly time?: DateTimeInput | undefined } | undefined
}

/** Options of {@link Service.stopShadowTest}. */
export interface StopShadowTestOptions {
  /** `complete` marks the test as complete, `cancel` cancels it. */
  readonly intent: StopIntent
}

/** Options of {@link Service.updateShadowTest}: the given keys are sent (`{}` is allowed). */
export interface UpdateShadowTestOptions {
  readonly name?: string | undefined
  readonly description?: string | undefined
}

/** The `ShadowTests` service. */
export interface Service {
  /**
   * Gets a shadow test with its runs: `GET …/experiments/shadow/{id}`, then
   * `GET …/experiments/shadow/{id}/runs` (one request, not paged) whose `runs` fill
   * {@link ShadowTest.runs}.
   *
   * @example
   * ```ts
   * const test = yield* shadowTests.shadowTest("routing-app", "shadow-v2")
   * console.log(test.status, test.runs.length)
   * ```
   */
  readonly shadowTest: (appId: string, shadowTestId: string) => Effect.Effect<ShadowTest, ShadowTestError>
  /**
   * Gets the metadata of a shadow test (`GET …/experiments/shadow/{id}/metadata`): id, name,
   * description, app id, times and status.
   *
   * @example
   * ```ts
   * const { status } = yield* shadowTests.shadowTestMetadata("routing-app", "shadow-v2")
   * ```
   */
  readonly shadowTestMetadata: (appId: string, shadowTestId: string) => Effect.Effect<ShadowTestMetadata, ShadowTestError>
  /**
   * Lists the shadow tests of an application (`GET …/experiments/shadow`, not paged), without
   * their runs.
   *
   * @example
   * ```ts
   * const tests = yield* shadowTests.listShadowTests("routing-app")
   * ```
   */
  readonly listShadowTests: (appId: string) => Effect.Effect<ReadonlyArray<ShadowTest>, ShadowTestError>
  /**
   * Creates a shadow test in `draft` (`POST …/experiments/shadow`, body `{id, name, comparisons,
   * termination_events, description?, start_events?}`). Fails with `InvalidArgumentError`
   * "maximum_runs must be between 1 and 300" before any request. Start it with
   * {@link Service.startShadowTest}.
   *
   * @example
   * ```ts
   * const test = yield* shadowTests.newShadowTest("routing-app", {
   *   comparisons: { prod: ["candidate-v2"] },
   *   terminationEvents: { maximumRuns: 100 },
   *   description: "v2 vs prod"
   * })
   * ```
   */
  readonly newShadowTest: (appId: string, options: NewShadowTestOptions) => Effect.Effect<ShadowTest, ShadowTestError>
  /**
   * Starts a shadow test (`PUT …/experiments/shadow/{id}/start`, no body): from then on runs on
   * the baseline instances are shadowed.
   *
   * @example
   * ```ts
   * yield* shadowTests.startShadowTest("routing-app", "shadow-v2")
   * ```
   */
  readonly startShadowTest: (appId: string, shadowTestId: string) => Effect.Effect<void, ShadowTestError>
  /**
   * Stops a started shadow test (`PUT …/experiments/shadow/{id}/stop`, body `{"intent": …}`):
   * `complete` marks it complete, `cancel` cancels it. A draft test cannot be stopped (delete it
   * instead). Fails with `InvalidArgumentError` for another intent.
   *
   * @example
   * ```ts
   * yield* shadowTests.stopShadowTest("routing-app", "shadow-v2", { intent: "complete" })
   * ```
   */
  readonly stopShadowTest: (
    appId: string,
    shadowTestId: string,
    options: StopShadowTestOptions
  ) => Effect.Effect<void, ShadowTestError>
  /**
   * Changes name and/or description (`PATCH …/experiments/shadow/{id}` with only the given keys;
   * no client check, an empty body is sent as `{}`). PATCH is never retried.
   *
   * @example
   * ```ts
   * yield* shadowTests.updateShadowTest("routing-app", "shadow-v2", { name: "v2 shadow" })
   * ```
   */
  readonly updateShadowTest: (
    appId: string,
    shadowTestId: string,
    options?: UpdateShadowTestOptions
  ) => Effect.Effect<ShadowTest, ShadowTestError>
  /**
   * Deletes a shadow test and everything it collected, such as its runs
   * (`DELETE …/experiments/shadow/{id}`).
   *
   * @example
   * ```ts
   * yield* shadowTests.deleteShadowTest("routing-app", "shadow-v2")
   * ```
   */
  readonly deleteShadowTest: (appId: string, shadowTestId: string) => Effect.Effect<void, ShadowTestError>
}

/** The `ShadowTests` service tag. */
export class ShadowTests extends Context.Tag("nextmv-effect/ShadowTests")<ShadowTests, Service>() {}

/** Builds the service from the `NextmvClient`. */
export const make: Effect.Effect<Service, never, NextmvClient> = Effect.gen(function*() {
  const { api } = yield* NextmvClient

  const ids = (operation: string, appId: string, id: string) => requireIds(operation, { appId, shadowTestId: id })

  const shadowTest = traced("ShadowTests.shadowTest")(function*(appId: string, id: string) {
    yield* ids("ShadowTests.shadowTest", appId, id)
    const test = yield* api.json(HttpClientRequest.get(shadowTestsPath(appId, id)), ShadowTest)
    const { runs } = yield* api.json(HttpClientRequest.get(`${shadowTestsPath(appId, id)}/runs`), TestRuns)
    return new ShadowTest({ ...test, runs })
  })

  const shadowTestMetadata = traced("ShadowTests.shadowTestMetadata")(function*(appId: string, id: string) {
    yield* ids("ShadowTests.shadowTestMetadata", appId, id)
    return yield* api.json(HttpClientRequest.get(`${shadowTestsPath(appId, id)}/metadata`), ShadowTestMetadata)
  })

  const listShadowTests = traced("ShadowTests.listShadowTests")(function*(appId: string) {
    yield* requireIds("ShadowTests.listShadowTests", { appId })
    const list = yield* api.json(HttpClientRequest.get(shadowTestsPath(appId)), ShadowTestList)
    return list === null ? [] : Array.isArray(list) ? list : (list as { readonly items: ReadonlyArray<ShadowTest> }).items
  })

  const newShadowTest = traced("ShadowTests.newShadowTest")(function*(appId: string, options: NewShadowTestOptions) {
    const operation = "ShadowTests.newShadowTest"
    yield* requireIds(operation, { appId })
    yield* requireObject(operation, "options", options)
    yield* requireObject(operation, "terminationEvents", options.terminationEvents)
    yield* requireObject(operation, "comparisons", options.comparisons)
    for (const [baseline, candidates] of Object.entries(options.comparisons)) {
      if (!Array.isArray(candidates)) return yield* invalidArgument(operation, `comparisons[${JSON.stringify(baseline)}] must be an array`)
    }
    const maximumRuns = options.terminationEvents.maximumRuns
    if (!Number.isInteger(maximumRuns) || maximumRuns < 1 || maximumRuns > MAX_SHADOW_TEST_RUNS) {
      return yield* invalidArgument(operation, "maximum_runs must be between 1 and 300")
    }
    const terminationTime = options.terminationEvents.time
    const startTime = options.startEvents?.time
    // Only an absent id is generated (nextmv-py tests `is None`); an empty name means the id.
    const id = options.id ?? (yield* safeId("shadow"))
    const name = options.name === undefined || options.name === "" ? id : options.name
    const body: typeof NewShadowTestBody.Type = {
      id,
      name,
      comparisons: Object.fromEntries(Object.entries(options.comparisons).map(([k, v]) => [k, [...v]])),
      termination_events: {
        maximum_runs: maximumRuns,
        ...(terminationTime !== undefined
          ? { time: yield* utcArgument(operation, "terminationEvents.time", terminationTime) }
          : {})
      },
      ...(options.description !== undefined ? { description: options.description } : {}),
      ...(options.startEvents !== undefined
        ? { start_events: startTime !== undefined ? { time: yield* utcArgument(operation, "startEvents.time", startTime) } : {} }
        : {})
    }
    const request = yield* requestWithBody(operation, "POST", shadowTestsPath(appId), NewShadowTestBody, body)
    return yield* api.json(request, ShadowTest)
  })

  const startShadowTest = traced("ShadowTests.startShadowTest")(function*(appId: string, id: string) {
    yield* ids("ShadowTests.startShadowTest", appId, id)
    yield* api.discard(HttpClientRequest.put(`${shadowTestsPath(appId, id)}/start`))
  })

  const stopShadowTest = traced("ShadowTests.stopShadowTest")(
    function*(appId: string, id: string, options: StopShadowTestOptions) {
      const operation = "ShadowTests.stopShadowTest"
      yield* ids(operation, appId, id)
      yield* requireObject(operation, "options", options)
      const intent = yield* stopIntentArgument(operation, options.intent)
      const request = yield* requestWithBody(operation, "PUT", `${shadowTestsPath(appId, id)}/stop`, StopBody, { intent })
      yield* api.discard(request)
    }
  )

  const updateShadowTest = traced("ShadowTests.updateShadowTest")(
    function*(appId: string, id: string, options: UpdateShadowTestOptions = {}) {
      const operation = "ShadowTests.updateShadowTest"
      yield* ids(operation, appId, id)
      yield* requireObject(operation, "options", options)
      const body = {
        ...(options.name !== undefined ? { name: options.name } : {}),
        ...(options.description !== undefined ? { description: options.description } : {})
      }
      const request = yield* requestWithBody(operation, "PATCH", shadowTestsPath(appId, id), UpdateBody, body)
      return yield* api.json(request, ShadowTest)
    }
  )

  const deleteShadowTest = traced("ShadowTests.deleteShadowTest")(function*(appId: string, id: string) {
    yield* ids("ShadowTests.deleteShadowTest", appId, id)
    yield* api.discard(HttpClientRequest.del(shadowTestsPath(appId, id)))
  })

  return ShadowTests.of({
    shadowTest,
    shadowTestMetadata,
    listShadowTests,
    newShadowTest,
    startShadowTest,
    stopShadowTest,
    updateShadowTest,
    deleteShadowTest
  })
})

/** The `ShadowTests` layer; requires `NextmvClient`. */
export const layer: Layer.Layer<ShadowTests, never, NextmvClient> = Layer.effect(ShadowTests, make)
