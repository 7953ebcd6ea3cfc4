/**
 * `InputSets`: the sets of inputs experiments run over (nextmv-py `Application.new_input_set`), under
 * `/v1/applications/{appId}/experiments/inputsets`.
 *
 * @since 0.1.0
 */
import { HttpClientRequest } from "@effect/platform"
import { Context, DateTime, Effect, Layer, Option } from "effect"
import type { InvalidArgumentError, NextmvDecodeError, NextmvHttpError } from "../Errors.js"
import { requestWithBody } from "../internal/body.js"
import { safeId } from "../internal/ids.js"
import { listOf } from "../internal/pagination.js"
import { inputSetsPath } from "../internal/paths.js"
import { invalidArgument, isGiven, requireIds, requireObject, requireOptionalIds } from "../internal/validate.js"
import { InputSet } from "../schemas/InputSets.js"
import { InputSetPutBody, NewInputSetBody } from "../schemas/Requests.js"
import { ManagedInput } from "../schemas/ManagedInputs.js"
import { NextmvClient } from "./NextmvClient.js"
import { traced } from "../internal/traced.js"

/** Errors of an input-set operation. */
export type InputSetError = NextmvHttpError | NextmvDecodeError | InvalidArgumentError

/** @deprecated Endpoint paths live in one internal module; kept for existing imports. */
export { inputSetsPath }

/** A managed input of an input set: its id, or the managed input itself. */
export type InputSetInput = string | ManagedInput

/**
 * Options of {@link Service.newInputSet}. An input set is built in one of three ways (the API
 * decides; nothing here enforces one):
 * 1. `instanceId` + `startTime` / `endTime` + `maximumRuns`: that instance's runs in the window
 *    (without `instanceId` the application's default instance);
 * 2. `runIds`: the inputs of these runs;
 * 3. `inputs`: existing managed inputs.
 * The API caps an input set at 20 inputs.
 */
export interface NewInputSetOptions {
  /** Default: generated, `input-set-` + 8 characters of `[a-z0-9]`. */
  readonly id?: string | undefined
  /** Default: the id. */
  readonly name?: string | undefined
  readonly description?: string | undefined
  readonly instanceId?: string | undefined
  readonly startTime?: DateTime.DateTime.Input | undefined
  readonly endTime?: DateTime.DateTime.Input | undefined
  /** A positive integer. */
  readonly maximumRuns?: number | undefined
  readonly runIds?: ReadonlyArray<string> | undefined
  /** Managed inputs, by id or as returned by `ManagedInputs`. */
  readonly inputs?: ReadonlyArray<InputSetInput> | undefined
}

/** Options of {@link Service.updateInputSet}: the fields to change. */
export interface UpdateInputSetOptions {
  readonly name?: string | undefined
  readonly description?: string | undefined
  /** Replaces the set's `inputs` (the old `input_ids` stay in the body, as nextmv-py sends them). */
  readonly inputs?: ReadonlyArray<InputSetInput> | undefined
}

/** The `InputSets` service. */
export interface Service {
  /**
   * Gets an input set (`GET …/experiments/inputsets/{id}`).
   *
   * @example
   * ```ts
   * const set = yield* inputSets.inputSet("routing-app", "benchmark")
   * console.log(set.input_ids)
   * ```
   */
  readonly inputSet: (appId: string, inputSetId: string) => Effect.Effect<InputSet, InputSetError>
  /** Lists the application's input sets (`GET …/experiments/inputsets`, a bare array). */
  readonly listInputSets: (appId: string) => Effect.Effect<ReadonlyArray<InputSet>, InputSetError>
  /**
   * Creates an input set (`POST …/experiments/inputsets`); see {@link NewInputSetOptions} for the
   * three ways. The id defaults to `input-set-xxxxxxxx`, the name to the id. Fails with
   * `InvalidArgumentError` for a non-positive `maximumRuns` or an invalid time.
   *
   * @example
   * ```ts
   * const set = yield* inputSets.newInputSet("routing-app", { id: "benchmark", inputs: ["managed-input-1", "managed-input-2"] })
   * const recent = yield* inputSets.newInputSet("routing-app", {
   *   instanceId: "prod", startTime: new Date("2025-03-01"), endTime: new Date("2025-03-02"), maximumRuns: 20
   * })
   * ```
   */
  readonly newInputSet: (appId: string, options?: NewInputSetOptions) => Effect.Effect<InputSet, InputSetError>
  /**
   * Updates an input set: GETs it, overwrites the given fields and PUTs the whole object back
   * (as nextmv-py does).
   *
   * @example
   * ```ts
   * yield* inputSets.updateInputSet("routing-app", "benchmark", { description: "20 largest instances" })
   * ```
   */
  readonly updateInputSet: (
    appId: string,
    inputSetId: string,
    options: UpdateInputSetOptions
  ) => Effect.Effect<InputSet, InputSetError>
  /** Deletes an input set (`DELETE …/experiments/inputsets/{id}`). */
  readonly deleteInputSet: (appId: string, inputSetId: string) => Effect.Effect<void, InputSetError>
}

