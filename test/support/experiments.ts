/**
 * Shared wiring of the experiments tests: the experiment services (plus Uploads) against the
 * emulator over real HTTP, fast polling settings and a raw-request view for contract tests.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import * as AcceptanceTests from "../../src/services/AcceptanceTests.js"
import * as BatchExperiments from "../../src/services/BatchExperiments.js"
import * as InputSets from "../../src/services/InputSets.js"
import * as ManagedInputs from "../../src/services/ManagedInputs.js"
import * as Uploads from "../../src/services/Uploads.js"
import { type ClientOptions, Emulator } from "../../src/testing/Emulator.js"
import { emulatorLayer } from "./layers.js"

/** The application every experiments test uses. */
export const APP = "routing"

/** Experiment services + Uploads + Emulator + NextmvClient; runs end after ~15 ms. */
export const experimentsLayer = (options: ClientOptions = {}) =>
  Layer.mergeAll(
    InputSets.layer,
    ManagedInputs.layer,
    BatchExperiments.layer,
    AcceptanceTests.layer,
    Uploads.layer.pipe(Layer.provide(NodeFileSystem.layer))
  ).pipe(Layer.provideMerge(emulatorLayer({ ...options, runs: { queuedMillis: 5, runningMillis: 10, ...options.runs } })))

/** Polling that checks right away and then every few milliseconds (no jitter). */
export const fastPolling = {
  initialDelay: 0,
  delay: "5 millis",
  backoff: "1 millis",
  maxDelay: "10 millis",
  jitter: 0
} as const

/** Seeds the application (and, when given, managed inputs with JSON data) in the emulator. */
export const seed = (inputs: Readonly<Record<string, unknown>> = {}) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator
    emulator.areas.applications.seed({ id: APP })
    for (const [id, data] of Object.entries(inputs)) emulator.areas.managedInputs.seed(APP, { id, data })
    return emulator
  })

/** Method, path, query and JSON body of every API request (presigned ones excluded) since the last clear. */
export const wire = Effect.flatMap(Emulator, (e) => e.requests).pipe(
  Effect.map((requests) =>
    requests.filter((r) => r.path.startsWith("/v1/")).map((r) => ({
      method: r.method,
      path: r.path,
      query: r.query,
      body: r.json
    }))
  )
)

/** `/v1/applications/routing` + `suffix`. */
export const appPath = (suffix: string) => `/v1/applications/${APP}${suffix}`
