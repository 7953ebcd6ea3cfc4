import { describe, expect, it } from "@effect/vitest"
import { Chunk, DateTime, Effect, Logger, Redacted, Stream } from "effect"
import { InvalidArgumentError, NextmvHttpError } from "../src/Errors.js"
import * as RunPrograms from "../src/programs/Runs.js"
import { Secret } from "../src/schemas/Secrets.js"
import * as Applications from "../src/services/Applications.js"
import * as Ensembles from "../src/services/Ensembles.js"
import * as Instances from "../src/services/Instances.js"
import * as Secrets from "../src/services/Secrets.js"
import * as Versions from "../src/services/Versions.js"
import { Emulator, FaultAction } from "../src/testing/Emulator.js"
import { servicesLayer } from "./support/layers.js"
import { driven, failureOf } from "./support/time.js"

const APP = "pizza-delivery"

/** An ensemble definition's run groups and rules. */
const runGroups = [
  { id: "fast", instance_id: "prod", options: { "solve.duration": "5s" }, repetitions: 2 },
  { id: "thorough", instance_id: "prod", options: { "solve.duration": "30s" } }
]
const rules = [
  { id: "objective", statistics_path: "$.result.value", objective: "minimize", tolerance: { value: 0.05, type: "relative" }, index: 0 },
  { id: "runtime", statistics_path: "$.run.duration", objective: "minimize", tolerance: { value: 0, type: "absolute" }, index: 1 }
] as const

/** Method, path, query and JSON body of every request the emulator received. */
const wire = Effect.flatMap(Emulator, (e) => e.requests).pipe(
  Effect.map((requests) => requests.map((r) => ({ method: r.method, path: r.path, query: r.query, body: r.json })))
)

/** Seeds the app and a pushed executable, then forgets those setup requests. */
const setup = Effect.gen(function*() {
  const emulator = yield* Emulator
  emulator.areas.applications.seed({ id: APP })
  const executable = emulator.areas.binary.seed(APP)
  yield* emulator.clearRequests
  return { emulator, executable }
})

const expectInvalid = (error: unknown, operation: string, reason: RegExp | string) => {
  expect(error).toBeInstanceOf(InvalidArgumentError)
  expect((error as InvalidArgumentError).operation).toBe(operation)
  if (typeof reason === "string") expect((error as InvalidArgumentError).reason).toBe(reason)
  else expect((error as InvalidArgumentError).reason).toMatch(reason)
}

