/**
 * `npm run bench`: the SDK against raw undici, honestly.
 *
 * - A fixed-body HTTP server runs in its own process (`bench/server.ts`), so its cost lands on
 *   neither side.
 * - Each figure runs raw `undici` (`Dispatcher.request`) and the SDK interleaved, round after
 *   round (default 5), and prints min / median / max of the per-round ratio together with the
 *   absolute numbers and the machine.
 * - Figures: sequential `getApplication` (wall and CPU per call), throughput at concurrency 64,
 *   and transfers (upload from a file, upload from a stream of known length, download to disk:
 *   wall time and peak RSS growth over the same process at idle).
 *
 * Environment: `BENCH_ROUNDS` (5), `BENCH_CALLS` (2000 sequential calls per round),
 * `BENCH_CONCURRENT_CALLS` (19200), `BENCH_TRANSFER_MIB` (256; 1024 for the 1 GiB figures),
 * `BENCH_TRANSFER_ROUNDS` (5), `BENCH_TRANSFERS` (`file,stream,download`), `BENCH_TRANSFER_GC`
 * (`1`: a forced full GC before each transfer case), `BENCH_TRANSFER_TRANSPORT` (`node`, the
 * default: `NodeTransport.layer`; `platform`: the platform's undici `HttpClient`), `BENCH_ONLY`
 * (`calls`, `concurrency`, `memory` or `transfers`; the call figures of each transport run in a
 * child process of their own, `BENCH_CALL_SDK`); for `memory`: `BENCH_RUNS_IN_FLIGHT` (1000),
 * `BENCH_MEMORY_ROUNDS` (5), `BENCH_MEMORY_WARM` (200 warm-up runs), `BENCH_MEMORY_CASE` (one case,
 * in this process).
 */
import { FileSystem, HttpClientRequest } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import * as Undici from "@effect/platform-node/Undici"
import { Duration, Effect, Fiber, Layer, ManagedRuntime, Redacted, Stream } from "effect"
import { spawn } from "node:child_process"
import { closeSync, createReadStream, createWriteStream, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { constants as perfConstants, PerformanceObserver } from "node:perf_hooks"
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { NodeTransport } from "../src/node/index.js"
import * as RunsPrograms from "../src/programs/Runs.js"
import * as RunTracker from "../src/programs/RunTracker.js"
import * as Applications from "../src/services/Applications.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import * as Runs from "../src/services/Runs.js"
import * as Uploads from "../src/services/Uploads.js"
import { downloadToPath } from "../src/internal/fileStreams.js"
import { peakRss, rawGetApplication, rawPut, resetPeakRss, startServer } from "./application.js"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as (options?: { readonly type: "minor" | "major" }) => void

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const ROUNDS = env("BENCH_ROUNDS", 5)
const CALLS = env("BENCH_CALLS", 2000)
// 19,200 calls a round (0.8-2 s with NodeTransport): rounds of 6,400 swung the ratio by ±0.3.
const CONCURRENT_CALLS = env("BENCH_CONCURRENT_CALLS", 19200)
const CONCURRENCY = 64
const TRANSFER_MIB = env("BENCH_TRANSFER_MIB", 256)
// Five rounds, as the other figures (the issue asks for at least 5): with three, two noisy rounds on
// the shared machine made the median.
const TRANSFER_ROUNDS = env("BENCH_TRANSFER_ROUNDS", 5)
const ONLY = process.env["BENCH_ONLY"]
const RUNS_IN_FLIGHT = env("BENCH_RUNS_IN_FLIGHT", 1000)
const MEMORY_ROUNDS = env("BENCH_MEMORY_ROUNDS", 5)
const MEMORY_CASE = process.env["BENCH_MEMORY_CASE"]
const MEMORY_WARM_RUNS = env("BENCH_MEMORY_WARM", 200)
/** Set for a child that runs the call figures of one transport (`node` or `platform`). */
const CALL_SDK = process.env["BENCH_CALL_SDK"]
const MIB = 1024 * 1024

// ---------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------

interface Sample {
  readonly wallMs: number
  readonly cpuMs: number
  readonly rssGrowthMiB: number
  /** Peak growth of the memory of `ArrayBuffer`s (Node's `Buffer`s included), over the same baseline. */
  readonly arrayBuffersGrowthMiB: number
  /** Garbage collections during the run: young (scavenges) and full (mark-compact). */
  readonly minorGcs: number
  readonly majorGcs: number
}

/** Garbage collections by kind, counted for {@link measure}. */
const gcCount = { minor: 0, major: 0 }
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as unknown as { readonly detail?: { readonly kind?: number } }).detail?.kind
    if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) gcCount.minor++
    else if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) gcCount.major++
  }
}).observe({ entryTypes: ["gc"] })

