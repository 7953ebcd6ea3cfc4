/**
 * The run operations of the newest nextmv-py beyond the seed: runInformation (runMetadata as a
 * deprecated alias), deleteRun, listRuns across pages (with streamRuns and noPagination),
 * runOutput and results through `…/output`, the run configuration extras (queuing, execution
 * class, secrets collection, integration, run type) and the busy refusal, cloneRun(WithResult)
 * and compareRuns. The emulator runs on the TestClock: runs only move when a test moves the time.
 *
 * Contract expectations (paths, queries, bodies) are written by hand from the spec of nextmv-py's
 * `run_information`, `delete_run`, `list_runs` (pagination: `pagereturn=true`, then
 * `pagetoken=<next_page_token>`; items under `runs`), `run_output`, `RunConfiguration`,
 * `clone_run` and `compare_runs`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Stream, TestClock } from "effect"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { InvalidArgumentError, NextmvHttpError, PaginationLimitError, RunQueueBusyError } from "../src/Errors.js"
import { cloneRun, cloneRunWithResult } from "../src/programs/RunClone.js"
import { compareRuns } from "../src/programs/RunComparison.js"
import { MAX_RUN_SIZE } from "../src/schemas/Runs.js"
import type * as Runs from "../src/services/Runs.js"
import { FaultAction } from "../src/testing/Emulator.js"
import { Models } from "../src/testing/index.js"
import { servicesLayer } from "./support/layers.js"
import { requests, setup, tempDirs } from "./support/runs.js"
import { driven, failureOf } from "./support/time.js"

const tempDir = tempDirs("nextmv-runs-newer-")

/** Lets the emulator's (virtual) clock pass the end of a default run (20 ms queued, 60 ms running). */
const settle = TestClock.adjust(150)

const expectInvalid = (error: unknown, reason: string) => {
  expect(error).toBeInstanceOf(InvalidArgumentError)
  expect((error as InvalidArgumentError).reason).toBe(reason)
}

const APP = "routing-app"
const RUNS = `/v1/applications/${APP}/runs`

/** The request log as `{ method, path, query, body }` (presigned paths shortened). */
const wire = Effect.map(requests, (sent) =>
  sent.map((r) => ({
    method: r.method,
    path: r.path.replace(/download\/.*/, "download/…"),
    query: r.query,
    body: r.body.length === 0 ? undefined : r.json
  })))

describe("runInformation, runMetadata (deprecated alias), deleteRun", () => {
  it.effect("send GET …/metadata twice and DELETE …/runs/{id}; the deleted run answers 404", () =>
    driven(function*() {
      const { runs, emulator } = yield* setup(APP)
      const id = yield* runs.newRun(APP, { input: { value: 1 } })
      yield* emulator.clearRequests
      const info = yield* runs.runInformation(APP, id)
      const alias = yield* runs.runMetadata(APP, id)
      expect(alias).toEqual(info)
      expect(info.id).toBe(id)
      expect(info.console_url).toContain(`/app/${APP}/run/${id}`)
      yield* runs.deleteRun(APP, id)
      const gone = yield* runs.runInformation(APP, id).pipe(failureOf)
      expect(gone).toBeInstanceOf(NextmvHttpError)
      expect((gone as NextmvHttpError).status).toBe(404)
      expect(emulator.areas.runs.get(APP, id)).toBeUndefined()
      expect(yield* wire).toEqual([
        { method: "GET", path: `${RUNS}/${id}/metadata`, query: {}, body: undefined },
        { method: "GET", path: `${RUNS}/${id}/metadata`, query: {}, body: undefined },
        { method: "DELETE", path: `${RUNS}/${id}`, query: {}, body: undefined },
        { method: "GET", path: `${RUNS}/${id}/metadata`, query: {}, body: undefined }
      ])
    }).pipe(Effect.provide(servicesLayer())))
})

