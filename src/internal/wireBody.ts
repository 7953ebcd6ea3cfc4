/**
 * Request bodies from `Schema.Struct`s with wire names: the value is encoded by its schema (key
 * order = the struct's field order, absent optional keys left out) and written as compact JSON
 * with `HttpClientRequest.schemaBodyJson`. An encoding failure is an `InvalidArgumentError` of
 * the operation, raised before any request is sent.
 */
import { HttpClientRequest } from "@effect/platform"
import { Effect, type Schema } from "effect"
import { InvalidArgumentError } from "../Errors.js"

/** `method path` with `body` encoded by `schema` as its JSON body. */
export const schemaRequest = <A, I>(
  operation: string,
  method: "POST" | "PUT" | "PATCH",
  path: string,
  schema: Schema.Schema<A, I, never>,
  body: A
): Effect.Effect<HttpClientRequest.HttpClientRequest, InvalidArgumentError> =>
  HttpClientRequest.schemaBodyJson(schema)(HttpClientRequest.make(method)(path), body).pipe(
    Effect.mapError((error) =>
      new InvalidArgumentError({
        operation,
        reason: `the request body could not be encoded: ${
          error.reason._tag === "SchemaError" ? error.reason.error.message : "not serialisable as JSON"
        }`
      })
    )
  )
