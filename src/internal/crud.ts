/**
 * The `…Exists` check every resource service has, written once (404 → `false`). Request bodies
 * are built with `body.ts`.
 */
import { HttpClientRequest } from "@effect/platform"
import { Effect } from "effect"
import { NextmvHttpError } from "../Errors.js"
import type { Requester } from "./requester.js"

/** `true` for a `NextmvHttpError` with status 404. */
export const isNotFound = (error: unknown): error is NextmvHttpError => error instanceof NextmvHttpError && error.status === 404

/** `GET path`: `true` on 2xx, `false` on 404, any other failure is an error (as nextmv-py's `…_exists`). */
export const exists = (api: Requester, path: string): Effect.Effect<boolean, NextmvHttpError> =>
  api.discard(HttpClientRequest.get(path)).pipe(
    Effect.as(true),
    Effect.catchIf(isNotFound, () => Effect.succeed(false))
  )
