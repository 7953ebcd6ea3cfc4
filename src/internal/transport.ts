/**
 * The fast path between `NextmvClient` and a transport that can run one whole small exchange
 * without the `HttpClient` machinery: `nextmv-effect/node`'s `NodeTransport` provides one.
 *
 * Such a transport is still provided as a normal `HttpClient` (so everything else, including
 * streamed downloads and uploads, keeps working through the `HttpClient` interface); the client
 * object carries the fast path under {@link FastTransportTypeId}. `NextmvClient` takes it for
 * requests whose body is small (or empty) and whose response is read whole (`json`, `text`,
 * `bytes`, `discard`), handing it what the generic path uses too: the per-origin slot, the
 * idle, connect and deadline limits (enforced with the same `Watchdog`), and the builders of the
 * typed failures — one context per requester, the call's own state passed alongside. The attempt
 * itself (`internal/fastAttempt.ts`) is imported by the transport only, so bundles without one
 * (browsers) do not carry it. Nothing here imports a Node module.
 */
import type { FileSystem, HttpBody, HttpClient, HttpClientRequest } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import type { Effect, Either, ParseResult, Schema } from "effect"
import type { Slots } from "./slots.js"
import type { Expiry, Watchdog } from "./watchdog.js"

/** Where a fast transport is attached to its `HttpClient`. */
export const FastTransportTypeId: unique symbol = Symbol.for("nextmv-effect/FastTransport")

/** One request on the fast path (headers final, body small and in memory). */
export interface FastRequest {
  /** `scheme://host[:port]`. */
  readonly origin: string
  /** Path and query string. */
  readonly path: string
  readonly method: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array | string | undefined
}

/**
 * What the attempts of one requester need from the client, built once per requester (not per
 * call). `C` is the client's state of one call, handed back to every function here; `E` is the
 * attempt's failure.
 */
export interface FastAttemptContext<C, E> {
  /** The per-origin cap: the attempt holds one permit of `slot(call)` while the exchange runs. */
  readonly slot: (call: C) => Slots
  /** Longest wait between two signs of progress, in ms (`Infinity`: none). */
  readonly idleMillis: number
  /** Extra allowance for the first wait (connecting), in ms. */
  readonly connectMillis: number
  /** The call's absolute `performance.now()` deadline, if any. */
  readonly deadlineAt: (call: C) => number | undefined
  /** Bytes of a non-2xx response body read at most (the rest is not downloaded). */
  readonly errorBodyCap: number
  readonly timeout: (call: C, expiry: Expiry) => E
  /** The failure of a non-2xx response (headers by lower-case name, the capped body). */
  readonly status: (
    call: C,
    status: number,
    header: (name: string) => string | undefined,
    body: Uint8Array
  ) => Effect.Effect<never, E>
  /** A transport failure (no response was seen). */
  readonly transport: (call: C, cause: unknown) => E
}

/** What the client's state of one call tells a fast-path attempt. */
export interface FastCall<A, E> {
  /**
   * What the 2xx body becomes (the bytes, or the decoded JSON document), computed before the
   * calling fiber resumes: no further step of the fiber per call.
   */
  readonly read: (body: Uint8Array) => Effect.Effect<A, E>
  /**
   * Whether the caller may be interrupted while the attempt waits (else the attempt needs no
   * interruption handling at all).
   */
  readonly interruptible: boolean
}

/**
 * A transport's fast path: one attempt of `request` for `call`, what `call.read` makes of the 2xx
 * body. Called when the attempt is to run (the client builds each attempt's effect as it runs it):
 * the effect runs once.
 */
