/**
 * Scale figure of the run tracker (`npm run bench:scale`; not a test): 10,000 runs tracked at once
 * in this process, against the emulator in a child process that enforces Nextmv Cloud's published
 * limits (5 run submissions/s, 200 result requests/10 s, 2,000 API requests/min).
 *
 * Both processes run on "emulator time", `BENCH_SPEED` (default 4) times faster than real time
 * from the same origin, so minutes of run durations take seconds. Durations are spread uniformly
 * over 1–10 minutes. Most runs are created in the emulator and tracked by id; `BENCH_SUBMIT`
 * (default 200) are submitted through the tracker. Reported:
 *
 * - RSS growth per tracked run (peak RSS while all are tracked minus the RSS before);
 * - peak sockets (the emulator's most open connections at once) vs the budget's connection cap;
 * - windows over the limit (the emulator's count of windows in which it answered 429);
 * - results fetched per run (GET …/runs/{id} per run id, at the emulator);
 * - duplicate submissions (POSTs minus submitted runs);
 * - detection latency, from a run's end (emulator) to the delivery of its result (await), p50/p99.
 *
 * The client runs on `NodeTransport` (`nextmv-effect/node`, the recommended transport) over an
 * undici `Agent` capped at the budget's connection count; `BENCH_TRANSPORT=platform` runs it on the
 * platform's undici `HttpClient` over the same kind of `Agent` instead.
 */
import { HttpClient } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { fork } from "node:child_process"
// The transport's own connection cap (undici ships with @effect/platform-node).
import { Agent } from "undici"
import { cpus } from "node:os"
import { Clock, Duration, Effect, Fiber, Layer, Redacted } from "effect"
import { NodeTransport } from "../src/node/index.js"
import * as RunTracker from "../src/programs/RunTracker.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import * as Runs from "../src/services/Runs.js"
import * as Uploads from "../src/services/Uploads.js"

const RUNS = Number(process.env["BENCH_RUNS"] ?? 10_000)
const SUBMIT = Math.min(RUNS, Number(process.env["BENCH_SUBMIT"] ?? 200))
const SPEED = Number(process.env["BENCH_SPEED"] ?? 4)
/** Real-time latency the budget's window margin absorbs (stamp → arrival, incl. GC pauses). */
const REAL_LAG_MILLIS = 1_000
const CONCURRENCY = 8
const MAX_CONNECTIONS = 16
const TRANSPORT = process.env["BENCH_TRANSPORT"] === "platform" ? "platform" : "node"

const t0 = Date.now()
/** Emulator time: the same formula in both processes. */
const emulatorNow = () => t0 + (Date.now() - t0) * SPEED

/** A Clock running `SPEED` times faster than real time, for the client's budget and the tracker. */
const fastClock: Clock.Clock = {
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => emulatorNow(),
  currentTimeMillis: Effect.sync(() => emulatorNow()),
  unsafeCurrentTimeNanos: () => BigInt(Math.round(emulatorNow() * 1e6)),
  currentTimeNanos: Effect.sync(() => BigInt(Math.round(emulatorNow() * 1e6))),
  sleep: (duration) =>
    Effect.async<void>((resume) => {
      const timer = setTimeout(() => resume(Effect.void), Duration.toMillis(duration) / SPEED)
      return Effect.sync(() => clearTimeout(timer))
    })
}

/** A deterministic spread of durations over 1–10 minutes. */
const durationOf = (i: number) => 60_000 + Math.round(((i * 7919) % RUNS) / RUNS * 540_000)

interface Ready {
  readonly url: string
  readonly apiKey: string
  readonly ids: ReadonlyArray<string>
}
interface Report {
  readonly requests: number
  readonly submissions: number
  readonly resultGets: Readonly<Record<string, number>>
  readonly ends: Readonly<Record<string, number>>
  readonly rateLimits: {
    readonly accepted: Record<string, number>
    readonly refused: Record<string, number>
    readonly windowsOverLimit: number
    readonly busiestWindow: Record<string, number>
  }
  readonly connections: { readonly open: number; readonly peak: number; readonly total: number }
  readonly firstRequest: number
  readonly lastRequest: number
}

const child = fork(new URL("./scale-emulator.ts", import.meta.url).pathname, [], {
  execArgv: ["--import", "tsx"],
  stdio: ["ignore", "inherit", "inherit", "ipc"]
})
const nextMessage = <A>(type: string) =>
  Effect.async<A>((resume) => {
    const on = (message: unknown) => {
      if (typeof message !== "object" || message === null || (message as { type?: unknown }).type !== type) return
      child.off("message", on)
      resume(Effect.succeed(message as A))
    }
    child.on("message", on)
  })

const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN

const rssMiB = () => process.memoryUsage().rss / 1024 / 1024

