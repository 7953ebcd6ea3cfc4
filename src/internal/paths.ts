/**
 * Endpoint path builders shared by every service. Paths start with `/` and are joined to the
 * client's base URL by the HTTP pipeline; every id is percent-encoded as one path segment.
 */

/** Percent-encodes one path segment (an id can never add a `/` to a path). */
export const segment = (value: string): string => encodeURIComponent(value)

/** `/v1/applications` */
export const applicationsPath = "/v1/applications"

/** `/v1/applications/{appId}` */
export const applicationPath = (appId: string): string => `${applicationsPath}/${segment(appId)}`

/** `/v1/applications/{appId}/experiments` */
export const experimentsPath = (appId: string): string => `${applicationPath(appId)}/experiments`
