/**
 * Partial stubs of the SDK's services (or any `Context.Tag` service) for unit tests that do not
 * need the emulator: implement only the members a test uses, get a `Layer` for the tag.
 *
 * A member that was not stubbed is still there: calling it raises an
 * {@link UnstubbedMethodError} that names the service and the member and lists what the stub
 * does implement. It is a **defect** (`Cause.die`), not a typed failure: an unstubbed call is a
 * mistake in the test's setup, not a condition the code under test should handle, and a typed
 * error would have to appear in every method's error type. Inside an Effect (`Effect.gen`,
 * `Effect.flatMap`, `Stream.unwrap`, …) it surfaces as `Die(UnstubbedMethodError: Runs.newRun was
 * called, but …)`; the message is raised at the call, so it works alike for members that return an
 * `Effect`, a `Stream` or a plain value (such as `Runs.consoleUrl`).
 *
 * @since 0.1.0
 */
import { Context, Data, Effect, Layer } from "effect"

/**
 * A member of a stubbed service was used but the stub does not implement it.
 *
 * @since 0.1.0
 */
export class UnstubbedMethodError extends Data.TaggedError("UnstubbedMethodError")<{
  /** The service's tag key, e.g. `nextmv-effect/Runs`. */
  readonly service: string
  /** The member that was called. */
  readonly method: string
  /** The members the stub implements. */
  readonly stubbed: ReadonlyArray<string>
}> {
  override get message(): string {
    const implemented = this.stubbed.length === 0 ? "nothing" : this.stubbed.join(", ")
    return `${shortName(this.service)}.${this.method} was called, but the stub of ${this.service} ` +
      `implements only: ${implemented}. Add ${this.method} to the Stub.make(...) implementation, ` +
      `or provide the real layer.`
  }

  /** Printed exits and causes (`String(exit)`, test-runner diffs) show the message too. */
  override toJSON(): unknown {
    return { _tag: this._tag, service: this.service, method: this.method, stubbed: this.stubbed, message: this.message }
  }
}

/** `nextmv-effect/Runs` → `Runs`. */
const shortName = (key: string): string => key.slice(key.lastIndexOf("/") + 1)

/**
 * Keys that test runners, inspectors and promise checks probe on any object; a stub answers them
 * as a plain object would (`undefined`) instead of pretending they are unstubbed members.
 */
const probedKeys = new Set([
  "then",
  "toJSON",
  "toString",
  "valueOf",
  "constructor",
  "inspect",
  "asymmetricMatch",
  "nodeType",
  "tagName",
  "$$typeof"
])

/**
 * The stub itself: `implementation`, with every other member raising an
 * {@link UnstubbedMethodError} when called. Use {@link make} for a `Layer`.
 *
 * @example
 * ```ts
 * import { Runs } from "nextmv-effect"
 * import { Stub } from "nextmv-effect/testing"
 *
 * const runs = Stub.service(Runs.Runs, { consoleUrl: (appId, runId) => `console/${appId}/${runId}` })
 * runs.consoleUrl("app", "run-1") // "console/app/run-1"
 * ```
 *
 * @since 0.1.0
 */
export const service = <I, S extends object>(tag: Context.Tag<I, S>, implementation: Partial<S>): S => {
  const stubbed = Object.keys(implementation)
  // The Proxy stands in for the full service type S; members outside `implementation` are
  // answered by `get` below.
  return new Proxy(implementation, {
    get: (target, key, receiver) => {
      if (typeof key === "symbol" || key in target || probedKeys.has(key)) return Reflect.get(target, key, receiver)
      return () => {
        // Raised at the call so the message is the same whatever the member returns (an Effect,
        // a Stream or a plain value); inside an Effect it becomes the defect `Die(error)`.
        throw new UnstubbedMethodError({ service: tag.key, method: key, stubbed })
      }
    },
    has: (target, key) => typeof key === "string" && !probedKeys.has(key) ? true : Reflect.has(target, key)
  }) as S
}

/**
 * A `Layer` that provides a partial stub of the service `tag`: the members in `implementation`,
 * and for every other member an {@link UnstubbedMethodError} defect that names it.
 *
 * @example
 * ```ts
 * import { it, expect } from "@effect/vitest"
 * import { Effect } from "effect"
 * import { Runs } from "nextmv-effect"
 * import { Stub } from "nextmv-effect/testing"
 *
 * const RunsStub = Stub.make(Runs.Runs, {
 *   cancelRun: () => Effect.void
 * })
 *
 * it.effect("cancels", () =>
 *   Effect.gen(function*() {
 *     const runs = yield* Runs.Runs
 *     yield* runs.cancelRun("app", "run-1")
 *   }).pipe(Effect.provide(RunsStub)))
 * ```
 *
 * @since 0.1.0
 */
export const make = <I, S extends object>(tag: Context.Tag<I, S>, implementation: Partial<S>): Layer.Layer<I> =>
  Layer.succeed(tag, service(tag, implementation))

/**
 * A stub member that succeeds with `value` whatever its arguments: `runMetadata: Stub.succeed(info)`.
 *
 * @since 0.1.0
 */
export const succeed = <A>(value: A): (..._args: ReadonlyArray<unknown>) => Effect.Effect<A> => () => Effect.succeed(value)

/**
 * A stub member that fails with `error` whatever its arguments: `getApplication: Stub.fail(notFound)`.
 *
 * @since 0.1.0
 */
export const fail = <E>(error: E): (..._args: ReadonlyArray<unknown>) => Effect.Effect<never, E> => () => Effect.fail(error)
