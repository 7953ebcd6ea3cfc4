/**
 * Experiment schemas: batch experiments (and scenario tests, which are batch experiments of type
 * `scenario`) and acceptance tests (nextmv-py `BatchExperiment`, `AcceptanceTest`). Decoded classes keep the wire
 * names as property names.
 *
 * Decoding is lenient where real responses may omit fields the
 * Python models require: such fields get defaults, unknown fields are ignored, and unknown
 * status / enum values are kept as strings so that polling keeps working when the API adds one.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Run } from "./Runs.js"
import { DateTimeUtc, optionalNullable, withDefault } from "./Common.js"

/** A literal union that also accepts any other string (values the server may add later). */
const open = <const L extends ReadonlyArray<string>>(...literals: L) => Schema.Union(Schema.Literal(...literals), Schema.String)

// ---------------------------------------------------------------------------------------------
// Enums
// ---------------------------------------------------------------------------------------------

/** The known experiment statuses (nextmv-py `ExperimentStatus`). */
export const EXPERIMENT_STATUSES = [
  "started",
  "completed",
  "failed",
  "draft",
  "canceled",
  "stopping",
  "deleting",
  "delete-failed",
  "unknown"
] as const

/** Experiment status; an unknown value decodes as its string. */
export const ExperimentStatus = open(...EXPERIMENT_STATUSES)
export type ExperimentStatus = typeof ExperimentStatus.Type

/**
 * The statuses that end polling of batch experiments, scenario tests and acceptance tests
 * (as nextmv-py's pollers): `completed`, `failed`, `draft`, `canceled`, `delete-failed`.
 */
export const TERMINAL_EXPERIMENT_STATUSES: ReadonlyArray<string> = [
  "completed",
  "failed",
  "draft",
  "canceled",
  "delete-failed"
]

/** `true` for a terminal experiment status; a missing status is not terminal (it means `unknown`). */
export const isTerminalExperimentStatus = (status: string | undefined): boolean =>
  status !== undefined && TERMINAL_EXPERIMENT_STATUSES.includes(status)

/** How the values of many runs are collapsed into one number for a metric. */
export const STATISTIC_TYPES = [
  "min",
  "max",
  "mean",
  "std",
  "shifted_geometric_mean",
  "p01",
  "p05",
  "p10",
  "p25",
  "p50",
  "p75",
  "p90",
  "p95",
  "p99"
] as const
export type StatisticType = typeof STATISTIC_TYPES[number]

/** Comparison operators of a metric (wire values). */
export const COMPARISON_OPERATORS = ["eq", "gt", "ge", "lt", "le", "ne"] as const
export type ComparisonOperator = typeof COMPARISON_OPERATORS[number]

/** Tolerance types; `""` means "undefined" (no tolerance). */
export const TOLERANCE_TYPES = ["", "absolute", "relative"] as const
export type ToleranceType = typeof TOLERANCE_TYPES[number]

/** The only metric type the API knows today. */
export const METRIC_TYPES = ["direct-comparison"] as const
export type MetricType = typeof METRIC_TYPES[number]

// ---------------------------------------------------------------------------------------------
// Acceptance tests
// ---------------------------------------------------------------------------------------------

/** `{"type": …, "value": …}` of a metric. */
export class MetricTolerance extends Schema.Class<MetricTolerance>("MetricTolerance")({
  type: withDefault(open(...TOLERANCE_TYPES), () => ""),
  value: withDefault(Schema.Number, () => 0)
}) {}

/** `{"operator": …, "tolerance": …}` of a metric. */
export class MetricParams extends Schema.Class<MetricParams>("MetricParams")({
  operator: open(...COMPARISON_OPERATORS),
  tolerance: withDefault(MetricTolerance, () => new MetricTolerance({}))
}) {}

