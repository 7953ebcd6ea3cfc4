#!/usr/bin/env node
// `npm run test:stress`: the whole suite N times in a row (default 10) while CPU-burning processes
// (default 2) run beside it, as on a busy CI machine. Prints one line per run and a summary; exits
// non-zero when any run fails. The burners are stopped at the end, also on failure or Ctrl-C.
//   STRESS_RUNS=3 STRESS_BURNERS=1 npm run test:stress
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const runs = Number(process.env.STRESS_RUNS ?? 10)
const burnerCount = Number(process.env.STRESS_BURNERS ?? 2)
const extraArgs = process.argv.slice(2)

const burners = Array.from({ length: burnerCount }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }))
let suite // the vitest run in progress
const stopBurners = () => {
  for (const burner of burners) if (burner.exitCode === null && burner.signalCode === null) burner.kill("SIGKILL")
}
const stopAll = () => {
  stopBurners()
  if (suite !== undefined && suite.exitCode === null && suite.signalCode === null) suite.kill("SIGTERM")
}
process.on("exit", stopAll)
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    stopAll()
    process.exit(130)
  })
}

/** One whole-suite run; resolves with its exit code, duration and the last lines of its output. */
const runSuite = () =>
  new Promise((resolve) => {
    const started = Date.now()
    const child = suite = spawn(process.execPath, ["node_modules/vitest/vitest.mjs", "run", ...extraArgs], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" }
    })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), seconds: (Date.now() - started) / 1000, output }))
  })

const results = []
try {
  for (let i = 1; i <= runs; i++) {
    const result = await runSuite()
    results.push(result)
    const tests = /^\s*Tests\s+(\d.*)$/m.exec(result.output)?.[1]?.trim() ?? "?"
    console.log(`run ${i}/${runs}: ${result.code === 0 ? "PASS" : "FAIL"} in ${result.seconds.toFixed(1)} s (${tests})`)
    if (result.code !== 0) {
      // Failed tests and errors only (a passing test's name can hold "×", as the fault matrix's do).
      const failed = result.output.split("\n").filter((line) => !line.includes("✓") && /FAIL|×|AssertionError|Error:/.test(line))
      console.log(failed.slice(0, 40).join("\n"))
      const log = path.join(os.tmpdir(), `test-stress-run-${i}.log`)
      fs.writeFileSync(log, result.output)
      console.log(`whole output of run ${i}: ${log}`)
    }
  }
} finally {
  stopBurners()
}
const passed = results.filter((r) => r.code === 0).length
const seconds = results.map((r) => r.seconds)
console.log(
  `test:stress: ${passed}/${runs} passed with ${burnerCount} CPU burners; ` +
    `wall time min ${Math.min(...seconds).toFixed(1)} s, max ${Math.max(...seconds).toFixed(1)} s, ` +
    `mean ${(seconds.reduce((a, b) => a + b, 0) / seconds.length).toFixed(1)} s`
)
process.exit(passed === runs ? 0 : 1)
