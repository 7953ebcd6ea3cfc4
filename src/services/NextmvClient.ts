/**
 * `NextmvClient`: configuration and the HTTP pipeline every service sends its requests through.
 *
 * The pipeline, in one place: base URL joining, `Authorization: Bearer`, `User-Agent:
 * nextmv-effect/<version>`, the connect and idle timeouts (python-requests semantics, as
 * nextmv-py), the status check (redirects are never followed), the retry policy of
 * `internal/retry.ts` (honouring `Retry-After`, bounded), the per-origin cap on requests in
 * flight, one redacted `http.client` span per call (when a tracer is installed),
 * and the mapping of every failure into {@link NextmvHttpError} / {@link NextmvDecodeError} with
 * secrets scrubbed (API key, presigned query strings). A second requester, `presigned`, sends
 * requests to absolute presigned URLs with no base URL and no `Authorization` header.
 *
 * The layers still require an `HttpClient`, so users choose the transport (`NodeTransport.layer`
 * of `nextmv-effect/node` on Node, `FetchHttpClient.layer`, any other). A transport that carries a
 * fast path (`internal/transport.ts`; `NodeTransport` does) is used through it for small
 * exchanges read whole: one `Effect.async` per attempt, the watchdog calling the transport's abort.
 *
 * @since 0.1.0
 */
import {
  FetchHttpClient,
  FileSystem,
  Headers,
  HttpBody,
  HttpClient,
  HttpClientRequest,
  HttpClientResponse,
  HttpTraceContext
} from "@effect/platform"
import type { HttpClientError } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import {
  Cause,
  Clock,
  Context,
  Duration,
  Effect,
  Either,
  Exit,
  type Fiber,
  FiberId,
  FiberRef,
  Layer,
  Option,
  ParseResult,
  Random,
  Redacted,
  RuntimeFlags,
  Schema,
  Stream
} from "effect"
import type { Tracer } from "effect"
import { MAX_ERROR_BODY_CHARS, NextmvConfigError, NextmvDecodeError, NextmvHttpError } from "../Errors.js"
import { type ConfigOverrides, DEFAULT_BASE_URL, resolveConnection, withScheme } from "../internal/config.js"
import { type Defaults, definedRetry, NextmvDefaults } from "../internal/defaults.js"
import { type AttemptOutcome, defaultRetryOptions, isRetryable, parseRetryAfter, retryDelay, type RetryOptions } from "../internal/retry.js"
import { queryValues, sanitizeError, scrub, withoutQuery } from "../internal/redact.js"
import {
  type BodyExchange,
  type BodySink,
  type DecoderOf,
  type FastAttemptContext,
  type FastCall,
  type FastRequest,
  type FastStream,
  type FastStreamContext,
  type FastTransport,
  fastTransportOf
} from "../internal/transport.js"
import { type Expiry, guard, Watchdog } from "../internal/watchdog.js"
import { ReadAhead } from "../internal/readAhead.js"
import type { Requester } from "../internal/requester.js"
import { Slots } from "../internal/slots.js"
import { tracerInstalled } from "../internal/traced.js"
import { VERSION } from "../version.js"
import * as RequestBudget from "./RequestBudget.js"

export { DEFAULT_BASE_URL, defaultRetryOptions, type RetryOptions }

/** Default console URL, used for run deep links. */
export const DEFAULT_CONSOLE_URL = "https://cloud.nextmv.io"

/**
 * Default idle timeout (nextmv-py's `timeout=20`, with python-requests semantics: a limit on each
 * wait, not on the whole exchange).
 */
export const DEFAULT_TIMEOUT: Duration.Duration = Duration.seconds(20)

/** Default per-origin cap on requests in flight (see `Options.maxConnections`). */
export const DEFAULT_MAX_CONNECTIONS = 64

/** Default connect timeout (nextmv-py's 20 s). */
export const DEFAULT_CONNECT_TIMEOUT: Duration.Duration = Duration.seconds(20)

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
  /**
   * Idle timeout, as python-requests' read timeout: the longest wait for progress — each chunk of
   * the request body taken by the connection, the response headers, each chunk of the response
   * body. A slow but steady transfer never times out. Default 20 seconds. A timed-out attempt is
   * retried for GET, PUT and DELETE.
   */
  readonly timeout?: Duration.DurationInput | undefined
  /**
   * Connect timeout. Not every transport reports when the connection is open, so the first wait
   * of an attempt (connecting, then the first sign of progress) may last `connectTimeout +
   * timeout`, nextmv-py's worst case. Default: the `timeout` value (20 seconds).
   */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /**
   * Optional total deadline of one call: every attempt, every retry wait and the whole response
   * body (for streamed downloads, until the stream ends). None by default, as nextmv-py; set it
   * when a caller needs an upper bound on a single call.
   */
  readonly deadline?: Duration.DurationInput | undefined
  /** Retry policy settings; see `RetryOptions`. `{ retries: 0 }` disables retries. */
  readonly retry?: Partial<RetryOptions> | undefined
  /**
   * Most requests in flight at once per origin (the API, and each presigned-URL host), so the
   * number of connections stays bounded (the transports' pools open one per concurrent request).
   * Further requests wait for a free slot. A streamed download holds its slot until the stream
   * ends. Default 64.
   */
  readonly maxConnections?: number | undefined
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
  /** Requests in flight per origin at most (`Options.maxConnections`, default 64); the run programs' gates follow it. */
  readonly maxConnections: number
}

