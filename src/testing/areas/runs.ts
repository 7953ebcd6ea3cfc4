/**
 * Emulator area: runs (`/v1/applications/{appId}/runs`, nextmv-py's `Application.new_run`,
 * `run_result`, `track_run` and friends). A run moves `queued → running → succeeded | failed |
 * canceled` at times computed from the emulator's clock (no timers), or when a test moves it
 * (`runs.start`, `runs.finish`); its outcome comes from a pluggable decision model (./models.ts),
 * chosen per instance or application. Upload URLs, `format=url` downloads, tar.gz inputs and
 * outputs, final and live logs, assets, tracked (external) runs, cancel and the 5 MiB inline limit
 * behave as the real API's.
 */
import { randomBytes, randomUUID } from "node:crypto"
import type { EmulatorContext, EmulatorRequest, EmulatorResponse } from "../Emulator.js"
import { asObject, existingApp, findScoped, isResponse, nonEmptyString as str } from "./handlers.js"
import { type DecisionModel, type DecodedInput, decodeInput, execute, type ModelAsset, type ModelInput, Models } from "./models.js"

/** 5 MiB, the inline input/output limit. */
const MAX_INLINE = 5 * 1024 * 1024

/** The platform's default execution class (6 cores, 9500 MB, 14.5 minutes). */
const DEFAULT_EXECUTION_CLASS = "6c9500mb870s"

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

interface StoredAsset {
  readonly id: string
  readonly name: string
  readonly created_at: string
  readonly content_type: string
  readonly bytes: Buffer
  readonly description?: string | undefined
  readonly visual?: ModelAsset["visual"]
}

/** A run as the emulator stores it. */
export interface RunRecord {
  readonly id: string
  readonly appId: string
  readonly instanceId: string
  readonly versionId: string
  readonly name: string
  readonly description: string
  readonly createdAt: number
  /** When it leaves `queued` (emulator time); moved by `runs.start`/`runs.finish`. */
  startsAt: number
  /** When it reaches its final status (emulator time); moved by `runs.finish`. */
  endsAt: number
  readonly runType: "standard" | "external"
  readonly inputFormat: string
  readonly outputFormat: string
  /** Original input bytes (what `GET …/input` returns). */
  readonly inputBytes: Buffer
  readonly inputJson: unknown
  readonly options: Readonly<Record<string, string>>
  readonly configuration: unknown
  readonly batchExperimentId?: string | undefined
  readonly inputId?: string | undefined
  /** The run this one clones (`tracking.cloned_run_id` of the submission). */
  readonly clonedRunId?: string | undefined
  /** The final status once `endsAt` is reached. */
  status: "succeeded" | "failed"
  error: string
  /** Output bytes as served (JSON text, plain text or tar.gz). */
  outputBytes: Buffer
  outputJson: unknown
  logs: ReadonlyArray<{ readonly at: number; readonly line: string }>
  assets: ReadonlyArray<StoredAsset>
  readonly metrics?: Readonly<Record<string, unknown>> | undefined
  canceledAt?: number | undefined
}

/** Parameters of a run submitted from inside the emulator (batch experiments). */
export interface SubmitParams {
  readonly input?: unknown
  readonly uploadId?: string | undefined
  readonly inputId?: string | undefined
  readonly instanceId?: string | undefined
  readonly name?: string | undefined
  readonly description?: string | undefined
  readonly options?: Readonly<Record<string, string>> | undefined
  readonly configuration?: unknown
  readonly batchExperimentId?: string | undefined
  readonly result?: unknown
  readonly clonedRunId?: string | undefined
}

/** Where a run executes: resolved from the instance (areas such as instances/versions may override). */
export interface RunTarget {
  readonly instanceId: string
  readonly versionId: string
  readonly model: DecisionModel
}

