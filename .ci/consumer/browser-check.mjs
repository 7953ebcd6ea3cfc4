// Beyond Node (run by `.ci/pack-check` in the consumer project that installed the tarball):
// 1. The installed main entry's static import graph holds no `node:` module, no Node built-in and
//    no `tar` / `yaml` (both are loaded on first use, see src/internal/lazy.ts).
// 2. esbuild bundles four programs for the browser platform (minified, ESM): the floor (Effect +
//    Schema + FetchHttpClient, no nextmv-effect), the minimal nextmv-effect program (list the apps)
//    importing from the package index and by subpath, and a program with a run. It prints a size
//    table and where the minimal program's share goes, and fails when a program is over its ceiling.
// 3. The bundles run against the embedded emulator with only FetchHttpClient.
// Usage: ESBUILD=/path/to/esbuild/lib/main.js node browser-check.mjs
import { Effect } from "effect"
import { Emulator, Models } from "nextmv-effect/testing"
import { readFileSync } from "node:fs"
import { builtinModules } from "node:module"
import { dirname, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { gzipSync } from "node:zlib"

const fail = (message) => {
  console.error(`browser check FAILED: ${message}`)
  process.exit(1)
}

// 1. The static import graph of the main entry.
const entry = fileURLToPath(import.meta.resolve("nextmv-effect"))
const staticImport = /(?:^|[;\n}])\s*(?:import|export)\s*(?:[\w*{}\s,$]+\s*from\s*)?["']([^"']+)["']/g
const seen = new Set()
const packages = new Set()
const forbidden = []
const builtins = new Set(builtinModules)
const walk = (file) => {
  if (seen.has(file)) return
  seen.add(file)
  const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "")
  for (const [, specifier] of text.matchAll(staticImport)) {
    if (specifier.startsWith(".")) {
      walk(resolve(dirname(file), specifier))
      continue
    }
    const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]
    packages.add(name)
    if (specifier.startsWith("node:") || builtins.has(name) || name === "tar" || name === "yaml") {
      forbidden.push(`${file.slice(dirname(entry).length + 1)} imports ${specifier}`)
    }
  }
}
walk(entry)
if (forbidden.length > 0) fail(`the main entry loads Node-only modules:\n  ${forbidden.join("\n  ")}`)
console.log(`main entry: ${seen.size} modules, static imports of ${[...packages].sort().join(", ")}; no node:, tar or yaml`)

// 2. Browser bundles, with a ceiling each (minified bytes). Issue #14's goal: the minimal program
// (list the applications) in at most 300 kB, reached in November 2026 (298 kB from the index,
// 294 kB by subpath); the ceiling holds it there. The run program's ceiling (340 kB then, plus
// room for the run programs' own growth) catches what would make it jump: an import from the
// `effect` index in dist/ (about +300 kB), an eager yaml (+107 kB) or the pure marks gone (+13 kB).
const PROGRAMS = [
  { name: "browser-bare", label: "Effect + Schema + FetchHttpClient alone (the floor)" },
  { name: "browser-minimal", label: "minimal: list apps, import { … } from \"nextmv-effect\"", limit: 300_000 },
  { name: "browser-minimal-subpaths", label: "minimal: list apps, subpath imports", limit: 300_000 },
  { name: "browser", label: "create an app, wait for a run's result", limit: 345_000 }
]
if (process.env.ESBUILD === undefined) fail("set ESBUILD to esbuild's lib/main.js")
const esbuild = (await import(pathToFileURL(process.env.ESBUILD).href)).default
const bundle = async ({ name }) => {
  const outfile = `out/${name}.js`
  const { metafile } = await esbuild.build({
    entryPoints: [`${name}.ts`],
    outfile,
    bundle: true,
    minify: true,
    platform: "browser",
    format: "esm",
    metafile: true,
    logLevel: "error"
  })
  const bytes = readFileSync(outfile)
  const inputs = Object.entries(Object.values(metafile.outputs)[0].inputs)
  return { outfile, size: bytes.length, gzip: gzipSync(bytes).length, inputs }
}
const kB = (n) => `${(n / 1000).toFixed(1)} kB`
const built = []
for (const program of PROGRAMS) built.push({ ...program, ...(await bundle(program)) })
const floor = built[0]
const rows = [
  ["program", "minified", "gzipped", "over the floor", "ceiling"],
  ...built.map((b) => [
    b.label,
    kB(b.size),
    kB(b.gzip),
    b === floor ? "" : `+${kB(b.size - floor.size)}`,
    b.limit === undefined ? "" : kB(b.limit)
  ])
]
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
console.log("browser bundles (esbuild, platform browser, minified ESM):")
for (const row of rows) console.log(`  ${row.map((cell, i) => i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join("  ")}`)

