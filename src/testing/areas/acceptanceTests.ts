/**
 * Emulator area: acceptance tests (`/v1/applications/{appId}/experiments/acceptance`, nextmv-py's
 * `Application.new_acceptance_test` and friends). A test compares a candidate instance with a
 * baseline on the runs of its batch experiment (same id); once that experiment has ended, each
 * metric's `field` is read from the runs' outputs, summarised and compared with the operator and
 * tolerance (see ./statistics.ts). Deleting a test deletes its batch experiment too (as the
 * nextmv-py docs say).
 */
import type { EmulatorContext, EmulatorResponse } from "../Emulator.js"
import type { BatchRecord } from "./batchExperiments.js"
import { asObject, existingApp, isResponse, itemRoutes, nonEmptyString as str, ScopedRecords } from "./handlers.js"
import { clean, ENTITY_ID } from "./managedInputs.js"
import { compareMetric, metricValue, OPERATORS, statisticOf, STATISTICS, summarize, TOLERANCE_TYPES } from "./statistics.js"

/** An acceptance test as stored (results are computed when the batch experiment has ended). */
export interface AcceptanceRecord {
  readonly id: string
  readonly app_id: string
  name: string
  description: string
  readonly experiment_id: string
  readonly control: { readonly instance_id: string }
  readonly candidate: { readonly instance_id: string }
  readonly metrics: ReadonlyArray<MetricJson>
  readonly created_at: string
  updated_at: string
}

/** A metric in wire form. */
export interface MetricJson {
  readonly field: string
  readonly metric_type: string
  readonly params: { readonly operator: string; readonly tolerance: { readonly type: string; readonly value: number } }
  readonly statistic: string
}

declare module "../Emulator.js" {
  interface EmulatorAreas {
    readonly acceptanceTests: {
      /** A stored acceptance test. */
      readonly get: (appId: string, id: string) => AcceptanceRecord | undefined
    }
  }
}