/**
 * Wall, CPU and peak RSS growth of `f` (the kernel's peak RSS where there is one, and a 5 ms sampler).
 *
 * Growth is over the process at idle, taken anew before each run, the same way for both sides (and
 * for every figure): forced young-generation collections (scavenges) first, then the RSS.
 *
 * - The call figures used to force a *full* GC before each round. That is an artifact no user's
 *   process has: after V8's forced full collection (`gc()`, reason "testing") the next round
 *   optimizes again many functions that were already optimized (TurboFan compiles on a background
 *   thread, but in the process's CPU time). Measured with `--trace-opt` in `bench/profile-calls.ts` (`PROFILE_GC`,
 *   6,400 calls at concurrency 64 after as many warm-up calls): after a forced full GC the SDK
 *   optimized 103-196 functions again during the measured pass and raw undici 22-38; after a
 *   scavenge 27 and 9, with no GC at all 32 and 8. The SDK has more JavaScript functions on its
 *   call path, so this weighed on it far more (6,400 calls: raw 43-74, SDK 86-123 µs CPU per call
 *   after the forced full GC; raw 34-40, SDK 53-60 without it). The GC itself was not the cost:
 *   5-7 scavenges and no full collection per round on either side.
 * - The transfers: a body read
 *   from a socket arrives in a fresh `ArrayBuffer` per socket read (Node's, raw undici and the SDK
 *   alike), and V8 frees dead ones only when a scavenge runs; with little other garbage that is
 *   when 32 MiB of them piled up (V8's external-memory trigger, twice its default semi-space
 *   size). Without the scavenge a run started with up to 32 MiB of the previous run's dead buffers
 *   (often the other side's), and the one idle RSS taken once after the warm-ups fell at a random
 *   point of that saw-tooth (and of the allocator giving pages back): the growth moved by about
 *   30 MiB with where the baseline fell, not with what the transfer held. A scavenge leaves V8's
 *   heap limits alone (a forced *full* GC does not: see `BENCH_TRANSFER_GC`).
 *   The peak is the kernel's (`VmHWM`, reset after the baseline): the 5 ms sampler alone may miss a
 *   peak that lasts less than a sample, on either side.
 */
const measure = async (f: () => Promise<unknown>): Promise<Sample> => {
  // Two scavenges (the second one waits for the first one's sweep of the dead `ArrayBuffer`s,
  // which runs on a background thread), then a moment for the second one's sweep.
  gc({ type: "minor" })
  gc({ type: "minor" })
  await new Promise((resolve) => setTimeout(resolve, 20))
  const rss0 = process.memoryUsage.rss()
  const arrayBuffers0 = process.memoryUsage().arrayBuffers
  resetPeakRss()
  let peak = rss0
  let peakArrayBuffers = arrayBuffers0
  const sample = () => {
    const usage = process.memoryUsage()
    peak = Math.max(peak, usage.rss)
    peakArrayBuffers = Math.max(peakArrayBuffers, usage.arrayBuffers)
  }
  const sampler = setInterval(sample, 5)
  const gcs0 = { ...gcCount }
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await f()
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  clearInterval(sampler)
  sample()
  peak = Math.max(peak, peakRss() ?? 0)
  return {
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssGrowthMiB: Math.max(0, peak - rss0) / MIB,
    arrayBuffersGrowthMiB: Math.max(0, peakArrayBuffers - arrayBuffers0) / MIB,
    minorGcs: gcCount.minor - gcs0.minor,
    majorGcs: gcCount.major - gcs0.major
  }
}

