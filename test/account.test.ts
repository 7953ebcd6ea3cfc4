import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect } from "effect"
import { InvalidArgumentError, NextmvHttpError } from "../src/Errors.js"
import { Integration } from "../src/schemas/Account.js"
import * as Accounts from "../src/services/Accounts.js"
import * as Integrations from "../src/services/Integrations.js"
import * as Runs from "../src/services/Runs.js"
import { Emulator } from "../src/testing/Emulator.js"
import { servicesLayer } from "./support/layers.js"

const wire = Effect.flatMap(Emulator, (e) => e.requests).pipe(
  Effect.map((requests) => requests.map((r) => ({ method: r.method, path: r.path, query: r.query, body: r.json })))
)

const setup = Effect.gen(function*() {
  const emulator = yield* Emulator
  emulator.areas.applications.seed({ id: "routing-app" })
  emulator.areas.applications.seed({ id: "pricing-app" })
  yield* emulator.clearRequests
  return {
    emulator,
    accounts: yield* Accounts.Accounts,
    integrations: yield* Integrations.Integrations
  }
})

const expectInvalid = (error: unknown, operation: string, reason: string) => {
  expect(error).toBeInstanceOf(InvalidArgumentError)
  expect((error as InvalidArgumentError).operation).toBe(operation)
  expect((error as InvalidArgumentError).reason).toBe(reason)
}

