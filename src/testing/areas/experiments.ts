/**
 * Emulator area: experiments (spec experiments §2–§7, §10–§12, §15). Stores managed inputs
 * (`…/inputs`) and input sets; executes batch experiments and scenario tests by submitting every
 * run through the runs area (so each run goes through the application's decision model), with
 * the experiment `started` until every run has ended, then `completed` (or `failed` when no run
 * succeeded); serves `/runs` and `/metadata`; and computes acceptance tests for real: each
 * metric's `field` is read from the candidate's and the baseline's run outputs, summarised
 * (min, max, mean, population std, shifted geometric mean with shift 10, linear-interpolated
 * percentiles) and compared with the operator and tolerance.
 *
 * Interpretations where the public sources are silent (documented here, not facts of the API):
 * - a metric's `field` is looked up as `statistics.<field>` in the run output, then `<field>`
 *   from the output root, then as a key of the run's metrics;
 * - tolerance: `relative` allows `|baseline| × value`, `absolute` allows `value`, `""` allows 0;
 *   `le`/`lt` pass when candidate ≤/< baseline + allowance, `ge`/`gt` when candidate ≥/>
 *   baseline − allowance, `eq` when |candidate − baseline| ≤ allowance, `ne` otherwise;
 * - an input set built from runs (`run_ids` or instance + time window) gets one managed input
 *   per run (with `run_id` set); `PUT` honours `inputs` over the old `input_ids` (§16.15);
 * - deleting an acceptance test deletes its batch experiment too (as the SDK docs say).
 */
import { randomBytes } from "node:crypto"
import type { EmulatorContext, EmulatorRequest, EmulatorResponse } from "../Emulator.js"
import type { RunRecord } from "./runs.js"
import { asObject, existingApp, findScoped, isResponse, nonEmptyString as str, renameFromBody } from "./json.js"

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

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

/** An acceptance test as stored (results are computed when the batch experiment has ended). */
export interface AcceptanceRecord {
  readonly id: string
  readonly app_id: string
  name: string
  description: string
  readonly experiment_id: string
  readonly control: { readonly instance_id: string }
  readonly candidate: { readonly instance_id: string }
  readonly metrics: ReadonlyArray<MetricJson>
  readonly created_at: string
  updated_at: string
}

/** A metric in wire form. */
export interface MetricJson {
  readonly field: string
  readonly metric_type: string
  readonly params: { readonly operator: string; readonly tolerance: { readonly type: string; readonly value: number } }
  readonly statistic: string
}