/** The client every Nextmv service depends on. */
export class NextmvClient extends Context.Tag("nextmv-effect/NextmvClient")<NextmvClient, Service>() {}

/** An attempt that failed, before the retry policy decides. */
interface AttemptFailure extends AttemptOutcome {
  readonly error: NextmvHttpError
}

const REQUEST_ID_HEADERS = ["x-request-id", "request-id", "x-amzn-requestid", "x-amz-request-id", "x-correlation-id"]

/** How many bytes of an error response are read at most (the rest is never downloaded). */
const MAX_ERROR_BODY_BYTES = 4 * MAX_ERROR_BODY_CHARS

/** Response bodies up to this size (by Content-Length) are read in one go. */
const SMALL_BODY = 64 * 1024

/** Buffers a streamed download reads ahead of its consumer at most. */
const READ_AHEAD = 16

/** Request bodies above this size are handed to the transport in slices, so writes show progress. */
const BODY_SLICE = 64 * 1024

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

const decoder = new TextDecoder()

const concatBytes = (chunks: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

/**
 * Reads a response body chunk by chunk, recording progress on `watchdog` for every chunk; stops
 * after `cap` bytes (the rest is not downloaded).
 */
const readBody = (
  response: HttpClientResponse.HttpClientResponse,
  watchdog: Watchdog,
  cap = Infinity
): Effect.Effect<Uint8Array, HttpClientError.ResponseError> => {
  // No body by definition (fetch gives no stream at all for these).
  if (response.status === 204 || response.status === 205 || response.status === 304 || response.request.method === "HEAD") {
    return Effect.succeed(new Uint8Array(0))
  }
  // A small body announced by Content-Length is read in one wait (one promise on every transport,
  // no stream machinery): the idle timeout then bounds its whole transfer.
  const length = Number(response.headers["content-length"])
  if (length <= SMALL_BODY && cap >= length) {
    return Effect.map(response.arrayBuffer, (buffer) => new Uint8Array(buffer))
  }
  const chunks: Array<Uint8Array> = []
  let size = 0
  return Stream.runForEachWhile(response.stream, (chunk) => {
    watchdog.touch()
    chunks.push(chunk)
    size += chunk.length
    return Effect.succeed(size < cap)
  }).pipe(Effect.map(() => concatBytes(chunks, size)))
}

/** Hands the request body to the transport so that each chunk it takes counts as progress. */
const observeBody = (request: HttpClientRequest.HttpClientRequest, watchdog: Watchdog): HttpClientRequest.HttpClientRequest => {
  const body = request.body
  switch (body._tag) {
    case "Stream":
      return HttpClientRequest.setBody(
        request,
        HttpBody.stream(
          Stream.mapChunks(body.stream, (chunk) => {
            watchdog.touch()
            return chunk
          }),
          body.contentType,
          body.contentLength
        )
      )
    case "Uint8Array": {
      const bytes = body.body
      if (bytes.length <= BODY_SLICE) return request
      const slices = Stream.fromIterable(function*() {
        for (let at = 0; at < bytes.length; at += BODY_SLICE) {
          watchdog.touch()
          yield bytes.subarray(at, Math.min(bytes.length, at + BODY_SLICE))
        }
      }())
      return HttpClientRequest.setBody(request, HttpBody.stream(slices, body.contentType, bytes.length))
    }
    default:
      return request
  }
}

/*
 * What lives while a request waits for the network is made by constructors, not object literals:
 * V8 tracks literals by allocation site and, seeing most of a site's objects survive a young
 * collection (as everything of a call in flight does), allocates that site's objects in the old
 * generation from then on ("pretenuring"). Old garbage is only freed by full collections and keeps
 * the young objects it points to alive meanwhile; at 64 calls in flight this tripled the time spent
 * collecting garbage.
 */

/**
 * One call as sent, across its attempts: the request (with trace headers), its deadline, its span,
 * what a fast-path attempt makes of the 2xx body (`FastCall`), and whether the caller may be
 * interrupted.
 */
class Sent<R = unknown, D = unknown> implements FastCall<R, D> {
  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    /** Absolute `performance.now()` deadline of the call, if any. */
    readonly deadlineAt: number | undefined,
    readonly span: Tracer.Span | undefined,
    readonly read: (body: Uint8Array) => Effect.Effect<R, D>,
    readonly interruptible: boolean
  ) {}
}

/** An attempt's failure, not one of the call's `read` (a decode, which is never retried). */
const isAttemptFailure = (failure: unknown): failure is AttemptFailure => !(failure instanceof NextmvDecodeError)

