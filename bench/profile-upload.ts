/**
 * Profiles one upload case in a process of its own: `node scripts/bench.mjs bench/profile-upload.ts`
 * uploads `PROFILE_MIB` (1024) MiB to the bench server, `PROFILE_CASE=file` (the default) from a
 * file or `stream` from a stream of known length (1 MiB blocks), with the SDK on
 * `NodeTransport.layer` (`PROFILE_SIDE=sdk`, the default), on the platform's undici `HttpClient`
 * (`platform`) or with raw undici (`raw`: `createReadStream` / `Readable.from`); `both` interleaves
 * raw and the SDK. After one warm-up each, `PROFILE_ROUNDS` (3) measured runs print wall and CPU
 * time and the peak growth of RSS, `arrayBuffers` and `external` over the process at idle (sampled
 * every 5 ms). `PROFILE_OUT=upload.cpuprofile` writes a CPU profile of the measured runs.
 */
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import * as Undici from "@effect/platform-node/Undici"
import { Layer, ManagedRuntime, Redacted, Stream } from "effect"
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from "node:fs"

import { tmpdir } from "node:os"
import { join } from "node:path"
import { Readable } from "node:stream"
import { NodeTransport } from "../src/node/index.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import * as Uploads from "../src/services/Uploads.js"
import { rawPut, startProfiles, startServer } from "./application.js"

const MIB = 1024 * 1024
const mib = Number(process.env["PROFILE_MIB"] ?? 1024)
const bytes = mib * MIB
const rounds = Number(process.env["PROFILE_ROUNDS"] ?? 3)
const kind = process.env["PROFILE_CASE"] ?? "file"
const side = process.env["PROFILE_SIDE"] ?? "sdk"

const main = async () => {
  const server = await startServer()
  const origin = server.origin
  const dir = mkdtempSync(join(tmpdir(), "nextmv-prof-up-"))
  const source = join(dir, "source.bin")
  const block = Buffer.alloc(MIB, 98)
  if (kind === "file") {
    const fd = openSync(source, "w")
    for (let i = 0; i < mib; i++) writeSync(fd, block)
    closeSync(fd)
  }
  const dispatcher = new Undici.Agent()
  const sdk = ManagedRuntime.make(
    Uploads.layer.pipe(
      Layer.provideMerge(NextmvClient.layer({ apiKey: Redacted.make("k"), baseUrl: origin, budget: false })),
      Layer.provideMerge(Layer.mergeAll(side === "platform" ? NodeHttpClient.layerUndici : NodeTransport.layer, NodeContext.layer))
    )
  )
  const uploads = await sdk.runPromise(Uploads.Uploads)
  const blocks = function*() {
    for (let i = 0; i < mib; i++) yield block
  }
  const put = (body: Readable) => rawPut(dispatcher, origin, bytes, body)
  const raw = () => put(kind === "file" ? createReadStream(source) : Readable.from(blocks()))
  const data = () =>
    kind === "file" ? Uploads.UploadData.file(source) : Uploads.UploadData.stream(Stream.fromIterable(blocks()), { length: bytes })
  const viaSdk = () => sdk.runPromise(uploads.uploadData(`${origin}/upload?signature=bench`, data()))
  await raw()
  await viaSdk()
  const idle = process.memoryUsage()
  const measure = async (name: string, f: () => Promise<unknown>) => {
    const peak = { rss: 0, arrayBuffers: 0, external: 0 }
    const sample = () => {
      const m = process.memoryUsage()
      peak.rss = Math.max(peak.rss, m.rss - idle.rss)
      peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers - idle.arrayBuffers)
      peak.external = Math.max(peak.external, m.external - idle.external)
    }
    const sampler = setInterval(sample, 5)
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await f()
    const wall = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    clearInterval(sampler)
    sample()
    console.log(
      `${name} ${kind}: wall ${(wall / 1000).toFixed(3)} s, user ${(cpu.user / 1e6).toFixed(2)} s, system ${
        (cpu.system / 1e6).toFixed(2)
      } s, peak growth RSS ${(peak.rss / MIB).toFixed(1)} MiB, arrayBuffers ${(peak.arrayBuffers / MIB).toFixed(1)} MiB, external ${
        (peak.external / MIB).toFixed(1)
      } MiB`
    )
  }
  const profiles = await startProfiles({ cpuOut: process.env["PROFILE_OUT"], samplingInterval: 16384, includeMinor: true })
  for (let i = 0; i < rounds; i++) {
    if (side === "both") {
      for (const [name, f] of i % 2 === 0 ? [["raw", raw], ["sdk", viaSdk]] as const : [["sdk", viaSdk], ["raw", raw]] as const) {
        await measure(name, f)
      }
    } else {
      await measure(side, side === "raw" ? raw : viaSdk)
    }
  }
  await profiles.stop()
  await sdk.dispose()
  await dispatcher.close()
  rmSync(dir, { recursive: true, force: true })
  server.stop()
}
main()
