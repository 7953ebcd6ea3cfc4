#!/usr/bin/env node
// Post-build step (`npm run build`, after deep-imports.mjs): in the emitted JavaScript under the
// given directory (default `dist`), marks the calls that build a module's top-level values as
// `/*#__PURE__*/`:
//
//   export const Status = Schema.Union(Schema.Literal("a"), Schema.String);
//   → export const Status = (/*#__PURE__*/ Schema.Union((/*#__PURE__*/ Schema.Literal("a")), Schema.String));
//   export class Run extends Schema.Class("Run")({ ... }) {}
//   → export class Run extends (/*#__PURE__*/ (/*#__PURE__*/ Schema.Class("Run"))({ ... })) {}
//
// Why: a bundler keeps a top-level call whose result is unused unless the call and every call in
// its arguments are marked pure, and it keeps a class whose `extends` is such a call. So every
// schema, error class and `Context.Tag` of a module that a program imports for one function stayed
// in its bundle, with the modules they import (the minimal browser program carried the run and
// experiment schemas and the request bodies of other areas). These calls only build values
// (Effect's constructors are pure), so marking them lets esbuild, Rollup and terser drop the unused
// ones. Each call is wrapped in parentheses so that a chain (`Schema.Struct(...).pipe(...)`) is
// marked call by call.
//
// Only the initializer of a top-level `const` and the `extends` clause of a top-level class are
// looked at, never a function body; a call whose callee name starts with `run`
// (`Effect.runSync`, `runFork`, …) is never marked. Source maps keep their lines (only columns
// shift) because nothing inserted holds a line break.
import { readFileSync, writeFileSync } from "node:fs"
import ts from "typescript"
import { jsFilesUnder } from "./js-files.mjs"

const RUNS = /(?:^|\.)run\w*$/

const annotate = (text, fileName) => {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS)
  const starts = []
  const ends = []
  const arrows = []
  const visit = (node) => {
    if (ts.isFunctionLike(node) || ts.isClassLike(node)) return
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      if (RUNS.test(node.expression.getText(source))) return
      starts.push(node.getStart(source))
      ends.push(node.end)
    }
    ts.forEachChild(node, visit)
  }
  // A spread (`{ ...InputSet.fields }`) reads a property, which a bundler cannot drop; the whole
  // initializer then goes into an arrow called at once, and that call is marked.
  const hasSpread = (node) =>
    !ts.isFunctionLike(node) && !ts.isClassLike(node) &&
    (ts.isSpreadAssignment(node) || ts.isSpreadElement(node) || (ts.forEachChild(node, hasSpread) ?? false))
  const wrap = (node) => {
    if (RUNS.test(node.getText(source)) || !hasSpread(node)) return visit(node)
    arrows.push([node.getStart(source), "(/*#__PURE__*/ (() => ("], [node.end, "))())"])
  }
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement) && (statement.declarationList.flags & ts.NodeFlags.Const) !== 0) {
      for (const declaration of statement.declarationList.declarations) {
        if (declaration.initializer !== undefined) wrap(declaration.initializer)
      }
    } else if (ts.isClassDeclaration(statement)) {
      for (const clause of statement.heritageClauses ?? []) {
        if (clause.token === ts.SyntaxKind.ExtendsKeyword) clause.types.forEach((type) => visit(type.expression))
      }
    }
  }
  if (starts.length === 0 && arrows.length === 0) return text
  const edits = [...starts.map((at) => [at, "(/*#__PURE__*/ "]), ...ends.map((at) => [at, ")"]), ...arrows]
  // From the end backwards; at one offset a `)` (closing an earlier call) goes before a `(`.
  edits.sort((a, b) => b[0] - a[0] || (a[1] === ")" ? 1 : -1) - (b[1] === ")" ? 1 : -1))
  let out = text
  for (const [at, insert] of edits) out = out.slice(0, at) + insert + out.slice(at)
  return out
}

let changed = 0
for (const file of jsFilesUnder(process.argv[2] ?? "dist")) {
  const text = readFileSync(file, "utf8")
  const next = annotate(text, file)
  if (next !== text) {
    writeFileSync(file, next)
    changed++
  }
}
console.log(`pure-annotations: marked the top-level constructor calls in ${changed} files as pure`)
