/**
 * Upload bodies that undici pulls (`NodeTransport`'s upload path): async iterators handed to undici
 * as the request body, so that no Node `Readable`, no platform stream adapter and no effect per
 * chunk stand between the source and the socket.
 *
 * undici writes an async-iterable body with its `writeIterable` (`lib/dispatcher/client-h1.js`):
 * `for await (const chunk of body) { if (!writer.write(chunk)) await waitForDrain() }`, where
 * `writer.write` is the socket's `write`. It asks for the next chunk only once the socket took the
 * previous one, and, when that `write` returned `false`, only after the socket's `'drain'`. Node's
 * `Writable.write` returns `false` whenever the bytes it holds (this chunk included) reach its
 * `highWaterMark` (computed before the chunk is handed to the handle), and `'drain'` comes once
 * every write's callback ran, i.e. once the operating system has every byte and the socket no
 * longer references the buffers. So a chunk at least as large as the socket's `highWaterMark`
 * (16 KiB on Node 20, 64 KiB from Node 22; `NodeTransport`'s `Agent` keeps Node's default) is
 * released when undici asks for the next one: {@link FileBody} reads the file into two reused
 * blocks of {@link FILE_BLOCK} bytes on that ground (every chunk but the last is a whole block; a
 * socket high-water mark above that size would break it, see `NodeTransport.make`). A subscriber of
 * undici's `undici:request:bodyChunkSent` diagnostics channel that keeps the chunks it is shown sees
 * a file's blocks filled again later.
 */
import { Cause, Chunk, Effect, Exit, Stream } from "effect"
import * as NodeFs from "node:fs"
import type { FastCallbacks } from "../internal/fastAttempt.js"

/** Why a pull is refused once the exchange is over (undici then stops; never reported). */
export const stopped = new Error("upload body stopped by nextmv-effect")

const done: IteratorResult<Uint8Array> = { done: true, value: undefined }
const noItems: ReadonlyArray<Uint8Array> = []

/** A body undici pulls with `for await` (see the module comment), one pass per attempt. */
export abstract class PulledBody implements AsyncIterableIterator<Uint8Array> {
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this
  }

  /** The attempt's callbacks (progress), once sent. */
  callbacks: FastCallbacks | undefined = undefined
  protected stopped = false

  abstract next(): Promise<IteratorResult<Uint8Array>>

  /** undici left its loop (a failed write, a closed socket). */
  return(): Promise<IteratorResult<Uint8Array>> {
    this.stop()
    return Promise.resolve(done)
  }

  /** The exchange is over: no further chunk; a pull in wait is refused. */
  abstract stop(): void

  protected progress(): void {
    this.callbacks?.onProgress()
  }
}

/**
 * An Effect `Stream` as a pulled body. The stream runs in a fiber of its own ({@link produce}) that
 * hands over one Effect chunk at a time and, once undici took its last element, produces the next
 * one while undici writes (one chunk of read-ahead). The stream's failure fails the pull in wait
 * (with `Cause.squash`, as the platform's stream adapter), which makes undici fail the request.
 */
export class StreamBody extends PulledBody {
  private items: ReadonlyArray<Uint8Array> = noItems
  private index = 0
  private resolve: ((result: IteratorResult<Uint8Array>) => void) | undefined = undefined
  private reject: ((error: unknown) => void) | undefined = undefined
  /** Resumes the producer waiting for room. */
  private room: (() => void) | undefined = undefined
  private end: Exit.Exit<void, unknown> | undefined = undefined

  /** Runs `stream` into this body (fork it; interrupt it once the attempt is over). */
  produce<E>(stream: Stream.Stream<Uint8Array, E>): Effect.Effect<void> {
    return Effect.map(Effect.exit(Stream.runForEachChunk(stream, this.offer)), (exit) => this.finish(exit))
  }

