/**
 * Issue 9 G: config errors never carry file contents, never print, and say what is wrong with
 * which file. "API key is missing" only when the file was read and held no key.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Cause, ConfigProvider, Effect, Exit, Logger, Redacted } from "effect"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, vi } from "vitest"
import { NextmvConfigError } from "../src/Errors.js"
import { resolveConnection } from "../src/internal/config.js"

const homes: Array<string> = []
afterAll(() => homes.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

const SECRET = "sk-SECRET-9f8e7d6c5b4a"

/** A HOME whose `.nextmv/config.yaml` holds `content` (a directory when `content` is `null`). */
const homeWith = (content: string | null) => {
  const dir = mkdtempSync(join(tmpdir(), "nextmv-config-errors-"))
  homes.push(dir)
  mkdirSync(join(dir, ".nextmv"))
  const file = join(dir, ".nextmv", "config.yaml")
  if (content === null) mkdirSync(file)
  else writeFileSync(file, content)
  return { home: dir, file }
}

/** Resolves with `env` and records everything written to stdout/stderr/console meanwhile. */
const resolveQuietly = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const printed: Array<string> = []
    const spies = [
      vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
        printed.push(String(chunk))
        return true
      }),
      vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
        printed.push(String(chunk))
        return true
      }),
      ...(["log", "warn", "error", "info", "debug"] as const).map((method) =>
        vi.spyOn(console, method).mockImplementation((...args: Array<unknown>) => {
          printed.push(args.map(String).join(" "))
        })
      )
    ]
    const exit = yield* resolveConnection().pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      Effect.provide(NodeFileSystem.layer),
      Effect.exit,
      Effect.ensuring(Effect.sync(() => spies.forEach((spy) => spy.mockRestore())))
    )
    return { exit, printed }
  })

/** Every way the error could be shown: message, JSON, the pretty cause, and what logError prints. */
const renderings = (error: NextmvConfigError) =>
  Effect.gen(function*() {
    const logged: Array<string> = []
    const logger = Logger.make(({ cause, message }) => {
      logged.push(String(message), Cause.pretty(cause))
    })
    yield* Effect.logError("config failed", error).pipe(
      Effect.provide(Logger.replace(Logger.defaultLogger, logger))
    )
    yield* Effect.logError(Cause.fail(error)).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
    return [error.message, String(error), JSON.stringify(error), Cause.pretty(Cause.fail(error)), ...logged]
  })

const failure = (exit: Exit.Exit<unknown, NextmvConfigError>) => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = Cause.failureOption(exit.cause)
  if (error._tag === "None") throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return error.value
}

describe("config errors never carry file contents", () => {
  const cases: ReadonlyArray<{
    readonly name: string
    readonly content: string | null
    readonly env?: Record<string, string>
    readonly expected: RegExp
  }> = [
    { name: "a tab-indented apikey line", content: `staging:\n\tapikey: ${SECRET}\n`, expected: /not valid YAML: tab as indent at line 2, column 1/ },
    { name: "the same with a profile", content: `staging:\n\tapikey: ${SECRET}\n`, env: { NEXTMV_PROFILE: "staging" }, expected: /not valid YAML: tab as indent at line 2/ },
    { name: "a !tag on the key line", content: `apikey: !secret ${SECRET}\n`, expected: /not valid YAML: tag resolve failed at line 1, column 9/ },
    { name: "an unterminated flow sequence", content: `apikey: [${SECRET}\n`, expected: /not valid YAML: .* at line \d+, column \d+/ },
    { name: "an alias without its anchor", content: `apikey: *${SECRET}\n`, expected: /not valid YAML: unresolvable content/ },
    { name: "a list at the top level", content: `- ${SECRET}\n`, expected: /must hold a YAML mapping/ },
    { name: "a non-string apikey", content: `apikey: [${SECRET}]\n`, expected: /"apikey" in .* must be a string/ },
    { name: "a non-mapping profile", content: `staging: ${SECRET}\n`, env: { NEXTMV_PROFILE: "staging" }, expected: /Profile "staging" in .* must be a YAML mapping/ },
    { name: "an unreadable file (a directory)", content: null, expected: /Cannot read the config file .* \(/ }
  ]

  for (const testCase of cases) {
    it.effect(`${testCase.name}: a NextmvConfigError naming the file, nothing printed, no content`, () =>
      Effect.gen(function*() {
        const { file, home } = homeWith(testCase.content)
        const { exit, printed } = yield* resolveQuietly({ HOME: home, ...testCase.env })
        const error = failure(exit)
        expect(error).toBeInstanceOf(NextmvConfigError)
        expect(error.reason).toContain(file)
        expect(error.reason).toMatch(testCase.expected)
        expect(error.reason).not.toContain("API key is missing")
        expect(error.cause).toBeUndefined()
        for (const shown of yield* renderings(error)) expect(shown).not.toContain(SECRET)
        expect(printed.join("")).toBe("")
      }))
  }

  it.effect("a file that was read and holds no key: API key is missing", () =>
    Effect.gen(function*() {
      const { file, home } = homeWith("endpoint: api.example.com\n")
      const { exit, printed } = yield* resolveQuietly({ HOME: home })
      const error = failure(exit)
      expect(error.reason).toContain("API key is missing")
      expect(error.reason).toContain(file)
      expect(error.reason).not.toContain("does not exist")
      expect(printed.join("")).toBe("")
    }))

  it.effect("no file at all: API key is missing, and the message says the file does not exist", () =>
    Effect.gen(function*() {
      const home = mkdtempSync(join(tmpdir(), "nextmv-config-errors-"))
      homes.push(home)
      const error = failure((yield* resolveQuietly({ HOME: home })).exit)
      expect(error.reason).toContain("API key is missing")
      expect(error.reason).toContain("does not exist")
    }))

  it.effect("a broken file is not read when the environment gives the key and the endpoint", () =>
    Effect.gen(function*() {
      const { home } = homeWith(`staging:\n\tapikey: ${SECRET}\n`)
      const { exit } = yield* resolveQuietly({ HOME: home, NEXTMV_API_KEY: "env-key", NEXTMV_ENDPOINT: "api.example.com" })
      if (Exit.isFailure(exit)) throw new Error(Cause.pretty(exit.cause))
      expect(Redacted.value(exit.value.apiKey)).toBe("env-key")
    }))
})
