/**
 * The typed errors of the SDK. Every failure of every operation is one of these values in the
 * Effect error channel (plus `PlatformError` for local file-system work), never a thrown exception.
 *
 * None of them carries the API key: requests are described by method and path only, and
 * presigned URLs lose their query string (which holds the signature).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { RunResult } from "./schemas/Runs.js"

/** Why an HTTP exchange failed. */
export const HttpFailureReason = Schema.Literal("status", "transport", "timeout")
export type HttpFailureReason = typeof HttpFailureReason.Type

/** How much of an error response body is kept on {@link NextmvHttpError}. */
export const MAX_ERROR_BODY_CHARS = 4096

/**
 * An HTTP request to Nextmv Cloud (or to a presigned URL) failed: the server answered with a
 * non-2xx status, the connection failed, or one attempt exceeded the per-attempt timeout. It is
 * raised after the retry policy gave up.
 *
 * @example
 * ```ts
 * const found = yield* applications.getApplication("routing-app").pipe(
 *   Effect.catchTag("NextmvHttpError", (e) => e.status === 404 ? Effect.succeed(null) : Effect.fail(e))
 * )
 * ```
 */
export class NextmvHttpError extends Schema.TaggedError<NextmvHttpError>()("NextmvHttpError", {
  /** HTTP method, upper case. */
  method: Schema.String,
  /** Request path (e.g. `/v1/applications/my-app`), or a presigned URL without its query string. */
  path: Schema.String,
  reason: HttpFailureReason,
  /** Response status, when the server answered. */
  status: Schema.optional(Schema.Number),
  /** Response body text, trimmed to {@link MAX_ERROR_BODY_CHARS} characters. */
  body: Schema.optional(Schema.String),
  /** The request id header of the response, when present (quote it to Nextmv support). */
  requestId: Schema.optional(Schema.String),
  /** How many attempts were made (1 + retries). */
  attempts: Schema.optional(Schema.Number),
  /** Extra detail for transport failures and timeouts. */
  detail: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    const where = `${this.method} ${this.path}`
    const tries = this.attempts !== undefined && this.attempts > 1 ? ` after ${this.attempts} attempts` : ""
    switch (this.reason) {
      case "timeout":
        return `${where} timed out${tries}${this.detail ? ` (${this.detail})` : ""}; raise the per-attempt timeout if the server is slow.`
      case "transport":
        return `${where} failed to reach the server${tries}${this.detail ? `: ${this.detail}` : ""}; check the endpoint and the network.`
      case "status": {
        const body = this.body ? `: ${this.body}` : ""
        const id = this.requestId ? ` [request id ${this.requestId}]` : ""
        return `${where} failed with status ${this.status}${tries}${body}${id}${hintForStatus(this.status)}`
      }
    }
  }
}

const hintForStatus = (status: number | undefined): string => {
  switch (status) {
    case 401:
    case 403:
      return " (check the API key: NEXTMV_API_KEY, the profile in ~/.nextmv/config.yaml, or the apiKey option)"
    case 404:
      return " (not found: check the ids)"
    case 409:
      return " (conflict: the resource already exists or is in use)"
    case 429:
      return " (rate limited: retries were exhausted; slow down or raise the retry budget)"
    default:
      return status !== undefined && status >= 500 ? " (server error: try again later)" : ""
  }
}

/**
 * A response (or a downloaded document) did not have the expected shape.
 * `operation` names the request (`GET /v1/applications/app-1`) and `issue` says what did not match.
 */
export class NextmvDecodeError extends Schema.TaggedError<NextmvDecodeError>()("NextmvDecodeError", {
  operation: Schema.String,
  issue: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `Unexpected response from ${this.operation}: ${this.issue}`
  }
}

/**
 * An argument was rejected before any request was sent.
 * `operation` is the SDK method (`Applications.newApplication`), `reason` says what to change.
 */
