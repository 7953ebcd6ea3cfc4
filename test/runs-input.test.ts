/**
 * Unit tests of the pure run-input rules (src/internal/runInput.ts) against
 * ../shared/spec/client-and-runs.md §1.8 (size), §3.2 step 4 (upload decision), §3.3 (default
 * configuration), §3.2 step 5 (options) and §3.12 (directory packaging). Expected values are
 * worked out by hand from the spec, not from the implementation.
 */
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Tar from "tar"
import { afterAll } from "vitest"
import { InvalidArgumentError, NextmvDecodeError } from "../src/Errors.js"
import {
  defaultConfiguration,
  encodeOptions,
  extractArchive,
  inputSize,
  needsUpload,
  outputTypeFor,
  packageDirectory,
  requireDirectory
} from "../src/internal/runInput.js"
import { failureOf } from "./support/time.js"

const dirs: Array<string> = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "nextmv-runinput-test-"))
  dirs.push(dir)
  return dir
}

/** Entry names of a tar.gz file, in archive order. */
const entries = (archive: string): Array<string> => {
  const names: Array<string> = []
  Tar.t({ file: archive, sync: true, onReadEntry: (entry) => void names.push(entry.path) })
  return names
}

describe("inputSize (§1.8: compact JSON, ensure_ascii, UTF-8 bytes)", () => {
  it("counts the compact JSON of objects and arrays", () => {
    // {"a":1,"b":[1,2]} — no spaces after separators.
    expect(inputSize({ a: 1, b: [1, 2] })).toBe(17)
    expect(inputSize([])).toBe(2)
    expect(inputSize({})).toBe(2)
  })

  it("counts every non-ASCII UTF-16 unit of JSON as a 6-byte \\uXXXX escape", () => {
    // {"k":"é"} → {"k":"\u00e9"}: 7 ASCII bytes around it + 6.
    expect(inputSize({ k: "é" })).toBe(8 + 6)
    // An astral character is a surrogate pair: two escapes.
    expect(inputSize({ k: "😀" })).toBe(8 + 12)
  })

  it("counts a string's UTF-8 bytes, not its JSON", () => {
    expect(inputSize("abc")).toBe(3)
    expect(inputSize("é")).toBe(2)
    expect(inputSize("😀")).toBe(4)
  })

  it("is 0 without input", () => {
    expect(inputSize(undefined)).toBe(0)
    expect(inputSize(null)).toBe(0)
  })
})

describe("needsUpload (§3.2 step 4)", () => {
  const big = { d: "x".repeat(5_242_880 - 8) } // exactly 5,242,880 bytes of JSON
  const bigger = { d: "x".repeat(5_242_881 - 8) }

  it("uploads JSON strictly larger than 5,242,880 bytes", () => {
    expect(inputSize(big)).toBe(5_242_880)
    expect(needsUpload({ input: big, fromDirectory: false })).toBe(false)
    expect(needsUpload({ input: bigger, fromDirectory: false })).toBe(true)
  })

  it("always uploads text, non-JSON formats and directories", () => {
    expect(needsUpload({ input: "", fromDirectory: false })).toBe(true)
    expect(needsUpload({ input: "a,b", fromDirectory: false })).toBe(true)
    expect(needsUpload({ input: { a: 1 }, inputFormat: "csv-archive", fromDirectory: false })).toBe(true)
    expect(needsUpload({ input: { a: 1 }, inputFormat: "json", fromDirectory: false })).toBe(false)
    expect(needsUpload({ fromDirectory: true })).toBe(true)
  })

  it("never uploads when an upload id or a managed input id is given; empty ids count as absent", () => {
    expect(needsUpload({ input: "text", uploadId: "u-1", fromDirectory: false })).toBe(false)
    expect(needsUpload({ managedInputId: "m-1", fromDirectory: true })).toBe(false)
    expect(needsUpload({ input: "text", uploadId: "", fromDirectory: false })).toBe(true)
    expect(needsUpload({ input: "text", managedInputId: "", fromDirectory: false })).toBe(true)
  })

  it("sends small JSON and no input inline", () => {
    expect(needsUpload({ input: { a: 1 }, fromDirectory: false })).toBe(false)
    expect(needsUpload({ fromDirectory: false })).toBe(false)
  })
})

describe("default configuration (§3.3)", () => {
  const format = (input: string, output: string) => ({ format: { input: { type: input }, output: { type: output } } })

  it("derives the formats from the input", () => {
    expect(defaultConfiguration({ a: 1 }, undefined, false)).toEqual(format("json", "json"))
    expect(defaultConfiguration(undefined, undefined, false)).toEqual(format("json", "json"))
    expect(defaultConfiguration("text", undefined, false)).toEqual(format("text", "json"))
    expect(defaultConfiguration(undefined, undefined, true)).toEqual(format("multi-file", "multi-file"))
    expect(defaultConfiguration({ a: 1 }, "csv-archive", false)).toEqual(format("csv-archive", "csv-archive"))
  })

  it("output follows input: json→json, text→json, csv-archive and multi-file keep theirs, others → json", () => {
    expect(outputTypeFor("json")).toBe("json")
    expect(outputTypeFor("text")).toBe("json")
    expect(outputTypeFor("csv-archive")).toBe("csv-archive")
    expect(outputTypeFor("multi-file")).toBe("multi-file")
    expect(outputTypeFor("xlsx")).toBe("json")
  })
})

