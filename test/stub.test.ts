import { expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option, Stream } from "effect"
import { Applications, InvalidArgumentError, Runs, Secrets } from "../src/index.js"
import { Stub } from "../src/testing/index.js"

/** The defect of a failed exit, or undefined. */
const defectOf = <A, E>(exit: Exit.Exit<A, E>): unknown =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.dieOption(exit.cause)) : undefined

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

it.effect("an unstubbed call dies with UnstubbedMethodError naming the service and the method", () =>
  Effect.gen(function*() {
    const exit = yield* Effect.gen(function*() {
      const runs = yield* Runs.Runs
      return yield* runs.newRun("app", { input: {} })
    }).pipe(Effect.exit)
    const defect = defectOf(exit)
    expect(defect).toBeInstanceOf(Stub.UnstubbedMethodError)
    const error = defect as Stub.UnstubbedMethodError
    expect(error._tag).toBe("UnstubbedMethodError")
    expect(error.service).toBe("nextmv-effect/Runs")
    expect(error.method).toBe("newRun")
    expect(error.stubbed).toEqual(["cancelRun"])
    expect(error.message).toBe(
      "Runs.newRun was called, but the stub of nextmv-effect/Runs implements only: cancelRun. " +
        "Add newRun to the Stub.make(...) implementation, or provide the real layer."
    )
    // The pretty cause a test runner prints carries the message, not an opaque `Die {}`.
    expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain("Runs.newRun was called")
    expect(String(exit)).toContain("Runs.newRun was called")
  }).pipe(Effect.provide(Stub.make(Runs.Runs, { cancelRun: () => Effect.void }))))

it.effect("members that return a Stream or a plain value fail the same way", () =>
  Effect.gen(function*() {
    const streamed = yield* Stream.unwrap(Effect.map(Secrets.Secrets, (s) => s.streamSecretsCollections("app"))).pipe(
      Stream.runCollect,
      Effect.exit
    )
    expect((defectOf(streamed) as Stub.UnstubbedMethodError).method).toBe("streamSecretsCollections")
    const plain = yield* Effect.map(Runs.Runs, (runs) => runs.consoleUrl("app", "run-1")).pipe(Effect.exit)
    expect((defectOf(plain) as Stub.UnstubbedMethodError).message).toContain("implements only: nothing")
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
  expect(() => runs.runMetadata("app", "run-1")).toThrow(Stub.UnstubbedMethodError)
})
