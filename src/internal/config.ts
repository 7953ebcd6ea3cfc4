/**
 * Resolution of the API key and base URL like nextmv-py (`nextmv.cloud.Client`, whose API key
 * comes from the argument, `NEXTMV_API_KEY` or `~/.nextmv/config.yaml`, see the Nextmv docs
 * "Nextmv CLI / configuration"):
 * explicit options → `NEXTMV_API_KEY` / `NEXTMV_ENDPOINT` → the active profile of
 * `~/.nextmv/config.yaml` (`NEXTMV_PROFILE` or the `profile` option) → the file's top level →
 * the default URL. Environment values are read through Effect `Config` and the file through the
 * platform `FileSystem`, so tests inject both.
 */
import { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Config, ConfigError, Effect, Redacted } from "effect"
import { NextmvConfigError } from "../Errors.js"
import { loadYaml } from "./lazy.js"

/** The hard-coded default API endpoint. */
export const DEFAULT_BASE_URL = "https://api.cloud.nextmv.io"

/** What the caller of `layerConfig` may fix explicitly (these win over everything else). */
export interface ConfigOverrides {
  readonly apiKey?: Redacted.Redacted<string> | undefined
  readonly baseUrl?: string | undefined
  /** Named profile of the config file; `NEXTMV_PROFILE` wins over it. `default` means the top level. */
  readonly profile?: string | undefined
  /** Path of the config file. Default `$HOME/.nextmv/config.yaml`. */
  readonly configFile?: string | undefined
}

/** The resolved connection settings. */
export interface ResolvedConnection {
  readonly apiKey: Redacted.Redacted<string>
  readonly baseUrl: string
  /** The profile that was used, when one was active. */
  readonly profile?: string | undefined
}

/** Adds `https://` when the URL has no `http://` or `https://` scheme. */
export const withScheme = (url: string): string => /^https?:\/\//i.test(url) ? url : `https://${url}`

/** The trimmed value; `undefined` when absent or blank. */
const nonBlank = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim()
  return trimmed === "" ? undefined : trimmed
}

const missingKeyMessage = (configFile: string) =>
  "API key is missing. Supply it in one of these ways: the apiKey option of NextmvClient.layer / layerConfig, " +
  `the NEXTMV_API_KEY environment variable, an "apikey" entry in the profile named by NEXTMV_PROFILE in ${configFile}, ` +
  `or a top-level "apikey" entry in ${configFile}.`

type ConfigMap = Readonly<Record<string, unknown>>

const isMap = (value: unknown): value is ConfigMap => typeof value === "object" && value !== null && !Array.isArray(value)

/** `TAB_AS_INDENT` → `tab as indent`: the YAML library's error code, never its message (which may quote the file). */
const describeCode = (code: string): string => code.toLowerCase().replace(/_/g, " ")

/**
 * Reads and parses the YAML config file; a missing file is an empty config. Every other problem
 * is a {@link NextmvConfigError} naming the file and the problem, with a line and column at most:
 * never a quote of the file (which holds the API key), never a `cause` that could carry one, and
 * the YAML library is kept silent (no warnings on stderr).
 */
const readConfigFile = (path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const unreadable = (error: PlatformError) =>
      new NextmvConfigError({
        reason: `Cannot read the config file ${path} (${error._tag === "SystemError" ? error.reason : "bad argument"})`
      })
    const exists = yield* fs.exists(path).pipe(Effect.mapError(unreadable))
    if (!exists) return { found: false as const, config: {} as ConfigMap }
    const text = yield* fs.readFileString(path).pipe(Effect.mapError(unreadable))
    // Loaded here, not at module load: programs that never read the file never load the parser.
    const Yaml = yield* Effect.tryPromise({
      try: loadYaml,
      catch: () => new NextmvConfigError({ reason: `Cannot read the config file ${path}: the YAML parser could not be loaded` })
    })
    const lines = new Yaml.LineCounter()
    const document = Yaml.parseDocument(text, { prettyErrors: false, logLevel: "silent", lineCounter: lines })
    const problem = [...document.errors, ...document.warnings][0]
    if (problem !== undefined) {
      const at = lines.linePos(problem.pos[0])
      return yield* new NextmvConfigError({
        reason: `The config file ${path} is not valid YAML: ${describeCode(problem.code)} at line ${at.line}, column ${at.col}`
      })
    }
    const parsed = yield* Effect.try({
      try: (): unknown => document.toJS(),
      // e.g. an alias without its anchor; the library's message would quote the file.
      catch: () => new NextmvConfigError({ reason: `The config file ${path} is not valid YAML: unresolvable content` })
    })
    if (parsed === null || parsed === undefined) return { found: true as const, config: {} as ConfigMap }
    if (!isMap(parsed)) {
      return yield* new NextmvConfigError({ reason: `The config file ${path} must hold a YAML mapping` })
    }
    return { found: true as const, config: parsed }
  })

