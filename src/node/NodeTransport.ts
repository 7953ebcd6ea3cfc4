/**
 * `NodeTransport`: the recommended `HttpClient` for Node, built on undici.
 *
 * It is a normal `HttpClient` (the platform's `NodeHttpClient.makeUndici` over its own undici
 * `Agent`), so it works for anything, and it carries a fast path that `NextmvClient` takes for
 * the ordinary API calls (small request bodies, responses read whole): one undici `dispatch` per
 * attempt with a callback handler, the body buffered before the calling fiber resumes once, the
 * idle, connect and deadline timeouts enforced by the client's timer calling the transport's
 * abort (no extra fiber per attempt), and no platform span or fiber-ref work. Every behaviour of
 * the client stays: typed errors, retries, timeouts, the per-origin cap, interruption, redacted
 * spans, trace-context propagation. Streamed downloads (`presigned.stream`, downloads to disk)
 * take a second callback path: a dispatch handler hands each body chunk to the client's read-ahead
 * and pauses the connection while it is full (no effect or platform `Stream` per chunk); a
 * download to a file (`presigned.toFile`, the `Runs` downloads) is gathered from that handler into
 * batches written with `fs.writev` on the descriptor of the file the platform's Node
 * `FileSystem` opened (with another `FileSystem`, whose descriptors are not the file's on disk, the
 * body is written through that `FileSystem`). Uploads of a known length (`presigned` requests with
 * a streamed body: `Uploads.uploadData` of a file or of a stream with its length, `push`) take a
 * third path: undici pulls the body itself, as an async iterator (`./uploadBody.ts`) — a file read
 * into two reused blocks, or the Effect stream run in a fiber of its own one chunk ahead — with no
 * Node `Readable` or platform stream adapter in between.
 *
 * Use it instead of `NodeHttpClient.layerUndici`:
 *
 * ```ts
 * import { NodeTransport } from "nextmv-effect/node"
 * const Live = NextmvClient.layerConfig().pipe(Layer.provide(Layer.merge(NodeTransport.layer, NodeFileSystem.layer)))
 * ```
 *
 * @since 0.1.0
 */
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import type * as Undici from "@effect/platform-node/Undici"
import { Effect, Fiber, Layer, Option, type Stream } from "effect"
import * as NodeFs from "node:fs"
import { fastAttempt, type FastCallbacks, type FastHeaders, type Send } from "../internal/fastAttempt.js"
import { fastStream, type Open, type Opened, type StreamCallbacks } from "../internal/fastStream.js"
import { decoderOf } from "../internal/compiledDecoder.js"
import { fastTargets } from "../internal/fastBase.js"
import { fileDownload } from "../internal/fileSink.js"
import { WRITE_SIZE } from "../internal/fileStreams.js"
import { writevOf } from "./fileWriter.js"
import { type BodyReads, claimBodyReads, FileDownloadAgent } from "./reusedReads.js"

export { FileDownloadAgent } from "./reusedReads.js"
import { FileBody, type PulledBody, StreamBody } from "./uploadBody.js"
import type { FastRequest, FastTransport, FastUpload } from "../internal/transport.js"
import { fileSourceOf, withFastTransport } from "../internal/transport.js"

/** The reason given to undici when an exchange is aborted (never reported to the caller). */
const aborted = new Error("aborted by nextmv-effect")

/**
 * One exchange: an undici dispatch handler that buffers the response body. Once closed it lets go
 * of the client's callbacks and of the response: undici's objects may be kept a while after the
 * exchange (V8 allocates some of them in the old generation, where only a full collection frees
 * them), and everything they reach is kept with them.
 */
class Exchange implements Undici.Dispatcher.DispatchHandler {
  private controller: Undici.Dispatcher.DispatchController | undefined = undefined
  private closed = false
  private status = 0
  private headers: FastHeaders = noHeaders
  private chunks: Buffer | Array<Buffer> | undefined = undefined
  private size = 0
  private cap = Infinity
  private callbacks: FastCallbacks | undefined

  constructor(callbacks: FastCallbacks, private readonly errorBodyCap: number) {
    this.callbacks = callbacks
  }

