/**
 * Durable workflows (nextmv-effect/workflow) across process crashes: worker processes
 * (test/workflow/worker-child.ts) run against the emulator and a Postgres-protocol database
 * (PGlite served over its socket on a free port), both started here. A worker SIGKILLs itself at a
 * given step and is started again; the workflow must complete with exactly one run.
 *
 * Robustness: the workers bind no port (a runner's `host:port` is only its name in the cluster's
 * tables; the test passes distinct names), every child is killed after each test whatever
 * happened (and exits by itself when this process goes away: its stdin closes), every wait has a
 * deadline and waits on a signal (a line the worker prints, a process exit), never on a sleep. The
 * emulator's clock is held still where the test needs runs that stay unfinished.
 */
import * as esbuild from "esbuild"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Exit, Layer, Redacted, Scope } from "effect"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import type { WorkflowEngine } from "@effect/workflow"
import * as Layers from "../src/Layers.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import * as Emulator from "../src/testing/Emulator.js"
import { Models } from "../src/testing/areas/models.js"
import { ExperimentWorkflows, RunWorkflow, Storage, Worker } from "../src/workflow/index.js"
import { MARK_PREFIX } from "../src/workflow/RunWorkflow.js"
import { NextmvDecodeError, NextmvHttpError } from "../src/Errors.js"

const APP = "durable-app"
const childScript = fileURLToPath(new URL("./workflow/worker-child.ts", import.meta.url))

/** Deadline of one worker process's life (a phase of a test). */
const PHASE_MILLIS = 120_000

/**
 * The emulator's clock: the wall clock, except while `freeze`d. Runs submitted meanwhile stay
 * `queued`; `release` moves on from the frozen instant plus 1 s (more than a run's whole lifecycle
 * here), so that those runs are finished at once and the time never goes back.
 */
const clock = (() => {
  let frozenAt: number | undefined
  let shift = 0
  return {
    now: () => frozenAt ?? Date.now() + shift,
    freeze: () => {
      frozenAt ??= Date.now() + shift
    },
    release: () => {
      if (frozenAt === undefined) return
      shift = frozenAt + 1_000 - Date.now()
      frozenAt = undefined
    }
  }
})()

let scope: Scope.CloseableScope
let bundleDir: string
let childBundle: string
let emulator: Emulator.Service
let dbUrl: string

beforeAll(async () => {
  // The worker is bundled once (esbuild) so that each process starts in a fraction of a second.
  // PGlite stays outside the bundle (it loads its WebAssembly files next to its module): the
  // bundle lives under node_modules/.cache so that it resolves this repository's packages.
  const cache = fileURLToPath(new URL("../node_modules/.cache/", import.meta.url))
  mkdirSync(cache, { recursive: true })
  bundleDir = mkdtempSync(join(cache, "nextmv-workflow-test-"))
  childBundle = join(bundleDir, "worker-child.mjs")
  await esbuild.build({
    entryPoints: [childScript],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: childBundle,
    logLevel: "error",
    external: ["@electric-sql/pglite"],
    banner: { js: "import { createRequire as __createRequire } from \"node:module\"; const require = __createRequire(import.meta.url);" }
  })
  scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(
    Layer.buildWithScope(Emulator.layer({ clock, runs: { queuedMillis: 20, runningMillis: 300 } }), scope)
  )
  emulator = context.unsafeMap.get(Emulator.Emulator.key) as Emulator.Service
  emulator.areas.applications.seed({ id: APP })
  // Port 0: a free port, chosen by the system; the workers get the URL.
  const served = await Effect.runPromise(Scope.extend(Storage.serveEmbedded({ dataDir: "memory://" }), scope))
  dbUrl = Redacted.value(served.url)
}, 180_000)

// ---------------------------------------------------------------------------------------------
// Worker processes: started, watched and always killed here
// ---------------------------------------------------------------------------------------------

interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly lines: ReadonlyArray<string>
  readonly stderr: string
}

