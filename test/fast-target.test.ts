/**
 * The fast path builds a request's target without parsing a URL for plain paths
 * (`internal/fastBase.ts` `FastBase`). Whatever it builds must be what URL parsing gives (what the
 * generic path and undici would send): checked here over tricky base URLs and generated paths, and
 * the paths of `internal/paths.ts` must take it. Then, over real sockets on `NodeTransport`: bodies
 * in one chunk, in many, empty, and a request with query parameters (parsed as a URL).
 */
import { HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import fc from "fast-check"
import * as paths from "../src/internal/paths.js"
import { FastBase } from "../src/internal/fastBase.js"
import { idProblem } from "../src/internal/validate.js"
import { NodeTransport } from "../src/node/index.js"
import * as NextmvDefaults from "../src/NextmvDefaults.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { rawServer } from "./support/rawServer.js"

const BASES = [
  "http://127.0.0.1:8080",
  "https://api.cloud.nextmv.io",
  "https://API.Example.COM:443",
  "https://example.com/api",
  "https://example.com/api/v0",
  "https://example.com/a/.",
  "https://example.com/a/..",
  "https://example.com/a/.%2E",
  "https://example.com/a%20b",
  "https://example.com/a b",
  "https://example.com/a\\",
  "https://example.com//",
  "https://user:secret@example.com/x",
  "https://example.com/caf\u00e9",
  "https://example.com/a?x=1",
  "https://example.com/a#f",
  "mailto:someone@example.com",
  "not a url",
  ""
]

/** Characters that matter to URL parsing, so short random mixes hit the edge cases often. */
const CHARS = [".", "%", "2", "e", "E", "/", "\\", "?", "#", ";", " ", "a", "Z", "9", ":", "@", "~", "'", "é", "\t", "[", "`", "{"]

const pathArbitrary = fc.oneof(
  fc.array(fc.constantFrom(...CHARS), { maxLength: 12 }).map((chars) => `/${chars.join("")}`),
  fc.string({ unit: "grapheme-ascii", maxLength: 16 }).map((text) => `/${text}`),
  fc.string({ maxLength: 8 })
)

/** What URL parsing makes of `base + path`: origin and request path, or `undefined` if it fails. */
const parsed = (base: string, path: string) => {
  try {
    const url = new URL(base + path)
    return { origin: url.origin, path: url.pathname + url.search }
  } catch {
    return undefined
  }
}

describe("the fast path's request target", () => {
  it("is what URL parsing gives, for every base and path it takes", () => {
    fc.assert(
      fc.property(fc.constantFrom(...BASES), pathArbitrary, (base, path) => {
        const fast = FastBase.of(base)
        const target = fast?.pathOf(path)
        if (fast === undefined || target === undefined) return
        expect({ origin: fast.origin, path: target }).toEqual(parsed(base, path))
      }),
      { numRuns: 5000 }
    )
  })

  it("takes the plain bases and every path of internal/paths.ts with valid ids", () => {
    for (const base of BASES.slice(0, 10)) expect(FastBase.of(base), base).toBeDefined()
    for (const base of ["https://example.com/a?x=1", "https://example.com/a#f", "mailto:someone@example.com", "not a url", ""]) {
      expect(FastBase.of(base), base).toBeUndefined()
    }
    const base = FastBase.of("https://api.cloud.nextmv.io")!
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }).filter((id) => idProblem("id", id) === undefined),
        (id) => {
          for (const path of [paths.applicationPath(id), paths.runPath(id, id), paths.instancesPath(id, id)]) {
            expect(base.pathOf(path), path).toBe(parsed("https://api.cloud.nextmv.io", path)?.path)
          }
        }
      ),
      { numRuns: 500 }
    )
  })

  it.live("on NodeTransport: bodies in one chunk, in many and empty; query parameters reach the server", () =>
    Effect.gen(function*() {
      const big = JSON.stringify({ items: Array.from({ length: 20_000 }, (_, i) => ({ id: `item-${i}` })) })
      const seen: Array<string> = []
      const { origin } = yield* rawServer((request, response) => {
        seen.push(request.url ?? "")
        if (request.url === "/v1/empty") return response.writeHead(200).end()
        if (request.url === "/v1/big") {
          // Written in pieces, so the body arrives in many chunks.
          response.writeHead(200, { "content-type": "application/json" })
          for (let at = 0; at < big.length; at += 16_384) response.write(big.slice(at, at + 16_384))
          return response.end()
        }
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ url: request.url }))
      })
      const client = yield* NextmvClient.make({ apiKey: Redacted.make("k"), baseUrl: `${origin}/v1`, budget: false }).pipe(
        Effect.provide(NextmvDefaults.layer({ retry: { retries: 0 } }))
      )
      expect(new TextDecoder().decode(yield* client.api.bytes(HttpClientRequest.get("/big")))).toBe(big)
      expect((yield* client.api.bytes(HttpClientRequest.get("/empty"))).length).toBe(0)
      const withQuery = yield* client.api.text(
        HttpClientRequest.get("/apps/a%2Fb").pipe(HttpClientRequest.setUrlParams({ q: "x y", page: "2" }))
      )
      expect(JSON.parse(withQuery)).toEqual({ url: "/v1/apps/a%2Fb?q=x+y&page=2" })
      expect(seen).toEqual(["/v1/big", "/v1/empty", "/v1/apps/a%2Fb?q=x+y&page=2"])
    }).pipe(Effect.scoped, Effect.provide(NodeTransport.layer)))
})
