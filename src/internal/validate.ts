/**
 * Argument validation helpers: every rejection is an `InvalidArgumentError` raised before any
 * request is sent.
 */
import { Effect } from "effect"
import { InvalidArgumentError } from "../Errors.js"
import { jsonProblem } from "./body.js"
import { hasLoneSurrogate, isPlainSegment } from "./paths.js"

/** Fails with an {@link InvalidArgumentError} for `operation` (e.g. `"Applications.newApplication"`). */
export const invalidArgument = (operation: string, reason: string): Effect.Effect<never, InvalidArgumentError> =>
  Effect.fail(new InvalidArgumentError({ operation, reason }))

/** Fails unless `value` is a non-blank string; `name` is the argument's name in the message. */
export const requireNonEmpty = (
  operation: string,
  name: string,
  value: string | undefined
): Effect.Effect<string, InvalidArgumentError> =>
  typeof value === "string" && value.trim() !== ""
    ? Effect.succeed(value)
    : invalidArgument(operation, `${name} must be a non-empty string`)

/**
 * A caller's value shown in a message, safely: a string is quoted (cut at 100 characters), a
 * number or boolean is printed, anything else is named by its kind. It is never serialised (it
 * could be a cycle or a `BigInt`, which `JSON.stringify` throws on).
 */
export const describeArgument = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value)
  if (typeof value === "number" || typeof value === "boolean") return String(value)
  if (value === null) return "null"
  if (Array.isArray(value)) return "an array"
  return typeof value === "object" ? "an object" : `a ${typeof value}`
}

/** `true` for an object that can hold options or fields: not `null`, not an array, not a function or scalar. */
export const isRecordObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * Fails with an {@link InvalidArgumentError} unless `value` is an object (not `null`, an array, a
 * function or a scalar); `name` is the argument's name in the message. A JavaScript caller can
 * pass anything where an options object is typed, and reading a field of `null` would throw (a
 * defect) instead of failing. Operations whose options are optional check them after their
 * `= {}` default, operations with required options check them first, so `undefined` is rejected.
 *
 * @example
 * ```ts
 * const options: unknown = JSON.parse("{}")
 * yield* requireObject("Secrets.newSecretsCollection", "options", options)
 * ```
 */
export const requireObject = (
  operation: string,
  name: string,
  value: unknown
): Effect.Effect<void, InvalidArgumentError> =>
  isRecordObject(value) ? Effect.void : invalidArgument(operation, `${name} must be an object`)

/**
 * Fails with an {@link InvalidArgumentError} unless `value` is an array whose items are all
 * objects (see {@link requireObject}); `name` is the option's name in the message. The items'
 * fields are checked by the request body's schema later; this check keeps the code that builds
 * the body from reading a field of `null`.
 */
export const requireObjectArray = (
  operation: string,
  name: string,
  value: unknown
): Effect.Effect<void, InvalidArgumentError> => {
  if (!Array.isArray(value)) return invalidArgument(operation, `${name} must be an array`)
  const bad = value.findIndex((item) => !isRecordObject(item))
  return bad === -1 ? Effect.void : invalidArgument(operation, `${name}[${bad}] must be an object`)
}

/**
 * Why `value` cannot be the id `name`, or `undefined` when it can. An id becomes one path segment
 * (see `paths.ts`), so it must be a non-blank string, must not be `.` or `..` (URL normalisation
 * would remove or climb that segment) and must be well-formed UTF-16 (an unpaired surrogate has
 * no UTF-8 form).
 */
export const idProblem = (name: string, value: unknown): string | undefined => {
  // The usual id: not blank, no surrogate; only `.` and `..` remain to be ruled out.
  if (typeof value === "string" && isPlainSegment(value)) return value === "." || value === ".." ? dotSegment(name) : undefined
  if (typeof value !== "string" || value.trim() === "") return `${name} must be a non-empty string`
  if (value === "." || value === "..") return dotSegment(name)
  if (hasLoneSurrogate(value)) return `${name} must be well-formed Unicode (it contains an unpaired UTF-16 surrogate)`
  return undefined
}

