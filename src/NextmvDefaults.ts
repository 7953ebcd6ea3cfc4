/**
 * Defaults set once for a whole program: polling options, the retry policy, timeouts, the console
 * URL and the cancel bound, instead of passing them to every call or every client.
 *
 * Precedence, most specific first: the options of a call (`polling`, `cancelTimeout`) or of a
 * client (`NextmvClient.layer({ retry, timeout, … })`), then these defaults, then the SDK's
 * built-in values (nextmv-py's). Polling options and `retry` are merged key by key.
 *
 * Where they are read:
 * - `polling` and `cancelTimeout`: when a polling program runs, from the context of the fiber that
 *   runs it. Providing them anywhere above the program is enough (`Effect.provide(program,
 *   NextmvDefaults.layer(…))`, or {@link withDefaults} around part of a program).
 * - `retry`, `timeout`, `connectTimeout`, `deadline`, `consoleUrl`: when a `NextmvClient` is
 *   built, from the context of its layer. Provide the defaults **to the client layer**
 *   (`Layer.provideMerge(NextmvDefaults.layer(…))` below it, see the example); a defaults layer
 *   merged beside the client (`Layer.mergeAll`) does not reach the client's construction, only
 *   the programs.
 *
 * @example
 * ```ts
 * import { NodeContext, NodeHttpClient } from "@effect/platform-node"
 * import { Layer } from "effect"
 * import { Layers, NextmvClient, NextmvDefaults } from "nextmv-effect"
 *
 * const Live = Layers.services.pipe(
 *   Layer.provideMerge(NextmvClient.layerConfig()),
 *   // Below the client: its retry and timeouts; merged out: the programs' polling.
 *   Layer.provideMerge(NextmvDefaults.layer({
 *     polling: { maxDuration: "30 minutes", maxDelay: "1 minute" },
 *     retry: { retries: 3 },
 *     timeout: "60 seconds"
 *   })),
 *   Layer.provide(Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer))
 * )
 * ```
 *
 * @since 0.2.0
 */
import { Duration, Effect, Layer, Option } from "effect"
import { InvalidArgumentError } from "./Errors.js"
import { type DefaultPolling, type Defaults, NextmvDefaults } from "./internal/defaults.js"
import { isRecordObject } from "./internal/validate.js"
import { validatePolling } from "./programs/Polling.js"

export { type DefaultPolling, type Defaults, NextmvDefaults }

const operation = "NextmvDefaults"

const invalid = (reason: string) => new InvalidArgumentError({ operation, reason })

/** `true` for a duration input that decodes (a number that is not NaN, `"5 seconds"`, a `Duration`, …). */
const isDuration = (value: unknown): boolean =>
  !(typeof value === "number" && Number.isNaN(value)) && Option.isSome(Duration.decodeUnknown(value))

const durationKeys = ["timeout", "connectTimeout", "deadline", "cancelTimeout"] as const
const retryDurationKeys = ["backoffFactor", "backoffJitter", "backoffMax", "maxRetryAfter"] as const

/**
 * Checks a defaults object: every given field must be of its kind (durations that decode, a
 * non-negative integer `retry.retries`, a string `consoleUrl`, polling options that `Polling.poll`
 * accepts). Fails with `InvalidArgumentError` naming the field.
 *
 * @example
 * ```ts
 * yield* NextmvDefaults.validate({ polling: { maxDuration: "10 minutes" } })
 * ```
 */
