/**
 * Emulator area: batch experiments and scenario tests (`/v1/applications/{appId}/experiments/batch`,
 * nextmv-py's `Application.new_batch_experiment`, `new_scenario_test` and friends). Every run is
 * submitted through the runs area, so it goes through the application's decision model; the
 * experiment is `started` until every run has ended, then `completed` (or `failed` when no run
 * succeeded). Serves the experiment, its `/runs` and `/metadata`.
 */
import type { EmulatorContext, EmulatorResponse } from "../Emulator.js"
import { asObject, existingApp, isResponse, itemRoutes, nonEmptyString as str, ScopedRecords } from "./handlers.js"
import { clean, ENTITY_ID } from "./managedInputs.js"
import type { RunRecord } from "./runs.js"

/** One run of a batch experiment: what was asked, and the run it became. */
export interface BatchRunRecord {
  readonly input_id: string
  readonly instance_id?: string | undefined
  readonly version_id?: string | undefined
  readonly option_set?: string | undefined
  readonly input_set_id?: string | undefined
  readonly scenario_id?: string | undefined
  readonly repetition?: number | undefined
  readonly runId: string
}

/** A batch experiment (or scenario test) as stored. */
export interface BatchRecord {
  readonly id: string
  readonly appId: string
  name: string
  description: string
  readonly type: string
  readonly input_set_id?: string | undefined
  readonly instance_ids?: ReadonlyArray<string> | undefined
  readonly option_sets: Readonly<Record<string, Readonly<Record<string, string>>>>
  readonly created_at: string
  updated_at: string
  readonly runs: ReadonlyArray<BatchRunRecord>
}

declare module "../Emulator.js" {
  interface EmulatorAreas {
    readonly batchExperiments: {
      /** A stored batch experiment or scenario test. */
      readonly get: (appId: string, id: string) => BatchRecord | undefined
      /** The current status of a batch experiment. */
      readonly status: (batch: BatchRecord) => string
      /** Its runs that still exist, with their current status. */
      readonly runsOf: (batch: BatchRecord) => ReadonlyArray<{ entry: BatchRunRecord; run: RunRecord; status: string }>
      /** Removes a batch experiment (its runs stay). */
      readonly delete: (appId: string, id: string) => void
    }
  }
}

