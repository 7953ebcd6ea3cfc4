/**
 * `push`: package an app directory and deploy it as the application's dev binary, like nextmv-py's
 * directory strategy (`Application.push` / `nextmv app push`, see the Nextmv docs "Deploy an app"), then optionally cut a version and an instance.
 *
 * Steps: read `app.yaml` → run `build.command` (no shell) → run `pre-push` (through a shell) →
 * bundle the Python dependencies (`type: python` with `python.pip-requirements`, using `uv`) →
 * select the files (`files` globs, `!` exclusions) and check the mandatory entry file → write the
 * tar.gz to a temporary directory (streamed to disk) → `GET …/binary` for an upload URL → `PUT`
 * the bundle there (streamed, `Content-Type: application/octet-stream`, no Authorization) →
 * `PUT …/binary` with the requirements → with `autoCreate`, create a version and an instance of
 * it, and with `updateDefaultInstance` make that instance the app's default. Each step is logged.
 *
 * The version/instance step follows the newer of the two nextmv-py variants (`Application.push`'s
 * "auto create", off by default): nextmv-py's own CLI pushes without it and creates the version itself.
 *
 * @since 0.1.0
 */
import { FileSystem, HttpBody, HttpClientRequest, Path } from "@effect/platform"
import type { CommandExecutor } from "@effect/platform/CommandExecutor"
import type { PlatformError } from "@effect/platform/Error"
import { Clock, Config, Effect, Option, Schema } from "effect"
import type { InvalidArgumentError, NextmvDecodeError, NextmvHttpError } from "../Errors.js"
import { requestWithBody } from "../internal/body.js"
import { readFileStream } from "../internal/fileStreams.js"
import { binaryPath } from "../internal/paths.js"
import { invalidArgument, requireIds } from "../internal/validate.js"
import type { Instance } from "../schemas/Instances.js"
import { ActivationBody } from "../schemas/Requests.js"
import { type Manifest, MANIFEST_FILE_NAME } from "../schemas/Manifest.js"
import type { Version } from "../schemas/Versions.js"
import { Applications } from "../services/Applications.js"
import { Instances } from "../services/Instances.js"
import { NextmvClient } from "../services/NextmvClient.js"
import { Versions } from "../services/Versions.js"
import { writeBundle } from "./push/bundle.js"
import { buildCommand, prePushCommand, runCommand } from "./push/commands.js"
import { ManifestError, PushBundleError, PushCommandError, PushFilesError } from "./push/errors.js"
import { filesOutside, selectFiles } from "./push/files.js"
import { activationRequest, mandatoryFiles, manifestYaml, readManifest } from "./push/manifest.js"
import { bundlePythonDependencies } from "./push/python.js"

export { ManifestError, PushBundleError, PushCommandError, PushFilesError }
export { activationRequest, mandatoryFiles, parseManifest, readManifest } from "./push/manifest.js"
export { globToRegExp, selectEntries } from "./push/files.js"

/** Options of {@link push}. */
export interface PushOptions {
  /** The app directory. Default `.`; a leading `~` is the home directory. */
  readonly appDir?: string | undefined
  /** Use this manifest instead of reading `<appDir>/app.yaml`. */
  readonly manifest?: Manifest | undefined
  /** The `uv` program for Python dependency bundling. Default `uv` (looked up on the `PATH`). */
  readonly uv?: string | undefined
  /** After the push, create a version and an instance of it. Default `false`. */
  readonly autoCreate?: boolean | undefined
  /** Version id (with `autoCreate`). Default: generated `version-xxxxxxxx`. */
  readonly versionId?: string | undefined
  /** Version name (with `autoCreate`). Default: the version id. */
  readonly versionName?: string | undefined
  /** Default: `Version created automatically from push at <UTC time>`. */
  readonly versionDescription?: string | undefined
  /** Instance id (with `autoCreate`). Default: generated `instance-xxxxxxxx`. */
  readonly instanceId?: string | undefined
  /** Instance name (with `autoCreate`). Default: the instance id. */
  readonly instanceName?: string | undefined
  /** Default: `Instance created automatically from push at <UTC time>`. */
  readonly instanceDescription?: string | undefined
  /** Make the new instance the application's default instance (with `autoCreate`). */
  readonly updateDefaultInstance?: boolean | undefined
}

