/**
 * Console links of an emulator-backed client point at the emulator's run page (not at the real
 * Nextmv Console, where emulator runs do not exist); the page answers without an API key.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Applications, Runs } from "../src/index.js"
import { Emulator } from "../src/testing/index.js"
import { servicesLayer } from "./support/layers.js"

describe("console links with the emulator", () => {
  it.live("Runs.consoleUrl opens the emulator's run page", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const app = yield* (yield* Applications.Applications).newApplication({ id: "console-app" })
      const runs = yield* Runs.Runs
      const runId = yield* runs.newRun(app.id, { input: { a: 1 } })
      const link = runs.consoleUrl(app.id, runId)
      expect(link).toBe(`${emulator.url}/console/app/console-app/run/${runId}?view=details`)
      expect(link).not.toContain("cloud.nextmv.io")
      const page = yield* Effect.promise(() => fetch(link))
      expect(page.status).toBe(200)
      expect(page.headers.get("content-type")).toContain("text/html")
      const html = yield* Effect.promise(() => page.text())
      expect(html).toContain(`<h1>Run ${runId}</h1>`)
      expect(html).toMatch(/status <strong>(queued|running|succeeded)<\/strong>/)
      expect(html).toContain(`GET ${emulator.url}/v1/applications/console-app/runs/${runId}/metadata`)
      const missing = yield* Effect.promise(() => fetch(`${emulator.url}/console/app/console-app/run/nope`))
      expect(missing.status).toBe(404)
    }).pipe(Effect.provide(servicesLayer())))

  it.live("an explicit client consoleUrl still wins", () =>
    Effect.gen(function*() {
      const runs = yield* Runs.Runs
      expect(runs.consoleUrl("a", "r")).toBe("https://console.example.test/app/a/run/r?view=details")
    }).pipe(Effect.provide(servicesLayer({ client: { consoleUrl: "https://console.example.test" } }))))
})
