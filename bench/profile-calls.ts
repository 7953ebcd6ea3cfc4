/**
 * `node scripts/bench.mjs bench/profile-calls.ts` (the compiled code, as it ships): sequential
 * `getApplication` calls against the bench server (see the README's Benchmarks section).
 * `PROFILE_CALLS` (20000) calls;
 * `PROFILE_RAW=1` profiles raw undici instead; `PROFILE_TRANSPORT=platform` the SDK on the platform's
 * `NodeHttpClient.layerUndici` instead of `NodeTransport.layer`, `PROFILE_TRANSPORT=stub` no network
 * at all (the SDK's own cost). `PROFILE_OUT=file.cpuprofile` profiles the measured pass only.
 */
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import * as Undici from "@effect/platform-node/Undici"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { spawn } from "node:child_process"
import { writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { join } from "node:path"
import { fastAttempt } from "../src/internal/fastAttempt.js"
import { withFastTransport } from "../src/internal/transport.js"
import * as Applications from "../src/services/Applications.js"
import { NodeTransport } from "../src/node/index.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { applicationJson, rawGetApplication } from "./application.js"

const CALLS = Number(process.env["PROFILE_CALLS"] ?? 20000)

const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "server.ts")], {
  stdio: ["pipe", "pipe", "inherit"]
})
const port = await new Promise<number>((resolve) =>
  child.stdout.once("data", (data: Buffer) => resolve((JSON.parse(data.toString("utf8")) as { port: number }).port))
)
const origin = `http://127.0.0.1:${port}`
const TRANSPORT = process.env["PROFILE_TRANSPORT"]
// `PROFILE_TRANSPORT=stub`: no network, a fast path answering the bench server's document on the
// next turn of the event loop (what the SDK itself costs per call).
const document = Buffer.from(applicationJson)
const stubLayer = Layer.succeed(
  HttpClient.HttpClient,
  withFastTransport(HttpClient.make(() => Effect.die("stub")), {
    attempt: (request, context) =>
      fastAttempt(
        (_request, _cap, callbacks) => {
          const timer = setImmediate(() => {
            callbacks.onProgress()
            callbacks.onResponse({ status: 200, headers: { "content-type": "application/json" }, body: document })
          })
          return () => clearImmediate(timer)
        },
        request,
        context
      )
  })
)
const sdk = ManagedRuntime.make(
  Applications.layer.pipe(
    Layer.provideMerge(NextmvClient.layer({ apiKey: Redacted.make("bench-key"), baseUrl: origin, budget: false })),
    Layer.provideMerge(
      TRANSPORT === "platform" ? NodeHttpClient.layerUndici : TRANSPORT === "stub" ? stubLayer : NodeTransport.layer
    )
  )
)
const apps = await sdk.runPromise(Applications.Applications)
const dispatcher = new Undici.Agent()
// A call per call, as a program does (`yield* apps.getApplication(id)`), not one effect re-run.
const get = Effect.suspend(() => apps.getApplication("bench-app"))
const raw = () => rawGetApplication(dispatcher, origin)
const run = process.env["PROFILE_RAW"] === "1"
  ? async () => {
    for (let i = 0; i < CALLS; i++) await raw()
  }
  : () => sdk.runPromise(Effect.repeatN(get, CALLS - 1))
await run()
// `PROFILE_OUT=file.cpuprofile`: profiles the measured pass only (no start-up, no warm-up).
const out = process.env["PROFILE_OUT"]
const session = out === undefined ? undefined : new Session()
if (session !== undefined) {
  session.connect()
  await session.post("Profiler.enable")
  await session.post("Profiler.start")
}
const cpu0 = process.cpuUsage()
const t0 = performance.now()
await run()
const wall = performance.now() - t0
const cpu = process.cpuUsage(cpu0)
if (session !== undefined && out !== undefined) {
  const { profile } = await session.post("Profiler.stop")
  writeFileSync(out, JSON.stringify(profile))
}
console.log(
  `${CALLS} calls: ${(wall * 1000 / CALLS).toFixed(1)} µs wall, ${((cpu.user + cpu.system) / CALLS).toFixed(1)} µs CPU per call (user ${
    (cpu.user / CALLS).toFixed(1)
  }, system ${(cpu.system / CALLS).toFixed(1)})`
)
await sdk.dispose()
await dispatcher.close()
child.kill()
