/**
 * `Integrations`: integrations of the account under `/v1/integrations` (nextmv-py's
 * `nextmv.cloud.Integration` and `list_integrations`). An integration connects Nextmv to an
 * external runtime or data provider (today Databricks, `dbx`); a run uses one through
 * `configuration.integration_id` (execution class `integration`).
 *
 * An integration is either global (every application) or limited to `application_ids`, never
 * both: `newIntegration` and `updateIntegration` check that before any PUT/POST.
 *
 * @since 0.1.0
 */
import { HttpClientRequest } from "@effect/platform"
import { Context, Effect, Layer } from "effect"
import type { InvalidArgumentError, NextmvDecodeError, NextmvHttpError } from "../Errors.js"
import { safeId } from "../internal/ids.js"
import { integrationsPath } from "../internal/paths.js"
import { describeArgument, invalidArgument, isGiven, requireIds, requireObject } from "../internal/validate.js"
import { requestWithBody } from "../internal/body.js"
import { wireWithoutNulls } from "../schemas/Common.js"
import {
  Integration,
  INTEGRATION_EXEC_TYPES,
  INTEGRATION_PROVIDERS,
  INTEGRATION_TYPES,
  type IntegrationExecType,
  IntegrationList,
  type IntegrationProvider,
  type IntegrationType,
  NewIntegrationBody
} from "../schemas/Account.js"
import { NextmvClient } from "./NextmvClient.js"
import { traced } from "../internal/traced.js"

/** Errors of an integration operation. */
export type IntegrationError = NextmvHttpError | NextmvDecodeError | InvalidArgumentError

/** The integrations path (defined with every other endpoint path in `internal/paths.ts`). */
export { integrationsPath }

/** Options of {@link Service.newIntegration}. */
export interface NewIntegrationOptions {
  /** `runtime` or `data`. */
  readonly integrationType: IntegrationType
  /** Executable types the integration runs: `python`, `go`, `java`, `binary`. */
  readonly execTypes: ReadonlyArray<IntegrationExecType>
  /** `dbx` (Databricks) or `unknown`. */
  readonly provider: IntegrationProvider
  /** Provider settings, sent as given. */
  readonly providerConfig: Readonly<Record<string, unknown>>
  /** Default (absent or empty): generated, `integration-` + 8 characters of `[a-z0-9]`. */
  readonly id?: string | undefined
  /** Default (absent or empty): the id. */
  readonly name?: string | undefined
  readonly description?: string | undefined
  /** Available to every application. Default `false`; then `applicationIds` is required. */
  readonly isGlobal?: boolean | undefined
  /** The applications that may use it (not with `isGlobal`). */
  readonly applicationIds?: ReadonlyArray<string> | undefined
  /** When the id exists already, return that integration instead of creating one. Default `false`. */
  readonly existOk?: boolean | undefined
}

/** Options of {@link Service.updateIntegration}: the given fields replace the stored ones. */
export interface UpdateIntegrationOptions {
  readonly name?: string | undefined
  readonly integrationType?: IntegrationType | undefined
  readonly execTypes?: ReadonlyArray<IntegrationExecType> | undefined
  readonly provider?: IntegrationProvider | undefined
  readonly providerConfig?: Readonly<Record<string, unknown>> | undefined
  readonly description?: string | undefined
  /** Only changed when given (the stored value is kept otherwise). */
  readonly isGlobal?: boolean | undefined
  readonly applicationIds?: ReadonlyArray<string> | undefined
}

