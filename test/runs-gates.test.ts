/**
 * The run programs' gates: at most the client's `maxConnections` (default
 * `DEFAULT_MAX_CONNECTIONS`) submissions, and as many status checks, in progress at once per
 * `Runs` service (shared by a service made by spreading it); the others wait (FIFO) before anything of their
 * request is built, and an interrupted waiter leaves its place without losing a permit. A
 * submission never holds back the checks of runs already submitted.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Option, Tracer } from "effect"
import { newRunWithResult, runResultWithPolling } from "../src/programs/Runs.js"
import { DEFAULT_MAX_CONNECTIONS } from "../src/services/NextmvClient.js"
import * as Runs from "../src/services/Runs.js"
import { driveUntil, eventually } from "../src/testing/Drive.js"
import type { ClientOptions } from "../src/testing/Emulator.js"
import { servicesLayer } from "./support/layers.js"

interface Counts {
  /** Calls in progress. */
  now: number
  /** Calls started. */
  started: number
  /** The most in progress at once. */
  max: number
  /** Whether a call found a span as its parent. */
  parented: boolean
  /** The run ids of the calls in progress. */
  readonly active: Set<string>
}

const count = (): Counts => ({ now: 0, started: 0, max: 0, parented: false, active: new Set() })

/** A call that never answers (until interrupted), counted in `counts`. */
const hanging = <A>(counts: Counts, runId = ""): Effect.Effect<A> =>
  Effect.suspend(() => {
    counts.active.add(runId)
    counts.now++
    counts.started++
    counts.max = Math.max(counts.max, counts.now)
    return Effect.flatMap(Effect.currentParentSpan, () => Effect.sync(() => (counts.parented = true))).pipe(
      Effect.ignore,
      Effect.zipRight(Effect.never),
      Effect.ensuring(Effect.sync(() => {
        counts.now--
        counts.active.delete(runId)
      }))
    )
  })

/**
 * The Runs service with `newRun` and `runInformation` replaced by counted calls that never answer,
 * and `cancelRun` counted in `cancels`.
 */
const hangingRuns = (submissions: Counts, checks: Counts, cancels: Array<string> = [], client: ClientOptions["client"] = {}) =>
  Layer.effect(
    Runs.Runs,
    Effect.map(Runs.Runs, (runs) =>
      Runs.Runs.of({
        ...runs,
        newRun: () => hanging(submissions),
        runInformation: (_, runId) => hanging(checks, runId),
        cancelRun: (_, runId) => Effect.sync(() => void cancels.push(runId))
      }))
  ).pipe(Layer.provide(servicesLayer({ client })))

const forkAll = <A, E, R>(n: number, program: (i: number) => Effect.Effect<A, E, R>) =>
  Effect.forEach(Array.from({ length: n }, (_, i) => i), (i) => Effect.fork(program(i)))

/** A tracer whose spans record nothing. */
const tracer = Tracer.make({
  context: (f) => f(),
  span: (name, parent, context, links, startTime, kind) => ({
    _tag: "Span",
    name,
    spanId: "span",
    traceId: "trace",
    parent,
    context,
    status: { _tag: "Started", startTime },
    attributes: new Map(),
    links,
    sampled: true,
    kind,
    end: () => {},
    attribute: () => {},
    event: () => {},
    addLinks: () => {}
  })
})

const noWait = { initialDelay: 1, delay: 1, backoff: 0, jitter: 0 }

