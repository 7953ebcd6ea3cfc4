/**
 * The bundle: a gzip-compressed tar of every regular file under the staging directory, with
 * archive names relative to it (no top-level folder, no directory entries), written to disk as a
 * stream by node-tar (the tarball of nextmv-py's `Application.push`).
 */
import { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import { loadTar } from "../../internal/lazy.js"
import { PushBundleError } from "./errors.js"
import { walk } from "./files.js"

/** The bundle's file name. */
export const BUNDLE_FILE_NAME = "app.tar.gz"

/** The largest bundle the platform accepts (nextmv-py's size guard): 500 MiB. */
export const MAX_BUNDLE_BYTES = 500 * 1024 * 1024

/** What {@link writeBundle} produced. */
export interface Bundle {
  readonly file: string
  /** Archive entries, sorted. */
  readonly files: ReadonlyArray<string>
  readonly bytes: number
}

/** Writes `<outDir>/app.tar.gz` from the files under `staging` (files named `app.tar.gz` skipped). */
export const writeBundle = (staging: string, outDir: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const files = (yield* walk(staging))
      .filter((entry) => entry.isFile && path.basename(entry.path) !== BUNDLE_FILE_NAME)
      .map((entry) => entry.path)
    const file = path.join(outDir, BUNDLE_FILE_NAME)
    yield* Effect.tryPromise({
      try: () => loadTar().then((Tar) => Tar.c({ gzip: true, file, cwd: staging, portable: true, noDirRecurse: true }, [...files])),
      catch: (cause) => new PushBundleError({ reason: `could not write the bundle: ${String(cause)}`, cause })
    })
    const bytes = Number((yield* fs.stat(file)).size)
    if (bytes > MAX_BUNDLE_BYTES) {
      return yield* new PushBundleError({
        reason: `bundle size of ${bytes} bytes exceeds the maximum allowed size of ${MAX_BUNDLE_BYTES} bytes`
      })
    }
    return { file, files, bytes } satisfies Bundle
  })
