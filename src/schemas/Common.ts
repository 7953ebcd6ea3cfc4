/**
 * Field helpers every schema module uses, for lenient decoding of API responses.
 *
 * @since 0.1.0
 */
import { DateTime, ParseResult, Schema } from "effect"
import { memoized } from "../internal/memo.js"
import { registerNullable } from "../internal/nullableFields.js"

/** An optional field the API may also send as `null` (decoded as absent). */
export const optionalNullable = <S extends Schema.Schema.Any>(schema: S) =>
  registerNullable(Schema.optionalWith(schema, { nullable: true }))

/** An optional, nullable field with a default when absent or `null`. */
export const withDefault = <S extends Schema.Schema.Any>(schema: S, value: () => Schema.Schema.Type<S>) =>
  registerNullable(Schema.optionalWith(schema, { nullable: true, default: value }), value)

/**
 * A resource schema as a PUT body: encodes the decoded resource to its wire form and leaves out
 * the top-level fields that are `null` or absent, as nextmv-py's `to_dict()` does for the
 * "GET, change, PUT the whole object back" updates.
 */
export const wireWithoutNulls = <A, I>(schema: Schema.Schema<A, I, never>): Schema.Schema<A, Record<string, unknown>> =>
  // Built once per resource schema: an update builds its body schema on every call.
  memoized(putBodies, schema, () =>
    Schema.transform(Schema.Record({ key: Schema.String, value: Schema.Unknown }), schema, {
      strict: false,
      decode: (wire) => wire,
      encode: (wire) =>
        typeof wire === "object" && wire !== null
          ? Object.fromEntries(Object.entries(wire).filter(([, v]) => v !== null && v !== undefined))
          : wire
    }))

/** {@link wireWithoutNulls}'s schemas, by resource schema. */
const putBodies = new WeakMap<object, unknown>()

/** A zone at the end of an ISO 8601 string (`Z`, `+02`, `+02:00`, `[Europe/Paris]`), as `DateTime.make` reads it. */
const ZONE = /Z|[+-]\d{2}$|[+-]\d{2}:?\d{2}$|\]$/

/**
 * An instant: an ISO 8601 string on the wire, a `DateTime.Utc` decoded. The same as
 * `Schema.DateTimeUtc` for strings (a string without a zone is UTC; the encoded form is
 * `DateTime.formatIso`), without that schema's decoding of numbers, `Date`s and date parts, which
 * the API never sends and which would be in every browser bundle (about 1 kB).
 */
export const DateTimeUtc: Schema.Schema<DateTime.Utc, string> = Schema.transformOrFail(
  Schema.String,
  Schema.DateTimeUtcFromSelf,
  {
    strict: true,
    decode: (input, _, ast) => {
      const date = new Date(ZONE.test(input) ? input : `${input}Z`)
      return Number.isNaN(date.getTime())
        ? ParseResult.fail(new ParseResult.Type(ast, input, `Unable to decode ${JSON.stringify(input)} into a DateTime.Utc`))
        : ParseResult.succeed(DateTime.unsafeFromDate(date))
    },
    encode: (dateTime) => ParseResult.succeed(DateTime.formatIso(dateTime))
  }
).annotations({ identifier: "DateTimeUtc" })
