/**
 * `Runs`: every run operation of Nextmv Cloud (nextmv-py `Application.new_run`, `run_result`, …),
 * one method each.
 * Polling flows (`newRunWithResult`, `watchRun`, live logs …) are in `programs/Runs.ts`.
 *
 * @since 0.1.0
 */
import { FileSystem, HttpClientRequest, Path } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Chunk, Context, Effect, Exit, Layer, Schema, Stream } from "effect"
import { InvalidArgumentError, NextmvDecodeError, NextmvHttpError, type PaginationLimitError, RunQueueBusyError } from "../Errors.js"
import {
  defaultConfiguration,
  encodeOptions,
  extractArchive,
  needsUpload,
  packageDirectory,
  requireDirectory
} from "../internal/runInput.js"
import { jsonBody } from "../internal/body.js"
import { downloadToPath } from "../internal/fileStreams.js"
import { listOf, paginate } from "../internal/pagination.js"
import {
  runAssetsPath,
  runCancelPath,
  runInputPath,
  runLiveLogsPath,
  runLogsPath,
  runMetadataPath,
  runOutputPath,
  runPath,
  runsPath,
  segment
} from "../internal/paths.js"
import {
  invalidArgument,
  isGiven,
  isRecordObject,
  requireIds,
  requireJson,
  requireObject,
  requireOptionalIds,
  validateExecutionSettings
} from "../internal/validate.js"
import {
  AssetDownload,
  AssetList,
  type ContentType,
  DownloadUrl,
  ExternalRunResult,
  LiveLogs,
  MAX_RUN_SIZE,
  Metadata,
  NewRunResponse,
  Run,
  RunAsset,
  type RunConfiguration,
  RunInformation,
  RunLog,
  RunResult,
  type StatusV2
} from "../schemas/Runs.js"
import { ExternalRunStatus, NewRunBody } from "../schemas/Requests.js"
import { decodeJsonText, NextmvClient } from "./NextmvClient.js"
import { withGates } from "../internal/runGates.js"
import { UploadData, Uploads } from "./Uploads.js"
import { traced } from "../internal/traced.js"

/**
 * Errors of the run operations: HTTP, decode, argument and local file errors, and
 * {@link RunQueueBusyError} (a submission with queuing disabled that found no capacity).
 */
export type RunError = NextmvHttpError | NextmvDecodeError | InvalidArgumentError | PlatformError | RunQueueBusyError

export { RunQueueBusyError }

/** Errors of {@link Service.listRuns} and {@link Service.streamRuns}: a run error, or more pages than `maxPages`. */
export type ListRunsError = RunError | PaginationLimitError

/** Options of {@link Service.newRun}. */
export interface NewRunOptions {
  /**
   * The input: a JSON value (sent inline up to 5 MiB, uploaded above), or a string (text input,
   * always uploaded). Give at most one of `input`, `inputDirPath`, `uploadId`, `managedInputId`.
   */
  readonly input?: unknown
  /** Content format of `input` (like nextmv-py's `Input.input_format`); non-JSON is uploaded. */
  readonly inputFormat?: ContentType | undefined
  /** A directory whose files are sent as a `multi-file` tar.gz (names relative to it). */
  readonly inputDirPath?: string | undefined
  /** Id of data uploaded beforehand (see `Uploads`). */
  readonly uploadId?: string | undefined
  /** Id of a managed input to run on (wire `input_id`). */
  readonly managedInputId?: string | undefined
  /**
   * Instance to run on (query `instance_id`). When absent no `instance_id` is sent and the platform
   * uses the application's default instance (what nextmv-py does without a known default).
   */
  readonly instanceId?: string | undefined
  readonly name?: string | undefined
  readonly description?: string | undefined
  /** Run options; non-string values are JSON-encoded (`{"solve.duration": "10s", "iterations": 20}`). */
  readonly options?: Readonly<Record<string, unknown>> | undefined
  /**
   * Sent as given (after nextmv-py's checks, see {@link Service.newRun}); otherwise nextmv-py's
   * default (formats from the input). Wire names: `execution_class`, `format`, `run_type`
   * (`{ type: "standard" | "external" | "ensemble", definition_id?, reference_id? }`),
   * `secrets_collection_id`, `queuing` (`{ priority: 1..9, disabled: boolean }`),
   * `integration_id`.
   */
  readonly configuration?: RunConfiguration | undefined
  /** Attach the run to a batch experiment. */
  readonly batchExperimentId?: string | undefined
  /** Result of an external run (tracked runs); `status` must be `succeeded` or `failed`. */
  readonly externalResult?: ExternalRunResult | undefined
  /** Marks the run as a clone of this run (`"tracking": {"cloned_run_id": …}`), as `cloneRun` does. */
  readonly clonedRunId?: string | undefined
}

/** Options of {@link Service.runResult} and {@link Service.runInput}. */
export interface OutputDirOptions {
  /**
   * Where `multi-file`/`csv-archive` content is extracted. Default `"."` (nextmv-py's default);
   * created if missing.
   */
  readonly outputDir?: string | undefined
}

/** Options of {@link Service.streamRuns}. */
export interface StreamRunsOptions {
  /**
   * Keep only runs with this status, across all pages (filtered client-side, as nextmv-py's
   * `list_runs(status=…)`; the API has no status filter).
   */
  readonly status?: StatusV2 | undefined
  /** More pages than this fail with `PaginationLimitError` instead of looping. Default 1000 (nextmv-py's `max_pages`). */
  readonly maxPages?: number | undefined
}

