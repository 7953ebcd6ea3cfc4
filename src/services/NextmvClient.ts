/**
 * `NextmvClient`: configuration and the HTTP pipeline every service sends its requests through.
 *
 * The pipeline, in one place: base URL joining, `Authorization: Bearer`, `User-Agent:
 * nextmv-effect/<version>`, a per-attempt timeout, the status check, the retry policy of
 * `internal/retry.ts` (honouring `Retry-After`) and the mapping of every failure into
 * {@link NextmvHttpError} / {@link NextmvDecodeError}. A second requester, `presigned`, sends
 * requests to absolute presigned URLs with no base URL and no `Authorization` header.
 *
 * The layers still require an `HttpClient`, so users choose the transport
 * (`NodeHttpClient.layerUndici`, `FetchHttpClient.layer`, …).
 *
 * @since 0.1.0
 */
import { FileSystem, HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import type { HttpClientError } from "@effect/platform"
import { Clock, Context, Duration, Effect, Layer, Option, ParseResult, Random, Redacted, Schema, Stream } from "effect"
import { MAX_ERROR_BODY_CHARS, NextmvConfigError, NextmvDecodeError, NextmvHttpError } from "../Errors.js"
import { type ConfigOverrides, DEFAULT_BASE_URL, resolveConnection, withScheme } from "../internal/config.js"
import {
  type AttemptOutcome,
  defaultRetryOptions,
  isRetryable,
  parseRetryAfter,
  retryDelay,
  type RetryOptions
} from "../internal/retry.js"
import type { Requester } from "../internal/requester.js"
import { VERSION } from "../version.js"
import * as RequestBudget from "./RequestBudget.js"

export { DEFAULT_BASE_URL, defaultRetryOptions, type RetryOptions }

/** Default console URL, used for run deep links. */
export const DEFAULT_CONSOLE_URL = "https://cloud.nextmv.io"

/** Default per-attempt timeout (nextmv-py's 20 s). */
export const DEFAULT_TIMEOUT: Duration.Duration = Duration.seconds(20)

/** The `User-Agent` header sent with every request. */
export const USER_AGENT = `nextmv-effect/${VERSION}`

/** Options of {@link layer} / {@link make}. */
export interface Options {
  /** The Nextmv API key. Only ever read to build the `Authorization` header. */
  readonly apiKey: Redacted.Redacted<string>
  /**
   * API base URL. Default `https://api.cloud.nextmv.io`; `https://` is added when the value has no
   * scheme (so a config-file `endpoint` such as `api.cloud.nextmv.io` works).
   */
  readonly baseUrl?: string | undefined
  /** Console URL for run deep links. Default `https://cloud.nextmv.io`. */
  readonly consoleUrl?: string | undefined
  /** Timeout of one attempt (retries get a fresh one). Default 20 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Retry policy settings; see `RetryOptions`. `{ retries: 0 }` disables retries. */
  readonly retry?: Partial<RetryOptions> | undefined
  /** Extra headers sent with every API request (not with presigned URLs). */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /**
   * The request budget shared by everything using this client (see `RequestBudget`): the published
   * Nextmv Cloud limits unless given; `false` turns it off.
   */
  readonly budget?: RequestBudget.Options | false | undefined
}

// The `Requester` interface lives in `internal/requester.ts` (so `internal/` never imports from
// `services/`); it is re-exported here as part of the public API.
export type { Requester }

/** The `NextmvClient` service. */
export interface Service {
  /** The resolved API base URL (with scheme, without trailing slash). */
  readonly baseUrl: string
  /** The console URL for deep links (without trailing slash). */
  readonly consoleUrl: string
  /** Requests to the Nextmv API. */
  readonly api: Requester
  /** Requests to presigned upload/download URLs (no base URL, no Authorization). */
  readonly presigned: Requester
  /** The request budget of `api` (its `state` is for metrics). */
  readonly budget: RequestBudget.RequestBudget
}

/** The client every Nextmv service depends on. */
export class NextmvClient extends Context.Tag("nextmv-effect/NextmvClient")<NextmvClient, Service>() {}

/** An attempt that failed, before the retry policy decides. */
interface AttemptFailure extends AttemptOutcome {
  readonly error: NextmvHttpError
}

const REQUEST_ID_HEADERS = ["x-request-id", "request-id", "x-amzn-requestid", "x-amz-request-id", "x-correlation-id"]

const trimBody = (body: string): string | undefined => {
  const trimmed = body.trim()
  if (trimmed === "") return undefined
  return trimmed.length > MAX_ERROR_BODY_CHARS ? `${trimmed.slice(0, MAX_ERROR_BODY_CHARS)}…` : trimmed
}

/** Error codes meaning the connection was never established, so the request was never sent. */
const NEVER_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"])

const findErrorCode = (cause: unknown, depth = 0): string | undefined => {
  if (depth > 5 || typeof cause !== "object" || cause === null) return undefined
  const code = (cause as { code?: unknown }).code
  if (typeof code === "string" && NEVER_SENT_CODES.has(code)) return code
  const errors = (cause as { errors?: unknown }).errors
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const found = findErrorCode(inner, depth + 1)
      if (found !== undefined) return found
    }
  }
  return findErrorCode((cause as { cause?: unknown }).cause, depth + 1)
}

