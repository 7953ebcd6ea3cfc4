/**
 * The retry policy of the HTTP pipeline, in one place.
 *
 * - GET, PUT, DELETE (and HEAD, OPTIONS): retried on 429, 500, 502, 503, 504, transport errors and
 *   per-attempt timeouts.
 * - POST and PATCH: retried only on 429 and on connection failures where the request was never
 *   sent (connection refused, DNS failure). Never after a timeout or a 5xx: a retried
 *   `POST …/runs` could create a duplicate run.
 * - The wait honours `Retry-After` (seconds or HTTP date), always capped at `maxRetryAfter` (a value
 *   too large for a timer, such as `86400`, `1e308` or a far-future date, waits the cap); otherwise it
 *   is urllib3's backoff, as nextmv-py: 0 before the first retry, then
 *   `min(backoffMax, backoffFactor · 2^(n-1) + U[0,1) · backoffJitter)` — 2, 4, 8, 16, 32, 60 … s.
 */
import { Duration } from "effect"

/** Settings of the retry policy; every field has a default (see {@link defaultRetryOptions}). */
export interface RetryOptions {
  /** Retries after the first attempt. Default 10 (nextmv-py's budget); `0` disables retries. */
  readonly retries: number
  /** Backoff factor. Default 1 second. */
  readonly backoffFactor: Duration.DurationInput
  /** Upper bound of the uniform jitter added to each backoff. Default 100 ms. */
  readonly backoffJitter: Duration.DurationInput
  /** Cap on one backoff wait. Default 60 seconds. */
  readonly backoffMax: Duration.DurationInput
  /** Cap on a server-requested `Retry-After` wait (every such wait is clamped to it). Default 60 seconds. */
  readonly maxRetryAfter: Duration.DurationInput
}

/** nextmv-py's numbers. */
export const defaultRetryOptions: RetryOptions = {
  retries: 10,
  backoffFactor: Duration.seconds(1),
  backoffJitter: Duration.millis(100),
  backoffMax: Duration.seconds(60),
  maxRetryAfter: Duration.seconds(60)
}

/** What one failed attempt tells the retry policy. */
export interface AttemptOutcome {
  readonly reason: "status" | "transport" | "timeout"
  readonly status?: number | undefined
  /** The connection failed before the request could be sent (safe to retry any method). */
  readonly neverSent?: boolean | undefined
  /** Parsed `Retry-After`, in milliseconds from now. */
  readonly retryAfterMillis?: number | undefined
}

const IDEMPOTENT_RETRY_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504])

/** Whether a failed attempt of `method` may be retried under the policy above. */
export const isRetryable = (method: string, outcome: AttemptOutcome): boolean => {
  const upper = method.toUpperCase()
  if (upper === "POST" || upper === "PATCH") {
    return (outcome.reason === "status" && outcome.status === 429) ||
      (outcome.reason === "transport" && outcome.neverSent === true)
  }
  switch (outcome.reason) {
    case "status":
      return outcome.status !== undefined && IDEMPOTENT_RETRY_STATUSES.has(outcome.status)
    case "transport":
    case "timeout":
      return true
  }
}

/**
 * The wait before retry number `retry` (1-based). `random` is a number in [0, 1).
 */
export const retryDelay = (
  options: RetryOptions,
  retry: number,
  outcome: AttemptOutcome,
  random: number
): Duration.Duration => {
  if (outcome.retryAfterMillis !== undefined) {
    // A server-given wait is always bounded by the cap (86400, 1e308, a date in year 9999 …).
    const cap = Duration.toMillis(options.maxRetryAfter)
    const asked = outcome.retryAfterMillis
    const wait = Number.isNaN(asked) ? 0 : Math.min(cap, Math.max(0, asked))
    return Number.isFinite(wait) ? Duration.millis(wait) : Duration.infinity
  }
  if (retry <= 1) return Duration.zero
  const factor = Duration.toMillis(options.backoffFactor)
  const jitter = Duration.toMillis(options.backoffJitter)
  const max = Duration.toMillis(options.backoffMax)
  return Duration.millis(Math.min(max, factor * 2 ** (retry - 1) + random * jitter))
}

/**
 * Parses a `Retry-After` header: delta seconds (`"120"`, `"1.5"`) or an HTTP date. Returns the
 * wait in milliseconds relative to `nowMillis`, or `undefined` when absent or unparsable.
 */
export const parseRetryAfter = (header: string | undefined, nowMillis: number): number | undefined => {
  if (header === undefined) return undefined
  const trimmed = header.trim()
  if (trimmed === "") return undefined
  // Delta seconds; a number too large for a double becomes Infinity, which the cap bounds.
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMillis)
}