const sorted = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)
const stats = (xs: ReadonlyArray<number>) => {
  const s = sorted(xs)
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! }
}
const fmt = (x: number, digits = 2) => x.toFixed(digits)
const triple = (xs: ReadonlyArray<number>, digits = 2) => {
  const { max, median, min } = stats(xs)
  return `${fmt(min, digits)} / ${fmt(median, digits)} / ${fmt(max, digits)}`
}

/** Interleaves the contenders for `rounds` rounds (after one warm-up each), rotating who goes first. */
const compareAll = async (rounds: number, contenders: ReadonlyArray<() => Promise<unknown>>) => {
  for (const run of contenders) await run()
  const out = contenders.map(() => [] as Array<Sample>)
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < contenders.length; j++) {
      const k = (i + j) % contenders.length
      out[k]!.push(await measure(contenders[k]!))
    }
  }
  return out
}

const lines: Array<string> = []
const print = (line = "") => {
  lines.push(line)
  // A memory-case child prints its figure only.
  if (process.env["BENCH_MEMORY_CASE"] === undefined) console.log(line)
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

/**
 * KiB per run in flight: RSS growth (peak over one polling interval), JS heap growth (after a full
 * GC), and the growth of V8's young and old generations (committed, at the RSS peak).
 */
interface InFlight {
  readonly kib: number
  readonly heapKib: number
  readonly newSpaceKib: number
  readonly oldSpaceKib: number
}

/** Committed bytes of V8's young generation (`new`) and of its other spaces (`old`). */
const spaceSizes = () => {
  let young = 0
  let old = 0
  for (const space of getHeapSpaceStatistics()) {
    if (space.space_name === "new_space" || space.space_name === "new_large_object_space") young += space.space_size
    else old += space.space_size
  }
  return { new: young, old }
}

/** Runs one memory case in a fresh bench process against the running server; its KiB per run. */
const memoryCase = (origin: string, name: string) =>
  new Promise<InFlight>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", import.meta.filename], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, BENCH_ONLY: "memory", BENCH_MEMORY_CASE: name, BENCH_ORIGIN: origin }
    })
    let out = ""
    child.stdout.on("data", (data: Buffer) => (out += data.toString("utf8")))
    child.once("error", reject)
    child.once("exit", () => {
      const line = out.split("\n").find((l) => l.startsWith("{\"kib\""))
      if (line === undefined) reject(new Error(`memory case ${name} printed no figure`))
      else resolve(JSON.parse(line) as InFlight)
    })
  })

/** Runs the call figures of one transport in a fresh bench process against the running server; its tables on stdout. */
const callFiguresIn = (origin: string, name: string) =>
  new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, import.meta.filename], {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, BENCH_CALL_SDK: name, BENCH_ORIGIN: origin }
    })
    child.once("error", reject)
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`the ${name} call figures failed (exit ${code})`))))
  })

