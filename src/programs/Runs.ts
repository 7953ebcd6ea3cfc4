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
import { Chunk, Duration, Effect, Exit, Fiber, Option, Queue, Ref, Stream, Take, type Tracer } from "effect"
import type { PollingTimeoutError, PollingTriesExhaustedError } from "../Errors.js"
import { isTerminalStatus, RunInformation, RunResult, type TimestampedRunLog } from "../schemas/Runs.js"
import { type NewRunOptions, type OutputDirOptions, type RunError, Runs, type TrackedRun, type TrackRunOptions } from "../services/Runs.js"
import { NextmvDefaults } from "../internal/defaults.js"
import { gatesOf } from "../internal/runGates.js"
import { tracerInstalled } from "../internal/traced.js"
import { requireObject } from "../internal/validate.js"
import { poll, type PollingInput, type PollingOptions, pollStoppable, type StopOption, validatePollingProgram } from "./Polling.js"
import { resultOrFailure, type RunFailedError } from "./RunFailedError.js"
import * as Tracker from "./RunTracker.js"

/** Polling settings for the streams (a stream is stopped by no longer consuming it). */
export type StreamPolling = PollingInput

export { RunFailedError } from "./RunFailedError.js"

/** Errors of the polling run programs. */
export type RunPollingError = RunError | PollingTimeoutError | PollingTriesExhaustedError

/** The default bound of the cancel sent on interruption (`cancelTimeout`): 10 s. */
export const DEFAULT_CANCEL_TIMEOUT: Duration.Duration = Duration.seconds(10)

/** Options shared by the `…WithPolling` / `…WithResult` programs. */
export interface WaitOptions extends OutputDirOptions {
  /** Polling options (nextmv-py's defaults) or any `Schedule`. */
  readonly polling?: PollingInput | undefined
  /**
   * When the program is interrupted, also cancel the remote run (`PATCH …/cancel`), unless the run
   * was already seen in a terminal status. An interrupt that lands while the run is being
   * submitted waits for its id and then cancels it. Default `false`.
   */
  readonly cancelOnInterrupt?: boolean | undefined
  /**
   * Bound on the work done for `cancelOnInterrupt` after an interrupt: waiting for the id of a run
   * being submitted plus the cancel request, retries included. Past it the interrupt completes and
   * a warning is logged (the run may be left running). Default: `NextmvDefaults.cancelTimeout`
   * when the program sets one, else 10 s ({@link DEFAULT_CANCEL_TIMEOUT}).
   */
  readonly cancelTimeout?: Duration.DurationInput | undefined
}

const statusOf = (information: RunInformation) => information.metadata.status_v2

/** Turns a final run into its result, or a {@link RunFailedError}. */
const finish = (runs: Runs["Type"], appId: string, information: RunInformation, outputDir: string | undefined) =>
  Effect.flatMap(runs.runResultFor(appId, information, { outputDir }), resultOrFailure)

/** Runs `work` (interruptibly, even inside a finalizer) for at most `bound`; failures are logged. */
const boundedCancel = (work: Effect.Effect<void, RunError>, what: string, bound: Duration.DurationInput) =>
  Effect.interruptible(work).pipe(
    Effect.timeout(bound),
    Effect.catchAll((error) =>
      Effect.logWarning(
        `could not cancel ${what}: ${error._tag === "TimeoutException" ? `no answer within ${Duration.format(bound)}` : error.message}`
      )
    )
  )

/** What {@link waiting} hands to the polling part of a program. */
interface Waiter {
  readonly runs: Runs["Type"]
  readonly appId: string
  readonly runId: string
  /** The run's metadata (a fresh request each time it runs). */
  readonly check: Effect.Effect<RunInformation, RunError>
  /** The program's span, the parent of every request; `undefined` when no tracer is installed. */
  readonly span: Tracer.AnySpan | undefined
}

/** `effect` as a child of `span` (as it is when there is no span). */
const under = <A, E, R>(effect: Effect.Effect<A, E, R>, span: Tracer.AnySpan | undefined): Effect.Effect<A, E, R> =>
  span === undefined ? effect : Effect.withParentSpan(effect, span)

/** What a waiting program needs only until its run is submitted (its options carry the run's input). */
interface Submission<O extends WaitOptions> {
  readonly options: O
  readonly submit: Submit
}

/** How a waiting program gets its run id. */
interface Submit {
  /** The id: a new run's POST, or the given id. */
  readonly run: (runs: Runs["Type"]) => Effect.Effect<string, RunError>
  /** Whether `run` sends a submission (`Runs.newRun`, `Runs.trackRun`): it then waits at the submissions' gate first. */
  readonly gated: boolean
}

