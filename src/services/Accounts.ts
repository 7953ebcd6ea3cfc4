/**
 * `Accounts`: accounts (organizations) under `/v1/organization` and the account's run queue
 * (`/v1/account/queue`), nextmv-py's `nextmv.cloud.Account` (`Account.get`, `Account.new`,
 * `account.update`, `account.delete`, `account.queue`).
 *
 * Managed accounts require SSO configured for the organization; deleting needs the
 * administrator role (nextmv-py docs). The SSO configuration endpoints (`/v1/enterprise/sso`) are
 * not offered: nextmv-py's code for them could not send its request bodies, so their wire form
 * is unknown.
 *
 * @since 0.1.0
 */
import { HttpClientRequest } from "@effect/platform"
import { Context, Effect, Layer } from "effect"
import type { InvalidArgumentError, NextmvDecodeError, NextmvHttpError } from "../Errors.js"
import { accountQueuePath, organizationPath } from "../internal/paths.js"
import { invalidArgument, requireIds, requireObject } from "../internal/validate.js"
import { requestWithBody } from "../internal/body.js"
import { Account, NewAccountBody, Queue } from "../schemas/Account.js"
import { wireWithoutNulls } from "../schemas/Common.js"
import { NextmvClient } from "./NextmvClient.js"
import { traced } from "../internal/traced.js"

/** Errors of an account operation. */
export type AccountError = NextmvHttpError | NextmvDecodeError | InvalidArgumentError

/** The account paths (defined with every other endpoint path in `internal/paths.ts`). */
export { accountQueuePath, organizationPath }

/** Options of {@link Service.newAccount}. */
export interface NewAccountOptions {
  readonly name: string
  /** E-mail addresses of the administrators; at least one. */
  readonly admins: ReadonlyArray<string>
}

/** Options of {@link Service.updateAccount}. */
export interface UpdateAccountOptions {
  readonly name: string
}

/** The `Accounts` service. */
export interface Service {
  /**
   * Gets an account (organization) with its members (`GET /v1/organization/{accountId}`).
   *
   * @example
   * ```ts
   * const account = yield* accounts.account("acme")
   * console.log(account.name, account.members?.length)
   * ```
   */
  readonly account: (accountId: string) => Effect.Effect<Account, AccountError>
  /**
   * Creates a managed account (`POST /v1/organization`, body `{name, admins}`). Fails with
   * `InvalidArgumentError` "at least one admin email must be provided to create an account"
   * before any request when `admins` is empty.
   *
   * @example
   * ```ts
   * const account = yield* accounts.newAccount({ name: "Acme Routing", admins: ["ops@acme.test"] })
   * ```
   */
  readonly newAccount: (options: NewAccountOptions) => Effect.Effect<Account, AccountError>
  /**
   * Renames an account: `GET /v1/organization/{accountId}`, then `PUT` of the whole account
   * (`id`, `name`, `members`, …) with `name` replaced, as nextmv-py's `account.update` does.
   *
   * @example
   * ```ts
   * yield* accounts.updateAccount("acme", { name: "Acme Logistics" })
   * ```
   */
  readonly updateAccount: (accountId: string, options: UpdateAccountOptions) => Effect.Effect<Account, AccountError>
  /**
   * Deletes an account (`DELETE /v1/organization/{accountId}`); needs the administrator role.
   *
   * @example
   * ```ts
   * yield* accounts.deleteAccount("acme")
   * ```
   */
  readonly deleteAccount: (accountId: string) => Effect.Effect<void, AccountError>
  /**
   * The queued and active runs of the caller's account, across applications
   * (`GET /v1/account/queue`).
   *
   * @deprecated nextmv-py deprecates `Account.queue`: use `Runs.listRuns(appId, { status: "queued" })`
   * per application instead. Kept for parity; it will be removed with nextmv-py's next major release.
   *
   * @example
   * ```ts
   * const { runs } = yield* accounts.queue()
   * ```
   */
  readonly queue: () => Effect.Effect<Queue, AccountError>
}

/** The `Accounts` service tag. */
export class Accounts extends Context.Tag("nextmv-effect/Accounts")<Accounts, Service>() {}

/** Builds the service from the `NextmvClient`. */
export const make: Effect.Effect<Service, never, NextmvClient> = Effect.gen(function*() {
  const { api } = yield* NextmvClient

  const account = traced("Accounts.account")(function*(accountId: string) {
    yield* requireIds("Accounts.account", { accountId })
    return yield* api.json(HttpClientRequest.get(organizationPath(accountId)), Account)
  })

  const newAccount = traced("Accounts.newAccount")(function*(options: NewAccountOptions) {
    const operation = "Accounts.newAccount"
    yield* requireObject(operation, "options", options)
    if (!Array.isArray(options.admins)) return yield* invalidArgument(operation, "admins must be an array of emails")
    if (options.admins.length === 0) {
      return yield* invalidArgument(operation, "at least one admin email must be provided to create an account")
    }
    const request = yield* requestWithBody(operation, "POST", organizationPath(), NewAccountBody, {
      name: options.name,
      admins: options.admins
    })
    return yield* api.json(request, Account)
  })

  const updateAccount = traced("Accounts.updateAccount")(function*(accountId: string, options: UpdateAccountOptions) {
    yield* requireIds("Accounts.updateAccount", { accountId })
    yield* requireObject("Accounts.updateAccount", "options", options)
    const current = yield* api.json(HttpClientRequest.get(organizationPath(accountId)), Account)
    // The whole account goes back (nextmv-py's `to_dict()`: wire names, null fields left out).
    const updated = new Account({ ...current, name: options.name }, { disableValidation: true })
    const request = yield* requestWithBody(
      "Accounts.updateAccount",
      "PUT",
      organizationPath(accountId),
      wireWithoutNulls(Account),
      updated
    )
    return yield* api.json(request, Account)
  })

  const deleteAccount = traced("Accounts.deleteAccount")(function*(accountId: string) {
    yield* requireIds("Accounts.deleteAccount", { accountId })
    yield* api.discard(HttpClientRequest.del(organizationPath(accountId)))
  })

  const queue = traced("Accounts.queue")(function*() {
    return yield* api.json(HttpClientRequest.get(accountQueuePath), Queue)
  })

  return Accounts.of({ account, newAccount, updateAccount, deleteAccount, queue })
})

/** The `Accounts` layer; requires `NextmvClient`. */
export const layer: Layer.Layer<Accounts, never, NextmvClient> = Layer.effect(Accounts, make)
