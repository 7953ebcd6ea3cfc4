/**
 * Shared test wiring: the emulator plus a NextmvClient pointed at it over real HTTP (undici).
 */
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { Layer } from "effect"
import * as Layers from "../../src/Layers.js"
import * as Emulator from "../../src/testing/Emulator.js"

/** Fast client retries for tests (backoff factor 10 ms, no jitter) unless overridden. */
export const fastRetry = { backoffFactor: 10, backoffJitter: 0, maxRetryAfter: 50 } as const

/**
 * The per-attempt timeout of test clients (the emulator layer's default): longer than the virtual
 * time any test spans, so that `drive` jumping the `TestClock` while a request is on the wire
 * never times it out. Use it for clients made with `NextmvClient.make` in tests.
 */
export const testTimeout = Emulator.CLIENT_TIMEOUT

/**
 * `Emulator | NextmvClient` over real sockets. `options.client.retry` defaults to {@link fastRetry}.
 * Built inside `it.effect`, the emulator runs on the `TestClock`; inside `it.live`, on the wall clock.
 */
export const emulatorLayer = (options: Emulator.ClientOptions = {}) =>
  Emulator.layerClient({
    ...options,
    client: { ...options.client, retry: { ...fastRetry, ...options.client?.retry } }
  }).pipe(Layer.provide(NodeHttpClient.layerUndici))

/**
 * Every SDK service on top of {@link emulatorLayer}, with Node's FileSystem/Path/CommandExecutor.
 */
export const servicesLayer = (options: Emulator.ClientOptions = {}) =>
  Layers.services.pipe(
    Layer.provideMerge(emulatorLayer(options)),
    Layer.provideMerge(NodeContext.layer)
  )
