import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Applications from "../src/services/Applications.js"
import { UploadData, Uploads } from "../src/services/Uploads.js"
import { Emulator } from "../src/testing/Emulator.js"
import { servicesLayer } from "./support/layers.js"

/** Far above any buffer a streaming upload holds, far below what reading the file would take. */
const SIZE = 64 * 1024 * 1024

/** Runs `effect` while sampling the V8 heap; returns the peak growth over the starting heap. */
const peakHeapGrowth = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const start = process.memoryUsage().heapUsed
      const state = { start, peak: start }
      const timer = setInterval(() => {
        state.peak = Math.max(state.peak, process.memoryUsage().heapUsed)
      }, 2)
      return { state, timer }
    }),
    ({ state }) => Effect.map(effect, () => state.peak - state.start),
    ({ timer }) => Effect.sync(() => clearInterval(timer))
  )

describe("streamed uploads keep memory bounded", () => {
  it.live("a 64 MB file is streamed to the presigned URL, not read into the heap", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "nextmv-big-"))),
        (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
      )
      {
        const file = join(dir, "big.json")
        const fd = openSync(file, "w")
        const chunk = Buffer.alloc(1024 * 1024, "a")
        for (let i = 0; i < SIZE / chunk.length; i++) writeSync(fd, chunk)
        closeSync(fd)

        yield* Effect.flatMap(Applications.Applications, (apps) => apps.newApplication({ id: "big" }))
        const uploads = yield* Uploads
        const target = yield* uploads.uploadUrl("big")
        const growth = yield* peakHeapGrowth(uploads.uploadData(target, UploadData.file(file)))
        const emulator = yield* Emulator
        expect(emulator.context.blobs.uploaded(target.upload_id)?.length).toBe(SIZE)
        // Reading the 64 MB file would grow the heap by 64 MB; streaming keeps it to a few chunks
        // (plus whatever else the shared worker allocates meanwhile).
        expect(growth).toBeLessThan(SIZE / 2)

        // A byte Stream is spooled to disk first, then streamed the same way.
        const second = yield* uploads.uploadUrl("big")
        const streamGrowth = yield* peakHeapGrowth(
          uploads.uploadData(second, UploadData.stream(Stream.repeatValue(new Uint8Array(chunk)).pipe(Stream.take(64))))
        )
        expect(emulator.context.blobs.uploaded(second.upload_id)?.length).toBe(64 * chunk.length)
        expect(streamGrowth).toBeLessThan(SIZE / 2)
      }
    }).pipe(Effect.scoped, Effect.provide(servicesLayer())), 120_000)
})
