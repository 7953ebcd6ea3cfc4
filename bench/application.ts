import type * as Undici from "@effect/platform-node/Undici"
import { spawn } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { join } from "node:path"
import type { Readable } from "node:stream"

/** The application document the bench server answers `GET /v1/applications/:id` with (shared by the benches). */
export const applicationJson = JSON.stringify({
  id: "bench-app",
  name: "Bench application",
  description: "x".repeat(120),
  type: "custom",
  default_instance: "latest",
  default_experiment_instance: "latest",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-02T00:00:00Z"
})

/** The raw side of every call figure: one `GET /v1/applications/bench-app` with plain undici. */
export const rawGetApplication = async (
  dispatcher: Undici.Dispatcher,
  origin: string
): Promise<unknown> => {
  const response = await dispatcher.request({
    origin,
    path: "/v1/applications/bench-app",
    method: "GET",
    headers: { authorization: "Bearer bench-key" }
  })
  return response.body.json()
}

/**
 * The raw side of every upload figure: a `PUT` of `bytes` bytes from `body` with plain undici to the
 * bench server's upload URL, which answers with the size it received (checked).
 */
export const rawPut = async (
  dispatcher: Undici.Dispatcher,
  origin: string,
  bytes: number,
  body: Readable
): Promise<void> => {
  const response = await dispatcher.request({
    origin,
    path: "/upload?signature=bench",
    method: "PUT",
    headers: { "content-length": String(bytes), "content-type": "application/octet-stream" },
    body
  })
  const { size } = (await response.body.json()) as { size: number }
  if (size !== bytes) throw new Error(`the server received ${size} of ${bytes} bytes`)
}

/** Starts the bench server (`bench/server.ts`) in a process of its own; its origin and how to stop it. */
export const startServer = () =>
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

/**
 * The profilers of the profile scripts (`bench/profile-*.ts`), started around their measured runs:
 * a CPU profile into `cpuOut` (`PROFILE_OUT`) and a sampling heap profile into `heapOut`
 * (`PROFILE_HEAP`), each only when its file is given. `stop` writes the files and returns the bytes
 * the heap profile sampled (`undefined` without one).
 */
export const startProfiles = async (options: {
  readonly cpuOut?: string | undefined
  readonly heapOut?: string | undefined
  /** Bytes between two heap samples. */
  readonly samplingInterval: number
  /** Whether objects a scavenge collected count too (`false`: only what outlived one). */
  readonly includeMinor: boolean
}): Promise<{ readonly stop: () => Promise<number | undefined> }> => {
  const { cpuOut, heapOut } = options
  if (cpuOut === undefined && heapOut === undefined) return { stop: async () => undefined }
  const session = new Session()
  session.connect()
  if (cpuOut !== undefined) {
    await session.post("Profiler.enable")
    await session.post("Profiler.start")
  }
  if (heapOut !== undefined) {
    await session.post("HeapProfiler.enable")
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: options.samplingInterval,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: options.includeMinor
    })
  }
  return {
    stop: async () => {
      if (cpuOut !== undefined) writeFileSync(cpuOut, JSON.stringify((await session.post("Profiler.stop")).profile))
      if (heapOut === undefined) return undefined
      const { profile } = await session.post("HeapProfiler.stopSampling")
      writeFileSync(heapOut, JSON.stringify(profile))
      let bytes = 0
      const add = (node: typeof profile.head): void => {
        bytes += node.selfSize
        node.children.forEach(add)
      }
      add(profile.head)
      return bytes
    }
  }
}

/**
 * The kernel's peak RSS of this process since the last {@link resetPeakRss} (Linux: `VmHWM`), or
 * `undefined` where there is none. Exact, unlike a sampler, which misses peaks between two samples.
 */
export const peakRss = (): number | undefined => {
  try {
    const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]
    return kib === undefined ? undefined : Number(kib) * 1024
  } catch {
    return undefined
  }
}

/** Resets the kernel's peak RSS to the current RSS (Linux: `5` into `/proc/self/clear_refs`). */
export const resetPeakRss = (): void => {
  try {
    writeFileSync("/proc/self/clear_refs", "5")
  } catch {
    // Not Linux: the sampler's peak only.
  }
}
