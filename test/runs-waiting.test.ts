/**
 * What a waiting run program keeps and how it shows in traces: one span per program, parent of
 * every request it makes, ended with the program's exit; and nothing of the submission (the run's
 * input, the options object) stays reachable while the run waits.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option, Tracer } from "effect"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { newRunWithResult, newRunWithResultStoppable, RunFailedError } from "../src/programs/Runs.js"
import * as RunTracker from "../src/programs/RunTracker.js"
import * as RunsService from "../src/services/Runs.js"
import { driveUntil } from "../src/testing/Drive.js"
import type { Service as EmulatorService } from "../src/testing/Emulator.js"
import { Models } from "../src/testing/index.js"
import { servicesLayer } from "./support/layers.js"
import { fast, setup } from "./support/runs.js"
import { driven, failureOf } from "./support/time.js"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

interface Recorded {
  readonly name: string
  readonly spanId: string
  readonly parentId: string | undefined
  exit?: Exit.Exit<unknown, unknown>
}

/** A tracer that records each span's name, parent and exit. */
const recordingTracer = () => {
  const spans: Array<Recorded> = []
  let counter = 0
  const tracer = Tracer.make({
    context: (f) => f(),
    span: (name, parent, context, links, _startTime, kind) => {
      const spanId = String(++counter)
      const record: Recorded = { name, spanId, parentId: Option.getOrUndefined(Option.map(parent, (p) => p.spanId)) }
      spans.push(record)
      return {
        _tag: "Span",
        name,
        spanId,
        traceId: "trace",
        parent,
        context,
        status: { _tag: "Started", startTime: 0n },
        attributes: new Map(),
        links,
        sampled: true,
        kind,
        end: (_endTime, exit) => {
          record.exit = exit
        },
        attribute: () => {},
        event: () => {},
        addLinks: () => {}
      }
    }
  })
  return { tracer, spans }
}

/** The names of the spans whose parent is `parent`. */
const childrenOf = (spans: ReadonlyArray<Recorded>, parent: Recorded) =>
  spans.filter((s) => s.parentId === parent.spanId).map((s) => s.name)

const metadataRequests = (emulator: EmulatorService) =>
  Effect.map(emulator.requests, (requests) => requests.filter((r) => r.path.endsWith("/metadata")).length)

