/**
 * `cloneRun` and `cloneRunWithResult`: nextmv-py's `Application.clone_run` and
 * `clone_run_with_result`. A clone is a new run with the original's input, instance, options and
 * configuration, each replaceable, tagged `"tracking": {"cloned_run_id": …}`.
 *
 * @since 0.1.0
 */
import { FileSystem } from "@effect/platform"
import type { Option } from "effect"
import { Effect } from "effect"
import { defaultConfiguration } from "../internal/runInput.js"
import { invalidArgument, isGiven, isRecordObject, requireIds, requireObject, requireOptionalIds } from "../internal/validate.js"
import type { ContentType, Metadata, RunConfiguration, RunResult } from "../schemas/Runs.js"
import { type NewRunOptions, type RunError, Runs } from "../services/Runs.js"
import type { StopOption } from "./Polling.js"
import { type RunFailedError, type RunPollingError, runResultWithPolling, runResultWithPollingStoppable, type WaitOptions } from "./Runs.js"

/** Longest clone name (nextmv-py). */
export const MAX_CLONE_NAME = 128
/** Longest clone description (nextmv-py). */
export const MAX_CLONE_DESCRIPTION = 256

/** Options of {@link cloneRun}: every field replaces what is taken from the original run. */
export interface CloneRunOptions {
  /**
   * A new input (JSON value or text). Default: the original's input, downloaded. Give at most one
   * of `input`, `inputDirPath`, `uploadId`, `managedInputId`.
   */
  readonly input?: unknown
  /** Content format of `input` or of the data behind `uploadId`. */
  readonly inputFormat?: ContentType | undefined
  /** A directory for a `multi-file` input. Default: the original's files, downloaded to a temporary directory. */
  readonly inputDirPath?: string | undefined
  /** Id of data uploaded beforehand (nextmv-py's `upload_id`). */
  readonly uploadId?: string | undefined
  /** A managed input. Default: the original's managed input (`tracking.input_id`), if any. */
  readonly managedInputId?: string | undefined
  /** Default: the original's instance. */
  readonly instanceId?: string | undefined
  /** Default: `"{original name or id} clone"`; cut to 128 characters. */
  readonly name?: string | undefined
  /** Default: `"Clone of {original description or id}"`; cut to 256 characters. */
  readonly description?: string | undefined
  /** Default: the original's options (its `options_summary`). */
  readonly options?: Readonly<Record<string, unknown>> | undefined
  /**
   * Fields given here win; the others come from the original run: execution class, run type,
   * secrets collection, queuing (priority, disabled), integration. Without a configuration the
   * format follows the new input; a configuration without `format` keeps the original's format.
   */
  readonly configuration?: RunConfiguration | undefined
}

const nonEmpty = (value: unknown): string | undefined => typeof value === "string" && value !== "" ? value : undefined

const cut = (text: string, max: number) => text.slice(0, max)

type Source = Pick<NewRunOptions, "input" | "inputFormat" | "inputDirPath" | "uploadId" | "managedInputId">

/**
 * Clones a run and returns the new run's id. Steps (nextmv-py's `clone_run`): read the original's
 * information (`GET …/runs/{id}/metadata`); take its input unless a new input, directory, upload
 * or managed input is given (JSON and text re-downloaded with `runInput`; `multi-file` and
 * `csv-archive` files downloaded into a temporary directory that is removed after the
 * submission); instance, name (`"… clone"`, at most 128 characters), description (`"Clone of …"`,
 * at most 256), options and configuration from the original unless given; then `Runs.newRun`
 * with `"tracking": {"cloned_run_id": …}`.
 *
 * Differences from nextmv-py (its behaviour here is not an API rule): when a managed input is used
 * (given, or the original's `tracking.input_id`) nothing is downloaded (nextmv-py downloads the
 * input and then sends only `input_id`, and fails for multi-file originals); `text` and
 * `csv-archive` originals are re-downloaded instead of being sent as `"input": null`. Giving two
 * input sources fails like `newRun`; a managed input together with `inputDirPath` fails with
 * nextmv-py's `InvalidArgumentError` "Cannot specify both a managed input and an input directory
 * path.". The clone's configuration goes through `newRun`'s checks (nextmv-py skips the integration
 * rule here).
 *
 * @example
 * ```ts
 * const cloneId = yield* cloneRun("routing-app", "latest-abc123", { options: { "solve.duration": "30s" } })
 * ```
 */
