import { HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, TestClock } from "effect"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { Emulator, FaultAction } from "../src/testing/Emulator.js"
import { emulatorLayer } from "./support/layers.js"
import { driven, failureOf } from "./support/time.js"

/** Plain fetch against the emulator, to see its raw answers (no SDK in between). */
const raw = (url: string, init: RequestInit = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, init)
    return { status: response.status, text: await response.text(), headers: response.headers }
  })

describe("emulator core", () => {
  it.effect("requires the Bearer API key on /v1 and answers JSON errors", () =>
    driven(function*() {
      const emulator = yield* Emulator
      const none = yield* raw(`${emulator.url}/v1/applications`)
      expect(none.status).toBe(401)
      expect(JSON.parse(none.text)).toEqual({ error: "unauthorized: missing or invalid API key" })
      const wrong = yield* raw(`${emulator.url}/v1/applications`, { headers: { authorization: "Bearer nope" } })
      expect(wrong.status).toBe(401)
      const right = yield* raw(`${emulator.url}/v1/applications`, {
        headers: { authorization: `Bearer ${Redacted.value(emulator.apiKey)}` }
      })
      expect(right.status).toBe(200)
      expect(right.headers.get("x-request-id")).toBeTruthy()
    }).pipe(Effect.provide(emulatorLayer({ apiKey: "custom-key" }))))

  it.effect("unknown routes are 404 and wrong methods 405, with JSON bodies", () =>
    driven(function*() {
      const emulator = yield* Emulator
      const headers = { authorization: `Bearer ${Redacted.value(emulator.apiKey)}` }
      const missing = yield* raw(`${emulator.url}/v1/nothing/here`, { headers })
      expect(missing.status).toBe(404)
      expect(JSON.parse(missing.text).error).toContain("no route")
      const method = yield* raw(`${emulator.url}/v1/applications`, { method: "PATCH", headers })
      expect(method.status).toBe(405)
    }).pipe(Effect.provide(emulatorLayer())))

  it.effect("an invalid JSON body is a 400", () =>
    driven(function*() {
      const emulator = yield* Emulator
      const response = yield* raw(`${emulator.url}/v1/applications`, {
        method: "POST",
        body: "{nope",
        headers: { authorization: `Bearer ${Redacted.value(emulator.apiKey)}`, "content-type": "application/json" }
      })
      expect(response.status).toBe(400)
      expect(JSON.parse(response.text).error).toContain("invalid JSON body")
    }).pipe(Effect.provide(emulatorLayer())))

  it.effect("presigned upload: one PUT, no auth, stored bytes; Authorization is rejected", () =>
    driven(function*() {
      const emulator = yield* Emulator
      const { id, url } = emulator.context.blobs.presignUpload()
      const withAuth = yield* raw(url, { method: "PUT", body: "x", headers: { authorization: "Bearer k" } })
      expect(withAuth.status).toBe(400)
      expect(emulator.context.blobs.uploaded(id)).toBeUndefined()
      const put = yield* raw(url, { method: "PUT", body: "payload" })
      expect(put.status).toBe(200)
      expect(emulator.context.blobs.uploaded(id)?.toString()).toBe("payload")
    }).pipe(Effect.provide(emulatorLayer())))

  it.effect("presigned URLs expire with the emulator's time: the TestClock, or advance", () =>
    driven(function*() {
      const emulator = yield* Emulator
      const first = emulator.context.blobs.presignDownload("data")
      const second = emulator.context.blobs.presignDownload("data")
      expect((yield* raw(first)).status).toBe(200)
      yield* TestClock.adjust(15 * 60 * 1000)
      expect((yield* raw(first)).status).toBe(200)
      yield* TestClock.adjust(1)
      expect((yield* raw(first)).status).toBe(403)
      const third = emulator.context.blobs.presignDownload("data")
      const before = yield* emulator.now
      yield* emulator.advance("16 minutes")
      expect((yield* emulator.now) - before).toBe(16 * 60 * 1000)
      expect((yield* raw(third)).status).toBe(403)
      expect((yield* raw(second)).status).toBe(403)
    }).pipe(Effect.provide(emulatorLayer())))

  it.effect("the now option (a plain time source) is still accepted", () => {
    let now = 1_000_000
    return Effect.gen(function*() {
      const emulator = yield* Emulator
      const url = emulator.context.blobs.presignDownload("data")
      expect((yield* raw(url)).status).toBe(200)
      now += 15 * 60 * 1000 + 1
      const expired = yield* raw(url)
      expect(expired.status).toBe(403)
      expect(expired.text).toContain("expired")
    }).pipe(Effect.provide(emulatorLayer({ now: () => now })))
  })

  it.effect("faults hit the matching requests the given number of times, in order", () =>
    driven(function*() {
      const emulator = yield* Emulator
      const { api } = yield* NextmvClient.NextmvClient
      yield* emulator.injectFault({ method: "DELETE", path: "/v1/applications/:appId", times: 2, action: FaultAction.status(418) })
      const statuses: Array<number | undefined> = []
      for (let i = 0; i < 3; i++) {
        const result = yield* api.discard(HttpClientRequest.del("/v1/applications/x")).pipe(failureOf)
        statuses.push(result.status)
      }
      expect(statuses).toEqual([418, 418, 404])
      // clearFaults removes rules that have not fired yet.
      yield* emulator.injectFault({ method: "DELETE", path: "/v1/applications/:appId", action: FaultAction.status(500) })
      yield* emulator.clearFaults
      expect((yield* api.discard(HttpClientRequest.del("/v1/applications/x")).pipe(failureOf)).status).toBe(404)
    }).pipe(Effect.provide(emulatorLayer({ client: { retry: { retries: 0 } } }))))

  it.effect("records method, path, query, headers and body of every request", () =>
    driven(function*() {
      const emulator = yield* Emulator
      const { api } = yield* NextmvClient.NextmvClient
      yield* api.text(HttpClientRequest.get("/v1/applications").pipe(HttpClientRequest.setUrlParams({ a: "1", b: "x y" })))
      const [request] = yield* emulator.requests
      expect(request).toMatchObject({ method: "GET", path: "/v1/applications", query: { a: "1", b: "x y" } })
      yield* emulator.clearRequests
      expect(yield* emulator.requests).toEqual([])
    }).pipe(Effect.provide(emulatorLayer())))
})