/** Options of {@link Service.listRuns}. */
export interface ListRunsOptions extends StreamRunsOptions {
  /**
   * `true`: one plain `GET …/runs` without paging (the first page only, at most 50 runs; nextmv-py's
   * `no_pagination`). Default `false`: every page.
   */
  readonly noPagination?: boolean | undefined
}

/** Options of {@link Service.downloadAssetContent}. */
export interface DownloadAssetOptions {
  /** Write the content to this file instead of returning it. */
  readonly destination?: string | undefined
}

/** A run tracked from outside Nextmv (nextmv-py `Application.track_run`): its input, result and
 * artifacts are uploaded. */
export interface TrackedRun {
  readonly status: "succeeded" | "failed"
  /** JSON value or text. */
  readonly input?: unknown
  readonly inputDirPath?: string | undefined
  /** JSON value or text. */
  readonly output?: unknown
  readonly outputDirPath?: string | undefined
  /** Duration in milliseconds. */
  readonly duration?: number | undefined
  /** Error message; only for failed runs. */
  readonly error?: string | undefined
  /** Log lines (joined with newlines) or text; uploaded and referenced as `error_upload_id`. */
  readonly logs?: string | ReadonlyArray<string> | undefined
  readonly name?: string | undefined
  readonly description?: string | undefined
  /** Deprecated statistics: wrapped as `{"statistics": …}` unless they already are. */
  readonly statistics?: Readonly<Record<string, unknown>> | undefined
  readonly metrics?: Readonly<Record<string, unknown>> | undefined
  /** Assets, uploaded as `{"assets": [...]}`. */
  readonly assets?: ReadonlyArray<Readonly<Record<string, unknown>>> | Readonly<Record<string, unknown>> | undefined
}

/** Options of {@link Service.trackRun}. */
export interface TrackRunOptions {
  readonly instanceId?: string | undefined
  /** Needed for directory-based runs: without it the format defaults to JSON (nextmv-py `track_run`). */
  readonly configuration?: RunConfiguration | undefined
}

