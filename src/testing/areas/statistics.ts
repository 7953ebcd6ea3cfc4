/**
 * The arithmetic of acceptance tests, pure and separate from the routes: summary statistics and
 * percentiles of a metric's values, the comparison of a candidate's statistic with the baseline's
 * under an operator and a tolerance, and where a metric's value is read from a run.
 *
 * Interpretations where the public sources are silent (documented here, not facts of the API):
 * - percentiles interpolate linearly between closest ranks; `std` is the population standard
 *   deviation; the shifted geometric mean uses a shift of 10;
 * - tolerance: `relative` allows `|baseline| × value`, `absolute` allows `value`, `""` allows 0;
 *   `le`/`lt` pass when candidate ≤/< baseline + allowance, `ge`/`gt` when candidate ≥/>
 *   baseline − allowance, `eq` when |candidate − baseline| ≤ allowance, `ne` otherwise;
 * - a metric's `field` is looked up as `statistics.<field>` in the run output, then `<field>`
 *   from the output root, then as a key of the run's metrics.
 */

/** The statistics a metric may compare. */
export const STATISTICS = [
  "min",
  "max",
  "mean",
  "std",
  "shifted_geometric_mean",
  "p01",
  "p05",
  "p10",
  "p25",
  "p50",
  "p75",
  "p90",
  "p95",
  "p99"
]
/** The comparison operators. */
export const OPERATORS = ["eq", "gt", "ge", "lt", "le", "ne"]
/** The tolerance types (`""`: none). */
export const TOLERANCE_TYPES = ["", "absolute", "relative"]

/** The shift of the shifted geometric mean. */
export const SHIFT_PARAMETER = 10

const PERCENTILES = [
  ["p01", 0.01],
  ["p05", 0.05],
  ["p10", 0.1],
  ["p25", 0.25],
  ["p50", 0.5],
  ["p75", 0.75],
  ["p90", 0.9],
  ["p95", 0.95],
  ["p99", 0.99]
] as const

/** Percentile `q` (0…1) of sorted values, with linear interpolation between closest ranks. */
export const percentile = (sorted: ReadonlyArray<number>, q: number): number => {
  if (sorted.length === 0) return 0
  const rank = q * (sorted.length - 1)
  const low = Math.floor(rank)
  const high = Math.ceil(rank)
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low)
}

/** Summary statistics and percentiles of a non-empty list of values. */
export const summarize = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const count = sorted.length
  const mean = sorted.reduce((sum, v) => sum + v, 0) / count
  const std = Math.sqrt(sorted.reduce((sum, v) => sum + (v - mean) ** 2, 0) / count)
  const logMean = sorted.reduce((sum, v) => sum + Math.log(Math.max(v + SHIFT_PARAMETER, Number.MIN_VALUE)), 0) / count
  return {
    distribution_summary_statistics: {
      min: sorted[0]!,
      max: sorted[count - 1]!,
      count,
      mean,
      std,
      shifted_geometric_mean: Math.exp(logMean) - SHIFT_PARAMETER,
      shift_parameter: SHIFT_PARAMETER
    },
    distribution_percentiles: Object.fromEntries(PERCENTILES.map(([name, q]) => [name, percentile(sorted, q)])) as Record<
      typeof PERCENTILES[number][0],
      number
    >
  }
}

/** The statistic named `statistic` of a summary (`mean`, `p90`, …); `undefined` when unknown. */
export const statisticOf = (summary: ReturnType<typeof summarize>, statistic: string): number | undefined => {
  const fromSummary = (summary.distribution_summary_statistics as Record<string, number>)[statistic]
  if (fromSummary !== undefined && statistic !== "count" && statistic !== "shift_parameter") return fromSummary
  return (summary.distribution_percentiles as Record<string, number>)[statistic]
}

/** Whether `candidate` passes against `baseline` (see the module comment for the tolerance rule). */
export const compareMetric = (
  operator: string,
  tolerance: { readonly type: string; readonly value: number },
  candidate: number,
  baseline: number
): boolean => {
  const allowance = tolerance.type === "relative"
    ? Math.abs(baseline) * tolerance.value
    : tolerance.type === "absolute"
    ? tolerance.value
    : 0
  switch (operator) {
    case "le":
      return candidate <= baseline + allowance
    case "lt":
      return candidate < baseline + allowance
    case "ge":
      return candidate >= baseline - allowance
    case "gt":
      return candidate > baseline - allowance
    case "eq":
      return Math.abs(candidate - baseline) <= allowance
    case "ne":
      return Math.abs(candidate - baseline) > allowance
    default:
      return false
  }
}

/** Reads a dotted path from a JSON value. */
const readPath = (value: unknown, path: string): unknown =>
  path.split(".").reduce<unknown>(
    (at, key) => (typeof at === "object" && at !== null && !Array.isArray(at) ? (at as Record<string, unknown>)[key] : undefined),
    value
  )

/** The value of a metric field for one run: `statistics.<field>`, `<field>`, then the run's metrics. */
export const metricValue = (output: unknown, metrics: Readonly<Record<string, unknown>> | undefined, field: string) => {
  for (const candidate of [readPath(output, `statistics.${field}`), readPath(output, field), metrics?.[field]]) {
    if (typeof candidate === "number" && Number.isFinite(candidate)) return candidate
  }
  return undefined
}
