/**
 * `RunTracker`: follows any number of runs with one scheduler instead of one polling loop per run.
 *
 * Runs enter by id ({@link Service.track}) or are submitted through the tracker
 * ({@link Service.submit}). Each run has a due time computed with nextmv-py's polling formula
 * (`Polling.pollingDelayMillis`: first check after `initialDelay`, then `delay + backoff · 2^n`
 * capped at `maxDelay`, plus jitter). One scheduler fiber hands out due checks, oldest due first,
 * to at most `concurrency` checks in flight; the checks go through the client's request budget,
 * so the whole process stays inside Nextmv Cloud's limits however many runs it follows.
 *
 * When a run is final its result is fetched exactly once and delivered to every waiter
 * ({@link Service.await}, failing with {@link RunFailedError} for failed/canceled runs like the run
 * programs) and its status changes to every watcher ({@link Service.changes}). Interrupting a
 * waiter never stops tracking for the others. `maxTries`/`maxDuration` of the run's polling
 * options end tracking with the polling errors, as `RunPrograms.runResultWithPolling` does.
 *
 * With a `RunTracker` in the context, `RunPrograms.runResultWithPolling`, `newRunWithResult` and
 * `watchRun` run on it (when their polling is given as options, not as a `Schedule` or with `stop`).
 *
 * @since 0.1.0
 */
import {
  Cause,
  Clock,
  Context,
  Deferred,
  Duration,
  Effect,
  Exit,
  FiberId,
  Layer,
  Queue,
  Random,
  Schedule,
  type Scope,
  Stream,
  Take
} from "effect"
import { PollingTimeoutError, PollingTriesExhaustedError } from "../Errors.js"
import { isTerminalStatus, type RunInformation, type RunResult } from "../schemas/Runs.js"
import { tracerInstalled } from "../internal/traced.js"
import { NextmvClient } from "../services/NextmvClient.js"
import type * as RequestBudget from "../services/RequestBudget.js"
import { type NewRunOptions, type OutputDirOptions, type RunError, Runs } from "../services/Runs.js"
import { currentPollingOptions, isUnlimited, pollingDelayMillis, type PollingInput, type PollingOptions } from "./Polling.js"
import { resultOrFailure, type RunFailedError } from "./RunFailedError.js"

/** Polling options the tracker accepts (a per-run `sleepDuration` effect is not supported). */
export type TrackerPolling = Partial<Omit<PollingOptions, "sleepDuration">>

/** Errors a tracked run's outcome can fail with (the same as the run programs'). */
export type TrackError = RunError | PollingTimeoutError | PollingTriesExhaustedError

/** Options of a tracked run. The first registration of a run decides them. */
export interface TrackOptions extends OutputDirOptions {
  /** Polling options of this run; defaults are the tracker's (nextmv-py's unless configured). */
  readonly polling?: TrackerPolling | undefined
}

/** Options of {@link layer}. */
export interface Options {
  /** Checks (metadata or result requests) in flight at most. Default 8. */
  readonly concurrency?: number | undefined
  /**
   * Default polling options of tracked runs. Default: the program-wide `NextmvDefaults.polling`
   * where the tracker is built, then nextmv-py's (`Polling.defaultPollingOptions`).
   */
  readonly polling?: TrackerPolling | undefined
  /** Finished runs whose outcome is kept for late `await`/`changes` calls. Default 1,000. */
  readonly keepCompleted?: number | undefined
}

/** Counters for metrics and progress lines. */
export interface Stats {
  /** Runs being tracked (not final yet). */
  readonly tracked: number
  /** Tracked runs whose check is due now (waiting for a check slot or budget). */
  readonly due: number
  /** Checks in flight. */
  readonly checking: number
  readonly succeeded: number
  /** Runs that ended `failed` or `canceled`. */
  readonly failed: number
  /** Runs whose tracking ended with an error (HTTP error, polling limits). */
  readonly errored: number
  /** Metadata checks made. */
  readonly checks: number
  /** Results fetched. */
  readonly results: number
  /** The client's request budget. */
  readonly budget: RequestBudget.State
}