/** The `Runs` service. */
export interface Service {
  /**
   * Submits a run (`POST /v1/applications/{appId}/runs`) and returns its id. Uploads the input
   * first when it is over 5 MiB, text, non-JSON or a directory. Validation errors
   * (`InvalidArgumentError`) come before any request, with nextmv-py's messages for the
   * configuration: "Priority must be between 1 and 9.", "Disabled must be a boolean value.",
   * "When integration_id is set, execution_class must be \`integration\` or None." (an
   * `integration_id` sets `execution_class: "integration"`), and a `run_type.type` other than
   * `standard`, `external` or `ensemble`. An ensemble run (`run_type: { type: "ensemble",
   * definition_id }`) is sent without the `instance_id` query, as nextmv-py does. With
   * `queuing: { disabled: true }`, a 429 answer (no capacity) fails with {@link RunQueueBusyError}.
   *
   * @example
   * ```ts
   * const runId = yield* runs.newRun("routing-app", { input: { stops: [] }, options: { "solve.duration": "10s" } })
   * ```
   */
  readonly newRun: (appId: string, options: NewRunOptions) => Effect.Effect<string, RunError>
  /**
   * The run's information without its output (`GET …/runs/{runId}/metadata`), with
   * `console_url` set (nextmv-py's `run_information`).
   *
   * @example
   * ```ts
   * const info = yield* runs.runInformation("routing-app", runId)
   * console.log(info.metadata.status_v2, info.metadata.execution_class)
   * ```
   */
  readonly runInformation: (appId: string, runId: string) => Effect.Effect<RunInformation, RunError>
  /**
   * The same request and result as {@link Service.runInformation}.
   *
   * @deprecated nextmv-py deprecates `run_metadata` in favour of `run_information`: use
   * `runInformation`. Kept as an alias.
   *
   * @example
   * ```ts
   * const info = yield* runs.runMetadata("routing-app", runId) // prefer runs.runInformation
   * ```
   */
  readonly runMetadata: (appId: string, runId: string) => Effect.Effect<RunInformation, RunError>
  /**
   * Deletes a run permanently (`DELETE …/runs/{runId}`; nextmv-py's `delete_run`).
   *
   * @example
   * ```ts
   * yield* runs.deleteRun("routing-app", runId)
   * ```
   */
  readonly deleteRun: (appId: string, runId: string) => Effect.Effect<void, RunError>
  /**
   * The run's output alone (`GET …/runs/{runId}/output`; nextmv-py's `run_output`), after reading
   * the run's information. A JSON output up to 5 MiB comes inline; larger or non-JSON outputs are
   * requested with `format=url` and, once the run is finalized, downloaded: JSON is returned
   * parsed, text as a string, `multi-file`/`csv-archive` files are extracted into `outputDir`
   * (default `"."`, created if missing) and `undefined` is returned. For a run that is not
   * finalized the API's answer is returned as is (the output, or `{"url": …}`). Fails with
   * `InvalidArgumentError` "Output format is {format} (not json), an \`outputDir\` must be
   * provided." when `outputDir` is `""` for a non-JSON output, before the output request.
   *
   * @example
   * ```ts
   * const output = yield* runs.runOutput("routing-app", runId)
   * yield* runs.runOutput("routing-app", runId, { outputDir: "./out" }) // a multi-file output: files in ./out
   * ```
   */
  readonly runOutput: (appId: string, runId: string, options?: OutputDirOptions) => Effect.Effect<unknown, RunError>
  /**
   * The run with its output. Large (> 5 MiB) or non-JSON outputs of a finalized run (succeeded,
   * failed or canceled) are fetched through `…/output?format=url` and a presigned URL, as the
   * newest nextmv-py does; `multi-file`/`csv-archive` outputs are extracted into `outputDir`
   * (default `"."`) and `output` stays `{"url": …}`.
   *
   * @example
   * ```ts
   * const result = yield* runs.runResult("routing-app", runId, { outputDir: "./out" })
   * ```
   */
  readonly runResult: (appId: string, runId: string, options?: OutputDirOptions) => Effect.Effect<RunResult, RunError>
  /**
   * Fetches the result once the metadata is known (used by the polling programs; skips the
   * metadata request of {@link Service.runResult}).
   */
  readonly runResultFor: (
    appId: string,
    information: RunInformation,
    options?: OutputDirOptions
  ) => Effect.Effect<RunResult, RunError>
  /**
   * The run's input: the JSON document, the text, or — for `multi-file`/`csv-archive` inputs —
   * `undefined` after extracting the files into `outputDir` (default `"."`).
   */
  readonly runInput: (appId: string, runId: string, options?: OutputDirOptions) => Effect.Effect<unknown, RunError>
  /** Final logs (`GET …/logs`): the last 50 kB written to stderr. */
  readonly runLogs: (appId: string, runId: string) => Effect.Effect<RunLog, RunError>
  /**
   * One page of live logs (`GET …/logs/live`, `since` = the previous page's `next_page_token`).
   * See `programs/Runs.ts` for the polling loop and the `Stream`.
   */
  readonly runLiveLogs: (
    appId: string,
    runId: string,
    options?: { readonly since?: string | undefined }
  ) => Effect.Effect<typeof LiveLogs.Type, RunError>
  /**
   * All runs of the application, newest first, following pages as nextmv-py's `list_runs` does:
   * `GET …/runs?pagereturn=true`, then `&pagetoken=…` while a page has a `next_page_token` (the
   * API gives at most 50 runs per page). `status` filters across all pages. `noPagination: true`
   * sends one plain `GET …/runs` (the first page only) and never fails with
   * `PaginationLimitError`; more than `maxPages` (default 1000) pages fail with it.
   *
   * @example
   * ```ts
   * const queued = yield* runs.listRuns("routing-app", { status: "queued" })
   * const newest = yield* runs.listRuns("routing-app", { noPagination: true })
   * ```
   */
  readonly listRuns: {
    (appId: string, options: ListRunsOptions & { readonly noPagination: true }): Effect.Effect<ReadonlyArray<Run>, RunError>
    (appId: string, options?: ListRunsOptions): Effect.Effect<ReadonlyArray<Run>, ListRunsError>
  }
  /**
   * The runs of the application as a `Stream`, page by page (the requests of `listRuns`): a page
   * is only requested when the stream is pulled past the previous one.
   *
   * @example
   * ```ts
   * const recent = yield* Stream.runCollect(Stream.take(runs.streamRuns("routing-app", { status: "succeeded" }), 100))
   * ```
   */
  readonly streamRuns: (appId: string, options?: StreamRunsOptions) => Stream.Stream<Run, ListRunsError>
  /** Cancels a run (`PATCH …/runs/{runId}/cancel`; never retried, as nextmv-py). */
  readonly cancelRun: (appId: string, runId: string) => Effect.Effect<void, RunError>
  /** The run's assets, each with `run_id` set. */
  readonly listAssets: (appId: string, runId: string) => Effect.Effect<ReadonlyArray<RunAsset>, RunError>
  /**
   * Downloads an asset: the parsed JSON for `json` assets, the bytes otherwise; with
   * `destination`, writes the bytes to that file and returns `undefined`.
   */
  readonly downloadAssetContent: (
    appId: string,
    runId: string,
    assetId: string,
    options?: DownloadAssetOptions
  ) => Effect.Effect<unknown, RunError>
  /**
   * Records a run executed outside Nextmv (nextmv-py `Application.track_run`): uploads the input and each given part
   * (output, logs, statistics, metrics, assets) to its own upload URL, then submits the run with
   * the `result` object. Returns the run id.
   */
  readonly trackRun: (appId: string, run: TrackedRun, options?: TrackRunOptions) => Effect.Effect<string, RunError>
  /** The console deep link of a run. */
  readonly consoleUrl: (appId: string, runId: string) => string
}

/** `succeeded` or `failed`: the statuses an external (tracked) run can report. */
const isExternalRunStatus = Schema.is(ExternalRunStatus)

/** The `Runs` service tag. */
export class Runs extends Context.Tag("nextmv-effect/Runs")<Runs, Service>() {}

/** @deprecated Endpoint paths live in one internal module; kept for existing imports. */
export { runPath }

/** The run types nextmv-py's `RunType` accepts. */
const RUN_TYPES: ReadonlyArray<string> = ["standard", "external", "ensemble"]

/**
 * nextmv-py's `RunConfiguration.is_ensemble()`: run type `ensemble` with a non-empty
 * `definition_id`. Such runs are submitted without the `instance_id` query.
 */
