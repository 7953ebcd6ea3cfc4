/**
 * The program-wide defaults (the public module is `NextmvDefaults.ts`): one `Context.Reference`
 * read by the client when it is built (retry, timeouts, console URL) and by the polling programs
 * when they run (polling options, cancel bound). Without it every value is the SDK's built-in
 * default, so nothing requires it.
 */
import { Context, type Duration } from "effect"
import type { RetryOptions } from "./retry.js"

/**
 * Default polling options: the fields of `Polling.PollingOptions` that a program-wide default can
 * set (a server hint, `sleepDuration`, belongs to one loop and is not one of them).
 */
export interface DefaultPolling {
  readonly backoff?: Duration.DurationInput | undefined
  readonly delay?: Duration.DurationInput | undefined
  readonly initialDelay?: Duration.DurationInput | undefined
  readonly maxDelay?: Duration.DurationInput | undefined
  readonly maxDuration?: Duration.DurationInput | undefined
  readonly maxTries?: number | undefined
  readonly jitter?: Duration.DurationInput | undefined
}

/**
 * Defaults for a whole program. Every field is optional; a field that is not set keeps the SDK's
 * built-in default. Per-call and per-client options always win over these.
 */
export interface Defaults {
  /**
   * Polling options of every polling program (`runResultWithPolling`, `newRunWithResult`,
   * `batchExperimentWithPolling`, `Polling.poll`, the run tracker, …), merged key by key under the
   * options of each call: `{ ...builtIn, ...defaults.polling, ...call.polling }`. A call that
   * passes a `Schedule` uses that schedule alone.
   */
  readonly polling?: DefaultPolling | undefined
  /** Retry policy of clients built under these defaults, merged key by key under the client's `retry`. */
  readonly retry?: Partial<RetryOptions> | undefined
  /** Idle timeout of clients built under these defaults (client option `timeout`). */
  readonly timeout?: Duration.DurationInput | undefined
  /** Connect timeout of clients built under these defaults (client option `connectTimeout`). */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** Total deadline of one call, for clients built under these defaults (client option `deadline`). */
  readonly deadline?: Duration.DurationInput | undefined
  /** Console URL for run deep links of clients built under these defaults (client option `consoleUrl`). */
  readonly consoleUrl?: string | undefined
  /** Bound of the cancel sent when a run program with `cancelOnInterrupt` is interrupted. */
  readonly cancelTimeout?: Duration.DurationInput | undefined
}

/**
 * The defaults in effect: `{}` (the SDK's built-in values) unless a program provides others.
 */
export class NextmvDefaults extends Context.Reference<NextmvDefaults>()("nextmv-effect/NextmvDefaults", {
  defaultValue: (): Defaults => ({})
}) {}

/** The fields of a default `retry` that are set (one left `undefined` keeps the built-in value). */
export const definedRetry = (retry: Partial<RetryOptions> = {}): Partial<RetryOptions> => {
  const { backoffFactor, backoffJitter, backoffMax, maxRetryAfter, retries } = retry
  return {
    ...(retries !== undefined ? { retries } : {}),
    ...(backoffFactor !== undefined ? { backoffFactor } : {}),
    ...(backoffJitter !== undefined ? { backoffJitter } : {}),
    ...(backoffMax !== undefined ? { backoffMax } : {}),
    ...(maxRetryAfter !== undefined ? { maxRetryAfter } : {})
  }
}
