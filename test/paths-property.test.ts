/**
 * Path safety (issue 9 §A) as properties: for every id argument of every operation, a generated
 * id either reaches the emulator as exactly the intended path segment, or the call fails with a
 * typed error before any request is sent. Never a defect.
 *
 * - every path builder of `internal/paths.ts`, every id position: 1,000 generated ids plus the
 *   adversarial list, through WHATWG URL parsing (how undici and fetch build the request line);
 * - per id kind (appId, runId, instanceId, …), one cheap operation over real sockets: the
 *   adversarial list plus 30 generated ids on undici, a core list plus 10 on fetch;
 * - every operation that takes ids, each id argument: a core list on the emulator, and 5 generated
 *   ids through the whole SDK pipeline down to an in-memory transport.
 * The SDK call costs far more than a URL parse, so the 1,000-per-position runs are on the
 * builders; the operation runs prove each operation validates and uses those builders.
 */
import { FetchHttpClient, HttpClient, HttpClientResponse } from "@effect/platform"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { isDeepStrictEqual } from "node:util"
import { Cause, Context, Effect, Exit, Layer, Option, Redacted, Runtime, Stream } from "effect"
import fc from "fast-check"
import { InvalidArgumentError } from "../src/Errors.js"
import * as paths from "../src/internal/paths.js"
import { idProblem } from "../src/internal/validate.js"
import * as Layers from "../src/Layers.js"
import * as AcceptanceTestPrograms from "../src/programs/AcceptanceTests.js"
import * as Push from "../src/programs/Push.js"
import * as ScenarioTestPrograms from "../src/programs/ScenarioTests.js"
import { AcceptanceTests } from "../src/services/AcceptanceTests.js"
import { Applications } from "../src/services/Applications.js"
import { BatchExperiments } from "../src/services/BatchExperiments.js"
import { Ensembles } from "../src/services/Ensembles.js"
import { InputSets } from "../src/services/InputSets.js"
import { Instances } from "../src/services/Instances.js"
import { ManagedInputs } from "../src/services/ManagedInputs.js"
import { Runs } from "../src/services/Runs.js"
import { Secrets } from "../src/services/Secrets.js"
import { ShadowTests } from "../src/services/ShadowTests.js"
import { SwitchbackTests } from "../src/services/SwitchbackTests.js"
import { Uploads } from "../src/services/Uploads.js"
import * as NextmvClientModule from "../src/services/NextmvClient.js"
import type { NextmvClient } from "../src/services/NextmvClient.js"
import { Versions } from "../src/services/Versions.js"
import * as Emulator from "../src/testing/Emulator.js"
import { fastRetry } from "./support/layers.js"

/** Ids that URL handling is known to treat specially, plus unpaired surrogates. */
const ADVERSARIAL = [
  "",
  " ",
  "  ",
  ".",
  "..",
  "...",
  " .",
  ". ",
  "%2e",
  "%2E",
  "%2e%2e",
  "%2E%2E",
  ".%2e",
  "%2e.",
  "..%2f",
  "%2e%2e%2f",
  "a/../b",
  "../x",
  "./",
  "/",
  "//",
  "\\",
  "..\\",
  "\\..",
  "?",
  "?a=1",
  "#",
  "#x",
  "%",
  "%00",
  "%zz",
  "\u0000",
  "\t",
  "\n",
  "\r\n",
  ";",
  "..;",
  ";..",
  "%252e",
  "%252E%252E",
  "\ud800",
  "\udc00",
  "a\ud800",
  "\udfffb",
  "\ud83d",
  "\ud83d\ude00",
  "\u00e4",
  "\uff0e\uff0e",
  "\u2024\u2024",
  ".\u200b.",
  "%c0%ae%c0%ae",
  "app",
  "A-b_c.d~e",
  "a b",
  "a+b",
  "a&b=c",
  "@",
  ":",
  "[::1]",
  "http://x",
  "café",
  "\u202e"
]

/** A few ids of each outcome, for the runs that cover every operation. */
const CORE = ["", " ", ".", "..", "\ud800", "a\udc00", "...", "%2e%2e", "a/../b", "?#%", "\\..", "\ud83d\ude00"]

/** Characters that matter to URL parsing, so short random mixes hit the edge cases often. */
const URL_CHARS = [".", "%", "2", "e", "E", "f", "F", "/", "\\", "?", "#", ";", " ", "a", "\ud800", "\udc00", ":", "@"]

const idArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...ADVERSARIAL),
  fc.array(fc.constantFrom(...URL_CHARS), { maxLength: 6 }).map((chars) => chars.join("")),
  fc.string({ unit: "binary", maxLength: 10 }),
  fc.string({ unit: "grapheme-ascii", maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 6 })
)

const API_PREFIX = ["", "v1", "applications"]

/** Decoded segments of a received path (a segment that does not decode is kept raw, and fails). */
const decodedSegments = (path: string): ReadonlyArray<string> =>
  path.split("/").map((segment) => {
    try {
      return decodeURIComponent(segment)
    } catch {
      return `<undecodable ${segment}>`
    }
  })

/** What a request looked like when it reached the server (or the transport). */
interface Seen {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly json: unknown
}

/** The request log the property reads: the emulator's, or the in-memory transport's. */
class Recorder extends Context.Tag("test/Recorder")<Recorder, {
  readonly clear: Effect.Effect<void>
  readonly requests: Effect.Effect<ReadonlyArray<Seen>>
}>() {}