/** The `Integrations` service. */
export interface Service {
  /**
   * Gets an integration (`GET /v1/integrations/{integrationId}`).
   *
   * @example
   * ```ts
   * const dbx = yield* integrations.integration("databricks-prod")
   * ```
   */
  readonly integration: (integrationId: string) => Effect.Effect<Integration, IntegrationError>
  /**
   * Lists the integrations of the account (`GET /v1/integrations`, the list under `items`, not
   * paged).
   *
   * @example
   * ```ts
   * const all = yield* integrations.listIntegrations()
   * ```
   */
  readonly listIntegrations: () => Effect.Effect<ReadonlyArray<Integration>, IntegrationError>
  /**
   * Creates an integration (`POST /v1/integrations`, body `{id, name, global, type, exec_types,
   * provider, provider_config, description?, application_ids?}`). With `existOk`, a `GET` of the
   * id comes first and an existing integration is returned (any failure of that GET falls
   * through to the create, as in nextmv-py). Fails with `InvalidArgumentError` before any request:
   * "An integration cannot be global and have specific application IDs." (global with
   * `applicationIds`), "A non-global integration must have specific application IDs." (neither),
   * or an unknown type, provider or executable type.
   *
   * @example
   * ```ts
   * const dbx = yield* integrations.newIntegration({
   *   integrationType: "runtime", execTypes: ["python"], provider: "dbx",
   *   providerConfig: { workspace_url: "https://dbc-123.cloud.databricks.com" },
   *   applicationIds: ["routing-app"]
   * })
   * ```
   */
  readonly newIntegration: (options: NewIntegrationOptions) => Effect.Effect<Integration, IntegrationError>
  /**
   * Updates an integration like nextmv-py's `integration.update`: `GET` it, replace the given
   * fields in its full JSON (timestamps included), check the global/application rule, then `PUT`
   * it. `global` is only changed when `isGlobal` is given. Fails with `InvalidArgumentError`
   * "An integration cannot be global and have application_ids. …" or "A non-global integration
   * must have specific application IDs. …" before the PUT.
   *
   * @example
   * ```ts
   * yield* integrations.updateIntegration("databricks-prod", { isGlobal: true, applicationIds: [] })
   * ```
   */
  readonly updateIntegration: (
    integrationId: string,
    options: UpdateIntegrationOptions
  ) => Effect.Effect<Integration, IntegrationError>
  /**
   * Deletes an integration (`DELETE /v1/integrations/{integrationId}`).
   *
   * @example
   * ```ts
   * yield* integrations.deleteIntegration("databricks-prod")
   * ```
   */
  readonly deleteIntegration: (integrationId: string) => Effect.Effect<void, IntegrationError>
}

/** The `Integrations` service tag. */
export class Integrations extends Context.Tag("nextmv-effect/Integrations")<Integrations, Service>() {}

const oneOf = <T extends string>(
  operation: string,
  name: string,
  allowed: ReadonlyArray<T>,
  value: string | undefined
): Effect.Effect<void, InvalidArgumentError> =>
  value === undefined || (allowed as ReadonlyArray<string>).includes(value)
    ? Effect.void
    : invalidArgument(operation, `${name} must be one of ${allowed.join(", ")} (got ${describeArgument(value)})`)

const checkEnums = (
  operation: string,
  options: {
    readonly integrationType?: string | undefined
    readonly provider?: string | undefined
    readonly execTypes?: ReadonlyArray<string> | undefined
  }
) =>
  Effect.all([
    oneOf(operation, "integrationType", INTEGRATION_TYPES, options.integrationType),
    oneOf(operation, "provider", INTEGRATION_PROVIDERS, options.provider),
    options.execTypes === undefined || Array.isArray(options.execTypes)
      ? Effect.void
      : invalidArgument(operation, "execTypes must be an array"),
    Effect.forEach(Array.isArray(options.execTypes) ? options.execTypes : [], (type) =>
      oneOf(operation, "execTypes", INTEGRATION_EXEC_TYPES, type))
  ], { discard: true })

