/**
 * `Ensembles`: ensemble definitions of an application (nextmv-py `Application.new_ensemble_definition` and friends): run groups (which
 * instance runs child runs, with which options, how often) and evaluation rules (how the winning
 * child run is picked).
 *
 * @since 0.1.0
 */
import { HttpClientRequest } from "@effect/platform"
import { Context, Effect, Layer, Stream } from "effect"
import type { InvalidArgumentError, NextmvDecodeError, NextmvHttpError, PaginationLimitError } from "../Errors.js"
import { requestWithBody } from "../internal/body.js"
import { safeId } from "../internal/ids.js"
import { listOf, paginate, paginateAll } from "../internal/pagination.js"
import { ensemblesPath } from "../internal/paths.js"
import { invalidArgument, isGiven, requireIds, requireObject, requireObjectArray, requireOptionalIds } from "../internal/validate.js"
import { EnsembleDefinition, type EvaluationRule, type RunGroup } from "../schemas/Ensembles.js"
import { NewEnsembleDefinitionBody, PatchNameDescription } from "../schemas/Requests.js"
import { NextmvClient } from "./NextmvClient.js"
import { traced } from "../internal/traced.js"

/** Errors of an ensemble operation. */
export type EnsembleError = NextmvHttpError | NextmvDecodeError | InvalidArgumentError | PaginationLimitError

/** Options of {@link Service.newEnsembleDefinition}. */
export interface NewEnsembleDefinitionOptions {
  /** At least one run group. */
  readonly runGroups: ReadonlyArray<RunGroup>
  /** At least one evaluation rule. */
  readonly rules: ReadonlyArray<EvaluationRule>
  /** Default: generated, `ensemble-` + 8 characters of `[a-z0-9]`. */
  readonly id?: string | undefined
  /** Default: the id. */
  readonly name?: string | undefined
  /** Default: the name (the description is always sent). */
  readonly description?: string | undefined
}

/** Options of {@link Service.updateEnsembleDefinition}: at least one of the two. */
export interface UpdateEnsembleDefinitionOptions {
  readonly name?: string | undefined
  readonly description?: string | undefined
}

/** Options of the list operations. */
export interface ListEnsembleDefinitionsOptions {
  /** One plain GET, reading only its `items`, instead of following pages. Default `false`. */
  readonly noPagination?: boolean | undefined
}

/** The `Ensembles` service. */
export interface Service {
  /**
   * Gets an ensemble definition (`GET /v1/applications/{appId}/ensembles/{id}`).
   *
   * @example
   * ```ts
   * const definition = yield* ensembles.ensembleDefinition("routing-app", "sweep")
   * ```
   */
  readonly ensembleDefinition: (appId: string, ensembleDefinitionId: string) => Effect.Effect<EnsembleDefinition, EnsembleError>
  /**
   * Lists the ensemble definitions (`GET …/ensembles`, an `{"items": …}` object), following
   * pages unless `noPagination` is set.
   *
   * @example
   * ```ts
   * const all = yield* ensembles.listEnsembleDefinitions("routing-app")
   * ```
   */
  readonly listEnsembleDefinitions: (
    appId: string,
    options?: ListEnsembleDefinitionsOptions
  ) => Effect.Effect<ReadonlyArray<EnsembleDefinition>, EnsembleError>
  /**
   * The ensemble definitions as a `Stream`, page by page (same requests as
   * `listEnsembleDefinitions`).
   *
   * @example
   * ```ts
   * const ids = yield* Stream.runCollect(Stream.map(ensembles.streamEnsembleDefinitions("routing-app"), (d) => d.id))
   * ```
   */
  readonly streamEnsembleDefinitions: (appId: string) => Stream.Stream<EnsembleDefinition, EnsembleError>
  /**
   * Creates an ensemble definition (`POST …/ensembles`, body `{id, run_groups, rules, name,
   * description}`). Fails with `InvalidArgumentError` when `runGroups` or `rules` is empty.
   *
   * @example
   * ```ts
   * yield* ensembles.newEnsembleDefinition("routing-app", {
   *   id: "sweep",
   *   runGroups: [{ id: "fast", instance_id: "prod", options: { "solve.duration": "5s" }, repetitions: 2 }],
   *   rules: [{ id: "obj", statistics_path: "$.result.value", objective: "minimize",
   *     tolerance: { value: 0.05, type: "relative" }, index: 0 }]
   * })
   * ```
   */
  readonly newEnsembleDefinition: (
    appId: string,
    options: NewEnsembleDefinitionOptions
  ) => Effect.Effect<EnsembleDefinition, EnsembleError>
  /**
   * Changes name and/or description with a real `PATCH` whose body has only the given keys.
   * Fails with `InvalidArgumentError` when neither is given. (PATCH is not retried on 429.)
   *
   * @example
   * ```ts
   * yield* ensembles.updateEnsembleDefinition("routing-app", "sweep", { name: "Solver sweep" })
   * ```
   */
  readonly updateEnsembleDefinition: (
    appId: string,
    ensembleDefinitionId: string,
    options: UpdateEnsembleDefinitionOptions
  ) => Effect.Effect<EnsembleDefinition, EnsembleError>
  /**
   * Deletes an ensemble definition (`DELETE …/ensembles/{id}`).
   *
   * @example
   * ```ts
   * yield* ensembles.deleteEnsembleDefinition("routing-app", "sweep")
   * ```
   */
  readonly deleteEnsembleDefinition: (appId: string, ensembleDefinitionId: string) => Effect.Effect<void, EnsembleError>
}

