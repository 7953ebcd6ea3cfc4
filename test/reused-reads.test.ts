/**
 * `FileDownloadAgent` (src/node/reusedReads.ts): sockets that read a claimed 2xx body into a few
 * reused buffers. The danger of reuse is a buffer read into again while something still reads
 * it, so every test checks the bytes that arrived against the bytes sent, over real sockets
 * (plain and TLS), with servers that write in irregular pieces and handlers that pause.
 */
import { FileSystem, HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import type * as Undici from "@effect/platform-node/Undici"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import type * as Http from "node:http"
import * as Https from "node:https"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { downloadToPath } from "../src/internal/fileStreams.js"
import { NodeTransport } from "../src/node/index.js"
import { claimBodyReads } from "../src/node/reusedReads.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { testTimeout } from "./support/layers.js"
import { rawServer } from "./support/rawServer.js"
import { tempDirs } from "./support/runs.js"

const tempDir = tempDirs("nextmv-reused-reads-")
const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", "tls", name))

/** A small deterministic generator (the pieces' sizes and pauses of a server). */
const lcg = (seed: number) => () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff)

/**
 * A handler writing `data` in pieces of 1 byte to 100 kB, now and then after a turn of the event
 * loop (so the client sees reads of every size); chunked, with a trailer, when `chunked`.
 */
const irregular = (data: Buffer, seed: number, chunked = false): Http.RequestListener => (_request, response) => {
  const next = lcg(seed)
  if (chunked) response.writeHead(200, { "content-type": "application/octet-stream", trailer: "x-checksum" })
  else response.writeHead(200, { "content-type": "application/octet-stream", "content-length": data.length })
  let offset = 0
  const write = (): void => {
    while (offset < data.length) {
      const r = next()
      const piece = data.subarray(offset, offset + 1 + (r % 100_000))
      offset += piece.length
      const more = response.write(piece)
      if (r % 5 === 0) return void setImmediate(write)
      if (!more) return void response.once("drain", write)
    }
    if (chunked) response.addTrailers({ "x-checksum": "the trailer of a body of ".repeat(200) + data.length })
    response.end()
  }
  write()
}

/** What one download brought: the body, its chunks' distinct `ArrayBuffer`s and the chunk count. */
interface Received {
  readonly status: number
  readonly body: Buffer
  /** The chunks as kept by the handler (copies, or undici's own buffers with `keep`). */
  readonly parts: ReadonlyArray<Buffer>
  readonly buffers: number
  readonly chunks: number
  readonly trailers: Record<string, string | Array<string> | undefined>
}

/**
 * One GET over `dispatcher` with a handler like the SDK's file downloads: it claims the socket's
 * reads on a 2xx (when `claim`) and copies each chunk at once (a claimed chunk's buffer is reused
 * after the callback). `pause`: pauses every few chunks and resumes a turn later (undici then puts
 * the rest of its read back into the socket); `abortAfter`: aborts once that many bytes came.
 */
const get = (
  dispatcher: Undici.Dispatcher,
  origin: string,
  options: { readonly claim?: boolean; readonly pause?: boolean; readonly abortAfter?: number; readonly keep?: boolean } = {}
) =>
  Effect.async<Received, Error>((resume) => {
    const parts: Array<Buffer> = []
    const buffers = new Set<ArrayBufferLike>()
    let status = 0
    let size = 0
    let chunks = 0
    let release: (() => void) | undefined
    const next = lcg(7)
    dispatcher.dispatch({ origin, path: "/data", method: "GET" }, {
      onRequestStart: () => {},
      onResponseStart: (_controller, statusCode) => {
        status = statusCode
        if (options.claim !== false && statusCode >= 200 && statusCode < 300) release = claimBodyReads()?.release
      },
      onResponseData: (controller, chunk) => {
        chunks++
        buffers.add(chunk.buffer)
        // `keep`: keeps the chunk itself (only safe where the reads are not claimed).
        parts.push(options.keep === true ? chunk : Buffer.from(chunk))
        size += chunk.length
        if (options.abortAfter !== undefined && size >= options.abortAfter) {
          release?.()
          controller.abort(new Error("enough"))
          return resume(Effect.succeed({ status, body: Buffer.concat(parts), parts, buffers: buffers.size, chunks, trailers: {} }))
        }
        if (options.pause === true && next() % 3 === 0) {
          controller.pause()
          setImmediate(() => controller.resume())
        }
      },
      onResponseEnd: (_controller, trailers) => {
        release?.()
        resume(Effect.succeed({ status, body: Buffer.concat(parts), parts, buffers: buffers.size, chunks, trailers }))
      },
      onResponseError: (_controller, error) => {
        release?.()
        // After the handler's own abort: already resumed.
        if (options.abortAfter === undefined || size < options.abortAfter) resume(Effect.fail(error))
      }
    })
  })