export const validate = (defaults: Defaults): Effect.Effect<Defaults, InvalidArgumentError> =>
  Effect.gen(function*() {
    if (!isRecordObject(defaults)) return yield* invalid("defaults must be an object")
    for (const key of durationKeys) {
      const value: unknown = defaults[key]
      if (value !== undefined && !isDuration(value)) return yield* invalid(`${key} must be a duration`)
    }
    const consoleUrl: unknown = defaults.consoleUrl
    if (consoleUrl !== undefined && (typeof consoleUrl !== "string" || consoleUrl.trim() === "")) {
      return yield* invalid("consoleUrl must be a non-empty string")
    }
    const retry = defaults.retry
    if (retry !== undefined) {
      if (!isRecordObject(retry)) return yield* invalid("retry must be an object")
      const retries: unknown = retry.retries
      if (retries !== undefined && !(typeof retries === "number" && Number.isInteger(retries) && retries >= 0)) {
        return yield* invalid("retry.retries must be a non-negative integer")
      }
      for (const key of retryDurationKeys) {
        const value: unknown = retry[key]
        if (value !== undefined && !isDuration(value)) return yield* invalid(`retry.${key} must be a duration`)
      }
    }
    const polling: unknown = defaults.polling
    if (polling !== undefined) {
      if (!isRecordObject(polling)) return yield* invalid("polling must be polling options (not a Schedule)")
      if ("sleepDuration" in polling) return yield* invalid("polling.sleepDuration cannot be a default")
      // A field left `undefined` keeps the built-in value; the others must be valid polling options.
      const given = Object.fromEntries(Object.entries(polling).filter(([, value]) => value !== undefined))
      yield* validatePolling(given).pipe(Effect.mapError((error) => invalid(error.reason)))
    }
    return defaults
  })

/** `over` on top of `base`: given fields win; `polling` and `retry` are merged key by key. */
const merge = (base: Defaults, over: Defaults): Defaults => ({
  ...base,
  ...over,
  polling: base.polling === undefined && over.polling === undefined
    ? undefined
    : { ...base.polling, ...over.polling } satisfies DefaultPolling,
  retry: base.retry === undefined && over.retry === undefined ? undefined : { ...base.retry, ...over.retry }
})

/**
 * A layer that sets the defaults (replacing any defaults above it). Fails with
 * `InvalidArgumentError` when a field is not of its kind (see {@link validate}). Provide it below
 * a client layer for the client settings, and to the program for polling (see the module
 * documentation).
 *
 * @example
 * ```ts
 * // In tests: fast polling everywhere, without threading options through the code under test.
 * const FastPolling = NextmvDefaults.layer({ polling: { initialDelay: 0, delay: "10 millis", backoff: 0, jitter: 0 } })
 * const TestLayer = Layers.services.pipe(
 *   Layer.provideMerge(Emulator.layerClient()),
 *   Layer.provide(Layer.merge(NodeHttpClient.layerUndici, NodeContext.layer))
 * )
 * const program = RunPrograms.runResultWithPolling("routing-app", runId)
 * it.effect("waits for the run", () => program.pipe(Effect.provide(FastPolling), Effect.provide(TestLayer)))
 * ```
 */
export const layer = (defaults: Defaults): Layer.Layer<NextmvDefaults, InvalidArgumentError> =>
  Layer.effect(NextmvDefaults, validate(defaults))

/**
 * Runs `effect` with `defaults` on top of the defaults in effect (fields merged as described in
 * the module documentation), like a scoped override. Fails with `InvalidArgumentError` when a field
 * is not of its kind.
 *
 * @example
 * ```ts
 * const result = yield* RunPrograms.runResultWithPolling(appId, runId).pipe(
 *   NextmvDefaults.withDefaults({ polling: { maxDuration: "2 hours" } }))
 * ```
 */
export const withDefaults =
  (defaults: Defaults) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | InvalidArgumentError, R> =>
    Effect.flatMap(
      Effect.zip(validate(defaults), NextmvDefaults),
      ([given, current]) => Effect.provideService(effect, NextmvDefaults, merge(current, given))
    )

/**
 * The defaults in effect (`{}` when none were provided).
 *
 * @example
 * ```ts
 * const { polling } = yield* NextmvDefaults.current
 * ```
 */
export const current: Effect.Effect<Defaults> = NextmvDefaults
