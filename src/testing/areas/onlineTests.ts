/**
 * Emulator area: online experiments, shadow tests and switchback tests
 * (`/v1/applications/{appId}/experiments/shadow|switchback`), with the response shapes of
 * nextmv-py's models: the shadow list is a bare JSON array, the switchback list an
 * `{"items": …}` object; unknown ids are 404, a taken id is 409.
 *
 * Lifecycle: created in `draft`; `start` → `started` (only from `draft`); `stop` (only when
 * `started`) with intent `complete` → `stopping`, then `completed` after
 * `onlineTests.stoppingMillis`; with intent `cancel` → `canceled`. A started shadow test ends
 * by itself (`completed`) once `maximum_runs` baseline runs were shadowed or its termination
 * time has passed; a started switchback test once its plan is over. States are computed from
 * timestamps on every request (no timers).
 *
 * Runs: while a shadow test is started (and its start time has passed), every run on a
 * baseline instance is shadowed by one run per candidate instance with the same input, options
 * and configuration. While a switchback test is started, a run submitted to its baseline
 * instance is routed to the instance of the current plan unit. Runs of batch experiments bypass
 * both, as on the platform. `…/{id}/runs` lists the runs a test collected.
 */
import type { EmulatorContext, EmulatorRequest, EmulatorResponse } from "../Emulator.js"
import { asObject, existingApp, findScoped, isResponse, optionalString } from "./handlers.js"
import type { RunRecord, RunTarget, SubmitParams } from "./runs.js"

/** Shadow-test ids (Nextmv docs): 3–30 of `[a-z0-9.-]`, not starting or ending with `.` or `-`. */
const TEST_ID = /^[a-z0-9][a-z0-9.-]{1,28}[a-z0-9]$/

type Kind = "shadow" | "switchback"

/** An online test as stored. */
export interface OnlineTestRecord {
  readonly kind: Kind
  readonly id: string
  readonly app_id: string
  name: string
  description: string
  readonly created_at: string
  updated_at: string
  status: "draft" | "started" | "stopping" | "completed" | "canceled"
  startedAt?: number | undefined
  stoppedAt?: number | undefined
  completedAt?: number | undefined
  /** Shadow: baseline → candidates. */
  readonly comparisons: ReadonlyArray<{ readonly baseline_instance_id: string; readonly candidate_instance_ids: ReadonlyArray<string> }>
  readonly startTime?: number | undefined
  readonly maximumRuns?: number | undefined
  readonly terminationTime?: number | undefined
  /** Switchback: the pair and the plan. */
  readonly comparison?: { readonly baseline_instance_id: string; readonly candidate_instance_id: string } | undefined
  planStart?: number | undefined
  readonly units: ReadonlyArray<{ readonly duration_minutes: number; readonly instance_id: string; readonly index: number }>
  /** Ids of the runs the test collected (baseline runs and their shadows), oldest first. */
  readonly runIds: Array<string>
  /** Shadow: baseline runs already shadowed. */
  readonly shadowed: Set<string>
}

declare module "../Emulator.js" {
  interface EmulatorOptions {
    readonly onlineTests?: {
      /** How long a test stays `stopping` after a stop with intent `complete`. Default 50 ms. */
      readonly stoppingMillis?: number | undefined
    } | undefined
  }
  interface EmulatorAreas {
    readonly onlineTests: {
      /** A stored test, its state brought up to date. */
      readonly get: (kind: Kind, appId: string, id: string) => OnlineTestRecord | undefined
    }
  }
}