/** A string entry of the config (trimmed, blank = absent); any other type is a shape error. */
const stringEntry = (map: ConfigMap, key: string, where: string) => {
  const value = map[key]
  if (value === undefined || value === null) return Effect.succeed(undefined)
  if (typeof value !== "string") {
    return Effect.fail(new NextmvConfigError({ reason: `"${key}" in ${where} must be a string` }))
  }
  return Effect.succeed(value.trim() === "" ? undefined : value.trim())
}

/**
 * An environment value through the current `ConfigProvider`, trimmed; `undefined` when missing or
 * blank (as `Config.option`: only missing data is absence, any other config error fails). Read
 * one by one with `Config.string` rather than `Config.all` / `Config.option`, which would add
 * their combinators to every bundle that imports the `NextmvClient` namespace.
 */
const envValue = (name: string) =>
  Config.string(name).pipe(
    Effect.map(nonBlank),
    Effect.catchIf(ConfigError.isMissingDataOnly, () => Effect.succeed(undefined)),
    Effect.mapError((cause) => new NextmvConfigError({ reason: "Cannot read the environment configuration", cause }))
  )

/**
 * Resolves the API key and base URL. Fails with {@link NextmvConfigError} when no API key is found
 * anywhere (the message lists the four ways to supply one), when the active profile is missing or
 * lacks `apikey`/`endpoint`, when the config file is needed and cannot be read, is not valid YAML
 * or has the wrong shape (the error names the file and the problem, with a line and column at
 * most, never the file's content), and for PKCE profiles (`auth_type: pkce`), which this SDK does
 * not support.
 */
export const resolveConnection = (
  overrides: ConfigOverrides = {}
): Effect.Effect<ResolvedConnection, NextmvConfigError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const envKey = yield* envValue("NEXTMV_API_KEY")
    const envEndpoint = yield* envValue("NEXTMV_ENDPOINT")
    const envProfile = yield* envValue("NEXTMV_PROFILE")
    const home = (yield* envValue("HOME")) ?? (yield* envValue("USERPROFILE")) ?? "~"
    const configFile = overrides.configFile ?? `${home}/.nextmv/config.yaml`

    const profileName = envProfile ?? nonBlank(overrides.profile)
    const profile = profileName !== undefined && profileName.toLowerCase() !== "default" ? profileName : undefined

    const explicitKey = overrides.apiKey !== undefined && Redacted.value(overrides.apiKey).trim() !== ""
      ? overrides.apiKey
      : undefined
    const explicitUrl = nonBlank(overrides.baseUrl) ?? envEndpoint

    // The file is needed only for what the explicit values and the environment did not give. A
    // missing file is an empty config; a file that cannot be read or parsed is an error.
    const needFile = profile !== undefined || (explicitKey === undefined && envKey === undefined) ||
      explicitUrl === undefined
    const file = needFile
      ? yield* readConfigFile(configFile)
      : { found: false as const, config: {} as ConfigMap }

    let section: ConfigMap = file.config
    let where = configFile
    if (profile !== undefined) {
      if (!file.found) {
        return yield* new NextmvConfigError({
          reason: `Profile "${profile}" is active but the config file ${configFile} does not exist`
        })
      }
      const entry = file.config[profile]
      if (entry === undefined || entry === null) {
        return yield* new NextmvConfigError({ reason: `Profile "${profile}" not found in ${configFile}` })
      }
      if (!isMap(entry)) {
        return yield* new NextmvConfigError({ reason: `Profile "${profile}" in ${configFile} must be a YAML mapping` })
      }
      section = entry
      where = `profile "${profile}" of ${configFile}`
    }

    const fileUrl = yield* stringEntry(section, "endpoint", where)
    const baseUrl = withScheme(
      explicitUrl ?? (profile !== undefined
        ? (fileUrl ?? (yield* new NextmvConfigError({
          reason: `Profile "${profile}" in ${configFile} has no "endpoint"`
        })))
        : (fileUrl ?? DEFAULT_BASE_URL))
    )

    if (explicitKey !== undefined) return { apiKey: explicitKey, baseUrl, profile }
    if (envKey !== undefined) return { apiKey: Redacted.make(envKey), baseUrl, profile }

    if ((yield* stringEntry(section, "auth_type", where))?.toLowerCase() === "pkce") {
      return yield* new NextmvConfigError({
        reason: `${profile !== undefined ? `Profile "${profile}"` : "The default profile"} uses auth_type: pkce ` +
          "(browser login), which nextmv-effect does not support; use an API key (NEXTMV_API_KEY or \"apikey\")"
      })
    }
    const fileKey = yield* stringEntry(section, "apikey", where)
    if (fileKey !== undefined) return { apiKey: Redacted.make(fileKey), baseUrl, profile }
    if (profile !== undefined) {
      return yield* new NextmvConfigError({
        reason: `Profile "${profile}" in ${configFile} has no "apikey". ${missingKeyMessage(configFile)}`
      })
    }
    return yield* new NextmvConfigError({
      reason: file.found ? missingKeyMessage(configFile) : `${missingKeyMessage(configFile)} (${configFile} does not exist)`
    })
  })
