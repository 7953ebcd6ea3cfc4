/**
 * Ensemble definition schemas (nextmv-py `nextmv.cloud.EnsembleDefinition`). Property names are the wire names.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { DateTimeUtc, optionalNullable, withDefault } from "./Common.js"

/** A group of child runs: which instance runs them, with which options, how many times. */
export const RunGroup = Schema.Struct({
  id: Schema.String,
  /** The instance that executes the group's child runs. */
  instance_id: Schema.String,
  /** Run options for this group. */
  options: optionalNullable(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  /** How many times the run is repeated on the instance with these options. */
  repetitions: optionalNullable(Schema.Number)
})
export type RunGroup = typeof RunGroup.Type

/** `maximize` or `minimize` (other values the server may add are kept). */
export const RuleObjective = Schema.Union(Schema.Literal("maximize", "minimize"), Schema.String)
export type RuleObjective = typeof RuleObjective.Type

/** `absolute` or `relative` (for `relative`, `1` means 100 %); other values are kept. */
export const RuleToleranceType = Schema.Union(Schema.Literal("absolute", "relative"), Schema.String)
export type RuleToleranceType = typeof RuleToleranceType.Type

/** How far from the best value a run may be and still count as tied. */
export const RuleTolerance = Schema.Struct({
  value: Schema.Number,
  type: RuleToleranceType
})
export type RuleTolerance = typeof RuleTolerance.Type

/**
 * How the ensemble picks a winning child run: rules are applied by increasing `index`
 * (lexicographic selection) to the statistic at `statistics_path` (e.g. `$.result.value`).
 */
export const EvaluationRule = Schema.Struct({
  id: Schema.String,
  statistics_path: Schema.String,
  objective: RuleObjective,
  tolerance: RuleTolerance,
  /** Non-negative; lower indexes are evaluated first. Required by nextmv-py's model. */
  index: Schema.Number
})
export type EvaluationRule = typeof EvaluationRule.Type

/** An ensemble definition: run groups plus evaluation rules. */
export class EnsembleDefinition extends Schema.Class<EnsembleDefinition>("EnsembleDefinition")({
  id: Schema.String,
  application_id: Schema.String,
  name: withDefault(Schema.String, () => ""),
  description: withDefault(Schema.String, () => ""),
  run_groups: Schema.Array(RunGroup),
  rules: Schema.Array(EvaluationRule),
  created_at: DateTimeUtc,
  updated_at: DateTimeUtc
}) {}
