/**
 * Online experiment schemas: shadow tests and switchback tests (nextmv-py's
 * `nextmv.cloud.shadow` and `nextmv.cloud.switchback` models). Decoded classes keep the wire
 * names as property names; request bodies are `Schema.Struct`s with wire names, encoded when the
 * request is built.
 *
 * Decoding is lenient: every response field is optional (as in nextmv-py), unknown fields are
 * ignored and an unknown status is kept as its string, so a status the API adds later does not
 * break polling.
 *
 * @since 0.1.0
 */
import { DateTime, Option, ParseResult, Schema } from "effect"
import { DateTimeUtc, optionalNullable, withDefault } from "./Common.js"
import { ExperimentStatus } from "./Experiments.js"
import { Run } from "./Runs.js"

// ---------------------------------------------------------------------------------------------
// Wire date-times
// ---------------------------------------------------------------------------------------------

const parseUtc = (text: string, ast: Schema.Schema.Any["ast"]) =>
  Option.match(DateTime.make(text), {
    onNone: () => ParseResult.fail(new ParseResult.Type(ast, text, `not a date-time: ${text}`)),
    onSome: (value) => ParseResult.succeed(DateTime.toUtc(value))
  })

/**
 * A UTC date-time written as pydantic writes model datetimes: ISO-8601 with a `Z` suffix and no
 * fraction when it is zero (`2026-01-23T10:00:00Z`).
 */
export const ModelDateTime = Schema.transformOrFail(Schema.String, Schema.DateTimeUtcFromSelf, {
  strict: true,
  decode: (text, _, ast) => parseUtc(text, ast),
  encode: (value) => ParseResult.succeed(DateTime.formatIso(value).replace(/\.000Z$/, "Z"))
})

/**
 * A UTC date-time written as Python's `datetime.isoformat()` writes an aware UTC datetime:
 * `+00:00` offset, microseconds (6 digits) only when not zero (`2026-01-23T14:00:00+00:00`).
 * nextmv-py sends the switchback `start` this way.
 */
export const IsoFormatDateTime = Schema.transformOrFail(Schema.String, Schema.DateTimeUtcFromSelf, {
  strict: true,
  decode: (text, _, ast) => parseUtc(text, ast),
  encode: (value) => {
    const iso = DateTime.formatIso(value)
    const [seconds, fraction = "000Z"] = iso.split(".")
    const millis = fraction.slice(0, 3)
    return ParseResult.succeed(`${seconds}${millis === "000" ? "" : `.${millis}000`}+00:00`)
  }
})

/** A date-time argument: an Effect `DateTime` or a JS `Date`. */
export type DateTimeInput = DateTime.DateTime | Date

// ---------------------------------------------------------------------------------------------
// Shared
// ---------------------------------------------------------------------------------------------

/**
 * How a started test is stopped: `complete` ("the test is marked as complete") or `cancel` ("the
 * test is canceled"). nextmv-py's `StopIntent`.
 */
export const StopIntent = Schema.Literal("complete", "cancel")
export type StopIntent = typeof StopIntent.Type

/** Body of `PUT …/{id}/stop`: `{"intent": "complete" | "cancel"}`. */
export const StopBody = Schema.Struct({ intent: StopIntent })

/** Body of the `PATCH …/{id}` updates: only the given keys (empty strings are sent). */
export const UpdateBody = Schema.Struct({
  name: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String)
})

/**
 * The statuses at which the online-test polling programs stop: `completed`, `canceled`, `failed`
 * and `delete-failed`. nextmv-py has no polling helper for online tests and the docs do not say
 * which statuses are final; this SDK's choice: unlike batch experiments, `draft` is **not** final
 * (every online test is a draft right after creation and only starts when told to), `started`,
 * `stopping` and `deleting` are transient, and the other four cannot change any more.
 */
export const FINAL_ONLINE_TEST_STATUSES: ReadonlyArray<string> = ["completed", "canceled", "failed", "delete-failed"]