/** The polling part of a waiting program, given its options once the run is submitted. */
type Wait<O extends WaitOptions, A, E, R> = (waiter: Waiter, options: O) => Effect.Effect<A, E, R>

/** The run's metadata, through the checks' gate (see `internal/runGates.ts`). */
const metadataCheck = (runs: Runs["Type"], appId: string, runId: string) =>
  gatesOf(runs).checks.withPermit(Effect.suspend(() => runs.runInformation(appId, runId)))

/** A program's submission (`Runs.newRun`, `Runs.trackRun`): it waits at the submissions' gate (see `internal/runGates.ts`). */
const submitting = (run: Submit["run"]): Submit => ({ run, gated: true })

/** A program that waits for a run given by id: nothing to submit. */
const known = (runId: string): Submit => ({ run: () => Effect.succeed(runId), gated: false })

/**
 * The shared shape of the waiting programs, in the span `span`: `submit` gives the run id (a new
 * run's POST, or the id itself), then `wait` polls with `check` (the run's metadata). With
 * `cancelOnInterrupt`, an interrupt cancels the run within `cancelTimeout`: during `submit` once
 * its id is known, later unless `check` already saw a terminal status.
 *
 * Made for many runs waiting at once (`BENCH_ONLY=memory npm run bench`): with no tracer installed
 * there is no span at all (Effect's built-in tracer would make one, with random ids and a stack
 * capture, and keep it for the whole wait); with a tracer the span is opened with `Effect.useSpan`
 * and each request runs as its child, instead of `Effect.withSpan` around the whole wait, which
 * keeps its machinery and the program on the fiber's stack while it waits; the submission and
 * each check wait at the program gates (`internal/runGates.ts`) before building their request; the
 * options (and the run's input) are held in a per-execution cell that is emptied once the run is
 * submitted; and the closures that live while the run waits are made by module-level functions,
 * so that their scopes hold only what polling needs.
 */
const waiting = <O extends WaitOptions, A, E, R>(
  span: { readonly name: string; readonly attributes: Record<string, string> },
  appId: string,
  options: O,
  submit: Submit,
  wait: Wait<O, A, E, R>,
  stoppable = false
): Effect.Effect<A, E | RunError, R | Runs> =>
  Effect.withFiberRuntime((fiber) =>
    tracerInstalled(fiber)
      ? openSpan(span, [{ options, submit }], appId, wait, stoppable)
      : inSpan([{ options, submit }], appId, span.name, wait, stoppable)(undefined)
  )

/**
 * Opens the span of {@link waiting}. Module-level on purpose: the span keeps a stack trace of its
 * opening (its `code.stacktrace`), whose frames keep their functions, and so the scopes of those
 * functions: a closure here would keep the program's options (and the run's input) alive.
 */
const openSpan = <O extends WaitOptions, A, E, R>(
  span: { readonly name: string; readonly attributes: Record<string, string> },
  cell: Array<Submission<O>>,
  appId: string,
  wait: Wait<O, A, E, R>,
  stoppable: boolean
): Effect.Effect<A, E | RunError, R | Runs> =>
  Effect.useSpan(span.name, { attributes: span.attributes }, inSpan(cell, appId, span.name, wait, stoppable))

/** The body of {@link waiting} (in its span, if any), made here so that its closure holds the cell, not the options. */
const inSpan = <O extends WaitOptions, A, E, R>(
  cell: Array<Submission<O>>,
  appId: string,
  operation: string,
  wait: Wait<O, A, E, R>,
  stoppable: boolean
) =>
(parent: Tracer.AnySpan | undefined): Effect.Effect<A, E | RunError, R | Runs> =>
  Effect.suspend(() => {
    const submission = cell[0]
    if (submission === undefined) return Effect.dieMessage(`${operation}: a program execution ran twice`)
    return Effect.zipRight(validatePollingProgram(operation, submission.options, { stoppable }), Effect.zip(Runs, NextmvDefaults)).pipe(
      Effect.flatMap(([runs, defaults]) => submitAndWait(cell, parent, runs, defaults, appId, wait))
    )
  })

/** Takes the submission out of its cell: from then on only the effects being built hold it. */
const take = <O extends WaitOptions>(cell: Array<Submission<O>>) => cell.splice(0, 1)[0]