interface Settings {
  readonly idleMillis: number
  readonly connectMillis: number
  readonly deadlineMillis: number | undefined
  readonly retry: RetryOptions
  readonly maxConnections: number
  /** Values scrubbed from everything the pipeline reports (the API key). */
  readonly secrets: ReadonlyArray<string>
}

const formatMillis = (millis: number): string =>
  millis < 1000 ? `${Math.round(millis)} ms` : Duration.format(Duration.millis(Math.round(millis)))

const makeRequester = (
  http: HttpClient.HttpClient,
  settings: Settings,
  { budget = RequestBudget.unlimited, fast, module, origin, propagate }: {
    readonly module: string
    readonly origin: string
    readonly propagate: boolean
    readonly budget?: RequestBudget.RequestBudget
    /**
     * The transport's fast path, with what `http` adds to each request: the URL prefix and the
     * headers (they win over the request's own).
     */
    readonly fast?:
      | { readonly transport: FastTransport; readonly prefix: string; readonly headers: Readonly<Record<string, string>> }
      | undefined
  }
): Requester => {
  /** One semaphore per origin: the per-origin cap on requests in flight. */
  const slots = new Map<string, Slots>()
  const slotOf = (request: HttpClientRequest.HttpClientRequest): Slots => {
    const key = origin !== "" ? origin : originOf(request.url)
    let semaphore = slots.get(key)
    if (semaphore === undefined) {
      semaphore = new Slots(settings.maxConnections)
      slots.set(key, semaphore)
    }
    return semaphore
  }

  const retryAfterCap = Duration.toMillis(settings.retry.maxRetryAfter)
  const clampRetryAfter = (millis: number | undefined): number | undefined =>
    millis === undefined ? undefined : Number.isNaN(millis) ? 0 : Math.min(retryAfterCap, Math.max(0, millis))

  /** What errors, logs and spans show for a request: the URL or path without its query string. */
  const pathOf = (request: HttpClientRequest.HttpClientRequest) => withoutQuery(request.url)

  const secretsOf = (request: HttpClientRequest.HttpClientRequest): ReadonlyArray<string> =>
    request.url.includes("?") ? [...settings.secrets, ...queryValues(request.url)] : settings.secrets

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

  /**
   * A transport failure. Only a scrubbed copy of the underlying error is kept as the cause: the
   * platform error holds the request (its headers carry the API key) and messages may hold the
   * full URL.
   */
  const transportFailure = (
    request: HttpClientRequest.HttpClientRequest,
    cause: unknown,
    fallback: string,
    beforeResponse: boolean
  ): AttemptFailure => {
    const secrets = secretsOf(request)
    const code = findErrorCode(cause)
    const detail = code ?? describeCause(cause) ?? fallback
    return failure(request, { reason: "transport", detail: scrub(detail, secrets), cause: sanitizeError(cause, secrets) }, {
      neverSent: beforeResponse && code !== undefined
    })
  }

  const fromClientError = (request: HttpClientRequest.HttpClientRequest, error: HttpClientError.HttpClientError) =>
    transportFailure(request, error.cause, error.description ?? error.reason, error._tag === "RequestError")

  const timeoutFailure = (request: HttpClientRequest.HttpClientRequest, expiry: Expiry, phase: string): AttemptFailure =>
    failure(request, {
      reason: "timeout",
      detail: expiry === "deadline"
        ? `the call's deadline of ${formatMillis(settings.deadlineMillis ?? 0)} passed ${phase}`
        : `no progress for ${formatMillis(settings.idleMillis)} ${phase}`
    }, {})

  /** The failure of a non-2xx response, from its status, headers and (capped) body. */
  const statusFailureOf = (
    request: HttpClientRequest.HttpClientRequest,
    status: number,
    headerOf: (name: string) => string | undefined,
    body: string
  ): Effect.Effect<never, AttemptFailure> => {
    let requestId: string | undefined
    for (const name of REQUEST_ID_HEADERS) {
      requestId = headerOf(name)
      if (requestId !== undefined) break
    }
    const location = headerOf("location")
    const retryAfter = headerOf("retry-after")
    const redirect = status >= 300 && status < 400
    return Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.fail(failure(request, {
        reason: "status",
        status,
        body: trimBody(scrub(body, secretsOf(request))),
        requestId,
        ...(redirect
          ? {
            detail: `redirects are not followed${location !== undefined ? ` (to ${withoutQuery(location)})` : ""}`
          }
          : {})
      }, {
        retryAfterMillis: retryAfter !== undefined ? parseRetryAfter(retryAfter, now) : undefined
      })))
  }

  const statusFailure = (
    request: HttpClientRequest.HttpClientRequest,
    response: HttpClientResponse.HttpClientResponse,
    watchdog: Watchdog
  ): Effect.Effect<never, AttemptFailure> =>
    Effect.flatMap(
      readBody(response, watchdog, MAX_ERROR_BODY_BYTES).pipe(
        Effect.map((bytes) => decoder.decode(bytes)),
        Effect.orElseSucceed(() => "")
      ),
      (body) => statusFailureOf(request, response.status, (name) => response.headers[name], body)
    )

  /**
   * One attempt under a fresh watchdog: send (the body's chunks count as progress), check the
   * status, then `read` the body. With `keep`, the watchdog is handed on (paused) with the response.
   */
  const attempt = <A>(
    request: HttpClientRequest.HttpClientRequest,
    deadlineAt: number | undefined,
    read: (response: HttpClientResponse.HttpClientResponse, watchdog: Watchdog) => Effect.Effect<A, HttpClientError.ResponseError>,
    keep: boolean
  ): Effect.Effect<A, AttemptFailure> => {
    const watchdog = new Watchdog(settings.idleMillis, settings.connectMillis, deadlineAt)
    // `send` runs in the attempt's own child fiber (see `guard`), so fiber refs are set there
    // with nothing to restore: the platform's span is off (it records the full URL and keeps the
    // raw request), and fetch must not follow redirects (undici never does).
    const send = Effect.zipRight(noPlatformSpanNoRedirects, http.execute(observeBody(request, watchdog))).pipe(
      Effect.mapError((error) => fromClientError(request, error)),
      Effect.flatMap((response): Effect.Effect<A, AttemptFailure> => {
        watchdog.touch()
        return response.status >= 200 && response.status < 300
          ? Effect.mapError(read(response, watchdog), (error) => fromClientError(request, error))
          : statusFailure(request, response, watchdog)
      })
    )
    const guarded = guard(send, watchdog, (expiry) => timeoutFailure(request, expiry, "waiting for the server"), keep)
    // A stream takes its slot for the whole download (see `stream`).
    return keep ? guarded : slotOf(request).withPermit(guarded)
  }

  /**
   * The fast path's context, built once: its functions get the call's state (the request as sent,
   * the deadline), so an attempt allocates no closures for them.
   */
  const fastContext: FastAttemptContext<Sent, AttemptFailure> = {
    slot: (call) => slotOf(call.request),
    idleMillis: settings.idleMillis,
    connectMillis: settings.connectMillis,
    deadlineAt: (call) => call.deadlineAt,
    errorBodyCap: MAX_ERROR_BODY_BYTES,
    timeout: (call, expiry) => timeoutFailure(call.request, expiry, "waiting for the server"),
    status: (call, status, header, body) => statusFailureOf(call.request, status, header, decoder.decode(body)),
    transport: (call, cause) => transportFailure(call.request, cause, "transport error", true)
  }

  /**
   * The fast-path form of a request (as sent by `http`: the transport's target builder, made once
   * for the prefix and headers `http` adds), or `undefined` when it must take the generic path.
   */
  const fastTarget = fast?.transport.target?.(fast.prefix, fast.headers) ?? noTarget

  /**
   * One attempt of a call on the fast path (or, without one or for a request it cannot send, on the
   * generic path): what `call.read` makes of the 2xx body. The target is built per attempt from
   * the request as sent (trace headers included).
   */
  const fastAttemptOf = <R, D>(call: Sent<R, D>): Effect.Effect<R, AttemptFailure | D> => {
    const target = fastTarget(call.request)
    return fast === undefined || target === undefined
      ? Effect.flatMap(attempt(call.request, call.deadlineAt, readBody, false), call.read)
      : fast.transport.attempt<Sent<R, D>, AttemptFailure | D, R>(target, fastContext, call)
  }

  /** Runs `attempt` under the retry policy inside one span, and returns the final typed error. */
  const withRetries = <A>(
    request: HttpClientRequest.HttpClientRequest,
    read: (response: HttpClientResponse.HttpClientResponse, watchdog: Watchdog) => Effect.Effect<A, HttpClientError.ResponseError>,
    keep = false
  ): Effect.Effect<A, NextmvHttpError> => retrying(request, (call) => attempt(call.request, call.deadlineAt, read, keep), Effect.succeed)

  /**
   * Runs attempts (`attemptOf`) under the retry policy inside one span (when a tracer is
   * installed); the final typed error. A call that succeeds at once costs one `withFiberRuntime`,
   * the call's state and one failure handler: the retry machinery runs only after a failure.
   */
  const retrying = <A, R, D = never>(
    request: HttpClientRequest.HttpClientRequest,
    attemptOf: (call: Sent<R, D>) => Effect.Effect<A, AttemptFailure | D>,
    read: (body: Uint8Array) => Effect.Effect<R, D>
  ): Effect.Effect<A, NextmvHttpError | D> =>
    Effect.withFiberRuntime((fiber, status) => {
      const interruptible = RuntimeFlags.interruption(status.runtimeFlags)
      // No tracer installed (Effect's built-in one) or tracing off: no span at all, for free.
      return tracerInstalled(fiber)
        ? Effect.useSpan(`http.client ${request.method}`, {
          kind: "client",
          captureStackTrace: false,
          attributes: spanAttributes(request.method, origin + pathOf(request))
        }, (span) => attempts(request, attemptOf, read, interruptible, span))
        : attempts(request, attemptOf, read, interruptible, undefined)
    })

  const attempts = <A, R, D>(
    request: HttpClientRequest.HttpClientRequest,
    attemptOf: (call: Sent<R, D>) => Effect.Effect<A, AttemptFailure | D>,
    read: (body: Uint8Array) => Effect.Effect<R, D>,
    interruptible: boolean,
    span: Tracer.Span | undefined
  ): Effect.Effect<A, NextmvHttpError | D> =>
    attemptNumber(
      new Sent(
        propagate && span !== undefined ? HttpClientRequest.setHeaders(request, HttpTraceContext.toHeaders(span)) : request,
        settings.deadlineMillis === undefined ? undefined : performance.now() + settings.deadlineMillis,
        span,
        read,
        interruptible
      ),
      attemptOf,
      1
    )

  /**
   * Attempt `retry` (1: the first) of `call`; a failure goes to the retry policy (a failure of the
   * call's `read` passes on).
   */
  const attemptNumber = <A, R, D>(
    call: Sent<R, D>,
    attemptOf: (call: Sent<R, D>) => Effect.Effect<A, AttemptFailure | D>,
    retry: number
  ): Effect.Effect<A, NextmvHttpError | D> => {
    const method = call.request.method
    const once = budget === RequestBudget.unlimited
      ? attemptOf(call)
      : budget.limit(method, pathOf(call.request), attemptOf(call))
    // `catchAllCause` is `catchAll` in one frame (no success handler, no intermediate closures).
    return Effect.catchAllCause(once, (cause) => {
      // The attempt's typed failure; a defect (or interruption) passes through, as with `catchAll`.
      const failed = cause._tag === "Fail" ? cause.error : Option.getOrUndefined(Cause.failureOption(cause))
      if (failed === undefined) return Effect.failCause(Cause.map(cause, (f) => isAttemptFailure(f) ? f.error : f))
      if (!isAttemptFailure(failed)) return Effect.fail(failed)
      // The server's hint is clamped here too: the budget's pause never exceeds `maxRetryAfter`.
      const paused = failed.status === 429
        ? budget.onRateLimited(method, pathOf(call.request), clampRetryAfter(failed.retryAfterMillis))
        : undefined
      const next = retry > settings.retry.retries || !isRetryable(method, failed)
        ? Effect.fail(new NextmvHttpError({ ...failed.error, attempts: retry }))
        : Effect.flatMap(Random.next, (random) => retryAfter(call, attemptOf, failed, retry, random))
      return paused === undefined ? next : Effect.zipRight(paused, next)
    })
  }

  /** The wait before retry `retry`, logged (with the package's log annotations), then the next attempt. */
  const retryAfter = <A, R, D>(
    call: Sent<R, D>,
    attemptOf: (call: Sent<R, D>) => Effect.Effect<A, AttemptFailure | D>,
    failed: AttemptFailure,
    retry: number,
    random: number
  ): Effect.Effect<A, NextmvHttpError | D> => {
    const { deadlineAt, request, span } = call
    const wait = retryDelay(settings.retry, retry, failed, random)
    const waitMillis = Duration.toMillis(wait)
    if (deadlineAt !== undefined && performance.now() + waitMillis >= deadlineAt) {
      return Effect.fail(
        new NextmvHttpError({
          ...timeoutFailure(request, "deadline", `before retry ${retry}`).error,
          attempts: retry
        })
      )
    }
    const why = failed.reason === "status" ? `status ${failed.status}` : failed.error.detail ?? failed.reason
    const message = `${request.method} ${pathOf(request)}: ${why}; retry ${retry} of ${settings.retry.retries} in ${
      formatMillis(waitMillis)
    }`
    const log = failed.status === 429 ? Effect.logInfo(message) : Effect.logWarning(message)
    if (span !== undefined) span.event("retry", BigInt(Date.now()) * 1_000_000n, { retry, waitMillis, reason: failed.reason })
    // The annotations go on the retry log only: annotating every call would cost two fiber-ref
    // updates per request for logs that are rare.
    return log.pipe(
      Effect.annotateLogs({
        package: "nextmv-effect",
        module,
        reason: failed.reason,
        status: failed.status ?? "-",
        attempt: retry,
        delayMillis: waitMillis
      }),
      Effect.zipRight(Effect.sleep(wait)),
      Effect.zipRight(attemptNumber(call, attemptOf, retry + 1))
    )
  }

  const uploading = fast?.transport.upload
  /**
   * A call whose response is read whole, then `read` (the bytes as they are, or decoded), inside
   * the call's span; a failure of `read` (a decode) is not retried. On a fast path the body is read
   * before the fiber resumes.
   */
  const whole = <R, D>(request: HttpClientRequest.HttpClientRequest, read: (body: Uint8Array) => Effect.Effect<R, D>) =>
    request.body._tag === "Stream" && request.body.contentLength !== undefined && uploading !== undefined
      // An upload of known length: the transport pulls the body (`FastUpload`); the target is the
      // request as sent, without its body.
      ? Effect.flatMap(
        uploading(
          request.body,
          (attemptOf) =>
            retrying(
              request,
              (call: Sent<Uint8Array, never>) =>
                attemptOf<Sent<Uint8Array, never>, AttemptFailure>(
                  fastTarget(HttpClientRequest.setBody(call.request, HttpBody.empty)),
                  fastContext,
                  call
                ),
              Effect.succeed
            )
        ),
        read
      )
      : retrying(request, fastAttemptOf, read)
  const bytes = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<Uint8Array, NextmvHttpError> => whole(request, Effect.succeed)
  const text = (request: HttpClientRequest.HttpClientRequest) => Effect.map(bytes(request), (body) => decoder.decode(body))

  /**
   * A streamed download. One reader fiber per download (not one fiber per read) drains the
   * response into a small read-ahead buffer (`internal/readAhead.ts`) the consumer takes from, so
   * the transport's buffers are passed on as they come (no waiting consumer makes them pile up and
   * be concatenated). The idle timeout counts while the reader waits for the network, never while
   * it waits for a slow consumer.
   */
  const stream = (request: HttpClientRequest.HttpClientRequest): Stream.Stream<Uint8Array, NextmvHttpError> =>
    Stream.unwrapScoped(Effect.gen(function*() {
      yield* slotOf(request).acquireScoped
      const streaming = fast?.transport.stream
      if (streaming !== undefined && fastTarget(request) !== undefined) return yield* fastStream(streaming, request)
      const { response, watchdog } = yield* withRetries(
        request,
        (response, watchdog) => Effect.succeed({ response, watchdog }),
        true
      )
      yield* Effect.addFinalizer(() => Effect.sync(() => watchdog.stop()))
      const ahead = new ReadAhead<NextmvHttpError>(READ_AHEAD)
      const reader: { fiber?: Fiber.RuntimeFiber<void> } = {}
      const expire = (expiry: Expiry) => {
        ahead.end(Exit.fail(timeoutFailure(request, expiry, "reading the response body").error))
        reader.fiber?.unsafeInterruptAsFork(FiberId.none)
      }
      const rearm = () => watchdog.arm(expire)
      const read = Stream.runForEachChunk(response.stream, (chunk) => {
        watchdog.touch()
        if (ahead.offer(chunk)) return Effect.void
        // The consumer is behind: its pace is never a timeout.
        watchdog.pause()
        return Effect.map(ahead.room, rearm)
      }).pipe(
        Effect.mapError((error) => fromClientError(request, error).error),
        Effect.exit,
        Effect.map((exit) => ahead.end(exit))
      )
      reader.fiber = yield* Effect.forkScoped(read)
      watchdog.arm(expire)
      return ahead.stream
    }))

  /**
   * A streamed download on the transport's own streaming path (`NodeTransport`): the transport
   * hands each body chunk to the read-ahead from its callback and stops reading while it is full,
   * with no effect, fiber or platform `Stream` per chunk. Same retries, timeouts, slot and
   * failures as the generic path above.
   */
  const fastStream = (streaming: FastStream, request: HttpClientRequest.HttpClientRequest) =>
    Effect.gen(function*() {
      const ahead = new ReadAhead<NextmvHttpError>(READ_AHEAD)
      let exchange: BodyExchange | undefined
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          exchange?.watchdog.stop()
          exchange?.abort()
        })
      )
      const expire = (expiry: Expiry) => {
        exchange?.abort()
        ahead.end(Exit.fail(timeoutFailure(request, expiry, "reading the response body").error))
      }
      /** Counts idle time again and lets the transport read, once the consumer made room. */
      const room = () => {
        if (exchange === undefined || ahead.ended) return
        exchange.watchdog.arm(expire)
        exchange.resume()
      }
      const sink: BodySink<AttemptFailure> = {
        start: (started) => {
          exchange = started
        },
        data: (chunk) => {
          if (ahead.push(chunk)) return true
          // The consumer is behind: its pace is never a timeout.
          exchange?.watchdog.pause()
          ahead.whenRoom(room)
          return false
        },
        end: (failure) => {
          exchange?.watchdog.stop()
          ahead.end(failure === undefined ? Exit.void : Exit.fail(failure.error))
        }
      }
      yield* streamAttempts(request, (target, context) => streaming(target, context, sink))
      // Arms the body's idle timeout now, or once the consumer made room (the buffer filled up first).
      if (ahead.hasRoom) room()
      return ahead.stream
    })

  /** Attempts of a transport's streaming path under the retry policy (ends at 2xx headers). */
  const streamAttempts = (
    request: HttpClientRequest.HttpClientRequest,
    attemptOf: (target: FastRequest, context: FastStreamContext<AttemptFailure>) => Effect.Effect<void, AttemptFailure>
  ) =>
    retrying(request, ({ deadlineAt, request: sent }) => {
      const target = fastTarget(sent)
      if (target === undefined) return Effect.fail(transportFailure(sent, undefined, "invalid URL", true))
      return attemptOf(target, {
        watchdog: () => new Watchdog(settings.idleMillis, settings.connectMillis, deadlineAt),
        errorBodyCap: MAX_ERROR_BODY_BYTES,
        timeout: (expiry) => timeoutFailure(sent, expiry, "waiting for the server"),
        status: (status, header, body) => statusFailureOf(sent, status, header, decoder.decode(body)),
        transport: (cause) => transportFailure(sent, cause, "transport error", true)
      })
    }, Effect.succeed)

  /** The transport's response decoder (`NodeTransport` compiles one per schema), else Schema's. */
  const responseDecoder = fast?.transport.decoderOf ?? schemaDecoderOf

  const fileTransport = fast?.transport.toFile
  /**
   * A download written to a file by the transport's callbacks (`NodeTransport`): the body's
   * buffers are gathered as they arrive and written in batches, with no effect per buffer (see
   * `internal/fileSink.ts`). Same retries, timeouts, slot and failures as `stream`.
   */
  const toFile = fileTransport === undefined ? undefined : (
    request: HttpClientRequest.HttpClientRequest,
    fs: FileSystem.FileSystem,
    path: string
  ): Effect.Effect<boolean, NextmvHttpError | PlatformError> =>
    Effect.scoped(Effect.gen(function*() {
      const file = yield* fs.open(path, { flag: "w" })
      const download = fileTransport(file, path, (expiry) => timeoutFailure(request, expiry, "reading the response body"))
      // Not a file the transport can write (another FileSystem): nothing sent, the caller streams.
      if (download === undefined) return false
      yield* slotOf(request).acquireScoped
      // Runs before the slot is given back and the file is closed (finalizers run in reverse order).
      yield* Effect.addFinalizer(() => download.release)
      yield* streamAttempts(request, download.attempt)
      yield* Effect.mapError(download.body, (failure) => "error" in failure ? failure.error : failure)
      return true
    }))

  return {
    toFile,
    execute: (request) => withRetries(request, (response) => Effect.succeed(response)),
    text,
    bytes,
    discard: (request) => Effect.asVoid(bytes(request)),
    json: <A, I>(request: HttpClientRequest.HttpClientRequest, schema: Schema.Schema<A, I, never>) =>
      whole(
        request,
        (body) => decodeJson(() => `${request.method} ${pathOf(request)}`, responseDecoder(schema), decoder.decode(body))
      ),
    stream
  }
}

