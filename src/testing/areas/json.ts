/**
 * Small readers of untrusted JSON request bodies, shared by the emulator areas.
 */
import type { EmulatorContext, EmulatorResponse } from "../Emulator.js"

/** `true` for a handler answer (`{ status, … }`) as opposed to a found record. */
export const isResponse = (value: unknown): value is EmulatorResponse =>
  typeof value === "object" && value !== null && "status" in value && typeof value.status === "number"

/** The value as a JSON object, or `{}` when it is not one. */
export const asObject = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {}

/** The value when it is a string (empty included). */
export const optionalString = (value: unknown): string | undefined => typeof value === "string" ? value : undefined

/** The value when it is a non-empty string. */
export const nonEmptyString = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined

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
