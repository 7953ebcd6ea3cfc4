/**
 * A durable worker process for the workflow tests (spawned by test/workflow.test.ts; not shipped).
 *
 * Environment:
 * - `NEXTMV_URL`, `NEXTMV_KEY`: the emulator served by the test process.
 * - `DB_URL`: the Postgres-protocol database (PGlite served by the test process).
 * - `RUNNER_PORT`: this worker's runner identity (`localhost:<port>`); `TABLE_PREFIX`: its cluster's
 *   tables; `LOCK_EXPIRY_MS`: shard lock expiry (default 3 s).
 * - `APP_ID`, `KEYS` (comma-separated): the run workflows to execute; with `MODE=serve` the worker
 *   only executes workflows started elsewhere and runs until it is killed.
 * - `WORKER_NAME`: sent as header `x-test-worker` so that the test can tell who made a request.
 * - `CRASH_AT`: `before-post` | `after-post` | `while-waiting` | `while-fetching-result` — the
 *   process SIGKILLs itself at that step (the test then starts it again without `CRASH_AT`).
 *
 * Prints one JSON line per workflow: `{"key", "ok", "result" | "error"}`, then `done`.
 */
import { HttpClient } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { Effect, Exit, Layer, Redacted, Schema } from "effect"
import * as Layers from "../../src/Layers.js"
import { RunResult } from "../../src/schemas/Runs.js"
import * as NextmvClient from "../../src/services/NextmvClient.js"
import { RunWorkflow, Storage, Worker } from "../../src/workflow/index.js"

const env = (name: string): string => process.env[name] ?? ""
const crashAt = env("CRASH_AT")
const appId = env("APP_ID")

const die = (step: string) =>
  Effect.sync(() => {
    process.stdout.write(`crash ${step}\n`)
    process.kill(process.pid, "SIGKILL")
  }).pipe(Effect.zipRight(Effect.never))

/** `true` for `POST /v1/applications/{app}/runs` (the submission, not the upload URL). */
const isSubmit = (method: string, path: string) => method === "POST" && /\/applications\/[^/]+\/runs$/.test(path)
const isMetadata = (method: string, path: string) => method === "GET" && /\/runs\/[^/]+\/metadata$/.test(path)
const isResult = (method: string, path: string) => method === "GET" && /\/applications\/[^/]+\/runs\/[^/]+$/.test(path)

/** The HTTP client with the crash hook of `CRASH_AT`. */
const CrashingHttp = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, (client) =>
    HttpClient.transform(client, (effect, request) => {
      const path = new URL(request.url).pathname
      if (crashAt === "before-post" && isSubmit(request.method, path)) return die(crashAt)
      const after = (crashAt === "after-post" && isSubmit(request.method, path)) ||
        (crashAt === "while-waiting" && isMetadata(request.method, path)) ||
        (crashAt === "while-fetching-result" && isResult(request.method, path))
      return after ? Effect.zipRight(effect, die(crashAt)) : effect
    }))
).pipe(Layer.provide(NodeHttpClient.layerUndici))

const Services = Layers.services.pipe(
  Layer.provide(NextmvClient.layer({
    apiKey: Redacted.make(env("NEXTMV_KEY")),
    baseUrl: env("NEXTMV_URL"),
    retry: { backoffFactor: 10, backoffJitter: 0, maxRetryAfter: 50 },
    headers: { "x-test-worker": env("WORKER_NAME") || "worker" },
    // The emulator enforces no rate limits here and the test polls every 20–50 ms.
    budget: false
  })),
  Layer.provide(Layer.mergeAll(CrashingHttp, NodeContext.layer))
)

const WorkerLive = Worker.layer({
  storage: Storage.postgres({ url: Redacted.make(env("DB_URL")), advisoryLocks: false, maxConnections: 4 }),
  runner: { host: "localhost", port: Number(env("RUNNER_PORT")) },
  tablePrefix: env("TABLE_PREFIX") || "cluster",
  sharding: {
    shardsPerGroup: 16,
    entityMessagePollInterval: 500,
    refreshAssignmentsInterval: 500,
    shardLockRefreshInterval: 1_000,
    shardLockExpiration: Number(env("LOCK_EXPIRY_MS") || "3000")
  }
}).pipe(Layer.provide(Services))

const polling = {
  initialDelayMillis: 20,
  delayMillis: 20,
  backoffMillis: 0,
  maxDelayMillis: 50,
  maxTries: 400,
  maxDurationMillis: 60_000
}

const encodeResult = Schema.encodeSync(RunResult)

const execute = (key: string) =>
  RunWorkflow.RunWorkflow.execute({ appId, key, input: { key, value: key.length }, name: `run ${key}`, polling }).pipe(
    Effect.exit,
    Effect.map((exit) =>
      Exit.isSuccess(exit)
        ? { key, ok: true, result: encodeResult(exit.value) }
        : { key, ok: false, error: String(exit.cause) }
    ),
    Effect.tap((line) => Effect.sync(() => process.stdout.write(`${JSON.stringify(line)}\n`)))
  )

const main = env("MODE") === "serve"
  ? Effect.zipRight(Effect.sync(() => process.stdout.write("serving\n")), Effect.never)
  : Effect.forEach(env("KEYS").split(",").filter((k) => k !== ""), execute, { concurrency: "unbounded" }).pipe(
    Effect.zipRight(Effect.sync(() => process.stdout.write("done\n")))
  )

Effect.runPromise(main.pipe(Effect.provide(WorkerLive))).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`worker failed: ${String(error)}\n`)
    process.exit(1)
  }
)
