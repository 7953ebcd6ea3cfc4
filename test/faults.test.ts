/**
 * The fault matrix: every method class (GET, PUT, DELETE, run POST, PATCH) against every network
 * and server fault, on every transport (`nextmv-effect/node`'s `NodeTransport` with its fast path,
 * the platform's undici and fetch). Each case asserts the typed outcome and
 * the number of attempts the documented policy gives (internal/retry.ts):
 * - GET, PUT, DELETE: retried on 429, 5xx, transport errors and timeouts;
 * - run POST and PATCH: retried only on 429 (run submission sends exactly one POST otherwise);
 * - decode errors and redirects are never retried; redirects are never followed.
 *
 * Timeouts are tiny real ones (150 ms idle, so a stalled attempt ends after 300 ms: connect +
 * idle); retry waits are a few ms (fast backoff, `Retry-After` capped at 20 ms). The request budget
 * stays on, with a 5 ms pause after a 429 without a usable `Retry-After` (default 1 s) and no
 * slowdown after a 429 (default: half the rate, so a third run POST would wait for the next
 * second), so that it never dominates a case; its timing is tested on virtual time in
 * request-budget.test.ts.
 */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Logger, LogLevel, Schema } from "effect"
import { NextmvDecodeError, NextmvHttpError } from "../src/Errors.js"
import { NodeTransport } from "../src/node/index.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { Emulator, FaultAction, type FaultAction as FaultActionType, layerClient } from "../src/testing/Emulator.js"
import { rawServer } from "./support/rawServer.js"

const APP = "fault-app"
const RETRIES = 2
const IDEMPOTENT_ATTEMPTS = RETRIES + 1

type MethodClass = "GET" | "PUT" | "DELETE" | "run POST" | "PATCH"
const METHODS: ReadonlyArray<MethodClass> = ["GET", "PUT", "DELETE", "run POST", "PATCH"]
const idempotent = (method: MethodClass) => method === "GET" || method === "PUT" || method === "DELETE"
/** Whether the call decodes a JSON body (DELETE and PATCH discard theirs). */
const decodes = (method: MethodClass) => method === "GET" || method === "PUT" || method === "run POST"

const AppShape = Schema.Struct({ id: Schema.String })
const RunShape = Schema.Struct({ run_id: Schema.String })

/** A server on another host (port) that a redirect points to; it counts what it receives. */
const otherHost = Effect.suspend(() => {
  let hits = 0
  return Effect.map(
    rawServer((_req, res) => {
      hits++
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify({ id: "from-the-other-host", run_id: "other" }))
    }),
    ({ origin }) => ({ url: origin, hits: () => hits })
  )
})

type Expected =
  | { readonly _tag: "ok"; readonly attempts: number }
  | { readonly _tag: "http"; readonly reason: "status" | "transport" | "timeout"; readonly status?: number; readonly attempts: number }
  | { readonly _tag: "decode"; readonly attempts: number }

interface Case {
  readonly name: string
  /**
   * The case only waits for its attempts to time out (300 ms each, next to no CPU), and it ends
   * with the timeout however slow the machine is: such cases run concurrently with each other.
   * Cases that must succeed within the timeouts stay sequential.
   */
  readonly waits?: true
  readonly faults: (otherUrl: string) => ReadonlyArray<{ readonly action: FaultActionType; readonly times: number }>
  readonly expect: (method: MethodClass) => Expected
}

const always = (action: FaultActionType) => () => [{ action, times: Infinity }]
const once = (action: FaultActionType) => () => [{ action, times: 1 }]
/** Retried by every method: ends well after one retry. */
const recovers: Case["expect"] = () => ({ _tag: "ok", attempts: 2 })
const permanentStatus = (status: number): Case["expect"] => (method) => ({
  _tag: "http",
  reason: "status",
  status,
  attempts: idempotent(method) ? IDEMPOTENT_ATTEMPTS : 1
})
const permanent = (reason: "transport" | "timeout"): Case["expect"] => (method) => ({
  _tag: "http",
  reason,
  attempts: idempotent(method) ? IDEMPOTENT_ATTEMPTS : 1
})
const badJson: Case["expect"] = (method) => decodes(method) ? { _tag: "decode", attempts: 1 } : { _tag: "ok", attempts: 1 }
const inOneHour = () => new Date(Date.now() + 3_600_000).toUTCString()

