/**
 * A durable worker: `@effect/cluster`'s workflow engine on SQL storage (`@effect/sql`), with the
 * nextmv-effect workflows registered. Workflows started from any process connected to the same
 * storage are executed by the workers; after a restart a worker resumes the workflows of its shards
 * from storage. Several workers (processes or machines) on one PostgreSQL server share the work:
 * the shards of a worker that stops are taken over by the others once its shard locks expire.
 *
 * @since 0.1.0
 */
import {
  ClusterWorkflowEngine,
  RunnerAddress,
  RunnerHealth,
  Runners,
  Sharding,
  ShardingConfig,
  SqlMessageStorage,
  SqlRunnerStorage
} from "@effect/cluster"
import type { SqlError } from "@effect/sql/SqlError"
import type { WorkflowEngine } from "@effect/workflow"
import { Layer, Option } from "effect"
import type { AcceptanceTests } from "../services/AcceptanceTests.js"
import type { BatchExperiments } from "../services/BatchExperiments.js"
import type { Runs } from "../services/Runs.js"
import * as ExperimentWorkflows from "./ExperimentWorkflows.js"
import * as RunWorkflow from "./RunWorkflow.js"
import * as Storage from "./Storage.js"

/** Options of {@link layer} and {@link engine}. */
export interface Options {
  /** Where workflow state lives; see `Storage.embedded` and `Storage.postgres`. */
  readonly storage: Storage.Storage
  /**
   * This worker's identity among the workers sharing the storage: unique among live workers and,
   * ideally, the same after a restart (a pod or host name), so that the restarted worker takes its
   * shards back at once instead of after the lock expiry. It is only a name in the cluster's
   * tables: workers share work through the storage alone and open no port. Two live workers with
   * the same identity would both claim every shard. Default `{ host: "localhost", port: 1 }`
   * (enough for a single worker).
   */
  readonly runner?: { readonly host: string; readonly port: number } | undefined
  /**
   * `false` makes this process a client only: it can start and await workflows but never
   * executes them. Default `true`.
   */
  readonly execute?: boolean | undefined
  /**
   * Advanced `@effect/cluster` settings (poll intervals, shard lock expiry, shards per group…).
   * Defaults here: lock expiry 30 s, storage poll every 1 s.
   */
  readonly sharding?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
  /**
   * Prefix of the tables (`<prefix>_messages`, `<prefix>_replies`, `<prefix>_runners`,
   * `<prefix>_locks`). Workers with different prefixes form separate clusters on one database.
   * Default `"cluster"`.
   */
  readonly tablePrefix?: string | undefined
}

/**
 * The workflow engine alone (no workflows registered) on the chosen storage. Use it to register
 * workflows of your own next to nextmv-effect's.
 */
export const engine = (
  options: Options
): Layer.Layer<WorkflowEngine.WorkflowEngine | Sharding.Sharding, SqlError | Storage.StorageError> => {
  const runner = options.runner ?? { host: "localhost", port: 1 }
  const config = ShardingConfig.layer({
    entityMessagePollInterval: 1_000,
    shardLockExpiration: 30_000,
    ...options.sharding,
    runnerAddress: options.execute === false ? Option.none() : Option.some(RunnerAddress.make(runner.host, runner.port)),
    shardLockDisableAdvisory: options.sharding?.shardLockDisableAdvisory ?? !Storage.usesAdvisoryLocks(options.storage)
  })
  return ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(Sharding.layer),
    Layer.provide(Runners.layerNoop),
    Layer.provideMerge(SqlMessageStorage.layerWith({ prefix: options.tablePrefix })),
    Layer.provide([SqlRunnerStorage.layerWith({ prefix: options.tablePrefix }), RunnerHealth.layerNoop]),
    Layer.provide(config),
    Layer.provide(Storage.sqlLayer(options.storage))
  )
}

/** The nextmv-effect workflows (run, batch experiment, acceptance test) registered on an engine. */
export const workflows: Layer.Layer<
  never,
  never,
  WorkflowEngine.WorkflowEngine | Runs | BatchExperiments | AcceptanceTests
> = Layer.mergeAll(RunWorkflow.layer, ExperimentWorkflows.batchLayer, ExperimentWorkflows.acceptanceLayer)

/**
 * A durable worker: {@link engine} with the nextmv-effect {@link workflows}. Requires the SDK's
 * services (e.g. `Layers.services`). Provides the `WorkflowEngine`, so the same process can start
 * workflows (`RunWorkflow.execute(...)`).
 *
 * @example
 * ```ts
 * import { Storage, Worker, RunWorkflow } from "nextmv-effect/workflow"
 *
 * const WorkerLive = Worker.layer({ storage: Storage.embedded("./.nextmv-workflows") }).pipe(
 *   Layer.provide(Layers.services),
 *   Layer.provide(NextmvClient.layerConfig()),
 *   Layer.provide(Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer)))
 *
 * const program = RunWorkflow.RunWorkflow.execute({ appId: "routing-app", key: "order-42", input })
 * ```
 */
export const layer = (
  options: Options
): Layer.Layer<
  WorkflowEngine.WorkflowEngine | Sharding.Sharding,
  SqlError | Storage.StorageError,
  Runs | BatchExperiments | AcceptanceTests
> => workflows.pipe(Layer.provideMerge(engine(options)))
