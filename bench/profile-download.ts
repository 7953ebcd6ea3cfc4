/**
 * Profiles one download case: `node scripts/bench.mjs bench/profile-download.ts` downloads
 * `PROFILE_MIB` (1024) MiB to disk from the bench server with the SDK (`downloadToPath` on
 * `NodeTransport`), three times after a warm-up, and prints per run: wall, user and system CPU,
 * the peak growth of `ArrayBuffer` memory and of the RSS over the idle process (after a scavenge,
 * as the bench's transfer baseline), the garbage collections (young / full) and the page faults.
 *
 * - `PROFILE_RAW=1`: raw undici (`Dispatcher.request` + `pipeline` into `createWriteStream`);
 *   `both`: raw and SDK interleaved (6 runs) before the three measured SDK runs; `drain`: raw and
 *   SDK without the disk (`PROFILE_PATH=stream`: the SDK writes `presigned.stream` instead).
 * - `PROFILE_RAW=socket`: the floor of any Node program that reads a socket the usual way — a
 *   plain `net` socket (a hand-written GET, every byte dropped, no HTTP parser, no disk), which gets
 *   a fresh buffer per read; `socket-onread`: the same socket reading into one reused buffer
 *   (`net`'s `onread`), which allocates nothing per read. Compare their `ArrayBuffer` growth and
 *   young GCs. The SDK's downloads to disk read the `onread` way (`NodeTransport.layer`'s
 *   `FileDownloadAgent`, `src/node/reusedReads.ts`).
 * - `PROFILE_GC=1`: a forced full GC first (the bench's bad garbage-collection regime).
 * - `PROFILE_OUT=download.cpuprofile`: a CPU profile of the measured runs;
 *   `PROFILE_HEAP=download.heapprofile`: a sampling heap profile.
 */
import { FileSystem, HttpClientRequest } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import * as Undici from "@effect/platform-node/Undici"
import { Layer, ManagedRuntime, Redacted, Stream } from "effect"
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs"

import * as Net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { constants, PerformanceObserver } from "node:perf_hooks"
import { pipeline } from "node:stream/promises"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { downloadToPath, writeStreamToFile } from "../src/internal/fileStreams.js"
import { NodeTransport } from "../src/node/index.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { peakRss, resetPeakRss, startProfiles, startServer } from "./application.js"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as (options?: { readonly type: "minor" | "major" }) => void
const MIB = 1024 * 1024
const bytes = Number(process.env["PROFILE_MIB"] ?? 1024) * MIB

const gcs = { minor: 0, major: 0 }
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as unknown as { readonly detail?: { readonly kind?: number } }).detail?.kind
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gcs.minor++
    else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcs.major++
  }
}).observe({ entryTypes: ["gc"] })

/** Runs `f` once and prints its figures (see the module comment). */
const timed = async (name: string, f: () => Promise<unknown>) => {
  // Two scavenges (the second one waits for the first one's sweep of dead `ArrayBuffer`s, which
  // runs on a background thread), then a moment for the second one's.
  gc({ type: "minor" })
  gc({ type: "minor" })
  await new Promise((resolve) => setTimeout(resolve, 20))
  const rss0 = process.memoryUsage.rss()
  const arrayBuffers0 = process.memoryUsage().arrayBuffers
  // The kernel's peak RSS (Linux), reset here: exact, where the sampler may miss a peak.
  resetPeakRss()
  let rss = rss0
  let arrayBuffers = arrayBuffers0
  const sample = () => {
    const usage = process.memoryUsage()
    rss = Math.max(rss, usage.rss)
    arrayBuffers = Math.max(arrayBuffers, usage.arrayBuffers)
  }
  const sampler = setInterval(sample, 5)
  const gcs0 = { ...gcs }
  const usage0 = process.resourceUsage()
  const t0 = performance.now()
  await f()
  const wall = performance.now() - t0
  const usage = process.resourceUsage()
  clearInterval(sampler)
  sample()
  rss = Math.max(rss, peakRss() ?? 0)
  const s = (micros: number) => (micros / 1e6).toFixed(2)
  const mib = (b: number) => (b / MIB).toFixed(1)
  console.log(
    `${name.padEnd(13)} wall ${(wall / 1000).toFixed(2)} s, user ${s(usage.userCPUTime - usage0.userCPUTime)} s, system ${
      s(usage.systemCPUTime - usage0.systemCPUTime)
    } s | peak growth: ArrayBuffers ${mib(arrayBuffers - arrayBuffers0)} MiB, RSS ${mib(rss - rss0)} MiB | GCs young ${
      gcs.minor - gcs0.minor
    } full ${gcs.major - gcs0.major} | page faults ${usage.minorPageFault - usage0.minorPageFault}`
  )
}

