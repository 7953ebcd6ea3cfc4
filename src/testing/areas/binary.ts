/**
 * Emulator area: the application's dev binary (what nextmv-py's `Application.push` uploads). `GET …/binary` hands out a
 * presigned upload URL; the bundle is PUT there; `PUT …/binary` with `{"requirements": …}`
 * activates the upload last handed out for the app. Activation checks that the bundle is a valid
 * tar.gz and records its file list, so tests can assert what was (not) packaged. Versions
 * snapshot the active executable; runs on `devint` use it.
 */
import { randomUUID } from "node:crypto"
import type { EmulatorContext } from "../Emulator.js"
import { asObject } from "./handlers.js"
import { type DecisionModel, Models, untarGz } from "./models.js"

/** An activated bundle (the wire fields of a version's `executable`, plus its contents). */
export interface ExecutableRecord {
  readonly id: string
  readonly user_email: string
  readonly uploaded_at: string
  /** The activation request's `requirements`, as sent (`executable_type`, `runtime`, …). */
  readonly requirements: Readonly<Record<string, unknown>>
  /** The archive's files, sorted, by relative path. */
  readonly files: ReadonlyArray<string>
  /** The archive's contents by relative path. */
  readonly contents: Readonly<Record<string, Buffer>>
}

/** The `executable` object of a version (wire shape). */
export const executableJson = (executable: ExecutableRecord) => ({
  id: executable.id,
  user_email: executable.user_email,
  uploaded_at: executable.uploaded_at,
  requirements: executable.requirements
})

/**
 * The default model of a pushed executable: the echo model, with the executable id added to the
 * output (`executable_id`) and the logs, so tests can tell which push a run executed.
 */
export const executableModel = (executable: ExecutableRecord): DecisionModel => (input) => {
  const outcome = Models.echo(input)
  const output = typeof outcome.output === "object" && outcome.output !== null
    ? { ...outcome.output, executable_id: executable.id }
    : outcome.output
  return { ...outcome, output, logs: [`executable ${executable.id}`, ...(outcome.logs ?? [])] }
}

declare module "../Emulator.js" {
  interface EmulatorOptions {
    readonly binary?: {
      /** The e-mail recorded as the uploader. Default `dev@example.com`. */
      readonly userEmail?: string | undefined
      /** The decision model a pushed executable runs. Default: the area's `executableModel`. */
      readonly model?: ((executable: ExecutableRecord) => DecisionModel) | undefined
    } | undefined
  }
  interface EmulatorAreas {
    readonly binary: {
      /** The app's active executable (last activated push), if any. */
      readonly current: (appId: string) => ExecutableRecord | undefined
      /** All executables activated for the app, oldest first. */
      readonly history: (appId: string) => ReadonlyArray<ExecutableRecord>
      /** The decision model an executable runs. */
      readonly model: (executable: ExecutableRecord) => DecisionModel
      /**
       * Activates an executable directly (test setup without a push). Default files
       * `{"main.py": …}`, default requirements `python` on the python 3.11 runtime.
       */
      readonly seed: (
        appId: string,
        options?: { files?: Readonly<Record<string, string>>; requirements?: Readonly<Record<string, unknown>> }
      ) => ExecutableRecord
    }
  }
}

export const install = (ctx: EmulatorContext): void => {
  const settings = ctx.options.binary ?? {}
  const pending = new Map<string, string>()
  const history = new Map<string, Array<ExecutableRecord>>()
  const model = settings.model ?? executableModel

  const activate = (appId: string, requirements: Readonly<Record<string, unknown>>, contents: Record<string, Buffer>) => {
    const executable: ExecutableRecord = {
      id: randomUUID(),
      user_email: settings.userEmail ?? "dev@example.com",
      uploaded_at: ctx.timestamp(),
      requirements,
      files: Object.keys(contents).sort(),
      contents
    }
    history.set(appId, [...(history.get(appId) ?? []), executable])
    return executable
  }

  Object.assign(ctx.areas, {
    binary: {
      current: (appId: string) => history.get(appId)?.at(-1),
      history: (appId: string) => history.get(appId) ?? [],
      model,
      seed: (
        appId: string,
        options: { files?: Readonly<Record<string, string>>; requirements?: Readonly<Record<string, unknown>> } = {}
      ) =>
        activate(
          appId,
          options.requirements ?? { executable_type: "python", runtime: "ghcr.io/nextmv-io/runtime/python:3.11" },
          Object.fromEntries(
            Object.entries(options.files ?? { "main.py": "print('hello')\n" }).map(([k, v]) => [k, Buffer.from(v)])
          )
        )
    }
  })

  const notFound = (appId: string) => ctx.apiError(404, `application ${appId} not found`)

  ctx.route("GET", "/v1/applications/:appId/binary", (request) => {
    const appId = request.params["appId"]!
    if (!ctx.applications.has(appId)) return notFound(appId)
    const upload = ctx.blobs.presignUpload()
    pending.set(appId, upload.id)
    return ctx.ok({ upload_url: upload.url })
  })

  ctx.route("PUT", "/v1/applications/:appId/binary", (request) => {
    const appId = request.params["appId"]!
    if (!ctx.applications.has(appId)) return notFound(appId)
    const requirements = asObject(asObject(request.json())["requirements"])
    for (const key of ["executable_type", "runtime"]) {
      if (typeof requirements[key] !== "string" || requirements[key] === "") {
        return ctx.apiError(400, `requirements.${key} is required`)
      }
    }
    const uploadId = pending.get(appId)
    const bytes = uploadId === undefined ? undefined : ctx.blobs.uploaded(uploadId)
    if (bytes === undefined) return ctx.apiError(400, "no bundle was uploaded to the binary upload URL")
    const contents = untarGz(bytes)
    if (contents === undefined) return ctx.apiError(400, "the uploaded bundle is not a valid tar.gz archive")
    pending.delete(appId)
    return ctx.ok(executableJson(activate(appId, requirements, contents)))
  })
}