export interface FastTransport {
  readonly attempt: <C extends FastCall<A, E>, E, A>(
    request: FastRequest,
    context: FastAttemptContext<C, E>,
    call: C
  ) => Effect.Effect<A, E>
  /** Streamed downloads, when the transport has them (see {@link FastStream}). */
  readonly stream?: FastStream | undefined
  /** Downloads written to a file by the transport's callbacks, when it has them (see {@link FastFile}). */
  readonly toFile?: FastFile | undefined
  /** Uploads of a known length pulled by the transport, when it has them (see {@link FastUpload}). */
  readonly upload?: FastUpload | undefined
  /**
   * The response decoder the client uses with this transport, when the transport brings one
   * (`NodeTransport`: compiled once per schema, `internal/compiledDecoder.ts`; kept out of the main
   * entry, so browser bundles do not carry it); else Schema's own. Either must give exactly what
   * `ParseResult.decodeUnknownEither(schema, { onExcessProperty: "ignore" })` gives.
   */
  readonly decoderOf?: DecoderOf | undefined
  /**
   * The fast-path targets of the requests a client sends with `prefix` before each URL and
   * `headers` added to each request (they win over the request's own), made once per client
   * (`internal/fastBase.ts`'s `fastTargets`; kept out of the main entry): a request's target, or
   * `undefined` when it must take the generic path (its body is not small and in memory, its URL
   * does not parse). Without it, no request takes the fast path.
   */
  readonly target?:
    | ((
      prefix: string,
      headers: Readonly<Record<string, string>>
    ) => (request: HttpClientRequest.HttpClientRequest) => FastRequest | undefined)
    | undefined
}

/** A response decoder, built once per schema. */
export type DecoderOf = <A, I>(schema: Schema.Schema<A, I, never>) => (input: unknown) => Either.Either<A, ParseResult.ParseIssue>

/** An `HttpClient` that also offers a fast path. */
export const withFastTransport = <C extends HttpClient.HttpClient>(client: C, fast: FastTransport): C =>
  Object.defineProperty(client, FastTransportTypeId, { value: fast, enumerable: false })

const isFastTransport = (value: unknown): value is FastTransport =>
  typeof value === "object" && value !== null && typeof (value as { attempt?: unknown }).attempt === "function"

/** The fast path of `client`, if it has one. */
export const fastTransportOf = (client: HttpClient.HttpClient): FastTransport | undefined => {
  const value: unknown = Reflect.get(client, FastTransportTypeId)
  return isFastTransport(value) ? value : undefined
}

// ---------------------------------------------------------------------------------------------
// Streamed responses (large downloads)
// ---------------------------------------------------------------------------------------------

/** A streamed exchange whose 2xx headers arrived: its body flows into the {@link BodySink}. */
export interface BodyExchange {
  /** The attempt's watchdog, paused: the caller arms it for the body (or stops it). */
  readonly watchdog: Watchdog
  /** Lets a transport paused by a full sink read again. */
  readonly resume: () => void
  /** Aborts the exchange; no sink call follows. */
  readonly abort: () => void
}

/** Where a streamed response body goes, chunk by chunk (the transport's own buffers). */
export interface BodySink<E> {
  /** The 2xx headers arrived (before any `data`); called at most once per download. */
  readonly start: (exchange: BodyExchange) => void
  /** A chunk of the body; `false` when the sink is full: the transport waits for `resume`. */
  readonly data: (chunk: Uint8Array) => boolean
  /** The body ended (`undefined`) or failed. */
  readonly end: (failure: E | undefined) => void
}

/**
 * What one streamed attempt needs from the client (what a {@link FastAttemptContext} gives, for
 * this attempt; the slot is held by the caller for the whole download).
 */
export interface FastStreamContext<E> {
  /** The attempt's timer (made when the exchange starts). */
  readonly watchdog: () => Watchdog
  /** Bytes of a non-2xx response body read at most (the rest is not downloaded). */
  readonly errorBodyCap: number
  readonly timeout: (expiry: Expiry) => E
  /** The failure of a non-2xx response (headers by lower-case name, the capped body). */
  readonly status: (status: number, header: (name: string) => string | undefined, body: Uint8Array) => Effect.Effect<never, E>
  /** A transport failure. */
  readonly transport: (cause: unknown) => E
}

/**
 * A transport's streamed download (optional): one attempt that succeeds once 2xx headers arrived
 * (after `sink.start`); the body then goes to `sink` with no effect per chunk. A non-2xx response
 * or a failure before the headers fails the attempt (the sink sees nothing of it).
 */
