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
import * as Emulator from "../src/testing/Emulator.js"
import { Storage } from "../src/workflow/index.js"
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
    const crashed = await Promise.all(cases.map(({ key, point, port }) =>
      startWorker({ KEYS: key, CRASH_AT: point, RUNNER_PORT: port, TABLE_PREFIX: `crash${port}` }).finished
    ))
    crashed.forEach((run, i) => {
      expect(run.signal, `${cases[i]!.point}: ${run.stderr}`).toBe("SIGKILL")
      expect(run.lines).toContain(`crash ${cases[i]!.point}`)
    })
    // Nothing reached the API before the POST; every later crash point left exactly one run.
    expect(runsFor("crash-before-post")).toHaveLength(0)
    for (const { key } of cases.slice(1)) expect(runsFor(key)).toHaveLength(1)

    const restarted = await Promise.all(cases.map(({ key, port }) => startWorker({ KEYS: key, RUNNER_PORT: port, TABLE_PREFIX: `crash${port}` }).finished))
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
      expect(line.result!.output).toEqual({ solutions: [{ key: line.key, value: line.key.length }], options: {}, statistics: expect.anything() })
    }
    expect((await postsBy("a")).length + (await postsBy("b")).length).toBe(keys.length)
  }, 180_000)
})
