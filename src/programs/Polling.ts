/**
 * Polling, in one place: every `…WithPolling` program of the SDK runs through {@link poll} or, when
 * the caller can stop it early, {@link pollStoppable}.
 *
 * {@link PollingOptions} mirrors nextmv-py's `PollingOptions` (same fields, same defaults);
 * callers may pass any `Schedule` instead. Interrupting the fiber stops polling at once (the sleep
 * and the in-flight check are interrupted).
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, FiberRef, LogLevel, Option, Random, Schedule, type Tracer } from "effect"
import { InvalidArgumentError, PollingTimeoutError, PollingTriesExhaustedError } from "../Errors.js"
import { type DefaultPolling, NextmvDefaults } from "../internal/defaults.js"
import { isRecordObject, requireObject } from "../internal/validate.js"

/**
 * nextmv-py's polling options (`nextmv.PollingOptions`, used by `poll` and every
 * `*_with_polling` method of `nextmv.cloud.Application`). With the defaults the checks happen at
 * 1 s, then after sleeps of about 1.9, 3.7, 7.3, 14.5 and then 20 s each (plus up to 1 s jitter),
 * for at most 100 checks or 300 s.
 *
 * nextmv-py's `stop` callback is not an option here: give it to the `…Stoppable` entry points
 * ({@link pollStoppable}, `runResultWithPollingStoppable`, …), which succeed with an `Option`.
 */
