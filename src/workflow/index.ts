/**
 * `nextmv-effect/workflow`: durable runs, batch experiments and acceptance tests on Effect's
 * workflow engine (`@effect/workflow`, `@effect/cluster`, `@effect/sql`). These packages are
 * optional peer dependencies: install them only when you use this entry point.
 *
 * @since 0.1.0
 */
export * as ExperimentWorkflows from "./ExperimentWorkflows.js"
export * as RunWorkflow from "./RunWorkflow.js"
export * as Storage from "./Storage.js"
export * as Worker from "./Worker.js"
