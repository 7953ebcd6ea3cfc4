/**
 * Profiles one transfer case: `node scripts/bench.mjs bench/profile-download.ts` downloads
 * `PROFILE_MIB` (1024) MiB to disk from the bench server, `PROFILE_RAW=1` with raw undici.
 */
import { FileSystem, HttpClientRequest } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import * as Undici from "@effect/platform-node/Undici"
import { Layer, ManagedRuntime, Redacted, Stream } from "effect"
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pipeline } from "node:stream/promises"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { Session } from "node:inspector/promises"
import { writeFileSync } from "node:fs"
import { NodeTransport } from "../src/node/index.js"
import { downloadToPath, writeStreamToFile } from "../src/internal/fileStreams.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { startServer } from "./application.js"

setFlagsFromString("--expose-gc")
const MIB = 1024 * 1024
const bytes = Number(process.env["PROFILE_MIB"] ?? 1024) * MIB

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
  const writeSize = Number(process.env["PROFILE_WRITE_KIB"] ?? 1024) * 1024
  // `PROFILE_PATH=stream`: the SDK writes `presigned.stream` (the generic way) instead of `toFile`.
  const viaSdk = () => {
    const request = HttpClientRequest.get(`${origin}/download?bytes=${bytes}&signature=b`)
    return sdk.runPromise(
      process.env["PROFILE_PATH"] === "stream"
        ? writeStreamToFile(fs, target, client.presigned.stream(request), writeSize)
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
  const mode = process.env["PROFILE_RAW"]
  if (mode === "drain") {
    for (let i = 0; i < 8; i++) {
      const [name, f] = i % 2 === 0 ? ["raw drain", rawDrain] as const : ["sdk drain", sdkDrain] as const
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      await f()
      const cpu = process.cpuUsage(cpu0)
      console.log(
        `${name} wall ${((performance.now() - t0) / 1000).toFixed(2)} s, user ${(cpu.user / 1e6).toFixed(2)} s, system ${
          (cpu.system / 1e6).toFixed(2)
        } s`
      )
    }
  }
  const run = mode === "1" ? raw : viaSdk
  await raw()
  await viaSdk()
  // `PROFILE_GC=1`: a forced full GC first (the bench's bad garbage-collection regime).
  if (process.env["PROFILE_GC"] === "1") runInNewContext("gc")()
  if (mode === "both") {
    for (let i = 0; i < 6; i++) {
      const [name, f] = i % 2 === 0 ? ["raw", raw] as const : ["sdk", viaSdk] as const
      rmSync(target, { force: true })
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      await f()
      const cpu = process.cpuUsage(cpu0)
      console.log(
        `${name} wall ${((performance.now() - t0) / 1000).toFixed(2)} s, user ${(cpu.user / 1e6).toFixed(2)} s, system ${
          (cpu.system / 1e6).toFixed(2)
        } s`
      )
    }
  }
  const session = new Session()
  session.connect()
  const out = process.env["PROFILE_OUT"]
  if (out) {
    await session.post("Profiler.enable")
    await session.post("Profiler.start")
  }
  // `PROFILE_HEAP=download.heapprofile`: where the measured runs allocate (sampling heap profiler).
  const heapOut = process.env["PROFILE_HEAP"]
  if (heapOut) {
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: 16384,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true
    })
  }
  for (let i = 0; i < 3; i++) {
    rmSync(target, { force: true })
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await run()
    const cpu = process.cpuUsage(cpu0)
    console.log(
      `wall ${((performance.now() - t0) / 1000).toFixed(2)} s, user ${(cpu.user / 1e6).toFixed(2)} s, system ${
        (cpu.system / 1e6).toFixed(2)
      } s, size ${statSync(target).size === bytes}`
    )
  }
  if (out) {
    const { profile } = await session.post("Profiler.stop")
    writeFileSync(out, JSON.stringify(profile))
  }
  if (heapOut) {
    const { profile } = await session.post("HeapProfiler.stopSampling")
    writeFileSync(heapOut, JSON.stringify(profile))
  }
  await sdk.dispose()
  await dispatcher.close()
  rmSync(dir, { recursive: true, force: true })
  server.stop()
}
main()
