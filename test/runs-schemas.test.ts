/**
 * Run schemas (src/schemas/Runs.ts) against the payloads of ../shared/spec/client-and-runs.md §6
 * (copied by hand from the spec) and the leniency rules of §9.4/§9.5: unknown fields ignored,
 * unknown statuses and formats kept, fields older responses lack defaulted.
 */
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Either, Schema } from "effect"
import {
  AssetDownload,
  AssetList,
  isTerminalStatus,
  LiveLogs,
  Metadata,
  NewRunResponse,
  RunInformation,
  RunList,
  RunLog,
  RunResult,
  RunTypeConfiguration,
  UploadUrl
} from "../src/schemas/Runs.js"

const metadata63 = {
  application_id: "routing-app",
  application_instance_id: "devint",
  application_version_id: "",
  created_at: "2025-01-15T10:00:00Z",
  initiated_at: "2025-01-15T10:00:02Z",
  duration: 5234.0,
  execution_duration: 4800.0,
  error: "",
  execution_class: "<execution-class>",
  format: { input: { type: "json" }, output: { type: "json" } },
  input_size: 1024.0,
  output_size: 2048.0,
  queuing_disabled: false,
  queuing_priority: 6,
  run_type: { type: "standard" },
  runtime: "<runtime>",
  status_v2: "succeeded",
  metrics: { "result.value": 1234.5 }
}

const information63 = {
  id: "latest-abc123xyz",
  name: "nightly",
  description: "",
  user_email: "dev@example.com",
  metadata: metadata63
}

const decode = <A, I>(schema: Schema.Schema<A, I>) => Schema.decodeUnknownSync(schema)

describe("run information and results (§6.3, §6.4, §5.7, §5.8)", () => {
  it("decodes the §6.3 metadata response", () => {
    const info = decode(RunInformation)(information63)
    expect(info.id).toBe("latest-abc123xyz")
    expect(info.metadata.status_v2).toBe("succeeded")
    expect(info.metadata.isFinal).toBe(true)
    expect(info.metadata.outputType).toBe("json")
    expect(info.metadata.inputType).toBe("json")
    expect(info.metadata.duration).toBe(5234)
    expect(info.metadata.queuing_priority).toBe(6)
    expect(info.metadata.metrics).toEqual({ "result.value": 1234.5 })
    expect(DateTime.formatIso(info.metadata.created_at!)).toBe("2025-01-15T10:00:00.000Z")
    // Not part of the API response: computed by the SDK, empty until then.
    expect(info.console_url).toBe("")
  })

  it("decodes the §6.4 result, small output and failed run with error_log", () => {
    const ok = decode(RunResult)({
      ...information63,
      output: { solutions: [{ vehicles: [] }], statistics: { schema: "v1" } }
    })
    expect(ok.output).toEqual({ solutions: [{ vehicles: [] }], statistics: { schema: "v1" } })
    const url = decode(RunResult)({ ...information63, output: { url: "https://storage.example.com/presigned/out?X-Signature=..." } })
    expect(url.output).toEqual({ url: "https://storage.example.com/presigned/out?X-Signature=..." })
    const failed = decode(RunResult)({
      ...information63,
      metadata: { ...metadata63, status_v2: "failed", error: "infeasible" },
      error_log: { error: "infeasible", stdout: "", stderr: "trace" }
    })
    expect(failed.metadata.error).toBe("infeasible")
    expect(failed.error_log).toEqual({ error: "infeasible", stdout: "", stderr: "trace" })
    expect(failed.output).toBeUndefined()
  })

  it("tolerates statuses and formats the server may add later", () => {
    const info = decode(RunInformation)({
      ...information63,
      metadata: { ...metadata63, status_v2: "paused", format: { input: { type: "xlsx" }, output: { type: "parquet" } } }
    })
    expect(info.metadata.status_v2).toBe("paused")
    expect(info.metadata.isFinal).toBe(false)
    expect(info.metadata.outputType).toBe("parquet")
    expect(isTerminalStatus("paused")).toBe(false)
    expect(["succeeded", "failed", "canceled"].every(isTerminalStatus)).toBe(true)
    expect(["queued", "running", "none"].some(isTerminalStatus)).toBe(false)
  })

  it("decodes older metadata lacking the fields the newest model requires (§9.4), and nulls", () => {
    const info = decode(RunInformation)({
      id: "r-old",
      name: "old",
      description: "",
      user_email: "dev@example.com",
      metadata: {
        application_id: "a",
        application_instance_id: "devint",
        application_version_id: "",
        created_at: "2024-01-01T00:00:00Z",
        duration: 1,
        error: "",
        input_size: 1,
        output_size: 1,
        status: "succeeded",
        status_v2: "succeeded",
        experiment_id: null,
        metrics: null,
        some_future_field: { x: 1 }
      }
    })
    expect(info.metadata.execution_class).toBe("")
    expect(info.metadata.runtime).toBe("")
    expect(info.metadata.queuing_disabled).toBe(false)
    expect(info.metadata.queuing_priority).toBeUndefined()
    expect(info.metadata.run_type).toEqual({})
    // No format: JSON in and out.
    expect(info.metadata.outputType).toBe("json")
    expect(info.metadata.inputType).toBe("json")
    expect(info.metadata.experiment_id).toBeUndefined()
    expect(info.metadata.metrics).toBeUndefined()
  })

  it("accepts a format with only an input side (output is optional in the model, §5.4)", () => {
    const m = decode(Metadata)({ ...metadata63, format: { input: { type: "multi-file" } } })
    expect(m.inputType).toBe("multi-file")
    expect(m.outputType).toBe("json")
  })

  it("reads an empty or null run type as absent (§5.5), keeping the ids", () => {
    const decode = Schema.decodeUnknownSync(RunTypeConfiguration)
    expect(decode({ type: "", definition_id: "d" })).toEqual({ definition_id: "d" })
    expect(decode({ type: null })).toEqual({})
    expect(decode({ type: "ensemble" })).toEqual({ type: "ensemble" })
  })

  it("still requires status_v2, which polling reads", () => {
    const { status_v2: _, ...withoutStatus } = metadata63
    expect(Either.isLeft(Schema.decodeUnknownEither(Metadata)(withoutStatus))).toBe(true)
    expect(Either.isLeft(Schema.decodeUnknownEither(RunInformation)({ ...information63, id: undefined }))).toBe(true)
  })
})

