/**
 * `Applications`: the application-level operations of Nextmv Cloud (nextmv-py `nextmv.cloud.Application`).
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
import { applicationPath, applicationsPath } from "../internal/paths.js"
import { invalidArgument, isGiven, requireIds, requireObject, requireOptionalIds } from "../internal/validate.js"
import { Application } from "../schemas/Applications.js"
import { wireWithoutNulls } from "../schemas/Common.js"
import { NewApplicationBody } from "../schemas/Requests.js"
import { NextmvClient } from "./NextmvClient.js"
import { traced } from "../internal/traced.js"

/** Errors of an application operation. */
export type ApplicationError = NextmvHttpError | NextmvDecodeError | InvalidArgumentError

/** Options of {@link Service.newApplication}. */
export interface NewApplicationOptions {
  /** Application id. Default: generated, `app-` + 8 characters of `[a-z0-9]`. */
  readonly id?: string | undefined
  /** Display name. Default: the id. */
  readonly name?: string | undefined
  readonly description?: string | undefined
  /** Create a workflow (pipeline) application (wire `is_pipeline`). */
  readonly isWorkflow?: boolean | undefined
  /** When the application already exists, return it instead of failing. Requires `id`. */
  readonly existOk?: boolean | undefined
  /** Default instance id (wire `default_instance`). */
  readonly defaultInstanceId?: string | undefined
  readonly defaultExperimentInstance?: string | undefined
}

/** Options of {@link Service.updateApplication}: the fields to change; the others are kept. */
export interface UpdateApplicationOptions {
  readonly name?: string | undefined
  readonly description?: string | undefined
  readonly defaultInstanceId?: string | undefined
  readonly defaultExperimentInstance?: string | undefined
}

/** The `Applications` service. */
export interface Service {
  /**
   * Gets an application (`GET /v1/applications/{id}`).
   *
   * @example
   * ```ts
   * const app = yield* applications.getApplication("routing-app")
   * ```
   */
  readonly getApplication: (appId: string) => Effect.Effect<Application, ApplicationError>
  /**
   * Creates an application (`POST /v1/applications`). The id defaults to a generated `app-xxxxxxxx`
   * and the name to the id. With `existOk: true` (which requires `id`) an existing application is
   * returned instead (a GET, no POST). Fails with `NextmvHttpError` 409 when the id is taken.
   *
   * @example
   * ```ts
   * const app = yield* applications.newApplication({ id: "routing-app", name: "Routing", existOk: true })
   * ```
   */
  readonly newApplication: (options?: NewApplicationOptions) => Effect.Effect<Application, ApplicationError>
  /** Deletes an application (`DELETE /v1/applications/{id}`). */
  readonly deleteApplication: (appId: string) => Effect.Effect<void, ApplicationError>
  /**
   * `true` when the application exists, `false` on 404; any other failure is an error.
   */
  readonly applicationExists: (appId: string) => Effect.Effect<boolean, ApplicationError>
  /**
   * Updates an application: GETs it, overwrites the given fields and PUTs the whole object back
   * (as nextmv-py does). Returns the updated application.
   *
   * @example
   * ```ts
   * yield* applications.updateApplication("routing-app", { defaultInstanceId: "prod" })
   * ```
   */
  readonly updateApplication: (
    appId: string,
    options: UpdateApplicationOptions
  ) => Effect.Effect<Application, ApplicationError>
  /** Lists the applications of the account (`GET /v1/applications`); `null` is an empty list. */
  readonly listApplications: () => Effect.Effect<ReadonlyArray<Application>, ApplicationError>
}

/** The `Applications` service tag. */
export class Applications extends Context.Tag("nextmv-effect/Applications")<Applications, Service>() {}

/** Builds the service from the `NextmvClient`. */
export const make: Effect.Effect<Service, never, NextmvClient> = Effect.gen(function*() {
  const { api } = yield* NextmvClient

  const getApplication = traced("Applications.getApplication")(function*(appId: string) {
    yield* requireIds("Applications.getApplication", { appId })
    return yield* api.json(HttpClientRequest.get(applicationPath(appId)), Application)
  })

  const applicationExists = traced("Applications.applicationExists")(function*(appId: string) {
    yield* requireIds("Applications.applicationExists", { appId })
    return yield* exists(api, applicationPath(appId))
  })

  const newApplication = traced("Applications.newApplication")(function*(options: NewApplicationOptions = {}) {
    yield* requireObject("Applications.newApplication", "options", options)
    if (options.existOk === true && !isGiven(options.id)) {
      return yield* invalidArgument("Applications.newApplication", "If existOk is true, id must be provided")
    }
    yield* requireOptionalIds("Applications.newApplication", {
      id: options.id,
      defaultInstanceId: options.defaultInstanceId,
      defaultExperimentInstance: options.defaultExperimentInstance
    })
    if (options.existOk === true && isGiven(options.id) && (yield* applicationExists(options.id))) {
      return yield* getApplication(options.id)
    }
    const id = isGiven(options.id) ? options.id : yield* safeId("app")
    const request = yield* requestWithBody("Applications.newApplication", "POST", applicationsPath, NewApplicationBody, {
      name: isGiven(options.name) ? options.name : id,
      id,
      description: options.description,
      is_pipeline: options.isWorkflow,
      default_instance: options.defaultInstanceId,
      default_experiment_instance: options.defaultExperimentInstance
    })
    return yield* api.json(request, Application)
  })

  const deleteApplication = traced("Applications.deleteApplication")(function*(appId: string) {
    yield* requireIds("Applications.deleteApplication", { appId })
    yield* api.discard(HttpClientRequest.del(applicationPath(appId)))
  })

  const updateApplication = traced("Applications.updateApplication")(
    function*(appId: string, options: UpdateApplicationOptions) {
      yield* requireIds("Applications.updateApplication", { appId })
      yield* requireObject("Applications.updateApplication", "options", options)
      yield* requireOptionalIds("Applications.updateApplication", {
        defaultInstanceId: options.defaultInstanceId,
        defaultExperimentInstance: options.defaultExperimentInstance
      })
      const current = yield* getApplication(appId)
      // The full object goes back, as nextmv-py's `to_dict()`: every non-null field, wire names;
      // the `default_instance_id` alias is sent as `default_instance`.
      const updated = new Application({
        ...current,
        name: options.name ?? current.name,
        description: options.description ?? current.description,
        default_instance: options.defaultInstanceId ?? current.defaultInstanceId,
        default_instance_id: undefined,
        default_experiment_instance: options.defaultExperimentInstance ?? current.default_experiment_instance
      }, { disableValidation: true })
      const request = yield* requestWithBody(
        "Applications.updateApplication",
        "PUT",
        applicationPath(appId),
        wireWithoutNulls(Application),
        updated
      )
      return yield* api.json(request, Application)
    }
  )

  const listApplications = traced("Applications.listApplications")(function*() {
    return yield* api.json(HttpClientRequest.get(applicationsPath), listOf(Application))
  })

  return Applications.of({
    getApplication,
    newApplication,
    deleteApplication,
    applicationExists,
    updateApplication,
    listApplications
  })
})

/** The `Applications` layer; requires `NextmvClient`. */
export const layer: Layer.Layer<Applications, never, NextmvClient> = Layer.effect(Applications, make)