export const install = (ctx: EmulatorContext): void => {
  const records = new ScopedRecords<AcceptanceRecord>("acceptance test")
  const batches = ctx.areas.batchExperiments

  /** Results of a test whose batch experiment has ended (nextmv-py's `AcceptanceTestResults` shape). */
  const resultsOf = (test: AcceptanceRecord, batch: BatchRecord) => {
    const runs = batches.runsOf(batch)
    const side = (instanceId: string, field: string) => {
      const mine = runs.filter(({ run }) => run.instanceId === instanceId)
      const values = mine.flatMap(({ run, status }) => {
        if (status !== "succeeded") return []
        const value = metricValue(run.outputJson, run.metrics, field)
        return value === undefined ? [] : [value]
      })
      return { instanceId, versionId: mine[0]?.run.versionId ?? "", total: mine.length, values }
    }
    const metricResults: Array<unknown> = []
    const errors: Array<string> = []
    for (const metric of test.metrics) {
      const control = side(test.control.instance_id, metric.field)
      const candidate = side(test.candidate.instance_id, metric.field)
      const empty = [control, candidate].find((s) => s.values.length === 0)
      if (empty !== undefined) {
        errors.push(`metric ${metric.field}: no successful run of instance ${empty.instanceId} reports a number at ${metric.field}`)
        continue
      }
      const controlSummary = summarize(control.values)
      const candidateSummary = summarize(candidate.values)
      const passed = compareMetric(
        metric.params.operator,
        metric.params.tolerance,
        statisticOf(candidateSummary, metric.statistic) ?? Number.NaN,
        statisticOf(controlSummary, metric.statistic) ?? Number.NaN
      )
      const statistics = (s: typeof control, summary: typeof controlSummary) => ({
        instance_id: s.instanceId,
        version_id: s.versionId,
        number_of_runs_total: s.total,
        ...summary
      })
      metricResults.push({
        metric,
        statistics: { control: statistics(control, controlSummary), candidate: statistics(candidate, candidateSummary) },
        passed
      })
    }
    return clean({
      passed: errors.length === 0 && metricResults.every((r) => (r as { passed: boolean }).passed),
      metric_results: metricResults,
      error: errors.length > 0 ? errors.join("; ") : undefined
    })
  }

  const acceptanceJson = (test: AcceptanceRecord) => {
    const batch = batches.get(test.app_id, test.experiment_id)
    const status = batch === undefined ? "failed" : batches.status(batch)
    const results = batch === undefined
      ? { passed: false, error: `batch experiment ${test.experiment_id} no longer exists` }
      : status === "completed" || status === "failed"
      ? resultsOf(test, batch)
      : undefined
    const versionOf = (instanceId: string) =>
      batch === undefined ? "" : batches.runsOf(batch).find(({ run }) => run.instanceId === instanceId)?.run.versionId ?? ""
    return clean({
      id: test.id,
      name: test.name,
      description: test.description,
      app_id: test.app_id,
      experiment_id: test.experiment_id,
      control: { instance_id: test.control.instance_id, version_id: versionOf(test.control.instance_id) },
      candidate: { instance_id: test.candidate.instance_id, version_id: versionOf(test.candidate.instance_id) },
      metrics: test.metrics,
      created_at: test.created_at,
      updated_at: test.updated_at,
      status,
      results
    })
  }

  const parseMetric = (raw: unknown, index: number): MetricJson | EmulatorResponse => {
    const metric = asObject(raw)
    const params = asObject(metric["params"])
    const tolerance = asObject(params["tolerance"])
    const field = str(metric["field"])
    const where = `metrics[${index}]`
    if (field === undefined) return ctx.apiError(400, `${where}: field is required`)
    if (metric["metric_type"] !== "direct-comparison") return ctx.apiError(400, `${where}: metric_type must be direct-comparison`)
    if (!STATISTICS.includes(String(metric["statistic"]))) return ctx.apiError(400, `${where}: unknown statistic`)
    if (!OPERATORS.includes(String(params["operator"]))) return ctx.apiError(400, `${where}: unknown operator`)
    if (!TOLERANCE_TYPES.includes(String(tolerance["type"]))) return ctx.apiError(400, `${where}: unknown tolerance type`)
    if (typeof tolerance["value"] !== "number") return ctx.apiError(400, `${where}: tolerance value must be a number`)
    return {
      field,
      metric_type: "direct-comparison",
      params: {
        operator: String(params["operator"]),
        tolerance: { type: String(tolerance["type"]), value: tolerance["value"] }
      },
      statistic: String(metric["statistic"])
    }
  }

  ctx.route("GET", "/v1/applications/:appId/experiments/acceptance", (request) => {
    const appId = existingApp(ctx, request.params["appId"]!)
    if (isResponse(appId)) return appId
    return ctx.ok(records.ofApp(appId).map(acceptanceJson))
  })

  ctx.route("POST", "/v1/applications/:appId/experiments/acceptance", (request) => {
    const appId = existingApp(ctx, request.params["appId"]!)
    if (isResponse(appId)) return appId
    const body = asObject(request.json())
    const id = str(body["id"])
    const experimentId = str(body["experiment_id"])
    const candidate = str(asObject(body["candidate"])["instance_id"])
    const control = str(asObject(body["control"])["instance_id"])
    if (id === undefined || !ENTITY_ID.test(id)) return ctx.apiError(400, "id is required")
    if (experimentId === undefined) return ctx.apiError(400, "experiment_id is required")
    if (candidate === undefined || control === undefined) {
      return ctx.apiError(400, "candidate.instance_id and control.instance_id are required")
    }
    if (records.has(appId, id)) return ctx.apiError(409, `acceptance test ${id} already exists`)
    if (batches.get(appId, experimentId) === undefined) return ctx.apiError(404, `batch experiment ${experimentId} not found`)
    if (experimentId !== id) return ctx.apiError(400, "an acceptance test must have the id of its batch experiment")
    if (!Array.isArray(body["metrics"]) || body["metrics"].length === 0) return ctx.apiError(400, "metrics are required")
    const metrics: Array<MetricJson> = []
    for (const [index, raw] of body["metrics"].entries()) {
      const metric = parseMetric(raw, index)
      if (isResponse(metric)) return metric
      metrics.push(metric)
    }
    const at = ctx.timestamp()
    const test: AcceptanceRecord = {
      id,
      app_id: appId,
      name: str(body["name"]) ?? id,
      description: typeof body["description"] === "string" ? body["description"] : "",
      experiment_id: experimentId,
      control: { instance_id: control },
      candidate: { instance_id: candidate },
      metrics,
      created_at: at,
      updated_at: at
    }
    records.set(appId, id, test)
    return ctx.ok(acceptanceJson(test), 201)
  })

  itemRoutes(ctx, {
    path: "/v1/applications/:appId/experiments/acceptance/:testId",
    param: "testId",
    records,
    json: acceptanceJson,
    update: { method: "PATCH" },
    onDelete: (appId, test) => batches.delete(appId, test.experiment_id)
  })

  Object.assign(ctx.areas, { acceptanceTests: { get: (appId: string, id: string) => records.get(appId, id) } })
}
