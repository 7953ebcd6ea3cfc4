/**
 * `Secrets`: secrets collections of an application (nextmv-py `Application.new_secrets_collection` and
 * friends). Secret values are
 * `Redacted` everywhere in the SDK; they are turned into clear text only inside request bodies,
 * and never appear in logs, spans or error messages.
 *
 * @since 0.1.0
 */
import { HttpClientRequest } from "@effect/platform"
import { Context, Effect, Layer, ParseResult, Schema, Stream } from "effect"
import type { InvalidArgumentError, NextmvHttpError, PaginationLimitError } from "../Errors.js"
import { NextmvDecodeError } from "../Errors.js"
import { requestWithBody } from "../internal/body.js"
import { safeId } from "../internal/ids.js"
import { listOf, paginate, paginateAll } from "../internal/pagination.js"
import { secretsPath } from "../internal/paths.js"
import { invalidArgument, isGiven, requireIds, requireObject, requireObjectArray, requireOptionalIds } from "../internal/validate.js"
import { Secret, type SecretInput, SecretsCollection, SecretsCollectionSummary } from "../schemas/Secrets.js"
import { wireWithoutNulls } from "../schemas/Common.js"
import { NewSecretsCollectionBody } from "../schemas/Requests.js"
import { NextmvClient } from "./NextmvClient.js"
import { traced } from "../internal/traced.js"

/** Errors of a secrets operation. */
export type SecretsError = NextmvHttpError | NextmvDecodeError | InvalidArgumentError | PaginationLimitError

/** Options of {@link Service.newSecretsCollection}. */
export interface NewSecretsCollectionOptions {
  /** At least one secret. String values are wrapped in `Redacted` at once. */
  readonly secrets: ReadonlyArray<Secret | SecretInput>
  /** Default: generated, `secrets-` + 8 characters of `[a-z0-9]`. */
  readonly id?: string | undefined
  /** Default: the id. */
  readonly name?: string | undefined
  /** Sent when given. */
  readonly description?: string | undefined
}

/** Options of {@link Service.updateSecretsCollection}: the fields to change. */
export interface UpdateSecretsCollectionOptions {
  readonly name?: string | undefined
  readonly description?: string | undefined
  /** A non-empty list replaces all stored secrets; absent or `[]` keeps them. */
  readonly secrets?: ReadonlyArray<Secret | SecretInput> | undefined
}

/** Options of the list operations. */
export interface ListSecretsCollectionsOptions {
  /** One plain GET, reading only its `items`, instead of following pages. Default `false`. */
  readonly noPagination?: boolean | undefined
}

/** The `Secrets` service. */
export interface Service {
  /**
   * Gets a collection with its secrets (`GET /v1/applications/{appId}/secrets/{id}`); the values
   * are `Redacted` (read one with `Redacted.value`).
   *
   * @example
   * ```ts
   * const collection = yield* secrets.secretsCollection("routing-app", "licences")
   * ```
   */
  readonly secretsCollection: (appId: string, secretsCollectionId: string) => Effect.Effect<SecretsCollection, SecretsError>
  /**
   * Lists the collections, without secrets (`GET …/secrets`, an `{"items": …}` object), following
   * pages unless `noPagination` is set.
   *
   * @example
   * ```ts
   * const all = yield* secrets.listSecretsCollections("routing-app")
   * ```
   */
  readonly listSecretsCollections: (
    appId: string,
    options?: ListSecretsCollectionsOptions
  ) => Effect.Effect<ReadonlyArray<SecretsCollectionSummary>, SecretsError>
  /**
   * The collections as a `Stream`, page by page (same requests as `listSecretsCollections`).
   *
   * @example
   * ```ts
   * const all = yield* Stream.runCollect(secrets.streamSecretsCollections("routing-app"))
   * ```
   */
  readonly streamSecretsCollections: (appId: string) => Stream.Stream<SecretsCollectionSummary, SecretsError>
  /**
   * Creates a collection (`POST …/secrets`); returns its summary. Fails with
   * `InvalidArgumentError` when `secrets` is empty.
   *
   * @example
   * ```ts
   * yield* secrets.newSecretsCollection("routing-app", {
   *   id: "licences",
   *   secrets: [{ type: "env", location: "PROVIDER_API_KEY", value: Redacted.make(key) }]
   * })
   * ```
   */
  readonly newSecretsCollection: (
    appId: string,
    options: NewSecretsCollectionOptions
  ) => Effect.Effect<SecretsCollectionSummary, SecretsError>
  /**
   * Updates a collection: GETs it (with its secrets), replaces name/description when given and
   * the whole secrets list when a non-empty list is given, and PUTs the full object back. Returns
   * the summary.
   *
   * @example
   * ```ts
   * yield* secrets.updateSecretsCollection("routing-app", "licences", {
   *   secrets: [{ type: "env", location: "PROVIDER_API_KEY", value: Redacted.make(key) }]
   * })
   * ```
   */
  readonly updateSecretsCollection: (
    appId: string,
    secretsCollectionId: string,
    options?: UpdateSecretsCollectionOptions
  ) => Effect.Effect<SecretsCollectionSummary, SecretsError>
  /**
   * Deletes a collection (`DELETE …/secrets/{id}`).
   *
   * @example
   * ```ts
   * yield* secrets.deleteSecretsCollection("routing-app", "licences")
   * ```
   */
  readonly deleteSecretsCollection: (appId: string, secretsCollectionId: string) => Effect.Effect<void, SecretsError>
}

