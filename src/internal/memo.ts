/**
 * Values built once per key object, for schemas made from other schemas (a list of items, a PUT
 * body): building an Effect schema costs hundreds of µs, and a new schema per call would also miss
 * every decoder and encoder cached for it.
 *
 * @internal
 */

/** `make()` once per `key` in `cache` (each cache holds what one builder makes from its keys). */
export const memoized = <T>(cache: WeakMap<object, unknown>, key: object, make: () => T): T => {
  const known = cache.get(key)
  if (known !== undefined) return known as T
  const made = make()
  cache.set(key, made)
  return made
}
