/**
 * The request shapes every resource service repeats, written once: the `…Exists` check (404 →
 * `false`), JSON bodies, and nextmv-py's "GET then PUT the whole object" updates.
 */
import { HttpClientRequest } from "@effect/platform"
import { Effect, Schema } from "effect"
import { NextmvHttpError } from "../Errors.js"
import type { Requester } from "./requester.js"

/** `true` for a `NextmvHttpError` with status 404. */
export const isNotFound = (error: unknown): error is NextmvHttpError =>
  error instanceof NextmvHttpError && error.status === 404

/** `GET path`: `true` on 2xx, `false` on 404, any other failure is an error (spec §1.9). */
export const exists = (api: Requester, path: string): Effect.Effect<boolean, NextmvHttpError> =>
  api.discard(HttpClientRequest.get(path)).pipe(
    Effect.as(true),
    Effect.catchIf(isNotFound, () => Effect.succeed(false))
  )

/** A request with a compact JSON body. */
export const withJson = (method: "POST" | "PUT" | "PATCH", path: string, body: unknown) =>
  HttpClientRequest.make(method)(path).pipe(HttpClientRequest.bodyUnsafeJson(body))

/**
 * Encodes a decoded resource back to its wire JSON with nulls and absent fields left out
 * (nextmv-py's `to_dict()`), for the GET-then-PUT updates. Encoding a value the same schema
 * decoded cannot fail; a failure would be a bug in the schema, hence a defect.
 */
export const toWire = <A, I extends object>(schema: Schema.Schema<A, I>, value: A): Effect.Effect<Record<string, unknown>> =>
  Schema.encode(schema)(value).pipe(
    Effect.orDie,
    Effect.map((wire) => Object.fromEntries(Object.entries(wire).filter(([, v]) => v !== null && v !== undefined)))
  )

/** Copies the given (not `undefined`) entries of `changes` onto `body`. */
export const applyChanges = (
  body: Record<string, unknown>,
  changes: Readonly<Record<string, unknown>>
): Record<string, unknown> => {
  for (const [key, value] of Object.entries(changes)) if (value !== undefined) body[key] = value
  return body
}
