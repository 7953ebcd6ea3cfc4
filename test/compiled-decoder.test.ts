/**
 * The compiled response decoder (`src/internal/compiledDecoder.ts`) against Schema's own decoder,
 * `ParseResult.decodeUnknownEither(schema, { onExcessProperty: "ignore" })`, for every response
 * schema the SDK decodes: generated wire values (valid ones encoded from generated decoded values,
 * arbitrary ones of the encoded schema), with excess keys, deleted keys and wrong-typed values
 * mixed in. Both must succeed with the same value (same prototypes and classes, same keys in the
 * same order, `Object.is` leaves) or both fail with the same message. Also: the fast path is really
 * taken (valid inputs decode without falling back), and the list below is every schema passed to
 * `api.json` in the sources.
 */
import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, DateTime, Effect, Either, FastCheck as fc, Option, ParseResult, Schema, SchemaAST } from "effect"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { NodeHttpClient } from "@effect/platform-node"
import * as Undici from "@effect/platform-node/Undici"
import { buildsInstantsDirectly, compiledOnly, decoderOf, isBuiltDirectly, isCompiled } from "../src/internal/compiledDecoder.js"
import { fastTargets } from "../src/internal/fastBase.js"
import { nullableField, registerNullable } from "../src/internal/nullableFields.js"
import { fastTransportOf } from "../src/internal/transport.js"
import { NodeTransport } from "../src/node/index.js"
import { listOf } from "../src/internal/pagination.js"
import { Account, Integration, IntegrationList, Queue } from "../src/schemas/Account.js"
import { Application } from "../src/schemas/Applications.js"
import { DateTimeUtc } from "../src/schemas/Common.js"
import { EnsembleDefinition } from "../src/schemas/Ensembles.js"
import {
  AcceptanceTest,
  BatchExperiment,
  BatchExperimentInformation,
  BatchExperimentMetadata,
  BatchExperimentRuns,
  NewBatchExperimentResponse
} from "../src/schemas/Experiments.js"
import { InputSet } from "../src/schemas/InputSets.js"
import { Instance } from "../src/schemas/Instances.js"
import { ManagedInput } from "../src/schemas/ManagedInputs.js"
import {
  ShadowTest,
  ShadowTestList,
  ShadowTestMetadata,
  SwitchbackTest,
  SwitchbackTestList,
  SwitchbackTestMetadata,
  TestRuns
} from "../src/schemas/OnlineTests.js"
import {
  AssetDownload,
  AssetList,
  DownloadUrl,
  LiveLogs,
  NewRunResponse,
  Run,
  RunInformation,
  RunLog,
  RunResult,
  UploadUrl
} from "../src/schemas/Runs.js"
import { SecretsCollection, SecretsCollectionSummary } from "../src/schemas/Secrets.js"
import { Version } from "../src/schemas/Versions.js"
import { decodeJsonText } from "../src/services/NextmvClient.js"

type AnySchema = Schema.Schema<unknown, unknown, never>
const any = <A, I>(schema: Schema.Schema<A, I, never>) => schema as unknown as AnySchema

/** The page schema `paginate` decodes: the encoded side of `listOf`. */
const pageOf = <A, I>(item: Schema.Schema<A, I, never>, itemsKey?: "runs") => {
  const list = listOf(item, itemsKey)
  if (!SchemaAST.isTransformation(list.ast)) throw new Error("listOf is not a transformation")
  return Schema.make<unknown, unknown, never>(list.ast.from)
}