const main = async () => {
  const given = process.env["BENCH_ORIGIN"]
  const server = given !== undefined ? { origin: given, stop: () => {} } : await startServer()
  const origin = server.origin
  const dispatcher = new Undici.Agent()
  const makeSdk = (budget: NextmvClient.Options["budget"], transport = NodeHttpClient.layerUndici) =>
    ManagedRuntime.make(
      Runs.layer.pipe(
        Layer.provideMerge(Layer.mergeAll(Applications.layer, Uploads.layer)),
        Layer.provideMerge(NextmvClient.layer({ apiKey: Redacted.make("bench-key"), baseUrl: origin, budget })),
        Layer.provideMerge(Layer.mergeAll(transport, NodeContext.layer))
      )
    )
  // The SDK figures run with the request budget off: with the published limits (2,000 API
  // requests per minute) the budget is what sets the pace, by design. The "budget on" rows keep the
  // budget's machinery and its default cap of 16 requests in flight but raise the rate limits out
  // of reach, so they show what the limiter itself costs.
  const sdk = makeSdk(false)
  const limiter = { requests: 1_000_000, per: Duration.minutes(1) }
  const sdkBudget = makeSdk({ submission: limiter, results: limiter, api: limiter })
  // The call rows also run the SDK on `nextmv-effect/node`'s `NodeTransport.layer` (its fast path).
  const sdkNode = makeSdk(false, NodeTransport.layer)

  const cpu = cpus()
  if (CALL_SDK === undefined) {
    print(`# nextmv-effect bench — ${new Date().toISOString()}`)
    print(`machine: ${cpu.length} × ${cpu[0]?.model ?? "?"}, Node ${process.version}, ${process.platform}/${process.arch}`)
    print(
      `server: separate process (bench/server.ts); raw = undici Dispatcher.request; ratios are SDK / raw, min / median / max over rounds`
    )
    print()
  }

  const rawGet = () => rawGetApplication(dispatcher, origin)
  // A call per call, as a program does (`yield* apps.getApplication(id)`), not one effect re-run.
  const getOf = async (runtime: typeof sdk) => {
    const apps = await runtime.runPromise(Applications.Applications)
    return Effect.suspend(() => apps.getApplication("bench-app"))
  }
  // The SDK configurations of the call figures, by transport: each transport's figures run in a
  // process of their own (raw undici interleaved in the same process), so that one configuration's
  // garbage and V8's allocation decisions for it do not weigh on another's (a user's process runs
  // one transport).
  const callSdks = CALL_SDK === "node"
    ? [{ label: "NodeTransport, budget off", runtime: sdkNode }]
    : [
      { label: "platform undici, budget off", runtime: sdk },
      { label: "platform undici, budget on (16 in flight)", runtime: sdkBudget }
    ]
  const callFigures = ONLY === undefined || ONLY === "calls" || ONLY === "concurrency"
  if (callFigures && CALL_SDK === undefined) {
    for (const name of ["node", "platform"]) await callFiguresIn(origin, name)
  }

  if (CALL_SDK !== undefined && (ONLY === undefined || ONLY === "calls")) {
    const gets = await Promise.all(callSdks.map(({ runtime }) => getOf(runtime)))
    const [raw, ...sdks] = await compareAll(ROUNDS, [
      async () => {
        for (let i = 0; i < CALLS; i++) await rawGet()
      },
      ...callSdks.map(({ runtime }, i) => () => runtime.runPromise(Effect.repeatN(gets[i]!, CALLS - 1)))
    ])
    const perCall = (xs: Array<Sample>, key: "wallMs" | "cpuMs") => xs.map((s) => (s[key] * 1000) / CALLS)
    print(`## sequential getApplication, ${CALL_SDK === "node" ? "NodeTransport" : "platform undici"} (${CALLS} calls × ${ROUNDS} rounds)`)
    print(`| figure | raw µs/call (min/med/max) | SDK µs/call (min/med/max) | ratio (min/med/max) |`)
    print(`|---|---|---|---|`)
    for (const [label, samples] of callSdks.map((c, i) => [c.label, sdks[i]!] as const)) {
      for (const key of ["wallMs", "cpuMs"] as const) {
        const rawValues = perCall(raw!, key)
        const sdkValues = perCall(samples, key)
        print(
          `| ${key === "wallMs" ? "wall" : "CPU"}, ${label} | ${triple(rawValues, 1)} | ${triple(sdkValues, 1)} | ${
            triple(sdkValues.map((s, i) => s / rawValues[i]!))
          } |`
        )
      }
    }
    print()
  }

  if (CALL_SDK !== undefined && (ONLY === undefined || ONLY === "concurrency")) {
    // The same shape on both sides: CONCURRENCY workers, each sending its next call when the last
    // one is answered (not a fiber per call, which raw's promise loops do not pay either).
    const gets = await Promise.all(callSdks.map(({ runtime }) => getOf(runtime)))
    const concurrent = (runtime: typeof sdk, get: (typeof gets)[number]) => () => {
      let next = 0
      const worker = Effect.whileLoop({ while: () => next++ < CONCURRENT_CALLS, body: () => get, step: () => {} })
      return runtime.runPromise(Effect.all(Array.from({ length: CONCURRENCY }, () => worker), { concurrency: "unbounded", discard: true }))
    }
    const [raw, ...sdks] = await compareAll(ROUNDS, [
      async () => {
        let next = 0
        await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < CONCURRENT_CALLS) await rawGet()
        }))
      },
      ...callSdks.map(({ runtime }, i) => concurrent(runtime, gets[i]!))
    ])
    const rps = (xs: Array<Sample>) => xs.map((s) => CONCURRENT_CALLS / (s.wallMs / 1000))
    const cpuPerCall = (xs: Array<Sample>) => xs.map((s) => (s.cpuMs * 1000) / CONCURRENT_CALLS)
    const rawRps = rps(raw!)
    print(
      `## throughput at concurrency ${CONCURRENCY}, ${
        CALL_SDK === "node" ? "NodeTransport" : "platform undici"
      } (${CONCURRENT_CALLS} getApplication calls × ${ROUNDS} rounds)`
    )
    print(
      `| SDK | raw calls/s (min/med/max) | SDK calls/s (min/med/max) | ratio SDK/raw (min/med/max) | CPU µs/call raw / SDK (med) | raw / SDK young, full GCs per round (med) |`
    )
    print(`|---|---|---|---|---|---|`)
    const gcs = (xs: Array<Sample>) => `${stats(xs.map((s) => s.minorGcs)).median}, ${stats(xs.map((s) => s.majorGcs)).median}`
    for (const [label, samples] of callSdks.map((c, i) => [c.label, sdks[i]!] as const)) {
      const sdkRps = rps(samples)
      print(
        `| ${label} | ${triple(rawRps, 0)} | ${triple(sdkRps, 0)} | ${triple(sdkRps.map((s, i) => s / rawRps[i]!))} | ${
          fmt(stats(cpuPerCall(raw!)).median, 1)
        } / ${fmt(stats(cpuPerCall(samples)).median, 1)} | ${gcs(raw!)} / ${gcs(samples)} |`
      )
    }
    print()
  }

  if (CALL_SDK === undefined && (ONLY === undefined || ONLY === "memory")) {
    // RSS per in-flight `newRunWithResult`: RUNS_IN_FLIGHT runs polled against the server (always
    // "running"), against a plain promise loop doing the same requests on a capped undici Agent.
    const pollEvery = 2_000
    const rawAgent = new Undici.Agent({ connections: NextmvClient.DEFAULT_MAX_CONNECTIONS })
    const rawRuns = async (runs: number, stop: { stopped: boolean }) => {
      const headers = { authorization: "Bearer bench-key", "content-type": "application/json" }
      await Promise.all(Array.from({ length: runs }, async () => {
        const posted = await rawAgent.request({
          origin,
          path: "/v1/applications/bench-app/runs",
          method: "POST",
          headers,
          body: JSON.stringify({ input: { value: 1 } })
        })
        const { run_id } = (await posted.body.json()) as { run_id: string }
        while (!stop.stopped) {
          await new Promise((resolve) => setTimeout(resolve, pollEvery))
          const response = await rawAgent.request({
            origin,
            path: `/v1/applications/bench-app/runs/${run_id}/metadata`,
            method: "GET",
            headers
          })
          await response.body.json()
        }
      }))
    }
    const polling = {
      initialDelay: Duration.millis(pollEvery),
      delay: Duration.millis(pollEvery),
      backoff: Duration.zero,
      jitter: Duration.millis(50),
      maxDelay: Duration.millis(pollEvery),
      maxDuration: Duration.minutes(10),
      maxTries: -1
    }
    const inFlight = async (start: (runs: number) => { stop: () => Promise<unknown> }): Promise<InFlight> => {
      // Warm-up: a few runs through submission and two checks, then stopped, so that one-time
      // costs (compiled code, first allocations of the runtime and the HTTP stack) are not counted
      // per run.
      const warm = start(MEMORY_WARM_RUNS)
      await new Promise((resolve) => setTimeout(resolve, 2 * pollEvery + 1_000))
      await warm.stop()
      gc()
      const rss0 = process.memoryUsage.rss()
      const heap0 = process.memoryUsage().heapUsed
      const spaces0 = spaceSizes()
      const running = start(RUNS_IN_FLIGHT)
      // Let every run be submitted and polled twice, collect the garbage (what is left is what the
      // runs in flight hold), then sample the peak over one more polling interval.
      await new Promise((resolve) => setTimeout(resolve, 2 * pollEvery + 1_000))
      gc()
      const heap = process.memoryUsage().heapUsed - heap0
      let peak = 0
      let spacesAtPeak = spaces0
      for (let i = 0; i < 20; i++) {
        const rss = process.memoryUsage.rss()
        if (rss > peak) {
          peak = rss
          spacesAtPeak = spaceSizes()
        }
        await new Promise((resolve) => setTimeout(resolve, pollEvery / 20))
      }
      await running.stop()
      const perRun = (bytes: number) => bytes / 1024 / RUNS_IN_FLIGHT
      return {
        kib: perRun(peak - rss0),
        heapKib: perRun(heap),
        newSpaceKib: perRun(spacesAtPeak.new - spaces0.new),
        oldSpaceKib: perRun(spacesAtPeak.old - spaces0.old)
      }
    }
    const rawKiB: Array<InFlight> = []
    const sdkKiB: Array<InFlight> = []
    const trackedKiB: Array<InFlight> = []
    const fiberKiB: Array<InFlight> = []
    const sdkNodeKiB: Array<InFlight> = []
    const sdkRuns = (tracked: boolean, runtime = sdk) => (runs: number) => {
      const all = Effect.forEach(
        Array.from({ length: runs }),
        () => RunsPrograms.newRunWithResult("bench-app", { input: { value: 1 }, polling }),
        { concurrency: "unbounded", discard: true }
      )
      // With a `RunTracker` the runs are followed by its one scheduler (one waiting fiber per run).
      const fiber = runtime.runFork(
        tracked ? Effect.provide(all, RunTracker.layer({ polling, concurrency: CONCURRENCY })) : all
      )
      return { stop: () => runtime.runPromise(Fiber.interrupt(fiber)) }
    }
    const cases = {
      // The floor of any Effect program that runs one fiber per run: a bare fiber that waits.
      fiber: (runs: number) => {
        const fibers = sdk.runSync(Effect.forEach(Array.from({ length: runs }), () => Effect.forkDaemon(Effect.never)))
        return { stop: () => sdk.runPromise(Fiber.interruptAll(fibers)) }
      },
      raw: (runs: number) => {
        const stop = { stopped: false }
        const done = rawRuns(runs, stop)
        return { stop: () => ((stop.stopped = true), done) }
      },
      sdk: sdkRuns(false),
      sdkNode: sdkRuns(false, sdkNode),
      tracked: sdkRuns(true, sdkNode)
    }
    if (MEMORY_CASE !== undefined) {
      // A child of the bench: one case in a fresh process, its figure on stdout.
      const figures = await inFlight(cases[MEMORY_CASE as keyof typeof cases])
      process.stdout.write(`${JSON.stringify(figures)}\n`)
    } else {
      for (let round = 0; round < MEMORY_ROUNDS; round++) {
        // Each case in a fresh process: the heap a process grew for one case is never given back
        // to the system in time for the next.
        rawKiB.push(await memoryCase(origin, "raw"))
        sdkKiB.push(await memoryCase(origin, "sdk"))
        trackedKiB.push(await memoryCase(origin, "tracked"))
        fiberKiB.push(await memoryCase(origin, "fiber"))
        sdkNodeKiB.push(await memoryCase(origin, "sdkNode"))
      }
    }
    await rawAgent.close()
    if (MEMORY_CASE === undefined) print(`## memory: ${RUNS_IN_FLIGHT} runs in flight at once (${MEMORY_ROUNDS} rounds, budget off)`)
    if (MEMORY_CASE === undefined) {
      print(
        `| per in-flight run (after a full GC, polled every ${
          pollEvery / 1000
        } s), KiB/run min/med/max | RSS growth | JS heap growth | V8 heap committed growth (at the RSS peak) |`
      )
      print(`|---|---|---|---|`)
      const row = (name: string, xs: ReadonlyArray<InFlight>) =>
        print(
          `| ${name} | ${triple(xs.map((x) => x.kib), 1)} | ${triple(xs.map((x) => x.heapKib), 1)} | ${
            triple(xs.map((x) => x.newSpaceKib + x.oldSpaceKib), 1)
          } |`
        )
      row(`raw promise loop (undici, ${NextmvClient.DEFAULT_MAX_CONNECTIONS} connections)`, rawKiB)
      row("SDK newRunWithResult, each run polling on its own", sdkKiB)
      row("the same on `NodeTransport.layer` (nextmv-effect/node)", sdkNodeKiB)
      row("SDK newRunWithResult with RunTracker.layer (on `NodeTransport.layer`)", trackedKiB)
      row("floor: a bare Effect fiber per run (`Effect.forkDaemon(Effect.never)`)", fiberKiB)
      print()
    }
  }

  if (CALL_SDK === undefined && (ONLY === undefined || ONLY === "transfers")) {
    // Transfers run on `NodeTransport.layer` (the recommended transport, with its streaming path);
    // `BENCH_TRANSFER_TRANSPORT=platform` runs them on the platform's undici `HttpClient` instead.
    const transferSdk = process.env["BENCH_TRANSFER_TRANSPORT"] === "platform" ? sdk : sdkNode
    const uploads = await transferSdk.runPromise(Uploads.Uploads)
    const client = await transferSdk.runPromise(NextmvClient.NextmvClient)
    const fs = await transferSdk.runPromise(FileSystem.FileSystem)
    const bytes = TRANSFER_MIB * MIB
    const dir = mkdtempSync(join(tmpdir(), "nextmv-bench-"))
    try {
      // `BENCH_TRANSFERS=file,stream,download` runs only some of the cases (all by default).
      const only = process.env["BENCH_TRANSFERS"]?.split(",")
      const keys = ["file", "stream", "download"]
      const source = join(dir, "source.bin")
      const block = Buffer.alloc(MIB, 98)
      if (only === undefined || only.includes("file")) {
        const fd = openSync(source, "w")
        for (let i = 0; i < TRANSFER_MIB; i++) writeSync(fd, block)
        closeSync(fd)
      }
      const uploadUrl = `${origin}/upload?signature=bench`
      const put = (body: Readable) => rawPut(dispatcher, origin, bytes, body)
      const blocks = function*() {
        for (let i = 0; i < TRANSFER_MIB; i++) yield block
      }
      const target = join(dir, "download.bin")
      const cases: Array<readonly [string, () => Promise<unknown>, () => Promise<unknown>]> = [
        [
          "upload from a file",
          () => put(createReadStream(source)),
          () => transferSdk.runPromise(uploads.uploadData(uploadUrl, Uploads.UploadData.file(source)))
        ],
        [
          "upload from a stream of known length",
          () => put(Readable.from(blocks())),
          () =>
            transferSdk.runPromise(
              uploads.uploadData(uploadUrl, Uploads.UploadData.stream(Stream.fromIterable(blocks()), { length: bytes }))
            )
        ],
        [
          "download to disk",
          async () => {
            const response = await dispatcher.request({ origin, path: `/download?bytes=${bytes}`, method: "GET" })
            await pipeline(response.body, createWriteStream(target))
            if (statSync(target).size !== bytes) throw new Error("short download")
          },
          // The SDK's download-to-disk path (`Runs` downloads of run outputs and assets).
          async () => {
            await transferSdk.runPromise(
              downloadToPath(client.presigned, fs, target, HttpClientRequest.get(`${origin}/download?bytes=${bytes}&signature=bench`))
            )
            if (statSync(target).size !== bytes) throw new Error("short download")
          }
        ]
      ]
      print(
        `## transfers (${TRANSFER_MIB} MiB × ${TRANSFER_ROUNDS} rounds, SDK on ${
          transferSdk === sdk ? "the platform undici HttpClient" : "NodeTransport.layer"
        })`
      )
      print(
        `| case | raw wall s (med) | SDK wall s (med) | wall ratio (min/med/max) | raw / SDK CPU s (med) | CPU ratio (min/med/max) | raw RSS growth MiB (max) | SDK RSS growth MiB (max) |`
      )
      print(`|---|---|---|---|---|---|---|---|`)
      const memoryRows: Array<readonly [string, { readonly raw: Array<Sample>; readonly sdk: Array<Sample> }]> = []
      for (const [name, raw, sdkCase] of cases.filter((_, i) => only === undefined || only.includes(keys[i]!))) {
        // Both sides do the same disk work: the download target is removed before every run
        // (outside the measurement), so neither side pays for truncating the other's file.
        const result = { raw: [] as Array<Sample>, sdk: [] as Array<Sample> }
        await raw()
        await sdkCase()
        // No full GC is forced here: after a forced full GC, V8 may keep its old-generation limit
        // next to the live heap, and then every transfer pays dozens of full collections (raw too;
        // the SDK, which promotes more small objects per buffer, about twice as many).
        // `BENCH_TRANSFER_GC=1` forces one first, for that regime. Each run's RSS baseline is the
        // process at idle just before it (`measure`'s baseline: after a scavenge).
        if (process.env["BENCH_TRANSFER_GC"] === "1") gc()
        for (let i = 0; i < TRANSFER_ROUNDS; i++) {
          // Alternating who goes first.
          for (const side of i % 2 === 0 ? ["raw", "sdk"] as const : ["sdk", "raw"] as const) {
            rmSync(target, { force: true })
            result[side].push(await measure(side === "raw" ? raw : sdkCase))
          }
        }
        memoryRows.push([name, result])
        const rawWall = result.raw.map((s) => s.wallMs / 1000)
        const sdkWall = result.sdk.map((s) => s.wallMs / 1000)
        const rawCpu = result.raw.map((s) => s.cpuMs / 1000)
        const sdkCpu = result.sdk.map((s) => s.cpuMs / 1000)
        print(
          `| ${name} | ${fmt(stats(rawWall).median)} | ${fmt(stats(sdkWall).median)} | ${
            triple(sdkWall.map((s, i) => s / rawWall[i]!))
          } | ${fmt(stats(rawCpu).median)} / ${fmt(stats(sdkCpu).median)} | ${triple(sdkCpu.map((s, i) => s / rawCpu[i]!))} | ${
            fmt(stats(result.raw.map((s) => s.rssGrowthMiB)).max, 1)
          } | ${fmt(stats(result.sdk.map((s) => s.rssGrowthMiB)).max, 1)} |`
        )
      }
      print()
      // What the RSS column is made of: the peak growth of `ArrayBuffer` memory (exact, unlike the
      // RSS, which also moves with what the allocator gives back to the system) and the collections.
      // The RSS growth of every round too (min / median / max): it swings with the allocator's state.
      print(
        `| case | raw / SDK ArrayBuffer growth MiB (max) | raw RSS growth MiB (min/med/max) | SDK RSS growth MiB (min/med/max) | raw / SDK young GCs per run (med) | raw / SDK full GCs per run (med) |`
      )
      print(`|---|---|---|---|---|---|`)
      for (const [name, { raw, sdk: sdkSamples }] of memoryRows) {
        const max = (xs: Array<Sample>) => fmt(stats(xs.map((s) => s.arrayBuffersGrowthMiB)).max, 1)
        const rss = (xs: Array<Sample>) => triple(xs.map((s) => s.rssGrowthMiB), 1)
        const median = (xs: Array<Sample>, key: "minorGcs" | "majorGcs") => stats(xs.map((s) => s[key])).median
        print(
          `| ${name} | ${max(raw)} / ${max(sdkSamples)} | ${rss(raw)} | ${rss(sdkSamples)} | ${median(raw, "minorGcs")} / ${
            median(sdkSamples, "minorGcs")
          } | ${median(raw, "majorGcs")} / ${median(sdkSamples, "majorGcs")} |`
        )
      }
      print()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  await sdk.dispose()
  await sdkNode.dispose()
  await sdkBudget.dispose()
  await dispatcher.close()
  server.stop()
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
