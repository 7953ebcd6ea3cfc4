/**
 * Emulator area: managed inputs (`/v1/applications/{appId}/inputs`, nextmv-py's
 * `Application.new_managed_input` and friends). A managed input holds the bytes of an upload or
 * of a previous run's input; runs (and batch experiment runs) may name one by `input_id`, and so
 * may they name a previous run.
 */
import { randomBytes } from "node:crypto"
import type { EmulatorContext } from "../Emulator.js"
import { asObject, existingApp, isResponse, itemRoutes, nonEmptyString as str, ScopedRecords } from "./handlers.js"
import type { RunRecord } from "./runs.js"

/** A managed input as stored (wire fields plus its data). */
export interface ManagedInputRecord {
  id: string
  name: string
  description: string
  run_id?: string | undefined
  upload_id?: string | undefined
  format: { input: { type: string }; output?: { type: string } | undefined }
  created_at: string
  updated_at: string
  readonly bytes: Buffer
}

declare module "../Emulator.js" {
  interface EmulatorAreas {
    readonly managedInputs: {
      /** Stores a managed input holding `data` (JSON) directly, for test setup. */
      readonly seed: (appId: string, fields: { id: string; data: unknown; name?: string }) => ManagedInputRecord
      /** A stored managed input. */
      readonly get: (appId: string, id: string) => ManagedInputRecord | undefined
      /** Stores a managed input made from a run's input (input sets built from runs). */
      readonly fromRun: (appId: string, run: RunRecord) => ManagedInputRecord
    }
  }
}

/** Entity ids of the experiments family: 1–64 letters, digits, `.`, `_`, `-`, not starting with a sign. */
export const ENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** An 8-character random suffix for generated ids. */
export const slug = () => randomBytes(6).toString("hex").slice(0, 8)

/** Drops `undefined` fields (the API leaves absent optional fields out). */
export const clean = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T

/** The wire JSON of a managed input (its bytes stay behind). */
export const managedInputJson = (record: ManagedInputRecord) => {
  const { bytes: _bytes, ...wire } = record
  return clean(wire)
}

export const install = (ctx: EmulatorContext): void => {
  const records = new ScopedRecords<ManagedInputRecord>("managed input")
  const runsArea = ctx.areas.runs

  const store = (appId: string, fields: Omit<ManagedInputRecord, "created_at" | "updated_at">) => {
    const at = ctx.timestamp()
    return records.set(appId, fields.id, { ...fields, created_at: at, updated_at: at })
  }

  const fromRun = (appId: string, run: RunRecord): ManagedInputRecord => {
    const id = `managed-input-${slug()}`
    return store(appId, {
      id,
      name: id,
      description: `input of run ${run.id}`,
      run_id: run.id,
      format: { input: { type: run.inputFormat }, output: { type: run.outputFormat } },
      bytes: run.inputBytes
    })
  }

  // Runs name managed inputs, or previous runs, by `input_id`.
  runsArea.resolveManagedInput = (appId, inputId) => {
    const managed = records.get(appId, inputId)
    if (managed !== undefined) return { bytes: managed.bytes, format: managed.format.input.type }
    const run = runsArea.get(appId, inputId)
    return run === undefined ? undefined : { bytes: run.inputBytes, format: run.inputFormat }
  }

  Object.assign(ctx.areas, {
    managedInputs: {
      seed: (appId: string, fields: { id: string; data: unknown; name?: string }) =>
        store(appId, {
          id: fields.id,
          name: fields.name ?? fields.id,
          description: "",
          format: { input: { type: "json" }, output: { type: "json" } },
          bytes: Buffer.from(JSON.stringify(fields.data), "utf8")
        }),
      get: (appId: string, id: string) => records.get(appId, id),
      fromRun
    }
  })

  ctx.route("GET", "/v1/applications/:appId/inputs", (request) => {
    const appId = existingApp(ctx, request.params["appId"]!)
    if (isResponse(appId)) return appId
    return ctx.ok(records.ofApp(appId).map(managedInputJson))
  })

  ctx.route("POST", "/v1/applications/:appId/inputs", (request) => {
    const appId = existingApp(ctx, request.params["appId"]!)
    if (isResponse(appId)) return appId
    const body = asObject(request.json())
    const id = str(body["id"])
    if (id === undefined || !ENTITY_ID.test(id)) return ctx.apiError(400, "id is required")
    if (records.has(appId, id)) return ctx.apiError(409, `managed input ${id} already exists`)
    const uploadId = str(body["upload_id"])
    const runId = str(body["run_id"])
    if ((uploadId === undefined) === (runId === undefined)) {
      return ctx.apiError(400, "exactly one of upload_id and run_id is required")
    }
    const format = asObject(body["format"])
    const inputType = str(asObject(format["input"])["type"]) ?? "json"
    const outputType = str(asObject(format["output"])["type"])
    let bytes: Buffer
    if (uploadId !== undefined) {
      const uploaded = ctx.blobs.uploaded(uploadId)
      if (uploaded === undefined) return ctx.apiError(400, `upload ${uploadId} not found or nothing was uploaded`)
      if (inputType === "json") {
        try {
          JSON.parse(uploaded.toString("utf8"))
        } catch {
          return ctx.apiError(400, "the uploaded input is not valid JSON")
        }
      }
      bytes = uploaded
    } else {
      const run = runsArea.get(appId, runId!)
      if (run === undefined) return ctx.apiError(404, `run ${runId} not found`)
      bytes = run.inputBytes
    }
    const record = store(appId, {
      id,
      name: str(body["name"]) ?? id,
      description: typeof body["description"] === "string" ? body["description"] : "",
      upload_id: uploadId,
      run_id: runId,
      format: { input: { type: inputType }, ...(outputType !== undefined ? { output: { type: outputType } } : {}) },
      bytes
    })
    return ctx.ok(managedInputJson(record))
  })

  itemRoutes(ctx, {
    path: "/v1/applications/:appId/inputs/:inputId",
    param: "inputId",
    records,
    json: managedInputJson,
    update: { method: "PUT" }
  })
}
