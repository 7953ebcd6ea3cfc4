/**
 * Run programs: wait for runs, fetch their results, follow their logs and status — all built on
 * the one polling loop of `Polling.ts`.
 *
 * Difference from nextmv-py: a run that ends `failed` or `canceled` makes the `…WithResult`
 * programs fail with {@link RunFailedError} (carrying the fetched result), where nextmv-py returns
 * the result and leaves the status check to the caller.
 *
 * @since 0.1.0
 */
import { Chunk, Duration, Effect, Exit, Option, Queue, Ref, type Schedule, Stream, Take } from "effect"
import type { PollingTimeoutError, PollingTriesExhaustedError } from "../Errors.js"
import { isTerminalStatus, RunInformation, RunResult, type TimestampedRunLog } from "../schemas/Runs.js"
import {
  type NewRunOptions,
  type OutputDirOptions,
  type RunError,
  Runs,
  type TrackedRun,
  type TrackRunOptions
} from "../services/Runs.js"
import { type Polled, poll, type PollingInput, type PollingOptions } from "./Polling.js"
import { type RunFailedError, resultOrFailure } from "./RunFailedError.js"
import * as Tracker from "./RunTracker.js"

/** Polling settings for the streams: a stream is stopped by no longer consuming it, so no `stop`. */
export type StreamPolling = Partial<PollingOptions> | Schedule.Schedule<unknown, unknown>

export { RunFailedError } from "./RunFailedError.js"

/** Errors of the polling run programs. */
export type RunPollingError = RunError | PollingTimeoutError | PollingTriesExhaustedError

/** Options shared by the `…WithPolling` / `…WithResult` programs. */
export interface WaitOptions<P extends PollingInput> extends OutputDirOptions {
  /** Polling options (nextmv-py's defaults) or any `Schedule`. With a `stop` key the result is an `Option`. */
  readonly polling?: P | undefined
  /** When the program is interrupted, also cancel the remote run (`PATCH …/cancel`). Default `false`. */
  readonly cancelOnInterrupt?: boolean | undefined
}

const statusOf = (information: RunInformation) => information.metadata.status_v2

/** Interrupting `effect` cancels the run when asked to (best effort; the cancel error is logged). */
const cancellingOnInterrupt = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  appId: string,
  runId: string,
  cancel: boolean | undefined
) =>
  cancel === true
    ? Effect.flatMap(Runs, (runs) =>
      effect.pipe(
        Effect.onInterrupt(() =>
          runs.cancelRun(appId, runId).pipe(
            Effect.tapError((error) => Effect.logWarning(`could not cancel run ${runId}: ${error.message}`)),
            Effect.ignore
          )
        )
      ))
    : effect

/** Turns a final run into its result, or a {@link RunFailedError}. */
const finish = (appId: string, information: RunInformation, options: OutputDirOptions) =>
  Effect.flatMap(Runs, (runs) => Effect.flatMap(runs.runResultFor(appId, information, options), resultOrFailure))

/**
 * Polls the run's metadata until it is `succeeded`, `failed` or `canceled`, then fetches the
 * result (see `Runs.runResult` for large and multi-file outputs).
 *
 * Fails with {@link RunFailedError} for failed/canceled runs, `PollingTimeoutError` /
 * `PollingTriesExhaustedError` when polling gives up, and the HTTP errors of the requests.
 * Interrupting it stops polling at once; with `cancelOnInterrupt` the run is canceled too.
 *
 * @example
 * ```ts
 * const result = yield* runResultWithPolling("routing-app", runId, { polling: { maxDuration: "10 minutes" } })
 * ```
 */
