/**
 * Resolution of the API key and base URL like nextmv-py (spec client-and-runs §1.2):
 * explicit options → `NEXTMV_API_KEY` / `NEXTMV_ENDPOINT` → the active profile of
 * `~/.nextmv/config.yaml` (`NEXTMV_PROFILE` or the `profile` option) → the file's top level →
 * the default URL. Environment values are read through Effect `Config` and the file through the
 * platform `FileSystem`, so tests inject both.
 */
import { FileSystem } from "@effect/platform"
import { Config, Effect, Option, Redacted } from "effect"
import * as Yaml from "yaml"
import { NextmvConfigError } from "../Errors.js"

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

const nonBlank = (value: Option.Option<string>): string | undefined =>
  Option.match(value, { onNone: () => undefined, onSome: (s) => (s.trim() === "" ? undefined : s.trim()) })

const missingKeyMessage = (configFile: string) =>
  "API key is missing. Supply it in one of these ways: the apiKey option of NextmvClient.layer / layerConfig, " +
  `the NEXTMV_API_KEY environment variable, an "apikey" entry in the profile named by NEXTMV_PROFILE in ${configFile}, ` +
  `or a top-level "apikey" entry in ${configFile}.`

type ConfigMap = Readonly<Record<string, unknown>>

const isMap = (value: unknown): value is ConfigMap =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const stringEntry = (map: ConfigMap, key: string): string | undefined => {
  const value = map[key]
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined
}

/** Reads and parses the YAML config file; a missing file is an empty config. */
const readConfigFile = (path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const exists = yield* fs.exists(path).pipe(Effect.orElseSucceed(() => false))
    if (!exists) return { found: false as const, config: {} as ConfigMap }
    const text = yield* fs.readFileString(path).pipe(
      Effect.mapError((cause) => new NextmvConfigError({ reason: `Cannot read the config file ${path}`, cause }))
    )
    const parsed = yield* Effect.try({
      try: () => Yaml.parse(text) as unknown,
      catch: (cause) => new NextmvConfigError({ reason: `The config file ${path} is not valid YAML`, cause })
    })
    if (parsed === null || parsed === undefined) return { found: true as const, config: {} as ConfigMap }
    if (!isMap(parsed)) {
      return yield* new NextmvConfigError({ reason: `The config file ${path} must hold a YAML mapping` })
    }
    return { found: true as const, config: parsed }
  })

const envConfig = Config.all({
  apiKey: Config.option(Config.string("NEXTMV_API_KEY")),
  endpoint: Config.option(Config.string("NEXTMV_ENDPOINT")),
  profile: Config.option(Config.string("NEXTMV_PROFILE")),
  home: Config.option(Config.string("HOME")),
  userProfile: Config.option(Config.string("USERPROFILE"))
})

/**
 * Resolves the API key and base URL. Fails with {@link NextmvConfigError} when no API key is found
 * anywhere (the message lists the four ways to supply one), when the active profile is missing or
 * lacks `apikey`/`endpoint`, when the file cannot be read while a profile is active, and for PKCE
 * profiles (`auth_type: pkce`), which this SDK does not support.
 */
export const resolveConnection = (
  overrides: ConfigOverrides = {}
): Effect.Effect<ResolvedConnection, NextmvConfigError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const env = yield* envConfig.pipe(
      Effect.mapError((cause) => new NextmvConfigError({ reason: "Cannot read the environment configuration", cause }))
    )
    const home = nonBlank(env.home) ?? nonBlank(env.userProfile) ?? "~"
    const configFile = overrides.configFile ?? `${home}/.nextmv/config.yaml`

    const profileName = nonBlank(env.profile) ?? nonBlank(Option.fromNullable(overrides.profile))
    const profile = profileName !== undefined && profileName.toLowerCase() !== "default" ? profileName : undefined

    const explicitKey = overrides.apiKey !== undefined && Redacted.value(overrides.apiKey).trim() !== ""
      ? overrides.apiKey
      : undefined
    const envKey = nonBlank(env.apiKey)
    const explicitUrl = nonBlank(Option.fromNullable(overrides.baseUrl)) ?? nonBlank(env.endpoint)

    // The file is needed only for what the explicit values and the environment did not give.
    const needFile = profile !== undefined || (explicitKey === undefined && envKey === undefined) ||
      explicitUrl === undefined
    const file = needFile
      ? yield* (profile !== undefined
        ? readConfigFile(configFile)
        : readConfigFile(configFile).pipe(Effect.orElseSucceed(() => ({ found: false as const, config: {} }))))
      : { found: false as const, config: {} as ConfigMap }

    let section: ConfigMap = file.config
    if (profile !== undefined) {
      if (!file.found) {
        return yield* new NextmvConfigError({
          reason: `Profile "${profile}" is active but the config file ${configFile} does not exist`
        })
      }
      const entry = file.config[profile]
      if (!isMap(entry)) {
        return yield* new NextmvConfigError({ reason: `Profile "${profile}" not found in ${configFile}` })
      }
      section = entry
    }

    const baseUrl = withScheme(
      explicitUrl ?? (profile !== undefined
        ? (stringEntry(section, "endpoint") ?? (yield* new NextmvConfigError({
          reason: `Profile "${profile}" in ${configFile} has no "endpoint"`
        })))
        : (stringEntry(section, "endpoint") ?? DEFAULT_BASE_URL))
    )

    if (explicitKey !== undefined) return { apiKey: explicitKey, baseUrl, profile }
    if (envKey !== undefined) return { apiKey: Redacted.make(envKey), baseUrl, profile }

    if (stringEntry(section, "auth_type")?.toLowerCase() === "pkce") {
      return yield* new NextmvConfigError({
        reason: `${profile !== undefined ? `Profile "${profile}"` : "The default profile"} uses auth_type: pkce ` +
          "(browser login), which nextmv-effect does not support; use an API key (NEXTMV_API_KEY or \"apikey\")"
      })
    }
    const fileKey = stringEntry(section, "apikey")
    if (fileKey !== undefined) return { apiKey: Redacted.make(fileKey), baseUrl, profile }
    if (profile !== undefined) {
      return yield* new NextmvConfigError({
        reason: `Profile "${profile}" in ${configFile} has no "apikey". ${missingKeyMessage(configFile)}`
      })
    }
    return yield* new NextmvConfigError({ reason: missingKeyMessage(configFile) })
  })
