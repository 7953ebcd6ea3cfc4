import { FileSystem, Path } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { fileURLToPath } from "node:url"
import * as YAML from "yaml"
import { InvalidArgumentError } from "../src/Errors.js"
import * as Push from "../src/programs/Push.js"
import * as RunPrograms from "../src/programs/Runs.js"
import { Manifest } from "../src/schemas/Manifest.js"
import * as Applications from "../src/services/Applications.js"
import * as Instances from "../src/services/Instances.js"
import { Emulator, FaultAction } from "../src/testing/Emulator.js"
import { servicesLayer } from "./support/layers.js"
import { driven, failureOf } from "./support/time.js"

const APP = "pizza-delivery"
const FIXTURE = fileURLToPath(new URL("./fixtures/push-app", import.meta.url))

/** The pushed file set the fixture's manifest selects (plus the serialised app.yaml). */
const EXPECTED_FILES = [
  "app.yaml",
  "build/out.txt",
  "data/input.json",
  "main.py",
  "prepush.txt",
  "src/helper.py",
  "src/nested/deep.json"
]

/** A fresh copy of the fixture app (the build and pre-push commands write into it). */
const fixtureCopy = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "nextmv-push-test-" })
  const appDir = path.join(dir, "push-app")
  yield* fs.copy(FIXTURE, appDir)
  return appDir
})

/** Writes `app.yaml` of `appDir` with `patch` applied to the fixture's manifest. */
const patchManifest = (appDir: string, patch: (manifest: Record<string, unknown>) => void) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const manifest = YAML.parse(yield* fs.readFileString(`${FIXTURE}/app.yaml`)) as Record<string, unknown>
    patch(manifest)
    yield* fs.writeFileString(`${appDir}/app.yaml`, YAML.stringify(manifest))
  })

const setup = Effect.gen(function*() {
  const emulator = yield* Emulator
  emulator.areas.applications.seed({ id: APP })
  yield* emulator.clearRequests
  return emulator
})

const captureLogs = () => {
  const lines: Array<string> = []
  const layer = Logger.replace(Logger.defaultLogger, Logger.make((options) => void lines.push(Logger.logfmtLogger.log(options))))
  return { lines, layer }
}

