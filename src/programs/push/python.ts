/**
 * Bundling Python dependencies for `type: python` apps with `python.pip-requirements` (nextmv-py's
 * `Application.push`, the newest, uv-based variant): resolve with `uv pip compile`, write the pinned
 * `requirements.lock` into the bundle, then `uv pip install --target .nextmv/python/deps` for the
 * Linux platform and Python version of the manifest. nextmv-py also caches installs locally; this
 * SDK does not (every push installs).
 */
import { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import type { Manifest } from "../../schemas/Manifest.js"
import { runCommand } from "./commands.js"
import { ManifestError, PushFilesError } from "./errors.js"

/** Where the dependencies go inside the bundle. */
export const PYTHON_DEPS_DIR = ".nextmv/python/deps"

/** Default target Python version. */
export const DEFAULT_PYTHON_VERSION = "3.11"

/** Options of {@link bundlePythonDependencies}. */
export interface PythonBundlingOptions {
  /** The `uv` program (name on the `PATH` or a path). Default `uv`. */
  readonly uv?: string | undefined
}

const UV_HINT = "install uv (https://docs.astral.sh/uv/) or pass the uv option to push; it bundles the Python dependencies"

/** `aarch64-unknown-linux-gnu` for `arm64` (the default), `x86_64-unknown-linux-gnu` for `amd64`. */
export const pythonPlatform = (arch: string | undefined): string | undefined =>
  arch === undefined || arch === "arm64" ? "aarch64-unknown-linux-gnu" : arch === "amd64" ? "x86_64-unknown-linux-gnu" : undefined

/** Checks `major.minor` with major 3 and minor ≥ 10. */
export const checkPythonVersion = (version: string): Effect.Effect<string, ManifestError> => {
  const match = /^(\d+)\.(\d+)$/.exec(version)
  return match !== null && match[1] === "3" && Number(match[2]) >= 10
    ? Effect.succeed(version)
    : Effect.fail(new ManifestError({ reason: `python version 3.10 or higher is required for bundling, got ${version}` }))
}

/**
 * Installs the manifest's Python requirements into `<staging>/.nextmv/python/deps`. Does nothing
 * when the app is not `type: python` or has no `python.pip-requirements`.
 */
export const bundlePythonDependencies = (
  manifest: Manifest,
  appDir: string,
  staging: string,
  options: PythonBundlingOptions = {}
) =>
  Effect.gen(function*() {
    const requirements = manifest.python?.pipRequirements
    if (manifest.type !== "python" || requirements === undefined) return false
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const version = yield* checkPythonVersion(manifest.python?.version ?? DEFAULT_PYTHON_VERSION)
    const platform = pythonPlatform(manifest.python?.arch)
    if (platform === undefined) {
      return yield* new ManifestError({ reason: `unsupported python.arch ${manifest.python?.arch}; use arm64 or amd64` })
    }

    let source: string
    if (typeof requirements === "string") {
      const file = path.join(appDir, requirements)
      if (!(yield* fs.exists(file))) {
        return yield* new PushFilesError({ kind: "requirements", files: [requirements], appDir })
      }
      if (requirements.endsWith(".toml")) {
        // uv reads `[project.dependencies]` of a file named pyproject.toml; nextmv-py extracts them
        // into requirements.txt itself. The result (the pinned lock) is the same.
        source = path.join(staging, "pyproject.toml")
        yield* fs.copyFile(file, source)
      } else {
        source = file
      }
    } else {
      source = path.join(staging, "requirements.txt")
      yield* fs.writeFileString(source, requirements.map((line) => `${line}\n`).join(""))
    }

    const uv = options.uv ?? "uv"
    const target = [`--python-platform=${platform}`, `--python-version=${version}`]
    yield* Effect.logInfo(`push: resolving Python dependencies with ${uv} for ${platform}, Python ${version}`)
    const lock = yield* runCommand({
      step: "python-dependencies",
      command: uv,
      args: ["pip", "compile", source, "--quiet", ...target],
      cwd: staging,
      hint: UV_HINT
    })
    yield* fs.writeFileString(path.join(staging, "requirements.lock"), lock)
    yield* runCommand({
      step: "python-dependencies",
      command: uv,
      args: [
        "pip",
        "install",
        "-r",
        "requirements.lock",
        "--only-binary=:all:",
        "--target",
        path.join(staging, PYTHON_DEPS_DIR),
        "--quiet",
        ...target
      ],
      cwd: staging,
      hint: UV_HINT
    })
    return true
  })
