// Consumer smoke test of the installed bin: `nextmv-effect-emulator --port 0` answers
// GET /v1/applications with the API key, then stops on SIGTERM. Bounded: 60 s at most.
import { spawn } from "node:child_process"

const child = spawn("node_modules/.bin/nextmv-effect-emulator", ["--port", "0", "--api-key", "smoke-key"], {
  stdio: ["ignore", "pipe", "inherit"]
})
const guard = setTimeout(() => {
  console.error("bin smoke FAILED: no answer within 60 s")
  child.kill("SIGKILL")
  process.exit(1)
}, 60_000)
let out = ""
child.stdout.on("data", async (chunk) => {
  out += chunk
  const match = out.match(/listening on (http:\/\/\S+)/)
  if (!match || child.answered) return
  child.answered = true
  const response = await fetch(`${match[1]}/v1/applications`, { headers: { authorization: "Bearer smoke-key" } })
  const body = await response.text()
  child.kill("SIGTERM")
  if (response.status !== 200 || body.trim() !== "[]") {
    console.error(`bin smoke FAILED: ${response.status} ${body}`)
    process.exitCode = 1
  }
})
child.on("exit", (code, signal) => {
  clearTimeout(guard)
  if (!child.answered) {
    console.error(`bin smoke FAILED: exited (${code ?? signal}) before listening: ${out}`)
    process.exitCode = 1
  } else if (code !== 0) {
    console.error(`bin smoke FAILED: exit code ${code ?? signal} after SIGTERM`)
    process.exitCode = 1
  } else if (process.exitCode !== 1) {
    console.log("bin smoke ok: nextmv-effect-emulator answered and stopped")
  }
})
