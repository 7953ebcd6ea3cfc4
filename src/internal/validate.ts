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

/** The execution settings shared by run and instance configurations (wire names). */
export interface ExecutionSettings {
  readonly execution_class?: string | undefined
  readonly integration_id?: string | undefined
  readonly queuing?: { readonly priority?: number | undefined } | undefined
}

/**
 * nextmv-py's checks of `RunQueuing` and of the integration rule (spec client-and-runs §5.9,
 * resources §2.1–2.2): a priority outside 1..9 is rejected; with an `integration_id`, the
 * execution class must be absent, empty or `integration`, and is then set to `integration`.
 */
export const validateExecutionSettings = <C extends ExecutionSettings>(
  operation: string,
  settings: C | undefined
): Effect.Effect<C | undefined, InvalidArgumentError> => {
  if (settings === undefined) return Effect.succeed(undefined)
  const priority = settings.queuing?.priority
  if (priority !== undefined && (!Number.isInteger(priority) || priority < 1 || priority > 9)) {
    return invalidArgument(operation, `Priority must be between 1 and 9 (got ${priority}).`)
  }
  if (isGiven(settings.integration_id)) {
    if (isGiven(settings.execution_class) && settings.execution_class !== "integration") {
      return invalidArgument(
        operation,
        `When integration_id is set, execution_class must be \`integration\` or absent (got "${settings.execution_class}").`
      )
    }
    return Effect.succeed({ ...settings, execution_class: "integration" })
  }
  return Effect.succeed(settings)
}

/**
 * Compact JSON text of `value`, or `undefined` when it has none (a function, `undefined`, a
 * symbol) or cannot be serialised (a cycle, a `BigInt`).
 */
export const jsonText = (value: unknown): string | undefined => {
  try {
    const text: unknown = JSON.stringify(value)
    return typeof text === "string" ? text : undefined
  } catch {
    return undefined
  }
}

/** The compact JSON text of `value`, or an {@link InvalidArgumentError} naming `name`. */
export const requireJson = (
  operation: string,
  name: string,
  value: unknown
): Effect.Effect<string, InvalidArgumentError> => {
  const text = jsonText(value)
  return text !== undefined
    ? Effect.succeed(text)
    : invalidArgument(operation, `${name} must be a JSON value (no cycles, BigInts, functions or undefined)`)
}
