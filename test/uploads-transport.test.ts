/**
 * Uploads of a known length (`UploadData.file`, `UploadData.stream` with `length`, any
 * `HttpBody.stream` with a length sent through `presigned`), on both Node transports: on
 * `NodeTransport` the body is pulled by undici from the file (two reused blocks) or from the
 * stream (`src/node/uploadBody.ts`), on other `HttpClient`s it goes through the platform's body.
 * Either way: the bytes arrive exactly, a retry runs the stream again, an interrupt stops the
 * stream and frees the slot, a stalled server times out, a 403 fails typed without the signature,
 * a body that does not have its announced length fails typed.
 */
import { FileSystem, HttpBody, HttpClient, HttpClientRequest } from "@effect/platform"
import * as Undici from "@effect/platform-node/Undici"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Logger, LogLevel, Stream } from "effect"
import { randomBytes } from "node:crypto"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { NextmvHttpError } from "../src/Errors.js"
import { NodeTransport } from "../src/node/index.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { make as makeUploads, UploadData, Uploads } from "../src/services/Uploads.js"
import { Emulator, FaultAction } from "../src/testing/Emulator.js"
import { servicesLayer, transports } from "./support/layers.js"
import { decoyFileSystem } from "./support/decoy.js"
import { tempDirs } from "./support/runs.js"
import { untilLive } from "./support/time.js"

const tempDir = tempDirs("nextmv-uploads-")
const quiet = Logger.withMinimumLogLevel(LogLevel.Error)
const MIB = 1024 * 1024

/** A file of `size` random bytes (a reused block sent twice would show). */
const randomFile = (size: number) => {
  const content = randomBytes(size)
  const path = join(tempDir(), "input.bin")
  writeFileSync(path, content)
  return { content, path }
}

/** `content` as a stream of pieces of uneven sizes, counting its runs and its ends. */
const counted = (content: Uint8Array) => {
  const state = { runs: 0, finalized: 0, emitted: 0 }
  const stream = Stream.suspend(() => {
    state.runs++
    const pieces: Array<Uint8Array> = []
    for (let at = 0, size = 1; at < content.length; at += size, size = (size * 7 + 5) % 300_000 + 1) {
      pieces.push(content.subarray(at, Math.min(content.length, at + size)))
    }
    return Stream.fromIterable(pieces).pipe(
      Stream.rechunk(3),
      Stream.tap((piece) => Effect.sync(() => void (state.emitted += piece.length)))
    )
  }).pipe(Stream.ensuring(Effect.sync(() => void state.finalized++)))
  return { state, stream }
}

/** An undici `Agent` that records the kind of each request body. */
class RecordingAgent extends Undici.Agent {
  readonly bodies: Array<string> = []
  override dispatch(options: Undici.Dispatcher.DispatchOptions, handler: Undici.Dispatcher.DispatchHandler): boolean {
    const body: unknown = options.body
    this.bodies.push(
      body === null || body === undefined
        ? "none"
        : typeof (body as { pipe?: unknown }).pipe === "function"
        ? "readable"
        : Symbol.asyncIterator in (body as object)
        ? "pulled"
        : "bytes"
    )
    return super.dispatch(options, handler)
  }
}

describe("NodeTransport: undici pulls upload bodies itself", () => {
  const recorded = Effect.gen(function*() {
    const agent = new RecordingAgent()
    yield* Effect.addFinalizer(() => Effect.promise(() => agent.close()))
    return agent
  })

  it.live("a file and a stream of known length arrive byte for byte, pulled by undici (no Readable)", () =>
    Effect.gen(function*() {
      const agent = yield* recorded
      yield* Effect.gen(function*() {
        const uploads = yield* Uploads
        const emulator = yield* Emulator
        // Not a whole number of read blocks; the first block is read twice over.
        const { content, path } = randomFile(5 * MIB + 4321)
        const first = emulator.context.blobs.presignUpload()
        yield* uploads.uploadData(first.url, UploadData.file(path))
        expect(emulator.context.blobs.uploaded(first.id)?.equals(content)).toBe(true)
        const second = emulator.context.blobs.presignUpload()
        const { stream } = counted(content)
        yield* uploads.uploadData(second.url, UploadData.stream(stream, { length: content.length }))
        expect(emulator.context.blobs.uploaded(second.id)?.equals(content)).toBe(true)
        const put = (yield* emulator.requests).filter((r) => r.method === "PUT")
        expect(put.map((r) => r.headers["content-length"])).toEqual([String(content.length), String(content.length)])
        expect(put.map((r) => r.headers["content-type"])).toEqual(["application/octet-stream", "application/octet-stream"])
        expect(put.map((r) => r.headers["authorization"])).toEqual([undefined, undefined])
      }).pipe(Effect.provide(servicesLayer({}, Layer.succeed(HttpClient.HttpClient, NodeTransport.make(agent)))))
      expect(agent.bodies.filter((kind) => kind !== "none" && kind !== "bytes")).toEqual(["pulled", "pulled"])
    }).pipe(Effect.scoped))

  it.live("an empty file and an empty stream are sent with a zero length", () =>
    Effect.gen(function*() {
      const uploads = yield* Uploads
      const emulator = yield* Emulator
      const path = join(tempDir(), "empty.bin")
      writeFileSync(path, "")
      const first = emulator.context.blobs.presignUpload()
      yield* uploads.uploadData(first.url, UploadData.file(path))
      expect(emulator.context.blobs.uploaded(first.id)?.length).toBe(0)
      const second = emulator.context.blobs.presignUpload()
      yield* uploads.uploadData(second.url, UploadData.stream(Stream.empty, { length: 0 }))
      expect(emulator.context.blobs.uploaded(second.id)?.length).toBe(0)
    }).pipe(Effect.provide(servicesLayer())))
})

