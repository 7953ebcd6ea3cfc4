import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Layer } from "effect"
import { InvalidArgumentError, NextmvHttpError } from "../src/Errors.js"
import * as Applications from "../src/services/Applications.js"
import { Emulator, FaultAction } from "../src/testing/Emulator.js"
import { emulatorLayer } from "./support/layers.js"
import { driven, failureOf } from "./support/time.js"

const TestLive = Applications.layer.pipe(Layer.provideMerge(emulatorLayer()))

/** Method, path, query and JSON body of every request the emulator received. */
const wire = Effect.map(Emulator, (e) => e.requests).pipe(
  Effect.flatten,
  Effect.map((requests) => requests.map((r) => ({ method: r.method, path: r.path, query: r.query, body: r.json })))
)

describe("Applications against the emulator", () => {
  it.effect("creates with generated id and name defaulting to the id", () =>
    driven(function*() {
      const apps = yield* Applications.Applications
      const app = yield* apps.newApplication()
      expect(app.id).toMatch(/^app-[a-z0-9]{8}$/)
      expect(app.name).toBe(app.id)
      expect(app.type).toBe("custom")
      expect(app.locked).toBe(false)
      expect(DateTime.isDateTime(app.created_at)).toBe(true)
    }).pipe(Effect.provide(TestLive)))

  it.effect("gets, lists, updates and deletes", () =>
    driven(function*() {
      const apps = yield* Applications.Applications
      yield* apps.newApplication({ id: "routing", name: "Routing", description: "VRP", defaultInstanceId: "devint" })
      yield* apps.newApplication({ id: "sched", name: "Scheduling", isWorkflow: true })
      const got = yield* apps.getApplication("routing")
      expect(got.name).toBe("Routing")
      expect(got.defaultInstanceId).toBe("devint")
      expect((yield* apps.getApplication("sched")).type).toBe("pipeline")
      expect((yield* apps.listApplications()).map((a) => a.id).sort()).toEqual(["routing", "sched"])

      const updated = yield* apps.updateApplication("routing", { name: "Routing v2", defaultInstanceId: "prod" })
      expect(updated.name).toBe("Routing v2")
      expect(updated.description).toBe("VRP")
      expect(updated.default_instance).toBe("prod")

      yield* apps.deleteApplication("sched")
      expect(yield* apps.applicationExists("sched")).toBe(false)
      expect(yield* apps.applicationExists("routing")).toBe(true)
      const missing = yield* apps.getApplication("sched").pipe(failureOf)
      expect(missing).toBeInstanceOf(NextmvHttpError)
      expect((missing as NextmvHttpError).status).toBe(404)
    }).pipe(Effect.provide(TestLive)))

  it.effect("existOk returns the existing application without a POST", () =>
    driven(function*() {
      const apps = yield* Applications.Applications
      const emulator = yield* Emulator
      yield* apps.newApplication({ id: "routing", name: "Original" })
      yield* emulator.clearRequests
      const again = yield* apps.newApplication({ id: "routing", name: "Other", existOk: true })
      expect(again.name).toBe("Original")
      expect((yield* wire).map((r) => r.method)).toEqual(["GET", "GET"])
    }).pipe(Effect.provide(TestLive)))

  it.effect("existOk creates the application when it does not exist", () =>
    driven(function*() {
      const apps = yield* Applications.Applications
      const app = yield* apps.newApplication({ id: "fresh", existOk: true })
      expect(app.name).toBe("fresh")
    }).pipe(Effect.provide(TestLive)))

  it.effect("a duplicate id without existOk is a 409", () =>
    driven(function*() {
      const apps = yield* Applications.Applications
      yield* apps.newApplication({ id: "dup" })
      const error = yield* apps.newApplication({ id: "dup" }).pipe(failureOf)
      expect((error as NextmvHttpError).status).toBe(409)
    }).pipe(Effect.provide(TestLive)))

  it.effect("invalid arguments fail before any request", () =>
    driven(function*() {
      const apps = yield* Applications.Applications
      const noId = yield* apps.newApplication({ existOk: true }).pipe(failureOf)
      expect(noId).toBeInstanceOf(InvalidArgumentError)
      expect(noId.message).toBe("Applications.newApplication: If existOk is true, id must be provided")
      for (
        const failing of [apps.getApplication(""), apps.deleteApplication(" "), apps.applicationExists(""), apps.updateApplication("", {})]
      ) {
        expect(yield* failing.pipe(failureOf)).toBeInstanceOf(InvalidArgumentError)
      }
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(TestLive)))

  it.effect("applicationExists fails on errors other than 404", () =>
    driven(function*() {
      const apps = yield* Applications.Applications
      const emulator = yield* Emulator
      yield* emulator.injectFault({ path: "/v1/applications/:appId", times: Infinity, action: FaultAction.status(403) })
      const error = yield* apps.applicationExists("x").pipe(failureOf)
      expect((error as NextmvHttpError).status).toBe(403)
    }).pipe(Effect.provide(TestLive)))

  it.effect("ids are encoded as one path segment", () =>
    driven(function*() {
      const apps = yield* Applications.Applications
      yield* apps.applicationExists("a/b c")
      expect((yield* Emulator.pipe(Effect.flatMap((e) => e.requests)))[0]?.path).toBe("/v1/applications/a%2Fb%20c")
    }).pipe(Effect.provide(TestLive)))

  it.effect("listApplications treats null as empty and accepts a paged {items} body", () =>
    driven(function*() {
      const apps = yield* Applications.Applications
      const emulator = yield* Emulator
      yield* emulator.injectFault({ method: "GET", path: "/v1/applications", action: FaultAction.status(200, { body: null }) })
      expect(yield* apps.listApplications()).toEqual([])
      yield* emulator.injectFault({
        method: "GET",
        path: "/v1/applications",
        action: FaultAction.status(200, { body: { items: [{ id: "a", default_instance_id: "x" }] } })
      })
      const [only] = yield* apps.listApplications()
      expect(only?.id).toBe("a")
      expect(only?.defaultInstanceId).toBe("x")
    }).pipe(Effect.provide(TestLive)))
})

// Contract: the raw requests, compared with expectations written by hand from
// ../shared/spec/client-and-runs.md §4 (method, path, query, JSON body).
describe("Applications wire contract (spec §4)", () => {
  it.effect("every operation sends exactly what the spec says", () =>
    driven(function*() {
      const apps = yield* Applications.Applications
      yield* apps.newApplication({
        id: "routing-app",
        name: "Routing App",
        description: "d",
        isWorkflow: false,
        defaultInstanceId: "devint",
        defaultExperimentInstance: "exp"
      })
      yield* apps.getApplication("routing-app")
      yield* apps.applicationExists("routing-app")
      yield* apps.updateApplication("routing-app", { description: "new" })
      yield* apps.listApplications()
      yield* apps.deleteApplication("routing-app")
      const requests = yield* wire
      expect(requests.map(({ method, path, query }) => ({ method, path, query }))).toEqual([
        { method: "POST", path: "/v1/applications", query: {} },
        { method: "GET", path: "/v1/applications/routing-app", query: {} },
        { method: "GET", path: "/v1/applications/routing-app", query: {} },
        { method: "GET", path: "/v1/applications/routing-app", query: {} },
        { method: "PUT", path: "/v1/applications/routing-app", query: {} },
        { method: "GET", path: "/v1/applications", query: {} },
        { method: "DELETE", path: "/v1/applications/routing-app", query: {} }
      ])
      expect(requests[0]?.body).toEqual({
        name: "Routing App",
        id: "routing-app",
        description: "d",
        is_pipeline: false,
        default_instance: "devint",
        default_experiment_instance: "exp"
      })
      // update: the whole object as fetched, with the changed field; wire key default_instance.
      const put = requests[4]?.body as Record<string, unknown>
      expect(Object.keys(put).sort()).toEqual([
        "created_at",
        "default_experiment_instance",
        "default_instance",
        "description",
        "id",
        "locked",
        "name",
        "type",
        "updated_at"
      ])
      expect(put).toMatchObject({
        id: "routing-app",
        name: "Routing App",
        description: "new",
        type: "custom",
        default_instance: "devint",
        default_experiment_instance: "exp",
        locked: false
      })
      for (const request of requests.filter((r) => r.method !== "POST" && r.method !== "PUT")) {
        expect(request.body).toBeUndefined()
      }
    }).pipe(Effect.provide(TestLive)))

  it.effect("the create body has only name and id when nothing else is given", () =>
    driven(function*() {
      const apps = yield* Applications.Applications
      yield* apps.newApplication({ id: "minimal" })
      expect((yield* wire)[0]?.body).toEqual({ name: "minimal", id: "minimal" })
    }).pipe(Effect.provide(TestLive)))
})
