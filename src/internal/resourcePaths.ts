/**
 * Endpoint paths of the resource areas (instances, versions, ensembles, secrets, the dev binary),
 * in one place, built on `applicationPath`.
 */
import { applicationPath, segment } from "./paths.js"

const under = (collection: string) => (appId: string, id?: string): string =>
  `${applicationPath(appId)}/${collection}${id === undefined ? "" : `/${segment(id)}`}`

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
