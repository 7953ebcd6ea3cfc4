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
 * `BENCH_CONCURRENT_CALLS` (6400), `BENCH_TRANSFER_MIB` (256; 1024 for the 1 GiB figures),
 * `BENCH_TRANSFER_ROUNDS` (3), `BENCH_ONLY` (`calls`, `concurrency` or `transfers`).
 */
import { FileSystem, HttpClientRequest } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import * as Undici from "@effect/platform-node/Undici"
import { Effect, Layer, ManagedRuntime, Redacted, Stream } from "effect"
import { spawn } from "node:child_process"
import { closeSync, createReadStream, createWriteStream, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import * as Applications from "../src/services/Applications.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import * as Uploads from "../src/services/Uploads.js"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const ROUNDS = env("BENCH_ROUNDS", 5)
const CALLS = env("BENCH_CALLS", 2000)
const CONCURRENT_CALLS = env("BENCH_CONCURRENT_CALLS", 6400)
const CONCURRENCY = 64
const TRANSFER_MIB = env("BENCH_TRANSFER_MIB", 256)
const TRANSFER_ROUNDS = env("BENCH_TRANSFER_ROUNDS", 3)
const ONLY = process.env["BENCH_ONLY"]
const MIB = 1024 * 1024

// ---------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------

interface Sample {
  readonly wallMs: number
  readonly cpuMs: number
  readonly rssGrowthMiB: number
}

/** Runs `f` once, measuring wall time, process CPU time and peak RSS growth (sampled every 5 ms). */
const measure = async (f: () => Promise<unknown>): Promise<Sample> => {
  gc()
  const rss0 = process.memoryUsage.rss()
  let peak = rss0
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss())
  }, 5)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await f()
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  clearInterval(sampler)
  peak = Math.max(peak, process.memoryUsage.rss())
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, rssGrowthMiB: (peak - rss0) / MIB }
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

/** Interleaves raw and SDK for `rounds` rounds (after one warm-up each). */
const compare = async (rounds: number, raw: () => Promise<unknown>, sdk: () => Promise<unknown>) => {
  await raw()
  await sdk()
  const out = { raw: [] as Array<Sample>, sdk: [] as Array<Sample> }
  for (let i = 0; i < rounds; i++) {
    // Alternate who goes first, so neither side always runs on a warmer process.
    if (i % 2 === 0) {
      out.raw.push(await measure(raw))
      out.sdk.push(await measure(sdk))
    } else {
      out.sdk.push(await measure(sdk))
      out.raw.push(await measure(raw))
    }
  }
  return out
}

const lines: Array<string> = []
const print = (line = "") => {
  lines.push(line)
  console.log(line)
}

// ---------------------------------------------------------------------------------------------
// Server process
// ---------------------------------------------------------------------------------------------

const startServer = () =>
  new Promise<{ origin: string; stop: () => void }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "server.ts")], {
      stdio: ["pipe", "pipe", "inherit"]
    })
    child.once("error", reject)
    child.stdout.once("data", (data: Buffer) => {
      const { port } = JSON.parse(data.toString("utf8")) as { port: number }
      resolve({ origin: `http://127.0.0.1:${port}`, stop: () => child.kill() })
    })
  })

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