export class InvalidArgumentError extends Schema.TaggedError<InvalidArgumentError>()("InvalidArgumentError", {
  operation: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.operation}: ${this.reason}`
  }
}

/**
 * The client configuration could not be resolved (no API key anywhere, a missing profile, an
 * unreadable config file, an unsupported auth type). Raised when the `NextmvClient` layer is built.
 */
export class NextmvConfigError extends Schema.TaggedError<NextmvConfigError>()("NextmvConfigError", {
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return this.reason
  }
}

/**
 * Polling ran past `maxDuration` without the awaited condition. `lastObserved` is the last value
 * the check returned (e.g. run metadata) and `lastStatus` its status when known.
 */
export class PollingTimeoutError extends Schema.TaggedError<PollingTimeoutError>()("PollingTimeoutError", {
  elapsedMillis: Schema.Number,
  maxDurationMillis: Schema.Number,
  tries: Schema.Number,
  lastStatus: Schema.optional(Schema.String),
  lastObserved: Schema.optional(Schema.Unknown)
}) {
  override get message(): string {
    const status = this.lastStatus !== undefined ? `; last status: ${this.lastStatus}` : ""
    return `Polling timed out after ${(this.elapsedMillis / 1000).toFixed(1)} s (max duration ${
      (this.maxDurationMillis / 1000).toFixed(1)
    } s, ${this.tries} tries)${status}`
  }
}

/**
 * Polling used up its tries (`maxTries`, or the end of a user `Schedule`) without the awaited
 * condition.
 */
export class PollingTriesExhaustedError extends Schema.TaggedError<PollingTriesExhaustedError>()("PollingTriesExhaustedError", {
  tries: Schema.Number,
  lastStatus: Schema.optional(Schema.String),
  lastObserved: Schema.optional(Schema.Unknown)
}) {
  override get message(): string {
    const status = this.lastStatus !== undefined ? `; last status: ${this.lastStatus}` : ""
    return `Polling did not succeed after ${this.tries} tries${status}`
  }
}

/**
 * A paged listing had more pages than the `maxPages` safety limit (nextmv-py stops at 1,000
 * pages too). Raise `maxPages` if the listing really is that long.
 */
export class PaginationLimitError extends Schema.TaggedError<PaginationLimitError>()("PaginationLimitError", {
  /** The SDK operation, e.g. `Secrets.listSecretsCollections`. */
  operation: Schema.String,
  maxPages: Schema.Number
}) {
  override get message(): string {
    return `${this.operation}: the listing has more than ${this.maxPages} pages; raise maxPages`
  }
}

/**
 * The platform refused a run because its execution class has no capacity and the run's
 * configuration disables queuing (`configuration.queuing.disabled: true`): Nextmv answers HTTP
 * 429 ("busy") instead of queuing the run (Nextmv docs, "Queuing and prioritization"). Raised by
 * `Runs.newRun` (and the programs that submit runs) once the client's retries are used up. Submit
 * again later, or allow queuing.
 *
 * @example
 * ```ts
 * runs.newRun("routing-app", { input, configuration: { queuing: { disabled: true } } }).pipe(
 *   Effect.catchTag("RunQueueBusyError", () => runs.newRun("routing-app", { input })))
 * ```
 */
export class RunQueueBusyError extends Schema.TaggedError<RunQueueBusyError>()("RunQueueBusyError", {
  appId: Schema.String,
  /** The requested execution class, when the configuration named one. */
  executionClass: Schema.optional(Schema.String),
  /** The 429 answer (after the client's retries). */
  cause: NextmvHttpError
}) {
  override get message(): string {
    const cls = this.executionClass !== undefined ? ` ${this.executionClass}` : ""
    return `The execution class${cls} has no capacity and queuing is disabled for this run (HTTP 429); submit it later or allow queuing.`
  }
}

/**
 * A run ended `failed` or `canceled` (raised by the `…WithResult` run programs). `result` is the
 * fetched run (with `error_log` when given).
 */
export class RunFailedError extends Schema.TaggedError<RunFailedError>()("RunFailedError", {
  runId: Schema.String,
  status: Schema.String,
  /** The API's error message (`metadata.error`), empty when none. */
  error: Schema.String,
  result: RunResult
}) {
  override get message(): string {
    return `Run ${this.runId} ended ${this.status}${this.error ? `: ${this.error}` : ""}`
  }
}

// ---------------------------------------------------------------------------------------------
// Errors of `Push.push` (besides the HTTP errors of the client and `PlatformError` for local
// file work).

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
        return `symbolic links pointing outside the app directory '${this.appDir}' are not bundled: ${this.files.join(", ")}`
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
