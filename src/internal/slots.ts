/**
 * A counting semaphore that hands each freed permit to the oldest waiter (FIFO), and wakes only that
 * one waiter.
 *
 * Effect's `Semaphore` wakes every waiter on each release and lets them race for the permit (the
 * losers queue again), so with `n` waiters each release costs `O(n)` fiber resumptions: 1,000
 * requests queued behind a cap of 64 spent most of their time (and memory) waking up for nothing.
 * Here a release resumes exactly one fiber, and the permit is transferred before it runs, so no
 * other fiber can overtake it.
 */
import { Effect } from "effect"

export interface Waiter {
  /** Set once a permit was handed to this waiter (it then owns it, even if interrupted). */
  granted: boolean
  readonly resume: () => void
}

/** A FIFO counting semaphore (see the module comment). */
export class Slots {
  private free: number
  private readonly waiters: Array<Waiter | undefined> = []
  /** Index of the oldest entry of `waiters` (entries before it were served or withdrawn). */
  private head = 0

  constructor(readonly permits: number) {
    this.free = permits
  }

  /** Permits not taken. */
  get available(): number {
    return this.free
  }

  /** Fibers waiting for a permit. */
  get waiting(): number {
    let count = 0
    for (let i = this.head; i < this.waiters.length; i++) if (this.waiters[i] !== undefined) count++
    return count
  }

  /** Gives one permit back: to the oldest waiter if there is one, else to the pool. */
  readonly release = (): void => {
    while (this.head < this.waiters.length) {
      const waiter = this.waiters[this.head]
      this.waiters[this.head++] = undefined
      if (waiter === undefined) continue
      this.compact()
      waiter.granted = true
      waiter.resume()
      return
    }
    this.compact()
    this.free++
  }

  private compact(): void {
    if (this.head === this.waiters.length) {
      this.waiters.length = 0
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head)
      this.head = 0
    }
  }

  /**
   * Takes one permit now (`undefined`), or queues `onGranted` (FIFO), called from inside the
   * `release` that hands it a permit; then the permit is the caller's. {@link withdraw} gives up
   * the place (or the permit handed over meanwhile).
   */
  takeOrQueue(onGranted: () => void): Waiter | undefined {
    if (this.free > 0) {
      this.free--
      return undefined
    }
    const waiter: Waiter = { granted: false, resume: onGranted }
    this.waiters.push(waiter)
    return waiter
  }

  /** Withdraws a waiter of {@link takeOrQueue}; a permit it was handed meanwhile is released. */
  withdraw(waiter: Waiter, index = -1): void {
    if (waiter.granted) return this.release()
    // The queue may have been compacted since `index` was taken.
    const at = index >= this.head && this.waiters[index] === waiter ? index : this.waiters.indexOf(waiter, this.head)
    if (at !== -1) this.waiters[at] = undefined
  }

  /**
   * Takes one permit (waiting, interruptibly, in FIFO order). The permit is the caller's once this
   * succeeds; an interrupted wait gives back a permit it was handed meanwhile.
   */
  readonly take: Effect.Effect<void> = Effect.suspend(() => {
    // A permit is only ever free when nobody waits (a release goes to a waiter first).
    if (this.free > 0) {
      this.free--
      return Effect.void
    }
    let waiter: Waiter | undefined
    let index = -1
    return Effect.onInterrupt(
      Effect.async<void>((resume) => {
        waiter = { granted: false, resume: () => resume(Effect.void) }
        index = this.waiters.length
        this.waiters.push(waiter)
      }),
      () =>
        Effect.sync(() => {
          if (waiter !== undefined) this.withdraw(waiter, index)
        })
    )
  })

  /** Runs `effect` holding one permit, released however it ends. */
  readonly withPermit = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.zipRight(restore(this.take), Effect.ensuring(restore(effect), Effect.sync(this.release)))
    )

  /** Takes a permit (waiting interruptibly) for the current scope; released when the scope closes. */
  readonly acquireScoped = Effect.uninterruptibleMask((restore) =>
    Effect.zipRight(restore(this.take), Effect.addFinalizer(() => Effect.sync(this.release)))
  )
}
