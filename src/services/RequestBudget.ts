/**
 * `RequestBudget`: the client-side rate limiter of a `NextmvClient`.
 *
 * Nextmv Cloud publishes request limits per account (docs.nextmv.io, "Limits": 5 run requests per
 * second, 200 run result requests per 10 seconds, 2,000 API requests per minute for all `/v1`
 * endpoints). One budget is built per `NextmvClient` layer, so every service and every fiber using
 * that client shares it. Each API request is classified by method and path:
 *
 * - `submission`: `POST …/applications/{app}/runs` (new runs, tracked external runs);
 * - `results`: `GET …/runs/{run}` and `GET …/runs/{run}/output` (the run result);
 * - `api`: every request (so a submission also spends an `api` token).
 *
 * Each class is a sliding window ("at most `requests` sends in any `per` interval", plus a small
 * safety `margin`), which keeps the client inside any fixed window the server counts in, wherever
 * its boundaries lie. Requests wait for budget in arrival order (FIFO per class) and are never
 * dropped; waiting is interruptible. `maxConcurrent` caps the requests in flight (and so the
 * sockets the client opens).
 *
 * On a 429 the budget adapts: every request of the client waits out `Retry-After` (default 1 s
 * when absent, capped by `maxPause`), the rate of the class that was refused drops to `slowdown`
 * times its current rate, then recovers linearly to the full rate over `recovery`.
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect } from "effect"
import { Slots } from "../internal/slots.js"

/** The budget classes. */
export type RequestClass = "submission" | "results" | "api"

/** A rate: at most `requests` requests per `per`. */
export interface Limit {
  readonly requests: number
  readonly per: Duration.DurationInput
}

/**
 * The published Innovator/Scale-up/Premium limits (docs.nextmv.io/docs/reference/rate-limits).
 * Accounts with raised limits pass their own numbers.
 */
export const publishedLimits: Readonly<Record<RequestClass, Limit>> = {
  submission: { requests: 5, per: Duration.seconds(1) },
  results: { requests: 200, per: Duration.seconds(10) },
  api: { requests: 2000, per: Duration.minutes(1) }
}

/** Budget settings; every field has a default. Pass `budget: false` to the client to turn it off. */
export interface Options {
  /** Run submissions. Default 5 per second; `false` = not limited. */
  readonly submission?: Limit | false | undefined
  /** Run result requests. Default 200 per 10 seconds; `false` = not limited. */
  readonly results?: Limit | false | undefined
  /** All API requests. Default 2,000 per minute; `false` = not limited. */
  readonly api?: Limit | false | undefined
  /** Requests in flight at most (a cap on the sockets the client opens). Default 16. */
  readonly maxConcurrent?: number | undefined
  /** Safety added to each window (latency differences between client and server). Default 50 ms. */
  readonly margin?: Duration.DurationInput | undefined
  /** Pause after a 429 without `Retry-After`. Default 1 second. */
  readonly defaultPause?: Duration.DurationInput | undefined
  /** Cap on the pause after a 429. Default 60 seconds. */
  readonly maxPause?: Duration.DurationInput | undefined
  /** Rate factor applied to the refused class on a 429 (0 < slowdown ≤ 1). Default 0.5. */
  readonly slowdown?: number | undefined
  /** Time after the pause to get back to the full rate. Default 1 minute. */
  readonly recovery?: Duration.DurationInput | undefined
}

/** The state of one class, for metrics. */
export interface ClassState {
  /** The configured limit. */
  readonly requests: number
  readonly perMillis: number
  /** The limit in force now (lower than `requests` while recovering from a 429). */
  readonly effectiveRequests: number
  /** Requests that could go out now without waiting (tokens left). */
  readonly available: number
  /** Requests waiting for this class. */
  readonly waiting: number
  /** Requests sent in this class so far. */
  readonly sent: number
}

/** A snapshot of the budget, for metrics and progress lines. */
export interface State {
  readonly enabled: boolean
  /** Per class; absent for a class that is not limited. */
  readonly classes: Partial<Record<RequestClass, ClassState>>
  /** Requests waiting for budget (any class, or a free connection). */
  readonly waiting: number
  /** Requests in flight now. */
  readonly inFlight: number
  readonly maxConcurrent: number
  /** 429 answers seen so far. */
  readonly rateLimited: number
  /** Milliseconds left of the current `Retry-After` pause (0 when none). */
  readonly pausedForMillis: number
}