  /** Aborts the exchange; no callback is called afterwards. */
  abort(): void {
    if (this.closed) return
    const controller = this.controller
    this.close()
    controller?.abort(aborted)
  }

  private close(): void {
    this.closed = true
    this.callbacks = undefined
    this.controller = undefined
    this.headers = noHeaders
    this.chunks = undefined
  }

  onRequestStart(controller: Undici.Dispatcher.DispatchController): void {
    if (this.closed) controller.abort(aborted)
    else this.controller = controller
  }

  onResponseStart(
    controller: Undici.Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | Array<string> | undefined>
  ): void {
    if (this.closed) return
    this.callbacks?.onProgress()
    // Informational (1xx) answers are progress only.
    if (statusCode < 200) return
    this.status = statusCode
    this.headers = headers
    if (statusCode >= 300) this.cap = this.errorBodyCap
    if (this.cap <= 0) this.complete(controller)
  }

  onResponseData(controller: Undici.Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.closed) return
    this.callbacks?.onProgress()
    // The usual small body comes in one chunk: no array for it.
    const chunks = this.chunks
    if (chunks === undefined) this.chunks = chunk
    else if (Array.isArray(chunks)) chunks.push(chunk)
    else this.chunks = [chunks, chunk]
    this.size += chunk.length
    // Past the cap (error bodies) the rest is not downloaded.
    if (this.size >= this.cap) this.complete(controller)
  }

  onResponseEnd(): void {
    if (this.closed) return
    this.complete(undefined)
  }

  onResponseError(_controller: Undici.Dispatcher.DispatchController, error: Error): void {
    if (this.closed) return
    const callbacks = this.callbacks
    this.close()
    callbacks?.onError(error)
  }

  private complete(abort: Undici.Dispatcher.DispatchController | undefined): void {
    const { callbacks, chunks, headers, status } = this
    const body = chunks === undefined ? empty : Array.isArray(chunks) ? Buffer.concat(chunks, this.size) : chunks
    this.close()
    abort?.abort(aborted)
    callbacks?.onResponse(status, headers, body)
  }
}

const noHeaders: FastHeaders = {}
const empty = new Uint8Array(0)

/**
 * undici's dispatch options of one exchange. A class, not an object literal: it lives while the
 * request waits for the network, and V8 moves the objects of a literal that mostly survive young
 * collections to the old generation (see `NextmvClient`'s `Sent`).
 */
class DispatchOptions implements Undici.Dispatcher.DispatchOptions {
  readonly origin: string
  readonly path: string
  readonly method: Undici.Dispatcher.HttpMethod
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array | string | null
  // The client's own timer enforces the timeouts (python-requests semantics).
  readonly headersTimeout = 0
  readonly bodyTimeout = 0

  constructor(request: FastRequest) {
    this.origin = request.origin
    this.path = request.path
    this.method = request.method as Undici.Dispatcher.HttpMethod
    this.headers = request.headers
    this.body = request.body ?? null
  }
}

/** One exchange over `dispatcher`, with a buffering handler. */
const sender = (dispatcher: Undici.Dispatcher): Send => (request: FastRequest, errorBodyCap: number, callbacks: FastCallbacks) => {
  const exchange = new Exchange(callbacks, errorBodyCap)
  dispatcher.dispatch(new DispatchOptions(request), exchange)
  return exchange
}

/**
 * One streamed download: an undici dispatch handler that hands each chunk of a 2xx body to the
 * client's sink as it arrives and pauses the connection (the dispatch controller's `pause`) while
 * the sink is full; a non-2xx body is buffered up to the error body cap, as {@link Exchange}.
 */
class BodyStream implements Undici.Dispatcher.DispatchHandler, Opened {
  private controller: Undici.Dispatcher.DispatchController | undefined = undefined
  private closed = false
  private streaming = false
  private status = 0
  private headers: Record<string, string | Array<string> | undefined> = {}
  private readonly chunks: Array<Buffer> = []
  private size = 0
  /** The socket's reads claimed for the 2xx body (a `FileDownloadAgent`'s exchange). */
  private reads: BodyReads | undefined = undefined

