/**
 * Input set schemas (nextmv-py `nextmv.cloud.InputSet`). Decoded classes keep the wire names.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { ManagedInput } from "./ManagedInputs.js"
import { DateTimeUtc, optionalNullable, withDefault } from "./Common.js"

/**
 * A set of inputs experiments run over. `description`, `input_ids` and `inputs` default to empty
 * values when absent: nextmv-py's model requires them, but real
 * responses may omit them.
 */
export class InputSet extends Schema.Class<InputSet>("InputSet")({
  id: Schema.String,
  app_id: withDefault(Schema.String, () => ""),
  name: withDefault(Schema.String, () => ""),
  description: withDefault(Schema.String, () => ""),
  input_ids: withDefault(Schema.Array(Schema.String), () => []),
  inputs: withDefault(Schema.Array(ManagedInput), () => []),
  created_at: optionalNullable(DateTimeUtc),
  updated_at: optionalNullable(DateTimeUtc)
}) {
  /**
   * The ids of the inputs, as scenario tests read them: `input_ids` when non-empty, else the ids
   * of `inputs` (as nextmv-py's scenario tests).
   */
  get inputIdList(): ReadonlyArray<string> {
    return this.input_ids.length > 0 ? this.input_ids : this.inputs.map((input) => input.id)
  }
}

/** A bare JSON array of input sets; `null` is an empty list. */
export const InputSetList = Schema.NullOr(Schema.Array(InputSet))
