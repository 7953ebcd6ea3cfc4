/**
 * File selection for `push` (the `files` globs of the Nextmv app manifest, see the Nextmv docs
 * "Application manifest" and nextmv-py's `Application.push`), with the glob rules of Python's
 * `glob(recursive=True)`: `*`, `?` and `[…]` stay inside one path segment, a `**` segment crosses
 * any number of directories, and wildcards do not match names starting with `.` (a segment
 * written with a leading `.` does). Patterns are applied in order: a leading `!` removes the
 * matches from what was selected so far; a trailing `/` means `<pattern>*`. Only regular files
 * are kept; symbolic links to directories are not entered, and {@link filesOutside} finds file
 * links that lead out of the app directory.
 */
import { FileSystem, Path } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Effect } from "effect"

const hasMagic = (segment: string): boolean => /[*?[]/.test(segment)

const escapeRegex = (char: string): string => /[\\^$.*+?()[\]{}|/]/.test(char) ? `\\${char}` : char

/** One path segment of a glob as a regular expression source (no `/`). */
const segmentSource = (segment: string): string => {
  let out = hasMagic(segment) && !segment.startsWith(".") ? "(?!\\.)" : ""
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i]!
    if (char === "*") {
      while (segment[i + 1] === "*") i++
      out += "[^/]*"
    } else if (char === "?") {
      out += "[^/]"
    } else if (char === "[") {
      const end = segment.indexOf("]", i + 2)
      if (end === -1) {
        out += "\\["
        continue
      }
      let body = segment.slice(i + 1, end)
      const negated = body.startsWith("!")
      if (negated) body = body.slice(1)
      out += `[${negated ? "^/" : ""}${body.replace(/\\/g, "\\\\").replace(/\^/g, "\\^")}]`
      i = end
    } else {
      out += escapeRegex(char)
    }
  }
  return out
}

/**
 * Compiles a glob (relative, `/`-separated) into a regular expression over relative paths.
 *
 * @example
 * ```ts
 * globToRegExp("src/**\/*.py").test("src/a/b.py") // true
 * ```
 */
export const globToRegExp = (glob: string): RegExp => {
  const segments = glob.replace(/^\.\//, "").split("/").filter((s, i, all) => s !== "" || i === all.length - 1)
  let source = ""
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1
    if (segment === "**") {
      // Zero or more non-hidden directories (and, as the last segment, everything below).
      source += last ? "(?:(?!\\.)[^/]+(?:/(?!\\.)[^/]+)*)?" : "(?:(?!\\.)[^/]+/)*"
    } else {
      source += segmentSource(segment) + (last ? "" : "/")
    }
  })
  return new RegExp(`^${source}$`)
}

/** An entry of the app directory. */
export interface Entry {
  /** Relative, `/`-separated. */
  readonly path: string
  readonly isFile: boolean
}

/** Every file and directory below `root` (relative paths; symlinked directories are not entered). */
export const walk = (root: string): Effect.Effect<ReadonlyArray<Entry>, PlatformError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const entries: Array<Entry> = []
    const visit = (relative: string): Effect.Effect<void, PlatformError> =>
      Effect.gen(function*() {
        const names = (yield* fs.readDirectory(relative === "" ? root : path.join(root, relative))).sort()
        for (const name of names) {
          const child = relative === "" ? name : `${relative}/${name}`
          const info = yield* fs.stat(path.join(root, child))
          if (info.type === "Directory") {
            entries.push({ path: child, isFile: false })
            const link = yield* fs.readLink(path.join(root, child)).pipe(Effect.option)
            if (link._tag === "None") yield* visit(child)
          } else {
            entries.push({ path: child, isFile: info.type === "File" })
          }
        }
      })
    yield* visit("")
    return entries
  })

/** The outcome of {@link selectFiles}. */
export interface Selection {
  /** Selected regular files, relative, sorted. */
  readonly files: ReadonlyArray<string>
  /** Non-negated patterns that matched nothing, in manifest order. */
  readonly missing: ReadonlyArray<string>
}

/** Applies the manifest's `files` patterns, in order, to the entries of the app directory. */
export const selectEntries = (entries: ReadonlyArray<Entry>, patterns: ReadonlyArray<string>): Selection => {
  const selected = new Set<string>()
  const missing: Array<string> = []
  for (const raw of patterns) {
    const negated = raw.startsWith("!")
    let pattern = negated ? raw.slice(1) : raw
    if (pattern.endsWith("/")) pattern = `${pattern}*`
    const regex = globToRegExp(pattern)
    const matches = entries.filter((entry) => regex.test(entry.path))
    if (negated) for (const entry of matches) selected.delete(entry.path)
    else {
      if (matches.length === 0) missing.push(raw)
      for (const entry of matches) selected.add(entry.path)
    }
  }
  const files = new Set(entries.filter((e) => e.isFile).map((e) => e.path))
  return { files: [...selected].filter((p) => files.has(p)).sort(), missing }
}

/** {@link selectEntries} over the files below `appDir`. */
export const selectFiles = (appDir: string, patterns: ReadonlyArray<string>) =>
  Effect.map(walk(appDir), (entries) => selectEntries(entries, patterns))

/**
 * The selected files whose real location (symbolic links resolved) lies outside `appDir`, e.g. a
 * link to `~/.aws/credentials`. `push` refuses to bundle them.
 */
export const filesOutside = (
  appDir: string,
  files: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<string>, PlatformError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const root = yield* fs.realPath(appDir)
    const outside: Array<string> = []
    for (const file of files) {
      const real = yield* fs.realPath(path.join(appDir, file))
      const relative = path.relative(root, real)
      if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) outside.push(file)
    }
    return outside
  })
