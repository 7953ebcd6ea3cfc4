/**
 * Scale figure of `nextmv-effect/workflow` (`npx tsx bench/workflow.ts`, `BENCH_WORKFLOWS`
 * workflows, default 1,000): that many durable run workflows waiting at once in one worker
 * process on embedded storage (PGlite in a temporary data directory), against the in-process
 * emulator whose runs stay `running` until the bench moves its clock.
 *
 * Reports: RSS per waiting workflow (process RSS, embedded database included, minus the RSS of
 * the idle worker), database rows per workflow (every table of the cluster), and after a restart
 * (worker and database closed, the runs finished meanwhile, database reopened, worker started)
 * the time until all workflows have completed.
 */
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Effect, Exit, Layer, Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Layers from "../src/Layers.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import * as Emulator from "../src/testing/Emulator.js"
import { RunWorkflow, Storage, Worker } from "../src/workflow/index.js"

const WORKFLOWS = Number(process.env["BENCH_WORKFLOWS"] ?? 1_000)
const APP = "bench-app"
const SLEEP_MILLIS = 5_000

let clockOffset = 0
const now = () => Date.now() + clockOffset

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)
const memory = () => {
  globalThis.gc?.()
  return process.memoryUsage()
}
const perWorkflow = (bytes: number) => `${(bytes / WORKFLOWS / 1024).toFixed(1)} kB`
const seconds = (millis: number) => (millis / 1000).toFixed(1)

const waitFor = (what: string, condition: () => boolean, maxMillis = 600_000) =>
  Effect.gen(function*() {
    const start = Date.now()
    while (!condition()) {
      if (Date.now() - start > maxMillis) return yield* Effect.dieMessage(`timed out waiting for ${what}`)
      yield* Effect.sleep("200 millis")
    }
  })

