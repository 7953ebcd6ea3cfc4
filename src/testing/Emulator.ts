/**
 * The Nextmv Cloud emulator: an in-process HTTP server on 127.0.0.1 (random port) that implements
 * the API the SDK uses, with in-memory state, Bearer auth, JSON error bodies, presigned upload and
 * download URLs, a raw request log and fault injection. Start it with the scoped {@link layer}
 * (or {@link layerClient}, which also provides a `NextmvClient` pointed at it).
 *
 * Cloud areas plug in as modules of `./areas/` that register routes on the
 * {@link EmulatorContext} and expose helpers to other areas and to tests through
 * {@link EmulatorAreas} (declaration merging).
 *
 * @since 0.1.0
 */
import type { HttpClient } from "@effect/platform"
import { Clock, Context, Duration, Effect, Layer, Redacted } from "effect"
import { createHmac, randomBytes, randomUUID } from "node:crypto"
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as NextmvClient from "../services/NextmvClient.js"
import { areaInstallers } from "./areas/index.js"
import { makeRateLimiter, type RateLimitOptions, type RateLimitStats } from "./rateLimits.js"

// ---------------------------------------------------------------------------------------------
// Options, records and the context areas build on
// ---------------------------------------------------------------------------------------------

/**
 * Emulator options. Areas add their own fields by declaration merging:
 * `declare module "../Emulator.js" { interface EmulatorOptions { ... } }`.
 */
export interface EmulatorOptions {
  /** The API key the emulator accepts. Default `"emulator-api-key"`. */
  readonly apiKey?: string | undefined
  /** Lifetime of presigned URLs. Default 15 minutes (as Nextmv Cloud's upload URLs). */
  readonly presignedUrlTtl?: Duration.DurationInput | undefined
  /**
   * Where the emulator reads the time (timestamps, run lifecycles, experiment progress, live-log
   * pages, presigned URL expiry, rate limits). Default: the Effect `Clock` of the scope that builds
   * the layer — the wall clock in a normal runtime (demos, manual runs), the `TestClock` inside
   * `it.effect`/`it.scoped`, so that `TestClock.adjust` moves the emulator and the client's sleeps
   * together and nothing in the emulator changes unless the test moves the time.
   */
  readonly clock?: EmulatorClock | undefined
  /** A time source in epoch milliseconds; shorthand for `clock: { now }` (kept for compatibility). */
  readonly now?: (() => number) | undefined
  /**
   * Enforce Nextmv Cloud's published rate limits (429 with `Retry-After`, counted per window of the
   * emulator's clock): `true`, or limits per class (see `rateLimits.ts`). Default off.
   */
  readonly rateLimits?: RateLimitOptions | undefined
  /** TCP port to listen on. Default 0 (a free port). */
  readonly port?: number | undefined
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string | undefined
}

/**
 * A time source for the emulator, in epoch milliseconds. The emulator never uses timers for its
 * lifecycles: every state is computed from this clock when a request asks for it.
 */
export interface EmulatorClock {
  readonly now: () => number
}

/** Ready-made {@link EmulatorClock}s. */
export const EmulatorClock = {
  /** The wall clock (`Date.now`). */
  wall: { now: () => Date.now() } as EmulatorClock,
  /** Reads an Effect `Clock` (e.g. a `TestClock`) without running an effect. */
  fromEffect: (clock: Clock.Clock): EmulatorClock => ({ now: () => clock.unsafeCurrentTimeMillis() }),
  /** A clock standing at `start` until it is moved with `set` or `advance`. */
  manual: (start = 0) => {
    let now = start
    return {
      now: () => now,
      set: (millis: number) => {
        now = millis
      },
      advance: (duration: Duration.DurationInput) => {
        now += Duration.toMillis(duration)
      }
    }
  }
}

/** Helpers areas expose to each other and to tests (`emulator.areas.runs.…`); extended by areas. */

export interface EmulatorAreas {}

/** One request as the emulator received it, for assertions (contract tests). */
export interface RecordedRequest {
  readonly method: string
  /** The path without query string, e.g. `/v1/applications/app-1`. */
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>
  /** The body (for presigned uploads only its first 8 MiB; `size` has the full length). */
  readonly body: Buffer
  /** Body length in bytes. */
  readonly size: number
  /** The body parsed as JSON when it is JSON, else `undefined`. */
  readonly json: unknown
  /** Receive time, epoch milliseconds. */
  readonly time: number
}

