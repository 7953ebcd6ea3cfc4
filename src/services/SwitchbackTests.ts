/**
 * `SwitchbackTests`: switchback tests of an application, under
 * `/v1/applications/{appId}/experiments/switchback` (nextmv-py's `Application.switchback_test`,
 * `new_switchback_test`, `start_switchback_test`, `stop_switchback_test`, …).
 *
 * A switchback test is an online experiment comparing a baseline and a candidate instance. Its
 * plan is a sequence of units, each a time slot assigned to one of the two instances at random;
 * while the test is started, a run submitted to the **baseline** instance is routed to the
 * instance of the current unit (Nextmv docs, "Switchback tests"). Runs submitted with a batch
 * experiment id and external runs bypass it. To wait for the end, see
 * `OnlineTestPrograms.switchbackTestWithPolling`.
 *
 * @since 0.1.0
 */
import { HttpClientRequest } from "@effect/platform"
import { Context, Effect, Layer } from "effect"
import type { InvalidArgumentError, NextmvDecodeError, NextmvHttpError } from "../Errors.js"
import { safeId } from "../internal/ids.js"
import { stopIntentArgument, utcArgument } from "../internal/onlineTests.js"
import { switchbackTestsPath } from "../internal/paths.js"
import { invalidArgument, requireIds, requireObject } from "../internal/validate.js"
import { requestWithBody } from "../internal/body.js"
import {
  type DateTimeInput,
  NewSwitchbackTestBody,
  StopBody,
  type StopIntent,
  SwitchbackTest,
  SwitchbackTestList,
  SwitchbackTestMetadata,
  TestRuns,
  UpdateBody
} from "../schemas/OnlineTests.js"
import { NextmvClient } from "./NextmvClient.js"
import { traced } from "../internal/traced.js"

/** Errors of a switchback-test operation. */
export type SwitchbackTestError = NextmvHttpError | NextmvDecodeError | InvalidArgumentError

/** @deprecated Endpoint paths live in one internal module; kept for existing imports. */
export { switchbackTestsPath }

/** Longest plan unit: one week, in minutes (nextmv-py and the CLI check 1..10080). */
export const MAX_UNIT_DURATION_MINUTES = 10080

/** Most units of a plan (nextmv-py and the CLI check 1..1000). */
export const MAX_UNITS = 1000

/** Options of {@link Service.newSwitchbackTest}. */
export interface NewSwitchbackTestOptions {
  /** The baseline instance and the candidate instance. */
  readonly comparison: {
    readonly baselineInstanceId: string
    readonly candidateInstanceId: string
  }
  /** Length of each plan unit in minutes, 1..10080 (fractions are allowed). */
  readonly unitDurationMinutes: number
  /** Number of plan units, an integer 1..1000. */
  readonly units: number
  /** Default (only when absent): generated, `switchback-` + 8 characters of `[a-z0-9]`. */
  readonly id?: string | undefined
  /** Default (absent or empty): the id. */
  readonly name?: string | undefined
  readonly description?: string | undefined
  /** Start of the plan; sent as Python's `isoformat()` (`2026-01-23T14:00:00+00:00`). */
  readonly start?: DateTimeInput | undefined
}

/** Options of {@link Service.stopSwitchbackTest}. */
export interface StopSwitchbackTestOptions {
  /** `complete` marks the test as complete, `cancel` cancels it. */
  readonly intent: StopIntent
}

/** Options of {@link Service.updateSwitchbackTest}: the given keys are sent (`{}` is allowed). */
export interface UpdateSwitchbackTestOptions {
  readonly name?: string | undefined
  readonly description?: string | undefined
}