const CASES: ReadonlyArray<Case> = [
  { name: "429 without Retry-After", faults: once(FaultAction.status(429)), expect: recovers },
  {
    name: "429 with Retry-After in seconds (86400, capped)",
    faults: once(FaultAction.status(429, { retryAfter: 86400 })),
    expect: recovers
  },
  { name: "429 with Retry-After 1e308 (capped)", faults: once(FaultAction.status(429, { retryAfter: "1e308" })), expect: recovers },
  {
    name: "429 with Retry-After as an HTTP date (capped)",
    faults: () => [{ action: FaultAction.status(429, { retryAfter: inOneHour() }), times: 1 }],
    expect: recovers
  },
  {
    name: "429 for ever",
    faults: always(FaultAction.status(429, { retryAfter: 1 })),
    expect: () => ({ _tag: "http", reason: "status", status: 429, attempts: IDEMPOTENT_ATTEMPTS })
  },
  { name: "500", faults: always(FaultAction.status(500)), expect: permanentStatus(500) },
  { name: "502", faults: always(FaultAction.status(502)), expect: permanentStatus(502) },
  { name: "503", faults: always(FaultAction.status(503)), expect: permanentStatus(503) },
  { name: "504", faults: always(FaultAction.status(504)), expect: permanentStatus(504) },
  {
    name: "an HTML error page",
    faults: always(FaultAction.body(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")),
    expect: permanentStatus(502)
  },
  {
    name: "a transient 503",
    faults: once(FaultAction.status(503)),
    expect: (method) => idempotent(method) ? { _tag: "ok", attempts: 2 } : { _tag: "http", reason: "status", status: 503, attempts: 1 }
  },
  { name: "a reset before the headers", faults: always(FaultAction.reset), expect: permanent("transport") },
  { name: "a reset mid-body", faults: always(FaultAction.resetMidBody), expect: permanent("transport") },
  { name: "a stall (no answer)", waits: true, faults: always(FaultAction.stallRead), expect: permanent("timeout") },
  {
    name: "slow headers (600 ms, beyond connect + idle)",
    faults: once(FaultAction.delay("600 millis")),
    expect: (method) => idempotent(method) ? { _tag: "ok", attempts: 2 } : { _tag: "http", reason: "timeout", attempts: 1 }
  },
  { name: "a stall mid-body", waits: true, faults: always(FaultAction.stallBody), expect: permanent("timeout") },
  {
    // Bodies above 64 KiB are read chunk by chunk (the application has a 96 KiB description).
    name: "a steady trickle (8 KiB every 25 ms, longer in total than the timeout)",
    faults: once(FaultAction.trickle(8192, "25 millis")),
    expect: () => ({ _tag: "ok", attempts: 1 })
  },
  { name: "truncated JSON", faults: always(FaultAction.body(200, "{\"id\": \"trunc")), expect: badJson },
  { name: "invalid JSON", faults: always(FaultAction.body(200, "<<not json>>")), expect: badJson },
  { name: "an empty body", faults: always(FaultAction.body(200, "")), expect: badJson },
  { name: "wrong-shape JSON", faults: always(FaultAction.body(200, "{\"unexpected\": [1, 2, 3]}")), expect: badJson },
  {
    name: "a redirect to another host",
    faults: (other) => [{ action: FaultAction.redirect(`${other}/v1/applications/${APP}?token=abc`), times: Infinity }],
    expect: () => ({ _tag: "http", reason: "status", status: 302, attempts: 1 })
  }
]

/** The method class's request, its path (for fault rules) and how its answer is read. */
const call = (api: NextmvClient.Requester, method: MethodClass, runId: string) =>
  Effect.sync(() => {
    switch (method) {
      case "GET":
        return { path: `/v1/applications/${APP}`, run: api.json(HttpClientRequest.get(`/v1/applications/${APP}`), AppShape) }
      case "PUT":
        return {
          path: `/v1/applications/${APP}`,
          run: api.json(
            HttpClientRequest.put(`/v1/applications/${APP}`).pipe(HttpClientRequest.bodyUnsafeJson({ description: "d".repeat(96 * 1024) })),
            AppShape
          )
        }
      case "DELETE":
        return { path: `/v1/applications/${APP}`, run: api.discard(HttpClientRequest.del(`/v1/applications/${APP}`)) }
      case "run POST":
        return {
          path: `/v1/applications/${APP}/runs`,
          run: api.json(
            HttpClientRequest.post(`/v1/applications/${APP}/runs`).pipe(HttpClientRequest.bodyUnsafeJson({ input: { x: 1 } })),
            RunShape
          )
        }
      case "PATCH":
        return {
          path: `/v1/applications/${APP}/runs/${runId}/cancel`,
          run: api.discard(HttpClientRequest.patch(`/v1/applications/${APP}/runs/${runId}/cancel`))
        }
    }
  })

const clientOptions = {
  timeout: "150 millis",
  retry: { retries: RETRIES, backoffFactor: 5, backoffJitter: 0, maxRetryAfter: 20 },
  budget: { defaultPause: "5 millis", slowdown: 1 }
} as const

const runCase = (testCase: Case, method: MethodClass) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator
    const other = yield* otherHost
    emulator.context.areas.applications.seed({ id: APP, description: "d".repeat(96 * 1024) })
    // Setup (and transport warm-up) with the default timeouts: a run to cancel.
    const { api: setup } = yield* NextmvClient.NextmvClient
    const { run_id } = yield* setup.json(
      HttpClientRequest.post(`/v1/applications/${APP}/runs`).pipe(HttpClientRequest.bodyUnsafeJson({ input: {} })),
      RunShape
    )
    yield* emulator.clearRequests
    const { api } = yield* NextmvClient.make({ ...clientOptions, apiKey: emulator.apiKey, baseUrl: emulator.url })
    const { path, run } = yield* call(api, method, run_id)
    const httpMethod = method === "run POST" ? "POST" : method
    for (const fault of testCase.faults(other.url)) {
      yield* emulator.injectFault({ method: httpMethod, path, times: fault.times, action: fault.action })
    }
    const exit = yield* Effect.exit(run as Effect.Effect<unknown, NextmvHttpError | NextmvDecodeError>)
    const attempts = (yield* emulator.requests).filter((r) => r.method === httpMethod && r.path === path).length
    const expected = testCase.expect(method)
    expect(attempts, "requests the server received").toBe(expected.attempts)
    expect(other.hits(), "requests the other host received").toBe(0)
    if (expected._tag === "ok") {
      expect(Exit.isSuccess(exit), String(exit)).toBe(true)
      return
    }
    expect(Exit.isFailure(exit)).toBe(true)
    const error = Exit.isFailure(exit) ? exit.cause : undefined
    const failure = yield* Effect.flip(Effect.failCause(error!))
    if (expected._tag === "decode") {
      expect(failure).toBeInstanceOf(NextmvDecodeError)
      return
    }
    expect(failure).toBeInstanceOf(NextmvHttpError)
    const http = failure as NextmvHttpError
    expect({ reason: http.reason, status: http.status }).toEqual({ reason: expected.reason, status: expected.status })
    expect(http.attempts).toBe(expected.attempts)
    expect(http.message).not.toContain("token=abc")
  }).pipe(Effect.scoped)

const transports: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["NodeTransport (fast path)", NodeTransport.layer],
  ["undici", NodeHttpClient.layerUndici],
  ["fetch", FetchHttpClient.layer]
]

const cases = (httpLayer: Layer.Layer<HttpClient.HttpClient>, waits: boolean) => {
  for (const testCase of CASES) {
    if ((testCase.waits === true) !== waits) continue
    for (const method of METHODS) {
      it.live(`${method} × ${testCase.name}`, () =>
        runCase(testCase, method).pipe(
          // A frozen emulator clock: the run to cancel stays running.
          Effect.provide(Layer.merge(layerClient({ now: () => 1_700_000_000_000 }).pipe(Layer.provide(httpLayer)), httpLayer)),
          Logger.withMinimumLogLevel(LogLevel.Error)
        ))
    }
  }
}

for (const [transport, httpLayer] of transports) {
  describe(`fault matrix over ${transport}`, () => {
    cases(httpLayer, false)
    // Each case has its own emulator, other host and clients, so nothing is shared between them.
    describe.concurrent("stalls (run concurrently)", () => {
      cases(httpLayer, true)
    })
  })
}
