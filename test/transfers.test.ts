/**
 * Streamed transfers: the download read-ahead (`internal/readAhead.ts`: bounded, buffers passed on
 * as they came, ends and failures in order), the streamed download's early end and interruption
 * (the reader stops, the connection closes, the per-origin slot is freed) on both Node transports,
 * `NodeTransport`'s streaming path (its own dispatch handler, pausing the connection while the
 * read-ahead is full), statuses and retries of streamed downloads, `NodeTransport`'s downloads to
 * disk (`internal/fileSink.ts`: buffers gathered uncopied into batches, one write in flight, the
 * transport paused while the next batch is full; `node/fileWriter.ts`: short writes, failures), and
 * the coalesced file writes of downloads to disk on other transports (`internal/fileStreams.ts`:
 * identical bytes, partial files removed).
 */
import { FileSystem, HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import * as Undici from "@effect/platform-node/Undici"
import { describe, expect, it } from "@effect/vitest"
import { type PlatformError, SystemError } from "@effect/platform/Error"
import { Chunk, Effect, Exit, Fiber, Layer, Option, Redacted, Runtime, Stream } from "effect"
import fc from "fast-check"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NextmvHttpError } from "../src/Errors.js"
import { downloadToPath, readFileStream, writeStreamToFile } from "../src/internal/fileStreams.js"
import type { StreamCallbacks } from "../src/internal/fastStream.js"
import { fileDownload } from "../src/internal/fileSink.js"
import { ReadAhead } from "../src/internal/readAhead.js"
import type { FastStreamContext } from "../src/internal/transport.js"
import { Watchdog } from "../src/internal/watchdog.js"
import { writevOf } from "../src/node/fileWriter.js"
import { NodeTransport } from "../src/node/index.js"
import * as Applications from "../src/services/Applications.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { UploadData, Uploads } from "../src/services/Uploads.js"
import { Emulator, FaultAction } from "../src/testing/Emulator.js"
import { Models } from "../src/testing/index.js"
import { emulatorLayer, servicesLayer, testTimeout, transports } from "./support/layers.js"
import { decoyFileSystem } from "./support/decoy.js"
import { rawServer } from "./support/rawServer.js"
import { setup, tempDirs } from "./support/runs.js"
import { driven, failureOf, untilLive } from "./support/time.js"

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

for (const [transportName, transport] of transports) {
  describe(`streamed downloads end early and are interrupted cleanly (${transportName})`, () => {
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
      }).pipe(Effect.scoped, Effect.provide(transport)))

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
      }).pipe(Effect.scoped, Effect.provide(transport)))
  })
}

/** An undici `Agent` that records, per dispatch, whether the handler is a callback (dispatch API) handler. */
class RecordingAgent extends Undici.Agent {
  readonly handlers: Array<"callback" | "request"> = []
  /** Body bytes handed to callback handlers, and whether one of them paused the connection. */
  delivered = 0
  paused = false
  override dispatch(options: Undici.Dispatcher.DispatchOptions, handler: Undici.Dispatcher.DispatchHandler): boolean {
    // `Dispatcher.request` (the platform's `HttpClient`) wraps its own legacy handler; the
    // transport's streaming path dispatches its own handler, which implements `onResponseData`.
    const onResponseData = handler.onResponseData?.bind(handler)
    this.handlers.push(onResponseData !== undefined ? "callback" : "request")
    if (onResponseData === undefined) return super.dispatch(options, handler)
    return super.dispatch(options, {
      onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
      onResponseStart: (controller, status, headers) => handler.onResponseStart?.(controller, status, headers),
      onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
      onResponseError: (controller, error) => handler.onResponseError?.(controller, error),
      onResponseData: (controller, chunk) => {
        this.delivered += chunk.length
        onResponseData(controller, chunk)
        if (controller.paused) this.paused = true
      }
    })
  }
}

/**
 * A client on `NodeTransport` over a {@link RecordingAgent} for `origin` (the agent is destroyed
 * with the scope): its presigned requests and the agent.
 */
const recordingClient = (origin: string) =>
  Effect.gen(function*() {
    const agent = new RecordingAgent()
    yield* Effect.addFinalizer(() => Effect.promise(() => agent.destroy()))
    const { presigned } = yield* NextmvClient.make({ apiKey: Redacted.make("k"), baseUrl: origin, timeout: testTimeout }).pipe(
      Effect.provideService(HttpClient.HttpClient, NodeTransport.make(agent))
    )
    return { agent, presigned }
  })

