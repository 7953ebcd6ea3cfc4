/**
 * Idle timeouts with python-requests semantics, enforced without an extra timer fiber.
 *
 * A {@link Watchdog} is one `setTimeout` per attempt. Progress (a chunk of the request body taken
 * by the transport, the response headers, a chunk of the response body) only records a
 * timestamp; the timer re-arms itself lazily for the time that is left, so a fast transfer costs
 * one timer, not one per chunk. It fires when no progress was seen for the idle limit (the first
 * wait, which includes connecting, gets the connect limit on top), or when the optional absolute
 * deadline passed.
 *
 * {@link guard} runs an effect in one child fiber that the watchdog interrupts on expiry (this
 * aborts the transport's request) while the caller resumes at once with a typed failure.
 */
import { Effect, Exit, FiberId } from "effect"

/** Why a watchdog fired. */
export type Expiry = "idle" | "deadline"

/** Largest delay `setTimeout` accepts without firing at once. */
const MAX_TIMER = 2_147_483_647

const now = (): number => performance.now()

/** One attempt's (or one download's) timer. */
export class Watchdog {
  private last = now()
  private progressed = false
  private timer: ReturnType<typeof setTimeout> | undefined = undefined
  private onExpire: ((expiry: Expiry) => void) | undefined = undefined
  /** When not active (between two pulls of a download), idle time is not counted. */
  private active = true
  /** Set once the watchdog fired. */
  expired: Expiry | undefined = undefined

  constructor(
    /** Longest wait between two signs of progress, in ms (`Infinity`: none). */
    readonly idleMillis: number,
    /** Extra allowance for the first wait (connecting), in ms. */
    readonly connectMillis: number,
    /** Absolute `performance.now()` deadline, if any. */
    readonly deadlineAt: number | undefined
  ) {}

  /** Records progress. Cheap: no timer is touched. (Bound: transports take it as a callback.) */
  readonly touch = (): void => {
    this.last = now()
    this.progressed = true
  }

  /**
   * Starts (or resumes) counting; on expiry `onExpire` is called, at most once (without one, the
   * {@link expire} method: a subclass that is its own expiry handler needs no closure).
   */
  arm(onExpire?: (expiry: Expiry) => void): void {
    this.onExpire = onExpire
    this.active = true
    this.last = now()
    if (this.timer === undefined) this.schedule()
  }

  /** Stops counting idle time until the next {@link arm} (the deadline still holds then). */
  pause(): void {
    this.active = false
    this.onExpire = undefined
  }

  /** Stops the timer for good. */
  stop(): void {
    this.active = false
    this.onExpire = undefined
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private remaining(at: number): number {
    const limit = this.progressed ? this.idleMillis : this.connectMillis + this.idleMillis
    const idleLeft = this.active ? this.last + limit - at : Infinity
    return this.deadlineAt === undefined ? idleLeft : Math.min(idleLeft, this.deadlineAt - at)
  }

  private schedule(): void {
    const left = this.remaining(now())
    if (left === Infinity) {
      this.timer = undefined
      return
    }
    this.timer = setTimeout(this.check, Math.min(MAX_TIMER, Math.max(1, Math.ceil(left))))
  }

  private readonly check = (): void => {
    this.timer = undefined
    const at = now()
    if (!this.active) this.last = at
    if (this.remaining(at) > 0) return this.schedule()
    const expiry: Expiry = this.deadlineAt !== undefined && at >= this.deadlineAt ? "deadline" : "idle"
    const onExpire = this.onExpire
    const armed = this.active
    this.expired = expiry
    this.stop()
    if (onExpire !== undefined) onExpire(expiry)
    else if (armed) this.expire(expiry)
  }

  /** Called on expiry when {@link arm} was given no handler. */
  protected expire(_expiry: Expiry): void {}
}

/**
 * Runs `effect` in a child fiber watched by `watchdog`. On expiry the child is interrupted (the
 * transport aborts its request) and the result is `onTimeout(expiry)`. On completion the watchdog
 * is paused (`keep`) or stopped. Interrupting the caller interrupts the child.
 */
export const guard = <A, E>(
  effect: Effect.Effect<A, E>,
  watchdog: Watchdog,
  onTimeout: (expiry: Expiry) => E,
  keep = false
): Effect.Effect<A, E> =>
  Effect.uninterruptibleMask((restore) =>
    // The child never fails (its exit is its value), so no "unhandled error" is ever logged.
    Effect.flatMap(Effect.forkDaemon(Effect.exit(Effect.interruptible(effect))), (fiber) =>
      restore(Effect.async<A, E>((resume) => {
        let done = false
        watchdog.arm((expiry) => {
          if (done) return
          done = true
          fiber.unsafeInterruptAsFork(FiberId.none)
          resume(Effect.fail(onTimeout(expiry)))
        })
        fiber.addObserver((exit) => {
          if (done) return
          done = true
          if (keep) watchdog.pause()
          else watchdog.stop()
          resume(Exit.isSuccess(exit) ? exit.value : Effect.failCause(exit.cause))
        })
        return Effect.sync(() => {
          done = true
          watchdog.stop()
          fiber.unsafeInterruptAsFork(FiberId.none)
        })
      })))
  )
