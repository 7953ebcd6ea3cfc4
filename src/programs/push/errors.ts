/**
 * Typed errors of `push`. They live in `Errors.ts` with every other public error; this module
 * re-exports them for existing imports.
 *
 * @since 0.1.0
 */
export { ManifestError, PushBundleError, PushCommandError, PushCommandStep, PushFilesError } from "../../Errors.js"
