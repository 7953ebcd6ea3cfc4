/**
 * A large JSON run input is serialised once (issue: a 77 MiB input was serialised three times:
 * the JSON check, the size measurement and the upload).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { vi } from "vitest"
import { MAX_RUN_SIZE } from "../src/schemas/Runs.js"
import { servicesLayer } from "./support/layers.js"
import { requests, setup } from "./support/runs.js"
import { driven } from "./support/time.js"

describe("Runs.newRun with a large JSON input", () => {
  it.effect("serialises the input once, uploads it as JSON and submits the upload id", () =>
    driven(function*() {
      const { runs, appId, emulator } = yield* setup()
      const input = { d: "x".repeat(MAX_RUN_SIZE) }
      const stringify = vi.spyOn(JSON, "stringify")
      try {
        const runId = yield* runs.newRun(appId, { input })
        expect(stringify.mock.calls.filter(([value]) => value === input).length).toBe(1)
        const sent = yield* requests
        expect(sent.map((r) => r.method)).toEqual(["POST", "PUT", "POST"])
        expect(sent[1]!.headers["content-type"]).toBe("application/json")
        expect(emulator.areas.runs.get(appId, runId)?.inputJson).toEqual(input)
      } finally {
        stringify.mockRestore()
      }
    }).pipe(Effect.provide(servicesLayer())))
})
