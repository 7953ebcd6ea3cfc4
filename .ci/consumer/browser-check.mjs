// Beyond Node (run by `.ci/pack-check` in the consumer project that installed the tarball):
// 1. The installed main entry's static import graph holds no `node:` module, no Node built-in and
//    no `tar` / `yaml` (both are loaded on first use, see src/internal/lazy.ts).
// 2. esbuild bundles three programs for the browser platform (minified, ESM): the bare baseline
//    (Effect + Schema + FetchHttpClient, no nextmv-effect), the minimal nextmv-effect program and a
//    program with a run; the sizes are printed, with nextmv-effect's share over the baseline, and
//    that share has a budget.
// 3. The run program's bundle runs against the embedded emulator with only FetchHttpClient.
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

// 2. Browser bundles.
if (process.env.ESBUILD === undefined) fail("set ESBUILD to esbuild's lib/main.js")
const esbuild = (await import(pathToFileURL(process.env.ESBUILD).href)).default
const bundle = async (name) => {
  const outfile = `out/${name}.js`
  await esbuild.build({
    entryPoints: [`${name}.ts`],
    outfile,
    bundle: true,
    minify: true,
    platform: "browser",
    format: "esm",
    logLevel: "error"
  })
  const bytes = readFileSync(outfile)
  return { outfile, size: bytes.length, gzip: gzipSync(bytes).length }
}
const kB = (n) => `${(n / 1000).toFixed(1)} kB`
const bare = await bundle("browser-bare")
const minimal = await bundle("browser-minimal")
const run = await bundle("browser")
for (
  const [label, b] of [["bare Effect + Schema + Fetch", bare], ["nextmv-effect minimal (list apps)", minimal], [
    "nextmv-effect app + run",
    run
  ]]
) {
  console.log(`browser bundle, ${label}: ${kB(b.size)} minified, ${kB(b.gzip)} gzipped`)
}
console.log(
  `nextmv-effect's share over the bare baseline: minimal +${kB(minimal.size - bare.size)}, app + run +${kB(run.size - bare.size)} minified`
)

// A budget on nextmv-effect's own share (about 63 kB in November 2026). It catches what would make
// the share jump: an import from the \`effect\` index in dist/ (about +300 kB) or an eager yaml (+107 kB).
const SHARE_BUDGET = 100_000
if (minimal.size - bare.size > SHARE_BUDGET) {
  fail(`nextmv-effect adds ${kB(minimal.size - bare.size)} to the minimal program, over the ${kB(SHARE_BUDGET)} budget`)
}

// 3. Run the browser bundle against the emulator.
const { main } = await import(pathToFileURL(resolve(run.outfile)).href)
const output = await Effect.runPromise(Effect.scoped(
  Effect.gen(function*() {
    const emulator = yield* Emulator.Emulator
    emulator.areas.runs.setModel("browser-app", Models.output((model) => ({ echoed: model.input })))
    return yield* Effect.promise(() => main(emulator.url, Emulator.DEFAULT_API_KEY, "browser-app", { hello: "browser" }))
  }).pipe(Effect.provide(Emulator.layer()))
))
if (JSON.stringify(output) !== JSON.stringify({ echoed: { hello: "browser" } })) fail(`unexpected output ${JSON.stringify(output)}`)
console.log("browser bundle ok: created an app and got a run's result over FetchHttpClient")
