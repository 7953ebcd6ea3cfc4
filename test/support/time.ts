/**
 * Deterministic time in tests: the emulator (built inside `it.effect`) reads the `TestClock`, and
 * {@link driven} runs a test body that polls or retries by jumping the `TestClock` to each wake-up
 * time while HTTP goes over real sockets (see `src/testing/Drive.ts`).
 */
import { Effect, TestServices } from "effect"
import type { YieldWrap } from "effect/Utils"
import { drive } from "../../src/testing/Drive.js"

/**
 * `Effect.gen(body)` run through {@link drive}: every sleep inside (polling delays, retry backoff,
 * explicit `Effect.sleep`) passes in virtual time, exactly as long as it says.
 */
export const driven = <Eff extends YieldWrap<Effect.Effect<any, any, any>>, AEff>(
  body: () => Generator<Eff, AEff, never>
) => drive(Effect.gen(body))

/**
 * The failure of `effect`, for assertions; when it succeeds instead, the test fails with a
 * readable message showing the value (rather than `Effect.flip`'s bare success object).
 */
export const failureOf = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<E, never, R> =>
  Effect.matchEffect(effect, {
    onFailure: Effect.succeed,
    onSuccess: (value) => Effect.dieMessage(`expected a failure, but the effect succeeded with: ${show(value)}`)
  })

const show = (value: unknown): string => {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}n` : v), 2) ?? String(value)
  } catch {
    return String(value)
  }
}

/**
 * Waits until `condition` holds, polling on the real clock a few ms at a time (at most ~10 s; a
 * test on real sockets waits for the other side this way, never for a fixed time).
 */
export const untilLive = <E, R>(condition: Effect.Effect<boolean, E, R>): Effect.Effect<void, E, R> =>
  Effect.gen(function*() {
    for (let i = 0; i < 2000; i++) {
      if (yield* condition) return
      yield* TestServices.provideLive(Effect.sleep("5 millis"))
    }
    return yield* Effect.dieMessage("condition not reached")
  })
