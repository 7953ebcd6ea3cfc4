/**
 * Runs over real HTTP against the emulator: the cases runs.test.ts and runs-programs.test.ts do
 * not cover — the emulator's inline limit, tolerated unknown statuses while polling, tracked runs
 * from directories, text and csv-archive outputs, the live-logs sleep hint, direct uploads,
 * cancel/interrupt paths of the programs and the not-found answers.
 */
import { HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Fiber, Option, Stream, TestClock } from "effect"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { InvalidArgumentError, NextmvHttpError } from "../src/Errors.js"
import {
  newRunWithResult,
  RunFailedError,
  runLogsStream,
  runLogsWithPolling,
  runResultWithPolling,
  trackRunWithResult,
  watchRun
} from "../src/programs/Runs.js"
import { MAX_RUN_SIZE } from "../src/schemas/Runs.js"
import { NextmvClient } from "../src/services/NextmvClient.js"
import * as Runs from "../src/services/Runs.js"
import { UploadData, Uploads } from "../src/services/Uploads.js"
import { Emulator, FaultAction } from "../src/testing/Emulator.js"
import { Models } from "../src/testing/index.js"
import { untarGz } from "../src/testing/areas/models.js"
import { servicesLayer } from "./support/layers.js"
import { fast, requests, setup, tempDirs } from "./support/runs.js"
import { driven, failureOf } from "./support/time.js"
import { drive, driveUntil, nextSleep, sleeping } from "../src/testing/Drive.js"

const tempDir = tempDirs("nextmv-runs-edges-")

/** How many recorded requests match `pred`. */
const counted = (pred: (r: { method: string; path: string }) => boolean) => Effect.map(requests, (sent) => sent.filter(pred).length)

/**
 * Drives the `TestClock` until `count` requests matching `pred` reached the emulator and the
 * poller sleeps again (no request on the wire).
 */
const pollUntil = (pred: (r: { method: string; path: string }) => boolean, count = 1) =>
  driveUntil(Effect.zipWith(counted(pred), sleeping(), (n, asleep) => n >= count && asleep))

