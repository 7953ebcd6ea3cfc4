/**
 * `nextmv-effect/testing`: the in-process Nextmv Cloud emulator for tests and demos.
 *
 * @since 0.1.0
 */
export * as Emulator from "./Emulator.js"
export { type DecisionModel, type ModelInput, type ModelOutcome, Models } from "./areas/models.js"
export { drive, driveUntil, type DriveOptions, DriveTimeoutError, eventually, nextSleep, sleeping } from "./Drive.js"
export { publishedWindowLimits, type RateLimitOptions, type RateLimitStats } from "./rateLimits.js"
