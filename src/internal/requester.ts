/**
 * The `Requester` interface: what services and internal helpers use to send requests. The
 * implementation (base URL, auth, timeouts, retries, error mapping) is in
 * `services/NextmvClient.ts`, which re-exports this type.
 */
import type { FileSystem, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import type { Effect, Schema, Stream } from "effect"
import type { NextmvDecodeError, NextmvHttpError } from "../Errors.js"

/**
 * Sends requests and maps every failure to a typed error. `api` resolves paths such as
 * `/v1/applications/app-1` against the base URL and authenticates; `presigned` takes absolute URLs
 * and adds no credentials.
 */
export interface Requester {
  /**
   * Sends the request; succeeds with the 2xx response whose body is not read yet. The timeouts
   * cover the exchange up to the headers only: prefer `stream`, `text`, `bytes`, `json` or
   * `discard`, which also guard the body.
   */
  readonly execute: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<
    HttpClientResponse.HttpClientResponse,
    NextmvHttpError
  >
  /** Sends the request and decodes the JSON body with `schema`. */
  readonly json: <A, I>(
    request: HttpClientRequest.HttpClientRequest,
    schema: Schema.Schema<A, I, never>
  ) => Effect.Effect<A, NextmvHttpError | NextmvDecodeError>
  /** Sends the request and returns the body as text. */
  readonly text: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<string, NextmvHttpError>
  /** Sends the request and returns the body as bytes. */
  readonly bytes: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<Uint8Array, NextmvHttpError>
  /** Sends the request and discards the body. */
  readonly discard: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<void, NextmvHttpError>
  /**
   * Sends the request and streams the body (for large downloads). The idle timeout applies to
   * each read while the consumer waits for the next chunk; a slow consumer is never timed out.
   */
  readonly stream: (request: HttpClientRequest.HttpClientRequest) => Stream.Stream<Uint8Array, NextmvHttpError>
  /**
   * Sends the request and writes the body to the file at `path` (created or truncated), from the
   * transport's own callbacks: present when the transport has that path (`NodeTransport`), else
   * `undefined` (then write `stream`'s bytes). Succeeds with `false`, having sent nothing, when the
   * transport cannot write the file `fs` opened (another `FileSystem` than Node's): write
   * `stream`'s bytes then too. Same retries, timeouts and failures as `stream`; on a failure the
   * file holds a prefix of the body (the caller removes it).
   */
  readonly toFile?:
    | ((
      request: HttpClientRequest.HttpClientRequest,
      fs: FileSystem.FileSystem,
      path: string
    ) => Effect.Effect<boolean, NextmvHttpError | PlatformError>)
    | undefined
}
