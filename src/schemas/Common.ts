/**
 * Field helpers every schema module uses, for lenient decoding of API responses.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** An optional field the API may also send as `null` (decoded as absent). */
export const optionalNullable = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { nullable: true })

/** An optional, nullable field with a default when absent or `null`. */
export const withDefault = <S extends Schema.Schema.Any>(schema: S, value: () => Schema.Schema.Type<S>) =>
  Schema.optionalWith(schema, { nullable: true, default: value })

/**
 * A resource schema as a PUT body: encodes the decoded resource to its wire form and leaves out
 * the top-level fields that are `null` or absent, as nextmv-py's `to_dict()` does for the
 * "GET, change, PUT the whole object back" updates.
 */
export const wireWithoutNulls = <A, I>(schema: Schema.Schema<A, I, never>) =>
  Schema.transform(Schema.Record({ key: Schema.String, value: Schema.Unknown }), schema, {
    strict: false,
    decode: (wire) => wire,
    encode: (wire) =>
      typeof wire === "object" && wire !== null
        ? Object.fromEntries(Object.entries(wire).filter(([, v]) => v !== null && v !== undefined))
        : wire
  })
