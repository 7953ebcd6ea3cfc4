/**
 * `UploadData.stream` with a known length is sent as it is produced (no temporary file); without
 * one it is spooled first. Both deliver exactly the bytes of the stream.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { InvalidArgumentError } from "../src/Errors.js"
import * as Uploads from "../src/services/Uploads.js"
import { Emulator } from "../src/testing/Emulator.js"
import { servicesLayer } from "./support/layers.js"

describe("UploadData.stream", () => {
  it.live("a stream of known length is sent with that Content-Length, byte for byte", () =>
    Effect.gen(function*() {
      const uploads = yield* Uploads.Uploads
      const emulator = yield* Emulator
      const target = emulator.context.blobs.presignUpload()
      const piece = new Uint8Array(64 * 1024).fill(7)
      const bytes = Stream.repeatValue(piece).pipe(Stream.take(40))
      yield* uploads.uploadData(target.url, Uploads.UploadData.stream(bytes, { length: 40 * piece.length }))
      const put = (yield* emulator.requests).find((r) => r.method === "PUT")!
      expect(put.headers["content-length"]).toBe(String(40 * piece.length))
      const stored = emulator.context.blobs.uploaded(target.id)!
      expect(stored.length).toBe(40 * piece.length)
      expect(stored.every((b) => b === 7)).toBe(true)
    }).pipe(Effect.provide(servicesLayer())))

  it.live("without a length the stream is spooled, then sent whole", () =>
    Effect.gen(function*() {
      const uploads = yield* Uploads.Uploads
      const emulator = yield* Emulator
      const target = emulator.context.blobs.presignUpload()
      const bytes = Stream.make(new TextEncoder().encode("hello "), new TextEncoder().encode("world"))
      yield* uploads.uploadData(target.url, Uploads.UploadData.stream(bytes))
      expect(emulator.context.blobs.uploaded(target.id)!.toString()).toBe("hello world")
    }).pipe(Effect.provide(servicesLayer())))

  it.live("a negative or fractional length is an InvalidArgumentError before any request", () =>
    Effect.gen(function*() {
      const uploads = yield* Uploads.Uploads
      const emulator = yield* Emulator
      const target = emulator.context.blobs.presignUpload()
      yield* emulator.clearRequests
      for (const length of [-1, 1.5, Number.NaN]) {
        const error = yield* Effect.flip(uploads.uploadData(target.url, Uploads.UploadData.stream(Stream.empty, { length })))
        expect(error).toBeInstanceOf(InvalidArgumentError)
      }
      expect((yield* emulator.requests).length).toBe(0)
    }).pipe(Effect.provide(servicesLayer())))
})