describe("push end to end", () => {
  it.effect("builds, selects, bundles, uploads, activates, then creates a version and an instance that runs it", () =>
    driven(function*() {
      const emulator = yield* setup
      const appDir = yield* fixtureCopy
      const logs = captureLogs()
      const result = yield* Push.push(APP, {
        appDir,
        autoCreate: true,
        versionId: "v1",
        instanceId: "prod",
        updateDefaultInstance: true
      }).pipe(Effect.provide(logs.layer))

      // Files: manifest rules (order of `!`, trailing `/`, `**`, dot-files), build and pre-push outputs.
      expect(result.files).toEqual(EXPECTED_FILES)
      const executable = emulator.areas.binary.current(APP)!
      expect(executable.files).toEqual(EXPECTED_FILES)
      for (
        const absent of [
          "src/settings.local",
          "data/private/key.pem",
          "data/.hidden.json",
          ".env",
          "notes.md",
          "src/nested/skip.py",
          "build.mjs"
        ]
      ) {
        expect(executable.files).not.toContain(absent)
      }
      expect(executable.contents["build/out.txt"]!.toString()).toBe("fixture 7 generated\n")
      expect(executable.contents["prepush.txt"]!.toString()).toBe("pre-push ran in push-app\n")
      // app.yaml in the bundle is the serialised manifest: canonical keys, no comments.
      const bundledManifest = YAML.parse(executable.contents["app.yaml"]!.toString())
      expect(bundledManifest["pre-push"]).toContain("pre-push ran")
      expect(bundledManifest).not.toHaveProperty("pre_push")
      expect(bundledManifest.configuration.options.items[0].option_type).toBe("string")
      expect(executable.contents["app.yaml"]!.toString()).not.toContain("# Fixture")

      // Wire contract (spec §7.5, §7.6).
      const requests = yield* emulator.requests
      const at = /^Version created automatically from push at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/
      expect(requests.map((r) => `${r.method} ${r.path.replace(/\/_presigned\/upload\/.*/, "/_presigned/upload/…")}`)).toEqual([
        `GET /v1/applications/${APP}/binary`,
        "PUT /_presigned/upload/…",
        `PUT /v1/applications/${APP}/binary`,
        `POST /v1/applications/${APP}/versions`,
        `POST /v1/applications/${APP}/instances`,
        `GET /v1/applications/${APP}`,
        `PUT /v1/applications/${APP}`
      ])
      const upload = requests[1]!
      expect(upload.headers["content-type"]).toBe("application/octet-stream")
      expect(upload.headers["authorization"]).toBeUndefined()
      expect(upload.size).toBe(result.bundleBytes)
      expect([upload.body[0], upload.body[1]]).toEqual([0x1f, 0x8b])
      expect(requests[2]!.json).toEqual({
        requirements: {
          executable_type: "python",
          runtime: "ghcr.io/nextmv-io/runtime/python:3.11",
          io_configuration: { format: "json" },
          options: {
            strict: false,
            items: [{
              name: "solve.duration",
              option_type: "string",
              default: "10s",
              description: "Maximum solve time",
              required: false
            }]
          }
        }
      })
      const versionBody = requests[3]!.json as Record<string, unknown>
      expect(Object.keys(versionBody).sort()).toEqual(["description", "id", "name"])
      expect(versionBody["id"]).toBe("v1")
      expect(versionBody["name"]).toBe("v1")
      expect(versionBody["description"]).toMatch(at)
      const instanceBody = requests[4]!.json as Record<string, unknown>
      expect(instanceBody).toMatchObject({ id: "prod", name: "prod", version_id: "v1" })
      expect(instanceBody["description"]).toMatch(/^Instance created automatically from push at /)
      expect((requests[6]!.json as Record<string, unknown>)["default_instance"]).toBe("prod")

      expect(result.version?.executable.id).toBe(executable.id)
      expect(result.instance?.version_id).toBe("v1")
      expect((yield* (yield* Applications.Applications).getApplication(APP)).defaultInstanceId).toBe("prod")
      expect((yield* (yield* Instances.Instances).instance(APP, "prod")).version_id).toBe("v1")

      // Progress is logged step by step.
      const log = logs.lines.join("\n")
      for (
        const step of [
          "running build command",
          "running pre-push command",
          "packaging 6 files",
          "bundle 7 files",
          "uploading",
          "activating",
          "created version v1",
          "created instance prod",
          "default instance"
        ]
      ) {
        expect(log).toContain(step)
      }

      // A run on the new instance (and on the app's default instance) executes the pushed bundle.
      const onProd = yield* RunPrograms.newRunWithResult(APP, { input: { value: 3 }, instanceId: "prod" })
      expect(onProd.output).toMatchObject({ executable_id: executable.id, solutions: [{ value: 3 }] })
      const onDefault = yield* RunPrograms.newRunWithResult(APP, { input: { value: 4 } })
      expect(onDefault.output).toMatchObject({ executable_id: executable.id })
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))

  it.effect("without autoCreate it only pushes; a second push changes what devint runs, not the version", () =>
    driven(function*() {
      const emulator = yield* setup
      const appDir = yield* fixtureCopy
      yield* Push.push(APP, { appDir, autoCreate: true, versionId: "v1", instanceId: "prod" })
      const first = emulator.areas.binary.current(APP)!
      yield* emulator.clearRequests
      const fs = yield* FileSystem.FileSystem
      yield* fs.writeFileString(`${appDir}/main.py`, "print('second push')\n")
      const second = yield* Push.push(APP, { appDir })
      expect(second.version).toBeUndefined()
      expect((yield* emulator.requests).map((r) => r.method)).toEqual(["GET", "PUT", "PUT"])
      const latest = emulator.areas.binary.current(APP)!
      expect(latest.id).not.toBe(first.id)
      expect(latest.contents["main.py"]!.toString()).toBe("print('second push')\n")
      const onProd = yield* RunPrograms.newRunWithResult(APP, { input: { value: 1 }, instanceId: "prod" })
      expect(onProd.output).toMatchObject({ executable_id: first.id })
      const onDevint = yield* RunPrograms.newRunWithResult(APP, { input: { value: 1 }, instanceId: "devint" })
      expect(onDevint.output).toMatchObject({ executable_id: latest.id })
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))

  it.effect("a manifest given as a value replaces app.yaml; a retried upload re-sends the whole bundle", () =>
    driven(function*() {
      const emulator = yield* setup
      const appDir = yield* fixtureCopy
      const manifest = yield* Push.parseManifest("type: python\nfiles: [main.py, 'data/*.json']\n")
      yield* emulator.injectFault({ method: "PUT", path: "/_presigned/upload/:token", action: FaultAction.status(503) })
      const result = yield* Push.push(APP, { appDir, manifest })
      expect(result.files).toEqual(["app.yaml", "data/input.json", "main.py"])
      const uploads = (yield* emulator.requests).filter((r) => r.path.startsWith("/_presigned/upload/"))
      expect(uploads.map((r) => r.size)).toEqual([result.bundleBytes, result.bundleBytes])
      expect(emulator.areas.binary.current(APP)!.files).toEqual(result.files)
      // No build command in this manifest: the fixture's build output is not there.
      expect(yield* (yield* FileSystem.FileSystem).exists(`${appDir}/build`)).toBe(false)
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))

  it.effect("generated version and instance ids, names defaulting to the ids", () =>
    driven(function*() {
      yield* setup
      const appDir = yield* fixtureCopy
      const result = yield* Push.push(APP, { appDir, autoCreate: true })
      expect(result.version?.id).toMatch(/^version-[a-z0-9]{8}$/)
      expect(result.version?.name).toBe(result.version?.id)
      expect(result.instance?.id).toMatch(/^instance-[a-z0-9]{8}$/)
      expect(result.instance?.name).toBe(result.instance?.id)
      expect(result.instance?.version_id).toBe(result.version?.id)
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))
})

describe("push failures are typed and happen before any request", () => {
  it.effect("a missing mandatory file", () =>
    driven(function*() {
      const emulator = yield* setup
      const appDir = yield* fixtureCopy
      yield* patchManifest(appDir, (m) => void (m["type"] = "go"))
      const error = yield* Push.push(APP, { appDir }).pipe(failureOf)
      expect(error).toBeInstanceOf(Push.PushFilesError)
      expect((error as Push.PushFilesError).kind).toBe("mandatory")
      expect(error.message).toBe("missing mandatory files: main")
      yield* patchManifest(appDir, (m) => void (m["execution"] = { entrypoint: "./bin//run.py" }))
      const entry = yield* Push.push(APP, { appDir }).pipe(failureOf)
      expect(entry.message).toBe("missing mandatory files: bin/run.py")
      expect(yield* emulator.requests).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))

  it.effect("a pattern that matches nothing (checked after the mandatory files)", () =>
    driven(function*() {
      const emulator = yield* setup
      const appDir = yield* fixtureCopy
      yield* patchManifest(appDir, (m) => void (m["files"] = [...(m["files"] as Array<string>), "missing_file.py", "nothing/**"]))
      const error = yield* Push.push(APP, { appDir }).pipe(failureOf)
      expect(error).toBeInstanceOf(Push.PushFilesError)
      expect(error.message).toBe("could not find files listed in manifest: missing_file.py, nothing/**")
      yield* patchManifest(appDir, (m) => void (m["files"] = ["missing_file.py"]))
      const both = yield* Push.push(APP, { appDir }).pipe(failureOf)
      expect((both as Push.PushFilesError).kind).toBe("mandatory")
      expect(yield* emulator.requests).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))

  it.effect("a failing build command, and one whose program does not exist", () =>
    driven(function*() {
      const emulator = yield* setup
      const appDir = yield* fixtureCopy
      yield* patchManifest(appDir, (m) => void (m["build"] = { command: "node -e process.stderr.write('compile-failed');process.exit(3)" }))
      const error = yield* Push.push(APP, { appDir }).pipe(failureOf)
      expect(error).toBeInstanceOf(Push.PushCommandError)
      const failed = error as Push.PushCommandError
      expect([failed.step, failed.reason, failed.exitCode, failed.stderr]).toEqual(["build", "exit", 3, "compile-failed"])
      expect(failed.message).toContain("error running build command")
      yield* patchManifest(appDir, (m) => void (m["build"] = { command: "no-such-build-tool-xyz --all" }))
      const missing = (yield* Push.push(APP, { appDir }).pipe(failureOf)) as Push.PushCommandError
      expect([missing._tag, missing.step, missing.reason]).toEqual(["PushCommandError", "build", "not-found"])
      expect(yield* emulator.requests).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))

  it.effect("a failing pre-push command runs through a shell and fails typed", () =>
    driven(function*() {
      const emulator = yield* setup
      const appDir = yield* fixtureCopy
      yield* patchManifest(appDir, (m) => void (m["pre_push"] = "echo broken >&2 && exit 4"))
      const error = (yield* Push.push(APP, { appDir }).pipe(failureOf)) as Push.PushCommandError
      expect([error._tag, error.step, error.exitCode, error.stderr]).toEqual(["PushCommandError", "pre-push", 4, "broken"])
      expect(yield* emulator.requests).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))

  it.effect("manifest problems: no app.yaml, no files, invalid YAML, unknown type", () =>
    driven(function*() {
      const emulator = yield* setup
      const appDir = yield* fixtureCopy
      const fs = yield* FileSystem.FileSystem
      yield* fs.remove(`${appDir}/app.yaml`)
      const missing = yield* Push.push(APP, { appDir }).pipe(failureOf)
      expect(missing).toBeInstanceOf(Push.ManifestError)
      expect(missing.message).toContain("file not found")
      for (const text of ["type: python\nfiles: []\n", "files: [main.py\n", "type: rust\nfiles: [main.py]\n"]) {
        yield* fs.writeFileString(`${appDir}/app.yaml`, text)
        expect(yield* Push.push(APP, { appDir }).pipe(failureOf)).toBeInstanceOf(Push.ManifestError)
      }
      expect(yield* emulator.requests).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))

  it.effect("version and instance options need autoCreate; the app id must be given", () =>
    driven(function*() {
      const emulator = yield* setup
      const error = yield* Push.push(APP, { versionId: "v1", updateDefaultInstance: true }).pipe(failureOf)
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect(error.message).toBe("Push.push: versionId, updateDefaultInstance need autoCreate: true")
      expect(yield* Push.push("").pipe(failureOf)).toBeInstanceOf(InvalidArgumentError)
      expect(yield* emulator.requests).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))

  it.effect("a version id that is taken fails with 409 after the push", () =>
    driven(function*() {
      yield* setup
      const appDir = yield* fixtureCopy
      yield* Push.push(APP, { appDir, autoCreate: true, versionId: "v1", instanceId: "a" })
      const error = yield* Push.push(APP, { appDir, autoCreate: true, versionId: "v1", instanceId: "b" }).pipe(failureOf)
      expect(error._tag).toBe("NextmvHttpError")
      expect((error as { status?: number }).status).toBe(409)
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))
})

describe("python dependency bundling", () => {
  /** A stand-in `uv` that records its arguments and writes what uv would. */
  const fakeUv = Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "nextmv-fake-uv-" })
    const script = `${dir}/uv`
    yield* fs.writeFileString(
      script,
      [
        "#!/bin/sh",
        `echo "$@" >> "${dir}/calls.log"`,
        "if [ \"$2\" = compile ]; then echo 'numpy==2.0.0'; cat \"$3\" > \"" + dir + "/compiled-from.txt\"; exit 0; fi",
        "while [ $# -gt 0 ]; do if [ \"$1\" = --target ]; then mkdir -p \"$2\" && echo wheel > \"$2/numpy.txt\"; fi; shift; done",
        ""
      ].join("\n")
    )
    yield* fs.chmod(script, 0o755)
    return { script, dir }
  })

  it.effect("an inline list is written to requirements.txt, locked and installed into .nextmv/python/deps", () =>
    driven(function*() {
      const emulator = yield* setup
      const appDir = yield* fixtureCopy
      const uv = yield* fakeUv
      yield* patchManifest(appDir, (m) => void (m["python"] = { pip_requirements: ["numpy>=2"], arch: "amd64", version: 3.12 }))
      const result = yield* Push.push(APP, { appDir, uv: uv.script })
      expect(result.files).toEqual(
        [...EXPECTED_FILES, ".nextmv/python/deps/numpy.txt", "requirements.lock", "requirements.txt"].sort()
      )
      const fs = yield* FileSystem.FileSystem
      const calls = (yield* fs.readFileString(`${uv.dir}/calls.log`)).trim().split("\n")
      expect(calls[0]).toMatch(
        /^pip compile \S+\/requirements\.txt --quiet --python-platform=x86_64-unknown-linux-gnu --python-version=3\.12$/
      )
      expect(calls[1]).toMatch(
        /^pip install -r requirements\.lock --only-binary=:all: --target \S+\/\.nextmv\/python\/deps --quiet --python-platform=x86_64-unknown-linux-gnu --python-version=3\.12$/
      )
      expect(yield* fs.readFileString(`${uv.dir}/compiled-from.txt`)).toBe("numpy>=2\n")
      const bundle = emulator.areas.binary.current(APP)!
      expect(bundle.contents["requirements.lock"]!.toString()).toBe("numpy==2.0.0\n")
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))

  it.effect("a .toml requirements file is resolved by uv as pyproject.toml and shipped with the lock", () =>
    driven(function*() {
      yield* setup
      const appDir = yield* fixtureCopy
      const uv = yield* fakeUv
      const fs = yield* FileSystem.FileSystem
      const toml = "[project]\nname = \"fixture\"\ndependencies = [\"highspy>=1.7\"]\n"
      yield* fs.writeFileString(`${appDir}/deps.toml`, toml)
      yield* patchManifest(appDir, (m) => void (m["python"] = { "pip-requirements": "deps.toml" }))
      const result = yield* Push.push(APP, { appDir, uv: uv.script })
      expect(result.files).toContain("pyproject.toml")
      expect(result.files).toContain("requirements.lock")
      const calls = (yield* fs.readFileString(`${uv.dir}/calls.log`)).trim().split("\n")
      expect(calls[0]).toMatch(
        /^pip compile \S+\/pyproject\.toml --quiet --python-platform=aarch64-unknown-linux-gnu --python-version=3\.11$/
      )
      expect(yield* fs.readFileString(`${uv.dir}/compiled-from.txt`)).toBe(toml)
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))

  it.effect("a missing installer, a missing requirements file and an old Python version fail typed", () =>
    driven(function*() {
      const emulator = yield* setup
      const appDir = yield* fixtureCopy
      yield* patchManifest(appDir, (m) => void (m["python"] = { "pip-requirements": "requirements.txt" }))
      const noFile = yield* Push.push(APP, { appDir }).pipe(failureOf)
      expect(noFile.message).toBe(`pip requirements file 'requirements.txt' not found in '${appDir}'`)
      const fs = yield* FileSystem.FileSystem
      yield* fs.writeFileString(`${appDir}/requirements.txt`, "numpy\n")
      const noUv = (yield* Push.push(APP, { appDir, uv: `${appDir}/no-such-uv` }).pipe(failureOf)) as Push.PushCommandError
      expect([noUv._tag, noUv.step, noUv.reason]).toEqual(["PushCommandError", "python-dependencies", "not-found"])
      expect(noUv.message).toContain("install uv")
      yield* patchManifest(appDir, (m) => void (m["python"] = { "pip-requirements": "requirements.txt", version: "3.9" }))
      const old = yield* Push.push(APP, { appDir }).pipe(failureOf)
      expect(old.message).toContain("python version 3.10 or higher is required for bundling, got 3.9")
      expect(yield* emulator.requests).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))
})

describe("manifest, file selection and activation body (pure)", () => {
  it("globs follow Python's recursive glob", () => {
    const cases: Array<[string, string, boolean]> = [
      ["*.py", "main.py", true],
      ["*.py", "src/a.py", false],
      ["**/*.py", "main.py", true],
      ["**/*.py", "src/a/b.py", true],
      ["**/*.py", ".venv/a.py", false],
      ["*", ".env", false],
      [".env", ".env", true],
      ["src/*", "src/a/b", false],
      ["src/**", "src/a/b", true],
      ["[!ab].txt", "c.txt", true],
      ["[!ab].txt", "a.txt", false],
      ["a?c", "abc", true],
      ["data/file (1).txt", "data/file (1).txt", true]
    ]
    for (const [glob, path, expected] of cases) expect([glob, path, Push.globToRegExp(glob).test(path)]).toEqual([glob, path, expected])
  })

  it("exclusions apply to what was selected before them; later patterns add back", () => {
    const entries = [
      { path: "a", isFile: false },
      { path: "a/x.py", isFile: true },
      { path: "a/y.py", isFile: true },
      { path: "main.py", isFile: true }
    ]
    expect(Push.selectEntries(entries, ["**/*.py", "!a/*", "a/y.py"])).toEqual({ files: ["a/y.py", "main.py"], missing: [] })
    expect(Push.selectEntries(entries, ["!main.py", "main.py", "a/", "zz"])).toEqual({
      files: ["a/x.py", "a/y.py", "main.py"],
      missing: ["zz"]
    })
  })

  it.effect("aliases decode; multi-file I/O, format templates, entrypoint and cwd reach the activation body", () =>
    Effect.gen(function*() {
      const manifest = yield* Push.parseManifest([
        "type: java",
        "runtime: ghcr.io/nextmv-io/runtime/java:latest",
        "files: [main.jar]",
        "execution: { entrypoint: main.jar, cwd: app }",
        "configuration:",
        "  content:",
        "    format: multi-file",
        "    multi_file:",
        "      input: { path: inputs }",
        "      output: { statistics: out/stats.json, solutions: out/sol, assets: '' }",
        "  options:",
        "    strict: true",
        "    validation: { enforce: all }",
        "    format: ['-{{name}}={{value}}']",
        ""
      ].join("\n"))
      expect(manifest).toBeInstanceOf(Manifest)
      expect(Push.mandatoryFiles(manifest)).toEqual(["main.jar"])
      expect(Push.activationRequest(manifest)).toEqual({
        requirements: {
          executable_type: "java",
          runtime: "ghcr.io/nextmv-io/runtime/java:latest",
          io_configuration: {
            format: "multi-file",
            multi_file: {
              input_path: "inputs",
              output_configuration: { statistics_path: "out/stats.json", solutions_path: "out/sol" }
            }
          },
          options: { strict: true, validation: { enforce: "all" }, format: { template: ["-{{name}}={{value}}"] } },
          entrypoint: "main.jar",
          working_directory: "app"
        }
      })
      const defaults = yield* Push.parseManifest("files: [main.py]\n")
      expect([defaults.type, defaults.runtime]).toEqual(["python", "ghcr.io/nextmv-io/runtime/python:3.11"])
      expect(Push.activationRequest(defaults)).toEqual({
        requirements: { executable_type: "python", runtime: "ghcr.io/nextmv-io/runtime/python:3.11" }
      })
    }))
})

describe("emulator dev binary", () => {
  it.effect("activation rejects a bundle that is not a tar.gz and an activation without upload", () =>
    driven(function*() {
      const emulator = yield* setup
      const base = `${emulator.url}/v1/applications/${APP}/binary`
      const headers = { authorization: `Bearer emulator-api-key`, "content-type": "application/json" }
      const activate = () =>
        Effect.promise(() =>
          fetch(base, { method: "PUT", headers, body: JSON.stringify({ requirements: { executable_type: "go", runtime: "x" } }) })
            .then(async (r) => [r.status, await r.text()] as const)
        )
      const [noUploadStatus] = yield* activate()
      expect(noUploadStatus).toBe(400)
      const { upload_url } = yield* Effect.promise(() => fetch(base, { headers }).then((r) => r.json() as Promise<{ upload_url: string }>))
      yield* Effect.promise(() => fetch(upload_url, { method: "PUT", body: "not a tarball" }))
      const [status, body] = yield* activate()
      expect(status).toBe(400)
      expect(body).toContain("not a valid tar.gz")
      expect(emulator.areas.binary.current(APP)).toBeUndefined()
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))
})
