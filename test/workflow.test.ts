/**
 * Durable workflows (nextmv-effect/workflow) across process crashes: worker processes
 * (test/workflow/worker-child.ts) run against the emulator and a Postgres-protocol database
 * (PGlite served over its socket), both started here. A worker SIGKILLs itself at a given step and is
 * started again; the workflow must complete with exactly one run.
 */
import * as esbuild from "esbuild"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Exit, Layer, Redacted, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import type { WorkflowEngine } from "@effect/workflow"
import * as Layers from "../src/Layers.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import * as Emulator from "../src/testing/Emulator.js"
import { Models } from "../src/testing/areas/models.js"
import { ExperimentWorkflows, RunWorkflow, Storage, Worker } from "../src/workflow/index.js"
import { MARK_PREFIX } from "../src/workflow/RunWorkflow.js"

const APP = "durable-app"
const childScript = fileURLToPath(new URL("./workflow/worker-child.ts", import.meta.url))

let scope: Scope.CloseableScope
let bundleDir: string
let childBundle: string
let emulator: Emulator.Service
let dbUrl: string

beforeAll(async () => {
  // The worker is bundled once (esbuild) so that each process starts in a fraction of a second.
  bundleDir = mkdtempSync(join(tmpdir(), "nextmv-workflow-test-"))
  childBundle = join(bundleDir, "worker-child.mjs")
  await esbuild.build({
    entryPoints: [childScript],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: childBundle,
    logLevel: "error",
    banner: { js: "import { createRequire as __createRequire } from \"node:module\"; const require = __createRequire(import.meta.url);" }
  })
  scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(
    Layer.buildWithScope(Emulator.layer({ runs: { queuedMillis: 20, runningMillis: 300 } }), scope)
  )
  emulator = context.unsafeMap.get(Emulator.Emulator.key) as Emulator.Service
  emulator.areas.applications.seed({ id: APP })
  const served = await Effect.runPromise(Scope.extend(Storage.serveEmbedded({ dataDir: "memory://" }), scope))
  dbUrl = Redacted.value(served.url)
}, 180_000)

afterAll(async () => {
  if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true })
})

interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly lines: ReadonlyArray<string>
  readonly stderr: string
}

/** Starts a worker process; `finished` resolves when it exits. */
const startWorker = (env: Record<string, string>): { child: ChildProcess; finished: Promise<Finished>; lines: Array<string> } => {
  const child = spawn(process.execPath, [childBundle], {
    env: {
      ...process.env,
      NEXTMV_URL: emulator.url,
      NEXTMV_KEY: Redacted.value(emulator.apiKey),
      DB_URL: dbUrl,
      APP_ID: APP,
      ...env
    },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const lines: Array<string> = []
  let buffer = ""
  let stderr = ""
  child.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8")
    const parts = buffer.split("\n")
    buffer = parts.pop()!
    lines.push(...parts)
  })
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const finished = new Promise<Finished>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal, lines, stderr }))
  })
  return { child, finished, lines }
}

/** The emulator's runs of the application whose name is `run <key>`. */
const runsFor = (key: string) => emulator.areas.runs.list(APP).filter((run) => run.name === `run ${key}`)

interface ResultLine {
  readonly key: string
  readonly ok: boolean
  readonly result?: { readonly id: string; readonly output: unknown; readonly metadata: { readonly status_v2: string } }
  readonly error?: string
}

const resultLines = (lines: ReadonlyArray<string>): Array<ResultLine> =>
  lines.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as ResultLine)

const CRASH_POINTS = ["before-post", "after-post", "while-waiting", "while-fetching-result"] as const

