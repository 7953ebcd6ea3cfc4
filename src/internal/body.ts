/**
 * Request bodies, built one way: a body is a `Schema` whose encoded side has the wire names
 * (snake_case), and {@link jsonBody} encodes a value with it through
 * `HttpClientRequest.schemaBodyJson`. Every way the value can fail to become JSON is an
 * {@link InvalidArgumentError} raised before the request is sent: a schema mismatch (an unknown
 * statistic type, a missing field, …) and values that have no JSON form (a `BigInt`, a cycle, a
 * function or a symbol, wherever they sit in the value — for example inside a run's
 * `configuration` or an instance's `configuration.options`).
 */
import { HttpClientRequest } from "@effect/platform"
import { Effect, ParseResult, Schema } from "effect"
import { InvalidArgumentError } from "../Errors.js"

/**
 * Why `value` has no faithful JSON form, or `undefined` when it has one. `undefined` object
 * properties are fine (JSON leaves them out, as nextmv-py leaves out `None` fields); a `BigInt`,
 * a function, a symbol or a cycle is not. The answer names where the bad value sits.
 */
export const jsonProblem = (value: unknown): string | undefined => {
  const ancestors: Array<object> = []
  const visit = (current: unknown, at: string): string | undefined => {
    const path = at === "" ? "the body" : at
    switch (typeof current) {
      case "bigint":
        return `${path} is a BigInt, which has no JSON form`
      case "function":
        return `${path} is a function, which has no JSON form`
      case "symbol":
        return `${path} is a symbol, which has no JSON form`
      case "object": {
        if (current === null) return undefined
        if (ancestors.includes(current)) return `${path} contains a cycle, which has no JSON form`
        // `toJSON` (Date, DateTime, Redacted …) decides its own form; JSON.stringify calls it.
        if ("toJSON" in current && typeof current.toJSON === "function") return undefined
        ancestors.push(current)
        try {
          if (Array.isArray(current)) {
            for (let i = 0; i < current.length; i++) {
              const problem = visit(current[i], `${at}[${i}]`)
              if (problem !== undefined) return problem
            }
            return undefined
          }
          for (const [key, child] of Object.entries(current)) {
            if (child === undefined) continue
            const problem = visit(child, at === "" ? key : `${at}.${key}`)
            if (problem !== undefined) return problem
          }
          return undefined
        } finally {
          ancestors.pop()
        }
      }
      default:
        return undefined
    }
  }
  return visit(value, "")
}

/** The encoded body, checked for a JSON form (the last step of every body schema). */
const JsonValue = Schema.Unknown.pipe(
  Schema.filter((value) => {
    const problem = jsonProblem(value)
    return problem === undefined ? true : problem
  })
)

/** Options of {@link jsonBody}. */
export interface JsonBodyOptions {
  /**
   * The body holds secrets: a rejection names only where the problem is, never the value
   * (`Schema`'s default messages quote the received value).
   */
  readonly sensitive?: boolean | undefined
}

const pathText = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (text, key) => typeof key === "number" ? `${text}[${key}]` : text === "" ? String(key) : `${text}.${String(key)}`,
    ""
  )

/**
 * A readable reason for a rejected body. Messages of body schemas name their field (e.g.
 * `statistic must be one of …`); they are prefixed with the array element they belong to
 * (`metrics[0]: statistic must be …`). Other messages get their full path.
 */
const reasonOf = (error: ParseResult.ParseError, options: JsonBodyOptions): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => {
    const lastIndex = issue.path.reduce<number>((last, key, i) => typeof key === "number" ? i : last, -1)
    const element = pathText(issue.path.slice(0, lastIndex + 1))
    const field = pathText(issue.path.slice(lastIndex + 1))
    const message = options.sensitive === true
      ? `${field === "" ? "the value" : field} is not valid`
      : field === "" || issue.message.startsWith(field) || issue.message.includes(" must ")
      ? issue.message
      : `${field}: ${issue.message}`
    return element === "" ? message : `${element}: ${message}`
  }).join("; ")

/**
 * Sets `value`, encoded with `schema`, as the JSON body of `request`. A value that does not fit
 * the schema or has no JSON form fails with an {@link InvalidArgumentError} for `operation`.
 *
 * @example
 * ```ts
 * import { versionsPath } from "./paths.js"
 * const NewVersionBody = Schema.Struct({ id: Schema.String, name: Schema.String, description: Schema.optional(Schema.String) })
 * const request = yield* jsonBody("Versions.newVersion", NewVersionBody, { id: "v1", name: "v1" })(
 *   HttpClientRequest.post(versionsPath(appId))
 * )
 * ```
 */
export const jsonBody = <A, I>(
  operation: string,
  schema: Schema.Schema<A, I, never>,
  value: A,
  options: JsonBodyOptions = {}
) =>
(request: HttpClientRequest.HttpClientRequest): Effect.Effect<HttpClientRequest.HttpClientRequest, InvalidArgumentError> =>
  HttpClientRequest.schemaBodyJson(Schema.compose(JsonValue, schema, { strict: false }))(request, value).pipe(
    Effect.mapError((error) =>
      new InvalidArgumentError({
        operation,
        reason: ParseResult.isParseError(error)
          ? reasonOf(error, options)
          : error.reason._tag === "SchemaError"
          ? reasonOf(error.reason.error, options)
          : "the request body has no JSON form (no cycles, BigInts, functions or symbols)"
      })
    )
  )

/** `method path` with `value` encoded by `schema` as its JSON body (see {@link jsonBody}). */
export const requestWithBody = <A, I>(
  operation: string,
  method: "POST" | "PUT" | "PATCH",
  path: string,
  schema: Schema.Schema<A, I, never>,
  value: A,
  options: JsonBodyOptions = {}
): Effect.Effect<HttpClientRequest.HttpClientRequest, InvalidArgumentError> =>
  jsonBody(operation, schema, value, options)(HttpClientRequest.make(method)(path))

/**
 * Checks `value` against a request schema without building a request (for checks that must run
 * before an operation's first request); the failure is the same {@link InvalidArgumentError} as
 * {@link jsonBody}'s. Succeeds with the decoded value.
 */
export const validateWith = <A, I>(
  operation: string,
  schema: Schema.Schema<A, I, never>,
  value: I,
  options: JsonBodyOptions = {}
): Effect.Effect<A, InvalidArgumentError> =>
  Schema.decodeUnknown(schema)(value).pipe(
    Effect.mapError((error) => new InvalidArgumentError({ operation, reason: reasonOf(error, options) }))
  )
