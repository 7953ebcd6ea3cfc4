/**
 * Manifest handling for `push`: reading `app.yaml`, the mandatory files, the YAML written into
 * the bundle and the activation request (nextmv-py's `Manifest` and `Application.push`; see the
 * Nextmv docs "Application manifest").
 */
import { FileSystem, Path } from "@effect/platform"
import { Effect, ParseResult } from "effect"
import { decodeManifest, encodeManifest, Manifest, MANIFEST_FILE_NAME } from "../../schemas/Manifest.js"
import { errorMessage, loadYaml } from "../../internal/lazy.js"
import { ManifestError } from "./errors.js"

/**
 * Reads and validates `<appDir>/app.yaml` (aliases such as `pre_push` accepted).
 *
 * @example
 * ```ts
 * const manifest = yield* readManifest("./my-app")
 * ```
 */
export const readManifest = (appDir: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const file = path.join(appDir, MANIFEST_FILE_NAME)
    const text = yield* fs.readFileString(file).pipe(
      Effect.mapError((error) =>
        new ManifestError({
          path: file,
          reason: error._tag === "SystemError" && error.reason === "NotFound" ? "file not found" : error.message
        })
      )
    )
    return yield* parseManifest(text, file)
  })

/** Parses and validates a manifest document (`source` names it in errors). */
export const parseManifest = (text: string, source?: string): Effect.Effect<Manifest, ManifestError> =>
  Effect.tryPromise({
    try: loadYaml,
    catch: (error) => new ManifestError({ path: source, reason: `cannot load the YAML parser: ${errorMessage(error)}` })
  }).pipe(
    Effect.flatMap((YAML) =>
      Effect.try({
        try: (): unknown => YAML.parse(text),
        catch: (error) => new ManifestError({ path: source, reason: `not valid YAML: ${errorMessage(error)}` })
      })
    ),
    Effect.flatMap((raw) =>
      decodeManifest(raw).pipe(
        Effect.mapError((error) => new ManifestError({ path: source, reason: ParseResult.TreeFormatter.formatErrorSync(error) }))
      )
    )
  )

/** The file each manifest type needs when no `execution.entrypoint` is set. */
const DEFAULT_ENTRYPOINTS: Readonly<Record<Manifest["type"], string>> = {
  python: "main.py",
  go: "main",
  binary: "main",
  java: "main.jar"
}

/** Normalises a relative path: `./a//b/../c` → `a/c`. */
const normalize = (file: string): string => {
  const out: Array<string> = []
  for (const part of file.split(/[\\/]+/)) {
    if (part === "" || part === ".") continue
    if (part === "..") out.pop()
    else out.push(part)
  }
  return out.join("/")
}

/** The mandatory files: the (normalised) entrypoint, or the type's default entry file. */
export const mandatoryFiles = (manifest: Manifest): ReadonlyArray<string> =>
  manifest.execution?.entrypoint !== undefined && manifest.execution.entrypoint !== ""
    ? [normalize(manifest.execution.entrypoint)]
    : [DEFAULT_ENTRYPOINTS[manifest.type]]

/** The manifest as written into the bundle: YAML keys (dashed aliases), no nulls, indent 2. */
export const manifestYaml = (manifest: Manifest): Effect.Effect<string> =>
  Effect.all([encodeManifest(manifest), Effect.promise(loadYaml)]).pipe(
    Effect.orDie,
    Effect.map(([encoded, YAML]) => YAML.stringify(encoded, { indent: 2 }))
  )

/** Leaves out undefined and null values (nextmv-py drops nulls). */
const compact = (record: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined && v !== null))

/** Keeps only truthy values (the multi-file paths are sent only when set). */
const truthy = (record: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(record).filter(([, v]) => Boolean(v)))

/**
 * The body of `PUT …/binary` (nextmv-py's `Application.push` activation): type and runtime, plus the I/O configuration, the
 * options, the entrypoint and the working directory when the manifest sets them.
 *
 * Only `statistics`, `assets` and `solutions` of a multi-file output are mapped, as in
 * the activation builders that were read; the newer `metrics` key has no known wire name.
 */
export const activationRequest = (manifest: Manifest): { readonly requirements: Record<string, unknown> } => {
  const requirements: Record<string, unknown> = { executable_type: manifest.type, runtime: manifest.runtime }
  const content = manifest.configuration?.content
  if (content !== undefined) {
    const io: Record<string, unknown> = { format: content.format }
    const multiFile = content.multiFile
    if (multiFile !== undefined) {
      const multi: Record<string, unknown> = truthy({ input_path: multiFile.input?.path })
      if (multiFile.output !== undefined) {
        multi["output_configuration"] = truthy({
          statistics_path: multiFile.output.statistics,
          assets_path: multiFile.output.assets,
          solutions_path: multiFile.output.solutions
        })
      }
      io["multi_file"] = multi
    }
    requirements["io_configuration"] = io
  }
  const options = manifest.configuration?.options
  if (options !== undefined) {
    requirements["options"] = compact({
      strict: options.strict ?? false,
      validation: options.validation,
      items: options.items?.map((item) =>
        compact({
          name: item.name,
          option_type: item.optionType,
          default: item.default,
          description: item.description ?? "",
          required: item.required ?? false,
          additional_attributes: item.additionalAttributes,
          ui: item.ui === undefined ? undefined : compact({
            control_type: item.ui.controlType,
            hidden_from: item.ui.hiddenFrom,
            display_name: item.ui.displayName
          })
        })
      ),
      // A list-valued `format` is sent as a template.
      format: options.format === undefined ? undefined : { template: options.format }
    })
  }
  if (manifest.execution?.entrypoint) requirements["entrypoint"] = manifest.execution.entrypoint
  if (manifest.execution?.cwd) requirements["working_directory"] = manifest.execution.cwd
  return { requirements }
}

export { Manifest }