export const cloneRun = (
  appId: string,
  clonedRunId: string,
  options: CloneRunOptions = {}
): Effect.Effect<string, RunError, Runs | FileSystem.FileSystem> =>
  Effect.scoped(Effect.gen(function*() {
    const operation = "Runs.cloneRun"
    yield* requireIds(operation, { appId, clonedRunId })
    yield* requireObject(operation, "options", options)
    if (options.options !== undefined) yield* requireObject(operation, "options.options", options.options)
    if (options.configuration !== undefined) yield* requireObject(operation, "options.configuration", options.configuration)
    yield* requireOptionalIds(operation, {
      uploadId: options.uploadId,
      managedInputId: options.managedInputId,
      instanceId: options.instanceId
    })
    const given = [
      options.input !== undefined ? "input" : undefined,
      isGiven(options.inputDirPath) ? "inputDirPath" : undefined,
      isGiven(options.uploadId) ? "uploadId" : undefined,
      isGiven(options.managedInputId) ? "managedInputId" : undefined
    ].filter((s) => s !== undefined)
    if (isGiven(options.managedInputId) && isGiven(options.inputDirPath)) {
      return yield* invalidArgument(operation, "Cannot specify both a managed input and an input directory path.")
    }
    if (given.length > 1) {
      return yield* invalidArgument(operation, `give only one of input, inputDirPath, uploadId, managedInputId (got ${given.join(", ")})`)
    }

    const runs = yield* Runs
    const info = yield* runs.runInformation(appId, clonedRunId)
    const metadata = info.metadata
    const tracking = isRecordObject(metadata.tracking) ? metadata.tracking : {}
    const originalManagedInput = nonEmpty(tracking["input_id"])
    if (originalManagedInput !== undefined && isGiven(options.inputDirPath)) {
      return yield* invalidArgument(operation, "Cannot specify both a managed input and an input directory path.")
    }

    // The input: what the caller gave, else the original's managed input, else the original's data.
    let source: Source
    if (given.length === 1) {
      source = {
        input: options.input,
        inputFormat: options.inputFormat,
        inputDirPath: options.inputDirPath,
        uploadId: options.uploadId,
        managedInputId: options.managedInputId
      }
    } else if (originalManagedInput !== undefined) {
      source = { managedInputId: originalManagedInput }
    } else if (metadata.inputType === "json" || metadata.inputType === "text") {
      source = { input: yield* runs.runInput(appId, clonedRunId), inputFormat: metadata.inputType }
    } else {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "nextmv-clone-" })
      yield* runs.runInput(appId, clonedRunId, { outputDir: dir })
      source = { inputDirPath: dir }
    }

    const baseName = info.name || clonedRunId
    const name = isGiven(options.name) ? cut(options.name, MAX_CLONE_NAME) : `${cut(baseName, MAX_CLONE_NAME - 6)} clone`
    const baseDescription = info.description || clonedRunId
    const description = isGiven(options.description)
      ? cut(options.description, MAX_CLONE_DESCRIPTION)
      : `Clone of ${cut(baseDescription, MAX_CLONE_DESCRIPTION - 9)}`

    const summary = isRecordObject(metadata.options) && Array.isArray(metadata.options["options_summary"])
      ? (metadata.options["options_summary"] as ReadonlyArray<unknown>)
      : []
    const originalOptions: Record<string, unknown> = {}
    for (const item of summary) {
      if (isRecordObject(item) && typeof item["name"] === "string") originalOptions[item["name"]] = item["value"]
    }
    const runOptions = options.options !== undefined && Object.keys(options.options).length > 0
      ? options.options
      : Object.keys(originalOptions).length > 0
      ? originalOptions
      : undefined

    const configuration = cloneConfiguration(options.configuration, metadata, source)
    return yield* runs.newRun(appId, {
      ...source,
      instanceId: isGiven(options.instanceId) ? options.instanceId : nonEmpty(metadata.application_instance_id),
      name,
      description,
      ...(runOptions !== undefined ? { options: runOptions } : {}),
      configuration,
      clonedRunId
    })
  })).pipe(Effect.withSpan("Runs.cloneRun", { attributes: { appId, clonedRunId } }))