/** A `FileDownloadAgent` destroyed with the scope. */
const agentOf = (options?: NodeTransport.FileDownloadAgent.Options) =>
  Effect.acquireRelease(
    Effect.sync(() => new NodeTransport.FileDownloadAgent(options)),
    (agent) => Effect.promise(() => agent.destroy())
  )

/** An HTTPS server on loopback with the test certificate, closed with the scope. */
const tlsServer = (handler: Http.RequestListener) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Https.Server; readonly origin: string }>((resume) => {
      const server = Https.createServer({ key: fixture("key.pem"), cert: fixture("cert.pem") }, handler)
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ server, origin: `https://localhost:${(server.address() as AddressInfo).port}` })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() =>
          resume(Effect.void)
        )
      })
  )

describe("FileDownloadAgent reads a claimed body into reused buffers", () => {
  it.live("a body written in irregular pieces arrives byte for byte, in a handful of buffers", () =>
    Effect.gen(function*() {
      const data = randomBytes(8 * 1024 * 1024 + 321)
      const { origin } = yield* rawServer(irregular(data, 1))
      const agent = yield* agentOf()
      const received = yield* get(agent, origin)
      expect(received.status).toBe(200)
      expect(received.body.equals(data)).toBe(true)
      // Hundreds of reads, and only the socket's pool (at most 8) plus the copies of the reads
      // before the claim took effect.
      expect(received.chunks).toBeGreaterThan(100)
      expect(received.buffers).toBeLessThanOrEqual(12)
      // Outside the synchronous run that parses a read there is no socket to claim.
      expect(claimBodyReads()).toBeUndefined()
    }).pipe(Effect.scoped))

  it.live("a handler that pauses (undici puts the rest of a read back) still gets every byte in order", () =>
    Effect.gen(function*() {
      const data = randomBytes(6 * 1024 * 1024 + 11)
      const { origin } = yield* rawServer(irregular(data, 2))
      const agent = yield* agentOf()
      const received = yield* get(agent, origin, { pause: true })
      expect(received.body.equals(data)).toBe(true)
      // (Reads that queue up behind a pause are joined into one new buffer by the socket's
      // `read`, so pauses add buffers: no bound here.)
    }).pipe(Effect.scoped))

  it.live("a chunked body with a trailer arrives byte for byte", () =>
    Effect.gen(function*() {
      const data = randomBytes(3 * 1024 * 1024 + 5)
      const { origin } = yield* rawServer(irregular(data, 3, true))
      const agent = yield* agentOf()
      const received = yield* get(agent, origin)
      expect(received.body.equals(data)).toBe(true)
      expect(received.trailers["x-checksum"]).toBeDefined()
      expect(received.buffers).toBeLessThanOrEqual(12)
      const paused = yield* get(agent, origin, { pause: true })
      expect(paused.body.equals(data)).toBe(true)
    }).pipe(Effect.scoped))

  it.live("over TLS too", () =>
    Effect.gen(function*() {
      const data = randomBytes(4 * 1024 * 1024 + 99)
      const { origin } = yield* tlsServer(irregular(data, 4))
      const agent = yield* agentOf({ connect: { ca: fixture("cert.pem") } })
      const received = yield* get(agent, origin)
      expect(received.body.equals(data)).toBe(true)
      expect(received.chunks).toBeGreaterThan(50)
      expect(received.buffers).toBeLessThanOrEqual(12)
      const paused = yield* get(agent, origin, { pause: true })
      expect(paused.body.equals(data)).toBe(true)
    }).pipe(Effect.scoped))

  it.live("one socket, one exchange after the other: what an unclaimed exchange kept is never overwritten", () =>
    Effect.gen(function*() {
      const data = randomBytes(2 * 1024 * 1024 + 17)
      const { origin } = yield* rawServer(irregular(data, 5))
      const agent = yield* agentOf({ connections: 1 })
      const first = yield* get(agent, origin)
      // Not claimed: undici's buffers are kept as they came (as the SDK's buffered calls do).
      const kept = yield* get(agent, origin, { claim: false, keep: true })
      const aborted = yield* get(agent, origin, { abortAfter: 512 * 1024 })
      const last = yield* get(agent, origin, { pause: true })
      expect(first.body.equals(data)).toBe(true)
      expect(kept.body.equals(data)).toBe(true)
      expect(aborted.body.equals(data.subarray(0, aborted.body.length))).toBe(true)
      expect(last.body.equals(data)).toBe(true)
      // undici's own buffers of the unclaimed exchange still hold what they held, after two claimed
      // downloads on the same socket.
      expect(Buffer.concat(kept.parts).equals(data)).toBe(true)
    }).pipe(Effect.scoped))

  it.live("downloads on several sockets at once each arrive byte for byte", () =>
    Effect.gen(function*() {
      const data = randomBytes(2 * 1024 * 1024 + 3)
      const { origin } = yield* rawServer(irregular(data, 6))
      const agent = yield* agentOf()
      const all = yield* Effect.all(
        [get(agent, origin), get(agent, origin, { pause: true }), get(agent, origin, { claim: false }), get(agent, origin)],
        { concurrency: "unbounded" }
      )
      for (const received of all) expect(received.body.equals(data)).toBe(true)
    }).pipe(Effect.scoped))

  it.live("a non-2xx answer reads the usual way: its body arrives whole", () =>
    Effect.gen(function*() {
      const message = "no such object ".repeat(10_000)
      const { origin } = yield* rawServer((_request, response) => {
        response.writeHead(404, { "content-type": "text/plain" })
        response.end(message)
      })
      const agent = yield* agentOf()
      const received = yield* get(agent, origin)
      expect(received.status).toBe(404)
      expect(received.body.toString()).toBe(message)
    }).pipe(Effect.scoped))
})

