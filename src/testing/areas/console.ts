/**
 * Emulator area: a stand-in for the Nextmv Console's run page, so that the console links an
 * emulator-backed client prints (`Runs.consoleUrl`, `console_url`) point at the emulator and not at
 * the real Console, where these runs do not exist. `Emulator.layerClient` sets the client's
 * `consoleUrl` to `{emulator}/console`. The page is plain HTML without authentication (like the
 * Console, it is opened in a browser), and shows the run's status and where its data is in the API.
 */
import type { EmulatorContext } from "../Emulator.js"

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

export const install = (ctx: EmulatorContext): void => {
  ctx.route("GET", "/console/app/:appId/run/:runId", (request) => {
    const appId = request.params["appId"]!
    const runId = request.params["runId"]!
    const run = ctx.areas.runs.get(appId, runId)
    const api = `${ctx.origin()}/v1/applications/${encodeURIComponent(appId)}/runs/${encodeURIComponent(runId)}`
    const status = run === undefined ? "not found in this emulator" : ctx.areas.runs.status(run)
    const body = `<!doctype html>
<html><head><meta charset="utf-8"><title>Run ${escapeHtml(runId)} (Nextmv Cloud emulator)</title></head>
<body>
<h1>Run ${escapeHtml(runId)}</h1>
<p>Application <code>${escapeHtml(appId)}</code>, status <strong>${escapeHtml(status)}</strong>.</p>
<p>This run exists only in the nextmv-effect Nextmv Cloud emulator, not in the Nextmv Console.
Its data is in the emulator's API (with the emulator's API key as a Bearer token):</p>
<ul>
<li><code>GET ${escapeHtml(api)}/metadata</code></li>
<li><code>GET ${escapeHtml(api)}</code></li>
<li><code>GET ${escapeHtml(api)}/logs</code></li>
</ul>
</body></html>
`
    return { status: run === undefined ? 404 : 200, body, headers: { "content-type": "text/html; charset=utf-8" } }
  })
}