const program = Effect.gen(function*() {
  const durations = Array.from({ length: RUNS - SUBMIT }, (_, i) => durationOf(i))
  child.send({ type: "start", t0, speed: SPEED, durations })
  const ready = yield* nextMessage<Ready>("ready")

  // An undici `Agent` capped at the budget's connection count, closed with the layer.
  const agent = Effect.acquireRelease(
    Effect.sync(() => new Agent({ connections: MAX_CONNECTIONS })),
    (agent) => Effect.promise(() => agent.destroy())
  )
  const transportLayer = TRANSPORT === "platform"
    ? NodeHttpClient.layerUndiciWithoutDispatcher.pipe(Layer.provide(Layer.scoped(NodeHttpClient.Dispatcher, agent)))
    : Layer.scoped(HttpClient.HttpClient, Effect.map(agent, NodeTransport.make))
  const clientLayer = NextmvClient.layer({
    apiKey: Redacted.make(ready.apiKey),
    baseUrl: ready.url,
    // Emulator time runs SPEED× faster: a generous timeout, and a window margin covering 1 s of
    // real-time latency (a loaded machine, GC pauses of a large heap), multiplied by SPEED.
    timeout: Duration.minutes(30),
    budget: { maxConcurrent: MAX_CONNECTIONS, margin: Duration.millis(REAL_LAG_MILLIS * SPEED) }
  })
  const live = RunTracker.layer({
    concurrency: CONCURRENCY,
    // nextmv-py's formula; no 300 s cap: under the budget a check of each run comes every few
    // minutes. The first check after 20 s, once the benchmark's setup burst is over.
    polling: { initialDelay: Duration.seconds(20), maxDuration: Duration.hours(2), maxTries: -1 }
  }).pipe(
    Layer.provideMerge(Runs.layer),
    Layer.provide(Uploads.layer),
    Layer.provideMerge(clientLayer),
    Layer.provide(Layer.mergeAll(transportLayer, NodeContext.layer))
  )

  return yield* Effect.gen(function*() {
    const tracker = yield* RunTracker.RunTracker
    const client = yield* NextmvClient.NextmvClient
    global.gc?.()
    const rssBefore = rssMiB()
    const heapBefore = process.memoryUsage().heapUsed / 1024 / 1024
    let rssPeak = rssBefore
    const delivered = new Map<string, number>()
    let failed = 0
    const awaitOne = (runId: string) =>
      tracker.await("scale", runId).pipe(
        Effect.flatMap(() => Clock.currentTimeMillis),
        Effect.tap((at) => Effect.sync(() => delivered.set(runId, at))),
        Effect.catchAll(() => Effect.sync(() => failed++)),
        Effect.asVoid
      )
    // Runs created in the emulator, tracked by id; memory of the tracker alone, then with one
    // waiting fiber per run.
    for (const runId of ready.ids) yield* tracker.track("scale", runId)
    global.gc?.()
    const rssTrackedOnly = rssMiB()
    const heapTrackedOnly = process.memoryUsage().heapUsed / 1024 / 1024
    const waiters = yield* Effect.forkAll(ready.ids.map(awaitOne))
    yield* Effect.sleep("10 seconds")
    // Runs submitted through the tracker (5 per second of budget).
    const submitted = yield* Effect.forkAll(
      Array.from({ length: SUBMIT }, (_, i) =>
        tracker.submit("scale", { input: { millis: durationOf(RUNS - SUBMIT + i) } }).pipe(
          Effect.flatMap(awaitOne),
          Effect.catchAll(() => Effect.sync(() => failed++))
        ))
    )
    // Retained memory with every run tracked (after a full GC when run with --expose-gc).
    yield* Effect.sleep("2 seconds")
    global.gc?.()
    const rssTracked = rssMiB()
    const heapTracked = process.memoryUsage().heapUsed / 1024 / 1024
    const started = emulatorNow()
    const progress = Effect.gen(function*() {
      const stats = yield* tracker.stats
      rssPeak = Math.max(rssPeak, rssMiB())
      const api = stats.budget.classes.api
      yield* Effect.log(
        `t+${((emulatorNow() - started) / 60_000).toFixed(1)} min: tracked ${stats.tracked}, due ${stats.due}, ` +
          `done ${stats.succeeded}, failed ${stats.failed + stats.errored}, checks ${stats.checks}, ` +
          `api tokens ${api?.available ?? "-"}/${api?.effectiveRequests ?? "-"}, waiting ${stats.budget.waiting}, ` +
          `429s ${stats.budget.rateLimited}, rss ${rssMiB().toFixed(0)} MiB`
      )
    })
    const monitor = yield* Effect.fork(Effect.forever(Effect.zipRight(progress, Effect.sleep("1 minute"))))
    const sampler = yield* Effect.fork(
      Effect.forever(Effect.zipRight(Effect.sync(() => (rssPeak = Math.max(rssPeak, rssMiB()))), Effect.sleep("2 seconds")))
    )
    yield* Fiber.join(waiters)
    yield* Fiber.join(submitted)
    yield* progress
    const finished = emulatorNow()
    global.gc?.()
    const heapAfter = process.memoryUsage().heapUsed / 1024 / 1024
    yield* Fiber.interrupt(monitor)
    yield* Fiber.interrupt(sampler)

    child.send({ type: "report" })
    const report = yield* nextMessage<Report>("report")
    const latencies = [...delivered].map(([id, at]) => (at - (report.ends[id] ?? at)) / 1000).sort((a, b) => a - b)
    const perRun = Object.values(report.resultGets)
    const once = perRun.filter((n) => n === 1).length
    const stats = yield* tracker.stats
    const budget = yield* client.budget.state
    const lines = [
      `Scale figure (${new Date().toISOString().slice(0, 10)}, ${cpus().length} CPUs (nproc), node ${process.version}, speed ${SPEED}x)`,
      `transport: ${TRANSPORT === "node" ? "NodeTransport (nextmv-effect/node)" : "the platform's undici HttpClient"}`,
      `budget: published limits, margin ${
        (REAL_LAG_MILLIS * SPEED / 1000).toFixed(0)
      } s of emulator time, ${MAX_CONNECTIONS} connections; tracker concurrency ${CONCURRENCY}`,
      `runs tracked at once: ${RUNS} (${RUNS - SUBMIT} by id, ${SUBMIT} submitted through the tracker), durations 1-10 min`,
      `emulator time to collect every result: ${((finished - started) / 60_000).toFixed(1)} min; requests ${report.requests}`,
      `RSS of the tracker, ${RUNS - SUBMIT} runs tracked by id (after GC): ${rssBefore.toFixed(1)} -> ${rssTrackedOnly.toFixed(1)} MiB = ${
        ((rssTrackedOnly - rssBefore) * 1024 / (RUNS - SUBMIT)).toFixed(2)
      } KiB per tracked run (heap ${((heapTrackedOnly - heapBefore) * 1024 / (RUNS - SUBMIT)).toFixed(2)} KiB)`,
      `RSS with all ${RUNS} runs tracked and one waiting fiber each (after GC): ${rssTracked.toFixed(1)} MiB = ${
        ((rssTracked - rssBefore) * 1024 / RUNS).toFixed(2)
      } KiB per run (heap ${((heapTracked - heapBefore) * 1024 / RUNS).toFixed(2)} KiB)`,
      `RSS peak while working (no forced GC): ${rssPeak.toFixed(1)} MiB (${
        ((rssPeak - rssBefore) * 1024 / RUNS).toFixed(2)
      } KiB per run); heap after all results, after GC: ${heapAfter.toFixed(1)} MiB (before ${heapBefore.toFixed(1)} MiB)`,
      `peak sockets: ${report.connections.peak} (cap ${MAX_CONNECTIONS}; ${report.connections.total} connections in total)`,
      `windows over the limit: ${report.rateLimits.windowsOverLimit}; 429s: ${
        JSON.stringify(report.rateLimits.refused)
      }; client saw ${budget.rateLimited}`,
      `busiest windows: ${JSON.stringify(report.rateLimits.busiestWindow)} (limits 5/1 s, 200/10 s, 2000/60 s)`,
      `results fetched per run: exactly 1 for ${once} of ${perRun.length} runs (max ${
        Math.max(...perRun)
      }); delivered ${delivered.size}, failed ${failed}`,
      `duplicate submissions: ${Object.keys(report.ends).length - RUNS} (${
        Object.keys(report.ends).length - (RUNS - SUBMIT)
      } runs created by ${report.submissions} POSTs for ${SUBMIT} submissions; ${
        report.rateLimits.refused["submission"]
      } POSTs refused with 429 and retried)`,
      `checks (metadata): ${stats.checks}, results: ${stats.results}, api requests accepted: ${report.rateLimits.accepted["api"]}`,
      `detection latency end -> delivery: p50 ${percentile(latencies, 0.5).toFixed(1)} s, p99 ${
        percentile(latencies, 0.99).toFixed(1)
      } s, max ${latencies.at(-1)?.toFixed(1)} s`
    ]
    for (const line of lines) yield* Effect.log(line)
  }).pipe(Effect.provide(live))
})

Effect.runPromise(program.pipe(Effect.withClock(fastClock))).then(
  () => {
    child.kill()
    process.exit(0)
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${String(error)}\n`)
    child.kill()
    process.exit(1)
  }
)
