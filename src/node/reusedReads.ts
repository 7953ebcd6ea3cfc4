/**
 * Socket reads into reused memory for downloads to disk (`FileDownloadAgent`). Internal to the
 * Node entry point.
 *
 * Why: Node reads a socket into a fresh buffer per read (64 KiB for TCP, 16 KiB for TLS), and V8
 * frees dead ones only at a garbage collection, which it starts for them once about 32 MiB piled
 * up. A 1 GiB download then costs 16,000 allocations and about 32 collections, and the process's
 * resident memory grows by 32-45 MiB while the download runs, whatever the code that reads the
 * body does with it. Node lets a socket read into memory of the caller's instead (`net`'s and
 * `tls`'s `onread` option), and this module gives undici's sockets such reads.
 *
 * How, for each socket of the agent:
 * - **Head mode** (the default, and all the time for everything but a download's 2xx body): every
 *   read lands in one scratch buffer shared by all sockets and is copied at once into a buffer of
 *   its exact size (small ones from Node's buffer pool), which is what undici then reads. Node
 *   does the same for a read shorter than its buffer, so this costs next to nothing, and it is
 *   always safe: a read is reported synchronously, before any other read anywhere.
 * - **Body mode**: the download's dispatch handler claims the socket (`claimBodyReads`) when the
 *   2xx response headers arrive and releases it when the exchange ends. Reads then land in a small
 *   pool of the socket's own buffers (at most 8; past that, in the scratch buffer) and undici gets
 *   views of them. undici's HTTP/1.1 parser (`lib/dispatcher/client-h1.js`, undici 7) parses a
 *   chunk synchronously when it reads it and hands body bytes to the handler as views, which the
 *   file sink copies at once into its write blocks (`internal/fileSink.ts`, copy mode); what the
 *   parser cannot take while paused it puts back into the socket (`unshift`). So the socket's
 *   readable buffer always holds the last bytes pushed to it, everything before them has been
 *   parsed, and a pooled buffer is read into again only once all of its bytes are before them.
 *   Response heads are never parsed from a reused buffer (header fields split over two reads are
 *   kept as views until the head is complete): a pooled buffer filled after the claim ended is
 *   given to undici as it is and never reused, since the exchange that reads it may keep what it
 *   is given. Only trailer fields of a chunked body could be read from a reused buffer, and the
 *   download ignores trailers.
 *
 * Which socket undici parses: each socket's `read` is wrapped to note it, because undici parses a
 * chunk right after reading it, in the same synchronous run, and the handler's `onResponseStart`
 * runs inside that parse.
 */
import * as Undici from "@effect/platform-node/Undici"
import type * as Net from "node:net"

/** The size of every read buffer (Node's own for TCP reads). */
const READ_SIZE = 64 * 1024
/** Pooled buffers per socket at most; past it reads go through the scratch buffer (a copy). */
const POOL_MAX = 8
/** Reads in use by undici at most before the socket stops reading until undici took them. */
const LENT_MAX = 3

/** The read state of one socket. */
class SocketReads {
  /** The socket's 2xx body is read into pooled buffers (claimed by a download). */
  body = false
  /** Pooled buffers free to read into. */
  readonly free: Array<Buffer> = []
  /** Pooled buffers read into, oldest first, that undici may not have taken all of yet. */
  readonly lent: Array<Buffer> = []
  /** For each of {@link lent}: the count of bytes pushed to the socket up to its last byte. */
  readonly lentEnds: Array<number> = []
  /** Bytes pushed to the socket's readable side, in all. */
  pushed = 0
  /** Pooled buffers made for the current claim. */
  made = 0

  /**
   * Frees the lent buffers undici took all of. The socket's readable buffer always holds the last
   * `readableLength` bytes pushed: undici takes from the front, and what it puts back (`unshift`)
   * is the end of what it took, so every byte pushed before those has been parsed.
   */
  reclaim(readableLength: number): void {
    const parsed = this.pushed - readableLength
    while (this.lent.length > 0 && this.lentEnds[0]! <= parsed) {
      this.free.push(this.lent.shift()!)
      this.lentEnds.shift()
    }
  }

  /** Ends body mode: the pool is let go (buffers still queued in the socket are never read into again). */
  readonly release = (): void => {
    this.body = false
    this.free.length = 0
    this.lent.length = 0
    this.lentEnds.length = 0
    this.made = 0
  }
}

/** A claim on the reads of the socket carrying a download's 2xx body. */
export interface BodyReads {
  /** Ends the claim (the exchange ended, failed or was aborted). */
  readonly release: () => void
}

const readsOf = Symbol.for("nextmv-effect/SocketReads")
type Marked = Net.Socket & { [readsOf]?: SocketReads }

/** The buffer head-mode reads land in (one for every socket: reads are reported one at a time). */
let scratch: Buffer | undefined
/** The socket whose read was reported last (for {@link nextBuffer}, called right after). */
let reported: SocketReads | undefined
/** The socket undici read from last (it parses what it read in the same synchronous run). */
let parsing: SocketReads | undefined

/**
 * `onread.callback`, called by Node with the socket as `this` for each read of `length` bytes
 * into `buffer`. Returns whether the socket reads on (`false`: it stops until undici reads).
 */
