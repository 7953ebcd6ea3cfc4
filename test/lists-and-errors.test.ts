/**
 * The one list normaliser (`listOf`) and the one home of public errors.
 */
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import * as Errors from "../src/Errors.js"
import * as index from "../src/index.js"
import { listOf } from "../src/internal/pagination.js"
import * as PushErrors from "../src/programs/push/errors.js"
import * as RunPrograms from "../src/programs/Runs.js"

const Item = Schema.Struct({ id: Schema.String })
const decode = Schema.decodeUnknownSync(listOf(Item))

describe("listOf", () => {
  it("reads null, a bare array, {items}, {items: null}, {} and a page as one array", () => {
    expect(decode(null)).toEqual([])
    expect(decode([{ id: "a" }])).toEqual([{ id: "a" }])
    expect(decode({ items: [{ id: "a" }, { id: "b" }] })).toEqual([{ id: "a" }, { id: "b" }])
    expect(decode({ items: null })).toEqual([])
    expect(decode({})).toEqual([])
    expect(decode({ items: [{ id: "a" }], next_page_token: "t" })).toEqual([{ id: "a" }])
  })

  it("rejects items of the wrong shape", () => {
    expect(() => decode([{ id: 1 }])).toThrow()
    expect(() => decode({ items: [{}] })).toThrow()
    expect(() => decode("nope")).toThrow()
  })
})

describe("Errors", () => {
  it("holds every public error; the old modules re-export the same classes", () => {
    expect(RunPrograms.RunFailedError).toBe(Errors.RunFailedError)
    expect(index.RunFailedError).toBe(Errors.RunFailedError)
    expect(PushErrors.ManifestError).toBe(Errors.ManifestError)
    expect(PushErrors.PushFilesError).toBe(Errors.PushFilesError)
    expect(PushErrors.PushCommandError).toBe(Errors.PushCommandError)
    expect(PushErrors.PushBundleError).toBe(Errors.PushBundleError)
    expect(index.PaginationLimitError).toBe(Errors.PaginationLimitError)
  })

  it("too many pages is its own error, not an InvalidArgumentError", () => {
    const error = new Errors.PaginationLimitError({ operation: "Secrets.listSecretsCollections", maxPages: 3 })
    expect(error._tag).toBe("PaginationLimitError")
    expect(error).not.toBeInstanceOf(Errors.InvalidArgumentError)
    expect(error.message).toBe("Secrets.listSecretsCollections: the listing has more than 3 pages; raise maxPages")
  })
})
