/**
 * Shared by the examples: runs a program against Nextmv Cloud when `NEXTMV_API_KEY` and
 * `NEXTMV_APP_ID` are set, and otherwise against the embedded Nextmv Cloud emulator (started on
 * 127.0.0.1 for the program's lifetime, with a fresh application), so every example runs with
 * `npx tsx examples/<name>.ts` and no credentials.
 */
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Config, Console, Effect, Layer, Option } from "effect"
import { Applications, Layers, NextmvClient } from "../src/index.js"
import { NodeTransport } from "../src/node/index.js"
import { Emulator } from "../src/testing/index.js"

/** Where an example runs: the application to use, and the emulator when it runs on one. */
export interface Backend {
  readonly appId: string
  readonly emulator: Option.Option<Emulator.Service>
}

/** What an example program may use: every Nextmv service plus the Node platform services. */
export type ExampleServices = Layers.Services | NextmvClient.NextmvClient | NodeContext.NodeContext

/** Runs `program` on Nextmv Cloud or on the embedded emulator (see the module comment). */
export const runExample = <A, E>(
  name: string,
  program: (backend: Backend) => Effect.Effect<A, E, ExampleServices>
): void => {
  const onCloud = (appId: string) =>
    Effect.gen(function*() {
      const client = yield* NextmvClient.NextmvClient
      yield* Console.log(`Using Nextmv Cloud at ${client.baseUrl}, application ${appId}`)
      return yield* program({ appId, emulator: Option.none() })
    }).pipe(Effect.provide(Layers.services.pipe(Layer.provideMerge(NextmvClient.layerConfig()))))

  const onEmulator = Effect.gen(function*() {
    const emulator = yield* Emulator.Emulator
    yield* Console.log(`No NEXTMV_API_KEY and NEXTMV_APP_ID: using the embedded emulator at ${emulator.url}`)
    const app = yield* (yield* Applications.Applications).newApplication({ id: name, name })
    return yield* program({ appId: app.id, emulator: Option.some(emulator) })
  }).pipe(Effect.provide(Layers.services.pipe(Layer.provideMerge(Emulator.layerClient()))))

  const main = Effect.gen(function*() {
    const apiKey = yield* Config.option(Config.nonEmptyString("NEXTMV_API_KEY"))
    const appId = yield* Config.option(Config.nonEmptyString("NEXTMV_APP_ID"))
    return Option.isSome(apiKey) && Option.isSome(appId) ? yield* onCloud(appId.value) : yield* onEmulator
  }).pipe(Effect.provide(Layer.mergeAll(NodeTransport.layer, NodeContext.layer)))

  NodeRuntime.runMain(main)
}

/** Polling fast enough for a demo; a real program keeps the defaults or sets its own bounds. */
export const demoPolling = { initialDelay: "100 millis", delay: "100 millis", maxDuration: "10 minutes" } as const