/** What {@link push} did. */
export interface PushResult {
  readonly appId: string
  /** The files in the bundle (relative paths, sorted), including `app.yaml` and helper files. */
  readonly files: ReadonlyArray<string>
  /** The bundle's size in bytes. */
  readonly bundleBytes: number
  /** The version created with `autoCreate`. */
  readonly version?: Version | undefined
  /** The instance created with `autoCreate`. */
  readonly instance?: Instance | undefined
}

/** Every error of {@link push}. */
export type PushError =
  | ManifestError
  | PushFilesError
  | PushCommandError
  | PushBundleError
  | InvalidArgumentError
  | NextmvHttpError
  | NextmvDecodeError
  | PlatformError

const UploadUrl = Schema.Struct({ upload_url: Schema.String })

const CREATE_ONLY = [
  "versionId",
  "versionName",
  "versionDescription",
  "instanceId",
  "instanceName",
  "instanceDescription",
  "updateDefaultInstance"
] as const

/** `YYYY-MM-DDTHH:MM:SSZ`, as nextmv-py writes push times. */
/**
 * The home directory for a leading `~` (as Python's `os.path.expanduser`): `HOME`, else
 * `USERPROFILE`, read through Effect `Config` (no `node:os`, so this module loads on any runtime).
 */
const homeDirectory = (operation: string) =>
  Config.all([Config.option(Config.string("HOME")), Config.option(Config.string("USERPROFILE"))]).pipe(
    Effect.map(([home, userProfile]) => Option.orElse(home, () => userProfile).pipe(Option.filter((dir) => dir.trim() !== ""))),
    Effect.orElseSucceed(() => Option.none<string>()),
    Effect.flatMap(Option.match({
      onNone: () => invalidArgument(operation, "appDir starts with ~ but neither HOME nor USERPROFILE is set"),
      onSome: Effect.succeed
    }))
  )

const isoSeconds = (millis: number): string => new Date(millis).toISOString().replace(/\.\d{3}Z$/, "Z")

/**
 * Packages `appDir` and deploys it as the application's dev binary (what `devint` runs); with
 * `autoCreate`, also creates a version and an instance of it. Fails with `ManifestError`,
 * `PushFilesError` (mandatory file missing, a pattern matching nothing, missing requirements
 * file, a selected symbolic link leading outside `appDir` — refused, nothing is uploaded), `PushCommandError` (build or pre-push command failed, `uv` missing or failing),
 * `PushBundleError`, `InvalidArgumentError`, `NextmvHttpError`, `NextmvDecodeError` or a
 * `PlatformError` for local file work.
 *
 * @example
 * ```ts
 * const pushed = yield* Push.push("routing-app", {
 *   appDir: "./routing",
 *   autoCreate: true,
 *   versionId: "v1",
 *   instanceId: "prod",
 *   updateDefaultInstance: true
 * })
 * console.log(pushed.files, pushed.version?.id, pushed.instance?.id)
 * ```
 */