describe("a download to a file from the transport's callbacks (internal/fileSink.ts)", () => {
  /** A transport driven by hand: the test calls the sink's callbacks and sees pauses and resumes. */
  const handTransport = () => {
    const state = { callbacks: undefined as StreamCallbacks | undefined, aborted: false, resumes: 0 }
    const open = (_request: unknown, _cap: number, callbacks: StreamCallbacks) => {
      state.callbacks = callbacks
      return { abort: () => void (state.aborted = true), resume: () => void state.resumes++ }
    }
    return { state, open }
  }
  /** A file writer driven by hand: each batch waits until the test completes it. */
  const handWriter = () => {
    const writes: Array<
      { readonly buffers: ReadonlyArray<Uint8Array>; readonly position: number; readonly done: (error: SystemError | undefined) => void }
    > = []
    return {
      writes,
      writevAt: (buffers: ReadonlyArray<Uint8Array>, position: number, done: (error: SystemError | undefined) => void) =>
        void writes.push({ buffers, position, done })
    }
  }
  const context: FastStreamContext<string> = {
    watchdog: () => new Watchdog(Infinity, 0, undefined),
    errorBodyCap: 0,
    timeout: () => "timeout",
    status: () => Effect.fail("status"),
    transport: () => "transport"
  }
  const request = { origin: "http://x", path: "/blob", method: "GET", headers: {}, body: undefined }
  /** A failed write. */
  const diskFull = new SystemError({
    module: "FileSystem",
    method: "writev",
    reason: "Unknown",
    pathOrDescriptor: 3,
    description: "disk full"
  })
  const chunk = (size: number, seed: number) => bytes(size, seed)
  /** Runs the attempt until the (hand-given) 2xx headers arrived. */
  const started = (attempt: Effect.Effect<void, string>, state: { readonly callbacks: StreamCallbacks | undefined }) =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(attempt)
      yield* settle
      state.callbacks!.onStart()
      yield* Fiber.join(fiber)
    })
  /**
   * A download over a hand transport and a hand writer (batches of 100 bytes; `copy`: copy mode),
   * its 2xx headers arrived and its body awaited in a fiber.
   */
  const startedDownload = (copy: boolean) =>
    Effect.gen(function*() {
      const { open, state } = handTransport()
      const { writes, writevAt } = handWriter()
      const download = fileDownload(open, writevAt, () => "body timeout", 100, copy)
      yield* started(download.attempt(request, context), state)
      const body = yield* Effect.fork(download.body)
      return { state, writes, download, body, cb: state.callbacks! }
    })

  it.effect("gathers the buffers as they came into batches, one write in flight, pausing while the next batch is full", () =>
    Effect.gen(function*() {
      const { body, cb, state, writes } = yield* startedDownload(false)
      const sent = [chunk(60, 1), chunk(60, 2), chunk(30, 3), chunk(80, 4), chunk(10, 5)]
      // 60 + 60 fill the first batch: written at once, without a copy.
      expect(cb.onData(sent[0]!)).toBe(true)
      expect(cb.onData(sent[1]!)).toBe(true)
      expect(writes.length).toBe(1)
      expect(writes[0]!.position).toBe(0)
      expect(writes[0]!.buffers[0]).toBe(sent[0])
      expect(writes[0]!.buffers[1]).toBe(sent[1])
      // 30 + 80 fill the next batch while the first write is in flight: the transport is paused.
      expect(cb.onData(sent[2]!)).toBe(true)
      expect(cb.onData(sent[3]!)).toBe(false)
      // A transport that still delivers while paused gets its buffer gathered.
      expect(cb.onData(sent[4]!)).toBe(false)
      expect(writes.length).toBe(1)
      expect(state.resumes).toBe(0)
      writes[0]!.done(undefined)
      // The full batch goes out at its place, and the transport reads on.
      expect(writes.length).toBe(2)
      expect(writes[1]!.position).toBe(120)
      expect(writes[1]!.buffers).toEqual([sent[2], sent[3], sent[4]])
      expect(state.resumes).toBe(1)
      const last = chunk(7, 6)
      expect(cb.onData(last)).toBe(true)
      cb.onEnd()
      expect(yield* isDone(body)).toBe(false)
      writes[1]!.done(undefined)
      // The rest is written once the body ended and the write in flight completed.
      expect(writes.length).toBe(3)
      expect(writes[2]!.position).toBe(240)
      expect(writes[2]!.buffers).toEqual([last])
      expect(yield* isDone(body)).toBe(false)
      writes[2]!.done(undefined)
      yield* Fiber.join(body)
      expect(state.aborted).toBe(false)
    }))

  it.effect("a failed write fails the download with the file system's error and aborts the exchange", () =>
    Effect.gen(function*() {
      const { body, download, state, writes } = yield* startedDownload(false)
      state.callbacks!.onData(chunk(150, 1))
      writes[0]!.done(diskFull)
      expect(yield* failureOf(Fiber.join(body))).toBe(diskFull)
      expect(state.aborted).toBe(true)
      yield* download.release
    }))

  /** The bytes of a write, as one buffer (a copy: what its buffers hold now). */
  const contentOf = (write: { readonly buffers: ReadonlyArray<Uint8Array> }) => Buffer.concat(write.buffers)

  it.effect("copy mode: each chunk is copied at once into two reused blocks, what does not fit into a buffer of its own", () =>
    Effect.gen(function*() {
      const { body, cb, state, writes } = yield* startedDownload(true)
      const sizes = [60, 60, 30, 80, 10, 7]
      const originals = sizes.map((size, i) => chunk(size, i + 1))
      const sent: Array<Uint8Array> = []
      /** Delivers chunk `i` as a transport that reuses its read buffer: overwritten once the callback returned. */
      const deliver = (i: number) => {
        const sending = Uint8Array.from(originals[i]!)
        sent.push(sending)
        const more = cb.onData(sending)
        sending.fill(0)
        return more
      }
      const expectNoChunkKept = () => {
        for (const write of writes) {
          for (const buffer of write.buffers) {
            for (const s of sent) {
              expect(buffer).not.toBe(s)
              expect(buffer.buffer).not.toBe(s.buffer)
            }
          }
        }
      }
      // 60 + 60: the block is full after 40 bytes of the second chunk; its last 20 bytes are
      // copied into a buffer of their own, and the batch is written at once.
      expect(deliver(0)).toBe(true)
      expect(deliver(1)).toBe(true)
      expect(writes.length).toBe(1)
      expect(writes[0]!.position).toBe(0)
      expect(writes[0]!.buffers.map((b) => b.length)).toEqual([100, 20])
      expect(contentOf(writes[0]!)).toEqual(Buffer.concat([originals[0]!, originals[1]!]))
      const first = contentOf(writes[0]!)
      // 30 + 80 fill the other block while the first write is in flight: the transport is paused.
      expect(deliver(2)).toBe(true)
      expect(deliver(3)).toBe(false)
      // A transport that still delivers while paused gets its chunk copied too (a buffer of its own:
      // both blocks are busy).
      expect(deliver(4)).toBe(false)
      expect(writes.length).toBe(1)
      expect(state.resumes).toBe(0)
      // The block in flight was not touched by what came meanwhile.
      expect(contentOf(writes[0]!)).toEqual(first)
      writes[0]!.done(undefined)
      // The full batch goes out at its place, and the transport reads on.
      expect(writes.length).toBe(2)
      expect(writes[1]!.position).toBe(120)
      expect(writes[1]!.buffers.map((b) => b.length)).toEqual([100, 10, 10])
      expect(contentOf(writes[1]!)).toEqual(Buffer.concat([originals[2]!, originals[3]!, originals[4]!]))
      expect(writes[1]!.buffers[0]!.buffer).not.toBe(writes[0]!.buffers[0]!.buffer)
      expect(state.resumes).toBe(1)
      const second = contentOf(writes[1]!)
      // The first block is free again: the last chunk goes there, and the second write is untouched.
      expect(deliver(5)).toBe(true)
      expect(contentOf(writes[1]!)).toEqual(second)
      cb.onEnd()
      expect(yield* isDone(body)).toBe(false)
      writes[1]!.done(undefined)
      // The rest is written once the body ended and the write in flight completed, from the first block.
      expect(writes.length).toBe(3)
      expect(writes[2]!.position).toBe(240)
      expect(writes[2]!.buffers.map((b) => b.length)).toEqual([7])
      expect(contentOf(writes[2]!)).toEqual(Buffer.from(originals[5]!))
      expect(writes[2]!.buffers[0]!.buffer).toBe(writes[0]!.buffers[0]!.buffer)
      expect(yield* isDone(body)).toBe(false)
      const third = contentOf(writes[2]!)
      writes[2]!.done(undefined)
      yield* Fiber.join(body)
      expect(state.aborted).toBe(false)
      // Nothing written is one of the transport's buffers; the file holds every byte, in order.
      expectNoChunkKept()
      expect(writes.map((w) => w.position)).toEqual([0, 120, 240])
      expect(Buffer.concat([first, second, third])).toEqual(Buffer.concat(originals))
    }))

  it.effect("copy mode: an empty chunk adds nothing to the batch", () =>
    Effect.gen(function*() {
      const { body, cb, writes } = yield* startedDownload(true)
      const a = chunk(50, 1)
      const b = chunk(70, 2)
      expect(cb.onData(new Uint8Array(0))).toBe(true)
      expect(cb.onData(a)).toBe(true)
      expect(cb.onData(new Uint8Array(0))).toBe(true)
      expect(cb.onData(b)).toBe(true)
      expect(writes.length).toBe(1)
      expect(writes[0]!.buffers.map((x) => x.length)).toEqual([100, 20])
      expect(contentOf(writes[0]!)).toEqual(Buffer.concat([a, b]))
      expect(cb.onData(new Uint8Array(0))).toBe(true)
      cb.onEnd()
      writes[0]!.done(undefined)
      yield* Fiber.join(body)
      expect(writes.length).toBe(1)
    }))

  it.effect("copy mode: a failed write fails the download with the file system's error and aborts the exchange", () =>
    Effect.gen(function*() {
      const { body, cb, download, state, writes } = yield* startedDownload(true)
      expect(cb.onData(chunk(150, 1))).toBe(true)
      expect(writes[0]!.buffers.map((b) => b.length)).toEqual([100, 50])
      // The next batch fills while the write is in flight: paused.
      expect(cb.onData(chunk(120, 2))).toBe(false)
      writes[0]!.done(diskFull)
      expect(yield* failureOf(Fiber.join(body))).toBe(diskFull)
      expect(state.aborted).toBe(true)
      // Nothing more is written, nor is the transport resumed; what still comes is dropped.
      expect(cb.onData(chunk(300, 3))).toBe(true)
      cb.onEnd()
      expect(writes.length).toBe(1)
      expect(state.resumes).toBe(0)
      yield* download.release
    }))

  it.effect("copy mode: whatever the chunk sizes and the writes' pace, the file holds the body's bytes (property)", () =>
    Effect.gen(function*() {
      const runtime = yield* Effect.runtime<never>()
      /** One download: `steps` says, one at a time, whether the transport delivers or the writer completes. */
      const run = (writeSize: number, sizes: ReadonlyArray<number>, steps: ReadonlyArray<number>) =>
        Effect.gen(function*() {
          const { open, state } = handTransport()
          const writes: Array<{
            readonly buffers: ReadonlyArray<Uint8Array>
            readonly position: number
            readonly done: (error: SystemError | undefined) => void
            readonly content: Buffer
          }> = []
          const writevAt = (buffers: ReadonlyArray<Uint8Array>, position: number, done: (error: SystemError | undefined) => void) =>
            void writes.push({ buffers, position, done, content: Buffer.concat(buffers) })
          const download = fileDownload(open, writevAt, () => "body timeout", writeSize, true)
          yield* started(download.attempt(request, context), state)
          const body = yield* Effect.fork(download.body)
          const cb = state.callbacks!
          const total = sizes.reduce((sum, size) => sum + size, 0)
          const expected = bytes(total, 7)
          const file = new Uint8Array(total)
          // The transport's one read buffer: each chunk is a view of it, overwritten after the callback.
          const readBuffer = new Uint8Array(Math.max(1, ...sizes))
          let next = 0
          let at = 0
          let paused = false
          let completed = 0
          let ended = false
          const deliver = () => {
            const size = sizes[next++]!
            readBuffer.set(expected.subarray(at, at + size))
            at += size
            const more = cb.onData(readBuffer.subarray(0, size))
            readBuffer.fill(0xee)
            if (paused) expect(more).toBe(false)
            if (!more) paused = true
          }
          const complete = () => {
            const write = writes[completed++]!
            // The buffers in flight still hold what was given to write (no block refilled meanwhile).
            expect(Buffer.concat(write.buffers)).toEqual(write.content)
            file.set(write.content, write.position)
            const resumes = state.resumes
            write.done(undefined)
            if (state.resumes > resumes) paused = false
          }
          const check = () => expect(writes.length - completed).toBeLessThanOrEqual(1)
          for (const step of steps) {
            if (step === 0 && completed < writes.length) complete()
            else if (next < sizes.length && (step === 1 || !paused)) deliver()
            check()
          }
          // The transport obeys the pauses from here on.
          while (next < sizes.length || !ended || completed < writes.length) {
            if (completed < writes.length && (paused || next === sizes.length)) complete()
            else if (next < sizes.length) deliver()
            else if (!ended) {
              ended = true
              cb.onEnd()
            }
            check()
          }
          yield* settle
          expect(yield* isDone(body)).toBe(true)
          yield* Fiber.join(body)
          expect(paused).toBe(false)
          // One write after the other, each at the end of the previous one, each one's bytes copied.
          let position = 0
          for (const write of writes) {
            expect(write.position).toBe(position)
            position += write.content.length
          }
          expect(position).toBe(total)
          expect(Buffer.from(file)).toEqual(Buffer.from(expected))
          expect(state.aborted).toBe(false)
        })
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 1, max: 48 }),
            fc.array(fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 160 })), { maxLength: 40 }),
            fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 80 }),
            (writeSize, sizes, steps) => Runtime.runPromise(runtime)(run(writeSize, sizes, steps))
          ),
          { numRuns: 200 }
        )
      )
    }))
})