/** A request as a route handler sees it. */
export interface EmulatorRequest {
  readonly method: string
  readonly path: string
  readonly params: Readonly<Record<string, string>>
  readonly query: Readonly<Record<string, string>>
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
  /** For presigned uploads: the file the body was streamed to (large bodies stay off the heap). */
  readonly bodyFile?: string | undefined
  /** The body parsed as JSON; an unparsable body makes the emulator answer 400. */
  readonly json: () => unknown
}

/** What a route handler answers. */
export interface EmulatorResponse {
  readonly status: number
  readonly json?: unknown
  readonly body?: Buffer | string | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}

export type RouteHandler = (request: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>

/** An application as the emulator stores it (wire field names). */
export interface ApplicationRecord {
  id: string
  name: string
  description: string
  type: "custom" | "subscription" | "pipeline"
  default_instance?: string | undefined
  default_experiment_instance?: string | undefined
  subscription_id?: string | undefined
  locked: boolean
  created_at: string
  updated_at: string
}

/** A presigned upload slot. */
export interface PresignedUpload {
  readonly id: string
  readonly url: string
}

/** Storage behind presigned URLs. */
export interface BlobStore {
  /** Creates an upload slot; the returned URL accepts one PUT until it expires. */
  readonly presignUpload: () => PresignedUpload
  /** The bytes PUT to the upload slot `id`, once uploaded. */
  readonly uploaded: (id: string) => Buffer | undefined
  /** Serves `bytes` at a new presigned GET URL. */
  readonly presignDownload: (bytes: Buffer | string, contentType?: string) => string
}

/** What an area's `install` receives. */
export interface EmulatorContext {
  readonly options: EmulatorOptions
  /** The emulator's origin, e.g. `http://127.0.0.1:53012`. */
  readonly origin: () => string
  /**
   * The emulator's time, epoch milliseconds: {@link EmulatorOptions.clock} plus what
   * {@link Service.advance} added. Areas compute every time-dependent state from it (no timers).
   */
  readonly now: () => number
  /** Current time as an RFC 3339 string. */
  readonly timestamp: () => string
  /** Registers a route; `pattern` segments starting with `:` are parameters. */
  readonly route: (method: string, pattern: string, handler: RouteHandler) => void
  /** A JSON error body like the real API: `{"error": message}`. */
  readonly apiError: (status: number, message: string) => EmulatorResponse
  readonly ok: (json: unknown, status?: number) => EmulatorResponse
  readonly noContent: () => EmulatorResponse
  readonly blobs: BlobStore
  readonly applications: Map<string, ApplicationRecord>
  readonly areas: EmulatorAreas
}

// ---------------------------------------------------------------------------------------------
// Fault injection
// ---------------------------------------------------------------------------------------------

/** What an injected fault does instead of (or before) the normal answer. */
export type FaultAction =
  /** Answer with this status (and optional `Retry-After` header and body). */
  | {
    readonly _tag: "Status"
    readonly status: number
    readonly retryAfter?: string | number | undefined
    readonly body?: unknown
  }
  /** Wait, then answer normally (for timeouts). */
  | { readonly _tag: "Delay"; readonly delay: Duration.DurationInput }
  /** Destroy the connection without answering. */
  | { readonly _tag: "Reset" }
  /** Answer 200 with a body that is not JSON. */
  | { readonly _tag: "MalformedBody" }
  /** Answer 200, announce a longer body than sent, then close the connection (a reset mid-body). */
  | { readonly _tag: "TruncatedBody" }
  /** Answer with exactly this status, body and content type (HTML error pages, odd JSON). */
  | { readonly _tag: "Body"; readonly status: number; readonly body: string; readonly contentType: string }
  /** Answer with a redirect to `location`. */
  | { readonly _tag: "Redirect"; readonly status: number; readonly location: string }
  /** Send the headers and the first bytes of the normal answer, then nothing more (a stall mid-body). */
  | { readonly _tag: "StallBody" }
  /** Never read the request body and never answer (a stalled upload). */
  | { readonly _tag: "StallRead" }
  /** Answer normally, but send the body `bytes` at a time, one piece every `every`. */
  | { readonly _tag: "Trickle"; readonly bytes: number; readonly every: Duration.DurationInput }
  /** Handle the request normally (a `POST` creates its resource), then close the connection without answering. */
  | { readonly _tag: "DropResponse" }

/** A fault rule: which requests it hits and how often. */
export interface Fault {
  /** HTTP method to match; any when absent. */
  readonly method?: string | undefined
  /** A route pattern (`/v1/applications/:appId`) or an exact path. */
  readonly path: string
  /** How many matching requests it hits. Default 1; `Infinity` for all. */
  readonly times?: number | undefined
  readonly action: FaultAction
}

/** Constructors for {@link FaultAction}. */
export const FaultAction = {
  status: (status: number, options: { retryAfter?: string | number; body?: unknown } = {}): FaultAction => ({
    _tag: "Status",
    status,
    ...options
  }),
  delay: (delay: Duration.DurationInput): FaultAction => ({ _tag: "Delay", delay }),
  reset: { _tag: "Reset" } as FaultAction,
  malformedBody: { _tag: "MalformedBody" } as FaultAction,
  truncatedBody: { _tag: "TruncatedBody" } as FaultAction,
  /** Same as {@link FaultAction.truncatedBody}: the connection closes in the middle of the body. */
  resetMidBody: { _tag: "TruncatedBody" } as FaultAction,
  body: (status: number, body: string, contentType = "application/json"): FaultAction => ({
    _tag: "Body",
    status,
    body,
    contentType
  }),
  redirect: (location: string, status = 302): FaultAction => ({ _tag: "Redirect", status, location }),
  stallBody: { _tag: "StallBody" } as FaultAction,
  stallRead: { _tag: "StallRead" } as FaultAction,
  trickle: (bytes: number, every: Duration.DurationInput): FaultAction => ({ _tag: "Trickle", bytes, every }),
  /** The request takes effect but its answer is lost (a reset after the server acted). */
  dropResponse: { _tag: "DropResponse" } as FaultAction
}

// ---------------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------------

interface Route {
  readonly method: string
  readonly segments: ReadonlyArray<string>
  readonly handler: RouteHandler
}

const splitPath = (path: string): Array<string> => path.split("/").filter((s) => s !== "")

const matchSegments = (
  pattern: ReadonlyArray<string>,
  actual: ReadonlyArray<string>
): Record<string, string> | undefined => {
  if (pattern.length !== actual.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!
    const a = actual[i]!
    if (p.startsWith(":")) params[p.slice(1)] = decodeURIComponent(a)
    else if (p !== a) return undefined
  }
  return params
}

class InvalidJsonBody {
  constructor(readonly message: string) {}
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

/** A running emulator (the value of the {@link Emulator} service). */
export interface Service {
  /** Origin of the emulator, e.g. `http://127.0.0.1:53012`; use it as the client's base URL. */
  readonly url: string
  /** The API key the emulator accepts. */
  readonly apiKey: Redacted.Redacted<string>
  /** Every request received so far, oldest first. */
  readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>>
  /** Forgets the recorded requests. */
  readonly clearRequests: Effect.Effect<void>
  /** Adds a fault rule (checked before routing, in the order added). */
  readonly injectFault: (fault: Fault) => Effect.Effect<void>
  /** Removes every fault rule. */
  readonly clearFaults: Effect.Effect<void>
  /** The emulator's time now, epoch milliseconds (see {@link EmulatorOptions.clock}). */
  readonly now: Effect.Effect<number>
  /**
   * Moves the emulator's time forward by `duration` without touching the caller's `Clock`: runs
   * progress, presigned URLs expire, but no sleeping fiber wakes. To move both (the usual need in
   * tests) use `TestClock.adjust` — the emulator follows the `TestClock` it was built with.
   */
  readonly advance: (duration: Duration.DurationInput) => Effect.Effect<void>
  /** Area helpers (runs, experiments, …) for tests. */
  readonly areas: EmulatorAreas
  /** The context areas are built on (stored applications, blob store, clock). */
  readonly context: EmulatorContext
  /** What the rate limits (option `rateLimits`) accepted and refused. */
  readonly rateLimits: Effect.Effect<RateLimitStats>
  /** Client connections: open now, the most open at once, accepted in total. */
  readonly connections: Effect.Effect<{ readonly open: number; readonly peak: number; readonly total: number }>
}

/** The emulator service. */
export class Emulator extends Context.Tag("nextmv-effect/testing/Emulator")<Emulator, Service>() {}

/** The key the emulator accepts unless told otherwise. */
export const DEFAULT_API_KEY = "emulator-api-key"

/** How much of a streamed upload is kept in the request log. */
const LOGGED_UPLOAD_BYTES = 8 * 1024 * 1024

/** Streams a body to `file`, keeping the first {@link LOGGED_UPLOAD_BYTES} for the request log. */
const spoolBody = (request: Http.IncomingMessage, file: string): Promise<{ prefix: Buffer; size: number }> =>
  new Promise((resolve, reject) => {
    const out = createWriteStream(file)
    const kept: Array<Buffer> = []
    let size = 0
    // A write after the request failed (the file is destroyed then) reports here, not as an uncaught error.
    out.on("error", reject)
    request.on("data", (chunk: Buffer) => {
      if (out.destroyed) return
      if (size < LOGGED_UPLOAD_BYTES) kept.push(chunk.subarray(0, LOGGED_UPLOAD_BYTES - size))
      size += chunk.length
      if (!out.write(chunk)) {
        request.pause()
        out.once("drain", () => request.resume())
      }
    })
    request.on("end", () => out.end(() => resolve({ prefix: Buffer.concat(kept), size })))
    request.on("error", (error) => {
      out.destroy()
      reject(error)
    })
  })

const readBody = (request: Http.IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks)))
    request.on("error", reject)
  })