/** Builds the service from the `NextmvClient`. */
export const make: Effect.Effect<Service, never, NextmvClient> = Effect.gen(function*() {
  const { api } = yield* NextmvClient

  const get = (integrationId: string) => api.json(HttpClientRequest.get(integrationsPath(integrationId)), Integration)

  const integration = traced("Integrations.integration")(function*(integrationId: string) {
    yield* requireIds("Integrations.integration", { integrationId })
    return yield* get(integrationId)
  })

  const listIntegrations = traced("Integrations.listIntegrations")(function*() {
    const list = yield* api.json(HttpClientRequest.get(integrationsPath()), IntegrationList)
    return list === null
      ? []
      : Array.isArray(list)
      ? list
      : (list as { readonly items: ReadonlyArray<Integration> }).items
  })

  const newIntegration = traced("Integrations.newIntegration")(function*(options: NewIntegrationOptions) {
    const operation = "Integrations.newIntegration"
    yield* requireObject(operation, "options", options)
    const isGlobal = options.isGlobal ?? false
    if (isGlobal && options.applicationIds !== undefined) {
      return yield* invalidArgument(operation, "An integration cannot be global and have specific application IDs.")
    }
    if (!isGlobal && options.applicationIds === undefined) {
      return yield* invalidArgument(operation, "A non-global integration must have specific application IDs.")
    }
    yield* checkEnums(operation, options)
    const id = isGiven(options.id) ? options.id : yield* safeId("integration")
    if (options.existOk === true) {
      // nextmv-py: any failure of the lookup means "create it".
      const existing = yield* get(id).pipe(Effect.option)
      if (existing._tag === "Some") return existing.value
    }
    const request = yield* requestWithBody(operation, "POST", integrationsPath(), NewIntegrationBody, {
      id,
      name: isGiven(options.name) ? options.name : id,
      global: isGlobal,
      type: options.integrationType,
      exec_types: options.execTypes,
      provider: options.provider,
      provider_config: options.providerConfig,
      ...(options.description !== undefined ? { description: options.description } : {}),
      ...(options.applicationIds !== undefined ? { application_ids: options.applicationIds } : {})
    })
    return yield* api.json(request, Integration)
  })

  const updateIntegration = traced("Integrations.updateIntegration")(
    function*(integrationId: string, options: UpdateIntegrationOptions) {
      const operation = "Integrations.updateIntegration"
      yield* requireIds(operation, { integrationId })
      yield* requireObject(operation, "options", options)
      yield* checkEnums(operation, options)
      const current = yield* get(integrationId)
      // The whole integration goes back (nextmv-py's `to_dict()`), with the given fields replaced.
      const updated = new Integration({
        ...current,
        ...(options.name !== undefined ? { name: options.name } : {}),
        ...(options.integrationType !== undefined ? { type: options.integrationType } : {}),
        ...(options.execTypes !== undefined ? { exec_types: options.execTypes } : {}),
        ...(options.provider !== undefined ? { provider: options.provider } : {}),
        ...(options.providerConfig !== undefined ? { provider_config: options.providerConfig } : {}),
        ...(options.description !== undefined ? { description: options.description } : {}),
        ...(options.isGlobal !== undefined ? { global: options.isGlobal } : {}),
        ...(options.applicationIds !== undefined ? { application_ids: options.applicationIds } : {})
      }, { disableValidation: true })
      const hasApps = (updated.application_ids?.length ?? 0) > 0
      // The hints name this SDK's call (nextmv-py's name `update(is_global=True, application_ids=[])`).
      if (updated.global && hasApps) {
        return yield* invalidArgument(
          operation,
          "An integration cannot be global and have application_ids. To make an integration global, call updateIntegration(id, { isGlobal: true, applicationIds: [] })."
        )
      }
      if (!updated.global && !hasApps) {
        return yield* invalidArgument(
          operation,
          "A non-global integration must have specific application IDs. Provide applicationIds with at least one ID, or set isGlobal: true."
        )
      }
      const request = yield* requestWithBody(
        operation,
        "PUT",
        integrationsPath(integrationId),
        wireWithoutNulls(Integration),
        updated
      )
      return yield* api.json(request, Integration)
    }
  )

  const deleteIntegration = traced("Integrations.deleteIntegration")(function*(integrationId: string) {
    yield* requireIds("Integrations.deleteIntegration", { integrationId })
    yield* api.discard(HttpClientRequest.del(integrationsPath(integrationId)))
  })

  return Integrations.of({ integration, listIntegrations, newIntegration, updateIntegration, deleteIntegration })
})

/** The `Integrations` layer; requires `NextmvClient`. */
export const layer: Layer.Layer<Integrations, never, NextmvClient> = Layer.effect(Integrations, make)