/** Every schema passed to `api.json` (keyed by its source text) or to `paginate`. */
const responseSchemas: Record<string, AnySchema> = {
  "AcceptanceTest": any(AcceptanceTest),
  "listOf(AcceptanceTest)": any(listOf(AcceptanceTest)),
  "Account": any(Account),
  "Queue": any(Queue),
  "Application": any(Application),
  "listOf(Application)": any(listOf(Application)),
  "BatchExperiment": any(BatchExperiment),
  "BatchExperimentRuns": any(BatchExperimentRuns),
  "BatchExperimentMetadata": any(BatchExperimentMetadata),
  "listOf(BatchExperimentMetadata)": any(listOf(BatchExperimentMetadata)),
  "BatchExperimentInformation": any(BatchExperimentInformation),
  "NewBatchExperimentResponse": any(NewBatchExperimentResponse),
  "EnsembleDefinition": any(EnsembleDefinition),
  "listOf(EnsembleDefinition)": any(listOf(EnsembleDefinition)),
  "InputSet": any(InputSet),
  "listOf(InputSet)": any(listOf(InputSet)),
  "Instance": any(Instance),
  "listOf(Instance)": any(listOf(Instance)),
  "Integration": any(Integration),
  "IntegrationList": any(IntegrationList),
  "ManagedInput": any(ManagedInput),
  "listOf(ManagedInput)": any(listOf(ManagedInput)),
  "NewRunResponse": any(NewRunResponse),
  "RunInformation": any(RunInformation),
  "Schema.Unknown": any(Schema.Unknown),
  "RunResult": any(RunResult),
  "DownloadUrl": any(DownloadUrl),
  "RunLog": any(RunLog),
  "LiveLogs": any(LiveLogs),
  "listOf(Run, \"runs\")": any(listOf(Run, "runs")),
  "AssetList": any(AssetList),
  "AssetDownload": any(AssetDownload),
  "listOf(SecretsCollectionSummary)": any(listOf(SecretsCollectionSummary)),
  "SecretsCollectionSummary": any(SecretsCollectionSummary),
  "ShadowTest": any(ShadowTest),
  "TestRuns": any(TestRuns),
  "ShadowTestMetadata": any(ShadowTestMetadata),
  "ShadowTestList": any(ShadowTestList),
  "SwitchbackTest": any(SwitchbackTest),
  "SwitchbackTestMetadata": any(SwitchbackTestMetadata),
  "SwitchbackTestList": any(SwitchbackTestList),
  "UploadUrl": any(UploadUrl),
  "Version": any(Version),
  "listOf(Version)": any(listOf(Version)),
  // `paginate(api, path, Item, …)` decodes each page with the page schema of `Item`.
  "page(EnsembleDefinition)": pageOf(EnsembleDefinition),
  "page(SecretsCollectionSummary)": pageOf(SecretsCollectionSummary),
  "page(Run, \"runs\")": pageOf(Run, "runs"),
  // Decoded with Schema.decodeUnknown after `api.json(request, Schema.Unknown)` (Secrets.ts).
  "SecretsCollection": any(SecretsCollection)
}

