#!/usr/bin/env node
// Type-checks every `@example` code block in the JSDoc of src/** (`npm run check:examples`, run
// in `.ci/run`). Each block becomes a file under .tmp/examples that imports from the package
// (`nextmv-effect`, `nextmv-effect/testing`, `nextmv-effect/workflow`, mapped to src/), from the
// module that documents it (its exports by name, as a reader of that module sees them), from
// `effect`, `@effect/platform`, `@effect/platform-node` and `@effect/vitest`; a block may add its
// own imports (relative ones are relative to its module). The block runs inside
// `Effect.gen(function*() { … })`, so it may `yield*`, and it may use the names declared in
// PRELUDE below (a service's client, an app id, a run id…) without declaring them. The files are
// checked with the repo's compiler options (strict, exactOptionalPropertyTypes…, unused names
// allowed); every error is reported at the line of the block in src/.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const out = join(root, ".tmp", "examples")

/** Names an example may use without declaring them; each one's type is what the name says. */
const PRELUDE = `
declare const appId: string
declare const runId: string
declare const key: string
declare const input: unknown
declare const output: unknown
declare const scenarios: ReadonlyArray<__Package.ScenarioTestPrograms.Scenario>
declare const shuttingDown: __Effect.Ref.Ref<boolean>
declare const api: __Package.NextmvClient.Requester
declare const applications: __Effect.Context.Tag.Service<typeof __Package.Applications.Applications>
declare const runs: __Effect.Context.Tag.Service<typeof __Package.Runs.Runs>
declare const uploads: __Effect.Context.Tag.Service<typeof __Package.Uploads.Uploads>
declare const inputSets: __Effect.Context.Tag.Service<typeof __Package.InputSets.InputSets>
declare const managedInputs: __Effect.Context.Tag.Service<typeof __Package.ManagedInputs.ManagedInputs>
declare const batch: __Effect.Context.Tag.Service<typeof __Package.BatchExperiments.BatchExperiments>
declare const acceptance: __Effect.Context.Tag.Service<typeof __Package.AcceptanceTests.AcceptanceTests>
declare const instances: __Effect.Context.Tag.Service<typeof __Package.Instances.Instances>
declare const versions: __Effect.Context.Tag.Service<typeof __Package.Versions.Versions>
declare const ensembles: __Effect.Context.Tag.Service<typeof __Package.Ensembles.Ensembles>
declare const secrets: __Effect.Context.Tag.Service<typeof __Package.Secrets.Secrets>
declare const shadowTests: __Effect.Context.Tag.Service<typeof __Package.ShadowTests.ShadowTests>
declare const switchbackTests: __Effect.Context.Tag.Service<typeof __Package.SwitchbackTests.SwitchbackTests>
declare const accounts: __Effect.Context.Tag.Service<typeof __Package.Accounts.Accounts>
declare const integrations: __Effect.Context.Tag.Service<typeof __Package.Integrations.Integrations>
declare const tracker: __Effect.Context.Tag.Service<typeof __Package.RunTracker.RunTracker>
`
/** The prelude's own imports (names no example uses). */
const PRELUDE_IMPORTS = [
  `import type * as __Effect from "effect"`,
  `import type * as __Package from "nextmv-effect"`
]
/**
 * The modules every example file imports from, after the block's own imports, in this order (the
 * first wins a name): the package's public entries (a block is read as user code, so `Runs` is the
 * namespace), then the exports of the module that documents the block, then Effect's packages.
 */
const LIBRARIES = [
  ["nextmv-effect", "src/index.ts"],
  ["nextmv-effect/testing", "src/testing/index.ts"],
  ["nextmv-effect/workflow", "src/workflow/index.ts"],
  ["effect", "node_modules/effect/dist/dts/index.d.ts"],
  ["@effect/platform", "node_modules/@effect/platform/dist/dts/index.d.ts"],
  ["@effect/platform-node", "node_modules/@effect/platform-node/dist/dts/index.d.ts"],
  ["@effect/vitest", "node_modules/@effect/vitest/dist/dts/index.d.ts"]
]

const base = ts.getParsedCommandLineOfConfigFile(join(root, "tsconfig.base.json"), {}, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => {
    throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"))
  }
}).options
const options = {
  ...base,
  noEmit: true,
  declaration: false,
  sourceMap: false,
  noUnusedLocals: false,
  noUnusedParameters: false,
  plugins: [],
  paths: Object.fromEntries(LIBRARIES.filter(([, file]) => file.startsWith("src/")).map(([name, file]) => [name, [join(root, file)]]))
}

