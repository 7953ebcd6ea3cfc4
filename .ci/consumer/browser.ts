/**
 * A browser program (bundled by `.ci/consumer/browser-check.mjs` with esbuild for the browser
 * platform): only `FetchHttpClient`, no Node layer. It creates an application, lists it, and
 * waits for a run's result. Runs need a `FileSystem` and `Path` for directory inputs; a browser
 * has none, so the no-op `FileSystem` and the pure-JS `Path` stand in (JSON inputs never use them).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { Applications, NextmvClient, RunPrograms, Runs, Uploads } from "nextmv-effect"

/** Creates `appId`, runs `input` on it and returns the run's output. */
export const main = (baseUrl: string, apiKey: string, appId: string, input: unknown): Promise<unknown> =>
  Effect.gen(function*() {
    const apps = yield* Applications.Applications
    yield* apps.newApplication({ id: appId, name: "Browser bundle" })
    const listed = yield* apps.listApplications()
    if (!listed.some((app) => app.id === appId)) return yield* Effect.dieMessage("created application not listed")
    const result = yield* RunPrograms.newRunWithResult(appId, {
      input,
      polling: { initialDelay: "10 millis", delay: "10 millis", maxDuration: "30 seconds" }
    })
    return result.output
  }).pipe(
    Effect.provide(
      Layer.mergeAll(Applications.layer, Runs.layer).pipe(
        Layer.provideMerge(Uploads.layer),
        Layer.provide(NextmvClient.layer({ apiKey: Redacted.make(apiKey), baseUrl })),
        Layer.provide(Layer.mergeAll(FetchHttpClient.layer, FileSystem.layerNoop({}), Path.layer))
      )
    ),
    Effect.runPromise
  )
