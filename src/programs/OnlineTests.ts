/**
 * Online-test programs: wait for a shadow test or a switchback test to reach a final status and
 * fetch it with its runs, built on the one polling loop of `Polling.ts`.
 *
 * nextmv-py has no such helper. The statuses that end polling are this SDK's choice
 * ({@link FINAL_ONLINE_TEST_STATUSES}): `completed`, `canceled`, `failed`, `delete-failed`. A
 * `draft` keeps polling (unlike batch experiments, where `draft` is final): an online test is a
 * draft until it is started, so start it first. `stopping` (right after a stop with intent
 * `complete`), `started` and `deleting` keep polling too.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import {
  isFinalOnlineTestStatus,
  type ShadowTest,
  type ShadowTestMetadata,
  type SwitchbackTest,
  type SwitchbackTestMetadata
} from "../schemas/OnlineTests.js"
import { type ShadowTestError, ShadowTests } from "../services/ShadowTests.js"
import { type SwitchbackTestError, SwitchbackTests } from "../services/SwitchbackTests.js"
import { requireObject } from "../internal/validate.js"
import { poll, type PollingError, type PollingInput, pollStoppable, type StopOption } from "./Polling.js"

export { FINAL_ONLINE_TEST_STATUSES, isFinalOnlineTestStatus } from "../schemas/OnlineTests.js"

/** Errors of the online-test polling programs. */
export type OnlineTestPollingError = ShadowTestError | SwitchbackTestError | PollingError

/** Options of the `…WithPolling` programs. */
export interface OnlineTestPollingOptions {
  /**
   * Polling options (nextmv-py's defaults: first check after 1 s, at most 100 checks or 300 s) or
   * any `Schedule`. Online tests often run for hours or days: raise `maxDuration` and `maxTries`
   * (or pass a `Schedule`).
   */
  readonly polling?: PollingInput | undefined
}

const statusOf = (metadata: { readonly status?: string | undefined }) => metadata.status ?? "unknown"

const untilFinal = (polling: PollingInput | undefined) => ({
  until: (value: { readonly status?: string | undefined }) => isFinalOnlineTestStatus(value.status),
  status: statusOf,
  polling
})

const pollThenGet = <M extends { readonly status?: string | undefined }, T, E, R>(
  metadata: Effect.Effect<M, E, R>,
  get: Effect.Effect<T, E, R>,
  polling: PollingInput | undefined
): Effect.Effect<T, E | PollingError, R> => Effect.zipRight(poll(metadata, untilFinal(polling)), get)

const pollThenGetStoppable = <M extends { readonly status?: string | undefined }, T, E, R>(
  metadata: Effect.Effect<M, E, R>,
  get: Effect.Effect<T, E, R>,
  options: OnlineTestPollingOptions & StopOption
): Effect.Effect<Option.Option<T>, E | PollingError, R> =>
  Effect.flatMap(
    pollStoppable(metadata, { ...untilFinal(options.polling), stop: options.stop }),
    Effect.transposeMapOption(() => get)
  )

/**
 * Waits for a shadow test to end: polls `…/experiments/shadow/{id}/metadata` until the status
 * is `completed`, `canceled`, `failed` or `delete-failed`, then returns
 * `ShadowTests.shadowTest` (the test with its runs). Fails with `PollingTimeoutError` /
 * `PollingTriesExhaustedError` when polling gives up (e.g. a test still in `draft` or `started`),
 * and with the errors of the requests.
 *
 * @example
 * ```ts
 * yield* shadowTests.stopShadowTest("routing-app", "shadow-v2", { intent: "complete" })
 * const test = yield* shadowTestWithPolling("routing-app", "shadow-v2", { polling: { maxDuration: "10 minutes" } })
 * console.log(test.status, test.runs.length)
 * ```
 */
export const shadowTestWithPolling = (
  appId: string,
  shadowTestId: string,
  options: OnlineTestPollingOptions = {}
): Effect.Effect<ShadowTest, ShadowTestError | PollingError, ShadowTests> =>
  Effect.flatMap(
    Effect.zipRight(requireObject("ShadowTests.shadowTestWithPolling", "options", options), ShadowTests),
    (shadow) =>
      pollThenGet<ShadowTestMetadata, ShadowTest, ShadowTestError, never>(
        shadow.shadowTestMetadata(appId, shadowTestId),
        shadow.shadowTest(appId, shadowTestId),
        options.polling
      )
  ).pipe(Effect.withSpan("ShadowTests.shadowTestWithPolling", { attributes: { appId, shadowTestId } }))