/** The `SwitchbackTests` service. */
export interface Service {
  /**
   * Gets a switchback test with its runs: `GET …/experiments/switchback/{id}`, then
   * `GET …/experiments/switchback/{id}/runs` (one request) whose `runs` fill
   * {@link SwitchbackTest.runs}.
   *
   * @example
   * ```ts
   * const test = yield* switchbackTests.switchbackTest("routing-app", "switchback-v2")
   * console.log(test.plan?.units.length, test.runs.length)
   * ```
   */
  readonly switchbackTest: (appId: string, switchbackTestId: string) => Effect.Effect<SwitchbackTest, SwitchbackTestError>
  /**
   * Gets the metadata of a switchback test (`GET …/experiments/switchback/{id}/metadata`).
   *
   * @example
   * ```ts
   * const { status } = yield* switchbackTests.switchbackTestMetadata("routing-app", "switchback-v2")
   * ```
   */
  readonly switchbackTestMetadata: (
    appId: string,
    switchbackTestId: string
  ) => Effect.Effect<SwitchbackTestMetadata, SwitchbackTestError>
  /**
   * Lists the switchback tests of an application (`GET …/experiments/switchback`, an
   * `{"items": …}` object, not paged), without their runs.
   *
   * @example
   * ```ts
   * const tests = yield* switchbackTests.listSwitchbackTests("routing-app")
   * ```
   */
  readonly listSwitchbackTests: (appId: string) => Effect.Effect<ReadonlyArray<SwitchbackTest>, SwitchbackTestError>
  /**
   * Creates a switchback test in `draft` with a random plan (`POST …/experiments/switchback`,
   * body `{id, name, comparison, generate_random_plan: {unit_duration_minutes, units, start?},
   * description?}`). Fails with `InvalidArgumentError` "unit_duration_minutes must be between 1
   * and 10080" or "units must be between 1 and 1000" before any request.
   *
   * @example
   * ```ts
   * const test = yield* switchbackTests.newSwitchbackTest("routing-app", {
   *   comparison: { baselineInstanceId: "prod", candidateInstanceId: "candidate-v2" },
   *   unitDurationMinutes: 30,
   *   units: 48
   * })
   * ```
   */
  readonly newSwitchbackTest: (
    appId: string,
    options: NewSwitchbackTestOptions
  ) => Effect.Effect<SwitchbackTest, SwitchbackTestError>
  /**
   * Starts a switchback test (`PUT …/experiments/switchback/{id}/start`, no body).
   *
   * @example
   * ```ts
   * yield* switchbackTests.startSwitchbackTest("routing-app", "switchback-v2")
   * ```
   */
  readonly startSwitchbackTest: (appId: string, switchbackTestId: string) => Effect.Effect<void, SwitchbackTestError>
  /**
   * Stops a started switchback test (`PUT …/experiments/switchback/{id}/stop`, body
   * `{"intent": …}`). Fails with `InvalidArgumentError` for an intent other than `complete` or
   * `cancel`.
   *
   * @example
   * ```ts
   * yield* switchbackTests.stopSwitchbackTest("routing-app", "switchback-v2", { intent: "cancel" })
   * ```
   */
  readonly stopSwitchbackTest: (
    appId: string,
    switchbackTestId: string,
    options: StopSwitchbackTestOptions
  ) => Effect.Effect<void, SwitchbackTestError>
  /**
   * Changes name and/or description (`PATCH …/experiments/switchback/{id}` with only the given
   * keys; `{}` is sent when none is given). PATCH is never retried.
   *
   * @example
   * ```ts
   * yield* switchbackTests.updateSwitchbackTest("routing-app", "switchback-v2", { description: "weekday plan" })
   * ```
   */
  readonly updateSwitchbackTest: (
    appId: string,
    switchbackTestId: string,
    options?: UpdateSwitchbackTestOptions
  ) => Effect.Effect<SwitchbackTest, SwitchbackTestError>
  /**
   * Deletes a switchback test (`DELETE …/experiments/switchback/{id}`).
   *
   * @example
   * ```ts
   * yield* switchbackTests.deleteSwitchbackTest("routing-app", "switchback-v2")
   * ```
   */
  readonly deleteSwitchbackTest: (appId: string, switchbackTestId: string) => Effect.Effect<void, SwitchbackTestError>
}

/** The `SwitchbackTests` service tag. */
export class SwitchbackTests extends Context.Tag("nextmv-effect/SwitchbackTests")<SwitchbackTests, Service>() {}

