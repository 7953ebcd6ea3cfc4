/**
 * Emulator area: applications (`/v1/applications`), with the response shapes nextmv-py's
 * `Cloud.list_applications` / `Application` expect: the list is a bare JSON array, unknown ids are 404, a duplicate id
 * is 409, `PUT` replaces the mutable fields.
 */
import type { ApplicationRecord, EmulatorContext, EmulatorRequest } from "../Emulator.js"
import { asObject, optionalString } from "./handlers.js"

const APP_ID = /^[a-z0-9][a-z0-9-]{0,39}$/

/** Wire JSON of an application (absent optional fields are left out, as the API does). */
export const applicationJson = (app: ApplicationRecord): Record<string, unknown> => JSON.parse(JSON.stringify(app))

declare module "../Emulator.js" {
  interface EmulatorAreas {
    readonly applications: {
      /** Stores an application directly (test setup without HTTP). */
      readonly seed: (app: Partial<ApplicationRecord> & { id: string }) => ApplicationRecord
    }
  }
}

export const install = (ctx: EmulatorContext): void => {
  const create = (fields: Partial<ApplicationRecord> & { id: string }): ApplicationRecord => {
    const at = ctx.timestamp()
    const app: ApplicationRecord = {
      name: fields.id,
      description: "",
      type: "custom",
      locked: false,
      created_at: at,
      updated_at: at,
      ...fields
    }
    ctx.applications.set(app.id, app)
    return app
  }
  Object.assign(ctx.areas, { applications: { seed: create } })

  const found = (request: EmulatorRequest) => ctx.applications.get(request.params["appId"] ?? "")

  ctx.route("GET", "/v1/applications", () => ctx.ok([...ctx.applications.values()].map(applicationJson)))

  ctx.route("POST", "/v1/applications", (request) => {
    const body = asObject(request.json())
    const id = optionalString(body["id"])
    const name = optionalString(body["name"])
    if (id === undefined || !APP_ID.test(id)) {
      return ctx.apiError(400, "id must be 1-40 characters of lower-case letters, digits and dashes")
    }
    if (name === undefined || name === "") return ctx.apiError(400, "name is required")
    if (ctx.applications.has(id)) return ctx.apiError(409, `application ${id} already exists`)
    const app = create({
      id,
      name,
      description: optionalString(body["description"]) ?? "",
      type: body["is_pipeline"] === true ? "pipeline" : "custom",
      default_instance: optionalString(body["default_instance"]),
      default_experiment_instance: optionalString(body["default_experiment_instance"])
    })
    return ctx.ok(applicationJson(app), 201)
  })

  ctx.route("GET", "/v1/applications/:appId", (request) => {
    const app = found(request)
    return app ? ctx.ok(applicationJson(app)) : ctx.apiError(404, `application ${request.params["appId"]} not found`)
  })

  ctx.route("PUT", "/v1/applications/:appId", (request) => {
    const app = found(request)
    if (!app) return ctx.apiError(404, `application ${request.params["appId"]} not found`)
    const body = asObject(request.json())
    const name = optionalString(body["name"])
    if (name !== undefined && name === "") return ctx.apiError(400, "name must not be empty")
    if (name !== undefined) app.name = name
    const description = optionalString(body["description"])
    if (description !== undefined) app.description = description
    if ("default_instance" in body) app.default_instance = optionalString(body["default_instance"])
    if ("default_experiment_instance" in body) {
      app.default_experiment_instance = optionalString(body["default_experiment_instance"])
    }
    app.updated_at = ctx.timestamp()
    return ctx.ok(applicationJson(app))
  })

  ctx.route("DELETE", "/v1/applications/:appId", (request) => {
    const app = found(request)
    if (!app) return ctx.apiError(404, `application ${request.params["appId"]} not found`)
    ctx.applications.delete(app.id)
    return ctx.noContent()
  })
}
