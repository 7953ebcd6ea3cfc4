/**
 * `npm run worker`: a long-running worker that submits and follows runs on one `RunTracker`.
 *
 * - Bounded concurrency: at most `WORKER_CONCURRENCY` (default 8) runs in flight.
 * - Graceful shutdown on SIGINT/SIGTERM: stop taking work, let the runs in flight finish for up to
 *   `WORKER_GRACE_SECONDS` (default 20), then cancel the rest and wait (bounded) for their end.
 * - Structured logs (JSON lines) and a progress line every few seconds: queued, running, done,
 *   failed, and the request budget (tokens left, waiters, 429s).
 *
 * Without `NEXTMV_API_KEY` it runs against the embedded emulator (which enforces the published
 * rate limits) with `WORKER_JOBS` (default 40) sample jobs. With `NEXTMV_API_KEY` and
 * `NEXTMV_APP_ID` it submits the same jobs to Nextmv Cloud.
 */
import { NodeContext } from "@effect/platform-node"
import { Config, Deferred, Duration, Effect, Exit, Fiber, FiberSet, Layer, Logger, LogLevel, Option, Queue, Schedule } from "effect"
import { Layers, NextmvClient, RunFailedError, RunTracker } from "../src/index.js"
import { NodeTransport } from "../src/node/index.js"
import { type DecisionModel, Emulator, Models } from "../src/testing/index.js"

const CONCURRENCY = Number(process.env["WORKER_CONCURRENCY"] ?? 8)
const GRACE = Duration.seconds(Number(process.env["WORKER_GRACE_SECONDS"] ?? 20))
const JOBS = Number(process.env["WORKER_JOBS"] ?? 40)

interface Job {
  readonly id: number
  readonly input: { readonly value: number; readonly millis: number }
}

/** Counters for the progress line. */
const counts = { queued: 0, running: 0, done: 0, failed: 0, canceled: 0 }

/** The worker: takes jobs until shutdown, at most CONCURRENCY at a time. */
const work = (appId: string, jobs: Queue.Queue<Job>, shutdown: Deferred.Deferred<void>) =>
  Effect.gen(function*() {
    const tracker = yield* RunTracker.RunTracker
    const client = yield* NextmvClient.NextmvClient
    const slots = yield* Effect.makeSemaphore(CONCURRENCY)
    const inFlight = yield* FiberSet.make<void, never>()
    const runIds = new Set<string>()

    const handle = (job: Job) =>
      Effect.gen(function*() {
        const runId = yield* tracker.submit(appId, { input: job.input, name: `job ${job.id}` })
        runIds.add(runId)
        yield* Effect.logInfo("run submitted").pipe(Effect.annotateLogs({ job: job.id, runId }))
        const result = yield* tracker.await(appId, runId).pipe(Effect.ensuring(Effect.sync(() => runIds.delete(runId))))
        counts.done++
        yield* Effect.logInfo("run succeeded").pipe(
          Effect.annotateLogs({ job: job.id, runId, durationMs: result.metadata.execution_duration ?? 0 })
        )
      }).pipe(
        Effect.catchAll((error) =>
          Effect.gen(function*() {
            if (error instanceof RunFailedError && error.status === "canceled") counts.canceled++
            else counts.failed++
            yield* Effect.logWarning("run did not succeed").pipe(
              Effect.annotateLogs({ job: job.id, error: error._tag, message: error.message })
            )
          })
        ),
        Effect.ensuring(Effect.sync(() => counts.running--))
      )

    const progress = Effect.gen(function*() {
      const budget = yield* client.budget.state
      const api = budget.classes.api
      yield* Effect.logInfo(
        `progress: queued ${counts.queued}, running ${counts.running}, done ${counts.done}, failed ${counts.failed}, ` +
          `canceled ${counts.canceled}; budget: api ${api ? `${api.available}/${api.effectiveRequests}` : "off"}, ` +
          `waiting ${budget.waiting}, in flight ${budget.inFlight}, 429s ${budget.rateLimited}`
      )
    })
    const ticker = yield* Effect.fork(Effect.repeat(progress, Schedule.spaced("3 seconds")))

    // Take work until the queue is empty or a shutdown signal arrives.
    const dispatch = Effect.gen(function*() {
      while (true) {
        yield* slots.take(1)
        const next = yield* Queue.poll(jobs)
        if (Option.isNone(next)) {
          yield* slots.release(1)
          return
        }
        counts.queued--
        counts.running++
        yield* FiberSet.run(inFlight, Effect.ensuring(handle(next.value), slots.release(1)))
      }
    })
    const stopped = yield* Effect.raceFirst(Effect.as(dispatch, false), Effect.as(Deferred.await(shutdown), true))
    if (stopped) {
      yield* Effect.logWarning("shutdown: no new work taken").pipe(
        Effect.annotateLogs({ inFlight: counts.running, graceSeconds: Duration.toSeconds(GRACE) })
      )
    }
    // Settle what is in flight; a second signal or the grace period ends the wait.
    const settled = yield* FiberSet.awaitEmpty(inFlight).pipe(Effect.timeout(GRACE), Effect.option)
    if (Option.isNone(settled)) {
      yield* Effect.logWarning("grace period over: canceling the runs still in flight").pipe(
        Effect.annotateLogs({ runs: [...runIds].join(",") })
      )
      yield* Effect.forEach([...runIds], (runId) => Effect.ignore(tracker.cancel(appId, runId)), { concurrency: 4 })
      // Canceled runs end quickly; still bounded.
      yield* FiberSet.awaitEmpty(inFlight).pipe(Effect.timeout("30 seconds"), Effect.ignore)
    }
    yield* Fiber.interrupt(ticker)
    yield* progress
    yield* Effect.logInfo("worker stopped")
  })