export const push = Effect.fn("Push.push")(function*(appId: string, options: PushOptions = {}) {
  const operation = "Push.push"
  yield* requireIds(operation, { appId })
  if (options.autoCreate !== true) {
    const given = CREATE_ONLY.filter((key) => options[key] !== undefined && options[key] !== false)
    if (given.length > 0) return yield* invalidArgument(operation, `${given.join(", ")} need autoCreate: true`)
  }
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const { api, presigned } = yield* NextmvClient

  const rawDir = options.appDir === undefined || options.appDir === "" ? "." : options.appDir
  const appDir = path.resolve(rawDir.startsWith("~") ? path.join(yield* homeDirectory(operation), rawDir.slice(1)) : rawDir)
  const manifest = options.manifest ?? (yield* readManifest(appDir))
  yield* Effect.logInfo(`push: app ${appId} from ${appDir} (type ${manifest.type}, runtime ${manifest.runtime})`)

  const build = manifest.build?.command
  if (build !== undefined && build.trim() !== "") {
    yield* Effect.logInfo(`push: running build command: ${build}`)
    yield* runCommand(buildCommand(build, appDir, manifest.build?.environment))
  }
  if (manifest.prePush !== undefined && manifest.prePush.trim() !== "") {
    yield* Effect.logInfo(`push: running pre-push command: ${manifest.prePush}`)
    yield* runCommand(yield* prePushCommand(manifest.prePush, appDir))
  }

  const bundle = yield* Effect.scoped(Effect.gen(function*() {
    const staging = yield* fs.makeTempDirectoryScoped({ prefix: "nextmv-temp-" })
    if (yield* bundlePythonDependencies(manifest, appDir, staging, { uv: options.uv })) {
      yield* Effect.logInfo("push: Python dependencies bundled into .nextmv/python/deps")
    }
    const selection = yield* selectFiles(appDir, manifest.files)
    const missingMandatory = mandatoryFiles(manifest).filter((file) => !selection.files.includes(file))
    if (missingMandatory.length > 0) {
      return yield* new PushFilesError({ kind: "mandatory", files: missingMandatory, appDir })
    }
    if (selection.missing.length > 0) {
      return yield* new PushFilesError({ kind: "pattern", files: selection.missing, appDir })
    }
    // A link to a file outside the app directory (e.g. a credentials file) is never bundled.
    const outside = yield* filesOutside(appDir, selection.files)
    if (outside.length > 0) return yield* new PushFilesError({ kind: "outside", files: outside, appDir })
    // The serialised manifest goes in first; a selected app.yaml overwrites it with the original.
    yield* fs.writeFileString(path.join(staging, MANIFEST_FILE_NAME), yield* manifestYaml(manifest))
    for (const file of selection.files) {
      const target = path.join(staging, file)
      yield* fs.makeDirectory(path.dirname(target), { recursive: true })
      yield* fs.copyFile(path.join(appDir, file), target)
    }
    yield* Effect.logInfo(`push: packaging ${selection.files.length} files: ${selection.files.join(", ")}`)
    const outDir = yield* fs.makeTempDirectoryScoped({ prefix: "nextmv-build-out-" })
    const written = yield* writeBundle(staging, outDir)
    yield* Effect.logInfo(`push: bundle ${written.files.length} files, ${written.bytes} bytes`)

    const { upload_url } = yield* api.json(HttpClientRequest.get(binaryPath(appId)), UploadUrl)
    yield* Effect.logInfo("push: uploading the bundle")
    // Streamed from disk in 1 MiB reads; the presigned requester sends no Authorization header.
    yield* presigned.discard(
      HttpClientRequest.put(upload_url).pipe(
        HttpClientRequest.setBody(
          HttpBody.stream(readFileStream(fs, written.file, written.bytes), "application/octet-stream", written.bytes)
        )
      )
    )
    yield* Effect.logInfo("push: activating the bundle")
    yield* api.discard(yield* requestWithBody(operation, "PUT", binaryPath(appId), ActivationBody, activationRequest(manifest)))
    return written
  }))

  if (options.autoCreate !== true) {
    yield* Effect.logInfo(`push: done; app ${appId} runs the pushed code on instance devint`)
    return { appId, files: bundle.files, bundleBytes: bundle.bytes } satisfies PushResult
  }
  const at = isoSeconds(yield* Clock.currentTimeMillis)
  const version = yield* (yield* Versions).newVersion(appId, {
    id: options.versionId,
    name: options.versionName,
    description: options.versionDescription ?? `Version created automatically from push at ${at}`
  })
  yield* Effect.logInfo(`push: created version ${version.id}`)
  const instance = yield* (yield* Instances).newInstance(appId, version.id, {
    id: options.instanceId,
    name: options.instanceName,
    description: options.instanceDescription ?? `Instance created automatically from push at ${at}`
  })
  yield* Effect.logInfo(`push: created instance ${instance.id} on version ${version.id}`)
  if (options.updateDefaultInstance === true) {
    yield* (yield* Applications).updateApplication(appId, { defaultInstanceId: instance.id })
    yield* Effect.logInfo(`push: ${instance.id} is now the default instance of ${appId}`)
  }
  return { appId, files: bundle.files, bundleBytes: bundle.bytes, version, instance } satisfies PushResult
}, (effect) => Effect.annotateLogs(effect, { package: "nextmv-effect", module: "Push" }))

/** What {@link push} needs. */
export type PushRequirements =
  | NextmvClient
  | Versions
  | Instances
  | Applications
  | FileSystem.FileSystem
  | Path.Path
  | CommandExecutor
