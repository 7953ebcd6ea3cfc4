/**
 * `traced("Area.operation")(function*(...) { ... })`: the service methods' `Effect.fn`, with a span
 * that costs nothing when no tracer is installed.
 *
 * `Effect.fn` opens its span on every call, also under Effect's built-in tracer (which records
 * nowhere but still makes a span object with random ids, about 15 µs per call), and captures the
 * call site's stack with a `new Error()` on every call (about 4 µs). Here the span is opened only
 * when a tracer is installed (the check the requester makes for its `http.client` span), with the
 * same name, parent/child relation, attributes and error recording as `Effect.fn`'s; its
 * `code.stacktrace` is the operation's definition site, captured once (not the caller's frame).
 */
import { Effect, FiberRef } from "effect"
import type { Fiber } from "effect"
import type { YieldWrap } from "effect/Utils"

/** Effect's built-in tracer, which records nowhere unless a tracer is installed. */
const builtInTracer = Effect.runSync(Effect.tracer)

/**
 * Whether spans made on `fiber` go anywhere: tracing is on and a tracer other than Effect's
 * built-in one is installed. The one check for the operations' spans and the `http.client` span.
 */
export const tracerInstalled = (fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean =>
  // The tracer first: a field of the fiber, where the flag is a fiber-ref lookup.
  fiber.currentTracer !== builtInTracer && fiber.getFiberRef(FiberRef.currentTracerEnabled)

/** The error channel of a generator body yielding `Eff` (as `Effect.fn` computes it). */
type ErrorOf<Eff> = [Eff] extends [never] ? never
  : [Eff] extends [YieldWrap<Effect.Effect<infer _A, infer E, infer _R>>] ? E
  : never

/** The requirements of a generator body yielding `Eff` (as `Effect.fn` computes it). */
type ContextOf<Eff> = [Eff] extends [never] ? never
  : [Eff] extends [YieldWrap<Effect.Effect<infer _A, infer _E, infer R>>] ? R
  : never

/**
 * Makes an operation from a generator body, run inside a span named `name` when a tracer is
 * installed (and tracing is on), without a span otherwise.
 */
export const traced = (name: string) => {
  // The frame that called `traced` (the operation's definition), captured once.
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 2
  const definedAt = new Error()
  Error.stackTraceLimit = limit
  let stack: string | undefined | null = null
  const captureStackTrace = (): string | undefined => {
    if (stack === null) {
      const frame = definedAt.stack?.trim().split("\n").slice(2).join("\n").trim()
      stack = frame === undefined || frame === "" ? undefined : frame.includes("(") ? frame : frame.replace(/at (.*)/, "at ($1)")
    }
    return stack
  }
  const options = { captureStackTrace }
  return <Eff extends YieldWrap<Effect.Effect<any, any, any>>, AEff, Args extends Array<any>>(
    body: (...args: Args) => Generator<Eff, AEff, never>
  ) =>
  (...args: Args): Effect.Effect<AEff, ErrorOf<Eff>, ContextOf<Eff>> => {
    const effect: Effect.Effect<AEff, ErrorOf<Eff>, ContextOf<Eff>> = Effect.gen(() => body(...args))
    return Effect.withFiberRuntime((fiber) => tracerInstalled(fiber) ? Effect.withSpan(effect, name, options) : effect)
  }
}