  private readonly offer = (chunk: Chunk.Chunk<Uint8Array>): Effect.Effect<void> => {
    if (this.stopped || chunk.length === 0) return Effect.void
    this.progress()
    this.items = Chunk.toReadonlyArray(chunk)
    this.index = 0
    if (this.resolve !== undefined) this.settle(this.take())
    if (this.index >= this.items.length) return Effect.void
    return Effect.async<void>((resume) => {
      this.room = () => resume(Effect.void)
    })
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    // undici took the previous chunk.
    this.progress()
    if (this.stopped) return Promise.reject(stopped)
    if (this.index < this.items.length) return Promise.resolve(this.take())
    if (this.end !== undefined) return this.ended()
    return new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
  }

  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.items = noItems
    const reject = this.reject
    this.resolve = undefined
    this.reject = undefined
    reject?.(stopped)
  }

  /** The next element; the producer goes on once the chunk is all taken. */
  private take(): IteratorResult<Uint8Array> {
    const value = this.items[this.index++]!
    if (this.index >= this.items.length) {
      this.items = noItems
      this.index = 0
      const room = this.room
      this.room = undefined
      room?.()
    }
    return { done: false, value }
  }

  private settle(result: IteratorResult<Uint8Array>): void {
    const resolve = this.resolve
    this.resolve = undefined
    this.reject = undefined
    resolve?.(result)
  }

  private finish(exit: Exit.Exit<void, unknown>): void {
    this.end = exit
    if (this.resolve === undefined) return
    const resolve = this.resolve
    const reject = this.reject!
    this.resolve = undefined
    this.reject = undefined
    this.ended().then(resolve, reject)
  }

  private ended(): Promise<IteratorResult<Uint8Array>> {
    const end = this.end!
    return Exit.isSuccess(end) ? Promise.resolve(done) : Promise.reject(Cause.squash(end.cause))
  }
}

/** Size of the file reads of {@link FileBody} (see the module comment for why they can be reused). */
export const FILE_BLOCK = 1024 * 1024

/** A read: the chunk, the end of the file (`undefined`), or the failure. */
type ReadResult = Buffer | Error | undefined

/**
 * The first `length` bytes of an open file as a pulled body: positional reads (each attempt starts
 * at 0) into two blocks of {@link FILE_BLOCK} bytes used in turn. When undici asks for chunk k+1,
 * chunk k has left the process (module comment), so the read of chunk k+2 goes into chunk k's block
 * while undici writes chunk k+1: reading and sending overlap, and the whole upload allocates two
 * blocks (fresh buffers per read were only freed by the garbage collector, which let tens of MiB of
 * them pile up). A file shorter than `length` ends early (undici then fails the request: the body
 * does not match its `content-length`).
 */
export class FileBody extends PulledBody {
  private readonly blocks: ReadonlyArray<Buffer>
  private turn = 0
  /** Where the next read starts. */
  private offset = 0
  private reading: Promise<ReadResult> | undefined = undefined
  /** The latest read (maybe still in flight). */
  private last: Promise<ReadResult> = Promise.resolve(undefined)

  constructor(private readonly fd: number, private readonly length: number, block: number = FILE_BLOCK) {
    super()
    const size = Math.max(1, Math.min(block, length))
    this.blocks = length > size ? [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)] : [Buffer.allocUnsafe(size)]
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    // undici took the previous chunk (and, for a whole block, the socket let go of it).
    this.progress()
    if (this.stopped) return Promise.reject(stopped)
    const read = this.reading ?? this.readBlock()
    this.reading = undefined
    return read.then((result) => {
      if (this.stopped) throw stopped
      if (result === undefined) return done
      if (result instanceof Error) throw result
      this.progress()
      // The next read fills the block undici wrote before this one.
      if (this.offset < this.length) this.reading = this.readBlock()
      return { done: false, value: result }
    })
  }

  stop(): void {
    this.stopped = true
  }

  /** Settles once no read is in flight (before the file is closed). */
  get settled(): Promise<void> {
    return this.last.then(() => undefined)
  }

  /**
   * Reads the next chunk into the next block, whole (a read may return less than asked). Never
   * rejects. (Not named `read`: undici calls a body's `read(0)`, taking it for a `Readable`.)
   */
  private readBlock(): Promise<ReadResult> {
    const block = this.blocks[this.turn]!
    this.turn = (this.turn + 1) % this.blocks.length
    const size = Math.min(block.length, this.length - this.offset)
    const position = this.offset
    this.offset += size
    if (size <= 0) return Promise.resolve(undefined)
    return this.last = new Promise((resolve) => {
      const fill = (filled: number): void =>
        NodeFs.read(this.fd, block, filled, size - filled, position + filled, (error, read) => {
          if (error !== null) return resolve(error)
          filled += read
          if (read > 0 && filled < size) return fill(filled)
          // The end of the file (shorter than announced): no further read.
          if (filled < size) this.offset = this.length
          resolve(filled === 0 ? undefined : filled === block.length ? block : block.subarray(0, filled))
        })
      fill(0)
    })
  }
}