/** A small deterministic PRNG (mulberry32) seeded from a string, for reproducible random plans. */
const seededRandom = (seed: string) => {
  let state = 0
  for (const char of seed) state = (Math.imul(state, 31) + char.charCodeAt(0)) | 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const parseTime = (value: unknown): number | undefined | "invalid" => {
  if (value === undefined || value === null) return undefined
  if (typeof value !== "string") return "invalid"
  const millis = Date.parse(value)
  return Number.isNaN(millis) ? "invalid" : millis
}

const iso = (millis: number) => new Date(millis).toISOString()

export const install = (ctx: EmulatorContext): void => {
  const stoppingMillis = ctx.options.onlineTests?.stoppingMillis ?? 50
  const tests: Record<Kind, Map<string, OnlineTestRecord>> = { shadow: new Map(), switchback: new Map() }
  const key = (appId: string, id: string) => `${appId}/${id}`
  const runsArea = ctx.areas.runs
  /** Runs created by shadow tests (never shadowed themselves). */
  const shadowRuns = new Set<string>()

  // ---------------------------------------------------------------------------------------------
  // State, computed from timestamps
  // ---------------------------------------------------------------------------------------------

  const planEnd = (test: OnlineTestRecord) =>
    test.planStart === undefined
      ? undefined
      : test.planStart + test.units.reduce((sum, unit) => sum + unit.duration_minutes * 60_000, 0)

  /** When the test stops collecting runs (stop request, termination time, end of plan). */
  const collectionEnd = (test: OnlineTestRecord): number =>
    Math.min(
      test.stoppedAt ?? Infinity,
      test.completedAt ?? Infinity,
      test.terminationTime ?? Infinity,
      test.kind === "switchback" ? planEnd(test) ?? Infinity : Infinity
    )

  const complete = (test: OnlineTestRecord, at: number) => {
    test.status = "completed"
    test.completedAt = at
  }

  /** Shadows the baseline runs made since the last request, oldest first. */
  const shadow = (test: OnlineTestRecord) => {
    if (test.startedAt === undefined) return
    const from = Math.max(test.startedAt, test.startTime ?? 0)
    const until = collectionEnd(test)
    const candidatesOf = new Map(test.comparisons.map((c) => [c.baseline_instance_id, c.candidate_instance_ids]))
    const fresh = [...runsArea.list(test.app_id)].reverse().filter((run) =>
      candidatesOf.has(run.instanceId) && run.batchExperimentId === undefined && !shadowRuns.has(run.id) &&
      !test.shadowed.has(run.id) && run.createdAt >= from && run.createdAt < until
    )
    for (const run of fresh) {
      if (test.maximumRuns !== undefined && test.shadowed.size >= test.maximumRuns) break
      test.shadowed.add(run.id)
      test.runIds.push(run.id)
      for (const candidate of candidatesOf.get(run.instanceId) ?? []) {
        const copy = submitCopy(run, candidate)
        if (copy === undefined) continue
        shadowRuns.add(copy.id)
        test.runIds.push(copy.id)
      }
    }
    if (test.status === "started" && test.maximumRuns !== undefined && test.shadowed.size >= test.maximumRuns) {
      complete(test, ctx.now())
    }
  }

  /** A run with the same input, options and configuration as `run`, on `instanceId`. */
  const submitCopy = (run: RunRecord, instanceId: string): RunRecord | undefined => {
    const params: SubmitParams = {
      instanceId,
      name: run.name,
      description: run.description,
      options: run.options,
      configuration: run.configuration,
      ...(run.inputId !== undefined
        ? { inputId: run.inputId }
        : run.inputFormat === "json" || run.inputFormat === "text"
        ? { input: run.inputJson }
        : {})
    }
    if (params.input === undefined && params.inputId === undefined) return undefined
    const copy = runsArea.submit(run.appId, params)
    return isResponse(copy) ? undefined : copy
  }

  /** The runs a switchback test routed: made on its two instances while it collected. */
  const collectSwitchback = (test: OnlineTestRecord) => {
    if (test.startedAt === undefined || test.comparison === undefined) return
    const from = Math.max(test.startedAt, test.planStart ?? 0)
    const until = collectionEnd(test)
    const instances = [test.comparison.baseline_instance_id, test.comparison.candidate_instance_id]
    for (const run of [...runsArea.list(test.app_id)].reverse()) {
      if (
        instances.includes(run.instanceId) && run.batchExperimentId === undefined && run.runType === "standard" &&
        run.createdAt >= from && run.createdAt < until && !test.runIds.includes(run.id)
      ) test.runIds.push(run.id)
    }
  }

  /** Brings a test's runs and status up to date. */
  const refresh = (test: OnlineTestRecord): OnlineTestRecord => {
    const now = ctx.now()
    if (test.kind === "shadow") shadow(test)
    else collectSwitchback(test)
    if (test.status === "stopping" && test.stoppedAt !== undefined && now >= test.stoppedAt + stoppingMillis) {
      complete(test, test.stoppedAt + stoppingMillis)
    }
    if (test.status === "started") {
      const end = test.kind === "shadow" ? test.terminationTime : planEnd(test)
      if (end !== undefined && now >= end) complete(test, end)
    }
    return test
  }

  Object.assign(ctx.areas, {
    onlineTests: {
      get: (kind: Kind, appId: string, id: string) => {
        const test = tests[kind].get(key(appId, id))
        return test === undefined ? undefined : refresh(test)
      }
    }
  })

  // ---------------------------------------------------------------------------------------------
  // Switchback routing: a run on a baseline goes to the instance of the current plan unit.
  // ---------------------------------------------------------------------------------------------

  let bypass = false
  const submit = runsArea.submit
  // Batch-experiment runs (submitted through the area helper) bypass online tests.
  Object.assign(runsArea, {
    submit: (appId: string, params: SubmitParams) => {
      bypass = params.batchExperimentId !== undefined
      try {
        return submit(appId, params)
      } finally {
        bypass = false
      }
    }
  })
  const previous = runsArea.resolveTarget
  runsArea.resolveTarget = (appId, instanceId): RunTarget | EmulatorResponse => {
    const base = previous(appId, instanceId)
    if (bypass || isResponse(base)) return base
    const now = ctx.now()
    for (const test of tests.switchback.values()) {
      if (test.app_id !== appId || test.comparison?.baseline_instance_id !== base.instanceId) continue
      refresh(test)
      if (test.status !== "started" || test.planStart === undefined || now < test.planStart) continue
      let offset = now - test.planStart
      const unit = test.units.find((u) => (offset -= u.duration_minutes * 60_000) < 0)
      if (unit !== undefined && unit.instance_id !== base.instanceId) return previous(appId, unit.instance_id)
    }
    return base
  }

  // ---------------------------------------------------------------------------------------------
  // JSON shapes
  // ---------------------------------------------------------------------------------------------

  const metadataJson = (test: OnlineTestRecord) => ({
    id: test.id,
    name: test.name,
    description: test.description,
    app_id: test.app_id,
    created_at: test.created_at,
    updated_at: test.updated_at,
    status: test.status
  })

  const testJson = (test: OnlineTestRecord) =>
    test.kind === "shadow"
      ? {
        ...metadataJson(test),
        ...(test.completedAt !== undefined ? { completed_at: iso(test.completedAt) } : {}),
        comparisons: test.comparisons,
        start_events: test.startTime !== undefined ? { time: iso(test.startTime) } : {},
        termination_events: {
          maximum_runs: test.maximumRuns,
          ...(test.terminationTime !== undefined ? { time: iso(test.terminationTime) } : {})
        }
      }
      : {
        ...metadataJson(test),
        ...(test.startedAt !== undefined ? { started_at: iso(test.startedAt) } : {}),
        ...(test.completedAt !== undefined ? { completed_at: iso(test.completedAt) } : {}),
        comparison: test.comparison,
        plan: { ...(test.planStart !== undefined ? { start: iso(test.planStart) } : {}), units: test.units }
      }

  const runJson = (run: RunRecord) => ({
    id: run.id,
    name: run.name,
    description: run.description,
    user_email: "emulator@nextmv.test",
    created_at: iso(run.createdAt),
    application_id: run.appId,
    application_instance_id: run.instanceId,
    application_version_id: run.versionId,
    run_type: { type: run.runType },
    status_v2: runsArea.status(run)
  })

  // ---------------------------------------------------------------------------------------------
  // Routes
  // ---------------------------------------------------------------------------------------------

  const base = (kind: Kind) => `/v1/applications/:appId/experiments/${kind}`
  const label = (kind: Kind) => `${kind} test`

  const found = (kind: Kind, request: EmulatorRequest): OnlineTestRecord | EmulatorResponse => {
    const test = findScoped(ctx, tests[kind], request.params["appId"]!, request.params["testId"]!, label(kind))
    return isResponse(test) ? test : refresh(test)
  }

  /** The fields both kinds take from a create body, or the API's 400/409 answer. */
  const common = (kind: Kind, appId: string, body: Record<string, unknown>) => {
    const id = optionalString(body["id"])
    if (id === undefined || !TEST_ID.test(id)) {
      return ctx.apiError(
        400,
        "id may only include lowercase letters, numbers, periods, or hyphens and must be between 3 and 30 characters (and cannot start or end with a hyphen or period)"
      )
    }
    if (tests[kind].has(key(appId, id))) return ctx.apiError(409, `${label(kind)} ${id} already exists`)
    const name = optionalString(body["name"])
    if (name === undefined || name === "") return ctx.apiError(400, "name is required")
    const at = ctx.timestamp()
    return {
      kind,
      id,
      app_id: appId,
      name,
      description: optionalString(body["description"]) ?? "",
      created_at: at,
      updated_at: at,
      status: "draft" as const,
      runIds: [],
      shadowed: new Set<string>()
    }
  }

  ctx.route("POST", base("shadow"), (request) => {
    const appId = existingApp(ctx, request.params["appId"]!)
    if (isResponse(appId)) return appId
    const body = asObject(request.json())
    const fields = common("shadow", appId, body)
    if (isResponse(fields)) return fields
    const map = body["comparisons"]
    if (typeof map !== "object" || map === null || Array.isArray(map) || Object.keys(map).length === 0) {
      return ctx.apiError(400, "comparisons must map at least one baseline instance id to candidate instance ids")
    }
    const comparisons = []
    for (const [baseline, candidates] of Object.entries(map)) {
      if (!Array.isArray(candidates) || candidates.length === 0 || !candidates.every((c) => typeof c === "string" && c !== "")) {
        return ctx.apiError(400, `comparisons.${baseline} must be a non-empty list of candidate instance ids`)
      }
      if (candidates.includes(baseline)) return ctx.apiError(400, `instance ${baseline} cannot be its own candidate`)
      comparisons.push({ baseline_instance_id: baseline, candidate_instance_ids: candidates as Array<string> })
    }
    const termination = asObject(body["termination_events"])
    const maximumRuns = termination["maximum_runs"]
    if (typeof maximumRuns !== "number" || !Number.isInteger(maximumRuns) || maximumRuns < 1 || maximumRuns > 300) {
      return ctx.apiError(400, "termination_events.maximum_runs must be between 1 and 300 (maximum run limit of 300 runs)")
    }
    const terminationTime = parseTime(termination["time"])
    const startTime = parseTime(asObject(body["start_events"])["time"])
    if (terminationTime === "invalid" || startTime === "invalid") return ctx.apiError(400, "event times must be RFC 3339 date-times")
    const test: OnlineTestRecord = { ...fields, comparisons, maximumRuns, terminationTime, startTime, units: [] }
    tests.shadow.set(key(appId, test.id), test)
    return ctx.ok(testJson(test))
  })

  ctx.route("POST", base("switchback"), (request) => {
    const appId = existingApp(ctx, request.params["appId"]!)
    if (isResponse(appId)) return appId
    const body = asObject(request.json())
    const fields = common("switchback", appId, body)
    if (isResponse(fields)) return fields
    const comparison = asObject(body["comparison"])
    const baseline = optionalString(comparison["baseline_instance_id"])
    const candidate = optionalString(comparison["candidate_instance_id"])
    if (!baseline || !candidate) {
      return ctx.apiError(400, "comparison must have baseline_instance_id and candidate_instance_id")
    }
    if (baseline === candidate) return ctx.apiError(400, "baseline and candidate instances must differ")
    const plan = asObject(body["generate_random_plan"])
    const minutes = plan["unit_duration_minutes"]
    const count = plan["units"]
    if (typeof minutes !== "number" || minutes < 1 || minutes > 10080) {
      return ctx.apiError(400, "unit_duration_minutes must be between 1 and 10080")
    }
    if (typeof count !== "number" || !Number.isInteger(count) || count < 1 || count > 1000) {
      return ctx.apiError(400, "units must be between 1 and 1000")
    }
    const start = parseTime(plan["start"])
    if (start === "invalid") return ctx.apiError(400, "generate_random_plan.start must be an RFC 3339 date-time")
    // A random plan: for each unit a random instance is chosen (seeded by the id: reproducible).
    const random = seededRandom(`${appId}/${fields.id}`)
    const units = Array.from({ length: count }, (_, index) => ({
      duration_minutes: minutes,
      instance_id: random() < 0.5 ? baseline : candidate,
      index
    }))
    const test: OnlineTestRecord = {
      ...fields,
      comparisons: [],
      comparison: { baseline_instance_id: baseline, candidate_instance_id: candidate },
      planStart: start,
      units
    }
    tests.switchback.set(key(appId, test.id), test)
    return ctx.ok(testJson(test))
  })

  for (const kind of ["shadow", "switchback"] as const) {
    ctx.route("GET", base(kind), (request) => {
      const appId = existingApp(ctx, request.params["appId"]!)
      if (isResponse(appId)) return appId
      const list = [...tests[kind].values()].filter((t) => t.app_id === appId).map((t) => testJson(refresh(t)))
      return ctx.ok(kind === "shadow" ? list : { items: list })
    })

    ctx.route("GET", `${base(kind)}/:testId`, (request) => {
      const test = found(kind, request)
      return isResponse(test) ? test : ctx.ok(testJson(test))
    })

    ctx.route("GET", `${base(kind)}/:testId/metadata`, (request) => {
      const test = found(kind, request)
      return isResponse(test) ? test : ctx.ok(metadataJson(test))
    })

    ctx.route("GET", `${base(kind)}/:testId/runs`, (request) => {
      const test = found(kind, request)
      if (isResponse(test)) return test
      const runs = test.runIds.flatMap((id) => {
        const run = runsArea.get(test.app_id, id)
        return run === undefined ? [] : [runJson(run)]
      })
      return ctx.ok({ runs })
    })

    ctx.route("PUT", `${base(kind)}/:testId/start`, (request) => {
      const test = found(kind, request)
      if (isResponse(test)) return test
      if (test.status !== "draft") {
        return ctx.apiError(409, `${label(kind)} ${test.id} is ${test.status}; only a draft test can be started`)
      }
      if (kind === "shadow") {
        const baselines = new Set(test.comparisons.map((c) => c.baseline_instance_id))
        const busy = [...tests.shadow.values()].find((other) =>
          other.app_id === test.app_id && refresh(other).status === "started" &&
          other.comparisons.some((c) => baselines.has(c.baseline_instance_id))
        )
        if (busy !== undefined) {
          return ctx.apiError(409, `a baseline instance can have only one active shadow test (${busy.id} is started)`)
        }
      }
      const now = ctx.now()
      test.status = "started"
      test.startedAt = now
      if (kind === "switchback" && test.planStart === undefined) test.planStart = now
      test.updated_at = iso(now)
      return ctx.noContent()
    })

    ctx.route("PUT", `${base(kind)}/:testId/stop`, (request) => {
      const test = found(kind, request)
      if (isResponse(test)) return test
      const intent = request.body.length === 0 ? undefined : asObject(request.json())["intent"]
      if (intent !== "complete" && intent !== "cancel") return ctx.apiError(400, "intent must be complete or cancel")
      if (test.status !== "started") {
        return ctx.apiError(
          409,
          `${label(kind)} ${test.id} is ${test.status}; a test must be started to be stopped (delete a draft instead)`
        )
      }
      const now = ctx.now()
      test.stoppedAt = now
      test.status = intent === "complete" ? "stopping" : "canceled"
      test.updated_at = iso(now)
      refresh(test)
      return ctx.noContent()
    })

    ctx.route("PATCH", `${base(kind)}/:testId`, (request) => {
      const test = found(kind, request)
      if (isResponse(test)) return test
      const body = asObject(request.json())
      for (const field of ["name", "description"] as const) {
        if (field in body && typeof body[field] !== "string") return ctx.apiError(400, `${field} must be a string`)
      }
      if (typeof body["name"] === "string") test.name = body["name"]
      if (typeof body["description"] === "string") test.description = body["description"]
      test.updated_at = ctx.timestamp()
      return ctx.ok(testJson(test))
    })

    ctx.route("DELETE", `${base(kind)}/:testId`, (request) => {
      const test = found(kind, request)
      if (isResponse(test)) return test
      tests[kind].delete(key(test.app_id, test.id))
      return ctx.noContent()
    })
  }
}
