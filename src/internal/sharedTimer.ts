/**
 * One timer for every fast-path attempt in flight (imported only by `internal/fastAttempt.ts`, so
 * browser bundles do not carry it).
 *
 * A `setTimeout` and a `clearTimeout` per attempt cost about 0.4 µs and a timer object each; at
 * 64 calls in flight most of them are set for 20 s and cleared a millisecond later. Here every
 * attempt is a {@link Timed} member of one intrusive list (joining and leaving it allocate
 * nothing) and one timer is set for the earliest time any member is due. A member that joins with
 * a later due time (the usual case: every call has the same limits) touches no timer; one that
 * joins with an earlier due time re-arms it. When the timer fires it asks every member when it is
 * due (a member's due time only moves when the timer asks: progress just records a timestamp),
 * tells those that are due, and is set again for the earliest of the rest. So every wait stays
 * bounded, and a member is told when it is due, as with a timer of its own (never before, late by
 * the timer's own delay at most).
 *
 * The timer keeps the process alive only while the list has members (it is `unref`'d when the
 * last one leaves and stays set for its time, rather than cleared: joining again costs a `ref`).
 *
 * @internal
 */

const now = (): number => performance.now()

/** Largest delay `setTimeout` accepts without firing at once. */
const MAX_TIMER = 2_147_483_647

/** A member of the shared timer (see the module comment). */
export abstract class Timed {
  /** The list's links (`linked`: a member now). */
  private timedPrev: Timed | undefined = undefined
  private timedNext: Timed | undefined = undefined
  private linked = false

  /** When the member is due (`performance.now()` milliseconds; `Infinity`: never). Asked when the timer fires. */
  protected abstract dueAt(at: number): number

  /** The member is due (it has left the list). */
  protected abstract due(at: number): void

  /** Joins the list with a first due time (`dueAt` is asked from then on). Nothing if already a member. */
  protected watch(dueAt: number): void {
    if (this.linked) return
    this.linked = true
    const head = shared.head
    this.timedNext = head
    if (head !== undefined) head.timedPrev = this
    shared.head = this
    if (dueAt < shared.at) shared.schedule(dueAt)
    else shared.ref()
  }

  /** Leaves the list. Nothing if not a member. */
  protected unwatch(): void {
    if (!this.linked) return
    this.linked = false
    const { timedNext: next, timedPrev: prev } = this
    if (prev === undefined) shared.head = next
    else prev.timedNext = next
    if (next !== undefined) next.timedPrev = prev
    this.timedNext = undefined
    this.timedPrev = undefined
    if (shared.head === undefined) shared.unref()
  }

  /** @internal The timer fired at `at`: the members that are due leave the list and are told (in list order). */
  static fire(at: number): void {
    let due: Array<Timed> | undefined
    let next = Infinity
    for (let member = shared.head; member !== undefined; member = member.timedNext) {
      const dueAt = member.dueAt(at)
      if (dueAt <= at) (due ??= []).push(member)
      else if (dueAt < next) next = dueAt
    }
    if (due !== undefined) { for (const member of due) member.unwatch() }
    if (next !== Infinity) shared.schedule(next)
    // Told last: what a member does when due (abort an exchange, resume a fiber) may join or leave.
    if (due !== undefined) { for (const member of due) member.due(at) }
  }

  /** The members, and whether the timer is set and keeps the process alive (for tests). */
  static state(): { readonly members: number; readonly set: boolean; readonly refed: boolean } {
    let members = 0
    for (let member = shared.head; member !== undefined; member = member.timedNext) members++
    return { members, set: shared.at !== Infinity, refed: shared.refed }
  }
}

/** The list and its one timer. */
class Shared {
  head: Timed | undefined = undefined
  /** When the timer fires (`Infinity`: not set). */
  at = Infinity
  private timer: ReturnType<typeof setTimeout> | undefined = undefined
  refed = false

  schedule(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.at = at
    this.refed = true
    this.timer = setTimeout(this.fire, Math.min(MAX_TIMER, Math.max(1, Math.ceil(at - now()))))
  }

  ref(): void {
    if (this.refed || this.timer === undefined) return
    this.refed = true
    this.timer.ref?.()
  }

  unref(): void {
    if (!this.refed || this.timer === undefined) return
    this.refed = false
    this.timer.unref?.()
  }

  private readonly fire = (): void => {
    this.timer = undefined
    this.at = Infinity
    this.refed = false
    Timed.fire(now())
  }
}

const shared = new Shared()