const describeCause = (cause: unknown): string | undefined => {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause
    return inner instanceof Error && inner.message !== cause.message ? `${cause.message}: ${inner.message}` : cause.message
  }
  return undefined
}

/** Strips the query string (it may hold a presigned signature) from a URL or path. */
const withoutQuery = (url: string): string => {
  const at = url.indexOf("?")
  return at === -1 ? url : url.slice(0, at)
}

interface Settings {
  readonly timeout: Duration.Duration
  readonly retry: RetryOptions
}

const makeRequester = (
  http: HttpClient.HttpClient,
  settings: Settings,
  pathOf: (request: HttpClientRequest.HttpClientRequest) => string,
  module: string,
  budget: RequestBudget.RequestBudget = RequestBudget.unlimited
): Requester => {
  const failure = (
    request: HttpClientRequest.HttpClientRequest,
    fields: Omit<ConstructorParameters<typeof NextmvHttpError>[0], "method" | "path">,
    outcome: Omit<AttemptOutcome, "reason" | "status">
  ): AttemptFailure => ({
    reason: fields.reason,
    status: fields.status,
    ...outcome,
    error: new NextmvHttpError({ method: request.method, path: pathOf(request), ...fields })
  })

  const fromClientError = (
    request: HttpClientRequest.HttpClientRequest,
    error: HttpClientError.HttpClientError
  ): AttemptFailure => {
    const code = findErrorCode(error.cause)
    const detail = code ?? describeCause(error.cause) ?? error.description ?? error.reason
    // Only the underlying transport error is kept as the cause: the platform error holds the
    // request, whose headers carry the API key.
    return failure(request, { reason: "transport", detail, cause: error.cause }, {
      neverSent: error._tag === "RequestError" && code !== undefined
    })
  }

  const statusFailure = (
    request: HttpClientRequest.HttpClientRequest,
    response: HttpClientResponse.HttpClientResponse
  ): Effect.Effect<never, AttemptFailure> =>
    Effect.gen(function*() {
      const body = yield* response.text.pipe(Effect.orElseSucceed(() => ""))
      const now = yield* Clock.currentTimeMillis
      const requestId = REQUEST_ID_HEADERS.map((name) => response.headers[name]).find((v) => v !== undefined)
      return yield* Effect.fail(failure(request, {
        reason: "status",
        status: response.status,
        body: trimBody(body),
        requestId
      }, { retryAfterMillis: parseRetryAfter(response.headers["retry-after"], now) }))
    })

  /** One attempt: send, check the status, read the body with `read`, all under the timeout. */
  const attempt = <A>(
    request: HttpClientRequest.HttpClientRequest,
    read: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, HttpClientError.ResponseError>
  ): Effect.Effect<A, AttemptFailure> =>
    http.execute(request).pipe(
      Effect.mapError((error) => fromClientError(request, error)),
      Effect.flatMap((response): Effect.Effect<A, AttemptFailure> =>
        response.status >= 200 && response.status < 300
          ? Effect.mapError(read(response), (error) => fromClientError(request, error))
          : statusFailure(request, response)
      ),
      Effect.timeoutFail({
        duration: settings.timeout,
        onTimeout: () =>
          failure(request, { reason: "timeout", detail: `no complete response within ${Duration.format(settings.timeout)}` }, {})
      })
    )

  /** Runs `attempt` under the retry policy and returns the final typed error. */
  const withRetries = <A>(
    request: HttpClientRequest.HttpClientRequest,
    read: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, HttpClientError.ResponseError>
  ): Effect.Effect<A, NextmvHttpError> => {
    const loop = (retry: number): Effect.Effect<A, NextmvHttpError> =>
      budget.limit(request.method, pathOf(request), attempt(request, read)).pipe(
        Effect.tapError((failed) =>
          failed.status === 429 ? budget.onRateLimited(request.method, pathOf(request), failed.retryAfterMillis) : Effect.void
        ),
        Effect.catchAll((failed) => {
          if (retry > settings.retry.retries || !isRetryable(request.method, failed)) {
            return Effect.fail(new NextmvHttpError({ ...failed.error, attempts: retry }))
          }
          return Random.next.pipe(
            Effect.map((random) => retryDelay(settings.retry, retry, failed, random)),
            Effect.tap((wait) =>
              Effect.logDebug(`retrying ${request.method} ${pathOf(request)}`).pipe(
                Effect.annotateLogs({
                  reason: failed.reason,
                  status: failed.status ?? "-",
                  retry,
                  waitMillis: Duration.toMillis(wait)
                })
              )
            ),
            Effect.flatMap(Effect.sleep),
            Effect.zipRight(loop(retry + 1))
          )
        })
      )
    return loop(1).pipe(Effect.annotateLogs({ package: "nextmv-effect", module }))
  }

  const text = (request: HttpClientRequest.HttpClientRequest) => withRetries(request, (response) => response.text)

  return {
    execute: (request) => withRetries(request, Effect.succeed),
    text,
    bytes: (request) =>
      withRetries(request, (response) => Effect.map(response.arrayBuffer, (buffer) => new Uint8Array(buffer))),
    discard: (request) => withRetries(request, (response) => Effect.asVoid(response.arrayBuffer)),
    json: <A, I>(request: HttpClientRequest.HttpClientRequest, schema: Schema.Schema<A, I, never>) =>
      text(request).pipe(Effect.flatMap((body) => decodeJsonText(`${request.method} ${pathOf(request)}`, schema, body))),
    stream: (request) =>
      HttpClientResponse.stream(withRetries(request, Effect.succeed)).pipe(
        Stream.mapError((error) =>
          error._tag === "NextmvHttpError" ? error : fromClientError(request, error).error
        )
      )
  }
}