/** The `InputSets` service tag. */
export class InputSets extends Context.Tag("nextmv-effect/InputSets")<InputSets, Service>() {}

/** The `inputs` list as sent: `{"id": …}` for an id, the managed input itself otherwise. */
/** The `inputs` of a body (a string is an input id); the items' fields are checked by the body schema. */
const inputsBody = (operation: string, inputs: ReadonlyArray<InputSetInput>) =>
  Array.isArray(inputs)
    ? Effect.succeed(inputs.map((input: InputSetInput) => typeof input === "string" ? { id: input } : input))
    : invalidArgument(operation, "inputs must be an array")

const isoTime = (operation: string, name: string, input: DateTime.DateTime.Input) =>
  Option.match(DateTime.make(input), {
    onNone: () => invalidArgument(operation, `${name} is not a valid date-time`),
    onSome: (dateTime) => Effect.succeed(DateTime.formatIso(dateTime))
  })

/** Builds the service from the `NextmvClient`. */
export const make: Effect.Effect<Service, never, NextmvClient> = Effect.gen(function*() {
  const { api } = yield* NextmvClient

  const inputSet = traced("InputSets.inputSet")(function*(appId: string, inputSetId: string) {
    yield* requireIds("InputSets.inputSet", { appId, inputSetId })
    return yield* api.json(HttpClientRequest.get(inputSetsPath(appId, inputSetId)), InputSet)
  })

  const listInputSets = traced("InputSets.listInputSets")(function*(appId: string) {
    yield* requireIds("InputSets.listInputSets", { appId })
    return yield* api.json(HttpClientRequest.get(inputSetsPath(appId)), listOf(InputSet))
  })

  const newInputSet = traced("InputSets.newInputSet")(function*(appId: string, options: NewInputSetOptions = {}) {
    const operation = "InputSets.newInputSet"
    yield* requireIds(operation, { appId })
    yield* requireObject(operation, "options", options)
    yield* requireOptionalIds(operation, { id: options.id, instanceId: options.instanceId })
    if (options.maximumRuns !== undefined && !(Number.isInteger(options.maximumRuns) && options.maximumRuns > 0)) {
      return yield* invalidArgument(operation, `maximumRuns must be a positive integer, got ${options.maximumRuns}`)
    }
    const id = isGiven(options.id) ? options.id : yield* safeId("input-set")
    const endTime = options.endTime === undefined ? undefined : yield* isoTime(operation, "endTime", options.endTime)
    const startTime = options.startTime === undefined ? undefined : yield* isoTime(operation, "startTime", options.startTime)
    const request = yield* requestWithBody(operation, "POST", inputSetsPath(appId), NewInputSetBody, {
      id,
      name: isGiven(options.name) ? options.name : id,
      description: options.description,
      end_time: endTime,
      instance_id: options.instanceId,
      maximum_runs: options.maximumRuns,
      run_ids: options.runIds,
      start_time: startTime,
      inputs: options.inputs === undefined ? undefined : yield* inputsBody(operation, options.inputs)
    })
    return yield* api.json(request, InputSet)
  })

  const updateInputSet = traced("InputSets.updateInputSet")(
    function*(appId: string, inputSetId: string, options: UpdateInputSetOptions) {
      const operation = "InputSets.updateInputSet"
      yield* requireIds(operation, { appId, inputSetId })
      yield* requireObject(operation, "options", options)
      const current = yield* inputSet(appId, inputSetId)
      // The full object goes back, as nextmv-py's `to_dict()`: wire names, null fields dropped.
      const request = yield* requestWithBody(operation, "PUT", inputSetsPath(appId, inputSetId), InputSetPutBody, {
        ...current,
        name: options.name ?? current.name,
        description: options.description ?? current.description,
        inputs: options.inputs === undefined ? current.inputs : yield* inputsBody(operation, options.inputs)
      })
      return yield* api.json(request, InputSet)
    }
  )

  const deleteInputSet = traced("InputSets.deleteInputSet")(function*(appId: string, inputSetId: string) {
    yield* requireIds("InputSets.deleteInputSet", { appId, inputSetId })
    yield* api.discard(HttpClientRequest.del(inputSetsPath(appId, inputSetId)))
  })

  return InputSets.of({ inputSet, listInputSets, newInputSet, updateInputSet, deleteInputSet })
})

/** The `InputSets` layer; requires `NextmvClient`. */
export const layer: Layer.Layer<InputSets, never, NextmvClient> = Layer.effect(InputSets, make)
