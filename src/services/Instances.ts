/**
 * `Instances`: the instances of an application (nextmv-py `Application.new_instance` and friends). An instance is a named,
 * configured pointer to a version; runs submitted with its id execute that version.
 *
 * @since 0.1.0
 */
import { HttpClientRequest } from "@effect/platform"
import { Context, Effect, Layer } from "effect"
import type { InvalidArgumentError, NextmvDecodeError, NextmvHttpError } from "../Errors.js"
import { requestWithBody } from "../internal/body.js"
import { exists } from "../internal/crud.js"
import { safeId } from "../internal/ids.js"
import { listOf } from "../internal/pagination.js"
import { instancesPath } from "../internal/paths.js"
import {
  invalidArgument,
  isGiven,
  requireIds,
  requireJson,
  requireObject,
  requireOptionalIds,
  validateExecutionSettings
} from "../internal/validate.js"
import { Instance, type InstanceConfiguration } from "../schemas/Instances.js"
import { wireWithoutNulls } from "../schemas/Common.js"
import { NewInstanceBody } from "../schemas/Requests.js"
import { NextmvClient } from "./NextmvClient.js"
import { traced } from "../internal/traced.js"

/** Errors of an instance operation. */
export type InstanceError = NextmvHttpError | NextmvDecodeError | InvalidArgumentError

/** Options of {@link Service.newInstance}. */
export interface NewInstanceOptions {
  /** Instance id. Default: generated, `instance-` + 8 characters of `[a-z0-9]`. */
  readonly id?: string | undefined
  /** Display name. Default: the id. */
  readonly name?: string | undefined
  /** Sent when given (also when `""`). */
  readonly description?: string | undefined
  /** Execution class, options, secrets collection, queuing (priority 1–9), integration. */
  readonly configuration?: InstanceConfiguration | undefined
  /**
   * When an instance with `id` already exists, return it (a second GET) instead of creating one;
   * the other options are then ignored and the instance is not updated. Requires `id`.
   */
  readonly existOk?: boolean | undefined
}

/** Options of {@link Service.updateInstance}: the fields to change; the others are kept. */
export interface UpdateInstanceOptions {
  readonly name?: string | undefined
  /** Point the instance at another version. */
  readonly versionId?: string | undefined
  readonly description?: string | undefined
  /** Replaces the whole stored configuration (no deep merge). */
  readonly configuration?: InstanceConfiguration | undefined
}

/** The `Instances` service. */
export interface Service {
  /**
   * Gets an instance (`GET /v1/applications/{appId}/instances/{instanceId}`).
   *
   * @example
   * ```ts
   * const instance = yield* instances.instance("routing-app", "prod")
   * ```
   */
  readonly instance: (appId: string, instanceId: string) => Effect.Effect<Instance, InstanceError>
  /**
   * `true` when the instance exists, `false` on 404; any other failure is an error.
   *
   * @example
   * ```ts
   * if (!(yield* instances.instanceExists("routing-app", "prod"))) yield* Console.log("no instance prod yet")
   * ```
   */
  readonly instanceExists: (appId: string, instanceId: string) => Effect.Effect<boolean, InstanceError>
  /**
   * Lists the instances of an application (`GET …/instances`, a bare JSON array; the API is not
   * known to page it, so there is no stream variant).
   *
   * @example
   * ```ts
   * const all = yield* instances.listInstances("routing-app")
   * ```
   */
  readonly listInstances: (appId: string) => Effect.Effect<ReadonlyArray<Instance>, InstanceError>
  /**
   * Creates an instance of `versionId` (`POST …/instances`). The id defaults to a generated
   * `instance-xxxxxxxx`, the name to the id. Fails with `InvalidArgumentError` when `existOk` is
   * set without `id`, when the queuing priority is not 1–9, or when `integration_id` comes with
   * an execution class other than `integration` (with no class, `integration` is sent); with
   * `NextmvHttpError` 409 when the id is taken.
   *
   * @example
   * ```ts
   * const prod = yield* instances.newInstance("routing-app", "v1", {
   *   id: "prod", configuration: { execution_class: "6c9500mb870s", queuing: { priority: 3 } }
   * })
   * ```
   */
  readonly newInstance: (
    appId: string,
    versionId: string,
    options?: NewInstanceOptions
  ) => Effect.Effect<Instance, InstanceError>
  /**
   * Updates an instance: GETs it, replaces the given fields (a given `configuration` replaces the
   * stored one as a whole, validated like `newInstance`'s) and PUTs the full object back. With no
   * options it re-PUTs the current state.
   *
   * @example
   * ```ts
   * yield* instances.updateInstance("routing-app", "prod", { versionId: "v2" })
   * ```
   */
  readonly updateInstance: (
    appId: string,
    instanceId: string,
    options?: UpdateInstanceOptions
  ) => Effect.Effect<Instance, InstanceError>
  /**
   * Deletes an instance (`DELETE …/instances/{instanceId}`).
   *
   * @example
   * ```ts
   * yield* instances.deleteInstance("routing-app", "staging")
   * ```
   */
  readonly deleteInstance: (appId: string, instanceId: string) => Effect.Effect<void, InstanceError>
}

