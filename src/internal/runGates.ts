/**
 * The run programs' gates (`newRunWithResult` and the other waiting programs of
 * `programs/Runs.ts`), one pair per `Runs` service: at most as many submissions, and as many status
 * checks, in progress at once as the service's client allows requests in flight per origin
 * (`NextmvClient` option `maxConnections`, default 64); the others wait here, FIFO, before anything
 * of their request is built.
 *
 * The client's per-origin connection cap would make them wait anyway, but deep inside the request
 * pipeline: 1,000 programs started at once (or polling at the same moment) would each hold the
 * pipeline's frames, spans and request while they wait, and V8 keeps the heap it grew for them.
 * Two gates, not one, so that long submissions (an input upload) never hold back the checks of
 * runs already submitted. A gate is held for one submission (the whole `Runs.newRun`, an input
 * upload included) or one check (its retries included), never while a run waits between checks,
 * and it is left (FIFO place or permit) when the program is interrupted.
 *
 * @internal
 */
import { Slots } from "./slots.js"

export interface Gates {
  readonly submissions: Slots
  readonly checks: Slots
}

/** The gates' size when a `Runs` service was not built by `Runs.make` (a stub): the client's default cap. */
const DEFAULT_SIZE = 64

/**
 * Where `Runs.make` puts a service's gates: an enumerable own property, so that a service made by
 * spreading it (`Runs.of({ ...runs, newRun })`, to wrap one operation) shares its gates.
 */
const GatesKey: unique symbol = Symbol.for("nextmv-effect/RunGates")

/** Gates of services that carry none (stubs), made on first use. */
const fallback = new WeakMap<object, Gates>()

const isGates = (value: unknown): value is Gates => value instanceof Object && "submissions" in value && "checks" in value

const make = (size: number): Gates => ({ submissions: new Slots(size), checks: new Slots(size) })

/** Gives `runs` (a service `Runs.make` built) gates as wide as its client's `maxConnections`. */
export const withGates = <S extends object>(runs: S, size: number): S =>
  Object.defineProperty(runs, GatesKey, { value: make(size), enumerable: true })

/** The gates of the `Runs` service `runs`. */
export const gatesOf = (runs: object): Gates => {
  const own: unknown = Reflect.get(runs, GatesKey)
  if (isGates(own)) return own
  let found = fallback.get(runs)
  if (found === undefined) {
    found = make(DEFAULT_SIZE)
    fallback.set(runs, found)
  }
  return found
}
