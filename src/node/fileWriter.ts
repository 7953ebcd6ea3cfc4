/**
 * The file writer of `NodeTransport`'s downloads to disk (`internal/fileSink.ts` gathers the
 * batches): `fs.writev` at a position of a descriptor, looping over short writes. Internal to the
 * Node entry point.
 */
import { SystemError } from "@effect/platform/Error"
import * as NodeFs from "node:fs"
import type { WritevAt } from "../internal/transport.js"

/** `fs.writev`'s shape (with a position), so that tests can give a writer that writes short. */
export type Writev = (
  fd: number,
  buffers: ReadonlyArray<Uint8Array>,
  position: number,
  callback: (error: NodeJS.ErrnoException | null, written: number) => void
) => void

/**
 * Writes batches of buffers with `writev` (default `fs.writev`) at a position of `fd`, the
 * descriptor of a file opened with the platform's Node `FileSystem` (whose `open` gives the
 * operating system's descriptor). A short write goes on with the bytes left; a failure is a
 * `SystemError` (`WriteZero` when nothing could be written).
 *
 * @example
 * ```ts
 * import { openSync } from "node:fs"
 *
 * const writeAt = writevOf(openSync("out.bin", "w"))
 * writeAt([new Uint8Array([1, 2]), new Uint8Array([3])], 0, (error) => console.log(error ?? "written"))
 * ```
 */
export const writevOf = (fd: number, writev: Writev = NodeFs.writev): WritevAt => {
  const writevAt: WritevAt = (buffers, position, done) =>
    writev(fd, buffers, position, (error, written) => {
      if (error !== null) {
        return done(
          new SystemError({
            module: "FileSystem",
            method: "writev",
            reason: "Unknown",
            pathOrDescriptor: fd,
            description: error.message,
            cause: error
          })
        )
      }
      let rest = written
      let i = 0
      while (i < buffers.length && rest >= buffers[i]!.length) rest -= buffers[i++]!.length
      if (i === buffers.length) return done(undefined)
      if (written === 0) {
        return done(new SystemError({ module: "FileSystem", method: "writev", reason: "WriteZero", pathOrDescriptor: fd }))
      }
      const left = buffers.slice(i)
      left[0] = left[0]!.subarray(rest)
      writevAt(left, position + written, done)
    })
  return writevAt
}
