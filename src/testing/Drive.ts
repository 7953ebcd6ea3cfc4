/**
 * Deterministic time for tests against the emulator. Inside `it.effect` the emulator reads the
 * `TestClock` (see `EmulatorOptions.clock`), so virtual time moves runs, experiments, live logs and
 * presigned URL expiry exactly as far as the test moves it. {@link drive} runs a program that
 * sleeps (polling, retry backoff) to completion by moving the `TestClock` to each wake-up time in
 * turn — and only when a fiber is actually asleep — while HTTP still happens over real sockets.
 * The result never depends on how fast the machine is.
 *
 * @since 0.1.0
 */
import { Chunk, Clock, Data, Duration, Effect, Fiber, Option, TestClock, TestServices } from "effect"

/** {@link drive} gave up: the program neither finished nor slept within the real-time bound. */
export class DriveTimeoutError extends Data.TaggedError("DriveTimeoutError")<{
  readonly message: string
}> {}

/** Options of {@link drive}. */
export interface DriveOptions {
  /**
   * How far ahead a wake-up time may lie to be jumped to. Default 10 minutes. Pending sleeps
   * further away (such as per-attempt request timeouts) are never reached by jumping: give the
   * client a per-attempt timeout longer than the virtual time the test spans (the test layers of
   * this repository use one hour), or a request in flight could time out in virtual time.
   */
  readonly horizon?: Duration.DurationInput | undefined
  /**
   * Bound on the real time spent waiting for I/O between two jumps (the program is stuck, not
   * slow, when it is reached). Default 30 seconds.
   */
  readonly stuckAfter?: Duration.DurationInput | undefined
}

/** One turn of the event loop, so that socket and file I/O progress (no wall-clock wait). */
const eventLoopTurn = (idleTurns: number) =>
  Effect.async<void>((resume) => {
    if (idleTurns < 50) {
      const handle = setImmediate(() => resume(Effect.void))
      return Effect.sync(() => clearImmediate(handle))
    }
    // Long I/O (large files, a loaded machine): stop spinning, look again every millisecond.
    const handle = setTimeout(() => resume(Effect.void), 1)
    return Effect.sync(() => clearTimeout(handle))
  })

const realMillis = TestServices.provideLive(Clock.currentTimeMillis)

/** The earliest pending wake-up of the `TestClock` within `horizon` of now, if any. */
const nextWakeUp = (horizon: number) =>
  Effect.gen(function*() {
    const now = yield* TestClock.currentTimeMillis
    const next = Chunk.reduce(
      yield* TestClock.sleeps(),
      Number.POSITIVE_INFINITY,
      (earliest, at) => (at > now && at - now <= horizon && at < earliest ? at : earliest)
    )
    return Number.isFinite(next) ? Option.some(next) : Option.none<number>()
  })

/**
 * The shared loop: until `check` yields a value, jump the `TestClock` to the next wake-up within
 * the horizon (when `jump`), else turn the event loop; give up after `stuckAfter` of real time
 * without progress.
 */
const loop = <A, E, R>(
  check: Effect.Effect<Option.Option<A>, E, R>,
  options: DriveOptions,
  jump: boolean,
  what: string
): Effect.Effect<A, E | DriveTimeoutError, R> =>
  Effect.gen(function*() {
    const horizon = Duration.toMillis(options.horizon ?? Duration.minutes(10))
    const stuckAfter = Duration.toMillis(options.stuckAfter ?? Duration.seconds(30))
    let idleTurns = 0
    let idleSince = yield* realMillis
    while (true) {
      const done = yield* check
      if (Option.isSome(done)) return done.value
      const next = jump ? yield* nextWakeUp(horizon) : Option.none<number>()
      if (Option.isSome(next)) {
        yield* TestClock.setTime(next.value)
        idleTurns = 0
        idleSince = yield* realMillis
        continue
      }
      if ((yield* realMillis) - idleSince > stuckAfter) {
        const now = yield* TestClock.currentTimeMillis
        return yield* new DriveTimeoutError({
          message: `${what} for ${Duration.format(stuckAfter)} of real time (virtual time ${now} ms` +
            (jump ? `; wake-ups beyond the ${Duration.format(horizon)} horizon are not jumped to)` : ")")
        })
      }
      yield* eventLoopTurn(idleTurns++)
    }
  })