type Services = Layers.Services | Recorder | HttpClient.HttpClient | NodeContext.NodeContext | NextmvClient

const emulatorRecorder = Layer.effect(
  Recorder,
  Effect.map(Emulator.Emulator, (emulator) => ({ clear: emulator.clearRequests, requests: emulator.requests }))
)

const layerWith = (transport: Layer.Layer<HttpClient.HttpClient>) =>
  Layers.services.pipe(
    Layer.provideMerge(emulatorRecorder),
    Layer.provideMerge(Emulator.layerClient({ client: { retry: { ...fastRetry, retries: 0 } } })),
    Layer.provideMerge(NodeContext.layer),
    Layer.provideMerge(transport)
  )

const undici = layerWith(NodeHttpClient.layerUndici)
const fetch = layerWith(FetchHttpClient.layer)

/**
 * The SDK's whole pipeline down to the transport, without sockets: the transport records the
 * URL it is handed (after the platform built it with WHATWG URL, as undici and fetch get it) and
 * answers 404. Cheap enough for every operation times many ids; the emulator runs above confirm
 * that what a transport is handed is what a server receives.
 */
const inMemory = (() => {
  const log: Array<Seen> = []
  const transport = Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request, url) =>
      Effect.sync(() => {
        const text = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : undefined
        log.push({
          method: request.method,
          path: url.pathname,
          query: Object.fromEntries(url.searchParams.entries()),
          json: text === undefined ? undefined : JSON.parse(text)
        })
        return HttpClientResponse.fromWeb(
          request,
          new Response(JSON.stringify({ error: "not found" }), { status: 404, headers: { "content-type": "application/json" } })
        )
      })
    )
  )
  const recorder = Layer.succeed(Recorder, {
    clear: Effect.sync(() => {
      log.length = 0
    }),
    requests: Effect.sync(() => log.slice())
  })
  const client = NextmvClientModule.layer({
    apiKey: Redacted.make("key"),
    baseUrl: "https://api.example.test",
    retry: { retries: 0 },
    // A recording transport, not a server: no rate limits to keep to.
    budget: false
  })
  return Layers.services.pipe(
    Layer.provideMerge(recorder),
    Layer.provideMerge(client),
    Layer.provideMerge(NodeContext.layer),
    Layer.provideMerge(transport)
  )
})()

/** One id argument of one operation, and what the first request must look like. */
interface Case {
  readonly operation: string
  /** Name of the id argument (as `idProblem` reports it). */
  readonly argument: string
  readonly call: (id: string) => Effect.Effect<unknown, unknown, Services>
  /** The first request: method and intended decoded path segments; or a check of its query/body. */
  readonly method: string
  readonly segments?: (id: string) => ReadonlyArray<string>
  readonly query?: (id: string) => Readonly<Record<string, string>>
  readonly body?: (id: string) => unknown
  /** An optional id: `""` means "not given" (as in nextmv-py) and is not checked. */
  readonly optional?: boolean
  /** The operation may fail (typed) before its first request even for a valid id. */
  readonly mayStopEarly?: boolean
}

const APP = "app-1"
const OTHER = "other-1"
const app = (...rest: ReadonlyArray<string>) => [...API_PREFIX, ...rest]

/** `call` with the id in the app position and, separately, in the other position. */
const pair = (
  operation: string,
  method: string,
  otherArgument: string,
  call: (appId: string, otherId: string) => Effect.Effect<unknown, unknown, Services>,
  segments: (appId: string, otherId: string) => ReadonlyArray<string>
): ReadonlyArray<Case> => [
  { operation, argument: "appId", method, call: (id) => call(id, OTHER), segments: (id) => segments(id, OTHER) },
  { operation, argument: otherArgument, method, call: (id) => call(APP, id), segments: (id) => segments(APP, id) }
]

const only = (
  operation: string,
  method: string,
  call: (appId: string) => Effect.Effect<unknown, unknown, Services>,
  segments: (appId: string) => ReadonlyArray<string>
): Case => ({ operation, argument: "appId", method, call, segments })

const svc = <I, S>(tag: import("effect").Context.Tag<I, S>, f: (s: S) => Effect.Effect<unknown, unknown, Services>) =>
  Effect.flatMap(tag, f)

const metric = {
  field: "result.value",
  statistic: "mean",
  params: { operator: "le", tolerance: { type: "relative", value: 0.05 } }
} as const