/** The budget of one client. */
export interface RequestBudget {
  /** The classes a request spends tokens of (most specific first, `api` last). */
  readonly classify: (method: string, path: string) => ReadonlyArray<RequestClass>
  /**
   * Runs `effect` (one attempt of the request `method path`) once the budget allows it: waits for
   * tokens of every class of the request and for a free connection, then counts the request as
   * sent. Waiting is interruptible and FIFO per class.
   */
  readonly limit: <A, E, R>(method: string, path: string, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Tells the budget that `method path` was answered 429, with the parsed `Retry-After` if any. */
  readonly onRateLimited: (method: string, path: string, retryAfterMillis: number | undefined) => Effect.Effect<void>
  /** The current state. */
  readonly state: Effect.Effect<State>
}

const RUNS = /^\/v1\/applications\/[^/]+\/runs\/?$/
const RESULT = /^\/v1\/applications\/[^/]+\/runs\/[^/]+(\/output)?\/?$/

/**
 * Classes of a request by method and path (without query). Run metadata polls (`…/metadata`) are
 * plain API requests: the docs count "run result requests" separately and the metadata carries no
 * result.
 */
export const classify = (method: string, path: string): ReadonlyArray<RequestClass> => {
  const upper = method.toUpperCase()
  if (upper === "POST" && RUNS.test(path)) return ["submission", "api"]
  if (upper === "GET" && RESULT.test(path) && !path.endsWith("/uploadurl")) return ["results", "api"]
  return ["api"]
}

/** One sliding window: the send times of the last `requests` requests in a ring. */
interface Window {
  readonly name: RequestClass
  readonly requests: number
  readonly perMillis: number
  readonly ring: Float64Array
  sent: number
  waiting: number
  readonly mutex: Slots
  /** Rate factor right after the last 429, and when the recovery started. */
  factorAfter: number
  factorSince: number
}

const makeWindow = (name: RequestClass, limit: Limit): Window => {
  const requests = Math.max(1, Math.floor(limit.requests))
  return {
    name,
    requests,
    perMillis: Duration.toMillis(limit.per),
    ring: new Float64Array(requests),
    sent: 0,
    waiting: 0,
    mutex: new Slots(1),
    factorAfter: 1,
    factorSince: 0
  }
}

/** A budget that limits nothing (the client's `budget: false`). */
export const unlimited: RequestBudget = {
  classify,
  limit: (_method, _path, effect) => effect,
  onRateLimited: () => Effect.void,
  state: Effect.succeed({
    enabled: false,
    classes: {},
    waiting: 0,
    inFlight: 0,
    maxConcurrent: Infinity,
    rateLimited: 0,
    pausedForMillis: 0
  })
}

/**
 * Builds a budget. `make()` uses the published limits.
 *
 * @example
 * ```ts
 * const budget = RequestBudget.make({ api: { requests: 10_000, per: "1 minute" } })
 * ```
 */
export const make = (options: Options = {}): RequestBudget => {
  const pick = (name: RequestClass): Window | undefined => {
    const given = options[name]
    if (given === false) return undefined
    return makeWindow(name, given ?? publishedLimits[name])
  }
  const windows: { readonly [K in RequestClass]: Window | undefined } = {
    submission: pick("submission"),
    results: pick("results"),
    api: pick("api")
  }
  const maxConcurrent = Math.max(1, options.maxConcurrent ?? 16)
  const margin = Duration.toMillis(options.margin ?? Duration.millis(50))
  const defaultPause = Duration.toMillis(options.defaultPause ?? Duration.seconds(1))
  const maxPause = Duration.toMillis(options.maxPause ?? Duration.seconds(60))
  const slowdown = Math.min(1, Math.max(0.01, options.slowdown ?? 0.5))
  const recovery = Math.max(1, Duration.toMillis(options.recovery ?? Duration.minutes(1)))
  // FIFO hand-over (`internal/slots.ts`): Effect's semaphore wakes every waiter on each release.
  const connections = new Slots(maxConcurrent)
  let inFlight = 0
  let waiting = 0
  let rateLimited = 0
  let pausedUntil = 0

  const factor = (window: Window, now: number): number => {
    if (window.factorAfter >= 1 || now <= window.factorSince) return window.factorAfter
    return Math.min(1, window.factorAfter + (1 - window.factorAfter) * (now - window.factorSince) / recovery)
  }
  const effective = (window: Window, now: number) => Math.max(1, Math.floor(window.requests * factor(window, now)))
  /** Milliseconds until `window` has room for one more request (0 = now). */
  const waitFor = (window: Window, now: number): number => {
    const limit = effective(window, now)
    if (window.sent < limit) return 0
    // The limit-th most recent send must have left the window.
    const at = window.ring[(window.sent - limit) % window.requests]!
    return Math.max(0, at + window.perMillis + margin - now)
  }
  const inUse = (window: Window, now: number): number => {
    let used = 0
    for (let j = 1; j <= Math.min(window.sent, window.requests); j++) {
      const at = window.ring[(window.sent - j) % window.requests]!
      if (at + window.perMillis + margin > now) used++
      else break
    }
    return used
  }
  const stamp = (window: Window, now: number) => {
    window.ring[window.sent % window.requests] = now
    window.sent++
  }

  /** Sleeps until every window in `held` has room and no pause is in force. */
  const roomIn = (held: ReadonlyArray<Window>): Effect.Effect<number> =>
    Effect.gen(function*() {
      while (true) {
        const now = yield* Clock.currentTimeMillis
        let wait = Math.max(0, pausedUntil - now)
        for (const window of held) wait = Math.max(wait, waitFor(window, now))
        if (wait <= 0) return now
        yield* Effect.sleep(Duration.millis(wait))
      }
    })

  const windowsOf = (method: string, path: string): ReadonlyArray<Window> => {
    const out: Array<Window> = []
    for (const name of classify(method, path)) {
      const window = windows[name]
      if (window !== undefined) out.push(window)
    }
    return out
  }

  /**
   * Admission: for each class in order (specific, then `api`) take the class's lock and wait for
   * room; with every lock held take a connection, then count the send in every class. Only the
   * waits are interruptible; an interrupted waiter holds nothing.
   */
  const limit = <A, E, R>(method: string, path: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const held = windowsOf(method, path)
        waiting++
        for (const window of held) window.waiting++
        const locked: Array<Window> = []
        const unlock = Effect.suspend(() => Effect.forEach(locked.splice(0).reverse(), (w) => Effect.sync(w.mutex.release)))
        const release = Effect.suspend(() => {
          waiting--
          for (const window of held) window.waiting--
          return unlock
        })
        // Only the blocking calls are interruptible; whatever was taken is recorded before the next
        // interruptible step, so an interrupted waiter gives everything back.
        for (let i = 0; i < held.length; i++) {
          const window = held[i]!
          const took = yield* Effect.exit(restore(window.mutex.take))
          if (took._tag === "Failure") return yield* Effect.zipRight(release, Effect.failCause(took.cause))
          locked.push(window)
          const room = yield* Effect.exit(restore(roomIn(held.slice(0, i + 1))))
          if (room._tag === "Failure") return yield* Effect.zipRight(release, Effect.failCause(room.cause))
        }
        const connected = yield* Effect.exit(restore(connections.take))
        if (connected._tag === "Failure") return yield* Effect.zipRight(release, Effect.failCause(connected.cause))
        waiting--
        for (const window of held) window.waiting--
        const now = yield* Clock.currentTimeMillis
        for (const window of held) stamp(window, now)
        yield* unlock
        inFlight++
        return yield* restore(effect).pipe(
          Effect.ensuring(Effect.suspend(() => {
            inFlight--
            connections.release()
            return Effect.void
          }))
        )
      })
    )

  const onRateLimited = (method: string, path: string, retryAfterMillis: number | undefined) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.sync(() => {
        rateLimited++
        const pause = Math.min(maxPause, Math.max(0, retryAfterMillis ?? defaultPause))
        pausedUntil = Math.max(pausedUntil, now + pause)
        const refused = windowsOf(method, path)[0]
        if (refused !== undefined) {
          refused.factorAfter = Math.max(1 / refused.requests, factor(refused, now) * slowdown)
          refused.factorSince = pausedUntil
        }
      }).pipe(
        Effect.zipRight(
          Effect.logDebug(`rate limited on ${method} ${path}`).pipe(
            Effect.annotateLogs({ package: "nextmv-effect", module: "RequestBudget", pauseMillis: pausedUntil - now })
          )
        )
      ))

  const state = Effect.map(Clock.currentTimeMillis, (now): State => {
    const classes: Partial<Record<RequestClass, ClassState>> = {}
    for (const window of Object.values(windows)) {
      if (window === undefined) continue
      const effectiveRequests = effective(window, now)
      classes[window.name] = {
        requests: window.requests,
        perMillis: window.perMillis,
        effectiveRequests,
        available: Math.max(0, effectiveRequests - inUse(window, now)),
        waiting: window.waiting,
        sent: window.sent
      }
    }
    return {
      enabled: true,
      classes,
      waiting,
      inFlight,
      maxConcurrent,
      rateLimited,
      pausedForMillis: Math.max(0, pausedUntil - now)
    }
  })

  return { classify, limit, onRateLimited, state }
}
