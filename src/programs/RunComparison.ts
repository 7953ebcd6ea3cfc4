/**
 * `compareRuns`: nextmv-py's `Application.compare_runs`, client-side. There is no comparison
 * endpoint: the information of each run is fetched (`GET …/runs/{id}/metadata`, one after the
 * other) and compared field by field.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { NextmvDecodeError } from "../Errors.js"
import { invalidArgument, isRecordObject, requireIds } from "../internal/validate.js"
import { type ComparisonGroup, Metadata, RunComparison } from "../schemas/Runs.js"
import { type RunError, Runs } from "../services/Runs.js"

export { RunComparison }

/** The most runs one comparison takes (nextmv-py and its CLI). */
export const MAX_COMPARED_RUNS = 20

type Collected = Record<string, Record<string, unknown>>

/** Adds `runId → value` under `field`; absent and `null` values are left out (nextmv-py's `to_dict` drops `None`). */
const collect = (group: Collected, field: string, runId: string, value: unknown) => {
  if (value === undefined || value === null) return
  ;(group[field] ??= {})[runId] = value
}

/**
 * nextmv-py flags a field with `len(set(values)) > 1`, which raises for dict and list values
 * (`details`, `synced_runs`, …); here values are compared by their JSON text, so objects and
 * arrays work too.
 */
const finish = (group: Collected): ComparisonGroup =>
  Object.fromEntries(
    Object.entries(group).map(([field, values]) => [
      field,
      { has_differences: new Set(Object.values(values).map((v) => JSON.stringify(v))).size > 1, values }
    ])
  )

/** Numbers rounded to 5 decimals, as nextmv-py does for metrics. */
const round5 = (value: unknown) => typeof value === "number" ? Math.round(value * 1e5) / 1e5 : value

const encodeMetadata = Schema.encode(Metadata)

/** The metadata fields of one run (wire form), with nextmv-py's renames and flattening. */
const metadataFields = (wire: Readonly<Record<string, unknown>>, metadata: Metadata, runId: string, into: Collected) => {
  for (const [key, value] of Object.entries(wire)) {
    switch (key) {
      case "metrics":
      case "options":
        break
      case "format":
        collect(into, "content_format", runId, metadata.inputType)
        break
      case "status_v2":
        collect(into, "status", runId, value)
        break
      case "run_type":
        // nextmv-py reads `run_type.type` (and raises without one); a run type without it is left out.
        collect(into, "run_type", runId, isRecordObject(value) ? value["type"] : undefined)
        break
      case "integration":
      case "tracking":
        if (isRecordObject(value)) { for (const [inner, v] of Object.entries(value)) collect(into, inner, runId, v) }
        break
      default:
        collect(into, key, runId, value)
    }
  }
}

/**
 * Compares 1 to 20 runs of an application field by field (nextmv-py's `compare_runs`): fetches
 * each run's information in order, then groups the values by field (information, metadata,
 * metrics, options) and flags the fields whose values differ. Fails with `InvalidArgumentError`
 * "You must provide between 1 and 20 run IDs to compare." or "Duplicate run IDs provided. Please
 * provide unique run IDs for comparison." before any request, and with the first failed
 * request's error.
 *
 * @example
 * ```ts
 * const comparison = yield* compareRuns("routing-app", ["latest-a1", "latest-b2"])
 * for (const [metric, { has_differences, values }] of Object.entries(comparison.metrics ?? {})) {
 *   if (has_differences) console.log(metric, values)
 * }
 * ```
 */
export const compareRuns = (
  appId: string,
  runIds: ReadonlyArray<string>
): Effect.Effect<RunComparison, RunError, Runs> =>
  Effect.gen(function*() {
    const operation = "Runs.compareRuns"
    yield* requireIds(operation, { appId })
    if (!Array.isArray(runIds) || runIds.length < 1 || runIds.length > MAX_COMPARED_RUNS) {
      return yield* invalidArgument(operation, "You must provide between 1 and 20 run IDs to compare.")
    }
    if (new Set(runIds).size !== runIds.length) {
      return yield* invalidArgument(operation, "Duplicate run IDs provided. Please provide unique run IDs for comparison.")
    }
    yield* requireIds(operation, Object.fromEntries(runIds.map((id, i) => [`runIds[${i}]`, id])))
    const runs = yield* Runs
    const information: Collected = {}
    const metadata: Collected = {}
    const metrics: Collected = {}
    const options: Collected = {}
    const ids: Array<string> = []
    for (const runId of runIds) {
      const info = yield* runs.runInformation(appId, runId)
      const id = info.id
      ids.push(id)
      const fields = { description: info.description, id: info.id, name: info.name, user_email: info.user_email }
      for (const [key, value] of Object.entries(fields)) collect(information, key, id, value)
      const wire = yield* encodeMetadata(info.metadata).pipe(
        Effect.mapError((error) => new NextmvDecodeError({ operation, issue: `run ${id}: ${error.message}` }))
      )
      metadataFields(wire, info.metadata, id, metadata)
      for (const [key, value] of Object.entries(info.metadata.metrics ?? {})) collect(metrics, key, id, round5(value))
      const active = isRecordObject(info.metadata.options) ? info.metadata.options["active_options"] : undefined
      if (isRecordObject(active)) { for (const [key, value] of Object.entries(active)) collect(options, key, id, value) }
    }
    return new RunComparison({
      run_ids: ids,
      information: finish(information),
      metadata: finish(metadata),
      ...(Object.keys(metrics).length > 0 ? { metrics: finish(metrics) } : {}),
      ...(Object.keys(options).length > 0 ? { options: finish(options) } : {})
    })
  }).pipe(Effect.withSpan("Runs.compareRuns", { attributes: { appId, runs: Array.isArray(runIds) ? runIds.length : 0 } }))
