/**
 * `node scripts/bench.mjs bench/micro-calls.ts`: micro-benchmarks of two per-call costs of a service
 * method, in µs per operation (min / median / max of interleaved rounds): the `Application` decode
 * and the operation span (`Effect.fn` against the package's `traced`).
 */
import { Effect, ParseResult } from "effect"
import { traced } from "../src/internal/traced.js"
import { Application } from "../src/schemas/Applications.js"
import { applicationJson } from "./application.js"

const N = Number(process.env["MICRO_N"] ?? 20000)
const ROUNDS = Number(process.env["MICRO_ROUNDS"] ?? 7)
const decode = ParseResult.decodeUnknownEither(Application, { onExcessProperty: "ignore" })
const cases: Record<string, () => void> = {
  "JSON.parse only": () => void JSON.parse(applicationJson),
  "JSON.parse + decode Application": () => void decode(JSON.parse(applicationJson))
}
const fnOp = Effect.fn("Bench.op")(function*(id: string) {
  return yield* Effect.succeed(id.length)
})
const tracedOp = traced("Bench.op")(function*(id: string) {
  return yield* Effect.succeed(id.length)
})
const plainOp = (id: string) =>
  Effect.gen(function*() {
    return yield* Effect.succeed(id.length)
  })
const runLoop = (make: () => Effect.Effect<unknown>) => () => Effect.runSync(Effect.suspend(make))
cases["Effect.gen, runSync"] = runLoop(() => plainOp("x"))
cases["Effect.fn, runSync"] = runLoop(() => fnOp("x"))
cases["traced, runSync"] = runLoop(() => tracedOp("x"))
cases["withSpan (no stack), runSync"] = runLoop(() => Effect.withSpan(plainOp("x"), "Bench.op", { captureStackTrace: false }))
cases["new Error (limit 2)"] = () => {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 2
  const e = new Error()
  Error.stackTraceLimit = limit
  if (e === undefined) throw e
}
const results: Record<string, Array<number>> = {}
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, f] of Object.entries(cases)) {
    const t0 = process.cpuUsage()
    for (let i = 0; i < N; i++) f()
    const cpu = process.cpuUsage(t0)
    ;(results[name] ??= []).push((cpu.user + cpu.system) / N)
  }
}
for (const [name, values] of Object.entries(results)) {
  const sorted = values.slice(1).sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)]!
  console.log(`${name}: ${sorted[0]!.toFixed(2)} / ${median.toFixed(2)} / ${sorted.at(-1)!.toFixed(2)} µs`)
}
