/**
 * `node --import tsx --cpu-prof bench/profile-calls.ts`: sequential `getApplication` calls against the bench server, for
 * `node --cpu-prof` (see the README performance section). `PROFILE_CALLS` (20000) calls;
 * `PROFILE_RAW=1` profiles raw undici instead.
 */
import { NodeHttpClient } from "@effect/platform-node"
import * as Undici from "@effect/platform-node/Undici"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { spawn } from "node:child_process"
import { join } from "node:path"
import * as Applications from "../src/services/Applications.js"
import * as NextmvClient from "../src/services/NextmvClient.js"

const CALLS = Number(process.env["PROFILE_CALLS"] ?? 20000)

const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "server.ts")], {
  stdio: ["pipe", "pipe", "inherit"]
})
const port = await new Promise<number>((resolve) =>
  child.stdout.once("data", (data: Buffer) => resolve((JSON.parse(data.toString("utf8")) as { port: number }).port))
)
const origin = `http://127.0.0.1:${port}`
const sdk = ManagedRuntime.make(
  Applications.layer.pipe(
    Layer.provideMerge(NextmvClient.layer({ apiKey: Redacted.make("bench-key"), baseUrl: origin, budget: false })),
    Layer.provideMerge(NodeHttpClient.layerUndici)
  )
)
const apps = await sdk.runPromise(Applications.Applications)
const dispatcher = new Undici.Agent()
const get = apps.getApplication("bench-app")
const raw = async () => {
  const response = await dispatcher.request({
    origin,
    path: "/v1/applications/bench-app",
    method: "GET",
    headers: { authorization: "Bearer bench-key" }
  })
  return response.body.json()
}
const run = process.env["PROFILE_RAW"] === "1"
  ? async () => {
    for (let i = 0; i < CALLS; i++) await raw()
  }
  : () => sdk.runPromise(Effect.repeatN(get, CALLS - 1))
await run()
const cpu0 = process.cpuUsage()
const t0 = performance.now()
await run()
const wall = performance.now() - t0
const cpu = process.cpuUsage(cpu0)
console.log(
  `${CALLS} calls: ${(wall * 1000 / CALLS).toFixed(1)} µs wall, ${((cpu.user + cpu.system) / CALLS).toFixed(1)} µs CPU per call`
)
await sdk.dispose()
await dispatcher.close()
child.kill()