/** Span attributes of a request (OpenTelemetry HTTP semantic conventions), without the query string. */
const spanAttributes = (method: string, url: string): Record<string, unknown> => {
  const attributes: Record<string, unknown> = { "http.request.method": method, "url.full": url }
  const scheme = url.indexOf("://")
  if (scheme !== -1) {
    const pathAt = url.indexOf("/", scheme + 3)
    attributes["url.scheme"] = url.slice(0, scheme)
    attributes["server.address"] = url.slice(scheme + 3, pathAt === -1 ? undefined : pathAt)
    attributes["url.path"] = pathAt === -1 ? "/" : url.slice(pathAt)
  }
  return attributes
}

const always = () => true

/** No fast path. */
const noTarget = (): undefined => undefined

const originOf = (url: string): string => {
  const scheme = url.indexOf("://")
  const end = scheme === -1 ? -1 : url.indexOf("/", scheme + 3)
  return end === -1 ? url : url.slice(0, end)
}

const noPlatformSpanNoRedirects = Effect.zipRight(
  FiberRef.set(HttpClient.currentTracerDisabledWhen, always),
  FiberRef.update(FiberRef.currentContext, (context) =>
    Context.add(context, FetchHttpClient.RequestInit, {
      ...Option.getOrUndefined(Context.getOption(context, FetchHttpClient.RequestInit)),
      redirect: "manual"
    }))
)

