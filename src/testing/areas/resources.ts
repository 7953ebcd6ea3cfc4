/**
 * Emulator area: instances, versions, ensemble definitions and secrets collections (nextmv-py's
 * `Application.new_instance`, `new_version`, `new_ensemble_definition`, `new_secrets_collection` and
 * friends), with the real response shapes: instances and versions list as bare JSON
 * arrays, ensembles and secrets as `{"items": …}` (paged when asked with `pagereturn=true`).
 * Unknown ids are 404, a taken id is 409. A version snapshots the active executable of the
 * binary area; an instance points at a version; runs on an instance execute its version's
 * executable (the runs area's `resolveTarget` is wrapped), and runs on `devint` the last push.
 */
import type { EmulatorContext, EmulatorRequest, EmulatorResponse } from "../Emulator.js"
import { executableJson, type ExecutableRecord } from "./binary.js"
import { asObject, isResponse, optionalString as str } from "./handlers.js"
import { Models } from "./models.js"
import type { RunTarget } from "./runs.js"

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

interface Stored {
  id: string
  application_id: string
  name: string
  description: string
  created_at: string
  updated_at: string
}

/** An instance as stored (wire fields). */
export interface InstanceRecord extends Stored {
  version_id: string
  configuration: Record<string, unknown>
  locked: boolean
}

/** A version as stored: wire fields plus the frozen executable. */
export interface VersionRecord extends Stored {
  readonly executable: ExecutableRecord
}

/** An ensemble definition as stored (wire fields). */
export interface EnsembleRecord extends Stored {
  run_groups: ReadonlyArray<unknown>
  rules: ReadonlyArray<unknown>
}

/** A secrets collection as stored (wire fields, values in clear: this is the server side). */
export interface SecretsRecord extends Stored {
  secrets: ReadonlyArray<{ type: string; location: string; value: string }>
}

interface AppResources {
  readonly instances: Map<string, InstanceRecord>
  readonly versions: Map<string, VersionRecord>
  readonly ensembles: Map<string, EnsembleRecord>
  readonly secrets: Map<string, SecretsRecord>
}

declare module "../Emulator.js" {
  interface EmulatorOptions {
    readonly resources?: {
      /** Items per page of the ensembles and secrets lists when paging is asked for. Default 100. */
      readonly pageSize?: number | undefined
    } | undefined
  }
  interface EmulatorAreas {
    readonly resources: {
      readonly instance: (appId: string, id: string) => InstanceRecord | undefined
      readonly version: (appId: string, id: string) => VersionRecord | undefined
      readonly ensemble: (appId: string, id: string) => EnsembleRecord | undefined
      readonly secrets: (appId: string, id: string) => SecretsRecord | undefined
    }
  }
}

/** The configuration checks the API applies (queuing priority 1–9, the integration rule). */
const configurationProblem = (configuration: Record<string, unknown>): string | undefined => {
  const priority = asObject(configuration["queuing"])["priority"]
  if (priority !== undefined && (typeof priority !== "number" || !Number.isInteger(priority) || priority < 1 || priority > 9)) {
    return "queuing.priority must be an integer between 1 and 9"
  }
  const integration = str(configuration["integration_id"])
  const executionClass = str(configuration["execution_class"])
  if (integration !== undefined && integration !== "" && executionClass !== "integration") {
    return "execution_class must be integration when integration_id is set"
  }
  return undefined
}

const summaryJson = ({ secrets: _secrets, ...summary }: SecretsRecord) => ({ ...summary })

const versionJson = ({ executable, ...version }: VersionRecord) => ({ ...version, executable: executableJson(executable) })