declare module "../Emulator.js" {
  interface EmulatorOptions {
    /** Run lifecycle and models. */
    readonly runs?: {
      /** Time in `queued`. Default 20 ms. */
      readonly queuedMillis?: number | undefined
      /** Time in `running` unless the model says otherwise. Default 60 ms. */
      readonly runningMillis?: number | undefined
      /** Models by `appId/instanceId` or `appId`; the default is {@link Models.echo}. */
      readonly models?: Readonly<Record<string, DecisionModel>> | undefined
      /** `next_available_in_seconds` of live logs. Default 0. */
      readonly liveLogsHintSeconds?: number | undefined
      /** Entries per live-log page. Default 2. */
      readonly liveLogsPageSize?: number | undefined
      /** Runs per page of `GET …/runs` (the API's 50). Default 50. */
      readonly listPageSize?: number | undefined
      /**
       * Active (queued or running) runs each execution class takes, e.g. `{ "6c9500mb870s": 2 }`.
       * A run with queuing disabled that finds its class full is refused with 429, as on the
       * platform; other runs queue as usual. Default: no limit.
       */
      readonly capacity?: Readonly<Record<string, number>> | undefined
    } | undefined
  }
  interface EmulatorAreas {
    readonly runs: {
      /** Sets the model for `appId/instanceId` or for a whole `appId`. */
      readonly setModel: (key: string, model: DecisionModel) => void
      /** Resolves where a run executes; replace it to route runs through instances and versions. */
      resolveTarget: (appId: string, instanceId: string | undefined) => RunTarget | EmulatorResponse
      /** Looks up a managed input's bytes and format; set by the managed-inputs area. */
      resolveManagedInput: (appId: string, inputId: string) => { bytes: Buffer; format: string } | undefined
      /** Submits a run as `POST …/runs` would (used by batch experiments). */
      readonly submit: (appId: string, params: SubmitParams) => RunRecord | EmulatorResponse
      /** A stored run. */
      readonly get: (appId: string, runId: string) => RunRecord | undefined
      /** The run's status now. */
      readonly status: (run: RunRecord) => string
      /** All runs of an application, newest first. */
      readonly list: (appId: string) => ReadonlyArray<RunRecord>
      /**
       * Moves a queued run to `running` now (emulator time). Answers the run, or `undefined` when
       * there is no such run or it already left `queued`.
       */
      readonly start: (appId: string, runId: string) => RunRecord | undefined
      /**
       * Ends a run now (emulator time) with `status`, whatever its model planned: `succeeded`
       * keeps the model's output (an empty JSON object when it had none), `failed` sets `error`
       * (default `"run failed"`), `canceled` cancels it. Answers `undefined` when there is no such
       * run or it already ended.
       */
      readonly finish: (
        appId: string,
        runId: string,
        status: "succeeded" | "failed" | "canceled",
        options?: { readonly error?: string | undefined }
      ) => RunRecord | undefined
    }
  }
}

const formatOf = (configuration: unknown, side: "input" | "output"): string | undefined =>
  str(asObject(asObject(asObject(configuration)["format"])[side])["type"])

const runId = () => `latest-${randomBytes(6).toString("hex")}`

