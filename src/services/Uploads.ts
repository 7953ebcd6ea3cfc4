/**
 * `Uploads`: upload URLs for large run inputs and the presigned PUT (nextmv-py `Application.upload_url`,
 * `Application.upload_large_input`). Files and streams are streamed to the presigned URL, never read whole into memory.
 *
 * @since 0.1.0
 */
import { FileSystem, HttpBody, HttpClientRequest } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Context, Effect, Layer, Stream } from "effect"
import type { InvalidArgumentError, NextmvDecodeError, NextmvHttpError } from "../Errors.js"
import { readFileStream, writeStreamToFile } from "../internal/fileStreams.js"
import { uploadUrlPath } from "../internal/paths.js"
import { invalidArgument, requireIds, requireJson, requireNonEmpty, requireObject } from "../internal/validate.js"
import { UploadUrl } from "../schemas/Runs.js"
import { NextmvClient } from "./NextmvClient.js"
import { traced } from "../internal/traced.js"

/** What can be uploaded; build it with the {@link UploadData} constructors. */
export type UploadData =
  | { readonly _tag: "Json"; readonly value: unknown; readonly text?: string | undefined }
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "Bytes"; readonly bytes: Uint8Array }
  | { readonly _tag: "File"; readonly path: string }
  | {
    readonly _tag: "Stream"
    readonly stream: Stream.Stream<Uint8Array, PlatformError>
    readonly length?: number | undefined
  }

/** Constructors of {@link UploadData}. */
export const UploadData = {
  /** A JSON value, sent as compact JSON. */
  json: (value: unknown): UploadData => ({ _tag: "Json", value }),
  /**
   * A JSON value the caller has already serialised (compact JSON text), sent as is with the JSON
   * content type, so a large input is not serialised a second time.
   *
   * @example
   * ```ts
   * const url = yield* uploads.uploadUrl("routing-app")
   * yield* uploads.uploadData(url, UploadData.jsonText(JSON.stringify(input)))
   * ```
   */
  jsonText: (text: string): UploadData => ({ _tag: "Json", value: undefined, text }),
  /** Text, sent as UTF-8. */
  text: (text: string): UploadData => ({ _tag: "Text", text }),
  bytes: (bytes: Uint8Array): UploadData => ({ _tag: "Bytes", bytes }),
  /** A file, streamed from disk. */
  file: (path: string): UploadData => ({ _tag: "File", path }),
  /**
   * A byte stream.
   *
   * - With `length` (the exact number of bytes the stream emits), it is sent as it is produced,
   *   with no temporary file. A retried PUT runs the stream again, so give a stream that can be
   *   re-run (built from a file, a generator, …); a one-shot source fails the retry instead.
   * - Without `length`, it is first spooled to a temporary file (object storage wants the length up
   *   front, and a retried PUT must be able to send the bytes again), then streamed from there.
   *
   * @example
   * ```ts
   * const url = yield* uploads.uploadUrl("routing-app")
   * const bytes = Stream.make(new TextEncoder().encode(JSON.stringify({ stops: [] })))
   * yield* uploads.uploadData(url, UploadData.stream(bytes, { length: 12 }))
   * ```
   */
  stream: (stream: Stream.Stream<Uint8Array, PlatformError>, options: { readonly length?: number | undefined } = {}): UploadData => ({
    _tag: "Stream",
    stream,
    length: options.length
  })
}

/** Errors of the upload operations. */
export type UploadError = NextmvHttpError | NextmvDecodeError | InvalidArgumentError | PlatformError

/** The `Uploads` service. */
export interface Service {
  /**
   * Asks for a presigned upload URL (`POST /v1/applications/{appId}/runs/uploadurl`). The URL is
   * valid for 15 minutes and takes up to 500 MB.
   *
   * @example
   * ```ts
   * const { upload_id, upload_url } = yield* uploads.uploadUrl("routing-app")
   * ```
   */
  readonly uploadUrl: (appId: string) => Effect.Effect<UploadUrl, UploadError>
  /**
   * PUTs data to a presigned URL, with no Authorization header. JSON is sent compact, text as
   * UTF-8; files and streams are streamed with a known `Content-Length`.
   *
   * @example
   * ```ts
   * const url = yield* uploads.uploadUrl("routing-app")
   * yield* uploads.uploadData(url, UploadData.file("./big-input.json"))
   * ```
   */
  readonly uploadData: (uploadUrl: string | UploadUrl, data: UploadData) => Effect.Effect<void, UploadError>
}