interface WorkerProcess {
  readonly child: ChildProcess
  readonly lines: ReadonlyArray<string>
  /** Resolves when the process exits, rejects when it is still running after `millis`. */
  readonly finished: (millis?: number) => Promise<Finished>
  /** Resolves with the first line (printed so far or later) that matches; rejects on exit or after `millis`. */
  readonly line: (matches: (line: string) => boolean, what: string, millis?: number) => Promise<string>
}

/** Every worker started by this file; the ones still alive are killed after each test. */
const children = new Set<ChildProcess>()

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null

/** Rejects with `what` when `promise` has not settled after `millis`. */
const within = <A>(promise: Promise<A>, millis: number, what: string): Promise<A> => {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${millis} ms: ${what}`)), millis)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

const killAll = async () => {
  const alive = [...children].filter((child) => !exited(child))
  await Promise.all(alive.map((child) =>
    within(
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve())
        child.kill("SIGKILL")
      }),
      10_000,
      `worker ${child.pid} to exit after SIGKILL`
    ).catch(() => undefined)
  ))
  for (const child of children) if (exited(child)) children.delete(child)
}

afterEach(killAll)

afterAll(async () => {
  await killAll()
  if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true })
})

/** Starts a worker process (see test/workflow/worker-child.ts for `env`). */
const startWorker = (env: Record<string, string>): WorkerProcess => {
  const child = spawn(process.execPath, [childBundle], {
    env: {
      ...process.env,
      NEXTMV_URL: emulator.url,
      NEXTMV_KEY: Redacted.value(emulator.apiKey),
      DB_URL: dbUrl,
      APP_ID: APP,
      ...env
    },
    // stdin stays open: the worker exits when it closes (when this process goes away).
    stdio: ["pipe", "pipe", "pipe"]
  })
  children.add(child)
  const lines: Array<string> = []
  const waiters = new Set<{ matches: (line: string) => boolean; resolve: (line: string) => void }>()
  let buffer = ""
  let stderr = ""
  child.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8")
    const parts = buffer.split("\n")
    buffer = parts.pop()!
    for (const line of parts) {
      lines.push(line)
      for (const waiter of waiters) if (waiter.matches(line)) waiter.resolve(line)
    }
  })
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const exit = new Promise<Finished>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal, lines, stderr }))
  })
  const describeChild = () => `worker ${env["RUNNER_NAME"] ?? ""} (pid ${child.pid}); stderr: ${stderr.slice(-2_000)}`
  return {
    child,
    lines,
    finished: (millis = PHASE_MILLIS) => within(exit, millis, `${describeChild()} to exit`),
    line: (matches, what, millis = PHASE_MILLIS) => {
      const seen = lines.find(matches)
      if (seen !== undefined) return Promise.resolve(seen)
      let waiter: { matches: (line: string) => boolean; resolve: (line: string) => void } | undefined
      const found = new Promise<string>((resolve, reject) => {
        waiter = { matches, resolve }
        waiters.add(waiter)
        void exit.then((done) => reject(new Error(`${describeChild()} exited (${done.code ?? done.signal}) before ${what}`)))
      })
      return within(found, millis, `${describeChild()}: ${what}`).finally(() => waiters.delete(waiter!))
    }
  }
}

/** The emulator's runs of the application whose name is `run <key>`. */
const runsFor = (key: string) => emulator.areas.runs.list(APP).filter((run) => run.name === `run ${key}`)

/** The run submissions (`POST …/runs`) the emulator received for workflows whose key starts with `prefix`. */
const postsFor = async (prefix: string, worker?: string) =>
  (await Effect.runPromise(emulator.requests)).filter((r) =>
    r.method === "POST" && r.path === `/v1/applications/${APP}/runs` &&
    String((r.json as { name?: string }).name).startsWith(`run ${prefix}`) &&
    (worker === undefined || r.headers["x-test-worker"] === worker)
  )

interface ResultLine {
  readonly key: string
  readonly ok: boolean
  readonly result?: { readonly id: string; readonly output: unknown; readonly metadata: { readonly status_v2: string } }
  readonly error?: string
}

const resultLines = (lines: ReadonlyArray<string>): Array<ResultLine> =>
  lines.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as ResultLine)

/** Every key has one succeeded result, from its only run, with the echo model's output. */
const expectCompletedOnce = (results: ReadonlyArray<ResultLine>, keys: ReadonlyArray<string>) => {
  expect(results.map((r) => r.key).sort()).toEqual([...keys].sort()) // 0 lost
  for (const line of results) {
    expect(line.ok, `${line.key}: ${line.error}`).toBe(true)
    const runs = runsFor(line.key)
    expect(runs, line.key).toHaveLength(1) // 0 duplicates
    expect(runs[0]!.description.startsWith(MARK_PREFIX)).toBe(true)
    expect(line.result!.id).toBe(runs[0]!.id)
    expect(line.result!.metadata.status_v2).toBe("succeeded")
    // The echo model's output: the same input gives the same result whatever happened.
    expect(line.result!.output).toEqual({
      solutions: [{ key: line.key, value: line.key.length }],
      options: {},
      statistics: expect.anything()
    })
  }
}

/** A worker in the test process (cluster tables `tablePrefix`) with the SDK's services on the emulator. */
const inProcess = <A, E>(tablePrefix: string, effect: Effect.Effect<A, E, WorkflowEngine.WorkflowEngine>) =>
  effect.pipe(
    Effect.provide(
      Worker.layer({
        storage: Storage.postgres({ url: Redacted.make(dbUrl), advisoryLocks: false, maxConnections: 4 }),
        tablePrefix,
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

const CRASH_POINTS = ["before-post", "after-post", "while-waiting", "while-fetching-result"] as const

describe("durable run workflow", () => {
  it("completes with exactly one run when the worker is killed at any step and restarted", async () => {
    // Each crash point has its own workflow and its own cluster (table prefix); the four run side by side.
    const cases = CRASH_POINTS.map((point, i) => ({
      point,
      key: `crash-${point}`,
      env: { RUNNER_NAME: `crash-${point}`, WORKER_NAME: `crash-${point}`, TABLE_PREFIX: `crash${i}` }
    }))
    const crashed = await Promise.all(
      cases.map(({ env, key, point }) => startWorker({ ...env, KEYS: key, CRASH_AT: point }).finished())
    )
    crashed.forEach((run, i) => {
      expect(run.signal, `${cases[i]!.point}: ${run.stderr}`).toBe("SIGKILL")
      expect(run.lines).toContain(`crash ${cases[i]!.point}`)
    })
    // Nothing reached the API before the POST; every later crash point left exactly one run.
    expect(runsFor("crash-before-post")).toHaveLength(0)
    for (const { key } of cases.slice(1)) expect(runsFor(key)).toHaveLength(1)

    // Restarted with the same runner name (it takes its shards back at once).
    const restarted = await Promise.all(cases.map(({ env, key }) => startWorker({ ...env, KEYS: key }).finished()))
    restarted.forEach((run, i) => {
      const { key, point } = cases[i]!
      expect(run.code, `${point}: ${run.stderr}`).toBe(0)
      expectCompletedOnce(resultLines(run.lines), [key])
    })
    // One POST per workflow in total, across both lives of each worker.
    expect(await postsFor("crash-")).toHaveLength(cases.length)
    // The mark search is bounded: one unpaged `GET …/runs` per submission attempt (at most one per
    // life of the worker), never a walk through the pages.
    const requests = await Effect.runPromise(emulator.requests)
    for (const { point } of cases) {
      const searches = requests.filter((r) =>
        r.method === "GET" && r.path === `/v1/applications/${APP}/runs` && r.headers["x-test-worker"] === `crash-${point}`
      )
      expect(searches.length, point).toBeGreaterThanOrEqual(1)
      expect(searches.length, point).toBeLessThanOrEqual(2)
      for (const search of searches) expect(search.query, point).toEqual({})
    }
  }, 300_000)

  it("completes once when a worker holding its embedded data directory is killed part-way and restarted on it", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "nextmv-workflow-embedded-"))
    try {
      const keys = ["embedded-1", "embedded-2", "embedded-3"]
      // PGlite opened by the worker itself (Storage.embedded); killed right after its first POST
      // returned, before the submission was recorded, with the other workflows at earlier steps.
      const env = { DATA_DIR: dataDir, RUNNER_NAME: "embedded", KEYS: keys.join(",") }
      const crashed = await startWorker({ ...env, CRASH_AT: "after-post" }).finished()
      expect(crashed.signal, crashed.stderr).toBe("SIGKILL")
      expect(crashed.lines).toContain("crash after-post")
      const before = await postsFor("embedded-")
      expect(before.length).toBeGreaterThan(0)

      const restarted = await startWorker(env).finished()
      expect(restarted.code, restarted.stderr).toBe(0)
      expectCompletedOnce(resultLines(restarted.lines), keys)
      expect(await postsFor("embedded-")).toHaveLength(keys.length)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 300_000)
})

describe("durable workers sharing one database", () => {
  it("a surviving worker finishes every workflow of a killed one: 0 duplicates, 0 lost", async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `shared-${i}`)
    const shared = { TABLE_PREFIX: "shared", LOCK_EXPIRY_MS: "3000" }
    // The runs stay queued until A is dead: A is killed with its workflows part-way (waiting).
    clock.freeze()
    let b: WorkerProcess
    let postedByA: number
    try {
      // A only executes. It says `serving` once it holds shards, so that B, which starts (and
      // awaits) every workflow, finds it there: the shards are split between them from the start
      // and A's share of the workflows runs on A.
      const a = startWorker({ ...shared, MODE: "serve", RUNNER_NAME: "worker-a", WORKER_NAME: "a" })
      await a.line((line) => line === "serving", "holding shards")
      b = startWorker({ ...shared, KEYS: keys.join(","), RUNNER_NAME: "worker-b", WORKER_NAME: "b" })
      // Kill A as soon as it has submitted a run.
      await a.line((line) => line.startsWith("posted run shared-"), "a submission")
      a.child.kill("SIGKILL")
      expect((await a.finished(10_000)).signal).toBe("SIGKILL")
      postedByA = (await postsFor("shared-", "a")).length
      expect(postedByA).toBeGreaterThan(0)
      expect(resultLines(b.lines)).toEqual([]) // nothing had finished
    } finally {
      clock.release()
    }

    // B takes A's shards over once A's locks expire and finishes A's workflows.
    const done = await b.finished()
    expect(done.code, done.stderr).toBe(0)
    const results = resultLines(done.lines)
    expectCompletedOnce(results, keys)
    // A's runs were reused, not submitted again.
    expect((await postsFor("shared-", "a")).length).toBe(postedByA)
    expect(await postsFor("shared-")).toHaveLength(keys.length)
  }, 300_000)
})

describe("a client process (execute: false)", () => {
  it("starts and awaits workflows that a worker process executes; it submits nothing itself", async () => {
    const keys = ["client-1", "client-2"]
    const cluster = { TABLE_PREFIX: "client", LOCK_EXPIRY_MS: "3000" }
    const worker = startWorker({ ...cluster, MODE: "serve", RUNNER_NAME: "worker-c", WORKER_NAME: "c" })
    await worker.line((line) => line === "serving", "holding shards")
    // This process: the same cluster, but a client only. It has the SDK's services (sending
    // `x-test-worker: client`), so anything it executed would show in the emulator's requests.
    const ClientLive = Worker.layer({
      storage: Storage.postgres({ url: Redacted.make(dbUrl), advisoryLocks: false, maxConnections: 2 }),
      execute: false,
      tablePrefix: cluster.TABLE_PREFIX,
      sharding: { shardsPerGroup: 16, entityMessagePollInterval: 500 }
    }).pipe(
      Layer.provide(Layers.services),
      Layer.provide(NextmvClient.layer({ apiKey: emulator.apiKey, baseUrl: emulator.url, headers: { "x-test-worker": "client" } })),
      Layer.provide(Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer))
    )
    const polling = { initialDelayMillis: 20, delayMillis: 50, backoffMillis: 0, maxDelayMillis: 50, maxTries: 2_000 }
    const exit = await within(
      Effect.forEach(
        keys,
        (key) => RunWorkflow.RunWorkflow.execute({ appId: APP, key, input: { key, value: key.length }, name: `run ${key}`, polling }),
        { concurrency: "unbounded" }
      ).pipe(Effect.provide(ClientLive), Effect.scoped, Effect.runPromiseExit),
      PHASE_MILLIS,
      "the client's workflows"
    )
    if (Exit.isFailure(exit)) expect.fail(String(exit.cause))
    exit.value.forEach((result, i) => {
      const runs = runsFor(keys[i]!)
      expect(runs).toHaveLength(1)
      expect(result.id).toBe(runs[0]!.id)
      expect(result.metadata.status_v2).toBe("succeeded")
    })
    // Every request of these workflows came from the worker process.
    const requests = await Effect.runPromise(emulator.requests)
    expect(requests.filter((r) => r.headers["x-test-worker"] === "client")).toEqual([])
    expect((await postsFor("client-", "c")).length).toBe(keys.length)
  }, 300_000)
})

describe("workflows in this process", () => {
  const fast = { initialDelayMillis: 10, delayMillis: 20, backoffMillis: 0, maxDelayMillis: 20, maxTries: 500 }
  const EXP_APP = "durable-exp"

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
    const exit = await inProcess(
      "inproc",
      Effect.gen(function*() {
        const broken = { appId: EXP_APP, key: "broken-1", instanceId: "broken", input: { x: 1 }, polling: fast }
        const failed = yield* Effect.flip(RunWorkflow.RunWorkflow.execute(broken))
        // The failure is the workflow's stored result: executing again returns it, submits nothing.
        const failedAgain = yield* Effect.flip(RunWorkflow.RunWorkflow.execute(broken))
        expect(failedAgain).toEqual(failed)
        // A submit step that fails (here 404: no such application yet) ends the workflow with the
        // typed NextmvHttpError, and the same (appId, key) keeps returning it.
        const missing = { appId: "durable-missing", key: "missing-1", input: { x: 1 }, polling: fast }
        const notFound = yield* Effect.flip(RunWorkflow.RunWorkflow.execute(missing))
        expect(notFound).toMatchObject({ _tag: "NextmvHttpError", status: 404 })
        emulator.areas.applications.seed({ id: "durable-missing" })
        expect(yield* Effect.flip(RunWorkflow.RunWorkflow.execute(missing))).toEqual(notFound)
        expect(emulator.areas.runs.list("durable-missing")).toEqual([])
        const experiment = yield* ExperimentWorkflows.BatchExperimentWorkflow.execute(batch)
        const again = yield* ExperimentWorkflows.BatchExperimentWorkflow.execute(batch)
        const test = yield* ExperimentWorkflows.AcceptanceTestWorkflow.execute(acceptance)
        return { failed, experiment, again, test }
      })
    )
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

describe("a transient submission failure", () => {
  const fast = { initialDelayMillis: 10, delayMillis: 20, backoffMillis: 0, maxDelayMillis: 20, maxTries: 500 }
  // Sleeps of 1 ms: the retry path (a stored durable sleep, then the next attempt) is taken, but the
  // test waits on nothing but the emulator's answers.
  const retry = { maxAttempts: 3, initialDelayMillis: 1, maxDelayMillis: 1 }
  const runsPath = (app: string) => `/v1/applications/${app}/runs`

  /** The run submissions and the mark searches (unpaged `GET …/runs`) the emulator received for `app`. */
  const traffic = async (app: string) => {
    const requests = (await Effect.runPromise(emulator.requests)).filter((r) => r.path === runsPath(app))
    return { posts: requests.filter((r) => r.method === "POST"), searches: requests.filter((r) => r.method === "GET") }
  }

  const request = (app: string, key: string, submitRetry = retry) => ({
    appId: app,
    key,
    input: { key, value: key.length },
    name: `run ${key}`,
    polling: fast,
    submitRetry
  })

  it("is retried after a mark search: a lost answer reuses its run, a 503 submits again; one run each", async () => {
    const lost = "retry-lost"
    const unavailable = "retry-unavailable"
    for (const id of [lost, unavailable]) emulator.areas.applications.seed({ id })
    // The first POST creates its run but the connection closes before the answer (the client does
    // not resend a POST whose request was sent); the other app refuses its first two POSTs with 503.
    await Effect.runPromise(emulator.injectFault({ method: "POST", path: runsPath(lost), action: Emulator.FaultAction.dropResponse }))
    await Effect.runPromise(
      emulator.injectFault({ method: "POST", path: runsPath(unavailable), times: 2, action: Emulator.FaultAction.status(503) })
    )
    const exit = await inProcess(
      "retry",
      Effect.all([
        RunWorkflow.RunWorkflow.execute(request(lost, "lost-1")),
        RunWorkflow.RunWorkflow.execute(request(unavailable, "unavailable-1"))
      ], { concurrency: "unbounded" })
    )
    await Effect.runPromise(emulator.clearFaults)
    if (Exit.isFailure(exit)) expect.fail(String(exit.cause))
    const cases = [{ app: lost, key: "lost-1", posts: 1, searches: 2 }, { app: unavailable, key: "unavailable-1", posts: 3, searches: 3 }]
    for (const [i, { app, key, posts, searches }] of cases.entries()) {
      const result = exit.value[i]!
      const runs = emulator.areas.runs.list(app)
      expect(runs, app).toHaveLength(1) // 0 duplicates
      expect(runs[0]!.description.startsWith(MARK_PREFIX)).toBe(true)
      expect(result.id).toBe(runs[0]!.id)
      expect(result.metadata.status_v2).toBe("succeeded")
      expect(result.output).toEqual({ solutions: [{ key, value: key.length }], options: {}, statistics: expect.anything() })
      // Every attempt searched for the mark before its POST; the lost answer's run was found, not sent again.
      const seen = await traffic(app)
      expect(seen.posts, app).toHaveLength(posts)
      expect(seen.searches, app).toHaveLength(searches)
      for (const search of seen.searches) expect(search.query).toEqual({})
    }
  }, 180_000)

  it("a batch experiment whose creation answer was lost is found by its id, not created twice", async () => {
    const app = "retry-exp"
    emulator.areas.applications.seed({ id: app })
    emulator.areas.managedInputs.seed(app, { id: "mi-1", data: { value: 1 } })
    emulator.areas.runs.setModel(`${app}/prod`, Models.output(() => ({ statistics: { result: { value: 1 } } })))
    const path = `/v1/applications/${app}/experiments/batch`
    await Effect.runPromise(emulator.injectFault({ method: "POST", path, action: Emulator.FaultAction.dropResponse }))
    const exit = await inProcess(
      "retry",
      ExperimentWorkflows.BatchExperimentWorkflow.execute({
        appId: app,
        id: "retry-batch",
        runs: [{ inputId: "mi-1", instanceId: "prod" }],
        polling: fast,
        submitRetry: retry
      })
    )
    await Effect.runPromise(emulator.clearFaults)
    if (Exit.isFailure(exit)) expect.fail(String(exit.cause))
    expect(exit.value.id).toBe("retry-batch")
    expect(exit.value.status).toBe("completed")
    const requests = await Effect.runPromise(emulator.requests)
    expect(requests.filter((r) => r.method === "POST" && r.path === path)).toHaveLength(1)
    // Attempt 1 looked the id up (404) before its POST; attempt 2 found the experiment.
    expect(requests.filter((r) => r.method === "GET" && r.path === `${path}/retry-batch/metadata`).length).toBeGreaterThanOrEqual(2)
  }, 180_000)

  it("ends the workflow with the typed error: at once for a 4xx, after maxAttempts for a lasting 503", async () => {
    const invalid = "retry-invalid"
    const down = "retry-down"
    for (const id of [invalid, down]) emulator.areas.applications.seed({ id })
    await Effect.runPromise(
      emulator.injectFault({
        method: "POST",
        path: runsPath(invalid),
        action: Emulator.FaultAction.status(400, { body: { error: "invalid input" } })
      })
    )
    await Effect.runPromise(
      emulator.injectFault({ method: "POST", path: runsPath(down), times: Infinity, action: Emulator.FaultAction.status(503) })
    )
    const exit = await inProcess(
      "retry",
      Effect.gen(function*() {
        const badRequest = yield* Effect.flip(RunWorkflow.RunWorkflow.execute(request(invalid, "invalid-1")))
        const unavailable = yield* Effect.flip(RunWorkflow.RunWorkflow.execute(request(down, "down-1")))
        // The failure is the workflow's stored result: the same (appId, key) returns it, sends nothing.
        const again = yield* Effect.flip(RunWorkflow.RunWorkflow.execute(request(down, "down-1")))
        return { badRequest, unavailable, again }
      })
    )
    await Effect.runPromise(emulator.clearFaults)
    if (Exit.isFailure(exit)) expect.fail(String(exit.cause))
    const { again, badRequest, unavailable } = exit.value
    expect(badRequest).toMatchObject({ _tag: "NextmvHttpError", status: 400, method: "POST" })
    expect(unavailable).toMatchObject({ _tag: "NextmvHttpError", status: 503, method: "POST" })
    expect(again).toEqual(unavailable)
    const bad = await traffic(invalid)
    expect(bad.posts).toHaveLength(1) // not retried
    expect(bad.searches).toHaveLength(1)
    const gone = await traffic(down)
    expect(gone.posts).toHaveLength(retry.maxAttempts) // bounded
    expect(gone.searches).toHaveLength(retry.maxAttempts)
    expect(emulator.areas.runs.list(invalid)).toEqual([])
    expect(emulator.areas.runs.list(down)).toEqual([])
  }, 180_000)
})

describe("transient failures and the retry delays", () => {
  it("classifies timeouts, connection errors, 408/429/5xx as transient; other 4xx and decode errors not", () => {
    const http = (fields: Partial<ConstructorParameters<typeof NextmvHttpError>[0]>) =>
      new NextmvHttpError({ method: "POST", path: "/v1/applications/a/runs", reason: "status", ...fields })
    expect(RunWorkflow.isTransient(http({ reason: "timeout" }))).toBe(true)
    expect(RunWorkflow.isTransient(http({ reason: "transport" }))).toBe(true)
    for (const status of [408, 429, 500, 502, 503, 504]) expect(RunWorkflow.isTransient(http({ status })), `${status}`).toBe(true)
    for (const status of [400, 401, 403, 404, 409, 413, 422, 501]) {
      expect(RunWorkflow.isTransient(http({ status })), `${status}`).toBe(false)
    }
    expect(RunWorkflow.isTransient(new NextmvDecodeError({ operation: "newRun", issue: "bad" }))).toBe(false)
  })

  it("doubles from initialDelayMillis up to maxDelayMillis; defaults 5 attempts, 2 s, 60 s", () => {
    const defaults = RunWorkflow.submitRetrySettings(undefined)
    expect(defaults).toMatchObject({ maxAttempts: 5, initialDelayMillis: 2_000, maxDelayMillis: 60_000 })
    expect([1, 2, 3, 4].map((n) => RunWorkflow.submitRetryDelay(defaults, n))).toEqual([2_000, 4_000, 8_000, 16_000])
    expect(RunWorkflow.submitRetryDelay(defaults, 7)).toBe(60_000)
    expect(RunWorkflow.submitRetrySettings({ maxAttempts: 0 }).maxAttempts).toBe(1)
  })
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