  /**
   * `reuse`: the exchange runs on a `FileDownloadAgent` and `callbacks.onData` copies each chunk
   * before returning, so the 2xx body may be read into the socket's reused buffers.
   */
  constructor(
    private readonly callbacks: StreamCallbacks,
    private readonly errorBodyCap: number,
    private readonly reuse: boolean
  ) {}

  /** Aborts the exchange; no callback is called afterwards. */
  readonly abort = (): void => {
    if (this.closed) return
    this.close()
    this.controller?.abort(aborted)
  }

  private close(): void {
    this.closed = true
    this.reads?.release()
    this.reads = undefined
  }

  /** Reads again after the sink was full. */
  readonly resume = (): void => {
    if (!this.closed) this.controller?.resume()
  }

  onRequestStart(controller: Undici.Dispatcher.DispatchController): void {
    if (this.closed) controller.abort(aborted)
    else this.controller = controller
  }

  onResponseStart(
    controller: Undici.Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | Array<string> | undefined>
  ): void {
    if (this.closed) return
    this.callbacks.onProgress()
    // Informational (1xx) answers are progress only.
    if (statusCode < 200) return
    if (statusCode < 300) {
      this.streaming = true
      if (this.reuse) this.reads = claimBodyReads()
      return this.callbacks.onStart()
    }
    this.status = statusCode
    this.headers = headers
    if (this.errorBodyCap <= 0) this.complete(controller)
  }

  onResponseData(controller: Undici.Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.closed) return
    if (this.streaming) {
      if (!this.callbacks.onData(chunk)) controller.pause()
      return
    }
    this.callbacks.onProgress()
    this.chunks.push(chunk)
    this.size += chunk.length
    // Past the cap the rest of an error body is not downloaded.
    if (this.size >= this.errorBodyCap) this.complete(controller)
  }

  onResponseEnd(): void {
    if (this.closed) return
    if (!this.streaming) return this.complete(undefined)
    this.close()
    this.callbacks.onEnd()
  }

  onResponseError(_controller: Undici.Dispatcher.DispatchController, error: Error): void {
    if (this.closed) return
    this.close()
    this.callbacks.onError(error)
  }

  private complete(abort: Undici.Dispatcher.DispatchController | undefined): void {
    this.close()
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size)
    abort?.abort(aborted)
    this.callbacks.onResponse({ status: this.status, headers: this.headers, body })
  }
}

/**
 * One streamed exchange over `dispatcher`; `reuse`: see {@link BodyStream} (only for a
 * `FileDownloadAgent` and a sink that copies).
 */
const opener = (dispatcher: Undici.Dispatcher, reuse = false): Open => (request, errorBodyCap, callbacks) => {
  const exchange = new BodyStream(callbacks, errorBodyCap, reuse)
  dispatcher.dispatch({
    origin: request.origin,
    path: request.path,
    method: request.method as Undici.Dispatcher.HttpMethod,
    headers: request.headers,
    body: request.body ?? null,
    // The client's own timer enforces the timeouts (python-requests semantics).
    headersTimeout: 0,
    bodyTimeout: 0
  }, exchange)
  return exchange
}

/**
 * One upload exchange: undici pulls `body` (an async iterator, see `./uploadBody.ts`) and an
 * {@link Exchange} buffers the response. The body stops when the exchange ends, however it ends
 * (a response, a failure, an abort), so a pull in wait never holds undici.
 */
class Upload implements FastCallbacks {
  private exchange: Exchange | undefined = undefined

  constructor(private callbacks: FastCallbacks, private readonly body: PulledBody) {
    body.callbacks = this
  }

  send(dispatcher: IterableDispatcher, request: FastRequest, errorBodyCap: number): this {
    this.exchange = new Exchange(this, errorBodyCap)
    dispatcher.dispatch(new UploadOptions(request, this.body), this.exchange)
    return this
  }

  abort(): void {
    this.body.stop()
    this.exchange?.abort()
  }

  onProgress(): void {
    this.callbacks.onProgress()
  }

  onResponse(status: number, headers: FastHeaders, body: Uint8Array): void {
    this.body.stop()
    this.callbacks.onResponse(status, headers, body)
  }

