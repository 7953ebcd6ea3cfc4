/**
 * Consumer smoke test (run by `.ci/pack-check`): a project that installed the packed tarball
 * imports the package by name, starts the embedded emulator from `nextmv-effect/testing`,
 * creates an application and waits for a run's result. It also imports a module by subpath
 * (`nextmv-effect/NextmvClient`), which must be the very module the index re-exports.
 */
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { Applications, Layers, NextmvClient, RunPrograms, VERSION } from "nextmv-effect"
import * as NextmvClientModule from "nextmv-effect/NextmvClient"
import { Emulator, Models } from "nextmv-effect/testing"

const program = Effect.gen(function*() {
  // A subpath import is the very module the index re-exports (one instance, one Context tag).
  if (NextmvClientModule.NextmvClient !== NextmvClient.NextmvClient) {
    return yield* Effect.dieMessage("nextmv-effect/NextmvClient is not the module of the index's NextmvClient")
  }
  const emulator = yield* Emulator.Emulator
  const apps = yield* Applications.Applications
  const app = yield* apps.newApplication({ id: "smoke-app", name: "Smoke test" })
  emulator.areas.runs.setModel(app.id, Models.output((model) => ({ echoed: model.input })))
  const listed = yield* apps.listApplications()
  if (!listed.some((a) => a.id === app.id)) return yield* Effect.dieMessage("created application not listed")
  const result = yield* RunPrograms.newRunWithResult(app.id, {
    input: { hello: "world" },
    polling: { initialDelay: "10 millis", delay: "10 millis", maxDuration: "30 seconds" }
  })
  const output = JSON.stringify(result.output)
  if (output !== JSON.stringify({ echoed: { hello: "world" } })) {
    return yield* Effect.dieMessage(`unexpected run output: ${output}`)
  }
  return `nextmv-effect ${VERSION}: application ${app.id}, run ${result.id} ${result.metadata.status_v2}`
})

const Live = Layers.services.pipe(
  Layer.provideMerge(Emulator.layerClient()),
  Layer.provide(Layer.merge(NodeHttpClient.layerUndici, NodeContext.layer))
)

Effect.runPromise(program.pipe(Effect.provide(Live))).then(
  (line) => console.log(`smoke ok: ${line}`),
  (error: unknown) => {
    console.error("smoke FAILED", error)
    process.exitCode = 1
  }
)
