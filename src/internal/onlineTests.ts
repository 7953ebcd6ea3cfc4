/**
 * Argument checks shared by the shadow-test and switchback-test services.
 */
import { DateTime, Effect } from "effect"
import type { InvalidArgumentError } from "../Errors.js"
import type { DateTimeInput, StopIntent } from "../schemas/OnlineTests.js"
import { describeArgument, invalidArgument } from "./validate.js"

/** A date-time argument as UTC, or an `InvalidArgumentError` naming `name`. */
export const utcArgument = (
  operation: string,
  name: string,
  value: DateTimeInput
): Effect.Effect<DateTime.Utc, InvalidArgumentError> => {
  if (DateTime.isDateTime(value)) return Effect.succeed(DateTime.toUtc(value))
  return !(value instanceof Date) || Number.isNaN(value.getTime())
    ? invalidArgument(operation, `${name} must be a valid date`)
    : Effect.succeed(DateTime.unsafeFromDate(value))
}

/** `intent` checked at run time (JavaScript callers can pass any string). */
export const stopIntentArgument = (operation: string, intent: unknown): Effect.Effect<StopIntent, InvalidArgumentError> =>
  intent === "complete" || intent === "cancel"
    ? Effect.succeed(intent)
    : invalidArgument(operation, `intent must be "complete" or "cancel" (got ${describeArgument(intent)})`)
