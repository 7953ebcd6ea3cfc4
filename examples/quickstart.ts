/**
 * `npm start`: the quick-start program.
 *
 * Without credentials it starts the embedded Nextmv Cloud emulator on 127.0.0.1, creates an
 * application, submits a run with a sample input, shows each status change as it happens, and
 * prints the result and the run's logs. With `NEXTMV_API_KEY` and `NEXTMV_APP_ID` set it does the
 * same against Nextmv Cloud (the application must exist; `NEXTMV_INSTANCE_ID` picks an instance).
 */
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Config, Console, Effect, Layer, Option, Stream } from "effect"
import { Applications, Layers, NextmvClient, Polling, RunPrograms, Runs } from "../src/index.js"
import { NodeTransport } from "../src/node/index.js"
import { Emulator, Models } from "../src/testing/index.js"

/** A tiny routing-like input. */
const sampleInput = {
  defaults: { vehicles: { speed: 10, capacity: 20 } },
  stops: [
    { id: "s1", location: { lon: -96.75, lat: 33.2 }, quantity: -5 },
    { id: "s2", location: { lon: -96.7, lat: 33.21 }, quantity: -8 }
  ],
  vehicles: [{ id: "v1", start_location: { lon: -96.72, lat: 33.19 } }]
}

type Point = { readonly lon: number; readonly lat: number }
type Stop = { readonly id: string; readonly location: Point }
const distanceKm = (a: Point, b: Point) => Math.hypot((a.lon - b.lon) * 92.6, (a.lat - b.lat) * 111.2)

/** The emulator's stand-in for a routing model: visits the stops in input order. */
const naiveRouter = Models.output(
  (model) => {
    const input = model.input as typeof sampleInput
    const vehicle = input.vehicles[0]!
    let at: Point = vehicle.start_location
    let total = 0
    const route = input.stops.map((stop: Stop) => {
      total += distanceKm(at, stop.location)
      at = stop.location
      return { stop_id: stop.id, cumulative_km: Number(total.toFixed(2)) }
    })
    return {
      solutions: [{ vehicles: [{ id: vehicle.id, route }] }],
      statistics: { schema: "v1", result: { value: Number(total.toFixed(2)) } }
    }
  }
)
const solverLog = ["reading input: 2 stops, 1 vehicle", "found first solution: 1 route", "no improvement found", "done"]

const showRun = (appId: string, instanceId: string | undefined) =>
  Effect.gen(function*() {
    const runs = yield* Runs.Runs
    const runId = yield* runs.newRun(appId, {
      input: sampleInput,
      instanceId,
      name: "quick start",
      options: { "solve.duration": "2s" }
    })
    yield* Console.log(`Submitted run ${runId}\n  ${runs.consoleUrl(appId, runId)}`)

    // One line per status change, as it happens.
    const polling: Partial<Polling.PollingOptions> = {
      initialDelay: "200 millis",
      delay: "100 millis",
      backoff: "100 millis",
      maxDelay: "2 seconds",
      jitter: 0
    }
    yield* RunPrograms.watchRun(appId, runId, { polling }).pipe(
      Stream.runForEach((info) => Console.log(`  status: ${info.metadata.status_v2}`))
    )

    const result = yield* RunPrograms.runResultWithPolling(appId, runId, { polling })
    yield* Console.log(`Result (${result.metadata.execution_duration ?? 0} ms of execution):`)
    yield* Console.log(JSON.stringify(result.output, null, 2))
    const logs = yield* runs.runLogs(appId, runId)
    yield* Console.log(`Logs:\n${logs.log.trimEnd().split("\n").map((line) => `  ${line}`).join("\n")}`)
  })

/** Against the embedded emulator: nothing to configure. */
const onEmulator = Effect.gen(function*() {
  const emulator = yield* Emulator.Emulator
  yield* Console.log(`Nextmv Cloud emulator listening on ${emulator.url}`)
  const apps = yield* Applications.Applications
  const app = yield* apps.newApplication({ name: "Quick start routing", description: "created by npm start" })
  yield* Console.log(`Created application ${app.id}`)
  // A model that takes a moment and talks, so the status changes and logs are visible.
  emulator.areas.runs.setModel(app.id, Models.sleep(1500, Models.logs(solverLog, naiveRouter)))
  yield* showRun(app.id, undefined)
}).pipe(
  Effect.provide(
    Layers.services.pipe(
      Layer.provideMerge(Emulator.layerClient({ runs: { queuedMillis: 400 } })),
      Layer.provide(Layer.mergeAll(NodeTransport.layer, NodeContext.layer))
    )
  )
)

/** Against Nextmv Cloud, with NEXTMV_API_KEY and NEXTMV_APP_ID. */
const onCloud = (appId: string, instanceId: string | undefined) =>
  Effect.gen(function*() {
    const client = yield* NextmvClient.NextmvClient
    yield* Console.log(`Using Nextmv Cloud at ${client.baseUrl}, application ${appId}`)
    yield* showRun(appId, instanceId)
  }).pipe(
    Effect.provide(
      Layers.services.pipe(
        Layer.provideMerge(NextmvClient.layerConfig()),
        Layer.provide(Layer.mergeAll(NodeTransport.layer, NodeContext.layer))
      )
    )
  )

const main = Effect.gen(function*() {
  const apiKey = yield* Config.option(Config.nonEmptyString("NEXTMV_API_KEY"))
  const appId = yield* Config.option(Config.nonEmptyString("NEXTMV_APP_ID"))
  const instanceId = yield* Config.option(Config.nonEmptyString("NEXTMV_INSTANCE_ID"))
  if (Option.isSome(apiKey) && Option.isSome(appId)) {
    return yield* onCloud(appId.value, Option.getOrUndefined(instanceId))
  }
  yield* Console.log("No NEXTMV_API_KEY and NEXTMV_APP_ID: running against the embedded emulator.")
  return yield* onEmulator
})

NodeRuntime.runMain(main)
