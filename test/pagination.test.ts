import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Schema, Stream } from "effect"
import { PaginationLimitError } from "../src/Errors.js"
import { paginate, paginateAll } from "../src/internal/pagination.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { Emulator } from "../src/testing/Emulator.js"
import { emulatorLayer } from "./support/layers.js"
import { driven, failureOf } from "./support/time.js"

const Item = Schema.Struct({ id: Schema.String })

/** A test route serving `total` items, `size` per page, with opaque tokens. */
const servePages = (total: number, size: number) =>
  Effect.map(Emulator, (emulator) => {
    const items = Array.from({ length: total }, (_, i) => ({ id: `item-${i}`, extra: true }))
    emulator.context.route("GET", "/v1/test/paged", (request) => {
      if (request.query["pagereturn"] !== "true") return emulator.context.ok(items)
      const start = request.query["pagetoken"] === undefined ? 0 : Number(Buffer.from(request.query["pagetoken"], "base64url").toString())
      const end = start + size
      return emulator.context.ok({
        items: items.slice(start, end),
        next_page_token: end < total ? Buffer.from(String(end)).toString("base64url") : ""
      })
    })
  })

describe("paginate", () => {
  it.effect("follows next_page_token until it is empty", () =>
    driven(function*() {
      yield* servePages(7, 3)
      const { api } = yield* NextmvClient.NextmvClient
      const ids = (yield* paginateAll(api, "/v1/test/paged", Item, { operation: "Test.list" })).map((i) => i.id)
      expect(ids).toEqual(Array.from({ length: 7 }, (_, i) => `item-${i}`))
      const requests = yield* Effect.flatMap(Emulator, (e) => e.requests)
      expect(requests.map((r) => r.query)).toEqual([
        { pagereturn: "true" },
        { pagereturn: "true", pagetoken: Buffer.from("3").toString("base64url") },
        { pagereturn: "true", pagetoken: Buffer.from("6").toString("base64url") }
      ])
    }).pipe(Effect.provide(emulatorLayer())))

  it.effect("streams lazily: taking 2 items reads one page", () =>
    driven(function*() {
      yield* servePages(10, 2)
      const { api } = yield* NextmvClient.NextmvClient
      const first = yield* Stream.runCollect(Stream.take(paginate(api, "/v1/test/paged", Item, { operation: "Test.list" }), 2))
      expect(Chunk.size(first)).toBe(2)
      expect((yield* Effect.flatMap(Emulator, (e) => e.requests)).length).toBe(1)
    }).pipe(Effect.provide(emulatorLayer())))

  it.effect("reads a bare array as one page", () =>
    driven(function*() {
      const emulator = yield* Emulator
      emulator.context.route("GET", "/v1/test/bare", () => emulator.context.ok([{ id: "a" }, { id: "b" }]))
      const { api } = yield* NextmvClient.NextmvClient
      expect((yield* paginateAll(api, "/v1/test/bare", Item, { operation: "Test.list" })).length).toBe(2)
    }).pipe(Effect.provide(emulatorLayer())))

  it.effect("fails instead of looping past maxPages", () =>
    driven(function*() {
      yield* servePages(10, 1)
      const { api } = yield* NextmvClient.NextmvClient
      const error = yield* paginateAll(api, "/v1/test/paged", Item, { operation: "Test.list", maxPages: 3 }).pipe(failureOf)
      expect(error).toBeInstanceOf(PaginationLimitError)
      expect(error.message).toContain("more than 3 pages")
    }).pipe(Effect.provide(emulatorLayer())))
})
