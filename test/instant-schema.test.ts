/**
 * `DateTimeUtc` of `src/schemas/Common.ts` (every instant of the API's resources) decodes and
 * encodes strings exactly as Effect's `Schema.DateTimeUtc`, which it replaces to keep browser
 * bundles small: same instants, same failures, same encoded strings.
 */
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Either, Schema } from "effect"
import fc from "fast-check"
import { afterAll, beforeAll } from "vitest"
import { DateTimeUtc } from "../src/schemas/Common.js"

const ours = Schema.decodeUnknownEither(DateTimeUtc)
const effects = Schema.decodeUnknownEither(Schema.DateTimeUtc)

const sameDecoding = (input: unknown) => {
  const a = ours(input)
  const b = effects(input)
  expect(Either.isRight(a), JSON.stringify(input)).toBe(Either.isRight(b))
  if (Either.isRight(a) && Either.isRight(b)) {
    expect(DateTime.toEpochMillis(a.right)).toBe(DateTime.toEpochMillis(b.right))
    expect(DateTime.isUtc(a.right)).toBe(true)
    expect(Schema.encodeSync(DateTimeUtc)(a.right)).toBe(Schema.encodeSync(Schema.DateTimeUtc)(b.right))
  }
}

describe("DateTimeUtc (instants)", () => {
  // Outside UTC, so that a string without a zone read as local time would differ.
  const tz = process.env.TZ
  beforeAll(() => {
    process.env.TZ = "America/New_York"
  })
  afterAll(() => {
    if (tz === undefined) delete process.env.TZ
    else process.env.TZ = tz
  })

  it("runs outside UTC", () => {
    expect(new Date(2026, 0, 1).getTimezoneOffset()).not.toBe(0)
  })

  it("decodes what the API sends like Schema.DateTimeUtc", () => {
    for (
      const input of [
        "2026-11-27T16:31:32Z",
        "2026-11-27T16:31:32.123Z",
        "2026-11-27T16:31:32.123456789Z",
        "2026-11-27T16:31:32+02:00",
        "2026-11-27T16:31:32-0530",
        "2026-11-27T16:31:32+02",
        "2026-11-27T16:31:32",
        "2026-11-27",
        "2026-11-27T16:31:32.123+00:00",
        "not a date",
        "",
        "2026-13-45T99:99:99Z",
        42,
        null
      ]
    ) sameDecoding(input)
  })

  it("matches Schema.DateTimeUtc on any date string, with or without a zone, and on any string", () => {
    const iso = fc.date({ noInvalidDate: true, min: new Date(-8.64e15 + 1e11), max: new Date(8.64e15 - 1e11) })
      .map((date) => date.toISOString())
    const zone = fc.constantFrom("", "Z", "+02:00", "-05:30", "+0100", "+14", "[Europe/Paris]")
    fc.assert(fc.property(iso, zone, (text, suffix) => sameDecoding(text.slice(0, -1) + suffix)))
    fc.assert(fc.property(fc.string(), (text) => sameDecoding(text)))
  })

  it("fails with the message of Schema.DateTimeUtc", () => {
    const a = ours("soon")
    expect(Either.isLeft(a) && a.left.message).toContain("Unable to decode \"soon\" into a DateTime.Utc")
  })
})
