/**
 * Request bodies, one `Schema` each, with the wire names (snake_case) that nextmv-py sends. The
 * services encode them with `internal/body.ts`; a value that does not fit is an
 * `InvalidArgumentError` before any request. Optional fields left `undefined` are not sent.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { wireWithoutNulls } from "./Common.js"
import { InputSet } from "./InputSets.js"
import { Secret } from "./Secrets.js"
import { COMPARISON_OPERATORS, METRIC_TYPES, STATISTIC_TYPES, TOLERANCE_TYPES } from "./Experiments.js"
import { ManagedInput, ManagedInputFormat } from "./ManagedInputs.js"
import { ExternalRunResult } from "./Runs.js"

const optionalString = Schema.optional(Schema.String)
/** Any JSON object (its values are checked for a JSON form when the body is encoded). */
const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** A closed set of strings, with a message that names the field and the allowed values. */
const oneOf = <const L extends ReadonlyArray<string>>(field: string, values: L, shown?: string) =>
  Schema.Literal(...values).annotations({
    message: () => ({ message: `${field} must be ${shown ?? `one of ${values.join(", ")}`}`, override: true })
  })

/** Fields to change with a `PATCH` (name and/or description). */
export const PatchNameDescription = Schema.Struct({ name: optionalString, description: optionalString })

// ---------------------------------------------------------------------------------------------
// Applications, versions, instances, secrets, ensembles

/** `POST /v1/applications` (nextmv-py `Application.new`). */
export const NewApplicationBody = Schema.Struct({
  name: Schema.String,
  id: Schema.String,
  description: optionalString,
  is_pipeline: Schema.optional(Schema.Boolean),
  default_instance: optionalString,
  default_experiment_instance: optionalString
})

/** `POST …/versions` (nextmv-py `Application.new_version`). */
export const NewVersionBody = Schema.Struct({ id: Schema.String, name: Schema.String, description: optionalString })

/** An instance configuration as sent: execution class, options, secrets, queuing, integration. */
export const InstanceConfigurationBody = JsonObject

/** `POST …/instances` (nextmv-py `Application.new_instance`). */
export const NewInstanceBody = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  version_id: Schema.String,
  description: optionalString,
  configuration: Schema.optional(InstanceConfigurationBody)
})

/** `POST …/secrets` (nextmv-py `Application.new_secrets_collection`); values in clear text. */
export const NewSecretsCollectionBody = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  secrets: Schema.Array(Secret),
  description: optionalString
})

/** A run group of a new ensemble definition. */
export const RunGroupBody = Schema.Struct({
  id: Schema.String,
  instance_id: Schema.String,
  options: Schema.optional(JsonObject),
  repetitions: Schema.optional(Schema.Number)
})

/** An evaluation rule of a new ensemble definition. */
export const EvaluationRuleBody = Schema.Struct({
  id: Schema.String,
  statistics_path: Schema.String,
  objective: Schema.String,
  tolerance: Schema.Struct({ value: Schema.Number, type: Schema.String }),
  index: Schema.Number
})

/** `POST …/ensembles` (nextmv-py `Application.new_ensemble_definition`). */
export const NewEnsembleDefinitionBody = Schema.Struct({
  id: Schema.String,
  run_groups: Schema.Array(RunGroupBody),
  rules: Schema.Array(EvaluationRuleBody),
  name: Schema.String,
  description: Schema.String
})

/** `PUT …/binary`: activates a pushed bundle (nextmv-py `Application.push`). */
export const ActivationBody = Schema.Struct({ requirements: JsonObject })

// ---------------------------------------------------------------------------------------------
// Runs

