/**
 * nextmv-effect: an Effect-native SDK for the Nextmv Cloud API.
 *
 * Each module is re-exported as a namespace: `NextmvClient.layerConfig()`,
 * `Applications.Applications`, `Polling.poll`, …
 *
 * @since 0.1.0
 */
export * as Errors from "./Errors.js"
export * from "./Errors.js"
export * as NextmvClient from "./services/NextmvClient.js"
export * as RequestBudget from "./services/RequestBudget.js"
export * as Polling from "./programs/Polling.js"
export * as Applications from "./services/Applications.js"
export * as ApplicationSchemas from "./schemas/Applications.js"
export * as Uploads from "./services/Uploads.js"
export * as Runs from "./services/Runs.js"
export * as RunSchemas from "./schemas/Runs.js"
export * as RunPrograms from "./programs/Runs.js"
export { RunFailedError } from "./programs/Runs.js"
export * as RunTracker from "./programs/RunTracker.js"
export * as InputSets from "./services/InputSets.js"
export * as ManagedInputs from "./services/ManagedInputs.js"
export * as BatchExperiments from "./services/BatchExperiments.js"
export * as AcceptanceTests from "./services/AcceptanceTests.js"
export * as ExperimentSchemas from "./schemas/Experiments.js"
export * as InputSetSchemas from "./schemas/InputSets.js"
export * as ManagedInputSchemas from "./schemas/ManagedInputs.js"
export * as ExperimentPrograms from "./programs/Experiments.js"
export * as AcceptanceTestPrograms from "./programs/AcceptanceTests.js"
export * as ScenarioTestPrograms from "./programs/ScenarioTests.js"
export * as Instances from "./services/Instances.js"
export * as Versions from "./services/Versions.js"
export * as Ensembles from "./services/Ensembles.js"
export * as Secrets from "./services/Secrets.js"
export * as InstanceSchemas from "./schemas/Instances.js"
export * as VersionSchemas from "./schemas/Versions.js"
export * as EnsembleSchemas from "./schemas/Ensembles.js"
export * as SecretSchemas from "./schemas/Secrets.js"
export * as ManifestSchemas from "./schemas/Manifest.js"
export * as Push from "./programs/Push.js"
export * as Layers from "./Layers.js"
export { VERSION } from "./version.js"