export const install = (ctx: EmulatorContext): void => {
  const records = new ScopedRecords<BatchRecord>("batch experiment")
  const runsArea = ctx.areas.runs

  const runsOf = (batch: BatchRecord) =>
    batch.runs.flatMap((entry) => {
      const run = runsArea.get(batch.appId, entry.runId)
      return run === undefined ? [] : [{ entry, run, status: runsArea.status(run) }]
    })

  const isRunFinal = (status: string) => status === "succeeded" || status === "failed" || status === "canceled"

  const batchStatus = (batch: BatchRecord): string => {
    const runs = runsOf(batch)
    if (runs.some(({ status }) => !isRunFinal(status))) return "started"
    return runs.length > 0 && runs.every(({ status }) => status !== "succeeded") ? "failed" : "completed"
  }

  const informationJson = (batch: BatchRecord) => {
    const runs = runsOf(batch)
    return clean({
      id: batch.id,
      name: batch.name,
      description: batch.description,
      created_at: batch.created_at,
      updated_at: batch.updated_at,
      status: batchStatus(batch),
      type: batch.type,
      number_of_requested_runs: batch.runs.length,
      number_of_runs: runs.length,
      number_of_completed_runs: runs.filter(({ status }) => isRunFinal(status)).length,
      option_sets: batch.option_sets
    })
  }

  // nextmv-py's BatchExperiment requires `input_set_id` and `instance_ids`; an experiment created
  // from runs (scenario tests, acceptance tests) has no top-level input set, so it answers "" (the
  // API's empty value for unset strings) rather than leaving the field out.
  const batchJson = (batch: BatchRecord) =>
    clean({
      ...informationJson(batch),
      input_set_id: batch.input_set_id ?? "",
      instance_ids: batch.instance_ids ?? [...new Set(batch.runs.flatMap((r) => r.instance_id ?? []))]
    })

  const runJson = (entry: BatchRunRecord, run: RunRecord, status: string) =>
    clean({
      id: run.id,
      user_email: "emulator@nextmv.test",
      name: run.name,
      description: run.description,
      created_at: new Date(run.createdAt).toISOString(),
      application_id: run.appId,
      application_instance_id: run.instanceId,
      application_version_id: run.versionId,
      run_type: { type: run.runType },
      execution_class: "6c9500mb870s",
      runtime: "default",
      status_v2: status,
      experiment_id: run.batchExperimentId,
      input_id: entry.input_id,
      input_set_id: entry.input_set_id,
      option_set: entry.option_set,
      options: Object.keys(run.options).length > 0 ? run.options : undefined,
      scenario_id: entry.scenario_id,
      repetition: entry.repetition
    })

  interface RunRequest {
    readonly input_id: string
    readonly instance_id?: string | undefined
    readonly version_id?: string | undefined
    readonly option_set?: string | undefined
    readonly input_set_id?: string | undefined
    readonly scenario_id?: string | undefined
    readonly repetition?: number | undefined
  }

  /** Checks the requested runs; every input must resolve and every option set must exist. */
  const checkRuns = (
    appId: string,
    runs: ReadonlyArray<RunRequest>,
    optionSets: Readonly<Record<string, unknown>>
  ): EmulatorResponse | undefined => {
    for (const [index, run] of runs.entries()) {
      if (run.instance_id === undefined && run.version_id === undefined) {
        return ctx.apiError(400, `runs[${index}]: instance_id or version_id is required`)
      }
      if (runsArea.resolveManagedInput(appId, run.input_id) === undefined) {
        return ctx.apiError(404, `runs[${index}]: input ${run.input_id} not found`)
      }
      if (run.option_set !== undefined && !(run.option_set in optionSets)) {
        return ctx.apiError(400, `runs[${index}]: option set ${run.option_set} is not defined in option_sets`)
      }
      if (run.input_set_id !== undefined && ctx.areas.inputSets.get(appId, run.input_set_id) === undefined) {
        return ctx.apiError(404, `runs[${index}]: input set ${run.input_set_id} not found`)
      }
    }
    return undefined
  }

  ctx.route("GET", "/v1/applications/:appId/experiments/batch", (request) => {
    const appId = existingApp(ctx, request.params["appId"]!)
    if (isResponse(appId)) return appId
    const type = request.query["type"]
    return ctx.ok(
      records.ofApp(appId).filter((batch) => type === undefined || batch.type === type).map((batch) => ({
        ...informationJson(batch),
        app_id: appId
      }))
    )
  })

  ctx.route("POST", "/v1/applications/:appId/experiments/batch", (request) => {
    const appId = existingApp(ctx, request.params["appId"]!)
    if (isResponse(appId)) return appId
    const body = asObject(request.json())
    const id = str(body["id"])
    if (id === undefined || !ENTITY_ID.test(id)) return ctx.apiError(400, "id is required")
    if (records.has(appId, id)) return ctx.apiError(409, `batch experiment ${id} already exists`)
    const name = str(body["name"])
    if (name === undefined) return ctx.apiError(400, "name is required")
    const type = str(body["type"]) ?? "batch"
    const optionSets: Record<string, Record<string, string>> = {}
    for (const [setId, options] of Object.entries(asObject(body["option_sets"]))) {
      const values = asObject(options)
      for (const [option, value] of Object.entries(values)) {
        if (typeof value !== "string") return ctx.apiError(400, `option_sets.${setId}.${option} must be a string`)
      }
      optionSets[setId] = values as Record<string, string>
    }
    const inputSetId = str(body["input_set_id"])
    const instanceIds = Array.isArray(body["instance_ids"])
      ? body["instance_ids"].filter((x): x is string => typeof x === "string")
      : undefined
    let requested: Array<RunRequest>
    if (Array.isArray(body["runs"])) {
      requested = []
      for (const [index, raw] of body["runs"].entries()) {
        const run = asObject(raw)
        const inputId = str(run["input_id"])
        if (inputId === undefined) return ctx.apiError(400, `runs[${index}]: input_id is required`)
        const repetition = run["repetition"]
        if (repetition !== undefined && !(typeof repetition === "number" && Number.isInteger(repetition) && repetition >= 0)) {
          return ctx.apiError(400, `runs[${index}]: repetition must be a non-negative integer`)
        }
        requested.push({
          input_id: inputId,
          instance_id: str(run["instance_id"]),
          version_id: str(run["version_id"]),
          option_set: str(run["option_set"]),
          input_set_id: str(run["input_set_id"]),
          scenario_id: str(run["scenario_id"]),
          repetition: repetition as number | undefined
        })
      }
    } else if (inputSetId !== undefined && instanceIds !== undefined && instanceIds.length > 0) {
      // The older form: every input of the set on every instance, expanded by the server.
      const set = ctx.areas.inputSets.get(appId, inputSetId)
      if (set === undefined) return ctx.apiError(404, `input set ${inputSetId} not found`)
      requested = instanceIds.flatMap((instanceId) =>
        set.input_ids.map((inputId) => ({ input_id: inputId, instance_id: instanceId, input_set_id: inputSetId }))
      )
    } else {
      return ctx.apiError(400, "either runs, or input_set_id with instance_ids, is required")
    }
    if (requested.length === 0) return ctx.apiError(400, "a batch experiment needs at least one run")
    const problem = checkRuns(appId, requested, optionSets)
    if (problem !== undefined) return problem
    const entries: Array<BatchRunRecord> = []
    for (const run of requested) {
      const submitted = runsArea.submit(appId, {
        inputId: run.input_id,
        instanceId: run.instance_id,
        options: run.option_set === undefined ? {} : optionSets[run.option_set],
        batchExperimentId: id
      })
      if (isResponse(submitted)) return submitted
      entries.push({ ...run, runId: submitted.id })
    }
    const at = ctx.timestamp()
    const batch: BatchRecord = {
      id,
      appId,
      name,
      description: typeof body["description"] === "string" ? body["description"] : "",
      type,
      input_set_id: inputSetId,
      instance_ids: instanceIds,
      option_sets: optionSets,
      created_at: at,
      updated_at: at,
      runs: entries
    }
    records.set(appId, id, batch)
    return ctx.ok(batchJson(batch), 201)
  })

  itemRoutes(ctx, {
    path: "/v1/applications/:appId/experiments/batch/:batchId",
    param: "batchId",
    records,
    json: batchJson,
    update: { method: "PATCH", json: informationJson }
  })

  ctx.route("GET", "/v1/applications/:appId/experiments/batch/:batchId/metadata", (request) => {
    const batch = records.found(ctx, request, "batchId")
    return isResponse(batch) ? batch : ctx.ok({ ...informationJson(batch), app_id: batch.appId })
  })

  ctx.route("GET", "/v1/applications/:appId/experiments/batch/:batchId/runs", (request) => {
    const batch = records.found(ctx, request, "batchId")
    if (isResponse(batch)) return batch
    return ctx.ok({ runs: runsOf(batch).map(({ entry, run, status }) => runJson(entry, run, status)) })
  })

  Object.assign(ctx.areas, {
    batchExperiments: {
      get: (appId: string, id: string) => records.get(appId, id),
      status: batchStatus,
      runsOf,
      delete: (appId: string, id: string) => records.delete(appId, id)
    }
  })
}
