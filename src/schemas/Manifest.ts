/**
 * The app manifest, `app.yaml` (nextmv-py `nextmv.cloud.Manifest`), as far as `push` needs it. TS property names
 * are camelCase; the YAML keys (and their aliases `pre_push`, `pip_requirements`, `multi_file`)
 * are mapped with `Schema.fromKey`. Unknown keys are ignored.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** The manifest file name. */
export const MANIFEST_FILE_NAME = "app.yaml"

/** Default runtime image. */
export const DEFAULT_RUNTIME = "ghcr.io/nextmv-io/runtime/python:3.11"

/** `python`, `go`, `java`, `binary`. */
export const ManifestType = Schema.Literal("python", "go", "java", "binary")
export type ManifestType = typeof ManifestType.Type

/**
 * Known runtime images of the newest nextmv-py (older ones listed `hexaly`). Any
 * other string is accepted, since the platform adds runtimes over time.
 */
export const KNOWN_RUNTIMES = [
  "ghcr.io/nextmv-io/runtime/default:latest",
  "ghcr.io/nextmv-io/runtime/python:3.11",
  "ghcr.io/nextmv-io/runtime/java:latest",
  "ghcr.io/nextmv-io/runtime/pyomo:latest",
  "ghcr.io/nextmv-io/runtime/cuopt:latest",
  "ghcr.io/nextmv-io/runtime/gamspy:latest"
] as const

const opt = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { exact: true })
const optKey = <S extends Schema.Schema.Any>(schema: S, key: string) =>
  Schema.optionalWith(schema, { exact: true }).pipe(Schema.fromKey(key))

/** A Python version: a YAML float such as `3.11` becomes the string `"3.11"`. */
const PythonVersion = Schema.Union(
  Schema.String,
  Schema.transform(Schema.Number, Schema.String, {
    strict: true,
    decode: (n) => String(n),
    encode: (s) => Number(s)
  })
)

/** `python:` — dependency bundling options. */
export const ManifestPython = Schema.Struct({
  /** A requirements file (or `.toml` file) relative to the app dir, or an inline package list. */
  pipRequirements: optKey(Schema.Union(Schema.String, Schema.Array(Schema.String)), "pip-requirements"),
  /** Wheel platform: `arm64` (the default) or `amd64`. */
  arch: opt(Schema.Literal("arm64", "amd64")),
  /** `major.minor`, at least 3.10. Default `3.11`. */
  version: opt(PythonVersion),
  /** Python-native model pushes only (not supported by this SDK's push; kept for round trips). */
  model: opt(Schema.Struct({
    name: Schema.String,
    options: opt(Schema.Array(Schema.Record({ key: Schema.String, value: Schema.Unknown })))
  }))
})
export type ManifestPython = typeof ManifestPython.Type