/** The run tracker. */
export interface Service {
  /**
   * Starts tracking a run (no-op when it is tracked already). Returns at once.
   *
   * @example
   * ```ts
   * yield* tracker.track("routing-app", runId)
   * ```
   */
  readonly track: (appId: string, runId: string, options?: TrackOptions) => Effect.Effect<void>
  /**
   * Submits a run (`Runs.newRun`) and tracks it; returns its id.
   *
   * @example
   * ```ts
   * const runId = yield* tracker.submit("routing-app", { input: { stops: [] } })
   * ```
   */
  readonly submit: (appId: string, options: NewRunOptions & TrackOptions) => Effect.Effect<string, RunError>
  /**
   * Waits for the run's result (tracking it first when needed). Fails with {@link RunFailedError}
   * for failed/canceled runs, the polling errors when the run's polling options give up, and HTTP
   * errors. Every waiter gets the same outcome; the result is fetched once.
   *
   * @example
   * ```ts
   * const result = yield* tracker.await("routing-app", runId)
   * ```
   */
  readonly await: (
    appId: string,
    runId: string,
    options?: TrackOptions
  ) => Effect.Effect<RunResult, TrackError | RunFailedError>
  /**
   * The run's metadata at each status change (the first one seen included), ending after the
   * terminal status (tracking it first when needed). Fails like the tracking does.
   *
   * @example
   * ```ts
   * yield* tracker.changes("routing-app", runId).pipe(Stream.runForEach((info) => Console.log(info.metadata.status_v2)))
   * ```
   */
  readonly changes: (appId: string, runId: string, options?: TrackOptions) => Stream.Stream<RunInformation, TrackError>
  /** Cancels the run (`Runs.cancelRun`); a tracked run is checked again at once. */
  readonly cancel: (appId: string, runId: string) => Effect.Effect<void, RunError>
  /** Counters, including the client's budget. */
  readonly stats: Effect.Effect<Stats>
}

/** The run tracker service. */
export class RunTracker extends Context.Tag("nextmv-effect/RunTracker")<RunTracker, Service>() {}

/**
 * Whether the run programs can hand `polling` to the tracker: options without `stop` and without
 * `sleepDuration` (a `Schedule` or those keys keep the program's own loop).
 */
export const accepts = (polling: PollingInput | undefined): polling is TrackerPolling | undefined =>
  polling === undefined ||
  (!Schedule.isSchedule(polling) && !("stop" in polling) && (polling as Partial<PollingOptions>).sleepDuration === undefined)

type Outcome = Exit.Exit<RunResult, TrackError | RunFailedError>

interface Watcher {
  readonly queue: Queue.Queue<Take.Take<RunInformation, TrackError>>
  /** Not sent anything yet: gets the next snapshot whatever its status. */
  fresh: boolean
}

/** One tracked run (kept small: thousands of them live at once). */
interface Entry {
  readonly appId: string
  readonly runId: string
  readonly key: string
  readonly polling: PollingOptions
  readonly outputDir: string | undefined
  readonly outcome: Deferred.Deferred<RunResult, TrackError | RunFailedError>
  dueAt: number
  seq: number
  /** Position in the due heap, -1 while a check is in flight or after the end. */
  index: number
  tries: number
  firstCheckAt: number
  status: string | undefined
  watchers: Array<Watcher> | undefined
}

/** A binary min-heap of entries by (dueAt, seq): the oldest due check first. */
class DueHeap {
  private readonly items: Array<Entry> = []
  get size(): number {
    return this.items.length
  }
  peek(): Entry | undefined {
    return this.items[0]
  }
  push(entry: Entry): void {
    entry.index = this.items.length
    this.items.push(entry)
    this.up(entry.index)
  }
  pop(): Entry | undefined {
    const top = this.items[0]
    if (top !== undefined) this.removeAt(0)
    return top
  }
  remove(entry: Entry): void {
    if (entry.index >= 0 && this.items[entry.index] === entry) this.removeAt(entry.index)
  }
  countDue(now: number): number {
    let n = 0
    for (const entry of this.items) if (entry.dueAt <= now) n++
    return n
  }
  private removeAt(i: number): void {
    const removed = this.items[i]!
    const last = this.items.pop()!
    removed.index = -1
    if (i < this.items.length) {
      this.items[i] = last
      last.index = i
      this.down(i)
      this.up(i)
    }
  }
  private less(a: Entry, b: Entry): boolean {
    return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq)
  }
  private swap(i: number, j: number): void {
    const a = this.items[i]!
    const b = this.items[j]!
    this.items[i] = b
    this.items[j] = a
    a.index = j
    b.index = i
  }
  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(this.items[i]!, this.items[parent]!)) return
      this.swap(i, parent)
      i = parent
    }
  }
  private down(i: number): void {
    const n = this.items.length
    while (true) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < n && this.less(this.items[l]!, this.items[m]!)) m = l
      if (r < n && this.less(this.items[r]!, this.items[m]!)) m = r
      if (m === i) return
      this.swap(i, m)
      i = m
    }
  }
}

