/**
 * Benchmarks (`npm run bench`). Each scenario is reported as a ratio against a baseline measured
 * in the same run on the same emulator, so the numbers say what the SDK adds, not how fast this
 * machine is.
 *
 * - pipeline: `NextmvClient.api.text` (auth, per-attempt timeout, retry wrapper, status check) and
 *   `NextmvClient.api.json` (the same plus Schema decoding into `Application` classes) vs a bare
 *   `HttpClient` GET + `JSON.parse` of the same endpoint.
 * - polling: `Polling.poll` with a zero-delay schedule vs a plain `Effect.repeat` loop of the same
 *   check (in memory, no HTTP), i.e. the loop's own overhead.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer, Redacted, Ref, Schedule } from "effect"
import { poll } from "../src/programs/Polling.js"
import { ApplicationList } from "../src/schemas/Applications.js"
import * as Applications from "../src/services/Applications.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { Emulator, layerClient } from "../src/testing/Emulator.js"

const REQUESTS = Number(process.env["BENCH_REQUESTS"] ?? 400)
const POLLS = Number(process.env["BENCH_POLLS"] ?? 20_000)
const ROUNDS = 5

const time = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = performance.now()
    yield* effect
    return performance.now() - start
  })

/** Median of `ROUNDS` alternating measurements of baseline and candidate. */
const compare = <E1, R1, E2, R2>(
  name: string,
  baseline: Effect.Effect<unknown, E1, R1>,
  candidate: Effect.Effect<unknown, E2, R2>
) =>
  Effect.gen(function*() {
    const base: Array<number> = []
    const cand: Array<number> = []
    yield* baseline // warm-up
    yield* candidate
    for (let i = 0; i < ROUNDS; i++) {
      base.push(yield* time(baseline))
      cand.push(yield* time(candidate))
    }
    const median = (xs: Array<number>) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const ratio = median(cand) / median(base)
    yield* Effect.log(
      `${name}: ratio ${ratio.toFixed(2)} (baseline median ${median(base).toFixed(1)} ms, sdk median ${median(cand).toFixed(1)} ms)`
    )
    return ratio
  })

const program = Effect.gen(function*() {
  const emulator = yield* Emulator
  const apps = yield* Applications.Applications
  for (let i = 0; i < 20; i++) yield* apps.newApplication({ id: `bench-${i}`, description: "x".repeat(200) })

  const raw = yield* HttpClient.HttpClient
  const authorization = `Bearer ${Redacted.value(emulator.apiKey)}`
  const rawOnce = raw.execute(
    HttpClientRequest.get(`${emulator.url}/v1/applications`).pipe(HttpClientRequest.setHeader("authorization", authorization))
  ).pipe(Effect.flatMap((response) => response.text), Effect.map((text) => JSON.parse(text) as unknown))
  const { api } = yield* NextmvClient.NextmvClient
  const sdkText = api.text(HttpClientRequest.get("/v1/applications"))
  const sdkDecoded = api.json(HttpClientRequest.get("/v1/applications"), ApplicationList)
  yield* compare(
    `pipeline, body as text (${REQUESTS} GET /v1/applications, 20 apps)`,
    Effect.repeatN(rawOnce, REQUESTS - 1),
    Effect.repeatN(sdkText, REQUESTS - 1)
  )
  yield* compare(
    `pipeline + Schema decode (${REQUESTS} GET /v1/applications, 20 apps)`,
    Effect.repeatN(rawOnce, REQUESTS - 1),
    Effect.repeatN(sdkDecoded, REQUESTS - 1)
  )

  const counter = yield* Ref.make(0)
  const check = Ref.updateAndGet(counter, (n) => n + 1)
  const reset = Ref.set(counter, 0)
  yield* compare(
    `polling loop (${POLLS} checks, zero delay)`,
    reset.pipe(Effect.zipRight(Effect.repeat(check, { until: (n) => n >= POLLS }))),
    reset.pipe(Effect.zipRight(poll(check, { until: (n) => n >= POLLS, polling: Schedule.forever })))
  )
})

program.pipe(
  Effect.provide(Applications.layer.pipe(Layer.provideMerge(layerClient()), Layer.provideMerge(NodeHttpClient.layerUndici))),
  Effect.runPromise
).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
