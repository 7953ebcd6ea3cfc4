/**
 * `ManagedInputs`: stored inputs that experiments reuse (nextmv-py `Application.new_managed_input`). They live under
 * `/v1/applications/{appId}/inputs`, not under `…/experiments`.
 *
 * @since 0.1.0
 */
import { HttpClientRequest } from "@effect/platform"
import { Context, Effect, Layer } from "effect"
import type { InvalidArgumentError, NextmvDecodeError, NextmvHttpError } from "../Errors.js"
import { requestWithBody } from "../internal/body.js"
import { safeId } from "../internal/ids.js"
import { listOf } from "../internal/pagination.js"
import { managedInputsPath } from "../internal/paths.js"
import { invalidArgument, isGiven, requireIds, requireObject, requireOptionalIds } from "../internal/validate.js"
import { DEFAULT_MANAGED_INPUT_FORMAT, ManagedInput, type ManagedInputFormat } from "../schemas/ManagedInputs.js"
import { wireWithoutNulls } from "../schemas/Common.js"
import { NewManagedInputBody } from "../schemas/Requests.js"
import { NextmvClient } from "./NextmvClient.js"
import { traced } from "../internal/traced.js"

/** Errors of a managed-input operation. */
export type ManagedInputError = NextmvHttpError | NextmvDecodeError | InvalidArgumentError

/** @deprecated Endpoint paths live in one internal module; kept for existing imports. */
export { managedInputsPath }

/** Options of {@link Service.newManagedInput}: exactly one of `uploadId` and `runId`. */
export interface NewManagedInputOptions {
  /** Default: generated, `managed-input-` + 8 characters of `[a-z0-9]`. */
  readonly id?: string | undefined
  /** Default: the id. */
  readonly name?: string | undefined
  readonly description?: string | undefined
  /** The upload holding the data (`Uploads.uploadUrl` + `Uploads.uploadData`). */
  readonly uploadId?: string | undefined
  /** A run whose input becomes the managed input. */
  readonly runId?: string | undefined
  /**
   * Content format; default `{"input": {"type": "json"}, "output": {"type": "json"}}`. Types:
   * `json`, `text`, `csv-archive`, `multi-file`.
   */
  readonly format?: typeof ManagedInputFormat.Encoded | undefined
}

/** Options of {@link Service.updateManagedInput}: the fields to change. */
export interface UpdateManagedInputOptions {
  readonly name?: string | undefined
  readonly description?: string | undefined
}

/** The `ManagedInputs` service. */
export interface Service {
  /**
   * Gets a managed input (`GET …/inputs/{id}`).
   *
   * @example
   * ```ts
   * const input = yield* managedInputs.managedInput("routing-app", "managed-input-1")
   * ```
   */
  readonly managedInput: (appId: string, managedInputId: string) => Effect.Effect<ManagedInput, ManagedInputError>
  /** Lists the application's managed inputs (`GET …/inputs`, a bare array). */
  readonly listManagedInputs: (appId: string) => Effect.Effect<ReadonlyArray<ManagedInput>, ManagedInputError>
  /**
   * Creates a managed input from an upload or from a run (`POST …/inputs`). Exactly one of
   * `uploadId` and `runId` is required (`InvalidArgumentError` otherwise, before any request).
   * The id defaults to `managed-input-xxxxxxxx`, the name to the id, the format to JSON.
   *
   * @example
   * ```ts
   * const url = yield* uploads.uploadUrl("routing-app")
   * yield* uploads.uploadData(url, Uploads.UploadData.json({ stops: [] }))
   * const input = yield* managedInputs.newManagedInput("routing-app", { uploadId: url.upload_id })
   * ```
   */
  readonly newManagedInput: (
    appId: string,
    options: NewManagedInputOptions
  ) => Effect.Effect<ManagedInput, ManagedInputError>
  /**
   * Updates a managed input: GETs it, overwrites `name` / `description` and PUTs the whole object
   * back (as nextmv-py does). No field given is allowed (the object is sent back unchanged).
   *
   * @example
   * ```ts
   * yield* managedInputs.updateManagedInput("routing-app", "managed-input-1", { name: "Monday" })
   * ```
   */
  readonly updateManagedInput: (
    appId: string,
    managedInputId: string,
    options: UpdateManagedInputOptions
  ) => Effect.Effect<ManagedInput, ManagedInputError>
  /** Deletes a managed input (`DELETE …/inputs/{id}`). */
  readonly deleteManagedInput: (appId: string, managedInputId: string) => Effect.Effect<void, ManagedInputError>
}