for (const [transportName, transport] of transports) {
  describe(`uploads of a known length (${transportName})`, () => {
    it.live("a 503 is retried: the stream runs again and the file is read again, byte for byte", () =>
      Effect.gen(function*() {
        const uploads = yield* Uploads
        const emulator = yield* Emulator
        const { content, path } = randomFile(3 * MIB + 17)
        const first = emulator.context.blobs.presignUpload()
        yield* emulator.injectFault({ method: "PUT", path: "/_presigned/upload/:token", action: FaultAction.status(503) })
        yield* uploads.uploadData(first.url, UploadData.file(path))
        expect(emulator.context.blobs.uploaded(first.id)?.equals(content)).toBe(true)
        const second = emulator.context.blobs.presignUpload()
        yield* emulator.injectFault({ method: "PUT", path: "/_presigned/upload/:token", action: FaultAction.status(503) })
        const { state, stream } = counted(content)
        yield* uploads.uploadData(second.url, UploadData.stream(stream, { length: content.length }))
        expect(emulator.context.blobs.uploaded(second.id)?.equals(content)).toBe(true)
        expect(state.runs).toBe(2)
        expect(state.finalized).toBe(2)
        expect((yield* emulator.requests).filter((r) => r.method === "PUT").length).toBe(4)
      }).pipe(Effect.provide(servicesLayer({}, transport)), quiet))

    it.live("a 403 fails typed, with its body and without the signature, for a file and a stream", () =>
      Effect.gen(function*() {
        const uploads = yield* Uploads
        const emulator = yield* Emulator
        const { content, path } = randomFile(2 * MIB)
        const target = emulator.context.blobs.presignUpload()
        const signature = new URL(target.url).searchParams.get("signature")!
        yield* emulator.injectFault({
          method: "PUT",
          path: "/_presigned/upload/:token",
          times: 2,
          action: FaultAction.body(403, "<Error><Code>SignatureDoesNotMatch</Code></Error>", "application/xml")
        })
        const { stream } = counted(content)
        for (const data of [UploadData.file(path), UploadData.stream(stream, { length: content.length })]) {
          const error = yield* Effect.flip(uploads.uploadData(target.url, data))
          expect(error).toBeInstanceOf(NextmvHttpError)
          const http = error as NextmvHttpError
          expect(http.status).toBe(403)
          expect(http.body).toContain("SignatureDoesNotMatch")
          expect(`${http.message} ${http.path} ${JSON.stringify(http)}`).not.toContain(signature)
        }
      }).pipe(Effect.provide(servicesLayer({}, transport)), quiet))

    it.live("a stream shorter or longer than its length fails typed (a transport failure), nothing stored", () =>
      Effect.gen(function*() {
        const { presigned } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        const piece = new Uint8Array(64 * 1024).fill(3)
        for (const pieces of [3, 5]) {
          const target = emulator.context.blobs.presignUpload()
          const body = HttpBody.stream(Stream.repeatValue(piece).pipe(Stream.take(pieces)), "application/octet-stream", 4 * piece.length)
          const error = yield* Effect.flip(presigned.discard(HttpClientRequest.put(target.url).pipe(HttpClientRequest.setBody(body))))
          expect(error).toBeInstanceOf(NextmvHttpError)
          expect(error.reason).toBe("transport")
          expect(emulator.context.blobs.uploaded(target.id)).toBeUndefined()
        }
      }).pipe(Effect.provide(servicesLayer({ client: { retry: { retries: 0 } } }, transport)), quiet))

    it.live("a failing stream fails the upload typed; with retries it runs again each time", () =>
      Effect.gen(function*() {
        const { presigned } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        const target = emulator.context.blobs.presignUpload()
        let runs = 0
        const failing = Stream.concat(
          Stream.make(new Uint8Array(1000)),
          Stream.suspend(() => {
            runs++
            return Stream.fail(new Error("the source broke"))
          })
        )
        const body = HttpBody.stream(failing, "application/octet-stream", 2000)
        const error = yield* Effect.flip(presigned.discard(HttpClientRequest.put(target.url).pipe(HttpClientRequest.setBody(body))))
        expect(error).toBeInstanceOf(NextmvHttpError)
        expect(error.reason).toBe("transport")
        expect(error.attempts).toBe(3)
        expect(runs).toBe(3)
        expect(emulator.context.blobs.uploaded(target.id)).toBeUndefined()
      }).pipe(Effect.provide(servicesLayer({ client: { retry: { retries: 2, backoffFactor: 1 } } }, transport)), quiet))

    it.live("interrupting an upload the server does not read stops the stream and frees the slot", () =>
      Effect.gen(function*() {
        const uploads = yield* Uploads
        const emulator = yield* Emulator
        const target = emulator.context.blobs.presignUpload()
        yield* emulator.injectFault({ method: "PUT", path: "/_presigned/upload/:token", action: FaultAction.stallRead })
        const content = randomBytes(64 * MIB)
        const { state, stream } = counted(content)
        const fiber = yield* Effect.fork(uploads.uploadData(target.url, UploadData.stream(stream, { length: content.length })))
        // The socket's buffers fill up, then nothing moves.
        yield* untilLive(Effect.sync(() => state.emitted > 256 * 1024))
        expect(Exit.isInterrupted(yield* Fiber.interrupt(fiber))).toBe(true)
        // The stream's finalizers ran (on the platform's transport, once its body adapter is destroyed).
        yield* untilLive(Effect.sync(() => state.finalized === 1))
        expect(state.emitted).toBeLessThan(content.length)
        // The only slot (maxConnections: 1) is free again.
        const next = emulator.context.blobs.presignUpload()
        yield* uploads.uploadData(next.url, UploadData.text("after"))
        expect(emulator.context.blobs.uploaded(next.id)?.toString()).toBe("after")
      }).pipe(Effect.provide(servicesLayer({ client: { maxConnections: 1 } }, transport)), quiet))

    it.live("a file upload the server stops reading times out (no write progress), without the signature", () =>
      Effect.gen(function*() {
        const uploads = yield* Uploads
        const emulator = yield* Emulator
        const { path } = randomFile(64 * MIB)
        const target = emulator.context.blobs.presignUpload()
        yield* emulator.injectFault({ method: "PUT", path: "/_presigned/upload/:token", action: FaultAction.stallRead })
        const error = yield* Effect.flip(uploads.uploadData(target.url, UploadData.file(path)))
        expect(error).toBeInstanceOf(NextmvHttpError)
        expect((error as NextmvHttpError).reason).toBe("timeout")
        expect((error as NextmvHttpError).path).not.toContain("signature")
      }).pipe(Effect.provide(servicesLayer({ client: { timeout: "150 millis", retry: { retries: 0 } } }, transport)), quiet))
  })
}

describe("uploads from a file of another FileSystem", () => {
  it.live("are read through that FileSystem (its descriptors are not the file's on disk)", () =>
    Effect.gen(function*() {
      const { content, path } = randomFile(MIB + 99)
      const node = yield* FileSystem.FileSystem
      // A FileSystem whose files report the descriptor of an unrelated (decoy) file: reading that
      // descriptor, not through the FileSystem, would send the decoy's bytes.
      const decoyPath = join(tempDir(), "decoy.bin")
      writeFileSync(decoyPath, randomBytes(content.length))
      const decoy = yield* node.open(decoyPath, { flag: "r" })
      const other = decoyFileSystem(node, decoy)
      const uploads = yield* Effect.provideService(makeUploads, FileSystem.FileSystem, other)
      const emulator = yield* Emulator
      const target = emulator.context.blobs.presignUpload()
      yield* uploads.uploadData(target.url, UploadData.file(path))
      expect(emulator.context.blobs.uploaded(target.id)?.equals(content)).toBe(true)
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))
})
