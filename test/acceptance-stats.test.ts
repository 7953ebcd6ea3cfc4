import { describe, expect, it } from "@effect/vitest"
import { compareMetric, metricValue, percentile, statisticOf, summarize } from "../src/testing/areas/statistics.js"

describe("emulator acceptance-test arithmetic", () => {
  it("summarises values like the completed example of spec §15.2", () => {
    // The control side of §15.2: min 410, p50 425, max 455, mean 430.
    const control = summarize([455, 410, 425])
    const s = control.distribution_summary_statistics
    expect([s.min, s.max, s.count, s.mean, s.shift_parameter]).toEqual([410, 455, 3, 430, 10])
    expect(s.std).toBeCloseTo(18.7, 1)
    expect(s.shifted_geometric_mean).toBeCloseTo(429.6, 1)
    const p = control.distribution_percentiles
    expect([p.p25, p.p50, p.p75, p.p90, p.p95, p.p99]).toEqual([417.5, 425, 440, 449, 452, expect.closeTo(454.4, 6)])
    const candidate = summarize([400, 414, 440])
    expect(candidate.distribution_summary_statistics.mean).toBe(418)
    // Population standard deviation: sqrt(((-18)² + (-4)² + 22²) / 3).
    expect(candidate.distribution_summary_statistics.std).toBeCloseTo(Math.sqrt(824 / 3), 9)
  })

  it("percentiles interpolate linearly between closest ranks", () => {
    expect(percentile([1, 2, 3, 4, 5], 0.5)).toBe(3)
    expect(percentile([10, 20], 0.25)).toBe(12.5)
    expect(percentile([7], 0.99)).toBe(7)
  })

  it("statistics are read from the summary or the percentiles", () => {
    const summary = summarize([1, 2, 3])
    expect(statisticOf(summary, "mean")).toBe(2)
    expect(statisticOf(summary, "p50")).toBe(2)
    expect(statisticOf(summary, "count")).toBeUndefined()
    expect(statisticOf(summary, "median")).toBeUndefined()
  })

  it("applies operators with relative, absolute and no tolerance", () => {
    // §15.2: mean 418 (candidate) le 430 (control) within 5 %.
    expect(compareMetric("le", { type: "relative", value: 0.05 }, 418, 430)).toBe(true)
    expect(compareMetric("le", { type: "relative", value: 0.05 }, 452, 430)).toBe(false)
    expect(compareMetric("le", { type: "relative", value: 0.05 }, 451.5, 430)).toBe(true)
    expect(compareMetric("lt", { type: "", value: 0 }, 430, 430)).toBe(false)
    expect(compareMetric("ge", { type: "absolute", value: 5 }, 96, 100)).toBe(true)
    expect(compareMetric("gt", { type: "absolute", value: 5 }, 95, 100)).toBe(false)
    expect(compareMetric("eq", { type: "absolute", value: 1 }, 100.5, 100)).toBe(true)
    expect(compareMetric("ne", { type: "absolute", value: 1 }, 100.5, 100)).toBe(false)
    expect(compareMetric("unknown-op", { type: "", value: 0 }, 1, 1)).toBe(false)
  })

  it("reads a metric field from statistics, then the output root, then the run metrics", () => {
    expect(metricValue({ statistics: { result: { value: 3 } }, result: { value: 9 } }, undefined, "result.value")).toBe(3)
    expect(metricValue({ result: { value: 9 } }, undefined, "result.value")).toBe(9)
    expect(metricValue({}, { "result.value": 7 }, "result.value")).toBe(7)
    expect(metricValue({ statistics: { result: { value: "x" } } }, undefined, "result.value")).toBeUndefined()
  })
})