const flatHeaders = (headers: Http.IncomingHttpHeaders): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value
  }
  return out
}

const tryJson = (body: Buffer): unknown => {
  if (body.length === 0) return undefined
  try {
    return JSON.parse(body.toString("utf8"))
  } catch {
    return undefined
  }
}

/** Builds the emulator's state and routes (not yet listening). */
const build = (options: EmulatorOptions, source: EmulatorClock) => {
  const apiKey = options.apiKey ?? DEFAULT_API_KEY
  let offset = 0
  const now = () => source.now() + offset
  const ttlMillis = Duration.toMillis(options.presignedUrlTtl ?? Duration.minutes(15))
  const signingKey = randomBytes(16)
  const routes: Array<Route> = []
  let faults: Array<{ fault: Fault; remaining: number; segments: ReadonlyArray<string> }> = []
  let log: Array<RecordedRequest> = []
  let origin = "http://127.0.0.1:0"
  const limiter = makeRateLimiter(options.rateLimits ?? false, now)

  const sign = (kind: string, token: string, expires: number) =>
    createHmac("sha256", signingKey).update(`${kind}:${token}:${expires}`).digest("hex")
  const presignedUrl = (kind: "upload" | "download", token: string) => {
    const expires = now() + ttlMillis
    return `${origin}/_presigned/${kind}/${token}?expires=${expires}&signature=${sign(kind, token, expires)}`
  }
  // Uploaded objects live in files, like object storage: big uploads stay off the heap.
  const storage = mkdtempSync(join(tmpdir(), "nextmv-emulator-storage-"))
  const uploads = new Map<string, string | null>()
  const downloads = new Map<string, { bytes: Buffer; contentType: string }>()

  const ok = (json: unknown, status = 200): EmulatorResponse => ({ status, json })
  const apiError = (status: number, message: string): EmulatorResponse => ({ status, json: { error: message } })

  const context: EmulatorContext = {
    options,
    origin: () => origin,
    now,
    timestamp: () => new Date(now()).toISOString(),
    route: (method, pattern, handler) => {
      routes.push({ method: method.toUpperCase(), segments: splitPath(pattern), handler })
    },
    apiError,
    ok,
    noContent: () => ({ status: 204 }),
    blobs: {
      presignUpload: () => {
        const id = randomUUID()
        uploads.set(id, null)
        return { id, url: presignedUrl("upload", id) }
      },
      uploaded: (id) => {
        const file = uploads.get(id)
        return file ? readFileSync(file) : undefined
      },
      presignDownload: (bytes, contentType = "application/octet-stream") => {
        const token = randomUUID()
        downloads.set(token, { bytes: typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes, contentType })
        return presignedUrl("download", token)
      }
    },
    applications: new Map(),
    // Filled by the area installers below, before the server accepts any request.
    areas: {} as EmulatorAreas
  }

  // Presigned URLs: no API auth; the signature and expiry are checked like object storage does.
  const checkPresigned = (kind: "upload" | "download", request: EmulatorRequest): EmulatorResponse | undefined => {
    const token = request.params["token"] ?? ""
    const expires = Number(request.query["expires"])
    if (request.headers["authorization"] !== undefined) {
      return apiError(400, "presigned URLs take no Authorization header (only one auth mechanism allowed)")
    }
    if (!Number.isFinite(expires) || request.query["signature"] !== sign(kind, token, expires)) {
      return apiError(403, "signature does not match")
    }
    if (now() > expires) return apiError(403, "request has expired")
    return undefined
  }
  context.route("PUT", "/_presigned/upload/:token", (request) => {
    const rejected = checkPresigned("upload", request)
    if (rejected) return rejected
    const token = request.params["token"]!
    if (!uploads.has(token) || request.bodyFile === undefined) return apiError(404, "no such upload")
    uploads.set(token, request.bodyFile)
    return { status: 200 }
  })
  context.route("GET", "/_presigned/download/:token", (request) => {
    const rejected = checkPresigned("download", request)
    if (rejected) return rejected
    const blob = downloads.get(request.params["token"]!)
    if (!blob) return apiError(404, "no such object")
    return { status: 200, body: blob.bytes, headers: { "content-type": blob.contentType } }
  })

  for (const install of areaInstallers) install(context)

  const respond = (res: Http.ServerResponse, response: EmulatorResponse, fault?: FaultAction) => {
    const headers: Record<string, string> = { ...response.headers }
    let payload: Buffer | undefined
    if (response.json !== undefined) {
      payload = Buffer.from(JSON.stringify(response.json), "utf8")
      headers["content-type"] ??= "application/json"
    } else if (response.body !== undefined) {
      payload = typeof response.body === "string" ? Buffer.from(response.body, "utf8") : response.body
    }
    headers["x-request-id"] ??= randomUUID()
    if (payload !== undefined) headers["content-length"] = String(payload.length)
    if (fault?._tag === "DropResponse") return void res.socket?.destroy()
    res.writeHead(response.status, headers)
    if (fault?._tag === "StallBody") return void res.write(payload?.subarray(0, Math.min(16, payload.length - 1)) ?? "")
    if (fault?._tag === "Trickle" && payload !== undefined) return trickle(res, payload, fault.bytes, Duration.toMillis(fault.every))
    res.end(payload)
  }
  const trickle = (res: Http.ServerResponse, payload: Buffer, bytes: number, every: number, at = 0): void => {
    if (res.destroyed) return
    if (at + bytes >= payload.length) return void res.end(payload.subarray(at))
    res.write(payload.subarray(at, at + bytes))
    setTimeout(() => trickle(res, payload, bytes, every, at + bytes), every)
  }

  const findFault = (method: string, path: string) => {
    const actual = splitPath(path)
    const hit = faults.find(({ fault, segments, remaining }) =>
      remaining > 0 && (fault.method === undefined || fault.method.toUpperCase() === method) &&
      (fault.path === path || matchSegments(segments, actual) !== undefined)
    )
    if (hit) {
      hit.remaining--
      faults = faults.filter((f) => f.remaining > 0)
    }
    return hit?.fault.action
  }

  const handle = async (req: Http.IncomingMessage, res: Http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", origin)
    const method = (req.method ?? "GET").toUpperCase()
    const path = url.pathname
    const query = Object.fromEntries(url.searchParams.entries())
    const headers = flatHeaders(req.headers)
    let body: Buffer
    let size: number
    let bodyFile: string | undefined
    const fault = findFault(method, path)
    if (fault?._tag === "StallRead") {
      log.push({ method, path, query, headers, body: Buffer.alloc(0), size: 0, json: undefined, time: now() })
      return
    }
    if (method === "PUT" && path.startsWith("/_presigned/upload/")) {
      bodyFile = join(storage, randomUUID())
      const spooled = await spoolBody(req, bodyFile)
      body = spooled.prefix
      size = spooled.size
    } else {
      body = await readBody(req)
      size = body.length
    }
    log.push({ method, path, query, headers, body, size, json: tryJson(body), time: now() })

    if (fault !== undefined) {
      switch (fault._tag) {
        case "Status":
          return respond(res, {
            status: fault.status,
            json: fault.body ?? { error: `injected fault: status ${fault.status}` },
            headers: fault.retryAfter !== undefined ? { "retry-after": String(fault.retryAfter) } : undefined
          })
        case "Reset":
          req.socket.destroy()
          return
        case "MalformedBody":
          return respond(res, { status: 200, body: "{\"this is\": not json", headers: { "content-type": "application/json" } })
        case "TruncatedBody":
          res.writeHead(200, { "content-type": "application/json", "content-length": "1000" })
          res.write("{\"id\": \"trunc")
          setTimeout(() => req.socket.destroy(), 5)
          return
        case "Body":
          return respond(res, { status: fault.status, body: fault.body, headers: { "content-type": fault.contentType } })
        case "Redirect":
          return respond(res, { status: fault.status, headers: { location: fault.location } })
        case "Delay":
          // A real (socket-level) delay; it ends early when the client goes away or the
          // emulator shuts down, so no timer outlives the connection.
          await new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer)
              req.socket.off("close", done)
              resolve()
            }
            const timer = setTimeout(done, Duration.toMillis(fault.delay))
            req.socket.once("close", done)
          })
          if (res.destroyed || req.socket.destroyed) return
      }
    }
    const answer = (response: EmulatorResponse) => respond(res, response, fault)

    if (path.startsWith("/v1/") && headers["authorization"] !== `Bearer ${apiKey}`) {
      return respond(res, apiError(401, "unauthorized: missing or invalid API key"))
    }
    const limited = limiter.check(method, path)
    if (limited !== undefined) return respond(res, limited)

    const actual = splitPath(path)
    let pathMatched = false
    for (const route of routes) {
      const params = matchSegments(route.segments, actual)
      if (params === undefined) continue
      pathMatched = true
      if (route.method !== method) continue
      const request: EmulatorRequest = {
        method,
        path,
        params,
        query,
        headers,
        body,
        bodyFile,
        json: () => {
          try {
            return JSON.parse(body.toString("utf8"))
          } catch (error) {
            throw new InvalidJsonBody((error as Error).message)
          }
        }
      }
      try {
        return answer(await route.handler(request))
      } catch (error) {
        if (error instanceof InvalidJsonBody) return respond(res, apiError(400, `invalid JSON body: ${error.message}`))
        return respond(res, apiError(500, `emulator error: ${(error as Error).message}`))
      }
    }
    return respond(res, pathMatched ? apiError(405, "method not allowed") : apiError(404, `no route for ${method} ${path}`))
  }

  return {
    apiKey,
    context,
    handle,
    setOrigin: (value: string) => {
      origin = value
    },
    requests: () => log.slice(),
    clearRequests: () => {
      log = []
    },
    injectFault: (fault: Fault) => {
      faults.push({ fault, remaining: fault.times ?? 1, segments: splitPath(fault.path) })
    },
    clearFaults: () => {
      faults = []
    },
    advance: (duration: Duration.DurationInput) => {
      offset += Math.max(0, Duration.toMillis(duration))
    },
    rateLimits: limiter.stats,
    dispose: () => rmSync(storage, { recursive: true, force: true })
  }
}