describe("the run programs' gates", () => {
  const submissions = count()
  const checks = count()
  it.effect("at most DEFAULT_MAX_CONNECTIONS submissions at once; interrupted waiters leave the queue, no permit is lost", () =>
    Effect.gen(function*() {
      const cap = DEFAULT_MAX_CONNECTIONS
      const fibers = yield* forkAll(cap + 36, () => newRunWithResult("app-1", { input: { value: 1 } }))
      yield* eventually(Effect.sync(() => submissions.started >= cap))
      yield* Effect.yieldNow()
      expect(submissions.started).toBe(cap)
      expect(submissions.now).toBe(cap)
      // 16 of the waiters give up their place, then 20 submissions in progress are interrupted:
      // the 20 permits go to the 20 remaining waiters, in order.
      yield* Fiber.interruptAll(fibers.slice(cap + 20))
      yield* Fiber.interruptAll(fibers.slice(0, 20))
      yield* eventually(Effect.sync(() => submissions.started >= cap + 20))
      expect(submissions.now).toBe(cap)
      expect(submissions.started).toBe(cap + 20)
      // Every permit is back once they all end: a full gate's worth starts at once again.
      yield* Fiber.interruptAll(fibers)
      expect(submissions.now).toBe(0)
      const again = yield* forkAll(cap, () => newRunWithResult("app-1", { input: { value: 1 } }))
      yield* eventually(Effect.sync(() => submissions.now >= cap))
      expect(submissions.started).toBe(2 * cap + 20)
      yield* Fiber.interruptAll(again)
      // No tracer installed: the requests have no parent span (the program makes none).
      expect(submissions.parented).toBe(false)
    }).pipe(Effect.provide(hangingRuns(submissions, checks))))

  const checks2 = count()
  it.effect("at most DEFAULT_MAX_CONNECTIONS status checks at once, whatever the submissions do", () =>
    Effect.gen(function*() {
      const cap = DEFAULT_MAX_CONNECTIONS
      // A full gate of submissions in progress does not hold back the checks.
      const submitting = yield* forkAll(cap, () => newRunWithResult("app-1", { input: { value: 1 } }))
      const waiting = yield* forkAll(cap + 10, (i) => runResultWithPolling("app-1", `run-${i}`, { polling: noWait }))
      yield* driveUntil(Effect.sync(() => checks2.started >= cap))
      yield* Effect.yieldNow()
      expect(checks2.now).toBe(cap)
      expect(checks2.started).toBe(cap)
      // 10 programs whose check is in progress end: 10 waiting checks start.
      const inProgress = [...checks2.active].slice(0, 10).map((runId) => waiting[Number(runId.slice(4))]!)
      yield* Fiber.interruptAll(inProgress)
      yield* eventually(Effect.sync(() => checks2.started >= cap + 10))
      expect(checks2.now).toBe(cap)
      expect(checks2.max).toBe(cap)
      // No tracer installed: the checks have no parent span (the program makes none).
      expect(checks2.parented).toBe(false)
      yield* Fiber.interruptAll([...waiting, ...submitting])
      expect(checks2.now).toBe(0)
    }).pipe(Effect.provide(hangingRuns(count(), checks2))))

  for (const cap of [8, DEFAULT_MAX_CONNECTIONS + 36]) {
    const wide = count()
    const wideChecks = count()
    it.effect(`the gates follow the client's maxConnections (${cap}), also for a service made by spreading it`, () =>
      Effect.gen(function*() {
        const fibers = yield* forkAll(cap + 10, () => newRunWithResult("app-1", { input: { value: 1 } }))
        const waiting = yield* forkAll(cap + 10, (i) => runResultWithPolling("app-1", `run-${i}`, { polling: noWait }))
        yield* driveUntil(Effect.sync(() => wide.started >= cap && wideChecks.started >= cap))
        yield* Effect.yieldNow()
        expect(wide.now).toBe(cap)
        expect(wide.started).toBe(cap)
        expect(wideChecks.now).toBe(cap)
        expect(wideChecks.started).toBe(cap)
        yield* Fiber.interruptAll([...fibers, ...waiting])
      }).pipe(Effect.provide(hangingRuns(wide, wideChecks, [], { maxConnections: cap }))))
  }

  const traced = count()
  it.effect("with a tracer installed, the requests are children of the program's span", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(newRunWithResult("app-1", { input: {} }).pipe(Effect.withTracer(tracer)))
      yield* eventually(Effect.sync(() => traced.started >= 1))
      expect(traced.parented).toBe(true)
      yield* Fiber.interrupt(fiber)
    }).pipe(Effect.provide(hangingRuns(traced, count()))))

  const queued = count()
  const cancels: Array<string> = []
  it.effect("cancelOnInterrupt: an interrupt while the submission waits at the gate ends the program at once, nothing sent or canceled", () =>
    Effect.gen(function*() {
      const cap = DEFAULT_MAX_CONNECTIONS
      const submitting = yield* forkAll(cap, () => newRunWithResult("app-1", { input: { value: 1 } }))
      yield* eventually(Effect.sync(() => queued.started >= cap))
      const waiting = yield* Effect.fork(newRunWithResult("app-1", { input: { value: 2 }, cancelOnInterrupt: true }))
      yield* Effect.yieldNow()
      // The interrupt completes without the gate opening (no time passes: the cancel's bound is
      // never what ends it).
      const interrupting = yield* Effect.fork(Fiber.interrupt(waiting))
      yield* eventually(Effect.map(Fiber.poll(interrupting), Option.isSome))
      expect(queued.started).toBe(cap)
      expect(cancels).toEqual([])
      // Its place in the queue is gone: a permit freed now goes to the next program.
      const next = yield* Effect.fork(newRunWithResult("app-1", { input: { value: 3 } }))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(submitting[0]!)
      yield* eventually(Effect.sync(() => queued.started >= cap + 1))
      expect(queued.now).toBe(cap)
      yield* Fiber.interruptAll([next, ...submitting])
    }).pipe(Effect.provide(hangingRuns(queued, count(), cancels))))
})