/** `true` for a status in {@link FINAL_ONLINE_TEST_STATUSES}; a missing status is not final. */
export const isFinalOnlineTestStatus = (status: string | undefined): boolean =>
  status !== undefined && FINAL_ONLINE_TEST_STATUSES.includes(status)

const metadataFields = {
  /** The test id (nextmv-py reads `id` or `shadow_test_id`/`switchback_test_id`). */
  id: optionalNullable(Schema.String),
  name: optionalNullable(Schema.String),
  description: optionalNullable(Schema.String),
  app_id: optionalNullable(Schema.String),
  created_at: optionalNullable(DateTimeUtc),
  updated_at: optionalNullable(DateTimeUtc),
  status: optionalNullable(ExperimentStatus)
}

// ---------------------------------------------------------------------------------------------
// Shadow tests
// ---------------------------------------------------------------------------------------------

/** One comparison of a shadow test as the API returns it: a baseline and its candidates. */
export const TestComparison = Schema.Struct({
  baseline_instance_id: Schema.String,
  candidate_instance_ids: withDefault(Schema.Array(Schema.String), () => [])
})
export type TestComparison = typeof TestComparison.Type

/** When a shadow test starts collecting data (`time` absent: when started). */
export const StartEvents = Schema.Struct({ time: optionalNullable(DateTimeUtc) })

/**
 * When a shadow test ends: after `maximum_runs` runs (1..300) or at `time`. nextmv-py also
 * rejects a response whose `maximum_runs` is missing or out of range; real responses were not
 * verified, so this SDK decodes leniently (the field is optional and not range-checked).
 */
export const TerminationEvents = Schema.Struct({
  maximum_runs: optionalNullable(Schema.Number),
  time: optionalNullable(DateTimeUtc)
})

/** Metadata of a shadow test (`GET …/experiments/shadow/{id}/metadata`). */
export class ShadowTestMetadata extends Schema.Class<ShadowTestMetadata>("ShadowTestMetadata")({
  ...metadataFields,
  shadow_test_id: optionalNullable(Schema.String)
}) {
  /** The id, from `id` or `shadow_test_id`. */
  get shadowTestId(): string | undefined {
    return this.id ?? this.shadow_test_id
  }
}

/**
 * A shadow test. The API returns `comparisons` as an array of {@link TestComparison} (the create
 * request sends them as a `{baseline: [candidates]}` map). `runs` is filled by
 * `ShadowTests.shadowTest` from `…/runs`; it is empty in lists.
 */
export class ShadowTest extends Schema.Class<ShadowTest>("ShadowTest")({
  ...metadataFields,
  shadow_test_id: optionalNullable(Schema.String),
  completed_at: optionalNullable(DateTimeUtc),
  comparisons: optionalNullable(Schema.Array(TestComparison)),
  start_events: optionalNullable(StartEvents),
  termination_events: optionalNullable(TerminationEvents),
  grouped_distributional_summaries: optionalNullable(Schema.Array(Schema.Unknown)),
  runs: withDefault(Schema.Array(Run), () => [])
}) {
  /** The id, from `id` or `shadow_test_id`. */
  get shadowTestId(): string | undefined {
    return this.id ?? this.shadow_test_id
  }
  /** `true` once the status is `completed`, `canceled`, `failed` or `delete-failed`. */
  get isFinal(): boolean {
    return isFinalOnlineTestStatus(this.status)
  }
}

/**
 * `GET …/experiments/shadow`: nextmv-py reads a bare JSON array. Decoded leniently: an
 * `{"items": …}` object (the switchback list's shape) or `null` are read too.
 */
export const ShadowTestList = Schema.Union(
  Schema.NullOr(Schema.Array(ShadowTest)),
  Schema.Struct({ items: withDefault(Schema.Array(ShadowTest), () => []) })
)

