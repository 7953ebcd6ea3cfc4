/**
 * Resolution of the API key and base URL like nextmv-py (`nextmv.cloud.Client`, whose API key
 * comes from the argument, `NEXTMV_API_KEY` or `~/.nextmv/config.yaml`, see the Nextmv docs
 * "Nextmv CLI / configuration"):
 * explicit options → `NEXTMV_API_KEY` / `NEXTMV_ENDPOINT` → the active profile of
 * `~/.nextmv/config.yaml` (`NEXTMV_PROFILE` or the `profile` option) → the file's top level →
 * the default URL. Environment values are read through Effect `Config` and the file through the
 * platform `FileSystem`, so tests inject both. What is read from a config file that exists is in
 * `configFile.ts`, loaded on first use (a browser bundle leaves it out, as it does the YAML parser).
 */
import { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Config, ConfigError, Effect, Redacted } from "effect"
import { NextmvConfigError } from "../Errors.js"
import { loadConfigFile } from "./lazy.js"

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

/** The message when no API key is found anywhere: the four ways to supply one. */
export const missingKeyMessage = (configFile: string) =>
  "API key is missing. Supply it in one of these ways: the apiKey option of NextmvClient.layer / layerConfig, " +
  `the NEXTMV_API_KEY environment variable, an "apikey" entry in the profile named by NEXTMV_PROFILE in ${configFile}, ` +
  `or a top-level "apikey" entry in ${configFile}.`

/** The failure when the config file exists but the YAML parser cannot be loaded (browser bundles). */
export const yamlUnavailable = (path: string) =>
  new NextmvConfigError({ reason: `Cannot read the config file ${path}: the YAML parser could not be loaded` })

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
    if (needFile) {
      const fs = yield* FileSystem.FileSystem
      const unreadable = (error: PlatformError) =>
        new NextmvConfigError({
          reason: `Cannot read the config file ${configFile} (${error._tag === "SystemError" ? error.reason : "bad argument"})`
        })
      if (yield* fs.exists(configFile).pipe(Effect.mapError(unreadable))) {
        const text = yield* fs.readFileString(configFile).pipe(Effect.mapError(unreadable))
        // Loaded here, not at module load: programs that never read the file never load the parser.
        const { fromConfigFile } = yield* Effect.tryPromise({ try: loadConfigFile, catch: () => yamlUnavailable(configFile) })
        return yield* fromConfigFile(text, { configFile, profile, explicitKey, envKey, explicitUrl })
      }
    }

    // No config file (or none needed).
    if (profile !== undefined) {
      return yield* new NextmvConfigError({
        reason: `Profile "${profile}" is active but the config file ${configFile} does not exist`
      })
    }
    const baseUrl = withScheme(explicitUrl ?? DEFAULT_BASE_URL)
    if (explicitKey !== undefined) return { apiKey: explicitKey, baseUrl, profile }
    if (envKey !== undefined) return { apiKey: Redacted.make(envKey), baseUrl, profile }
    return yield* new NextmvConfigError({ reason: `${missingKeyMessage(configFile)} (${configFile} does not exist)` })
  })
