/**
 * All services in one layer. It requires a `NextmvClient` (from `NextmvClient.layer` or
 * `layerConfig`), and the platform `FileSystem` and `Path` (e.g. `NodeContext.layer`), which the
 * run and push operations use for files and directories.
 *
 * @example
 * ```ts
 * const Live = Layers.services.pipe(
 *   Layer.provide(NextmvClient.layerConfig()),
 *   Layer.provide(Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer)))
 * ```
 *
 * @since 0.1.0
 */
import type { FileSystem, Path } from "@effect/platform"
import { Layer } from "effect"
import * as Applications from "./services/Applications.js"
import type { NextmvClient } from "./services/NextmvClient.js"
import * as Runs from "./services/Runs.js"
import * as Uploads from "./services/Uploads.js"

/** Every Nextmv service. */
export type Services = Applications.Applications | Uploads.Uploads | Runs.Runs

/** Every Nextmv service, built on one `NextmvClient`. */
export const services: Layer.Layer<Services, never, NextmvClient | FileSystem.FileSystem | Path.Path> = Layer.mergeAll(
  Applications.layer,
  Runs.layer
).pipe(Layer.provideMerge(Uploads.layer))
