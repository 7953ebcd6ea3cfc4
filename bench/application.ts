import type * as Undici from "@effect/platform-node/Undici"
import { spawn } from "node:child_process"
import { join } from "node:path"
import type { Readable } from "node:stream"

/** The application document the bench server answers `GET /v1/applications/:id` with (shared by the benches). */
export const applicationJson = JSON.stringify({
  id: "bench-app",
  name: "Bench application",
  description: "x".repeat(120),
  type: "custom",
  default_instance: "latest",
  default_experiment_instance: "latest",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-02T00:00:00Z"
})

/** The raw side of every call figure: one `GET /v1/applications/bench-app` with plain undici. */
export const rawGetApplication = async (
  dispatcher: Undici.Dispatcher,
  origin: string
): Promise<unknown> => {
  const response = await dispatcher.request({
    origin,
    path: "/v1/applications/bench-app",
    method: "GET",
    headers: { authorization: "Bearer bench-key" }
  })
  return response.body.json()
}

/**
 * The raw side of every upload figure: a `PUT` of `bytes` bytes from `body` with plain undici to the
 * bench server's upload URL, which answers with the size it received (checked).
 */
export const rawPut = async (
  dispatcher: Undici.Dispatcher,
  origin: string,
  bytes: number,
  body: Readable
): Promise<void> => {
  const response = await dispatcher.request({
    origin,
    path: "/upload?signature=bench",
    method: "PUT",
    headers: { "content-length": String(bytes), "content-type": "application/octet-stream" },
    body
  })
  const { size } = (await response.body.json()) as { size: number }
  if (size !== bytes) throw new Error(`the server received ${size} of ${bytes} bytes`)
}

/** Starts the bench server (`bench/server.ts`) in a process of its own; its origin and how to stop it. */
export const startServer = () =>
  new Promise<{ origin: string; stop: () => void }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "server.ts")], {
      stdio: ["pipe", "pipe", "inherit"]
    })
    child.once("error", reject)
    child.stdout.once("data", (data: Buffer) => {
      const { port } = JSON.parse(data.toString("utf8")) as { port: number }
      resolve({ origin: `http://127.0.0.1:${port}`, stop: () => child.kill() })
    })
  })