export const runResultWithPolling = <const P extends PollingInput = {}>(
  appId: string,
  runId: string,
  options: WaitOptions<P> = {}
): Effect.Effect<Polled<P, RunResult>, RunPollingError | RunFailedError, Runs> =>
  Effect.gen(function*() {
    // With a RunTracker in the context, the run is followed by its scheduler (one result fetch).
    const tracker = yield* Effect.serviceOption(Tracker.RunTracker)
    if (Option.isSome(tracker) && Tracker.accepts(options.polling)) {
      return yield* tracker.value.await(appId, runId, { polling: options.polling, outputDir: options.outputDir })
    }
    const runs = yield* Runs
    const polled: Option.Option<RunInformation> | RunInformation = yield* poll(runs.runMetadata(appId, runId), {
      until: (information) => isTerminalStatus(statusOf(information)),
      status: statusOf,
      polling: options.polling
    })
    if (Option.isOption(polled)) {
      if (Option.isNone(polled)) return Option.none()
      return Option.some(yield* finish(appId, polled.value, options))
    }
    return yield* finish(appId, polled, options)
  }).pipe(
    (effect) => cancellingOnInterrupt(effect, appId, runId, options.cancelOnInterrupt),
    Effect.withSpan("Runs.runResultWithPolling", { attributes: { appId, runId } })
  ) as Effect.Effect<Polled<P, RunResult>, RunPollingError | RunFailedError, Runs>

/**
 * Submits a run and waits for its result: `Runs.newRun` then {@link runResultWithPolling}.
 *
 * @example
 * ```ts
 * const result = yield* newRunWithResult("routing-app", {
 *   input: { stops: [], vehicles: [] },
 *   options: { "solve.duration": "10s" },
 *   polling: { maxDuration: "5 minutes" },
 *   cancelOnInterrupt: true
 * })
 * console.log(result.output)
 * ```
 */
export const newRunWithResult = <const P extends PollingInput = {}>(
  appId: string,
  options: NewRunOptions & WaitOptions<P>
): Effect.Effect<Polled<P, RunResult>, RunPollingError | RunFailedError, Runs> =>
  Effect.flatMap(Runs, (runs) => runs.newRun(appId, options)).pipe(
    Effect.flatMap((runId) => runResultWithPolling(appId, runId, options)),
    Effect.withSpan("Runs.newRunWithResult", { attributes: { appId } })
  )

/**
 * Tracks an external run (`Runs.trackRun`) and waits for its result.
 */
export const trackRunWithResult = <const P extends PollingInput = {}>(
  appId: string,
  run: TrackedRun,
  options: TrackRunOptions & WaitOptions<P> = {}
): Effect.Effect<Polled<P, RunResult>, RunPollingError | RunFailedError, Runs> =>
  Effect.flatMap(Runs, (runs) => runs.trackRun(appId, run, options)).pipe(
    Effect.flatMap((runId) => runResultWithPolling(appId, runId, options)),
    Effect.withSpan("Runs.trackRunWithResult", { attributes: { appId } })
  )

/**
 * Runs `loop` (a polling effect that emits through `emit`) in a scoped fiber and exposes what it
 * emits as a `Stream`, ending when the loop ends and failing with its error. Interrupting the
 * stream's consumer interrupts the loop.
 */
const streamFromPolling = <A, E, R>(
  loop: (emit: (items: ReadonlyArray<A>) => Effect.Effect<void>) => Effect.Effect<unknown, E, R>
): Stream.Stream<A, E, R> =>
  Stream.unwrapScoped(
    Effect.gen(function*() {
      const queue = yield* Effect.acquireRelease(Queue.unbounded<Take.Take<A, E>>(), Queue.shutdown)
      const emit = (items: ReadonlyArray<A>) =>
        items.length === 0 ? Effect.void : Queue.offer(queue, Take.chunk(Chunk.fromIterable(items)))
      yield* loop(emit).pipe(
        Effect.exit,
        Effect.flatMap((exit) =>
          Queue.offer(queue, Exit.isSuccess(exit) ? Take.end : Take.failCause<E>(exit.cause))
        ),
        Effect.forkScoped
      )
      return Stream.fromQueue(queue).pipe(Stream.flattenTake)
    })
  )

/**
 * A stream of the run's metadata: one snapshot per status change (the first one included),
 * ending after the terminal status. Polls with `polling` (nextmv-py's defaults unless given) and
 * fails with the polling errors when it gives up. Stop consuming and the polling stops.
 *
 * @example
 * ```ts
 * yield* watchRun("routing-app", runId).pipe(
 *   Stream.runForEach((info) => Console.log(info.metadata.status_v2)))
 * ```
 */
