/**
 * `nextmv-effect/node`: Node-only parts (kept out of the main entry, which runs in browsers too).
 *
 * @since 0.1.0
 */
export * as NodeTransport from "./NodeTransport.js"
