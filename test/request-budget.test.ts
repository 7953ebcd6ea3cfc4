import { describe, expect, it } from "@effect/vitest"
import { Clock, Deferred, Effect, Fiber, Ref, TestClock } from "effect"
import * as RequestBudget from "../src/services/RequestBudget.js"

const RUNS = "/v1/applications/app-1/runs"
const RESULT = "/v1/applications/app-1/runs/run-1"

/** Sends `n` requests of `method path` through `budget` in forked fibers; records send times in order. */
const sendMany = (budget: RequestBudget.RequestBudget, n: number, method: string, path: string) =>
  Effect.gen(function*() {
    const sent = yield* Ref.make<Array<{ i: number; at: number }>>([])
    const fibers = []
    for (let i = 0; i < n; i++) {
      fibers.push(
        yield* Effect.fork(
          budget.limit(method, path, Effect.flatMap(Clock.currentTimeMillis, (at) => Ref.update(sent, (xs) => [...xs, { i, at }])))
        )
      )
      yield* Effect.yieldNow()
    }
    return { sent, fibers }
  })

describe("RequestBudget.classify (docs.nextmv.io rate limits)", () => {
  it("run submissions, run results and everything else", () => {
    expect(RequestBudget.classify("POST", RUNS)).toEqual(["submission", "api"])
    expect(RequestBudget.classify("post", `${RUNS}/`)).toEqual(["submission", "api"])
    expect(RequestBudget.classify("GET", RESULT)).toEqual(["results", "api"])
    expect(RequestBudget.classify("GET", `${RESULT}/output`)).toEqual(["results", "api"])
    expect(RequestBudget.classify("GET", `${RESULT}/metadata`)).toEqual(["api"])
    expect(RequestBudget.classify("POST", `${RUNS}/uploadurl`)).toEqual(["api"])
    expect(RequestBudget.classify("GET", RUNS)).toEqual(["api"])
    expect(RequestBudget.classify("PATCH", `${RESULT}/cancel`)).toEqual(["api"])
    expect(RequestBudget.classify("GET", "/v1/applications")).toEqual(["api"])
  })
})

