/**
 * List responses and paged list endpoints, in one place.
 *
 * The API answers a list in one of three shapes: a bare JSON array (or `null`), an
 * `{"items": …}` object, or a page `{"items": …, "next_page_token": …}`. {@link listOf} reads any
 * of them as one array; {@link paginate} follows the pages.
 *
 * Paging, as nextmv-py's `Client` does it for paged lists (the ensemble and secrets lists of the
 * newest nextmv-py page with a helper whose parameters are not documented): the first request
 * adds `pagereturn=true`; the next page is requested with `pagetoken=<token>`; an empty or absent
 * token ends the listing. A server that ignores `pagereturn` and answers one bare array or one
 * `{"items": …}` object without a token is read as a single page, so the helper is safe to use on
 * endpoints whose paging is unconfirmed. The runs list keeps its items under `runs` instead
 * (`itemsKey: "runs"`).
 */
import { HttpClientRequest } from "@effect/platform"
import { Chunk, Effect, Option, Schema, Stream } from "effect"
import type { NextmvDecodeError, NextmvHttpError } from "../Errors.js"
import { PaginationLimitError } from "../Errors.js"
import type { Requester } from "./requester.js"
import { memoized } from "./memo.js"

/** nextmv-py's safety limit on the number of pages. */
export const DEFAULT_MAX_PAGES = 1000

/**
 * Where a page keeps its items: `items` (most lists) or `runs` (the runs list). A `runs` page is
 * read leniently: its `runs` list when present, else its `items` list.
 */
export type ItemsKey = "items" | "runs"

const listField = <A, I>(item: Schema.Schema<A, I, never>) =>
  Schema.optionalWith(Schema.NullOr(Schema.Array(item)), { default: () => null })
const tokenField = Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })

/** `{"items", "next_page_token"}`. */
const itemsPage = <A, I>(item: Schema.Schema<A, I, never>) => Schema.Struct({ items: listField(item), next_page_token: tokenField })

/**
 * `{"runs", "next_page_token"}` read as an {@link itemsPage}. nextmv-py pages the runs list with
 * `items_key="runs"` and the docs' example pages under `runs`, but the only pagination helper of
 * nextmv-py that could be read takes its items from `items`: both keys are accepted, `runs` first.
 */
const runsPage = <A, I>(item: Schema.Schema<A, I, never>) =>
  Schema.transform(
    Schema.Struct({ runs: listField(item), items: listField(item), next_page_token: tokenField }),
    Schema.typeSchema(itemsPage(item)),
    {
      strict: true,
      decode: ({ items, next_page_token, runs }) => ({ items: runs ?? items, next_page_token }),
      encode: ({ items, next_page_token }) => ({ runs: items, items: null, next_page_token })
    }
  )

/**
 * The list schemas of each item schema (per items key), built once: building an Effect schema
 * costs hundreds of µs (a class per schema), and a new schema per call would also have its
 * decoder compiled again on every call.
 */
const pageSchemas = { items: new WeakMap<object, unknown>(), runs: new WeakMap<object, unknown>() }
const listSchemas = { items: new WeakMap<object, unknown>(), runs: new WeakMap<object, unknown>() }

/** Any list response shape: `null`, a bare array, or an `{"items", "next_page_token"}` object. */
const pageSchema = <A, I>(item: Schema.Schema<A, I, never>, itemsKey: ItemsKey = "items") =>
  memoized(pageSchemas[itemsKey], item, () =>
    Schema.Union(
      Schema.NullOr(Schema.Array(item)),
      itemsKey === "runs" ? runsPage(item) : itemsPage(item)
    ))

/** One page, normalised: its items and the token of the next page (`undefined` at the end). */
interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly next: string | undefined
}

/** The one normaliser of list responses. */
const readPage = <A>(
  body: ReadonlyArray<A> | null | { readonly items: ReadonlyArray<A> | null; readonly next_page_token: string | null }
): Page<A> => {
  if (body === null) return { items: [], next: undefined }
  if ("items" in body) {
    const token = body.next_page_token
    return { items: body.items ?? [], next: token !== null && token !== "" ? token : undefined }
  }
  return { items: body, next: undefined }
}

/**
 * A list response in any of its shapes (`null`, a bare array, `{"items": …}`), decoded as one
 * array of `item`. A page token, if any, is ignored: use {@link paginate} to follow pages.
 *
 * @example
 * ```ts
 * import { versionsPath } from "./paths.js"
 * import { Version } from "../schemas/Versions.js"
 * const versions = yield* api.json(HttpClientRequest.get(versionsPath(appId)), listOf(Version))
 * ```
 */
export const listOf = <A, I>(item: Schema.Schema<A, I, never>, itemsKey: ItemsKey = "items") =>
  memoized(listSchemas[itemsKey], item, () =>
    Schema.transform(pageSchema(item, itemsKey), Schema.Array(Schema.typeSchema(item)), {
      strict: true,
      decode: (body) => readPage(body).items,
      encode: (items) => items
    }))

/** Options of {@link paginate}. */
export interface PaginateOptions {
  /** More pages than this fail with `PaginationLimitError` instead of looping forever. Default 1000. */
  readonly maxPages?: number | undefined
  /** The SDK operation, for error messages (e.g. `"Secrets.listSecretsCollections"`). */
  readonly operation: string
  /** Where a page keeps its items (see {@link ItemsKey}). Default `items`. */
  readonly itemsKey?: ItemsKey | undefined
}

/**
 * Streams the items of a paged `GET path` endpoint, page by page, as described above.
 *
 * @example
 * ```ts
 * import { applicationPath } from "./paths.js"
 * import { EnsembleDefinition } from "../schemas/Ensembles.js"
 * const items = paginate(api, `${applicationPath(appId)}/ensembles`, EnsembleDefinition, { operation: "Ensembles.list" })
 * ```
 */
export const paginate = <A, I>(
  api: Requester,
  path: string,
  item: Schema.Schema<A, I, never>,
  options: PaginateOptions
): Stream.Stream<A, NextmvHttpError | NextmvDecodeError | PaginationLimitError> => {
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES
  const schema = pageSchema(item, options.itemsKey)
  type State = { readonly page: number; readonly token: string | undefined }
  return Stream.paginateChunkEffect<State, A, NextmvHttpError | NextmvDecodeError | PaginationLimitError, never>(
    { page: 1, token: undefined },
    ({ page, token }) =>
      Effect.gen(function*() {
        if (page > maxPages) {
          return yield* new PaginationLimitError({ operation: options.operation, maxPages })
        }
        const request = HttpClientRequest.get(path).pipe(
          HttpClientRequest.setUrlParams(token === undefined ? { pagereturn: "true" } : { pagereturn: "true", pagetoken: token })
        )
        const { items, next } = readPage(yield* api.json(request, schema))
        return [
          Chunk.fromIterable(items),
          next !== undefined ? Option.some({ page: page + 1, token: next }) : Option.none<State>()
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
): Effect.Effect<ReadonlyArray<A>, NextmvHttpError | NextmvDecodeError | PaginationLimitError> =>
  Stream.runCollect(paginate(api, path, item, options)).pipe(Effect.map(Chunk.toReadonlyArray))
