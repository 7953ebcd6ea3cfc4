/**
 * Generated ids, as nextmv-py's `safe_id`: `{prefix}-{8 chars of [a-z0-9]}`, with the prefix cut
 * so that the id stays within the platform's 40-character entity id limit.
 */
import { Effect, Random } from "effect"

/** Longest entity id the platform accepts. */
export const ENTITY_ID_CHAR_COUNT_MAX = 40
/** Room the platform keeps for an index tag. */
export const INDEX_TAG_CHAR_COUNT = 3
/** Length of the random slug. */
export const SLUG_LENGTH = 8

const SLUG_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"

/** A random slug of {@link SLUG_LENGTH} characters from `[a-z0-9]`, drawn from Effect's `Random`. */
export const randomSlug: Effect.Effect<string> = Effect.gen(function*() {
  let slug = ""
  for (let i = 0; i < SLUG_LENGTH; i++) {
    slug += SLUG_ALPHABET[yield* Random.nextIntBetween(0, SLUG_ALPHABET.length)]
  }
  return slug
})

/**
 * `{prefix}-{slug}`; a prefix longer than 28 characters is cut to its first 27.
 *
 * @example
 * ```ts
 * const id = yield* safeId("app") // "app-4f5g6h7j"
 * ```
 */
export const safeId = (prefix: string): Effect.Effect<string> =>
  Effect.map(randomSlug, (slug) => {
    const room = ENTITY_ID_CHAR_COUNT_MAX - INDEX_TAG_CHAR_COUNT - (SLUG_LENGTH + 1)
    const head = prefix.length > room ? prefix.slice(0, room - 1) : prefix
    return `${head}-${slug}`
  })
