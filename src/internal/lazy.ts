/**
 * Libraries loaded on first use, so that the main entry imports no Node-only library at load time
 * and runs on `FetchHttpClient` in browsers, Deno, Bun and edge runtimes:
 *
 * - `tar` (Node-only: `node:fs`, `node:zlib`) packs and unpacks directories (`newRun` with a
 *   directory, `multi-file` results, `push`). Browser bundlers replace it with an empty module
 *   (package.json `"browser": { "tar": false }`), and then these operations fail with their own
 *   typed error saying why.
 * - `yaml` reads `~/.nextmv/config.yaml` and `app.yaml`; only programs that read one load it.
 * - `internal/configFile.ts` reads `~/.nextmv/config.yaml` with `yaml`; browser bundlers replace
 *   it with an empty module too.
 *
 * Each loader is a plain async function; callers wrap it in their own `Effect.tryPromise`, so the
 * failure lands in their typed error.
 */
import type * as TarModule from "tar"
import type * as YamlModule from "yaml"
import type * as ConfigFileModule from "./configFile.js"

/** `tar`, loaded on first use. Rejects with a plain message where it is not available (browsers). */
export const loadTar = async (): Promise<typeof TarModule> => {
  const tar: Partial<typeof TarModule> = await import("tar")
  if (typeof tar.c !== "function" || typeof tar.x !== "function") {
    throw new Error("tar.gz archives (directories) need Node, Deno or Bun: the tar library is not available here")
  }
  return tar as typeof TarModule
}

/** `yaml`, loaded on first use. */
export const loadYaml = async (): Promise<typeof YamlModule> => {
  const yaml: Partial<typeof YamlModule> = await import("yaml")
  if (typeof yaml.parseDocument !== "function") throw new Error("the yaml library is not available here")
  return yaml as typeof YamlModule
}

/**
 * The config-file part of the API key resolution (`internal/configFile.ts`), loaded on first use:
 * only programs that read `~/.nextmv/config.yaml` load it. Browser bundlers replace it with an
 * empty module (package.json `"browser"`): a config file needs a home directory and `yaml`.
 */
export const loadConfigFile = async (): Promise<typeof ConfigFileModule> => {
  const module: Partial<typeof ConfigFileModule> = await import("./configFile.js")
  if (typeof module.fromConfigFile !== "function") throw new Error("config files are not available here")
  return module as typeof ConfigFileModule
}

/** The message of a loader's rejection. */
export const errorMessage = (cause: unknown): string => cause instanceof Error ? cause.message : String(cause)