declare module "../Emulator.js" {
  interface EmulatorAreas {
    readonly experiments: {
      /** Stores a managed input holding `data` (JSON) directly, for test setup. */
      readonly seedManagedInput: (appId: string, fields: { id: string; data: unknown; name?: string }) => ManagedInputRecord
      /** Stores an input set of existing managed inputs directly, for test setup. */
      readonly seedInputSet: (appId: string, fields: { id: string; inputIds: ReadonlyArray<string>; name?: string }) => InputSetRecord
      /** A stored managed input. */
      readonly managedInput: (appId: string, id: string) => ManagedInputRecord | undefined
      /** A stored batch experiment or scenario test. */
      readonly batch: (appId: string, id: string) => BatchRecord | undefined
      /** The current status of a batch experiment. */
      readonly batchStatus: (batch: BatchRecord) => string
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Acceptance-test arithmetic (pure; exported for unit tests)
// ---------------------------------------------------------------------------------------------

/** The shift of the shifted geometric mean. */
export const SHIFT_PARAMETER = 10

const PERCENTILES = [
  ["p01", 0.01],
  ["p05", 0.05],
  ["p10", 0.1],
  ["p25", 0.25],
  ["p50", 0.5],
  ["p75", 0.75],
  ["p90", 0.9],
  ["p95", 0.95],
  ["p99", 0.99]
] as const

/** Percentile `q` (0…1) of sorted values, with linear interpolation between closest ranks. */
export const percentile = (sorted: ReadonlyArray<number>, q: number): number => {
  if (sorted.length === 0) return 0
  const rank = q * (sorted.length - 1)
  const low = Math.floor(rank)
  const high = Math.ceil(rank)
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low)
}

/** Summary statistics and percentiles of a non-empty list of values. */
export const summarize = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const count = sorted.length
  const mean = sorted.reduce((sum, v) => sum + v, 0) / count
  const std = Math.sqrt(sorted.reduce((sum, v) => sum + (v - mean) ** 2, 0) / count)
  const logMean = sorted.reduce((sum, v) => sum + Math.log(Math.max(v + SHIFT_PARAMETER, Number.MIN_VALUE)), 0) / count
  return {
    distribution_summary_statistics: {
      min: sorted[0]!,
      max: sorted[count - 1]!,
      count,
      mean,
      std,
      shifted_geometric_mean: Math.exp(logMean) - SHIFT_PARAMETER,
      shift_parameter: SHIFT_PARAMETER
    },
    distribution_percentiles: Object.fromEntries(PERCENTILES.map(([name, q]) => [name, percentile(sorted, q)])) as Record<
      typeof PERCENTILES[number][0],
      number
    >
  }
}

/** The statistic named `statistic` of a summary (`mean`, `p90`, …); `undefined` when unknown. */
export const statisticOf = (summary: ReturnType<typeof summarize>, statistic: string): number | undefined => {
  const fromSummary = (summary.distribution_summary_statistics as Record<string, number>)[statistic]
  if (fromSummary !== undefined && statistic !== "count" && statistic !== "shift_parameter") return fromSummary
  return (summary.distribution_percentiles as Record<string, number>)[statistic]
}

/** Whether `candidate` passes against `baseline` (see the module comment for the tolerance rule). */
export const compareMetric = (
  operator: string,
  tolerance: { readonly type: string; readonly value: number },
  candidate: number,
  baseline: number
): boolean => {
  const allowance = tolerance.type === "relative"
    ? Math.abs(baseline) * tolerance.value
    : tolerance.type === "absolute"
    ? tolerance.value
    : 0
  switch (operator) {
    case "le":
      return candidate <= baseline + allowance
    case "lt":
      return candidate < baseline + allowance
    case "ge":
      return candidate >= baseline - allowance
    case "gt":
      return candidate > baseline - allowance
    case "eq":
      return Math.abs(candidate - baseline) <= allowance
    case "ne":
      return Math.abs(candidate - baseline) > allowance
    default:
      return false
  }
}

/** Reads a dotted path from a JSON value. */
const readPath = (value: unknown, path: string): unknown =>
  path.split(".").reduce<unknown>(
    (at, key) => (typeof at === "object" && at !== null && !Array.isArray(at) ? (at as Record<string, unknown>)[key] : undefined),
    value
  )

/** The value of a metric field for one run: `statistics.<field>`, `<field>`, then the run's metrics. */
export const metricValue = (output: unknown, metrics: Readonly<Record<string, unknown>> | undefined, field: string) => {
  for (const candidate of [readPath(output, `statistics.${field}`), readPath(output, field), metrics?.[field]]) {
    if (typeof candidate === "number" && Number.isFinite(candidate)) return candidate
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const ENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const MAX_INPUT_SET_INPUTS = 20
const STATISTICS = ["min", "max", "mean", "std", "shifted_geometric_mean", "p01", "p05", "p10", "p25", "p50", "p75", "p90", "p95", "p99"]
const OPERATORS = ["eq", "gt", "ge", "lt", "le", "ne"]
const TOLERANCE_TYPES = ["", "absolute", "relative"]




const slug = () => randomBytes(6).toString("hex").slice(0, 8)

/** Drops `undefined` fields (the API leaves absent optional fields out). */
const clean = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T

export const install = (ctx: EmulatorContext): void => {
  const key = (appId: string, id: string) => `${appId}/${id}`
  const managedInputs = new Map<string, ManagedInputRecord>()
  const inputSets = new Map<string, InputSetRecord>()
  const batches = new Map<string, BatchRecord>()
  const acceptanceTests = new Map<string, AcceptanceRecord>()
  const runsArea = ctx.areas.runs

  const appOf = (request: EmulatorRequest): string | EmulatorResponse => existingApp(ctx, request.params["appId"]!)

  const ofApp = <A>(map: Map<string, A>, appId: string): Array<A> =>
    [...map.entries()].filter(([k]) => k.startsWith(`${appId}/`)).map(([, v]) => v)

  // -------------------------------------------------------------------------------------------
  // Managed inputs
  // -------------------------------------------------------------------------------------------

  const managedInputJson = (record: ManagedInputRecord) => {
    const { bytes: _bytes, ...wire } = record
    return clean(wire)
  }

  const storeManagedInput = (appId: string, fields: Omit<ManagedInputRecord, "created_at" | "updated_at">) => {
    const at = ctx.timestamp()
    const record: ManagedInputRecord = { ...fields, created_at: at, updated_at: at }
    managedInputs.set(key(appId, record.id), record)
    return record
  }

  /** A managed input made from a run's input (input sets from runs, managed inputs from runs). */
  const managedInputFromRun = (appId: string, run: RunRecord, id?: string, name?: string): ManagedInputRecord => {
    const inputId = id ?? `managed-input-${slug()}`
    return storeManagedInput(appId, {
      id: inputId,
      name: name ?? inputId,
      description: `input of run ${run.id}`,
      run_id: run.id,
      format: { input: { type: run.inputFormat }, output: { type: run.outputFormat } },
      bytes: run.inputBytes
    })
  }

  // Batch runs reference managed inputs, or previous runs by id.
  runsArea.resolveManagedInput = (appId, inputId) => {
    const managed = managedInputs.get(key(appId, inputId))
    if (managed !== undefined) return { bytes: managed.bytes, format: managed.format.input.type }
    const run = runsArea.get(appId, inputId)
    return run === undefined ? undefined : { bytes: run.inputBytes, format: run.inputFormat }
  }

  ctx.route("GET", "/v1/applications/:appId/inputs", (request) => {
    const appId = appOf(request)
    if (isResponse(appId)) return appId
    return ctx.ok(ofApp(managedInputs, appId).map(managedInputJson))
  })

  ctx.route("POST", "/v1/applications/:appId/inputs", (request) => {
    const appId = appOf(request)
    if (isResponse(appId)) return appId
    const body = asObject(request.json())
    const id = str(body["id"])
    if (id === undefined || !ENTITY_ID.test(id)) return ctx.apiError(400, "id is required")
    if (managedInputs.has(key(appId, id))) return ctx.apiError(409, `managed input ${id} already exists`)
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
    const record = storeManagedInput(appId, {
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

  const foundManagedInput = (request: EmulatorRequest) =>
    findScoped(ctx, managedInputs, request.params["appId"]!, request.params["inputId"]!, "managed input")

  ctx.route("GET", "/v1/applications/:appId/inputs/:inputId", (request) => {
    const record = foundManagedInput(request)
    return isResponse(record) ? record : ctx.ok(managedInputJson(record))
  })

  ctx.route("PUT", "/v1/applications/:appId/inputs/:inputId", (request) => {
    const record = foundManagedInput(request)
    if (isResponse(record)) return record
    const body = asObject(request.json())
    if (body["id"] !== undefined && body["id"] !== record.id) return ctx.apiError(400, "id cannot be changed")
    renameFromBody(ctx, record, body)
    return ctx.ok(managedInputJson(record))
  })

  ctx.route("DELETE", "/v1/applications/:appId/inputs/:inputId", (request) => {
    const record = foundManagedInput(request)
    if (isResponse(record)) return record
    managedInputs.delete(key(request.params["appId"]!, record.id))
    return ctx.noContent()
  })

  // -------------------------------------------------------------------------------------------
  // Input sets
  // -------------------------------------------------------------------------------------------

  const inputSetJson = (appId: string, record: InputSetRecord) => ({
    ...record,
    inputs: record.input_ids.flatMap((id) => {
      const managed = managedInputs.get(key(appId, id))
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
      if (!managedInputs.has(key(appId, id))) return ctx.apiError(404, `managed input ${id} not found`)
      ids.push(id)
    }
    return ids
  }

  ctx.route("GET", "/v1/applications/:appId/experiments/inputsets", (request) => {
    const appId = appOf(request)
    if (isResponse(appId)) return appId
    return ctx.ok(ofApp(inputSets, appId).map((record) => inputSetJson(appId, record)))
  })

  ctx.route("POST", "/v1/applications/:appId/experiments/inputsets", (request) => {
    const appId = appOf(request)
    if (isResponse(appId)) return appId
    const body = asObject(request.json())
    const id = str(body["id"])
    if (id === undefined || !ENTITY_ID.test(id)) return ctx.apiError(400, "id is required")
    if (inputSets.has(key(appId, id))) return ctx.apiError(409, `input set ${id} already exists`)
    let inputIds: Array<string>
    if (body["inputs"] !== undefined) {
      const ids = inputIdsOf(appId, body["inputs"])
      if (isResponse(ids)) return ids
      inputIds = ids
    } else if (body["run_ids"] !== undefined) {
      const runIds = body["run_ids"]
      if (!Array.isArray(runIds)) return ctx.apiError(400, "run_ids must be a list")
      const runs: Array<RunRecord> = []
      for (const runId of runIds) {
        const run = typeof runId === "string" ? runsArea.get(appId, runId) : undefined
        if (run === undefined) return ctx.apiError(404, `run ${String(runId)} not found`)
        runs.push(run)
      }
      inputIds = runs.map((run) => managedInputFromRun(appId, run).id)
    } else {
      const app = ctx.applications.get(appId)
      const instanceId = str(body["instance_id"]) ?? app?.default_instance ?? "devint"
      const start = str(body["start_time"]) === undefined ? -Infinity : Date.parse(body["start_time"] as string)
      const end = str(body["end_time"]) === undefined ? Infinity : Date.parse(body["end_time"] as string)
      if (Number.isNaN(start) || Number.isNaN(end)) return ctx.apiError(400, "start_time and end_time must be RFC 3339")
      const maximum = typeof body["maximum_runs"] === "number" ? body["maximum_runs"] : MAX_INPUT_SET_INPUTS
      const runs = runsArea.list(appId).filter((run) =>
        run.instanceId === instanceId && run.createdAt >= start && run.createdAt <= end &&
        runsArea.status(run) === "succeeded"
      ).slice(0, maximum)
      if (runs.length === 0) return ctx.apiError(400, `no runs of instance ${instanceId} in the time window`)
      inputIds = runs.map((run) => managedInputFromRun(appId, run).id)
    }
    if (inputIds.length > MAX_INPUT_SET_INPUTS) {
      return ctx.apiError(400, `an input set holds at most ${MAX_INPUT_SET_INPUTS} inputs`)
    }
    const at = ctx.timestamp()
    const record: InputSetRecord = {
      id,
      app_id: appId,
      name: str(body["name"]) ?? id,
      description: typeof body["description"] === "string" ? body["description"] : "",
      input_ids: inputIds,
      created_at: at,
      updated_at: at
    }
    inputSets.set(key(appId, id), record)
    return ctx.ok(inputSetJson(appId, record))
  })

  const foundInputSet = (request: EmulatorRequest) =>
    findScoped(ctx, inputSets, request.params["appId"]!, request.params["inputSetId"]!, "input set")

  ctx.route("GET", "/v1/applications/:appId/experiments/inputsets/:inputSetId", (request) => {
    const record = foundInputSet(request)
    return isResponse(record) ? record : ctx.ok(inputSetJson(record.app_id, record))
  })

  ctx.route("PUT", "/v1/applications/:appId/experiments/inputsets/:inputSetId", (request) => {
    const record = foundInputSet(request)
    if (isResponse(record)) return record
    const body = asObject(request.json())
    if (body["id"] !== undefined && body["id"] !== record.id) return ctx.apiError(400, "id cannot be changed")
    if (body["inputs"] !== undefined) {
      const ids = inputIdsOf(record.app_id, body["inputs"])
      if (isResponse(ids)) return ids
      if (ids.length > MAX_INPUT_SET_INPUTS) return ctx.apiError(400, `an input set holds at most ${MAX_INPUT_SET_INPUTS} inputs`)
      record.input_ids = ids
    }
    renameFromBody(ctx, record, body)
    return ctx.ok(inputSetJson(record.app_id, record))
  })

  ctx.route("DELETE", "/v1/applications/:appId/experiments/inputsets/:inputSetId", (request) => {
    const record = foundInputSet(request)
    if (isResponse(record)) return record
    inputSets.delete(key(record.app_id, record.id))
    return ctx.noContent()
  })

  // -------------------------------------------------------------------------------------------
  // Batch experiments and scenario tests
  // -------------------------------------------------------------------------------------------

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
      if (run.input_set_id !== undefined && !inputSets.has(key(appId, run.input_set_id))) {
        return ctx.apiError(404, `runs[${index}]: input set ${run.input_set_id} not found`)
      }
    }
    return undefined
  }

  ctx.route("GET", "/v1/applications/:appId/experiments/batch", (request) => {
    const appId = appOf(request)
    if (isResponse(appId)) return appId
    const type = request.query["type"]
    return ctx.ok(
      ofApp(batches, appId).filter((batch) => type === undefined || batch.type === type).map((batch) => ({
        ...informationJson(batch),
        app_id: appId
      }))
    )
  })

  ctx.route("POST", "/v1/applications/:appId/experiments/batch", (request) => {
    const appId = appOf(request)
    if (isResponse(appId)) return appId
    const body = asObject(request.json())
    const id = str(body["id"])
    if (id === undefined || !ENTITY_ID.test(id)) return ctx.apiError(400, "id is required")
    if (batches.has(key(appId, id))) return ctx.apiError(409, `batch experiment ${id} already exists`)
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
    const instanceIds = Array.isArray(body["instance_ids"]) ? body["instance_ids"].filter((x): x is string => typeof x === "string") : undefined
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
      const set = inputSets.get(key(appId, inputSetId))
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
    batches.set(key(appId, id), batch)
    return ctx.ok(batchJson(batch), 201)
  })

  const foundBatch = (request: EmulatorRequest) =>
    findScoped(ctx, batches, request.params["appId"]!, request.params["batchId"]!, "batch experiment")

  ctx.route("GET", "/v1/applications/:appId/experiments/batch/:batchId", (request) => {
    const batch = foundBatch(request)
    return isResponse(batch) ? batch : ctx.ok(batchJson(batch))
  })

  ctx.route("GET", "/v1/applications/:appId/experiments/batch/:batchId/metadata", (request) => {
    const batch = foundBatch(request)
    return isResponse(batch) ? batch : ctx.ok({ ...informationJson(batch), app_id: batch.appId })
  })

  ctx.route("GET", "/v1/applications/:appId/experiments/batch/:batchId/runs", (request) => {
    const batch = foundBatch(request)
    if (isResponse(batch)) return batch
    return ctx.ok({ runs: runsOf(batch).map(({ entry, run, status }) => runJson(entry, run, status)) })
  })

  ctx.route("PATCH", "/v1/applications/:appId/experiments/batch/:batchId", (request) => {
    const batch = foundBatch(request)
    if (isResponse(batch)) return batch
    const body = asObject(request.json())
    renameFromBody(ctx, batch, body)
    return ctx.ok(informationJson(batch))
  })

  ctx.route("DELETE", "/v1/applications/:appId/experiments/batch/:batchId", (request) => {
    const batch = foundBatch(request)
    if (isResponse(batch)) return batch
    batches.delete(key(batch.appId, batch.id))
    return ctx.noContent()
  })

  // -------------------------------------------------------------------------------------------
  // Acceptance tests
  // -------------------------------------------------------------------------------------------

  /** Results of a test whose batch experiment has ended (§10 shape). */
  const resultsOf = (test: AcceptanceRecord, batch: BatchRecord) => {
    const runs = runsOf(batch)
    const side = (instanceId: string, field: string) => {
      const mine = runs.filter(({ run }) => run.instanceId === instanceId)
      const values = mine.flatMap(({ run, status }) => {
        if (status !== "succeeded") return []
        const value = metricValue(run.outputJson, run.metrics, field)
        return value === undefined ? [] : [value]
      })
      return { instanceId, versionId: mine[0]?.run.versionId ?? "", total: mine.length, values }
    }
    const metricResults: Array<unknown> = []
    const errors: Array<string> = []
    for (const metric of test.metrics) {
      const control = side(test.control.instance_id, metric.field)
      const candidate = side(test.candidate.instance_id, metric.field)
      const empty = [control, candidate].find((s) => s.values.length === 0)
      if (empty !== undefined) {
        errors.push(`metric ${metric.field}: no successful run of instance ${empty.instanceId} reports a number at ${metric.field}`)
        continue
      }
      const controlSummary = summarize(control.values)
      const candidateSummary = summarize(candidate.values)
      const passed = compareMetric(
        metric.params.operator,
        metric.params.tolerance,
        statisticOf(candidateSummary, metric.statistic) ?? Number.NaN,
        statisticOf(controlSummary, metric.statistic) ?? Number.NaN
      )
      const statistics = (s: typeof control, summary: typeof controlSummary) => ({
        instance_id: s.instanceId,
        version_id: s.versionId,
        number_of_runs_total: s.total,
        ...summary
      })
      metricResults.push({
        metric,
        statistics: { control: statistics(control, controlSummary), candidate: statistics(candidate, candidateSummary) },
        passed
      })
    }
    return clean({
      passed: errors.length === 0 && metricResults.every((r) => (r as { passed: boolean }).passed),
      metric_results: metricResults,
      error: errors.length > 0 ? errors.join("; ") : undefined
    })
  }

  const acceptanceJson = (test: AcceptanceRecord) => {
    const batch = batches.get(key(test.app_id, test.experiment_id))
    const status = batch === undefined ? "failed" : batchStatus(batch)
    const results = batch === undefined
      ? { passed: false, error: `batch experiment ${test.experiment_id} no longer exists` }
      : status === "completed" || status === "failed"
      ? resultsOf(test, batch)
      : undefined
    const versionOf = (instanceId: string) =>
      batch === undefined ? "" : runsOf(batch).find(({ run }) => run.instanceId === instanceId)?.run.versionId ?? ""
    return clean({
      id: test.id,
      name: test.name,
      description: test.description,
      app_id: test.app_id,
      experiment_id: test.experiment_id,
      control: { instance_id: test.control.instance_id, version_id: versionOf(test.control.instance_id) },
      candidate: { instance_id: test.candidate.instance_id, version_id: versionOf(test.candidate.instance_id) },
      metrics: test.metrics,
      created_at: test.created_at,
      updated_at: test.updated_at,
      status,
      results
    })
  }

  const parseMetric = (raw: unknown, index: number): MetricJson | EmulatorResponse => {
    const metric = asObject(raw)
    const params = asObject(metric["params"])
    const tolerance = asObject(params["tolerance"])
    const field = str(metric["field"])
    const where = `metrics[${index}]`
    if (field === undefined) return ctx.apiError(400, `${where}: field is required`)
    if (metric["metric_type"] !== "direct-comparison") return ctx.apiError(400, `${where}: metric_type must be direct-comparison`)
    if (!STATISTICS.includes(String(metric["statistic"]))) return ctx.apiError(400, `${where}: unknown statistic`)
    if (!OPERATORS.includes(String(params["operator"]))) return ctx.apiError(400, `${where}: unknown operator`)
    if (!TOLERANCE_TYPES.includes(String(tolerance["type"]))) return ctx.apiError(400, `${where}: unknown tolerance type`)
    if (typeof tolerance["value"] !== "number") return ctx.apiError(400, `${where}: tolerance value must be a number`)
    return {
      field,
      metric_type: "direct-comparison",
      params: {
        operator: String(params["operator"]),
        tolerance: { type: String(tolerance["type"]), value: tolerance["value"] }
      },
      statistic: String(metric["statistic"])
    }
  }

  ctx.route("GET", "/v1/applications/:appId/experiments/acceptance", (request) => {
    const appId = appOf(request)
    if (isResponse(appId)) return appId
    return ctx.ok(ofApp(acceptanceTests, appId).map(acceptanceJson))
  })

  ctx.route("POST", "/v1/applications/:appId/experiments/acceptance", (request) => {
    const appId = appOf(request)
    if (isResponse(appId)) return appId
    const body = asObject(request.json())
    const id = str(body["id"])
    const experimentId = str(body["experiment_id"])
    const candidate = str(asObject(body["candidate"])["instance_id"])
    const control = str(asObject(body["control"])["instance_id"])
    if (id === undefined || !ENTITY_ID.test(id)) return ctx.apiError(400, "id is required")
    if (experimentId === undefined) return ctx.apiError(400, "experiment_id is required")
    if (candidate === undefined || control === undefined) {
      return ctx.apiError(400, "candidate.instance_id and control.instance_id are required")
    }
    if (acceptanceTests.has(key(appId, id))) return ctx.apiError(409, `acceptance test ${id} already exists`)
    if (!batches.has(key(appId, experimentId))) return ctx.apiError(404, `batch experiment ${experimentId} not found`)
    if (experimentId !== id) return ctx.apiError(400, "an acceptance test must have the id of its batch experiment")
    if (!Array.isArray(body["metrics"]) || body["metrics"].length === 0) return ctx.apiError(400, "metrics are required")
    const metrics: Array<MetricJson> = []
    for (const [index, raw] of body["metrics"].entries()) {
      const metric = parseMetric(raw, index)
      if (isResponse(metric)) return metric
      metrics.push(metric)
    }
    const at = ctx.timestamp()
    const test: AcceptanceRecord = {
      id,
      app_id: appId,
      name: str(body["name"]) ?? id,
      description: typeof body["description"] === "string" ? body["description"] : "",
      experiment_id: experimentId,
      control: { instance_id: control },
      candidate: { instance_id: candidate },
      metrics,
      created_at: at,
      updated_at: at
    }
    acceptanceTests.set(key(appId, id), test)
    return ctx.ok(acceptanceJson(test), 201)
  })

  const foundTest = (request: EmulatorRequest) =>
    findScoped(ctx, acceptanceTests, request.params["appId"]!, request.params["testId"]!, "acceptance test")

  ctx.route("GET", "/v1/applications/:appId/experiments/acceptance/:testId", (request) => {
    const test = foundTest(request)
    return isResponse(test) ? test : ctx.ok(acceptanceJson(test))
  })

  ctx.route("PATCH", "/v1/applications/:appId/experiments/acceptance/:testId", (request) => {
    const test = foundTest(request)
    if (isResponse(test)) return test
    const body = asObject(request.json())
    renameFromBody(ctx, test, body)
    return ctx.ok(acceptanceJson(test))
  })

  ctx.route("DELETE", "/v1/applications/:appId/experiments/acceptance/:testId", (request) => {
    const test = foundTest(request)
    if (isResponse(test)) return test
    acceptanceTests.delete(key(test.app_id, test.id))
    batches.delete(key(test.app_id, test.experiment_id))
    return ctx.noContent()
  })

  Object.assign(ctx.areas, {
    experiments: {
      seedManagedInput: (appId: string, fields: { id: string; data: unknown; name?: string }) =>
        storeManagedInput(appId, {
          id: fields.id,
          name: fields.name ?? fields.id,
          description: "",
          format: { input: { type: "json" }, output: { type: "json" } },
          bytes: Buffer.from(JSON.stringify(fields.data), "utf8")
        }),
      seedInputSet: (appId: string, fields: { id: string; inputIds: ReadonlyArray<string>; name?: string }) => {
        const at = ctx.timestamp()
        const record: InputSetRecord = {
          id: fields.id,
          app_id: appId,
          name: fields.name ?? fields.id,
          description: "",
          input_ids: [...fields.inputIds],
          created_at: at,
          updated_at: at
        }
        inputSets.set(key(appId, fields.id), record)
        return record
      },
      managedInput: (appId: string, id: string) => managedInputs.get(key(appId, id)),
      batch: (appId: string, id: string) => batches.get(key(appId, id)),
      batchStatus
    }
  })
}
