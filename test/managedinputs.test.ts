import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect } from "effect"
import { InvalidArgumentError, NextmvHttpError } from "../src/Errors.js"
import { ManagedInput } from "../src/schemas/ManagedInputs.js"
import { ManagedInputs } from "../src/services/ManagedInputs.js"
import { UploadData, Uploads } from "../src/services/Uploads.js"
import { Emulator } from "../src/testing/Emulator.js"
import { APP, appPath, experimentsLayer, seed, wire } from "./support/experiments.js"
import { Schema } from "effect"
import { driven, failureOf } from "./support/time.js"

describe("ManagedInputs against the emulator", () => {
  it.effect("creates from an upload with generated id, name = id and the default JSON format", () =>
    driven(function*() {
      yield* seed()
      const managed = yield* ManagedInputs
      const uploads = yield* Uploads
      const url = yield* uploads.uploadUrl(APP)
      yield* uploads.uploadData(url, UploadData.json({ value: 7 }))
      const input = yield* managed.newManagedInput(APP, { uploadId: url.upload_id, description: "monday" })
      expect(input.id).toMatch(/^managed-input-[a-z0-9]{8}$/)
      expect(input.name).toBe(input.id)
      expect(input.upload_id).toBe(url.upload_id)
      expect(input.format).toEqual({ input: { type: "json" }, output: { type: "json" } })
      expect(DateTime.isDateTime(input.created_at)).toBe(true)
      const emulator = yield* Emulator
      expect(JSON.parse(emulator.areas.managedInputs.get(APP, input.id)!.bytes.toString("utf8"))).toEqual({ value: 7 })
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("gets, lists, updates (GET then PUT of the whole object) and deletes", () =>
    driven(function*() {
      yield* seed({ "mi-1": { value: 1 }, "mi-2": { value: 2 } })
      const managed = yield* ManagedInputs
      expect((yield* managed.listManagedInputs(APP)).map((i) => i.id).sort()).toEqual(["mi-1", "mi-2"])
      const before = yield* managed.managedInput(APP, "mi-1")
      const emulator = yield* Emulator
      yield* emulator.clearRequests
      const updated = yield* managed.updateManagedInput(APP, "mi-1", { name: "Monday", description: "peak" })
      expect(updated.name).toBe("Monday")
      expect(updated.description).toBe("peak")
      const requests = yield* wire
      expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        `GET ${appPath("/inputs/mi-1")}`,
        `PUT ${appPath("/inputs/mi-1")}`
      ])
      // The full object goes back with the changed fields, nulls dropped (spec §7.4).
      expect(requests[1]!.body).toEqual({
        id: "mi-1",
        name: "Monday",
        description: "peak",
        format: { input: { type: "json" }, output: { type: "json" } },
        created_at: DateTime.formatIso(before.created_at!),
        updated_at: DateTime.formatIso(before.updated_at!)
      })
      yield* managed.deleteManagedInput(APP, "mi-2")
      expect((yield* managed.listManagedInputs(APP)).map((i) => i.id)).toEqual(["mi-1"])
      const missing = yield* failureOf(managed.managedInput(APP, "mi-2"))
      expect(missing).toBeInstanceOf(NextmvHttpError)
      expect((missing as NextmvHttpError).status).toBe(404)
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("creates from a run id with an explicit id, name and format (contract: POST …/inputs)", () =>
    driven(function*() {
      const emulator = yield* seed()
      const run = emulator.areas.runs.submit(APP, { input: { value: 3 } })
      if (!("id" in run)) throw new Error("run not submitted")
      yield* emulator.clearRequests
      const managed = yield* ManagedInputs
      const input = yield* managed.newManagedInput(APP, {
        id: "from-run",
        name: "From run",
        runId: run.id,
        format: { input: { type: "json" }, output: { type: "text" } }
      })
      expect(input.run_id).toBe(run.id)
      expect(input.format?.output?.type).toBe("text")
      expect(yield* wire).toEqual([{
        method: "POST",
        path: appPath("/inputs"),
        query: {},
        body: {
          id: "from-run",
          name: "From run",
          run_id: run.id,
          format: { input: { type: "json" }, output: { type: "text" } }
        }
      }])
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("invalid arguments fail before any request", () =>
    driven(function*() {
      const emulator = yield* seed()
      yield* emulator.clearRequests
      const managed = yield* ManagedInputs
      const neither = yield* failureOf(managed.newManagedInput(APP, { name: "x" }))
      expect(neither).toEqual(
        new InvalidArgumentError({
          operation: "ManagedInputs.newManagedInput",
          reason: "Either uploadId or runId must be specified"
        })
      )
      const both = yield* failureOf(managed.newManagedInput(APP, { uploadId: "u", runId: "r" }))
      expect(both.message).toContain("only one of uploadId and runId")
      expect((yield* failureOf(managed.managedInput("", "x")))._tag).toBe("InvalidArgumentError")
      expect((yield* failureOf(managed.managedInput(APP, "")))._tag).toBe("InvalidArgumentError")
      expect((yield* failureOf(managed.updateManagedInput(APP, "", {})))._tag).toBe("InvalidArgumentError")
      expect((yield* failureOf(managed.deleteManagedInput(APP, "")))._tag).toBe("InvalidArgumentError")
      expect((yield* failureOf(managed.listManagedInputs("")))._tag).toBe("InvalidArgumentError")
      expect(yield* wire).toEqual([])
    }).pipe(Effect.provide(experimentsLayer())))

  it.effect("the list is GET …/inputs (not under /experiments) and delete is DELETE …/inputs/{id}", () =>
    driven(function*() {
      const emulator = yield* seed({ "mi 1": { value: 1 } })
      yield* emulator.clearRequests
      const managed = yield* ManagedInputs
      yield* managed.listManagedInputs(APP)
      yield* managed.deleteManagedInput(APP, "mi 1").pipe(Effect.ignore)
      expect((yield* wire).map((r) => `${r.method} ${r.path}`)).toEqual([
        `GET ${appPath("/inputs")}`,
        `DELETE ${appPath("/inputs/mi%201")}`
      ])
    }).pipe(Effect.provide(experimentsLayer())))
})

describe("ManagedInput decoding", () => {
  it("accepts the legacy format key names and defaults the input type to json", () => {
    const decode = Schema.decodeUnknownSync(ManagedInput)
    expect(decode({ id: "a", format: { format_input: { input_type: "csv-archive" }, format_output: { output_type: "json" } } }).format)
      .toEqual({ input: { type: "csv-archive" }, output: { type: "json" } })
    expect(decode({ id: "a", format: {} }).format).toEqual({ input: { type: "json" } })
    expect(decode({ id: "a", format: null, name: null, unknown_field: 1 }).format).toBeUndefined()
    expect(Schema.encodeSync(ManagedInput)(decode({ id: "a", format: { input: { type: "multi-file" } } })).format)
      .toEqual({ input: { type: "multi-file" } })
  })
})
