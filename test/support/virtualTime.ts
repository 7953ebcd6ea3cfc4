/**
 * Virtual time for HTTP tests: the TestClock drives the SDK (budget waits, polling sleeps) and the
 * emulator's clock reads the same time. {@link runVirtual} forks the program and, whenever no
 * request is in flight, moves the clock to the next pending sleep, until the program ends. Real
 * time is only spent waiting for sockets; no assertion depends on it.
 */
import { Chunk, Effect, Fiber, TestClock } from "effect"
import { NextmvClient } from "../../src/services/NextmvClient.js"

/** The emulator's clock, read by the emulator's `now` option. */
export interface VirtualClock {
  millis: number
}

/** A clock starting at `start` (TestClock's start is 0). */
export const virtualClock = (): VirtualClock => ({ millis: 0 })

const realTick = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 1)))

/** Waits (in real time) until no request of the client has been in flight for a few ticks. */
const settle = Effect.gen(function*() {
  const client = yield* NextmvClient
  let quiet = 0
  let spins = 0
  while (quiet < 4) {
    yield* realTick
    yield* Effect.yieldNow()
    const state = yield* client.budget.state
    quiet = state.inFlight === 0 ? quiet + 1 : 0
    if (++spins > 20_000) return yield* Effect.dieMessage("requests still in flight after 20,000 ticks")
  }
})

/**
 * Runs `program` on virtual time: between steps it lets the in-flight requests finish, then moves
 * the TestClock and `clock` to the earliest pending sleep. Dies when the program is stuck (no
 * sleep pending, nothing in flight, not done) or after `maxSteps` steps.
 */
export const runVirtual = <A, E, R>(
  clock: VirtualClock,
  program: Effect.Effect<A, E, R>,
  maxSteps = 50_000
): Effect.Effect<A, E, R | NextmvClient> =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(program)
    for (let step = 0; step < maxSteps; step++) {
      yield* settle
      const exit = fiber.unsafePoll()
      if (exit !== null) return yield* exit
      const sleeps = yield* TestClock.sleeps()
      if (Chunk.isEmpty(sleeps)) {
        let stuck = 0
        while (fiber.unsafePoll() === null && Chunk.isEmpty(yield* TestClock.sleeps()) && stuck < 200) {
          yield* realTick
          stuck++
        }
        if (stuck >= 200) return yield* Effect.dieMessage("virtual time: nothing pending and the program is not done")
        continue
      }
      const next = Math.min(...Chunk.toReadonlyArray(sleeps))
      const at = Math.max(next, yield* TestClock.currentTimeMillis)
      clock.millis = at
      yield* TestClock.setTime(at)
    }
    yield* Fiber.interrupt(fiber)
    return yield* Effect.dieMessage(`virtual time: not done after ${maxSteps} steps`)
  })