/** Every operation that takes ids, with each id argument. */
const CASES: ReadonlyArray<Case> = [
  // Applications
  only("getApplication", "GET", (a) => svc(Applications, (s) => s.getApplication(a)), (a) => app(a)),
  only("applicationExists", "GET", (a) => svc(Applications, (s) => s.applicationExists(a)), (a) => app(a)),
  only("deleteApplication", "DELETE", (a) => svc(Applications, (s) => s.deleteApplication(a)), (a) => app(a)),
  only("updateApplication", "GET", (a) => svc(Applications, (s) => s.updateApplication(a, { name: "n" })), (a) => app(a)),
  {
    operation: "newApplication",
    argument: "id",
    method: "GET",
    call: (id) => svc(Applications, (s) => s.newApplication({ id, existOk: true })),
    segments: (id) => app(id)
  },
  {
    operation: "newApplication(defaultInstanceId)",
    argument: "defaultInstanceId",
    optional: true,
    method: "POST",
    call: (id) => svc(Applications, (s) => s.newApplication({ id: "new-app", defaultInstanceId: id })),
    body: (id) => ({ id: "new-app", name: "new-app", default_instance: id })
  },
  // Versions
  ...pair("version", "GET", "versionId", (a, v) => svc(Versions, (s) => s.version(a, v)), (a, v) => app(a, "versions", v)),
  ...pair("versionExists", "GET", "versionId", (a, v) => svc(Versions, (s) => s.versionExists(a, v)), (a, v) => app(a, "versions", v)),
  ...pair("updateVersion", "GET", "versionId", (a, v) => svc(Versions, (s) => s.updateVersion(a, v)), (a, v) => app(a, "versions", v)),
  ...pair("deleteVersion", "DELETE", "versionId", (a, v) => svc(Versions, (s) => s.deleteVersion(a, v)), (a, v) => app(a, "versions", v)),
  only("listVersions", "GET", (a) => svc(Versions, (s) => s.listVersions(a)), (a) => app(a, "versions")),
  ...pair(
    "newVersion",
    "GET",
    "id",
    (a, v) => svc(Versions, (s) => s.newVersion(a, { id: v, existOk: true })),
    (a, v) => app(a, "versions", v)
  ),
  // Instances
  ...pair("instance", "GET", "instanceId", (a, i) => svc(Instances, (s) => s.instance(a, i)), (a, i) => app(a, "instances", i)),
  ...pair("instanceExists", "GET", "instanceId", (a, i) => svc(Instances, (s) => s.instanceExists(a, i)), (a, i) => app(a, "instances", i)),
  ...pair("updateInstance", "GET", "instanceId", (a, i) => svc(Instances, (s) => s.updateInstance(a, i)), (a, i) => app(a, "instances", i)),
  ...pair(
    "deleteInstance",
    "DELETE",
    "instanceId",
    (a, i) => svc(Instances, (s) => s.deleteInstance(a, i)),
    (a, i) => app(a, "instances", i)
  ),
  only("listInstances", "GET", (a) => svc(Instances, (s) => s.listInstances(a)), (a) => app(a, "instances")),
  ...pair(
    "newInstance",
    "POST",
    "versionId",
    (a, v) => svc(Instances, (s) => s.newInstance(a, v, { id: "inst" })),
    (a) => app(a, "instances")
  ),
  {
    operation: "newInstance(id)",
    argument: "id",
    method: "GET",
    call: (id) => svc(Instances, (s) => s.newInstance(APP, "v1", { id, existOk: true })),
    segments: (id) => app(APP, "instances", id)
  },
  {
    operation: "updateInstance(versionId)",
    argument: "versionId",
    optional: true,
    method: "GET",
    call: (id) => svc(Instances, (s) => s.updateInstance(APP, "inst", { versionId: id })),
    segments: () => app(APP, "instances", "inst")
  },
  // Ensembles
  ...pair(
    "ensembleDefinition",
    "GET",
    "ensembleDefinitionId",
    (a, e) => svc(Ensembles, (s) => s.ensembleDefinition(a, e)),
    (a, e) => app(a, "ensembles", e)
  ),
  ...pair(
    "updateEnsembleDefinition",
    "PATCH",
    "ensembleDefinitionId",
    (a, e) => svc(Ensembles, (s) => s.updateEnsembleDefinition(a, e, { name: "n" })),
    (a, e) => app(a, "ensembles", e)
  ),
  ...pair(
    "deleteEnsembleDefinition",
    "DELETE",
    "ensembleDefinitionId",
    (a, e) => svc(Ensembles, (s) => s.deleteEnsembleDefinition(a, e)),
    (a, e) => app(a, "ensembles", e)
  ),
  only("listEnsembleDefinitions", "GET", (a) => svc(Ensembles, (s) => s.listEnsembleDefinitions(a)), (a) => app(a, "ensembles")),
  only(
    "streamEnsembleDefinitions",
    "GET",
    (a) => svc(Ensembles, (s) => Stream.runDrain(s.streamEnsembleDefinitions(a))),
    (a) => app(a, "ensembles")
  ),
  // Secrets
  ...pair(
    "secretsCollection",
    "GET",
    "secretsCollectionId",
    (a, c) => svc(Secrets, (s) => s.secretsCollection(a, c)),
    (a, c) => app(a, "secrets", c)
  ),
  ...pair(
    "updateSecretsCollection",
    "GET",
    "secretsCollectionId",
    (a, c) => svc(Secrets, (s) => s.updateSecretsCollection(a, c)),
    (a, c) => app(a, "secrets", c)
  ),
  ...pair(
    "deleteSecretsCollection",
    "DELETE",
    "secretsCollectionId",
    (a, c) => svc(Secrets, (s) => s.deleteSecretsCollection(a, c)),
    (a, c) => app(a, "secrets", c)
  ),
  only("listSecretsCollections", "GET", (a) => svc(Secrets, (s) => s.listSecretsCollections(a)), (a) => app(a, "secrets")),
  only(
    "streamSecretsCollections",
    "GET",
    (a) => svc(Secrets, (s) => Stream.runDrain(s.streamSecretsCollections(a))),
    (a) => app(a, "secrets")
  ),
  only(
    "newSecretsCollection",
    "POST",
    (a) =>
      svc(Secrets, (s) => s.newSecretsCollection(a, { id: "c", secrets: [{ type: "env", location: "K", value: Redacted.make("v") }] })),
    (a) => app(a, "secrets")
  ),
  // Runs and uploads
  only("uploadUrl", "POST", (a) => svc(Uploads, (s) => s.uploadUrl(a)), (a) => app(a, "runs", "uploadurl")),
  only("newRun", "POST", (a) => svc(Runs, (s) => s.newRun(a, { input: {} })), (a) => app(a, "runs")),
  {
    operation: "newRun(instanceId)",
    argument: "instanceId",
    optional: true,
    method: "POST",
    call: (id) => svc(Runs, (s) => s.newRun(APP, { input: {}, instanceId: id })),
    query: (id) => ({ instance_id: id })
  },
  {
    operation: "newRun(managedInputId)",
    argument: "managedInputId",
    optional: true,
    method: "POST",
    call: (id) => svc(Runs, (s) => s.newRun(APP, { managedInputId: id })),
    segments: () => app(APP, "runs")
  },
  only("listRuns", "GET", (a) => svc(Runs, (s) => s.listRuns(a)), (a) => app(a, "runs")),
  only("listRuns (noPagination)", "GET", (a) => svc(Runs, (s) => s.listRuns(a, { noPagination: true })), (a) => app(a, "runs")),
  only("streamRuns", "GET", (a) => svc(Runs, (s) => Stream.runDrain(s.streamRuns(a))), (a) => app(a, "runs")),
  ...pair("runInformation", "GET", "runId", (a, r) => svc(Runs, (s) => s.runInformation(a, r)), (a, r) => app(a, "runs", r, "metadata")),
  ...pair("deleteRun", "DELETE", "runId", (a, r) => svc(Runs, (s) => s.deleteRun(a, r)), (a, r) => app(a, "runs", r)),
  ...pair("runOutput", "GET", "runId", (a, r) => svc(Runs, (s) => s.runOutput(a, r)), (a, r) => app(a, "runs", r, "metadata")),
  ...pair("runMetadata", "GET", "runId", (a, r) => svc(Runs, (s) => s.runMetadata(a, r)), (a, r) => app(a, "runs", r, "metadata")),
  ...pair("runResult", "GET", "runId", (a, r) => svc(Runs, (s) => s.runResult(a, r)), (a, r) => app(a, "runs", r, "metadata")),
  ...pair("runInput", "GET", "runId", (a, r) => svc(Runs, (s) => s.runInput(a, r)), (a, r) => app(a, "runs", r, "metadata")),
  ...pair("runLogs", "GET", "runId", (a, r) => svc(Runs, (s) => s.runLogs(a, r)), (a, r) => app(a, "runs", r, "logs")),
  ...pair("runLiveLogs", "GET", "runId", (a, r) => svc(Runs, (s) => s.runLiveLogs(a, r)), (a, r) => app(a, "runs", r, "logs", "live")),
  ...pair("cancelRun", "PATCH", "runId", (a, r) => svc(Runs, (s) => s.cancelRun(a, r)), (a, r) => app(a, "runs", r, "cancel")),
  ...pair("listAssets", "GET", "runId", (a, r) => svc(Runs, (s) => s.listAssets(a, r)), (a, r) => app(a, "runs", r, "assets")),
  ...pair(
    "downloadAssetContent",
    "GET",
    "runId",
    (a, r) => svc(Runs, (s) => s.downloadAssetContent(a, r, "asset-1")),
    (a, r) => app(a, "runs", r, "assets", "asset-1")
  ),
  {
    operation: "downloadAssetContent(assetId)",
    argument: "assetId",
    method: "GET",
    call: (id) => svc(Runs, (s) => s.downloadAssetContent(APP, "run-1", id)),
    segments: (id) => app(APP, "runs", "run-1", "assets", id)
  },
  only("trackRun", "POST", (a) => svc(Runs, (s) => s.trackRun(a, { status: "succeeded", input: {} })), (a) => app(a, "runs", "uploadurl")),
  // Experiments: input sets, managed inputs
  ...pair(
    "inputSet",
    "GET",
    "inputSetId",
    (a, i) => svc(InputSets, (s) => s.inputSet(a, i)),
    (a, i) => app(a, "experiments", "inputsets", i)
  ),
  ...pair(
    "updateInputSet",
    "GET",
    "inputSetId",
    (a, i) => svc(InputSets, (s) => s.updateInputSet(a, i, {})),
    (a, i) => app(a, "experiments", "inputsets", i)
  ),
  ...pair(
    "deleteInputSet",
    "DELETE",
    "inputSetId",
    (a, i) => svc(InputSets, (s) => s.deleteInputSet(a, i)),
    (a, i) => app(a, "experiments", "inputsets", i)
  ),
  only("listInputSets", "GET", (a) => svc(InputSets, (s) => s.listInputSets(a)), (a) => app(a, "experiments", "inputsets")),
  only("newInputSet", "POST", (a) => svc(InputSets, (s) => s.newInputSet(a, { id: "s" })), (a) => app(a, "experiments", "inputsets")),
  ...pair(
    "managedInput",
    "GET",
    "managedInputId",
    (a, m) => svc(ManagedInputs, (s) => s.managedInput(a, m)),
    (a, m) => app(a, "inputs", m)
  ),
  ...pair(
    "updateManagedInput",
    "GET",
    "managedInputId",
    (a, m) => svc(ManagedInputs, (s) => s.updateManagedInput(a, m, {})),
    (a, m) => app(a, "inputs", m)
  ),
  ...pair(
    "deleteManagedInput",
    "DELETE",
    "managedInputId",
    (a, m) => svc(ManagedInputs, (s) => s.deleteManagedInput(a, m)),
    (a, m) => app(a, "inputs", m)
  ),
  only("listManagedInputs", "GET", (a) => svc(ManagedInputs, (s) => s.listManagedInputs(a)), (a) => app(a, "inputs")),
  ...pair(
    "newManagedInput",
    "POST",
    "runId",
    (a, r) => svc(ManagedInputs, (s) => s.newManagedInput(a, { id: "m", runId: r })),
    (a) => app(a, "inputs")
  ),
  // Batch experiments and scenario tests
  ...pair(
    "batchExperiment",
    "GET",
    "batchId",
    (a, b) => svc(BatchExperiments, (s) => s.batchExperiment(a, b)),
    (a, b) => app(a, "experiments", "batch", b)
  ),
  ...pair(
    "batchExperimentMetadata",
    "GET",
    "batchId",
    (a, b) => svc(BatchExperiments, (s) => s.batchExperimentMetadata(a, b)),
    (a, b) => app(a, "experiments", "batch", b, "metadata")
  ),
  ...pair(
    "updateBatchExperiment",
    "PATCH",
    "batchId",
    (a, b) => svc(BatchExperiments, (s) => s.updateBatchExperiment(a, b, { name: "n" })),
    (a, b) => app(a, "experiments", "batch", b)
  ),
  ...pair(
    "deleteBatchExperiment",
    "DELETE",
    "batchId",
    (a, b) => svc(BatchExperiments, (s) => s.deleteBatchExperiment(a, b)),
    (a, b) => app(a, "experiments", "batch", b)
  ),
  ...pair(
    "scenarioTest",
    "GET",
    "scenarioTestId",
    (a, b) => svc(BatchExperiments, (s) => s.scenarioTest(a, b)),
    (a, b) => app(a, "experiments", "batch", b)
  ),
  ...pair(
    "scenarioTestMetadata",
    "GET",
    "scenarioTestId",
    (a, b) => svc(BatchExperiments, (s) => s.scenarioTestMetadata(a, b)),
    (a, b) => app(a, "experiments", "batch", b, "metadata")
  ),
  ...pair(
    "updateScenarioTest",
    "PATCH",
    "scenarioTestId",
    (a, b) => svc(BatchExperiments, (s) => s.updateScenarioTest(a, b, { name: "n" })),
    (a, b) => app(a, "experiments", "batch", b)
  ),
  ...pair(
    "deleteScenarioTest",
    "DELETE",
    "scenarioTestId",
    (a, b) => svc(BatchExperiments, (s) => s.deleteScenarioTest(a, b)),
    (a, b) => app(a, "experiments", "batch", b)
  ),
  only(
    "listBatchExperiments",
    "GET",
    (a) => svc(BatchExperiments, (s) => s.listBatchExperiments(a)),
    (a) => app(a, "experiments", "batch")
  ),
  only("listScenarioTests", "GET", (a) => svc(BatchExperiments, (s) => s.listScenarioTests(a)), (a) => app(a, "experiments", "batch")),
  only(
    "newBatchExperiment",
    "POST",
    (a) => svc(BatchExperiments, (s) => s.newBatchExperiment(a, { id: "b" })),
    (a) => app(a, "experiments", "batch")
  ),
  {
    operation: "newBatchExperiment(runs[].instanceId)",
    argument: "instanceId",
    optional: true,
    method: "POST",
    call: (id) =>
      svc(BatchExperiments, (s) => s.newBatchExperiment(APP, { id: "b", runs: [{ inputId: "i", versionId: "v", instanceId: id }] })),
    segments: () => app(APP, "experiments", "batch")
  },
  // Acceptance tests
  ...pair(
    "acceptanceTest",
    "GET",
    "acceptanceTestId",
    (a, t) => svc(AcceptanceTests, (s) => s.acceptanceTest(a, t)),
    (a, t) => app(a, "experiments", "acceptance", t)
  ),
  ...pair(
    "updateAcceptanceTest",
    "PATCH",
    "acceptanceTestId",
    (a, t) => svc(AcceptanceTests, (s) => s.updateAcceptanceTest(a, t, { name: "n" })),
    (a, t) => app(a, "experiments", "acceptance", t)
  ),
  ...pair(
    "deleteAcceptanceTest",
    "DELETE",
    "acceptanceTestId",
    (a, t) => svc(AcceptanceTests, (s) => s.deleteAcceptanceTest(a, t)),
    (a, t) => app(a, "experiments", "acceptance", t)
  ),
  only(
    "listAcceptanceTests",
    "GET",
    (a) => svc(AcceptanceTests, (s) => s.listAcceptanceTests(a)),
    (a) => app(a, "experiments", "acceptance")
  ),
  ...pair(
    "createAcceptanceTest",
    "POST",
    "candidateInstanceId",
    (a, c) =>
      svc(AcceptanceTests, (s) =>
        s.createAcceptanceTest(a, {
          id: "t",
          name: "t",
          experimentId: "t",
          candidateInstanceId: c,
          baselineInstanceId: "base",
          metrics: [metric]
        })),
    (a) => app(a, "experiments", "acceptance")
  ),
  // Shadow and switchback tests
  ...pair(
    "shadowTest",
    "GET",
    "shadowTestId",
    (a, t) => svc(ShadowTests, (s) => s.shadowTest(a, t)),
    (a, t) => app(a, "experiments", "shadow", t)
  ),
  ...pair(
    "shadowTestMetadata",
    "GET",
    "shadowTestId",
    (a, t) => svc(ShadowTests, (s) => s.shadowTestMetadata(a, t)),
    (a, t) => app(a, "experiments", "shadow", t, "metadata")
  ),
  ...pair(
    "startShadowTest",
    "PUT",
    "shadowTestId",
    (a, t) => svc(ShadowTests, (s) => s.startShadowTest(a, t)),
    (a, t) => app(a, "experiments", "shadow", t, "start")
  ),
  ...pair(
    "deleteShadowTest",
    "DELETE",
    "shadowTestId",
    (a, t) => svc(ShadowTests, (s) => s.deleteShadowTest(a, t)),
    (a, t) => app(a, "experiments", "shadow", t)
  ),
  only("listShadowTests", "GET", (a) => svc(ShadowTests, (s) => s.listShadowTests(a)), (a) => app(a, "experiments", "shadow")),
  ...pair(
    "switchbackTest",
    "GET",
    "switchbackTestId",
    (a, t) => svc(SwitchbackTests, (s) => s.switchbackTest(a, t)),
    (a, t) => app(a, "experiments", "switchback", t)
  ),
  ...pair(
    "switchbackTestMetadata",
    "GET",
    "switchbackTestId",
    (a, t) => svc(SwitchbackTests, (s) => s.switchbackTestMetadata(a, t)),
    (a, t) => app(a, "experiments", "switchback", t, "metadata")
  ),
  ...pair(
    "startSwitchbackTest",
    "PUT",
    "switchbackTestId",
    (a, t) => svc(SwitchbackTests, (s) => s.startSwitchbackTest(a, t)),
    (a, t) => app(a, "experiments", "switchback", t, "start")
  ),
  only(
    "listSwitchbackTests",
    "GET",
    (a) => svc(SwitchbackTests, (s) => s.listSwitchbackTests(a)),
    (a) => app(a, "experiments", "switchback")
  ),
  // Programs that build paths themselves or check ids first
  {
    ...only("Push.push", "GET", (a) => Push.push(a, { appDir: "/nonexistent-nextmv-app-dir" }), (a) => app(a, "binary")),
    mayStopEarly: true
  },
  ...pair(
    "newAcceptanceTest",
    "GET",
    "candidateInstanceId",
    (a, c) =>
      AcceptanceTestPrograms.newAcceptanceTest(a, {
        candidateInstanceId: c,
        baselineInstanceId: "base",
        metrics: [metric],
        id: "t"
      }),
    (a) => app(a, "experiments", "batch", "t")
  ),
  {
    ...only(
      "newScenarioTest",
      "POST",
      (a) => ScenarioTestPrograms.newScenarioTest(a, { scenarios: [] }),
      (a) => app(a, "experiments", "batch")
    ),
    mayStopEarly: true
  }
]