// Where the minimal program's share over the floor goes: nextmv-effect's own modules, and the
// bytes of the other modules (Effect's) beyond what the floor has of them.
const minimal = built.find((b) => b.name === "browser-minimal")
const shortName = (path) => path.replace(/.*node_modules\//, "").replace("/dist/esm/", "/")
const floorBytes = new Map(floor.inputs.map(([path, input]) => [path, input.bytesInOutput]))
const ours = minimal.inputs.filter(([path]) => path.includes("node_modules/nextmv-effect/"))
  .map(([path, input]) => [path.replace(/.*node_modules\/nextmv-effect\/dist\//, ""), input.bytesInOutput])
  .sort((a, b) => b[1] - a[1])
const ownTotal = ours.reduce((sum, [, bytes]) => sum + bytes, 0)
const pulled = minimal.inputs.filter(([path]) => !path.includes("node_modules/nextmv-effect/") && !path.endsWith(".ts"))
  .map(([path, input]) => [shortName(path), input.bytesInOutput - (floorBytes.get(path) ?? 0)])
  .filter(([, bytes]) => bytes > 0).sort((a, b) => b[1] - a[1])
const pulledTotal = pulled.reduce((sum, [, bytes]) => sum + bytes, 0)
const top = (list) => list.slice(0, 5).map(([path, bytes]) => `${path} ${kB(bytes)}`).join(", ")
console.log(`  minimal program's share: nextmv-effect ${kB(ownTotal)} (${top(ours)}, …)`)
console.log(`  and other modules beyond the floor ${kB(pulledTotal)} (${top(pulled)}, …)`)

const over = built.filter((b) => b.limit !== undefined && b.size > b.limit)
if (over.length > 0) fail(over.map((b) => `${b.label}: ${kB(b.size)}, over its ceiling of ${kB(b.limit)}`).join("; "))

// 3. Run the bundles against the emulator: the run program creates an app and gets a run's result,
// then both minimal programs list the apps.
const programOf = async (name) => (await import(pathToFileURL(resolve(built.find((b) => b.name === name).outfile)).href)).main
const output = await Effect.runPromise(Effect.scoped(
  Effect.gen(function*() {
    const emulator = yield* Emulator.Emulator
    emulator.areas.runs.setModel("browser-app", Models.output((model) => ({ echoed: model.input })))
    const main = yield* Effect.promise(() => programOf("browser"))
    const result = yield* Effect.promise(() => main(emulator.url, Emulator.DEFAULT_API_KEY, "browser-app", { hello: "browser" }))
    const listed = []
    for (const name of ["browser-minimal", "browser-minimal-subpaths"]) {
      const list = yield* Effect.promise(() => programOf(name))
      listed.push(yield* Effect.promise(() => list(emulator.url, Emulator.DEFAULT_API_KEY)))
    }
    return { result, listed }
  }).pipe(Effect.provide(Emulator.layer()))
))
if (JSON.stringify(output.result) !== JSON.stringify({ echoed: { hello: "browser" } })) {
  fail(`unexpected output ${JSON.stringify(output.result)}`)
}
if (!output.listed.every((ids) => ids.includes("browser-app"))) fail(`the minimal programs listed ${JSON.stringify(output.listed)}`)
console.log("browser bundles ok: over FetchHttpClient, created an app, got a run's result, listed the apps (both minimal programs)")
