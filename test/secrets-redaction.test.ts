/**
 * Nothing secret in traces, logs or errors. Every service runs against the emulator with a
 * recognisable API key and recognisable secret values, under a recording tracer and a log
 * capture, including failures (a wrong key, server bodies echoing the key or a signature, reset
 * connections and timeouts on presigned URLs). Every span (name, attributes, events, exit), every
 * log line and every error is serialised; none may contain the key, a secret value or a presigned
 * signature.
 */
import { type HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Inspectable, Layer, Logger, LogLevel, Redacted, Stream, Tracer } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Layers from "../src/Layers.js"
import { newRunWithResult } from "../src/programs/Runs.js"
import * as Applications from "../src/services/Applications.js"
import * as Instances from "../src/services/Instances.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import * as Runs from "../src/services/Runs.js"
import * as Secrets from "../src/services/Secrets.js"
import * as Uploads from "../src/services/Uploads.js"
import * as Versions from "../src/services/Versions.js"
import { Emulator, FaultAction, layerClient } from "../src/testing/Emulator.js"
import { transports } from "./support/layers.js"

const API_KEY = "nxmv-KEY-7f3a9c1e5b"
const SECRET_VALUES = ["SECRET-VALUE-d41d8cd9", "SECRET-FILE-CONTENT-98f00b20"]

interface Recorded {
  name: string
  attributes: Map<string, unknown>
  events: Array<unknown>
  exit?: Exit.Exit<unknown, unknown>
}