describe("a waiting run program's span", () => {
  it.effect("newRunWithResult: the submission, every check and the result are children of its span", () =>
    driven(function*() {
      const { tracer, spans } = recordingTracer()
      const { appId } = yield* setup()
      const result = yield* newRunWithResult(appId, { input: { value: 3 }, polling: fast }).pipe(Effect.withTracer(tracer))
      expect(result.metadata.status_v2).toBe("succeeded")
      const program = spans.filter((s) => s.name === "Runs.newRunWithResult")
      expect(program).toHaveLength(1)
      expect(program[0]!.exit !== undefined && Exit.isSuccess(program[0]!.exit)).toBe(true)
      const children = childrenOf(spans, program[0]!)
      expect(children[0]).toBe("Runs.newRun")
      expect(children.filter((name) => name === "Runs.runInformation").length).toBeGreaterThan(1)
      expect(children.at(-1)).toBe("Runs.runResultFor")
      // Every span of the program is in its trace: the requests' own spans are below their operation.
      const http = spans.filter((s) => s.name.startsWith("http.client"))
      expect(http.length).toBeGreaterThan(2)
      for (const span of http) expect(spans.find((s) => s.spanId === span.parentId)?.name).toMatch(/^Runs\./)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("a failed run ends the program's span with the RunFailedError", () =>
    driven(function*() {
      const { tracer, spans } = recordingTracer()
      const { appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.fail("no feasible solution"))
      const error = yield* newRunWithResult(appId, { input: {}, polling: fast }).pipe(Effect.withTracer(tracer), failureOf)
      expect(error).toBeInstanceOf(RunFailedError)
      const program = spans.find((s) => s.name === "Runs.newRunWithResult")!
      expect(program.exit !== undefined && Exit.isFailure(program.exit)).toBe(true)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("an interrupt ends the program's span; with cancelOnInterrupt the cancel is its child", () =>
    Effect.gen(function*() {
      const { tracer, spans } = recordingTracer()
      const { appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(60_000))
      const fiber = yield* Effect.fork(
        newRunWithResult(appId, { input: {}, polling: fast, cancelOnInterrupt: true }).pipe(Effect.withTracer(tracer))
      )
      yield* driveUntil(Effect.map(metadataRequests(emulator), (n) => n >= 2))
      yield* Fiber.interrupt(fiber)
      const program = spans.find((s) => s.name === "Runs.newRunWithResult")!
      expect(program.exit !== undefined && Exit.isInterrupted(program.exit)).toBe(true)
      expect(childrenOf(spans, program)).toContain("Runs.cancelRun")
    }).pipe(Effect.provide(servicesLayer())))
})

describe("a waiting run program's span, with a RunTracker", () => {
  it.effect("newRunWithResult: the submission and the tracker's await are children of its span", () =>
    driven(function*() {
      const { tracer, spans } = recordingTracer()
      const { appId } = yield* setup()
      const result = yield* newRunWithResult(appId, { input: { value: 3 }, polling: fast }).pipe(Effect.withTracer(tracer))
      expect(result.metadata.status_v2).toBe("succeeded")
      const program = spans.find((s) => s.name === "Runs.newRunWithResult")!
      expect(childrenOf(spans, program)).toEqual(["Runs.newRun", "RunTracker.await"])
      const awaited = spans.find((s) => s.name === "RunTracker.await")!
      expect(awaited.exit !== undefined && Exit.isSuccess(awaited.exit)).toBe(true)
      expect(program.exit !== undefined && Exit.isSuccess(program.exit)).toBe(true)
    }).pipe(Effect.provide(RunTracker.layer({ polling: fast }).pipe(Layer.provideMerge(servicesLayer())))))
})

describe("what a waiting run keeps", () => {
  /** Starts a program on a fresh input and options, keeping only weak references to them. */
  const startWaiting = (appId: string, stoppable: boolean) =>
    Effect.suspend(() => {
      const input = { value: 1, padding: "x".repeat(10_000), markerXyzInput: 1 }
      const refs = { input: new WeakRef(input) }
      const program: Effect.Effect<unknown, unknown, RunsService.Runs> = stoppable
        ? newRunWithResultStoppable(appId, { input, polling: { ...fast, maxDelay: 5 }, stop: Effect.succeed(false) })
        : newRunWithResult(appId, { input, polling: { ...fast, maxDelay: 5 } })
      return Effect.map(Effect.fork(program), (fiber) => ({ fiber, refs }))
    })

  const cases = [
    { name: "", stoppable: false, layer: servicesLayer() },
    { name: " (stoppable)", stoppable: true, layer: servicesLayer() },
    { name: " (on a RunTracker)", stoppable: false, layer: RunTracker.layer().pipe(Layer.provideMerge(servicesLayer())) }
  ]
  for (const { layer, name, stoppable } of cases) {
    it.effect(`neither the run's input nor its options once it is submitted${name}`, () =>
      Effect.gen(function*() {
        const { appId, emulator } = yield* setup()
        emulator.areas.runs.setModel(appId, Models.sleep(60_000))
        const { fiber, refs } = yield* startWaiting(appId, stoppable)
        yield* driveUntil(Effect.map(metadataRequests(emulator), (n) => n >= 3))
        // A full collection, in a fresh event-loop turn (a new `WeakRef`'s target is kept for the
        // rest of the turn that made it).
        yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
        gc()
        expect(refs.input.deref()).toBeUndefined()
        expect(fiber.unsafePoll()).toBeNull()
        yield* Fiber.interrupt(fiber)
      }).pipe(Effect.provide(layer)))
  }
})

describe("the run tracker's checks", () => {
  /** The Runs service with `runInformation` recording the name of the span it runs in ("-": none). */
  const recordingParents = (parents: Array<string>) =>
    Layer.effect(
      RunsService.Runs,
      Effect.map(RunsService.Runs, (runs) =>
        RunsService.Runs.of({
          ...runs,
          runInformation: (appId, runId) =>
            Effect.zipRight(
              Effect.flatMap(Effect.option(Effect.currentSpan), (span) =>
                Effect.sync(() => parents.push(Option.match(span, { onNone: () => "-", onSome: (s) => s.name })))),
              runs.runInformation(appId, runId)
            )
        }))
    )

  it.effect("make no span when no tracer is installed", () => {
    const parents: Array<string> = []
    return driven(function*() {
      const { appId, runs } = yield* setup()
      const runId = yield* runs.newRun(appId, { input: { value: 1 } })
      const tracker = yield* RunTracker.RunTracker
      const result = yield* tracker.await(appId, runId)
      expect(result.metadata.status_v2).toBe("succeeded")
      expect(parents.length).toBeGreaterThan(0)
      expect(parents.every((name) => name === "-")).toBe(true)
    }).pipe(Effect.provide(
      RunTracker.layer({ polling: fast }).pipe(
        Layer.provide(recordingParents(parents)),
        Layer.provideMerge(servicesLayer())
      )
    ))
  })

  it.effect("run in a RunTracker.check span, parent of their requests, when a tracer is installed", () => {
    const { spans, tracer } = recordingTracer()
    const parents: Array<string> = []
    return driven(function*() {
      const { appId, runs } = yield* setup()
      const runId = yield* runs.newRun(appId, { input: { value: 1 } })
      const tracker = yield* RunTracker.RunTracker
      yield* tracker.await(appId, runId)
      expect(parents.length).toBeGreaterThan(0)
      expect(parents.every((name) => name === "RunTracker.check")).toBe(true)
      const checks = spans.filter((s) => s.name === "RunTracker.check")
      expect(checks.length).toBe(parents.length)
      for (const check of checks) expect(childrenOf(spans, check)).toContain("Runs.runInformation")
    }).pipe(Effect.provide(
      RunTracker.layer({ polling: fast }).pipe(
        Layer.provide(recordingParents(parents)),
        Layer.provideMerge(servicesLayer()),
        Layer.provide(Layer.setTracer(tracer))
      )
    ))
  })
})