describe("NodeTransport's file writer (fs.writev at a position)", () => {
  /** A `writev` that writes at most `max` bytes per call into `file`, recording each call. */
  const shortWriter = (file: Uint8Array, max: number) => {
    const calls: Array<{ readonly position: number; readonly sizes: ReadonlyArray<number> }> = []
    const writev = (
      _fd: number,
      buffers: ReadonlyArray<Uint8Array>,
      position: number,
      callback: (error: NodeJS.ErrnoException | null, written: number) => void
    ) => {
      calls.push({ position, sizes: buffers.map((b) => b.length) })
      let written = 0
      for (const buffer of buffers) {
        const n = Math.min(buffer.length, max - written)
        file.set(buffer.subarray(0, n), position + written)
        written += n
        if (written === max) break
      }
      queueMicrotask(() => callback(null, written))
    }
    return { calls, writev }
  }
  const written = (writeAt: ReturnType<typeof writevOf>, buffers: ReadonlyArray<Uint8Array>, position: number) =>
    Effect.async<void, PlatformError>((resume) =>
      writeAt(buffers, position, (error) => resume(error === undefined ? Effect.void : Effect.fail(error)))
    )

  it.effect("a short write goes on with the bytes left, at the right place", () =>
    Effect.gen(function*() {
      const file = new Uint8Array(40)
      const { calls, writev } = shortWriter(file, 7)
      const buffers = [bytes(5, 1), bytes(9, 2), bytes(4, 3)]
      yield* written(writevOf(3, writev), buffers, 10)
      expect(Array.from(file.subarray(10, 28))).toEqual([...buffers[0]!, ...buffers[1]!, ...buffers[2]!])
      expect(file.subarray(0, 10).every((b) => b === 0) && file.subarray(28).every((b) => b === 0)).toBe(true)
      expect(calls).toEqual([
        { position: 10, sizes: [5, 9, 4] },
        { position: 17, sizes: [7, 4] },
        { position: 24, sizes: [4] }
      ])
    }))

  it.effect("a failure, or a write of nothing, fails with the file system's error", () =>
    Effect.gen(function*() {
      const failing = writevOf(3, (_fd, _buffers, _position, callback) =>
        callback(Object.assign(new Error("no space left"), { code: "ENOSPC" }), 0))
      const failure = yield* failureOf(written(failing, [bytes(4, 1)], 0))
      expect(failure).toMatchObject({ _tag: "SystemError", reason: "Unknown", method: "writev" })
      expect(failure.message).toContain("no space left")
      const stuck = writevOf(3, (_fd, _buffers, _position, callback) =>
        callback(null, 0))
      expect(yield* failureOf(written(stuck, [bytes(4, 1)], 0))).toMatchObject({ _tag: "SystemError", reason: "WriteZero" })
    }))
})