describe("encodeOptions (§3.2 step 5)", () => {
  const encode = (options: Record<string, unknown>) => encodeOptions("Runs.newRun", options)

  it.effect("keeps strings and JSON-encodes everything else compactly", () =>
    Effect.gen(function*() {
      expect(yield* encode({ s: "10s", n: 20, f: 1.5, b: false, z: null, o: { a: [1, "x"] } })).toEqual({
        s: "10s",
        n: "20",
        f: "1.5",
        b: "false",
        z: "null",
        o: "{\"a\":[1,\"x\"]}"
      })
    }))

  it.effect("leaves an already-JSON-looking string alone (no double encoding)", () =>
    Effect.gen(function*() {
      expect(yield* encode({ s: "\"quoted\"", t: "true" })).toEqual({ s: "\"quoted\"", t: "true" })
    }))

  it.effect("a value without a JSON form is an InvalidArgumentError naming the option, never dropped", () =>
    Effect.gen(function*() {
      const cyclic: Record<string, unknown> = {}
      cyclic["self"] = cyclic
      for (const [value, name] of [[undefined, "u"], [() => 1, "f"], [10n, "big"], [cyclic, "cycle"]] as const) {
        const error = yield* encode({ ok: "x", [name]: value }).pipe(failureOf)
        expect(error).toBeInstanceOf(InvalidArgumentError)
        expect(error.reason).toContain(`option "${name}" must be a JSON value`)
      }
    }))
})

describe("directories (§3.2 step 1, §3.12)", () => {
  it.effect("requireDirectory: missing path and non-directory fail with the spec's messages", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      writeFileSync(join(dir, "f.txt"), "x")
      const missing = yield* requireDirectory("Runs.newRun", join(dir, "nope")).pipe(failureOf)
      expect(missing).toBeInstanceOf(InvalidArgumentError)
      expect(missing.reason).toBe(`Directory ${join(dir, "nope")} does not exist.`)
      expect(missing.operation).toBe("Runs.newRun")
      const file = yield* requireDirectory("Runs.newRun", join(dir, "f.txt")).pipe(failureOf)
      expect(file.reason).toBe(`Path ${join(dir, "f.txt")} is not a directory.`)
      yield* requireDirectory("Runs.newRun", dir)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("packages regular files with relative names, no directory entries, inputs.tar.gz skipped", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      mkdirSync(join(dir, "sub", "deeper"), { recursive: true })
      mkdirSync(join(dir, "empty"))
      writeFileSync(join(dir, "b.csv"), "id\n1\n")
      writeFileSync(join(dir, "a.json"), "{}")
      writeFileSync(join(dir, "sub", "deeper", "c.txt"), "deep")
      writeFileSync(join(dir, "inputs.tar.gz"), "old archive")
      writeFileSync(join(dir, "sub", "inputs.tar.gz"), "old archive too")
      const { archive, names, bytes } = yield* Effect.scoped(
        Effect.map(packageDirectory(dir), (archive) => ({
          archive,
          names: entries(archive),
          bytes: readFileSync(archive)
        }))
      )
      // gzip magic number
      expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b])
      expect(names.sort()).toEqual(["a.json", "b.csv", "sub/deeper/c.txt"])
      // The archive lives in a scoped temp directory: gone once the scope closed.
      expect(() => statSync(archive)).toThrow()
      // and never inside the packaged directory.
      expect(readdirSync(dir).sort()).toEqual(["a.json", "b.csv", "empty", "inputs.tar.gz", "sub"])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("packageDirectory then extractArchive round-trips the files", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      mkdirSync(join(dir, "x"))
      writeFileSync(join(dir, "x", "data.bin"), Buffer.from([0, 255, 7]))
      writeFileSync(join(dir, "top.txt"), "top")
      const out = join(tempDir(), "not", "yet", "there")
      yield* Effect.scoped(Effect.flatMap(packageDirectory(dir), (archive) => extractArchive("test", archive, out)))
      expect([...readFileSync(join(out, "x", "data.bin"))]).toEqual([0, 255, 7])
      expect(readFileSync(join(out, "top.txt"), "utf8")).toBe("top")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("extractArchive: a file that is not a tar.gz is a NextmvDecodeError naming the operation", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const bogus = join(dir, "bogus.tar.gz")
      writeFileSync(bogus, "this is not an archive")
      const error = yield* extractArchive("GET https://example.invalid/out", bogus, join(dir, "out")).pipe(failureOf)
      expect(error).toBeInstanceOf(NextmvDecodeError)
      expect((error as NextmvDecodeError).operation).toBe("GET https://example.invalid/out")
    }).pipe(Effect.provide(NodeContext.layer)))
})
