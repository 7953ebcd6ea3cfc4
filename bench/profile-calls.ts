/**
 * `node scripts/bench.mjs bench/profile-calls.ts` (the compiled code, as it ships): sequential
 * `getApplication` calls against the bench server (see the README's Benchmarks section).
 * `PROFILE_CALLS` (20000) calls;
 * `PROFILE_RAW=1` profiles raw undici instead; `PROFILE_TRANSPORT=platform` the SDK on the platform's
 * `NodeHttpClient.layerUndici` instead of `NodeTransport.layer`, `PROFILE_TRANSPORT=stub` no network
 * at all (the SDK's own cost). `PROFILE_OUT=file.cpuprofile` profiles the measured pass only.
 * `PROFILE_CONCURRENCY=64`: that many workers, each sending its next call when the last one is
 * answered (as the bench's concurrency figure). `PROFILE_HEAP=file.heapprofile`: a sampling heap
 * profile of the measured pass, objects already collected included (so it shows what each call
 * allocates, not what stays), and the bytes allocated per call it adds up to; with
 * `PROFILE_HEAP_KEPT=1` only what outlived a young-generation collection (what is promoted to the
 * old generation and costs a full collection). `PROFILE_OPS=1`: the Effect runtime operations per
 * call of the measured pass, by kind. `PROFILE_GC=full` (or `minor`): a forced full GC (a
 * scavenge) before the measured pass; with `node --trace-opt .tmp/bench/profile-calls.mjs` it shows
 * the functions V8 optimizes again after a forced full GC (why `npm run bench` no longer forces
 * one before each round).
 */
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import * as Undici from "@effect/platform-node/Undici"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { spawn } from "node:child_process"
import { join } from "node:path"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { decoderOf } from "../src/internal/compiledDecoder.js"
import { fastAttempt } from "../src/internal/fastAttempt.js"
import { fastTargets } from "../src/internal/fastBase.js"
import { withFastTransport } from "../src/internal/transport.js"
import * as Applications from "../src/services/Applications.js"
import { NodeTransport } from "../src/node/index.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { applicationJson, rawGetApplication, startProfiles } from "./application.js"

const CALLS = Number(process.env["PROFILE_CALLS"] ?? 20000)
const CONCURRENCY = Number(process.env["PROFILE_CONCURRENCY"] ?? 1)

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
const stubHeaders = { "content-type": "application/json" }
const stubLayer = Layer.succeed(
  HttpClient.HttpClient,
  withFastTransport(HttpClient.make(() => Effect.die("stub")), {
    attempt: (request, context, call) =>
      fastAttempt(
        (_request, _cap, callbacks) => {
          const timer = setImmediate(() => {
            callbacks.onProgress()
            callbacks.onResponse(200, stubHeaders, document)
          })
          return { abort: () => clearImmediate(timer) }
        },
        request,
        context,
        call
      ),
    // As `NodeTransport`: the compiled decoder and the plain-path targets.
    decoderOf,
    target: fastTargets
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
    let next = 0
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < CALLS) await raw()
    }))
  }
  : () => {
    let next = 0
    const worker = Effect.whileLoop({ while: () => next++ < CALLS, body: () => get, step: () => {} })
    return sdk.runPromise(Effect.all(Array.from({ length: CONCURRENCY }, () => worker), { concurrency: "unbounded", discard: true }))
  }
await run()
// `PROFILE_OUT=file.cpuprofile`: profiles the measured pass only (no start-up, no warm-up).
const profiles = await startProfiles({
  cpuOut: process.env["PROFILE_OUT"],
  heapOut: process.env["PROFILE_HEAP"],
  samplingInterval: 1024,
  includeMinor: process.env["PROFILE_HEAP_KEPT"] !== "1"
})
// `PROFILE_OPS=1`: counts the Effect runtime's operations per call, by kind (the fiber runtime's
// handlers are its methods named by op code: `Success`, `OnSuccess`, `Async`, …).
const countOps = process.env["PROFILE_OPS"] === "1"
const ops = new Map<string, number>()
const fiberProto = Object.getPrototypeOf(Effect.runSync(Effect.withFiberRuntime((fiber) => Effect.succeed(fiber)))) as Record<
  string,
  unknown
>
const handlers = Object.getOwnPropertyNames(fiberProto).filter((key) => /^[A-Z]/.test(key) && typeof fiberProto[key] === "function")
const originals = new Map(handlers.map((key) => [key, fiberProto[key] as (this: unknown, op: unknown) => unknown]))
if (countOps) {
  for (const [key, handler] of originals) {
    fiberProto[key] = function(this: unknown, op: unknown) {
      ops.set(key, (ops.get(key) ?? 0) + 1)
      return handler.call(this, op)
    }
  }
}
// `PROFILE_GC=full|minor`: a forced full GC or a scavenge between the warm-up and the measured pass.
const forcedGc = process.env["PROFILE_GC"]
if (forcedGc === "full" || forcedGc === "minor") {
  setFlagsFromString("--expose-gc")
  const gc = runInNewContext("gc") as (options: { readonly type: "minor" | "major" }) => void
  gc({ type: forcedGc === "full" ? "major" : "minor" })
}
const cpu0 = process.cpuUsage()
const t0 = performance.now()
await run()
const wall = performance.now() - t0
const cpu = process.cpuUsage(cpu0)
if (countOps) {
  for (const [key, handler] of originals) fiberProto[key] = handler
  const total = [...ops.values()].reduce((a, b) => a + b, 0)
  const kinds = [...ops].sort((a, b) => b[1] - a[1]).map(([key, n]) => `${key} ${(n / CALLS).toFixed(1)}`)
  console.log(`Effect operations: ${(total / CALLS).toFixed(1)} per call (${kinds.join(", ")})`)
}
const sampled = await profiles.stop()
if (sampled !== undefined) console.log(`allocated: ${(sampled / CALLS / 1024).toFixed(1)} KiB per call (sampled)`)
console.log(
  `${CALLS} calls: ${(wall * 1000 / CALLS).toFixed(1)} µs wall, ${((cpu.user + cpu.system) / CALLS).toFixed(1)} µs CPU per call (user ${
    (cpu.user / CALLS).toFixed(1)
  }, system ${(cpu.system / CALLS).toFixed(1)})`
)
await sdk.dispose()
await dispatcher.close()
child.kill()
