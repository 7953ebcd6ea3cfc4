/**
 * Version schemas (nextmv-py `nextmv.cloud.Version`). Property names are the wire names.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { DateTimeUtc, withDefault } from "./Common.js"

/** `python`, `go`, `java`, `binary`; other values the server may add are kept as strings. */
export const ExecutableType = Schema.Union(Schema.Literal("python", "go", "java", "binary"), Schema.String)
export type ExecutableType = typeof ExecutableType.Type

/** What the executable needs: its type (the manifest `type`) and runtime image. */
export const VersionExecutableRequirements = Schema.Struct({
  executable_type: ExecutableType,
  /** Runtime image, e.g. `ghcr.io/nextmv-io/runtime/python:3.11`. */
  runtime: Schema.String
})
export type VersionExecutableRequirements = typeof VersionExecutableRequirements.Type

/** The executable (pushed bundle) a version froze. */
export const VersionExecutable = Schema.Struct({
  id: Schema.String,
  user_email: Schema.String,
  uploaded_at: DateTimeUtc,
  requirements: VersionExecutableRequirements
})
export type VersionExecutable = typeof VersionExecutable.Type

/** A version: an immutable snapshot of the executable pushed last when it was created. */
export class Version extends Schema.Class<Version>("Version")({
  id: Schema.String,
  application_id: Schema.String,
  name: Schema.String,
  // Required by nextmv-py; absent or null reads as "" (lenient).
  description: withDefault(Schema.String, () => ""),
  executable: VersionExecutable,
  created_at: DateTimeUtc,
  updated_at: DateTimeUtc
}) {}

/** `GET …/versions`: a bare JSON array; `null` reads as an empty list. */
export const VersionList = Schema.NullOr(Schema.Array(Version))