/** The `ManagedInputs` service tag. */
export class ManagedInputs extends Context.Tag("nextmv-effect/ManagedInputs")<ManagedInputs, Service>() {}

/** Builds the service from the `NextmvClient`. */
export const make: Effect.Effect<Service, never, NextmvClient> = Effect.gen(function*() {
  const { api } = yield* NextmvClient

  const managedInput = traced("ManagedInputs.managedInput")(function*(appId: string, managedInputId: string) {
    yield* requireIds("ManagedInputs.managedInput", { appId, managedInputId })
    return yield* api.json(HttpClientRequest.get(managedInputsPath(appId, managedInputId)), ManagedInput)
  })

  const listManagedInputs = traced("ManagedInputs.listManagedInputs")(function*(appId: string) {
    yield* requireIds("ManagedInputs.listManagedInputs", { appId })
    return yield* api.json(HttpClientRequest.get(managedInputsPath(appId)), listOf(ManagedInput))
  })

  const newManagedInput = traced("ManagedInputs.newManagedInput")(
    function*(appId: string, options: NewManagedInputOptions) {
      const operation = "ManagedInputs.newManagedInput"
      yield* requireIds(operation, { appId })
      yield* requireObject(operation, "options", options)
      yield* requireOptionalIds(operation, { id: options.id, uploadId: options.uploadId, runId: options.runId })
      const hasUpload = isGiven(options.uploadId)
      const hasRun = isGiven(options.runId)
      if (!hasUpload && !hasRun) return yield* invalidArgument(operation, "Either uploadId or runId must be specified")
      // nextmv-py lets both through; the API takes the data from one source, so say which.
      if (hasUpload && hasRun) return yield* invalidArgument(operation, "Give only one of uploadId and runId")
      const id = isGiven(options.id) ? options.id : yield* safeId("managed-input")
      const request = yield* requestWithBody(operation, "POST", managedInputsPath(appId), NewManagedInputBody, {
        id,
        name: isGiven(options.name) ? options.name : id,
        description: options.description,
        upload_id: hasUpload ? options.uploadId : undefined,
        run_id: hasRun ? options.runId : undefined,
        format: options.format ?? DEFAULT_MANAGED_INPUT_FORMAT
      })
      return yield* api.json(request, ManagedInput)
    }
  )

  const updateManagedInput = traced("ManagedInputs.updateManagedInput")(
    function*(appId: string, managedInputId: string, options: UpdateManagedInputOptions) {
      const operation = "ManagedInputs.updateManagedInput"
      yield* requireIds(operation, { appId, managedInputId })
      yield* requireObject(operation, "options", options)
      const current = yield* managedInput(appId, managedInputId)
      // The full object goes back, as nextmv-py's `to_dict()`: wire names, null fields dropped.
      const updated = new ManagedInput({
        ...current,
        name: options.name ?? current.name,
        description: options.description ?? current.description
      }, { disableValidation: true })
      const request = yield* requestWithBody(
        operation,
        "PUT",
        managedInputsPath(appId, managedInputId),
        wireWithoutNulls(ManagedInput),
        updated
      )
      return yield* api.json(request, ManagedInput)
    }
  )

  const deleteManagedInput = traced("ManagedInputs.deleteManagedInput")(
    function*(appId: string, managedInputId: string) {
      yield* requireIds("ManagedInputs.deleteManagedInput", { appId, managedInputId })
      yield* api.discard(HttpClientRequest.del(managedInputsPath(appId, managedInputId)))
    }
  )

  return ManagedInputs.of({ managedInput, listManagedInputs, newManagedInput, updateManagedInput, deleteManagedInput })
})

/** The `ManagedInputs` layer; requires `NextmvClient`. */
export const layer: Layer.Layer<ManagedInputs, never, NextmvClient> = Layer.effect(ManagedInputs, make)