  onError(cause: unknown): void {
    this.body.stop()
    this.callbacks.onError(cause)
  }
}

/**
 * undici's dispatch options with an async-iterable body: undici sends any iterable body (its
 * `writeBody` takes `util.isIterable` bodies to `writeIterable`), but its type declarations list
 * only strings, buffers, `Readable` and `FormData`.
 */
interface IterableDispatchOptions extends Omit<Undici.Dispatcher.DispatchOptions, "body"> {
  readonly body?: Undici.Dispatcher.DispatchOptions["body"] | AsyncIterable<Uint8Array>
}

/** A dispatcher as undici's runtime takes it (see {@link IterableDispatchOptions}). */
interface IterableDispatcher {
  dispatch(options: IterableDispatchOptions, handler: Undici.Dispatcher.DispatchHandler): boolean
}

/** undici's dispatch options of one upload (the body pulled by undici). */
class UploadOptions implements IterableDispatchOptions {
  readonly origin: string
  readonly path: string
  readonly method: Undici.Dispatcher.HttpMethod
  readonly headers: Readonly<Record<string, string>>
  // The client's own timer enforces the timeouts (python-requests semantics).
  readonly headersTimeout = 0
  readonly bodyTimeout = 0

  constructor(request: FastRequest, readonly body: PulledBody) {
    this.origin = request.origin
    this.path = request.path
    this.method = request.method as Undici.Dispatcher.HttpMethod
    this.headers = request.headers
  }
}

/** An upload's body for one attempt: the file's descriptor, or the stream. */
type Source = { readonly fd: number } | { readonly stream: Stream.Stream<Uint8Array, unknown> }

/**
 * The upload path over `dispatcher`: each attempt's body is pulled by undici, from the file a
 * `readFileStream` stream reads (into two reused blocks, {@link FileBody}) when the `FileSystem`
 * that opens it is Node's, else from the Effect stream run in a fiber of its own
 * ({@link StreamBody}), interrupted (its finalizers run) before the attempt ends.
 */
const uploader = (dispatcher: Undici.Dispatcher): FastUpload => (body, attempts) => {
  const length = body.contentLength ?? 0
  const headers = { "content-type": body.contentType, "content-length": String(length) }
  const run = (source: Source) =>
    attempts((target, context, call) => {
      if (target === undefined) return Effect.fail(context.transport(call, new Error("invalid URL")))
      const request = new UploadTarget(target, headers)
      const pulled = "fd" in source ? new FileBody(source.fd, length) : new StreamBody()
      const send: Send = (sent, cap, callbacks) => new Upload(callbacks, pulled).send(dispatcher, sent, cap)
      if (pulled instanceof FileBody) {
        // The read in flight completes before the caller closes the file.
        return Effect.ensuring(fastAttempt(send, request, context, call), Effect.promise(() => pulled.settled))
      }
      return Effect.acquireUseRelease(
        // Forked from the uninterruptible acquire: interruptible again, so that the release stops it.
        Effect.forkDaemon(Effect.interruptible(pulled.produce(body.stream))),
        () => fastAttempt(send, request, context, call),
        (producer) => Fiber.interrupt(producer)
      )
    })
  const file = fileSourceOf(body.stream)
  if (file === undefined || file.length !== length) return run(body)
  // A file that cannot be opened here is sent as the stream (which reports the failure).
  return Effect.scoped(
    Effect.flatMap(
      Effect.option(file.fs.open(file.path, { flag: "r" })),
      (opened) => run(Option.isSome(opened) && isFileOnDisk(opened.value.fd, file.path) ? opened.value : body)
    )
  )
}

/** The request of an upload attempt: the target as sent, with the body's content type and length. */
class UploadTarget implements FastRequest {
  readonly origin: string
  readonly path: string
  readonly method: string
  readonly headers: Readonly<Record<string, string>>
  readonly body = undefined

  constructor(target: FastRequest, headers: Readonly<Record<string, string>>) {
    this.origin = target.origin
    this.path = target.path
    this.method = target.method
    this.headers = { ...target.headers, ...headers }
  }
}

