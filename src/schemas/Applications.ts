/**
 * Application schemas (nextmv-py `nextmv.cloud.Application`). Property names are the wire names.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { DateTimeUtc, optionalNullable, withDefault } from "./Common.js"

/**
 * `custom`, `subscription` or `pipeline`; any other string the server may add is kept as is.
 */
export const ApplicationType = Schema.Union(Schema.Literal("custom", "subscription", "pipeline"), Schema.String)
export type ApplicationType = typeof ApplicationType.Type

/** A Nextmv application. */
export class Application extends Schema.Class<Application>("Application")({
  id: Schema.String,
  name: optionalNullable(Schema.String),
  description: optionalNullable(Schema.String),
  type: optionalNullable(ApplicationType),
  /** The default instance id (wire name `default_instance`). */
  default_instance: optionalNullable(Schema.String),
  /** Accepted as an alias of `default_instance` when decoding (nextmv-py does the same). */
  default_instance_id: optionalNullable(Schema.String),
  default_experiment_instance: optionalNullable(Schema.String),
  subscription_id: optionalNullable(Schema.String),
  locked: withDefault(Schema.Boolean, () => false),
  created_at: optionalNullable(DateTimeUtc),
  updated_at: optionalNullable(DateTimeUtc)
}) {
  /** The default instance id, from `default_instance` or its alias `default_instance_id`. */
  get defaultInstanceId(): string | undefined {
    return this.default_instance ?? this.default_instance_id
  }
}

/**
 * The list response: a bare JSON array (what nextmv-py reads); `null` is an empty list. A paged
 * `{"items": [...]}` object is accepted too, since one client version documents that shape
 * (uncertain, decoded leniently).
 */
export const ApplicationList = Schema.Union(
  Schema.NullOr(Schema.Array(Application)),
  Schema.Struct({ items: withDefault(Schema.Array(Application), () => []) })
)
