/**
 * Run schemas (nextmv-py `nextmv.cloud.RunResult`, `RunInformation`, …). Decoded classes keep the wire names as property names.
 * Decoding is lenient where the API has changed over time: unknown fields are
 * ignored, unknown status and format values are kept as strings, and fields the newest Python
 * models require but older responses lack get defaults.
 *
 * @since 0.1.0
 */
import { identity, Option, Schema } from "effect"
import { DateTimeUtc, optionalNullable, withDefault } from "./Common.js"

/** 5 MiB: larger inputs are uploaded, larger outputs are downloaded through presigned URLs. */
export const MAX_RUN_SIZE = 5 * 1024 * 1024

/**
 * Run status (`status_v2`): `canceled`, `failed`, `none`, `queued`, `running`, `succeeded`; a
 * status the server adds later decodes as its string, so polling keeps working.
 */
export const StatusV2 = Schema.Union(
  Schema.Literal("canceled", "failed", "none", "queued", "running", "succeeded"),
  Schema.String
)
export type StatusV2 = typeof StatusV2.Type

/** The statuses that end a run: `succeeded`, `failed`, `canceled`. */
export const TERMINAL_STATUSES: ReadonlyArray<string> = ["succeeded", "failed", "canceled"]

/** `true` for `succeeded`, `failed` and `canceled` (nextmv-py's `run_is_finalized`). */
export const isTerminalStatus = (status: string): boolean => TERMINAL_STATUSES.includes(status)

/** Content format of run input/output: `json`, `text`, `csv-archive`, `multi-file` (others kept). */
export const ContentType = Schema.Union(Schema.Literal("json", "text", "csv-archive", "multi-file"), Schema.String)
export type ContentType = typeof ContentType.Type

/** `{"type": …}` of `format.input` / `format.output`; `type` defaults to `json`. */
export const FormatType = Schema.Struct({ type: withDefault(ContentType, () => "json") })

/** `{"input": {"type": …}, "output": {"type": …}}`. */
export const Format = Schema.Struct({
  input: withDefault(FormatType, () => ({ type: "json" })),
  output: optionalNullable(FormatType)
})
export type Format = typeof Format.Type

/** `standard`, `external`, `ensemble` (others kept). */
export const RunType = Schema.Union(Schema.Literal("standard", "external", "ensemble"), Schema.String)

/** Run type configuration; `type` may be absent, `null` or `""` — all read as absent. */
export const RunTypeConfiguration = Schema.Struct({
  type: Schema.optionalToOptional(Schema.NullOr(RunType), RunType, {
    decode: Option.flatMap((type) => (type === null || type === "" ? Option.none() : Option.some(type))),
    encode: identity
  }),
  definition_id: optionalNullable(Schema.String),
  reference_id: optionalNullable(Schema.String)
})

/** Queuing settings: `priority` 1 (highest) … 9 (lowest), `disabled` = do not queue. */
export const RunQueuing = Schema.Struct({
  priority: Schema.optional(Schema.Number),
  disabled: Schema.optional(Schema.Boolean)
})
export type RunQueuing = typeof RunQueuing.Type

/**
 * Run configuration, sent as the body's `configuration` (wire names). When omitted, `newRun`
 * builds nextmv-py's default (formats derived from the input).
 */
export const RunConfiguration = Schema.Struct({
  execution_class: Schema.optional(Schema.String),
  format: Schema.optional(Format),
  run_type: Schema.optional(RunTypeConfiguration),
  secrets_collection_id: Schema.optional(Schema.String),
  queuing: Schema.optional(RunQueuing),
  integration_id: Schema.optional(Schema.String)
})
export type RunConfiguration = typeof RunConfiguration.Encoded

/** Result of an external (tracked) run, sent as the body's `result`. */
export const ExternalRunResult = Schema.Struct({
  output_upload_id: Schema.optional(Schema.String),
  error_upload_id: Schema.optional(Schema.String),
  status: Schema.optional(Schema.String),
  error_message: Schema.optional(Schema.String),
  execution_duration: Schema.optional(Schema.Number),
  statistics_upload_id: Schema.optional(Schema.String),
  metrics_upload_id: Schema.optional(Schema.String),
  assets_upload_id: Schema.optional(Schema.String)
})
export type ExternalRunResult = typeof ExternalRunResult.Type

