/**
 * The emulator process of `bench/tracker-scale.ts` (kept out of the measured process so its run
 * records do not count in the tracker's RSS). Its clock runs `speed` times faster than real time
 * from `t0`, the same formula as the benchmark's client clock. It enforces the published rate
 * limits, creates the runs to track by id, and answers the benchmark's questions over IPC.
 */
import { Effect, Layer } from "effect"
import { Emulator, layer } from "../src/testing/Emulator.js"
import { type DecisionModel, Models } from "../src/testing/index.js"

interface Start {
  readonly type: "start"
  readonly t0: number
  readonly speed: number
  /** Durations (ms of emulator time) of the runs created here, tracked by id. */
  readonly durations: ReadonlyArray<number>
}

/** The echo model, running as long as the input's `millis`. */
const timed: DecisionModel = (input) => {
  const given = typeof input.input === "object" && input.input !== null && "millis" in input.input
    ? input.input.millis
    : undefined
  return { ...Models.echo(input), logs: [], durationMillis: typeof given === "number" ? given : 60_000 }
}

const send = (message: unknown) => process.send?.(message)

process.once("message", (message: Start) => {
  const now = () => message.t0 + (Date.now() - message.t0) * message.speed
  const program = Effect.gen(function*() {
    const emulator = yield* Emulator
    emulator.areas.applications.seed({ id: "scale" })
    emulator.areas.runs.setModel("scale", timed)
    const ids: Array<string> = []
    for (const millis of message.durations) {
      const run = emulator.areas.runs.submit("scale", { input: { millis } })
      if ("id" in run) ids.push(run.id)
    }
    yield* emulator.clearRequests
    send({ type: "ready", url: emulator.url, apiKey: "emulator-api-key", ids, now: now() })
    yield* Effect.async<void>(() => {
      process.on("message", (question: { type: string }) => {
        if (question.type !== "report") return
        Effect.runPromise(Effect.gen(function*() {
          const requests = yield* emulator.requests
          const resultGets = new Map<string, number>()
          let submissions = 0
          for (const r of requests) {
            const m = /^\/v1\/applications\/scale\/runs\/([^/]+)$/.exec(r.path)
            if (r.method === "GET" && m) resultGets.set(m[1]!, (resultGets.get(m[1]!) ?? 0) + 1)
            if (r.method === "POST" && r.path === "/v1/applications/scale/runs") submissions++
          }
          const ends: Record<string, number> = {}
          for (const run of emulator.areas.runs.list("scale")) ends[run.id] = run.endsAt
          send({
            type: "report",
            requests: requests.length,
            submissions,
            resultGets: Object.fromEntries(resultGets),
            ends,
            rateLimits: yield* emulator.rateLimits,
            connections: yield* emulator.connections,
            firstRequest: requests[0]?.time,
            lastRequest: requests.at(-1)?.time
          })
          // Stay alive until the benchmark has read the report and stops this process.
        }))
      })
    })
  })
  Effect.runPromise(Effect.scoped(
    Layer.build(layer({ now, rateLimits: true })).pipe(
      Effect.flatMap((context) => Effect.provide(program, context))
    )
  )).then(() => process.exit(0), (error: unknown) => {
    process.stderr.write(`emulator failed: ${String(error)}\n`)
    process.exit(1)
  })
})