const main = async () => {
  const server = await startServer()
  const origin = server.origin
  const dispatcher = new Undici.Agent()
  const sdk = ManagedRuntime.make(
    Layer.mergeAll(Applications.layer, Uploads.layer).pipe(
      Layer.provideMerge(NextmvClient.layer({ apiKey: Redacted.make("bench-key"), baseUrl: origin })),
      Layer.provideMerge(Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer))
    )
  )
  const apps = await sdk.runPromise(Applications.Applications)
  const uploads = await sdk.runPromise(Uploads.Uploads)
  const client = await sdk.runPromise(NextmvClient.NextmvClient)
  const fs = await sdk.runPromise(FileSystem.FileSystem)

  const cpu = cpus()
  print(`# nextmv-effect bench — ${new Date().toISOString()}`)
  print(`machine: ${cpu.length} × ${cpu[0]?.model ?? "?"}, Node ${process.version}, ${process.platform}/${process.arch}`)
  print(`server: separate process (bench/server.ts); raw = undici Dispatcher.request; ratios are SDK / raw, min / median / max over rounds`)
  print()

  const rawGet = async () => {
    const response = await dispatcher.request({
      origin,
      path: "/v1/applications/bench-app",
      method: "GET",
      headers: { authorization: "Bearer bench-key" }
    })
    return response.body.json()
  }
  const sdkGet = apps.getApplication("bench-app")

  if (ONLY === undefined || ONLY === "calls") {
    const result = await compare(
      ROUNDS,
      async () => {
        for (let i = 0; i < CALLS; i++) await rawGet()
      },
      () => sdk.runPromise(Effect.repeatN(sdkGet, CALLS - 1))
    )
    const perCall = (xs: Array<Sample>, key: "wallMs" | "cpuMs") => xs.map((s) => (s[key] * 1000) / CALLS)
    print(`## sequential getApplication (${CALLS} calls × ${ROUNDS} rounds)`)
    print(`| figure | raw µs/call (min/med/max) | SDK µs/call (min/med/max) | ratio (min/med/max) |`)
    print(`|---|---|---|---|`)
    for (const key of ["wallMs", "cpuMs"] as const) {
      const raw = perCall(result.raw, key)
      const sdkValues = perCall(result.sdk, key)
      print(
        `| ${key === "wallMs" ? "wall" : "CPU"} | ${triple(raw, 1)} | ${triple(sdkValues, 1)} | ${
          triple(sdkValues.map((s, i) => s / raw[i]!))
        } |`
      )
    }
    print()
  }

  if (ONLY === undefined || ONLY === "concurrency") {
    const result = await compare(
      ROUNDS,
      async () => {
        let next = 0
        await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < CONCURRENT_CALLS) await rawGet()
        }))
      },
      () =>
        sdk.runPromise(
          Effect.forEach(Array.from({ length: CONCURRENT_CALLS }), () => sdkGet, { concurrency: CONCURRENCY, discard: true })
        )
    )
    const rps = (xs: Array<Sample>) => xs.map((s) => CONCURRENT_CALLS / (s.wallMs / 1000))
    const raw = rps(result.raw)
    const sdkValues = rps(result.sdk)
    print(`## throughput at concurrency ${CONCURRENCY} (${CONCURRENT_CALLS} getApplication calls × ${ROUNDS} rounds)`)
    print(`| raw calls/s (min/med/max) | SDK calls/s (min/med/max) | ratio SDK/raw (min/med/max) |`)
    print(`|---|---|---|`)
    print(`| ${triple(raw, 0)} | ${triple(sdkValues, 0)} | ${triple(sdkValues.map((s, i) => s / raw[i]!))} |`)
    print()
  }

  if (ONLY === undefined || ONLY === "transfers") {
    const bytes = TRANSFER_MIB * MIB
    const dir = mkdtempSync(join(tmpdir(), "nextmv-bench-"))
    try {
      const source = join(dir, "source.bin")
      const block = Buffer.alloc(MIB, 98)
      const fd = openSync(source, "w")
      for (let i = 0; i < TRANSFER_MIB; i++) writeSync(fd, block)
      closeSync(fd)
      const uploadUrl = `${origin}/upload?signature=bench`
      const rawPut = async (body: Readable) => {
        const response = await dispatcher.request({
          origin,
          path: "/upload?signature=bench",
          method: "PUT",
          headers: { "content-length": String(bytes), "content-type": "application/octet-stream" },
          body
        })
        await response.body.text()
      }
      const blocks = function*() {
        for (let i = 0; i < TRANSFER_MIB; i++) yield block
      }
      const target = join(dir, "download.bin")
      const cases: Array<readonly [string, () => Promise<unknown>, () => Promise<unknown>]> = [
        [
          "upload from a file",
          () => rawPut(createReadStream(source)),
          () => sdk.runPromise(uploads.uploadData(uploadUrl, Uploads.UploadData.file(source)))
        ],
        [
          "upload from a stream of known length",
          () => rawPut(Readable.from(blocks())),
          () =>
            sdk.runPromise(
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
          () =>
            sdk.runPromise(
              Stream.run(
                client.presigned.stream(HttpClientRequest.get(`${origin}/download?bytes=${bytes}&signature=bench`)),
                fs.sink(target)
              )
            )
        ]
      ]
      print(`## transfers (${TRANSFER_MIB} MiB × ${TRANSFER_ROUNDS} rounds)`)
      print(
        `| case | raw wall s (med) | SDK wall s (med) | wall ratio (min/med/max) | raw RSS growth MiB (max) | SDK RSS growth MiB (max) |`
      )
      print(`|---|---|---|---|---|---|`)
      for (const [name, raw, sdkCase] of cases) {
        const result = await compare(TRANSFER_ROUNDS, raw, sdkCase)
        const rawWall = result.raw.map((s) => s.wallMs / 1000)
        const sdkWall = result.sdk.map((s) => s.wallMs / 1000)
        print(
          `| ${name} | ${fmt(stats(rawWall).median)} | ${fmt(stats(sdkWall).median)} | ${
            triple(sdkWall.map((s, i) => s / rawWall[i]!))
          } | ${fmt(stats(result.raw.map((s) => s.rssGrowthMiB)).max, 1)} | ${fmt(stats(result.sdk.map((s) => s.rssGrowthMiB)).max, 1)} |`
        )
      }
      print()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  await sdk.dispose()
  await dispatcher.close()
  server.stop()
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