/**
 * Decodes a JSON document with `schema`; malformed JSON and shape mismatches become a
 * {@link NextmvDecodeError} naming `operation`. An empty body decodes as `null`.
 */
export const decodeJsonText = <A, I>(
  operation: string,
  schema: Schema.Schema<A, I, never>,
  body: string
): Effect.Effect<A, NextmvDecodeError> =>
  Effect.try({
    try: (): unknown => (body.trim() === "" ? null : JSON.parse(body)),
    catch: (cause) =>
      new NextmvDecodeError({ operation, issue: `the body is not valid JSON (${(cause as Error).message})` })
  }).pipe(
    Effect.flatMap((value) =>
      Schema.decodeUnknown(schema)(value, { onExcessProperty: "ignore" }).pipe(
        Effect.mapError((error) =>
          new NextmvDecodeError({ operation, issue: ParseResult.TreeFormatter.formatErrorSync(error) })
        )
      )
    )
  )

const trimTrailingSlash = (url: string): string => url.replace(/\/+$/, "")

/**
 * Builds the client from explicit options.
 *
 * @example
 * ```ts
 * const client = yield* NextmvClient.make({ apiKey: Redacted.make("...") })
 * ```
 */
export const make = (options: Options): Effect.Effect<Service, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const transport = yield* HttpClient.HttpClient
    const baseUrl = trimTrailingSlash(withScheme(options.baseUrl ?? DEFAULT_BASE_URL))
    const settings: Settings = {
      timeout: Duration.decode(options.timeout ?? DEFAULT_TIMEOUT),
      retry: { ...defaultRetryOptions, ...options.retry }
    }
    const extraHeaders = options.headers ?? {}
    const budget = options.budget === false ? RequestBudget.unlimited : RequestBudget.make(options.budget)
    const api = transport.pipe(
      HttpClient.mapRequest((request) =>
        request.pipe(
          HttpClientRequest.prependUrl(baseUrl),
          HttpClientRequest.setHeader("user-agent", USER_AGENT),
          HttpClientRequest.setHeaders(extraHeaders),
          HttpClientRequest.bearerToken(options.apiKey)
        )
      )
    )
    const presigned = transport.pipe(
      HttpClient.mapRequest(HttpClientRequest.setHeader("user-agent", USER_AGENT)),
      HttpClient.withTracerPropagation(false)
    )
    return NextmvClient.of({
      baseUrl,
      consoleUrl: trimTrailingSlash(options.consoleUrl ?? DEFAULT_CONSOLE_URL),
      // Paths are relative to the base URL, so the path given by the service is what errors show.
      api: makeRequester(api, settings, (request) => withoutQuery(request.url), "NextmvClient", budget),
      presigned: makeRequester(presigned, settings, (request) => withoutQuery(request.url), "NextmvClient.presigned"),
      budget
    })
  })

