/**
 * The baseline: the same request as `browser-minimal.ts` written with Effect, Schema and
 * `FetchHttpClient` alone, without nextmv-effect. Its size is the floor for any Effect program.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

const Application = Schema.Struct({ id: Schema.String, name: Schema.String })

/** The ids of the account's applications. */
export const main = (baseUrl: string, apiKey: string): Promise<ReadonlyArray<string>> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(
      HttpClientRequest.get(`${baseUrl}/v1/applications`).pipe(HttpClientRequest.bearerToken(apiKey))
    )
    const apps = yield* HttpClientResponse.schemaBodyJson(Schema.Array(Application))(response)
    return apps.map((app) => app.id)
  }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer), Effect.runPromise)
