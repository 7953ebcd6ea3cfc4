import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { kebabWords, nameAndIdStem, safeNameAndId, startCase } from "../src/internal/experimentIds.js"

describe("safeNameAndId (spec experiments §1.4)", () => {
  it("kebab words split on every run of non-alphanumeric characters and are lower-cased", () => {
    expect(kebabWords("High Demand__Week-3!")).toEqual(["high", "demand", "week", "3"])
    expect(kebabWords("---")).toEqual([])
  })

  it("start case turns - and _ into spaces and capitalises each word", () => {
    expect(startCase("inpset-scenario-1-ab12cd34")).toBe("Inpset Scenario 1 Ab12cd34")
    expect(startCase("man-input_high-demand")).toBe("Man Input High Demand")
  })

  it("worked examples: inpset + scenario-1 keeps every word; man-input + scenario-1 drops the 1", () => {
    // budget 22: "inpset-scenario-1" is 17 long.
    expect(nameAndIdStem("inpset", "scenario-1")).toBe("inpset-scenario-1")
    // budget 19: "man-input-scenario-1" would be 20, not below 19.
    expect(nameAndIdStem("man-input", "scenario-1")).toBe("man-input-scenario")
  })

  it("stops at the first word that reaches the budget (>=), not skipping to shorter later words", () => {
    // budget for "inpset" is 22; "inpset-abcdefghijklmno" is exactly 22 -> stop, "x" is not tried.
    expect(nameAndIdStem("inpset", "abcdefghijklmno x")).toBe("inpset")
    expect(nameAndIdStem("inpset", "abcdefghijklmn x")).toBe("inpset-abcdefghijklmn")
  })

  it("a single word longer than the budget is cut to budget - 1 characters before the length check", () => {
    // budget for "a" is 40 - 3 - 1 - 9 = 27; the word is cut to 26, "a-" + 26 = 28 >= 27 -> not added.
    expect(nameAndIdStem("a", "x".repeat(40))).toBe("a")
    // A 1-character prefix with budget 27 takes a 24-letter word (26 < 27).
    expect(nameAndIdStem("a", "y".repeat(24))).toBe(`a-${"y".repeat(24)}`)
  })

  it.effect("appends a fresh 8-character slug and names the id in Start Case", () =>
    Effect.gen(function*() {
      const first = yield* safeNameAndId("inpset", "scenario-1")
      const second = yield* safeNameAndId("inpset", "scenario-1")
      expect(first.id).toMatch(/^inpset-scenario-1-[a-z0-9]{8}$/)
      expect(first.name).toBe(startCase(first.id))
      expect(first.name).toMatch(/^Inpset Scenario 1 [A-Za-z0-9]{8}$/)
      expect(second.id).not.toBe(first.id)
      const managed = yield* safeNameAndId("man-input", "high-demand")
      // budget 19: "man-input-high-demand" (21) does not fit.
      expect(managed.id).toMatch(/^man-input-high-[a-z0-9]{8}$/)
      expect((yield* safeNameAndId("inpset", "high-demand")).id).toMatch(/^inpset-high-demand-[a-z0-9]{8}$/)
    }))

  it.effect("an empty prefix or entity id gives empty name and id", () =>
    Effect.gen(function*() {
      expect(yield* safeNameAndId("", "scenario-1")).toEqual({ name: "", id: "" })
      expect(yield* safeNameAndId("inpset", "")).toEqual({ name: "", id: "" })
    }))
})
