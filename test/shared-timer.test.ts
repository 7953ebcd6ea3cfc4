/**
 * The shared timer of the fast path's attempts (`src/internal/sharedTimer.ts`): every member is
 * told when it is due — not before, whatever joined or left meanwhile —, one timer serves them all
 * (a later member touches no timer, an earlier one re-arms it), a member's due time is asked again
 * when the timer fires, and the timer keeps the process alive only while it has members. On
 * vitest's fake timers (`setTimeout` and `performance.now`), so nothing waits on the wall clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import { Timed } from "../src/internal/sharedTimer.js"

class Member extends Timed {
  told: number | undefined = undefined
  constructor(public at: number) {
    super()
  }
  join(): this {
    this.watch(this.at)
    return this
  }
  leave(): void {
    this.unwatch()
  }
  protected dueAt(): number {
    return this.at
  }
  protected due(at: number): void {
    this.told = at
  }
}

describe("the shared timer", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] })
  })
  afterEach(() => {
    // Each case leaves the module's timer as it found it: no member, not set.
    expect(Timed.state()).toEqual({ members: 0, set: false, refed: false })
    vi.clearAllTimers()
    vi.useRealTimers()
  })

  it("tells each member when it is due, never before, with one timer for all", () => {
    const t0 = performance.now()
    const first = new Member(t0 + 100).join()
    const later = new Member(t0 + 300).join()
    const latest = new Member(t0 + 200).join()
    // Later members touch no timer.
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(99)
    expect([first.told, later.told, latest.told]).toEqual([undefined, undefined, undefined])
    vi.advanceTimersByTime(1)
    expect(first.told).toBeGreaterThanOrEqual(t0 + 100)
    expect([later.told, latest.told]).toEqual([undefined, undefined])
    vi.advanceTimersByTime(99)
    expect(latest.told).toBeUndefined()
    vi.advanceTimersByTime(1)
    expect(latest.told).toBeGreaterThanOrEqual(t0 + 200)
    vi.advanceTimersByTime(100)
    expect(later.told).toBeGreaterThanOrEqual(t0 + 300)
    expect(Timed.state().members).toBe(0)
  })

  it("re-arms for a member due earlier than the timer; a member that left is never told", () => {
    const t0 = performance.now()
    const slow = new Member(t0 + 20_000).join()
    const gone = new Member(t0 + 50).join()
    const quick = new Member(t0 + 60).join()
    gone.leave()
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(60)
    expect(quick.told).toBeGreaterThanOrEqual(t0 + 60)
    expect(gone.told).toBeUndefined()
    expect(slow.told).toBeUndefined()
    slow.leave()
    vi.advanceTimersByTime(20_000)
    expect(slow.told).toBeUndefined()
  })

  it("asks again when the timer fires: a due time that moved later is waited for, one that moved earlier is told then", () => {
    const t0 = performance.now()
    const moved = new Member(t0 + 100).join()
    const earlier = new Member(t0 + 500).join()
    moved.at = t0 + 250
    earlier.at = t0 + 50
    vi.advanceTimersByTime(100)
    // The timer fires for the first due time: `earlier` is past its new one, `moved` is not yet due.
    expect(earlier.told).toBeGreaterThanOrEqual(t0 + 100)
    expect(moved.told).toBeUndefined()
    vi.advanceTimersByTime(149)
    expect(moved.told).toBeUndefined()
    vi.advanceTimersByTime(1)
    expect(moved.told).toBeGreaterThanOrEqual(t0 + 250)
  })

  it("keeps the process alive only while it has members", () => {
    const t0 = performance.now()
    const member = new Member(t0 + 1000).join()
    expect(Timed.state()).toEqual({ members: 1, set: true, refed: true })
    member.leave()
    // Still set (joining again costs no timer), but it no longer holds the process.
    expect(Timed.state()).toEqual({ members: 0, set: true, refed: false })
    const again = new Member(t0 + 2000).join()
    expect(Timed.state()).toEqual({ members: 1, set: true, refed: true })
    expect(vi.getTimerCount()).toBe(1)
    again.leave()
    // Firing with no member sets no new timer.
    vi.advanceTimersByTime(1000)
    expect(Timed.state()).toEqual({ members: 0, set: false, refed: false })
    expect(vi.getTimerCount()).toBe(0)
  })

  it("a member with no due time never sets a timer", () => {
    const never = new Member(Infinity).join()
    expect(Timed.state()).toEqual({ members: 1, set: false, refed: false })
    never.leave()
  })
})
