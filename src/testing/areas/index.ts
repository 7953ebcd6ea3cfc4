/**
 * The emulator's Cloud areas, one module per area of nextmv-py's `Application` mixins, installed
 * in this order (an area may use the helpers of the areas before it through `ctx.areas`).
 */
import type { EmulatorContext } from "../Emulator.js"
import * as AcceptanceTests from "./acceptanceTests.js"
import * as Applications from "./applications.js"
import * as BatchExperiments from "./batchExperiments.js"
import * as Binary from "./binary.js"
import * as Console from "./console.js"
import * as InputSets from "./inputSets.js"
import * as ManagedInputs from "./managedInputs.js"
import * as OnlineTests from "./onlineTests.js"
import * as Resources from "./resources.js"
import * as Runs from "./runs.js"

export const areaInstallers: ReadonlyArray<(context: EmulatorContext) => void> = [
  Applications.install,
  Runs.install,
  ManagedInputs.install,
  InputSets.install,
  BatchExperiments.install,
  AcceptanceTests.install,
  Binary.install,
  Resources.install,
  OnlineTests.install,
  Console.install
]
