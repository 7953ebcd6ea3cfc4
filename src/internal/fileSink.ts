/**
 * A download written to a file straight from the transport's callbacks (see `FastFile` in
 * `internal/transport.ts`): the body's buffers are gathered as they come (never copied) and written
 * in batches of about `WRITE_SIZE` bytes with one vectored write (`writev`) each; one batch is
 * written while the next one gathers, and when the next one is full too the transport is paused
 * (the dispatch controller's `pause`) until the write in flight completed. No effect or fiber per
 * buffer, nor per batch: the transport gives the plain callback that writes a batch
 * (`NodeTransport`: `fs.writev` on the descriptor of the file opened with the `FileSystem`
 * service) — an effect per write allocated about 20 KiB, which V8 may allocate straight into the
 * old generation once it has seen such objects survive, and then every few MiB of a download paid
 * a full garbage collection.
 *
 * Why no copy: copying each buffer into two reused blocks (the previous design) let each socket
 * buffer die at once, and in the garbage-collection regime where a full collection follows every
 * scavenge (see the README's Benchmarks) the C allocator gave their pages back to the system and
 * the next socket reads faulted them in again: about 186,000 page faults per GiB against raw
 * undici's 10,000 (with glibc's trimming turned off, 100 for both), up to 1.4× its CPU time.
 * Gathered until written, the buffers are released as Node's own streams release them (13,000–
 * 19,000 faults per GiB in the same regime), and the copy's CPU time is gone too. The transport's
 * buffers are its own per read (undici hands out views of the socket's fresh read buffers), so
 * holding them until written is safe.
 *
 * Copy mode (`copy`), for a transport whose read buffers are reused once its callback returned
 * (`NodeTransport`'s `FileDownloadAgent`): each buffer is copied at once into one of two reused
 * blocks of `writeSize` bytes, the one being filled while the other one is written; what comes
 * while both are busy (the transport was paused but still delivers) is copied into a buffer of
 * its own. There are then no socket buffers to die, so the page faults above do not come back.
 * Imported by the Node transport only, so browser bundles do not carry it.
 */
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Exit } from "effect"
import { WRITE_SIZE } from "./fileStreams.js"
import { fastStream, type Open } from "./fastStream.js"
import type { BodyExchange, BodySink, FileDownload, WritevAt } from "./transport.js"
import type { Expiry } from "./watchdog.js"

/** The body side of one download to a file: a {@link BodySink} that writes. */
class FileSink<E> implements BodySink<E> {
  private exchange: BodyExchange | undefined = undefined
  /** The buffers gathered for the next write, and their size. */
  private batch: Array<Uint8Array> = []
  private batchBytes = 0
  /** A write in flight. */
  private writing = false
  /** The transport was told to pause (the batch is full while a write is in flight). */
  private paused = false
  /** The body ended (what is gathered still to write). */
  private ended = false
  private exit: Exit.Exit<void, E | PlatformError> | undefined = undefined
  private onDone: ((exit: Exit.Exit<void, E | PlatformError>) => void) | undefined = undefined
  private onSettled: (() => void) | undefined = undefined
  /** Where the next batch goes in the file. */
  private position = 0
  /** Copy mode: the two blocks (made at the first buffer), the one being filled and its fill. */
  private blocks: [Buffer, Buffer] | undefined = undefined
  private filling = 0
  private filled = 0

  constructor(
    private readonly writevAt: WritevAt,
    private readonly bodyTimeout: (expiry: Expiry) => E,
    private readonly writeSize: number,
    private readonly copy: boolean
  ) {}

  start(exchange: BodyExchange): void {
    this.exchange = exchange
  }

  /** Counts the body's idle time (from the headers on, and again after each pause). */
  arm(): void {
    if (this.exit === undefined && !this.ended && !this.paused) this.exchange?.watchdog.arm(this.expire)
  }

  private readonly expire = (expiry: Expiry): void => {
    this.exchange?.abort()
    this.finish(Exit.fail(this.bodyTimeout(expiry)))
  }

