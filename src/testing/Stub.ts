/**
 * Partial stubs of the SDK's services (or any `Context.Tag` service) for unit tests that do not
 * need the emulator: implement only the members a test uses, get a `Layer` for the tag.
 *
 * A member that was not stubbed is still there: calling it never throws. It returns an
 * {@link UnstubbedMethodError} that names the service and the member and lists what the stub
 * does implement. That error is itself an `Effect` that fails with it (a yieldable error), and an
 * Effect is also a `Stream`, so:
 * - a member that returns an `Effect` fails in the **error channel** with the
 *   `UnstubbedMethodError` (`Exit.fail`, `Cause.pretty` and `String(exit)` show its message);
 * - a member that returns a `Stream` gives a stream that fails with it;
 * - a member that returns a plain value (such as `Runs.consoleUrl`) returns the error object
 *   itself, whose text (`String(value)`, `${value}`) is the message: stub such members when the
 *   code under test reads them.
 *
 * The error is not in the members' declared error types: an unstubbed call is a mistake in the
 * test's setup, not a condition the code under test is written to handle. Code under test that
 * recovers from every error (`Effect.catchAll`, `Effect.orElse`) also recovers from this one.
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
 * The stub itself: `implementation`, with every other member returning an
 * {@link UnstubbedMethodError} (an Effect, and so a Stream, that fails with it) when called. Use
 * {@link make} for a `Layer`.
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
      // A fresh error per call. It is an Effect that fails with itself, which a Stream
      // consumer reads as a stream failing with it, so nothing is thrown.
      return (): UnstubbedMethodError => new UnstubbedMethodError({ service: tag.key, method: key, stubbed })
    },
    has: (target, key) => typeof key === "string" && !probedKeys.has(key) ? true : Reflect.has(target, key)
  }) as S
}

/**
 * A `Layer` that provides a partial stub of the service `tag`: the members in `implementation`,
 * and for every other member an {@link UnstubbedMethodError} that names it, as a failure in the
 * error channel (see the module documentation).
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