/**
 * Whether `fd` is the descriptor of the file at `path` on disk (same device and inode): true for a
 * file the platform's Node `FileSystem` opened. Another `FileSystem` (in memory, remote) has
 * descriptors of its own, which `fs.write` must never be given: such downloads are written through
 * that `FileSystem` instead.
 */
const isFileOnDisk = (fd: number, path: string): boolean => {
  try {
    const opened = NodeFs.fstatSync(fd, { bigint: true })
    const named = NodeFs.statSync(path, { bigint: true })
    return opened.isFile() && opened.dev === named.dev && opened.ino === named.ino
  } catch {
    return false
  }
}

/** The fast path over `dispatcher`, downloads to disk over `fileDownloads`. */
const fastTransport = (dispatcher: Undici.Dispatcher, fileDownloads: Undici.Dispatcher): FastTransport => {
  const send = sender(dispatcher)
  const open = opener(dispatcher)
  // On a `FileDownloadAgent` the body is read into reused buffers, so the file sink copies each one.
  const reuse = fileDownloads instanceof FileDownloadAgent
  const openFile = opener(fileDownloads, reuse)
  return {
    attempt: (request, context, call) => fastAttempt(send, request, context, call),
    stream: (request, context, sink) => fastStream(open, request, context, sink),
    toFile: (file, path, bodyTimeout) =>
      isFileOnDisk(file.fd, path) ? fileDownload(openFile, writevOf(file.fd), bodyTimeout, WRITE_SIZE, reuse) : undefined,
    upload: uploader(dispatcher),
    decoderOf,
    target: fastTargets
  }
}

/** Options of {@link make}. */
export interface MakeOptions {
  /**
   * The dispatcher of downloads to disk (`presigned.toFile`, the `Runs` downloads); default: the
   * main dispatcher. A {@link FileDownloadAgent} reads their bodies into reused buffers (no
   * garbage per socket read); any other dispatcher reads them the usual way.
   */
  readonly fileDownloads?: Undici.Dispatcher | undefined
}

/**
 * An `HttpClient` over `dispatcher` with the fast path. File uploads reuse their two read blocks
 * once undici asks for the next chunk, which is safe while the dispatcher's sockets keep a write
 * high-water mark of at most 1 MiB (Node's default: 16 KiB on Node 20, 64 KiB from Node 22; see
 * `./uploadBody.ts`): do not raise it through the dispatcher's `connect` options. Downloads to
 * disk go through `options.fileDownloads` (default: `dispatcher`). Closing the dispatchers is the
 * caller's.
 *
 * @example
 * ```ts
 * import * as Undici from "@effect/platform-node/Undici"
 *
 * const client = make(new Undici.Agent({ connections: 64 }), { fileDownloads: new FileDownloadAgent() })
 * ```
 */
export const make = (dispatcher: Undici.Dispatcher, options?: MakeOptions): HttpClient.HttpClient =>
  withFastTransport(NodeHttpClient.makeUndici(dispatcher), fastTransport(dispatcher, options?.fileDownloads ?? dispatcher))

/** A {@link FileDownloadAgent} closed with the scope. */
const makeFileDownloadAgent = Effect.acquireRelease(
  Effect.sync(() => new FileDownloadAgent()),
  (agent) => Effect.promise(() => agent.destroy())
)

/**
 * The `HttpClient` layer for Node: its own undici `Agent` (closed with the layer), with the fast
 * path, and a {@link FileDownloadAgent} of its own for downloads to disk (their bodies are read
 * into reused buffers). Provide it where `NodeHttpClient.layerUndici` would go.
 *
 * @example
 * ```ts
 * import { NextmvClient } from "nextmv-effect"
 *
 * const Live = NextmvClient.layer({ apiKey: Redacted.make(key) }).pipe(Layer.provide(layer))
 * ```
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = Layer.scoped(
  HttpClient.HttpClient,
  Effect.zipWith(NodeHttpClient.makeDispatcher, makeFileDownloadAgent, (dispatcher, fileDownloads) => make(dispatcher, { fileDownloads }))
)
