/**
 * The fast path's request targets without a URL parse per request (`NodeTransport` hands
 * {@link FastBase.of} to the client as `FastTransport.base`; only bundles with a fast transport
 * carry this module).
 *
 * @internal
 */

/**
 * A URL path appended to a base as it is: only characters that URL parsing keeps as they are in a
 * path, and no dot segment (`.`, `..`, also percent-encoded), which URL parsing would resolve.
 * Paths from `internal/paths.ts` (segments through `encodeURIComponent`, never `.` or `..`) always
 * are.
 */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/
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
    if (!PLAIN_PATH.test(path)) return undefined
    // A dot segment starts with `/.` or `/%2e`: the second test only runs for paths that could have one.
    if ((path.includes("/.") || path.includes("%2")) && DOT_SEGMENT.test(path)) return undefined
    return this.path + path
  }
}