/** The last argument of each `api.json(` call and the item of each `paginate(` call in the shipped sources. */
const schemasInSources = (): Set<string> => {
  const files = (dir: string): Array<string> =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : []
    })
  const args = (text: string, open: number): Array<string> => {
    const out: Array<string> = []
    let depth = 0
    let start = open + 1
    for (let i = open; i < text.length; i++) {
      const c = text[i]
      if (c === "(" || c === "[" || c === "{") depth++
      else if (c === ")" || c === "]" || c === "}") {
        depth--
        if (depth === 0) return [...out, text.slice(start, i).trim()]
      } else if (c === "," && depth === 1) {
        out.push(text.slice(start, i).trim())
        start = i + 1
      }
    }
    return out
  }
  const found = new Set<string>()
  for (const file of [...files("src/services"), ...files("src/programs"), ...files("src/internal")]) {
    const text = readFileSync(file, "utf8")
    const code = (index: number) => !/^\s*\*/.test(text.slice(text.lastIndexOf("\n", index) + 1, index))
    for (const m of text.matchAll(/\bapi\.json\(/g)) {
      if (code(m.index)) found.add(args(text, m.index + m[0].length - 1).at(-1) ?? "")
    }
    for (const m of text.matchAll(/\bpaginate(?:All)?\(api, /g)) {
      if (!code(m.index)) continue
      const [, , item, options] = args(text, m.index + m[0].indexOf("("))
      found.add(`page(${item}${options?.includes("itemsKey: \"runs\"") ? ", \"runs\"" : ""})`)
    }
  }
  // `paginate` passes its page schema on, `paginateAll` its item.
  found.delete("schema")
  found.delete("page(item)")
  return found
}

const OPTIONS = { onExcessProperty: "ignore" } as const

/** The first difference between two decoded values (prototypes, own keys and their order, leaves), or `undefined`. */
const difference = (a: unknown, b: unknown, path = "$"): string | undefined => {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) {
    return Object.is(a, b) ? undefined : `${path}: ${String(a)} !== ${String(b)}`
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: different prototypes`
  const keysA = Reflect.ownKeys(a)
  const keysB = Reflect.ownKeys(b)
  if (keysA.join("\u0000") !== keysB.join("\u0000")) return `${path}: keys [${keysA.map(String)}] vs [${keysB.map(String)}]`
  for (const key of keysA) {
    const d = difference(Reflect.get(a, key), Reflect.get(b, key), `${path}.${String(key)}`)
    if (d !== undefined) return d
  }
  return undefined
}

/** Compiled and Schema agree on `input`: the same value, or both fail with the same message. */
const agree = (schema: AnySchema, input: unknown): "ok" | "failed" => {
  const expected = ParseResult.decodeUnknownEither(schema, OPTIONS)(input)
  const actual = decoderOf(schema)(input)
  if (Either.isRight(expected)) {
    if (Either.isLeft(actual)) {
      throw new Error(`compiled failed where Schema succeeded: ${ParseResult.TreeFormatter.formatIssueSync(actual.left)}`)
    }
    const d = difference(actual.right, expected.right)
    if (d !== undefined) throw new Error(`compiled and Schema differ at ${d}`)
    return "ok"
  }
  if (Either.isRight(actual)) {
    throw new Error(`compiled succeeded where Schema failed: ${ParseResult.TreeFormatter.formatIssueSync(expected.left)}`)
  }
  expect(ParseResult.TreeFormatter.formatIssueSync(actual.left)).toBe(ParseResult.TreeFormatter.formatIssueSync(expected.left))
  return "failed"
}

/** A copy of plain objects and arrays (other values shared), so mutations never touch a generated value. */
const copy = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(copy)
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)]))
  }
  return value
}

const containers = (value: unknown, out: Array<Record<string, unknown> | Array<unknown>> = []) => {
  if (Array.isArray(value)) {
    out.push(value)
    value.forEach((v) => containers(v, out))
  } else if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>
    out.push(record)
    Object.values(record).forEach((v) => containers(v, out))
  }
  return out
}

interface Mutation {
  readonly at: number
  readonly kind: "add" | "set" | "delete"
  readonly key: string
  readonly value: unknown
}

/** Excess keys, deleted keys and replaced (often wrong-typed) values at generated places. */
const mutate = (value: unknown, mutations: ReadonlyArray<Mutation>): unknown => {
  let root = copy(value)
  for (const m of mutations) {
    const nodes = containers(root)
    // A fresh copy each time: generated constants are shared between runs and must not become cyclic.
    const value = copy(m.value)
    const node = nodes[m.at % nodes.length]
    if (node === undefined) {
      root = value
    } else if (Array.isArray(node)) {
      if (m.kind === "delete") node.pop()
      else node[node.length === 0 ? 0 : m.at % node.length] = value
    } else {
      const keys = Object.keys(node)
      const existing = keys[m.at % keys.length] ?? m.key
      if (m.kind === "add") node[m.key] = value
      else if (m.kind === "set") node[existing] = value
      else delete node[existing]
    }
  }
  return root
}

const wrongValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, 0, -1.5, "", "x", "2025-13-45T99:00:00Z", true, false, [], {}, [null], { id: 1 })
)
const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom("add" as const, "set" as const, "delete" as const),
  key: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("id", "items", "runs", "created_at", "status_v2", "__proto__")),
  value: wrongValue
})

/** JSON as it comes off the wire (keeps the value when it has no JSON form, e.g. a BigInt). */
const throughJson = (value: unknown): unknown => {
  try {
    const text = JSON.stringify(value)
    return text === undefined ? value : JSON.parse(text)
  } catch {
    return value
  }
}

/** Wire values of `schema`: encoded from generated decoded values (valid), or generated from the encoded schema. */
const wireValues = (schema: AnySchema) => {
  const encode = ParseResult.encodeUnknownEither(schema)
  const valid = Arbitrary.make(Schema.typeSchema(schema)).map((value) => Either.getOrElse(encode(value), () => value))
  return fc.oneof(valid, Arbitrary.make(Schema.encodedSchema(schema)))
}

// `COMPILED_DECODER_RUNS=2000` for a longer search.
const RUNS = Number(process.env["COMPILED_DECODER_RUNS"] ?? 150)

describe("compiled response decoder", () => {
  it("covers every schema the services and programs decode", () => {
    expect([...schemasInSources()].sort()).toEqual(
      Object.keys(responseSchemas).filter((name) => name !== "SecretsCollection").sort()
    )
  })

  it("compiles every response schema (none falls back to Schema as a whole)", () => {
    const notCompiled = Object.entries(responseSchemas).filter(([, schema]) => !isCompiled(schema)).map(([name]) => name)
    expect(notCompiled).toEqual([])
  })

  it("builds a list schema once per item schema and items key (so its decoder compiles once)", () => {
    expect(listOf(Application)).toBe(listOf(Application))
    expect(listOf(Run, "runs")).toBe(listOf(Run, "runs"))
    expect(listOf(Run, "runs")).not.toBe(listOf(Run))
  })

  describe.each(Object.entries(responseSchemas))("%s", (_, schema) => {
    it("agrees with Schema on generated wire values, excess keys and wrong-typed values", () => {
      const outcomes = { ok: 0, failed: 0 }
      fc.assert(
        fc.property(
          wireValues(schema),
          fc.boolean(),
          fc.array(mutation, { maxLength: 3 }),
          (value, json, mutations) => {
            const wire = json ? throughJson(value) : value
            outcomes[agree(schema, wire)]++
            outcomes[agree(schema, mutate(wire, mutations))]++
          }
        ),
        { numRuns: RUNS }
      )
      // Both outcomes are exercised (a schema that accepts anything never fails).
      expect(outcomes.ok).toBeGreaterThan(0)
      if (schema !== responseSchemas["Schema.Unknown"]) expect(outcomes.failed).toBeGreaterThan(0)
    })

    it("decodes valid wire values on the compiled path (no fallback)", () => {
      const fast = compiledOnly(schema)
      expect(fast).toBeDefined()
      const encode = ParseResult.encodeUnknownEither(schema)
      fc.assert(
        fc.property(Arbitrary.make(Schema.typeSchema(schema)), fc.boolean(), (value, json) => {
          const encoded = encode(value)
          if (Either.isLeft(encoded)) return
          const wire = json ? throughJson(encoded.right) : encoded.right
          const expected = ParseResult.decodeUnknownEither(schema, OPTIONS)(wire)
          if (Either.isLeft(expected)) return
          const actual = fast?.(wire)
          if (actual === undefined || Option.isNone(actual)) throw new Error("the compiled decoder fell back on a valid value")
          expect(difference(actual.value, expected.right)).toBeUndefined()
        }),
        { numRuns: RUNS }
      )
    })
  })
})

/** The `Schema.Class`es the SDK's schema modules export. */
const schemaClasses = async (): Promise<Array<[string, AnySchema]>> => {
  const out: Array<[string, AnySchema]> = []
  for (const file of readdirSync("src/schemas").filter((name) => name.endsWith(".ts")).sort()) {
    const module = (await import(`../src/schemas/${file.replace(/\.ts$/, ".js")}`)) as Record<string, unknown>
    for (const [name, value] of Object.entries(module)) {
      if (!Schema.isSchema(value) || !("fields" in value)) continue
      const ast = value.ast
      if (SchemaAST.isTransformation(ast) && SchemaAST.isDeclaration(ast.to)) out.push([`${file}: ${name}`, value as unknown as AnySchema])
    }
  }
  return out
}

describe("compiled response decoder, Schema.Class instances", () => {
  it("builds the instances of every class of the SDK it compiles without running its constructor", async () => {
    // (`Manifest` is read from YAML, with a renamed key, and is not compiled.)
    const classes = (await schemaClasses()).filter(([, schema]) => isCompiled(schema))
    expect(classes.length).toBeGreaterThan(20)
    expect(classes.filter(([, schema]) => !isBuiltDirectly(schema)).map(([name]) => name)).toEqual([])
  })

  // Classes whose constructor does more than Schema's: decoded by calling it, with Schema's result.
  class OwnField extends Schema.Class<OwnField>("OwnField")({ a: Schema.String }) {
    readonly seen = true
  }
  class OwnConstructor extends Schema.Class<OwnConstructor>("OwnConstructor")({ a: Schema.String }) {
    constructor(props: { readonly a: string }, options?: boolean) {
      super({ a: props.a.toUpperCase() }, options)
    }
  }
  class Tagged extends Schema.TaggedClass<Tagged>()("Tagged", { a: Schema.String }) {}
  // Schema's constructor exactly: built directly.
  class WithDefaults extends Schema.Class<WithDefaults>("WithDefaults")({
    a: Schema.optionalWith(Schema.String, { nullable: true, default: () => "a" }),
    // Constructor defaults of optional keys: the decoded props may lack them.
    b: Schema.optional(Schema.String).pipe(Schema.withConstructorDefault(() => "b")),
    c: Schema.optionalWith(Schema.Number, { nullable: true }),
    d: Schema.optional(Schema.Array(Schema.String)).pipe(Schema.withConstructorDefault(() => []))
  }) {
    get ab(): string {
      return this.a + this.b
    }
  }
  class Extended extends WithDefaults.extend<Extended>("Extended")({ e: Schema.optional(Schema.Boolean) }) {}

  it.each(
    [
      ["an instance field", OwnField, false],
      ["a constructor of its own", OwnConstructor, false],
      ["a tagged class", Tagged, false],
      ["constructor defaults and getters", WithDefaults, true],
      ["an extended class", Extended, true]
    ] as const
  )("a class with %s: built directly only when the constructor is Schema's, always Schema's value", (_, schema, direct) => {
    const any = schema as unknown as AnySchema
    expect(isBuiltDirectly(any)).toBe(direct)
    const inputs: Array<unknown> = [
      { a: "x", b: "y", c: 1, d: ["z"], e: true, _tag: "Tagged" },
      { a: null, c: null, _tag: "Tagged" },
      { _tag: "Tagged", b: "y", a: "x", extra: 1 },
      {}
    ]
    for (const input of inputs) agree(any, input)
    fc.assert(fc.property(wireValues(any), (value) => void agree(any, value)), { numRuns: RUNS })
  })

  it("fills constructor defaults after the given keys, in field order, as the constructor does", () => {
    const decoded = Either.getOrThrow(decoderOf(WithDefaults)({ c: 2 }))
    expect(Object.keys(decoded)).toEqual(["a", "c", "b", "d"])
    expect(decoded).toBeInstanceOf(WithDefaults)
    expect(decoded.ab).toBe("ab")
    expect(Either.getOrThrow(decoderOf(OwnConstructor)({ a: "x" })).a).toBe("X")
  })
})

describe("compiled response decoder, nullable optional fields", () => {
  it("knows the SDK's optionalNullable and withDefault fields (decoded without Option values)", () => {
    const registered = (field: Schema.PropertySignature.All) =>
      field.ast._tag === "PropertySignatureTransformation" && nullableField(field.ast.decode) !== undefined
    expect(registered(Application.fields.name)).toBe(true)
    expect(registered(Application.fields.locked)).toBe(true)
    expect(registered(Schema.optionalWith(Schema.String, { nullable: true }))).toBe(false)
  })

  it("trusts a registered field only when its decode does what optionalWith documents", () => {
    // Registered with a default its decode does not have: decoded through its Options, as Schema does.
    const field = registerNullable(Schema.optionalWith(Schema.String, { nullable: true }), () => "x")
    const Mislabelled = Schema.Struct({ a: field })
    for (const input of [{}, { a: null }, { a: "a" }]) agree(any(Mislabelled), input)
    expect(Either.getOrThrow(decoderOf(Mislabelled)({ a: null }))).toEqual({})
  })

  it("decodes them as Schema does: absent or null → absent or the default, a value → the value", () => {
    for (const input of [{ id: "a" }, { id: "a", name: null, locked: null }, { id: "a", name: "n", locked: true }]) {
      agree(any(Application), input)
    }
    const decoded = Either.getOrThrow(decoderOf(Application)({ id: "a", name: null, locked: null }))
    expect(Object.keys(decoded)).toEqual(["id", "locked"])
    expect(decoded.locked).toBe(false)
  })
})

describe("compiled response decoder, instants", () => {
  it("builds the same DateTime.Utc as Effect, with its hidden cache slot, itself", () => {
    expect(buildsInstantsDirectly()).toBe(true)
    for (const wire of ["2026-01-01T00:00:00Z", "1999-12-28T23:59:59.999Z", "0100-01-01T00:00:00Z"]) {
      const decoded = Either.getOrThrow(decoderOf(DateTimeUtc)(wire))
      const effects = DateTime.unsafeFromDate(new Date(wire))
      expect(Object.getPrototypeOf(decoded)).toBe(Object.getPrototypeOf(effects))
      expect(Reflect.ownKeys(decoded)).toEqual(Reflect.ownKeys(effects))
      for (const key of Reflect.ownKeys(effects)) {
        expect(Object.getOwnPropertyDescriptor(decoded, key)).toEqual(Object.getOwnPropertyDescriptor(effects, key))
      }
      expect(DateTime.Equivalence(decoded, effects)).toBe(true)
      // The cache slot fills as Effect's does, and stays hidden.
      expect(DateTime.getPartUtc(decoded, "year")).toBe(DateTime.getPartUtc(effects, "year"))
      expect(Object.keys(decoded)).toEqual(Object.keys(effects))
      expect(DateTime.formatIso(decoded)).toBe(DateTime.formatIso(effects))
    }
  })
})

describe("compiled response decoder, examples from the API docs", () => {
  const decode = <A, I>(schema: Schema.Schema<A, I, never>, input: unknown): A => {
    agree(any(schema), input)
    // The examples decode on the compiled path, without falling back to Schema.
    const fast = compiledOnly(schema)?.(input)
    expect(fast !== undefined && Option.isSome(fast)).toBe(true)
    return Either.getOrThrow(decoderOf(schema)(input))
  }

  it("an application, with nulls, an alias and excess keys", () => {
    const app = decode(Application, {
      id: "routing-app",
      name: "Routing App",
      description: "",
      type: "custom",
      default_instance: null,
      default_instance_id: "devint",
      locked: null,
      created_at: "2025-01-01T00:00:00Z",
      updated_at: "2025-01-10T00:00:00",
      owner: { id: "o" }
    })
    expect(app).toBeInstanceOf(Application)
    expect(Object.keys(app)).toEqual(["id", "name", "description", "type", "default_instance_id", "locked", "created_at", "updated_at"])
    expect(app.locked).toBe(false)
    expect(app.defaultInstanceId).toBe("devint")
    expect(DateTime.isDateTime(app.updated_at) && DateTime.isUtc(app.updated_at)).toBe(true)
    expect(app.updated_at && DateTime.formatIso(app.updated_at)).toBe("2025-01-10T00:00:00.000Z")
  })

  it("run metadata, a run result with output and the runs list", () => {
    const metadata = {
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
    const info = decode(RunInformation, {
      id: "latest-abc123xyz",
      name: "nightly",
      description: "",
      user_email: "dev@example.com",
      metadata
    })
    expect(info.metadata.isFinal).toBe(true)
    expect(info.console_url).toBe("")
    const result = decode(RunResult, {
      id: "latest-abc123xyz",
      metadata: { ...metadata, status_v2: "a-new-status", run_type: { type: "" } },
      output: { solutions: [{ vehicles: [] }], statistics: { schema: "v1" } }
    })
    expect(result.metadata.status_v2).toBe("a-new-status")
    expect(result.metadata.run_type).toEqual({})
    expect(result.output).toEqual({ solutions: [{ vehicles: [] }], statistics: { schema: "v1" } })
    const runs = decode(listOf(Run, "runs"), {
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
        execution_class: "6c9500mb870s",
        runtime: "default",
        status_v2: "succeeded"
      }]
    })
    expect(runs).toHaveLength(1)
    expect(runs[0]).toBeInstanceOf(Run)
  })

  it("live logs, assets and a bare `null` list", () => {
    const logs = decode(LiveLogs, {
      items: [
        { timestamp: "2025-01-15T10:00:05Z", log: "starting solver" },
        { timestamp: "2025-01-15T10:00:06Z", log: "found first solution" }
      ],
      status_v2: "running",
      next_page_token: "opaque-token",
      next_available_in_seconds: 30
    })
    expect(logs.items.map((item) => item.log)).toEqual(["starting solver", "found first solution"])
    const assets = decode(AssetList, {
      items: [{
        id: "b459daa6-1c13-48c6-b4c3-a262ea94cd04",
        name: "clustering_polygons",
        created_at: "2025-01-15T10:00:07Z",
        size: 2048,
        content_type: "json",
        visual: { schema: "geojson", label: "Clusters", type: "custom-tab" }
      }]
    })
    expect(assets.items).toHaveLength(1)
    expect(decode(listOf(Application), null)).toEqual([])
    expect(decode(listOf(Application), { items: null })).toEqual([])
  })

  it("an instance, a version and an ensemble definition (resources docs examples)", () => {
    const instance = decode(Instance, {
      id: "prod-routing",
      application_id: "pizza-delivery",
      version_id: "version-k3j9x2ab",
      name: "Production routing",
      description: "Instance used for production runs",
      configuration: {
        execution_class: "6c9500mb870s",
        options: { "solve.duration": "10s" },
        secrets_collection_id: "secrets-7fh2kq9d",
        queuing: { priority: 3, disabled: false }
      },
      locked: false,
      created_at: "2025-03-10T14:25:07.412Z",
      updated_at: "2025-03-11T09:01:44.870Z"
    })
    expect(instance).toBeInstanceOf(Instance)
    expect(instance.configuration?.queuing).toEqual({ priority: 3, disabled: false })
    expect(instance.created_at && DateTime.toEpochMillis(instance.created_at)).toBe(Date.UTC(2025, 2, 10, 14, 25, 7, 412))
    const version = decode(Version, {
      id: "version-k3j9x2ab-20250310-142201",
      application_id: "pizza-delivery",
      name: "Version version-k3j9x2ab-20250310-142201",
      description: "Version created automatically from push at 2025-03-10T14:22:01Z",
      executable: {
        id: "0b6e8f0e-3c51-4b0e-9d7a-2f1c0a9e4d11",
        user_email: "dev@example.com",
        uploaded_at: "2025-03-10T14:21:58.003Z",
        requirements: { executable_type: "python", runtime: "ghcr.io/nextmv-io/runtime/python:3.11" }
      },
      created_at: "2025-03-10T14:22:01.950Z",
      updated_at: "2025-03-10T14:22:01.950Z"
    })
    expect(version).toBeInstanceOf(Version)
    const ensembles = decode(listOf(EnsembleDefinition), {
      items: [{
        id: "ensemble-p0q8w3zc",
        application_id: "pizza-delivery",
        name: "Solver sweep",
        description: "Two solver settings, best objective wins",
        run_groups: [
          { id: "fast", instance_id: "prod-routing", options: { "solve.duration": "5s" }, repetitions: 2 },
          { id: "thorough", instance_id: "prod-routing", options: { "solve.duration": "30s" } }
        ],
        rules: [
          {
            id: "objective",
            statistics_path: "$.result.value",
            objective: "minimize",
            tolerance: { value: 0.05, type: "relative" },
            index: 0
          },
          { id: "runtime", statistics_path: "$.run.duration", objective: "minimize", tolerance: { value: 0, type: "absolute" }, index: 1 }
        ],
        created_at: "2025-03-12T08:00:00Z",
        updated_at: "2025-03-12T08:00:00Z"
      }],
      next_page_token: "more"
    })
    expect(ensembles).toHaveLength(1)
    expect(ensembles[0]).toBeInstanceOf(EnsembleDefinition)
  })

  it.effect("a document that does not fit fails with Schema's message", () =>
    Effect.gen(function*() {
      const body = JSON.stringify({ id: "a", name: 7, created_at: "not a date" })
      const expected = ParseResult.decodeUnknownEither(Application, OPTIONS)(JSON.parse(body))
      if (Either.isRight(expected)) throw new Error("expected a failure")
      const error = yield* Effect.flip(decodeJsonText("GET /v1/applications/a", Application, body))
      expect(error._tag).toBe("NextmvDecodeError")
      expect(error.issue).toBe(ParseResult.TreeFormatter.formatIssueSync(expected.left))
      expect(error.issue).toContain("name")
    }))
})

describe("instants (the SDK's DateTimeUtc) on the compiled path", () => {
  const Instant = Schema.Struct({ at: DateTimeUtc })
  const schemaDecode = ParseResult.decodeUnknownEither(Instant, OPTIONS)
  const agreeOn = (at: unknown) => {
    const input = { at }
    const expected = schemaDecode(input)
    const actual = decoderOf(Instant)(input)
    expect(Either.isRight(actual), String(at)).toBe(Either.isRight(expected))
    if (Either.isRight(actual) && Either.isRight(expected)) {
      expect(Object.getPrototypeOf(actual.right.at)).toBe(Object.getPrototypeOf(expected.right.at))
      expect(DateTime.isUtc(actual.right.at)).toBe(true)
      expect(DateTime.toEpochMillis(actual.right.at), String(at)).toBe(DateTime.toEpochMillis(expected.right.at))
    } else if (Either.isLeft(actual) && Either.isLeft(expected)) {
      expect(ParseResult.TreeFormatter.formatIssueSync(actual.left)).toBe(ParseResult.TreeFormatter.formatIssueSync(expected.left))
    }
  }
  // Instants from year 100 to 9999, as the API writes them (with and without milliseconds).
  const millis = fc.integer({ min: Date.UTC(100, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) })
  const apiForm = fc.tuple(millis, fc.boolean()).map(([ms, withMillis]) => {
    const iso = new Date(ms).toISOString()
    return withMillis ? iso : `${iso.slice(0, 19)}Z`
  })

  it("builds the API's form from its digits, with the instant Schema gives", () => {
    fc.assert(fc.property(apiForm, agreeOn), { numRuns: 2000 })
    // Read without parsing: the compiled path decodes them (no fallback to Schema).
    expect(Option.isSome(compiledOnly(Instant)!({ at: "2026-01-02T03:04:05Z" }))).toBe(true)
  })

  it("agrees with Schema on near misses (other digits, days 29 to 31, hour 24, leap seconds, early years, zones)", () => {
    for (
      const at of [
        "2026-02-29T00:00:00Z",
        "2024-02-29T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-04-31T12:00:00.500Z",
        "2026-01-01T24:00:00Z",
        "2026-01-01T23:59:60Z",
        "2026-13-01T00:00:00Z",
        "2026-00-10T00:00:00Z",
        "2026-01-00T00:00:00Z",
        "0099-01-01T00:00:00Z",
        "0000-01-01T00:00:00.000Z",
        "2026-01-01T00:00:00.12Z",
        "2026-01-01T00:00:00.1234Z",
        "2026-01-01T00:00:00+02:00",
        "2026-01-01T00:00:00",
        "2026-01-01 00:00:00Z",
        "2026-0a-01T00:00:00Z",
        "2026-01-01T00:00:0/Z",
        "2026-01-01T00:00:00.12:Z",
        "2026-01-01T00:00:00,123Z"
      ]
    ) agreeOn(at)
    // One character of the API's form replaced by any other.
    const mutated = fc.tuple(apiForm, fc.nat(), fc.char()).map(([s, i, c]) => s.slice(0, i % s.length) + c + s.slice(i % s.length + 1))
    fc.assert(fc.property(mutated, agreeOn), { numRuns: 2000 })
  })
})

describe("which transports decode with the compiled decoder", () => {
  it("NodeTransport brings it (and its plain-path targets); browsers and the platform's clients keep Schema's", async () => {
    const agent = new Undici.Agent()
    try {
      const fast = fastTransportOf(NodeTransport.make(agent))
      expect(fast?.decoderOf).toBe(decoderOf)
      expect(fast?.target).toBe(fastTargets)
      expect(fastTransportOf(NodeHttpClient.makeUndici(agent))).toBeUndefined()
    } finally {
      await agent.close()
    }
  })
})
