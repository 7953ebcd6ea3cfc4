/**
 * The emulator's rate limits: Nextmv Cloud's published limits (docs.nextmv.io, "Limits"), counted
 * per fixed window of the emulator's clock. A request over a limit is answered 429 with
 * `Retry-After` (whole seconds until the window ends) and `{"error": …}`; refused requests are not
 * counted. Written from the docs, independently of the SDK's own budget:
 *
 * - run requests: `POST /v1/applications/{app}/runs` — 5 per second;
 * - run result requests: `GET /v1/applications/{app}/runs/{run}` and `…/output` — 200 per 10 s;
 * - all `/v1` requests — 2,000 per minute.
 *
 * @since 0.1.0
 */
import type { EmulatorResponse } from "./Emulator.js"

/** The limited classes. */
export type LimitClass = "submission" | "results" | "api"

/** One limit: `requests` per window of `perMillis`. */
export interface WindowLimit {
  readonly requests: number
  readonly perMillis: number
}

/** Emulator option `rateLimits`: `true` for the published limits, or per class (`false` = unlimited). */
export type RateLimitOptions = boolean | { readonly [K in LimitClass]?: WindowLimit | false | undefined }

/** The published limits. */
export const publishedWindowLimits: Readonly<Record<LimitClass, WindowLimit>> = {
  submission: { requests: 5, perMillis: 1_000 },
  results: { requests: 200, perMillis: 10_000 },
  api: { requests: 2_000, perMillis: 60_000 }
}

/** What the limiter saw. */
export interface RateLimitStats {
  /** Requests accepted per class. */
  readonly accepted: Readonly<Record<LimitClass, number>>
  /** Requests refused (429) per class. */
  readonly refused: Readonly<Record<LimitClass, number>>
  /** Windows in which some client asked for more than the limit (a 429 was sent). */
  readonly windowsOverLimit: number
  /** The most requests accepted in one window, per class. */
  readonly busiestWindow: Readonly<Record<LimitClass, number>>
}

const RUNS = /^\/v1\/applications\/[^/]+\/runs\/?$/
const RUN = /^\/v1\/applications\/[^/]+\/runs\/[^/]+\/?$/
const OUTPUT = /^\/v1\/applications\/[^/]+\/runs\/[^/]+\/output\/?$/

const classesOf = (method: string, path: string): ReadonlyArray<LimitClass> => {
  if (!path.startsWith("/v1/")) return []
  if (method === "POST" && RUNS.test(path)) return ["submission", "api"]
  if (method === "GET" && (RUN.test(path) || OUTPUT.test(path))) return ["results", "api"]
  return ["api"]
}

const zero = (): Record<LimitClass, number> => ({ submission: 0, results: 0, api: 0 })

/** A limiter over `now`; `check` answers 429 or counts the request. */
export const makeRateLimiter = (options: RateLimitOptions, now: () => number) => {
  const limits: Partial<Record<LimitClass, WindowLimit>> = {}
  for (const name of ["submission", "results", "api"] as const) {
    const given = options === true ? undefined : options === false ? false : options[name]
    if (given !== false) limits[name] = given ?? publishedWindowLimits[name]
  }
  const windows: Record<LimitClass, { index: number; count: number }> = {
    submission: { index: -1, count: 0 },
    results: { index: -1, count: 0 },
    api: { index: -1, count: 0 }
  }
  const accepted = zero()
  const refused = zero()
  const busiest = zero()
  const over = new Set<string>()

  const check = (method: string, path: string): EmulatorResponse | undefined => {
    if (options === false) return undefined
    const at = now()
    const classes = classesOf(method, path).filter((name) => limits[name] !== undefined)
    for (const name of classes) {
      const limit = limits[name]!
      const index = Math.floor(at / limit.perMillis)
      const window = windows[name]
      if (window.index !== index) {
        window.index = index
        window.count = 0
      }
      if (window.count >= limit.requests) {
        refused[name]++
        over.add(`${name}:${index}`)
        const retryAfter = Math.max(1, Math.ceil(((index + 1) * limit.perMillis - at) / 1000))
        return {
          status: 429,
          json: { error: `rate limit exceeded: ${limit.requests} ${name} requests per ${limit.perMillis / 1000} s` },
          headers: { "retry-after": String(retryAfter) }
        }
      }
    }
    for (const name of classes) {
      const window = windows[name]
      window.count++
      accepted[name]++
      busiest[name] = Math.max(busiest[name], window.count)
    }
    return undefined
  }

  const stats = (): RateLimitStats => ({
    accepted: { ...accepted },
    refused: { ...refused },
    windowsOverLimit: over.size,
    busiestWindow: { ...busiest }
  })

  return { check, stats }
}
