/**
 * The run operations of the newest nextmv-py beyond the seed: runInformation (runMetadata as a
 * deprecated alias), deleteRun and listRuns across pages (with streamRuns and noPagination).
 * The emulator runs on the TestClock: runs only move when a test moves the time.
 *
 * Contract expectations (paths, queries, bodies) are written by hand from the spec of nextmv-py's
 * `run_information`, `delete_run` and `list_runs` (pagination: `pagereturn=true`, then
 * `pagetoken=<next_page_token>`; items under `runs`).
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Stream, TestClock } from "effect"
import { NextmvHttpError, PaginationLimitError } from "../src/Errors.js"
import { FaultAction } from "../src/testing/Emulator.js"
import { servicesLayer } from "./support/layers.js"
import { requests, setup } from "./support/runs.js"
import { driven, failureOf } from "./support/time.js"

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
    }).pipe(Effect.provide(servicesLayer())))
})
