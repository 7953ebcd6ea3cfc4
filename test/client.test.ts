import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Deferred, Duration, Effect, Exit, Fiber, Layer, Logger, LogLevel, Option, Redacted, Ref, Schema, TestClock } from "effect"
import { readFileSync } from "node:fs"
import { NextmvDecodeError, NextmvHttpError } from "../src/Errors.js"
import { fastAttempt, type Send } from "../src/internal/fastAttempt.js"
import { fastTargets } from "../src/internal/fastBase.js"
import { withFastTransport } from "../src/internal/transport.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { Emulator, FaultAction } from "../src/testing/Emulator.js"
import { VERSION } from "../src/version.js"
import { emulatorLayer, testTimeout, transports } from "./support/layers.js"
import { rawServer } from "./support/rawServer.js"
import { driven, failureOf } from "./support/time.js"

const Echo = Schema.Struct({ id: Schema.String })

for (const [transportName, transport] of transports) {
  describe(`NextmvClient over real HTTP (emulator, ${transportName})`, () => {
    it.effect("sends bearer auth, user agent, extra headers and JSON content type", () =>
      driven(function*() {
        const { api } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        yield* api.discard(
          HttpClientRequest.post("/v1/applications").pipe(HttpClientRequest.bodyUnsafeJson({ id: "app-1", name: "A" }))
        )
        const [request] = yield* emulator.requests
        expect(request?.headers["authorization"]).toBe(`Bearer ${Redacted.value(emulator.apiKey)}`)
        expect(request?.headers["user-agent"]).toBe(`nextmv-effect/${VERSION}`)
        expect(request?.headers["x-team"]).toBe("blue")
        expect(request?.headers["content-type"]).toBe("application/json")
        expect(request?.json).toEqual({ id: "app-1", name: "A" })
      }).pipe(Effect.provide(emulatorLayer({ client: { headers: { "x-team": "blue" } } }, transport))))

    it("keeps VERSION equal to package.json", () => {
      const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
      expect(VERSION).toBe(pkg.version)
    })

    it.effect("maps statuses to NextmvHttpError with body, request id and a hint", () =>
      driven(function*() {
        const { api } = yield* NextmvClient.NextmvClient
        const error = yield* api.json(HttpClientRequest.get("/v1/applications/missing"), Echo).pipe(failureOf)
        expect(error).toBeInstanceOf(NextmvHttpError)
        const http = error as NextmvHttpError
        expect(http.status).toBe(404)
        expect(http.reason).toBe("status")
        expect(http.method).toBe("GET")
        expect(http.path).toBe("/v1/applications/missing")
        expect(http.body).toContain("application missing not found")
        expect(http.requestId).toMatch(/[0-9a-f-]{36}/)
        expect(http.message).toContain("GET /v1/applications/missing failed with status 404")
        expect(http.message).toContain("not found")
      }).pipe(Effect.provide(emulatorLayer({}, transport))))

    it.effect("401 says to check the API key and never shows the key", () =>
      driven(function*() {
        const secret = "sk-very-secret-123"
        const logs: Array<string> = []
        const logger = Logger.make(({ message, annotations }) => logs.push(JSON.stringify({ message, annotations })))
        const emulator = yield* Emulator
        const client = yield* NextmvClient.make({
          apiKey: Redacted.make(secret),
          baseUrl: emulator.url,
          timeout: testTimeout,
          retry: { retries: 2, backoffFactor: 1 }
        })
        // Two retried failures first, so the retry log lines are produced too.
        yield* emulator.injectFault({ path: "/v1/applications", times: 2, action: FaultAction.status(503) })
        const error = yield* client.api.text(HttpClientRequest.get("/v1/applications")).pipe(
          failureOf,
          Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
          Logger.withMinimumLogLevel(LogLevel.All)
        )
        expect(logs.length).toBe(2)
        expect(error.status).toBe(401)
        expect(error.message).toContain("check the API key")
        for (const text of [error.message, String(error), JSON.stringify(error), ...logs]) {
          expect(text).not.toContain(secret)
        }
      }).pipe(Effect.provide(Layer.merge(emulatorLayer({}, transport), transport))))

    it.effect("trims long error bodies", () =>
      driven(function*() {
        const { api } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        yield* emulator.injectFault({ path: "/v1/applications", action: FaultAction.status(400, { body: { error: "x".repeat(10_000) } }) })
        const error = yield* api.text(HttpClientRequest.get("/v1/applications")).pipe(failureOf)
        expect(error.body!.length).toBeLessThan(4200)
      }).pipe(Effect.provide(emulatorLayer({}, transport))))

    it.effect("retries GET on 503 and 429 until success", () =>
      driven(function*() {
        const { api } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        yield* emulator.injectFault({ method: "GET", path: "/v1/applications", times: 2, action: FaultAction.status(503) })
        yield* emulator.injectFault({
          method: "GET",
          path: "/v1/applications",
          times: 1,
          action: FaultAction.status(429, { retryAfter: 0 })
        })
        const body = yield* api.text(HttpClientRequest.get("/v1/applications"))
        expect(body).toBe("[]")
        expect((yield* emulator.requests).length).toBe(4)
      }).pipe(Effect.provide(emulatorLayer({}, transport))))

    it.effect("gives up after the retry budget and reports the attempts", () =>
      driven(function*() {
        const { api } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        yield* emulator.injectFault({ path: "/v1/applications", times: Infinity, action: FaultAction.status(502) })
        const error = yield* api.text(HttpClientRequest.get("/v1/applications")).pipe(failureOf)
        expect(error.status).toBe(502)
        expect(error.attempts).toBe(4)
        expect((yield* emulator.requests).length).toBe(4)
        expect(error.message).toContain("after 4 attempts")
      }).pipe(Effect.provide(emulatorLayer({ client: { retry: { retries: 3 } } }, transport))))

    it.effect("honours Retry-After over real sockets", () =>
      driven(function*() {
        const { api } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        yield* emulator.injectFault({ method: "GET", path: "/v1/applications", action: FaultAction.status(429, { retryAfter: 1 }) })
        yield* api.text(HttpClientRequest.get("/v1/applications"))
        const [first, second] = yield* emulator.requests
        // Without the header the first retry would be immediate (urllib3's 0 s).
        expect(second!.time - first!.time).toBe(1_000)
      }).pipe(Effect.provide(emulatorLayer({ client: { retry: { maxRetryAfter: "60 seconds" } } }, transport))))

    it.effect("retries: 0 disables retries", () =>
      driven(function*() {
        const { api } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        yield* emulator.injectFault({ path: "/v1/applications", times: Infinity, action: FaultAction.status(503) })
        yield* api.text(HttpClientRequest.get("/v1/applications")).pipe(failureOf)
        expect((yield* emulator.requests).length).toBe(1)
      }).pipe(Effect.provide(emulatorLayer({ client: { retry: { retries: 0 } } }, transport))))

    it.live("never retries POST on 503, on a timeout or after a reset; does retry it on 429", () =>
      Effect.gen(function*() {
        const { api } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        const post = HttpClientRequest.post("/v1/applications").pipe(
          HttpClientRequest.bodyUnsafeJson({ id: "app-1", name: "A" })
        )
        yield* emulator.injectFault({ method: "POST", path: "/v1/applications", action: FaultAction.status(503) })
        expect((yield* api.text(post).pipe(failureOf)).status).toBe(503)
        expect((yield* emulator.requests).length).toBe(1)

        yield* emulator.clearRequests
        yield* emulator.injectFault({ method: "POST", path: "/v1/applications", action: FaultAction.delay("1 second") })
        const timeout = yield* api.text(post).pipe(failureOf)
        expect(timeout.reason).toBe("timeout")
        expect(timeout.message).toContain("raise the per-attempt timeout")
        expect((yield* emulator.requests).length).toBe(1)

        yield* emulator.clearRequests
        yield* emulator.injectFault({ method: "POST", path: "/v1/applications", action: FaultAction.reset })
        expect((yield* api.text(post).pipe(failureOf)).reason).toBe("transport")
        expect((yield* emulator.requests).length).toBe(1)

        yield* emulator.clearRequests
        yield* emulator.injectFault({ method: "POST", path: "/v1/applications", times: 2, action: FaultAction.status(429) })
        yield* api.text(post)
        expect((yield* emulator.requests).length).toBe(3)
      }).pipe(Effect.provide(emulatorLayer({ client: { timeout: "200 millis" } }, transport))))

    it.effect("PATCH is not retried on 5xx either", () =>
      driven(function*() {
        const { api } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        yield* emulator.injectFault({
          method: "PATCH",
          path: "/v1/applications/a/runs/r/cancel",
          times: Infinity,
          action: FaultAction.status(500)
        })
        yield* api.discard(HttpClientRequest.patch("/v1/applications/a/runs/r/cancel")).pipe(failureOf)
        expect((yield* emulator.requests).length).toBe(1)
      }).pipe(Effect.provide(emulatorLayer({}, transport))))

    it.live("retries GET after a per-attempt timeout, a reset and a truncated body", () =>
      Effect.gen(function*() {
        const { api } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        yield* emulator.injectFault({ method: "GET", path: "/v1/applications", action: FaultAction.delay("1 second") })
        yield* emulator.injectFault({ method: "GET", path: "/v1/applications", action: FaultAction.reset })
        yield* emulator.injectFault({ method: "GET", path: "/v1/applications", action: FaultAction.truncatedBody })
        expect(yield* api.text(HttpClientRequest.get("/v1/applications"))).toBe("[]")
        expect((yield* emulator.requests).length).toBe(4)
      }).pipe(Effect.provide(emulatorLayer({ client: { timeout: "200 millis" } }, transport))))

    it.effect("a malformed body is a NextmvDecodeError, not retried", () =>
      driven(function*() {
        const { api } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        yield* emulator.injectFault({ path: "/v1/applications/:appId", action: FaultAction.malformedBody })
        const error = yield* api.json(HttpClientRequest.get("/v1/applications/x"), Echo).pipe(failureOf)
        expect(error).toBeInstanceOf(NextmvDecodeError)
        expect(error.message).toContain("GET /v1/applications/x")
        expect(error.message).toContain("not valid JSON")
        expect((yield* emulator.requests).length).toBe(1)
      }).pipe(Effect.provide(emulatorLayer({}, transport))))

    it.effect("a shape mismatch names what did not match", () =>
      driven(function*() {
        const { api } = yield* NextmvClient.NextmvClient
        const error = yield* api.json(HttpClientRequest.get("/v1/applications"), Echo).pipe(failureOf)
        expect(error).toBeInstanceOf(NextmvDecodeError)
        expect((error as NextmvDecodeError).issue).toMatch(/Expected.*id|readonly id|\{ readonly id/)
      }).pipe(Effect.provide(emulatorLayer({}, transport))))

    it.effect("a request the transport rejects (a header with a line break) fails typed, never a defect", () =>
      driven(function*() {
        const { api } = yield* NextmvClient.NextmvClient
        const error = yield* api.text(HttpClientRequest.get("/v1/applications").pipe(HttpClientRequest.setHeader("x-bad", "a\r\nb")))
          .pipe(failureOf)
        expect(error).toBeInstanceOf(NextmvHttpError)
        expect(error.reason).toBe("transport")
      }).pipe(Effect.provide(emulatorLayer({ client: { retry: { retries: 0 } } }, transport))))

    it.live("interrupting a call aborts its request (the socket closes) and frees its connection slot", () =>
      Effect.gen(function*() {
        const received = yield* Deferred.make<void>()
        const closed = yield* Deferred.make<void>()
        const { origin } = yield* rawServer((req, res) => {
          if (req.url === "/v1/stall") {
            req.socket.once("close", () => Deferred.unsafeDone(closed, Exit.void))
            Deferred.unsafeDone(received, Exit.void)
            return
          }
          res.writeHead(200, { "content-type": "application/json" })
          res.end("{}")
        })
        const client = yield* NextmvClient.make({
          apiKey: Redacted.make("k"),
          baseUrl: origin,
          timeout: testTimeout,
          maxConnections: 1
        })
        const fiber = yield* Effect.fork(client.api.text(HttpClientRequest.get("/v1/stall")))
        yield* Deferred.await(received)
        yield* Fiber.interrupt(fiber)
        // The server sees the connection go: the request was aborted, not left hanging.
        yield* Deferred.await(closed)
        // The only slot was given back.
        expect(yield* client.api.text(HttpClientRequest.get("/v1/next"))).toBe("{}")
      }).pipe(Effect.scoped, Effect.provide(transport)))

    it.effect("retries POST when the connection is refused (the request was never sent)", () =>
      driven(function*() {
        const client = yield* NextmvClient.make({
          apiKey: Redacted.make("k"),
          baseUrl: "http://127.0.0.1:1",
          timeout: testTimeout,
          retry: { retries: 2, backoffFactor: 1, backoffJitter: 0 }
        })
        const error = yield* client.api.text(HttpClientRequest.post("/v1/applications")).pipe(failureOf)
        expect(error.reason).toBe("transport")
        expect(error.attempts).toBe(3)
        expect(error.detail).toBe("ECONNREFUSED")
        expect(error.path).toBe("/v1/applications")
      }).pipe(Effect.provide(transport)))

    it.effect("presigned requests carry no Authorization and errors hide the signature", () =>
      driven(function*() {
        const { presigned } = yield* NextmvClient.NextmvClient
        const emulator = yield* Emulator
        const url = emulator.context.blobs.presignDownload("hello", "text/plain")
        expect(yield* presigned.text(HttpClientRequest.get(url))).toBe("hello")
        const [request] = yield* emulator.requests
        expect(request?.headers["authorization"]).toBeUndefined()
        const bad = url.replace(/signature=[0-9a-f]+/, "signature=00")
        const error = yield* presigned.text(HttpClientRequest.get(bad)).pipe(failureOf)
        expect(error.status).toBe(403)
        expect(error.path).not.toContain("signature")
        expect(error.path).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/_presigned\/download\//)
      }).pipe(Effect.provide(emulatorLayer({}, transport))))

    it.effect("joins the base URL: adds https:// without scheme, drops trailing slashes", () =>
      driven(function*() {
        const a = yield* NextmvClient.make({ apiKey: Redacted.make("k"), baseUrl: "api.example.test/" })
        expect(a.baseUrl).toBe("https://api.example.test")
        const b = yield* NextmvClient.make({ apiKey: Redacted.make("k") })
        expect(b.baseUrl).toBe("https://api.cloud.nextmv.io")
        expect(b.consoleUrl).toBe("https://cloud.nextmv.io")
        const emulator = yield* Emulator
        const c = yield* NextmvClient.make({ apiKey: emulator.apiKey, baseUrl: `${emulator.url}//`, timeout: testTimeout })
        expect(yield* c.api.text(HttpClientRequest.get("/v1/applications"))).toBe("[]")
      }).pipe(Effect.provide(Layer.merge(emulatorLayer({}, transport), transport))))
  })
}

// Retry timing with a scripted transport under the TestClock (no sockets, exact delays).
/** A client whose transport is a fast path only: `send` plays the network for each attempt. */
const fastClient = (send: Send, options: { readonly maxConnections?: number } = {}) =>
  NextmvClient.make({ apiKey: Redacted.make("k"), baseUrl: "http://x.test", ...options }).pipe(
    Effect.provide(Layer.succeed(
      HttpClient.HttpClient,
      withFastTransport(HttpClient.make(() => Effect.die("the fast path is taken")), {
        target: fastTargets,
        attempt: (request, context, call) => fastAttempt(send, request, context, call)
      })
    ))
  )

describe("retry timing (TestClock)", () => {
  const scripted = (responses: ReadonlyArray<{ status: number; headers?: Record<string, string> }>) =>
    Effect.gen(function*() {
      const sent = yield* Ref.make<Array<number>>([])
      const transport = HttpClient.make((request) =>
        Effect.gen(function*() {
          const times = yield* Ref.updateAndGet(sent, (xs) => [...xs, 0])
          const now = yield* TestClock.currentTimeMillis
          yield* Ref.update(sent, (xs) => [...xs.slice(0, -1), now])
          const next = responses[Math.min(times.length - 1, responses.length - 1)]!
          return HttpClientResponse.fromWeb(request, new Response("{}", { status: next.status, headers: next.headers ?? {} }))
        })
      )
      return { sent, layer: Layer.succeed(HttpClient.HttpClient, transport) }
    })

  it.effect("honours Retry-After (seconds), capped at 60 s", () =>
    Effect.gen(function*() {
      const { sent, layer } = yield* scripted([
        { status: 429, headers: { "retry-after": "5" } },
        { status: 503, headers: { "retry-after": "600" } },
        { status: 200 }
      ])
      const client = yield* NextmvClient.make({ apiKey: Redacted.make("k"), baseUrl: "http://x.test" }).pipe(Effect.provide(layer))
      const fiber = yield* Effect.fork(client.api.text(HttpClientRequest.get("/v1/applications")))
      yield* TestClock.adjust("4999 millis")
      expect((yield* Ref.get(sent)).length).toBe(1)
      yield* TestClock.adjust("1 millis")
      expect(yield* Ref.get(sent)).toEqual([0, 5000])
      yield* TestClock.adjust("59999 millis")
      expect((yield* Ref.get(sent)).length).toBe(2)
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.join(fiber)).toBe("{}")
      expect(yield* Ref.get(sent)).toEqual([0, 5000, 65000])
    }))

  it.effect("the fast path (a transport's FastTransport) honours Retry-After too, seconds and HTTP dates", () =>
    Effect.gen(function*() {
      const answers = [
        { status: 429, headers: { "retry-after": "5" } },
        { status: 503, headers: { "retry-after": new Date(35_000).toUTCString() } },
        { status: 200, headers: {} }
      ]
      let sent = 0
      const client = yield* fastClient((_request, _cap, callbacks) => {
        const answer = answers[Math.min(sent++, answers.length - 1)]!
        queueMicrotask(() => callbacks.onResponse(answer.status, answer.headers, new TextEncoder().encode("{}")))
        return { abort: () => {} }
      })
      const fiber = yield* Effect.fork(client.api.text(HttpClientRequest.get("/v1/x")))
      yield* TestClock.adjust("4999 millis")
      expect(sent).toBe(1)
      yield* TestClock.adjust("1 millis")
      expect(sent).toBe(2)
      yield* TestClock.adjust("29999 millis")
      expect(sent).toBe(2)
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.join(fiber)).toBe("{}")
      expect(sent).toBe(3)
    }).pipe(Logger.withMinimumLogLevel(LogLevel.Error)))

  it.effect("on the fast path, interrupting a call in flight aborts its exchange and one queued for a slot leaves the queue", () =>
    Effect.gen(function*() {
      const answers: Array<() => void> = []
      let sent = 0
      let aborted = 0
      const client = yield* fastClient((_request, _cap, callbacks) => {
        sent++
        answers.push(() => callbacks.onResponse(200, {}, new TextEncoder().encode("{}")))
        return { abort: () => void aborted++ }
      }, { maxConnections: 1 })
      const first = yield* Effect.fork(client.api.text(HttpClientRequest.get("/v1/first")))
      const queued = yield* Effect.fork(client.api.text(HttpClientRequest.get("/v1/queued")))
      yield* Effect.yieldNow()
      expect(sent).toBe(1)
      // The queued call leaves the queue: nothing was sent for it, nothing to abort.
      yield* Fiber.interrupt(queued)
      expect([sent, aborted]).toEqual([1, 0])
      // The call in flight is aborted, and its slot is free again.
      yield* Fiber.interrupt(first)
      expect(aborted).toBe(1)
      const next = yield* Effect.fork(client.api.text(HttpClientRequest.get("/v1/next")))
      yield* Effect.yieldNow()
      expect(sent).toBe(2)
      answers[1]!()
      expect(yield* Fiber.join(next)).toBe("{}")
      expect(aborted).toBe(1)
    }))

  it.effect("on the fast path, a call made in an uninterruptible region is not aborted: the interrupt waits for its answer", () =>
    Effect.gen(function*() {
      const answers: Array<() => void> = []
      let aborted = 0
      const client = yield* fastClient((_request, _cap, callbacks) => {
        answers.push(() => callbacks.onResponse(200, {}, new TextEncoder().encode("{\"id\":\"a\"}")))
        return { abort: () => void aborted++ }
      })
      const decoded = yield* Ref.make<unknown>(undefined)
      const fiber = yield* Effect.fork(
        Effect.uninterruptible(Effect.flatMap(client.api.json(HttpClientRequest.get("/v1/x"), Echo), (value) => Ref.set(decoded, value)))
      )
      yield* Effect.yieldNow()
      expect(answers.length).toBe(1)
      const interrupted = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* Effect.yieldNow()
      expect(aborted).toBe(0)
      answers[0]!()
      const exit = yield* Fiber.join(interrupted)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(aborted).toBe(0)
      expect(yield* Ref.get(decoded)).toEqual({ id: "a" })
    }))

  it.effect("a defect in an attempt is neither retried nor turned into a typed error", () =>
    Effect.gen(function*() {
      let attempts = 0
      const dying = withFastTransport(HttpClient.make(() => Effect.die("the fast path is taken")), {
        target: fastTargets,
        attempt: () =>
          Effect.suspend(() => {
            attempts++
            return Effect.die(new Error("a bug in the transport"))
          })
      })
      const client = yield* NextmvClient.make({ apiKey: Redacted.make("k"), baseUrl: "http://x.test" }).pipe(
        Effect.provide(Layer.succeed(HttpClient.HttpClient, dying))
      )
      const exit = yield* Effect.exit(client.api.text(HttpClientRequest.get("/v1/x")))
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
      expect(Exit.isFailure(exit) && Option.getOrUndefined(Cause.dieOption(exit.cause))).toEqual(new Error("a bug in the transport"))
      expect(attempts).toBe(1)
    }))

  it.effect("honours Retry-After as an HTTP date", () =>
    Effect.gen(function*() {
      const at = new Date(30_000).toUTCString()
      const { sent, layer } = yield* scripted([{ status: 429, headers: { "retry-after": at } }, { status: 200 }])
      const client = yield* NextmvClient.make({ apiKey: Redacted.make("k"), baseUrl: "http://x.test" }).pipe(Effect.provide(layer))
      const fiber = yield* Effect.fork(client.api.text(HttpClientRequest.get("/v1/x")))
      yield* TestClock.adjust("30 seconds")
      yield* Fiber.join(fiber)
      expect(yield* Ref.get(sent)).toEqual([0, 30_000])
    }))

  it.live("an attempt with no progress within connect + idle timeout fails; GET retries it, POST does not", () =>
    Effect.gen(function*() {
      const sent = yield* Ref.make<Array<number>>([])
      const hanging = HttpClient.make((request) =>
        Effect.gen(function*() {
          const all = yield* Ref.updateAndGet(sent, (xs) => [...xs, xs.length])
          if (all.length < 3) return yield* Effect.never
          return HttpClientResponse.fromWeb(request, new Response("ok"))
        })
      )
      const client = yield* NextmvClient.make({
        apiKey: Redacted.make("k"),
        baseUrl: "http://x.test",
        timeout: "50 millis",
        retry: { backoffFactor: 1, backoffJitter: 0 }
      }).pipe(Effect.provide(Layer.succeed(HttpClient.HttpClient, hanging)))
      expect(yield* client.api.text(HttpClientRequest.get("/v1/x"))).toBe("ok")
      expect((yield* Ref.get(sent)).length).toBe(3)

      yield* Ref.set(sent, [])
      const error = yield* failureOf(client.api.text(HttpClientRequest.post("/v1/x")))
      expect(error.reason).toBe("timeout")
      expect(error.message).toContain("no progress for 50 ms")
      expect((yield* Ref.get(sent)).length).toBe(1)
    }))

  it.effect("without Retry-After: urllib3 backoff 0, 2, 4, 8 … s capped at 60 s", () =>
    Effect.gen(function*() {
      const { sent, layer } = yield* scripted([{ status: 503 }])
      const client = yield* NextmvClient.make({
        apiKey: Redacted.make("k"),
        baseUrl: "http://x.test",
        retry: { backoffJitter: 0 }
      }).pipe(Effect.provide(layer))
      const fiber = yield* Effect.fork(Effect.exit(client.api.text(HttpClientRequest.get("/v1/x"))))
      yield* TestClock.adjust(Duration.minutes(10))
      const exit = yield* Fiber.join(fiber)
      expect(Exit.isFailure(exit)).toBe(true)
      const times = yield* Ref.get(sent)
      const waits = times.slice(1).map((t, i) => (t - times[i]!) / 1000)
      expect(waits).toEqual([0, 2, 4, 8, 16, 32, 60, 60, 60, 60])
    }))
})
