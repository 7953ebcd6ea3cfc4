/**
 * What the emulator's route handlers share: readers of untrusted JSON request bodies, the lookup
 * of application-scoped records (`{appId}/{id}` keys, 404s naming the missing thing), and the
 * item routes (GET, update, DELETE of `…/:id`) every Cloud resource of the experiments family
 * answers the same way.
 */
import type { EmulatorContext, EmulatorRequest, EmulatorResponse } from "../Emulator.js"

/** `true` for a handler answer (`{ status, … }`) as opposed to a found record. */
export const isResponse = (value: unknown): value is EmulatorResponse =>
  typeof value === "object" && value !== null && "status" in value && typeof value.status === "number"

/** The value as a JSON object, or `{}` when it is not one. */
export const asObject = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {}

/** The value when it is a string (empty included). */
export const optionalString = (value: unknown): string | undefined => typeof value === "string" ? value : undefined

/** The value when it is a non-empty string. */
export const nonEmptyString = (value: unknown): string | undefined => typeof value === "string" && value !== "" ? value : undefined

/** The id when that application exists, else the API's 404 answer. */
export const existingApp = (ctx: EmulatorContext, appId: string): string | EmulatorResponse =>
  ctx.applications.has(appId) ? appId : ctx.apiError(404, `application ${appId} not found`)

/**
 * The record stored under `{appId}/{id}` in an app-scoped map, or a 404 naming `label`
 * (`application … not found` first when the application itself is unknown).
 */
export const findScoped = <R>(
  ctx: EmulatorContext,
  records: ReadonlyMap<string, R>,
  appId: string,
  id: string,
  label: string
): R | EmulatorResponse => {
  const app = existingApp(ctx, appId)
  if (isResponse(app)) return app
  return records.get(`${appId}/${id}`) ?? ctx.apiError(404, `${label} ${id} not found`)
}

/** Applies a body's `name`/`description` strings to a record and stamps `updated_at`. */
export const renameFromBody = (
  ctx: EmulatorContext,
  record: { name: string; description: string; updated_at: string },
  body: Readonly<Record<string, unknown>>
): void => {
  if (typeof body["name"] === "string") record.name = body["name"]
  if (typeof body["description"] === "string") record.description = body["description"]
  record.updated_at = ctx.timestamp()
}

/** Records of one kind, stored per application under `{appId}/{id}`. */
export class ScopedRecords<R> {
  readonly #records = new Map<string, R>()
  constructor(readonly label: string) {}
  get(appId: string, id: string): R | undefined {
    return this.#records.get(`${appId}/${id}`)
  }
  has(appId: string, id: string): boolean {
    return this.#records.has(`${appId}/${id}`)
  }
  set(appId: string, id: string, record: R): R {
    this.#records.set(`${appId}/${id}`, record)
    return record
  }
  delete(appId: string, id: string): void {
    this.#records.delete(`${appId}/${id}`)
  }
  /** Every record of the application, oldest first. */
  ofApp(appId: string): Array<R> {
    return [...this.#records.entries()].filter(([key]) => key.startsWith(`${appId}/`)).map(([, record]) => record)
  }
  /** The record a request's `:appId` and `:<param>` name, or the API's 404. */
  found(ctx: EmulatorContext, request: EmulatorRequest, param: string): R | EmulatorResponse {
    return findScoped(ctx, this.#records, request.params["appId"]!, request.params[param]!, this.label)
  }
}

/** What {@link itemRoutes} needs to serve `GET`, the update and `DELETE` of `{path}`. */
export interface ItemRoutes<R extends { id: string; name: string; description: string; updated_at: string }> {
  /** The item path, ending in `/:<param>`, e.g. `/v1/applications/:appId/experiments/batch/:batchId`. */
  readonly path: string
  readonly param: string
  readonly records: ScopedRecords<R>
  /** The wire JSON of `GET`. */
  readonly json: (record: R) => unknown
  readonly update: {
    /** `PATCH` (name/description) or `PUT` (the full object, whose `id` cannot change). */
    readonly method: "PATCH" | "PUT"
    /** Applies the body's other fields first; answers an error response to refuse the update. */
    readonly apply?: ((record: R, body: Record<string, unknown>) => EmulatorResponse | undefined) | undefined
    /** The wire JSON of the update's answer; default {@link ItemRoutes.json}. */
    readonly json?: ((record: R) => unknown) | undefined
  }
  /** Called after the record was removed (e.g. to remove what it owns). */
  readonly onDelete?: ((appId: string, record: R) => void) | undefined
}

/**
 * Registers the item routes every experiments resource shares: `GET` answers the JSON, the
 * update renames (and applies the rest of the body), `DELETE` removes and answers 204; an unknown
 * application or id is the API's 404.
 */
export const itemRoutes = <R extends { id: string; name: string; description: string; updated_at: string }>(
  ctx: EmulatorContext,
  routes: ItemRoutes<R>
): void => {
  const { param, path, records } = routes
  ctx.route("GET", path, (request) => {
    const record = records.found(ctx, request, param)
    return isResponse(record) ? record : ctx.ok(routes.json(record))
  })
  ctx.route(routes.update.method, path, (request) => {
    const record = records.found(ctx, request, param)
    if (isResponse(record)) return record
    const body = asObject(request.json())
    if (routes.update.method === "PUT" && body["id"] !== undefined && body["id"] !== record.id) {
      return ctx.apiError(400, "id cannot be changed")
    }
    const refused = routes.update.apply?.(record, body)
    if (refused !== undefined) return refused
    renameFromBody(ctx, record, body)
    return ctx.ok((routes.update.json ?? routes.json)(record))
  })
  ctx.route("DELETE", path, (request) => {
    const record = records.found(ctx, request, param)
    if (isResponse(record)) return record
    const appId = request.params["appId"]!
    records.delete(appId, record.id)
    routes.onDelete?.(appId, record)
    return ctx.noContent()
  })
}