/** Builds the service from the `NextmvClient`. */
export const make: Effect.Effect<Service, never, NextmvClient> = Effect.gen(function*() {
  const { api } = yield* NextmvClient

  const ids = (operation: string, appId: string, id: string) => requireIds(operation, { appId, switchbackTestId: id })

  const switchbackTest = traced("SwitchbackTests.switchbackTest")(function*(appId: string, id: string) {
    yield* ids("SwitchbackTests.switchbackTest", appId, id)
    const test = yield* api.json(HttpClientRequest.get(switchbackTestsPath(appId, id)), SwitchbackTest)
    const { runs } = yield* api.json(HttpClientRequest.get(`${switchbackTestsPath(appId, id)}/runs`), TestRuns)
    return new SwitchbackTest({ ...test, runs })
  })

  const switchbackTestMetadata = traced("SwitchbackTests.switchbackTestMetadata")(function*(appId: string, id: string) {
    yield* ids("SwitchbackTests.switchbackTestMetadata", appId, id)
    return yield* api.json(HttpClientRequest.get(`${switchbackTestsPath(appId, id)}/metadata`), SwitchbackTestMetadata)
  })

  const listSwitchbackTests = traced("SwitchbackTests.listSwitchbackTests")(function*(appId: string) {
    yield* requireIds("SwitchbackTests.listSwitchbackTests", { appId })
    const list = yield* api.json(HttpClientRequest.get(switchbackTestsPath(appId)), SwitchbackTestList)
    return list === null
      ? []
      : Array.isArray(list)
      ? list
      : (list as { readonly items: ReadonlyArray<SwitchbackTest> }).items
  })

  const newSwitchbackTest = traced("SwitchbackTests.newSwitchbackTest")(
    function*(appId: string, options: NewSwitchbackTestOptions) {
      const operation = "SwitchbackTests.newSwitchbackTest"
      yield* requireIds(operation, { appId })
      yield* requireObject(operation, "options", options)
      yield* requireObject(operation, "comparison", options.comparison)
      const minutes = options.unitDurationMinutes
      if (!Number.isFinite(minutes) || minutes < 1 || minutes > MAX_UNIT_DURATION_MINUTES) {
        return yield* invalidArgument(operation, "unit_duration_minutes must be between 1 and 10080")
      }
      if (!Number.isInteger(options.units) || options.units < 1 || options.units > MAX_UNITS) {
        return yield* invalidArgument(operation, "units must be between 1 and 1000")
      }
      const id = options.id ?? (yield* safeId("switchback"))
      const name = options.name === undefined || options.name === "" ? id : options.name
      const body: typeof NewSwitchbackTestBody.Type = {
        id,
        name,
        comparison: {
          baseline_instance_id: options.comparison.baselineInstanceId,
          candidate_instance_id: options.comparison.candidateInstanceId
        },
        generate_random_plan: {
          unit_duration_minutes: minutes,
          units: options.units,
          ...(options.start !== undefined ? { start: yield* utcArgument(operation, "start", options.start) } : {})
        },
        ...(options.description !== undefined ? { description: options.description } : {})
      }
      const request = yield* requestWithBody(operation, "POST", switchbackTestsPath(appId), NewSwitchbackTestBody, body)
      return yield* api.json(request, SwitchbackTest)
    }
  )

  const startSwitchbackTest = traced("SwitchbackTests.startSwitchbackTest")(function*(appId: string, id: string) {
    yield* ids("SwitchbackTests.startSwitchbackTest", appId, id)
    yield* api.discard(HttpClientRequest.put(`${switchbackTestsPath(appId, id)}/start`))
  })

  const stopSwitchbackTest = traced("SwitchbackTests.stopSwitchbackTest")(
    function*(appId: string, id: string, options: StopSwitchbackTestOptions) {
      const operation = "SwitchbackTests.stopSwitchbackTest"
      yield* ids(operation, appId, id)
      yield* requireObject(operation, "options", options)
      const intent = yield* stopIntentArgument(operation, options.intent)
      const request = yield* requestWithBody(operation, "PUT", `${switchbackTestsPath(appId, id)}/stop`, StopBody, { intent })
      yield* api.discard(request)
    }
  )

  const updateSwitchbackTest = traced("SwitchbackTests.updateSwitchbackTest")(
    function*(appId: string, id: string, options: UpdateSwitchbackTestOptions = {}) {
      const operation = "SwitchbackTests.updateSwitchbackTest"
      yield* ids(operation, appId, id)
      yield* requireObject(operation, "options", options)
      const body = {
        ...(options.name !== undefined ? { name: options.name } : {}),
        ...(options.description !== undefined ? { description: options.description } : {})
      }
      const request = yield* requestWithBody(operation, "PATCH", switchbackTestsPath(appId, id), UpdateBody, body)
      return yield* api.json(request, SwitchbackTest)
    }
  )

  const deleteSwitchbackTest = traced("SwitchbackTests.deleteSwitchbackTest")(function*(appId: string, id: string) {
    yield* ids("SwitchbackTests.deleteSwitchbackTest", appId, id)
    yield* api.discard(HttpClientRequest.del(switchbackTestsPath(appId, id)))
  })

  return SwitchbackTests.of({
    switchbackTest,
    switchbackTestMetadata,
    listSwitchbackTests,
    newSwitchbackTest,
    startSwitchbackTest,
    stopSwitchbackTest,
    updateSwitchbackTest,
    deleteSwitchbackTest
  })
})

/** The `SwitchbackTests` layer; requires `NextmvClient`. */
export const layer: Layer.Layer<SwitchbackTests, never, NextmvClient> = Layer.effect(SwitchbackTests, make)
