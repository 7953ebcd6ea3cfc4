/**
 * `Versions`: the versions of an application (nextmv-py `Application.new_version` and friends). A version freezes the
 * executable pushed last (the dev binary) when it is created; afterwards only its name and
 * description can change.
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
import { versionsPath } from "../internal/paths.js"
import { invalidArgument, isGiven, requireIds, requireObject, requireOptionalIds } from "../internal/validate.js"
import { wireWithoutNulls } from "../schemas/Common.js"
import { NewVersionBody } from "../schemas/Requests.js"
import { Version } from "../schemas/Versions.js"
import { NextmvClient } from "./NextmvClient.js"
import { traced } from "../internal/traced.js"

/** Errors of a version operation. */
export type VersionError = NextmvHttpError | NextmvDecodeError | InvalidArgumentError

/** Options of {@link Service.newVersion}. */
export interface NewVersionOptions {
  /** Version id. Default: generated, `version-` + 8 characters of `[a-z0-9]`. */
  readonly id?: string | undefined
  /** Display name. Default: the id. */
  readonly name?: string | undefined
  /** Sent when given; no description is generated (as nextmv-py). */
  readonly description?: string | undefined
  /** When a version with `id` already exists, return it instead of creating one. Requires `id`. */
  readonly existOk?: boolean | undefined
}

/** Options of {@link Service.updateVersion}: the fields to change; the others are kept. */
export interface UpdateVersionOptions {
  readonly name?: string | undefined
  readonly description?: string | undefined
}

/** The `Versions` service. */
export interface Service {
  /**
   * Gets a version (`GET /v1/applications/{appId}/versions/{versionId}`).
   *
   * @example
   * ```ts
   * const v = yield* versions.version("routing-app", "v1")
   * ```
   */
  readonly version: (appId: string, versionId: string) => Effect.Effect<Version, VersionError>
  /**
   * `true` when the version exists, `false` on 404; any other failure is an error.
   *
   * @example
   * ```ts
   * const known = yield* versions.versionExists("routing-app", "v1")
   * ```
   */
  readonly versionExists: (appId: string, versionId: string) => Effect.Effect<boolean, VersionError>
  /**
   * Lists the versions (`GET …/versions`, a bare JSON array; the API is not known to page it, so there
   * is no stream variant).
   *
   * @example
   * ```ts
   * const all = yield* versions.listVersions("routing-app")
   * ```
   */
  readonly listVersions: (appId: string) => Effect.Effect<ReadonlyArray<Version>, VersionError>
  /**
   * Creates a version from the current dev binary (`POST …/versions`, body `{id, name,
   * description?}`). The id defaults to a generated `version-xxxxxxxx`, the name to the id.
   * `existOk` (requires `id`) returns an existing version instead (no POST). Fails with
   * `NextmvHttpError` 409 when the id is taken.
   *
   * @example
   * ```ts
   * const v1 = yield* versions.newVersion("routing-app", { id: "v1", description: "first release" })
   * ```
   */
  readonly newVersion: (appId: string, options?: NewVersionOptions) => Effect.Effect<Version, VersionError>
  /**
   * Changes name and/or description: GETs the version, replaces the given fields and PUTs the
   * full object back. With no options it re-PUTs the current state.
   *
   * @example
   * ```ts
   * yield* versions.updateVersion("routing-app", "v1", { name: "Release 1" })
   * ```
   */
  readonly updateVersion: (
    appId: string,
    versionId: string,
    options?: UpdateVersionOptions
  ) => Effect.Effect<Version, VersionError>
  /**
   * Deletes a version (`DELETE …/versions/{versionId}`).
   *
   * @example
   * ```ts
   * yield* versions.deleteVersion("routing-app", "v0")
   * ```
   */
  readonly deleteVersion: (appId: string, versionId: string) => Effect.Effect<void, VersionError>
}

/** The `Versions` service tag. */
export class Versions extends Context.Tag("nextmv-effect/Versions")<Versions, Service>() {}

/** Builds the service from the `NextmvClient`. */
export const make: Effect.Effect<Service, never, NextmvClient> = Effect.gen(function*() {
  const { api } = yield* NextmvClient

  const ids = (operation: string, appId: string, versionId: string) => requireIds(operation, { appId, versionId })

  const version = traced("Versions.version")(function*(appId: string, versionId: string) {
    yield* ids("Versions.version", appId, versionId)
    return yield* api.json(HttpClientRequest.get(versionsPath(appId, versionId)), Version)
  })

  const versionExists = traced("Versions.versionExists")(function*(appId: string, versionId: string) {
    yield* ids("Versions.versionExists", appId, versionId)
    return yield* exists(api, versionsPath(appId, versionId))
  })

  const listVersions = traced("Versions.listVersions")(function*(appId: string) {
    yield* requireIds("Versions.listVersions", { appId })
    return yield* api.json(HttpClientRequest.get(versionsPath(appId)), listOf(Version))
  })

  const newVersion = traced("Versions.newVersion")(function*(appId: string, options: NewVersionOptions = {}) {
    const operation = "Versions.newVersion"
    yield* requireIds(operation, { appId })
    yield* requireObject(operation, "options", options)
    if (options.existOk === true && !isGiven(options.id)) {
      return yield* invalidArgument(operation, "If existOk is true, id must be provided")
    }
    yield* requireOptionalIds(operation, { id: options.id })
    if (options.existOk === true && isGiven(options.id) && (yield* versionExists(appId, options.id))) {
      return yield* version(appId, options.id)
    }
    const id = isGiven(options.id) ? options.id : yield* safeId("version")
    const request = yield* requestWithBody(operation, "POST", versionsPath(appId), NewVersionBody, {
      id,
      name: isGiven(options.name) ? options.name : id,
      description: options.description
    })
    return yield* api.json(request, Version)
  })

  const updateVersion = traced("Versions.updateVersion")(
    function*(appId: string, versionId: string, options: UpdateVersionOptions = {}) {
      const operation = "Versions.updateVersion"
      yield* ids(operation, appId, versionId)
      yield* requireObject(operation, "options", options)
      const current = yield* version(appId, versionId)
      // The full object goes back (nextmv-py's `to_dict()`: wire names, null fields left out).
      const updated = new Version({
        ...current,
        name: options.name ?? current.name,
        description: options.description ?? current.description
      }, { disableValidation: true })
      const request = yield* requestWithBody(operation, "PUT", versionsPath(appId, versionId), wireWithoutNulls(Version), updated)
      return yield* api.json(request, Version)
    }
  )

  const deleteVersion = traced("Versions.deleteVersion")(function*(appId: string, versionId: string) {
    yield* ids("Versions.deleteVersion", appId, versionId)
    yield* api.discard(HttpClientRequest.del(versionsPath(appId, versionId)))
  })

  return Versions.of({ version, versionExists, listVersions, newVersion, updateVersion, deleteVersion })
})

/** The `Versions` layer; requires `NextmvClient`. */
export const layer: Layer.Layer<Versions, never, NextmvClient> = Layer.effect(Versions, make)
