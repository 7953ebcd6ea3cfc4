/**
 * A durable worker process for the workflow tests (spawned by test/workflow.test.ts; not shipped).
 *
 * Environment:
 * - `NEXTMV_URL`, `NEXTMV_KEY`: the emulator served by the test process.
 * - Storage: `DB_URL` (a Postgres-protocol database: PGlite served by the test process), or
 *   `DATA_DIR` (embedded storage: this process opens the PGlite data directory itself).
 * - `RUNNER_NAME`: this worker's runner identity in the cluster (`<name>:1`). It is a name in the
 *   cluster's tables, not a port: the workers exchange nothing over the network
 *   (`Runners.layerNoop`). Live workers of one cluster need distinct names; a restarted worker
 *   keeps its name so that it takes its shards back at once.
 * - `TABLE_PREFIX`: its cluster's tables; `LOCK_EXPIRY_MS`: shard lock expiry (default 3 s).
 * - `APP_ID`, `KEYS` (comma-separated): the run workflows to execute; with `MODE=serve` the worker
 *   only executes workflows started elsewhere, prints `serving` once it holds a shard, and runs
 *   until it is killed.
 * - `WORKER_NAME`: sent as header `x-test-worker` so that the test can tell who made a request.
 * - `CRASH_AT`: `before-post` | `after-post` | `while-waiting` | `while-fetching-result` — the
 *   process SIGKILLs itself at that step (the test then starts it again without `CRASH_AT`).
 *
 * Prints `posted <run name>` after each run submission, one JSON line per workflow
 * (`{"key", "ok", "result" | "error"}`), then `done`. It exits when its stdin closes, so that a
 * test process that dies leaves no worker behind.
 */
import { ShardId, Sharding } from "@effect/cluster"
import { HttpBody, HttpClient } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { Effect, Exit, Layer, Redacted, Schedule, Schema } from "effect"
import * as Layers from "../../src/Layers.js"
import type { WorkflowEngine } from "@effect/workflow"
import { RunResult } from "../../src/schemas/Runs.js"
import * as NextmvClient from "../../src/services/NextmvClient.js"
import { RunWorkflow, Storage, Worker } from "../../src/workflow/index.js"

// The test owns this process: when it goes away (its end of stdin closes), so does the worker.
process.stdin.on("end", () => process.exit(2))
process.stdin.on("error", () => process.exit(2))
process.stdin.resume()

const env = (name: string): string => process.env[name] ?? ""
const crashAt = env("CRASH_AT")
const appId = env("APP_ID")

const say = (line: string) => Effect.sync(() => process.stdout.write(`${line}\n`))

const die = (step: string) =>
  say(`crash ${step}`).pipe(
    Effect.zipRight(Effect.sync(() => process.kill(process.pid, "SIGKILL"))),
    Effect.zipRight(Effect.never)
  )

/** `true` for `POST /v1/applications/{app}/runs` (the submission, not the upload URL). */
const isSubmit = (method: string, path: string) => method === "POST" && /\/applications\/[^/]+\/runs$/.test(path)
const isMetadata = (method: string, path: string) => method === "GET" && /\/runs\/[^/]+\/metadata$/.test(path)
const isResult = (method: string, path: string) => method === "GET" && /\/applications\/[^/]+\/runs\/[^/]+$/.test(path)

/** The `name` of a JSON request body, or "". */
const runName = (body: HttpBody.HttpBody): string => {
  if (body._tag !== "Uint8Array") return ""
  try {
    const name = (JSON.parse(new TextDecoder().decode(body.body)) as { name?: unknown }).name
    return typeof name === "string" ? name : ""
  } catch {
    return ""
  }
}

/** The HTTP client with the crash hook of `CRASH_AT` and the `posted` signal. */
const CrashingHttp = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, (client) =>
    HttpClient.transform(client, (effect, request) => {
      const path = new URL(request.url).pathname
      const submit = isSubmit(request.method, path)
      if (crashAt === "before-post" && submit) return die(crashAt)
      const after = (crashAt === "after-post" && submit) ||
        (crashAt === "while-waiting" && isMetadata(request.method, path)) ||
        (crashAt === "while-fetching-result" && isResult(request.method, path))
      if (after) return Effect.zipRight(effect, die(crashAt))
      return submit
        ? Effect.tap(effect, (response) => response.status < 300 ? say(`posted ${runName(request.body)}`) : Effect.void)
        : effect
    }))
).pipe(Layer.provide(NodeHttpClient.layerUndici))

const Services = Layers.services.pipe(
  Layer.provide(NextmvClient.layer({
    apiKey: Redacted.make(env("NEXTMV_KEY")),
    baseUrl: env("NEXTMV_URL"),
    retry: { backoffFactor: 10, backoffJitter: 0, maxRetryAfter: 50 },
    headers: { "x-test-worker": env("WORKER_NAME") || "worker" },
    // The emulator enforces no rate limits here and the workflows poll every 50 ms.
    budget: false
  })),
  Layer.provide(Layer.mergeAll(CrashingHttp, NodeContext.layer))
)

const storage = env("DATA_DIR") !== ""
  ? Storage.embedded(env("DATA_DIR"))
  : Storage.postgres({ url: Redacted.make(env("DB_URL")), advisoryLocks: false, maxConnections: 4 })

const WorkerLive = Worker.layer({
  storage,
  runner: { host: env("RUNNER_NAME") || "worker", port: 1 },
  tablePrefix: env("TABLE_PREFIX") || "cluster",
  sharding: {
    shardsPerGroup: 16,
    entityMessagePollInterval: 500,
    refreshAssignmentsInterval: 500,
    shardLockRefreshInterval: 1_000,
    shardLockExpiration: Number(env("LOCK_EXPIRY_MS") || "3000")
  }
}).pipe(Layer.provide(Services))

// Generous bounds: the test may hold the emulator's runs (frozen clock) for a while, and the
// machine may be loaded; the test bounds its own waits.
const polling = {
  initialDelayMillis: 20,
  delayMillis: 50,
  backoffMillis: 0,
  maxDelayMillis: 50,
  maxTries: 4_000,
  maxDurationMillis: 150_000
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
    Effect.tap((line) => say(JSON.stringify(line)))
  )

/** Waits (bounded: 120 s) until this worker holds a shard of the workflows' group. */
const holdsAShard = Effect.gen(function*() {
  const sharding = yield* Sharding.Sharding
  const held = () => Array.from({ length: 16 }, (_, i) => ShardId.make("default", i + 1)).some((id) => sharding.hasShardId(id))
  yield* Effect.suspend(() => held() ? Effect.void : Effect.fail("no shard yet")).pipe(
    Effect.retry(Schedule.spaced(50).pipe(Schedule.upTo(120_000))),
    Effect.orDie
  )
})

const main: Effect.Effect<void, never, Sharding.Sharding | WorkflowEngine.WorkflowEngine> = env("MODE") === "serve"
  ? holdsAShard.pipe(Effect.zipRight(say("serving")), Effect.zipRight(Effect.never))
  : Effect.forEach(env("KEYS").split(",").filter((k) => k !== ""), execute, { concurrency: "unbounded" }).pipe(
    Effect.zipRight(say("done"))
  )

Effect.runPromise(main.pipe(Effect.provide(WorkerLive))).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`worker failed: ${String(error)}\n`)
    process.exit(1)
  }
)
