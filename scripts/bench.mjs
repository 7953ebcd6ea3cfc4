#!/usr/bin/env node
// `npm run bench` (and `npm run bench -- bench/profile-calls.ts`): runs a bench script on the code
// as it ships. The script and the sources it imports are compiled by esbuild into one module under
// .tmp/bench (packages stay external), then run with plain `node`. Running the TypeScript through
// tsx instead would measure tsx's output, which wraps every function it creates in a `__name`
// call (esbuild's keepNames): about 10 µs more per SDK call, which users never pay (the package's
// dist/ is tsc's output). `import.meta.dirname` keeps pointing at bench/ (for bench/server.ts).
import { build } from "esbuild"
import { spawnSync } from "node:child_process"
import { basename, dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const entry = resolve(process.argv[2] ?? join(root, "bench", "run.ts"))
const outfile = join(root, ".tmp", "bench", basename(entry).replace(/\.ts$/, ".mjs"))
await build({
  entryPoints: [entry],
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  outfile,
  define: { "import.meta.dirname": JSON.stringify(dirname(entry)) },
  logLevel: "error"
})
const { status } = spawnSync(process.execPath, [outfile, ...process.argv.slice(3)], { stdio: "inherit" })
process.exitCode = status ?? 1
