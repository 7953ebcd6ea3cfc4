/**
 * Polling, in one place: every `…WithPolling` program of the SDK runs through {@link poll}.
 *
 * {@link PollingOptions} mirrors nextmv-py's `PollingOptions` (same fields, same defaults) and is
 * turned into a `Schedule` by {@link pollingSchedule}; callers may pass any `Schedule` instead.
 * Interrupting the fiber stops polling at once (the sleep and the in-flight check are interrupted).
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Option, Random, Schedule } from "effect"
import { PollingTimeoutError, PollingTriesExhaustedError } from "../Errors.js"

/**
 * nextmv-py's polling options (spec client-and-runs §2.1). With the defaults the checks happen at
 * 1 s, then after sleeps of about 1.9, 3.7, 7.3, 14.5 and then 20 s each (plus up to 1 s jitter),
 * for at most 100 checks or 300 s.
 */
export interface PollingOptions {
  /** Exponential factor: the n-th sleep is `delay + backoff · 2^n`. Default 0.9 s. */
  readonly backoff: Duration.DurationInput
  /** Base delay added to every computed sleep. Default 0.1 s. */
  readonly delay: Duration.DurationInput
  /** Sleep before the first check. Default 1 s. */
  readonly initialDelay: Duration.DurationInput
  /** Cap of the computed sleep (jitter is added after the cap). Default 20 s. */
  readonly maxDelay: Duration.DurationInput
  /**
   * Time budget, measured from the first check and tested after each unsuccessful check; past it
   * polling fails with `PollingTimeoutError`. Default 300 s. `Duration.infinity` or a negative
   * number means unlimited.
   */
  readonly maxDuration: Duration.DurationInput
  /** Maximum number of checks; then `PollingTriesExhaustedError`. Default 100; negative = unlimited. */
  readonly maxTries: number
  /** Upper bound of the uniform random noise added to each sleep; 0 disables. Default 1 s. */
  readonly jitter: Duration.DurationInput
  /**
   * When set, replaces the backoff formula: each sleep is what this effect returns; when it
   * returns `undefined` that sleep follows the formula (e.g. a server gave no hint).
   */
  readonly sleepDuration?: Effect.Effect<Duration.DurationInput | undefined> | undefined
}

/** nextmv-py's defaults. */
export const defaultPollingOptions: PollingOptions = {
  backoff: Duration.millis(900),
  delay: Duration.millis(100),
  initialDelay: Duration.seconds(1),
  maxDelay: Duration.seconds(20),
  maxDuration: Duration.seconds(300),
  maxTries: 100,
  jitter: Duration.seconds(1)
}

/**
 * nextmv-py's `stop`: asked before every check; `true` ends polling **without an error**. Options
 * that carry it make the polling programs succeed with an `Option` (`None` = stopped), see
 * {@link Polled}.
 */
export interface StopOption {
  readonly stop: Effect.Effect<boolean>
}

/**
 * What polling programs accept: some of the options (the rest default), optionally with `stop`,
 * or any `Schedule`.
 */
export type PollingInput =
  | Partial<PollingOptions>
  | (Partial<PollingOptions> & StopOption)
  | Schedule.Schedule<unknown, unknown>

/**
 * The success type of a polling program: `Option<A>` when the options carry `stop` (a stop
 * request ends polling with `Option.none()` — typed, never a crash or an error), else `A`.
 */
export type Polled<P, A> = P extends StopOption ? Option.Option<A> : A

/** What {@link poll} needs besides the check. */
export interface PollConfig<A, P extends PollingInput> {
  /** `true` when the checked value is final (e.g. a terminal run status). */
  readonly until: (value: A) => boolean
  /** A short status of a value, for error messages and logs (e.g. `metadata.status_v2`). */
  readonly status?: ((value: A) => string | undefined) | undefined
  /** Polling options (defaults: {@link defaultPollingOptions}) or a `Schedule`. */
  readonly polling?: P | undefined
}

/** Whether a `maxDuration` means "no limit" (negative number or infinite duration). */
export const isUnlimited = (duration: Duration.DurationInput): boolean =>
  (typeof duration === "number" && duration < 0) || !Duration.isFinite(Duration.decode(duration))

/**
 * nextmv-py's sleep after the `tries`-th unsuccessful check (1-based), in milliseconds:
 * `min(maxDelay, delay + backoff · 2^tries) + random · jitter` with `random` in [0, 1). The formula
 * is increasing, so `min` is nextmv-py's "once max_delay is reached, stay there". Used by
 * {@link pollingSchedule} and by the run tracker, so the SDK has one polling formula.
 */
export const pollingDelayMillis = (options: PollingOptions, tries: number, random: number): number =>
  Math.min(
    Duration.toMillis(options.maxDelay),
    Duration.toMillis(options.delay) + Duration.toMillis(options.backoff) * 2 ** tries
  ) + random * Duration.toMillis(options.jitter)