/** `POST …/runs` (nextmv-py `Application.new_run`); exactly one of the three input fields. */
export const NewRunBody = Schema.Struct({
  input_id: optionalString,
  upload_id: optionalString,
  /** The inline input; `null` when the run has none. */
  input: Schema.optional(Schema.Unknown),
  name: optionalString,
  description: optionalString,
  options: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  configuration: JsonObject,
  batch_experiment_id: optionalString,
  result: Schema.optional(ExternalRunResult),
  /** Set by `cloneRun`: the run this one clones (nextmv-py `clone_run`). */
  tracking: Schema.optional(Schema.Struct({ cloned_run_id: Schema.String }))
})

/** The statuses an external (tracked) run can report. */
export const ExternalRunStatus = Schema.Literal("succeeded", "failed")

// ---------------------------------------------------------------------------------------------
// Experiments

/** `POST …/inputs` (nextmv-py `Application.new_managed_input`). */
export const NewManagedInputBody = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  description: optionalString,
  upload_id: optionalString,
  run_id: optionalString,
  format: Schema.encodedSchema(ManagedInputFormat)
})

/** A managed input in an input set body: the managed input itself (nulls left out) or `{id}`. */
export const InputSetInputBody = Schema.Union(ManagedInput, Schema.Struct({ id: Schema.String }))

/** `POST …/experiments/inputsets` (nextmv-py `Application.new_input_set`). */
export const NewInputSetBody = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  description: optionalString,
  end_time: optionalString,
  instance_id: optionalString,
  maximum_runs: Schema.optional(Schema.Number),
  run_ids: Schema.optional(Schema.Array(Schema.String)),
  start_time: optionalString,
  inputs: Schema.optional(Schema.Array(InputSetInputBody))
})

/**
 * `PUT …/experiments/inputsets/{id}`: the whole input set back (nulls left out), its `inputs`
 * possibly replaced by managed inputs or `{id}` objects (nextmv-py `Application.update_input_set`).
 */
export const InputSetPutBody = wireWithoutNulls(
  Schema.Struct({ ...InputSet.fields, inputs: Schema.Array(InputSetInputBody) })
)

/** One run of a new batch experiment. */
export const BatchExperimentRunBody = Schema.Struct({
  input_id: Schema.String,
  option_set: optionalString,
  instance_id: optionalString,
  version_id: optionalString,
  input_set_id: optionalString,
  scenario_id: optionalString,
  repetition: Schema.optional(Schema.Number)
})

/** `POST …/experiments/batch` (nextmv-py `Application.new_batch_experiment`). */
export const NewBatchExperimentBody = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  input_set_id: optionalString,
  instance_ids: Schema.optional(Schema.Array(Schema.String)),
  description: optionalString,
  option_sets: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Record({ key: Schema.String, value: Schema.String }) })),
  runs: Schema.optional(Schema.Array(BatchExperimentRunBody)),
  type: Schema.String
})

/** A metric of a new acceptance test; the closed sets are checked here. */
export const MetricBody = Schema.Struct({
  field: Schema.String.pipe(Schema.minLength(1)).annotations({
    message: () => ({ message: "field must be a non-empty string", override: true })
  }),
  metric_type: oneOf("metricType", METRIC_TYPES, METRIC_TYPES.join(", ")),
  params: Schema.Struct({
    operator: oneOf("params.operator", COMPARISON_OPERATORS),
    tolerance: Schema.Struct({
      type: oneOf("params.tolerance.type", TOLERANCE_TYPES, `"", "absolute" or "relative"`),
      value: Schema.Number.pipe(Schema.finite()).annotations({
        message: () => ({ message: "params.tolerance.value must be a finite number", override: true })
      })
    })
  }),
  statistic: oneOf("statistic", STATISTIC_TYPES)
})

/** `POST …/experiments/acceptance` (nextmv-py `Application.new_acceptance_test`). */
export const NewAcceptanceTestBody = Schema.Struct({
  candidate: Schema.Struct({ instance_id: Schema.String }),
  control: Schema.Struct({ instance_id: Schema.String }),
  metrics: Schema.Array(MetricBody),
  experiment_id: Schema.String,
  name: Schema.String,
  id: Schema.String,
  description: optionalString
})
