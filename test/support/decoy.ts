/**
 * A `FileSystem` that is not Node's: its files report the descriptor of an unrelated (decoy) file.
 * A transport that reads or writes that descriptor directly, instead of going through the
 * `FileSystem`, would touch the decoy, which the tests then detect.
 */
import { FileSystem } from "@effect/platform"
import { Effect } from "effect"

/** `node` with every opened file disguised as the open `decoy` (its descriptor). */
export const decoyFileSystem = (node: FileSystem.FileSystem, decoy: FileSystem.File): FileSystem.FileSystem => {
  const disguised = (file: FileSystem.File): FileSystem.File => ({
    [FileSystem.FileTypeId]: FileSystem.FileTypeId,
    fd: decoy.fd,
    stat: file.stat,
    seek: (offset, from) => file.seek(offset, from),
    sync: file.sync,
    read: (buffer) => file.read(buffer),
    readAlloc: (size) => file.readAlloc(size),
    truncate: (length) => file.truncate(length),
    write: (buffer) => file.write(buffer),
    writeAll: (buffer) => file.writeAll(buffer)
  })
  return FileSystem.FileSystem.of({ ...node, open: (path, options) => Effect.map(node.open(path, options), disguised) })
}
