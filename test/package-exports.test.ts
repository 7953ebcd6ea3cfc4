/**
 * Every namespace of the main entry is also a subpath of the package (`nextmv-effect/NextmvClient`
 * is the module the index exports as `NextmvClient`), so a program can import the modules one by
 * one, as it does Effect's: esbuild keeps every member of a namespace imported from an index.
 * package.json `exports` is written by hand; this keeps it in step with `src/index.ts`.
 */
import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"

const index = readFileSync(new URL("../src/index.ts", import.meta.url), "utf8")
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  readonly exports: Record<string, string | { readonly types: string; readonly default: string }>
}
const namespaces = [...index.matchAll(/^export \* as (\w+) from "\.\/(.+)\.js"$/gm)].map(([, name, path]) => ({
  name: name!,
  path: path!
}))
const OTHER_ENTRIES = [".", "./testing", "./workflow", "./node", "./package.json"]

describe("package.json exports", () => {
  it("has a subpath for every namespace of the main entry, pointing at its module", () => {
    expect(namespaces.length).toBeGreaterThan(40)
    for (const { name, path } of namespaces) {
      expect(pkg.exports[`./${name}`], name).toEqual({ types: `./dist/${path}.d.ts`, default: `./dist/${path}.js` })
    }
  })

  it("has no other subpath", () => {
    const subpaths = Object.keys(pkg.exports).filter((key) => !OTHER_ENTRIES.includes(key))
    expect(subpaths.sort()).toEqual(namespaces.map(({ name }) => `./${name}`).sort())
  })

  it("a subpath's module is the index's namespace", async () => {
    const entry = await import("../src/index.js")
    const client = await import("../src/services/NextmvClient.js")
    expect(entry.NextmvClient).toBe(client)
  })
})
