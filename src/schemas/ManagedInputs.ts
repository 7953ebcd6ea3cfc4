/**
 * Managed input schemas (nextmv-py `nextmv.cloud.ManagedInput`). Decoded classes keep the wire names.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { ContentType } from "./Runs.js"
import { DateTimeUtc, optionalNullable } from "./Common.js"

const FormatSideWire = Schema.Struct({
  type: optionalNullable(Schema.String),
  input_type: optionalNullable(Schema.String),
  output_type: optionalNullable(Schema.String)
})

const FormatWire = Schema.Struct({
  input: optionalNullable(FormatSideWire),
  format_input: optionalNullable(FormatSideWire),
  output: optionalNullable(FormatSideWire),
  format_output: optionalNullable(FormatSideWire)
})

const FormatSide = Schema.Struct({ type: ContentType })

/** The format of a managed input: `{"input": {"type": …}, "output": {"type": …}}`. */
export const ManagedInputFormatType = Schema.Struct({ input: FormatSide, output: Schema.optional(FormatSide) })
export type ManagedInputFormatType = typeof ManagedInputFormatType.Type

/**
 * The format as the API sends it. Like nextmv-py, the legacy key names `format_input` /
 * `format_output` and `input_type` / `output_type` are accepted on decode; a missing input type
 * is `json`. Encoding always writes `input` / `output` / `type`.
 */
export const ManagedInputFormat = Schema.transform(FormatWire, ManagedInputFormatType, {
  strict: true,
  decode: (wire) => {
    const input = wire.input ?? wire.format_input
    const output = wire.output ?? wire.format_output
    const inputType = input?.type ?? input?.input_type ?? "json"
    const outputType = output?.type ?? output?.output_type
    return outputType === undefined
      ? { input: { type: inputType } }
      : { input: { type: inputType }, output: { type: outputType } }
  },
  encode: (format) =>
    format.output === undefined
      ? { input: { type: format.input.type } }
      : { input: { type: format.input.type }, output: { type: format.output.type } }
})

/** The default format nextmv-py sends on create: JSON in, JSON out. */
export const DEFAULT_MANAGED_INPUT_FORMAT: typeof ManagedInputFormat.Encoded = {
  input: { type: "json" },
  output: { type: "json" }
}

/** A managed input: stored input data (from an upload or a run) that experiments reuse. */
export class ManagedInput extends Schema.Class<ManagedInput>("ManagedInput")({
  id: Schema.String,
  name: optionalNullable(Schema.String),
  description: optionalNullable(Schema.String),
  /** Set when created from a run. */
  run_id: optionalNullable(Schema.String),
  /** Set when created from an upload. */
  upload_id: optionalNullable(Schema.String),
  format: optionalNullable(ManagedInputFormat),
  created_at: optionalNullable(DateTimeUtc),
  updated_at: optionalNullable(DateTimeUtc)
}) {}

/** A bare JSON array of managed inputs; `null` is an empty list. */
export const ManagedInputList = Schema.NullOr(Schema.Array(ManagedInput))