export const isEnsemble = (configuration: RunConfiguration | undefined): boolean =>
  configuration?.run_type?.type === "ensemble" && isGiven(configuration.run_type.definition_id)

/** A random name for local temporary files (Web Crypto, available in Node 20 and browsers). */
const randomName = (): string => globalThis.crypto.randomUUID()

/** The checks of {@link Service.trackRun} on the parts it uploads (shapes and JSON-ability). */
const validateTrackedParts = (operation: string, run: TrackedRun) =>
  Effect.gen(function*() {
    for (const field of ["name", "description", "error", "inputDirPath", "outputDirPath"] as const) {
      const value: unknown = run[field]
      if (value !== undefined && typeof value !== "string") {
        return yield* invalidArgument(operation, `${field} must be a string`)
      }
    }
    if (run.input !== undefined && typeof run.input !== "string") yield* requireJson(operation, "input", run.input)
    if (run.output !== undefined && typeof run.output !== "string") yield* requireJson(operation, "output", run.output)
    if (run.duration !== undefined && !(Number.isFinite(run.duration) && run.duration >= 0)) {
      return yield* invalidArgument(operation, `duration must be a finite number of milliseconds ≥ 0, got ${run.duration}`)
    }
    if (
      run.logs !== undefined && typeof run.logs !== "string" &&
      !(Array.isArray(run.logs) && run.logs.every((line) => typeof line === "string"))
    ) {
      return yield* invalidArgument(operation, "logs must be a string or an array of strings")
    }
    if (run.statistics !== undefined) {
      if (!isRecordObject(run.statistics)) return yield* invalidArgument(operation, "statistics must be an object")
      yield* requireJson(operation, "statistics", run.statistics)
    }
    if (run.metrics !== undefined) {
      if (!isRecordObject(run.metrics)) return yield* invalidArgument(operation, "metrics must be an object")
      yield* requireJson(operation, "metrics", run.metrics)
    }
    if (run.assets !== undefined) {
      const assets: unknown = run.assets
      if (!(isRecordObject(assets) || (Array.isArray(assets) && assets.every(isRecordObject)))) {
        return yield* invalidArgument(operation, "assets must be an object or an array of objects")
      }
      yield* requireJson(operation, "assets", assets)
    }
  })