describe("durable run workflow", () => {
  it("completes with exactly one run when the worker is killed at any step and restarted", async () => {
    // Each crash point has its own workflow and its own cluster (table prefix); the four run side by side.
    const cases = CRASH_POINTS.map((point, i) => ({ point, key: `crash-${point}`, port: String(40_001 + i) }))
    const crashed = await Promise.all(
      cases.map(({ key, point, port }) =>
        startWorker({ KEYS: key, CRASH_AT: point, RUNNER_PORT: port, TABLE_PREFIX: `crash${port}` }).finished
      )
    )
    crashed.forEach((run, i) => {
      expect(run.signal, `${cases[i]!.point}: ${run.stderr}`).toBe("SIGKILL")
      expect(run.lines).toContain(`crash ${cases[i]!.point}`)
    })
    // Nothing reached the API before the POST; every later crash point left exactly one run.
    expect(runsFor("crash-before-post")).toHaveLength(0)
    for (const { key } of cases.slice(1)) expect(runsFor(key)).toHaveLength(1)

    const restarted = await Promise.all(
      cases.map(({ key, port }) => startWorker({ KEYS: key, RUNNER_PORT: port, TABLE_PREFIX: `crash${port}` }).finished)
    )
    restarted.forEach((run, i) => {
      const { key, point } = cases[i]!
      expect(run.code, `${point}: ${run.stderr}`).toBe(0)
      const [line] = resultLines(run.lines)
      expect(line?.ok, `${point}: ${line?.error}`).toBe(true)
      const runs = runsFor(key)
      expect(runs, point).toHaveLength(1) // 0 duplicates
      expect(runs[0]!.description.startsWith(MARK_PREFIX)).toBe(true)
      expect(line!.result!.id).toBe(runs[0]!.id)
      expect(line!.result!.metadata.status_v2).toBe("succeeded")
      // The echo model's output: the same input gives the same result whatever the crash point.
      expect(line!.result!.output).toEqual({
        solutions: [{ key, value: key.length }],
        options: {},
        statistics: expect.anything()
      })
    })
    // One POST per workflow in total, across both lifetimes of each worker.
    const posts = (await Effect.runPromise(emulator.requests))
      .filter((r) => r.method === "POST" && r.path === `/v1/applications/${APP}/runs`)
    expect(posts).toHaveLength(cases.length)
  }, 180_000)
})