const submitAndWait = <O extends WaitOptions, A, E, R>(
  cell: Array<Submission<O>>,
  parent: Tracer.AnySpan | undefined,
  runs: Runs["Type"],
  defaults: NextmvDefaults["Type"],
  appId: string,
  wait: Wait<O, A, E, R>
): Effect.Effect<A, E | RunError, R> => {
  const submission = cell[0]
  if (submission === undefined) return Effect.dieMessage("a program execution ran twice")
  const { options } = submission
  if (options.cancelOnInterrupt !== true) {
    take(cell)
    const submitted = under(submission.submit.run(runs), parent)
    return Effect.flatMap(
      submission.submit.gated ? gatesOf(runs).submissions.withPermit(submitted) : submitted,
      (runId) => wait({ runs, appId, runId, check: metadataCheck(runs, appId, runId), span: parent }, options)
    )
  }
  // The call's `cancelTimeout`, else the program-wide default (`NextmvDefaults`), else 10 s.
  const bound = Option.getOrElse(
    Option.orElse(
      options.cancelTimeout === undefined ? Option.none() : Duration.decodeUnknown(options.cancelTimeout),
      () => defaults.cancelTimeout === undefined ? Option.none() : Duration.decodeUnknown(defaults.cancelTimeout)
    ),
    () => DEFAULT_CANCEL_TIMEOUT
  )
  // Everything runs in one uninterruptible mask so that no interrupt slips between the steps unnoticed.
  return Effect.uninterruptibleMask(cancellable(cell, parent, runs, appId, bound, wait))
}

/** The `cancelOnInterrupt` path of {@link submitAndWait}, made here to hold the cell, not the options. */
const cancellable = <O extends WaitOptions, A, E, R>(
  cell: Array<Submission<O>>,
  parent: Tracer.AnySpan | undefined,
  runs: Runs["Type"],
  appId: string,
  bound: Duration.Duration,
  wait: Wait<O, A, E, R>
) =>
(restore: <X, E2, R2>(effect: Effect.Effect<X, E2, R2>) => Effect.Effect<X, E2, R2>): Effect.Effect<A, E | RunError, R> => {
  const submission = take(cell)
  if (submission === undefined) return Effect.dieMessage("a program execution ran twice")
  const { options } = submission
  // The gate is waited for here, not in the daemon below: an interrupt while the submission waits
  // at the gate ends the program at once, with nothing sent and so nothing to cancel.
  const gate = submission.submit.gated ? gatesOf(runs).submissions : undefined
  const post = restore(under(submission.submit.run(runs), parent))
  return Effect.zipRight(
    gate === undefined ? Effect.void : restore(gate.take),
    Effect.flatMap(
      // A daemon, so that an interrupt of this fiber does not reach the POST: its answer carries
      // the id of the run to cancel. It is interrupted when the bound runs out. It gives the gate's
      // permit back when it ends.
      Effect.forkDaemon(gate === undefined ? post : Effect.ensuring(post, Effect.sync(gate.release))),
      (posting) =>
        restore(Fiber.join(posting)).pipe(
          Effect.onInterrupt(() =>
            under(
              boundedCancel(
                Effect.flatMap(Fiber.await(posting), (exit) => Exit.isSuccess(exit) ? runs.cancelRun(appId, exit.value) : Effect.void),
                "the run being submitted",
                bound
              ),
              parent
            ).pipe(Effect.ensuring(Fiber.interruptFork(posting)))
          ),
          Effect.flatMap((runId) =>
            cancellingWait(restore, { runs, appId, runId, check: metadataCheck(runs, appId, runId), span: parent }, bound, wait, options)
          )
        )
    )
  )
}

/** Waits for a submitted run; an interrupt cancels it unless its check already saw a terminal status. */
const cancellingWait = <O extends WaitOptions, A, E, R>(
  restore: <X, E2, R2>(effect: Effect.Effect<X, E2, R2>) => Effect.Effect<X, E2, R2>,
  waiter: Waiter,
  bound: Duration.Duration,
  wait: Wait<O, A, E, R>,
  options: O
): Effect.Effect<A, E, R> =>
  Effect.flatMap(Ref.make(false), (terminal) => {
    const { appId, runId, runs, span } = waiter
    const check = waiter.check.pipe(
      Effect.tap((information) => isTerminalStatus(statusOf(information)) ? Ref.set(terminal, true) : Effect.void)
    )
    return restore(wait({ ...waiter, check }, options)).pipe(
      Effect.onInterrupt(() =>
        Effect.unlessEffect(
          under(boundedCancel(runs.cancelRun(appId, runId), `run ${runId}`, bound), span),
          Ref.get(terminal)
        )
      )
    )
  })

const untilTerminal = (polling: PollingInput | undefined, parentSpan: Tracer.AnySpan | undefined) => ({
  until: (information: RunInformation) => isTerminalStatus(statusOf(information)),
  status: statusOf,
  polling,
  parentSpan
})