export const install = (ctx: EmulatorContext): void => {
  const settings = ctx.options.runs ?? {}
  const queuedMillis = settings.queuedMillis ?? 20
  const runningMillis = settings.runningMillis ?? 60
  const models = new Map<string, DecisionModel>(Object.entries(settings.models ?? {}))
  const runs = new Map<string, RunRecord>()
  const key = (appId: string, id: string) => `${appId}/${id}`

  const status = (run: RunRecord): string => {
    if (run.canceledAt !== undefined) return "canceled"
    const now = ctx.now()
    if (now < run.startsAt) return "queued"
    if (now < run.endsAt) return "running"
    return run.status
  }

  const area = {
    setModel: (modelKey: string, model: DecisionModel) => void models.set(modelKey, model),
    resolveTarget: (appId: string, instanceId: string | undefined): RunTarget | EmulatorResponse => {
      const app = ctx.applications.get(appId)
      const instance = instanceId ?? app?.default_instance ?? "devint"
      return {
        instanceId: instance,
        versionId: "",
        model: models.get(key(appId, instance)) ?? models.get(appId) ?? Models.echo
      }
    },
    resolveManagedInput: (_appId: string, _inputId: string): { bytes: Buffer; format: string } | undefined => undefined,
    submit: (appId: string, params: SubmitParams): RunRecord | EmulatorResponse => submit(appId, params),
    get: (appId: string, id: string) => runs.get(key(appId, id)),
    status,
    list: (appId: string) => [...runs.values()].filter((r) => r.appId === appId).sort((a, b) => b.createdAt - a.createdAt),
    start: (appId: string, id: string) => {
      const run = runs.get(key(appId, id))
      if (run === undefined || status(run) !== "queued") return undefined
      const now = ctx.now()
      const duration = run.endsAt - run.startsAt
      // Log lines keep their place in the running time.
      run.logs = run.logs.map((entry) => ({ ...entry, at: entry.at - run.startsAt + now }))
      run.startsAt = now
      run.endsAt = now + duration
      return run
    },
    finish: (
      appId: string,
      id: string,
      final: "succeeded" | "failed" | "canceled",
      options: { readonly error?: string | undefined } = {}
    ) => {
      const run = runs.get(key(appId, id))
      if (run === undefined) return undefined
      const current = status(run)
      if (current !== "queued" && current !== "running") return undefined
      const now = ctx.now()
      if (final === "canceled") {
        run.canceledAt = now
        return run
      }
      run.startsAt = Math.min(run.startsAt, now)
      run.endsAt = now
      // Every log line is written by the end.
      run.logs = run.logs.map((entry) => ({ ...entry, at: Math.min(entry.at, now) }))
      run.status = final
      if (final === "failed") {
        run.error = options.error ?? (run.error === "" ? "run failed" : run.error)
        run.assets = []
      } else {
        run.error = ""
        if (run.outputBytes.length === 0 && run.outputFormat === "json") {
          run.outputJson = {}
          run.outputBytes = Buffer.from("{}", "utf8")
        }
      }
      return run
    }
  }
  Object.assign(ctx.areas, { runs: area })

  const uploadedBytes = (uploadId: string): Buffer | EmulatorResponse => {
    const bytes = ctx.blobs.uploaded(uploadId)
    return bytes ?? ctx.apiError(400, `upload ${uploadId} not found or nothing was uploaded`)
  }

  /** Decodes input bytes per format: JSON value, text, or a file map. */
  const decodedInput = (bytes: Buffer, format: string): DecodedInput | EmulatorResponse => {
    const decoded = decodeInput(bytes, format)
    return typeof decoded === "string" ? ctx.apiError(400, decoded) : decoded
  }

  /** The fields every run record takes from its submission. */
  const submitted = (
    id: string,
    appId: string,
    target: RunTarget,
    params: SubmitParams,
    input: { bytes: Buffer; json: unknown; format: string },
    now: number
  ) => ({
    id,
    appId,
    instanceId: target.instanceId,
    versionId: target.versionId,
    name: params.name ?? "",
    description: params.description ?? "",
    createdAt: now,
    inputFormat: input.format,
    inputBytes: input.bytes,
    inputJson: input.json,
    options: params.options ?? {},
    configuration: params.configuration,
    batchExperimentId: params.batchExperimentId,
    inputId: params.inputId,
    clonedRunId: params.clonedRunId
  })

  const externalRun = (
    appId: string,
    id: string,
    target: RunTarget,
    params: SubmitParams,
    input: { bytes: Buffer; json: unknown; format: string }
  ): RunRecord | EmulatorResponse => {
    const result = asObject(params.result)
    const resultStatus = result["status"]
    if (resultStatus !== "succeeded" && resultStatus !== "failed") {
      return ctx.apiError(400, "result.status must be succeeded or failed")
    }
    const fetch = (field: string): Buffer | undefined | EmulatorResponse => {
      const uploadId = str(result[field])
      return uploadId === undefined ? undefined : uploadedBytes(uploadId)
    }
    const parts: Record<string, Buffer | undefined> = {}
    for (const field of ["output_upload_id", "error_upload_id", "metrics_upload_id", "assets_upload_id", "statistics_upload_id"]) {
      const part = fetch(field)
      if (isResponse(part)) return part
      parts[field] = part
    }
    const outputFormat = formatOf(params.configuration, "output") ?? "json"
    const output = parts["output_upload_id"]
    const parseJson = (bytes: Buffer | undefined) => {
      if (bytes === undefined) return undefined
      try {
        return JSON.parse(bytes.toString("utf8")) as unknown
      } catch {
        return undefined
      }
    }
    const now = ctx.now()
    const assets = asObject(parseJson(parts["assets_upload_id"]))["assets"]
    return {
      ...submitted(id, appId, target, params, input, now),
      startsAt: now,
      endsAt: now,
      runType: "external",
      outputFormat,
      status: resultStatus,
      error: str(result["error_message"]) ?? "",
      outputBytes: output ?? Buffer.alloc(0),
      outputJson: outputFormat === "json" ? parseJson(output) : undefined,
      logs: (parts["error_upload_id"]?.toString("utf8") ?? "").split("\n").filter((l) => l !== "").map((line) => ({ at: now, line })),
      assets: (Array.isArray(assets) ? assets : []).map((asset) => storedAsset(asObject(asset), now)),
      metrics: asObject(parseJson(parts["metrics_upload_id"]))
    }
  }

  const storedAsset = (asset: Record<string, unknown>, at: number): StoredAsset => {
    const contentType = str(asset["content_type"]) ?? "json"
    const content = asset["content"]
    return {
      id: randomUUID(),
      name: str(asset["name"]) ?? "asset",
      created_at: new Date(at).toISOString(),
      content_type: contentType,
      bytes: Buffer.isBuffer(content)
        ? content
        : Buffer.from(contentType === "json" ? JSON.stringify(content ?? null) : String(content ?? ""), "utf8"),
      description: str(asset["description"]),
      visual: asset["visual"] as ModelAsset["visual"]
    }
  }

  const submit = (appId: string, params: SubmitParams): RunRecord | EmulatorResponse => {
    const app = existingApp(ctx, appId)
    if (isResponse(app)) return app
    const sources = [params.input !== undefined, str(params.uploadId) !== undefined, str(params.inputId) !== undefined]
    if (sources.filter(Boolean).length !== 1) {
      return ctx.apiError(400, "exactly one of input, upload_id and input_id is required")
    }
    const target = area.resolveTarget(appId, params.instanceId)
    if (isResponse(target)) return target
    let format = formatOf(params.configuration, "input") ?? "json"
    let bytes: Buffer<ArrayBufferLike>
    if (params.input !== undefined) {
      bytes = Buffer.from(typeof params.input === "string" ? params.input : JSON.stringify(params.input), "utf8")
      if (bytes.length > MAX_INLINE) {
        return ctx.apiError(413, `input of ${bytes.length} bytes exceeds the 5 MiB inline limit; use an upload URL`)
      }
    } else if (params.uploadId !== undefined && params.uploadId !== "") {
      const uploaded = uploadedBytes(params.uploadId)
      if (isResponse(uploaded)) return uploaded
      bytes = uploaded
    } else {
      const managed = area.resolveManagedInput(appId, params.inputId!)
      if (managed === undefined) return ctx.apiError(404, `managed input ${params.inputId} not found`)
      bytes = managed.bytes
      format = formatOf(params.configuration, "input") ?? managed.format
    }
    const decoded = typeof params.input === "string"
      ? { json: params.input, files: {} }
      : params.input !== undefined
      ? { json: params.input, files: {} }
      : decodedInput(bytes, format)
    if (isResponse(decoded)) return decoded
    const id = runId()
    if (params.result !== undefined) {
      const run = externalRun(appId, id, target, params, { bytes, json: decoded.json, format })
      if (!isResponse(run)) runs.set(key(appId, id), run)
      return run
    }
    const outputFormat = formatOf(params.configuration, "output") ?? "json"
    const input: ModelInput = {
      appId,
      runId: id,
      instanceId: target.instanceId,
      inputFormat: format,
      input: decoded.json,
      files: decoded.files,
      options: params.options ?? {}
    }
    const { outcome, failed, outputBytes, outputJson } = execute(target.model, input, outputFormat)
    const now = ctx.now()
    const startsAt = now + queuedMillis
    const duration = outcome.durationMillis ?? runningMillis
    const endsAt = startsAt + duration

    const lines = outcome.logs ?? []
    const run: RunRecord = {
      ...submitted(id, appId, target, params, { bytes, json: decoded.json, format }, now),
      startsAt,
      endsAt,
      runType: "standard",
      outputFormat,
      status: failed ? "failed" : "succeeded",
      error: failed ? (outcome.error ?? "run failed") : "",
      outputBytes,
      outputJson,
      logs: lines.map((line, i) => ({ at: startsAt + Math.floor(((i + 1) * duration) / (lines.length + 1)), line })),
      assets: failed ? [] : (outcome.assets ?? []).map((asset) => storedAsset({ ...asset }, endsAt)),
      metrics: outcome.metrics
    }
    runs.set(key(appId, id), run)
    return run
  }

  // ---------------------------------------------------------------------------------------------
  // JSON shapes
  // ---------------------------------------------------------------------------------------------

  const iso = (millis: number) => new Date(millis).toISOString()

  const metadataJson = (run: RunRecord) => {
    const current = status(run)
    const finished = current === "succeeded" || current === "failed"
    const configuration = asObject(run.configuration)
    const queuing = asObject(configuration["queuing"])
    const runType = asObject(configuration["run_type"])
    const integrationId = str(configuration["integration_id"])
    return {
      application_id: run.appId,
      application_instance_id: run.instanceId,
      application_version_id: run.versionId,
      created_at: iso(run.createdAt),
      ...(current !== "queued" ? { initiated_at: iso(run.startsAt) } : {}),
      duration: finished ? run.endsAt - run.createdAt : 0,
      ...(finished ? { execution_duration: run.endsAt - run.startsAt } : {}),
      error: current === "failed" ? run.error : "",
      execution_class: str(configuration["execution_class"]) ?? DEFAULT_EXECUTION_CLASS,
      ...(run.batchExperimentId !== undefined ? { experiment_id: run.batchExperimentId } : {}),
      format: { input: { type: run.inputFormat }, output: { type: run.outputFormat } },
      input_size: run.inputBytes.length,
      output_size: current === "succeeded" ? run.outputBytes.length : 0,
      queuing_disabled: queuing["disabled"] === true,
      queuing_priority: typeof queuing["priority"] === "number" ? queuing["priority"] : 6,
      // A standard run reports the run type it was submitted with (ensemble definition included).
      run_type: run.runType === "standard" && str(runType["type"]) !== undefined ? runType : { type: run.runType },
      ...(str(configuration["secrets_collection_id"]) !== undefined
        ? { secrets_collection_id: configuration["secrets_collection_id"] }
        : {}),
      ...(integrationId !== undefined ? { integration: { id: integrationId, provider: "dbx", run_id: `dbx-${run.id}` } } : {}),
      ...(run.clonedRunId !== undefined || run.inputId !== undefined
        ? {
          tracking: {
            ...(run.clonedRunId !== undefined ? { cloned_run_id: run.clonedRunId } : {}),
            ...(run.inputId !== undefined ? { input_id: run.inputId } : {})
          }
        }
        : {}),
      runtime: "ghcr.io/nextmv-io/runtime/default:latest",
      status_v2: current,
      ...(current === "succeeded" && run.metrics !== undefined ? { metrics: run.metrics } : {}),
      ...(Object.keys(run.options).length > 0
        ? {
          options: {
            request_options: run.options,
            active_options: run.options,
            options_summary: Object.entries(run.options).map(([name, value]) => ({ name, source: "request", value }))
          }
        }
        : {})
    }
  }

  const informationJson = (run: RunRecord) => ({
    id: run.id,
    name: run.name,
    description: run.description,
    user_email: "emulator@nextmv.test",
    metadata: metadataJson(run)
  })

  const visibleLogs = (run: RunRecord) => {
    const now = ctx.now()
    const cutoff = run.canceledAt ?? now
    return run.logs.filter((entry) => entry.at <= cutoff)
  }

  const found = (request: EmulatorRequest) => findScoped(ctx, runs, request.params["appId"]!, request.params["runId"]!, "run")

  // ---------------------------------------------------------------------------------------------
  // Routes
  // ---------------------------------------------------------------------------------------------

  ctx.route("POST", "/v1/applications/:appId/runs/uploadurl", (request) => {
    const app = existingApp(ctx, request.params["appId"]!)
    if (isResponse(app)) return app
    const upload = ctx.blobs.presignUpload()
    return ctx.ok({ upload_id: upload.id, upload_url: upload.url })
  })

  ctx.route("POST", "/v1/applications/:appId/runs", (request) => {
    // The API rejects request bodies far above the inline limit before reading them.
    if (request.body.length > MAX_INLINE + 1024 * 1024) {
      return ctx.apiError(413, "request body too large; upload the input through an upload URL")
    }
    const body = asObject(request.json())
    const options = asObject(body["options"])
    for (const [name, value] of Object.entries(options)) {
      if (typeof value !== "string") return ctx.apiError(400, `option ${name} must be a string`)
    }
    const configuration = asObject(body["configuration"])
    const executionClass = str(configuration["execution_class"]) ?? DEFAULT_EXECUTION_CLASS
    const capacity = settings.capacity?.[executionClass]
    if (asObject(configuration["queuing"])["disabled"] === true && capacity !== undefined) {
      const active = [...runs.values()].filter((r) =>
        (str(asObject(r.configuration)["execution_class"]) ?? DEFAULT_EXECUTION_CLASS) === executionClass &&
        ["queued", "running"].includes(status(r))
      )
      if (active.length >= capacity) {
        return ctx.apiError(429, `execution class ${executionClass} is busy and queuing is disabled for this run`)
      }
    }
    const run = submit(request.params["appId"]!, {
      input: "input" in body ? body["input"] : undefined,
      clonedRunId: str(asObject(body["tracking"])["cloned_run_id"]),
      uploadId: str(body["upload_id"]),
      inputId: str(body["input_id"]),
      instanceId: str(request.query["instance_id"]),
      name: str(body["name"]),
      description: str(body["description"]),
      options: options as Record<string, string>,
      configuration: body["configuration"],
      batchExperimentId: str(body["batch_experiment_id"]),
      result: body["result"]
    })
    return isResponse(run) ? run : ctx.ok({ run_id: run.id })
  })

  /** Page tokens are opaque to clients: the offset of the page's first run, base64url-encoded. */
  const pageToken = (offset: number) => Buffer.from(`offset:${offset}`, "utf8").toString("base64url")
  const tokenOffset = (token: string): number | undefined => {
    const match = /^offset:(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"))
    return match === null ? undefined : Number(match[1])
  }

  // Newest first, `listPageSize` (50) per request. With `pagereturn=true` (what nextmv-py sends)
  // a page carries `next_page_token` while more runs follow, and `pagetoken` asks for the next
  // page; a plain GET answers the first page without a token.
  ctx.route("GET", "/v1/applications/:appId/runs", (request) => {
    const app = existingApp(ctx, request.params["appId"]!)
    if (isResponse(app)) return app
    const size = Math.max(1, settings.listPageSize ?? 50)
    const paged = request.query["pagereturn"] === "true"
    const token = request.query["pagetoken"]
    const offset = paged && token !== undefined && token !== "" ? tokenOffset(token) : 0
    if (offset === undefined) return ctx.apiError(400, "invalid pagetoken")
    const all = area.list(request.params["appId"]!)
    const more = paged && offset + size < all.length
    return ctx.ok({
      ...(more ? { next_page_token: pageToken(offset + size) } : {}),
      runs: all.slice(offset, offset + size).map((run) => {
        const { metadata, ...info } = informationJson(run)
        return {
          ...info,
          created_at: metadata.created_at,
          application_id: run.appId,
          application_instance_id: run.instanceId,
          application_version_id: run.versionId,
          run_type: metadata.run_type,
          execution_class: metadata.execution_class,
          runtime: metadata.runtime,
          status_v2: metadata.status_v2,
          ...(run.batchExperimentId !== undefined ? { experiment_id: run.batchExperimentId } : {}),
          ...(run.inputId !== undefined ? { input_id: run.inputId } : {})
        }
      })
    })
  })

  ctx.route("GET", "/v1/applications/:appId/runs/:runId/metadata", (request) => {
    const run = found(request)
    return isResponse(run) ? run : ctx.ok(informationJson(run))
  })

  ctx.route("GET", "/v1/applications/:appId/runs/:runId", (request) => {
    const run = found(request)
    if (isResponse(run)) return run
    const current = status(run)
    const base = informationJson(run)
    if (current === "failed") {
      return ctx.ok({ ...base, error_log: { error: run.error, stdout: "", stderr: run.logs.map((l) => l.line).join("\n") } })
    }
    if (current !== "succeeded") return ctx.ok(base)
    if (request.query["format"] === "url") {
      const contentType = run.outputFormat === "json" ? "application/json" : run.outputFormat === "text" ? "text/plain" : "application/gzip"
      return ctx.ok({ ...base, output: { url: ctx.blobs.presignDownload(run.outputBytes, contentType) } })
    }
    if (run.outputFormat !== "json") {
      return ctx.apiError(400, `the output format is ${run.outputFormat}; request it with format=url`)
    }
    if (run.outputBytes.length > MAX_INLINE) {
      return ctx.apiError(400, "the output is larger than 5 MiB; request it with format=url")
    }
    return ctx.ok({ ...base, output: run.outputJson })
  })

  // Deleting is permanent (nextmv-py `delete_run`): the run and its output are gone.
  ctx.route("DELETE", "/v1/applications/:appId/runs/:runId", (request) => {
    const run = found(request)
    if (isResponse(run)) return run
    runs.delete(key(run.appId, run.id))
    return ctx.noContent()
  })

  // The output alone (nextmv-py `run_output`): inline for JSON up to 5 MiB, else with
  // `format=url`. A run without output (not succeeded) answers 404: the API's answer for such runs
  // is not documented.
  ctx.route("GET", "/v1/applications/:appId/runs/:runId/output", (request) => {
    const run = found(request)
    if (isResponse(run)) return run
    const current = status(run)
    if (current !== "succeeded") return ctx.apiError(404, `run ${run.id} has no output (status ${current})`)
    if (request.query["format"] === "url") {
      const contentType = run.outputFormat === "json" ? "application/json" : run.outputFormat === "text" ? "text/plain" : "application/gzip"
      return ctx.ok({ url: ctx.blobs.presignDownload(run.outputBytes, contentType) })
    }
    if (run.outputFormat !== "json") {
      return ctx.apiError(400, `the output format is ${run.outputFormat}; request it with format=url`)
    }
    if (run.outputBytes.length > MAX_INLINE) {
      return ctx.apiError(400, "the output is larger than 5 MiB; request it with format=url")
    }
    return ctx.ok(run.outputJson)
  })

  ctx.route("GET", "/v1/applications/:appId/runs/:runId/input", (request) => {
    const run = found(request)
    if (isResponse(run)) return run
    if (request.query["format"] === "url") {
      return ctx.ok({ url: ctx.blobs.presignDownload(run.inputBytes) })
    }
    if (run.inputFormat === "multi-file" || run.inputFormat === "csv-archive" || run.inputBytes.length > MAX_INLINE) {
      return ctx.apiError(400, "this input must be requested with format=url")
    }
    return run.inputFormat === "text"
      ? { status: 200, body: run.inputBytes, headers: { "content-type": "text/plain" } }
      : ctx.ok(run.inputJson)
  })

  ctx.route("GET", "/v1/applications/:appId/runs/:runId/logs", (request) => {
    const run = found(request)
    if (isResponse(run)) return run
    const text = visibleLogs(run).map((entry) => `${entry.line}\n`).join("")
    // Final logs keep the last 50 kB.
    return ctx.ok({ log: text.length > 50_000 ? text.slice(-50_000) : text })
  })

  const pageSize = settings.liveLogsPageSize ?? 2
  ctx.route("GET", "/v1/applications/:appId/runs/:runId/logs/live", (request) => {
    const run = found(request)
    if (isResponse(run)) return run
    const since = request.query["since"]
    const start = since === undefined ? 0 : Number(Buffer.from(since, "base64url").toString("utf8").replace("pos:", ""))
    if (!Number.isInteger(start) || start < 0) return ctx.apiError(400, "invalid since token")
    const visible = visibleLogs(run)
    const items = visible.slice(start, start + pageSize)
    const next = start + items.length
    // The final status is reported only once every line has been handed out.
    const current = status(run)
    const reported = next < visible.length && (current === "succeeded" || current === "failed" || current === "canceled")
      ? "running"
      : current
    return ctx.ok({
      items: items.map((entry) => ({ timestamp: iso(entry.at), log: entry.line })),
      status_v2: reported,
      next_page_token: Buffer.from(`pos:${next}`).toString("base64url"),
      next_available_in_seconds: next < visible.length ? 0 : (settings.liveLogsHintSeconds ?? 0)
    })
  })

  ctx.route("PATCH", "/v1/applications/:appId/runs/:runId/cancel", (request) => {
    const run = found(request)
    if (isResponse(run)) return run
    const current = status(run)
    if (current === "succeeded" || current === "failed" || current === "canceled") {
      return ctx.apiError(409, `run ${run.id} is already ${current}`)
    }
    run.canceledAt = ctx.now()
    return ctx.noContent()
  })

  ctx.route("GET", "/v1/applications/:appId/runs/:runId/assets", (request) => {
    const run = found(request)
    if (isResponse(run)) return run
    const assets = status(run) === "succeeded" ? run.assets : []
    return ctx.ok({
      items: assets.map((asset) => ({
        id: asset.id,
        name: asset.name,
        created_at: asset.created_at,
        size: asset.bytes.length,
        content_type: asset.content_type,
        ...(asset.description !== undefined ? { description: asset.description } : {}),
        ...(asset.visual !== undefined ? { visual: asset.visual } : {})
      }))
    })
  })

  ctx.route("GET", "/v1/applications/:appId/runs/:runId/assets/:assetId", (request) => {
    const run = found(request)
    if (isResponse(run)) return run
    const asset = run.assets.find((a) => a.id === request.params["assetId"])
    if (asset === undefined || status(run) !== "succeeded") return ctx.apiError(404, "asset not found")
    const contentType = asset.content_type === "json" ? "application/json" : "application/octet-stream"
    return ctx.ok({ download_url: ctx.blobs.presignDownload(asset.bytes, contentType), type: asset.content_type })
  })
}