describe("NodeTransport streams downloads through its own dispatch handler", () => {
  /** A server answering `/blob` with `content`, written in uneven pieces. */
  const blobServer = (content: Buffer) =>
    rawServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(content.length) })
      let at = 0
      let piece = 1
      const pump = () => {
        while (at < content.length) {
          const end = Math.min(content.length, at + piece)
          piece = (piece * 7 + 13) % 300_000 + 1
          const more = res.write(content.subarray(at, end))
          at = end
          if (!more) return void res.once("drain", pump)
        }
        res.end()
      }
      pump()
    })

  it.live("a multi-MiB body arrives byte for byte on disk, with one callback dispatch and no platform request", () =>
    Effect.gen(function*() {
      const content = Buffer.from(bytes(5 * 1024 * 1024 + 333, 7))
      const { origin } = yield* blobServer(content)
      const { agent, presigned } = yield* recordingClient(origin)
      const fs = yield* FileSystem.FileSystem
      const path = join(tempDir(), "blob.bin")
      yield* writeStreamToFile(fs, path, presigned.stream(HttpClientRequest.get(`${origin}/blob?signature=s`)))
      expect(readFileSync(path).equals(content)).toBe(true)
      expect(agent.handlers).toEqual(["callback"])
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))

  it.live("a download to a file is written from the transport's callbacks, byte for byte", () =>
    Effect.gen(function*() {
      const content = Buffer.from(bytes(3 * 1024 * 1024 + 4567, 3))
      const { origin } = yield* blobServer(content)
      const { agent, presigned } = yield* recordingClient(origin)
      expect(presigned.toFile).toBeDefined()
      const fs = yield* FileSystem.FileSystem
      const path = join(tempDir(), "blob.bin")
      writeFileSync(path, "an older, longer file that is truncated first ".repeat(200_000))
      yield* downloadToPath(presigned, fs, path, HttpClientRequest.get(`${origin}/blob?signature=s`))
      expect(readFileSync(path).equals(content)).toBe(true)
      expect(agent.handlers).toEqual(["callback"])
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))

  it.live("with another FileSystem (its descriptors are not the file's on disk), a download is written through it", () =>
    Effect.gen(function*() {
      const content = Buffer.from(bytes(1024 * 1024 + 77, 5))
      const { origin } = yield* blobServer(content)
      const { agent, presigned } = yield* recordingClient(origin)
      const node = yield* FileSystem.FileSystem
      // A FileSystem whose files report the descriptor of an unrelated (decoy) file: writing to
      // that descriptor, not through the FileSystem, would fill the decoy and leave the target empty.
      const decoyPath = join(tempDir(), "decoy.bin")
      const decoy = yield* node.open(decoyPath, { flag: "w" })
      const other = decoyFileSystem(node, decoy)
      const path = join(tempDir(), "through.bin")
      yield* downloadToPath(presigned, other, path, HttpClientRequest.get(`${origin}/blob?signature=s`))
      expect(readFileSync(path).equals(content)).toBe(true)
      expect(readFileSync(decoyPath).length).toBe(0)
      // Through the streamed path: the transport's callback handler, not its file writer.
      expect(agent.handlers).toEqual(["callback"])
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))

  it.live("interrupting a download to a file closes the connection and frees the slot", () =>
    Effect.gen(function*() {
      const { origin, state } = yield* bigServer
      const { presigned } = yield* NextmvClient.make({
        apiKey: Redacted.make("k"),
        baseUrl: origin,
        maxConnections: 1,
        timeout: testTimeout,
        retry: { retries: 0 }
      })
      const fs = yield* FileSystem.FileSystem
      const path = join(tempDir(), "big.bin")
      const fiber = yield* Effect.fork(downloadToPath(presigned, fs, path, HttpClientRequest.get(`${origin}/big?signature=s`)))
      yield* untilLive(Effect.sync(() => state.sent > 4 * 1024 * 1024))
      expect(Exit.isInterrupted(yield* Fiber.interrupt(fiber))).toBe(true)
      yield* untilLive(Effect.sync(() => state.closed))
      expect(state.sent).toBeLessThan(256 * 1024 * 1024)
      expect(yield* presigned.text(HttpClientRequest.get(`${origin}/small?signature=s`))).toBe("ok")
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(NodeTransport.layer, NodeContext.layer))))

  it.live("a stuck consumer pauses the connection: the transport holds only the read-ahead", () =>
    Effect.gen(function*() {
      const { origin, state } = yield* bigServer
      const { agent, presigned } = yield* recordingClient(origin)
      const fiber = yield* Effect.fork(
        Stream.runForEach(presigned.stream(HttpClientRequest.get(`${origin}/big?signature=s`)), () => Effect.never)
      )
      // The consumer never takes a second chunk: the read-ahead fills and the handler pauses the
      // connection (without the pause the 256 MiB body would be handed over whole).
      yield* untilLive(Effect.sync(() => agent.paused))
      expect(agent.delivered).toBeLessThan(8 * 1024 * 1024)
      yield* Fiber.interrupt(fiber)
      yield* untilLive(Effect.sync(() => state.closed))
      expect(state.sent).toBeLessThan(64 * 1024 * 1024)
    }).pipe(Effect.scoped))
})

for (const [transportName, transport] of transports) {
  describe(`streamed downloads: statuses and retries (${transportName})`, () => {
    it.effect("a 503 is retried; a 403 fails typed, with its body and without the signature", () =>
      driven(function*() {
        const { presigned } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        const payload = "p".repeat(100_000)
        const url = emulator.context.blobs.presignDownload(payload, "text/plain")
        const signature = new URL(url).searchParams.get("signature")!
        yield* emulator.injectFault({ path: "/_presigned/download/:token", times: 1, action: FaultAction.status(503) })
        const chunks = yield* Stream.runCollect(presigned.stream(HttpClientRequest.get(url)))
        expect(Buffer.concat(Chunk.toArray(chunks)).toString()).toBe(payload)
        expect((yield* emulator.requests).filter((r) => r.path.startsWith("/_presigned/download/")).length).toBe(2)

        yield* emulator.injectFault({
          path: "/_presigned/download/:token",
          times: 1,
          action: FaultAction.status(403, { body: { error: `signature ${signature} does not match` } })
        })
        const error = yield* failureOf(Stream.runDrain(presigned.stream(HttpClientRequest.get(url))))
        expect(error).toBeInstanceOf(NextmvHttpError)
        expect(error.status).toBe(403)
        expect(error.reason).toBe("status")
        expect(error.body).toContain("does not match")
        for (const text of [error.message, error.path, error.body ?? "", JSON.stringify(error)]) {
          expect(text).not.toContain(signature)
        }
      }).pipe(Effect.provide(emulatorLayer({}, transport))))

    it.effect("a download to a file: a 503 is retried, a 403 fails typed without the signature", () =>
      driven(function*() {
        const { presigned } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        const fs = yield* FileSystem.FileSystem
        const payload = "q".repeat(300_000)
        const url = emulator.context.blobs.presignDownload(payload, "text/plain")
        const signature = new URL(url).searchParams.get("signature")!
        const path = join(tempDir(), "payload.txt")
        yield* emulator.injectFault({ path: "/_presigned/download/:token", times: 1, action: FaultAction.status(503) })
        yield* downloadToPath(presigned, fs, path, HttpClientRequest.get(url))
        expect(readFileSync(path, "utf8")).toBe(payload)
        yield* emulator.injectFault({
          path: "/_presigned/download/:token",
          times: 1,
          action: FaultAction.status(403, { body: { error: `signature ${signature} does not match` } })
        })
        const error = yield* failureOf(downloadToPath(presigned, fs, path, HttpClientRequest.get(url)))
        expect(error).toBeInstanceOf(NextmvHttpError)
        const http = error as NextmvHttpError
        expect(http.status).toBe(403)
        for (const text of [http.message, http.path, http.body ?? "", JSON.stringify(http)]) {
          expect(text).not.toContain(signature)
        }
      }).pipe(Effect.provide(Layer.merge(emulatorLayer({}, transport), NodeContext.layer))))
  })
}

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
