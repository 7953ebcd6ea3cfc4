/**
 * The benchmark's fixed-body HTTP server, run in its own process (so its cost never lands on
 * either side of a comparison). Prints `{"port": …}` on stdout once listening.
 *
 * - `GET /v1/applications/:id` → a fixed application JSON document;
 * - `PUT /upload` → reads and drops the body, answers 200 with the byte count;
 * - `GET /download?bytes=N` → N bytes, from one preallocated 1 MiB buffer;
 * - `POST /v1/applications/:id/runs` → a new run id; `GET …/runs/:run/metadata` → that run, always
 *   `running` (for the in-flight memory figure of `newRunWithResult`).
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { applicationJson } from "./application.js"

const block = Buffer.alloc(1024 * 1024, 97)
let runs = 0
const running = (id: string) =>
  JSON.stringify({
    id,
    name: "",
    description: "",
    user_email: "bench@example.com",
    metadata: { application_id: "bench-app", created_at: "2026-01-01T00:00:00Z", status_v2: "running" }
  })
const RUNS = /^\/v1\/applications\/[^/]+\/runs$/
const METADATA = /^\/v1\/applications\/[^/]+\/runs\/([^/]+)\/metadata$/

const server = Http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost")
  if (req.method === "PUT" && url.pathname === "/upload") {
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
    })
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify({ size }))
    })
    return
  }
  if (req.method === "GET" && url.pathname === "/download") {
    const total = Number(url.searchParams.get("bytes") ?? "0")
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(total) })
    let sent = 0
    const pump = () => {
      while (sent < total) {
        const piece = Math.min(block.length, total - sent)
        sent += piece
        if (!res.write(piece === block.length ? block : block.subarray(0, piece))) return void res.once("drain", pump)
      }
      res.end()
    }
    return pump()
  }
  if (req.method === "POST" && RUNS.test(url.pathname)) {
    req.resume()
    req.on("end", () => {
      const body = JSON.stringify({ run_id: `run-${++runs}` })
      res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) })
      res.end(body)
    })
    return
  }
  const metadata = req.method === "GET" ? METADATA.exec(url.pathname) : null
  if (metadata !== null) {
    const body = running(metadata[1]!)
    res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) })
    res.end(body)
    return
  }
  if (req.method === "GET" && url.pathname.startsWith("/v1/applications/")) {
    res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(applicationJson)) })
    res.end(applicationJson)
    return
  }
  res.writeHead(404, { "content-type": "application/json" })
  res.end("{\"error\":\"not found\"}")
})
server.keepAliveTimeout = 60_000
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`)
})
process.on("disconnect", () => process.exit(0))
process.stdin.on("end", () => process.exit(0))
process.stdin.resume()
