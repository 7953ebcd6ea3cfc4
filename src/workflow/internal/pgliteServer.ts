/**
 * Serves a PGlite database over the PostgreSQL wire protocol on a TCP socket, for several
 * clients at once.
 *
 * PGlite has one backend session. Its clients must therefore never interleave inside a query cycle
 * (an extended-protocol `Parse`/`Bind`/`Execute`… sequence up to `Sync`, or a simple `Query`) nor
 * inside a transaction. This server forwards each client's messages as whole cycles (batched up to
 * `Sync`/`Query`/`Flush`), one cycle at a time, and while a client's transaction is open (its last
 * `ReadyForQuery` said `T` or `E`) it runs only that client's cycles. A client that disconnects
 * inside a transaction has it rolled back.
 *
 * @internal
 */
import { createServer, type Server, type Socket } from "node:net"

/** The part of PGlite this server needs. */
export interface PGliteLike {
  readonly execProtocolRaw: (message: Uint8Array) => Promise<Uint8Array>
  readonly exec: (query: string) => Promise<unknown>
  readonly runExclusive: <T>(fn: () => Promise<T>) => Promise<T>
}

const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104
const CANCEL_REQUEST = 80877102

interface Client {
  readonly socket: Socket
  buffer: Buffer
  started: boolean
  pending: Array<Buffer>
  closed: boolean
}

interface Job {
  readonly client: Client
  readonly batch: Buffer
  /** `false` after a Flush: the client's cycle goes on, so it keeps the session. */
  readonly endsCycle: boolean
}

/** A running server: its port and a `close` that stops accepting and drops every client. */
export interface PgliteServer {
  readonly port: number
  readonly close: () => Promise<void>
}

/** Starts serving `db` on `host:port` (port 0 = any free port). */
export const servePglite = (db: PGliteLike, host: string, port: number): Promise<PgliteServer> => {
  const queue: Array<Job> = []
  let owner: Client | undefined // the client whose transaction is open
  let running = false
  const clients = new Set<Client>()

  const transactionStatus = (response: Uint8Array): number | undefined => {
    // The cycle ends with ReadyForQuery: 'Z', int32 5, status byte.
    const n = response.length
    if (n >= 6 && response[n - 6] === 0x5a && response[n - 2] === 5 && response[n - 3] === 0) return response[n - 1]
    return undefined
  }

  // Not inside runExclusive: exec takes PGlite's query lock itself (the pump already serializes).
  const rollback = () => db.exec("ROLLBACK").catch(() => undefined)

  const pump = async (): Promise<void> => {
    if (running) return
    running = true
    try {
      for (;;) {
        if (owner?.closed === true) {
          // Its client went away inside a transaction: roll it back, free the session.
          owner = undefined
          await rollback()
        }
        const index = owner === undefined ? 0 : queue.findIndex((job) => job.client === owner)
        if (index < 0 || queue.length === 0) break
        const job = queue.splice(index, 1)[0]!
        if (job.client.closed) continue
        let response: Uint8Array
        try {
          response = await db.runExclusive(() => db.execProtocolRaw(new Uint8Array(job.batch)))
        } catch {
          job.client.socket.destroy()
          job.client.closed = true
          owner = job.client // rolled back at the top of the loop
          continue
        }
        const status = transactionStatus(response)
        if (!job.endsCycle) owner = job.client
        else if (status !== undefined) owner = status === 0x49 /* I */ ? undefined : job.client
        if (!job.client.closed && response.length > 0) job.client.socket.write(response)
      }
    } finally {
      running = false
    }
  }

  const enqueue = (client: Client, batch: Buffer, endsCycle = true) => {
    queue.push({ client, batch, endsCycle })
    void pump()
  }

  const release = (client: Client) => {
    if (client.closed && !clients.has(client)) return
    client.closed = true
    clients.delete(client)
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.client === client) queue.splice(i, 1)
    void pump()
  }

  const onData = (client: Client, chunk: Buffer) => {
    client.buffer = client.buffer.length === 0 ? chunk : Buffer.concat([client.buffer, chunk])
    for (;;) {
      const buffer = client.buffer
      if (!client.started) {
        if (buffer.length < 8) return
        const length = buffer.readInt32BE(0)
        if (buffer.length < length) return
        const code = buffer.readInt32BE(4)
        client.buffer = buffer.subarray(length)
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          client.socket.write("N") // no encryption on this local socket
          continue
        }
        if (code === CANCEL_REQUEST) {
          client.socket.end()
          return
        }
        client.started = true
        enqueue(client, Buffer.from(buffer.subarray(0, length)))
        continue
      }
      if (buffer.length < 5) return
      const length = 1 + buffer.readInt32BE(1)
      if (buffer.length < length) return
      const type = buffer[0]
      const message = Buffer.from(buffer.subarray(0, length))
      client.buffer = buffer.subarray(length)
      if (type === 0x58 /* X: Terminate */) {
        client.socket.end()
        return
      }
      client.pending.push(message)
      // Sync, simple Query and Flush end a cycle; anything else waits for the rest of it.
      if (type === 0x53 || type === 0x51 || type === 0x48) {
        const batch = Buffer.concat(client.pending)
        client.pending = []
        enqueue(client, batch, type !== 0x48)
      }
    }
  }

  const server: Server = createServer((socket) => {
    socket.setNoDelay(true)
    const client: Client = { socket, buffer: Buffer.alloc(0), started: false, pending: [], closed: false }
    clients.add(client)
    socket.on("data", (chunk: Buffer) => onData(client, chunk))
    socket.on("error", () => release(client))
    socket.on("close", () => release(client))
  })

  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, host, () => {
      const address = server.address()
      const bound = typeof address === "object" && address !== null ? address.port : port
      resolve({
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            for (const client of clients) client.socket.destroy()
            server.close(() => done())
          })
      })
    })
  })
}