describe("listRuns across pages", () => {
  /**
   * Five runs submitted 30 ms apart (each 20 ms queued, then 60 ms running). At the last
   * submission the newest is queued, the next two are running and the two oldest succeeded.
   * With pages of 2 (newest first): [4, 3], [2, 1], [0].
   */
  const fiveRuns = Effect.gen(function*() {
    const { runs, emulator } = yield* setup(APP)
    const ids: Array<string> = []
    for (let i = 0; i < 5; i++) {
      if (i > 0) yield* TestClock.adjust(30)
      ids.push(yield* runs.newRun(APP, { input: { value: i } }))
    }
    yield* emulator.clearRequests
    return { runs, emulator, ids }
  })

  it.effect("follows next_page_token (pagereturn, then pagetoken) and returns every run, newest first", () =>
    driven(function*() {
      const { runs, ids } = yield* fiveRuns
      const all = yield* runs.listRuns(APP)
      expect(all.map((r) => r.id)).toEqual([...ids].reverse())
      const sent = yield* wire
      expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${RUNS}`, `GET ${RUNS}`, `GET ${RUNS}`])
      expect(sent[0]!.query).toEqual({ pagereturn: "true" })
      expect(sent[1]!.query).toEqual({ pagereturn: "true", pagetoken: expect.any(String) })
      expect(sent[2]!.query).toEqual({ pagereturn: "true", pagetoken: expect.any(String) })
      expect(sent[2]!.query["pagetoken"]).not.toBe(sent[1]!.query["pagetoken"])
    }).pipe(Effect.provide(servicesLayer({ runs: { listPageSize: 2 } }))))

  it.effect("the status filter applies across all pages", () =>
    driven(function*() {
      const { runs, ids } = yield* fiveRuns
      expect((yield* runs.listRuns(APP, { status: "queued" })).map((r) => r.id)).toEqual([ids[4]])
      expect((yield* runs.listRuns(APP, { status: "running" })).map((r) => r.id)).toEqual([ids[3], ids[2]]) // pages 1 and 2
      expect((yield* runs.listRuns(APP, { status: "succeeded" })).map((r) => r.id)).toEqual([ids[1], ids[0]]) // pages 2 and 3
      expect((yield* runs.listRuns(APP, { status: "failed" })).map((r) => r.id)).toEqual([])
      // No status query is ever sent: nextmv-py filters client-side.
      for (const r of yield* wire) expect(Object.keys(r.query).sort()).not.toContain("status")
    }).pipe(Effect.provide(servicesLayer({ runs: { listPageSize: 2 } }))))

  it.effect("noPagination is one plain GET …/runs (the first page, no query), status still filters", () =>
    driven(function*() {
      const { runs, ids } = yield* fiveRuns
      expect((yield* runs.listRuns(APP, { noPagination: true })).map((r) => r.id)).toEqual([ids[4], ids[3]])
      expect((yield* runs.listRuns(APP, { noPagination: true, status: "running" })).map((r) => r.id)).toEqual([ids[3]])
      expect(yield* wire).toEqual([
        { method: "GET", path: RUNS, query: {}, body: undefined },
        { method: "GET", path: RUNS, query: {}, body: undefined }
      ])
    }).pipe(Effect.provide(servicesLayer({ runs: { listPageSize: 2 } }))))

  it.effect("streamRuns requests a page only when the stream is pulled past the previous one", () =>
    driven(function*() {
      const { runs, ids } = yield* fiveRuns
      const three = yield* Stream.runCollect(Stream.take(runs.streamRuns(APP), 3))
      expect(Chunk.toReadonlyArray(three).map((r) => r.id)).toEqual([ids[4], ids[3], ids[2]])
      expect((yield* wire).length).toBe(2)
      const succeeded = yield* Stream.runCollect(runs.streamRuns(APP, { status: "succeeded" }))
      expect(Chunk.toReadonlyArray(succeeded).map((r) => r.id)).toEqual([ids[1], ids[0]])
    }).pipe(Effect.provide(servicesLayer({ runs: { listPageSize: 2 } }))))

  it.effect("50 runs per page by default: 51 runs take two requests", () =>
    driven(function*() {
      const { runs, emulator } = yield* setup(APP)
      for (let i = 0; i < 51; i++) yield* runs.newRun(APP, { input: { value: i } })
      yield* emulator.clearRequests
      expect((yield* runs.listRuns(APP)).length).toBe(51)
      expect((yield* runs.listRuns(APP, { noPagination: true })).length).toBe(50)
      expect((yield* wire).map((r) => r.query)).toEqual([
        { pagereturn: "true" },
        { pagereturn: "true", pagetoken: expect.any(String) },
        {}
      ])
    }).pipe(Effect.provide(servicesLayer())))
})

// Contract: pages served by hand in the documented shape; the requests must carry the tokens back.
describe("listRuns wire contract", () => {
  it.effect("pagetoken is the previous page's next_page_token; `runs` is read, else `items`; an empty token ends", () =>
    driven(function*() {
      const { runs, emulator } = yield* setup(APP)
      yield* emulator.injectFault({
        path: RUNS,
        action: FaultAction.status(200, {
          body: { runs: [{ id: "latest-abc", status_v2: "succeeded" }], next_page_token: "eyJwYWdlIjoyfQ" }
        })
      })
      yield* emulator.injectFault({
        path: RUNS,
        action: FaultAction.status(200, { body: { items: [{ id: "latest-def", status_v2: "failed" }], next_page_token: "p3" } })
      })
      yield* emulator.injectFault({
        path: RUNS,
        action: FaultAction.status(200, { body: { runs: null, next_page_token: "" } })
      })
      expect((yield* runs.listRuns(APP)).map((r) => r.id)).toEqual(["latest-abc", "latest-def"])
      expect((yield* wire).map((r) => ({ method: r.method, path: r.path, query: r.query }))).toEqual([
        { method: "GET", path: RUNS, query: { pagereturn: "true" } },
        { method: "GET", path: RUNS, query: { pagereturn: "true", pagetoken: "eyJwYWdlIjoyfQ" } },
        { method: "GET", path: RUNS, query: { pagereturn: "true", pagetoken: "p3" } }
      ])
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("a page loop stops at maxPages with PaginationLimitError; noPagination never pages", () =>
    driven(function*() {
      const { runs, emulator } = yield* setup(APP)
      yield* emulator.injectFault({
        path: RUNS,
        times: 3,
        action: FaultAction.status(200, { body: { runs: [], next_page_token: "again" } })
      })
      const loop = yield* runs.listRuns(APP, { maxPages: 3 }).pipe(failureOf)
      expect(loop).toBeInstanceOf(PaginationLimitError)
      expect((yield* wire).length).toBe(3)
      yield* emulator.clearRequests
      yield* emulator.injectFault({
        path: RUNS,
        action: FaultAction.status(200, { body: { runs: [{ id: "latest-x", status_v2: "queued" }], next_page_token: "more" } })
      })
      expect((yield* runs.listRuns(APP, { noPagination: true })).map((r) => r.id)).toEqual(["latest-x"])
      expect((yield* wire).length).toBe(1)
      yield* emulator.clearRequests
      expectInvalid(yield* runs.listRuns(APP, { maxPages: 0 }).pipe(failureOf), "maxPages must be a whole number ≥ 1, got 0")
      expectInvalid(
        yield* Stream.runDrain(runs.streamRuns(APP, { maxPages: 1.5 })).pipe(failureOf),
        "maxPages must be a whole number ≥ 1, got 1.5"
      )
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))
})

describe("runOutput and results through …/output", () => {
  it.effect("small JSON: GET …/output without query; large JSON: format=url, then the presigned URL", () =>
    driven(function*() {
      const { runs, emulator } = yield* setup(APP)
      const small = yield* runs.newRun(APP, { input: { value: 3 } })
      emulator.areas.runs.setModel(APP, Models.output(() => ({ big: "z".repeat(MAX_RUN_SIZE) })))
      const large = yield* runs.newRun(APP, { input: {} })
      yield* settle
      yield* emulator.clearRequests
      const out = yield* runs.runOutput(APP, small)
      expect((out as { solutions: unknown }).solutions).toEqual([{ value: 3 }])
      const big = yield* runs.runOutput(APP, large)
      expect((big as { big: string }).big.length).toBe(MAX_RUN_SIZE)
      const sent = yield* requests
      expect(sent.map((r) => `${r.method} ${r.path.replace(/download\/.*/, "download/…")} ${JSON.stringify(r.query)}`).slice(0, 4))
        .toEqual([
          `GET ${RUNS}/${small}/metadata {}`,
          `GET ${RUNS}/${small}/output {}`,
          `GET ${RUNS}/${large}/metadata {}`,
          `GET ${RUNS}/${large}/output {"format":"url"}`
        ])
      expect(sent.length).toBe(5)
      expect(sent[4]!.path).toMatch(/^\/_presigned\/download\//)
      // The presigned GET: no Authorization, nextmv-py's Content-Type.
      expect(sent[4]!.headers["authorization"]).toBeUndefined()
      expect(sent[4]!.headers["content-type"]).toBe("application/json")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("multi-file output is extracted into outputDir (undefined returned); an empty outputDir is refused first", () =>
    driven(function*() {
      const { runs, emulator } = yield* setup(APP)
      emulator.areas.runs.setModel(APP, Models.files({ "solution.csv": "a,b\n" }))
      const id = yield* runs.newRun(APP, {
        input: {},
        configuration: { format: { input: { type: "json" }, output: { type: "multi-file" } } }
      })
      yield* settle
      const dir = tempDir()
      expect(yield* runs.runOutput(APP, id, { outputDir: dir })).toBeUndefined()
      expect(readFileSync(join(dir, "solution.csv"), "utf8")).toBe("a,b\n")
      yield* emulator.clearRequests
      const error = yield* runs.runOutput(APP, id, { outputDir: "" }).pipe(failureOf)
      expectInvalid(error, "Output format is multi-file (not json), an `outputDir` must be provided.")
      expect((yield* wire).map((r) => r.path)).toEqual([`${RUNS}/${id}/metadata`])
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("a run that is not finalized: the answer of …/output?format=url is returned as is, nothing downloaded", () =>
    driven(function*() {
      const { runs, emulator } = yield* setup(APP)
      const id = yield* runs.newRun(APP, { input: {}, configuration: { format: { input: { type: "json" }, output: { type: "text" } } } })
      // The API's answer for an unfinished run is not documented; here it hands out a URL.
      yield* emulator.injectFault({
        path: `${RUNS}/${id}/output`,
        action: FaultAction.status(200, { body: { url: "https://example.test/out" } })
      })
      yield* emulator.clearRequests
      expect(yield* runs.runOutput(APP, id)).toEqual({ url: "https://example.test/out" })
      expect((yield* wire).map((r) => `${r.path} ${JSON.stringify(r.query)}`)).toEqual([
        `${RUNS}/${id}/metadata {}`,
        `${RUNS}/${id}/output {"format":"url"}`
      ])
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("a failed run with a non-JSON output goes through …/output too; its 404 leaves the result without output", () =>
    driven(function*() {
      const { runs, emulator } = yield* setup(APP)
      emulator.areas.runs.setModel(APP, Models.fail("infeasible"))
      const id = yield* runs.newRun(APP, {
        input: {},
        configuration: { format: { input: { type: "json" }, output: { type: "multi-file" } } }
      })
      yield* settle
      yield* emulator.clearRequests
      const result = yield* runs.runResult(APP, id, { outputDir: tempDir() })
      expect(result.metadata.status_v2).toBe("failed")
      expect(result.output).toBeUndefined()
      expect((yield* wire).map((r) => `${r.method} ${r.path} ${JSON.stringify(r.query)}`)).toEqual([
        `GET ${RUNS}/${id}/metadata {}`,
        `GET ${RUNS}/${id} {"format":"url"}`,
        `GET ${RUNS}/${id}/output {"format":"url"}`
      ])
      const direct = yield* runs.runOutput(APP, id, { outputDir: tempDir() }).pipe(failureOf)
      expect((direct as NextmvHttpError).status).toBe(404)
      // No local files asked for (`outputDir: ""`): the failed run's result, no output request.
      yield* emulator.clearRequests
      expect((yield* runs.runResult(APP, id, { outputDir: "" })).metadata.status_v2).toBe("failed")
      expect((yield* wire).map((r) => r.path)).toEqual([`${RUNS}/${id}/metadata`, `${RUNS}/${id}`])
    }).pipe(Effect.provide(servicesLayer())))
})

describe("run configuration extras", () => {
  it.effect("the configuration is sent exactly; an ensemble run has no instance_id query, a standard run keeps it", () =>
    driven(function*() {
      const { runs } = yield* setup(APP)
      // The spec's full example of `configuration`.
      const ensemble = {
        execution_class: "8c16gb12h",
        format: { input: { type: "multi-file" }, output: { type: "multi-file" } },
        run_type: { type: "ensemble", definition_id: "ensemble-p0q8w3zc" },
        secrets_collection_id: "secrets-7fh2kq9d",
        queuing: { priority: 3, disabled: false }
      } as const
      yield* runs.newRun(APP, { uploadId: "upload-1", instanceId: "prod", configuration: ensemble }).pipe(Effect.ignore)
      yield* runs.newRun(APP, {
        input: { value: 1 },
        instanceId: "prod",
        configuration: { run_type: { type: "standard" }, queuing: { disabled: true } }
      })
      const integrated = yield* runs.newRun(APP, { input: { value: 2 }, configuration: { integration_id: "integration-4f5g6h7j" } })
      // The model's example of an external run type: sent as given, with the instance query.
      yield* runs.newRun(APP, {
        input: { value: 3 },
        instanceId: "prod",
        configuration: { run_type: { type: "external", reference_id: "ref-12345" } }
      })
      const posts = (yield* wire).filter((r) => r.method === "POST")
      expect(posts[0]).toEqual({
        method: "POST",
        path: RUNS,
        query: {},
        body: {
          upload_id: "upload-1",
          configuration: {
            execution_class: "8c16gb12h",
            format: { input: { type: "multi-file" }, output: { type: "multi-file" } },
            run_type: { type: "ensemble", definition_id: "ensemble-p0q8w3zc" },
            secrets_collection_id: "secrets-7fh2kq9d",
            queuing: { priority: 3, disabled: false }
          }
        }
      })
      expect(posts[1]!.query).toEqual({ instance_id: "prod" })
      expect(posts[1]!.body).toEqual({
        input: { value: 1 },
        configuration: { run_type: { type: "standard" }, queuing: { disabled: true } }
      })
      // The spec's integration example: the execution class becomes `integration`.
      expect((posts[2]!.body as { configuration: unknown }).configuration).toEqual({
        execution_class: "integration",
        integration_id: "integration-4f5g6h7j"
      })
      expect(posts[3]!.query).toEqual({ instance_id: "prod" })
      expect((posts[3]!.body as { configuration: unknown }).configuration).toEqual({
        run_type: { type: "external", reference_id: "ref-12345" }
      })
      const info = yield* runs.runInformation(APP, integrated)
      expect(info.metadata.execution_class).toBe("integration")
      expect(info.metadata.integration).toMatchObject({ id: "integration-4f5g6h7j" })
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("run metadata reports the extras: queuing, run type, secrets collection", () =>
    driven(function*() {
      const { runs } = yield* setup(APP)
      const id = yield* runs.newRun(APP, {
        input: {},
        configuration: {
          execution_class: "8c16gb12h",
          run_type: { type: "standard" },
          secrets_collection_id: "secrets-1",
          queuing: { priority: 2, disabled: true }
        }
      })
      const { metadata } = yield* runs.runInformation(APP, id)
      expect({
        execution_class: metadata.execution_class,
        queuing_priority: metadata.queuing_priority,
        queuing_disabled: metadata.queuing_disabled,
        run_type: metadata.run_type,
        secrets_collection_id: metadata.secrets_collection_id
      }).toEqual({
        execution_class: "8c16gb12h",
        queuing_priority: 2,
        queuing_disabled: true,
        run_type: { type: "standard" },
        secrets_collection_id: "secrets-1"
      })
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("validation with nextmv-py's messages, before any request", () =>
    driven(function*() {
      const { runs } = yield* setup(APP)
      const cases: ReadonlyArray<[Runs.NewRunOptions["configuration"], string]> = [
        [{ queuing: { priority: 0 } }, "Priority must be between 1 and 9."],
        [{ queuing: { priority: 10 } }, "Priority must be between 1 and 9."],
        [{ queuing: { priority: 2.5 } }, "Priority must be between 1 and 9."],
        [{ queuing: { disabled: "yes" as unknown as boolean } }, "Disabled must be a boolean value."],
        [
          { integration_id: "i", execution_class: "6c9500mb870s" },
          "When integration_id is set, execution_class must be `integration` or None."
        ],
        [{ run_type: { type: "batch" } }, "run_type.type must be one of standard, external, ensemble (got \"batch\")"]
      ]
      for (const [configuration, reason] of cases) {
        expectInvalid(yield* runs.newRun(APP, { input: {}, configuration }).pipe(failureOf), reason)
      }
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("a 429 while queuing is disabled is a RunQueueBusyError; with queuing the run is accepted", () =>
    driven(function*() {
      const { runs } = yield* setup(APP)
      yield* runs.newRun(APP, { input: { value: 1 } }) // fills the default class (capacity 1)
      const busy = yield* runs.newRun(APP, {
        input: { value: 2 },
        configuration: { execution_class: "6c9500mb870s", queuing: { disabled: true } }
      }).pipe(failureOf)
      expect(busy).toBeInstanceOf(RunQueueBusyError)
      expect((busy as RunQueueBusyError).cause.status).toBe(429)
      expect((busy as RunQueueBusyError).executionClass).toBe("6c9500mb870s")
      // The client retried the POST once (429 is retried for POST), then mapped the answer.
      expect((yield* wire).filter((r) => r.method === "POST").length).toBe(3)
      const recovered = yield* runs.newRun(APP, { input: { value: 2 }, configuration: { queuing: { disabled: true } } }).pipe(
        Effect.catchTag("RunQueueBusyError", () => runs.newRun(APP, { input: { value: 2 } }))
      )
      expect(recovered).toMatch(/^latest-/)
      yield* TestClock.adjust(10_000) // every run has ended: capacity is free again
      expect(yield* runs.newRun(APP, { input: { value: 3 }, configuration: { queuing: { disabled: true } } })).toMatch(/^latest-/)
    }).pipe(Effect.provide(servicesLayer({
      runs: { capacity: { "6c9500mb870s": 1 }, queuedMillis: 1000, runningMillis: 1000 },
      client: { retry: { retries: 1 } }
    }))))

  it.effect("a 429 on a run with queuing allowed stays a NextmvHttpError", () =>
    driven(function*() {
      const { runs, emulator } = yield* setup(APP)
      yield* emulator.injectFault({ method: "POST", path: RUNS, times: 2, action: FaultAction.status(429) })
      const error = yield* runs.newRun(APP, { input: {} }).pipe(failureOf)
      expect(error).toBeInstanceOf(NextmvHttpError)
      expect((error as NextmvHttpError).status).toBe(429)
    }).pipe(Effect.provide(servicesLayer({ client: { retry: { retries: 1 } } }))))
})

describe("cloneRun", () => {
  it.effect("re-downloads the input and copies instance, options and configuration; tags tracking.cloned_run_id", () =>
    driven(function*() {
      const { runs, emulator } = yield* setup(APP)
      const original = yield* runs.newRun(APP, {
        input: { stops: [{ id: "s1" }] },
        instanceId: "prod",
        name: "nightly",
        options: { "solve.duration": "10s" },
        configuration: { execution_class: "6c9500mb870s", queuing: { priority: 6 } }
      })
      yield* settle
      yield* emulator.clearRequests
      const clone = yield* cloneRun(APP, original)
      const sent = yield* wire
      expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([
        `GET ${RUNS}/${original}/metadata`,
        `GET ${RUNS}/${original}/metadata`,
        `GET ${RUNS}/${original}/input`,
        `POST ${RUNS}`
      ])
      // The spec's wire example of a clone (`POST APP/runs?instance_id=prod`).
      expect(sent[3]!.query).toEqual({ instance_id: "prod" })
      expect(sent[3]!.body).toEqual({
        input: { stops: [{ id: "s1" }] },
        name: "nightly clone",
        description: `Clone of ${original}`,
        options: { "solve.duration": "10s" },
        configuration: {
          execution_class: "6c9500mb870s",
          format: { input: { type: "json" }, output: { type: "json" } },
          run_type: { type: "standard" },
          queuing: { priority: 6, disabled: false }
        },
        tracking: { cloned_run_id: original }
      })
      const info = yield* runs.runInformation(APP, clone)
      expect(info.metadata.tracking).toEqual({ cloned_run_id: original })
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("given fields win; names are cut to 128 / 256 characters; two input sources are refused before any request", () =>
    driven(function*() {
      const { runs, emulator } = yield* setup(APP)
      const original = yield* runs.newRun(APP, { input: { value: 1 }, name: "n".repeat(130), description: "d".repeat(300) })
      yield* settle
      yield* emulator.clearRequests
      yield* cloneRun(APP, original, {
        input: { value: 9 },
        instanceId: "staging",
        options: { x: "1" },
        configuration: { queuing: { priority: 1 } }
      })
      const sent = yield* wire
      expect(sent.map((r) => r.path)).not.toContain(`${RUNS}/${original}/input`)
      const post = sent.find((r) => r.method === "POST")!
      expect(post.query).toEqual({ instance_id: "staging" })
      const body = post.body as Record<string, unknown>
      expect(body["input"]).toEqual({ value: 9 })
      expect(body["options"]).toEqual({ x: "1" })
      expect(body["name"]).toBe(`${"n".repeat(122)} clone`)
      expect(body["description"]).toBe(`Clone of ${"d".repeat(247)}`)
      // A given configuration without format keeps the original's; its queuing priority wins.
      expect(body["configuration"]).toMatchObject({
        format: { input: { type: "json" }, output: { type: "json" } },
        queuing: { priority: 1, disabled: false }
      })
      yield* emulator.clearRequests
      expectInvalid(
        yield* cloneRun(APP, original, { managedInputId: "mi", inputDirPath: tempDir() }).pipe(failureOf),
        "Cannot specify both a managed input and an input directory path."
      )
      expectInvalid(
        yield* cloneRun(APP, original, { input: {}, uploadId: "u" }).pipe(failureOf),
        "give only one of input, inputDirPath, uploadId, managedInputId (got input, uploadId)"
      )
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("a multi-file original is downloaded to a temporary directory and sent again as multi-file", () =>
    driven(function*() {
      const { runs } = yield* setup(APP)
      const dir = tempDir()
      mkdirSync(join(dir, "data"))
      writeFileSync(join(dir, "data", "stops.csv"), "id\ns1\n")
      const original = yield* runs.newRun(APP, { inputDirPath: dir })
      yield* settle
      const clone = yield* cloneRun(APP, original)
      const out = tempDir()
      yield* runs.runInput(APP, clone, { outputDir: out })
      expect(readFileSync(join(out, "data", "stops.csv"), "utf8")).toBe("id\ns1\n")
      expect((yield* runs.runInformation(APP, clone)).metadata.inputType).toBe("multi-file")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("cloneRunWithResult waits for the clone's result", () =>
    driven(function*() {
      const { runs } = yield* setup(APP)
      const original = yield* runs.newRun(APP, { input: { value: 4 } })
      yield* settle
      const result = yield* cloneRunWithResult(APP, original)
      expect(result.metadata.status_v2).toBe("succeeded")
      expect(result.metadata.tracking).toEqual({ cloned_run_id: original })
      expect((result.output as { solutions: unknown }).solutions).toEqual([{ value: 4 }])
    }).pipe(Effect.provide(servicesLayer())))
})

describe("compareRuns", () => {
  it.effect("fetches each run's information in order and flags the differing fields", () =>
    driven(function*() {
      const { runs, emulator } = yield* setup(APP)
      const a = yield* runs.newRun(APP, { input: { value: 1 }, name: "a", options: { "solve.duration": "10s" } })
      const b = yield* runs.newRun(APP, { input: { value: 2.123456789 }, name: "b", options: { "solve.duration": "10s" } })
      yield* settle
      yield* emulator.clearRequests
      const comparison = yield* compareRuns(APP, [a, b])
      expect((yield* wire).map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${RUNS}/${a}/metadata`, `GET ${RUNS}/${b}/metadata`])
      expect(comparison.run_ids).toEqual([a, b])
      expect(comparison.information["name"]).toEqual({ has_differences: true, values: { [a]: "a", [b]: "b" } })
      expect(comparison.information["user_email"]!.has_differences).toBe(false)
      expect(comparison.information["metadata"]).toBeUndefined()
      expect(comparison.information["console_url"]).toBeUndefined()
      expect(comparison.metadata["status"]).toEqual({ has_differences: false, values: { [a]: "succeeded", [b]: "succeeded" } })
      expect(comparison.metadata["content_format"]!.values).toEqual({ [a]: "json", [b]: "json" })
      expect(comparison.metadata["run_type"]!.values).toEqual({ [a]: "standard", [b]: "standard" })
      expect(comparison.metadata["status_v2"]).toBeUndefined()
      expect(comparison.metadata["metrics"]).toBeUndefined()
      expect(comparison.metrics!["result.value"]).toEqual({ has_differences: true, values: { [a]: 1, [b]: 2.12346 } })
      expect(comparison.options!["solve.duration"]).toEqual({ has_differences: false, values: { [a]: "10s", [b]: "10s" } })
      const flat = comparison.toFlatDict() as { run_ids: unknown; metrics: Record<string, unknown> }
      expect(flat.run_ids).toEqual([a, b])
      expect(flat.metrics["result.value"]).toEqual({ [a]: 1, [b]: 2.12346 })
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("1..20 unique ids, checked before any request", () =>
    driven(function*() {
      yield* setup(APP)
      const many = Array.from({ length: 21 }, (_, i) => `r${i}`)
      expectInvalid(yield* compareRuns(APP, []).pipe(failureOf), "You must provide between 1 and 20 run IDs to compare.")
      expectInvalid(yield* compareRuns(APP, many).pipe(failureOf), "You must provide between 1 and 20 run IDs to compare.")
      expectInvalid(
        yield* compareRuns(APP, ["r1", "r1"]).pipe(failureOf),
        "Duplicate run IDs provided. Please provide unique run IDs for comparison."
      )
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))
})
