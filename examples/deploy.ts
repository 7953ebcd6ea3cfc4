/**
 * Deploying: push → version → instance → a run on the instance.
 *
 *   npx tsx examples/deploy.ts
 *
 * Writes a tiny Python app (an `app.yaml` manifest and a `main.py` that echoes its input) to a
 * temporary directory, pushes it as the application's dev binary, freezes that into a version,
 * points a new instance at the version (and makes it the default), then runs it. Without
 * credentials everything happens in the embedded emulator (see `support.ts`); with
 * `NEXTMV_API_KEY` and `NEXTMV_APP_ID` it deploys to that application on Nextmv Cloud. (The
 * emulator does not execute Python: a run on a pushed app answers with its echo model plus the
 * executable id.)
 */
import { FileSystem, Path } from "@effect/platform"
import { Clock, Console, Effect } from "effect"
import { Instances, Push, RunPrograms, Versions } from "../src/index.js"
import { demoPolling, runExample } from "./support.js"

const manifest = `type: python
runtime: ghcr.io/nextmv-io/runtime/python:3.11
files:
  - main.py
`
const mainPy = `import json, sys
json.dump({"echo": json.load(sys.stdin)}, sys.stdout)
`

runExample("deploy-example", ({ appId }) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const appDir = yield* fs.makeTempDirectoryScoped({ prefix: "nextmv-deploy-example-" })
    yield* fs.writeFileString(path.join(appDir, "app.yaml"), manifest)
    yield* fs.writeFileString(path.join(appDir, "main.py"), mainPy)

    // 1. Push (like `nextmv app push`), then a version of the pushed binary and an instance on it.
    const stamp = yield* Clock.currentTimeMillis
    const pushed = yield* Push.push(appId, {
      appDir,
      autoCreate: true,
      versionId: `v-${stamp}`,
      instanceId: `prod-${stamp}`,
      updateDefaultInstance: true
    })
    yield* Console.log(`Pushed ${pushed.files.join(", ")} (${pushed.bundleBytes} bytes)`)

    // 2. Read back what was created.
    const versions = yield* Versions.Versions
    const instances = yield* Instances.Instances
    const version = yield* versions.version(appId, `v-${stamp}`)
    const instance = yield* instances.instance(appId, `prod-${stamp}`)
    yield* Console.log(`Version ${version.id}, instance ${instance.id} on version ${instance.version_id}`)

    // 3. A run on the new instance.
    const result = yield* RunPrograms.newRunWithResult(appId, {
      input: { message: "hello" },
      instanceId: instance.id,
      polling: demoPolling
    })
    yield* Console.log(`Run ${result.id}: ${result.metadata.status_v2}`)
    yield* Console.log(JSON.stringify(result.output))
  }).pipe(Effect.scoped))
