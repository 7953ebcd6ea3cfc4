/**
 * A plain HTTP server on loopback for the tests that need answers the emulator does not give
 * (a huge error body, a socket that stalls, another host): listening when acquired, every
 * connection closed when the scope ends.
 */
import { Effect, type Scope } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

/** A listening server and its origin (`http://127.0.0.1:<port>`). */
export interface RawServer {
  readonly server: Http.Server
  readonly origin: string
}

export const rawServer = (handler: Http.RequestListener): Effect.Effect<RawServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<RawServer>((resume) => {
      const server = Http.createServer(handler)
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() =>
          resume(Effect.void)
        )
      })
  )