describe("RequestBudget (TestClock)", () => {
  it.effect("5 submissions go at once; the 6th waits until the first left the 1 s window (+50 ms margin)", () =>
    Effect.gen(function*() {
      const budget = RequestBudget.make()
      const { sent, fibers } = yield* sendMany(budget, 12, "POST", RUNS)
      expect((yield* Ref.get(sent)).map((s) => s.at)).toEqual([0, 0, 0, 0, 0])
      const waiting = yield* budget.state
      expect(waiting.classes.submission?.available).toBe(0)
      expect(waiting.classes.submission?.waiting).toBe(7)
      expect(waiting.waiting).toBe(7)
      expect(waiting.classes.api?.available).toBe(1995)
      yield* TestClock.adjust("1049 millis")
      expect((yield* Ref.get(sent)).length).toBe(5)
      yield* TestClock.adjust("1 millis")
      expect((yield* Ref.get(sent)).length).toBe(10)
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.joinAll(fibers)
      const all = yield* Ref.get(sent)
      // FIFO: requests go out in arrival order.
      expect(all.map((s) => s.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
      expect(all.map((s) => s.at)).toEqual([0, 0, 0, 0, 0, 1050, 1050, 1050, 1050, 1050, 2100, 2100])
      const after = yield* budget.state
      expect(after.classes.submission?.sent).toBe(12)
      expect(after.classes.api?.sent).toBe(12)
      expect(after.waiting).toBe(0)
    }))

  it.effect("any interval of the window length holds at most the limit (sliding window)", () =>
    Effect.gen(function*() {
      const budget = RequestBudget.make({ results: { requests: 3, per: "10 seconds" }, margin: 0 })
      const sent = yield* Ref.make<Array<number>>([])
      const one = budget.limit("GET", RESULT, Effect.flatMap(Clock.currentTimeMillis, (at) => Ref.update(sent, (xs) => [...xs, at])))
      yield* one
      yield* TestClock.adjust("9 seconds")
      const fiber = yield* Effect.fork(Effect.all([one, one, one, one], { concurrency: "unbounded" }))
      yield* TestClock.adjust("30 seconds")
      yield* Fiber.join(fiber)
      // At 9 s two slots are free; the third frees at 10 s (the first send leaves the window),
      // the next at 19 s (when the sends of 9 s leave it).
      expect(yield* Ref.get(sent)).toEqual([0, 9000, 9000, 10000, 19000])
    }))

  it.effect("a request spends a token of its class and of the api class", () =>
    Effect.gen(function*() {
      const budget = RequestBudget.make({ api: { requests: 3, per: "1 minute" }, margin: 0 })
      const { sent, fibers } = yield* sendMany(budget, 2, "GET", RESULT)
      yield* sendMany(budget, 2, "GET", "/v1/applications")
      expect((yield* Ref.get(sent)).length).toBe(2)
      const state = yield* budget.state
      expect(state.classes.results?.available).toBe(198)
      expect(state.classes.api?.available).toBe(0)
      expect(state.classes.api?.waiting).toBe(1)
      yield* Fiber.joinAll(fibers)
    }))

  it.effect("an interrupted waiter gives its place back", () =>
    Effect.gen(function*() {
      const budget = RequestBudget.make({ margin: 0 })
      const { sent, fibers } = yield* sendMany(budget, 7, "POST", RUNS)
      yield* Fiber.interrupt(fibers[5]!)
      expect((yield* budget.state).classes.submission?.waiting).toBe(1)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fibers[6]!)
      expect((yield* Ref.get(sent)).map((s) => s.i)).toEqual([0, 1, 2, 3, 4, 6])
      expect((yield* budget.state).classes.submission?.sent).toBe(6)
    }))

  it.effect("maxConcurrent caps requests in flight; the next goes when one finishes", () =>
    Effect.gen(function*() {
      const budget = RequestBudget.make({ maxConcurrent: 2 })
      const gate = yield* Deferred.make<void>()
      const started = yield* Ref.make(0)
      const slow = budget.limit("GET", "/v1/applications", Effect.zipRight(Ref.update(started, (n) => n + 1), Deferred.await(gate)))
      const fibers = yield* Effect.forEach([1, 2, 3], () => Effect.fork(slow))
      yield* Effect.yieldNow()
      expect(yield* Ref.get(started)).toBe(2)
      const state = yield* budget.state
      expect(state.inFlight).toBe(2)
      expect(state.waiting).toBe(1)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.joinAll(fibers)
      expect(yield* Ref.get(started)).toBe(3)
      expect((yield* budget.state).inFlight).toBe(0)
    }))

  it.effect("a 429 pauses every class for Retry-After, halves the refused class, then recovers", () =>
    Effect.gen(function*() {
      const budget = RequestBudget.make({ margin: 0, recovery: "10 seconds" })
      yield* budget.onRateLimited("GET", RESULT, 3000)
      const paused = yield* budget.state
      expect(paused.rateLimited).toBe(1)
      expect(paused.pausedForMillis).toBe(3000)
      expect(paused.classes.results?.effectiveRequests).toBe(100)
      expect(paused.classes.api?.effectiveRequests).toBe(2000)
      const { sent, fibers } = yield* sendMany(budget, 1, "GET", "/v1/applications")
      yield* TestClock.adjust("2999 millis")
      expect((yield* Ref.get(sent)).length).toBe(0)
      yield* TestClock.adjust("1 millis")
      yield* Fiber.joinAll(fibers)
      expect((yield* Ref.get(sent)).map((s) => s.at)).toEqual([3000])
      // Linear recovery over 10 s after the pause.
      yield* TestClock.adjust("5 seconds")
      expect((yield* budget.state).classes.results?.effectiveRequests).toBe(150)
      yield* TestClock.adjust("5 seconds")
      expect((yield* budget.state).classes.results?.effectiveRequests).toBe(200)
    }))

  it.effect("a 429 without Retry-After pauses 1 s; a second 429 slows the class further", () =>
    Effect.gen(function*() {
      const budget = RequestBudget.make({ margin: 0 })
      yield* budget.onRateLimited("POST", RUNS, undefined)
      expect((yield* budget.state).pausedForMillis).toBe(1000)
      yield* budget.onRateLimited("POST", RUNS, undefined)
      const state = yield* budget.state
      expect(state.rateLimited).toBe(2)
      expect(state.classes.submission?.effectiveRequests).toBe(1)
      // 1 of 5 per second while slowed: the second request waits a full window.
      yield* TestClock.adjust("1 second")
      const { sent, fibers } = yield* sendMany(budget, 2, "POST", RUNS)
      yield* TestClock.adjust("1 second")
      yield* Fiber.joinAll(fibers)
      const times = (yield* Ref.get(sent)).map((s) => s.at)
      expect(times[0]).toBe(1000)
      expect(times[1]).toBe(2000)
    }))

  it.effect("a class can be unlimited, and the whole budget can be off", () =>
    Effect.gen(function*() {
      const budget = RequestBudget.make({ submission: false })
      const { sent } = yield* sendMany(budget, 20, "POST", RUNS)
      expect((yield* Ref.get(sent)).length).toBe(20)
      expect((yield* budget.state).classes.submission).toBeUndefined()
      const off = RequestBudget.unlimited
      const many = yield* sendMany(off, 3000, "GET", "/v1/applications")
      expect((yield* Ref.get(many.sent)).length).toBe(3000)
      expect((yield* off.state).enabled).toBe(false)
    }))
})
