/**
 * Streamed transfers: the download read-ahead (`internal/readAhead.ts`: bounded, buffers passed on
 * as they came, ends and failures in order), the streamed download's early end and interruption
 * (the reader stops, the connection closes, the per-origin slot is freed), and the coalesced file
 * writes of downloads to disk (`internal/fileWrite.ts`: identical bytes, partial files removed).
 */
import { FileSystem, HttpClientRequest } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Fiber, Option, Redacted, Stream } from "effect"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NextmvHttpError } from "../src/Errors.js"
import { readFileStream, writeStreamToFile } from "../src/internal/fileStreams.js"
import { ReadAhead } from "../src/internal/readAhead.js"
import * as Applications from "../src/services/Applications.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { UploadData, Uploads } from "../src/services/Uploads.js"
import { Emulator, FaultAction } from "../src/testing/Emulator.js"
import { Models } from "../src/testing/index.js"
import { servicesLayer, testTimeout } from "./support/layers.js"
import { rawServer } from "./support/rawServer.js"
import { setup, tempDirs } from "./support/runs.js"
import { untilLive } from "./support/time.js"

const tempDir = tempDirs("nextmv-transfers-")

const bytes = (size: number, seed: number) => Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 255)

const isDone = <A, E>(fiber: Fiber.Fiber<A, E>) => Effect.map(Fiber.poll(fiber), Option.isSome)

/** Lets other fibers run (the read-ahead's resumptions go through the scheduler). */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

describe("download read-ahead", () => {
  it.effect("passes the transport's buffers on as they came, in order, and ends", () =>
    Effect.gen(function*() {
      const ahead = new ReadAhead<string>(4)
      const buffers = [bytes(3, 1), bytes(5, 2), bytes(7, 3)]
      expect(ahead.offer(Chunk.make(buffers[0]!, buffers[1]!))).toBe(true)
      expect(ahead.offer(Chunk.make(buffers[2]!, new Uint8Array(0)))).toBe(true)
      ahead.end(Exit.void)
      const out = Chunk.toReadonlyArray(yield* Stream.runCollect(ahead.stream))
      // The same objects: nothing concatenated or copied (empty buffers dropped).
      expect(out.length).toBe(3)
      out.forEach((buffer, i) => expect(buffer).toBe(buffers[i]))
    }))

  it.effect("holds at most its capacity: the producer waits until the consumer takes", () =>
    Effect.gen(function*() {
      const ahead = new ReadAhead<string>(2)
      expect(ahead.offer(Chunk.of(bytes(1, 1)))).toBe(true)
      expect(ahead.offer(Chunk.of(bytes(1, 2)))).toBe(false)
      const waiting = yield* Effect.fork(ahead.room)
      yield* settle
      expect(yield* isDone(waiting)).toBe(false)
      // The consumer takes everything buffered at once; the producer resumes.
      const first = yield* Effect.fork(Stream.runCollect(Stream.take(ahead.stream, 1)))
      yield* Fiber.join(waiting)
      expect(Chunk.size(yield* Fiber.join(first))).toBe(1)
    }))

  it.effect("a failed end fails the consumer after what was buffered; the first end wins", () =>
    Effect.gen(function*() {
      const ahead = new ReadAhead<string>(4)
      const buffer = bytes(4, 9)
      ahead.offer(Chunk.of(buffer))
      ahead.end(Exit.fail("timed out"))
      ahead.end(Exit.void)
      // Offers after the end are dropped (the reader may still be delivering when a timeout hits).
      expect(ahead.offer(Chunk.of(bytes(2, 2)))).toBe(true)
      const seen: Array<Uint8Array> = []
      const error = yield* Effect.flip(Stream.runForEach(ahead.stream, (b) => Effect.sync(() => seen.push(b))))
      expect(error).toBe("timed out")
      expect(seen).toEqual([buffer])
      // A waiting producer is released by the end.
      yield* ahead.room
    }))

  it.effect("a consumer waiting for data is woken by the next offer", () =>
    Effect.gen(function*() {
      const ahead = new ReadAhead<string>(4)
      const consumer = yield* Effect.fork(Stream.runCollect(ahead.stream))
      yield* settle
      expect(yield* isDone(consumer)).toBe(false)
      ahead.offer(Chunk.of(bytes(2, 1)))
      ahead.end(Exit.void)
      expect(Chunk.size(yield* Fiber.join(consumer))).toBe(1)
    }))
})

