/**
 * `NODE_OPTIONS=--expose-gc node scripts/bench.mjs bench/micro-decode.ts`: the response decode
 * alone, Schema's decoder (`ParseResult.decodeUnknownEither`, what the client ran before) against
 * the compiled one the client runs (`internal/compiledDecoder.ts`), on already parsed JSON. Prints
 * µs per decode (min / median / max of interleaved rounds) and the bytes each decode allocates
 * (heap growth over a batch between two full GCs; needs `--expose-gc`).
 */
import { Either, ParseResult, Schema } from "effect"
import { decoderOf } from "../src/internal/compiledDecoder.js"
import { listOf } from "../src/internal/pagination.js"
import { Application } from "../src/schemas/Applications.js"
import { Run, RunInformation } from "../src/schemas/Runs.js"
import { applicationJson } from "./application.js"

const N = Number(process.env["MICRO_N"] ?? 20000)
const ROUNDS = Number(process.env["MICRO_ROUNDS"] ?? 7)

const metadata = {
  id: "latest-abc123xyz",
  name: "nightly",
  description: "",
  user_email: "dev@example.com",
  metadata: {
    application_id: "routing-app",
    application_instance_id: "devint",
    application_version_id: "",
    created_at: "2025-01-15T10:00:00Z",
    initiated_at: "2025-01-15T10:00:02Z",
    duration: 5234.0,
    execution_duration: 4800.0,
    error: "",
    execution_class: "6c9500mb870s",
    format: { input: { type: "json" }, output: { type: "json" } },
    input_size: 1024.0,
    output_size: 2048.0,
    queuing_disabled: false,
    queuing_priority: 6,
    run_type: { type: "standard" },
    runtime: "default",
    status_v2: "succeeded",
    metrics: { "result.value": 1234.5 }
  }
}
const run = {
  id: "r1",
  user_email: "dev@example.com",
  name: "",
  description: "",
  created_at: "2025-01-15T10:00:00Z",
  application_id: "routing-app",
  application_instance_id: "devint",
  application_version_id: "",
  run_type: { type: "standard" },
  execution_class: "6c9500mb870s",
  runtime: "default",
  status_v2: "succeeded"
}

interface Case {
  readonly schema: Schema.Schema<unknown, unknown, never>
  readonly input: unknown
  readonly n: number
}
const cases: Record<string, Case> = {
  "Application (bench document)": { schema: Application as never, input: JSON.parse(applicationJson), n: N },
  "RunInformation (docs example)": { schema: RunInformation as never, input: metadata, n: N },
  "listOf(Run, \"runs\"), 20 runs": { schema: listOf(Run, "runs") as never, input: { runs: Array(20).fill(run) }, n: N / 20 }
}

const decoders = (schema: Schema.Schema<unknown, unknown, never>) => ({
  schema: ParseResult.decodeUnknownEither(schema, { onExcessProperty: "ignore" }),
  compiled: decoderOf(schema)
})

const cpuMicros = (f: () => void) => {
  const start = process.cpuUsage()
  f()
  const used = process.cpuUsage(start)
  return used.user + used.system
}

const gc = (globalThis as { gc?: () => void }).gc

/**
 * Bytes allocated per decode: heap growth over a batch of decodes small enough to run without a
 * scavenge (results kept, then dropped), median of 9 batches.
 */
const allocated = (decode: (input: unknown) => unknown, input: unknown, batch: number): number | undefined => {
  if (gc === undefined) return undefined
  const sizes: Array<number> = []
  for (let b = 0; b < 9; b++) {
    const kept: Array<unknown> = new Array(batch)
    gc()
    const before = process.memoryUsage().heapUsed
    for (let i = 0; i < batch; i++) kept[i] = decode(input)
    const after = process.memoryUsage().heapUsed
    sizes.push((after - before) / batch)
  }
  return sizes.sort((a, b) => a - b)[4]
}

const stats = (xs: Array<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return `${s[0]!.toFixed(2)} / ${s[Math.floor(s.length / 2)]!.toFixed(2)} / ${s[s.length - 1]!.toFixed(2)}`
}

console.log(`node ${process.version}, ${ROUNDS} rounds; µs per decode min / median / max; bytes per decode (retained results)`)
for (const [name, { input, n, schema }] of Object.entries(cases)) {
  const { compiled, schema: viaSchema } = decoders(schema)
  if (!Either.isRight(viaSchema(input)) || !Either.isRight(compiled(input))) throw new Error(`${name}: the input does not decode`)
  const times = { schema: [] as Array<number>, compiled: [] as Array<number> }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (["schema", "compiled"] as const) : (["compiled", "schema"] as const)
    for (const side of order) {
      const decode = side === "schema" ? viaSchema : compiled
      times[side].push(
        cpuMicros(() => {
          for (let i = 0; i < n; i++) decode(input)
        }) / n
      )
    }
  }
  const bytes = (decode: (input: unknown) => unknown) => {
    const b = allocated(decode, input, n === N ? 100 : 10)
    return b === undefined ? "(run with --expose-gc)" : `${Math.round(b)} B`
  }
  console.log(`${name}`)
  console.log(`  Schema:   ${stats(times.schema)} µs, ${bytes(viaSchema)}`)
  console.log(`  compiled: ${stats(times.compiled)} µs, ${bytes(compiled)}`)
}
