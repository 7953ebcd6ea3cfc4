#!/usr/bin/env node
/**
 * `nextmv-effect-emulator`: serves the Nextmv Cloud emulator over HTTP for any client (curl,
 * nextmv-py, the Nextmv CLI), as a local Nextmv Cloud.
 *
 * ```sh
 * npx nextmv-effect-emulator --port 8080 --api-key my-key
 * curl -H "Authorization: Bearer my-key" http://127.0.0.1:8080/v1/applications
 * ```
 *
 * State is in memory and lives as long as the process; Ctrl-C (SIGINT) or SIGTERM stops it.
 *
 * @since 0.1.0
 */
import { Cause, Console, Data, Effect, Exit, Fiber } from "effect"
import * as Emulator from "../testing/Emulator.js"

const usage = `Usage: nextmv-effect-emulator [--port N] [--host H] [--api-key K]

Serves the Nextmv Cloud emulator (in-memory state) until stopped with Ctrl-C.

  --port N      TCP port (default 8080; 0 picks a free one)
  --host H      interface to listen on (default 127.0.0.1)
  --api-key K   the API key clients must send as "Authorization: Bearer K"
                (default ${Emulator.DEFAULT_API_KEY})
  --help        this text

Point a client at it: NEXTMV_ENDPOINT=http://127.0.0.1:8080 NEXTMV_API_KEY=<key>`

/** A command-line mistake: printed with the usage, exit code 2. */
class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

interface Arguments {
  readonly port: number
  readonly host: string
  readonly apiKey: string
  readonly help: boolean
}

/** Parses `--name value` and `--name=value` flags. */
export const parseArguments = (argv: ReadonlyArray<string>): Effect.Effect<Arguments, UsageError> =>
  Effect.gen(function*() {
    let port = 8080
    let host = "127.0.0.1"
    let apiKey = Emulator.DEFAULT_API_KEY
    let help = false
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!
      if (arg === "--help" || arg === "-h") {
        help = true
        continue
      }
      const eq = arg.indexOf("=")
      const name = eq === -1 ? arg : arg.slice(0, eq)
      if (name !== "--port" && name !== "--host" && name !== "--api-key") {
        return yield* new UsageError({ message: `unknown argument: ${arg}` })
      }
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1)
      if (value === undefined || value === "") return yield* new UsageError({ message: `${name} needs a value` })
      if (name === "--port") {
        port = Number(value)
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          return yield* new UsageError({ message: `--port must be an integer from 0 to 65535, got ${value}` })
        }
      } else if (name === "--host") host = value
      else apiKey = value
    }
    return { port, host, apiKey, help }
  })

const main = Effect.gen(function*() {
  const args = yield* parseArguments(process.argv.slice(2))
  if (args.help) return yield* Console.log(usage)
  yield* Effect.gen(function*() {
    const emulator = yield* Emulator.Emulator
    yield* Console.log(`Nextmv Cloud emulator listening on ${emulator.url}`)
    yield* Console.log(`API key: ${args.apiKey}  (NEXTMV_ENDPOINT=${emulator.url} NEXTMV_API_KEY=${args.apiKey})`)
    return yield* Effect.never
  }).pipe(Effect.provide(Emulator.layer({ apiKey: args.apiKey, port: args.port, host: args.host })))
}).pipe(
  Effect.catchTag("UsageError", (error) =>
    Effect.zipRight(
      Console.error(`nextmv-effect-emulator: ${error.message}\n\n${usage}`),
      Effect.sync(() => {
        process.exitCode = 2
      })
    ))
)

// No platform runtime needed: the emulator is a `node:http` server, and SIGINT/SIGTERM interrupt
// the program, which closes the server (the scope of `Emulator.layer`).
const fiber = Effect.runFork(main)
const stop = () => Effect.runFork(Fiber.interrupt(fiber))
process.once("SIGINT", stop)
process.once("SIGTERM", stop)
fiber.addObserver((exit) => {
  if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) {
    console.error(Cause.pretty(exit.cause))
    process.exitCode = 1
  }
})