const program = Effect.gen(function*() {
  const dataDir = mkdtempSync(join(tmpdir(), "nextmv-workflow-bench-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dataDir, { recursive: true, force: true })))
  const emulator = yield* Emulator.Emulator
  emulator.areas.applications.seed({ id: APP })
  const requests = () => Effect.runSync(emulator.requests)
  const count = (method: string, pattern: RegExp) => requests().filter((r) => r.method === method && pattern.test(r.path)).length

  const Services = Layers.services.pipe(
    // No request budget: this measures the engine; Nextmv Cloud's published limits (5 submissions/s,
    // 200 results per 10 s) would bound 1,000 submissions to >= 200 s and 1,000 results to >= 50 s.
    Layer.provide(NextmvClient.layer({ apiKey: emulator.apiKey, baseUrl: emulator.url, budget: false })),
    Layer.provide(Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer))
  )

  /** Opens the embedded database and a worker on it; returns what is needed to measure and stop. */
  const start = Effect.gen(function*() {
    const scope = yield* Scope.make()
    const opened = Date.now()
    const served = yield* Scope.extend(Storage.serveEmbedded({ dataDir }), scope)
    const openMillis = Date.now() - opened
    const storage = Storage.postgres({ url: served.url, advisoryLocks: false, maxConnections: 8 })
    const context = yield* Layer.buildWithScope(
      Layer.mergeAll(
        Worker.layer({ storage, sharding: { entityMessagePollInterval: 1_000 } }).pipe(Layer.provide(Services)),
        PgClient.layer({ url: served.url, maxConnections: 1 })
      ),
      scope
    )
    return { scope, context, openMillis }
  })

  const rowCounts = (sql: SqlClient.SqlClient) =>
    Effect.gen(function*() {
      const tables = yield* sql<{ table_name: string }>`
        SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`
      const counts: Record<string, number> = {}
      for (const { table_name } of tables) {
        const [row] = yield* sql<{ n: string }>`SELECT count(*)::text AS n FROM ${sql(table_name)}`
        counts[table_name] = Number(row!.n)
      }
      return counts
    })

  const polling = {
    initialDelayMillis: SLEEP_MILLIS,
    delayMillis: SLEEP_MILLIS,
    backoffMillis: 0,
    maxDelayMillis: SLEEP_MILLIS,
    maxTries: -1,
    maxDurationMillis: -1,
    inMemorySleepMillis: 0 // every sleep is stored: waiting workflows leave memory
  }
  const keys = Array.from({ length: WORKFLOWS }, (_, i) => `wf-${i}`)

  // --- 1. start the workflows and let them all reach the waiting phase
  const first = yield* start
  const idle = memory()
  const started = Date.now()
  yield* Effect.forEach(
    keys,
    (key) => RunWorkflow.RunWorkflow.execute({ appId: APP, key, input: { key }, polling }, { discard: true }),
    { concurrency: 50 }
  ).pipe(Effect.provide(first.context))
  yield* waitFor("all runs submitted", () => count("POST", /\/runs$/) >= WORKFLOWS)
  const submittedMillis = Date.now() - started
  yield* waitFor("a first status check of every run", () => count("GET", /\/metadata$/) >= WORKFLOWS)
  const waitingMillis = Date.now() - started
  yield* Effect.sleep("2 seconds") // settle: every workflow is in a stored sleep
  const waiting = memory()
  yield* emulator.clearRequests
  const sql = yield* Effect.provide(SqlClient.SqlClient, first.context)
  const rows = yield* rowCounts(sql)
  // Per workflow: the message and reply rows; locks (one per shard), runners, migrations are fixed.
  const workflowRows = (rows["cluster_messages"] ?? 0) + (rows["cluster_replies"] ?? 0)

  // --- 2. restart: stop worker and database, finish the runs meanwhile, reopen, resume
  yield* Scope.close(first.scope, Exit.void)
  clockOffset += 2 * 60 * 60 * 1000 // every run is now succeeded
  yield* Effect.sleep(`${SLEEP_MILLIS} millis`) // every stored sleep is now due
  const resultsBefore = 0 // the request log was cleared above
  const restarted = Date.now()
  const second = yield* start
  yield* waitFor("every result fetched", () => count("GET", /\/runs\/[^/]+$/) - resultsBefore >= WORKFLOWS)
  const resumeMillis = Date.now() - restarted
  // Every workflow completed (stored result) and no run was submitted twice.
  const results = yield* Effect.forEach(
    keys,
    (key) =>
      Effect.flatMap(
        RunWorkflow.RunWorkflow.executionId({ appId: APP, key, input: { key }, polling }),
        RunWorkflow.RunWorkflow.poll
      ),
    { concurrency: 20 }
  ).pipe(Effect.provide(second.context))
  const completed = results.filter((r) => r !== undefined && r._tag === "Complete").length
  const runs = emulator.areas.runs.list(APP).length
  yield* Scope.close(second.scope, Exit.void)

  const lines = [
    `durable workflows waiting at once: ${WORKFLOWS} (one process, embedded PGlite storage)`,
    `  all submitted after ${seconds(submittedMillis)} s, all waiting (first check done) after ${seconds(waitingMillis)} s`,
    `  RSS idle worker ${mb(idle.rss)} MB, with ${WORKFLOWS} waiting ${mb(waiting.rss)} MB → ${
      perWorkflow(waiting.rss - idle.rss)
    } per workflow`,
    `    of which JS heap ${perWorkflow(waiting.heapUsed - idle.heapUsed)} (worker, emulator state and request log), ` +
    `the rest native memory (PGlite's WebAssembly heap, buffers)`,
    `  database rows per workflow ${(workflowRows / WORKFLOWS).toFixed(1)} (messages + replies; all tables: ${JSON.stringify(rows)})`,
    `restart: database reopened in ${seconds(second.openMillis)} s; all ${WORKFLOWS} resumed and completed ${
      seconds(resumeMillis)
    } s after the restart began`,
    `  completed workflows ${completed}/${WORKFLOWS}, runs in the emulator ${runs} (duplicates: ${runs - WORKFLOWS})`
  ]
  console.log(lines.join("\n"))
})

program.pipe(
  Effect.provide(Emulator.layer({ now, runs: { queuedMillis: 0, runningMillis: 60 * 60 * 1000 } })),
  Effect.scoped,
  Effect.runPromise
).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
