/**
 * Paged list endpoints, in one place.
 *
 * What is known (spec client-and-runs §1.10, one nextmv-py client version; resources §1.5/§9.2 say
 * the newest ensemble and secrets lists page with a helper whose parameters were not seen): the
 * first request adds `pagereturn=true`; each page is an object with `items` (an array) and
 * `next_page_token` (a string); the next page is requested with `pagetoken=<token>`; an empty or
 * absent token ends the listing. A server that ignores `pagereturn` and answers one bare array or
 * one `{"items": …}` object without a token is read as a single page, so the helper is safe to use
 * on endpoints whose paging is unconfirmed.
 */
import { HttpClientRequest } from "@effect/platform"
import { Chunk, Effect, Option, Schema, Stream } from "effect"
import type { NextmvDecodeError, NextmvHttpError } from "../Errors.js"
import { InvalidArgumentError } from "../Errors.js"
import type { Requester } from "./requester.js"

/** nextmv-py's safety limit on the number of pages. */
export const DEFAULT_MAX_PAGES = 1000

const pageSchema = <A, I>(item: Schema.Schema<A, I, never>) =>
  Schema.Union(
    Schema.NullOr(Schema.Array(item)),
    Schema.Struct({
      items: Schema.optionalWith(Schema.NullOr(Schema.Array(item)), { default: () => null }),
      next_page_token: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })
    })
  )

/** Options of {@link paginate}. */
export interface PaginateOptions {
  /** More pages than this fail with `InvalidArgumentError` instead of looping forever. Default 1000. */
  readonly maxPages?: number | undefined
  /** The SDK operation, for error messages (e.g. `"Secrets.listSecretsCollections"`). */
  readonly operation: string
}

/**
 * Streams the items of a paged `GET path` endpoint, page by page, as described above.
 *
 * @example
 * ```ts
 * const items = paginate(api, `${applicationPath(appId)}/ensembles`, EnsembleDefinition, { operation: "Ensembles.list" })
 * ```
 */
export const paginate = <A, I>(
  api: Requester,
  path: string,
  item: Schema.Schema<A, I, never>,
  options: PaginateOptions
): Stream.Stream<A, NextmvHttpError | NextmvDecodeError | InvalidArgumentError> => {
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES
  const schema = pageSchema(item)
  type State = { readonly page: number; readonly token: string | undefined }
  return Stream.paginateChunkEffect<State, A, NextmvHttpError | NextmvDecodeError | InvalidArgumentError, never>(
    { page: 1, token: undefined },
    ({ page, token }) =>
      Effect.gen(function*() {
        if (page > maxPages) {
          return yield* new InvalidArgumentError({
            operation: options.operation,
            reason: `the listing has more than ${maxPages} pages; raise maxPages`
          })
        }
        const request = HttpClientRequest.get(path).pipe(
          HttpClientRequest.setUrlParams(token === undefined ? { pagereturn: "true" } : { pagereturn: "true", pagetoken: token })
        )
        const body = yield* api.json(request, schema)
        if (body === null) return [Chunk.empty<A>(), Option.none<State>()] as const
        if (Array.isArray(body)) return [Chunk.fromIterable(body as ReadonlyArray<A>), Option.none<State>()] as const
        const paged = body as { readonly items: ReadonlyArray<A> | null; readonly next_page_token: string | null }
        const next = paged.next_page_token
        return [
          Chunk.fromIterable(paged.items ?? []),
          next !== null && next !== "" ? Option.some({ page: page + 1, token: next }) : Option.none<State>()
        ] as const
      })
  )
}

/** {@link paginate}, collected into an array. */
export const paginateAll = <A, I>(
  api: Requester,
  path: string,
  item: Schema.Schema<A, I, never>,
  options: PaginateOptions
): Effect.Effect<ReadonlyArray<A>, NextmvHttpError | NextmvDecodeError | InvalidArgumentError> =>
  Stream.runCollect(paginate(api, path, item, options)).pipe(Effect.map(Chunk.toReadonlyArray))
