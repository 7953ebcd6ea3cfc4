/**
 * Redaction of secrets in what the HTTP pipeline reports: presigned URL signatures (query
 * strings), the API key, and the query values of the request that failed.
 */

/** Strips the query string and fragment (a presigned URL's signature lives there) from a URL or path. */
export const withoutQuery = (url: string): string => {
  const at = url.search(/[?#]/)
  return at === -1 ? url : url.slice(0, at)
}

const URL_WITH_QUERY = /\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*)[?#][^\s"'<>]*/gi

/**
 * Removes the query string of every URL in `text` and every occurrence of the `secrets` (values
 * shorter than 4 characters are ignored: they would only mangle the text).
 */
export const scrub = (text: string, secrets: ReadonlyArray<string>): string => {
  let out = text.includes("://") ? text.replace(URL_WITH_QUERY, "$1") : text
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join("<redacted>")
  }
  return out
}

/** The query parameter values of `url` worth hiding (long enough to be a signature or token). */
export const queryValues = (url: string): ReadonlyArray<string> => {
  const at = url.indexOf("?")
  if (at === -1) return []
  const values: Array<string> = []
  for (const part of url.slice(at + 1).split("&")) {
    const eq = part.indexOf("=")
    const raw = eq === -1 ? "" : part.slice(eq + 1)
    if (raw.length < 8) continue
    values.push(raw)
    try {
      const decoded = decodeURIComponent(raw.replace(/\+/g, " "))
      if (decoded !== raw) values.push(decoded)
    } catch {
      // a malformed escape: the raw value is hidden already
    }
  }
  return values
}

/**
 * A copy of a transport error that keeps what helps diagnose it (name, code, message with
 * secrets scrubbed, the same for its cause chain) and nothing else: the original may hold the
 * request, its headers or the full URL.
 */
export const sanitizeError = (error: unknown, secrets: ReadonlyArray<string>, depth = 0): unknown => {
  if (typeof error !== "object" || error === null) return error === undefined ? undefined : scrub(String(error), secrets)
  const source = error as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown; errors?: unknown }
  const copy = new Error(scrub(typeof source.message === "string" ? source.message : String(error), secrets))
  if (typeof source.name === "string") copy.name = source.name
  delete copy.stack
  const extra = copy as Error & { code?: string; errors?: Array<unknown> }
  if (typeof source.code === "string") extra.code = source.code
  if (depth < 4 && source.cause !== undefined) copy.cause = sanitizeError(source.cause, secrets, depth + 1)
  if (depth < 4 && Array.isArray(source.errors)) {
    extra.errors = source.errors.slice(0, 4).map((inner) => sanitizeError(inner, secrets, depth + 1))
  }
  return copy
}
