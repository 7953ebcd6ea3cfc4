/**
 * Where durable workflows keep their state: an embedded PostgreSQL (PGlite, WebAssembly, installed
 * from npm with no native build) for one worker, or a PostgreSQL server shared by several workers.
 * Both go through `@effect/sql-pg`, so one SQL dialect serves every deployment.
 *
 * @since 0.1.0
 */
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted, Schema, type Scope } from "effect"
import { servePglite } from "./internal/pgliteServer.js"

/** The embedded database could not be opened or served. */
export class StorageError extends Schema.TaggedError<StorageError>()("WorkflowStorageError", {
  operation: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.operation}: ${this.reason}`
  }
}

/**
 * Embedded storage: PGlite in this process, its data in `dataDir` (created when missing). One
 * process at a time may open a data directory.
 */
export interface Embedded {
  readonly _tag: "Embedded"
  readonly dataDir: string
}

/** A PostgreSQL server (or anything speaking its protocol), shared by every worker. */
export interface Postgres {
  readonly _tag: "Postgres"
  /** e.g. `postgres://user@db.internal:5432/nextmv_workflows`; kept redacted. */
  readonly url: Redacted.Redacted<string>
  /** Connections of this worker's pool. Default 10. */
  readonly maxConnections?: number | undefined
  /**
   * Shard locks with PostgreSQL advisory locks (default `true`). Set `false` for servers where all
   * clients share one session (PGlite served by {@link serveEmbedded}); the cluster then uses lock
   * rows with expiry instead.
   */
  readonly advisoryLocks?: boolean | undefined
}

/** A storage choice. */
export type Storage = Embedded | Postgres

/**
 * Embedded storage in `dataDir` — the default for a single local worker.
 *
 * @example
 * ```ts
 * Worker.layer({ storage: Storage.embedded("./.nextmv-workflows") })
 * ```
 */
export const embedded = (dataDir: string): Embedded => ({ _tag: "Embedded", dataDir })

/**
 * A PostgreSQL server shared by several workers (on one or many machines).
 *
 * @example
 * ```ts
 * Worker.layer({
 *   storage: Storage.postgres({ url: Redacted.make(process.env.DATABASE_URL!) }),
 *   runner: { host: "worker-1.internal", port: 34431 }
 * })
 * ```
 */
export const postgres = (options: Omit<Postgres, "_tag">): Postgres => ({ _tag: "Postgres", ...options })

/** Whether the cluster may use advisory locks on this storage. */
export const usesAdvisoryLocks = (storage: Storage): boolean => storage._tag === "Postgres" && storage.advisoryLocks !== false

/** A served embedded database: its address and a connection URL (no password). */
export interface Served {
  readonly host: string
  readonly port: number
  readonly url: Redacted.Redacted<string>
}

/**
 * Opens PGlite on `dataDir` (`"memory://"` for a throw-away database) and serves it over the
 * PostgreSQL protocol on 127.0.0.1 (port 0 = any free port) until the scope closes. Several local
 * processes can then share it with {@link postgres} and `advisoryLocks: false` (all connections
 * share PGlite's single session). Fails with {@link StorageError}.
 *
 * @example
 * ```ts
 * const served = yield* Storage.serveEmbedded({ dataDir: "./.nextmv-workflows" })
 * const storage = Storage.postgres({ url: served.url, advisoryLocks: false })
 * ```
 */
export const serveEmbedded = (options: {
  readonly dataDir: string
  readonly port?: number | undefined
}): Effect.Effect<Served, StorageError, Scope.Scope> =>
  Effect.gen(function*() {
    const fail = (operation: string) => (cause: unknown) =>
      new StorageError({ operation, reason: cause instanceof Error ? cause.message : String(cause) })
    // Loaded on demand: only users of embedded storage need this optional package.
    const { PGlite } = yield* Effect.tryPromise({
      try: () => import("@electric-sql/pglite"),
      catch: fail("import @electric-sql/pglite")
    })
    const db = yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => PGlite.create(options.dataDir), catch: fail("open PGlite") }),
      (db) => Effect.promise(() => db.close()).pipe(Effect.ignore)
    )
    const host = "127.0.0.1"
    const { port } = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => servePglite(db, host, options.port ?? 0),
        catch: fail("serve PGlite")
      }),
      (server) => Effect.promise(() => server.close())
    )
    return { host, port, url: Redacted.make(`postgres://postgres@${host}:${port}/postgres`) }
  })

/**
 * The `SqlClient` for a storage choice (`@effect/sql-pg`). Embedded storage is opened and served
 * in this process for the layer's lifetime.
 */
export const sqlLayer = (storage: Storage): Layer.Layer<SqlClient.SqlClient, SqlError | StorageError> => {
  switch (storage._tag) {
    case "Postgres":
      return PgClient.layer({ url: storage.url, maxConnections: storage.maxConnections ?? 10 })
    case "Embedded":
      return Layer.unwrapScoped(
        Effect.map(serveEmbedded({ dataDir: storage.dataDir }), (served) => PgClient.layer({ url: served.url, maxConnections: 4 }))
      )
  }
}