/** The `Instances` service tag. */
export class Instances extends Context.Tag("nextmv-effect/Instances")<Instances, Service>() {}

/** A configuration with its `null` entries left out (the integration rule is applied before). */
const withoutNullEntries = (configuration: InstanceConfiguration): InstanceConfiguration =>
  Object.fromEntries(Object.entries(configuration).filter(([, v]) => v !== null))

/** Builds the service from the `NextmvClient`. */
export const make: Effect.Effect<Service, never, NextmvClient> = Effect.gen(function*() {
  const { api } = yield* NextmvClient

  const ids = (operation: string, appId: string, instanceId: string) => requireIds(operation, { appId, instanceId })

  const instance = traced("Instances.instance")(function*(appId: string, instanceId: string) {
    yield* ids("Instances.instance", appId, instanceId)
    return yield* api.json(HttpClientRequest.get(instancesPath(appId, instanceId)), Instance)
  })

  const instanceExists = traced("Instances.instanceExists")(function*(appId: string, instanceId: string) {
    yield* ids("Instances.instanceExists", appId, instanceId)
    return yield* exists(api, instancesPath(appId, instanceId))
  })

  const listInstances = traced("Instances.listInstances")(function*(appId: string) {
    yield* requireIds("Instances.listInstances", { appId })
    return yield* api.json(HttpClientRequest.get(instancesPath(appId)), listOf(Instance))
  })

  const newInstance = traced("Instances.newInstance")(
    function*(appId: string, versionId: string, options: NewInstanceOptions = {}) {
      const operation = "Instances.newInstance"
      yield* requireIds(operation, { appId, versionId })
      yield* requireObject(operation, "options", options)
      if (options.existOk === true && !isGiven(options.id)) {
        return yield* invalidArgument(operation, "If existOk is true, id must be provided")
      }
      yield* requireOptionalIds(operation, { id: options.id })
      const configuration = yield* validateExecutionSettings(operation, options.configuration)
      if (options.existOk === true && isGiven(options.id) && (yield* instanceExists(appId, options.id))) {
        return yield* instance(appId, options.id)
      }
      const id = isGiven(options.id) ? options.id : yield* safeId("instance")
      const request = yield* requestWithBody(operation, "POST", instancesPath(appId), NewInstanceBody, {
        id,
        name: isGiven(options.name) ? options.name : id,
        version_id: versionId,
        description: options.description,
        configuration: configuration === undefined ? undefined : withoutNullEntries(configuration)
      })
      return yield* api.json(request, Instance)
    }
  )

  const updateInstance = traced("Instances.updateInstance")(
    function*(appId: string, instanceId: string, options: UpdateInstanceOptions = {}) {
      const operation = "Instances.updateInstance"
      yield* ids(operation, appId, instanceId)
      yield* requireObject(operation, "options", options)
      yield* requireOptionalIds(operation, { versionId: options.versionId })
      const configuration = yield* validateExecutionSettings(operation, options.configuration)
      // Checked before the GET, so a value with no JSON form sends nothing.
      if (configuration !== undefined) yield* requireJson(operation, "configuration", configuration)
      const current = yield* instance(appId, instanceId)
      // The whole object goes back, as nextmv-py's `Application.update_instance` does (GET then PUT).
      const updated = new Instance({
        ...current,
        name: options.name ?? current.name,
        version_id: options.versionId ?? current.version_id,
        description: options.description ?? current.description,
        configuration: configuration === undefined ? current.configuration : withoutNullEntries(configuration)
      }, { disableValidation: true })
      const request = yield* requestWithBody(
        operation,
        "PUT",
        instancesPath(appId, instanceId),
        wireWithoutNulls(Instance),
        updated
      )
      return yield* api.json(request, Instance)
    }
  )

  const deleteInstance = traced("Instances.deleteInstance")(function*(appId: string, instanceId: string) {
    yield* ids("Instances.deleteInstance", appId, instanceId)
    yield* api.discard(HttpClientRequest.del(instancesPath(appId, instanceId)))
  })

  return Instances.of({ instance, instanceExists, listInstances, newInstance, updateInstance, deleteInstance })
})

/** The `Instances` layer; requires `NextmvClient`. */
export const layer: Layer.Layer<Instances, never, NextmvClient> = Layer.effect(Instances, make)
