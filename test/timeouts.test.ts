/**
 * Timeouts with nextmv-py's meaning (python-requests: connect timeout plus a limit on each wait,
 * never on the whole exchange), on uploads and streamed downloads; the optional total deadline;
 * the cap on error bodies; the clamp on server-given retry waits.
 *
 * Real waits are tiny (150 ms idle timeout); retry waits run on the TestClock.
 */
import { FileSystem, HttpBody, HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { join } from "node:path"
import { downloadToPath } from "../src/internal/fileStreams.js"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Fiber, Layer, Logger, LogLevel, Redacted, Ref, Stream, TestClock } from "effect"
import { defaultRetryOptions, parseRetryAfter, retryDelay } from "../src/internal/retry.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { type ClientOptions, Emulator, FaultAction, layerClient } from "../src/testing/Emulator.js"
import { transports } from "./support/layers.js"
import { rawServer } from "./support/rawServer.js"
import { tempDirs } from "./support/runs.js"

const quiet = Logger.withMinimumLogLevel(LogLevel.Error)

const emulatorWith = (client: ClientOptions["client"], transport: Layer.Layer<HttpClient.HttpClient>) =>
  layerClient({ client }).pipe(Layer.provide(transport))

const fast = { timeout: "150 millis", retry: { retries: 0 } } as const

const tempDir = tempDirs("nextmv-timeouts-")

const trickling = (chunks: number, size: number, every: Duration.DurationInput) =>
  Stream.range(1, chunks).pipe(
    Stream.mapEffect(() => Effect.as(Effect.sleep(every), new Uint8Array(size).fill(120)))
  )

for (const [transportName, transport] of transports) {
  describe(`idle timeouts (python-requests semantics) (${transportName})`, () => {
    it.live("a slow but steady upload never times out, however long it takes in total", () =>
      Effect.gen(function*() {
        const { presigned } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        const upload = emulator.context.blobs.presignUpload()
        // 40 chunks, one every 30 ms: about 1.2 s in total, twice the idle timeout of 600 ms, whose
        // margin over each gap (20×) absorbs the pauses of a busy machine.
        const body = HttpBody.stream(trickling(40, 1024, "30 millis"), "application/octet-stream", 40 * 1024)
        yield* presigned.discard(HttpClientRequest.put(upload.url).pipe(HttpClientRequest.setBody(body)))
        expect(emulator.context.blobs.uploaded(upload.id)?.length).toBe(40 * 1024)
      }).pipe(Effect.provide(emulatorWith({ ...fast, timeout: "600 millis" }, transport)), quiet))

    it.live("an upload the server stops reading times out (no write progress)", () =>
      Effect.gen(function*() {
        const { presigned } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        const upload = emulator.context.blobs.presignUpload()
        yield* emulator.injectFault({ path: "/_presigned/upload/:token", action: FaultAction.stallRead })
        const mib = new Uint8Array(1024 * 1024)
        const body = HttpBody.stream(Stream.repeatValue(mib).pipe(Stream.take(64)), "application/octet-stream", 64 * mib.length)
        const error = yield* Effect.flip(presigned.discard(HttpClientRequest.put(upload.url).pipe(HttpClientRequest.setBody(body))))
        expect(error.reason).toBe("timeout")
        expect(error.path).not.toContain("signature")
      }).pipe(Effect.provide(emulatorWith(fast, transport)), quiet))

    it.live("a trickling download succeeds; a slow consumer is never timed out", () =>
      Effect.gen(function*() {
        const { presigned } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        const payload = "x".repeat(2000)
        const url = emulator.context.blobs.presignDownload(payload, "text/plain")
        yield* emulator.injectFault({ path: "/_presigned/download/:token", action: FaultAction.trickle(200, "20 millis") })
        const chunks = yield* Stream.runCollect(
          presigned.stream(HttpClientRequest.get(url)).pipe(Stream.tap(() => Effect.sleep("40 millis")))
        )
        const text = new TextDecoder().decode(Buffer.concat(Chunk.toArray(chunks)))
        expect(text).toBe(payload)

        // The consumer takes 400 ms per chunk, well above the idle timeout.
        const slow = yield* Stream.runCollect(
          presigned.stream(HttpClientRequest.get(url)).pipe(Stream.tap(() => Effect.sleep("400 millis")))
        )
        expect(Buffer.concat(Chunk.toArray(slow)).toString()).toBe(payload)
      }).pipe(Effect.provide(emulatorWith(fast, transport)), quiet))

    it.live("a download that stalls mid-body fails with a timeout instead of hanging", () =>
      Effect.gen(function*() {
        const { presigned } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        const url = emulator.context.blobs.presignDownload("y".repeat(5000), "text/plain")
        yield* emulator.injectFault({ path: "/_presigned/download/:token", action: FaultAction.stallBody })
        const error = yield* Effect.flip(Stream.runDrain(presigned.stream(HttpClientRequest.get(url))))
        expect(error.reason).toBe("timeout")
        expect(error.message).toContain("reading the response body")
      }).pipe(Effect.provide(emulatorWith(fast, transport)), quiet))

    it.live("a download to a file that stalls mid-body fails with a timeout instead of hanging", () =>
      Effect.gen(function*() {
        const { presigned } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        const fs = yield* FileSystem.FileSystem
        const url = emulator.context.blobs.presignDownload("w".repeat(5000), "text/plain")
        yield* emulator.injectFault({ path: "/_presigned/download/:token", action: FaultAction.stallBody })
        const path = join(tempDir(), "out.txt")
        const error = yield* Effect.flip(downloadToPath(presigned, fs, path, HttpClientRequest.get(url)))
        expect(error._tag).toBe("NextmvHttpError")
        expect(error.message).toContain("reading the response body")
      }).pipe(Effect.provide(Layer.merge(emulatorWith(fast, transport), NodeContext.layer)), quiet))

    it.live("the optional deadline bounds the whole call, body and retries included", () =>
      Effect.gen(function*() {
        const { presigned } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        const url = emulator.context.blobs.presignDownload("z".repeat(2000), "text/plain")
        yield* emulator.injectFault({ path: "/_presigned/download/:token", action: FaultAction.trickle(100, "30 millis") })
        const error = yield* Effect.flip(presigned.text(HttpClientRequest.get(url)))
        expect(error.reason).toBe("timeout")
        expect(error.message).toContain("deadline")
      }).pipe(Effect.provide(emulatorWith({ timeout: "150 millis", deadline: "250 millis" }, transport)), quiet))
  })
}