describe("emulator: the 5 MiB inline limit", () => {
  it.effect("an inline input above 5 MiB sent past the SDK is rejected with 413 and a JSON error", () =>
    driven(function*() {
      const { appId } = yield* setup()
      const { api } = yield* NextmvClient
      const error = yield* api.discard(
        HttpClientRequest.post(`/v1/applications/${appId}/runs`).pipe(
          HttpClientRequest.bodyUnsafeJson({ input: { d: "x".repeat(MAX_RUN_SIZE) } })
        )
      ).pipe(failureOf)
      expect(error).toBeInstanceOf(NextmvHttpError)
      expect(error.status).toBe(413)
      expect(JSON.parse(error.body ?? "{}")).toHaveProperty("error")
      // Nothing was created.
      expect(yield* Effect.flatMap(Runs.Runs, (runs) => runs.listRuns(appId))).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("more than one input source is rejected by the emulator as by the API", () =>
    driven(function*() {
      const { appId } = yield* setup()
      const { api } = yield* NextmvClient
      const error = yield* api.discard(
        HttpClientRequest.post(`/v1/applications/${appId}/runs`).pipe(
          HttpClientRequest.bodyUnsafeJson({ input: {}, upload_id: "u-1" })
        )
      ).pipe(failureOf)
      expect(error.status).toBe(400)
    }).pipe(Effect.provide(servicesLayer())))
})

describe("lenient statuses", () => {
  it.effect("a status the SDK does not know keeps polling going until a terminal one", () =>
    driven(function*() {
      const { runs, appId, emulator } = yield* setup()
      const runId = yield* runs.newRun(appId, { input: { value: 1 } })
      const paused = {
        id: runId,
        name: "",
        description: "",
        user_email: "x@example.com",
        metadata: { status_v2: "paused", format: { input: { type: "json" }, output: { type: "json" } } }
      }
      yield* emulator.injectFault({
        method: "GET",
        path: "/v1/applications/:appId/runs/:runId/metadata",
        times: 3,
        action: FaultAction.status(200, { body: paused })
      })
      const result = yield* runResultWithPolling(appId, runId, { polling: fast })
      expect(result.metadata.status_v2).toBe("succeeded")
      const metadataCalls = (yield* requests).filter((r) => r.path.endsWith("/metadata"))
      // three "paused" answers, then at least one real one.
      expect(metadataCalls.length).toBeGreaterThanOrEqual(4)
    }).pipe(Effect.provide(servicesLayer())))
})

describe("tracked runs from directories", () => {
  it.effect("input and output directories are uploaded as tar.gz; the output comes back extracted", () =>
    driven(function*() {
      const { appId, emulator } = yield* setup()
      const input = tempDir()
      writeFileSync(join(input, "stops.csv"), "id\ns1\n")
      const output = tempDir()
      mkdirSync(join(output, "plans"))
      writeFileSync(join(output, "plans", "day1.csv"), "stop,vehicle\ns1,v1\n")
      const out = join(tempDir(), "result")
      const multiFile = { format: { input: { type: "multi-file" }, output: { type: "multi-file" } } }
      const result = yield* trackRunWithResult(appId, {
        status: "succeeded",
        inputDirPath: input,
        outputDirPath: output,
        duration: 1200
      }, { configuration: multiFile, polling: fast, outputDir: out })
      // The emulator stored both archives with names relative to their directories.
      const run = emulator.areas.runs.get(appId, result.id)!
      expect(Object.keys(untarGz(run.inputBytes)!)).toEqual(["stops.csv"])
      expect(untarGz(run.outputBytes)!["plans/day1.csv"]!.toString()).toBe("stop,vehicle\ns1,v1\n")
      expect(readFileSync(join(out, "plans", "day1.csv"), "utf8")).toBe("stop,vehicle\ns1,v1\n")
      const post = (yield* requests).find((r) => r.method === "POST" && r.path === `/v1/applications/${appId}/runs`)!
      expect(post.json).toMatchObject({ configuration: multiFile, result: { status: "succeeded", execution_duration: 1200 } })
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("without a configuration a directory input is recorded as multi-file", () =>
    driven(function*() {
      const { runs, appId } = yield* setup()
      const input = tempDir()
      writeFileSync(join(input, "a.txt"), "a")
      yield* runs.trackRun(appId, { status: "succeeded", inputDirPath: input })
      const post = (yield* requests).at(-1)!
      expect(post.json).toMatchObject({ configuration: { format: { input: { type: "multi-file" } } } })
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("a failed tracked run makes trackRunWithResult fail with RunFailedError and its message", () =>
    driven(function*() {
      const { appId } = yield* setup()
      const error = yield* trackRunWithResult(appId, { status: "failed", input: { a: 1 }, error: "out of memory" }, {
        polling: fast
      }).pipe(failureOf)
      expect(error).toBeInstanceOf(RunFailedError)
      const failed = error as RunFailedError
      expect([failed.status, failed.error]).toEqual(["failed", "out of memory"])
      expect(failed.result.metadata.run_type.type).toBe("external")
    }).pipe(Effect.provide(servicesLayer())))
})

describe("non-JSON outputs", () => {
  it.effect("text output comes through format=url as a string", () =>
    driven(function*() {
      const { runs, appId } = yield* setup()
      const result = yield* newRunWithResult(appId, {
        input: "hello text",
        configuration: { format: { input: { type: "text" }, output: { type: "text" } } },
        polling: fast
      })
      expect(result.output).toBe("hello text")
      const get = (yield* requests).find((r) => r.method === "GET" && r.path === `/v1/applications/${appId}/runs/${result.id}`)!
      expect(get.query).toEqual({ format: "url" })
      expect(yield* runs.runInput(appId, result.id)).toBe("hello text")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("csv-archive output is extracted into outputDir (created when missing)", () =>
    driven(function*() {
      const { appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.files({ "routes.csv": "v,s\nv1,s1\n", "summary.csv": "km\n7\n" }))
      const out = join(tempDir(), "a", "b")
      const result = yield* newRunWithResult(appId, {
        input: { value: 1 },
        configuration: { format: { input: { type: "json" }, output: { type: "csv-archive" } } },
        polling: fast,
        outputDir: out
      })
      expect(result.metadata.outputType).toBe("csv-archive")
      expect(readFileSync(join(out, "routes.csv"), "utf8")).toBe("v,s\nv1,s1\n")
      expect(readFileSync(join(out, "summary.csv"), "utf8")).toBe("km\n7\n")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("an empty outputDir for a multi-file output is an InvalidArgumentError and nothing is downloaded", () =>
    driven(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.files({ "x.txt": "x" }))
      const runId = yield* runs.newRun(appId, {
        input: {},
        configuration: { format: { input: { type: "json" }, output: { type: "multi-file" } } }
      })
      yield* TestClock.adjust(150)
      yield* emulator.clearRequests
      const error = yield* runs.runResult(appId, runId, { outputDir: "" }).pipe(failureOf)
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect((error as InvalidArgumentError).reason).toBe("Output format is multi-file (not json), an `outputDir` must be provided.")
      expect((yield* requests).some((r) => r.path.startsWith("/_presigned/"))).toBe(false)
    }).pipe(Effect.provide(servicesLayer())))
})

describe("live logs: the server's next_available_in_seconds is the sleep", () => {
  const lines = ["a", "b", "c"]

  it.effect("a one-hour hint (within maxDelay) means one request, not a fast polling loop", () =>
    Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000, Models.logs(lines)))
      const runId = yield* runs.newRun(appId, { input: {} })
      yield* emulator.clearRequests
      const polling = { ...fast, maxDelay: "2 hours", maxDuration: "3 hours" } as const
      const fiber = yield* Effect.fork(Stream.runDrain(runLogsStream(appId, runId, { polling })))
      yield* pollUntil((r) => r.path.endsWith("/logs/live"))
      // The stream now sleeps for the hinted hour.
      expect(Option.map(yield* nextSleep(), Duration.toMillis)).toEqual(Option.some(3_600_000))
      yield* TestClock.adjust("59 minutes")
      yield* Fiber.interrupt(fiber)
      expect((yield* requests).filter((r) => r.path.endsWith("/logs/live")).length).toBe(1)
    }).pipe(Effect.provide(servicesLayer({ runs: { liveLogsHintSeconds: 3600 } }))))

  it.effect("without a hint it keeps polling at the polling options' pace; interrupting stops the requests", () =>
    Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000, Models.logs(lines)))
      const runId = yield* runs.newRun(appId, { input: {} })
      yield* emulator.clearRequests
      const fiber = yield* Effect.fork(Stream.runDrain(runLogsStream(appId, runId, { polling: fast })))
      yield* pollUntil((r) => r.path.endsWith("/logs/live"), 3)
      // The polling options' pace, not the emulator's (absent) hint.
      const pause = Option.getOrThrow(yield* nextSleep())
      expect(Duration.toMillis(pause)).toBeLessThanOrEqual(20)
      // Interrupted between two requests: after that, nothing.
      yield* Fiber.interrupt(fiber)
      const count = (yield* requests).length
      yield* TestClock.adjust("1 minute")
      expect((yield* requests).length).toBe(count)
    }).pipe(Effect.provide(servicesLayer())))
})

describe("live logs: tokens and ordering (§3.11)", () => {
  it.effect("the since token is passed through opaquely, kept when a page has none, and entries come back sorted", () =>
    driven(function*() {
      const { runs, appId, emulator } = yield* setup()
      const runId = yield* runs.newRun(appId, { input: {} })
      yield* emulator.clearRequests
      const page = (items: ReadonlyArray<[string, string]>, status: string, token: string | null) =>
        FaultAction.status(200, {
          body: {
            items: items.map(([timestamp, log]) => ({ timestamp, log })),
            status_v2: status,
            next_page_token: token,
            next_available_in_seconds: 0
          }
        })
      const path = "/v1/applications/:appId/runs/:runId/logs/live"
      // Faults answer in the order they were added, one request each.
      yield* emulator.injectFault({ path, action: page([["2025-01-15T10:00:06Z", "second"]], "running", "opaque/token+1") })
      yield* emulator.injectFault({ path, action: page([], "running", null) })
      yield* emulator.injectFault({ path, action: page([["2025-01-15T10:00:07Z", "third"]], "running", "token-2") })
      yield* emulator.injectFault({ path, action: page([["2025-01-15T10:00:05Z", "first"]], "succeeded", "token-3") })
      const entries = yield* runLogsWithPolling(appId, runId, { polling: fast })
      expect(entries.map((e) => e.log)).toEqual(["first", "second", "third"])
      const live = (yield* requests).filter((r) => r.path.endsWith("/logs/live"))
      expect(live.map((r) => r.query)).toEqual([
        {},
        { since: "opaque/token+1" },
        { since: "opaque/token+1" },
        { since: "token-2" }
      ])
    }).pipe(Effect.provide(servicesLayer())))
})

describe("Uploads used directly", () => {
  it.effect("bytes and JSON go to the presigned URL as given, and a run uses the upload id", () =>
    driven(function*() {
      const { runs, appId, emulator } = yield* setup()
      const uploads = yield* Uploads
      const binary = yield* uploads.uploadUrl(appId)
      yield* uploads.uploadData(binary.upload_url, UploadData.bytes(new Uint8Array([1, 2, 3, 254])))
      expect([...emulator.context.blobs.uploaded(binary.upload_id)!]).toEqual([1, 2, 3, 254])
      const json = yield* uploads.uploadUrl(appId)
      yield* uploads.uploadData(json, UploadData.json({ b: [1, 2], a: "é" }))
      expect(emulator.context.blobs.uploaded(json.upload_id)!.toString("utf8")).toBe("{\"b\":[1,2],\"a\":\"é\"}")
      const runId = yield* runs.newRun(appId, { uploadId: json.upload_id })
      expect(emulator.areas.runs.get(appId, runId)?.inputJson).toEqual({ b: [1, 2], a: "é" })
      const puts = (yield* requests).filter((r) => r.method === "PUT")
      expect(puts.map((r) => r.headers["authorization"])).toEqual([undefined, undefined])
      expect(puts.map((r) => r.headers["content-type"])).toEqual(["application/octet-stream", "application/json"])
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("an empty URL or app id fails before any request", () =>
    driven(function*() {
      yield* setup()
      const uploads = yield* Uploads
      expect(yield* uploads.uploadData("", UploadData.text("x")).pipe(failureOf)).toBeInstanceOf(InvalidArgumentError)
      expect(yield* uploads.uploadUrl("").pipe(failureOf)).toBeInstanceOf(InvalidArgumentError)
      expect(yield* requests).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("a file that does not exist fails with a platform error and sends nothing", () =>
    driven(function*() {
      const { appId } = yield* setup()
      const uploads = yield* Uploads
      const target = yield* uploads.uploadUrl(appId)
      yield* Effect.flatMap(Emulator, (e) => e.clearRequests)
      const error = yield* uploads.uploadData(target, UploadData.file(join(tempDir(), "missing.json"))).pipe(failureOf)
      expect(error._tag).toBe("SystemError")
      expect(yield* requests).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))
})

describe("programs: cancel and interrupt paths", () => {
  it.effect("newRunWithResult with cancelOnInterrupt cancels the run it submitted", () =>
    Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000))
      const fiber = yield* Effect.fork(newRunWithResult(appId, { input: {}, polling: fast, cancelOnInterrupt: true }))
      yield* pollUntil((r) => r.path.endsWith("/metadata"))
      yield* Fiber.interrupt(fiber)
      const [created] = yield* runs.listRuns(appId)
      const cancels = (yield* requests).filter((r) => r.method === "PATCH")
      expect(cancels.map((r) => r.path)).toEqual([`/v1/applications/${appId}/runs/${created!.id}/cancel`])
      expect(created!.status_v2).toBe("canceled")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("watchRun ends with the canceled snapshot when the run is canceled", () =>
    Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000))
      const runId = yield* runs.newRun(appId, { input: {} })
      const fiber = yield* Effect.fork(
        watchRun(appId, runId, { polling: fast }).pipe(Stream.map((i) => i.metadata.status_v2), Stream.runCollect)
      )
      yield* pollUntil((r) => r.path.endsWith("/metadata"), 2)
      yield* runs.cancelRun(appId, runId)
      const statuses = Chunk.toReadonlyArray(yield* drive(Fiber.join(fiber)))
      expect(statuses.at(-1)).toBe("canceled")
      expect(new Set(statuses).size).toBe(statuses.length)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("watchRun on an unknown run fails with the 404", () =>
    driven(function*() {
      const { appId } = yield* setup()
      const error = yield* watchRun(appId, "latest-nope", { polling: fast }).pipe(Stream.runDrain, failureOf)
      expect(error).toBeInstanceOf(NextmvHttpError)
      expect((error as NextmvHttpError).status).toBe(404)
    }).pipe(Effect.provide(servicesLayer())))
})

describe("not found and console URL", () => {
  it.effect("every read on an unknown run is a 404 NextmvHttpError", () =>
    driven(function*() {
      const { runs, appId } = yield* setup()
      const reads = [
        runs.runMetadata(appId, "latest-nope"),
        runs.runResult(appId, "latest-nope"),
        runs.runInput(appId, "latest-nope"),
        runs.runLogs(appId, "latest-nope"),
        runs.listAssets(appId, "latest-nope"),
        runs.cancelRun(appId, "latest-nope")
      ]
      for (const read of reads) {
        const error = yield* failureOf(read)
        expect(error).toBeInstanceOf(NextmvHttpError)
        expect((error as NextmvHttpError).status).toBe(404)
      }
      const missingApp = yield* runs.listRuns("no-such-app").pipe(failureOf)
      expect((missingApp as NextmvHttpError).status).toBe(404)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("the console URL follows the client's consoleUrl and encodes the ids", () =>
    driven(function*() {
      const { runs } = yield* setup()
      expect(runs.consoleUrl("my app", "run/1")).toBe("https://console.example.test/app/my%20app/run/run%2F1?view=details")
    }).pipe(Effect.provide(servicesLayer({ client: { consoleUrl: "https://console.example.test/" } }))))
})