export interface PollingOptions {
  /** Exponential factor: the n-th sleep is `delay + backoff · 2^n`. Default 0.9 s. */
  readonly backoff: Duration.DurationInput
  /** Base delay added to every computed sleep. Default 0.1 s. */
  readonly delay: Duration.DurationInput
  /** Sleep before the first check. Default 1 s. */
  readonly initialDelay: Duration.DurationInput
  /**
   * Cap of the computed sleep (jitter is added after the cap), and of every sleep that
   * `sleepDuration` (a server hint) asks for. Default 20 s.
   */
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
   * When set, replaces the backoff formula: each sleep is what this effect returns (e.g. a
   * server's hint), capped by `maxDelay` and by what is left of `maxDuration`; when it returns
   * `undefined` that sleep follows the formula.
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

/** What polling programs accept: some of the options (the rest default), or any `Schedule`. */
export type PollingInput = Partial<PollingOptions> | Schedule.Schedule<unknown, unknown>

/** What {@link poll} needs besides the check. */
export interface PollConfig<A> {
  /** `true` when the checked value is final (e.g. a terminal run status). */
  readonly until: (value: A) => boolean
  /** A short status of a value, for error messages and logs (e.g. `metadata.status_v2`). */
  readonly status?: ((value: A) => string | undefined) | undefined
  /**
   * Polling options or a `Schedule`. Options not given here come from the program-wide
   * `NextmvDefaults.polling`, then {@link defaultPollingOptions} (see {@link currentPollingOptions}).
   */
  readonly polling?: PollingInput | undefined
  /**
   * The span the checks and the loop's own logs run under. Default: the current span. For a
   * program that opens its span with `Effect.useSpan` and waits outside `Effect.withSpan` (which
   * keeps its machinery on the fiber for as long as the wait lasts; the run programs do this so
   * that thousands of runs can wait at once).
   */
  readonly parentSpan?: Tracer.AnySpan | undefined
}

/** nextmv-py's `stop`, taken by the `…Stoppable` entry points. */
export interface StopOption {
  /** Asked before every check; `true` ends polling **without an error**, as `Option.none()`. */
  readonly stop: Effect.Effect<boolean>
}

/** What {@link pollStoppable} needs: {@link PollConfig} and nextmv-py's `stop`. */
export interface StoppablePollConfig<A> extends PollConfig<A>, StopOption {}

/**
 * The errors polling adds to those of the check: it gave up, or the polling options were not
 * valid (`InvalidArgumentError`, before the first check).
 */
export type PollingError = PollingTimeoutError | PollingTriesExhaustedError | InvalidArgumentError

const durationKeys = ["backoff", "delay", "initialDelay", "maxDelay", "maxDuration", "jitter"] as const

/** The options with every duration decoded; a value that is not a duration is an `InvalidArgumentError`. */
const validOptions = (options: PollingOptions): Effect.Effect<PollingOptions, InvalidArgumentError> =>
  Effect.gen(function*() {
    const decoded: Record<string, Duration.Duration> = {}
    for (const key of durationKeys) {
      const value: unknown = options[key]
      // A negative number is a valid (unlimited) maxDuration; NaN is no duration at all.
      const duration = typeof value === "number" && value < 0 ? Option.some(Duration.infinity) : Duration.decodeUnknown(value)
      if (Option.isNone(duration) || (typeof value === "number" && Number.isNaN(value))) {
        return yield* new InvalidArgumentError({ operation: "Polling.poll", reason: `polling.${key} must be a duration` })
      }
      decoded[key] = duration.value
    }
    const maxTries: unknown = options.maxTries
    if (typeof maxTries !== "number" || Number.isNaN(maxTries)) {
      return yield* new InvalidArgumentError({ operation: "Polling.poll", reason: "polling.maxTries must be a number" })
    }
    const sleepDuration: unknown = options.sleepDuration
    if (sleepDuration !== undefined && !Effect.isEffect(sleepDuration)) {
      return yield* new InvalidArgumentError({ operation: "Polling.poll", reason: "polling.sleepDuration must be an Effect" })
    }
    return options
  })

/** The fields of `polling` that are set (a default left `undefined` keeps the built-in value). */
const definedFields = (polling: DefaultPolling = {}): Partial<PollingOptions> => {
  const { backoff, delay, initialDelay, jitter, maxDelay, maxDuration, maxTries } = polling
  return {
    ...(backoff !== undefined ? { backoff } : {}),
    ...(delay !== undefined ? { delay } : {}),
    ...(initialDelay !== undefined ? { initialDelay } : {}),
    ...(jitter !== undefined ? { jitter } : {}),
    ...(maxDelay !== undefined ? { maxDelay } : {}),
    ...(maxDuration !== undefined ? { maxDuration } : {}),
    ...(maxTries !== undefined ? { maxTries } : {})
  }
}

/**
 * The polling options in effect before a call's own: {@link defaultPollingOptions} with the
 * program-wide `NextmvDefaults.polling` on top. Every polling loop (and the run tracker) starts
 * from these.
 *
 * @example
 * ```ts
 * const { maxDuration } = yield* currentPollingOptions
 * ```
 */
export const currentPollingOptions: Effect.Effect<PollingOptions> = Effect.map(
  NextmvDefaults,
  (defaults) => ({ ...defaultPollingOptions, ...definedFields(defaults.polling) })
)

/**
 * Checks `polling` as {@link poll} does before its first check: `undefined`, a `Schedule`, or
 * options whose durations and `maxTries` are valid. Fails with `InvalidArgumentError`.
 */
export const validatePolling = (polling: unknown): Effect.Effect<void, InvalidArgumentError> => {
  if (polling === undefined || Schedule.isSchedule(polling)) return Effect.void
  if (typeof polling !== "object" || polling === null || Array.isArray(polling)) {
    return new InvalidArgumentError({ operation: "Polling.poll", reason: "polling must be options or a Schedule" })
  }
  return Effect.asVoid(validOptions({ ...defaultPollingOptions, ...polling }))
}

/** Checks nextmv-py's `stop` as {@link pollStoppable} does: an `Effect<boolean>`. */
export const validateStop = (stop: unknown): Effect.Effect<void, InvalidArgumentError> =>
  Effect.isEffect(stop)
    ? Effect.void
    : new InvalidArgumentError({ operation: "Polling.pollStoppable", reason: "stop must be an Effect<boolean>" })

/**
 * Checks the options of a program that first creates something (a run, an experiment, a test)
 * and then polls it: the options object, its `polling` and, for the `…Stoppable` programs, its
 * `stop` — before the first request, so that options that polling would refuse send nothing.
 *
 * @example
 * ```ts
 * yield* validatePollingProgram("Runs.newRunWithResult", { input, polling: { maxDuration: "10 minutes" } }, { stoppable: false })
 * ```
 */
export const validatePollingProgram = (
  operation: string,
  options: unknown,
  { stoppable }: { readonly stoppable: boolean }
): Effect.Effect<void, InvalidArgumentError> =>
  Effect.gen(function*() {
    if (!isRecordObject(options)) return yield* requireObject(operation, "options", options)
    yield* validatePolling("polling" in options ? options.polling : undefined)
    if (stoppable) yield* validateStop("stop" in options ? options.stop : undefined)
  })

/** Whether a `maxDuration` means "no limit" (negative number or infinite duration). */
export const isUnlimited = (duration: Duration.DurationInput): boolean =>
  (typeof duration === "number" && duration < 0) || !Duration.isFinite(Duration.decode(duration))

/**
 * nextmv-py's sleep after the `tries`-th unsuccessful check (1-based), in milliseconds:
 * `min(maxDelay, delay + backoff · 2^tries) + random · jitter` with `random` in [0, 1). The formula
 * is increasing, so `min` is nextmv-py's "once max_delay is reached, stay there". Used by
 * {@link poll} and by the run tracker, so the SDK has one polling formula.
 */
export const pollingDelayMillis = (options: PollingOptions, tries: number, random: number): number =>
  Math.min(
    Duration.toMillis(options.maxDelay),
    Duration.toMillis(options.delay) + Duration.toMillis(options.backoff) * 2 ** tries
  ) + random * Duration.toMillis(options.jitter)

/**
 * The sleep after the n-th unsuccessful check (`recurrence` = n − 1): `sleepDuration`'s answer
 * capped by `maxDelay` and `budgetMillis` (what is left of `maxDuration`, `Infinity` when
 * unlimited), or else nextmv-py's formula ({@link pollingDelayMillis}).
 */
const nextSleep = (o: PollingOptions, recurrence: number, budgetMillis: number): Effect.Effect<Duration.Duration> => {
  const formula = Effect.map(Random.next, (random) => Duration.millis(pollingDelayMillis(o, recurrence + 1, random)))
  if (o.sleepDuration === undefined) return formula
  return Effect.flatMap(o.sleepDuration, (given) => {
    if (given === undefined) return formula
    // A hint is a server's word (e.g. live logs' `next_available_in_seconds`, which may be 86400
    // or 1e308): it never makes polling sleep past its own limits.
    const millis = Duration.toMillis(Duration.decode(given))
    const capped = Math.min(Number.isNaN(millis) ? 0 : millis, Duration.toMillis(o.maxDelay), budgetMillis)
    return Effect.succeed(Duration.millis(Math.max(0, capped)))
  })
}

/**
 * The sleeps of nextmv-py's algorithm as a `Schedule` (see {@link PollingOptions}). It never ends
 * by itself, and it knows nothing of `maxDuration`: {@link poll} enforces `maxTries` and
 * `maxDuration` itself so that each has its own typed error. Options not given are the built-in
 * {@link defaultPollingOptions} (a pure value: the program-wide `NextmvDefaults` are not read here;
 * use {@link currentPollingOptions} for those).
 */
export const pollingSchedule = (options: Partial<PollingOptions> = {}): Schedule.Schedule<number, unknown> => {
  const o = { ...defaultPollingOptions, ...options }
  return Schedule.forever.pipe(Schedule.modifyDelayEffect((recurrence) => nextSleep(o, recurrence, Infinity)))
}

const isSpanOrUndefined = (span: unknown): boolean =>
  span === undefined ||
  (isRecordObject(span) && (span["_tag"] === "Span" || span["_tag"] === "ExternalSpan") && typeof span["spanId"] === "string")

/**
 * A debug line of the polling loop, annotated per line (nothing stays on the fiber), and built only
 * when the fiber's minimum log level lets debug lines through (by default it does not: then a
 * check costs no log machinery at all).
 */
const logPolling = (
  message: string,
  annotations: () => Record<string, unknown>,
  parentSpan: Tracer.AnySpan | undefined
): Effect.Effect<void> =>
  Effect.flatMap(FiberRef.get(FiberRef.currentMinimumLogLevel), (minimum) => {
    if (LogLevel.greaterThan(minimum, LogLevel.Debug)) return Effect.void
    const line = Effect.logDebug(message).pipe(
      Effect.annotateLogs({ package: "nextmv-effect", module: "Polling", ...annotations() })
    )
    return parentSpan === undefined ? line : Effect.withParentSpan(line, parentSpan)
  })

/**
 * The state of one polling loop between two checks, and its steps. Made for many loops waiting at
 * once (e.g. 1,000 runs): between two checks a loop holds this object, its sleep and one
 * continuation — no generator, no log-annotation or `Schedule` machinery on the fiber's stack. Its
 * steps are methods and its one closure is made in {@link PollLoop.constructor}, so that nothing
 * of the scope that built the loop (e.g. a run's input) stays reachable while it waits.
 */
class PollLoop<A, B, E, R> {
  tries = 0
  last: A | undefined = undefined
  start = 0
  /** A user `Schedule`'s driver: sleeps, `false` when the schedule has ended. */
  next: ((value: A) => Effect.Effect<boolean>) | undefined = undefined
  /** One check and what follows it (suspended, so that it can be run again). */
  readonly step: Effect.Effect<B, E | PollingError, R>
  constructor(
    /**
     * The fiber's clock, read once: its `sleep` directly, rather than `Effect.sleep` looking it
     * up in the fiber's services on every sleep (and keeping that lookup while it sleeps).
     */
    readonly clock: Clock.Clock,
    readonly check: Effect.Effect<A, E, R>,
    readonly until: (value: A) => boolean,
    readonly status: ((value: A) => string | undefined) | undefined,
    readonly finish: (value: A) => B,
    readonly stopped: Effect.Effect<Option.Option<B>> | undefined,
    readonly options: PollingOptions,
    readonly maxTries: number,
    readonly maxDurationMillis: number,
    readonly parentSpan: Tracer.AnySpan | undefined
  ) {
    this.step = Effect.suspend(() => this.once())
  }
  statusOf(value: A | undefined): string | undefined {
    return value === undefined || this.status === undefined ? undefined : this.status(value)
  }
  /** Runs `effect` under the loop's parent span, if it has one. */
  within<X, E2, R2>(effect: Effect.Effect<X, E2, R2>): Effect.Effect<X, E2, R2> {
    return this.parentSpan === undefined ? effect : Effect.withParentSpan(effect, this.parentSpan)
  }
  /** The first step, once the initial delay is over (or the driver made). */
  begin(now: number): Effect.Effect<B, E | PollingError, R> {
    this.start = now
    return this.step
  }
  once(): Effect.Effect<B, E | PollingError, R> {
    if (this.stopped === undefined) return this.checkOnce()
    return Effect.flatMap(this.stopped, (stop) =>
      Option.isSome(stop)
        ? Effect.as(logPolling("polling stopped on request", () => ({ tries: this.tries }), this.parentSpan), stop.value)
        : this.checkOnce())
  }
  checkOnce(): Effect.Effect<B, E | PollingError, R> {
    this.tries++
    return Effect.flatMap(this.within(this.check), (value) => this.checked(value))
  }
  exhausted(): PollingTriesExhaustedError {
    return new PollingTriesExhaustedError({ tries: this.tries, lastStatus: this.statusOf(this.last), lastObserved: this.last })
  }
  checked(value: A): Effect.Effect<B, E | PollingError, R> {
    this.last = value
    if (this.until(value)) return Effect.succeed(this.finish(value))
    return Effect.flatMap(this.clock.currentTimeMillis, (now) => this.after(value, now - this.start))
  }
  /** After an unsuccessful check: give up, or sleep and check again. */
  after(value: A, elapsed: number): Effect.Effect<B, E | PollingError, R> {
    const { maxDurationMillis, maxTries, tries } = this
    const logged = logPolling(
      "polled",
      () => ({ tries, elapsedMillis: elapsed, status: this.statusOf(value) ?? "-" }),
      this.parentSpan
    )
    if (maxDurationMillis >= 0 && elapsed >= maxDurationMillis) {
      return Effect.zipRight(
        logged,
        new PollingTimeoutError({
          elapsedMillis: elapsed,
          maxDurationMillis,
          tries,
          lastStatus: this.statusOf(value),
          lastObserved: value
        })
      )
    }
    if (maxTries >= 0 && tries >= maxTries) return Effect.zipRight(logged, this.exhausted())
    if (this.next !== undefined) {
      return Effect.zipRight(logged, Effect.flatMap(this.next(value), (more) => more ? this.step : this.exhausted()))
    }
    const budget = maxDurationMillis >= 0 ? maxDurationMillis - elapsed : Infinity
    return logged.pipe(
      Effect.zipRight(nextSleep(this.options, tries - 1, budget)),
      Effect.flatMap((sleep) => Effect.zipRight(this.clock.sleep(sleep), this.step))
    )
  }
}

/** The loop's driver of a user `Schedule` (made here, so that its closure keeps the driver only). */
const driverNext = <A>(driver: Schedule.ScheduleDriver<unknown, unknown>) => (value: A): Effect.Effect<boolean> =>
  Effect.match(driver.next(value), { onFailure: () => false, onSuccess: () => true })

/** Starts a built loop: the initial delay (or the schedule's driver), then the first check. */
const startLoop = <A, B, E, R>(
  loop: PollLoop<A, B, E, R>,
  userSchedule: Schedule.Schedule<unknown, unknown> | undefined
): Effect.Effect<B, E | PollingError, R> => {
  const begin = Effect.flatMap(loop.clock.currentTimeMillis, (now) => loop.begin(now))
  if (userSchedule === undefined) return Effect.zipRight(loop.clock.sleep(Duration.decode(loop.options.initialDelay)), begin)
  return Effect.flatMap(Schedule.driver(userSchedule), (driver) => {
    loop.next = driverNext(driver)
    return begin
  })
}

/**
 * The one polling loop. `finish` wraps a final value; `stopped`, when given, is asked before every
 * check and ends polling with its value when it has one. See {@link PollLoop}.
 */
const pollLoop = <A, B, E, R>(
  check: Effect.Effect<A, E, R>,
  config: PollConfig<A>,
  finish: (value: A) => B,
  stopped: Effect.Effect<Option.Option<B>> | undefined
): Effect.Effect<B, E | PollingError, R> =>
  Effect.suspend(() => {
    const { parentSpan, status, until } = config
    const polling = config.polling ?? {}
    const userSchedule = Schedule.isSchedule(polling) ? polling : undefined
    if (!isSpanOrUndefined(parentSpan)) {
      return new InvalidArgumentError({ operation: "Polling.poll", reason: "parentSpan must be a Tracer span" })
    }
    return Effect.zipRight(validatePolling(polling), currentPollingOptions).pipe(
      Effect.flatMap((base) => validOptions(userSchedule === undefined ? { ...base, ...polling } : base)),
      Effect.zip(Effect.clock),
      Effect.flatMap(([options, clock]) =>
        startLoop(
          new PollLoop(
            clock,
            check,
            until,
            status,
            finish,
            stopped,
            options,
            userSchedule === undefined ? options.maxTries : -1,
            userSchedule === undefined && !isUnlimited(options.maxDuration) ? Duration.toMillis(options.maxDuration) : -1,
            parentSpan
          ),
          userSchedule
        )
      )
    )
  })

/**
 * Runs `check` until `until` holds for its value, and returns that value (nextmv-py's `poll`).
 *
 * With {@link PollingOptions} (the default): sleep `initialDelay`, then check; after each
 * unsuccessful check fail with {@link PollingTimeoutError} once `maxDuration` has elapsed, with
 * {@link PollingTriesExhaustedError} once `maxTries` checks were made, else sleep (see
 * {@link PollingOptions}). With a `Schedule`: check, then let the schedule decide the next sleep;
 * when it ends, fail with {@link PollingTriesExhaustedError}. Errors of `check` end polling at
 * once. To stop early on request, use {@link pollStoppable}.
 *
 * (Unlike nextmv-py, no pointless sleep is taken after the last allowed try.)
 *
 * @example
 * ```ts
 * const metadata = yield* poll(runs.runInformation(appId, runId), {
 *   until: (m) => RunSchemas.isTerminalStatus(m.metadata.status_v2),
 *   status: (m) => m.metadata.status_v2,
 *   polling: { maxDuration: "10 minutes" }
 * })
 * ```
 */
export const poll = <A, E, R>(
  check: Effect.Effect<A, E, R>,
  config: PollConfig<A>
): Effect.Effect<A, E | PollingError, R> => pollLoop(check, config, (value: A) => value, undefined)

/**
 * {@link poll} with nextmv-py's `stop`: `stop` is asked before each check, and when it answers
 * `true` polling ends with `Option.none()` (typed, never an error). A final value comes back as
 * `Option.some(value)`.
 *
 * @example
 * ```ts
 * const shuttingDown = yield* Ref.make(false)
 * const metadata = yield* pollStoppable(runs.runInformation(appId, runId), {
 *   until: (m) => RunSchemas.isTerminalStatus(m.metadata.status_v2),
 *   stop: Ref.get(shuttingDown)
 * }) // Option<RunInformation>
 * ```
 */
export const pollStoppable = <A, E, R>(
  check: Effect.Effect<A, E, R>,
  config: StoppablePollConfig<A>
): Effect.Effect<Option.Option<A>, E | PollingError, R> =>
  Effect.isEffect(config.stop)
    ? pollLoop(
      check,
      config,
      Option.some,
      Effect.map(config.stop, (stop) => stop ? Option.some(Option.none<A>()) : Option.none())
    )
    : validateStop(config.stop).pipe(Effect.as(Option.none()))
