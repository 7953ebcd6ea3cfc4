/**
 * Beyond Node, the config file: browser bundlers replace `internal/configFile.js` (what is read
 * from a config file that exists) with an empty module, through package.json's `"browser"` map,
 * as they do `yaml`. Here it is replaced the same way: a config file that exists then fails with
 * the same `NextmvConfigError` as without the YAML parser, and everything that needs no file
 * (explicit options, the environment, a file that does not exist) resolves as before.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, vi } from "vitest"
import { NextmvConfigError } from "../src/Errors.js"
import { resolveConnection } from "../src/internal/config.js"
import { failureOf } from "./support/time.js"

// An empty module, as esbuild's `"./dist/internal/configFile.js": false`; vitest's mocks throw on
// undeclared exports, so the one the loader looks at is declared, and undefined.
vi.mock("../src/internal/configFile.js", () => ({ fromConfigFile: undefined }))
// The suite's forks are not isolated (vitest.config.ts): the mock goes when this file ends.
afterAll(() => {
  vi.doUnmock("../src/internal/configFile.js")
  vi.resetModules()
})

const withEnv = (env: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("without the config-file module (a browser bundle)", () => {
  it("package.json maps the module out of browser bundles", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      readonly browser: Record<string, unknown>
    }
    expect(pkg.browser["./dist/internal/configFile.js"]).toBe(false)
  })

  it.effect("a config file that exists fails with a NextmvConfigError that names it", () =>
    Effect.gen(function*() {
      const home = mkdtempSync(join(tmpdir(), "nextmv-beyond-node-config-"))
      const configFile = join(home, "config.yaml")
      writeFileSync(configFile, "apikey: from-file\n")
      const error = yield* resolveConnection({ configFile }).pipe(withEnv({}), failureOf)
      expect(error).toBeInstanceOf(NextmvConfigError)
      expect((error as NextmvConfigError).reason).toBe(
        `Cannot read the config file ${configFile}: the YAML parser could not be loaded`
      )
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("the environment, explicit options and a missing file need no module", () =>
    Effect.gen(function*() {
      const home = mkdtempSync(join(tmpdir(), "nextmv-beyond-node-config-"))
      const fromEnv = yield* resolveConnection().pipe(withEnv({ NEXTMV_API_KEY: "env-key", HOME: home }))
      expect(Redacted.value(fromEnv.apiKey)).toBe("env-key")
      expect(fromEnv.baseUrl).toBe("https://api.cloud.nextmv.io")
      const explicit = yield* resolveConnection({ apiKey: Redacted.make("explicit"), baseUrl: "api.example.com" }).pipe(
        withEnv({ HOME: home })
      )
      expect(explicit.baseUrl).toBe("https://api.example.com")
      const missing = yield* resolveConnection().pipe(withEnv({ HOME: home }), failureOf)
      expect((missing as NextmvConfigError).reason).toContain("API key is missing")
      expect((missing as NextmvConfigError).reason).toContain("does not exist")
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})
