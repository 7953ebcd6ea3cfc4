/**
 * {@link RunFailedError} and the one rule turning a final run result into success or failure,
 * shared by the run programs (`RunPrograms`) and the run tracker (`RunTracker`).
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { RunResult } from "../schemas/Runs.js"

/** A run ended `failed` or `canceled`. `result` is the fetched run (with `error_log` when given). */
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

/**
 * A final run's result: succeeds for `succeeded`, else fails with {@link RunFailedError}
 * (nextmv-py returns failed/canceled results and leaves the status check to the caller).
 */
export const resultOrFailure = (result: RunResult): Effect.Effect<RunResult, RunFailedError> =>
  result.metadata.status_v2 === "succeeded"
    ? Effect.succeed(result)
    : Effect.fail(
      new RunFailedError({
        runId: result.id,
        status: result.metadata.status_v2,
        error: result.metadata.error || (result.error_log?.error ?? ""),
        result
      })
    )