/** A tracer that keeps every span's name, attributes, events and exit. */
const recordingTracer = (spans: Array<Recorded>) => {
  let counter = 0
  return Tracer.make({
    context: (f) => f(),
    span: (name, parent, context, links, startTime, kind) => {
      const record: Recorded = { name, attributes: new Map(), events: [] }
      spans.push(record)
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: String(++counter),
        traceId: "trace",
        parent,
        context,
        status: { _tag: "Started", startTime },
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
}

/** Everything an exporter or a log shipper could see of a cause. */
const causeText = (cause: Cause.Cause<unknown>): string =>
  [Cause.pretty(cause), Inspectable.format(cause), JSON.stringify(Cause.squash(cause)), String(Cause.squash(cause))].join("\n")

const testLayer = (transport: Layer.Layer<HttpClient.HttpClient>) =>
  Layers.services.pipe(
    Layer.provideMerge(
      layerClient({ apiKey: API_KEY, client: { timeout: "200 millis", retry: { retries: 1, backoffFactor: 1, maxRetryAfter: 5 } } })
    ),
    Layer.provideMerge(Layer.mergeAll(transport, NodeContext.layer))
  )

for (const [transportName, transport] of transports) {
  describe(`redaction (${transportName})`, () => {
    it.live("no API key, secret value or presigned signature in spans, logs or errors", () =>
      Effect.gen(function*() {
        const spans: Array<Recorded> = []
        const logs: Array<string> = []
        const errors: Array<string> = []
        const logger = Logger.make(({ annotations, cause, message }) => {
          logs.push(JSON.stringify({ message, annotations: [...annotations] }))
          logs.push(Cause.pretty(cause))
        })
        const dir = mkdtempSync(join(tmpdir(), "nextmv-redaction-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
        const emulator = yield* Emulator
        const { api, presigned } = yield* NextmvClient.NextmvClient

        /** Runs an operation, recording its failure (if any) as text. */
        const record = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
          Effect.exit(effect).pipe(
            Effect.tap((exit) => {
              if (Exit.isFailure(exit)) errors.push(causeText(exit.cause))
            })
          )

        const program = Effect.gen(function*() {
          const apps = yield* Applications.Applications
          const runs = yield* Runs.Runs
          const uploads = yield* Uploads.Uploads
          const secrets = yield* Secrets.Secrets
          const instances = yield* Instances.Instances
          const versions = yield* Versions.Versions

          // Applications
          yield* record(apps.newApplication({ id: "redact-app" }))
          yield* record(apps.getApplication("redact-app"))
          yield* record(apps.listApplications())
          yield* record(apps.applicationExists("redact-app"))
          yield* record(apps.updateApplication("redact-app", { description: "d" }))

          // Versions and instances
          const version = yield* record(versions.newVersion("redact-app", { id: "v1" }))
          yield* record(versions.listVersions("redact-app"))
          if (Exit.isSuccess(version)) {
            yield* record(instances.newInstance("redact-app", version.value.id, { id: "prod" }))
          }
          yield* record(instances.listInstances("redact-app"))

          // Secrets collections with recognisable values
          yield* record(secrets.newSecretsCollection("redact-app", {
            id: "creds",
            secrets: [
              { type: "env", location: "PROVIDER_KEY", value: Redacted.make(SECRET_VALUES[0]!) },
              { type: "file", location: "/etc/creds", value: Redacted.make(SECRET_VALUES[1]!) }
            ]
          }))
          yield* record(secrets.secretsCollection("redact-app", "creds"))
          yield* record(secrets.listSecretsCollections("redact-app"))
          yield* record(secrets.updateSecretsCollection("redact-app", "creds", { description: "rotated" }))

          // Uploads and runs
          const url = yield* record(uploads.uploadUrl("redact-app"))
          if (Exit.isSuccess(url)) {
            const file = join(dir, "input.json")
            writeFileSync(file, JSON.stringify({ big: true }))
            yield* record(uploads.uploadData(url.value, Uploads.UploadData.file(file)))
          }
          const result = yield* record(
            newRunWithResult("redact-app", {
              input: { stops: [1, 2, 3] },
              polling: { initialDelay: 5, delay: 5, backoff: 1, maxDelay: 10, jitter: 0 }
            })
          )
          const runId = Exit.isSuccess(result) ? result.value.id : "none"
          yield* record(runs.runMetadata("redact-app", runId))
          yield* record(runs.runResult("redact-app", runId, { outputDir: dir }))
          yield* record(runs.runInput("redact-app", runId, { outputDir: dir }))
          yield* record(runs.runLogs("redact-app", runId))
          yield* record(runs.listRuns("redact-app"))
          yield* record(runs.listAssets("redact-app", runId))
          yield* record(runs.cancelRun("redact-app", runId))
          yield* record(runs.trackRun("redact-app", { status: "succeeded", input: { a: 1 }, output: { b: 2 }, logs: "ok" }))

          // Failures: a server body that echoes the key, a wrong key, bad signatures, resets, timeouts.
          yield* emulator.injectFault({
            path: "/v1/applications/:appId",
            action: FaultAction.status(400, { body: { error: `bad request for key ${API_KEY}` } })
          })
          yield* record(apps.getApplication("redact-app"))
          const wrongKey = yield* NextmvClient.make({ apiKey: Redacted.make(`${API_KEY}-wrong`), baseUrl: emulator.url })
          yield* record(wrongKey.api.text(HttpClientRequest.get("/v1/applications")))
          const download = emulator.context.blobs.presignDownload("payload", "text/plain")
          const signature = new URL(download).searchParams.get("signature")!
          const forged = download.replace(/signature=[0-9a-f]+/, `signature=${signature.slice(0, 20)}ffffffffffff`)
          yield* record(presigned.text(HttpClientRequest.get(forged)))
          yield* emulator.injectFault({
            path: "/_presigned/download/:token",
            action: FaultAction.status(403, { body: { error: `signature ${signature} does not match; key ${API_KEY}` } })
          })
          yield* record(presigned.text(HttpClientRequest.get(download)))
          yield* emulator.injectFault({ path: "/_presigned/download/:token", times: Infinity, action: FaultAction.reset })
          yield* record(presigned.text(HttpClientRequest.get(download)))
          yield* emulator.clearFaults
          yield* emulator.injectFault({ path: "/_presigned/download/:token", times: Infinity, action: FaultAction.stallBody })
          yield* record(Stream.runDrain(presigned.stream(HttpClientRequest.get(download))))
          yield* emulator.clearFaults
          yield* emulator.injectFault({ path: "/v1/applications", times: Infinity, action: FaultAction.stallRead })
          yield* record(api.text(HttpClientRequest.post("/v1/applications")))
          yield* emulator.clearFaults

          // Deletes
          yield* record(secrets.deleteSecretsCollection("redact-app", "creds"))
          yield* record(instances.deleteInstance("redact-app", "prod"))
          yield* record(versions.deleteVersion("redact-app", "v1"))
          yield* record(apps.deleteApplication("redact-app"))
          return signature
        })

        const signature = yield* program.pipe(
          Effect.withTracer(recordingTracer(spans)),
          Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
          Logger.withMinimumLogLevel(LogLevel.All)
        )

        // The scenario really ran: spans for operations and HTTP calls, failures, retry log lines.
        const names = spans.map((s) => s.name)
        expect(names).toContain("Applications.newApplication")
        expect(names).toContain("Secrets.newSecretsCollection")
        expect(names.filter((n) => n.startsWith("http.client")).length).toBeGreaterThan(20)
        expect(errors.length).toBeGreaterThanOrEqual(7)
        expect(logs.some((line) => line.includes("retry"))).toBe(true)
        const presignedUrls = (yield* emulator.requests).filter((r) => r.query["signature"] !== undefined)
        expect(presignedUrls.length).toBeGreaterThan(3)

        const dump = [
          ...spans.map((s) =>
            JSON.stringify({ name: s.name, attributes: [...s.attributes], events: s.events }) +
            (s.exit !== undefined && Exit.isFailure(s.exit) ? causeText(s.exit.cause) : "")
          ),
          ...logs,
          ...errors
        ].join("\n")
        const forbidden = [
          API_KEY,
          ...SECRET_VALUES,
          signature,
          ...presignedUrls.map((r) => r.query["signature"]!)
        ]
        for (const value of forbidden) expect(dump).not.toContain(value)
        expect(dump).not.toMatch(/signature=[0-9a-f]{16}/)
      }).pipe(Effect.scoped, Effect.provide(testLayer(transport))))
  })
}