/** The `Uploads` service tag. */
export class Uploads extends Context.Tag("nextmv-effect/Uploads")<Uploads, Service>() {}

/** Builds the service; requires `NextmvClient` and the platform `FileSystem`. */
export const make: Effect.Effect<Service, never, NextmvClient | FileSystem.FileSystem> = Effect.gen(function*() {
  const { api, presigned } = yield* NextmvClient
  const fs = yield* FileSystem.FileSystem

  const uploadUrl = traced("Uploads.uploadUrl")(function*(appId: string) {
    yield* requireIds("Uploads.uploadUrl", { appId })
    return yield* api.json(HttpClientRequest.post(uploadUrlPath(appId)), UploadUrl)
  })

  const putFile = (url: string, path: string) =>
    Effect.gen(function*() {
      const info = yield* fs.stat(path)
      const size = Number(info.size)
      // Reads of 1 MiB, one per pull of the transport (see `internal/fileStreams.ts`).
      const body = HttpBody.stream(readFileStream(fs, path, size), "application/octet-stream", size)
      yield* presigned.discard(HttpClientRequest.put(url).pipe(HttpClientRequest.setBody(body)))
    })

  const uploadData = traced("Uploads.uploadData")(function*(target: string | UploadUrl, data: UploadData) {
    const operation = "Uploads.uploadData"
    if (typeof target !== "string") yield* requireObject(operation, "target", target)
    const url = typeof target === "string" ? target : target.upload_url
    yield* requireNonEmpty(operation, "uploadUrl", url)
    yield* requireObject(operation, "data", data)
    // Content types as the Nextmv docs' curl examples; presigned signatures do not cover them.
    const put = HttpClientRequest.put(url)
    switch (data._tag) {
      case "Json": {
        const text = data.text ?? (yield* requireJson("Uploads.uploadData", "data", data.value))
        return yield* presigned.discard(put.pipe(HttpClientRequest.setBody(HttpBody.text(text, "application/json"))))
      }
      case "Text":
        if (typeof data.text !== "string") return yield* invalidArgument(operation, "data.text must be a string")
        return yield* presigned.discard(put.pipe(HttpClientRequest.setBody(HttpBody.text(data.text, "text/plain"))))
      case "Bytes":
        if (!(data.bytes instanceof Uint8Array)) return yield* invalidArgument(operation, "data.bytes must be a Uint8Array")
        return yield* presigned.discard(put.pipe(HttpClientRequest.setBody(HttpBody.uint8Array(data.bytes, "application/octet-stream"))))
      case "File":
        if (typeof data.path !== "string") return yield* invalidArgument(operation, "data.path must be a string")
        return yield* putFile(url, data.path)
      case "Stream":
        if (!(typeof data.stream === "object" && data.stream !== null && Stream.StreamTypeId in data.stream)) {
          return yield* invalidArgument(operation, "data.stream must be a Stream")
        }
        if (data.length !== undefined) {
          if (!Number.isSafeInteger(data.length) || data.length < 0) {
            return yield* invalidArgument("Uploads.uploadData", "the stream's length must be a non-negative integer")
          }
          const body = HttpBody.stream(data.stream, "application/octet-stream", data.length)
          return yield* presigned.discard(put.pipe(HttpClientRequest.setBody(body)))
        }
        return yield* Effect.scoped(Effect.gen(function*() {
          const spool = yield* fs.makeTempFileScoped({ prefix: "nextmv-upload-" })
          yield* writeStreamToFile(fs, spool, data.stream)
          yield* putFile(url, spool)
        }))
      default:
        // Only reached by a JavaScript caller that built `data` by hand.
        return yield* invalidArgument(operation, "data must be built with the UploadData constructors (Json, Text, Bytes, File, Stream)")
    }
  })

  return Uploads.of({ uploadUrl, uploadData })
})

/** The `Uploads` layer; requires `NextmvClient` and `FileSystem`. */
export const layer: Layer.Layer<Uploads, never, NextmvClient | FileSystem.FileSystem> = Layer.effect(Uploads, make)
