/**
 * The optional fields of the SDK's response schemas that the API may send as `null`
 * (`optionalNullable` and `withDefault` in `schemas/Common.ts`), by their property signature's
 * decode function, so that the compiled decoder (`internal/compiledDecoder.ts`, which checks each
 * one before it trusts it) decodes them without the `Option` values Schema passes through that
 * function. Only the registry is here: every bundle carries it, the checks only Node's.
 *
 * @internal
 */
import type { Schema } from "effect"

/** A registered decode function → the field's default (`undefined`: none). */
const registered = new WeakMap<object, { readonly fallback: (() => unknown) | undefined }>()

/**
 * Registers `field`, made by `Schema.optionalWith(…, { nullable: true })` with `fallback` as its
 * `default` (or none); returns `field`.
 */
export const registerNullable = <F extends Schema.PropertySignature.All>(field: F, fallback?: () => unknown): F => {
  if (field.ast._tag === "PropertySignatureTransformation") registered.set(field.ast.decode, { fallback })
  return field
}

/** The registration of a decode function, or `undefined` for any other function. */
export const nullableField = (decode: object): { readonly fallback: (() => unknown) | undefined } | undefined => registered.get(decode)
