/**
 * Writing a byte stream to a file in large writes. A download arrives in the transport's buffers
 * (often 16–64 KiB); writing each one (`FileSystem.sink`) costs one file-system call and a handful
 * of Effect operations per buffer, more than the transfer itself. Here consecutive buffers are
 * gathered into writes of about {@link WRITE_SIZE} (copied once into one block; a buffer that is
 * already that large is written as is), and the last partial block is written at the end.
 */
import type { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Chunk, Effect, Stream } from "effect"

/** Size of one write (1 MiB): the per-write cost vanishes, the memory held stays small. */
export const WRITE_SIZE = 1024 * 1024

const concat = (buffers: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  if (buffers.length === 1) return buffers[0]!
  const out = new Uint8Array(size)
  let at = 0
  for (const buffer of buffers) {
    out.set(buffer, at)
    at += buffer.length
  }
  return out
}

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
  Effect.scoped(Effect.flatMap(fs.open(path, { flag: "w" }), (file) => {
    let pending: Array<Uint8Array> = []
    let size = 0
    const flush = (): Effect.Effect<void, PlatformError> => {
      const block = concat(pending, size)
      pending = []
      size = 0
      return file.writeAll(block)
    }
    return Stream.runForEachChunk(stream, (chunk) => {
      for (const buffer of Chunk.toReadonlyArray(chunk)) {
        if (buffer.length === 0) continue
        pending.push(buffer)
        size += buffer.length
      }
      return size >= writeSize ? flush() : Effect.void
    }).pipe(Effect.zipRight(Effect.suspend(() => size > 0 ? flush() : Effect.void)))
  }))