/** A metric of an acceptance test: a path into the run output, a statistic and a comparison. */
export class Metric extends Schema.Class<Metric>("Metric")({
  field: Schema.String,
  metric_type: withDefault(open(...METRIC_TYPES), () => "direct-comparison"),
  params: MetricParams,
  statistic: open(...STATISTIC_TYPES)
}) {}

/** The instance of one side of an acceptance test; only `instance_id` is sent on create. */
export class ComparisonInstance extends Schema.Class<ComparisonInstance>("ComparisonInstance")({
  instance_id: Schema.String,
  version_id: withDefault(Schema.String, () => "")
}) {}

/** Summary statistics of the metric values of one side. */
export class DistributionSummaryStatistics extends Schema.Class<DistributionSummaryStatistics>("DistributionSummaryStatistics")({
  min: Schema.Number,
  max: Schema.Number,
  count: Schema.Number,
  mean: Schema.Number,
  std: Schema.Number,
  shifted_geometric_mean: Schema.Number,
  shift_parameter: Schema.Number
}) {}

/** Percentiles of the metric values of one side. */
export class DistributionPercentiles extends Schema.Class<DistributionPercentiles>("DistributionPercentiles")({
  p01: Schema.Number,
  p05: Schema.Number,
  p10: Schema.Number,
  p25: Schema.Number,
  p50: Schema.Number,
  p75: Schema.Number,
  p90: Schema.Number,
  p95: Schema.Number,
  p99: Schema.Number
}) {}

/** The statistics of one side (control or candidate) of a metric. */
export class ResultStatistics extends Schema.Class<ResultStatistics>("ResultStatistics")({
  instance_id: Schema.String,
  version_id: withDefault(Schema.String, () => ""),
  number_of_runs_total: withDefault(Schema.Number, () => 0),
  distribution_summary_statistics: DistributionSummaryStatistics,
  distribution_percentiles: DistributionPercentiles
}) {}

/** `{"control": …, "candidate": …}` of a metric result. */
export class MetricStatistics extends Schema.Class<MetricStatistics>("MetricStatistics")({
  control: ResultStatistics,
  candidate: ResultStatistics
}) {}

/** The outcome of one metric. */
export class MetricResult extends Schema.Class<MetricResult>("MetricResult")({
  metric: Metric,
  statistics: MetricStatistics,
  passed: Schema.Boolean
}) {}

/** The outcome of an acceptance test; `error` is set when it could not be evaluated. */
export class AcceptanceTestResults extends Schema.Class<AcceptanceTestResults>("AcceptanceTestResults")({
  passed: Schema.Boolean,
  metric_results: withDefault(Schema.Array(MetricResult), () => []),
  error: optionalNullable(Schema.String)
}) {}

/**
 * An acceptance test. `description`, `app_id` and `experiment_id` default to `""` when absent
 * (nextmv-py omits `description` on create, so responses may lack it); a missing
 * `status` is `unknown`.
 */
export class AcceptanceTest extends Schema.Class<AcceptanceTest>("AcceptanceTest")({
  id: Schema.String,
  name: withDefault(Schema.String, () => ""),
  description: withDefault(Schema.String, () => ""),
  app_id: withDefault(Schema.String, () => ""),
  experiment_id: withDefault(Schema.String, () => ""),
  control: ComparisonInstance,
  candidate: ComparisonInstance,
  metrics: withDefault(Schema.Array(Metric), () => []),
  created_at: optionalNullable(DateTimeUtc),
  updated_at: optionalNullable(DateTimeUtc),
  status: withDefault(ExperimentStatus, () => "unknown"),
  results: optionalNullable(AcceptanceTestResults)
}) {
  /** `true` once the status is terminal. */
  get isFinal(): boolean {
    return isTerminalExperimentStatus(this.status)
  }
}

/** A bare JSON array of acceptance tests; `null` is an empty list. */
export const AcceptanceTestList = Schema.NullOr(Schema.Array(AcceptanceTest))

// ---------------------------------------------------------------------------------------------
// Batch experiments and scenario tests
// ---------------------------------------------------------------------------------------------

