/**
 * Beyond Node: `tar` and `yaml` are loaded on first use (src/internal/lazy.ts). Here both are
 * replaced by empty modules, as browser bundlers do through package.json's `"browser"` map: the
 * main entry still loads, and the operations that need them fail with their own typed errors
 * instead of throwing. Also: `push` expands a leading `~` from `HOME` / `USERPROFILE` (Effect
 * `Config`, no `node:os`).
 */
import { NodeContext, NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { SystemError } from "@effect/platform/Error"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, vi } from "vitest"
import { InvalidArgumentError, NextmvConfigError, NextmvDecodeError } from "../src/Errors.js"
import { resolveConnection } from "../src/internal/config.js"
import { extractArchive, packageDirectory } from "../src/internal/runInput.js"
import * as Push from "../src/programs/Push.js"
import { servicesLayer } from "./support/layers.js"
import { failureOf } from "./support/time.js"

// An empty module, as esbuild's `"tar": false`; vitest's mocks throw on undeclared exports, so
// the ones our loaders look at are declared, and undefined.
vi.mock("tar", () => ({ c: undefined, x: undefined }))
vi.mock("yaml", () => ({ parse: undefined, parseDocument: undefined, stringify: undefined }))
// The suite's forks are not isolated (vitest.config.ts): the mocks would stay registered in this
// fork, and the modules first loaded by this file (the emulator imports tar) would keep them, for
// every file that runs after this one here. So both go when this file ends.
afterAll(() => {
  vi.doUnmock("tar")
  vi.doUnmock("yaml")
  vi.resetModules()
})

const withEnv = (env: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("without tar and yaml (a browser bundle)", () => {
  it("the main entry loads", async () => {
    const entry = await import("../src/index.js")
    expect(typeof entry.NextmvClient.layer).toBe("function")
    expect(typeof entry.Push.push).toBe("function")
  })

  it.effect("packaging a directory fails with a SystemError that says why", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "nextmv-beyond-node-"))
      writeFileSync(join(dir, "input.json"), "{}")
      const error = yield* Effect.scoped(packageDirectory(dir)).pipe(failureOf)
      expect(error).toBeInstanceOf(SystemError)
      expect(String((error as SystemError).cause)).toContain("need Node, Deno or Bun")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("unpacking a result fails with a NextmvDecodeError that says why", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "nextmv-beyond-node-"))
      const error = yield* extractArchive("GET https://example.invalid/output", join(dir, "a.tar.gz"), join(dir, "out")).pipe(
        failureOf
      )
      expect(error).toBeInstanceOf(NextmvDecodeError)
      expect((error as NextmvDecodeError).issue).toContain("cannot unpack the download")
      expect((error as NextmvDecodeError).issue).toContain("need Node, Deno or Bun")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("a config file that must be read fails with a NextmvConfigError; an API key from the environment needs none", () =>
    Effect.gen(function*() {
      const home = mkdtempSync(join(tmpdir(), "nextmv-beyond-node-"))
      writeFileSync(join(home, "config.yaml"), "apikey: from-file\n")
      const configFile = join(home, "config.yaml")
      const error = yield* resolveConnection({ configFile }).pipe(withEnv({}), failureOf)
      expect(error).toBeInstanceOf(NextmvConfigError)
      expect((error as NextmvConfigError).reason).toContain("the YAML parser could not be loaded")
      const resolved = yield* resolveConnection({ configFile }).pipe(
        withEnv({ NEXTMV_API_KEY: "env-key", NEXTMV_ENDPOINT: "api.example.com" })
      )
      expect(Redacted.value(resolved.apiKey)).toBe("env-key")
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("a manifest fails to parse with a ManifestError", () =>
    Effect.gen(function*() {
      const error = yield* Push.parseManifest("type: python\n", "app.yaml").pipe(failureOf)
      expect(error).toBeInstanceOf(Push.ManifestError)
      expect((error as Push.ManifestError).reason).toContain("cannot load the YAML parser")
    }))
})

describe("push: a leading ~ in appDir", () => {
  it.effect("is HOME (else USERPROFILE)", () =>
    Effect.gen(function*() {
      const home = mkdtempSync(join(tmpdir(), "nextmv-beyond-node-home-"))
      for (const env of [{ HOME: home }, { USERPROFILE: home }]) {
        // No app.yaml there: the error names the expanded path.
        const error = yield* Push.push("app-1", { appDir: "~/my-app" }).pipe(withEnv(env), failureOf)
        expect(error).toBeInstanceOf(Push.ManifestError)
        expect((error as Push.ManifestError).path).toBe(join(home, "my-app", "app.yaml"))
      }
    }).pipe(Effect.provide(servicesLayer())))

  it.effect("without HOME and USERPROFILE is an InvalidArgumentError, before any request", () =>
    Effect.gen(function*() {
      const error = yield* Push.push("app-1", { appDir: "~/my-app" }).pipe(withEnv({}), failureOf)
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect((error as InvalidArgumentError).reason).toContain("neither HOME nor USERPROFILE is set")
    }).pipe(Effect.provide(servicesLayer())))
})
