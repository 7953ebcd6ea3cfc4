/**
 * Small readers of untrusted JSON request bodies, shared by the emulator areas.
 */
import type { EmulatorResponse } from "../Emulator.js"

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
