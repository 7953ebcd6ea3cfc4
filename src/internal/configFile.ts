/**
 * The part of the API key and base URL resolution (`internal/config.ts`) that reads a config file
 * that exists: parses the YAML and takes the endpoint and API key from the active profile or the
 * file's top level, like nextmv-py (see the Nextmv docs, "Nextmv CLI / configuration").
 *
 * Loaded on first use (`loadConfigFile` in `internal/lazy.ts`), only by programs that need the file.
 * A config file is Node-only (a home directory, a YAML parser): browser bundlers replace this module
 * with an empty one (package.json `"browser"`), as they do `yaml`, and a config file that exists
 * then fails to be read with the same `NextmvConfigError` as without the YAML parser.
 */
import { Effect, Redacted } from "effect"
import { NextmvConfigError } from "../Errors.js"
import { DEFAULT_BASE_URL, missingKeyMessage, type ResolvedConnection, withScheme, yamlUnavailable } from "./config.js"
import { loadYaml } from "./lazy.js"

type ConfigMap = Readonly<Record<string, unknown>>

const isMap = (value: unknown): value is ConfigMap => typeof value === "object" && value !== null && !Array.isArray(value)

/** `TAB_AS_INDENT` → `tab as indent`: the YAML library's error code, never its message (which may quote the file). */
const describeCode = (code: string): string => code.toLowerCase().replace(/_/g, " ")

/**
 * Parses the text of the config file `path`. Every problem is a {@link NextmvConfigError} naming
 * the file and the problem, with a line and column at most: never a quote of the file (which holds
 * the API key), never a `cause` that could carry one, and the YAML library is kept silent (no
 * warnings on stderr).
 */
const parse = (path: string, text: string) =>
  Effect.gen(function*() {
    const Yaml = yield* Effect.tryPromise({ try: loadYaml, catch: () => yamlUnavailable(path) })
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
    if (parsed === null || parsed === undefined) return {} as ConfigMap
    if (!isMap(parsed)) {
      return yield* new NextmvConfigError({ reason: `The config file ${path} must hold a YAML mapping` })
    }
    return parsed
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

/** What `resolveConnection` found before reading the file; explicit values and the environment win. */
export interface Known {
  /** The config file's path. */
  readonly configFile: string
  /** The active profile (`NEXTMV_PROFILE` or the `profile` option), unless it is `default`. */
  readonly profile: string | undefined
  readonly explicitKey: Redacted.Redacted<string> | undefined
  readonly envKey: string | undefined
  readonly explicitUrl: string | undefined
}

/**
 * Resolves the connection from the text of the config file that exists, with what is known
 * already. Fails with {@link NextmvConfigError} when the file is not valid YAML or has the wrong
 * shape, when the active profile is missing or lacks `apikey`/`endpoint`, for PKCE profiles
 * (`auth_type: pkce`), which this SDK does not support, and when no API key is found.
 */
export const fromConfigFile = (
  text: string,
  { configFile, envKey, explicitKey, explicitUrl, profile }: Known
): Effect.Effect<ResolvedConnection, NextmvConfigError> =>
  Effect.gen(function*() {
    const config = yield* parse(configFile, text)
    let section: ConfigMap = config
    let where = configFile
    if (profile !== undefined) {
      const entry = config[profile]
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
    return yield* new NextmvConfigError({
      reason: profile !== undefined
        ? `Profile "${profile}" in ${configFile} has no "apikey". ${missingKeyMessage(configFile)}`
        : missingKeyMessage(configFile)
    })
  })