/** The final step: the result of a terminal run, fetched as a child of the program's span. */
const finishing = ({ appId, runs, span }: Waiter, outputDir: string | undefined) => (information: RunInformation) =>
  under(finish(runs, appId, information, outputDir), span)

/**
 * Polls until the run is terminal, then fetches its result. With a `RunTracker` in the context
 * (and polling it accepts), the run is followed by the tracker's scheduler instead. Keeps only
 * `polling` and `outputDir` of the options.
 */
const resultOf = (waiter: Waiter, options: WaitOptions) => awaitResult(waiter, options.polling, options.outputDir)

const awaitResult = (waiter: Waiter, polling: PollingInput | undefined, outputDir: string | undefined) =>
  Effect.flatMap(Effect.serviceOption(Tracker.RunTracker), (tracker) =>
    Option.isSome(tracker) && Tracker.accepts(polling)
      ? under(tracker.value.await(waiter.appId, waiter.runId, { polling, outputDir }), waiter.span)
      : Effect.flatMap(poll(waiter.check, untilTerminal(polling, waiter.span)), finishing(waiter, outputDir)))

/** {@link resultOf} with `stop`. */
const resultOfStoppable = (waiter: Waiter, options: WaitOptions & StopOption) =>
  awaitResultStoppable(waiter, options.polling, options.outputDir, options.stop)

const awaitResultStoppable = (
  waiter: Waiter,
  polling: PollingInput | undefined,
  outputDir: string | undefined,
  stop: Effect.Effect<boolean>
) =>
  Effect.flatMap(
    pollStoppable(waiter.check, { ...untilTerminal(polling, waiter.span), stop }),
    Effect.transposeMapOption(finishing(waiter, outputDir))
  )

/**
 * Polls the run's metadata until it is `succeeded`, `failed` or `canceled`, then fetches the
 * result (nextmv-py's `Application.run_result_with_polling`; see `Runs.runResult` for large and
 * multi-file outputs).
 *
 * Fails with {@link RunFailedError} for failed/canceled runs, `PollingTimeoutError` /
 * `PollingTriesExhaustedError` when polling gives up, and the HTTP errors of the requests.
 * Interrupting it stops polling at once; with `cancelOnInterrupt` the run is canceled too (within
 * `cancelTimeout`, default 10 s). To stop on request without an error, use
 * {@link runResultWithPollingStoppable}.
 *
 * @example
 * ```ts
 * const result = yield* runResultWithPolling("routing-app", runId, { polling: { maxDuration: "10 minutes" } })
 * ```
 */
export const runResultWithPolling = (
  appId: string,
  runId: string,
  options: WaitOptions = {}
): Effect.Effect<RunResult, RunPollingError | RunFailedError, Runs> =>
  waiting(
    { name: "Runs.runResultWithPolling", attributes: { appId, runId } },
    appId,
    options,
    known(runId),
    resultOf
  )

/**
 * {@link runResultWithPolling} with nextmv-py's `stop`: asked before each check; `true` ends with
 * `Option.none()` (no error, and no cancel). A finished run's result is `Option.some(result)`.
 *
 * @example
 * ```ts
 * const result = yield* runResultWithPollingStoppable("routing-app", runId, { stop: Ref.get(shuttingDown) })
 * ```
 */
export const runResultWithPollingStoppable = (
  appId: string,
  runId: string,
  options: WaitOptions & StopOption
): Effect.Effect<Option.Option<RunResult>, RunPollingError | RunFailedError, Runs> =>
  waiting(
    { name: "Runs.runResultWithPollingStoppable", attributes: { appId, runId } },
    appId,
    options,
    known(runId),
    resultOfStoppable,
    true
  )

/**
 * Submits a run and waits for its result: `Runs.newRun` then {@link runResultWithPolling}
 * (nextmv-py's `Application.new_run_with_result`). With `cancelOnInterrupt`, an interrupt during
 * the submission still cancels the run once its id is known.
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
export const newRunWithResult = (
  appId: string,
  options: NewRunOptions & WaitOptions
): Effect.Effect<RunResult, RunPollingError | RunFailedError, Runs> =>
  waiting(
    { name: "Runs.newRunWithResult", attributes: { appId } },
    appId,
    options,
    submitting((runs) => runs.newRun(appId, options)),
    resultOf
  )

/**
 * {@link newRunWithResult} with nextmv-py's `stop` (see {@link runResultWithPollingStoppable}).
 *
 * @example
 * ```ts
 * const result = yield* newRunWithResultStoppable("routing-app", { input, stop: Ref.get(shuttingDown) })
 * ```
 */