describe("Versions", () => {
  it.effect("creates from the current binary with generated id and name, and round-trips", () =>
    driven(function*() {
      const { executable } = yield* setup
      const versions = yield* Versions.Versions
      const v = yield* versions.newVersion(APP)
      expect(v.id).toMatch(/^version-[a-z0-9]{8}$/)
      expect(v.name).toBe(v.id)
      expect(v.description).toBe("")
      expect(v.executable.id).toBe(executable.id)
      expect(v.executable.requirements).toEqual({ executable_type: "python", runtime: "ghcr.io/nextmv-io/runtime/python:3.11" })
      expect(DateTime.isDateTime(v.executable.uploaded_at)).toBe(true)
      expect((yield* versions.version(APP, v.id)).id).toBe(v.id)
      expect((yield* versions.listVersions(APP)).map((x) => x.id)).toEqual([v.id])
      expect(yield* wire).toEqual([
        { method: "POST", path: `/v1/applications/${APP}/versions`, query: {}, body: { id: v.id, name: v.id } },
        { method: "GET", path: `/v1/applications/${APP}/versions/${v.id}`, query: {}, body: undefined },
        { method: "GET", path: `/v1/applications/${APP}/versions`, query: {}, body: undefined }
      ])
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("a version freezes the executable pushed before it", () =>
    driven(function*() {
      const { emulator, executable: first } = yield* setup
      const versions = yield* Versions.Versions
      yield* versions.newVersion(APP, { id: "v1", name: "One", description: "first" })
      const second = emulator.areas.binary.seed(APP, { files: { "main.py": "print(2)" } })
      const v2 = yield* versions.newVersion(APP, { id: "v2" })
      expect((yield* versions.version(APP, "v1")).executable.id).toBe(first.id)
      expect(v2.executable.id).toBe(second.id)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("existOk returns the existing version with two GETs and no POST; a taken id is 409", () =>
    driven(function*() {
      const { emulator } = yield* setup
      const versions = yield* Versions.Versions
      yield* versions.newVersion(APP, { id: "v1", name: "Original" })
      yield* emulator.clearRequests
      const again = yield* versions.newVersion(APP, { id: "v1", name: "Other", existOk: true })
      expect(again.name).toBe("Original")
      expect((yield* wire).map((r) => r.method)).toEqual(["GET", "GET"])
      const created = yield* versions.newVersion(APP, { id: "v2", existOk: true })
      expect(created.id).toBe("v2")
      const conflict = yield* versions.newVersion(APP, { id: "v1" }).pipe(failureOf)
      expect((conflict as NextmvHttpError).status).toBe(409)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("update GETs then PUTs the full object with only name/description changed", () =>
    driven(function*() {
      const { emulator } = yield* setup
      const versions = yield* Versions.Versions
      const v1 = yield* versions.newVersion(APP, { id: "v1", description: "first" })
      yield* emulator.clearRequests
      const updated = yield* versions.updateVersion(APP, "v1", { name: "Release 1" })
      expect(updated.name).toBe("Release 1")
      expect(updated.description).toBe("first")
      const requests = yield* wire
      expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        `GET /v1/applications/${APP}/versions/v1`,
        `PUT /v1/applications/${APP}/versions/v1`
      ])
      expect(requests[1]!.body).toEqual({
        id: "v1",
        application_id: APP,
        name: "Release 1",
        description: "first",
        executable: {
          id: v1.executable.id,
          user_email: "dev@example.com",
          uploaded_at: DateTime.formatIso(v1.executable.uploaded_at),
          requirements: { executable_type: "python", runtime: "ghcr.io/nextmv-io/runtime/python:3.11" }
        },
        created_at: DateTime.formatIso(v1.created_at),
        updated_at: DateTime.formatIso(v1.updated_at)
      })
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("exists is false on 404, other errors stay errors; delete removes", () =>
    driven(function*() {
      const { emulator } = yield* setup
      const versions = yield* Versions.Versions
      yield* versions.newVersion(APP, { id: "v1" })
      expect(yield* versions.versionExists(APP, "v1")).toBe(true)
      yield* versions.deleteVersion(APP, "v1")
      expect(yield* versions.versionExists(APP, "v1")).toBe(false)
      yield* emulator.injectFault({ method: "GET", path: `/v1/applications/${APP}/versions/v9`, action: FaultAction.status(403) })
      const denied = yield* versions.versionExists(APP, "v9").pipe(failureOf)
      expect((denied as NextmvHttpError).status).toBe(403)
      const gone = yield* versions.deleteVersion(APP, "v1").pipe(failureOf)
      expect((gone as NextmvHttpError).status).toBe(404)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("invalid arguments fail before any request", () =>
    driven(function*() {
      yield* setup
      const versions = yield* Versions.Versions
      expectInvalid(
        yield* failureOf(versions.newVersion(APP, { existOk: true })),
        "Versions.newVersion",
        "If existOk is true, id must be provided"
      )
      expectInvalid(yield* failureOf(versions.newVersion(APP, { existOk: true, id: "" })), "Versions.newVersion", /id must be provided/)
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))
})

describe("Instances", () => {
  const withVersion = Effect.gen(function*() {
    const ctx = yield* setup
    yield* (yield* Versions.Versions).newVersion(APP, { id: "v1" })
    yield* ctx.emulator.clearRequests
    return ctx
  })

  it.effect("creates with defaults and a configuration; the integration rule sets the class", () =>
    driven(function*() {
      yield* withVersion
      const instances = yield* Instances.Instances
      const plain = yield* instances.newInstance(APP, "v1")
      expect(plain.id).toMatch(/^instance-[a-z0-9]{8}$/)
      expect(plain.name).toBe(plain.id)
      expect(plain.version_id).toBe("v1")
      expect(plain.locked).toBe(false)
      const prod = yield* instances.newInstance(APP, "v1", {
        id: "prod",
        name: "Production",
        description: "",
        configuration: {
          execution_class: "6c9500mb870s",
          options: { "solve.duration": "10s" },
          secrets_collection_id: "secrets-7fh2kq9d",
          queuing: { priority: 3, disabled: false }
        }
      })
      expect(prod.configuration.queuing).toEqual({ priority: 3, disabled: false })
      const integrated = yield* instances.newInstance(APP, "v1", {
        id: "int",
        configuration: { integration_id: "int-12345", options: { a: "1" }, secrets_collection_id: "s" }
      })
      expect(integrated.configuration.execution_class).toBe("integration")
      const bodies = (yield* wire).map((r) => r.body)
      expect(bodies).toEqual([
        { id: plain.id, name: plain.id, version_id: "v1" },
        {
          id: "prod",
          name: "Production",
          version_id: "v1",
          description: "",
          configuration: {
            execution_class: "6c9500mb870s",
            options: { "solve.duration": "10s" },
            secrets_collection_id: "secrets-7fh2kq9d",
            queuing: { priority: 3, disabled: false }
          }
        },
        {
          id: "int",
          name: "int",
          version_id: "v1",
          configuration: {
            integration_id: "int-12345",
            options: { a: "1" },
            secrets_collection_id: "s",
            execution_class: "integration"
          }
        }
      ])
      const listed = yield* instances.listInstances(APP)
      expect(listed.map((i) => i.id).sort()).toEqual(["int", plain.id, "prod"].sort())
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("update PUTs the full object; a given configuration replaces the stored one", () =>
    driven(function*() {
      const { emulator } = yield* withVersion
      yield* (yield* Versions.Versions).newVersion(APP, { id: "v2" })
      const instances = yield* Instances.Instances
      const created = yield* instances.newInstance(APP, "v1", {
        id: "prod",
        description: "d",
        configuration: { execution_class: "8c16gb12h", options: { a: "1" }, queuing: { priority: 2 } }
      })
      yield* emulator.clearRequests
      const updated = yield* instances.updateInstance(APP, "prod", {
        versionId: "v2",
        configuration: { options: { b: "2" } }
      })
      expect(updated.version_id).toBe("v2")
      expect(updated.configuration).toEqual({ options: { b: "2" } })
      expect(updated.description).toBe("d")
      const [get, put] = yield* wire
      expect(get).toEqual({ method: "GET", path: `/v1/applications/${APP}/instances/prod`, query: {}, body: undefined })
      expect(put).toEqual({
        method: "PUT",
        path: `/v1/applications/${APP}/instances/prod`,
        query: {},
        body: {
          id: "prod",
          application_id: APP,
          version_id: "v2",
          name: "prod",
          description: "d",
          configuration: { options: { b: "2" } },
          locked: false,
          created_at: DateTime.formatIso(created.created_at),
          updated_at: DateTime.formatIso(created.updated_at)
        }
      })
      // No options: the current state is PUT back unchanged.
      yield* emulator.clearRequests
      const same = yield* instances.updateInstance(APP, "prod")
      expect(same.configuration).toEqual({ options: { b: "2" } })
      const body = (yield* wire)[1]!.body as Record<string, unknown>
      expect(body["name"]).toBe("prod")
      expect(body["configuration"]).toEqual({ options: { b: "2" } })
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("existOk, 409, exists and delete", () =>
    driven(function*() {
      const { emulator } = yield* withVersion
      const instances = yield* Instances.Instances
      yield* instances.newInstance(APP, "v1", { id: "prod", name: "Original" })
      yield* emulator.clearRequests
      const again = yield* instances.newInstance(APP, "v1", { id: "prod", name: "Other", existOk: true })
      expect(again.name).toBe("Original")
      expect((yield* wire).map((r) => r.method)).toEqual(["GET", "GET"])
      const conflict = yield* instances.newInstance(APP, "v1", { id: "prod" }).pipe(failureOf)
      expect((conflict as NextmvHttpError).status).toBe(409)
      expect(yield* instances.instanceExists(APP, "prod")).toBe(true)
      yield* instances.deleteInstance(APP, "prod")
      expect(yield* instances.instanceExists(APP, "prod")).toBe(false)
      const missing = yield* instances.instance(APP, "prod").pipe(failureOf)
      expect((missing as NextmvHttpError).status).toBe(404)
      const noVersion = yield* instances.newInstance(APP, "nope").pipe(failureOf)
      expect((noVersion as NextmvHttpError).status).toBe(404)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("validation: priority 1-9, the integration rule, existOk without id, empty ids; no request sent", () =>
    driven(function*() {
      yield* withVersion
      const instances = yield* Instances.Instances
      for (const priority of [0, 10, 2.5]) {
        expectInvalid(
          yield* failureOf(instances.newInstance(APP, "v1", { configuration: { queuing: { priority } } })),
          "Instances.newInstance",
          /^Priority must be between 1 and 9/
        )
      }
      for (const execution_class of ["small", "medium", "large", "custom", "standard"]) {
        expectInvalid(
          yield* failureOf(instances.newInstance(APP, "v1", { configuration: { integration_id: "int-12345", execution_class } })),
          "Instances.newInstance",
          /^When integration_id is set, execution_class must be `integration`/
        )
      }
      expectInvalid(
        yield* failureOf(instances.updateInstance(APP, "prod", { configuration: { queuing: { priority: 12 } } })),
        "Instances.updateInstance",
        /Priority/
      )
      expectInvalid(
        yield* failureOf(instances.newInstance(APP, "v1", { existOk: true })),
        "Instances.newInstance",
        "If existOk is true, id must be provided"
      )
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("integration id with class `integration`, empty or absent is accepted (sent as `integration`)", () =>
    driven(function*() {
      yield* withVersion
      const instances = yield* Instances.Instances
      for (const [id, execution_class] of [["a", "integration"], ["b", ""], ["c", undefined]] as const) {
        const created = yield* instances.newInstance(APP, "v1", {
          id,
          configuration: execution_class === undefined
            ? { integration_id: "int-12345" }
            : { integration_id: "int-12345", execution_class }
        })
        expect(created.configuration.execution_class).toBe("integration")
      }
      // An empty integration id leaves the class alone.
      const plain = yield* instances.newInstance(APP, "v1", { id: "d", configuration: { integration_id: "", execution_class: "small" } })
      expect(plain.configuration.execution_class).toBe("small")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("runs on an instance execute its version's executable; devint runs the last push", () =>
    driven(function*() {
      const { emulator, executable: first } = yield* setup
      yield* (yield* Versions.Versions).newVersion(APP, { id: "v1" })
      yield* (yield* Instances.Instances).newInstance(APP, "v1", { id: "prod" })
      const second = emulator.areas.binary.seed(APP, { files: { "main.py": "print(2)" } })
      const onProd = yield* RunPrograms.newRunWithResult(APP, { input: { value: 1 }, instanceId: "prod" })
      expect((onProd.output as { executable_id: string }).executable_id).toBe(first.id)
      const onDevint = yield* RunPrograms.newRunWithResult(APP, { input: { value: 1 }, instanceId: "devint" })
      expect((onDevint.output as { executable_id: string }).executable_id).toBe(second.id)
    }).pipe(Effect.provide(servicesLayer())))
})

describe("Ensembles", () => {
  it.effect("creates with all five keys; name defaults to id and description to name", () =>
    driven(function*() {
      yield* setup
      const ensembles = yield* Ensembles.Ensembles
      const created = yield* ensembles.newEnsembleDefinition(APP, { runGroups, rules })
      expect(created.id).toMatch(/^ensemble-[a-z0-9]{8}$/)
      expect(created.name).toBe(created.id)
      expect(created.description).toBe(created.id)
      expect(created.run_groups).toEqual(runGroups)
      expect(created.rules[0]!.tolerance).toEqual({ value: 0.05, type: "relative" })
      const named = yield* ensembles.newEnsembleDefinition(APP, { id: "sweep", name: "Solver sweep", runGroups, rules })
      expect(named.description).toBe("Solver sweep")
      const [first, second] = yield* wire
      expect(first!.method).toBe("POST")
      expect(first!.path).toBe(`/v1/applications/${APP}/ensembles`)
      expect(second!.body).toEqual({
        id: "sweep",
        run_groups: runGroups,
        rules,
        name: "Solver sweep",
        description: "Solver sweep"
      })
      expect((yield* ensembles.ensembleDefinition(APP, "sweep")).name).toBe("Solver sweep")
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("update is a PATCH with only the given keys; neither given is rejected", () =>
    driven(function*() {
      const { emulator } = yield* setup
      const ensembles = yield* Ensembles.Ensembles
      yield* ensembles.newEnsembleDefinition(APP, { id: "sweep", name: "A", description: "B", runGroups, rules })
      yield* emulator.clearRequests
      const renamed = yield* ensembles.updateEnsembleDefinition(APP, "sweep", { name: "Renamed" })
      expect(renamed.name).toBe("Renamed")
      expect(renamed.description).toBe("B")
      expect(yield* wire).toEqual([
        { method: "PATCH", path: `/v1/applications/${APP}/ensembles/sweep`, query: {}, body: { name: "Renamed" } }
      ])
      expectInvalid(
        yield* failureOf(ensembles.updateEnsembleDefinition(APP, "sweep", {})),
        "Ensembles.updateEnsembleDefinition",
        "Must define at least one value among name and description to modify"
      )
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("empty run groups or rules are rejected before any request", () =>
    driven(function*() {
      yield* setup
      const ensembles = yield* Ensembles.Ensembles
      expectInvalid(
        yield* failureOf(ensembles.newEnsembleDefinition(APP, { runGroups: [], rules })),
        "Ensembles.newEnsembleDefinition",
        "at least one run group must be defined to create an ensemble definition"
      )
      expectInvalid(
        yield* failureOf(ensembles.newEnsembleDefinition(APP, { runGroups, rules: [] })),
        "Ensembles.newEnsembleDefinition",
        "at least one evaluation rule must be defined to create an ensemble definition"
      )
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("lists follow pages; noPagination sends one plain GET; the stream yields every item", () =>
    driven(function*() {
      const { emulator } = yield* setup
      const ensembles = yield* Ensembles.Ensembles
      for (const id of ["e1", "e2", "e3", "e4", "e5"]) {
        yield* ensembles.newEnsembleDefinition(APP, { id, runGroups, rules })
      }
      yield* emulator.clearRequests
      expect((yield* ensembles.listEnsembleDefinitions(APP)).map((e) => e.id)).toEqual(["e1", "e2", "e3", "e4", "e5"])
      expect((yield* wire).map((r) => r.query)).toEqual([
        { pagereturn: "true" },
        { pagereturn: "true", pagetoken: "2" },
        { pagereturn: "true", pagetoken: "4" }
      ])
      yield* emulator.clearRequests
      const single = yield* ensembles.listEnsembleDefinitions(APP, { noPagination: true })
      expect(single).toHaveLength(5)
      expect(yield* wire).toEqual([{ method: "GET", path: `/v1/applications/${APP}/ensembles`, query: {}, body: undefined }])
      const streamed = yield* Stream.runCollect(ensembles.streamEnsembleDefinitions(APP))
      expect(Chunk.toReadonlyArray(streamed).map((e) => e.id)).toEqual(["e1", "e2", "e3", "e4", "e5"])
      yield* ensembles.deleteEnsembleDefinition(APP, "e1")
      const gone = yield* ensembles.ensembleDefinition(APP, "e1").pipe(failureOf)
      expect((gone as NextmvHttpError).status).toBe(404)
    }).pipe(Effect.provide(servicesLayer({ resources: { pageSize: 2 } }))))
})

describe("Secrets", () => {
  const VALUE = "sk-live-123"
  const FILE = "WLSACCESSID=abc\nWLSSECRET=s3cr3t-file\n"

  it.effect("creates with clear values on the wire only; reads values as Redacted", () =>
    driven(function*() {
      yield* setup
      const secrets = yield* Secrets.Secrets
      const summary = yield* secrets.newSecretsCollection(APP, {
        secrets: [
          { type: "env", location: "PROVIDER_API_KEY", value: Redacted.make(VALUE) },
          Secret.from({ type: "file", location: "gurobi.lic", value: FILE })
        ],
        description: "licences"
      })
      expect(summary.id).toMatch(/^secrets-[a-z0-9]{8}$/)
      expect(summary.name).toBe(summary.id)
      expect("secrets" in summary).toBe(false)
      expect((yield* wire)[0]).toEqual({
        method: "POST",
        path: `/v1/applications/${APP}/secrets`,
        query: {},
        body: {
          id: summary.id,
          name: summary.id,
          secrets: [
            { type: "env", location: "PROVIDER_API_KEY", value: VALUE },
            { type: "file", location: "gurobi.lic", value: FILE }
          ],
          description: "licences"
        }
      })
      const collection = yield* secrets.secretsCollection(APP, summary.id)
      expect(collection.secrets.map((s) => Redacted.value(s.value))).toEqual([VALUE, FILE])
      expect(Redacted.isRedacted(collection.secrets[0]!.value)).toBe(true)
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("a collection never shows its values in String, JSON, logs or error messages", () =>
    driven(function*() {
      const { emulator } = yield* setup
      const secrets = yield* Secrets.Secrets
      yield* secrets.newSecretsCollection(APP, { id: "lic", secrets: [{ type: "env", location: "K", value: VALUE }] })
      const collection = yield* secrets.secretsCollection(APP, "lic")
      expect(String(collection)).not.toContain(VALUE)
      expect(String(collection.secrets[0])).toContain("<redacted>")
      expect(JSON.stringify(collection)).not.toContain(VALUE)
      expect(JSON.stringify(collection.secrets)).toContain("<redacted>")
      const lines: Array<string> = []
      const capture = Logger.replace(
        Logger.defaultLogger,
        Logger.make((options) => void lines.push(Logger.logfmtLogger.log(options)))
      )
      yield* Effect.log("collection", collection).pipe(Effect.provide(capture))
      yield* Effect.logError(collection.secrets).pipe(Effect.provide(capture))
      expect(lines).toHaveLength(2)
      expect(lines.join("\n")).not.toContain(VALUE)
      // A failed update: neither the typed error nor its message carries a value.
      yield* emulator.injectFault({ method: "PUT", path: `/v1/applications/${APP}/secrets/lic`, action: FaultAction.status(500) })
      const error = yield* secrets.updateSecretsCollection(APP, "lic", {
        secrets: [{ type: "env", location: "K", value: "sk-live-456" }]
      }).pipe(failureOf)
      expect(error).toBeInstanceOf(NextmvHttpError)
      expect(error.message).not.toContain("sk-live")
      expect(JSON.stringify(error)).not.toContain("sk-live")
      expect(String(error)).not.toContain("sk-live")
    }).pipe(Effect.provide(servicesLayer({ client: { retry: { retries: 0 } } }))))

  it.effect("update PUTs the full collection; a non-empty list replaces secrets, [] keeps them", () =>
    driven(function*() {
      const { emulator } = yield* setup
      const secrets = yield* Secrets.Secrets
      const created = yield* secrets.newSecretsCollection(APP, {
        id: "lic",
        name: "Licences",
        secrets: [{ type: "env", location: "K", value: VALUE }]
      })
      yield* emulator.clearRequests
      yield* secrets.updateSecretsCollection(APP, "lic", { description: "kept secrets", secrets: [] })
      expect((yield* wire)[1]).toEqual({
        method: "PUT",
        path: `/v1/applications/${APP}/secrets/lic`,
        query: {},
        body: {
          id: "lic",
          application_id: APP,
          name: "Licences",
          description: "kept secrets",
          created_at: DateTime.formatIso(created.created_at),
          updated_at: DateTime.formatIso(created.updated_at),
          secrets: [{ type: "env", location: "K", value: VALUE }]
        }
      })
      const replaced = yield* secrets.updateSecretsCollection(APP, "lic", {
        secrets: [{ type: "file", location: "a.lic", value: "new" }]
      })
      expect(replaced.description).toBe("kept secrets")
      const now = yield* secrets.secretsCollection(APP, "lic")
      expect(now.secrets.map((s) => [s.type, s.location, Redacted.value(s.value)])).toEqual([["file", "a.lic", "new"]])
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("lists summaries page by page and as a stream; delete; validation", () =>
    driven(function*() {
      const { emulator } = yield* setup
      const secrets = yield* Secrets.Secrets
      for (const id of ["s1", "s2", "s3"]) {
        yield* secrets.newSecretsCollection(APP, { id, secrets: [{ type: "env", location: "K", value: VALUE }] })
      }
      yield* emulator.clearRequests
      const listed = yield* secrets.listSecretsCollections(APP)
      expect(listed.map((s) => s.id)).toEqual(["s1", "s2", "s3"])
      expect((yield* wire).map((r) => r.query)).toEqual([{ pagereturn: "true" }, { pagereturn: "true", pagetoken: "2" }])
      expect(yield* secrets.listSecretsCollections(APP, { noPagination: true })).toHaveLength(3)
      expect(Chunk.size(yield* Stream.runCollect(secrets.streamSecretsCollections(APP)))).toBe(3)
      yield* secrets.deleteSecretsCollection(APP, "s1")
      const gone = yield* secrets.secretsCollection(APP, "s1").pipe(failureOf)
      expect((gone as NextmvHttpError).status).toBe(404)
      yield* emulator.clearRequests
      expectInvalid(
        yield* failureOf(secrets.newSecretsCollection(APP, { secrets: [] })),
        "Secrets.newSecretsCollection",
        "secrets must be provided"
      )
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(servicesLayer({ resources: { pageSize: 2 } }))))
})

describe("Applications default instance (used by push)", () => {
  it.effect("an app's default instance can point at a created instance", () =>
    driven(function*() {
      yield* setup
      yield* (yield* Versions.Versions).newVersion(APP, { id: "v1" })
      yield* (yield* Instances.Instances).newInstance(APP, "v1", { id: "prod" })
      const app = yield* (yield* Applications.Applications).updateApplication(APP, { defaultInstanceId: "prod" })
      expect(app.defaultInstanceId).toBe("prod")
    }).pipe(Effect.provide(servicesLayer())))
})

describe("wire contract of every read and delete (spec §3–§6 tables)", () => {
  it.effect("methods, paths (ids percent-encoded), no query, no body", () =>
    driven(function*() {
      const { emulator } = yield* setup
      const versions = yield* Versions.Versions
      const instances = yield* Instances.Instances
      const ensembles = yield* Ensembles.Ensembles
      const secrets = yield* Secrets.Secrets
      const id = "a b/c"
      const calls = [
        instances.instance(APP, id),
        instances.listInstances(APP),
        instances.deleteInstance(APP, id),
        versions.version(APP, id),
        versions.listVersions(APP),
        versions.deleteVersion(APP, id),
        ensembles.ensembleDefinition(APP, id),
        ensembles.deleteEnsembleDefinition(APP, id),
        secrets.secretsCollection(APP, id),
        secrets.deleteSecretsCollection(APP, id)
      ]
      for (const call of calls) yield* Effect.ignore(call)
      const base = `/v1/applications/${APP}`
      const enc = "a%20b%2Fc"
      expect(yield* wire).toEqual([
        { method: "GET", path: `${base}/instances/${enc}`, query: {}, body: undefined },
        { method: "GET", path: `${base}/instances`, query: {}, body: undefined },
        { method: "DELETE", path: `${base}/instances/${enc}`, query: {}, body: undefined },
        { method: "GET", path: `${base}/versions/${enc}`, query: {}, body: undefined },
        { method: "GET", path: `${base}/versions`, query: {}, body: undefined },
        { method: "DELETE", path: `${base}/versions/${enc}`, query: {}, body: undefined },
        { method: "GET", path: `${base}/ensembles/${enc}`, query: {}, body: undefined },
        { method: "DELETE", path: `${base}/ensembles/${enc}`, query: {}, body: undefined },
        { method: "GET", path: `${base}/secrets/${enc}`, query: {}, body: undefined },
        { method: "DELETE", path: `${base}/secrets/${enc}`, query: {}, body: undefined }
      ])
      // The emulator answers reads of unknown ids with 404 and the list shapes of §1.5.
      expect(yield* instances.listInstances(APP)).toEqual([])
      expect(yield* versions.listVersions(APP)).toEqual([])
      const raw = yield* Effect.promise(() =>
        Promise.all(["instances", "versions", "ensembles", "secrets"].map((area) =>
          fetch(`${emulator.url}${base}/${area}`, { headers: { authorization: "Bearer emulator-api-key" } }).then((r) => r.json())
        ))
      )
      expect(raw).toEqual([[], [], { items: [] }, { items: [] }])
    }).pipe(Effect.provide(servicesLayer())))
})

describe("Secrets decoding never quotes received values", () => {
  it.effect("a malformed collection fails with a NextmvDecodeError naming paths only", () =>
    driven(function*() {
      const { emulator } = yield* setup
      const secrets = yield* Secrets.Secrets
      yield* emulator.injectFault({
        method: "GET",
        path: `/v1/applications/${APP}/secrets/lic`,
        action: FaultAction.status(200, {
          body: { id: "lic", application_id: APP, name: "n", secrets: "sk-live-999", created_at: "2025-03-09T10:15:00Z" }
        })
      })
      const error = yield* secrets.secretsCollection(APP, "lic").pipe(failureOf)
      expect(error._tag).toBe("NextmvDecodeError")
      expect(error.message).toContain(`["secrets"]`)
      expect(error.message).toContain(`["updated_at"]: Missing`)
      expect(error.message).not.toContain("sk-live-999")
      expect(JSON.stringify(error)).not.toContain("sk-live-999")
    }).pipe(Effect.provide(servicesLayer())))
})

// The four resources share these shapes: one table instead of a copy per resource.
type ResourceServices = Versions.Versions | Instances.Instances | Ensembles.Ensembles | Secrets.Secrets
type Call = Effect.Effect<unknown, unknown, ResourceServices>

interface ResourceCase {
  readonly label: string
  /** Creates the resource `id` (after what it needs). */
  readonly create: (id: string) => Call
  readonly get: (id: string) => Call
  readonly update: (id: string) => Call
  readonly remove: (id: string) => Call
  /** Operations called with an empty application or resource id: the call, its name, the id it names. */
  readonly emptyIds: ReadonlyArray<readonly [Call, string, RegExp]>
}

const withV1 = Effect.flatMap(Versions.Versions, (versions) => versions.newVersion(APP, { id: "v1", existOk: true }))
const onVersions = <A, E>(f: (s: Versions.Versions["Type"]) => Effect.Effect<A, E>) => Effect.flatMap(Versions.Versions, f)
const onInstances = <A, E>(f: (s: Instances.Instances["Type"]) => Effect.Effect<A, E>) => Effect.flatMap(Instances.Instances, f)
const onEnsembles = <A, E>(f: (s: Ensembles.Ensembles["Type"]) => Effect.Effect<A, E>) => Effect.flatMap(Ensembles.Ensembles, f)
const onSecrets = <A, E>(f: (s: Secrets.Secrets["Type"]) => Effect.Effect<A, E>) => Effect.flatMap(Secrets.Secrets, f)

const resourceCases: ReadonlyArray<ResourceCase> = [
  {
    label: "versions",
    create: (id) => onVersions((v) => v.newVersion(APP, { id })),
    get: (id) => onVersions((v) => v.version(APP, id)),
    update: (id) => onVersions((v) => v.updateVersion(APP, id, { name: "x" })),
    remove: (id) => onVersions((v) => v.deleteVersion(APP, id)),
    emptyIds: [
      [onVersions((v) => v.version(APP, "")), "Versions.version", /versionId/],
      [onVersions((v) => v.listVersions("")), "Versions.listVersions", /appId/],
      [onVersions((v) => v.updateVersion(APP, " ")), "Versions.updateVersion", /versionId/],
      [onVersions((v) => v.deleteVersion("", "v1")), "Versions.deleteVersion", /appId/],
      [onVersions((v) => v.versionExists(APP, "")), "Versions.versionExists", /versionId/]
    ]
  },
  {
    label: "instances",
    create: (id) => Effect.zipRight(withV1, onInstances((i) => i.newInstance(APP, "v1", { id }))),
    get: (id) => onInstances((i) => i.instance(APP, id)),
    update: (id) => onInstances((i) => i.updateInstance(APP, id, { name: "x" })),
    remove: (id) => onInstances((i) => i.deleteInstance(APP, id)),
    emptyIds: [
      [onInstances((i) => i.newInstance(APP, "")), "Instances.newInstance", /versionId/],
      [onInstances((i) => i.instance(APP, "")), "Instances.instance", /instanceId/],
      [onInstances((i) => i.instanceExists("", "x")), "Instances.instanceExists", /appId/],
      [onInstances((i) => i.listInstances("")), "Instances.listInstances", /appId/],
      [onInstances((i) => i.deleteInstance(APP, "")), "Instances.deleteInstance", /instanceId/]
    ]
  },
  {
    label: "ensemble definitions",
    create: (id) => onEnsembles((e) => e.newEnsembleDefinition(APP, { id, runGroups, rules })),
    get: (id) => onEnsembles((e) => e.ensembleDefinition(APP, id)),
    update: (id) => onEnsembles((e) => e.updateEnsembleDefinition(APP, id, { description: "x" })),
    remove: (id) => onEnsembles((e) => e.deleteEnsembleDefinition(APP, id)),
    emptyIds: [
      [onEnsembles((e) => e.ensembleDefinition(APP, "")), "Ensembles.ensembleDefinition", /ensembleDefinitionId/],
      [onEnsembles((e) => e.deleteEnsembleDefinition("", "x")), "Ensembles.deleteEnsembleDefinition", /appId/],
      [onEnsembles((e) => e.listEnsembleDefinitions("")), "Ensembles.listEnsembleDefinitions", /appId/]
    ]
  },
  {
    label: "secrets collections",
    create: (id) => onSecrets((s) => s.newSecretsCollection(APP, { id, secrets: [{ type: "env", location: "K", value: "v" }] })),
    get: (id) => onSecrets((s) => s.secretsCollection(APP, id)),
    update: (id) => onSecrets((s) => s.updateSecretsCollection(APP, id, { name: "x" })),
    remove: (id) => onSecrets((s) => s.deleteSecretsCollection(APP, id)),
    emptyIds: [
      [onSecrets((s) => s.secretsCollection(APP, "")), "Secrets.secretsCollection", /secretsCollectionId/],
      [onSecrets((s) => s.updateSecretsCollection("", "x")), "Secrets.updateSecretsCollection", /appId/],
      [onSecrets((s) => s.deleteSecretsCollection(APP, "")), "Secrets.deleteSecretsCollection", /secretsCollectionId/],
      [onSecrets((s) => s.listSecretsCollections("")), "Secrets.listSecretsCollections", /appId/]
    ]
  }
]

const statusOf = (error: unknown) => (error instanceof NextmvHttpError ? error.status : error)

describe("every resource: conflicts, unknown ids and empty ids", () => {
  it.effect.each(resourceCases)(
    "$label: a taken id is 409, an unknown one 404 on update, a deleted one 404",
    (resource) =>
      driven(function*() {
        yield* setup
        yield* resource.create("taken")
        expect(statusOf(yield* failureOf(resource.create("taken")))).toBe(409)
        expect(statusOf(yield* failureOf(resource.update("nope")))).toBe(404)
        yield* resource.remove("taken")
        expect(statusOf(yield* failureOf(resource.get("taken")))).toBe(404)
        expect(statusOf(yield* failureOf(resource.remove("taken")))).toBe(404)
      }).pipe(Effect.provide(servicesLayer()))
  )

  it.effect.each(resourceCases)("$label: an empty application or resource id fails before any request", (resource) =>
    driven(function*() {
      yield* setup
      for (const [call, operation, names] of resource.emptyIds) {
        expectInvalid(yield* failureOf(call), operation, names)
      }
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))
})