describe("Accounts", () => {
  it.live("newAccount POSTs {name, admins}; get, update (GET + PUT of the whole account), delete", () =>
    Effect.gen(function*() {
      const { accounts } = yield* setup
      const created = yield* accounts.newAccount({ name: "Acme", admins: ["ops@acme.test"] })
      expect(created.accountId).toMatch(/^org-/)
      expect(created.members).toEqual([{ email: "ops@acme.test", role: "admin", pending_invite: true }])
      const id = created.accountId!
      expect((yield* accounts.account(id)).name).toBe("Acme")
      const renamed = yield* accounts.updateAccount(id, { name: "Acme Logistics" })
      expect(renamed.name).toBe("Acme Logistics")
      yield* accounts.deleteAccount(id)
      const gone = yield* accounts.account(id).pipe(Effect.flip)
      expect((gone as NextmvHttpError).status).toBe(404)
      expect(yield* wire).toEqual([
        { method: "POST", path: "/v1/organization", query: {}, body: { name: "Acme", admins: ["ops@acme.test"] } },
        { method: "GET", path: `/v1/organization/${id}`, query: {}, body: undefined },
        { method: "GET", path: `/v1/organization/${id}`, query: {}, body: undefined },
        {
          method: "PUT",
          path: `/v1/organization/${id}`,
          query: {},
          body: {
            id,
            name: "Acme Logistics",
            members: [{ email: "ops@acme.test", role: "admin", pending_invite: true }]
          }
        },
        { method: "DELETE", path: `/v1/organization/${id}`, query: {}, body: undefined },
        { method: "GET", path: `/v1/organization/${id}`, query: {}, body: undefined }
      ])
    }).pipe(Effect.provide(servicesLayer())))

  it.live("an account read with account_id instead of id keeps its id", () =>
    Effect.gen(function*() {
      const { accounts, emulator } = yield* setup
      emulator.areas.account.seedAccount({ id: "acme", name: "Acme", members: [] })
      yield* emulator.injectFault({
        path: "/v1/organization/acme",
        action: { _tag: "Status", status: 200, body: { account_id: "acme", name: "Acme" } }
      })
      expect((yield* accounts.account("acme")).accountId).toBe("acme")
    }).pipe(Effect.provide(servicesLayer())))

  it.live("no admin: InvalidArgumentError before any request", () =>
    Effect.gen(function*() {
      const { accounts } = yield* setup
      const error = yield* accounts.newAccount({ name: "Acme", admins: [] }).pipe(Effect.flip)
      expectInvalid(error, "Accounts.newAccount", "at least one admin email must be provided to create an account")
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))

  it.live("queue (deprecated) lists the queued and running runs of every application", () => {
    let now = Date.parse("2026-01-22T09:00:00Z")
    return Effect.gen(function*() {
      const { accounts, emulator } = yield* setup
      const runs = yield* Runs.Runs
      const done = yield* runs.newRun("routing-app", { input: { value: 0 } })
      now += 60_000 // `done` has finished by now
      const a = yield* runs.newRun("routing-app", { input: { value: 1 }, instanceId: "prod" })
      now += 1
      const b = yield* runs.newRun("pricing-app", { input: { value: 2 } })
      yield* emulator.clearRequests
      const queue = yield* accounts.queue()
      expect(queue.runs.map((r) => [r.id, r.application_id, r.status_v2])).toEqual([
        [a, "routing-app", "queued"],
        [b, "pricing-app", "queued"]
      ])
      expect(queue.runs.map((r) => r.id)).not.toContain(done)
      expect(queue.runs[0]!.execution_class).toBe("6c9500mb870s")
      expect(yield* wire).toEqual([{ method: "GET", path: "/v1/account/queue", query: {}, body: undefined }])
    }).pipe(Effect.provide(servicesLayer({ now: () => now })))
  })
})

describe("Integrations", () => {
  const base = {
    integrationType: "runtime",
    execTypes: ["python"],
    provider: "dbx",
    providerConfig: { workspace_url: "https://dbc-1.cloud.databricks.com" }
  } as const

  it.live("newIntegration POSTs nextmv-py's body in its key order; generated id, name = id", () =>
    Effect.gen(function*() {
      const { integrations, emulator } = yield* setup
      const created = yield* integrations.newIntegration({ ...base, applicationIds: ["routing-app"], description: "prod" })
      expect(created).toBeInstanceOf(Integration)
      expect(created.id).toMatch(/^integration-[a-z0-9]{8}$/)
      expect(created.name).toBe(created.id)
      expect(created.global).toBe(false)
      expect(yield* wire).toEqual([{
        method: "POST",
        path: "/v1/integrations",
        query: {},
        body: {
          id: created.id,
          name: created.id,
          global: false,
          type: "runtime",
          exec_types: ["python"],
          provider: "dbx",
          provider_config: { workspace_url: "https://dbc-1.cloud.databricks.com" },
          description: "prod",
          application_ids: ["routing-app"]
        }
      }])
      const raw = JSON.parse((yield* emulator.requests)[0]!.body.toString("utf8"))
      expect(Object.keys(raw)).toEqual([
        "id",
        "name",
        "global",
        "type",
        "exec_types",
        "provider",
        "provider_config",
        "description",
        "application_ids"
      ])
      const global = yield* integrations.newIntegration({ ...base, id: "dbx-global", name: "", isGlobal: true })
      expect(global.global).toBe(true)
      expect((yield* wire)[1]!.body).toEqual({
        id: "dbx-global",
        name: "dbx-global",
        global: true,
        type: "runtime",
        exec_types: ["python"],
        provider: "dbx",
        provider_config: { workspace_url: "https://dbc-1.cloud.databricks.com" }
      })
    }).pipe(Effect.provide(servicesLayer())))

  it.live("global/application rule, enums: InvalidArgumentError before any request", () =>
    Effect.gen(function*() {
      const { integrations } = yield* setup
      const op = "Integrations.newIntegration"
      expectInvalid(
        yield* integrations.newIntegration({ ...base, isGlobal: true, applicationIds: [] }).pipe(Effect.flip),
        op,
        "An integration cannot be global and have specific application IDs."
      )
      expectInvalid(
        yield* integrations.newIntegration(base).pipe(Effect.flip),
        op,
        "A non-global integration must have specific application IDs."
      )
      expectInvalid(
        yield* integrations.newIntegration({ ...base, provider: "aws" as "dbx", isGlobal: true }).pipe(Effect.flip),
        op,
        "provider must be one of dbx, unknown (got \"aws\")"
      )
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(servicesLayer())))

  it.live("existOk returns the existing integration with one GET; get, list, delete", () =>
    Effect.gen(function*() {
      const { integrations, emulator } = yield* setup
      yield* integrations.newIntegration({ ...base, id: "dbx", name: "Original", isGlobal: true })
      yield* emulator.clearRequests
      const again = yield* integrations.newIntegration({ ...base, id: "dbx", name: "Other", isGlobal: true, existOk: true })
      expect(again.name).toBe("Original")
      const fresh = yield* integrations.newIntegration({ ...base, id: "dbx-2", isGlobal: true, existOk: true })
      expect(fresh.id).toBe("dbx-2")
      expect((yield* integrations.listIntegrations()).map((i) => i.id)).toEqual(["dbx", "dbx-2"])
      yield* integrations.deleteIntegration("dbx")
      expect((yield* integrations.integration("dbx").pipe(Effect.flip) as Effect.Effect<NextmvHttpError>).status).toBe(404)
      expect((yield* wire).map((r) => `${r.method} ${r.path}`)).toEqual([
        "GET /v1/integrations/dbx",
        "GET /v1/integrations/dbx-2",
        "POST /v1/integrations",
        "GET /v1/integrations",
        "DELETE /v1/integrations/dbx",
        "GET /v1/integrations/dbx"
      ])
    }).pipe(Effect.provide(servicesLayer())))

  it.live("update GETs then PUTs the whole integration; global is kept unless given; the rule is checked before the PUT", () =>
    Effect.gen(function*() {
      const { integrations, emulator } = yield* setup
      const created = yield* integrations.newIntegration({ ...base, id: "dbx", applicationIds: ["routing-app"] })
      yield* emulator.clearRequests
      const renamed = yield* integrations.updateIntegration("dbx", { name: "Databricks", applicationIds: ["routing-app", "pricing-app"] })
      expect(renamed.application_ids).toEqual(["routing-app", "pricing-app"])
      expect(renamed.global).toBe(false)
      const requests = yield* wire
      expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /v1/integrations/dbx", "PUT /v1/integrations/dbx"])
      expect(requests[1]!.body).toEqual({
        id: "dbx",
        name: "Databricks",
        description: "",
        global: false,
        application_ids: ["routing-app", "pricing-app"],
        type: "runtime",
        exec_types: ["python"],
        provider: "dbx",
        provider_config: { workspace_url: "https://dbc-1.cloud.databricks.com" },
        created_at: DateTime.formatIso(created.created_at!),
        updated_at: DateTime.formatIso(created.updated_at!)
      })
      yield* emulator.clearRequests
      const op = "Integrations.updateIntegration"
      expectInvalid(
        yield* integrations.updateIntegration("dbx", { isGlobal: true }).pipe(Effect.flip),
        op,
        "An integration cannot be global and have application_ids. To make an integration global, call updateIntegration(id, { isGlobal: true, applicationIds: [] })."
      )
      expectInvalid(
        yield* integrations.updateIntegration("dbx", { applicationIds: [] }).pipe(Effect.flip),
        op,
        "A non-global integration must have specific application IDs. Provide applicationIds with at least one ID, or set isGlobal: true."
      )
      expect((yield* wire).map((r) => r.method)).toEqual(["GET", "GET"])
      const global = yield* integrations.updateIntegration("dbx", { isGlobal: true, applicationIds: [] })
      expect(global.global).toBe(true)
      expect(global.application_ids).toBeUndefined()
    }).pipe(Effect.provide(servicesLayer())))
})
