/**
 * Typed errors of `push` (besides the HTTP errors of the client and `PlatformError` for local
 * file work).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** The manifest could not be read, parsed or validated. `path` is the manifest file when known. */
export class ManifestError extends Schema.TaggedError<ManifestError>()("ManifestError", {
  path: Schema.optional(Schema.String),
  reason: Schema.String
}) {
  override get message(): string {
    return this.path === undefined ? `invalid manifest: ${this.reason}` : `invalid manifest ${this.path}: ${this.reason}`
  }
}

/**
 * The files to push are incomplete or unsafe: a mandatory file is missing (`mandatory`), a `files`
 * pattern matched nothing (`pattern`), the Python requirements file does not exist
 * (`requirements`), or selected files are symbolic links leading outside the app directory
 * (`outside`; `files` names the links — nothing is bundled or uploaded).
 */
export class PushFilesError extends Schema.TaggedError<PushFilesError>()("PushFilesError", {
  kind: Schema.Literal("mandatory", "pattern", "requirements", "outside"),
  files: Schema.Array(Schema.String),
  appDir: Schema.String
}) {
  override get message(): string {
    switch (this.kind) {
      case "mandatory":
        return `missing mandatory files: ${this.files.join(", ")}`
      case "pattern":
        return `could not find files listed in manifest: ${this.files.join(", ")}`
      case "requirements":
        return `pip requirements file '${this.files.join(", ")}' not found in '${this.appDir}'`
      case "outside":
        return `symbolic links pointing outside the app directory '${this.appDir}' are not bundled: ${
          this.files.join(", ")
        }`
    }
  }
}

/** Which command of the push failed. */
export const PushCommandStep = Schema.Literal("build", "pre-push", "python-dependencies")
export type PushCommandStep = typeof PushCommandStep.Type

/**
 * A command run by `push` failed: it exited with a non-zero code (`exit`), its program was not
 * found (`not-found`, e.g. `uv` is not installed), or it could not be started (`spawn`).
 * `stderr` holds the end of its error output.
 */
export class PushCommandError extends Schema.TaggedError<PushCommandError>()("PushCommandError", {
  step: PushCommandStep,
  command: Schema.String,
  reason: Schema.Literal("exit", "not-found", "spawn"),
  exitCode: Schema.optional(Schema.Number),
  stderr: Schema.optional(Schema.String),
  hint: Schema.optional(Schema.String)
}) {
  override get message(): string {
    const what = this.step === "python-dependencies" ? "python dependency bundling" : `${this.step} command`
    const detail = this.reason === "exit"
      ? `exit code ${this.exitCode}${this.stderr ? `: ${this.stderr}` : ""}`
      : this.reason === "not-found"
      ? `${this.command.split(" ")[0]} was not found`
      : `could not start it${this.stderr ? `: ${this.stderr}` : ""}`
    return `error running ${what} (${this.command}): ${detail}${this.hint ? ` (${this.hint})` : ""}`
  }
}

/** The bundle could not be written, or it is larger than the platform accepts. */
export class PushBundleError extends Schema.TaggedError<PushBundleError>()("PushBundleError", {
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return this.reason
  }
}