/** The clone's configuration: given fields win, the others come from the original's metadata. */
const cloneConfiguration = (
  given: RunConfiguration | undefined,
  metadata: Metadata,
  source: Source
): RunConfiguration => {
  const integration = isRecordObject(metadata.integration) ? nonEmpty(metadata.integration["id"]) : undefined
  const priority = given?.queuing?.priority ?? metadata.queuing_priority
  const disabled = given?.queuing?.disabled ?? metadata.queuing_disabled
  const runType = given?.run_type ?? (metadata.run_type.type !== undefined ? metadata.run_type : undefined)
  const executionClass = nonEmpty(given?.execution_class) ?? nonEmpty(metadata.execution_class)
  const secrets = nonEmpty(given?.secrets_collection_id) ?? metadata.secrets_collection_id
  const integrationId = nonEmpty(given?.integration_id) ?? integration
  // nextmv-py: a given configuration keeps its format, or takes the original's when it has none;
  // without one the format is resolved from the new input. A managed input or an upload has no
  // local data to resolve from: the original's format (or the given `inputFormat`) is used.
  const format = given !== undefined
    ? given.format ?? metadata.format
    : source.managedInputId !== undefined || (source.uploadId !== undefined && source.inputFormat === undefined)
    ? metadata.format
    : defaultConfiguration(source.input, source.inputFormat, source.inputDirPath !== undefined).format
  return {
    ...(executionClass !== undefined ? { execution_class: executionClass } : {}),
    format,
    ...(runType !== undefined
      ? {
        run_type: {
          ...(runType.type !== undefined && runType.type !== null ? { type: runType.type } : {}),
          ...(runType.definition_id !== undefined && runType.definition_id !== null ? { definition_id: runType.definition_id } : {}),
          ...(runType.reference_id !== undefined && runType.reference_id !== null ? { reference_id: runType.reference_id } : {})
        }
      }
      : {}),
    ...(secrets !== undefined ? { secrets_collection_id: secrets } : {}),
    ...(priority !== undefined || disabled !== undefined
      ? { queuing: { ...(priority !== undefined ? { priority } : {}), ...(disabled !== undefined ? { disabled } : {}) } }
      : {}),
    ...(integrationId !== undefined ? { integration_id: integrationId } : {})
  }
}

/**
 * Clones a run ({@link cloneRun}) and waits for the clone's result (`runResultWithPolling`:
 * fails with `RunFailedError` when the clone fails or is canceled). nextmv-py's
 * `clone_run_with_result` (which, unlike `clone_run`, has no `upload_id`; here both take the same
 * clone options).
 *
 * @example
 * ```ts
 * const result = yield* cloneRunWithResult("routing-app", "latest-abc123", {
 *   instanceId: "candidate-v2",
 *   polling: { maxDuration: "10 minutes" }
 * })
 * ```
 */
export const cloneRunWithResult = (
  appId: string,
  clonedRunId: string,
  options: CloneRunOptions & WaitOptions = {}
): Effect.Effect<RunResult, RunPollingError | RunFailedError, Runs | FileSystem.FileSystem> =>
  cloneRun(appId, clonedRunId, options).pipe(
    Effect.flatMap((runId) => runResultWithPolling(appId, runId, options)),
    Effect.withSpan("Runs.cloneRunWithResult", { attributes: { appId, clonedRunId } })
  )

/**
 * {@link cloneRunWithResult} with nextmv-py's `stop`: asked before each check; `true` ends with
 * `Option.none()` (the clone keeps running).
 *
 * @example
 * ```ts
 * const result = yield* cloneRunWithResultStoppable("routing-app", "latest-abc123", { stop: Ref.get(shuttingDown) })
 * ```
 */
export const cloneRunWithResultStoppable = (
  appId: string,
  clonedRunId: string,
  options: CloneRunOptions & WaitOptions & StopOption
): Effect.Effect<Option.Option<RunResult>, RunPollingError | RunFailedError, Runs | FileSystem.FileSystem> =>
  cloneRun(appId, clonedRunId, options).pipe(
    Effect.flatMap((runId) => runResultWithPollingStoppable(appId, runId, options)),
    Effect.withSpan("Runs.cloneRunWithResultStoppable", { attributes: { appId, clonedRunId } })
  )