describe("lists, logs, uploads and assets (§6.2, §6.6, §6.7)", () => {
  it("decodes the §6.7 run list; a missing list is empty", () => {
    const { runs } = decode(RunList)({
      runs: [{
        id: "r1",
        user_email: "dev@example.com",
        name: "",
        description: "",
        created_at: "2025-01-15T10:00:00Z",
        application_id: "routing-app",
        application_instance_id: "devint",
        application_version_id: "",
        run_type: { type: "standard" },
        execution_class: "<execution-class>",
        runtime: "<runtime>",
        status_v2: "succeeded"
      }]
    })
    expect(runs.map((r) => [r.id, r.status_v2, r.run_type.type])).toEqual([["r1", "succeeded", "standard"]])
    expect(decode(RunList)({}).runs).toEqual([])
  })

  it("decodes the §6.6 live logs page; status and hint default when absent", () => {
    const page = decode(LiveLogs)({
      items: [
        { timestamp: "2025-01-15T10:00:05Z", log: "starting solver" },
        { timestamp: "2025-01-15T10:00:06Z", log: "found first solution" }
      ],
      status_v2: "running",
      next_page_token: "opaque-token",
      next_available_in_seconds: 30
    })
    expect(page.items.map((i) => i.log)).toEqual(["starting solver", "found first solution"])
    expect(page.items[1]!.timestamp.epochMillis).toBe(Date.parse("2025-01-15T10:00:06Z"))
    expect(page.next_page_token).toBe("opaque-token")
    expect(page.next_available_in_seconds).toBe(30)
    const bare = decode(LiveLogs)({})
    expect(bare).toEqual({ items: [], status_v2: "none", next_available_in_seconds: 0 })
    expect(decode(LiveLogs)({ next_page_token: null }).next_page_token).toBeUndefined()
  })

  it("decodes final logs, upload URLs (§6.2) and the new-run response (§6.1)", () => {
    expect(decode(RunLog)({ log: "starting solver\nfound first solution\n" }).log).toBe("starting solver\nfound first solution\n")
    const up = decode(UploadUrl)({
      upload_id: "ae7dce00-0000-0000-0000-000000000000",
      upload_url: "https://storage.example.com/presigned/ae7dce00?X-Signature=..."
    })
    expect(up.upload_id).toBe("ae7dce00-0000-0000-0000-000000000000")
    expect(Either.isLeft(Schema.decodeUnknownEither(UploadUrl)({ upload_id: "x" }))).toBe(true)
    expect(decode(NewRunResponse)({ run_id: "latest-abc123xyz" }).run_id).toBe("latest-abc123xyz")
  })

  it("decodes the §6.7 asset list items and the asset download answer (type defaults to json)", () => {
    const { items } = decode(AssetList)({
      items: [{
        id: "b459daa6-1c13-48c6-b4c3-a262ea94cd04",
        name: "clustering_polygons",
        created_at: "2025-01-15T10:00:07Z",
        size: 2048,
        content_type: "json",
        visual: { schema: "geojson", label: "Clusters", type: "custom-tab" }
      }]
    })
    expect(items[0]!["name"]).toBe("clustering_polygons")
    expect(decode(AssetList)({}).items).toEqual([])
    expect(decode(AssetDownload)({ download_url: "https://x/y" })).toEqual({ download_url: "https://x/y", type: "json" })
    expect(decode(AssetDownload)({ download_url: "https://x/y", type: "png" }).type).toBe("png")
  })
})