describe("NodeTransport.layer downloads to disk through its FileDownloadAgent", () => {
  it.live("a download to a file is byte for byte, over plain HTTP and (with make) over TLS", () =>
    Effect.gen(function*() {
      const data = randomBytes(5 * 1024 * 1024 + 1234)
      const fs = yield* FileSystem.FileSystem
      const plain = yield* rawServer(irregular(data, 8))
      const client = yield* NextmvClient.make({ apiKey: Redacted.make("k"), baseUrl: plain.origin, timeout: testTimeout })
      const path = join(tempDir(), "plain.bin")
      yield* downloadToPath(client.presigned, fs, path, HttpClientRequest.get(`${plain.origin}/data?signature=s`))
      expect(readFileSync(path).equals(data)).toBe(true)

      const tls = yield* tlsServer(irregular(data, 9))
      const agent = yield* agentOf({ connect: { ca: fixture("cert.pem") } })
      const overTls = yield* NextmvClient.make({ apiKey: Redacted.make("k"), baseUrl: tls.origin, timeout: testTimeout }).pipe(
        Effect.provideService(HttpClient.HttpClient, NodeTransport.make(agent, { fileDownloads: agent }))
      )
      const tlsPath = join(tempDir(), "tls.bin")
      yield* downloadToPath(overTls.presigned, fs, tlsPath, HttpClientRequest.get(`${tls.origin}/data?signature=s`))
      expect(readFileSync(tlsPath).equals(data)).toBe(true)
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(NodeContext.layer, NodeTransport.layer))))
})