/** The `Ensembles` service tag. */
export class Ensembles extends Context.Tag("nextmv-effect/Ensembles")<Ensembles, Service>() {}

/** Builds the service from the `NextmvClient`. */
export const make: Effect.Effect<Service, never, NextmvClient> = Effect.gen(function*() {
  const { api } = yield* NextmvClient

  const ids = (operation: string, appId: string, ensembleDefinitionId: string) => requireIds(operation, { appId, ensembleDefinitionId })

  const ensembleDefinition = traced("Ensembles.ensembleDefinition")(function*(appId: string, id: string) {
    yield* ids("Ensembles.ensembleDefinition", appId, id)
    return yield* api.json(HttpClientRequest.get(ensemblesPath(appId, id)), EnsembleDefinition)
  })

  // The newest nextmv-py follows pages with a helper whose parameters were not
  // seen; `paginate` sends what is known (`pagereturn`/`pagetoken`) and reads a page without a
  // token as the last one, so a server that does not page is read correctly too.
  const listEnsembleDefinitions = traced("Ensembles.listEnsembleDefinitions")(
    function*(appId: string, options: ListEnsembleDefinitionsOptions = {}) {
      const operation = "Ensembles.listEnsembleDefinitions"
      yield* requireIds(operation, { appId })
      yield* requireObject(operation, "options", options)
      if (options.noPagination === true) {
        return yield* api.json(HttpClientRequest.get(ensemblesPath(appId)), listOf(EnsembleDefinition))
      }
      return yield* paginateAll(api, ensemblesPath(appId), EnsembleDefinition, { operation })
    }
  )

  const streamEnsembleDefinitions = (appId: string): Stream.Stream<EnsembleDefinition, EnsembleError> => {
    const operation = "Ensembles.streamEnsembleDefinitions"
    return Stream.unwrap(Effect.as(
      requireIds(operation, { appId }),
      paginate(api, ensemblesPath(appId), EnsembleDefinition, { operation })
    ))
  }

  const newEnsembleDefinition = traced("Ensembles.newEnsembleDefinition")(
    function*(appId: string, options: NewEnsembleDefinitionOptions) {
      const operation = "Ensembles.newEnsembleDefinition"
      yield* requireIds(operation, { appId })
      yield* requireObject(operation, "options", options)
      yield* requireOptionalIds(operation, { id: options.id })
      yield* requireObjectArray(operation, "runGroups", options.runGroups)
      yield* requireObjectArray(operation, "rules", options.rules)
      if (options.runGroups.length === 0) {
        return yield* invalidArgument(operation, "at least one run group must be defined to create an ensemble definition")
      }
      if (options.rules.length === 0) {
        return yield* invalidArgument(
          operation,
          "at least one evaluation rule must be defined to create an ensemble definition"
        )
      }
      const id = isGiven(options.id) ? options.id : yield* safeId("ensemble")
      const name = isGiven(options.name) ? options.name : id
      const request = yield* requestWithBody(operation, "POST", ensemblesPath(appId), NewEnsembleDefinitionBody, {
        id,
        // Null options/repetitions are left out of run groups, as nextmv-py's encoding does.
        run_groups: options.runGroups.map((group) => ({
          id: group.id,
          instance_id: group.instance_id,
          options: group.options ?? undefined,
          repetitions: group.repetitions ?? undefined
        })),
        rules: options.rules,
        name,
        description: isGiven(options.description) ? options.description : name
      })
      return yield* api.json(request, EnsembleDefinition)
    }
  )

  const updateEnsembleDefinition = traced("Ensembles.updateEnsembleDefinition")(
    function*(appId: string, id: string, options: UpdateEnsembleDefinitionOptions) {
      const operation = "Ensembles.updateEnsembleDefinition"
      yield* ids(operation, appId, id)
      yield* requireObject(operation, "options", options)
      if (options.name === undefined && options.description === undefined) {
        return yield* invalidArgument(operation, "Must define at least one value among name and description to modify")
      }
      const request = yield* requestWithBody(operation, "PATCH", ensemblesPath(appId, id), PatchNameDescription, {
        name: options.name,
        description: options.description
      })
      return yield* api.json(request, EnsembleDefinition)
    }
  )

  const deleteEnsembleDefinition = traced("Ensembles.deleteEnsembleDefinition")(function*(appId: string, id: string) {
    yield* ids("Ensembles.deleteEnsembleDefinition", appId, id)
    yield* api.discard(HttpClientRequest.del(ensemblesPath(appId, id)))
  })

  return Ensembles.of({
    ensembleDefinition,
    listEnsembleDefinitions,
    streamEnsembleDefinitions,
    newEnsembleDefinition,
    updateEnsembleDefinition,
    deleteEnsembleDefinition
  })
})

/** The `Ensembles` layer; requires `NextmvClient`. */
export const layer: Layer.Layer<Ensembles, never, NextmvClient> = Layer.effect(Ensembles, make)
