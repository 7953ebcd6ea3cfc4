/**
 * Emulator area: accounts (organizations, `/v1/organization`), the account's run queue
 * (`/v1/account/queue`: the queued and running runs of every application) and integrations
 * (`/v1/integrations`, listed as `{"items": …}`), with the shapes of nextmv-py's models. Unknown
 * ids are 404, a taken integration id is 409; an integration is global or limited to existing
 * applications, never both.
 */
import { randomBytes } from "node:crypto"
import type { EmulatorContext, EmulatorRequest, EmulatorResponse } from "../Emulator.js"
import { asObject, isResponse, optionalString } from "./handlers.js"

/** An account as stored (wire fields). */
export interface AccountRecord {
  id: string
  name: string
  members: Array<{ email: string; role: string; pending_invite: boolean }>
}

/** An integration as stored (wire fields). */
export interface IntegrationRecord {
  id: string
  name: string
  description: string
  global: boolean
  application_ids?: Array<string> | undefined
  type: string
  exec_types: Array<string>
  provider: string
  provider_config: Record<string, unknown>
  created_at: string
  updated_at: string
}

declare module "../Emulator.js" {
  interface EmulatorAreas {
    readonly account: {
      /** Stores an account directly (test setup). */
      readonly seedAccount: (account: AccountRecord) => AccountRecord
      /** A stored integration. */
      readonly integration: (id: string) => IntegrationRecord | undefined
    }
  }
}