for (const [transportName, transport] of transports) {
  describe(`error bodies (${transportName})`, () => {
    it.live("only the first KiBs of an error body are read; the rest is never downloaded", () =>
      Effect.gen(function*() {
        const total = 256 * 1024 * 1024
        let written = 0
        const { origin } = yield* rawServer((_req, res) => {
          res.writeHead(500, { "content-type": "text/plain", "content-length": String(total) })
          const chunk = Buffer.alloc(64 * 1024, 101)
          const pump = () => {
            while (written < total && !res.destroyed) {
              written += chunk.length
              if (!res.write(chunk)) return void res.once("drain", pump)
            }
            if (!res.destroyed) res.end()
          }
          pump()
        })
        const client = yield* NextmvClient.make({
          apiKey: Redacted.make("k"),
          baseUrl: origin,
          retry: { retries: 0 }
        })
        const error = yield* Effect.flip(client.api.text(HttpClientRequest.get("/v1/huge")))
        expect(error.status).toBe(500)
        expect(error.body!.length).toBeLessThanOrEqual(4097)
        // Socket buffers hold a few MiB at most; the 256 MiB body was never sent.
        expect(written).toBeLessThan(total / 4)
      }).pipe(Effect.scoped, Effect.provide(transport)))
  })
}

describe("server-given waits are clamped", () => {
  it("parses Retry-After and clamps it to maxRetryAfter, whatever its size", () => {
    const now = Date.parse("2026-01-01T00:00:00Z")
    const cap = Duration.toMillis(defaultRetryOptions.maxRetryAfter)
    const delay = (header: string) => {
      const parsed = parseRetryAfter(header, now)
      return Duration.toMillis(retryDelay(defaultRetryOptions, 3, { reason: "status", status: 429, retryAfterMillis: parsed }, 0))
    }
    expect(delay("5")).toBe(5000)
    expect(delay("86400")).toBe(cap)
    expect(delay("9".repeat(400))).toBe(cap)
    expect(delay("Fri, 31 Dec 9999 23:59:59 GMT")).toBe(cap)
    expect(delay(new Date(now + 10_000).toUTCString())).toBe(10_000)
    expect(delay(new Date(now - 10_000).toUTCString())).toBe(0)
    // Not delta seconds nor a date: ignored, the normal backoff applies.
    expect(parseRetryAfter("1e308", now)).toBeUndefined()
    expect(parseRetryAfter("soon", now)).toBeUndefined()
  })

  it.effect("a Retry-After of 86400 s waits the 60 s cap (TestClock)", () =>
    Effect.gen(function*() {
      const sent = yield* Ref.make<Array<number>>([])
      const transport = HttpClient.make((request) =>
        Effect.gen(function*() {
          const now = yield* TestClock.currentTimeMillis
          const all = yield* Ref.updateAndGet(sent, (xs) => [...xs, now])
          return HttpClientResponse.fromWeb(
            request,
            all.length === 1
              ? new Response("{}", { status: 429, headers: { "retry-after": "86400" } })
              : new Response("{}", { status: 200 })
          )
        })
      )
      const client = yield* NextmvClient.make({ apiKey: Redacted.make("k"), baseUrl: "http://x.test" }).pipe(
        Effect.provide(Layer.succeed(HttpClient.HttpClient, transport))
      )
      const fiber = yield* Effect.fork(client.api.text(HttpClientRequest.get("/v1/x")))
      yield* TestClock.adjust("60 seconds")
      expect(yield* Fiber.join(fiber)).toBe("{}")
      expect(yield* Ref.get(sent)).toEqual([0, 60_000])
    }).pipe(quiet))
})

for (const [transportName, transport] of transports) {
  describe(`per-origin connection cap (${transportName})`, () => {
    it.live("never more requests in flight per origin than maxConnections", () =>
      Effect.gen(function*() {
        let open = 0
        let peak = 0
        const { origin } = yield* rawServer((_req, res) => {
          open++
          peak = Math.max(peak, open)
          setTimeout(() => {
            open--
            res.writeHead(200, { "content-type": "application/json" })
            res.end("{}")
          }, 20)
        })
        const client = yield* NextmvClient.make({ apiKey: Redacted.make("k"), baseUrl: origin, maxConnections: 3 })
        yield* Effect.forEach(
          Array.from({ length: 24 }, (_, i) => i),
          (i) =>
            i % 2 === 0
              ? client.api.text(HttpClientRequest.get("/v1/x"))
              : client.presigned.text(HttpClientRequest.get(`${origin}/blob?signature=s${i}`)),
          { concurrency: "unbounded", discard: true }
        )
        // Three for the API, three for the presigned host (the same server here).
        expect(peak).toBeLessThanOrEqual(6)
        expect(peak).toBeGreaterThan(1)
      }).pipe(Effect.scoped, Effect.provide(transport)))
  })
}
