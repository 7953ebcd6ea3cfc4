/**
 * Issue 9 H: `trackRun` checks every part it uploads before the first request, so that a bad part
 * leaves no upload behind.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { InvalidArgumentError } from "../src/Errors.js"
import type { TrackedRun } from "../src/services/Runs.js"
import { servicesLayer } from "./support/layers.js"
import { requests, setup } from "./support/runs.js"

const cyclic: Record<string, unknown> = { a: 1 }
cyclic["self"] = cyclic

const base: TrackedRun = { status: "succeeded", input: { a: 1 }, output: { b: 2 } }

/** Runs that are wrong in one part only; all other parts are fine and would be uploaded first. */
const bad: ReadonlyArray<readonly [string, unknown, RegExp]> = [
  ["a BigInt in metrics", { ...base, metrics: { cost: 10n } }, /metrics must be a JSON value/],
  ["a cycle in metrics", { ...base, metrics: cyclic }, /metrics must be a JSON value/],
  ["metrics as an array", { ...base, metrics: [1, 2] }, /metrics must be an object/],
  ["a cycle in assets", { ...base, assets: [cyclic] }, /assets must be a JSON value/],
  ["a BigInt in an asset", { ...base, assets: [{ name: "a", content: 1n }] }, /assets must be a JSON value/],
  ["assets as a list of numbers", { ...base, assets: [1, 2] }, /assets must be an object or an array of objects/],
  ["assets as a string", { ...base, assets: "x" }, /assets must be an object or an array of objects/],
  ["a BigInt in statistics", { ...base, statistics: { value: 1n } }, /statistics must be a JSON value/],
  ["statistics as a number", { ...base, statistics: 3 }, /statistics must be an object/],
  ["a cycle in the output", { ...base, output: cyclic }, /output must be a JSON value/],
  ["a BigInt in the input", { ...base, input: { n: 1n } }, /input must be a JSON value/],
  ["logs with a number", { ...base, logs: ["a", 2] }, /logs must be a string or an array of strings/],
  ["a negative duration", { ...base, duration: -1 }, /duration must be/],
  ["a NaN duration", { ...base, duration: Number.NaN }, /duration must be/],
  ["a numeric name", { ...base, name: 42 }, /name must be a string/],
  ["an object as error", { ...base, status: "failed", error: { message: "x" } }, /error must be a string/]
]

describe("trackRun validates every part before any request", () => {
  for (const [name, run, reason] of bad) {
    it.live(`${name}: InvalidArgumentError, no request`, () =>
      Effect.gen(function*() {
        const { runs, appId } = yield* setup()
        // The run is deliberately mistyped: these are values a JavaScript caller could pass.
        const error = yield* runs.trackRun(appId, run as TrackedRun).pipe(Effect.flip)
        expect(error).toBeInstanceOf(InvalidArgumentError)
        expect((error as InvalidArgumentError).reason).toMatch(reason)
        expect(yield* requests).toEqual([])
      }).pipe(Effect.provide(servicesLayer())))
  }

  it.live("a valid run with every part still goes through", () =>
    Effect.gen(function*() {
      const { runs, appId } = yield* setup()
      const runId = yield* runs.trackRun(appId, {
        ...base,
        metrics: { cost: 1 },
        statistics: { value: 2 },
        assets: [{ name: "a", content: { x: 1 } }],
        logs: ["one", "two"],
        duration: 1200,
        name: "tracked"
      })
      expect(runId).not.toBe("")
      expect((yield* requests).filter((r) => r.method === "POST" && r.path === `/v1/applications/${appId}/runs`)).toHaveLength(1)
    }).pipe(Effect.provide(servicesLayer())))
})
