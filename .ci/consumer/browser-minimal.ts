/** The smallest useful browser program: list the applications over `FetchHttpClient`. */
import { FetchHttpClient } from "@effect/platform"
import { Effect, Layer, Redacted } from "effect"
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
