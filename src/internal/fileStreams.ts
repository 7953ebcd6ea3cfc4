/**
 * Files as byte streams, for transfers: read in large reads, written in large writes.
 *
 * - {@link readFileStream}: a file's bytes in reads of {@link READ_SIZE}, one read when the
 *   consumer pulls (the transport already buffers what it sends); no read-ahead queue (the
 *   platform's `FileSystem.stream` keeps 16): buffers held longer outlive the young generation,
 *   and freeing them then takes full garbage collections.
 * - {@link writeStreamToFile}: a download arrives in the transport's buffers (often 16–64 KiB);
 *   writing each one (`FileSystem.sink`) costs one file-system call and a handful of Effect
 *   operations per buffer, more than the transfer itself. Here consecutive buffers are copied into
 *   blocks of {@link WRITE_SIZE} bytes, each written when full while the next one fills (two
 *   blocks, reused; a buffer at least that large is written as it is).
 */
import type { FileSystem, HttpClientRequest } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Chunk, Effect, type Exit, Fiber, Option, Stream } from "effect"
import type { NextmvHttpError } from "../Errors.js"
import type { Requester } from "./requester.js"
import { withFileSource } from "./transport.js"

/** Size of one read (1 MiB): few reads per GiB, and a few MiB in flight at most. */
export const READ_SIZE = 1024 * 1024

/**
 * The first `length` bytes of the file at `path` (its size when it is known, as the
 * `Content-Length` of an upload), in reads of {@link READ_SIZE}. Ends early if the file is shorter.
 * Each read is a fresh buffer (the transport may still hold the previous one). The stream records
 * the file it reads (`withFileSource`): sent as an upload on a transport with an upload path that
 * can read the file (`NodeTransport` with Node's `FileSystem`), the transport reads the file itself
 * into two reused blocks instead of running this stream.
 */
export const readFileStream = (
  fs: FileSystem.FileSystem,
  path: string,
  length: number,
  readSize: number = READ_SIZE
): Stream.Stream<Uint8Array, PlatformError> =>
  // A transport with an upload path that can read the file (`NodeTransport`) reads it itself.
  withFileSource(
    Stream.unwrapScoped(Effect.map(fs.open(path, { flag: "r" }), (file) => {
      let left = length
      const read: Effect.Effect<Uint8Array, Option.Option<PlatformError>> = Effect.suspend(() =>
        left <= 0
          ? Effect.fail(Option.none())
          : Effect.matchEffect(file.readAlloc(Math.min(readSize, left)), {
            onFailure: (error) => Effect.fail(Option.some(error)),
            onSuccess: (buffer) => {
              if (Option.isNone(buffer)) return Effect.fail(Option.none())
              left -= buffer.value.length
              return Effect.succeed(buffer.value)
            }
          })
      )
      return Stream.repeatEffectOption(read)
    })),
    { fs, path, length }
  )

/**
 * Size of one write (256 KiB): few writes per GiB, and small enough that a block just filled is
 * still in the CPU's cache when the kernel copies it (1 MiB blocks measured about twice the system
 * time and wall time of raw Node streams on a 2-core machine with 1 MiB of L2 per core).
 */
export const WRITE_SIZE = 256 * 1024

/**
 * Writes every byte of `stream` to `path` (created or truncated), in writes of about
 * {@link WRITE_SIZE}. Fails with the stream's error or the file system's `PlatformError`; the file
 * then holds a prefix of the stream (the caller removes it). Interrupting stops the stream and
 * closes the file.
 */
export const writeStreamToFile = <E, R>(
  fs: FileSystem.FileSystem,
  path: string,
  stream: Stream.Stream<Uint8Array, E, R>,
  writeSize: number = WRITE_SIZE
): Effect.Effect<void, E | PlatformError, R> =>
  Effect.scoped(Effect.gen(function*() {
    const file = yield* fs.open(path, { flag: "w" })
    // Two blocks: one is written in the background while the next one fills, so the disk and the
    // network work at the same time. At most one write is in flight; a block is filled again only
    // once its write completed (the bytes are with the operating system).
    const blocks: Array<Uint8Array> = []
    let current = 0
    let filled = 0
    let writing: Fiber.RuntimeFiber<Exit.Exit<void, PlatformError>> | undefined
    // Finalizers run in reverse order: the write in flight completes before the file is closed.
    yield* Effect.addFinalizer(() => writing === undefined ? Effect.void : Effect.asVoid(Fiber.await(writing)))
    /** Waits for the write in flight (failing with its error). */
    const settle = Effect.suspend((): Effect.Effect<void, PlatformError> => {
      const fiber = writing
      writing = undefined
      return fiber === undefined ? Effect.void : Effect.flatten(Fiber.join(fiber))
    })
    /** Starts writing `bytes` once the write in flight completed. */
    const write = (bytes: Uint8Array) =>
      Effect.flatMap(settle, () =>
        Effect.map(Effect.forkDaemon(Effect.exit(file.writeAll(bytes))), (fiber) => {
          writing = fiber
        }))
    /** Copies `buffers[i]` from `at` on (and the buffers after it) into the blocks, writing full ones. */
    const feed = (buffers: ReadonlyArray<Uint8Array>, i: number, at: number): Effect.Effect<void, PlatformError> => {
      for (; i < buffers.length; i++, at = 0) {
        const buffer = buffers[i]!
        // A buffer that fills a whole block by itself is written as it is, without a copy.
        if (filled === 0 && at === 0 && buffer.length >= writeSize) {
          const next = i + 1
          return Effect.flatMap(write(buffer), () => feed(buffers, next, 0))
        }
        const block = blocks[current] ??= new Uint8Array(writeSize)
        const n = Math.min(writeSize - filled, buffer.length - at)
        block.set(n === buffer.length ? buffer : buffer.subarray(at, at + n), filled)
        filled += n
        if (filled === writeSize) {
          filled = 0
          current = 1 - current
          const [nextI, nextAt] = at + n < buffer.length ? [i, at + n] : [i + 1, 0]
          return Effect.flatMap(write(block), () => feed(buffers, nextI, nextAt))
        }
      }
      return Effect.void
    }
    yield* Stream.runForEachChunk(stream, (chunk) => feed(Chunk.toReadonlyArray(chunk), 0, 0))
    if (filled > 0) yield* write(blocks[current]!.subarray(0, filled))
    yield* settle
  }))

/**
 * Downloads `request` with `requester` into `path` (created or truncated): written from the
 * transport's callbacks when it has that path and can write the file (`Requester.toFile`,
 * `NodeTransport` with Node's `FileSystem`), else {@link writeStreamToFile} of `requester.stream`. On a failure the file holds a prefix of the
 * body (the caller removes it).
 */
export const downloadToPath = (
  requester: Requester,
  fs: FileSystem.FileSystem,
  path: string,
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<void, NextmvHttpError | PlatformError> =>
  requester.toFile === undefined
    ? writeStreamToFile(fs, path, requester.stream(request))
    : Effect.flatMap(requester.toFile(request, fs, path), (written) =>
      written ? Effect.void : writeStreamToFile(fs, path, requester.stream(request)))
