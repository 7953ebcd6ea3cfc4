/**
 * Run execution for the emulator: the pluggable decision models a run goes through ({@link Models},
 * chosen per instance or application by the runs area), and the code that turns a run's input bytes
 * into what a model sees and a model's outcome into the output bytes a run serves (JSON, text, or
 * a tar.gz of files for `multi-file` / `csv-archive`).
 */
import { randomUUID } from "node:crypto"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, relative, sep } from "node:path"
import * as Tar from "tar"

/** What a decision model sees. */
export interface ModelInput {
  readonly appId: string
  readonly runId: string
  readonly instanceId: string
  /** `json`, `text`, `multi-file`, `csv-archive`. */
  readonly inputFormat: string
  /** The JSON input (json format), or the text (text format). */
  readonly input: unknown
  /** The files of a `multi-file`/`csv-archive` input, by relative path. */
  readonly files: Readonly<Record<string, Buffer>>
  readonly options: Readonly<Record<string, string>>
}

/** An asset a model emits. */
export interface ModelAsset {
  readonly name: string
  /** JSON content (content type `json`) or bytes (any other content type). */
  readonly content: unknown
  readonly content_type?: string | undefined
  readonly description?: string | undefined
  readonly visual?: { readonly schema: string; readonly label: string; readonly type?: string } | undefined
}

/** What a decision model produces. */
export interface ModelOutcome {
  /** Default `succeeded`. */
  readonly status?: "succeeded" | "failed" | undefined
  /** JSON output (json format; also the content of `output.json` for archive formats without files). */
  readonly output?: unknown
  /** Text output (text format). */
  readonly text?: string | undefined
  /** Files of a `multi-file`/`csv-archive` output, by relative path. */
  readonly files?: Readonly<Record<string, string | Buffer>> | undefined
  readonly error?: string | undefined
  /** Log lines, spread evenly over the running time (live logs), joined for the final logs. */
  readonly logs?: ReadonlyArray<string> | undefined
  readonly assets?: ReadonlyArray<ModelAsset> | undefined
  readonly metrics?: Readonly<Record<string, unknown>> | undefined
  /** Running time; default the emulator's `runs.runningMillis`. */
  readonly durationMillis?: number | undefined
}

/** A decision model: input in, outcome out (synchronous and deterministic). */
export type DecisionModel = (input: ModelInput) => ModelOutcome

const statisticsFor = (input: ModelInput, durationMillis: number) => ({
  schema: "v1",
  run: { duration: durationMillis / 1000, iterations: 1 },
  result: { duration: durationMillis / 1000, value: valueOf(input.input) }
})

/** A number derived from the input, so different inputs give different objective values. */
const valueOf = (input: unknown): number =>
  typeof input === "object" && input !== null && "value" in input && typeof input.value === "number"
    ? input.value
    : JSON.stringify(input ?? null).length

/**
 * The default model: echoes the input as the solution and reports statistics and metrics
 * (`result.value` is the input's `value` field when numeric, else its JSON length).
 */
const echo: DecisionModel = (input) => {
  const statistics = statisticsFor(input, 0)
  return {
    output: input.inputFormat === "json" || input.inputFormat === "text"
      ? { solutions: [input.input ?? null], options: input.options, statistics }
      : undefined,
    files: input.inputFormat === "json" || input.inputFormat === "text" ? undefined : input.files,
    text: typeof input.input === "string" ? input.input : undefined,
    logs: [`echo model: run ${input.runId}`, `options: ${JSON.stringify(input.options)}`],
    metrics: { "result.value": statistics.result.value, "run.duration": 0 }
  }
}

/** Ready-made decision models. */
export const Models = {
  echo,
  /** Fails with `message`. */
  fail: (message: string): DecisionModel => () => ({ status: "failed", error: message, logs: [`error: ${message}`] }),
  /** Runs `model` but takes `millis` to do it. */
  sleep: (millis: number, model: DecisionModel = echo): DecisionModel => (input) => ({
    ...model(input),
    durationMillis: millis
  }),
  /** Runs `model` and writes these log lines. */
  logs: (lines: ReadonlyArray<string>, model: DecisionModel = echo): DecisionModel => (input) => ({
    ...model(input),
    logs: lines
  }),
  /** Runs `model` and emits these assets. */
  assets: (assets: ReadonlyArray<ModelAsset>, model: DecisionModel = echo): DecisionModel => (input) => ({
    ...model(input),
    assets
  }),
  /** Produces these output files (for `multi-file` / `csv-archive` output formats). */
  files: (files: Readonly<Record<string, string | Buffer>>): DecisionModel => () => ({ files, logs: ["wrote files"] }),
  /** Produces this JSON output (plus metrics read from it by the caller's choice). */
  output: (output: (input: ModelInput) => unknown, metrics?: (input: ModelInput) => Record<string, unknown>): DecisionModel => (input) => ({
    output: output(input),
    metrics: metrics?.(input)
  })
}