const failureTag = (exit: Exit.Exit<unknown, unknown>): string | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) return `defect: ${Cause.pretty(exit.cause)}`
  const error = failure.value
  return typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : `untagged: ${String(error)}`
}

/** Runs `c` with `id` and checks the outcome; returns a description of the violation, if any. */
const checkOnce = (runtime: Runtime.Runtime<Services>, c: Case, id: string) =>
  Effect.gen(function*() {
    const recorder = yield* Recorder
    yield* recorder.clear
    const exit = yield* Effect.promise(() => Runtime.runPromiseExit(runtime)(c.call(id)))
    const requests = yield* recorder.requests
    const tag = failureTag(exit)
    // A typed failure is a tagged value in the error channel; a defect or an untagged value is not.
    if (tag !== undefined && (tag.startsWith("defect") || tag.startsWith("untagged"))) {
      return `${c.operation}(${JSON.stringify(id)}): ${tag}`
    }
    const notGiven = c.optional === true && id === ""
    if (!notGiven && idProblem(c.argument, id) !== undefined) {
      // Must be rejected before any request.
      if (tag !== "InvalidArgumentError") {
        return `${c.operation}(${JSON.stringify(id)}): expected InvalidArgumentError, got ${tag ?? "success"}`
      }
      const error = Cause.failureOption((exit as Exit.Failure<unknown, unknown>).cause)
      if (Option.isSome(error) && !(error.value instanceof InvalidArgumentError)) return `${c.operation}: not an InvalidArgumentError`
      if (requests.length > 0) return `${c.operation}(${JSON.stringify(id)}): ${requests.length} request(s) sent`
      return undefined
    }
    const first = requests[0]
    if (first === undefined) {
      if (c.mayStopEarly === true && tag !== undefined) return undefined
      return `${c.operation}(${JSON.stringify(id)}): no request sent (${tag ?? "success"})`
    }
    if (first.method !== c.method) return `${c.operation}(${JSON.stringify(id)}): method ${first.method}`
    if (c.segments !== undefined) {
      const got = decodedSegments(first.path)
      const want = c.segments(id)
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        return `${c.operation}(${JSON.stringify(id)}): path ${first.path} decodes to ${JSON.stringify(got)}, wanted ${JSON.stringify(want)}`
      }
    }
    if (notGiven) return undefined
    if (c.query !== undefined) {
      for (const [key, value] of Object.entries(c.query(id))) {
        if (first.query[key] !== value) return `${c.operation}(${JSON.stringify(id)}): query ${key}=${first.query[key]}`
      }
    }
    if (c.body !== undefined && !isDeepStrictEqual(first.json, c.body(id))) {
      return `${c.operation}(${JSON.stringify(id)}): body ${JSON.stringify(first.json)}`
    }
    return undefined
  })

