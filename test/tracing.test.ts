import { HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Option, Redacted, Tracer } from "effect"
import * as Applications from "../src/services/Applications.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { Emulator, FaultAction } from "../src/testing/Emulator.js"
import { servicesLayer, testTimeout, transports } from "./support/layers.js"
import { driven, failureOf } from "./support/time.js"

/** A tracer that keeps every span's name, attributes, events and exit, for inspection. */
const recordingTracer = () => {
  const spans: Array<{
    name: string
    id: string
    parent: Option.Option<Tracer.AnySpan>
    attributes: Map<string, unknown>
    events: Array<unknown>
    exit?: Exit.Exit<unknown, unknown>
  }> = []
  let counter = 0
  const tracer = Tracer.make({
    context: (f) => f(),
    span: (name, parent, context, links, _startTime, kind) => {
      const id = String(++counter)
      const record: (typeof spans)[number] = { name, id, parent, attributes: new Map(), events: [] }
      spans.push(record)
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: id,
        traceId: "trace",
        parent,
        context,
        status: { _tag: "Started", startTime: 0n },
        attributes: record.attributes,
        links,
        sampled: true,
        kind,
        end: (_endTime, exit) => {
          record.exit = exit
        },
        attribute: (key, value) => void record.attributes.set(key, value),
        event: (eventName, _time, attributes) => void record.events.push({ eventName, attributes }),
        addLinks: () => {}
      }
      return span
    }
  })
  return { tracer, spans }
}

for (const [transportName, transport] of transports) {
  describe(`spans (${transportName})`, () => {
    it.effect("operations are spans named Area.operation; the API key appears in none of them", () =>
      driven(function*() {
        const { tracer, spans } = recordingTracer()
        const emulator = yield* Emulator
        const apps = yield* Applications.Applications
        yield* apps.newApplication({ id: "traced" }).pipe(Effect.withTracer(tracer))
        // A failing call with a wrong key: its error must not show the key either.
        const secret = "sk-never-in-a-span"
        const wrong = yield* NextmvClient.make({ apiKey: Redacted.make(secret), baseUrl: emulator.url, timeout: testTimeout })
        const failure = yield* failureOf(
          wrong.api.text(HttpClientRequest.get("/v1/applications")).pipe(Effect.withSpan("test.listWithWrongKey"))
        ).pipe(Effect.withTracer(tracer))
        expect(failure.status).toBe(401)

        const names = spans.map((s) => s.name)
        expect(names).toContain("Applications.newApplication")
        expect(names.some((n) => n.startsWith("http.client"))).toBe(true)
        // What exporters record: names, attributes, events, and for failures the error and its cause.
        const failures = spans.flatMap((s) => s.exit !== undefined && Exit.isFailure(s.exit) ? [s.exit.cause] : [])
        expect(failures.length).toBeGreaterThan(0)
        const dump = JSON.stringify({
          spans: spans.map((s) => ({ name: s.name, attributes: [...s.attributes], events: s.events })),
          failures: failures.map((cause) => ({ pretty: Cause.pretty(cause), json: Cause.squash(cause) }))
        })
        expect(dump).not.toContain(Redacted.value(emulator.apiKey))
        expect(dump).not.toContain(secret)
        expect(JSON.stringify(failure)).not.toContain(secret)

        // A transport failure keeps the underlying error as its cause, never the request.
        yield* emulator.injectFault({ path: "/v1/applications", times: Infinity, action: FaultAction.reset })
        const reset = yield* failureOf(wrong.api.text(HttpClientRequest.post("/v1/applications")))
        expect(reset.reason).toBe("transport")
        expect(JSON.stringify(reset)).not.toContain(secret)
        expect(String(reset)).not.toContain(secret)
        expect(dump).toContain("url.full")
      }).pipe(Effect.provide(Layer.merge(servicesLayer({}, transport), transport))))

    it.effect("an operation's span is opened only when a tracer is installed, as Effect.fn's was", () =>
      driven(function*() {
        const { tracer, spans } = recordingTracer()
        const apps = yield* Applications.Applications
        // No tracer installed (Effect's built-in one): the operations work, nothing is recorded.
        const created = yield* apps.newApplication({ id: "untraced" })
        expect((yield* apps.getApplication("untraced")).id).toBe(created.id)
        expect(yield* failureOf(apps.getApplication("missing"))).toMatchObject({ _tag: "NextmvHttpError", status: 404 })
        // A tracer installed but tracing turned off: no span either.
        yield* apps.getApplication("untraced").pipe(Effect.withTracerEnabled(false), Effect.withTracer(tracer))
        expect(spans).toEqual([])

        // A tracer installed: the operation's span, with the http.client span as its child.
        yield* apps.getApplication("untraced").pipe(Effect.withTracer(tracer))
        expect(spans.map((s) => s.name)).toEqual(["Applications.getApplication", "http.client GET"])
        const [operation, http] = spans
        expect(Option.map(http!.parent, (parent) => parent.spanId)).toEqual(Option.some(operation!.id))
        expect(Option.isNone(operation!.parent)).toBe(true)
        expect(operation!.exit !== undefined && Exit.isSuccess(operation!.exit)).toBe(true)

        // A failure is recorded on the operation's span, a nested operation is a child span.
        spans.length = 0
        const failure = yield* failureOf(apps.getApplication("missing").pipe(Effect.withTracer(tracer)))
        expect(failure).toMatchObject({ _tag: "NextmvHttpError", status: 404 })
        expect(spans[0]?.name).toBe("Applications.getApplication")
        const failed = spans[0]?.exit
        expect(failed !== undefined && Exit.isFailure(failed) && Cause.squash(failed.cause)).toBe(failure)
        // As with Effect.fn, a failed span records where the operation is (its definition site).
        expect(String(spans[0]?.attributes.get("code.stacktrace"))).toMatch(/Applications\.ts:\d+/)
        spans.length = 0
        yield* apps.newApplication({ id: "untraced", existOk: true }).pipe(Effect.withTracer(tracer))
        const byName = new Map(spans.map((s) => [s.name, s]))
        const outer = byName.get("Applications.newApplication")
        expect(outer).toBeDefined()
        for (const inner of ["Applications.applicationExists", "Applications.getApplication"]) {
          expect(Option.map(byName.get(inner)!.parent, (parent) => parent.spanId)).toEqual(Option.some(outer!.id))
        }
      }).pipe(Effect.provide(servicesLayer({}, transport))))

    it.effect("the API request carries the trace context of its http.client span; presigned requests none", () =>
      driven(function*() {
        const { tracer, spans } = recordingTracer()
        const emulator = yield* Emulator
        const { api, presigned } = yield* NextmvClient.NextmvClient
        yield* api.text(HttpClientRequest.get("/v1/applications")).pipe(Effect.withTracer(tracer))
        const url = emulator.context.blobs.presignDownload("hello", "text/plain")
        yield* presigned.text(HttpClientRequest.get(url)).pipe(Effect.withTracer(tracer))
        const [listed, downloaded] = yield* emulator.requests
        expect(listed?.headers["traceparent"]).toMatch(/^00-trace-\d+-01$/)
        expect(downloaded?.headers["traceparent"]).toBeUndefined()
        const http = spans.filter((s) => s.name === "http.client GET")
        expect(http.length).toBe(2)
        expect(http[0]?.attributes.get("url.path")).toBe("/v1/applications")
        expect(String(http[1]?.attributes.get("url.full"))).not.toContain("signature")
      }).pipe(Effect.provide(servicesLayer({}, transport))))
  })
}
