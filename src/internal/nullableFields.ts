/**
 * The optional fields of the SDK's response schemas that the API may send as `null`
 * (`optionalNullable` and `withDefault` in `schemas/Common.ts`), known to the compiled decoder
 * (`internal/compiledDecoder.ts`) by their property signature's decode function, so that it
 * decodes them without the `Option` values Schema passes through that function.
 *
 * Such a field is `Schema.optionalWith(schema, { nullable: true })`, whose decoding Effect
 * documents as: absent or `null` → absent, a value → that value; with `default`, absent or `null`
 * → `default()`. A field is registered only when its decode function does exactly that on probes.
 *
 * @internal
 */
import { Option, Schema } from "effect"

/** A registered decode function → the field's default (`undefined`: none). */
const registered = new WeakMap<object, { readonly fallback: (() => unknown) | undefined }>()

const isSomeOf = (o: Option.Option<unknown>, value: unknown): boolean => Option.isSome(o) && Object.is(o.value, value)

/**
 * Registers `field`, made by `Schema.optionalWith(…, { nullable: true })` with `fallback` as its
 * `default` (or none), when its decode function behaves as documented on probes; returns `field`.
 */
export const registerNullable = <F extends Schema.PropertySignature.All>(field: F, fallback?: () => unknown): F => {
  const ast = field.ast
  if (ast._tag !== "PropertySignatureTransformation") return field
  const decode = ast.decode
  const value = {}
  const empty = (o: Option.Option<unknown>) => fallback === undefined ? Option.isNone(o) : Option.isSome(o)
  if (empty(decode(Option.none())) && empty(decode(Option.some(null))) && isSomeOf(decode(Option.some(value)), value)) {
    registered.set(decode, { fallback })
  }
  return field
}

/** What a registered decode function does, or `undefined` for any other function. */
export const nullableField = (decode: object): { readonly fallback: (() => unknown) | undefined } | undefined => registered.get(decode)

/** Whether `schema`'s fields include `name`, registered (for tests). */
export const isRegisteredNullable = (field: Schema.PropertySignature.All): boolean =>
  field.ast._tag === "PropertySignatureTransformation" && registered.has(field.ast.decode)