const dotSegment = (name: string): string => `${name} must not be "." or ".." (it would change the request path)`

/**
 * Fails with an {@link InvalidArgumentError} unless `value` can be the id `name` (see
 * {@link idProblem}); succeeds with the id.
 */
export const requireId = (
  operation: string,
  name: string,
  value: string | undefined
): Effect.Effect<string, InvalidArgumentError> => {
  const problem = idProblem(name, value)
  return problem === undefined ? Effect.succeed(value as string) : invalidArgument(operation, problem)
}

/**
 * Checks every id argument of an operation, in order, before any request: the one id validator
 * of the SDK. Keys are the argument names used in messages.
 *
 * @example
 * ```ts
 * yield* requireIds("Runs.cancelRun", { appId, runId })
 * ```
 */
export const requireIds = (
  operation: string,
  ids: Readonly<Record<string, string | undefined>>
): Effect.Effect<void, InvalidArgumentError> => {
  // `for…in` over the literal's own keys, in order (no entry arrays per call).
  for (const name in ids) {
    const problem = idProblem(name, ids[name])
    if (problem !== undefined) return invalidArgument(operation, problem)
  }
  return Effect.void
}

/**
 * Checks the ids that are optional: each one that is given (not `undefined`, not `""`, which
 * nextmv-py reads as "not given") must be a valid id.
 */
export const requireOptionalIds = (
  operation: string,
  ids: Readonly<Record<string, string | undefined | null>>
): Effect.Effect<void, InvalidArgumentError> => {
  for (const [name, value] of Object.entries(ids)) {
    const problem = isGiven(value) ? idProblem(name, value) : undefined
    if (problem !== undefined) return invalidArgument(operation, problem)
  }
  return Effect.void
}

/** `true` for a string with non-blank content (nextmv-py treats `""` as "not given"). */
export const isGiven = (value: string | undefined | null): value is string => value !== undefined && value !== null && value !== ""

/** The execution settings shared by run and instance configurations (wire names). */
export interface ExecutionSettings {
  readonly execution_class?: string | undefined
  readonly integration_id?: string | undefined
  readonly queuing?: { readonly priority?: number | undefined; readonly disabled?: boolean | undefined } | undefined
}

/**
 * nextmv-py's checks of `RunQueuing` and of the integration rule (nextmv-py `RunQueuing`,
 * `RunConfiguration` and `InstanceConfiguration`), with nextmv-py's messages: a priority outside
 * 1..9 or a `disabled` that is not a boolean is rejected; with an `integration_id`, the execution
 * class must be absent, empty or `integration`, and is then set to `integration`.
 */
export const validateExecutionSettings = <C extends ExecutionSettings>(
  operation: string,
  settings: C | undefined
): Effect.Effect<C | undefined, InvalidArgumentError> => {
  if (settings === undefined) return Effect.succeed(undefined)
  if (!isRecordObject(settings)) return invalidArgument(operation, "configuration must be an object")
  const priority = settings.queuing?.priority
  if (priority !== undefined && (!Number.isInteger(priority) || priority < 1 || priority > 9)) {
    return invalidArgument(operation, "Priority must be between 1 and 9.")
  }
  const disabled: unknown = settings.queuing?.disabled
  if (disabled !== undefined && typeof disabled !== "boolean") {
    return invalidArgument(operation, "Disabled must be a boolean value.")
  }
  if (isGiven(settings.integration_id)) {
    if (isGiven(settings.execution_class) && settings.execution_class !== "integration") {
      return invalidArgument(operation, "When integration_id is set, execution_class must be `integration` or None.")
    }
    return Effect.succeed({ ...settings, execution_class: "integration" })
  }
  return Effect.succeed(settings)
}

/**
 * Compact JSON text of `value`, or `undefined` when it has none (a function, `undefined`, a
 * symbol, also nested) or cannot be serialised (a cycle, a `BigInt`).
 */
export const jsonText = (value: unknown): string | undefined => {
  if (jsonProblem(value) !== undefined) return undefined
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
