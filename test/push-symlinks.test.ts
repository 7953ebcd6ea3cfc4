/**
 * Issue 9 I: push stays inside the app directory. A selected symbolic link whose target lies
 * outside the app directory is refused with a `PushFilesError` (kind `outside`) naming the link,
 * before anything is uploaded; links that stay inside keep working.
 */
import { FileSystem, Path } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { symlinkSync } from "node:fs"
import * as Push from "../src/programs/Push.js"
import { Emulator } from "../src/testing/Emulator.js"
import { servicesLayer } from "./support/layers.js"

const APP = "links-app"
const MANIFEST = "type: python\nruntime: ghcr.io/nextmv-io/runtime/python:3.11\nfiles:\n  - main.py\n  - data/**\n"

/** An app directory with `main.py` and `data/input.json`, and a directory outside it holding a secret. */
const layout = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const root = yield* fs.makeTempDirectoryScoped({ prefix: "nextmv-push-links-" })
  const appDir = path.join(root, "app")
  const elsewhere = path.join(root, "elsewhere")
  yield* fs.makeDirectory(path.join(appDir, "data"), { recursive: true })
  yield* fs.makeDirectory(elsewhere)
  yield* fs.writeFileString(path.join(appDir, "app.yaml"), MANIFEST)
  yield* fs.writeFileString(path.join(appDir, "main.py"), "print('hi')\n")
  yield* fs.writeFileString(path.join(appDir, "data", "input.json"), "{}")
  yield* fs.writeFileString(path.join(elsewhere, "credentials"), "aws_secret_access_key = SECRET\n")
  const emulator = yield* Emulator
  emulator.areas.applications.seed({ id: APP })
  yield* emulator.clearRequests
  return { appDir, elsewhere, emulator, path }
})

describe("push and symbolic links", () => {
  it.live("a file link to a target outside the app directory is refused, naming the link; nothing is sent", () =>
    Effect.gen(function*() {
      const { appDir, elsewhere, emulator, path } = yield* layout
      symlinkSync(path.join(elsewhere, "credentials"), path.join(appDir, "data", "creds"))
      symlinkSync("../../elsewhere/credentials", path.join(appDir, "data", "relative-creds"))
      const error = yield* Push.push(APP, { appDir }).pipe(Effect.flip)
      expect(error).toBeInstanceOf(Push.PushFilesError)
      const files = error as Push.PushFilesError
      expect(files.kind).toBe("outside")
      expect(files.files).toEqual(["data/creds", "data/relative-creds"])
      expect(files.message).toContain("data/creds")
      expect(files.message).toContain("outside the app directory")
      expect(yield* emulator.requests).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))

  it.live("links that stay inside the app directory (relative or absolute) are bundled with their content", () =>
    Effect.gen(function*() {
      const { appDir, emulator, path } = yield* layout
      symlinkSync("../main.py", path.join(appDir, "data", "alias.py"))
      symlinkSync(path.join(appDir, "data", "input.json"), path.join(appDir, "data", "absolute.json"))
      const result = yield* Push.push(APP, { appDir })
      expect(result.files).toEqual(["app.yaml", "data/absolute.json", "data/alias.py", "data/input.json", "main.py"])
      const executable = emulator.areas.binary.current(APP)!
      expect(executable.files).toEqual(result.files)
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))

  it.live("a directory link to the outside is not entered: its files are not bundled", () =>
    Effect.gen(function*() {
      const { appDir, elsewhere, path } = yield* layout
      symlinkSync(elsewhere, path.join(appDir, "data", "ext"))
      const result = yield* Push.push(APP, { appDir })
      expect(result.files).toEqual(["app.yaml", "data/input.json", "main.py"])
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())))
})