/**
 * Starts the emulator on 127.0.0.1 with a random port for the lifetime of the layer's scope.
 *
 * @example
 * ```ts
 * it.scoped("serves the API", () => Effect.gen(function*() {
 *   const emulator = yield* Emulator.Emulator
 *   emulator.areas.applications.seed({ id: "routing-app" })
 *   expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:/)
 * }).pipe(Effect.provide(Emulator.layer())))
 * ```
 */
export const layer = (options: EmulatorOptions = {}): Layer.Layer<Emulator> =>
  Layer.scoped(
    Emulator,
    Effect.gen(function*() {
      const source = options.clock ?? (options.now !== undefined ? { now: options.now } : EmulatorClock.fromEffect(yield* Effect.clock))
      const emulator = yield* Effect.acquireRelease(Effect.sync(() => build(options, source)), (built) => Effect.sync(built.dispose))
      const connections = { open: 0, peak: 0, total: 0 }
      const server = yield* Effect.acquireRelease(
        Effect.async<Http.Server>((resume) => {
          const server = Http.createServer((req, res) => {
            emulator.handle(req, res).catch((error: unknown) => {
              if (!res.headersSent) {
                res.writeHead(500, { "content-type": "application/json" })
                res.end(JSON.stringify({ error: `emulator error: ${String(error)}` }))
              }
            })
          })
          server.on("connection", (socket) => {
            connections.total++
            connections.open++
            connections.peak = Math.max(connections.peak, connections.open)
            socket.on("close", () => connections.open--)
          })
          // A port in use (or any listen error) is a defect: the emulator cannot start.
          server.once("error", (error) => resume(Effect.die(error)))
          server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resume(Effect.succeed(server)))
        }),
        (server) =>
          Effect.async<void>((resume) => {
            server.closeAllConnections()
            server.close(() => resume(Effect.void))
          })
      )
      const address = server.address() as AddressInfo
      // Clients reach a wildcard listener through the loopback address.
      const host = options.host === undefined || options.host === "0.0.0.0" || options.host === "::"
        ? "127.0.0.1"
        : options.host
      const url = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`
      emulator.setOrigin(url)
      return Emulator.of({
        url,
        apiKey: Redacted.make(emulator.apiKey),
        requests: Effect.sync(emulator.requests),
        clearRequests: Effect.sync(emulator.clearRequests),
        injectFault: (fault) => Effect.sync(() => emulator.injectFault(fault)),
        clearFaults: Effect.sync(emulator.clearFaults),
        now: Effect.sync(emulator.context.now),
        advance: (duration) => Effect.sync(() => emulator.advance(duration)),
        areas: emulator.context.areas,
        context: emulator.context,
        rateLimits: Effect.sync(emulator.rateLimits),
        connections: Effect.sync(() => ({ ...connections }))
      })
    })
  )

/** The per-attempt timeout of {@link layerClient}'s client unless given: longer than any test's virtual time. */
export const CLIENT_TIMEOUT: Duration.Duration = Duration.days(10)

/** Options of {@link layerClient}: the emulator's plus client settings. */
export interface ClientOptions extends EmulatorOptions {
  /**
   * Client settings (timeout, retry, headers, budget); base URL and API key point at the emulator.
   * The client's request budget is off unless the emulator enforces rate limits or `budget` is given.
   * The per-attempt timeout defaults to {@link CLIENT_TIMEOUT} (not the SDK's 20 s): under the
   * `TestClock`, `drive` jumps virtual time while a request is on the wire, and a short timeout
   * would expire in virtual time. Set one explicitly to test timeouts.
   */
  readonly client?: Omit<NextmvClient.Options, "apiKey" | "baseUrl"> | undefined
}

/**
 * The emulator plus a `NextmvClient` pointed at it (its URL and key; console links go to the
 * emulator's run page `{url}/console/app/{appId}/run/{runId}` unless `client.consoleUrl` is set).
 * Requires an `HttpClient`,
 * like every client layer (e.g. `NodeHttpClient.layerUndici` or `FetchHttpClient.layer`).
 *
 * @example
 * ```ts
 * const TestLive = Applications.layer.pipe(
 *   Layer.provideMerge(Emulator.layerClient()),
 *   Layer.provide(NodeHttpClient.layerUndici))
 * ```
 */
export const layerClient = (
  options: ClientOptions = {}
): Layer.Layer<Emulator | NextmvClient.NextmvClient, never, HttpClient.HttpClient> =>
  Layer.effect(
    NextmvClient.NextmvClient,
    Effect.flatMap(Emulator, (emulator) =>
      NextmvClient.make({
        timeout: CLIENT_TIMEOUT,
        // Console links point at the emulator's run page, not at the real Console.
        consoleUrl: `${emulator.url}/console`,
        ...options.client,
        budget: options.client?.budget ?? (options.rateLimits ? undefined : false),
        apiKey: emulator.apiKey,
        baseUrl: emulator.url
      }))
  ).pipe(Layer.provideMerge(layer(options)))