describe("durable workers sharing one database", () => {
  it("a surviving worker finishes every workflow of a killed one: 0 duplicates, 0 lost", async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `shared-${i}`)
    const shared = { TABLE_PREFIX: "shared", LOCK_EXPIRY_MS: "3000" }
    // Worker A only executes; worker B also starts (and awaits) every workflow. Their shards split
    // the workflows between them.
    const a = startWorker({ ...shared, MODE: "serve", RUNNER_PORT: "41001", WORKER_NAME: "a" })
    // B starts once A is up, so that the shards are split between them from the start.
    for (let i = 0; i < 1_200 && !a.lines.includes("serving"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(a.lines).toContain("serving")
    const b = startWorker({ ...shared, KEYS: keys.join(","), RUNNER_PORT: "41002", WORKER_NAME: "b" })
    const postsBy = async (worker: string) =>
      (await Effect.runPromise(emulator.requests)).filter((r) =>
        r.method === "POST" && r.path === `/v1/applications/${APP}/runs` &&
        r.headers["x-test-worker"] === worker && String((r.json as { name?: string }).name).startsWith("run shared-")
      )
    // Kill A as soon as it has submitted a run: it dies with workflows part-way.
    for (let i = 0; i < 600 && (await postsBy("a")).length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect((await postsBy("a")).length).toBeGreaterThan(0)
    a.child.kill("SIGKILL")
    expect((await a.finished).signal).toBe("SIGKILL")

    const done = await b.finished
    expect(done.code, done.stderr).toBe(0)
    const results = resultLines(done.lines)
    expect(results.map((r) => r.key).sort()).toEqual([...keys].sort()) // 0 lost
    for (const line of results) {
      expect(line.ok, line.error).toBe(true)
      const runs = runsFor(line.key)
      expect(runs, line.key).toHaveLength(1) // 0 duplicates
      expect(line.result!.id).toBe(runs[0]!.id)
      expect(line.result!.output).toEqual({
        solutions: [{ key: line.key, value: line.key.length }],
        options: {},
        statistics: expect.anything()
      })
    }
    expect((await postsBy("a")).length + (await postsBy("b")).length).toBe(keys.length)
  }, 180_000)
})

describe("workflows in this process", () => {
  const fast = { initialDelayMillis: 10, delayMillis: 20, backoffMillis: 0, maxDelayMillis: 20, maxTries: 500 }
  const EXP_APP = "durable-exp"

  /** A worker in the test process (its own cluster tables) with the SDK's services on the emulator. */
  const inProcess = <A, E>(effect: Effect.Effect<A, E, WorkflowEngine.WorkflowEngine>) =>
    effect.pipe(
      Effect.provide(
        Worker.layer({
          storage: Storage.postgres({ url: Redacted.make(dbUrl), advisoryLocks: false, maxConnections: 4 }),
          tablePrefix: "inproc",
          sharding: { shardsPerGroup: 16, entityMessagePollInterval: 500 }
        }).pipe(
          Layer.provide(Layers.services),
          Layer.provide(NextmvClient.layer({ apiKey: emulator.apiKey, baseUrl: emulator.url })),
          Layer.provide(Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer))
        )
      ),
      Effect.scoped,
      Effect.runPromiseExit
    )

  it("a failed run is a typed RunFailedError; batch experiment and acceptance test workflows complete once", async () => {
    emulator.areas.applications.seed({ id: EXP_APP })
    for (const [id, value] of [["mi-1", 100], ["mi-2", 200]] as const) {
      emulator.areas.managedInputs.seed(EXP_APP, { id, data: { value } })
    }
    emulator.areas.runs.setModel(`${EXP_APP}/broken`, Models.fail("no solution"))
    const scaled = (factor: number) =>
      Models.output((input) => ({ statistics: { result: { value: (input.input as { value: number }).value * factor } } }))
    emulator.areas.runs.setModel(`${EXP_APP}/prod`, scaled(1))
    emulator.areas.runs.setModel(`${EXP_APP}/staging`, scaled(0.98))
    const batch = {
      appId: EXP_APP,
      id: "durable-batch",
      runs: ["mi-1", "mi-2"].flatMap((inputId) => [{ inputId, instanceId: "prod" }, { inputId, instanceId: "staging" }]),
      polling: fast
    }
    const acceptance = {
      appId: EXP_APP,
      id: "durable-batch", // an acceptance test has the id of its batch experiment
      name: "staging vs prod",
      experimentId: "durable-batch",
      candidateInstanceId: "staging",
      baselineInstanceId: "prod",
      metrics: [{
        field: "result.value",
        statistic: "mean" as const,
        params: { operator: "le" as const, tolerance: { type: "relative" as const, value: 0.05 } }
      }],
      polling: fast
    }
    const exit = await inProcess(Effect.gen(function*() {
      const failed = yield* Effect.flip(
        RunWorkflow.RunWorkflow.execute({ appId: EXP_APP, key: "broken-1", instanceId: "broken", input: { x: 1 }, polling: fast })
      )
      const experiment = yield* ExperimentWorkflows.BatchExperimentWorkflow.execute(batch)
      const again = yield* ExperimentWorkflows.BatchExperimentWorkflow.execute(batch)
      const test = yield* ExperimentWorkflows.AcceptanceTestWorkflow.execute(acceptance)
      return { failed, experiment, again, test }
    }))
    if (Exit.isFailure(exit)) expect.fail(String(exit.cause))
    const { failed, experiment, again, test } = exit.value
    expect(failed).toBeInstanceOf(RunWorkflow.RunFailedError)
    expect(failed).toMatchObject({ _tag: "RunFailedError", status: "failed", error: "no solution" })
    expect((failed as RunWorkflow.RunFailedError).result.metadata.status_v2).toBe("failed")
    expect(experiment.status).toBe("completed")
    expect(experiment.runs).toHaveLength(4)
    expect(again).toEqual(experiment) // the stored result; nothing created twice
    expect(test.id).toBe("durable-batch")
    expect(test.status).toBe("completed")
    const requests = await Effect.runPromise(emulator.requests)
    const posts = (path: string) => requests.filter((r) => r.method === "POST" && r.path === `/v1/applications/${EXP_APP}${path}`)
    expect(posts("/experiments/batch")).toHaveLength(1)
    expect(posts("/experiments/acceptance")).toHaveLength(1)
    expect(posts("/runs")).toHaveLength(1)
  }, 180_000)
})

describe("submission mark", () => {
  it("is the last word of the description, which keeps the caller's text within 256 characters", () => {
    const mark = RunWorkflow.submissionMark("0123456789abcdef0123456789abcdef")
    expect(RunWorkflow.markedDescription(undefined, mark)).toBe(mark)
    expect(RunWorkflow.markedDescription("  nightly ", mark)).toBe(`nightly ${mark}`)
    const long = RunWorkflow.markedDescription("x".repeat(400), mark)
    expect(long.length).toBe(256)
    expect(RunWorkflow.hasMark(long, mark)).toBe(true)
    expect(RunWorkflow.hasMark(`nightly ${mark}`, mark)).toBe(true)
    expect(RunWorkflow.hasMark(`${mark}0`, mark)).toBe(false)
    expect(RunWorkflow.hasMark("nightly", mark)).toBe(false)
  })
})