export const newRunWithResultStoppable = (
  appId: string,
  options: NewRunOptions & WaitOptions & StopOption
): Effect.Effect<Option.Option<RunResult>, RunPollingError | RunFailedError, Runs> =>
  waiting(
    { name: "Runs.newRunWithResultStoppable", attributes: { appId } },
    appId,
    options,
    submitting((runs) => runs.newRun(appId, options)),
    resultOfStoppable,
    true
  )

/**
 * Tracks an external run (`Runs.trackRun`) and waits for its result.
 *
 * @example
 * ```ts
 * const result = yield* trackRunWithResult("routing-app", { status: "succeeded", input, output })
 * ```
 */
export const trackRunWithResult = (
  appId: string,
  run: TrackedRun,
  options: TrackRunOptions & WaitOptions = {}
): Effect.Effect<RunResult, RunPollingError | RunFailedError, Runs> =>
  waiting(
    { name: "Runs.trackRunWithResult", attributes: { appId } },
    appId,
    options,
    submitting((runs) => runs.trackRun(appId, run, options)),
    resultOf
  )

/**
 * {@link trackRunWithResult} with nextmv-py's `stop` (see {@link runResultWithPollingStoppable}).
 *
 * @example
 * ```ts
 * const result = yield* trackRunWithResultStoppable("routing-app", { status: "succeeded", input, output }, {
 *   stop: Ref.get(shuttingDown)
 * })
 * ```
 */
export const trackRunWithResultStoppable = (
  appId: string,
  run: TrackedRun,
  options: TrackRunOptions & WaitOptions & StopOption
): Effect.Effect<Option.Option<RunResult>, RunPollingError | RunFailedError, Runs> =>
  waiting(
    { name: "Runs.trackRunWithResultStoppable", attributes: { appId } },
    appId,
    options,
    submitting((runs) => runs.trackRun(appId, run, options)),
    resultOfStoppable,
    true
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
      const emit = (items: ReadonlyArray<A>) => items.length === 0 ? Effect.void : Queue.offer(queue, Take.chunk(Chunk.fromIterable(items)))
      yield* loop(emit).pipe(
        Effect.exit,
        Effect.flatMap((exit) => Queue.offer(queue, Exit.isSuccess(exit) ? Take.end : Take.failCause<E>(exit.cause))),
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
  Stream.unwrap(
    Effect.zipRight(requireObject("Runs.watchRun", "options", options), Effect.serviceOption(Tracker.RunTracker)).pipe(
      Effect.map((tracker) =>
        Option.isSome(tracker) && Tracker.accepts(options.polling)
          ? tracker.value.changes(appId, runId, { polling: options.polling })
          : polledWatch(appId, runId, options)
      )
    )
  ).pipe(Stream.withSpan("Runs.watchRun", { attributes: { appId, runId } }))

const polledWatch = (
  appId: string,
  runId: string,
  options: { readonly polling?: StreamPolling | undefined }
): Stream.Stream<RunInformation, RunPollingError, Runs> =>
  streamFromPolling<RunInformation, RunPollingError, Runs>((emit) =>
    Effect.gen(function*() {
      const runs = yield* Runs
      const last = yield* Ref.make<string | undefined>(undefined)
      const check = runs.runInformation(appId, runId).pipe(
        Effect.tap((information) =>
          Ref.getAndSet(last, statusOf(information)).pipe(
            Effect.flatMap((previous) => previous === statusOf(information) ? Effect.void : emit([information]))
          )
        )
      )
      yield* poll(check, {
        until: (information) => isTerminalStatus(statusOf(information)),
        status: statusOf,
        polling: options.polling ?? {}
      })
    })
  )

/**
 * A stream of live log entries as they arrive (nextmv-py's `Application.run_logs_with_polling`): pages of `GET …/logs/live`, each
 * asked with the previous page's `next_page_token` as `since`, until the run's status is
 * terminal (that last page included). Between pages it sleeps what the server says
 * (`next_available_in_seconds`); with no hint it asks again at once after a page that brought
 * lines, and backs off per `polling` after an empty one (nextmv-py would spin at 0 s).
 * The server's hint never exceeds `polling.maxDelay` (default 20 s) nor what is left of
 * `maxDuration`. `initialDelay`, `maxTries`, `maxDuration` of `polling` still apply.
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
      yield* requireObject("Runs.runLogsStream", "options", options)
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
        // (nextmv-py's `run_logs_with_polling`); here an empty page without a hint backs off like any polling.
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
    Effect.map((chunk) => [...chunk].sort((a, b) => a.timestamp.epochMillis - b.timestamp.epochMillis))
  )
