#!/usr/bin/env node
// Post-build step (`npm run build`): in the emitted JavaScript under the given directory (default
// `dist`), rewrites each namespace imported from a barrel index into its own module:
//
//   import { Effect, Layer, pipe } from "effect";
//   → import * as Effect from "effect/Effect"; import * as Layer from "effect/Layer"; import { pipe } from "effect";
//
// Why: esbuild keeps every member of a namespace that an index module re-exports with
// `export * as X` (Rollup and Vite do not), so `import { Stream } from "effect"` bundles all of
// `Stream`. Importing the module itself lets every bundler drop what is unused; that is how
// Effect's own packages import each other. The source keeps the plain index imports.
//
// A name becomes a module import only when the package exports a subpath of that name (so
// `pipe` stays on the index). The rewritten imports stay on one line, so the source maps still hold.
import { readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { jsFilesUnder } from "./js-files.mjs"

const BARRELS = ["effect", "@effect/platform"]
const require = createRequire(import.meta.url)
const subpaths = new Map(
  BARRELS.map((name) => [name, new Set(Object.keys(require(`${name}/package.json`).exports).map((key) => key.slice(2)))])
)

const rewrite = (text) =>
  text.replace(/^import \{([^}]*)\} from "([^"]+)";$/gm, (line, names, source) => {
    const modules = subpaths.get(source)
    if (modules === undefined) return line
    const deep = []
    const kept = []
    for (const spec of names.split(",").map((s) => s.trim()).filter(Boolean)) {
      const [imported, local = imported] = spec.split(/\s+as\s+/)
      if (modules.has(imported)) deep.push(`import * as ${local} from "${source}/${imported}";`)
      else kept.push(spec)
    }
    if (kept.length > 0) deep.push(`import { ${kept.join(", ")} } from "${source}";`)
    return deep.join(" ")
  })

let changed = 0
for (const file of jsFilesUnder(process.argv[2] ?? "dist")) {
  const text = readFileSync(file, "utf8")
  const next = rewrite(text)
  if (next !== text) {
    writeFileSync(file, next)
    changed++
  }
}
console.log(`deep-imports: ${changed} files now import effect and @effect/platform modules directly`)