/** Run metadata (newest model, decoded leniently; durations in milliseconds, sizes in bytes). */
export class Metadata extends Schema.Class<Metadata>("Metadata")({
  application_id: withDefault(Schema.String, () => ""),
  application_instance_id: withDefault(Schema.String, () => ""),
  application_version_id: withDefault(Schema.String, () => ""),
  created_at: optionalNullable(DateTimeUtc),
  initiated_at: optionalNullable(DateTimeUtc),
  duration: withDefault(Schema.Number, () => 0),
  execution_duration: optionalNullable(Schema.Number),
  error: withDefault(Schema.String, () => ""),
  execution_class: withDefault(Schema.String, () => ""),
  experiment_id: optionalNullable(Schema.String),
  experiment_type: optionalNullable(Schema.String),
  format: withDefault(Format, () => ({ input: { type: "json" } })),
  input_size: withDefault(Schema.Number, () => 0),
  output_size: withDefault(Schema.Number, () => 0),
  integration: optionalNullable(Schema.Unknown),
  metrics: optionalNullable(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  options: optionalNullable(Schema.Unknown),
  queuing_disabled: withDefault(Schema.Boolean, () => false),
  queuing_priority: optionalNullable(Schema.Number),
  run_type: withDefault(RunTypeConfiguration, () => ({})),
  runtime: withDefault(Schema.String, () => ""),
  secrets_collection_id: optionalNullable(Schema.String),
  /** Required: polling reads it. */
  status_v2: StatusV2,
  statistics: optionalNullable(Schema.Unknown),
  tracking: optionalNullable(Schema.Unknown)
}) {
  /** The output content format (`format.output.type`, `json` when absent). */
  get outputType(): ContentType {
    return this.format.output?.type ?? "json"
  }
  /** The input content format (`format.input.type`). */
  get inputType(): ContentType {
    return this.format.input.type
  }
  /** `true` once the run is `succeeded`, `failed` or `canceled`. */
  get isFinal(): boolean {
    return isTerminalStatus(this.status_v2)
  }
}

const runInformationFields = {
  id: Schema.String,
  name: withDefault(Schema.String, () => ""),
  description: withDefault(Schema.String, () => ""),
  user_email: withDefault(Schema.String, () => ""),
  metadata: Metadata,
  /** Console deep link, computed by the SDK (not part of the API response). */
  console_url: withDefault(Schema.String, () => "")
}

/** A run without its output (`GET …/runs/{id}/metadata`). */
export class RunInformation extends Schema.Class<RunInformation>("RunInformation")(runInformationFields) {}

/** Error details of a failed run. */
export const ErrorLog = Schema.Struct({
  error: optionalNullable(Schema.String),
  stdout: optionalNullable(Schema.String),
  stderr: optionalNullable(Schema.String)
})

/**
 * A run with its output (`GET …/runs/{id}`). For JSON output `output` is the document; for
 * `multi-file`/`csv-archive` output it stays `{"url": …}` (the files are extracted to the output
 * directory); for `text` output it is the text.
 */
export class RunResult extends Schema.Class<RunResult>("RunResult")({
  ...runInformationFields,
  error_log: optionalNullable(ErrorLog),
  output: optionalNullable(Schema.Unknown)
}) {}

/** One entry of `GET …/runs` (lenient: only `id` and `status_v2` are required). */
export class Run extends Schema.Class<Run>("Run")({
  id: Schema.String,
  user_email: withDefault(Schema.String, () => ""),
  name: withDefault(Schema.String, () => ""),
  description: withDefault(Schema.String, () => ""),
  created_at: optionalNullable(DateTimeUtc),
  application_id: withDefault(Schema.String, () => ""),
  application_instance_id: withDefault(Schema.String, () => ""),
  application_version_id: withDefault(Schema.String, () => ""),
  run_type: withDefault(RunTypeConfiguration, () => ({})),
  execution_class: withDefault(Schema.String, () => ""),
  runtime: withDefault(Schema.String, () => ""),
  status_v2: StatusV2,
  queuing_priority: optionalNullable(Schema.Number),
  queuing_disabled: optionalNullable(Schema.Boolean),
  experiment_id: optionalNullable(Schema.String),
  statistics: optionalNullable(Schema.Unknown),
  metrics: optionalNullable(Schema.Unknown),
  input_id: optionalNullable(Schema.String),
  option_set: optionalNullable(Schema.String),
  options: optionalNullable(Schema.Record({ key: Schema.String, value: Schema.String })),
  request_options: optionalNullable(Schema.Record({ key: Schema.String, value: Schema.String })),
  options_summary: optionalNullable(Schema.Array(Schema.Unknown)),
  scenario_id: optionalNullable(Schema.String),
  repetition: optionalNullable(Schema.Number),
  input_set_id: optionalNullable(Schema.String)
}) {}

/** `{"runs": [...]}`; a missing list is empty. */
export const RunList = Schema.Struct({ runs: withDefault(Schema.Array(Run), () => []) })

/** Final logs (`GET …/logs`): the last 50 kB the run wrote to stderr. */
export class RunLog extends Schema.Class<RunLog>("RunLog")({ log: withDefault(Schema.String, () => "") }) {}

/** One live log line. */
export class TimestampedRunLog extends Schema.Class<TimestampedRunLog>("TimestampedRunLog")({
  timestamp: DateTimeUtc,
  log: Schema.String
}) {}

/** A page of live logs (`GET …/logs/live`). */
export const LiveLogs = Schema.Struct({
  items: withDefault(Schema.Array(TimestampedRunLog), () => []),
  status_v2: withDefault(StatusV2, () => "none"),
  next_page_token: optionalNullable(Schema.String),
  next_available_in_seconds: withDefault(Schema.Number, () => 0)
})

/** `POST …/runs/uploadurl` response. */
export class UploadUrl extends Schema.Class<UploadUrl>("UploadUrl")({
  upload_id: Schema.String,
  upload_url: Schema.String
}) {}

/** `{"url": …}` of `format=url` responses. */
export const DownloadUrl = Schema.Struct({ url: Schema.String })

/** `POST …/runs` response. */
export const NewRunResponse = Schema.Struct({ run_id: Schema.String })

/** Visualization hints of an asset (`schema`: `chartjs`, `geojson`, `plotly`; `type`: `custom-tab`). */
export const Visual = Schema.Struct({
  schema: optionalNullable(Schema.String),
  label: optionalNullable(Schema.String),
  type: withDefault(Schema.String, () => "custom-tab")
})

/** An asset of a run (`run_id` is added by the SDK; the API items do not carry it). */
export class RunAsset extends Schema.Class<RunAsset>("RunAsset")({
  id: Schema.String,
  run_id: Schema.String,
  name: withDefault(Schema.String, () => ""),
  created_at: withDefault(Schema.String, () => ""),
  size: withDefault(Schema.Number, () => 0),
  content_type: withDefault(Schema.String, () => "json"),
  description: optionalNullable(Schema.String),
  visual: optionalNullable(Visual)
}) {}

/** `{"items": [...]}` of `GET …/assets`, items without `run_id`. */
export const AssetList = Schema.Struct({
  items: withDefault(Schema.Array(Schema.Record({ key: Schema.String, value: Schema.Unknown })), () => [])
})

/** `GET …/assets/{id}`: where to download the asset and its type (default `json`). */
export const AssetDownload = Schema.Struct({
  download_url: Schema.String,
  type: withDefault(Schema.String, () => "json")
})

/** The values of one field across compared runs (nextmv-py `ComparisonValues`). */
export const ComparisonValues = Schema.Struct({
  /** `true` when at least two runs have different values (runs lacking the field do not count). */
  has_differences: Schema.Boolean,
  /** Run id → value, only for the runs that have the field. */
  values: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})
export type ComparisonValues = typeof ComparisonValues.Type

/** Field → values, for one group of compared fields. */
export const ComparisonGroup = Schema.Record({ key: Schema.String, value: ComparisonValues })
export type ComparisonGroup = typeof ComparisonGroup.Type

/** The result of `compareRuns` (nextmv-py `RunComparison`). */
export class RunComparison extends Schema.Class<RunComparison>("RunComparison")({
  /** The compared run ids, in the order given. */
  run_ids: Schema.Array(Schema.String),
  /** Top-level run information: `id`, `name`, `description`, `user_email`. */
  information: ComparisonGroup,
  /**
   * Run metadata, with nextmv-py's renames: `content_format` (the input type), `status` (from
   * `status_v2`), `run_type` (its `type`), and the keys of `integration` and `tracking` flattened
   * in; `metrics` and `options` are compared in their own groups.
   */
  metadata: ComparisonGroup,
  /** `metadata.metrics` entries (numbers rounded to 5 decimals); absent when no run has metrics. */
  metrics: Schema.optional(ComparisonGroup),
  /** `metadata.options.active_options` entries; absent when no run has any. */
  options: Schema.optional(ComparisonGroup)
}) {
  /** Field → (run id → value) per group, without the `has_differences` flags (nextmv-py `to_flat_dict`). */
  toFlatDict(): Record<string, unknown> {
    const flat = (group: ComparisonGroup) => Object.fromEntries(Object.entries(group).map(([field, { values }]) => [field, values]))
    return {
      run_ids: this.run_ids,
      information: flat(this.information),
      metadata: flat(this.metadata),
      ...(this.metrics !== undefined ? { metrics: flat(this.metrics) } : {}),
      ...(this.options !== undefined ? { options: flat(this.options) } : {})
    }
  }
}
