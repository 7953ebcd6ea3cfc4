import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, TestClock } from "effect"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { InvalidArgumentError, NextmvHttpError } from "../src/Errors.js"
import { MAX_RUN_SIZE } from "../src/schemas/Runs.js"
import * as Runs from "../src/services/Runs.js"
import { Models } from "../src/testing/index.js"
import { untarGz } from "../src/testing/areas/models.js"
import { servicesLayer } from "./support/layers.js"
import { requests, setup, tempDirs } from "./support/runs.js"
import { driven, failureOf } from "./support/time.js"

const tempDir = tempDirs("nextmv-runs-test-")

/** Lets the emulator's (virtual) clock pass the end of a default run (20 ms queued, 60 ms running). */
const settle = (millis = 150) => TestClock.adjust(millis)

describe("Runs.newRun: the upload decision", () => {
  // `{"d":"…"}` is 8 bytes plus the padding.
  const jsonOfSize = (size: number) => ({ d: "x".repeat(size - 8) })

  it.effect("5,242,880 bytes of JSON go inline", () =>
    driven(function*() {
      const { runs, appId } = yield* setup()
      const input = jsonOfSize(MAX_RUN_SIZE)
      expect(JSON.stringify(input).length).toBe(5_242_880)
      yield* runs.newRun(appId, { input })
      const sent = yield* requests
      expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /v1/applications/app-1/runs"])
      expect((sent[0]!.json as { input: unknown }).input).toEqual(input)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("5,242,881 bytes of JSON are uploaded first", () =>
    driven(function*() {
      const { runs, appId, emulator } = yield* setup()
      const input = jsonOfSize(MAX_RUN_SIZE + 1)
      const runId = yield* runs.newRun(appId, { input })
      const sent = yield* requests
      expect(sent.map((r) => r.method + " " + r.path.replace(/\/_presigned\/upload\/.*/, "/_presigned/upload/…"))).toEqual([
        "POST /v1/applications/app-1/runs/uploadurl",
        "PUT /_presigned/upload/…",
        "POST /v1/applications/app-1/runs"
      ])
      const body = sent[2]!.json as Record<string, unknown>
      expect(body["input"]).toBeUndefined()
      expect(typeof body["upload_id"]).toBe("string")
      expect(sent[1]!.headers["authorization"]).toBeUndefined()
      expect(emulator.areas.runs.get(appId, runId)?.inputJson).toEqual(input)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("non-ASCII characters count as nextmv-py's \\uXXXX escapes", () =>
    driven(function*() {
      const { runs, appId } = yield* setup()
      // 874,000 × "é" is 1.7 MB of UTF-8 but 5.2 MB as ensure_ascii JSON: uploaded.
      yield* runs.newRun(appId, { input: { d: "é".repeat(874_000) } })
      expect((yield* requests)[0]!.path).toBe("/v1/applications/app-1/runs/uploadurl")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("text input is always uploaded, with a text/json default configuration", () =>
    driven(function*() {
      const { runs, appId, emulator } = yield* setup()
      const runId = yield* runs.newRun(appId, { input: "a,b\n1,2\n" })
      const post = (yield* requests).at(-1)!.json as Record<string, unknown>
      expect(post["configuration"]).toEqual({ format: { input: { type: "text" }, output: { type: "json" } } })
      expect(emulator.areas.runs.get(appId, runId)?.inputBytes.toString()).toBe("a,b\n1,2\n")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("a directory is sent as a multi-file tar.gz of its files, names relative", () =>
    driven(function*() {
      const { runs, appId, emulator } = yield* setup()
      const dir = tempDir()
      mkdirSync(join(dir, "data", "deep"), { recursive: true })
      writeFileSync(join(dir, "a.csv"), "x,y\n1,2\n")
      writeFileSync(join(dir, "data", "deep", "b.json"), "{\"b\":1}")
      writeFileSync(join(dir, "inputs.tar.gz"), "skip me")
      const runId = yield* runs.newRun(appId, { inputDirPath: dir })
      const run = emulator.areas.runs.get(appId, runId)!
      const files = untarGz(run.inputBytes)!
      expect(Object.keys(files).sort()).toEqual(["a.csv", "data/deep/b.json"])
      expect(files["a.csv"]!.toString()).toBe("x,y\n1,2\n")
      expect(run.inputFormat).toBe("multi-file")
      const post = (yield* requests).at(-1)!.json as Record<string, unknown>
      expect(post["configuration"]).toEqual({ format: { input: { type: "multi-file" }, output: { type: "multi-file" } } })
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("uploadId and managedInputId skip the upload", () =>
    driven(function*() {
      const { runs, appId } = yield* setup()
      yield* runs.newRun(appId, { uploadId: "up-1", inputFormat: "text" }).pipe(Effect.ignore)
      yield* runs.newRun(appId, { managedInputId: "mi-1" }).pipe(Effect.ignore)
      const sent = yield* requests
      expect(sent.map((r) => r.path)).toEqual(["/v1/applications/app-1/runs", "/v1/applications/app-1/runs"])
      expect(sent[0]!.json).toMatchObject({ upload_id: "up-1" })
      expect(sent[1]!.json).toMatchObject({ input_id: "mi-1" })
    }).pipe(Effect.provide(servicesLayer())))
})

describe("Runs.newRun: validation before any request", () => {
  it.effect("rejects bad arguments with InvalidArgumentError and sends nothing", () =>
    driven(function*() {
      const { runs, appId } = yield* setup()
      const cases: ReadonlyArray<[Runs.NewRunOptions, string]> = [
        [{ input: {}, uploadId: "u" }, "give only one of input, inputDirPath, uploadId, managedInputId"],
        [{ inputDirPath: "/definitely/not/here" }, "Directory /definitely/not/here does not exist."],
        [{ inputDirPath: "package.json" }, "Path package.json is not a directory."],
        [{ input: {}, configuration: { queuing: { priority: 10 } } }, "Priority must be between 1 and 9"],
        [
          { input: {}, configuration: { integration_id: "i", execution_class: "cpu" } },
          "When integration_id is set, execution_class must be `integration` or None."
        ],
        [{ input: {}, externalResult: { status: "running" } }, "externalResult.status must be"],
        [{ input: { n: 10n } }, "input must be a JSON value"],
        [{ input: {}, options: { f: () => 1 } }, "option \"f\" must be a JSON value"]
      ]
      for (const [options, reason] of cases) {
        const error = yield* runs.newRun(appId, options).pipe(failureOf)
        expect(error).toBeInstanceOf(InvalidArgumentError)
        expect((error as InvalidArgumentError).reason).toContain(reason)
      }
      expect(yield* runs.newRun("", { input: {} }).pipe(failureOf)).toBeInstanceOf(InvalidArgumentError)
      expect(yield* requests).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("an integration id forces the integration execution class", () =>
    driven(function*() {
      const { runs, appId } = yield* setup()
      yield* runs.newRun(appId, { input: {}, configuration: { integration_id: "int-1" } })
      expect(((yield* requests)[0]!.json as Record<string, unknown>)["configuration"]).toEqual({
        integration_id: "int-1",
        execution_class: "integration"
      })
    }).pipe(Effect.provide(servicesLayer())))
})

describe("Runs: reading runs", () => {
  it.effect("metadata, result, input, logs, list, console URL", () =>
    Effect.gen(function*() {
      // The emulator reads the TestClock: the lifecycle moves only when the test moves the time.
      yield* TestClock.setTime(Date.parse("2026-01-01T00:00:00Z"))
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.logs(["line one", "line two"]))
      const runId = yield* runs.newRun(appId, { input: { value: 7 }, name: "n", description: "d", instanceId: "devint" })
      const early = yield* runs.runMetadata(appId, runId)
      expect(early.metadata.status_v2).toBe("queued")
      // Console links of an emulator-backed client go to the emulator's run page.
      expect(early.console_url).toBe(`${emulator.url}/console/app/app-1/run/${runId}?view=details`)
      expect(early.metadata.created_at && DateTime.formatIso(early.metadata.created_at)).toBe("2026-01-01T00:00:00.000Z")
      yield* TestClock.adjust(30)
      expect((yield* runs.runMetadata(appId, runId)).metadata.status_v2).toBe("running")
      yield* TestClock.adjust(1_000)
      const info = yield* runs.runMetadata(appId, runId)
      expect(info.metadata.status_v2).toBe("succeeded")
      expect(info.name).toBe("n")
      expect(info.metadata.application_instance_id).toBe("devint")
      const result = yield* runs.runResult(appId, runId)
      expect(result.output).toMatchObject({ solutions: [{ value: 7 }] })
      expect(result.console_url).toContain(runId)
      expect(yield* runs.runInput(appId, runId)).toEqual({ value: 7 })
      expect((yield* runs.runLogs(appId, runId)).log).toBe("line one\nline two\n")
      const listed = yield* runs.listRuns(appId)
      expect(listed.map((r) => r.id)).toEqual([runId])
      expect(yield* runs.listRuns(appId, { status: "failed" })).toEqual([])
      expect((yield* runs.listRuns(appId, { status: "succeeded" })).length).toBe(1)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("the test moves a run: start, then finish with a chosen status, whatever the model planned", () =>
    Effect.gen(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(60_000, Models.logs(["a", "b"])))
      const status = (runId: string) => Effect.map(runs.runMetadata(appId, runId), (info) => info.metadata.status_v2)
      const ok = yield* runs.newRun(appId, { input: { value: 1 } })
      const bad = yield* runs.newRun(appId, { input: { value: 2 } })
      const stopped = yield* runs.newRun(appId, { input: { value: 3 } })
      expect(yield* status(ok)).toBe("queued")
      expect(emulator.areas.runs.start(appId, ok)?.id).toBe(ok)
      expect(yield* status(ok)).toBe("running")
      expect(emulator.areas.runs.start(appId, ok)).toBeUndefined()
      emulator.areas.runs.finish(appId, ok, "succeeded")
      emulator.areas.runs.finish(appId, bad, "failed", { error: "out of memory" })
      emulator.areas.runs.finish(appId, stopped, "canceled")
      expect([yield* status(ok), yield* status(bad), yield* status(stopped)]).toEqual(["succeeded", "failed", "canceled"])
      expect((yield* runs.runResult(appId, ok)).output).toMatchObject({ solutions: [{ value: 1 }] })
      expect((yield* runs.runLogs(appId, ok)).log).toBe("a\nb\n")
      expect((yield* runs.runMetadata(appId, bad)).metadata.error).toBe("out of memory")
      // Ended runs stay as they are.
      expect(emulator.areas.runs.finish(appId, ok, "failed")).toBeUndefined()
      yield* TestClock.adjust("1 hour")
      expect(yield* status(bad)).toBe("failed")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("large JSON output comes through format=url and a presigned download", () =>
    driven(function*() {
      const { runs, appId, emulator } = yield* setup()
      const big = "y".repeat(MAX_RUN_SIZE)
      emulator.areas.runs.setModel(appId, Models.output(() => ({ big })))
      const runId = yield* runs.newRun(appId, { input: {} })
      yield* settle()
      yield* emulator.clearRequests
      const result = yield* runs.runResult(appId, runId)
      expect((result.output as { big: string }).big.length).toBe(MAX_RUN_SIZE)
      const sent = yield* requests
      expect(sent.map((r) => `${r.method} ${r.path.replace(/download\/.*/, "download/…")}`)).toEqual([
        `GET /v1/applications/app-1/runs/${runId}/metadata`,
        `GET /v1/applications/app-1/runs/${runId}`,
        `GET /v1/applications/app-1/runs/${runId}/output`,
        "GET /_presigned/download/…"
      ])
      expect(sent[1]!.query).toEqual({ format: "url" })
      // The newest nextmv-py fetches the output of a finalized run through `…/output?format=url`.
      expect(sent[2]!.query).toEqual({ format: "url" })
      expect(sent[3]!.headers["authorization"]).toBeUndefined()
      // nextmv-py sends exactly this header on result downloads.
      expect(sent[3]!.headers["content-type"]).toBe("application/json")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("multi-file output is extracted into outputDir; the output stays {url}", () =>
    driven(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.files({ "solution.csv": "a,b\n", "nested/report.txt": "ok" }))
      const runId = yield* runs.newRun(appId, {
        input: {},
        configuration: { format: { input: { type: "json" }, output: { type: "multi-file" } } }
      })
      yield* settle()
      const out = join(tempDir(), "out")
      const result = yield* runs.runResult(appId, runId, { outputDir: out })
      expect(readFileSync(join(out, "solution.csv"), "utf8")).toBe("a,b\n")
      expect(readFileSync(join(out, "nested", "report.txt"), "utf8")).toBe("ok")
      expect(result.output).toMatchObject({ url: expect.stringContaining("/_presigned/download/") })
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("multi-file input comes back extracted by runInput", () =>
    driven(function*() {
      const { runs, appId } = yield* setup()
      const dir = tempDir()
      writeFileSync(join(dir, "stops.csv"), "id\ns1\n")
      const runId = yield* runs.newRun(appId, { inputDirPath: dir })
      const out = join(tempDir(), "in")
      expect(yield* runs.runInput(appId, runId, { outputDir: out })).toBeUndefined()
      expect(readFileSync(join(out, "stops.csv"), "utf8")).toBe("id\ns1\n")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("a large JSON input comes back through format=url", () =>
    driven(function*() {
      const { runs, appId, emulator } = yield* setup()
      const input = { d: "z".repeat(MAX_RUN_SIZE) }
      const runId = yield* runs.newRun(appId, { input })
      yield* emulator.clearRequests
      expect(yield* runs.runInput(appId, runId)).toEqual(input)
      const sent = yield* requests
      expect(sent[1]).toMatchObject({ path: `/v1/applications/app-1/runs/${runId}/input`, query: { format: "url" } })
      expect(sent[2]!.path).toMatch(/^\/_presigned\/download\//)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("text input comes back as text", () =>
    driven(function*() {
      const { runs, appId } = yield* setup()
      const runId = yield* runs.newRun(appId, { input: "plain text" })
      expect(yield* runs.runInput(appId, runId)).toBe("plain text")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("a failed run's result has no output and carries the error log", () =>
    driven(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.fail("infeasible"))
      const runId = yield* runs.newRun(appId, { input: {} })
      yield* settle()
      const result = yield* runs.runResult(appId, runId)
      expect(result.metadata.status_v2).toBe("failed")
      expect(result.metadata.error).toBe("infeasible")
      expect(result.error_log?.error).toBe("infeasible")
      expect(result.output).toBeUndefined()
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("cancelRun cancels a running run; a finished run answers 409", () =>
    driven(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.sleep(10_000))
      const runId = yield* runs.newRun(appId, { input: {} })
      yield* runs.cancelRun(appId, runId)
      expect((yield* runs.runMetadata(appId, runId)).metadata.status_v2).toBe("canceled")
      const again = yield* runs.cancelRun(appId, runId).pipe(failureOf)
      expect((again as NextmvHttpError).status).toBe(409)
    }).pipe(Effect.provide(servicesLayer())))
})

describe("Runs: assets", () => {
  const assets = [
    {
      name: "clusters",
      content: { type: "FeatureCollection", features: [] },
      visual: { schema: "geojson", label: "Clusters", type: "custom-tab" }
    },
    { name: "raw", content: Buffer.from([0, 1, 2, 250]), content_type: "binary" }
  ]

  it.effect("lists assets with run_id and downloads JSON, bytes and to a file", () =>
    driven(function*() {
      const { runs, appId, emulator } = yield* setup()
      emulator.areas.runs.setModel(appId, Models.assets(assets))
      const runId = yield* runs.newRun(appId, { input: {} })
      yield* settle()
      const listed = yield* runs.listAssets(appId, runId)
      expect(listed.map((a) => [a.name, a.content_type, a.run_id])).toEqual([
        ["clusters", "json", runId],
        ["raw", "binary", runId]
      ])
      expect(listed[0]!.visual).toEqual({ schema: "geojson", label: "Clusters", type: "custom-tab" })
      const json = yield* runs.downloadAssetContent(appId, runId, listed[0]!.id)
      expect(json).toEqual({ type: "FeatureCollection", features: [] })
      const bytes = yield* runs.downloadAssetContent(appId, runId, listed[1]!.id)
      expect([...(bytes as Uint8Array)]).toEqual([0, 1, 2, 250])
      const downloads = (yield* requests).filter((r) => r.path.startsWith("/_presigned/download/"))
      expect(downloads.map((r) => r.headers["content-type"])).toEqual(["application/json", "application/octet-stream"])
      const file = join(tempDir(), "raw.bin")
      expect(yield* runs.downloadAssetContent(appId, runId, listed[1]!.id, { destination: file })).toBeUndefined()
      expect([...readFileSync(file)]).toEqual([0, 1, 2, 250])
    }).pipe(Effect.provide(servicesLayer())))
})

describe("Runs.trackRun", () => {
  it.effect("uploads every part to its own URL and submits the result object", () =>
    driven(function*() {
      const { runs, appId } = yield* setup()
      const runId = yield* runs.trackRun(appId, {
        status: "failed",
        input: { stops: 3 },
        output: { solutions: [] },
        duration: 4200,
        error: "solver crashed",
        logs: ["starting", "crashed"],
        name: "external-42",
        description: "from my laptop",
        statistics: { result: { value: 1 } },
        metrics: { "result.value": 1 },
        assets: [{ name: "a", content: { x: 1 } }]
      }, { instanceId: "devint" })
      const sent = yield* requests
      expect(sent.filter((r) => r.path.endsWith("/runs/uploadurl")).length).toBe(6)
      expect(sent.filter((r) => r.method === "PUT").length).toBe(6)
      const body = sent.at(-1)!.json as Record<string, Record<string, unknown>>
      expect(sent.at(-1)!.query).toEqual({ instance_id: "devint" })
      expect(Object.keys(body).sort()).toEqual(["configuration", "description", "name", "result", "upload_id"])
      expect(Object.keys(body["result"]!).sort()).toEqual([
        "assets_upload_id",
        "error_message",
        "error_upload_id",
        "execution_duration",
        "metrics_upload_id",
        "output_upload_id",
        "statistics_upload_id",
        "status"
      ])
      expect(body["result"]).toMatchObject({ status: "failed", execution_duration: 4200, error_message: "solver crashed" })
      const uploads = sent.filter((r) => r.method === "PUT").map((r) => r.body.toString())
      expect(uploads).toEqual([
        "{\"stops\":3}",
        "{\"solutions\":[]}",
        "starting\ncrashed",
        "{\"statistics\":{\"result\":{\"value\":1}}}",
        "{\"result.value\":1}",
        "{\"assets\":[{\"name\":\"a\",\"content\":{\"x\":1}}]}"
      ])
      const info = yield* runs.runMetadata(appId, runId)
      expect(info.metadata.status_v2).toBe("failed")
      expect(info.metadata.run_type.type).toBe("external")
      expect((yield* runs.runLogs(appId, runId)).log).toBe("starting\ncrashed\n")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("only the input is uploaded when nothing else is given", () =>
    driven(function*() {
      const { runs, appId } = yield* setup()
      const runId = yield* runs.trackRun(appId, { status: "succeeded", input: "raw text" })
      const sent = yield* requests
      expect(sent.filter((r) => r.method === "PUT").length).toBe(1)
      expect(sent.at(-1)!.json).toMatchObject({
        result: { status: "succeeded" },
        // Unlike nextmv-py (JSON/JSON whatever the input), the format follows the tracked input.
        configuration: { format: { input: { type: "text" }, output: { type: "json" } } }
      })
      expect((yield* runs.runMetadata(appId, runId)).metadata.status_v2).toBe("succeeded")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("validates before uploading anything", () =>
    driven(function*() {
      const { runs, appId } = yield* setup()
      const bad: ReadonlyArray<[Runs.TrackedRun, string]> = [
        [{ status: "succeeded", input: {}, error: "x" }, "error can only be set on a failed run"],
        [{ status: "succeeded" }, "either input or inputDirPath must be provided"],
        [{ status: "running" as "succeeded", input: {} }, "status must be"],
        [{ status: "succeeded", input: {}, inputDirPath: "." }, "not both"],
        [{ status: "succeeded", input: {}, outputDirPath: "/nope/nope" }, "does not exist"]
      ]
      for (const [run, reason] of bad) {
        const error = yield* runs.trackRun(appId, run).pipe(failureOf)
        expect((error as InvalidArgumentError).reason).toContain(reason)
      }
      expect(yield* requests).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))
})

// Contract: raw requests vs. expectations written by hand from ../shared/spec/client-and-runs.md
// §3 (endpoint table) and §6.1 (body of POST …/runs).
describe("Runs wire contract", () => {
  it.effect("newRun body and query as spec §3.2/§6.1", () =>
    driven(function*() {
      const { runs } = yield* setup("routing-app")
      yield* runs.newRun("routing-app", {
        input: { stops: [{ id: "s1" }], vehicles: [{ id: "v1" }] },
        instanceId: "devint",
        name: "nightly",
        options: { "solve.duration": "10s", "solve.iterations": 20, flag: true },
        batchExperimentId: "batch-1"
      })
      const [post] = yield* requests
      expect({ method: post!.method, path: post!.path, query: post!.query }).toEqual({
        method: "POST",
        path: "/v1/applications/routing-app/runs",
        query: { instance_id: "devint" }
      })
      expect(post!.headers["content-type"]).toBe("application/json")
      expect(post!.json).toEqual({
        input: { stops: [{ id: "s1" }], vehicles: [{ id: "v1" }] },
        name: "nightly",
        options: { "solve.duration": "10s", "solve.iterations": "20", flag: "true" },
        configuration: { format: { input: { type: "json" }, output: { type: "json" } } },
        batch_experiment_id: "batch-1"
      })
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("no instance_id query unless an instance is given; the configuration is always sent", () =>
    driven(function*() {
      const { runs } = yield* setup("routing-app")
      yield* runs.newRun("routing-app", { input: { a: 1 } })
      const [post] = yield* requests
      expect(post!.query).toEqual({})
      expect(post!.json).toEqual({ input: { a: 1 }, configuration: { format: { input: { type: "json" }, output: { type: "json" } } } })
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("every read operation hits the path of the spec's endpoint table", () =>
    driven(function*() {
      const { runs, emulator } = yield* setup("routing-app")
      emulator.areas.runs.setModel("routing-app", Models.assets([{ name: "a", content: {} }]))
      const runId = yield* runs.newRun("routing-app", { input: {} })
      yield* settle()
      yield* emulator.clearRequests
      yield* runs.runMetadata("routing-app", runId)
      yield* runs.runLogs("routing-app", runId)
      yield* runs.runLiveLogs("routing-app", runId, { since: "tok" }).pipe(Effect.ignore)
      yield* runs.listRuns("routing-app")
      const [asset] = yield* runs.listAssets("routing-app", runId)
      yield* runs.downloadAssetContent("routing-app", runId, asset!.id)
      yield* runs.cancelRun("routing-app", runId).pipe(Effect.ignore)
      const base = `/v1/applications/routing-app/runs/${runId}`
      const shown = (r: { method: string; path: string; query: Readonly<Record<string, string>> }) =>
        r.path.startsWith("/_presigned/")
          ? `${r.method} ${r.path.replace(/download\/.*/, "download/…")} ${Object.keys(r.query).sort().join(",")}`
          : `${r.method} ${r.path} ${JSON.stringify(r.query)}`
      expect((yield* requests).map(shown))
        .toEqual([
          `GET ${base}/metadata {}`,
          `GET ${base}/logs {}`,
          `GET ${base}/logs/live {"since":"tok"}`,
          "GET /v1/applications/routing-app/runs {\"pagereturn\":\"true\"}",
          `GET ${base}/assets {}`,
          `GET ${base}/assets/${asset!.id} {}`,
          "GET /_presigned/download/… expires,signature",
          `PATCH ${base}/cancel {}`
        ])
      for (const r of yield* requests) expect(r.body.length).toBe(0)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("uploadurl is a POST without body; the presigned PUT carries no Authorization", () =>
    driven(function*() {
      const { runs } = yield* setup("routing-app")
      yield* runs.newRun("routing-app", { input: "text input" })
      const [uploadUrl, put] = yield* requests
      expect({ method: uploadUrl!.method, path: uploadUrl!.path, body: uploadUrl!.body.length }).toEqual({
        method: "POST",
        path: "/v1/applications/routing-app/runs/uploadurl",
        body: 0
      })
      expect(put!.method).toBe("PUT")
      expect(put!.headers["authorization"]).toBeUndefined()
      expect(put!.body.toString()).toBe("text input")
    }).pipe(Effect.provide(servicesLayer())))
})
