/**
 * Instance schemas (nextmv-py `nextmv.cloud.Instance`). Decoded classes keep the wire names (snake_case)
 * as property names; users write the configuration in the same wire shape, as they do the run
 * configuration.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { RunQueuing } from "./Runs.js"
import { DateTimeUtc, optionalNullable } from "./Common.js"

export { RunQueuing }

/**
 * How an instance runs: execution class, app options, secrets collection, queuing and
 * integration. Every field is optional. The queuing priority is 1 (highest) … 9 (lowest). When
 * `integration_id` is set, `execution_class` must be `integration` or absent (it then becomes
 * `integration`); the services check this before any request (`validateExecutionSettings`).
 *
 * Newer servers may add a `format` field; it is unconfirmed and not modelled (unknown
 * fields are ignored when decoding, so it is dropped).
 */
export const InstanceConfiguration = Schema.Struct({
  /** e.g. `6c9500mb870s` (the default class), `8c16gb12h`, `16c60gb12h`, `integration`. */
  execution_class: optionalNullable(Schema.String),
  /** App options, key → value. Free-form as in nextmv-py (the run API uses string values). */
  options: optionalNullable(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  /** A secrets collection of the same application. */
  secrets_collection_id: optionalNullable(Schema.String),
  /** Queuing priority 1–9 (platform default 6) and whether queuing is disabled. */
  queuing: optionalNullable(RunQueuing),
  /** An integration id; forces `execution_class: "integration"`. */
  integration_id: optionalNullable(Schema.String)
})
export type InstanceConfiguration = typeof InstanceConfiguration.Type

/** An instance: a named, configured pointer to a version (`devint` runs the latest push). */
export class Instance extends Schema.Class<Instance>("Instance")({
  id: Schema.String,
  application_id: Schema.String,
  version_id: Schema.String,
  name: Schema.String,
  // Required by nextmv-py; read leniently (absent or null → "") in case the server omits it.
  description: Schema.optionalWith(Schema.String, { nullable: true, default: () => "" }),
  configuration: Schema.optionalWith(InstanceConfiguration, { nullable: true, default: () => ({}) }),
  locked: Schema.optionalWith(Schema.Boolean, { nullable: true, default: () => false }),
  created_at: DateTimeUtc,
  updated_at: DateTimeUtc
}) {}

/** `GET …/instances`: a bare JSON array; `null` reads as an empty list. */
export const InstanceList = Schema.NullOr(Schema.Array(Instance))