export const install = (ctx: EmulatorContext): void => {
  const pageSize = ctx.options.resources?.pageSize ?? 100
  const byApp = new Map<string, AppResources>()
  const resourcesOf = (appId: string): AppResources => {
    let found = byApp.get(appId)
    if (found === undefined) {
      found = { instances: new Map(), versions: new Map(), ensembles: new Map(), secrets: new Map() }
      byApp.set(appId, found)
    }
    return found
  }

  Object.assign(ctx.areas, {
    resources: {
      instance: (appId: string, id: string) => byApp.get(appId)?.instances.get(id),
      version: (appId: string, id: string) => byApp.get(appId)?.versions.get(id),
      ensemble: (appId: string, id: string) => byApp.get(appId)?.ensembles.get(id),
      secrets: (appId: string, id: string) => byApp.get(appId)?.secrets.get(id)
    }
  })

  /** Routes runs through instance → version → executable; explicitly set models still win. */
  const previous = ctx.areas.runs.resolveTarget
  ctx.areas.runs.resolveTarget = (appId, instanceId): RunTarget | EmulatorResponse => {
    const base = previous(appId, instanceId)
    if (isResponse(base) || base.model !== Models.echo) return base
    const instance = byApp.get(appId)?.instances.get(base.instanceId)
    if (instance !== undefined) {
      const version = byApp.get(appId)?.versions.get(instance.version_id)
      if (version === undefined) return ctx.apiError(400, `version ${instance.version_id} of instance ${instance.id} not found`)
      return { instanceId: instance.id, versionId: version.id, model: ctx.areas.binary.model(version.executable) }
    }
    const pushed = ctx.areas.binary.current(appId)
    if ((base.instanceId === "devint" || base.instanceId === "latest") && pushed !== undefined) {
      return { ...base, model: ctx.areas.binary.model(pushed) }
    }
    return base
  }

  /** Resolves the application of a request, or answers 404. */
  const withApp =
    (handler: (request: EmulatorRequest, appId: string, store: AppResources) => EmulatorResponse) =>
    (request: EmulatorRequest): EmulatorResponse => {
      const appId = request.params["appId"]!
      if (!ctx.applications.has(appId)) return ctx.apiError(404, `application ${appId} not found`)
      return handler(request, appId, resourcesOf(appId))
    }

  /** Validates a create body's `id` and `name` and checks the id is free. */
  const newIdentity = (
    kind: string,
    body: Record<string, unknown>,
    taken: Map<string, unknown>
  ): { id: string; name: string } | EmulatorResponse => {
    const id = str(body["id"])
    if (id === undefined || !ID.test(id)) return ctx.apiError(400, `${kind} id must be 1-64 letters, digits, '.', '_' or '-'`)
    const name = str(body["name"])
    if (name === undefined || name === "") return ctx.apiError(400, `${kind} name is required`)
    if (taken.has(id)) return ctx.apiError(409, `${kind} ${id} already exists`)
    return { id, name }
  }

  const stamp = (appId: string, id: string, name: string, description: unknown): Stored => {
    const at = ctx.timestamp()
    return { id, application_id: appId, name, description: str(description) ?? "", created_at: at, updated_at: at }
  }

  /** `{"items": …}`, paged by `pagereturn`/`pagetoken` (the token is the next offset). */
  const itemsPage = (request: EmulatorRequest, items: ReadonlyArray<unknown>): EmulatorResponse => {
    if (request.query["pagereturn"] !== "true") return ctx.ok({ items })
    const offset = Number(request.query["pagetoken"] ?? "0")
    if (!Number.isInteger(offset) || offset < 0) return ctx.apiError(400, "invalid pagetoken")
    const next = offset + pageSize
    return ctx.ok({ items: items.slice(offset, next), ...(next < items.length ? { next_page_token: String(next) } : {}) })
  }

  /** GET one / DELETE one, the same for every collection. */
  const getAndDelete = <R>(collection: string, kind: string, pick: (store: AppResources) => Map<string, R>, json: (r: R) => unknown) => {
    const path = `/v1/applications/:appId/${collection}/:id`
    ctx.route(
      "GET",
      path,
      withApp((request, _appId, store) => {
        const record = pick(store).get(request.params["id"]!)
        return record === undefined ? ctx.apiError(404, `${kind} ${request.params["id"]} not found`) : ctx.ok(json(record))
      })
    )
    ctx.route(
      "DELETE",
      path,
      withApp((request, _appId, store) => {
        const id = request.params["id"]!
        if (!pick(store).delete(id)) return ctx.apiError(404, `${kind} ${id} not found`)
        return ctx.noContent()
      })
    )
  }

  // --- versions ---------------------------------------------------------------------------------

  ctx.route("GET", "/v1/applications/:appId/versions", withApp((_r, _a, store) => ctx.ok([...store.versions.values()].map(versionJson))))
  ctx.route(
    "POST",
    "/v1/applications/:appId/versions",
    withApp((request, appId, store) => {
      const body = asObject(request.json())
      const identity = newIdentity("version", body, store.versions)
      if (isResponse(identity)) return identity
      const executable = ctx.areas.binary.current(appId)
      if (executable === undefined) return ctx.apiError(400, "no executable has been pushed to this application yet")
      const version: VersionRecord = { ...stamp(appId, identity.id, identity.name, body["description"]), executable }
      store.versions.set(version.id, version)
      return ctx.ok(versionJson(version), 201)
    })
  )
  ctx.route(
    "PUT",
    "/v1/applications/:appId/versions/:id",
    withApp((request, _appId, store) => {
      const version = store.versions.get(request.params["id"]!)
      if (version === undefined) return ctx.apiError(404, `version ${request.params["id"]} not found`)
      const body = asObject(request.json())
      // Only name and description can change; the executable stays frozen.
      const updated: VersionRecord = {
        ...version,
        name: str(body["name"]) ?? version.name,
        description: str(body["description"]) ?? version.description,
        updated_at: ctx.timestamp()
      }
      store.versions.set(updated.id, updated)
      return ctx.ok(versionJson(updated))
    })
  )
  getAndDelete("versions", "version", (s) => s.versions, versionJson)

  // --- instances --------------------------------------------------------------------------------

  ctx.route("GET", "/v1/applications/:appId/instances", withApp((_r, _a, store) => ctx.ok([...store.instances.values()])))
  ctx.route(
    "POST",
    "/v1/applications/:appId/instances",
    withApp((request, appId, store) => {
      const body = asObject(request.json())
      const identity = newIdentity("instance", body, store.instances)
      if (isResponse(identity)) return identity
      const versionId = str(body["version_id"])
      if (versionId === undefined || !store.versions.has(versionId)) {
        return ctx.apiError(404, `version ${versionId ?? "(missing)"} not found`)
      }
      const configuration = asObject(body["configuration"])
      const problem = configurationProblem(configuration)
      if (problem !== undefined) return ctx.apiError(400, problem)
      const instance: InstanceRecord = {
        ...stamp(appId, identity.id, identity.name, body["description"]),
        version_id: versionId,
        configuration,
        locked: false
      }
      store.instances.set(instance.id, instance)
      return ctx.ok(instance, 201)
    })
  )
  ctx.route(
    "PUT",
    "/v1/applications/:appId/instances/:id",
    withApp((request, _appId, store) => {
      const instance = store.instances.get(request.params["id"]!)
      if (instance === undefined) return ctx.apiError(404, `instance ${request.params["id"]} not found`)
      const body = asObject(request.json())
      const versionId = str(body["version_id"]) ?? instance.version_id
      if (!store.versions.has(versionId)) return ctx.apiError(404, `version ${versionId} not found`)
      const configuration = "configuration" in body ? asObject(body["configuration"]) : instance.configuration
      const problem = configurationProblem(configuration)
      if (problem !== undefined) return ctx.apiError(400, problem)
      const updated: InstanceRecord = {
        ...instance,
        name: str(body["name"]) ?? instance.name,
        description: str(body["description"]) ?? instance.description,
        version_id: versionId,
        configuration,
        updated_at: ctx.timestamp()
      }
      store.instances.set(updated.id, updated)
      return ctx.ok(updated)
    })
  )
  getAndDelete("instances", "instance", (s) => s.instances, (i) => i)

  // --- ensemble definitions ---------------------------------------------------------------------

  ctx.route("GET", "/v1/applications/:appId/ensembles", withApp((request, _a, store) => itemsPage(request, [...store.ensembles.values()])))
  ctx.route(
    "POST",
    "/v1/applications/:appId/ensembles",
    withApp((request, appId, store) => {
      const body = asObject(request.json())
      const identity = newIdentity("ensemble definition", body, store.ensembles)
      if (isResponse(identity)) return identity
      const runGroups = body["run_groups"]
      const rules = body["rules"]
      if (!Array.isArray(runGroups) || runGroups.length === 0) return ctx.apiError(400, "run_groups must not be empty")
      if (!Array.isArray(rules) || rules.length === 0) return ctx.apiError(400, "rules must not be empty")
      const ensemble: EnsembleRecord = {
        ...stamp(appId, identity.id, identity.name, body["description"]),
        run_groups: runGroups,
        rules
      }
      store.ensembles.set(ensemble.id, ensemble)
      return ctx.ok(ensemble, 201)
    })
  )
  ctx.route(
    "PATCH",
    "/v1/applications/:appId/ensembles/:id",
    withApp((request, _appId, store) => {
      const ensemble = store.ensembles.get(request.params["id"]!)
      if (ensemble === undefined) return ctx.apiError(404, `ensemble definition ${request.params["id"]} not found`)
      const body = asObject(request.json())
      const updated: EnsembleRecord = {
        ...ensemble,
        name: str(body["name"]) ?? ensemble.name,
        description: str(body["description"]) ?? ensemble.description,
        updated_at: ctx.timestamp()
      }
      store.ensembles.set(updated.id, updated)
      return ctx.ok(updated)
    })
  )
  getAndDelete("ensembles", "ensemble definition", (s) => s.ensembles, (e) => e)

  // --- secrets collections ----------------------------------------------------------------------

  const secretsOf = (value: unknown): SecretsRecord["secrets"] | EmulatorResponse => {
    if (!Array.isArray(value) || value.length === 0) return ctx.apiError(400, "secrets must not be empty")
    const secrets: Array<{ type: string; location: string; value: string }> = []
    for (const [index, item] of value.entries()) {
      const secret = asObject(item)
      const type = str(secret["type"])
      const location = str(secret["location"])
      const secretValue = str(secret["value"])
      if ((type !== "env" && type !== "file") || !location || secretValue === undefined) {
        return ctx.apiError(400, `secret at index ${index} needs type (env|file), location and value`)
      }
      secrets.push({ type, location, value: secretValue })
    }
    return secrets
  }

  ctx.route(
    "GET",
    "/v1/applications/:appId/secrets",
    withApp((request, _a, store) => itemsPage(request, [...store.secrets.values()].map(summaryJson)))
  )
  ctx.route(
    "POST",
    "/v1/applications/:appId/secrets",
    withApp((request, appId, store) => {
      const body = asObject(request.json())
      const identity = newIdentity("secrets collection", body, store.secrets)
      if (isResponse(identity)) return identity
      const secrets = secretsOf(body["secrets"])
      if (isResponse(secrets)) return secrets
      const record: SecretsRecord = { ...stamp(appId, identity.id, identity.name, body["description"]), secrets }
      store.secrets.set(record.id, record)
      return ctx.ok(summaryJson(record), 201)
    })
  )
  ctx.route(
    "PUT",
    "/v1/applications/:appId/secrets/:id",
    withApp((request, _appId, store) => {
      const record = store.secrets.get(request.params["id"]!)
      if (record === undefined) return ctx.apiError(404, `secrets collection ${request.params["id"]} not found`)
      const body = asObject(request.json())
      const secrets = "secrets" in body ? secretsOf(body["secrets"]) : record.secrets
      if (isResponse(secrets)) return secrets
      const updated: SecretsRecord = {
        ...record,
        name: str(body["name"]) ?? record.name,
        description: str(body["description"]) ?? record.description,
        secrets,
        updated_at: ctx.timestamp()
      }
      store.secrets.set(updated.id, updated)
      return ctx.ok(summaryJson(updated))
    })
  )
  getAndDelete("secrets", "secrets collection", (s) => s.secrets, (s) => s)
}
