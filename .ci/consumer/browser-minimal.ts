/**
 * The smallest useful browser program: list the applications over `FetchHttpClient`. Effect's
 * modules are imported one by one (`effect/Effect`), as for any Effect program bundled by esbuild:
 * esbuild keeps all of a namespace imported from the `effect` index (`import { Effect } from "effect"`).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { Applications, NextmvClient } from "nextmv-effect"

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
