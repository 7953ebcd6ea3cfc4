/**
 * The fast path between `NextmvClient` and a transport that can run one whole small exchange
 * with callbacks (no stream, no fiber): `nextmv-effect/node`'s `NodeTransport` provides one.
 *
 * Such a transport is still provided as a normal `HttpClient` (so everything else, including
 * streamed downloads and uploads, keeps working through the `HttpClient` interface); the client
 * object carries the fast path under {@link FastTransportTypeId}. `NextmvClient` takes it for
 * requests whose body is small (or empty) and whose response is read whole (`json`, `text`,
 * `bytes`, `discard`), and keeps every behaviour of the generic path: the idle, connect and
 * deadline timeouts (its own `Watchdog`, which calls the abort function), the per-origin cap,
 * retries, typed errors, spans. Nothing here imports a Node module.
 */
import type { HttpClient } from "@effect/platform"

/** Where a fast transport is attached to its `HttpClient`. */
export const FastTransportTypeId: unique symbol = Symbol.for("nextmv-effect/FastTransport")

/** One request on the fast path (headers final, body small and in memory). */
export interface FastRequest {
  /** `scheme://host[:port]`. */
  readonly origin: string
  /** Path and query string. */
  readonly path: string
  readonly method: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array | string | undefined
  /** Bytes of a non-2xx response body read at most (the rest is not downloaded). */
  readonly errorBodyCap: number
}

/** A whole response: status, headers (lower-case names), body. */
export interface FastResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly body: Uint8Array
}

/** What the transport reports, each callback at most once except `onProgress`. */
export interface FastCallbacks {
  /** A sign of progress: the response headers, a chunk of the response body. */
  readonly onProgress: () => void
  readonly onResponse: (response: FastResponse) => void
  /** A transport failure (never a status). */
  readonly onError: (cause: unknown) => void
}

/** A transport that runs one exchange with callbacks. */
export interface FastTransport {
  /**
   * Sends `request`; the response is reported once through `callbacks`. Returns the function that
   * aborts the exchange (after which no callback is called).
   */
  readonly send: (request: FastRequest, callbacks: FastCallbacks) => () => void
}

/** An `HttpClient` that also offers a fast path. */
export const withFastTransport = <C extends HttpClient.HttpClient>(client: C, fast: FastTransport): C =>
  Object.defineProperty(client, FastTransportTypeId, { value: fast, enumerable: false })

const isFastTransport = (value: unknown): value is FastTransport =>
  typeof value === "object" && value !== null && typeof (value as { send?: unknown }).send === "function"

/** The fast path of `client`, if it has one. */
export const fastTransportOf = (client: HttpClient.HttpClient): FastTransport | undefined => {
  const value: unknown = Reflect.get(client, FastTransportTypeId)
  return isFastTransport(value) ? value : undefined
}
