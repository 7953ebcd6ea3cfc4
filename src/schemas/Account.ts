/**
 * Account (organization), queue and integration schemas (nextmv-py's `nextmv.cloud.account`,
 * `nextmv.account` and `nextmv.cloud.integration` models). Decoded classes keep the wire names as
 * property names; unknown enum values are kept as strings.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { DateTimeUtc, optionalNullable, withDefault } from "./Common.js"
import { StatusV2 } from "./Runs.js"

/** A literal union that also accepts any other string (values the server may add later). */
const open = <const L extends ReadonlyArray<string>>(...literals: L) => Schema.Union(Schema.Literal(...literals), Schema.String)

// ---------------------------------------------------------------------------------------------
// Account / organization
// ---------------------------------------------------------------------------------------------

/** Roles of an account member: `root`, `admin`, `developer`, `operator`, `viewer`. */
export const ACCOUNT_MEMBER_ROLES = ["root", "admin", "developer", "operator", "viewer"] as const
export const AccountMemberRole = open(...ACCOUNT_MEMBER_ROLES)
export type AccountMemberRole = typeof AccountMemberRole.Type

/** A member of an account. */
export const AccountMember = Schema.Struct({
  email: optionalNullable(Schema.String),
  role: optionalNullable(AccountMemberRole),
  pending_invite: optionalNullable(Schema.Boolean)
})

/**
 * An account (organization), `GET /v1/organization/{id}`. nextmv-py reads the id from `id` or
 * `account_id`; both are kept (see {@link Account.accountId}).
 */
export class Account extends Schema.Class<Account>("Account")({
  id: optionalNullable(Schema.String),
  account_id: optionalNullable(Schema.String),
  name: optionalNullable(Schema.String),
  members: optionalNullable(Schema.Array(AccountMember))
}) {
  /** The id, from `id` or `account_id`. */
  get accountId(): string | undefined {
    return this.id ?? this.account_id
  }
}

/** Body of `POST /v1/organization`. */
export const NewAccountBody = Schema.Struct({
  name: Schema.String,
  admins: Schema.Array(Schema.String)
})

/** A queued or active run of the account (`GET /v1/account/queue`). */
export class QueuedRun extends Schema.Class<QueuedRun>("QueuedRun")({
  id: Schema.String,
  user_email: withDefault(Schema.String, () => ""),
  name: withDefault(Schema.String, () => ""),
  description: withDefault(Schema.String, () => ""),
  created_at: optionalNullable(DateTimeUtc),
  application_id: withDefault(Schema.String, () => ""),
  application_instance_id: withDefault(Schema.String, () => ""),
  application_version_id: withDefault(Schema.String, () => ""),
  execution_class: withDefault(Schema.String, () => ""),
  status_v2: StatusV2
}) {}

/** `{"runs": [...]}` of the account queue; a missing list is empty. */
export class Queue extends Schema.Class<Queue>("Queue")({
  runs: withDefault(Schema.Array(QueuedRun), () => [])
}) {}

// ---------------------------------------------------------------------------------------------
// Integrations
// ---------------------------------------------------------------------------------------------

/** What an integration provides: `runtime` or `data`. */
export const INTEGRATION_TYPES = ["runtime", "data"] as const
export const IntegrationType = open(...INTEGRATION_TYPES)
export type IntegrationType = typeof INTEGRATION_TYPES[number]

/** Who provides it: `dbx` (Databricks) or `unknown`. */
export const INTEGRATION_PROVIDERS = ["dbx", "unknown"] as const
export const IntegrationProvider = open(...INTEGRATION_PROVIDERS)
export type IntegrationProvider = typeof INTEGRATION_PROVIDERS[number]

/** Executable types an integration accepts (the manifest types). */
export const INTEGRATION_EXEC_TYPES = ["python", "go", "java", "binary"] as const
export type IntegrationExecType = typeof INTEGRATION_EXEC_TYPES[number]

/** An integration (`GET /v1/integrations/{id}`); `global` defaults to `false`. */
export class Integration extends Schema.Class<Integration>("Integration")({
  id: Schema.String,
  name: optionalNullable(Schema.String),
  description: optionalNullable(Schema.String),
  global: withDefault(Schema.Boolean, () => false),
  application_ids: optionalNullable(Schema.Array(Schema.String)),
  type: optionalNullable(IntegrationType),
  exec_types: optionalNullable(Schema.Array(Schema.String)),
  provider: optionalNullable(IntegrationProvider),
  provider_config: optionalNullable(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  created_at: optionalNullable(DateTimeUtc),
  updated_at: optionalNullable(DateTimeUtc)
}) {}

/** `GET /v1/integrations`: the list under `items` (missing → empty); a bare array is read too. */
export const IntegrationList = Schema.Union(
  Schema.Struct({ items: withDefault(Schema.Array(Integration), () => []) }),
  Schema.NullOr(Schema.Array(Integration))
)

/** Body of `POST /v1/integrations` (nextmv-py's key order; optional keys only when given). */
export const NewIntegrationBody = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  global: Schema.Boolean,
  type: Schema.Literal(...INTEGRATION_TYPES),
  exec_types: Schema.Array(Schema.Literal(...INTEGRATION_EXEC_TYPES)),
  provider: Schema.Literal(...INTEGRATION_PROVIDERS),
  provider_config: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  description: Schema.optional(Schema.String),
  application_ids: Schema.optional(Schema.Array(Schema.String))
})