/** Runs the worker until the jobs are done or SIGINT/SIGTERM, then settles within the bound. */
const runWorker = (appId: string, jobs: ReadonlyArray<Job>) =>
  Effect.gen(function*() {
    const queue = yield* Queue.unbounded<Job>()
    yield* Queue.offerAll(queue, jobs)
    counts.queued = jobs.length
    const shutdown = yield* Deferred.make<void>()
    const onSignal = (signal: string) => () => {
      Effect.runFork(Effect.logWarning(`received ${signal}`).pipe(Effect.provide(Logger.json)))
      Deferred.unsafeDone(shutdown, Exit.void)
    }
    process.once("SIGINT", onSignal("SIGINT"))
    process.once("SIGTERM", onSignal("SIGTERM"))
    yield* Effect.scoped(work(appId, queue, shutdown))
  })

/** Sample jobs: runs of 2–8 s; every 9th job asks for an impossible plan and fails. */
const sampleJobs: ReadonlyArray<Job> = Array.from({ length: JOBS }, (_, id) => ({
  id,
  input: { value: id % 9 === 8 ? -1 : id, millis: 2_000 + ((id * 1_337) % 6_000) }
}))

/** The emulator's model for the sample jobs: takes `millis`, fails on a negative value. */
const sampleModel: DecisionModel = (input) => {
  const given = typeof input.input === "object" && input.input !== null ? input.input : {}
  const millis = "millis" in given && typeof given.millis === "number" ? given.millis : 1_000
  const value = "value" in given && typeof given.value === "number" ? given.value : 0
  return value < 0
    ? { ...Models.fail("infeasible: negative demand")(input), durationMillis: millis }
    : { ...Models.echo(input), durationMillis: millis }
}

const fastPolling = { initialDelay: "500 millis", delay: "100 millis", backoff: "200 millis", maxDelay: "2 seconds" } as const

const onEmulator = Effect.gen(function*() {
  const emulator = yield* Emulator.Emulator
  emulator.areas.applications.seed({ id: "worker-demo" })
  emulator.areas.runs.setModel("worker-demo", sampleModel)
  yield* Effect.logInfo("running against the embedded emulator (published rate limits enforced)").pipe(
    Effect.annotateLogs({ url: emulator.url, jobs: JOBS, concurrency: CONCURRENCY })
  )
  yield* runWorker("worker-demo", sampleJobs)
}).pipe(
  Effect.provide(
    RunTracker.layer({ polling: fastPolling }).pipe(
      Layer.provideMerge(Layers.services),
      Layer.provideMerge(Emulator.layerClient({ rateLimits: true, runs: { queuedMillis: 300 } })),
      Layer.provide(Layer.mergeAll(NodeTransport.layer, NodeContext.layer))
    )
  )
)

const onCloud = (appId: string) =>
  runWorker(appId, sampleJobs).pipe(
    Effect.provide(
      RunTracker.layer().pipe(
        Layer.provideMerge(Layers.services),
        Layer.provideMerge(NextmvClient.layerConfig()),
        Layer.provide(Layer.mergeAll(NodeTransport.layer, NodeContext.layer))
      )
    )
  )

const main = Effect.gen(function*() {
  const apiKey = yield* Config.option(Config.nonEmptyString("NEXTMV_API_KEY"))
  const appId = yield* Config.option(Config.nonEmptyString("NEXTMV_APP_ID"))
  if (Option.isSome(apiKey) && Option.isSome(appId)) return yield* onCloud(appId.value)
  return yield* onEmulator
}).pipe(Effect.provide(Logger.json), Logger.withMinimumLogLevel(LogLevel.Info))

Effect.runPromiseExit(main).then((exit) => {
  if (Exit.isFailure(exit)) process.stderr.write(`worker failed: ${String(exit.cause)}\n`)
  process.exit(Exit.isSuccess(exit) ? 0 : 1)
})