export type FastStream = <E>(request: FastRequest, context: FastStreamContext<E>, sink: BodySink<E>) => Effect.Effect<void, E>

/** One download into a file on a transport's own path (see {@link FastFile}). */
export interface FileDownload<E> {
  /** One attempt (retried by the caller): succeeds once 2xx headers arrived, as {@link FastStream}. */
  readonly attempt: (request: FastRequest, context: FastStreamContext<E>) => Effect.Effect<void, E>
  /** After a successful attempt: counts the body's idle time and waits until the body is on disk. */
  readonly body: Effect.Effect<void, E | PlatformError>
  /** Stops the exchange and waits for the file write in flight (before the file is closed). */
  readonly release: Effect.Effect<void>
}

/**
 * A transport's download into an open file (optional): the body's buffers are gathered from the
 * transport's callbacks and written in batches (one vectored write each) while the next batch
 * gathers, the connection paused while the writes are behind; `bodyTimeout` is the failure of an idle or deadline expiry
 * while the body arrives. `undefined` when the transport cannot write `file` itself (`file`, opened
 * at `path` by the `FileSystem` service, is not that file on disk: another `FileSystem`); the
 * caller then writes the streamed body through the `FileSystem`.
 */
export type FastFile = <E>(file: FileSystem.File, path: string, bodyTimeout: (expiry: Expiry) => E) => FileDownload<E> | undefined

/**
 * Writes all of `buffers`, one after the other, at `position` of a file (a vectored write); `done`
 * once written (or with the failure).
 */
export type WritevAt = (
  buffers: ReadonlyArray<Uint8Array>,
  position: number,
  done: (error: PlatformError | undefined) => void
) => void

// ---------------------------------------------------------------------------------------------
// Uploads (request bodies of known length the transport pulls)
// ---------------------------------------------------------------------------------------------

/**
 * One upload attempt on a transport's upload path (see {@link FastUpload}): sends `target` (`undefined`
 * when the request's URL cannot take the fast path: a transport failure), as
 * {@link FastTransport.attempt} does (slot, watchdog, typed failures from `context`).
 */
export type UploadAttempt = <C extends FastCall<Uint8Array, E>, E>(
  target: FastRequest | undefined,
  context: FastAttemptContext<C, E>,
  call: C
) => Effect.Effect<Uint8Array, E>

/**
 * A transport's upload path (optional), for a request whose body is a stream of known length
 * (`HttpBody.stream` with a `contentLength`): the transport pulls the body itself, chunk by chunk as
 * the connection takes it (a stream made by `readFileStream` may be read from its file instead, see
 * {@link withFileSource}). `attempts` is the client's retry policy: it calls the given
 * {@link UploadAttempt} once per attempt (with the request as sent, without its body; the
 * transport adds `content-type` and `content-length`). Each chunk taken and each chunk the body
 * produces count as progress for the idle timeout; a body that fails or does not have its length
 * fails the attempt as a transport failure; interruption stops the body (a stream's finalizers run
 * before the attempt ends). Kept small on the client's side: the main entry is in browser bundles.
 */
export type FastUpload = <X>(
  body: HttpBody.Stream,
  attempts: (attempt: UploadAttempt) => Effect.Effect<Uint8Array, X>
) => Effect.Effect<Uint8Array, X>

/** A file a stream reads (see {@link fileSourceOf}). */
export interface FileSource {
  readonly fs: FileSystem.FileSystem
  readonly path: string
  /** The bytes the stream reads from the start of the file. */
  readonly length: number
}

const fileSources = new WeakMap<object, FileSource>()

/**
 * Records that `stream` reads the first `length` bytes of the file at `path` with `fs`
 * (`readFileStream`), so that a transport that can read the file itself ({@link FastUpload}) is
 * handed the file instead of the stream. Returns `stream`.
 */
export const withFileSource = <S extends object>(stream: S, source: FileSource): S => {
  fileSources.set(stream, source)
  return stream
}

/** The file `stream` reads, when it was made by `readFileStream`. */
export const fileSourceOf = (stream: object): FileSource | undefined => fileSources.get(stream)