/**
 * Decodes a JSON document with `schema`; malformed JSON and shape mismatches become a
 * {@link NextmvDecodeError} naming `operation`. An empty body decodes as `null`.
 */
export const decodeJsonText = <A, I>(
  operation: string,
  schema: Schema.Schema<A, I, never>,
  body: string
): Effect.Effect<A, NextmvDecodeError> => decodeJson(() => operation, schemaDecoderOf(schema), body)

/** Schema's synchronous decoder of each response schema, built once (every response schema is synchronous). */
const schemaDecoders = new WeakMap<Schema.Schema.Any, (input: unknown) => Either.Either<unknown, ParseResult.ParseIssue>>()

const schemaDecoderOf: DecoderOf = <A, I>(schema: Schema.Schema<A, I, never>) => {
  let decode = schemaDecoders.get(schema)
  if (decode === undefined) {
    decode = ParseResult.decodeUnknownEither(schema, { onExcessProperty: "ignore" })
    schemaDecoders.set(schema, decode)
  }
  return decode as (input: unknown) => Either.Either<A, ParseResult.ParseIssue>
}

/** {@link decodeJsonText} with the operation's name built only for an error. */
const decodeJson = <A>(
  operation: () => string,
  decode: (input: unknown) => Either.Either<A, ParseResult.ParseIssue>,
  body: string
): Effect.Effect<A, NextmvDecodeError> => {
  let value: unknown = null
  try {
    if (body.length > 0) value = JSON.parse(body)
  } catch (cause) {
    // A blank body decodes as `null` too (checked only here: `trim` copies the text).
    if (body.trim() !== "") {
      return Effect.fail(
        new NextmvDecodeError({ operation: operation(), issue: `the body is not valid JSON (${(cause as Error).message})` })
      )
    }
  }
  // One synchronous decode, no effect machinery on the way.
  const decoded = decode(value)
  return Either.isRight(decoded)
    ? Effect.succeed(decoded.right)
    : Effect.fail(new NextmvDecodeError({ operation: operation(), issue: ParseResult.TreeFormatter.formatIssueSync(decoded.left) }))
}