  data(chunk: Uint8Array): boolean {
    if (this.exit !== undefined) return true
    // Also while paused: a transport that still delivers gets its buffers gathered.
    if (this.copy) this.copyIn(chunk)
    else this.batch.push(chunk)
    this.batchBytes += chunk.length
    if (this.batchBytes < this.writeSize) return true
    if (!this.writing) {
      this.write()
      return true
    }
    // The batch is full and a write is in flight: wait for it; the writer's pace is never a timeout.
    if (!this.paused) {
      this.paused = true
      this.exchange?.watchdog.pause()
    }
    return false
  }

  end(failure: E | undefined): void {
    this.exchange?.watchdog.stop()
    if (failure !== undefined) return this.finish(Exit.fail(failure))
    this.ended = true
    if (!this.writing) this.flush()
  }

  /** Once the body ended and no write is in flight: writes what is left, or is done. */
  private flush(): void {
    if (this.exit !== undefined) return
    if (this.batchBytes > 0) return this.write()
    this.finish(Exit.void)
  }

  /**
   * Copy mode: copies `chunk` into the block being filled, and what does not fit into a buffer of
   * its own (the block is full while the other one is written).
   */
  private copyIn(chunk: Uint8Array): void {
    // An empty chunk must not add the block to the batch: a block added while nothing is in it yet
    // would be added again with the next chunk, and written whole.
    if (chunk.length === 0) return
    const blocks = this.blocks ??= [Buffer.allocUnsafeSlow(this.writeSize), Buffer.allocUnsafeSlow(this.writeSize)]
    const block = this.filling === 0 ? blocks[0] : blocks[1]
    const fits = Math.min(chunk.length, block.length - this.filled)
    block.set(fits === chunk.length ? chunk : chunk.subarray(0, fits), this.filled)
    if (this.filled === 0) this.batch.push(block)
    this.filled += fits
    if (fits < chunk.length) this.batch.push(Buffer.copyBytesFrom(chunk, fits))
  }

  /** Writes the gathered batch at its place in the file. */
  private write(): void {
    if (this.blocks !== undefined && this.filled > 0) {
      // Copy mode: the block being filled is written as far as filled; the other one is next.
      this.batch[0] = this.batch[0]!.subarray(0, this.filled)
      this.filling ^= 1
      this.filled = 0
    }
    const buffers = this.batch
    const bytes = this.batchBytes
    this.batch = []
    this.batchBytes = 0
    this.writing = true
    const position = this.position
    this.position += bytes
    this.writevAt(buffers, position, this.written)
  }

  private readonly written = (error: PlatformError | undefined): void => {
    this.writing = false
    if (error !== undefined) {
      this.exchange?.abort()
      this.exchange?.watchdog.stop()
      this.finish(Exit.fail(error))
    }
    this.onSettled?.()
    if (this.exit !== undefined) return
    if (this.ended) return this.flush()
    if (this.batchBytes >= this.writeSize) this.write()
    // The gathering batch is empty again: the transport reads on.
    if (this.paused) {
      this.paused = false
      this.arm()
      this.exchange?.resume()
    }
  }

  private finish(exit: Exit.Exit<void, E | PlatformError>): void {
    if (this.exit !== undefined) return
    this.exit = exit
    this.batch = []
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
 * One download into a file over `open`, each batch of about `writeSize` bytes written with
 * `writevAt` (see the module comment and `FastFile` in `internal/transport.ts`); `copy`: each
 * buffer is copied at once (the transport reuses its buffers after the callback).
 */
export const fileDownload = <E>(
  open: Open,
  writevAt: WritevAt,
  bodyTimeout: (expiry: Expiry) => E,
  writeSize: number = WRITE_SIZE,
  copy = false
): FileDownload<E> => {
  const sink = new FileSink<E>(writevAt, bodyTimeout, writeSize, copy)
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