function onRead(this: Marked, length: number, buffer: Buffer): boolean {
  const reads = this[readsOf]
  reported = reads
  if (reads === undefined) return this.push(Buffer.copyBytesFrom(buffer, 0, length))
  // Only while a body is claimed: a response head is kept as views until it is complete.
  if (reads.body) reads.reclaim(this.readableLength)
  reads.pushed += length
  if (buffer === scratch) return this.push(Buffer.copyBytesFrom(buffer, 0, length))
  // A pooled buffer handed out before the claim ended: undici gets it as it is, and it is never
  // read into again (an exchange that is not claimed may keep what it is given, as the SDK's
  // buffered calls do).
  if (!reads.body) return this.push(buffer.subarray(0, length))
  reads.lent.push(buffer)
  reads.lentEnds.push(reads.pushed)
  return this.push(buffer.subarray(0, length)) && reads.lent.length < LENT_MAX
}

/**
 * `onread.buffer`, called by Node (without a `this`) when a socket starts and right after each
 * {@link onRead}: where the socket's next read lands.
 */
const nextBuffer = (): Buffer => {
  const reads = reported
  reported = undefined
  if (reads !== undefined && reads.body) {
    const free = reads.free.pop()
    if (free !== undefined) return free
    if (reads.made < POOL_MAX) {
      reads.made++
      return Buffer.allocUnsafeSlow(READ_SIZE)
    }
  }
  return scratch ??= Buffer.allocUnsafeSlow(READ_SIZE)
}

const onread = { buffer: nextBuffer, callback: onRead }

const forget = (): void => {
  parsing = undefined
}

/** Gives `socket` its read state, and notes it as the socket undici parses whenever undici reads it. */
const mark = (socket: Marked): void => {
  const reads = new SocketReads()
  socket[readsOf] = reads
  const read = socket.read
  socket.read = function(this: Marked, size?: number) {
    // Only for the synchronous run that parses what is read: a handler that claims later (in
    // another turn) finds nothing rather than this socket.
    if (parsing === undefined) queueMicrotask(forget)
    parsing = reads
    return read.call(this, size)
  }
}

/**
 * Claims the reads of the socket undici is parsing (call it from a dispatch handler's
 * `onResponseStart` of a {@link FileDownloadAgent}'s exchange, and only from a handler whose body
 * consumer copies each chunk before returning): its next reads land in pooled buffers.
 * `undefined` when no socket of such an agent is being parsed.
 */
export const claimBodyReads = (): BodyReads | undefined => {
  const reads = parsing
  parsing = undefined
  if (reads === undefined) return undefined
  reads.body = true
  return reads
}

/**
 * undici connection options of a {@link FileDownloadAgent} (TLS options such as `ca`, keep-alive,
 * `timeout` for connecting: undici's `buildConnector` options).
 */
export type ConnectOptions = Undici.buildConnector.BuildOptions

/** A connector as undici's own (`buildConnector`), whose sockets read as described above. */
const connector = (options: ConnectOptions | undefined): Undici.buildConnector.connector => {
  // Node's `tls.connect` takes `onread` as `net.connect` does (Node docs), though the TLS options'
  // type does not list it.
  const connect = Undici.buildConnector({ ...options, allowH2: false, onread } as ConnectOptions)
  return (target, callback) =>
    connect(target, (...result) => {
      if (result[1] !== null) mark(result[1])
      callback(...result)
    })
}

/**
 * An undici `Agent` for downloads to disk: its sockets read a download's body into a few reused
 * buffers instead of a fresh one per read, so a download of any size leaves no garbage of socket
 * buffers (see the module comment). `NodeTransport.layer` makes one for the downloads to disk of
 * `presigned.toFile` and the `Runs` downloads; give one to `NodeTransport.make` as
 * `fileDownloads` to do the same with your own main dispatcher. Anything else sent through it
 * reads the usual way (one copy per read).
 *
 * Its options are undici's `Agent` options, except that `connect` may only be options (not a
 * connector function of your own) and there is no `factory` nor `allowH2` (HTTP/1.1 only).
 *
 * @example
 * ```ts
 * import * as Undici from "@effect/platform-node/Undici"
 * import { NodeTransport } from "nextmv-effect/node"
 *
 * const client = NodeTransport.make(new Undici.Agent(), { fileDownloads: new NodeTransport.FileDownloadAgent() })
 * ```
 *
 * @since 0.1.0
 */
export class FileDownloadAgent extends Undici.Agent {
  constructor(options: FileDownloadAgent.Options = {}) {
    // HTTP/1.1 only: an HTTP/2 session reads its socket itself, and its exchanges must never find
    // an HTTP/1.1 socket to claim.
    super({ ...options, allowH2: false, connect: connector(options.connect) })
  }
}

/** @since 0.1.0 */
export declare namespace FileDownloadAgent {
  /** undici's `Agent` options, with `connect` as options only. */
  export interface Options extends Omit<Undici.Agent.Options, "connect" | "factory" | "allowH2"> {
    readonly connect?: ConnectOptions | undefined
  }
}
