import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import {
  AcceptanceTest,
  BatchExperiment,
  BatchExperimentMetadata,
  BatchExperimentRuns,
  isTerminalExperimentStatus
} from "../src/schemas/Experiments.js"

const metric = {
  field: "result.value",
  metric_type: "direct-comparison",
  params: { operator: "le", tolerance: { type: "relative", value: 0.05 } },
  statistic: "mean"
}
const side = (instance_id: string, version_id: string, mean: number) => ({
  instance_id,
  version_id,
  number_of_runs_total: 3,
  distribution_summary_statistics: { min: 1, max: 2, count: 3, mean, std: 0.5, shifted_geometric_mean: 1.4, shift_parameter: 10 },
  distribution_percentiles: { p01: 1, p05: 1, p10: 1, p25: 1, p50: 1.5, p75: 2, p90: 2, p95: 2, p99: 2 }
})

describe("experiment schemas", () => {
  it("decode the completed acceptance test of spec §15.2", () => {
    const test = Schema.decodeUnknownSync(AcceptanceTest)({
      id: "acceptance-7h2kq9zx",
      name: "acceptance-7h2kq9zx",
      description: "",
      app_id: "routing-app",
      experiment_id: "acceptance-7h2kq9zx",
      control: { instance_id: "prod", version_id: "v1.4.0" },
      candidate: { instance_id: "staging", version_id: "v1.5.0" },
      metrics: [metric],
      created_at: "2025-03-01T10:15:00Z",
      updated_at: "2025-03-01T10:21:42Z",
      status: "completed",
      results: {
        passed: true,
        metric_results: [{
          metric,
          statistics: { control: side("prod", "v1.4.0", 430), candidate: side("staging", "v1.5.0", 418) },
          passed: true
        }]
      }
    })
    expect(test.isFinal).toBe(true)
    expect(test.results?.metric_results[0]?.statistics.candidate.distribution_summary_statistics.mean).toBe(418)
    expect(test.metrics[0]?.params.tolerance.type).toBe("relative")
  })

  it("decode leniently: absent description and status, unknown status and enum values, extra fields", () => {
    const sparse = Schema.decodeUnknownSync(AcceptanceTest)({
      id: "t",
      control: { instance_id: "prod" },
      candidate: { instance_id: "staging" },
      something_new: 1
    })
    expect([sparse.description, sparse.status, sparse.isFinal, sparse.control.version_id]).toEqual(["", "unknown", false, ""])
    const odd = Schema.decodeUnknownSync(AcceptanceTest)({
      id: "t",
      control: { instance_id: "a" },
      candidate: { instance_id: "b" },
      status: "archiving",
      metrics: [{ ...metric, statistic: "p999", metric_type: "ratio", params: { operator: "approx" } }],
      results: { passed: false, error: "no runs" }
    })
    expect(odd.status).toBe("archiving")
    expect(odd.metrics[0]?.statistic).toBe("p999")
    expect(odd.metrics[0]?.params.tolerance.type).toBe("")
    expect(odd.results?.metric_results).toEqual([])
  })

  it("decode the batch experiment and runs of spec §15.3, and scenario tests without input_set_id", () => {
    const batch = Schema.decodeUnknownSync(BatchExperiment)({
      id: "batch-m4p8t2wq",
      name: "Nightly comparison",
      description: "prod vs staging on the benchmark set",
      created_at: "2025-03-02T02:00:00Z",
      updated_at: "2025-03-02T02:07:31Z",
      status: "completed",
      type: "batch",
      input_set_id: "input-set-benchmark",
      instance_ids: ["prod", "staging"],
      number_of_requested_runs: 4,
      number_of_runs: 4,
      number_of_completed_runs: 4,
      option_sets: {}
    })
    expect([batch.input_set_id, batch.instance_ids, batch.runs]).toEqual(["input-set-benchmark", ["prod", "staging"], []])
    const { runs } = Schema.decodeUnknownSync(BatchExperimentRuns)({
      runs: [{
        id: "run-a1b2c3",
        user_email: "dev@example.com",
        name: "",
        description: "",
        created_at: "2025-03-02T02:00:03Z",
        application_id: "routing-app",
        application_instance_id: "prod",
        application_version_id: "v1.4.0",
        run_type: { type: "standard" },
        execution_class: "6c9500mb870s",
        runtime: "default",
        status_v2: "succeeded",
        experiment_id: "batch-m4p8t2wq",
        input_id: "managed-input-x8d2k1aa",
        input_set_id: "input-set-benchmark"
      }]
    })
    expect(runs[0]?.input_id).toBe("managed-input-x8d2k1aa")
    expect(Schema.decodeUnknownSync(BatchExperimentRuns)({}).runs).toEqual([])
    const scenario = Schema.decodeUnknownSync(BatchExperimentMetadata)({ id: "s", type: "scenario", status: null, app_id: "a" })
    expect([scenario.status, scenario.isFinal, scenario.app_id]).toEqual([undefined, false, "a"])
  })

  it("terminal statuses are completed, failed, draft, canceled and delete-failed", () => {
    expect(["completed", "failed", "draft", "canceled", "delete-failed"].every(isTerminalExperimentStatus)).toBe(true)
    expect(["started", "stopping", "deleting", "unknown", "new-thing", undefined].some(isTerminalExperimentStatus)).toBe(false)
  })
})