const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []
  )
const sources = walk(join(root, "src"))

// The exported names of each library and of each documented module.
const exportsProgram = ts.createProgram([...sources, ...LIBRARIES.map(([, file]) => join(root, file))], options)
const checker = exportsProgram.getTypeChecker()
const exportNames = (file) => {
  const sourceFile = exportsProgram.getSourceFile(file)
  const symbol = sourceFile && checker.getSymbolAtLocation(sourceFile)
  return symbol ? checker.getExportsOfModule(symbol).map((s) => s.getName()).filter((n) => n !== "default") : []
}
const libraryNames = LIBRARIES.map(([name, file]) => [name, exportNames(join(root, file))])

// The `@example` blocks: ```ts fences after an @example tag in a JSDoc comment.
const examples = []
for (const file of sources) {
  const text = readFileSync(file, "utf8")
  for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const startLine = text.slice(0, comment.index).split("\n").length
    const lines = comment[0].split("\n").map((line) => line.replace(/^\s*(\/\*\*|\*\/|\*)? ?/, ""))
    let inExample = false
    let block
    lines.forEach((line, i) => {
      if (/^@example\b/.test(line)) inExample = true
      else if (/^@\w/.test(line) && block === undefined) inExample = false
      if (!inExample) return
      if (block === undefined && /^```(ts|typescript)\s*$/.test(line)) block = { file, line: startLine + i + 1, code: [] }
      else if (block !== undefined && /^```\s*$/.test(line)) {
        examples.push({ ...block, code: block.code.join("\n") })
        block = undefined
      } else if (block !== undefined) block.code.push(line)
    })
  }
}

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
const generated = new Map()
for (const [index, example] of examples.entries()) {
  // A block's relative imports are relative to its module, as in the module itself.
  const importLines = example.code.split("\n").filter((line) => /^import\s/.test(line)).map((line) =>
    line.replace(/from "(\.[^"]+)"/, (_, spec) => `from "${relative(out, resolve(dirname(example.file), spec))}"`)
  )
  const body = example.code.split("\n").map((line) => (/^import\s/.test(line) ? "" : line))
  const taken = new Set()
  for (const line of importLines) {
    for (const m of line.matchAll(/(?:\*\s+as\s+|[{,]\s*(?:type\s+)?(?:\w+\s+as\s+)?)(\w+)/g)) taken.add(m[1])
    const single = line.match(/^import\s+(\w+)\s+from/)
    if (single) taken.add(single[1])
  }
  const head = [...PRELUDE_IMPORTS]
  const fileRef = (target) => relative(out, target).replace(/\.ts$/, ".js")
  const sourcesInOrder = [
    ...libraryNames.slice(0, 3),
    [fileRef(example.file), exportNames(example.file)],
    ...libraryNames.slice(3)
  ]
  for (const [library, names] of sourcesInOrder) {
    const free = names.filter((name) => !taken.has(name))
    free.forEach((name) => taken.add(name))
    if (free.length > 0) head.push(`import { ${free.join(", ")} } from "${library}"`)
  }
  const prelude = PRELUDE.split("\n").filter((line) => {
    const m = line.match(/^declare const (\w+)/)
    return m === null || !taken.has(m[1])
  })
  const lines = [
    `// ${relative(root, example.file)}:${example.line}`,
    ...importLines,
    ...head,
    ...prelude,
    "export const example = Effect.gen(function*() {"
  ]
  const offset = lines.length
  lines.push(...body, "})", "")
  const name = join(out, `${relative(join(root, "src"), example.file).replace(/[/\\]/g, "_").replace(/\.ts$/, "")}_${index}.ts`)
  writeFileSync(name, lines.join("\n"))
  generated.set(name, { example, offset })
}

const program = ts.createProgram([...generated.keys()], options)
const diagnostics = [...generated.keys()].flatMap((file) => {
  const sourceFile = program.getSourceFile(file)
  return [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)]
})
const failing = new Set()
for (const diagnostic of diagnostics) {
  const { example, offset } = generated.get(diagnostic.file.fileName)
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0)
  const at = line >= offset
    ? `${relative(root, example.file)}:${example.line + line - offset}`
    : `${relative(root, example.file)}:${example.line} (wrapper)`
  failing.add(diagnostic.file.fileName)
  console.error(`${at}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n  ")}`)
}
console.log(`@example blocks: ${examples.length} checked, ${failing.size} failing (generated under ${relative(root, out)})`)
process.exitCode = failing.size > 0 ? 1 : 0
