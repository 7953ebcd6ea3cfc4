/**
 * Testing code that uses nextmv-effect, two ways:
 *
 * - against the **emulator** (`Emulator.layerClient()`): real HTTP to an in-process Nextmv Cloud,
 *   with fault injection and the raw request log for contract assertions;
 * - with **stubs** (`Stub.make(Tag, { …only what the test needs… })`): no HTTP at all; a member
 *   that was not stubbed fails with an `UnstubbedMethodError` naming it.
 *
 *   npx vitest run --config examples/vitest.config.ts
 *
 * The code under test is `latestRunStatus`, a small function of "your" application.
 */
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Applications, ApplicationSchemas, Layers, RunPrograms, Runs } from "../src/index.js"
import { NodeTransport } from "../src/node/index.js"
import { Emulator, Models, Stub } from "../src/testing/index.js"

/** Your code: creates the app if needed, submits a run, returns its final status. */
const latestRunStatus = (appId: string, input: unknown) =>
  Effect.gen(function*() {
    const apps = yield* Applications.Applications
    yield* apps.newApplication({ id: appId, name: appId, existOk: true })
    const result = yield* RunPrograms.newRunWithResult(appId, {
      input,
      polling: { initialDelay: "10 millis", delay: "10 millis", maxDuration: "1 minute" }
    })
    return result.metadata.status_v2
  })

describe("with the emulator", () => {
  const TestLive = Layers.services.pipe(
    Layer.provideMerge(Emulator.layerClient()),
    Layer.provide(Layer.merge(NodeTransport.layer, NodeContext.layer))
  )

  it.live("a run succeeds", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      emulator.areas.runs.setModel("routing", Models.output(() => ({ routes: [] })))
      expect(yield* latestRunStatus("routing", { stops: [] })).toBe("succeeded")
      // Contract check on the raw requests: the run was submitted once, with our input.
      const posts = (yield* emulator.requests).filter((r) => r.method === "POST" && r.path.endsWith("/runs"))
      expect(posts.map((r) => r.json)).toMatchObject([{ input: { stops: [] } }])
    }).pipe(Effect.provide(TestLive)))

  it.live("a failing model shows up as a typed RunFailedError", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      emulator.areas.runs.setModel("routing", Models.fail("infeasible"))
      const error = yield* Effect.flip(latestRunStatus("routing", {}))
      expect(error._tag).toBe("RunFailedError")
    }).pipe(Effect.provide(TestLive)))
})

describe("with stubs", () => {
  it.effect("only the members the test needs", () =>
    Effect.gen(function*() {
      const runs = yield* Runs.Runs
      expect(runs.consoleUrl("routing", "run-1")).toBe("https://example.test/routing/run-1")
    }).pipe(
      Effect.provide(Stub.make(Runs.Runs, { consoleUrl: (appId, runId) => `https://example.test/${appId}/${runId}` }))
    ))

  it.effect("an unstubbed member names itself", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(latestRunStatus("routing", {}))
      // `newApplication` is stubbed; `Runs.newRun` is not.
      expect(String(exit)).toContain("Runs.newRun was called, but the stub of nextmv-effect/Runs implements only")
    }).pipe(
      Effect.provide(Stub.make(Applications.Applications, {
        newApplication: () => Effect.succeed(new ApplicationSchemas.Application({ id: "routing" }))
      })),
      Effect.provide(Stub.make(Runs.Runs, { consoleUrl: () => "" }))
    ))
})
