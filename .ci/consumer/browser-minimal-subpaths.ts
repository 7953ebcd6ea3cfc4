/**
 * The same program as `browser-minimal.ts`, importing nextmv-effect's modules by subpath
 * (`nextmv-effect/NextmvClient`), as it imports Effect's (`effect/Effect`). esbuild keeps every
 * member of a namespace imported from a package index (`import { NextmvClient } from
 * "nextmv-effect"` keeps `NextmvClient.layerConfig` and the config-file resolution); a subpath
 * import lets it drop the members the program does not use.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Applications from "nextmv-effect/Applications"
import * as NextmvClient from "nextmv-effect/NextmvClient"

/** The ids of the account's applications. */
export const main = (baseUrl: string, apiKey: string): Promise<ReadonlyArray<string>> =>
  Effect.flatMap(Applications.Applications, (apps) => apps.listApplications()).pipe(
    Effect.map((apps) => apps.map((app) => app.id)),
    Effect.provide(Applications.layer.pipe(
      Layer.provide(NextmvClient.layer({ apiKey: Redacted.make(apiKey), baseUrl })),
      Layer.provide(FetchHttpClient.layer)
    )),
    Effect.runPromise
  )