/** Body of `POST …/experiments/shadow` (keys in nextmv-py's order; optional ones only when given). */
export const NewShadowTestBody = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  comparisons: Schema.Record({ key: Schema.String, value: Schema.Array(Schema.String) }),
  termination_events: Schema.Struct({
    maximum_runs: Schema.Number,
    time: Schema.optional(ModelDateTime)
  }),
  description: Schema.optional(Schema.String),
  start_events: Schema.optional(Schema.Struct({ time: Schema.optional(ModelDateTime) }))
})

// ---------------------------------------------------------------------------------------------
// Switchback tests
// ---------------------------------------------------------------------------------------------

/** The one baseline/candidate pair of a switchback test. */
export const TestComparisonSingle = Schema.Struct({
  baseline_instance_id: Schema.String,
  candidate_instance_id: Schema.String
})
export type TestComparisonSingle = typeof TestComparisonSingle.Type

/** One unit of a switchback plan: a time slot assigned to one instance. */
export const SwitchbackPlanUnit = Schema.Struct({
  duration_minutes: Schema.Number,
  instance_id: Schema.String,
  index: Schema.Number
})

/** The schedule of a switchback test. */
export const SwitchbackPlan = Schema.Struct({
  start: optionalNullable(DateTimeUtc),
  units: withDefault(Schema.Array(SwitchbackPlanUnit), () => [])
})

/** Metadata of a switchback test (`GET …/experiments/switchback/{id}/metadata`). */
export class SwitchbackTestMetadata extends Schema.Class<SwitchbackTestMetadata>("SwitchbackTestMetadata")({
  ...metadataFields,
  switchback_test_id: optionalNullable(Schema.String)
}) {
  /** The id, from `id` or `switchback_test_id`. */
  get switchbackTestId(): string | undefined {
    return this.id ?? this.switchback_test_id
  }
}

/** A switchback test; `runs` is filled by `SwitchbackTests.switchbackTest` from `…/runs`. */
export class SwitchbackTest extends Schema.Class<SwitchbackTest>("SwitchbackTest")({
  ...metadataFields,
  switchback_test_id: optionalNullable(Schema.String),
  started_at: optionalNullable(DateTimeUtc),
  completed_at: optionalNullable(DateTimeUtc),
  comparison: optionalNullable(TestComparisonSingle),
  plan: optionalNullable(SwitchbackPlan),
  runs: withDefault(Schema.Array(Run), () => [])
}) {
  /** The id, from `id` or `switchback_test_id`. */
  get switchbackTestId(): string | undefined {
    return this.id ?? this.switchback_test_id
  }
  /** `true` once the status is `completed`, `canceled`, `failed` or `delete-failed`. */
  get isFinal(): boolean {
    return isFinalOnlineTestStatus(this.status)
  }
}

/**
 * `GET …/experiments/switchback`: an object with the list under `items` (missing → empty).
 * Decoded leniently: a bare array (the shadow list's shape) or `null` are read too.
 */
export const SwitchbackTestList = Schema.Union(
  Schema.Struct({ items: withDefault(Schema.Array(SwitchbackTest), () => []) }),
  Schema.NullOr(Schema.Array(SwitchbackTest))
)

/**
 * Body of `POST …/experiments/switchback`. nextmv-py puts its `TestComparisonSingle` model in
 * the payload (which its encoder cannot serialise); the wire form here is that model's
 * `to_dict()`, `{baseline_instance_id, candidate_instance_id}`.
 */
export const NewSwitchbackTestBody = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  comparison: TestComparisonSingle,
  generate_random_plan: Schema.Struct({
    unit_duration_minutes: Schema.Number,
    units: Schema.Number,
    start: Schema.optional(IsoFormatDateTime)
  }),
  description: Schema.optional(Schema.String)
})

/** `{"runs": [...]}` of `GET …/{id}/runs`; a missing list is empty. */
export const TestRuns = Schema.Struct({ runs: withDefault(Schema.Array(Run), () => []) })
