import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { afterAll } from "vitest"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NextmvConfigError } from "../src/Errors.js"
import { type ConfigOverrides, resolveConnection } from "../src/internal/config.js"
import * as Applications from "../src/services/Applications.js"
import * as NextmvClient from "../src/services/NextmvClient.js"
import { Emulator } from "../src/testing/Emulator.js"
import { emulatorLayer } from "./support/layers.js"
import { driven, failureOf } from "./support/time.js"

const homes: Array<string> = []
afterAll(() => homes.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

/** A fresh HOME, optionally with `~/.nextmv/config.yaml`; removed after the file's tests. */
const home = (configYaml?: string): string => {
  const dir = mkdtempSync(join(tmpdir(), "nextmv-home-"))
  homes.push(dir)
  if (configYaml !== undefined) {
    mkdirSync(join(dir, ".nextmv"))
    writeFileSync(join(dir, ".nextmv", "config.yaml"), configYaml)
  }
  return dir
}

const resolve = (env: Record<string, string>, overrides: ConfigOverrides = {}) =>
  resolveConnection(overrides).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.provide(NodeFileSystem.layer)
  )

const PROFILES = `
apikey: top-key
endpoint: api.top.example
staging:
  apikey: staging-key
  endpoint: api.staging.example
nokey:
  endpoint: api.nokey.example
noendpoint:
  apikey: k
sso:
  auth_type: pkce
  endpoint: api.sso.example
`

describe("config resolution (like nextmv-py)", () => {
  it.effect("NEXTMV_API_KEY and the default URL", () =>
    Effect.gen(function*() {
      const r = yield* resolve({ NEXTMV_API_KEY: "env-key", HOME: home() })
      expect(Redacted.value(r.apiKey)).toBe("env-key")
      expect(r.baseUrl).toBe("https://api.cloud.nextmv.io")
    }))

  it.effect("explicit options win over the environment", () =>
    Effect.gen(function*() {
      const r = yield* resolve(
        { NEXTMV_API_KEY: "env-key", NEXTMV_ENDPOINT: "env.example", HOME: home(PROFILES) },
        { apiKey: Redacted.make("explicit"), baseUrl: "http://localhost:9" }
      )
      expect(Redacted.value(r.apiKey)).toBe("explicit")
      expect(r.baseUrl).toBe("http://localhost:9")
    }))

  it.effect("NEXTMV_ENDPOINT gets https:// when it has no scheme", () =>
    Effect.gen(function*() {
      const r = yield* resolve({ NEXTMV_API_KEY: "k", NEXTMV_ENDPOINT: "api.eu.example", HOME: home() })
      expect(r.baseUrl).toBe("https://api.eu.example")
    }))

  it.effect("top-level apikey and endpoint of the config file", () =>
    Effect.gen(function*() {
      const r = yield* resolve({ HOME: home(PROFILES) })
      expect(Redacted.value(r.apiKey)).toBe("top-key")
      expect(r.baseUrl).toBe("https://api.top.example")
    }))

  it.effect("NEXTMV_PROFILE selects a named profile; it wins over the profile option", () =>
    Effect.gen(function*() {
      const r = yield* resolve({ NEXTMV_PROFILE: " staging ", HOME: home(PROFILES) }, { profile: "nokey" })
      expect(Redacted.value(r.apiKey)).toBe("staging-key")
      expect(r.baseUrl).toBe("https://api.staging.example")
      expect(r.profile).toBe("staging")
    }))

  it.effect("the profile named default is the top level", () =>
    Effect.gen(function*() {
      const r = yield* resolve({ HOME: home(PROFILES) }, { profile: "DEFAULT" })
      expect(Redacted.value(r.apiKey)).toBe("top-key")
    }))

  it.effect("an explicit config file path is honoured", () =>
    Effect.gen(function*() {
      const dir = home(PROFILES)
      const r = yield* resolve({ HOME: home() }, { configFile: join(dir, ".nextmv", "config.yaml"), profile: "staging" })
      expect(Redacted.value(r.apiKey)).toBe("staging-key")
    }))

  const failsWith = (env: Record<string, string>, overrides: ConfigOverrides, text: string) =>
    Effect.gen(function*() {
      const error = yield* resolve(env, overrides).pipe(failureOf)
      expect(error).toBeInstanceOf(NextmvConfigError)
      expect(error.message).toContain(text)
      return error
    })

  it.effect("no key anywhere: lists the ways to supply one", () =>
    Effect.gen(function*() {
      const error = yield* failsWith({ HOME: home() }, {}, "API key is missing")
      expect(error.message).toContain("NEXTMV_API_KEY")
      expect(error.message).toContain("NEXTMV_PROFILE")
      expect(error.message).toContain("apikey")
      expect(error.message).toContain("apiKey option")
    }))

  it.effect("a missing profile is an error", () =>
    failsWith({ NEXTMV_PROFILE: "prod", HOME: home(PROFILES) }, {}, `Profile "prod" not found`))
  it.effect("a profile without apikey is an error", () =>
    failsWith({ NEXTMV_PROFILE: "nokey", HOME: home(PROFILES) }, {}, `has no "apikey"`))
  it.effect("a profile without endpoint is an error", () =>
    failsWith({ NEXTMV_PROFILE: "noendpoint", HOME: home(PROFILES) }, {}, `has no "endpoint"`))
  it.effect("an active profile without a config file is an error", () =>
    failsWith({ NEXTMV_PROFILE: "staging", HOME: home() }, {}, "does not exist"))
  it.effect("PKCE profiles are refused with a clear error", () =>
    failsWith({ NEXTMV_PROFILE: "sso", HOME: home(PROFILES) }, {}, "auth_type: pkce"))
  it.effect("invalid YAML with an active profile is an error", () =>
    failsWith({ NEXTMV_PROFILE: "x", HOME: home("a: [b") }, {}, "not valid YAML"))

  it.effect("an env key still works with a PKCE profile (the key wins, as nextmv-py)", () =>
    Effect.gen(function*() {
      const r = yield* resolve({ NEXTMV_PROFILE: "sso", NEXTMV_API_KEY: "env", HOME: home(PROFILES) })
      expect(Redacted.value(r.apiKey)).toBe("env")
      expect(r.baseUrl).toBe("https://api.sso.example")
    }))
})