/**
 * The sleeps of nextmv-py's algorithm as a `Schedule`: after the n-th unsuccessful check (n = 1,
 * 2, …) it waits `min(maxDelay, delay + backoff · 2^n) + U[0, jitter)`, or what `sleepDuration`
 * returns. It never ends by itself: {@link poll} enforces `maxTries` and `maxDuration` so that each
 * has its own typed error.
 */
export const pollingSchedule = (options: Partial<PollingOptions> = {}): Schedule.Schedule<number, unknown> => {
  const o = { ...defaultPollingOptions, ...options }
  const sleepDuration = o.sleepDuration
  return Schedule.forever.pipe(
    Schedule.modifyDelayEffect((recurrence) => {
      // `recurrence` counts from 0; nextmv-py's exponent is the 1-based try number.
      const formula = Effect.map(Random.next, (random) => Duration.millis(pollingDelayMillis(o, recurrence + 1, random)))
      return sleepDuration === undefined
        ? formula
        : Effect.flatMap(sleepDuration, (given) => given === undefined ? formula : Effect.succeed(given))
    })
  )
}

/**
 * Runs `check` until `until` holds for its value, and returns that value.
 *
 * With {@link PollingOptions} (the default): sleep `initialDelay`, then check; after each
 * unsuccessful check fail with {@link PollingTimeoutError} once `maxDuration` has elapsed, with
 * {@link PollingTriesExhaustedError} once `maxTries` checks were made, else sleep per
 * {@link pollingSchedule}. `stop` is asked before each check; when it answers `true` the result is
 * `Option.none()`. With a `Schedule`: check, then let the schedule decide the next sleep; when it
 * ends, fail with {@link PollingTriesExhaustedError}. Errors of `check` end polling at once.
 *
 * (Unlike nextmv-py, no pointless sleep is taken after the last allowed try.)
 *
 * @example
 * ```ts
 * const metadata = yield* poll(runs.runMetadata(appId, runId), {
 *   until: (m) => isTerminalStatus(m.metadata.status_v2),
 *   status: (m) => m.metadata.status_v2,
 *   polling: { maxDuration: "10 minutes" }
 * })
 * ```
 */
export const poll = <A, E, R, const P extends PollingInput = {}>(
  check: Effect.Effect<A, E, R>,
  config: PollConfig<A, P>
): Effect.Effect<Polled<P, A>, E | PollingTimeoutError | PollingTriesExhaustedError, R> =>
  Effect.suspend(() => {
    const input: PollingInput = config.polling ?? {}
    const userSchedule = Schedule.isSchedule(input) ? input : undefined
    const given: Partial<PollingOptions> & Partial<StopOption> = userSchedule === undefined
      ? input as Partial<PollingOptions> & Partial<StopOption>
      : {}
    const options: PollingOptions = { ...defaultPollingOptions, ...given }
    const stop = given.stop
    const schedule = userSchedule ?? pollingSchedule(options)
    const maxTries = userSchedule === undefined ? options.maxTries : -1
    const maxDurationMillis = userSchedule === undefined && !isUnlimited(options.maxDuration)
      ? Duration.toMillis(options.maxDuration)
      : -1
    const statusOf = (value: A | undefined) => value === undefined ? undefined : config.status?.(value)

    const loop = Effect.gen(function*() {
      if (userSchedule === undefined) yield* Effect.sleep(options.initialDelay)
      const driver = yield* Schedule.driver(schedule)
      const start = yield* Clock.currentTimeMillis
      let tries = 0
      let last: A | undefined
      while (true) {
        if (stop !== undefined && (yield* stop)) {
          yield* Effect.logDebug("polling stopped on request").pipe(Effect.annotateLogs("tries", tries))
          return Option.none<A>()
        }
        tries++
        const value = yield* check
        last = value
        if (config.until(value)) return Option.some(value)
        const elapsed = (yield* Clock.currentTimeMillis) - start
        yield* Effect.logDebug("polled").pipe(
          Effect.annotateLogs({ tries, elapsedMillis: elapsed, status: statusOf(value) ?? "-" })
        )
        if (maxDurationMillis >= 0 && elapsed >= maxDurationMillis) {
          return yield* new PollingTimeoutError({
            elapsedMillis: elapsed,
            maxDurationMillis,
            tries,
            lastStatus: statusOf(last),
            lastObserved: last
          })
        }
        if (maxTries >= 0 && tries >= maxTries) break
        const next = yield* Effect.either(driver.next(value))
        if (next._tag === "Left") break
      }
      return yield* new PollingTriesExhaustedError({ tries, lastStatus: statusOf(last), lastObserved: last })
    }).pipe(Effect.annotateLogs({ package: "nextmv-effect", module: "Polling" }))

    // The casts only re-label the runtime value for the conditional type `Polled<P, A>`: an
    // `Option` when `stop` was given, else the value itself (`None` only ever comes from `stop`).
    return (stop !== undefined ? loop : Effect.map(loop, Option.getOrUndefined)) as Effect.Effect<
      Polled<P, A>,
      E | PollingTimeoutError | PollingTriesExhaustedError,
      R
    >
  })
