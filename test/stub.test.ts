import { expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option, Stream } from "effect"
import { Applications, InvalidArgumentError, Runs, Secrets } from "../src/index.js"
import { Stub } from "../src/testing/index.js"

/** The typed failure of a failed exit, or undefined (also for a defect). */
const failureOf = <A, E>(exit: Exit.Exit<A, E>): unknown =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined

it.effect("a stubbed member answers as given", () =>
  Effect.gen(function*() {
    const apps = yield* Applications.Applications
    expect(yield* apps.applicationExists("routing")).toBe(true)
  }).pipe(Effect.provide(Stub.make(Applications.Applications, { applicationExists: Stub.succeed(true) }))))

const refused = new InvalidArgumentError({ operation: "Runs.cancelRun", reason: "refused by the stub" })

it.effect("Stub.fail puts the given error in the error channel", () =>
  Effect.gen(function*() {
    const runs = yield* Runs.Runs
    const error = yield* Effect.flip(runs.cancelRun("app", "run-1"))
    expect(error).toBe(refused)
  }).pipe(Effect.provide(Stub.make(Runs.Runs, { cancelRun: Stub.fail(refused) }))))

it.effect("an unstubbed call fails in the error channel with UnstubbedMethodError naming the service and the method", () =>
  Effect.gen(function*() {
    const exit = yield* Effect.gen(function*() {
      const runs = yield* Runs.Runs
      return yield* runs.newRun("app", { input: {} })
    }).pipe(Effect.exit)
    expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(false)
    const failure = failureOf(exit)
    expect(failure).toBeInstanceOf(Stub.UnstubbedMethodError)
    const error = failure as Stub.UnstubbedMethodError
    expect(error._tag).toBe("UnstubbedMethodError")
    expect(error.service).toBe("nextmv-effect/Runs")
    expect(error.method).toBe("newRun")
    expect(error.stubbed).toEqual(["cancelRun"])
    expect(error.message).toBe(
      "Runs.newRun was called, but the stub of nextmv-effect/Runs implements only: cancelRun. " +
        "Add newRun to the Stub.make(...) implementation, or provide the real layer."
    )
    // The pretty cause a test runner prints carries the message, not an opaque `Die {}`.
    expect(Exit.isFailure(exit) && Cause.isFailType(exit.cause)).toBe(true)
    expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain("Runs.newRun was called")
    expect(String(exit)).toContain("Runs.newRun was called")
  }).pipe(Effect.provide(Stub.make(Runs.Runs, { cancelRun: () => Effect.void }))))

it.effect("an unstubbed call is a failure like any typed error (it is not in the member's error type)", () =>
  Effect.gen(function*() {
    const runs = yield* Runs.Runs
    const recovered = yield* runs.cancelRun("app", "run-1").pipe(
      Effect.as("cancelled"),
      Effect.catchAll((error: unknown) =>
        error instanceof Stub.UnstubbedMethodError ? Effect.succeed(`unstubbed ${error.method}`) : Effect.fail(error)
      )
    )
    expect(recovered).toBe("unstubbed cancelRun")
  }).pipe(Effect.provide(Stub.make(Runs.Runs, {}))))

it.effect("members that return a Stream fail the same way; plain-value members return the error, whose text is the message", () =>
  Effect.gen(function*() {
    const streamed = yield* Stream.unwrap(Effect.map(Secrets.Secrets, (s) => s.streamSecretsCollections("app"))).pipe(
      Stream.runCollect,
      Effect.exit
    )
    expect((failureOf(streamed) as Stub.UnstubbedMethodError).method).toBe("streamSecretsCollections")
    const plain: unknown = yield* Effect.map(Runs.Runs, (runs) => runs.consoleUrl("app", "run-1"))
    expect(plain).toBeInstanceOf(Stub.UnstubbedMethodError)
    expect(String(plain)).toContain("Runs.consoleUrl was called, but the stub of nextmv-effect/Runs implements only: nothing")
  }).pipe(
    Effect.provide(Stub.make(Secrets.Secrets, {})),
    Effect.provide(Stub.make(Runs.Runs, {}))
  ))

it("a stub is a plain object to inspectors and promise checks", () => {
  const runs = Stub.service(Runs.Runs, { consoleUrl: (appId, runId) => `console/${appId}/${runId}` })
  expect(runs.consoleUrl("app", "run-1")).toBe("console/app/run-1")
  expect("then" in runs).toBe(false)
  expect((runs as unknown as { then?: unknown }).then).toBeUndefined()
  expect("runMetadata" in runs).toBe(true)
  // Calling an unstubbed member never throws, even outside an Effect.
  expect(() => runs.runMetadata("app", "run-1")).not.toThrow()
  expect(Effect.isEffect(runs.runMetadata("app", "run-1"))).toBe(true)
})
