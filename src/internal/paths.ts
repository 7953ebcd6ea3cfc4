/**
 * Every endpoint path of the Nextmv Cloud API, in one module. Paths start with `/` and are joined
 * to the client's base URL by the HTTP pipeline.
 *
 * Every id becomes exactly one path segment: it is percent-encoded with `encodeURIComponent`
 * (so `/`, `\`, `?`, `#` and `%` are escaped and a literal `%2E` can never appear). The only ids
 * that URL normalisation could still collapse are `.` and `..`; those (and the empty string, and
 * strings with unpaired UTF-16 surrogates, which have no UTF-8 form) are rejected by
 * `requireIds` in `validate.ts` before any path is built.
 */

/**
 * Percent-encodes one path segment. Callers validate the id first (`requireIds`); an unpaired
 * surrogate that still reaches this function is encoded as U+FFFD instead of throwing.
 */
export const segment = (value: string): string => isPlainSegment(value) ? value : encodeURIComponent(wellFormed(value))

/** The characters `encodeURIComponent` leaves as they are (ASCII letters, digits and `-_.!~*'()`). */
const UNESCAPED = new Uint8Array(128)
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()") UNESCAPED[c.charCodeAt(0)] = 1

/**
 * `true` when `value` is not empty and made only of characters `encodeURIComponent` leaves as
 * they are: the usual id (`routing-app`, `latest-abc123`), which is its own path segment, is not
 * blank and has no surrogate. One pass over the characters, for the ids every call checks.
 */
export const isPlainSegment = (value: string): boolean => {
  // A JavaScript caller's non-string reaches here from a stream built before its ids are checked.
  if (typeof value !== "string" || value.length === 0) return false
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c >= 128 || UNESCAPED[c] === 0) return false
  }
  return true
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** `true` when `value` holds an unpaired UTF-16 surrogate (it then has no UTF-8 form). */
export const hasLoneSurrogate = (value: string): boolean => LONE_SURROGATE.test(value)

const wellFormed = (value: string): string => hasLoneSurrogate(value) ? value.replace(new RegExp(LONE_SURROGATE, "g"), "\uFFFD") : value

// ---------------------------------------------------------------------------------------------
// Applications

/** `/v1/applications` */
export const applicationsPath = "/v1/applications"

/** `/v1/applications/{appId}` */
export const applicationPath = (appId: string): string => `${applicationsPath}/${segment(appId)}`

const under = (collection: string) => (appId: string, id?: string): string =>
  `${applicationPath(appId)}/${collection}${id === undefined ? "" : `/${segment(id)}`}`

// ---------------------------------------------------------------------------------------------
// Resources

/** `/v1/applications/{appId}/instances[/{id}]` */
export const instancesPath = under("instances")
/** `/v1/applications/{appId}/versions[/{id}]` */
export const versionsPath = under("versions")
/** `/v1/applications/{appId}/ensembles[/{id}]` */
export const ensemblesPath = under("ensembles")
/** `/v1/applications/{appId}/secrets[/{id}]` */
export const secretsPath = under("secrets")
/** `/v1/applications/{appId}/binary`: the app's dev binary (upload URL and activation). */
export const binaryPath = (appId: string): string => `${applicationPath(appId)}/binary`
/** `/v1/applications/{appId}/inputs[/{id}]`: managed inputs (not under `…/experiments`). */
export const managedInputsPath = under("inputs")

// ---------------------------------------------------------------------------------------------
// Runs

/** `/v1/applications/{appId}/runs[/{runId}]` */
export const runsPath = under("runs")
/** `/v1/applications/{appId}/runs/{runId}`: the run with its output. */
export const runPath = (appId: string, runId: string): string => runsPath(appId, runId)
/** `/v1/applications/{appId}/runs/uploadurl`: a presigned upload URL. */
export const uploadUrlPath = (appId: string): string => `${runsPath(appId)}/uploadurl`
/** `/v1/applications/{appId}/runs/{runId}/metadata` */
export const runMetadataPath = (appId: string, runId: string): string => `${runPath(appId, runId)}/metadata`
/** `/v1/applications/{appId}/runs/{runId}/output`: the output alone (nextmv-py `run_output`). */
export const runOutputPath = (appId: string, runId: string): string => `${runPath(appId, runId)}/output`
/** `/v1/applications/{appId}/runs/{runId}/input` */
export const runInputPath = (appId: string, runId: string): string => `${runPath(appId, runId)}/input`
/** `/v1/applications/{appId}/runs/{runId}/logs` */
export const runLogsPath = (appId: string, runId: string): string => `${runPath(appId, runId)}/logs`
/** `/v1/applications/{appId}/runs/{runId}/logs/live` */
export const runLiveLogsPath = (appId: string, runId: string): string => `${runPath(appId, runId)}/logs/live`
/** `/v1/applications/{appId}/runs/{runId}/cancel` */
export const runCancelPath = (appId: string, runId: string): string => `${runPath(appId, runId)}/cancel`
/** `/v1/applications/{appId}/runs/{runId}/assets[/{assetId}]` */
export const runAssetsPath = (appId: string, runId: string, assetId?: string): string =>
  `${runPath(appId, runId)}/assets${assetId === undefined ? "" : `/${segment(assetId)}`}`

// ---------------------------------------------------------------------------------------------
// Experiments

/** `/v1/applications/{appId}/experiments` */
export const experimentsPath = (appId: string): string => `${applicationPath(appId)}/experiments`

const underExperiments = (collection: string) => (appId: string, id?: string): string =>
  `${experimentsPath(appId)}/${collection}${id === undefined ? "" : `/${segment(id)}`}`

/** `/v1/applications/{appId}/experiments/inputsets[/{id}]` */
export const inputSetsPath = underExperiments("inputsets")
/** `/v1/applications/{appId}/experiments/batch[/{id}]` (batch experiments and scenario tests) */
export const batchExperimentsPath = underExperiments("batch")
/** `/v1/applications/{appId}/experiments/batch/{id}/runs` */
export const batchExperimentRunsPath = (appId: string, id: string): string => `${batchExperimentsPath(appId, id)}/runs`
/** `/v1/applications/{appId}/experiments/batch/{id}/metadata` */
export const batchExperimentMetadataPath = (appId: string, id: string): string => `${batchExperimentsPath(appId, id)}/metadata`
/** `/v1/applications/{appId}/experiments/acceptance[/{id}]` */
export const acceptanceTestsPath = underExperiments("acceptance")
/** `/v1/applications/{appId}/experiments/shadow[/{id}]` */
export const shadowTestsPath = underExperiments("shadow")
/** `/v1/applications/{appId}/experiments/switchback[/{id}]` */
export const switchbackTestsPath = underExperiments("switchback")

// ---------------------------------------------------------------------------------------------
// Account

/** `/v1/organization[/{accountId}]` */
export const organizationPath = (accountId?: string): string => `/v1/organization${accountId === undefined ? "" : `/${segment(accountId)}`}`
/** `/v1/account/queue` */
export const accountQueuePath = "/v1/account/queue"
/** `/v1/integrations[/{integrationId}]` */
export const integrationsPath = (integrationId?: string): string =>
  `/v1/integrations${integrationId === undefined ? "" : `/${segment(integrationId)}`}`
