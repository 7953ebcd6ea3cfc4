import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { Slots } from "../src/internal/slots.js"

/** Forks `n` fibers that each hold a permit until `gate` opens, recording the order they got it. */
const queue = (slots: Slots, n: number, gate: Deferred.Deferred<void>, order: Array<number>) =>
  Effect.gen(function*() {
    const fibers: Array<Fiber.RuntimeFiber<void>> = []
    for (let i = 0; i < n; i++) {
      fibers.push(yield* Effect.fork(slots.withPermit(Effect.zipRight(Effect.sync(() => order.push(i)), Deferred.await(gate)))))
      yield* Effect.yieldNow()
    }
    return fibers
  })

describe("Slots (FIFO semaphore of the per-origin cap and the request budget)", () => {
  it.effect("at most `permits` holders; waiters get the permit in arrival order", () =>
    Effect.gen(function*() {
      const slots = new Slots(2)
      const gate = yield* Deferred.make<void>()
      const order: Array<number> = []
      const fibers = yield* queue(slots, 5, gate, order)
      expect(order).toEqual([0, 1])
      expect(slots.available).toBe(0)
      expect(slots.waiting).toBe(3)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.joinAll(fibers)
      expect(order).toEqual([0, 1, 2, 3, 4])
      expect(slots.available).toBe(2)
      expect(slots.waiting).toBe(0)
    }))

  it.effect("an interrupted waiter leaves the queue; nobody is skipped and no permit is lost", () =>
    Effect.gen(function*() {
      const slots = new Slots(1)
      const gate = yield* Deferred.make<void>()
      const order: Array<number> = []
      const fibers = yield* queue(slots, 4, gate, order)
      yield* Fiber.interrupt(fibers[2]!)
      expect(slots.waiting).toBe(2)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(fibers[0]!)
      yield* Fiber.join(fibers[1]!)
      yield* Fiber.join(fibers[3]!)
      expect(order).toEqual([0, 1, 3])
      expect(slots.available).toBe(1)
    }))

  it.effect("a failing or interrupted holder gives its permit back", () =>
    Effect.gen(function*() {
      const slots = new Slots(1)
      const failed = yield* Effect.exit(slots.withPermit(Effect.fail("boom")))
      expect(Exit.isFailure(failed)).toBe(true)
      expect(slots.available).toBe(1)
      const holder = yield* Effect.fork(slots.withPermit(Effect.never))
      yield* Effect.yieldNow()
      expect(slots.available).toBe(0)
      yield* Fiber.interrupt(holder)
      expect(slots.available).toBe(1)
    }))

  it.effect("a waiter interrupted right after it was handed the permit gives it back", () =>
    Effect.gen(function*() {
      const slots = new Slots(1)
      yield* slots.take
      const waiter = yield* Effect.fork(slots.withPermit(Effect.never))
      yield* Effect.yieldNow()
      // Hand the permit over and interrupt before the waiter runs again.
      slots.release()
      yield* Fiber.interrupt(waiter)
      expect(slots.available).toBe(1)
      expect(slots.waiting).toBe(0)
    }))

  it.scoped("acquireScoped holds the permit until the scope closes", () =>
    Effect.gen(function*() {
      const slots = new Slots(1)
      yield* Effect.scoped(Effect.gen(function*() {
        yield* slots.acquireScoped
        expect(slots.available).toBe(0)
      }))
      expect(slots.available).toBe(1)
    }))
})
