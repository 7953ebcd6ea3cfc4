/**
 * Emulator area: input sets (`/v1/applications/{appId}/experiments/inputsets`, nextmv-py's
 * `Application.new_input_set` and friends): lists of managed inputs, created from managed inputs,
 * from run ids, or from an instance's succeeded runs in a time window.
 *
 * Interpretations where the public sources are silent: a set built from runs gets one managed
 * input per run (with `run_id` set); `PUT` honours `inputs` over the old `input_ids` (nextmv-py's
 * `update_input_set` sends both).
 */
import type { EmulatorContext, EmulatorResponse } from "../Emulator.js"
import { asObject, existingApp, isResponse, itemRoutes, nonEmptyString as str, ScopedRecords } from "./handlers.js"
import { ENTITY_ID, managedInputJson } from "./managedInputs.js"
import type { RunRecord } from "./runs.js"

/** An input set as stored. */
export interface InputSetRecord {
  id: string
  app_id: string
  name: string
  description: string
  input_ids: Array<string>
  created_at: string
  updated_at: string
}

declare module "../Emulator.js" {
  interface EmulatorAreas {
    readonly inputSets: {
      /** Stores an input set of existing managed inputs directly, for test setup. */
      readonly seed: (appId: string, fields: { id: string; inputIds: ReadonlyArray<string>; name?: string }) => InputSetRecord
      /** A stored input set. */
      readonly get: (appId: string, id: string) => InputSetRecord | undefined
    }
  }
}

/** The most inputs an input set holds. */
const MAX_INPUTS = 20

export const install = (ctx: EmulatorContext): void => {
  const records = new ScopedRecords<InputSetRecord>("input set")
  const runsArea = ctx.areas.runs
  const managedInputs = ctx.areas.managedInputs

  const store = (appId: string, fields: Omit<InputSetRecord, "app_id" | "created_at" | "updated_at">) => {
    const at = ctx.timestamp()
    return records.set(appId, fields.id, { ...fields, app_id: appId, created_at: at, updated_at: at })
  }

  Object.assign(ctx.areas, {
    inputSets: {
      seed: (appId: string, fields: { id: string; inputIds: ReadonlyArray<string>; name?: string }) =>
        store(appId, { id: fields.id, name: fields.name ?? fields.id, description: "", input_ids: [...fields.inputIds] }),
      get: (appId: string, id: string) => records.get(appId, id)
    }
  })

  const inputSetJson = (record: InputSetRecord) => ({
    ...record,
    inputs: record.input_ids.flatMap((id) => {
      const managed = managedInputs.get(record.app_id, id)
      return managed === undefined ? [] : [managedInputJson(managed)]
    })
  })

  /** Resolves the `inputs` list of a request body to managed input ids. */
  const inputIdsOf = (appId: string, inputs: unknown): Array<string> | EmulatorResponse => {
    if (!Array.isArray(inputs)) return ctx.apiError(400, "inputs must be a list")
    const ids: Array<string> = []
    for (const input of inputs) {
      const id = str(asObject(input)["id"])
      if (id === undefined) return ctx.apiError(400, "every input needs an id")
      if (managedInputs.get(appId, id) === undefined) return ctx.apiError(404, `managed input ${id} not found`)
      ids.push(id)
    }
    return ids.length > MAX_INPUTS ? ctx.apiError(400, `an input set holds at most ${MAX_INPUTS} inputs`) : ids
  }

  /** The managed inputs of a set built from runs: listed run ids, or an instance's time window. */
  const inputIdsFromRuns = (appId: string, body: Record<string, unknown>): Array<string> | EmulatorResponse => {
    let runs: Array<RunRecord>
    if (body["run_ids"] !== undefined) {
      const runIds = body["run_ids"]
      if (!Array.isArray(runIds)) return ctx.apiError(400, "run_ids must be a list")
      runs = []
      for (const runId of runIds) {
        const run = typeof runId === "string" ? runsArea.get(appId, runId) : undefined
        if (run === undefined) return ctx.apiError(404, `run ${String(runId)} not found`)
        runs.push(run)
      }
    } else {
      const app = ctx.applications.get(appId)
      const instanceId = str(body["instance_id"]) ?? app?.default_instance ?? "devint"
      const start = str(body["start_time"]) === undefined ? -Infinity : Date.parse(body["start_time"] as string)
      const end = str(body["end_time"]) === undefined ? Infinity : Date.parse(body["end_time"] as string)
      if (Number.isNaN(start) || Number.isNaN(end)) return ctx.apiError(400, "start_time and end_time must be RFC 3339")
      const maximum = typeof body["maximum_runs"] === "number" ? body["maximum_runs"] : MAX_INPUTS
      runs = runsArea.list(appId).filter((run) =>
        run.instanceId === instanceId && run.createdAt >= start && run.createdAt <= end &&
        runsArea.status(run) === "succeeded"
      ).slice(0, maximum)
      if (runs.length === 0) return ctx.apiError(400, `no runs of instance ${instanceId} in the time window`)
    }
    if (runs.length > MAX_INPUTS) return ctx.apiError(400, `an input set holds at most ${MAX_INPUTS} inputs`)
    return runs.map((run) => managedInputs.fromRun(appId, run).id)
  }

  ctx.route("GET", "/v1/applications/:appId/experiments/inputsets", (request) => {
    const appId = existingApp(ctx, request.params["appId"]!)
    if (isResponse(appId)) return appId
    return ctx.ok(records.ofApp(appId).map(inputSetJson))
  })

  ctx.route("POST", "/v1/applications/:appId/experiments/inputsets", (request) => {
    const appId = existingApp(ctx, request.params["appId"]!)
    if (isResponse(appId)) return appId
    const body = asObject(request.json())
    const id = str(body["id"])
    if (id === undefined || !ENTITY_ID.test(id)) return ctx.apiError(400, "id is required")
    if (records.has(appId, id)) return ctx.apiError(409, `input set ${id} already exists`)
    const inputIds = body["inputs"] !== undefined ? inputIdsOf(appId, body["inputs"]) : inputIdsFromRuns(appId, body)
    if (isResponse(inputIds)) return inputIds
    const record = store(appId, {
      id,
      name: str(body["name"]) ?? id,
      description: typeof body["description"] === "string" ? body["description"] : "",
      input_ids: inputIds
    })
    return ctx.ok(inputSetJson(record))
  })

  itemRoutes(ctx, {
    path: "/v1/applications/:appId/experiments/inputsets/:inputSetId",
    param: "inputSetId",
    records,
    json: inputSetJson,
    update: {
      method: "PUT",
      apply: (record, body) => {
        if (body["inputs"] === undefined) return undefined
        const ids = inputIdsOf(record.app_id, body["inputs"])
        if (isResponse(ids)) return ids
        record.input_ids = ids
        return undefined
      }
    }
  })
}