describe("NextmvClient.layerConfig end to end", () => {
  it.effect("reads the key from a profile and the endpoint from NEXTMV_ENDPOINT, then talks to the emulator", () =>
    driven(function*() {
      const emulator = yield* Emulator
      const dir = home(`dev:\n  apikey: ${Redacted.value(emulator.apiKey)}\n  endpoint: unused.example\n`)
      const live = Applications.layer.pipe(
        Layer.provide(NextmvClient.layerConfig({ retry: { retries: 0 } })),
        Layer.provide(Layer.merge(NodeHttpClient.layerUndici, NodeFileSystem.layer))
      )
      const apps = yield* Effect.provide(
        Effect.flatMap(Applications.Applications, (s) => s.listApplications()),
        live
      ).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(
          new Map([
            ["HOME", dir],
            ["NEXTMV_PROFILE", "dev"],
            ["NEXTMV_ENDPOINT", emulator.url]
          ])
        ))
      )
      expect(apps).toEqual([])
      const requests = yield* emulator.requests
      expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /v1/applications"])
    }).pipe(Effect.provide(emulatorLayer())))

  it.effect("fails to build without a key", () =>
    Effect.gen(function*() {
      const error = yield* Layer.build(NextmvClient.layerConfig()).pipe(
        Effect.scoped,
        Effect.provide(Layer.merge(NodeHttpClient.layerUndici, NodeFileSystem.layer)),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["HOME", home()]]))),
        failureOf
      )
      expect(error._tag).toBe("NextmvConfigError")
    }))
})