/** The `Secrets` service tag. */
export class Secrets extends Context.Tag("nextmv-effect/Secrets")<Secrets, Service>() {}

/**
 * Decodes a collection with its secrets. A shape mismatch names only the paths and kinds of the
 * problems, never the received values (the default message quotes them, and they may be secrets).
 */
const decodeCollection = (operation: string, value: unknown) =>
  Schema.decodeUnknown(SecretsCollection)(value, { onExcessProperty: "ignore", errors: "all" }).pipe(
    Effect.mapError((error) =>
      new NextmvDecodeError({
        operation,
        issue: ParseResult.ArrayFormatter.formatErrorSync(error)
          .map((issue) => `${issue.path.length === 0 ? "the body" : JSON.stringify(issue.path)}: ${issue._tag}`)
          .join("; ") + " (received values are not shown: they may be secrets)"
      })
    )
  )

/** Builds the service from the `NextmvClient`. */
export const make: Effect.Effect<Service, never, NextmvClient> = Effect.gen(function*() {
  const { api } = yield* NextmvClient

  const ids = (operation: string, appId: string, secretsCollectionId: string) => requireIds(operation, { appId, secretsCollectionId })

  const secretsCollection = traced("Secrets.secretsCollection")(function*(appId: string, id: string) {
    yield* ids("Secrets.secretsCollection", appId, id)
    const request = HttpClientRequest.get(secretsPath(appId, id))
    return yield* decodeCollection(`GET ${request.url}`, yield* api.json(request, Schema.Unknown))
  })

  // Paging as for ensembles: what is known is sent, a token-less page ends it.
  const listSecretsCollections = traced("Secrets.listSecretsCollections")(
    function*(appId: string, options: ListSecretsCollectionsOptions = {}) {
      const operation = "Secrets.listSecretsCollections"
      yield* requireIds(operation, { appId })
      yield* requireObject(operation, "options", options)
      if (options.noPagination === true) {
        return yield* api.json(HttpClientRequest.get(secretsPath(appId)), listOf(SecretsCollectionSummary))
      }
      return yield* paginateAll(api, secretsPath(appId), SecretsCollectionSummary, { operation })
    }
  )

  const streamSecretsCollections = (appId: string): Stream.Stream<SecretsCollectionSummary, SecretsError> => {
    const operation = "Secrets.streamSecretsCollections"
    return Stream.unwrap(Effect.as(
      requireIds(operation, { appId }),
      paginate(api, secretsPath(appId), SecretsCollectionSummary, { operation })
    ))
  }

  const newSecretsCollection = traced("Secrets.newSecretsCollection")(
    function*(appId: string, options: NewSecretsCollectionOptions) {
      const operation = "Secrets.newSecretsCollection"
      yield* requireIds(operation, { appId })
      yield* requireObject(operation, "options", options)
      yield* requireOptionalIds(operation, { id: options.id })
      yield* requireObjectArray(operation, "secrets", options.secrets)
      if (options.secrets.length === 0) return yield* invalidArgument(operation, "secrets must be provided")
      const id = isGiven(options.id) ? options.id : yield* safeId("secrets")
      // The secret values are clear text only inside this body (the `Secret` schema's encoding).
      const request = yield* requestWithBody(operation, "POST", secretsPath(appId), NewSecretsCollectionBody, {
        id,
        name: isGiven(options.name) ? options.name : id,
        secrets: options.secrets.map(Secret.from),
        description: options.description
      }, { sensitive: true })
      return yield* api.json(request, SecretsCollectionSummary)
    }
  )

  const updateSecretsCollection = traced("Secrets.updateSecretsCollection")(
    function*(appId: string, id: string, options: UpdateSecretsCollectionOptions = {}) {
      const operation = "Secrets.updateSecretsCollection"
      yield* ids(operation, appId, id)
      yield* requireObject(operation, "options", options)
      if (options.secrets !== undefined) yield* requireObjectArray(operation, "secrets", options.secrets)
      const current = yield* secretsCollection(appId, id)
      // Validation is left to the encoding below, which fails with InvalidArgumentError.
      const updated = new SecretsCollection({
        ...current,
        name: options.name ?? current.name,
        description: options.description ?? current.description,
        secrets: options.secrets !== undefined && options.secrets.length > 0
          ? options.secrets.map(Secret.from)
          : current.secrets
      }, { disableValidation: true })
      const request = yield* requestWithBody(
        operation,
        "PUT",
        secretsPath(appId, id),
        wireWithoutNulls(SecretsCollection),
        updated,
        { sensitive: true }
      )
      return yield* api.json(request, SecretsCollectionSummary)
    }
  )

  const deleteSecretsCollection = traced("Secrets.deleteSecretsCollection")(function*(appId: string, id: string) {
    yield* ids("Secrets.deleteSecretsCollection", appId, id)
    yield* api.discard(HttpClientRequest.del(secretsPath(appId, id)))
  })

  return Secrets.of({
    secretsCollection,
    listSecretsCollections,
    streamSecretsCollections,
    newSecretsCollection,
    updateSecretsCollection,
    deleteSecretsCollection
  })
})

/** The `Secrets` layer; requires `NextmvClient`. */
export const layer: Layer.Layer<Secrets, never, NextmvClient> = Layer.effect(Secrets, make)
