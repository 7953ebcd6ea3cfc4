/**
 * Field helpers every schema module uses, for lenient decoding of API responses.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** An optional field the API may also send as `null` (decoded as absent). */
export const optionalNullable = <S extends Schema.Schema.Any>(schema: S) =>
  Schema.optionalWith(schema, { nullable: true })

/** An optional, nullable field with a default when absent or `null`. */
export const withDefault = <S extends Schema.Schema.Any>(schema: S, value: () => Schema.Schema.Type<S>) =>
  Schema.optionalWith(schema, { nullable: true, default: value })