/** A server with one endless-ish download (`/big`, 256 MiB) and one small answer (`/small`). */
const bigServer = Effect.suspend(() => {
  const state = { sent: 0, closed: false, served: 0 }
  const block = Buffer.alloc(64 * 1024, 120)
  const total = 256 * 1024 * 1024
  return Effect.map(
    rawServer((req, res) => {
      state.served++
      if (req.url?.startsWith("/small")) {
        res.writeHead(200, { "content-type": "text/plain", "content-length": "2" })
        res.end("ok")
        return
      }
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(total) })
      res.on("close", () => {
        state.closed = true
      })
      const pump = () => {
        while (state.sent < total && !res.destroyed) {
          state.sent += block.length
          if (!res.write(block)) return void res.once("drain", pump)
        }
        if (state.sent >= total) res.end()
      }
      pump()
    }),
    ({ origin }) => ({ origin, state })
  )
})

describe("streamed downloads end early and are interrupted cleanly", () => {
  const client = (origin: string) =>
    NextmvClient.make({ apiKey: Redacted.make("k"), baseUrl: origin, maxConnections: 1, timeout: testTimeout, retry: { retries: 0 } })

  it.live("taking only the first bytes stops the reader, closes the connection and frees the slot", () =>
    Effect.gen(function*() {
      const { origin, state } = yield* bigServer
      const { presigned } = yield* client(origin)
      const first = yield* Stream.runCollect(Stream.take(presigned.stream(HttpClientRequest.get(`${origin}/big?signature=s`)), 1))
      expect(Chunk.size(first)).toBe(1)
      yield* untilLive(Effect.sync(() => state.closed))
      // Far less than the 256 MiB body was sent: the read-ahead is bounded and the reader stopped.
      expect(state.sent).toBeLessThan(64 * 1024 * 1024)
      // One connection per origin: the next request only gets through if the slot was freed.
      expect(yield* presigned.text(HttpClientRequest.get(`${origin}/small?signature=s`))).toBe("ok")
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))

  it.live("interrupting a slow consumer stops the download and frees the slot", () =>
    Effect.gen(function*() {
      const { origin, state } = yield* bigServer
      const { presigned } = yield* client(origin)
      let received = 0
      const fiber = yield* Effect.fork(
        Stream.runForEach(presigned.stream(HttpClientRequest.get(`${origin}/big?signature=s`)), (buffer) =>
          Effect.sync(() => {
            received += buffer.length
          }).pipe(Effect.zipRight(Effect.never)))
      )
      yield* untilLive(Effect.sync(() => received > 0))
      // The consumer is stuck: the reader fills its read-ahead and stops (no unbounded buffering).
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      yield* untilLive(Effect.sync(() => state.closed))
      expect(state.sent).toBeLessThan(64 * 1024 * 1024)
      expect(yield* presigned.text(HttpClientRequest.get(`${origin}/small?signature=s`))).toBe("ok")
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))
})

describe("downloads to disk are written in large blocks", () => {
  it.effect("the file holds exactly the stream's bytes, whatever the buffer sizes", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = mkdtempSync(join(tmpdir(), "nextmv-write-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      // Sizes around the block size: smaller, equal, larger, empty, one byte.
      const sizes = [1, 999, 1000, 1001, 0, 2500, 3, 4000, 1, 17]
      const buffers = sizes.map((size, i) => bytes(size, i))
      const expected = Buffer.concat(buffers)
      for (const grouping of [1, 3, 10]) {
        const path = join(dir, `out-${grouping}.bin`)
        const stream = Stream.fromIterable(buffers).pipe(Stream.rechunk(grouping))
        yield* writeStreamToFile(fs, path, stream, 1000)
        expect(readFileSync(path).equals(expected)).toBe(true)
      }
      // An empty stream makes an empty file; an existing file is truncated.
      const path = join(dir, "out-1.bin")
      yield* writeStreamToFile(fs, path, Stream.empty, 1000)
      expect(readFileSync(path).length).toBe(0)
      // A failing stream fails with its own error, after writing a prefix.
      const error = yield* Effect.flip(writeStreamToFile(fs, path, Stream.concat(Stream.make(bytes(1500, 1)), Stream.fail("boom")), 1000))
      expect(error).toBe("boom")
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))

  it.effect("a multi-MiB asset is downloaded byte for byte; a broken one leaves no file behind", () =>
    Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      const content = Buffer.from(bytes(3 * 1024 * 1024 + 17, 5))
      emulator.areas.runs.setModel(appId, Models.assets([{ name: "raw", content, content_type: "binary" }]))
      const runId = yield* runs.newRun(appId, { input: {} })
      emulator.areas.runs.finish(appId, runId, "succeeded")
      const [asset] = yield* runs.listAssets(appId, runId)
      const dir = tempDir()
      const destination = join(dir, "raw.bin")
      yield* runs.downloadAssetContent(appId, runId, asset!.id, { destination })
      expect(readFileSync(destination).equals(content)).toBe(true)

      rmSync(destination)
      yield* emulator.injectFault({ method: "GET", path: "/_presigned/download/:token", action: FaultAction.truncatedBody })
      const error = yield* runs.downloadAssetContent(appId, runId, asset!.id, { destination }).pipe(Effect.flip)
      expect(error).toBeInstanceOf(NextmvHttpError)
      expect(readdirSync(dir)).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))
})

describe("uploads from a file are read in large reads", () => {
  it.effect("the stream holds the file's first `length` bytes, in reads of the given size", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = tempDir()
      const path = join(dir, "in.bin")
      const content = Buffer.from(bytes(10_000, 3))
      writeFileSync(path, content)
      const read = (length: number) =>
        Effect.map(Stream.runCollect(readFileStream(fs, path, length, 4096)), (chunks) => Chunk.toReadonlyArray(chunks))
      const all = yield* read(content.length)
      expect(all.map((b) => b.length)).toEqual([4096, 4096, 1808])
      expect(Buffer.concat(all).equals(content)).toBe(true)
      // Never more than `length` (the Content-Length sent), and a shorter file ends early.
      expect(Buffer.concat(yield* read(5000)).equals(content.subarray(0, 5000))).toBe(true)
      expect(Buffer.concat(yield* read(20_000)).equals(content)).toBe(true)
      expect(yield* read(0)).toEqual([])
      const missing = yield* Effect.flip(Stream.runDrain(readFileStream(fs, join(dir, "missing.bin"), 10)))
      expect(missing._tag).toBe("SystemError")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("a multi-MiB file arrives byte for byte", () =>
    Effect.gen(function*() {
      yield* Effect.flatMap(Applications.Applications, (apps) => apps.newApplication({ id: "files" }))
      const uploads = yield* Uploads
      const emulator = yield* Emulator
      const path = join(tempDir(), "input.bin")
      const content = Buffer.from(bytes(2 * 1024 * 1024 + 4321, 11))
      writeFileSync(path, content)
      const target = yield* uploads.uploadUrl("files")
      yield* uploads.uploadData(target, UploadData.file(path))
      expect(emulator.context.blobs.uploaded(target.upload_id)?.equals(content)).toBe(true)
    }).pipe(Effect.provide(servicesLayer())))
})