/** Builds the service; requires `NextmvClient`, `Uploads`, `FileSystem` and `Path`. */
export const make: Effect.Effect<Service, never, NextmvClient | Uploads | FileSystem.FileSystem | Path.Path> = Effect
  .gen(function*() {
    const client = yield* NextmvClient
    const { api, presigned } = client
    const uploads = yield* Uploads
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const provideFs = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      effect.pipe(Effect.provideService(FileSystem.FileSystem, fs), Effect.provideService(Path.Path, path))

    const consoleUrl = (appId: string, runId: string) => `${client.consoleUrl}/app/${segment(appId)}/run/${segment(runId)}?view=details`

    const newRun = traced("Runs.newRun")(function*(appId: string, options: NewRunOptions) {
      const operation = "Runs.newRun"
      yield* requireIds(operation, { appId })
      yield* requireObject(operation, "options", options)
      yield* requireOptionalIds(operation, {
        uploadId: options.uploadId,
        managedInputId: options.managedInputId,
        instanceId: options.instanceId,
        batchExperimentId: options.batchExperimentId,
        clonedRunId: options.clonedRunId
      })
      const sources = [
        options.input !== undefined ? "input" : undefined,
        isGiven(options.inputDirPath) ? "inputDirPath" : undefined,
        isGiven(options.uploadId) ? "uploadId" : undefined,
        isGiven(options.managedInputId) ? "managedInputId" : undefined
      ].filter((s) => s !== undefined)
      // nextmv-py silently prefers one source over another; here nothing the caller gave is dropped.
      if (sources.length > 1) {
        return yield* invalidArgument(
          operation,
          `give only one of input, inputDirPath, uploadId, managedInputId (got ${sources.join(", ")})`
        )
      }
      const configuration = yield* validateExecutionSettings(operation, options.configuration)
      const runType: unknown = configuration?.run_type?.type
      // nextmv-py reads a `type` of `""` (or none) as absent; any other value must be a `RunType`.
      if (runType !== undefined && runType !== null && runType !== "" && !RUN_TYPES.includes(String(runType))) {
        return yield* invalidArgument(operation, `run_type.type must be one of ${RUN_TYPES.join(", ")} (got "${String(runType)}")`)
      }
      // Serialised once: the check, the size measurement and the upload use this text.
      const inputJson = options.input !== undefined && typeof options.input !== "string"
        ? yield* requireJson(operation, "input", options.input)
        : undefined
      const encodedOptions = options.options === undefined
        ? undefined
        : yield* encodeOptions(operation, options.options)
      const status = options.externalResult?.status
      if (status !== undefined && !isExternalRunStatus(status)) {
        return yield* invalidArgument(operation, `externalResult.status must be "succeeded" or "failed", got "${status}"`)
      }
      const fromDirectory = isGiven(options.inputDirPath)
      if (fromDirectory) yield* provideFs(requireDirectory(operation, options.inputDirPath!))

      return yield* Effect.scoped(Effect.gen(function*() {
        let uploadId = isGiven(options.uploadId) ? options.uploadId : undefined
        if (needsUpload({ ...options, fromDirectory, inputJson })) {
          const target = yield* uploads.uploadUrl(appId)
          const data = fromDirectory
            ? UploadData.file(yield* provideFs(packageDirectory(options.inputDirPath!)))
            : typeof options.input === "string"
            ? UploadData.text(options.input)
            : inputJson !== undefined
            ? UploadData.jsonText(inputJson)
            : UploadData.json(options.input)
          yield* uploads.uploadData(target, data)
          uploadId = target.upload_id
        }
        const managed = isGiven(options.managedInputId)
        const request = yield* jsonBody(operation, NewRunBody, {
          input_id: managed ? options.managedInputId : undefined,
          upload_id: !managed ? uploadId : undefined,
          input: !managed && uploadId === undefined ? options.input ?? null : undefined,
          name: options.name,
          description: options.description,
          options: encodedOptions !== undefined && Object.keys(encodedOptions).length > 0 ? encodedOptions : undefined,
          configuration: configuration ?? defaultConfiguration(options.input, options.inputFormat, fromDirectory),
          batch_experiment_id: isGiven(options.batchExperimentId) ? options.batchExperimentId : undefined,
          result: options.externalResult,
          tracking: isGiven(options.clonedRunId) ? { cloned_run_id: options.clonedRunId } : undefined
        })(
          HttpClientRequest.post(runsPath(appId)).pipe(
            // nextmv-py leaves `instance_id` out for ensemble runs: the ensemble definition picks the instances.
            HttpClientRequest.setUrlParams(
              isGiven(options.instanceId) && !isEnsemble(configuration) ? { instance_id: options.instanceId } : {}
            )
          )
        )
        // With queuing disabled, a 429 that outlasts the client's retries is the platform's "busy"
        // answer (no capacity in the execution class), not a rate limit: a distinct error.
        const queuingDisabled = configuration?.queuing?.disabled === true
        const { run_id } = yield* api.json(request, NewRunResponse).pipe(
          Effect.catchIf(
            (error): error is NextmvHttpError => queuingDisabled && error instanceof NextmvHttpError && error.status === 429,
            (cause) =>
              Effect.fail(
                new RunQueueBusyError({
                  appId,
                  executionClass: isGiven(configuration?.execution_class) ? configuration.execution_class : undefined,
                  cause
                })
              )
          )
        )
        return run_id
      }))
    })

    const information = (operation: string) =>
      traced(operation)(function*(appId: string, runId: string) {
        yield* requireIds(operation, { appId, runId })
        const info = yield* api.json(HttpClientRequest.get(runMetadataPath(appId, runId)), RunInformation)
        return new RunInformation({ ...info, console_url: consoleUrl(appId, runId) })
      })
    const runInformation = information("Runs.runInformation")
    // nextmv-py's deprecated `run_metadata`: the same request, its own span name.
    const runMetadata = information("Runs.runMetadata")

    // nextmv-py's `delete_run`; the SDK has no docs page for it. (The API docs also list a
    // `PUT …/runs/{runId}` that updates a run's name and description; nextmv-py does not call it and
    // its body is not documented, so it is not offered.)
    const deleteRun = traced("Runs.deleteRun")(function*(appId: string, runId: string) {
      yield* requireIds("Runs.deleteRun", { appId, runId })
      yield* api.discard(HttpClientRequest.del(runPath(appId, runId)))
    })

    /**
     * A presigned GET with the `Content-Type` header nextmv-py sends on these downloads:
     * `application/json` for results, inputs and JSON assets, `application/octet-stream` for
     * other assets (as nextmv-py's `run_result`, `run_input` and `download_asset_content`).
     */
    const download = (url: string, contentType = "application/json") =>
      HttpClientRequest.get(url).pipe(HttpClientRequest.setHeader("content-type", contentType))

    /**
     * Downloads a presigned URL into a fresh temporary directory (random name, removed afterwards
     * whatever happens) and extracts it into `dir`. No id or server string is part of a local path.
     */
    const downloadAndExtract = (url: string, dir: string) =>
      Effect.scoped(Effect.gen(function*() {
        const tmp = yield* fs.makeTempDirectoryScoped({ prefix: "nextmv-download-" })
        const archive = path.join(tmp, "archive.tar.gz")
        yield* downloadToPath(presigned, fs, archive, download(url))
        yield* provideFs(extractArchive(`GET ${url.split("?")[0]}`, archive, dir))
      }))

    /**
     * Streams a presigned download into `destination`: first into a randomly named sibling file,
     * renamed over `destination` once complete. A failed or interrupted download removes that
     * partial file and leaves `destination` as it was.
     */
    const downloadToFile = (request: HttpClientRequest.HttpClientRequest, destination: string) =>
      Effect.gen(function*() {
        const partial = path.join(path.dirname(destination), `.nextmv-download-${randomName()}.part`)
        yield* downloadToPath(presigned, fs, partial, request).pipe(
          Effect.zipRight(fs.rename(partial, destination)),
          Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : fs.remove(partial).pipe(Effect.ignore))
        )
      })

    const downloadJson = (url: string) =>
      presigned.text(download(url)).pipe(
        Effect.flatMap((text) => decodeJsonText(`GET ${url.split("?")[0]}`, Schema.Unknown, text))
      )

    /**
     * nextmv-py's `run_output` once the run's information is known: `GET …/output`, with
     * `format=url` for non-JSON or > 5 MiB outputs; for a finalized run in that mode the presigned
     * URL is downloaded (JSON parsed, text as a string, archives extracted into `outputDir` →
     * `undefined`). For a run that is not finalized the answer is returned as is.
     */
    const outputFor = (
      appId: string,
      information: { readonly id: string; readonly metadata: Metadata },
      options: OutputDirOptions,
      operation: string
    ) =>
      Effect.gen(function*() {
        const runId = information.id
        const metadata = information.metadata
        const outputType = metadata.outputType
        const outputDir = options.outputDir ?? "."
        if (outputType !== "json" && outputDir === "") {
          return yield* invalidArgument(operation, `Output format is ${outputType} (not json), an \`outputDir\` must be provided.`)
        }
        const urlMode = outputType !== "json" || metadata.output_size > MAX_RUN_SIZE
        const request = HttpClientRequest.get(runOutputPath(appId, runId)).pipe(
          HttpClientRequest.setUrlParams(urlMode ? { format: "url" } : {})
        )
        const response = yield* api.json(request, Schema.Unknown)
        if (!urlMode || !metadata.isFinal) return response
        const { url } = yield* Schema.decodeUnknown(DownloadUrl)(response).pipe(
          Effect.mapError((error) =>
            new NextmvDecodeError({
              operation: `GET ${runOutputPath(appId, runId)}?format=url`,
              issue: `the answer holds no download URL: ${error.message}`
            })
          )
        )
        switch (outputType) {
          case "json":
            return yield* downloadJson(url)
          case "text":
            // nextmv-py unpacks every non-JSON output as a tar.gz; the API's text outputs are plain
            // text, so they are returned as a string (as `runResult` always did).
            return yield* presigned.text(download(url))
          default:
            yield* downloadAndExtract(url, outputDir)
            return undefined
        }
      })

    const runOutput = traced("Runs.runOutput")(function*(appId: string, runId: string, options: OutputDirOptions = {}) {
      yield* requireIds("Runs.runOutput", { appId, runId })
      yield* requireObject("Runs.runOutput", "options", options)
      const information = yield* runInformation(appId, runId)
      return yield* outputFor(appId, information, options, "Runs.runOutput")
    })

    // The newest nextmv-py fetches large and non-JSON outputs through `…/output?format=url` for any
    // finalized run (failed and canceled included), not only from `output.url` of succeeded runs.
    // It reads the run's information once more first; here the information just fetched is used.
    // What the API answers for a finalized run without output is not documented: a 404 for a run
    // that did not succeed leaves the result without a downloaded output instead of failing.
    const runResultFor = traced("Runs.runResultFor")(
      function*(appId: string, information: RunInformation, options: OutputDirOptions = {}) {
        // A JavaScript caller can pass anything; only a RunInformation (from `runInformation`) is read.
        if (!Schema.is(RunInformation)(information)) {
          return yield* invalidArgument("Runs.runResultFor", "information must be a RunInformation (from runInformation)")
        }
        yield* requireObject("Runs.runResultFor", "options", options)
        const runId = information.id
        yield* requireIds("Runs.runResultFor", { appId, runId })
        const metadata = information.metadata
        const urlMode = metadata.outputType !== "json" || metadata.output_size > MAX_RUN_SIZE
        const request = HttpClientRequest.get(runPath(appId, runId)).pipe(
          HttpClientRequest.setUrlParams(urlMode ? { format: "url" } : {})
        )
        const fetched = yield* api.json(request, RunResult)
        const result = new RunResult({ ...fetched, console_url: consoleUrl(appId, runId) })
        if (!urlMode || !result.metadata.isFinal) return result
        // A failed or canceled run asked for no local files (`outputDir: ""`, e.g. the durable
        // workflow's result step) is returned as it is rather than rejected.
        if (result.metadata.status_v2 !== "succeeded" && metadata.outputType !== "json" && options.outputDir === "") return result
        const output = yield* outputFor(appId, result, options, "Runs.runResult").pipe(
          Effect.catchIf(
            (error) => error instanceof NextmvHttpError && error.status === 404 && result.metadata.status_v2 !== "succeeded",
            () => Effect.succeed(undefined)
          )
        )
        // As nextmv-py: for archives the files are in `outputDir` and `output` stays `{"url": …}`.
        return output === undefined ? result : new RunResult({ ...result, output })
      }
    )

    const runResult = traced("Runs.runResult")(function*(appId: string, runId: string, options?: OutputDirOptions) {
      if (options !== undefined) yield* requireObject("Runs.runResult", "options", options)
      const information = yield* runInformation(appId, runId)
      return yield* runResultFor(appId, information, options)
    })

    const runInput = traced("Runs.runInput")(function*(appId: string, runId: string, options: OutputDirOptions = {}) {
      yield* requireObject("Runs.runInput", "options", options)
      const information = yield* runInformation(appId, runId)
      const inputType = information.metadata.inputType
      const archive = inputType === "csv-archive" || inputType === "multi-file"
      const large = archive || information.metadata.input_size > MAX_RUN_SIZE
      const request = HttpClientRequest.get(runInputPath(appId, runId)).pipe(
        HttpClientRequest.setUrlParams(large ? { format: "url" } : {})
      )
      if (!large) {
        return inputType === "text"
          ? yield* api.text(request)
          : yield* api.json(request, Schema.Unknown)
      }
      const { url } = yield* api.json(request, DownloadUrl)
      if (inputType === "json") return yield* downloadJson(url)
      if (inputType === "text") return yield* presigned.text(download(url))
      const outputDir = options.outputDir ?? "."
      if (outputDir === "") {
        return yield* invalidArgument("Runs.runInput", "If the input format is not JSON, an outputDir must be provided.")
      }
      yield* downloadAndExtract(url, outputDir)
      return undefined
    })

    const runLogs = traced("Runs.runLogs")(function*(appId: string, runId: string) {
      yield* requireIds("Runs.runLogs", { appId, runId })
      return yield* api.json(HttpClientRequest.get(runLogsPath(appId, runId)), RunLog)
    })

    const runLiveLogs = traced("Runs.runLiveLogs")(
      function*(appId: string, runId: string, options: { readonly since?: string | undefined } = {}) {
        yield* requireIds("Runs.runLiveLogs", { appId, runId })
        yield* requireObject("Runs.runLiveLogs", "options", options)
        const request = HttpClientRequest.get(runLiveLogsPath(appId, runId)).pipe(
          HttpClientRequest.setUrlParams(isGiven(options.since) ? { since: options.since } : {})
        )
        return yield* api.json(request, LiveLogs)
      }
    )

    /** nextmv-py filters by status client-side, after reading the runs (the API has no filter). */
    const withStatus = (status: StatusV2 | undefined) => (run: Run) => status === undefined || run.status_v2 === status

    // The runs list pages under `runs` (nextmv-py passes `items_key="runs"`); the only nextmv-py
    // pagination helper that could be read takes `items`: `itemsKey: "runs"` reads `runs`, else
    // `items` (see internal/pagination.ts). The meaning of `pagereturn=true` is undocumented; it is
    // sent because nextmv-py sends it.
    /** `maxPages`, when given, must be a whole number ≥ 1 (checked before any request). */
    const checkMaxPages = (operation: string, maxPages: unknown) =>
      maxPages === undefined || (typeof maxPages === "number" && Number.isInteger(maxPages) && maxPages >= 1)
        ? Effect.void
        : invalidArgument(operation, `maxPages must be a whole number ≥ 1, got ${String(maxPages)}`)

    const runPages = (appId: string, operation: string, options: StreamRunsOptions) =>
      paginate(api, runsPath(appId), Run, { operation, itemsKey: "runs", maxPages: options.maxPages }).pipe(
        Stream.filter(withStatus(options.status))
      )

    function listRuns(
      appId: string,
      options: ListRunsOptions & { readonly noPagination: true }
    ): Effect.Effect<ReadonlyArray<Run>, RunError>
    function listRuns(appId: string, options?: ListRunsOptions): Effect.Effect<ReadonlyArray<Run>, ListRunsError>
    function listRuns(appId: string, options: ListRunsOptions = {}): Effect.Effect<ReadonlyArray<Run>, ListRunsError> {
      const operation = "Runs.listRuns"
      return Effect.gen(function*() {
        yield* requireIds(operation, { appId })
        yield* requireObject(operation, "options", options)
        yield* checkMaxPages(operation, options.maxPages)
        if (options.noPagination === true) {
          const runs = yield* api.json(HttpClientRequest.get(runsPath(appId)), listOf(Run, "runs"))
          return runs.filter(withStatus(options.status))
        }
        return yield* Stream.runCollect(runPages(appId, operation, options)).pipe(Effect.map(Chunk.toReadonlyArray))
      }).pipe(Effect.withSpan(operation))
    }

    const streamRuns = (appId: string, options: StreamRunsOptions = {}): Stream.Stream<Run, ListRunsError> => {
      const operation = "Runs.streamRuns"
      return Stream.unwrap(
        Effect.zipRight(requireIds(operation, { appId }), requireObject(operation, "options", options)).pipe(
          Effect.zipRight(Effect.suspend(() => checkMaxPages(operation, options.maxPages))),
          Effect.map(() => runPages(appId, operation, options))
        )
      )
    }

    const cancelRun = traced("Runs.cancelRun")(function*(appId: string, runId: string) {
      yield* requireIds("Runs.cancelRun", { appId, runId })
      yield* api.discard(HttpClientRequest.patch(runCancelPath(appId, runId)))
    })

    const decodeAsset = Schema.decodeUnknown(RunAsset)
    const listAssets = traced("Runs.listAssets")(function*(appId: string, runId: string) {
      yield* requireIds("Runs.listAssets", { appId, runId })
      const operation = `GET ${runAssetsPath(appId, runId)}`
      const { items } = yield* api.json(HttpClientRequest.get(runAssetsPath(appId, runId)), AssetList)
      return yield* Effect.forEach(items, (item) =>
        decodeAsset({ ...item, run_id: runId }).pipe(
          Effect.mapError((error) => new NextmvDecodeError({ operation, issue: error.message }))
        ))
    })

    const downloadAssetContent = traced("Runs.downloadAssetContent")(
      function*(appId: string, runId: string, assetId: string, options: DownloadAssetOptions = {}) {
        yield* requireIds("Runs.downloadAssetContent", { appId, runId, assetId })
        yield* requireObject("Runs.downloadAssetContent", "options", options)
        const asset = yield* api.json(
          HttpClientRequest.get(runAssetsPath(appId, runId, assetId)),
          AssetDownload
        )
        const request = download(asset.download_url, asset.type === "json" ? "application/json" : "application/octet-stream")
        if (options.destination !== undefined) {
          yield* downloadToFile(request, options.destination)
          return undefined
        }
        return asset.type === "json" ? yield* downloadJson(asset.download_url) : yield* presigned.bytes(request)
      }
    )

    const trackRun = traced("Runs.trackRun")(function*(appId: string, run: TrackedRun, options: TrackRunOptions = {}) {
      const operation = "Runs.trackRun"
      yield* requireIds(operation, { appId })
      yield* requireObject(operation, "run", run)
      yield* requireObject(operation, "options", options)
      yield* requireOptionalIds(operation, { instanceId: options.instanceId })
      if (!isExternalRunStatus(run.status)) {
        return yield* invalidArgument(operation, `status must be "succeeded" or "failed", got "${String(run.status)}"`)
      }
      if (run.status === "succeeded" && isGiven(run.error)) {
        return yield* invalidArgument(operation, "error can only be set on a failed run")
      }
      if (run.input === undefined && !isGiven(run.inputDirPath)) {
        return yield* invalidArgument(operation, "either input or inputDirPath must be provided")
      }
      if (run.input !== undefined && isGiven(run.inputDirPath)) {
        return yield* invalidArgument(operation, "give either input or inputDirPath, not both")
      }
      if (run.output !== undefined && isGiven(run.outputDirPath)) {
        return yield* invalidArgument(operation, "give either output or outputDirPath, not both")
      }
      // Every part is checked before the first request, so that a bad one leaves no upload behind.
      yield* validateTrackedParts(operation, run)
      if (isGiven(run.inputDirPath)) yield* provideFs(requireDirectory(operation, run.inputDirPath))
      if (isGiven(run.outputDirPath)) yield* provideFs(requireDirectory(operation, run.outputDirPath))
      const configuration = yield* validateExecutionSettings(operation, options.configuration)

      return yield* Effect.scoped(Effect.gen(function*() {
        const upload = (data: UploadData) =>
          Effect.gen(function*() {
            const target = yield* uploads.uploadUrl(appId)
            yield* uploads.uploadData(target, data)
            return target.upload_id
          })
        const fromValue = (value: unknown) => typeof value === "string" ? UploadData.text(value) : UploadData.json(value)
        const fromDirectory = (dir: string) => Effect.map(provideFs(packageDirectory(dir)), UploadData.file)

        const inputUploadId = yield* upload(
          isGiven(run.inputDirPath) ? yield* fromDirectory(run.inputDirPath) : fromValue(run.input)
        )
        type Mutable<T> = { -readonly [K in keyof T]: T[K] }
        const result: Mutable<ExternalRunResult> = { status: run.status }
        if (run.duration !== undefined) result.execution_duration = run.duration
        if (isGiven(run.outputDirPath)) result.output_upload_id = yield* upload(yield* fromDirectory(run.outputDirPath))
        else if (run.output !== undefined && run.output !== null && run.output !== "") {
          result.output_upload_id = yield* upload(fromValue(run.output))
        }
        const logs = typeof run.logs === "string" ? run.logs : run.logs?.join("\n")
        if (isGiven(logs)) result.error_upload_id = yield* upload(UploadData.text(logs))
        if (isGiven(run.error)) result.error_message = run.error
        if (run.statistics !== undefined && Object.keys(run.statistics).length > 0) {
          const statistics = "statistics" in run.statistics ? run.statistics : { statistics: run.statistics }
          result.statistics_upload_id = yield* upload(UploadData.json(statistics))
        }
        if (run.metrics !== undefined && Object.keys(run.metrics).length > 0) {
          result.metrics_upload_id = yield* upload(UploadData.json(run.metrics))
        }
        if (run.assets !== undefined) {
          const assets = Array.isArray(run.assets)
            ? { assets: run.assets }
            : "assets" in run.assets
            ? run.assets
            : { assets: run.assets }
          result.assets_upload_id = yield* upload(UploadData.json(assets))
        }
        return yield* newRun(appId, {
          uploadId: inputUploadId,
          externalResult: result,
          instanceId: options.instanceId,
          name: run.name,
          description: run.description,
          // nextmv-py sends JSON/JSON here whatever the input was (`track_run`); the format of the
          // tracked input is what the platform should record, so it is derived from it.
          configuration: configuration ?? defaultConfiguration(run.input, undefined, isGiven(run.inputDirPath))
        })
      }))
    })

    // The run programs wait at gates as wide as this client's connection cap (`internal/runGates.ts`).
    return withGates(
      Runs.of({
        newRun,
        runInformation,
        runMetadata,
        deleteRun,
        runOutput,
        runResult,
        runResultFor,
        runInput,
        runLogs,
        runLiveLogs,
        listRuns,
        streamRuns,
        cancelRun,
        listAssets,
        downloadAssetContent,
        trackRun,
        consoleUrl
      }),
      client.maxConnections
    )
  })

/** The `Runs` layer; requires `NextmvClient`, `Uploads`, `FileSystem` and `Path`. */
export const layer: Layer.Layer<Runs, never, NextmvClient | Uploads | FileSystem.FileSystem | Path.Path> = Layer
  .effect(Runs, make)

/** Re-exported for convenience: metadata class with `isFinal`, `outputType`, `inputType`. */
export { Metadata }
