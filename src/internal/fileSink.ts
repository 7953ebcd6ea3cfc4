/**
 * A download written to a file straight from the transport's callbacks (see `FastFile` in
 * `internal/transport.ts`): each body buffer is copied at once into one of two reused blocks of
 * `WRITE_SIZE` bytes (so the transport's buffers die young), a full block is written while the
 * other one fills, and when both are taken the transport is paused (the dispatch controller's
 * `pause`) until the write in flight completed. No effect or fiber per buffer, nor per block: the
 * transport gives the plain callback that writes a block (`NodeTransport`: `fs.write` on the
 * descriptor of the file opened with the `FileSystem` service) — an effect per write allocated
 * about 20 KiB, which V8 may allocate straight into the old generation once it has seen such
 * objects survive, and then every few MiB of a download paid a full garbage collection. Imported by
 * the Node transport only, so browser bundles do not carry it.
 */
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Exit } from "effect"
import { WRITE_SIZE } from "./fileStreams.js"
import { fastStream, type Open } from "./fastStream.js"
import type { BodyExchange, BodySink, FileDownload, WriteAt } from "./transport.js"
import type { Expiry } from "./watchdog.js"

/** The body side of one download to a file: a {@link BodySink} that writes. */
class FileSink<E> implements BodySink<E> {
  private exchange: BodyExchange | undefined = undefined
  private readonly blocks: [Uint8Array, Uint8Array]
  private current = 0
  private filled = 0
  /** A write in flight. */
  private writing = false
  /** A full block waiting for the write in flight, and the buffers (or their rest) still to copy. */
  private full: Uint8Array | undefined = undefined
  private held: Array<Uint8Array> = []
  /** The body ended (the last block still to write). */
  private ended = false
  private exit: Exit.Exit<void, E | PlatformError> | undefined = undefined
  private onDone: ((exit: Exit.Exit<void, E | PlatformError>) => void) | undefined = undefined
  private onSettled: (() => void) | undefined = undefined

  /** Where the next block goes in the file. */
  private position = 0

  constructor(
    private readonly writeAt: WriteAt,
    private readonly bodyTimeout: (expiry: Expiry) => E,
    writeSize: number
  ) {
    this.blocks = [new Uint8Array(writeSize), new Uint8Array(writeSize)]
  }

  start(exchange: BodyExchange): void {
    this.exchange = exchange
  }

  /** Counts the body's idle time (from the headers on, and again after each pause). */
  arm(): void {
    if (this.exit === undefined && !this.ended && this.full === undefined) this.exchange?.watchdog.arm(this.expire)
  }

  private readonly expire = (expiry: Expiry): void => {
    this.exchange?.abort()
    this.finish(Exit.fail(this.bodyTimeout(expiry)))
  }

  data(chunk: Uint8Array): boolean {
    if (this.exit !== undefined) return true
    // Paused: a transport that still delivers gets its buffers held (not copied over a block in flight).
    if (this.full !== undefined) {
      this.held.push(chunk)
      return false
    }
    return this.copy(chunk)
  }

  /** Copies `chunk` into the blocks; `false` when both blocks are taken (the rest is kept). */
  private copy(chunk: Uint8Array): boolean {
    const size = this.blocks[0].length
    let at = 0
    while (at < chunk.length) {
      const block = this.blocks[this.current]!
      const n = Math.min(size - this.filled, chunk.length - at)
      block.set(n === chunk.length ? chunk : chunk.subarray(at, at + n), this.filled)
      this.filled += n
      at += n
      if (this.filled < size) continue
      this.filled = 0
      this.current = 1 - this.current
      if (!this.writing) {
        this.write(block)
        continue
      }
      // Both blocks are taken: wait for the write in flight; the writer's pace is never a timeout.
      this.full = block
      if (at < chunk.length) this.held.unshift(chunk.subarray(at))
      this.exchange?.watchdog.pause()
      return false
    }
    return true
  }

  end(failure: E | undefined): void {
    this.exchange?.watchdog.stop()
    if (failure !== undefined) return this.finish(Exit.fail(failure))
    this.ended = true
    this.flush()
  }

  /** Writes what is left once the body ended and no write is in flight. */
  private flush(): void {
    if (this.writing || this.full !== undefined || this.exit !== undefined) return
    if (this.filled > 0) {
      const last = this.blocks[this.current]!.subarray(0, this.filled)
      this.filled = 0
      return this.write(last)
    }
    this.finish(Exit.void)
  }

  private write(bytes: Uint8Array): void {
    this.writing = true
    const position = this.position
    this.position += bytes.length
    this.writeAt(bytes, position, (error) => {
      this.writing = false
      if (error !== undefined) {
        this.exchange?.abort()
        this.exchange?.watchdog.stop()
        this.finish(Exit.fail(error))
      }
      this.onSettled?.()
      if (this.exit !== undefined) return
      const full = this.full
      if (full !== undefined) {
        this.full = undefined
        this.write(full)
        // The transport reads again once the held buffers fitted (they may fill the other block).
        const held = this.held
        this.held = []
        for (let i = 0; i < held.length; i++) {
          if (!this.copy(held[i]!)) {
            for (let j = i + 1; j < held.length; j++) this.held.push(held[j]!)
            return
          }
        }
        if (!this.ended) {
          this.arm()
          this.exchange?.resume()
        }
      }
      if (this.ended) this.flush()
    })
  }

  private finish(exit: Exit.Exit<void, E | PlatformError>): void {
    if (this.exit !== undefined) return
    this.exit = exit
    this.onDone?.(exit)
  }

  /** Waits for the whole body on disk (or the first failure). Interrupting aborts the exchange. */
  readonly done: Effect.Effect<void, E | PlatformError> = Effect.async((resume) => {
    if (this.exit !== undefined) return resume(this.exit)
    this.onDone = resume
    return Effect.sync(() => {
      this.onDone = undefined
      this.exchange?.watchdog.stop()
      this.exchange?.abort()
    })
  })

  /** Waits until no write is in flight (before the file is closed). */
  readonly settled: Effect.Effect<void> = Effect.async((resume) => {
    if (!this.writing) return resume(Effect.void)
    this.onSettled = () => {
      if (!this.writing) resume(Effect.void)
    }
  })

  /** Stops everything (the exchange, the timer); what is in flight is awaited by {@link settled}. */
  close(): void {
    this.exchange?.watchdog.stop()
    this.exchange?.abort()
    this.finish(Exit.void)
  }
}

/**
 * One download into `file` over `open` (see the module comment and `FastFile` in
 * `internal/transport.ts`).
 */
export const fileDownload = <E>(
  open: Open,
  writeAt: WriteAt,
  bodyTimeout: (expiry: Expiry) => E,
  writeSize: number = WRITE_SIZE
): FileDownload<E> => {
  const sink = new FileSink<E>(writeAt, bodyTimeout, writeSize)
  return {
    attempt: (request, context) => fastStream(open, request, context, sink),
    body: Effect.suspend(() => {
      sink.arm()
      return sink.done
    }),
    release: Effect.suspend(() => {
      sink.close()
      return sink.settled
    })
  }
}