/** fast-check over `cases` (each generated id goes through every case); fails on the first violation. */
const property = (cases: ReadonlyArray<Case>, options: { readonly numRuns: number; readonly examples?: ReadonlyArray<string> }) =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<Services>()
    yield* Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(idArbitrary, async (id) => {
          for (const c of cases) {
            const violation = await Runtime.runPromise(runtime)(checkOnce(runtime, c, id))
            if (violation !== undefined) throw new Error(violation)
          }
        }),
        // fast-check counts the examples in `numRuns`; `numRuns` here means generated ids.
        {
          numRuns: options.numRuns + (options.examples?.length ?? 0),
          examples: (options.examples ?? []).map((id) => [id] as [string])
        }
      )
    )
  })

type Builder = readonly [
  name: string,
  arity: number,
  build: (ids: ReadonlyArray<string>) => string,
  segments: (ids: ReadonlyArray<string>) => ReadonlyArray<string>
]

/** Every path builder of `internal/paths.ts` that takes ids. */
const BUILDERS: ReadonlyArray<Builder> = [
  ["applicationPath", 1, ([a]) => paths.applicationPath(a!), ([a]) => [a!]],
  ["instancesPath", 2, ([a, b]) => paths.instancesPath(a!, b), ([a, b]) => [a!, "instances", b!]],
  ["versionsPath", 2, ([a, b]) => paths.versionsPath(a!, b), ([a, b]) => [a!, "versions", b!]],
  ["ensemblesPath", 2, ([a, b]) => paths.ensemblesPath(a!, b), ([a, b]) => [a!, "ensembles", b!]],
  ["secretsPath", 2, ([a, b]) => paths.secretsPath(a!, b), ([a, b]) => [a!, "secrets", b!]],
  ["binaryPath", 1, ([a]) => paths.binaryPath(a!), ([a]) => [a!, "binary"]],
  ["managedInputsPath", 2, ([a, b]) => paths.managedInputsPath(a!, b), ([a, b]) => [a!, "inputs", b!]],
  ["runsPath", 1, ([a]) => paths.runsPath(a!), ([a]) => [a!, "runs"]],
  ["runPath", 2, ([a, b]) => paths.runPath(a!, b!), ([a, b]) => [a!, "runs", b!]],
  ["uploadUrlPath", 1, ([a]) => paths.uploadUrlPath(a!), ([a]) => [a!, "runs", "uploadurl"]],
  ["runMetadataPath", 2, ([a, b]) => paths.runMetadataPath(a!, b!), ([a, b]) => [a!, "runs", b!, "metadata"]],
  ["runOutputPath", 2, ([a, b]) => paths.runOutputPath(a!, b!), ([a, b]) => [a!, "runs", b!, "output"]],
  ["runInputPath", 2, ([a, b]) => paths.runInputPath(a!, b!), ([a, b]) => [a!, "runs", b!, "input"]],
  ["runLogsPath", 2, ([a, b]) => paths.runLogsPath(a!, b!), ([a, b]) => [a!, "runs", b!, "logs"]],
  ["runLiveLogsPath", 2, ([a, b]) => paths.runLiveLogsPath(a!, b!), ([a, b]) => [a!, "runs", b!, "logs", "live"]],
  ["runCancelPath", 2, ([a, b]) => paths.runCancelPath(a!, b!), ([a, b]) => [a!, "runs", b!, "cancel"]],
  ["runAssetsPath", 3, ([a, b, c]) => paths.runAssetsPath(a!, b!, c), ([a, b, c]) => [a!, "runs", b!, "assets", c!]],
  ["experimentsPath", 1, ([a]) => paths.experimentsPath(a!), ([a]) => [a!, "experiments"]],
  ["inputSetsPath", 2, ([a, b]) => paths.inputSetsPath(a!, b), ([a, b]) => [a!, "experiments", "inputsets", b!]],
  ["batchExperimentsPath", 2, ([a, b]) => paths.batchExperimentsPath(a!, b), ([a, b]) => [a!, "experiments", "batch", b!]],
  [
    "batchExperimentRunsPath",
    2,
    ([a, b]) => paths.batchExperimentRunsPath(a!, b!),
    ([a, b]) => [a!, "experiments", "batch", b!, "runs"]
  ],
  [
    "batchExperimentMetadataPath",
    2,
    ([a, b]) => paths.batchExperimentMetadataPath(a!, b!),
    ([a, b]) => [a!, "experiments", "batch", b!, "metadata"]
  ],
  ["shadowTestsPath", 2, ([a, b]) => paths.shadowTestsPath(a!, b), ([a, b]) => [a!, "experiments", "shadow", b!]],
  ["switchbackTestsPath", 2, ([a, b]) => paths.switchbackTestsPath(a!, b), ([a, b]) => [a!, "experiments", "switchback", b!]],
  [
    "acceptanceTestsPath",
    2,
    ([a, b]) => paths.acceptanceTestsPath(a!, b),
    ([a, b]) => [a!, "experiments", "acceptance", b!]
  ]
]