/** Builds a tar.gz of `files` (relative paths). */
export const tarGz = (files: Readonly<Record<string, string | Buffer>>): Buffer => {
  const dir = mkdtempSync(join(tmpdir(), "nextmv-emulator-out-"))
  try {
    const names = Object.keys(files).sort()
    for (const name of names) {
      mkdirSync(dirname(join(dir, name)), { recursive: true })
      writeFileSync(join(dir, name), files[name]!)
    }
    const archive = join(dir, "..", `${randomUUID()}.tar.gz`)
    Tar.c({ gzip: true, cwd: dir, file: archive, sync: true, portable: true }, names)
    const bytes = readFileSync(archive)
    rmSync(archive, { force: true })
    return bytes
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Reads a tar.gz into a map of relative path → bytes; `undefined` when it is not one. */
export const untarGz = (bytes: Buffer): Record<string, Buffer> | undefined => {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return undefined
  const dir = mkdtempSync(join(tmpdir(), "nextmv-emulator-in-"))
  try {
    const archive = join(dir, "in.tar.gz")
    writeFileSync(archive, bytes)
    const out = join(dir, "x")
    mkdirSync(out)
    Tar.x({ file: archive, cwd: out, sync: true, strict: true })
    const files: Record<string, Buffer> = {}
    const walk = (at: string) => {
      for (const name of readdirSync(at)) {
        const full = join(at, name)
        if (statSync(full).isDirectory()) walk(full)
        else files[relative(out, full).split(sep).join("/")] = readFileSync(full)
      }
    }
    walk(out)
    return files
  } catch {
    return undefined
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A run's input as a model sees it: the JSON value (json), the text (text), or the files (archives). */
export type DecodedInput = { readonly json: unknown; readonly files: Record<string, Buffer> }

/** Decodes input bytes per input format; a string is the reason they cannot be read. */
export const decodeInput = (bytes: Buffer, format: string): DecodedInput | string => {
  switch (format) {
    case "json":
      try {
        return { json: JSON.parse(bytes.toString("utf8")), files: {} }
      } catch {
        return "input is not valid JSON"
      }
    case "text":
      return { json: bytes.toString("utf8"), files: {} }
    default: {
      const files = untarGz(bytes)
      return files === undefined ? `${format} input must be a tar.gz archive` : { json: undefined, files }
    }
  }
}

/** What executing a model gave: its outcome and the output as served in the run's output format. */
export interface Execution {
  readonly outcome: ModelOutcome
  readonly failed: boolean
  readonly outputBytes: Buffer
  readonly outputJson: unknown
}

/** Runs `model` on `input` (a crash is a failed outcome) and encodes its output as `outputFormat`. */
export const execute = (model: DecisionModel, input: ModelInput, outputFormat: string): Execution => {
  let outcome: ModelOutcome
  try {
    outcome = model(input)
  } catch (error) {
    outcome = { status: "failed", error: `model crashed: ${(error as Error).message}` }
  }
  const failed = outcome.status === "failed"
  if (failed) return { outcome, failed, outputBytes: Buffer.alloc(0), outputJson: undefined }
  if (outputFormat === "json") {
    const outputJson = outcome.output ?? {}
    return { outcome, failed, outputBytes: Buffer.from(JSON.stringify(outputJson), "utf8"), outputJson }
  }
  if (outputFormat === "text") {
    return {
      outcome,
      failed,
      outputBytes: Buffer.from(outcome.text ?? JSON.stringify(outcome.output ?? ""), "utf8"),
      outputJson: undefined
    }
  }
  return {
    outcome,
    failed,
    outputBytes: tarGz(outcome.files ?? { "output.json": JSON.stringify(outcome.output ?? {}) }),
    outputJson: undefined
  }
}
