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
import * as AcceptanceTests from "./services/AcceptanceTests.js"
import * as Accounts from "./services/Accounts.js"
import * as Applications from "./services/Applications.js"
import * as BatchExperiments from "./services/BatchExperiments.js"
import * as Ensembles from "./services/Ensembles.js"
import * as InputSets from "./services/InputSets.js"
import * as Integrations from "./services/Integrations.js"
import * as Instances from "./services/Instances.js"
import * as ManagedInputs from "./services/ManagedInputs.js"
import type { NextmvClient } from "./services/NextmvClient.js"
import * as Runs from "./services/Runs.js"
import * as Secrets from "./services/Secrets.js"
import * as ShadowTests from "./services/ShadowTests.js"
import * as SwitchbackTests from "./services/SwitchbackTests.js"
import * as Uploads from "./services/Uploads.js"
import * as Versions from "./services/Versions.js"

/** Every Nextmv service. */
export type Services =
  | Applications.Applications
  | Uploads.Uploads
  | Runs.Runs
  | InputSets.InputSets
  | ManagedInputs.ManagedInputs
  | BatchExperiments.BatchExperiments
  | AcceptanceTests.AcceptanceTests
  | Instances.Instances
  | Versions.Versions
  | Ensembles.Ensembles
  | Secrets.Secrets
  | ShadowTests.ShadowTests
  | SwitchbackTests.SwitchbackTests
  | Accounts.Accounts
  | Integrations.Integrations

/** Every Nextmv service, built on one `NextmvClient`. */
export const services: Layer.Layer<Services, never, NextmvClient | FileSystem.FileSystem | Path.Path> = Layer.mergeAll(
  Applications.layer,
  Runs.layer,
  InputSets.layer,
  ManagedInputs.layer,
  BatchExperiments.layer,
  AcceptanceTests.layer,
  Instances.layer,
  Versions.layer,
  Ensembles.layer,
  Secrets.layer,
  ShadowTests.layer,
  SwitchbackTests.layer,
  Accounts.layer,
  Integrations.layer
).pipe(Layer.provideMerge(Uploads.layer))