/** Option sets: option-set id → (option name → value as a string). */
export const OptionSets = Schema.Record({
  key: Schema.String,
  value: Schema.Record({ key: Schema.String, value: Schema.String })
})
export type OptionSets = typeof OptionSets.Type

const informationFields = {
  id: Schema.String,
  name: withDefault(Schema.String, () => ""),
  created_at: optionalNullable(DateTimeUtc),
  updated_at: optionalNullable(DateTimeUtc),
  /** Absent means `unknown` (not terminal). */
  status: optionalNullable(ExperimentStatus),
  description: optionalNullable(Schema.String),
  number_of_requested_runs: optionalNullable(Schema.Number),
  number_of_runs: optionalNullable(Schema.Number),
  number_of_completed_runs: optionalNullable(Schema.Number),
  /** `batch` or `scenario` (a plain string on the wire). */
  type: optionalNullable(Schema.String),
  option_sets: optionalNullable(OptionSets)
}

/** The fields every batch experiment response has (returned by the update operations). */
export class BatchExperimentInformation extends Schema.Class<BatchExperimentInformation>("BatchExperimentInformation")(informationFields) {
  /** `true` once the status is terminal. */
  get isFinal(): boolean {
    return isTerminalExperimentStatus(this.status)
  }
}

/** `GET …/batch/{id}/metadata` and the elements of the list operations. */
export class BatchExperimentMetadata extends Schema.Class<BatchExperimentMetadata>("BatchExperimentMetadata")({
  ...informationFields,
  app_id: optionalNullable(Schema.String)
}) {
  /** `true` once the status is terminal. */
  get isFinal(): boolean {
    return isTerminalExperimentStatus(this.status)
  }
}

/**
 * A batch experiment (or scenario test) with its runs. `input_set_id` and `instance_ids` are
 * optional here although nextmv-py requires them: scenario tests use several input sets and
 * per-run instances. `runs` is filled from `GET …/batch/{id}/runs`.
 */
export class BatchExperiment extends Schema.Class<BatchExperiment>("BatchExperiment")({
  ...informationFields,
  input_set_id: optionalNullable(Schema.String),
  instance_ids: optionalNullable(Schema.Array(Schema.String)),
  grouped_distributional_summaries: optionalNullable(Schema.Array(Schema.Unknown)),
  runs: withDefault(Schema.Array(Run), () => [])
}) {
  /** `true` once the status is terminal. */
  get isFinal(): boolean {
    return isTerminalExperimentStatus(this.status)
  }
}

/** A bare JSON array of batch experiment metadata; `null` is an empty list. */
export const BatchExperimentMetadataList = Schema.NullOr(Schema.Array(BatchExperimentMetadata))

/** `{"runs": [...]}` of `GET …/batch/{id}/runs`; a missing list is empty. */
export const BatchExperimentRuns = Schema.Struct({ runs: withDefault(Schema.Array(Run), () => []) })

/** `POST …/batch` response: only `id` is read. */
export const NewBatchExperimentResponse = Schema.Struct({ id: Schema.String })

/**
 * One run of a new batch experiment (wire element of `runs`, nextmv-py `BatchExperimentRun`). `input_id` is a managed
 * input id, a previous run id or an input of `input_set_id`; at least one of `instance_id` and
 * `version_id` is required. `run_number` is not part of it (dropped by the newest nextmv-py).
 */
export const BatchExperimentRunWire = Schema.Struct({
  input_id: Schema.String,
  option_set: Schema.optional(Schema.String),
  instance_id: Schema.optional(Schema.String),
  version_id: Schema.optional(Schema.String),
  input_set_id: Schema.optional(Schema.String),
  scenario_id: Schema.optional(Schema.String),
  repetition: Schema.optional(Schema.Number)
})
export type BatchExperimentRunWire = typeof BatchExperimentRunWire.Type