/**
 * Runs `effect` under the `TestClock` until it completes: whenever it waits on a sleep (polling
 * delay, retry backoff, live-log hint), the `TestClock` is set to the earliest pending wake-up
 * time; while it waits on I/O, the event loop turns and virtual time stands still. Use it inside
 * `it.effect` with the emulator layer built in the same test, so that the emulator's time is the
 * `TestClock`'s. A single polling fiber is driven deterministically; when several fibers run,
 * which of them sleeps while another waits on I/O depends on the machine — give such tests
 * explicit steps ({@link driveUntil}, {@link eventually}) instead.
 *
 * Fails with {@link DriveTimeoutError} when the program neither finishes nor sleeps for
 * `stuckAfter` of real time (the program is then interrupted).
 *
 * @example
 * ```ts
 * const TestLayer = Layers.services.pipe(
 *   Layer.provideMerge(Emulator.layerClient()),
 *   Layer.provide(Layer.merge(NodeHttpClient.layerUndici, NodeContext.layer))
 * )
 * it.effect("waits for the run", () =>
 *   Effect.gen(function*() {
 *     const runs = yield* Runs.Runs
 *     const runId = yield* runs.newRun("routing-app", { input: {} })
 *     const result = yield* drive(RunPrograms.runResultWithPolling("routing-app", runId))
 *     expect(result.metadata.status_v2).toBe("succeeded")
 *   }).pipe(Effect.provide(TestLayer)))
 * ```
 */
export const drive = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options: DriveOptions = {}
): Effect.Effect<A, E | DriveTimeoutError, R> =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    const exit = yield* loop(Fiber.poll(fiber), options, true, "drive: the program neither finished nor slept").pipe(
      Effect.onError(() => Fiber.interrupt(fiber))
    )
    return yield* exit
  })

/**
 * Moves the `TestClock` from wake-up to wake-up (as {@link drive} does) until `condition` holds;
 * the condition is checked before every jump, so the fibers are caught in the state that made it
 * true. Fails with {@link DriveTimeoutError} after `stuckAfter` of real time without progress.
 *
 * @example
 * ```ts
 * const emulator = yield* Emulator.Emulator
 * const poller = yield* Effect.fork(RunPrograms.runResultWithPolling(appId, runId))
 * // let it poll until it has asked three times and sleeps again
 * yield* driveUntil(Effect.map(emulator.requests, (r) => r.length >= 3))
 * ```
 */
export const driveUntil = <E, R>(
  condition: Effect.Effect<boolean, E, R>,
  options: DriveOptions = {}
): Effect.Effect<void, E | DriveTimeoutError, R> =>
  loop(
    Effect.map(condition, (holds) => (holds ? Option.some(undefined) : Option.none())),
    options,
    true,
    "driveUntil: the condition did not hold and nothing slept"
  )

/**
 * Turns the event loop until `condition` holds, with virtual time standing still (e.g. until a
 * request has reached the emulator). Fails with {@link DriveTimeoutError} after `stuckAfter` of
 * real time.
 */
export const eventually = <E, R>(
  condition: Effect.Effect<boolean, E, R>,
  options: Pick<DriveOptions, "stuckAfter"> = {}
): Effect.Effect<void, E | DriveTimeoutError, R> =>
  loop(
    Effect.map(condition, (holds) => (holds ? Option.some(undefined) : Option.none())),
    options,
    false,
    "eventually: the condition did not hold"
  )

/**
 * `true` when some fiber sleeps on the `TestClock` with a wake-up within `within` (default one
 * day) — a poller between two checks rather than in the middle of a request. Request timeouts of
 * the test clients lie further out.
 */
export const sleeping = (within: Duration.DurationInput = Duration.days(1)): Effect.Effect<boolean> =>
  Effect.map(nextWakeUp(Duration.toMillis(within)), Option.isSome)

/** The time until the earliest pending `TestClock` wake-up within `within` (default one day), if any. */
export const nextSleep = (within: Duration.DurationInput = Duration.days(1)): Effect.Effect<Option.Option<Duration.Duration>> =>
  Effect.gen(function*() {
    const now = yield* TestClock.currentTimeMillis
    return Option.map(yield* nextWakeUp(Duration.toMillis(within)), (at) => Duration.millis(at - now))
  })