const keyOf = (appId: string, runId: string) => `${appId}\u0000${runId}`

/**
 * `effect` in a span named `name` when a tracer is installed, without one otherwise: Effect's
 * built-in tracer would make a span with random ids and a stack capture for every check of every
 * run, recorded nowhere.
 */
const spanned = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  name: string,
  attributes: () => Record<string, string>
): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => tracerInstalled(fiber) ? Effect.withSpan(effect, name, { attributes: attributes() }) : effect)

/**
 * Builds the tracker; its scheduler runs in the given scope (closing it interrupts the waiters).
 *
 * @example
 * ```ts
 * const tracker = yield* RunTracker.make({ concurrency: 4 })
 * ```
 */
export const make = (
  options: Options = {}
): Effect.Effect<Service, never, Runs | NextmvClient | Scope.Scope> =>
  Effect.gen(function*() {
    const runs = yield* Runs
    const client = yield* NextmvClient
    const scope = yield* Effect.scope
    const concurrency = Math.max(1, options.concurrency ?? 8)
    const keepCompleted = Math.max(0, options.keepCompleted ?? 1000)
    // The tracker's `polling`, else the program-wide defaults (`NextmvDefaults`), else nextmv-py's.
    const basePolling: PollingOptions = { ...(yield* currentPollingOptions), ...options.polling }
    const slots = yield* Effect.makeSemaphore(concurrency)
    const wake = yield* Queue.sliding<true>(1)
    const heap = new DueHeap()
    const active = new Map<string, Entry>()
    const completed = new Map<string, Deferred.Deferred<RunResult, TrackError | RunFailedError>>()
    let seq = 0
    let checking = 0
    const counts = { succeeded: 0, failed: 0, errored: 0, checks: 0, results: 0 }

    const schedule = (entry: Entry, dueAt: number) => {
      entry.dueAt = dueAt
      entry.seq = seq++
      heap.push(entry)
      if (heap.peek() === entry) Queue.unsafeOffer(wake, true)
    }

    const register = (appId: string, runId: string, given: TrackOptions | undefined) =>
      Effect.gen(function*() {
        const key = keyOf(appId, runId)
        const existing = active.get(key)
        if (existing !== undefined) return existing
        const polling = given?.polling === undefined ? basePolling : { ...basePolling, ...given.polling }
        const entry: Entry = {
          appId,
          runId,
          key,
          polling,
          outputDir: given?.outputDir,
          outcome: yield* Deferred.make<RunResult, TrackError | RunFailedError>(),
          dueAt: 0,
          seq: 0,
          index: -1,
          tries: 0,
          firstCheckAt: -1,
          status: undefined,
          watchers: undefined
        }
        active.set(key, entry)
        completed.delete(key)
        schedule(entry, (yield* Clock.currentTimeMillis) + Duration.toMillis(polling.initialDelay))
        return entry
      })

    const notify = (entry: Entry, take: Take.Take<RunInformation, TrackError>) =>
      entry.watchers === undefined
        ? Effect.void
        : Effect.forEach(entry.watchers, (watcher) => Queue.offer(watcher.queue, take), { discard: true })

    /** Ends tracking: the outcome goes to every waiter, the stream of every watcher ends. */
    const finish = (entry: Entry, outcome: Outcome) =>
      Effect.gen(function*() {
        if (Exit.isSuccess(outcome)) counts.succeeded++
        else if (Cause.failureOption(outcome.cause).pipe((o) => o._tag === "Some" && o.value._tag === "RunFailedError")) {
          counts.failed++
        } else counts.errored++
        active.delete(entry.key)
        heap.remove(entry)
        if (keepCompleted > 0) {
          completed.set(entry.key, entry.outcome)
          if (completed.size > keepCompleted) completed.delete(completed.keys().next().value!)
        }
        if (Exit.isFailure(outcome) && entry.watchers !== undefined && !isTerminalStatus(entry.status ?? "")) {
          const cause = outcome.cause as Cause.Cause<TrackError>
          yield* notify(entry, Take.failCause(cause))
        }
        entry.watchers = undefined
        yield* Deferred.done(entry.outcome, outcome)
      })

    /** One check of a due run: metadata; when final, the result (once); else the next due time. */
    const check = (entry: Entry) =>
      Effect.gen(function*() {
        counts.checks++
        const startedAt = yield* Clock.currentTimeMillis
        if (entry.firstCheckAt < 0) entry.firstCheckAt = startedAt
        entry.tries++
        const polled = yield* Effect.exit(runs.runInformation(entry.appId, entry.runId))
        if (Exit.isFailure(polled)) return yield* finish(entry, polled)
        const information = polled.value
        const status = information.metadata.status_v2
        const changed = status !== entry.status
        entry.status = status
        const terminal = isTerminalStatus(status)
        if (entry.watchers !== undefined) {
          for (const watcher of entry.watchers) {
            if (changed || watcher.fresh) {
              watcher.fresh = false
              yield* Queue.offer(watcher.queue, Take.of(information))
            }
            if (terminal) yield* Queue.offer(watcher.queue, Take.end)
          }
          if (terminal) entry.watchers = undefined
        }
        if (terminal) {
          counts.results++
          const result = yield* Effect.exit(
            Effect.flatMap(runs.runResultFor(entry.appId, information, { outputDir: entry.outputDir }), resultOrFailure)
          )
          return yield* finish(entry, result)
        }
        const now = yield* Clock.currentTimeMillis
        const elapsed = now - entry.firstCheckAt
        const maxDuration = entry.polling.maxDuration
        if (!isUnlimited(maxDuration) && elapsed >= Duration.toMillis(maxDuration)) {
          return yield* finish(
            entry,
            Exit.fail(
              new PollingTimeoutError({
                elapsedMillis: elapsed,
                maxDurationMillis: Duration.toMillis(maxDuration),
                tries: entry.tries,
                lastStatus: status,
                lastObserved: information
              })
            )
          )
        }
        if (entry.polling.maxTries >= 0 && entry.tries >= entry.polling.maxTries) {
          return yield* finish(
            entry,
            Exit.fail(new PollingTriesExhaustedError({ tries: entry.tries, lastStatus: status, lastObserved: information }))
          )
        }
        const random = yield* Random.next
        schedule(entry, now + pollingDelayMillis(entry.polling, entry.tries, random))
      }).pipe(
        Effect.annotateLogs({ package: "nextmv-effect", module: "RunTracker", runId: entry.runId }),
        (checked) => spanned(checked, "RunTracker.check", () => ({ appId: entry.appId, runId: entry.runId }))
      )

    /** Waits until the oldest due run is due and takes it off the heap. */
    const nextDue: Effect.Effect<Entry> = Effect.gen(function*() {
      while (true) {
        const top = heap.peek()
        if (top === undefined) {
          yield* Queue.take(wake)
          continue
        }
        const now = yield* Clock.currentTimeMillis
        if (top.dueAt <= now) {
          heap.pop()
          return top
        }
        yield* Effect.raceFirst(Effect.sleep(Duration.millis(top.dueAt - now)), Queue.take(wake))
      }
    })

    // The scheduler: one fiber for all runs; each check holds a slot while it runs.
    yield* Effect.gen(function*() {
      while (true) {
        yield* slots.take(1)
        const entry = yield* nextDue
        checking++
        yield* check(entry).pipe(
          Effect.ensuring(Effect.suspend(() => {
            checking--
            return slots.release(1)
          })),
          Effect.forkIn(scope)
        )
      }
    }).pipe(Effect.interruptible, Effect.forkIn(scope))

    // Closing the scope: waiters and watchers of runs still tracked are interrupted.
    yield* Effect.addFinalizer(() =>
      Effect.forEach([...active.values()], (entry) =>
        Effect.zipRight(
          notify(entry, Take.failCause(Cause.interrupt(FiberId.none))),
          Deferred.interrupt(entry.outcome)
        ), { discard: true })
    )

    const outcomeOf = (appId: string, runId: string, options: TrackOptions | undefined) =>
      Effect.suspend(() => {
        const key = keyOf(appId, runId)
        const entry = active.get(key)
        if (entry !== undefined) return Effect.succeed(entry.outcome)
        const done = completed.get(key)
        if (done !== undefined) return Effect.succeed(done)
        return Effect.map(register(appId, runId, options), (e) => e.outcome)
      })

    const track: Service["track"] = (appId, runId, trackOptions) =>
      Effect.asVoid(Effect.suspend(() => active.has(keyOf(appId, runId)) ? Effect.void : register(appId, runId, trackOptions)))

    const submit: Service["submit"] = (appId, submitOptions) =>
      runs.newRun(appId, submitOptions).pipe(
        Effect.tap((runId) => track(appId, runId, submitOptions)),
        (submitted) => spanned(submitted, "RunTracker.submit", () => ({ appId }))
      )

    // Thousands of runs may wait at once: with no tracer installed there is no span at all (the
    // built-in tracer would make one and keep it for the whole wait); with one, `useSpan`, not
    // `withSpan`: nothing inside makes spans, and a waiter then keeps only the span's end on its
    // stack while it waits.
    const awaitRun: Service["await"] = (appId, runId, awaitOptions) => {
      const awaited = Effect.flatMap(outcomeOf(appId, runId, awaitOptions), Deferred.await)
      return Effect.withFiberRuntime((fiber) =>
        tracerInstalled(fiber) ? Effect.useSpan("RunTracker.await", { attributes: { appId, runId } }, () => awaited) : awaited
      )
    }

    const changes: Service["changes"] = (appId, runId, changeOptions) =>
      Stream.unwrapScoped(
        Effect.gen(function*() {
          const key = keyOf(appId, runId)
          const queue = yield* Effect.acquireRelease(
            Queue.unbounded<Take.Take<RunInformation, TrackError>>(),
            (q) =>
              Effect.zipRight(
                Effect.sync(() => {
                  const entry = active.get(key)
                  if (entry?.watchers !== undefined) entry.watchers = entry.watchers.filter((w) => w.queue !== q)
                }),
                Queue.shutdown(q)
              )
          )
          if (!active.has(key) && completed.has(key)) {
            // Already final: one metadata request gives the terminal snapshot (the result is not
            // fetched again).
            return Stream.fromEffect(runs.runInformation(appId, runId))
          }
          const entry = yield* register(appId, runId, changeOptions)
          entry.watchers = [...(entry.watchers ?? []), { queue, fresh: true }]
          return Stream.fromQueue(queue).pipe(Stream.flattenTake)
        })
      ).pipe(Stream.withSpan("RunTracker.changes", { attributes: { appId, runId } }))

    const cancel: Service["cancel"] = (appId, runId) =>
      runs.cancelRun(appId, runId).pipe(
        Effect.zipRight(Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.sync(() => {
            const entry = active.get(keyOf(appId, runId))
            if (entry !== undefined && entry.index >= 0) {
              heap.remove(entry)
              schedule(entry, now)
            }
          }))),
        (canceled) => spanned(canceled, "RunTracker.cancel", () => ({ appId, runId }))
      )

    const stats = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      return {
        tracked: active.size,
        due: heap.countDue(now),
        checking,
        ...counts,
        budget: yield* client.budget.state
      }
    })

    return RunTracker.of({ track, submit, await: awaitRun, changes, cancel, stats })
  })

/**
 * The tracker as a scoped layer on top of `Runs` and `NextmvClient`.
 *
 * @example
 * ```ts
 * const Live = RunTracker.layer({ concurrency: 8 }).pipe(
 *   Layer.provideMerge(Layers.services),
 *   Layer.provide(NextmvClient.layerConfig()),
 *   Layer.provide(Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer))
 * )
 * ```
 */
export const layer = (options: Options = {}): Layer.Layer<RunTracker, never, Runs | NextmvClient> => Layer.scoped(RunTracker, make(options))