export const watchRun = (
  appId: string,
  runId: string,
  options: { readonly polling?: StreamPolling | undefined } = {}
): Stream.Stream<RunInformation, RunPollingError, Runs> =>
  Stream.unwrap(Effect.map(Effect.serviceOption(Tracker.RunTracker), (tracker) =>
    Option.isSome(tracker) && Tracker.accepts(options.polling)
      ? tracker.value.changes(appId, runId, { polling: options.polling })
      : polledWatch(appId, runId, options))).pipe(Stream.withSpan("Runs.watchRun", { attributes: { appId, runId } }))

const polledWatch = (
  appId: string,
  runId: string,
  options: { readonly polling?: StreamPolling | undefined }
): Stream.Stream<RunInformation, RunPollingError, Runs> =>
  streamFromPolling<RunInformation, RunPollingError, Runs>((emit) =>
    Effect.gen(function*() {
      const runs = yield* Runs
      const last = yield* Ref.make<string | undefined>(undefined)
      const check = runs.runMetadata(appId, runId).pipe(
        Effect.tap((information) =>
          Ref.getAndSet(last, statusOf(information)).pipe(
            Effect.flatMap((previous) => previous === statusOf(information) ? Effect.void : emit([information]))
          )
        )
      )
      yield* poll(check, { until: (information) => isTerminalStatus(statusOf(information)), status: statusOf, polling: options.polling ?? {} })
    })
  )

/**
 * A stream of live log entries as they arrive (spec §3.11): pages of `GET …/logs/live`, each
 * asked with the previous page's `next_page_token` as `since`, until the run's status is
 * terminal (that last page included). Between pages it sleeps what the server says
 * (`next_available_in_seconds`); with no hint it asks again at once after a page that brought
 * lines, and backs off per `polling` after an empty one (nextmv-py would spin at 0 s).
 * `initialDelay`, `maxTries`, `maxDuration` of `polling` still apply.
 *
 * @example
 * ```ts
 * yield* runLogsStream(appId, runId).pipe(Stream.runForEach((entry) => Console.log(entry.log)))
 * ```
 */
export const runLogsStream = (
  appId: string,
  runId: string,
  options: { readonly polling?: Partial<Omit<PollingOptions, "sleepDuration">> | undefined } = {}
): Stream.Stream<TimestampedRunLog, RunPollingError, Runs> =>
  streamFromPolling<TimestampedRunLog, RunPollingError, Runs>((emit) =>
    Effect.gen(function*() {
      const runs = yield* Runs
      const since = yield* Ref.make<string | undefined>(undefined)
      // The next sleep: the server's hint when positive; none after a page that brought lines (more
      // may be ready); otherwise undefined = the polling options' backoff.
      const nextSleep = yield* Ref.make<Duration.Duration | undefined>(undefined)
      const check = Effect.gen(function*() {
        const page = yield* runs.runLiveLogs(appId, runId, { since: yield* Ref.get(since) })
        // The token is opaque; it only moves forward when the server sends one.
        if (page.next_page_token) yield* Ref.set(since, page.next_page_token)
        yield* Ref.set(
          nextSleep,
          page.next_available_in_seconds > 0
            ? Duration.seconds(page.next_available_in_seconds)
            : page.items.length > 0
            ? Duration.zero
            : undefined
        )
        yield* emit(page.items)
        return page
      })
      yield* poll(check, {
        until: (page) => isTerminalStatus(page.status_v2),
        status: (page) => page.status_v2,
        // nextmv-py sleeps the hint even when it is 0 s and then burns its tries in a tight loop
        // (spec §9.17); here an empty page without a hint backs off like any polling.
        polling: { ...options.polling, sleepDuration: Ref.get(nextSleep) }
      })
    })
  ).pipe(Stream.withSpan("Runs.runLogsStream", { attributes: { appId, runId } }))

/**
 * Collects the live logs of a run until it ends ({@link runLogsStream}) and returns every entry
 * sorted by timestamp (nextmv-py's `run_logs_with_polling`).
 */
export const runLogsWithPolling = (
  appId: string,
  runId: string,
  options: Parameters<typeof runLogsStream>[2] = {}
): Effect.Effect<ReadonlyArray<TimestampedRunLog>, RunPollingError, Runs> =>
  Stream.runCollect(runLogsStream(appId, runId, options)).pipe(
    Effect.map((chunk) =>
      [...chunk].sort((a, b) => a.timestamp.epochMillis - b.timestamp.epochMillis)
    )
  )