/**
 * {@link shadowTestWithPolling} with nextmv-py's `stop`: asked before each check; `true` ends with
 * `Option.none()` (no error).
 *
 * @example
 * ```ts
 * const test = yield* shadowTestWithPollingStoppable("routing-app", "shadow-v2", { stop: Ref.get(shuttingDown) })
 * ```
 */
export const shadowTestWithPollingStoppable = (
  appId: string,
  shadowTestId: string,
  options: OnlineTestPollingOptions & StopOption
): Effect.Effect<Option.Option<ShadowTest>, ShadowTestError | PollingError, ShadowTests> =>
  Effect.flatMap(
    Effect.zipRight(requireObject("ShadowTests.shadowTestWithPollingStoppable", "options", options), ShadowTests),
    (shadow) =>
      pollThenGetStoppable<ShadowTestMetadata, ShadowTest, ShadowTestError, never>(
        shadow.shadowTestMetadata(appId, shadowTestId),
        shadow.shadowTest(appId, shadowTestId),
        options
      )
  ).pipe(Effect.withSpan("ShadowTests.shadowTestWithPollingStoppable", { attributes: { appId, shadowTestId } }))

/**
 * Waits for a switchback test to end: polls `…/experiments/switchback/{id}/metadata` until the
 * status is `completed`, `canceled`, `failed` or `delete-failed`, then returns
 * `SwitchbackTests.switchbackTest` (the test with its runs). Errors as
 * {@link shadowTestWithPolling}.
 *
 * @example
 * ```ts
 * const test = yield* switchbackTestWithPolling("routing-app", "switchback-v2", {
 *   polling: { maxDuration: "2 days", maxTries: -1, maxDelay: "10 minutes" }
 * })
 * ```
 */
export const switchbackTestWithPolling = (
  appId: string,
  switchbackTestId: string,
  options: OnlineTestPollingOptions = {}
): Effect.Effect<SwitchbackTest, SwitchbackTestError | PollingError, SwitchbackTests> =>
  Effect.flatMap(
    Effect.zipRight(requireObject("SwitchbackTests.switchbackTestWithPolling", "options", options), SwitchbackTests),
    (switchback) =>
      pollThenGet<SwitchbackTestMetadata, SwitchbackTest, SwitchbackTestError, never>(
        switchback.switchbackTestMetadata(appId, switchbackTestId),
        switchback.switchbackTest(appId, switchbackTestId),
        options.polling
      )
  ).pipe(Effect.withSpan("SwitchbackTests.switchbackTestWithPolling", { attributes: { appId, switchbackTestId } }))

/**
 * {@link switchbackTestWithPolling} with nextmv-py's `stop` (see
 * {@link shadowTestWithPollingStoppable}).
 *
 * @example
 * ```ts
 * const test = yield* switchbackTestWithPollingStoppable("routing-app", "switchback-v2", { stop: Ref.get(shuttingDown) })
 * ```
 */
export const switchbackTestWithPollingStoppable = (
  appId: string,
  switchbackTestId: string,
  options: OnlineTestPollingOptions & StopOption
): Effect.Effect<Option.Option<SwitchbackTest>, SwitchbackTestError | PollingError, SwitchbackTests> =>
  Effect.flatMap(
    Effect.zipRight(requireObject("SwitchbackTests.switchbackTestWithPollingStoppable", "options", options), SwitchbackTests),
    (switchback) =>
      pollThenGetStoppable<SwitchbackTestMetadata, SwitchbackTest, SwitchbackTestError, never>(
        switchback.switchbackTestMetadata(appId, switchbackTestId),
        switchback.switchbackTest(appId, switchbackTestId),
        options
      )
  ).pipe(
    Effect.withSpan("SwitchbackTests.switchbackTestWithPollingStoppable", { attributes: { appId, switchbackTestId } })
  )