const INTEGRATION_TYPES = ["runtime", "data"]
const PROVIDERS = ["dbx", "unknown"]
const EXEC_TYPES = ["python", "go", "java", "binary"]
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export const install = (ctx: EmulatorContext): void => {
  const accounts = new Map<string, AccountRecord>()
  const integrations = new Map<string, IntegrationRecord>()
  Object.assign(ctx.areas, {
    account: {
      seedAccount: (account: AccountRecord) => {
        accounts.set(account.id, account)
        return account
      },
      integration: (id: string) => integrations.get(id)
    }
  })

  // ---------------------------------------------------------------------------------------------
  // Accounts
  // ---------------------------------------------------------------------------------------------

  const account = (request: EmulatorRequest): AccountRecord | EmulatorResponse =>
    accounts.get(request.params["accountId"]!) ?? ctx.apiError(404, `account ${request.params["accountId"]} not found`)

  ctx.route("POST", "/v1/organization", (request) => {
    const body = asObject(request.json())
    const name = optionalString(body["name"])
    if (name === undefined || name === "") return ctx.apiError(400, "name is required")
    const admins = body["admins"]
    if (!Array.isArray(admins) || admins.length === 0 || !admins.every((a) => typeof a === "string" && a.includes("@"))) {
      return ctx.apiError(400, "admins must be a non-empty list of e-mail addresses")
    }
    const created: AccountRecord = {
      id: `org-${randomBytes(4).toString("hex")}`,
      name,
      members: (admins as Array<string>).map((email) => ({ email, role: "admin", pending_invite: true }))
    }
    accounts.set(created.id, created)
    return ctx.ok(created, 201)
  })

  ctx.route("GET", "/v1/organization/:accountId", (request) => {
    const found = account(request)
    return isResponse(found) ? found : ctx.ok(found)
  })

  ctx.route("PUT", "/v1/organization/:accountId", (request) => {
    const found = account(request)
    if (isResponse(found)) return found
    const body = asObject(request.json())
    const name = optionalString(body["name"])
    if (name === undefined || name === "") return ctx.apiError(400, "name is required")
    if (body["id"] !== undefined && body["id"] !== found.id) return ctx.apiError(400, "id cannot be changed")
    found.name = name
    return ctx.ok(found)
  })

  ctx.route("DELETE", "/v1/organization/:accountId", (request) => {
    const found = account(request)
    if (isResponse(found)) return found
    accounts.delete(found.id)
    return ctx.noContent()
  })

  ctx.route("GET", "/v1/account/queue", () => {
    const runs = [...ctx.applications.keys()].flatMap((appId) => ctx.areas.runs.list(appId))
      .filter((run) => ["queued", "running"].includes(ctx.areas.runs.status(run)))
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((run) => ({
        id: run.id,
        user_email: "emulator@nextmv.test",
        name: run.name,
        description: run.description,
        created_at: new Date(run.createdAt).toISOString(),
        application_id: run.appId,
        application_instance_id: run.instanceId,
        application_version_id: run.versionId,
        execution_class: optionalString(asObject(run.configuration)["execution_class"]) ?? "6c9500mb870s",
        status_v2: ctx.areas.runs.status(run)
      }))
    return ctx.ok({ runs })
  })

  // ---------------------------------------------------------------------------------------------
  // Integrations
  // ---------------------------------------------------------------------------------------------

  /** The API's checks of an integration body; the problem, or `undefined`. */
  const problem = (body: Record<string, unknown>): string | undefined => {
    if (typeof body["type"] !== "string" || !INTEGRATION_TYPES.includes(body["type"])) return "type must be runtime or data"
    if (typeof body["provider"] !== "string" || !PROVIDERS.includes(body["provider"])) return "provider must be dbx or unknown"
    const exec = body["exec_types"]
    if (!Array.isArray(exec) || !exec.every((t) => typeof t === "string" && EXEC_TYPES.includes(t))) {
      return "exec_types must be a list of python, go, java, binary"
    }
    const config = body["provider_config"]
    if (typeof config !== "object" || config === null || Array.isArray(config)) return "provider_config must be an object"
    const apps = body["application_ids"]
    const hasApps = Array.isArray(apps) && apps.length > 0
    if (body["global"] === true && hasApps) return "a global integration cannot have application_ids"
    if (body["global"] !== true && !hasApps) return "a non-global integration needs application_ids"
    if (hasApps) {
      const unknown = (apps as Array<unknown>).find((id) => typeof id !== "string" || !ctx.applications.has(id))
      if (unknown !== undefined) return `application ${String(unknown)} not found`
    }
    return undefined
  }

  const stored = (body: Record<string, unknown>, id: string, createdAt: string): IntegrationRecord => ({
    id,
    name: optionalString(body["name"]) || id,
    description: optionalString(body["description"]) ?? "",
    global: body["global"] === true,
    ...(Array.isArray(body["application_ids"]) && body["global"] !== true
      ? { application_ids: body["application_ids"] as Array<string> }
      : {}),
    type: body["type"] as string,
    exec_types: body["exec_types"] as Array<string>,
    provider: body["provider"] as string,
    provider_config: body["provider_config"] as Record<string, unknown>,
    created_at: createdAt,
    updated_at: ctx.timestamp()
  })

  const integration = (request: EmulatorRequest): IntegrationRecord | EmulatorResponse =>
    integrations.get(request.params["integrationId"]!) ??
      ctx.apiError(404, `integration ${request.params["integrationId"]} not found`)

  ctx.route("GET", "/v1/integrations", () => ctx.ok({ items: [...integrations.values()] }))

  ctx.route("POST", "/v1/integrations", (request) => {
    const body = asObject(request.json())
    const id = optionalString(body["id"])
    if (id === undefined || !ID.test(id)) return ctx.apiError(400, "id must be 1-64 letters, digits, '.', '_' or '-'")
    if (integrations.has(id)) return ctx.apiError(409, `integration ${id} already exists`)
    const rejected = problem(body)
    if (rejected !== undefined) return ctx.apiError(400, rejected)
    const created = stored(body, id, ctx.timestamp())
    integrations.set(id, created)
    return ctx.ok(created, 201)
  })

  ctx.route("GET", "/v1/integrations/:integrationId", (request) => {
    const found = integration(request)
    return isResponse(found) ? found : ctx.ok(found)
  })

  ctx.route("PUT", "/v1/integrations/:integrationId", (request) => {
    const found = integration(request)
    if (isResponse(found)) return found
    const body = asObject(request.json())
    if (body["id"] !== undefined && body["id"] !== found.id) return ctx.apiError(400, "id cannot be changed")
    const rejected = problem(body)
    if (rejected !== undefined) return ctx.apiError(400, rejected)
    const updated = stored(body, found.id, found.created_at)
    integrations.set(found.id, updated)
    return ctx.ok(updated)
  })

  ctx.route("DELETE", "/v1/integrations/:integrationId", (request) => {
    const found = integration(request)
    if (isResponse(found)) return found
    integrations.delete(found.id)
    return ctx.noContent()
  })
}
