/**
 * The emulator's Cloud areas, installed in this order (an area may use the helpers of the areas
 * before it through `ctx.areas`).
 */
import type { EmulatorContext } from "../Emulator.js"
import * as Account from "./account.js"
import * as Applications from "./applications.js"
import * as Binary from "./binary.js"
import * as Experiments from "./experiments.js"
import * as OnlineTests from "./onlineTests.js"
import * as Resources from "./resources.js"
import * as Runs from "./runs.js"

export const areaInstallers: ReadonlyArray<(context: EmulatorContext) => void> = [
  Applications.install,
  Runs.install,
  Experiments.install,
  Binary.install,
  Resources.install,
  OnlineTests.install,
  Account.install
]
