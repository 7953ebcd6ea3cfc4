/**
 * Argument validation helpers: every rejection is an `InvalidArgumentError` raised before any
 * request is sent.
 */
import { Effect } from "effect"
import { InvalidArgumentError } from "../Errors.js"

/** Fails with an {@link InvalidArgumentError} for `operation` (e.g. `"Applications.newApplication"`). */
export const invalidArgument = (operation: string, reason: string): Effect.Effect<never, InvalidArgumentError> =>
  Effect.fail(new InvalidArgumentError({ operation, reason }))

/** Fails unless `value` is a non-blank string; `name` is the argument's name in the message. */
export const requireNonEmpty = (
  operation: string,
  name: string,
  value: string | undefined
): Effect.Effect<string, InvalidArgumentError> =>
  value !== undefined && value.trim() !== ""
    ? Effect.succeed(value)
    : invalidArgument(operation, `${name} must be a non-empty string`)

/** `true` for a string with non-blank content (nextmv-py treats `""` as "not given"). */
export const isGiven = (value: string | undefined | null): value is string =>
  value !== undefined && value !== null && value !== ""
