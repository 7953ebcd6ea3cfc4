import type * as Undici from "@effect/platform-node/Undici"

/** The application document the bench server answers `GET /v1/applications/:id` with (shared by the benches). */
export const applicationJson = JSON.stringify({
  id: "bench-app",
  name: "Bench application",
  description: "x".repeat(120),
  type: "custom",
  default_instance: "latest",
  default_experiment_instance: "latest",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-02T00:00:00Z"
})

/** The raw side of every call figure: one `GET /v1/applications/bench-app` with plain undici. */
export const rawGetApplication = async (
  dispatcher: Undici.Dispatcher,
  origin: string
): Promise<unknown> => {
  const response = await dispatcher.request({
    origin,
    path: "/v1/applications/bench-app",
    method: "GET",
    headers: { authorization: "Bearer bench-key" }
  })
  return response.body.json()
}
