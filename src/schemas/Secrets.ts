/**
 * Secrets collection schemas (nextmv-py `nextmv.cloud.SecretsCollection`). Property names are the wire names.
 *
 * Secret values are `Redacted<string>` in the SDK's types: decoding wraps the wire string in
 * `Redacted`, and only encoding for the wire (`Schema.encode`) turns it back into clear text. So
 * `String(x)`, `JSON.stringify(x)`, `Effect.log(x)` and error messages show `<redacted>`, never a
 * value. Read a value with `Redacted.value(secret.value)`.
 *
 * @since 0.1.0
 */
import { Redacted, Schema } from "effect"
import { DateTimeUtc, withDefault } from "./Common.js"

/** `env` (an environment variable named `location`) or `file` (a file at `location`); others kept. */
export const SecretType = Schema.Union(Schema.Literal("env", "file"), Schema.String)
export type SecretType = typeof SecretType.Type

/** A secret as users write it; a string value is wrapped in `Redacted` right away. */
export interface SecretInput {
  readonly type: SecretType
  readonly location: string
  readonly value: Redacted.Redacted<string> | string
}

/** One secret. `value` is redacted; the wire key of the type is `type` (nextmv-py: `secret_type`). */
export class Secret extends Schema.Class<Secret>("Secret")({
  type: SecretType,
  /** The variable name (`env`) or the file path (`file`). */
  location: Schema.String,
  /** The value (`env`) or the file content (`file`), redacted. */
  value: Schema.Redacted(Schema.String)
}) {
  /**
   * Builds a secret; a plain string value is wrapped in `Redacted`.
   *
   * @example
   * ```ts
   * Secret.from({ type: "env", location: "PROVIDER_API_KEY", value: Redacted.make(key) })
   * ```
   */
  static from(input: SecretInput): Secret {
    // Not validated here (a constructor that throws would be a defect and could quote the value);
    // request bodies validate it when they encode it, without quoting it.
    return input instanceof Secret ? input : new Secret({
      type: input.type,
      location: input.location,
      value: typeof input.value === "string" ? Redacted.make(input.value) : input.value
    }, { disableValidation: true })
  }
}

/** Fields of a collection without its secrets (what create, update and list return). */
const summaryFields = {
  id: Schema.String,
  application_id: Schema.String,
  name: Schema.String,
  // Required by nextmv-py; absent or null reads as "" (lenient).
  description: withDefault(Schema.String, () => ""),
  created_at: DateTimeUtc,
  updated_at: DateTimeUtc
}

/** A secrets collection without its secrets: returned by create, update and list. */
export class SecretsCollectionSummary extends Schema.Class<SecretsCollectionSummary>("SecretsCollectionSummary")(
  summaryFields
) {}

/** A secrets collection with its (redacted) secrets: returned by `secretsCollection` only. */
export class SecretsCollection extends Schema.Class<SecretsCollection>("SecretsCollection")({
  ...summaryFields,
  secrets: Schema.Array(Secret)
}) {}