/**
 * A layer from explicit options. Still requires an `HttpClient`.
 *
 * @example
 * ```ts
 * const Live = NextmvClient.layer({ apiKey: Redacted.make(key) }).pipe(Layer.provide(NodeHttpClient.layerUndici))
 * ```
 */
export const layer = (options: Options): Layer.Layer<NextmvClient, never, HttpClient.HttpClient> =>
  Layer.effect(NextmvClient, make(options))

/** Options of {@link layerConfig}: everything of {@link Options} optional, plus profile and config file. */
export interface ConfigOptions extends Omit<Options, "apiKey">, Omit<ConfigOverrides, "baseUrl"> {
  readonly apiKey?: Redacted.Redacted<string> | undefined
}

/**
 * A layer that resolves the API key and base URL like nextmv-py: explicit options →
 * `NEXTMV_API_KEY` / `NEXTMV_ENDPOINT` → the profile named by `NEXTMV_PROFILE` (or `profile`) in
 * `~/.nextmv/config.yaml` → the file's top level → `https://api.cloud.nextmv.io`.
 * Fails with {@link NextmvConfigError} (e.g. no API key anywhere; the message lists the ways to
 * supply one). Requires `HttpClient` and the platform `FileSystem` (e.g. `NodeContext.layer`).
 *
 * @example
 * ```ts
 * const Live = NextmvClient.layerConfig().pipe(
 *   Layer.provide(Layer.merge(NodeHttpClient.layerUndici, NodeFileSystem.layer)))
 * ```
 */
export const layerConfig = (
  options: ConfigOptions = {}
): Layer.Layer<NextmvClient, NextmvConfigError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Layer.effect(
    NextmvClient,
    Effect.gen(function*() {
      const resolved = yield* resolveConnection(options)
      yield* Effect.logDebug("Nextmv client configured").pipe(
        Effect.annotateLogs({ package: "nextmv-effect", module: "NextmvClient", baseUrl: resolved.baseUrl }),
        Effect.annotateLogs("profile", Option.getOrElse(Option.fromNullable(resolved.profile), () => "default"))
      )
      return yield* make({ ...options, apiKey: resolved.apiKey, baseUrl: resolved.baseUrl })
    })
  )
