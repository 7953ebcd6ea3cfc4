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
