/**
 * `nextmv-effect/testing`: the in-process Nextmv Cloud emulator for tests and demos.
 *
 * @since 0.1.0
 */
// The Cloud areas extend `EmulatorOptions` and `EmulatorAreas` by declaration merging; importing
// each of them here makes those augmentations part of the published types (`emulator.areas.runs`,
// `Emulator.layer({ runs: … })`): the .d.ts of `areas/index.ts` does not import them. A new area
// with a `declare module "../Emulator.js"` block belongs in this list too.
import "./areas/acceptanceTests.js"
import "./areas/account.js"
import "./areas/applications.js"
import "./areas/batchExperiments.js"
import "./areas/binary.js"
import "./areas/inputSets.js"
import "./areas/managedInputs.js"
import "./areas/onlineTests.js"
import "./areas/resources.js"
import "./areas/runs.js"
export * as Emulator from "./Emulator.js"
export { type DecisionModel, type ModelInput, type ModelOutcome, Models } from "./areas/models.js"
export { drive, type DriveOptions, DriveTimeoutError, driveUntil, eventually, nextSleep, sleeping } from "./Drive.js"
export { publishedWindowLimits, type RateLimitOptions, type RateLimitStats } from "./rateLimits.js"
export * as Stub from "./Stub.js"
