/**
 * The `nextmv-effect-emulator` bin: started as a child process (through tsx, from source), it
 * serves the emulator over HTTP to any client, and stops on SIGTERM. Every wait is bounded by the
 * test timeout; nothing is timed.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const script = fileURLToPath(new URL("../src/bin/emulator.ts", import.meta.url))

const start = (args: ReadonlyArray<string>) =>
  spawn(process.execPath, ["--import", "tsx", script, ...args], { stdio: ["ignore", "pipe", "pipe"] })

/** Collects a child's output until `pattern` matches stdout or the child exits. */
const waitFor = (child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> =>
  new Promise((resolve, reject) => {
    let out = ""
    let err = ""
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8")
      const match = out.match(pattern)
      if (match) resolve(match)
    })
    child.stderr!.on("data", (chunk: Buffer) => {
      err += chunk.toString("utf8")
    })
    child.once("exit", (code) => reject(new Error(`exited with ${code} before printing ${pattern}: ${out}${err}`)))
  })

const exited = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode)
    child.once("exit", (code) => resolve(code))
  })

describe("nextmv-effect-emulator bin", () => {
  it("serves the Nextmv Cloud API with the given API key and stops on SIGTERM", async () => {
    const child = start(["--port", "0", "--api-key", "bin-test-key"])
    try {
      const [, url] = await waitFor(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/)
      const authorized = await fetch(`${url}/v1/applications`, { headers: { authorization: "Bearer bin-test-key" } })
      expect(authorized.status).toBe(200)
      expect(await authorized.json()).toEqual([])
      const created = await fetch(`${url}/v1/applications`, {
        method: "POST",
        headers: { authorization: "Bearer bin-test-key", "content-type": "application/json" },
        body: JSON.stringify({ id: "from-curl", name: "From curl" })
      })
      expect(created.status).toBeLessThan(300)
      const listed = await fetch(`${url}/v1/applications`, { headers: { authorization: "Bearer bin-test-key" } })
      expect((await listed.json() as Array<{ id: string }>).map((app) => app.id)).toEqual(["from-curl"])
      const wrongKey = await fetch(`${url}/v1/applications`, { headers: { authorization: "Bearer other" } })
      expect(wrongKey.status).toBe(401)
    } finally {
      child.kill("SIGTERM")
    }
    expect(await exited(child)).toBe(0)
  }, 60_000)

  it("rejects a bad argument with the usage and exit code 2", async () => {
    const child = start(["--port", "eighty"])
    let err = ""
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString("utf8")
    })
    expect(await exited(child)).toBe(2)
    expect(err).toContain("--port must be an integer from 0 to 65535, got eighty")
    expect(err).toContain("Usage: nextmv-effect-emulator")
  }, 60_000)
})
