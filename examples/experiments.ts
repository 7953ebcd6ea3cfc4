/**
 * Gate a release on data: input set → batch experiment → acceptance test.
 *
 *   npx tsx examples/experiments.ts
 *
 * Uploads two inputs as managed inputs, collects them into an input set, runs a baseline and a
 * candidate instance on every input in a batch experiment, then lets an acceptance test compare
 * the two on the `result.value` statistic. Without credentials it runs in the embedded emulator,
 * where the two instances get decision models that differ (the candidate finds shorter routes);
 * with `NEXTMV_API_KEY` and `NEXTMV_APP_ID` it uses that application's pushed binary on Nextmv Cloud.
 */
import { Clock, Console, Effect, Option } from "effect"
import {
  AcceptanceTestPrograms,
  BatchExperiments,
  ExperimentPrograms,
  InputSets,
  Instances,
  ManagedInputs,
  Uploads,
  Versions
} from "../src/index.js"
import { Models } from "../src/testing/index.js"
import { demoPolling, runExample } from "./support.js"

const inputs = [
  { id: "monday", stops: 12, vehicles: 2 },
  { id: "tuesday", stops: 20, vehicles: 3 }
]

/** The emulator's stand-in for a routing model: route length = stops × factor. */
const routingModel = (factor: number) =>
  Models.output((model) => {
    const input = model.input as { readonly stops: number }
    return { solutions: [], statistics: { schema: "v1", result: { value: input.stops * factor } } }
  })

runExample("experiments-example", ({ appId, emulator }) =>
  Effect.gen(function*() {
    const stamp = yield* Clock.currentTimeMillis
    const baseline = `baseline-${stamp}`
    const candidate = `candidate-${stamp}`

    // 0. Two instances on one version of the app's binary (in the emulator: a seeded binary,
    //    and a model per instance).
    if (Option.isSome(emulator)) {
      emulator.value.areas.binary.seed(appId)
      emulator.value.areas.runs.setModel(`${appId}/${baseline}`, routingModel(10))
      emulator.value.areas.runs.setModel(`${appId}/${candidate}`, routingModel(9.8))
    }
    const version = yield* (yield* Versions.Versions).newVersion(appId, { id: `v-${stamp}` })
    const instances = yield* Instances.Instances
    yield* instances.newInstance(appId, version.id, { id: baseline })
    yield* instances.newInstance(appId, version.id, { id: candidate })

    // 1. Inputs: data uploaded as managed inputs.
    const uploads = yield* Uploads.Uploads
    const managed = yield* ManagedInputs.ManagedInputs
    const inputIds: Array<string> = []
    for (const input of inputs) {
      const url = yield* uploads.uploadUrl(appId)
      yield* uploads.uploadData(url, Uploads.UploadData.json(input))
      const created = yield* managed.newManagedInput(appId, { id: `${input.id}-${stamp}`, uploadId: url.upload_id })
      inputIds.push(created.id)
    }

    // 2. An input set of those inputs.
    const inputSet = yield* (yield* InputSets.InputSets).newInputSet(appId, { id: `week-${stamp}`, inputs: inputIds })
    yield* Console.log(`Input set ${inputSet.id}: ${inputSet.input_ids.join(", ")}`)

    // 3. A batch experiment: both instances on every input.
    const batch = yield* BatchExperiments.BatchExperiments
    const experimentId = yield* batch.newBatchExperiment(appId, {
      id: `compare-${stamp}`,
      runs: inputIds.flatMap((inputId) => [{ inputId, instanceId: baseline }, { inputId, instanceId: candidate }])
    })
    const experiment = yield* ExperimentPrograms.batchExperimentWithPolling(appId, experimentId, { polling: demoPolling })
    yield* Console.log(`Batch experiment ${experiment.id}: ${experiment.status}`)
    for (const run of experiment.runs) yield* Console.log(`  ${run.input_id ?? "-"} on ${run.application_instance_id}: ${run.status_v2}`)

    // 4. An acceptance test: the candidate's mean route length must not be worse than the
    //    baseline's by more than 5 %.
    const test = yield* AcceptanceTestPrograms.newAcceptanceTestWithResult(appId, {
      id: `release-${stamp}`,
      candidateInstanceId: candidate,
      baselineInstanceId: baseline,
      inputSetId: inputSet.id,
      metrics: [{
        field: "result.value",
        statistic: "mean",
        params: { operator: "le", tolerance: { type: "relative", value: 0.05 } }
      }],
      polling: demoPolling
    })
    for (const result of test.results?.metric_results ?? []) {
      const { candidate: c, control } = result.statistics
      yield* Console.log(
        `  ${result.metric.field}: candidate mean ${c.distribution_summary_statistics.mean}, ` +
          `baseline mean ${control.distribution_summary_statistics.mean}, passed: ${result.passed}`
      )
    }
    yield* Console.log(test.results?.passed === true ? "Release accepted." : "Release blocked.")
  }))