/** One cheap operation per id kind. */
const PER_KIND: ReadonlyArray<string> = [
  "getApplication",
  "version",
  "instance",
  "ensembleDefinition",
  "secretsCollection",
  "runLogs",
  "downloadAssetContent(assetId)",
  "inputSet",
  "managedInput",
  "batchExperimentMetadata",
  "scenarioTestMetadata",
  "acceptanceTest",
  "newRun(instanceId)"
]

const casesFor = (operation: string) => CASES.filter((c) => c.operation === operation)

describe("path safety (properties)", () => {
  it("every path builder, every id position: 1,000 generated ids, one segment each through URL parsing", () => {
    const base = "https://api.example.test/base"
    for (const [name, arity, build, want] of BUILDERS) {
      for (let position = 0; position < arity; position++) {
        fc.assert(
          fc.property(idArbitrary, (id) => {
            // Ids the validator rejects never reach a builder (checked by the operation tests).
            if (idProblem("id", id) !== undefined) return
            const ids = Array.from({ length: arity }, (_, i) => i === position ? id : `id-${i}`)
            const url = new URL(`${base}${build(ids)}`)
            const got = decodedSegments(url.pathname.slice("/base".length))
            if (!isDeepStrictEqual(got, [...API_PREFIX, ...want(ids)])) {
              throw new Error(`${name}[${position}](${JSON.stringify(id)}): ${url.pathname}`)
            }
            // fetch builds its request from the same URL without changing it.
            if (new Request(url).url !== url.href) throw new Error(`${name}: fetch changed ${url.href}`)
          }),
          { numRuns: 1000 + ADVERSARIAL.length, examples: ADVERSARIAL.map((id) => [id] as [string]) }
        )
      }
    }
  })

  it("rejects exactly the empty, blank, dot, dot-dot and unpaired-surrogate ids", () => {
    for (const id of ["", " ", "\t", ".", "..", "\ud800", "a\udc00", "\ud83d"]) expect(idProblem("id", id)).toBeDefined()
    for (const id of ["...", " .", "%2e", "%2e%2e", "\ud83d\ude00", "a/b", "?", "#", "%"]) {
      expect(idProblem("id", id)).toBeUndefined()
    }
  })

  it("the plain-id fast path: the same segments and the same verdicts as the general path", () => {
    // The general path, as it reads without the fast path for plain ids.
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
    const general = (value: string) => encodeURIComponent(value.replace(lone, "\uFFFD"))
    const generalProblem = (value: string) => value.trim() === "" || value === "." || value === ".." || new RegExp(lone.source).test(value)
    const plain = fc.stringMatching(/^[A-Za-z0-9\-_.!~*'()]{0,12}$/)
    fc.assert(
      fc.property(fc.oneof(plain, idArbitrary, fc.string({ unit: "binary" })), (id) => {
        expect(paths.segment(id)).toBe(general(id))
        expect(idProblem("id", id) !== undefined).toBe(generalProblem(id))
        expect(paths.isPlainSegment(id)).toBe(id !== "" && general(id) === id)
      }),
      { numRuns: 2000, examples: [...ADVERSARIAL, "routing-app", "latest-abc123", "v1.2", "(x)!~*'"].map((id) => [id] as [string]) }
    )
  })

  it.live("generated ids per id kind reach the emulator as exactly the intended path (undici)", () =>
    Effect.gen(function*() {
      for (const operation of PER_KIND) yield* property(casesFor(operation), { numRuns: 30, examples: ADVERSARIAL })
    }).pipe(Effect.provide(undici)), 120_000)

  it.live("the same on the fetch transport", () =>
    Effect.gen(function*() {
      for (const operation of PER_KIND) yield* property(casesFor(operation), { numRuns: 10, examples: CORE })
    }).pipe(Effect.provide(fetch)), 120_000)

  it.live("every operation, every id argument, on the emulator: one id of each kind of outcome", () =>
    Effect.gen(function*() {
      expect(CASES.length).toBeGreaterThan(90)
      yield* property(CASES, { numRuns: 0, examples: CORE })
    }).pipe(Effect.provide(undici)), 120_000)

  it.live("every operation, every id argument: more generated ids, down to the transport", () =>
    Effect.gen(function*() {
      // Each id goes through every one of the ~100 cases (a whole SDK call each); fast-check draws
      // new ids on every run, so the suite's runs add up to many more.
      yield* property(CASES, { numRuns: 5 })
    }).pipe(Effect.provide(inMemory)), 120_000)

  it.live("deleteInstance(app, '..') sends nothing (the reported escape)", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      emulator.areas.applications.seed({ id: APP })
      yield* emulator.clearRequests
      const instances = yield* Instances
      const error = yield* Effect.flip(instances.deleteInstance(APP, ".."))
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect(error.message).toBe(`Instances.deleteInstance: instanceId must not be "." or ".." (it would change the request path)`)
      expect(yield* emulator.requests).toEqual([])
      expect(yield* Applications.pipe(Effect.flatMap((a) => a.applicationExists(APP)))).toBe(true)
    }).pipe(Effect.provide(undici)))
})
