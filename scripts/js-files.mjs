// The `.js` files below a folder (recursively): what the build's post-processing steps rewrite.
import { readdirSync } from "node:fs"
import { join } from "node:path"

export const jsFilesUnder = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? jsFilesUnder(join(dir, entry.name)) : entry.name.endsWith(".js") ? [join(dir, entry.name)] : []
  )
