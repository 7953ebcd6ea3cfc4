/**
 * One fast-path attempt over a callback transport (see `internal/transport.ts`): a single
 * `Effect.async` (in a failure frame for interruption), no fiber. It takes the per-origin slot (or queues for it), joins the
 * shared timer (`internal/sharedTimer.ts`, which aborts the exchange on expiry), sends, and
 * resumes once with the whole 2xx body or the typed failure. Interruption aborts the exchange and
 * gives the slot back.
 *
 * The attempt is one object ({@link Attempt}): its timeouts, the transport's callbacks and the
 * slot's waiter at once, so an attempt allocates that object, the exchange and the `Effect.async`
 * machinery — no closure per callback, no timer. What must live while the exchange runs is small, which
 * matters at high concurrency: everything alive while a request waits for the network survives
 * the young-generation collections that happen meanwhile and costs a copy in each.
 */
import { Effect } from "effect"
import { Timed } from "./sharedTimer.js"
import type { Slots, Waiter } from "./slots.js"
import type { FastAttemptContext, FastCall, FastRequest } from "./transport.js"

/** Response headers as a transport reports them (lower-case names). */
export type FastHeaders = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

/** A whole response: status, headers (lower-case names), body (capped for non-2xx). */
export interface FastResponse {
  readonly status: number
  readonly headers: FastHeaders
  readonly body: Uint8Array
}

/** What a callback transport reports, each method at most once except `onProgress`. */
export interface FastCallbacks {
  /** A sign of progress: the response headers, a chunk of the response body. */
  onProgress(): void
  /** The whole response: status, headers, body (capped for non-2xx). */
  onResponse(status: number, headers: FastHeaders, body: Uint8Array): void
  /** A transport failure (never a status). */
  onError(cause: unknown): void
}

/** A running exchange of a callback transport. */
export interface Exchange {
  /** Aborts the exchange; no callback is called afterwards. */
  abort(): void
}

/**
 * Sends `request` (reading at most `errorBodyCap` bytes of a non-2xx body); reports through
 * `callbacks`.
 */
export type Send = (request: FastRequest, errorBodyCap: number, callbacks: FastCallbacks) => Exchange

const noop = (): void => {}

/** 0: waiting for a slot, 1: sent, 2: settled (or interrupted). */
type State = 0 | 1 | 2

/**
 * One attempt (see the module comment). Its timeouts are those of `internal/watchdog.ts`
 * (python-requests semantics: the first wait gets the connect limit on top of the idle limit,
 * progress only records a timestamp, the optional deadline bounds everything), counted on the
 * shared timer (`internal/sharedTimer.ts`) instead of a timer per attempt.
 */
class Attempt<C extends FastCall<A, E>, E, A> extends Timed implements FastCallbacks {
  private state: State = 0
  /** The last sign of progress (or the start), `performance.now()`. */
  private last = 0
  private progressed = false
  private readonly idleMillis: number
  private readonly connectMillis: number
  private readonly deadlineAt: number | undefined
  private exchange: Exchange | undefined = undefined
  private waiter: Waiter | undefined = undefined
  private readonly slot: Slots

  // Dropped once settled (see `settle`).
  private send: Send | undefined
  private request: FastRequest | undefined
  private resume: ((effect: Effect.Effect<A, E>) => void) | undefined

  constructor(
    send: Send,
    request: FastRequest,
    private readonly context: FastAttemptContext<C, E>,
    private readonly call: C
  ) {
    super()
    this.idleMillis = context.idleMillis
    this.connectMillis = context.connectMillis
    this.deadlineAt = context.deadlineAt(call)
    this.slot = context.slot(call)
    this.send = send
    this.request = request
  }

  /** Takes the slot now, or queues for it. */
  begin(resume: (effect: Effect.Effect<A, E>) => void): void {
    this.resume = resume
    // A free permit is taken at once (`takeOrQueue` does not keep its callback then).
    const waiter = this.slot.takeOrQueue(this.slot.available > 0 ? noop : this.granted)
    if (waiter === undefined) this.start()
    else this.waiter = waiter
  }

  /**
   * A slot freed by another exchange is handed over from inside that exchange's callback: start
   * on a fresh stack. (Made only for an attempt that waits.)
   */
  private get granted(): () => void {
    return () => queueMicrotask(() => this.start())
  }