/** `build:` — a command run (without a shell) in the app dir before packaging. */
export const ManifestBuild = Schema.Struct({
  command: opt(Schema.String),
  /** Extra environment variables; values are turned into strings. */
  environment: opt(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})

/** `execution:` — entry point and working directory. */
export const ManifestExecution = Schema.Struct({
  entrypoint: opt(Schema.String),
  cwd: opt(Schema.String)
})

/** `configuration.content.multi-file`. */
export const ManifestMultiFile = Schema.Struct({
  input: opt(Schema.Struct({ path: opt(Schema.String) })),
  output: opt(Schema.Struct({
    statistics: opt(Schema.String),
    metrics: opt(Schema.String),
    assets: opt(Schema.String),
    solutions: opt(Schema.String)
  }))
})

/** One app option (`configuration.options.items[]`). */
export const ManifestOption = Schema.Struct({
  name: Schema.String,
  /** `string`, `bool`, `int`, `float` (YAML also accepts `type`). */
  optionType: Schema.Literal("string", "bool", "int", "float").pipe(Schema.propertySignature, Schema.fromKey("option_type")),
  default: opt(Schema.Unknown),
  description: opt(Schema.String),
  required: opt(Schema.Boolean),
  additionalAttributes: optKey(Schema.Record({ key: Schema.String, value: Schema.Unknown }), "additional_attributes"),
  ui: opt(Schema.Struct({
    controlType: optKey(Schema.String, "control_type"),
    hiddenFrom: optKey(Schema.Array(Schema.String), "hidden_from"),
    displayName: optKey(Schema.String, "display_name")
  }))
})
export type ManifestOption = typeof ManifestOption.Type

/** `configuration:` — content format and app options. */
export const ManifestConfiguration = Schema.Struct({
  content: opt(Schema.Struct({
    format: Schema.Literal("json", "multi-file", "csv-archive"),
    multiFile: optKey(ManifestMultiFile, "multi-file")
  })),
  options: opt(Schema.Struct({
    strict: opt(Schema.Boolean),
    validation: opt(Schema.Struct({ enforce: Schema.Literal("none", "all") })),
    items: opt(Schema.Array(ManifestOption)),
    format: opt(Schema.Array(Schema.String))
  }))
})

/** The manifest (`app.yaml`). */
export class Manifest extends Schema.Class<Manifest>("Manifest")({
  /** Default `python`. */
  type: Schema.optionalWith(ManifestType, { default: () => "python" }),
  /** Default `ghcr.io/nextmv-io/runtime/python:3.11`. */
  runtime: Schema.optionalWith(Schema.String, { default: () => DEFAULT_RUNTIME }),
  /**
   * Glob patterns of the files to push, in order: a leading `!` removes the matches collected so
   * far, a trailing `/` means everything below, `**` crosses directories.
   */
  files: Schema.NonEmptyArray(Schema.String),
  python: opt(ManifestPython),
  build: opt(ManifestBuild),
  /** Run through a shell after the build command. */
  prePush: optKey(Schema.String, "pre-push"),
  execution: opt(ManifestExecution),
  configuration: opt(ManifestConfiguration)
}) {}

/** YAML aliases (snake_case) of dashed keys, by the object they appear in. */
const ALIASES: ReadonlyArray<readonly [path: ReadonlyArray<string>, from: string, to: string]> = [
  [[], "pre_push", "pre-push"],
  [["python"], "pip_requirements", "pip-requirements"],
  [["configuration", "content"], "multi_file", "multi-file"]
]

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined

/**
 * Rewrites the aliases nextmv-py accepts (`pre_push`, `pip_requirements`, `multi_file`, an
 * option's `type`) to the canonical keys, so {@link Manifest} decodes either spelling. The input
 * is not modified.
 */
export const normalizeManifestKeys = (raw: unknown): unknown => {
  const root = asRecord(raw)
  if (root === undefined) return raw
  const copy: Record<string, unknown> = structuredClone(root)
  for (const [path, from, to] of ALIASES) {
    let at: Record<string, unknown> | undefined = copy
    for (const key of path) at = asRecord(at?.[key])
    if (at !== undefined && from in at && !(to in at)) {
      at[to] = at[from]
      delete at[from]
    }
  }
  const items = asRecord(asRecord(asRecord(copy["configuration"])?.["options"]))?.["items"]
  if (Array.isArray(items)) {
    for (const item of items) {
      const option = asRecord(item)
      if (option !== undefined && "type" in option && !("option_type" in option)) {
        option["option_type"] = option["type"]
        delete option["type"]
      }
    }
  }
  return copy
}

/** Decodes a parsed YAML document (aliases allowed) into a {@link Manifest}. */
export const decodeManifest = (raw: unknown) => Schema.decodeUnknown(Manifest)(normalizeManifestKeys(raw), { onExcessProperty: "ignore" })

/** The YAML-key form of a manifest (what is written into the bundle as `app.yaml`). */
export const encodeManifest = Schema.encode(Manifest)
