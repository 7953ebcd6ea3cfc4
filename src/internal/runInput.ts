/**
 * The pure rules of `newRun` (nextmv-py `Application.new_run`): size measurement,
 * the upload decision, the default configuration, options encoding, and directory packaging.
 */
import { FileSystem, Path } from "@effect/platform"
import { type PlatformError, SystemError } from "@effect/platform/Error"
import { Effect, Scope } from "effect"
import { InvalidArgumentError, NextmvDecodeError } from "../Errors.js"
import { errorMessage, loadTar } from "./lazy.js"
import { requireJson } from "./validate.js"
import { type ContentType, MAX_RUN_SIZE, type RunConfiguration } from "../schemas/Runs.js"

/**
 * Byte size of a value serialised as nextmv-py does it (compact JSON with `ensure_ascii`: every
 * non-ASCII UTF-16 code unit counts as a 6-byte `\uXXXX` escape); a string counts its UTF-8 bytes.
 */
export const inputSize = (value: unknown): number => {
  if (value === undefined || value === null) return 0
  if (typeof value === "string") return Buffer.byteLength(value, "utf8")
  return jsonTextSize(JSON.stringify(value))
}

/** {@link inputSize} of a value from its compact JSON text (so a large input is serialised once). */
export const jsonTextSize = (json: string): number => {
  let size = 0
  for (let i = 0; i < json.length; i++) size += json.charCodeAt(i) < 0x80 ? 1 : 6
  return size
}

/** What decides how a run's input travels. */
export interface UploadDecisionInput {
  readonly input?: unknown
  /** The input's compact JSON text when the caller has it already (it is then not serialised again). */
  readonly inputJson?: string | undefined
  readonly inputFormat?: ContentType | undefined
  readonly uploadId?: string | undefined
  readonly managedInputId?: string | undefined
  readonly fromDirectory: boolean
}

/**
 * `true` when the input must go through an upload URL: no upload id and no managed input id were
 * given, and the input is larger than 5 MiB (strictly), is text, has a non-JSON format, or comes
 * from a directory. Without any input (no `input`, no directory) there is nothing to upload.
 */
export const needsUpload = (decision: UploadDecisionInput): boolean => {
  if (nonEmpty(decision.uploadId) || nonEmpty(decision.managedInputId)) return false
  if (decision.input === undefined && !decision.fromDirectory) return false
  return decision.fromDirectory ||
    typeof decision.input === "string" ||
    (decision.inputFormat !== undefined && decision.inputFormat !== "json") ||
    (decision.inputJson !== undefined && decision.input !== null
        ? jsonTextSize(decision.inputJson)
        : inputSize(decision.input)) > MAX_RUN_SIZE
}

const nonEmpty = (value: string | undefined): value is string => value !== undefined && value !== ""

/** The output format that follows an input format (as nextmv-py's `new_run`). */
export const outputTypeFor = (input: ContentType): ContentType => input === "csv-archive" || input === "multi-file" ? input : "json"

/**
 * The configuration sent when the caller gives none (as nextmv-py's `new_run`): JSON in and out, except text input
 * (output JSON), a directory (`multi-file`), or an explicit input format.
 */
export const defaultConfiguration = (input: unknown, inputFormat: ContentType | undefined, fromDirectory: boolean) => {
  const type: ContentType = inputFormat ??
    (typeof input === "string" ? "text" : fromDirectory ? "multi-file" : "json")
  return { format: { input: { type }, output: { type: outputTypeFor(type) } } } satisfies RunConfiguration
}

/**
 * Options as the API wants them: every value a string, non-strings JSON-encoded. A value with no
 * JSON form (a function, `undefined`, a cycle, a `BigInt`) is an {@link InvalidArgumentError}, as
 * nextmv-py's "options must be dict[str,str]" — nothing is dropped silently.
 */
export const encodeOptions = (
  operation: string,
  options: Readonly<Record<string, unknown>>
): Effect.Effect<Record<string, string>, InvalidArgumentError> =>
  Effect.forEach(Object.entries(options), ([key, value]) =>
    typeof value === "string"
      ? Effect.succeed([key, value] as const)
      : Effect.map(requireJson(operation, `option "${key}"`, value), (text) => [key, text] as const)).pipe(
      Effect.map(Object.fromEntries)
    )

/** Fails unless `path` exists and is a directory (nextmv-py's ValueErrors). */
export const requireDirectory = (operation: string, path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(path).pipe(Effect.option)
    if (info._tag === "None") return yield* new InvalidArgumentError({ operation, reason: `Directory ${path} does not exist.` })
    if (info.value.type !== "Directory") {
      return yield* new InvalidArgumentError({ operation, reason: `Path ${path} is not a directory.` })
    }
  })

/** The regular files below `dir`, as paths relative to it (no directory entries). */
const listFiles = (dir: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const names = yield* fs.readDirectory(dir, { recursive: true })
    const files: Array<string> = []
    for (const name of names.sort()) {
      if (path.basename(name) === "inputs.tar.gz") continue
      const info = yield* fs.stat(path.join(dir, name))
      if (info.type === "File") files.push(name.split(path.sep).join("/"))
    }
    return files
  })

/**
 * Packages the regular files below `dir` into a gzip-compressed tar in a scoped temporary
 * directory (removed when the scope closes), names relative to `dir`, `inputs.tar.gz` skipped
 * (as nextmv-py's `new_run` with `input_dir_path`). The archive is streamed to disk, never held in memory. Returns its path.
 */
export const packageDirectory = (
  dir: string
): Effect.Effect<string, PlatformError, FileSystem.FileSystem | Path.Path | Scope.Scope> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const files = yield* listFiles(dir)
    const out = yield* fs.makeTempDirectoryScoped({ prefix: "nextmv-inputs-out-" })
    const archive = path.join(out, "inputs.tar.gz")
    yield* Effect.tryPromise({
      try: () => loadTar().then((Tar) => Tar.c({ gzip: true, cwd: dir, file: archive, portable: true }, files)),
      catch: (cause) =>
        new SystemError({
          reason: "Unknown",
          module: "FileSystem",
          method: "packageDirectory",
          pathOrDescriptor: dir,
          description: `cannot package ${dir} as tar.gz`,
          cause
        })
    })
    return archive
  })

/**
 * Extracts a gzip-compressed tar file into `dir` (created if missing), as nextmv-py does for
 * `multi-file` and `csv-archive` results. A broken archive is a {@link NextmvDecodeError} naming
 * `operation` (where it was downloaded from).
 */
export const extractArchive = (operation: string, archive: string, dir: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    yield* fs.makeDirectory(dir, { recursive: true })
    const Tar = yield* Effect.tryPromise({
      try: loadTar,
      catch: (cause) => new NextmvDecodeError({ operation, issue: `cannot unpack the download: ${errorMessage(cause)}` })
    })
    yield* Effect.tryPromise({
      // strict: a corrupt archive fails instead of being skipped with a warning.
      try: () => Tar.x({ file: archive, cwd: dir, strict: true }),
      catch: (cause) => new NextmvDecodeError({ operation, issue: `the download is not a valid tar.gz archive (${String(cause)})` })
    })
  })
