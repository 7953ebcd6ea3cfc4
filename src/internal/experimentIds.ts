/**
 * nextmv-py's `safe_name_and_id`: a readable id and name derived from a
 * prefix and an entity id, used for the input sets and managed inputs scenario tests create.
 * Reuses the random slug of `ids.ts`.
 */
import { Effect } from "effect"
import { ENTITY_ID_CHAR_COUNT_MAX, INDEX_TAG_CHAR_COUNT, randomSlug, SLUG_LENGTH } from "./ids.js"

/** Lower-case words of `text`: every run of non-alphanumeric characters separates two words. */
export const kebabWords = (text: string): ReadonlyArray<string> =>
  text.split(/[^A-Za-z0-9]+/).filter((word) => word !== "").map((word) => word.toLowerCase())

/** `a-b_c d` → `A B C D`: separators become spaces, every word is capitalised. */
export const startCase = (id: string): string =>
  id.split(/[-_\s]+/).filter((word) => word !== "").map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(" ")

/**
 * The id without its slug: the prefix, then as many kebab words of `entityId` as fit. The budget
 * is `40 - 3 - len(prefix) - 9`; a word is appended only while the joined length (with the new
 * word and its `-`) stays below the budget; a single word longer than the budget is first cut to
 * budget - 1 characters.
 */
export const nameAndIdStem = (prefix: string, entityId: string): string => {
  const budget = ENTITY_ID_CHAR_COUNT_MAX - INDEX_TAG_CHAR_COUNT - prefix.length - (SLUG_LENGTH + 1)
  const parts = [prefix]
  for (const word of kebabWords(entityId)) {
    const piece = word.length > budget ? word.slice(0, budget - 1) : word
    if ([...parts, piece].join("-").length >= budget) break
    parts.push(piece)
  }
  return parts.join("-")
}

/**
 * A generated `{ name, id }` pair: `id` = {@link nameAndIdStem} + `-` + an 8-character slug,
 * `name` = the id in Start Case. Both are `""` when `prefix` or `entityId` is empty.
 *
 * @example
 * ```ts
 * const { id, name } = yield* safeNameAndId("inpset", "scenario-1")
 * // id "inpset-scenario-1-ab12cd34", name "Inpset Scenario 1 Ab12cd34"
 * ```
 */
export const safeNameAndId = (
  prefix: string,
  entityId: string
): Effect.Effect<{ readonly name: string; readonly id: string }> =>
  prefix === "" || entityId === ""
    ? Effect.succeed({ name: "", id: "" })
    : Effect.map(randomSlug, (slug) => {
      const id = `${nameAndIdStem(prefix, entityId)}-${slug}`
      return { name: startCase(id), id }
    })
