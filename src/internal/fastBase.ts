/**
 * The fast path's request targets, without a URL parse per request for the usual API path
 * (`NodeTransport` hands {@link fastTargets} to the client as `FastTransport.target`; only bundles
 * with a fast transport carry this module).
 *
 * @internal
 */
import { Headers, type HttpBody, type HttpClientRequest, UrlParams } from "@effect/platform"
import { Either } from "effect"
import type { FastRequest } from "./transport.js"

/**
 * A URL path appended to a base as it is: only characters that URL parsing keeps as they are in a
 * path, and no dot segment (`.`, `..`, also percent-encoded), which URL parsing would resolve.
 * Paths from `internal/paths.ts` (segments through `encodeURIComponent`, never `.` or `..`) always
 * are.
 */
const PLAIN = new Uint8Array(128)
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@%/") PLAIN[c.charCodeAt(0)] = 1
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?:\/|$)/i

/**
 * The origin and path of an absolute base URL (the client's base URL), parsed once, so that a
 * request's target is built without parsing a URL per request: for a plain path,
 * {@link FastBase.pathOf} gives what `new URL(base + path)` would (`pathname + search`).
 */
export class FastBase {
  private constructor(
    readonly origin: string,
    /** The base's path without its trailing slash (`""` for none). */
    readonly path: string
  ) {}

  /**
   * The base of `prefix`, or `undefined` when it is no absolute URL with an origin, or has a query
   * string or fragment (a path appended to it would not follow).
   */
  static of(prefix: string): FastBase | undefined {
    if (prefix.includes("?") || prefix.includes("#")) return undefined
    let url: URL
    try {
      url = new URL(prefix)
    } catch {
      return undefined
    }
    if (url.origin === "null") return undefined
    const base = new FastBase(url.origin, url.pathname.replace(/\/$/, ""))
    // A base whose path URL parsing rewrites when more follows (e.g. a backslash) is parsed per request.
    const probe = new URL(`${prefix}/probe`)
    return probe.origin === base.origin && probe.pathname === `${base.path}/probe` ? base : undefined
  }

  /** The request path of `base + path`, or `undefined` when `path` must be parsed as a URL. */
  pathOf(path: string): string | undefined {
    // `/` then only characters of `PLAIN` (one pass; a regular expression cost more per call).
    if (path.charCodeAt(0) !== 47) return undefined
    let dotOrPercent = false
    for (let i = 1; i < path.length; i++) {
      const c = path.charCodeAt(i)
      if (c >= 128 || PLAIN[c] === 0) return undefined
      if (c === 46 || c === 37) dotOrPercent = true
    }
    // A dot segment has a `.` or a `%2e`: the test only runs for paths that could have one.
    if (dotOrPercent && DOT_SEGMENT.test(path)) return undefined
    return this.path + path
  }
}

/** Request bodies up to this size take the fast path (the client hands larger ones to the transport in slices). */
const SMALL_BODY = 64 * 1024

/** The body of a request that may take the fast path (small, in memory), else `null`. */
const fastContent = (body: HttpBody.HttpBody): Uint8Array | string | undefined | null =>
  body._tag === "Empty"
    ? undefined
    : body._tag === "Uint8Array" && body.body.length <= SMALL_BODY
    ? body.body
    : body._tag === "Raw" && typeof body.body === "string" && body.body.length <= SMALL_BODY
    ? body.body
    : null

/**
 * A fast-path request. A class, not an object literal: it lives while the request waits for the
 * network, and V8 moves the objects of a literal that mostly survive young collections to the old
 * generation.
 */
class Target implements FastRequest {
  constructor(
    readonly origin: string,
    readonly path: string,
    readonly method: string,
    readonly headers: Readonly<Record<string, string>>,
    readonly body: Uint8Array | string | undefined
  ) {}
}

/**
 * The targets of the requests a client sends with `prefix` before each URL and `headers` added
 * to each (they win over the request's own): a request's target, or `undefined` when it must take
 * the generic path (a body that is not small and in memory, a URL that does not parse: the
 * generic path reports it). A plain path after a prefix with an origin (the usual API request: a
 * path built by `internal/paths.ts`, no query parameters) is appended to the prefix parsed once;
 * anything else is parsed as the platform's client parses it (`UrlParams.makeUrl`).
 *
 * @example
 * ```ts
 * import { HttpClientRequest } from "@effect/platform"
 * const target = fastTargets("https://api.cloud.nextmv.io", { "user-agent": "x" })
 * const sent = target(HttpClientRequest.get("/v1/applications/routing"))
 * ```
 */
export const fastTargets = (
  prefix: string,
  headers: Readonly<Record<string, string>>
): (request: HttpClientRequest.HttpClientRequest) => FastRequest | undefined => {
  const base = FastBase.of(prefix)
  // Final and shared by every request without headers of its own.
  const added = Object.freeze({ ...headers })
  return (request) => {
    const content = fastContent(request.body)
    if (content === null) return undefined
    const sent = request.headers === Headers.empty ? added : { ...request.headers, ...added }
    const path = base !== undefined && request.urlParams.length === 0 && request.hash._tag === "None"
      ? base.pathOf(request.url)
      : undefined
    if (base !== undefined && path !== undefined) return new Target(base.origin, path, request.method, sent, content)
    const url = Either.getOrUndefined(UrlParams.makeUrl(prefix + request.url, request.urlParams, request.hash))
    return url && new Target(url.origin, url.pathname + url.search, request.method, sent, content)
  }
}