  private start(): void {
    if (this.state !== 0) return
    this.state = 1
    this.waiter = undefined
    this.last = performance.now()
    this.watch(this.dueAt())
    // A transport reports its failures through `onError`; one that throws still fails typed.
    try {
      this.exchange = this.send!(this.request!, this.context.errorBodyCap, this)
      this.request = undefined
    } catch (cause) {
      this.settle(Effect.fail(this.context.transport(this.call, cause)))
    }
  }

  /**
   * Resumes the fiber, once. The attempt then lets go of what it references: the transport's
   * objects may outlive the exchange for a while (see `NodeTransport`'s `Exchange`).
   */
  private settle(effect: Effect.Effect<A, E>): void {
    if (this.state === 2) return
    const resume = this.resume
    this.finish()
    this.slot.release()
    resume?.(effect)
  }

  private finish(): void {
    this.state = 2
    this.unwatch()
    this.exchange = undefined
    this.waiter = undefined
    this.send = undefined
    this.request = undefined
    this.resume = undefined
  }

  protected dueAt(): number {
    const idleAt = this.last + (this.progressed ? this.idleMillis : this.connectMillis + this.idleMillis)
    return this.deadlineAt === undefined || idleAt < this.deadlineAt ? idleAt : this.deadlineAt
  }

  /** No progress for the limit, or past the deadline: aborts the exchange, fails typed. */
  protected due(at: number): void {
    if (this.state !== 1) return
    this.exchange?.abort()
    const expiry = this.deadlineAt !== undefined && at >= this.deadlineAt ? "deadline" : "idle"
    this.settle(Effect.fail(this.context.timeout(this.call, expiry)))
  }

  onProgress(): void {
    this.last = performance.now()
    this.progressed = true
  }

  onResponse(status: number, headers: FastHeaders, body: Uint8Array): void {
    if (this.state !== 1) return
    if (status >= 200 && status < 300) return this.settle(this.call.read(body))
    // A response header by lower-case name (the first value of a repeated one).
    const header = (name: string): string | undefined => {
      const value = headers[name]
      return typeof value === "string" ? value : value?.[0]
    }
    this.settle(this.context.status(this.call, status, header, body))
  }

  onError(cause: unknown): void {
    if (this.state !== 1) return
    this.settle(Effect.fail(this.context.transport(this.call, cause)))
  }

  /**
   * Interruption: withdraws from the slot's queue, or aborts the exchange and frees the slot.
   * Nothing once settled.
   */
  cancel(): void {
    if (this.state === 0) {
      const waiter = this.waiter
      this.finish()
      if (waiter !== undefined) this.slot.withdraw(waiter)
    } else if (this.state === 1) {
      const exchange = this.exchange
      this.finish()
      exchange?.abort()
      this.slot.release()
    }
  }
}

/**
 * One attempt of `request` for `call` over `send` (see the module comment): what `call.read` makes
 * of the 2xx body. The attempt is made when this is called (the effect runs once).
 *
 * Interruption is handled by a failure frame in an uninterruptible region around the interruptible
 * wait, not by `Effect.async`'s canceler: that one goes through `onInterrupt`, whose object literals
 * V8 ends up allocating in the old generation, where they kept every attempt they pointed to
 * (the attempt, the exchange's state, the fiber's frames) alive until a full collection. A caller
 * that cannot be interrupted needs neither. (`uninterruptible`/`interruptible` rather than
 * `uninterruptibleMask`, one step less: the caller is interruptible, so its `restore` would be
 * `interruptible`.)
 */
export const fastAttempt = <C extends FastCall<A, E>, E, A>(
  send: Send,
  request: FastRequest,
  context: FastAttemptContext<C, E>,
  call: C
): Effect.Effect<A, E> => {
  const attempt = new Attempt<C, E, A>(send, request, context, call)
  const wait = Effect.async<A, E>((resume) => attempt.begin(resume))
  return call.interruptible
    ? Effect.uninterruptible(Effect.catchAllCause(
      Effect.interruptible(wait),
      // Settled: a no-op (the typed failure passes on); interrupted: aborts and frees the slot.
      (cause) => {
        attempt.cancel()
        return Effect.failCause(cause)
      }
    ))
    : wait
}