const main = async () => {
  const server = await startServer()
  const origin = server.origin
  const dir = mkdtempSync(join(tmpdir(), "nextmv-prof-"))
  const target = join(dir, "download.bin")
  const dispatcher = new Undici.Agent()
  const sdk = ManagedRuntime.make(
    NextmvClient.layer({ apiKey: Redacted.make("k"), baseUrl: origin, budget: false }).pipe(
      Layer.provideMerge(Layer.mergeAll(NodeTransport.layer, NodeContext.layer))
    )
  )
  const client = await sdk.runPromise(NextmvClient.NextmvClient)
  const fs = await sdk.runPromise(FileSystem.FileSystem)
  const raw = async () => {
    const response = await dispatcher.request({ origin, path: `/download?bytes=${bytes}`, method: "GET" })
    await pipeline(response.body, createWriteStream(target))
  }
  // `PROFILE_PATH=stream`: the SDK writes `presigned.stream` (the generic way) instead of `toFile`.
  const viaSdk = () => {
    const request = HttpClientRequest.get(`${origin}/download?bytes=${bytes}&signature=b`)
    return sdk.runPromise(
      process.env["PROFILE_PATH"] === "stream"
        ? writeStreamToFile(fs, target, client.presigned.stream(request))
        : downloadToPath(client.presigned, fs, target, request)
    )
  }
  const rawDrain = async () => {
    const response = await dispatcher.request({ origin, path: `/download?bytes=${bytes}`, method: "GET" })
    for await (const _ of response.body) {
      // drained
    }
  }
  const sdkDrain = () =>
    sdk.runPromise(Stream.runDrain(client.presigned.stream(HttpClientRequest.get(`${origin}/download?bytes=${bytes}&signature=b`))))
  const { port } = new URL(origin)
  const get = `GET /download?bytes=${bytes} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`
  /** A plain socket reading the response (headers included) until the server closes it. */
  const socket = (reused: Buffer | undefined) =>
    new Promise<void>((resolve, reject) => {
      let got = 0
      const connection = reused === undefined
        ? Net.connect(Number(port), "127.0.0.1").on("data", (chunk: Buffer) => {
          got += chunk.length
        })
        : Net.connect({
          port: Number(port),
          host: "127.0.0.1",
          onread: {
            buffer: reused,
            callback: (n: number) => {
              got += n
              return true
            }
          }
        })
      connection.on("connect", () => connection.write(get))
      connection.on("end", () => (got >= bytes ? resolve() : reject(new Error(`read ${got} of ${bytes} bytes`))))
      connection.on("error", reject)
    })
  const mode = process.env["PROFILE_RAW"]
  if (mode === "socket" || mode === "socket-onread") {
    const reused = mode === "socket" ? undefined : Buffer.alloc(64 * 1024)
    await socket(reused)
    if (process.env["PROFILE_GC"] === "1") gc()
    for (let i = 0; i < 3; i++) await timed(mode, () => socket(reused))
  } else {
    if (mode === "drain") {
      for (let i = 0; i < 8; i++) {
        if (i % 2 === 0) await timed("raw drain", rawDrain)
        else await timed("sdk drain", sdkDrain)
      }
    }
    const run = mode === "1" ? raw : viaSdk
    await raw()
    await viaSdk()
    if (process.env["PROFILE_GC"] === "1") gc()
    if (mode === "both") {
      for (let i = 0; i < 6; i++) {
        rmSync(target, { force: true })
        if (i % 2 === 0) await timed("raw", raw)
        else await timed("sdk", viaSdk)
      }
    }
    // `PROFILE_HEAP=download.heapprofile`: where the measured runs allocate (sampling heap profiler).
    const profiles = await startProfiles({
      cpuOut: process.env["PROFILE_OUT"],
      heapOut: process.env["PROFILE_HEAP"],
      samplingInterval: 16384,
      includeMinor: true
    })
    for (let i = 0; i < 3; i++) {
      rmSync(target, { force: true })
      await timed(mode === "1" ? "raw" : "sdk", run)
      if (statSync(target).size !== bytes) throw new Error("short download")
    }
    await profiles.stop()
  }
  await sdk.dispose()
  await dispatcher.close()
  rmSync(dir, { recursive: true, force: true })
  server.stop()
}
main()
