/**
 * {@link RunFailedError} and the one rule turning a final run result into success or failure,
 * shared by the run programs (`RunPrograms`) and the run tracker (`RunTracker`).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { RunFailedError } from "../Errors.js"
import type { RunResult } from "../schemas/Runs.js"

/** Re-exported: the error lives in `Errors.ts` with every other public error. */
export { RunFailedError }

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
