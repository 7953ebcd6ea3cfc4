/**
 * Shared test wiring: the emulator plus a NextmvClient pointed at it over real HTTP (undici).
 */
import type { HttpClient } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { Layer } from "effect"
import * as Layers from "../../src/Layers.js"
import { NodeTransport } from "../../src/node/index.js"
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
 * The Node transports the pipeline tests run on: `nextmv-effect/node`'s `NodeTransport` (the fast
 * path for small exchanges, the recommended one and the suite's default) and the platform's
 * undici `HttpClient` (the generic path, as any other `HttpClient`).
 */
export const transports: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["NodeTransport", NodeTransport.layer],
  ["platform undici", NodeHttpClient.layerUndici]
]

/**
 * `Emulator | NextmvClient` over real sockets (`transport`, default `NodeTransport.layer`).
 * `options.client.retry` defaults to {@link fastRetry}. Built inside `it.effect`, the emulator
 * runs on the `TestClock`; inside `it.live`, on the wall clock.
 */
export const emulatorLayer = (
  options: Emulator.ClientOptions = {},
  transport: Layer.Layer<HttpClient.HttpClient> = NodeTransport.layer
) =>
  Emulator.layerClient({
    ...options,
    client: { ...options.client, retry: { ...fastRetry, ...options.client?.retry } }
  }).pipe(Layer.provide(transport))

/**
 * Every SDK service on top of {@link emulatorLayer}, with Node's FileSystem/Path/CommandExecutor.
 */
export const servicesLayer = (
  options: Emulator.ClientOptions = {},
  transport: Layer.Layer<HttpClient.HttpClient> = NodeTransport.layer
) =>
  Layers.services.pipe(
    Layer.provideMerge(emulatorLayer(options, transport)),
    Layer.provideMerge(NodeContext.layer)
  )