const trimTrailingSlash = (url: string): string => url.replace(/\/+$/, "")

/** `options` with the program-wide defaults filling the fields it leaves unset (`retry` key by key). */
const withDefaults = (options: Options, defaults: Defaults): Options => ({
  ...options,
  timeout: options.timeout ?? defaults.timeout,
  connectTimeout: options.connectTimeout ?? defaults.connectTimeout,
  deadline: options.deadline ?? defaults.deadline,
  consoleUrl: options.consoleUrl ?? defaults.consoleUrl,
  retry: { ...definedRetry(defaults.retry), ...options.retry }
})

/**
 * Builds the client from explicit options. Options left unset come from the program-wide
 * `NextmvDefaults` in the context where the client is built, then the built-in defaults.
 *
 * @example
 * ```ts
 * const client = yield* NextmvClient.make({ apiKey: Redacted.make("...") })
 * ```
 */
export const make = (given: Options): Effect.Effect<Service, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const transport = yield* HttpClient.HttpClient
    // The program-wide defaults (`NextmvDefaults`) under the options given here.
    const options = withDefaults(given, yield* NextmvDefaults)
    const baseUrl = trimTrailingSlash(withScheme(options.baseUrl ?? DEFAULT_BASE_URL))
    const apiKey = Redacted.value(options.apiKey)
    const settings: Settings = {
      idleMillis: Duration.toMillis(Duration.decode(options.timeout ?? DEFAULT_TIMEOUT)),
      // One `timeout` means both, as nextmv-py's (python-requests') single timeout value.
      connectMillis: Duration.toMillis(Duration.decode(options.connectTimeout ?? options.timeout ?? DEFAULT_CONNECT_TIMEOUT)),
      deadlineMillis: options.deadline === undefined ? undefined : Duration.toMillis(Duration.decode(options.deadline)),
      retry: { ...defaultRetryOptions, ...options.retry },
      maxConnections: Math.max(1, Math.floor(options.maxConnections ?? DEFAULT_MAX_CONNECTIONS)),
      secrets: apiKey === "" ? [] : [apiKey]
    }
    const extraHeaders = options.headers ?? {}
    const budget = options.budget === false ? RequestBudget.unlimited : RequestBudget.make(options.budget)
    // The platform's own `http.client` span records the full URL (with presigned signatures) and
    // keeps the raw request in a failed exit; the requester records its own, redacted span.
    // Every API request gets the same headers: built once, set in one step.
    const apiHeaders = Headers.fromInput({
      ...extraHeaders,
      "user-agent": USER_AGENT,
      authorization: `Bearer ${apiKey}`
    })
    const api = transport.pipe(
      HttpClient.mapRequest((request) => HttpClientRequest.setHeaders(HttpClientRequest.prependUrl(request, baseUrl), apiHeaders))
    )
    const presigned = transport.pipe(HttpClient.mapRequest(HttpClientRequest.setHeader("user-agent", USER_AGENT)))
    // A transport with a fast path (`nextmv-effect/node`) sends small exchanges without the
    // `HttpClient` machinery; it gets what `api`/`presigned` add to each request.
    const fast = fastTransportOf(transport)
    return NextmvClient.of({
      baseUrl,
      maxConnections: settings.maxConnections,
      consoleUrl: trimTrailingSlash(options.consoleUrl ?? DEFAULT_CONSOLE_URL),
      // Paths are relative to the base URL, so the path given by the service is what errors show.
      api: makeRequester(api, settings, {
        module: "NextmvClient",
        origin: baseUrl,
        propagate: true,
        budget,
        fast: fast && { transport: fast, prefix: baseUrl, headers: { ...apiHeaders } }
      }),
      presigned: makeRequester(presigned, settings, {
        module: "NextmvClient.presigned",
        origin: "",
        propagate: false,
        fast: fast && { transport: fast, prefix: "", headers: { "user-agent": USER_AGENT } }
      }),
      budget
    })
  })

/**
 * A layer from explicit options. Still requires an `HttpClient`.
 *
 * @example
 * ```ts
 * import { NodeTransport } from "nextmv-effect/node"
 *
 * const Live = NextmvClient.layer({ apiKey: Redacted.make(key) }).pipe(Layer.provide(NodeTransport.layer))
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
